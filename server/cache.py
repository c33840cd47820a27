"""A bounded in-process cache of finished answers, keyed by data version.

The data only changes with a new version (a new build or 'charta load'), and
every key starts with the version, so an entry can never be stale: after a
reload its key simply stops being asked for and ages out. Bounded by bytes
(least recently used goes first, cachetools' ``LRUCache`` with a size
function), so a flood of distinct queries or paths costs at most the
configured memory. Each web worker holds its own cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

V = TypeVar("V")


class AnswerCache(Generic[V]):
    """LRU by total size; ``size_of`` tells what one value costs in bytes.

    cachetools does the bookkeeping; this adds the lock (its caches are not
    thread-safe), hit counts, and the rule that one answer may take at most
    an eighth of the cache, so one huge answer cannot flush everything else.
    """

    def __init__(self, max_bytes: int, size_of: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self.size_of = size_of
        # Each entry is (value, its cost in bytes), so a caller may state the cost.
        self._lru: LRUCache[Hashable, tuple[V, int]] = LRUCache(
            max(max_bytes, 1), getsizeof=lambda entry: entry[1]
        )
        self._lock = threading.Lock()
        #: Answers found (tests read it to see that a repeated request was served from here).
        self.hits = 0

    def get(self, key: Hashable) -> V | None:
        if self.max_bytes <= 0:
            return None
        with self._lock:
            entry = self._lru.get(key)
            if entry is None:
                return None
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, value: V, cost: int | None = None) -> None:
        """Keep ``value``; ``cost`` (bytes) replaces ``size_of(value)`` where the caller
        knows better, e.g. when the key itself holds long strings (the lean path's
        request headers), which would otherwise be memory the bound does not see."""
        size = self.size_of(value) if cost is None else cost
        if self.max_bytes <= 0 or size > self.max_bytes // 8:
            return
        with self._lock:
            self._lru[key] = (value, size)

    def __len__(self) -> int:
        return len(self._lru)

    @property
    def bytes(self) -> int:
        return int(self._lru.currsize)
