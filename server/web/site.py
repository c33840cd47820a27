"""The built site (dumps, catalog statistics, sitemap) for the store's current data version.

Built on first use and again whenever the store reports a new version, so a
web worker can start while its remote store is down and catch up with a
'charta load' without a restart.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from server.pages.describe import Statistics
from server.pipeline.build import SEARCH_FILE, Build, build, load_build
from server.pipeline.search import SearchIndex
from server.sparql import Store


@dataclass(frozen=True)
class SiteParts:
    build: Build
    stats: Statistics
    search: SearchIndex


class Site:
    """Holds the build for one data version; thread-safe."""

    def __init__(
        self,
        store: Store,
        namespace: str,
        base_url: str | None,
        dist_dir: Path | None,
        root: Path | None = None,
    ) -> None:
        self._store = store
        self._namespace = namespace
        self._base_url = base_url
        self._root = root
        self._fixed: SiteParts | None = None
        if dist_dir is not None:
            built = load_build(dist_dir)
            saved = dist_dir / SEARCH_FILE
            search = SearchIndex(store, namespace, saved if saved.is_file() else None)
            self._fixed = SiteParts(built, Statistics(built.metadata), search)
            self._fixed.search.warm_up()
        self._current: tuple[str, SiteParts] | None = None
        self._lock = threading.Lock()

    def parts(self) -> SiteParts:
        """The build for the current version (raises the store's errors if it is down)."""
        if self._fixed is not None:
            return self._fixed
        version = self._store.version
        current = self._current
        if current is not None and current[0] == version:
            return current[1]
        with self._lock:
            if self._current is None or self._current[0] != version:
                built = build(self._store, self._namespace, self._base_url, self._root)
                parts = SiteParts(
                    built, Statistics(built.metadata), SearchIndex(self._store, self._namespace)
                )
                self._current = (version, parts)
            return self._current[1]
