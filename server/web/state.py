"""The app's state: what a web process keeps between requests, in one place.

As Flask's tutorial keeps the database in ``db.py`` (``init_app`` and
``get_db``), this module builds the config's store, answer cache, SPARQL
admission and built site once per process, and hands them to views. The
data version is read once per request (``flask.g``): with a remote store
each read may ask the server, and the cache key and the ETag of one answer
must agree.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import pyoxigraph as ox
from flask import Flask, current_app, g

from server.config import Config
from server.pages.materialised import Descriptions
from server.pages.model import PageTerms
from server.pages.releases import ReleaseInfo
from server.pages.releases import releases as release_list
from server.rdf.formats import HTML
from server.rdf.namespaces import RDFS
from server.sparql import Store
from server.sparql.embedded import EmbeddedStore
from server.urls import Urls
from server.web.admission import Admission
from server.web.cache import AnswerCache
from server.web.extension import Profile
from server.web.site import Site, SiteParts
from server.web.snapshot import Snapshot, Snapshots

T = TypeVar("T")


@dataclass
class State:
    config: Config
    store: Store
    cache: AnswerCache[tuple[bytes, object]]
    admission: Admission
    site: Site
    urls: Urls
    #: What the engine reads of the data (server/web/extension.py), and what pages know of
    #: its vocabulary: its page kinds followed by the engine's own, its inverse names.
    profile: Profile
    terms: PageTerms
    #: What is computed once per data version (server/web/snapshot.py).
    snapshots: Snapshots = field(default_factory=Snapshots)
    #: Every resource's description, materialised for the store's one data version
    #: (server/pages/materialised.py); None for a remote store, whose data may change.
    descriptions: Descriptions | None = None
    #: What the warm start did: (answers kept, resources, seconds), once it finished.
    warmed: tuple[int, int, float] | None = None


def init_app(app: Flask, config: Config, store: Store, profile: Profile, terms: PageTerms) -> State:
    state = State(
        config=config,
        store=store,
        cache=AnswerCache(config.answer_cache_mb * 2**20, lambda answer: len(answer[0]) + 200),
        admission=Admission(
            running=config.query_workers,
            waiting=config.sparql_queue,
            per_client=config.sparql_per_client,
            wait_s=config.query_queue_s,
            client_header=config.client_header,
        ),
        site=Site(store, config.namespace, config.public_url, config.dist_dir, config.root),
        urls=Urls(config.namespace, config.public_url),
        profile=profile,
        terms=terms,
    )
    app.extensions["charta"] = state
    state.descriptions = open_descriptions(config, store)
    return state


def open_descriptions(config: Config, store: Store) -> Descriptions | None:
    """The materialised descriptions of an embedded store: the persisted store's sidecar
    (``charta build --store-dir`` writes it), else an empty set :func:`prepare` fills."""
    if not isinstance(store, EmbeddedStore):
        return None
    if config.store_dir is not None:
        found = Descriptions.open(config.store_dir, store.version)
        if found is not None:
            return found
    return Descriptions(store.version)


def answer_lang(fmt: object, lang: str) -> str:
    """The language part of a resource answer's cache key: a page's language; none for
    RDF, whose bytes are the same whatever language the request asks for."""
    return lang if fmt == HTML else ""


def materialised() -> Callable[[str], list[ox.Triple] | None] | None:
    """The materialised descriptions' lookup, if they belong to this request's data version."""
    held = current().descriptions
    if held is None or held.version != data_version()[0]:
        return None
    return held.get


def current() -> State:
    return current_app.extensions["charta"]  # type: ignore[no-any-return]


def profile() -> Profile:
    return current().profile


def terms() -> PageTerms:
    return current().terms


def config() -> Config:
    return current().config


def store() -> Store:
    return current().store


def urls() -> Urls:
    return current().urls


def answer_cache() -> AnswerCache[tuple[bytes, object]]:
    """Finished answers as ``(body, what else the view needs)``, keyed by data version."""
    return current().cache


def admission() -> Admission:
    return current().admission


def site() -> SiteParts:
    """Dumps and catalog statistics for the store's current data version."""
    held = current().site
    return held.fixed or per_version("site", held.build_parts)


def data_version() -> tuple[str, datetime]:
    """(version, modified) of the data, read from the store once per request."""
    seen = g.get("charta_version")
    if seen is None:
        st = store()
        seen = (st.version, st.modified)
        g.charta_version = seen
    return seen  # type: ignore[no-any-return]


def snapshot() -> Snapshot:
    """This request's data version's snapshot: everything computed once per version."""
    seen = g.get("charta_snapshot")
    if seen is None:
        seen = g.charta_snapshot = current().snapshots.of(*data_version())
    return seen  # type: ignore[no-any-return]


def per_version(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per data version (a profile's tables, say)."""
    return snapshot().get(key, compute)


def super_properties() -> dict[str, set[str]]:
    """rdfs:subPropertyOf from the store, computed once per data version."""
    state = current()

    def compute() -> dict[str, set[str]]:
        rows = state.store.select(f"SELECT ?sub ?sup WHERE {{ ?sub <{RDFS}subPropertyOf> ?sup }}")
        found: dict[str, set[str]] = {}
        for r in rows:
            found.setdefault(r["sub"].value, set()).add(r["sup"].value)
        return found

    return per_version("supers", compute)


def releases() -> list[ReleaseInfo]:
    """The data's releases, oldest first, read once per data version."""
    state = current()
    series = state.urls.iri(state.profile.site.series)
    return per_version("releases", lambda: release_list(state.store, series))


def find_release(version: str) -> ReleaseInfo | None:
    return next((r for r in releases() if r.version == version), None)
