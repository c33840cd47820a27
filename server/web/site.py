"""The built site (dumps, catalog statistics, sitemap) for the store's current data version.

Built on first use in each data version's snapshot (server/web/snapshot.py), so a
web worker can start while its remote store is down and catch up with a
'charta load' without a restart; or read once from ``charta build --out``.
"""

from __future__ import annotations

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

    @property
    def fixed(self) -> SiteParts | None:
        """The build read from ``dist_dir`` (the same for every version), if there is one."""
        return self._fixed

    def build_parts(self) -> SiteParts:
        """The build of the store's current data (raises the store's errors if it is down)."""
        built = build(self._store, self._namespace, self._base_url, self._root)
        return SiteParts(
            built, Statistics(built.metadata), SearchIndex(self._store, self._namespace)
        )
