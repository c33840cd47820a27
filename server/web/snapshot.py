"""What a web process computes once per data version, held in one snapshot.

The store reports its data version; the first request that sees a new one gets
a new :class:`Snapshot`, swapped in whole (one reference assignment), and
everything computed per version (the built site, rdfs:subPropertyOf, the
releases, a profile's tables) is computed once in it, on first use. A request
that read the old version keeps the old snapshot it holds, so no answer mixes
two versions; the old one is dropped with its last reader. The answer cache
holds finished answers only, never these objects.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import TypeVar, cast

T = TypeVar("T")


class Snapshot:
    """One data version's computed values, each computed once (thread-safe)."""

    def __init__(self, version: str, modified: datetime) -> None:
        self.version = version
        self.modified = modified
        self._values: dict[Hashable, object] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` for ``key``, once in this snapshot: concurrent first readers wait
        for the one that computes it; a failure is not kept (the next reader tries again)."""
        if key in self._values:
            return cast(T, self._values[key])
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = compute()
            return cast(T, self._values[key])


class Snapshots:
    """The current snapshot, replaced whole when the data version changes."""

    def __init__(self) -> None:
        self._current: Snapshot | None = None
        self._lock = threading.Lock()

    def of(self, version: str, modified: datetime) -> Snapshot:
        current = self._current
        if current is not None and current.version == version:
            return current
        with self._lock:
            if self._current is None or self._current.version != version:
                self._current = Snapshot(version, modified)
            return self._current
