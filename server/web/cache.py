"""A bounded in-process cache of finished answers, keyed by data version.

The data only changes with a new version (a new build or 'charta load'), and
every key starts with the version, so an entry can never be stale: after a
reload its key simply stops being asked for and ages out. Bounded by bytes
(least recently used goes first, cachetools' ``LRUCache`` with a size
function), so a flood of distinct queries or paths costs at most the
configured memory. Each web worker holds its own cache.

Every entry is costed by what it really holds: the value's bytes, plus the key
(measured, not guessed: a /sparql key holds the whole query text, up to 64 KB,
and the lean path's key the request headers a client chooses), plus the
cache's own bookkeeping. Costing a /sparql key at a flat 200 bytes let 6,000
distinct 60 KB queries grow a worker by 360 MB while the cache counted 1.5 MB.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from cachetools import LRUCache

V = TypeVar("V")

#: Bytes of bookkeeping per entry beyond its key and value: the entry tuple, the
#: slots of cachetools' dicts (data, size, order) and the tuple of the key itself
#: when it is small. Measured with tracemalloc (tests/test_cache.py).
ENTRY_OVERHEAD = 400


def footprint(obj: Any) -> int:
    """Bytes ``obj`` takes in memory with what it holds: strings and bytes by
    ``sys.getsizeof`` (a text with one character beyond Latin-1 takes two or four
    bytes per character), tuples, lists, sets and dataclasses with their items.
    Shared small objects (None, small ints, interned names) are counted as if not."""
    if isinstance(obj, (str, bytes, int, float, bool)) or obj is None:
        return sys.getsizeof(obj)
    if isinstance(obj, (tuple, list, frozenset, set)):
        return sys.getsizeof(obj) + sum(footprint(item) for item in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = dataclasses.fields(obj)
        return sys.getsizeof(obj) + sum(footprint(getattr(obj, f.name)) for f in fields)
    return sys.getsizeof(obj)


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
        """Keep ``value``; it costs ``cost`` bytes, or ``size_of(value)``, plus its key's
        :func:`footprint` and :data:`ENTRY_OVERHEAD`."""
        if self.max_bytes <= 0:
            return
        size = (self.size_of(value) if cost is None else cost) + footprint(key) + ENTRY_OVERHEAD
        if size > self.max_bytes // 8:
            return
        with self._lock:
            self._lru[key] = (value, size)

    def pop(self, key: Hashable) -> None:
        """Forget ``key``'s answer, if kept."""
        with self._lock:
            self._lru.pop(key, None)

    def __len__(self) -> int:
        return len(self._lru)

    @property
    def bytes(self) -> int:
        return int(self._lru.currsize)
