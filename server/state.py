"""The app's state: what a web process keeps between requests, in one place.

As Flask's tutorial keeps the database in ``db.py`` (``init_app`` and
``get_db``), this module builds the config's store, answer cache, SPARQL
admission and built site once per process, and hands them to views. The
data version is read once per request (``flask.g``): with a remote store
each read may ask the server, and the cache key and the ETag of one answer
must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from flask import Flask, current_app, g

from server.admission import Admission
from server.cache import AnswerCache
from server.config import Config
from server.namespaces import RDFS
from server.queries import ReleaseInfo
from server.queries import releases as release_list
from server.site import Site, SiteParts
from server.store import Store
from server.urls import Urls

T = TypeVar("T")


@dataclass
class State:
    config: Config
    store: Store
    cache: AnswerCache[tuple[bytes, object]]
    admission: Admission
    site: Site
    urls: Urls
    #: rdfs:subPropertyOf per data version (pages use it to show inherited labels).
    supers: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    #: The releases per data version (Memento links on every resource answer).
    releases: dict[str, list[ReleaseInfo]] = field(default_factory=dict)


def init_app(app: Flask, config: Config, store: Store) -> State:
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
    )
    app.extensions["charta"] = state
    return state


def current() -> State:
    return current_app.extensions["charta"]  # type: ignore[no-any-return]


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
    return current().site.parts()


def data_version() -> tuple[str, datetime]:
    """(version, modified) of the data, read from the store once per request."""
    seen = g.get("charta_version")
    if seen is None:
        st = store()
        seen = (st.version, st.modified)
        g.charta_version = seen
    return seen  # type: ignore[no-any-return]


def _per_version(held: dict[str, T], compute: Callable[[], T]) -> T:
    """``compute()`` once per data version, kept in ``held`` (only the current version's)."""
    version = data_version()[0]
    found = held.get(version)
    if found is None:
        found = compute()
        held.clear()
        held[version] = found
    return found


def super_properties() -> dict[str, set[str]]:
    """rdfs:subPropertyOf from the store, computed once per data version."""
    state = current()

    def compute() -> dict[str, set[str]]:
        rows = state.store.select(f"SELECT ?sub ?sup WHERE {{ ?sub <{RDFS}subPropertyOf> ?sup }}")
        found: dict[str, set[str]] = {}
        for r in rows:
            found.setdefault(r["sub"].value, set()).add(r["sup"].value)
        return found

    return _per_version(state.supers, compute)


def releases() -> list[ReleaseInfo]:
    """The data's releases, oldest first, read once per data version."""
    state = current()
    return _per_version(state.releases, lambda: release_list(state.store, state.urls.series))


def find_release(version: str) -> ReleaseInfo | None:
    return next((r for r in releases() if r.version == version), None)
