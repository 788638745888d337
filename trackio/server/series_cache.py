"""Downsampled series kept while the points they came from are unchanged."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from trackio.server.series_answer import SeriesAnswer
from trackio.storage.records import SeriesVersion

# What an entry costs beyond its points (keys, versions, array headers), in points.
_ENTRY_OVERHEAD = 32


class SeriesCache:
    """Answers kept for as long as the points they came from are unchanged, so reloading
    a page or a second viewer costs a metadata query per series. Bounded by points, not
    entries: a sweep's ten charts are 10,000 small series, which a cap of a few
    thousand entries would evict before the page asked again (about 20 bytes a point:
    the default holds some 40 MB)."""

    def __init__(self, capacity_points: int = 2_000_000) -> None:
        self._capacity = capacity_points
        self._size = 0
        self._entries: OrderedDict[tuple[Any, ...], tuple[SeriesVersion, SeriesAnswer]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], version: SeriesVersion) -> SeriesAnswer | None:
        """The answer stored under `key` if it was computed from points at `version`."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple[Any, ...], version: SeriesVersion, answer: SeriesAnswer) -> None:
        """Store an answer, evicting the least recently used beyond capacity."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= _cost(old[1])
            self._entries[key] = (version, answer)
            self._size += _cost(answer)
            while self._size > self._capacity and len(self._entries) > 1:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._size -= _cost(evicted)

    def __len__(self) -> int:
        return len(self._entries)


def _cost(answer: SeriesAnswer) -> int:
    return len(answer.x) + _ENTRY_OVERHEAD
