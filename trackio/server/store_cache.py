"""The server's open project stores, one per project file (the most recently used),
shared by its worker threads: read-only for the dashboard, writable for a team
server's ingest."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from trackio.storage import ProjectStore, store_key


class StoreCache:
    """The stores `open_project` opens, the `capacity` most recently used kept; each
    keeps a connection per thread. Stores are kept by `store_key`, so `TRACKIO_DIR` is
    read on every call."""

    def __init__(self, open_project: Callable[[str], ProjectStore], capacity: int = 64) -> None:
        self._open = open_project
        self._stores: OrderedDict[Hashable, ProjectStore] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def store(self, project: str) -> ProjectStore:
        """The store of `project`, opened on first use (errors as `open_project` raises)."""
        path = store_key(project)
        with self._lock:
            store = self._stores.get(path)
            if store is not None:
                self._stores.move_to_end(path)
                return store
        store = self._open(project)
        with self._lock:
            kept = self._stores.setdefault(path, store)
            if kept is not store:
                store.close()
            while len(self._stores) > self._capacity:
                # Dropped, not closed: another thread may still be using it; its
                # connections close when the last reference goes.
                self._stores.popitem(last=False)
        return kept

    def forget(self, project: str) -> None:
        """Close and drop the store of `project` (its file was deleted or replaced)."""
        with self._lock:
            store = self._stores.pop(store_key(project), None)
        if store is not None:
            store.close()

    def close(self, *, checkpoint: bool = False) -> None:
        """Close every store (folding each write-ahead log into its file if asked)."""
        with self._lock:
            stores, self._stores = list(self._stores.values()), OrderedDict()
        for store in stores:
            store.close(checkpoint=checkpoint)
