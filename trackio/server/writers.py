"""The team server's writable project stores, shared by its worker threads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from trackio.storage import ProjectStore, open_store
from trackio.storage.paths import project_db_path


class ProjectWriters:
    """One writable store per project (the `capacity` most recently used), created on
    first write; each store keeps a connection per thread."""

    def __init__(self, capacity: int = 64) -> None:
        self._stores: OrderedDict[Path, ProjectStore] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def store(self, project: str) -> ProjectStore:
        """The writable store of `project`, created if it does not exist."""
        path = project_db_path(project)
        with self._lock:
            store = self._stores.get(path)
            if store is not None:
                self._stores.move_to_end(path)
                return store
        store = open_store(project, write=True, create=True)
        with self._lock:
            kept = self._stores.setdefault(path, store)
            if kept is not store:
                store.close()
            while len(self._stores) > self._capacity:
                # Dropped, not closed: a run being opened on another thread may still
                # write through it; its connections close when the last reference goes.
                self._stores.popitem(last=False)
        return kept

    def forget(self, project: str) -> None:
        """Close and drop the store of `project` (its file was deleted or replaced)."""
        with self._lock:
            store = self._stores.pop(project_db_path(project), None)
        if store is not None:
            store.close()

    def close(self) -> None:
        """Close every store, folding its write-ahead log into the file."""
        with self._lock:
            stores, self._stores = list(self._stores.values()), OrderedDict()
        for store in stores:
            store.close(checkpoint=True)
