"""Materialised descriptions and the warm start give the very answers computed on request.

A crawler's first touch is read from the descriptions materialised per data
version (server/pages/materialised.py) instead of a CONSTRUCT; whatever it reads
must be byte for byte what the query gives, for every resource of the data, in
every format, or a client would see two versions of one resource.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.config import Config
from server.pages.materialised import SIDECAR, Descriptions, subjects
from server.pipeline.build import persist
from server.rdf.formats import RDF_FORMATS
from server.web import state, warm
from server.web.app import create_app
from tests.conftest import NS, ROOT


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("materialised") / "store"
    persist(Config(root=ROOT, namespace=NS).validated(), out)
    return out


def app_on(store_dir: Path | None, cache_mb: int = 0) -> Flask:
    config = Config(
        root=ROOT,
        testing=True,
        store_dir=store_dir,
        query_workers=1,
        answer_cache_mb=cache_mb,
    ).validated()
    return create_app(config)


def computed(store_dir: Path | None) -> FlaskClient:
    """Every description computed on request, as without materialisation. (The
    engine returns a CONSTRUCT's triples in the order of its indexes, so the store
    parsed from the sources and the persisted one each have their own order: each
    path is compared with the same store computing on request.)"""
    app = app_on(store_dir)
    state_of(app).descriptions = None
    return app.test_client()


@pytest.fixture(scope="module")
def plain() -> FlaskClient:
    return computed(None)


def state_of(app: Flask) -> state.State:
    return app.extensions["charta"]  # type: ignore[no-any-return]


def resource_paths(app: Flask) -> list[str]:
    st = state_of(app)
    found = [
        warm.resource_path(st.urls, iri, st.profile.moved) for iri in subjects(st.store.select, NS)
    ]
    return [p for p in found if p is not None]


def answers(client: FlaskClient, path: str) -> dict[str, tuple[int, bytes, str | None]]:
    out = {}
    for fmt in RDF_FORMATS:
        r = client.get(f"/{path}.{fmt.suffix}")
        out[fmt.suffix] = (r.status_code, r.get_data(), r.headers.get("ETag"))
    return out


def test_build_writes_every_description_beside_the_store(store_dir: Path) -> None:
    app = app_on(store_dir)
    held = state_of(app).descriptions
    assert held is not None and (store_dir / SIDECAR).is_file()
    every = subjects(state_of(app).store.select, NS)
    assert held.iris() == every and len(every) > 100
    assert held.filled == (len(every), 0.0)


def test_sidecar_answers_are_byte_for_byte_the_computed_ones(store_dir: Path) -> None:
    plain = computed(store_dir)
    app = app_on(store_dir)
    held = state_of(app).descriptions
    assert held is not None
    client = app.test_client()
    paths = resource_paths(app)
    assert len(paths) > 100
    for path in paths:
        assert held.raw(NS + path) is not None
        assert answers(client, path) == answers(plain, path), path
    # A page uses the same description, in each language.
    for path in paths[:: max(1, len(paths) // 20)]:
        for lang in ("de", "en"):
            a = client.get(f"/{path}.html?lang={lang}").get_data()
            assert a == plain.get(f"/{path}.html?lang={lang}").get_data(), path


def test_descriptions_filled_in_memory_answer_the_same(plain: FlaskClient) -> None:
    app = app_on(None)
    st = state_of(app)
    held = st.descriptions
    assert held is not None and held.filled is None
    iris = subjects(st.store.select, NS)
    held.fill(st.store.construct, iris)
    assert held.filled is not None and held.filled[0] == len(iris)
    client = app.test_client()
    for path in resource_paths(app):
        assert answers(client, path) == answers(plain, path), path


def test_a_sidecar_of_other_data_is_not_read(store_dir: Path) -> None:
    assert Descriptions.open(store_dir, "another-version") is None
    assert Descriptions.open(store_dir.parent, "x") is None  # no sidecar there


def test_unknown_and_invalid_iris_still_answer_404_and_400(store_dir: Path) -> None:
    client = app_on(store_dir).test_client()
    assert client.get("/id/gibt-es-nicht.ttl").status_code == 404
    assert client.get("/id/a%3Eb.ttl").status_code == 400


@pytest.fixture(scope="module")
def warmed() -> tuple[Flask, str]:
    """An app after its warm start (one for the module: it takes seconds), and what it logged."""
    app = app_on(None, cache_mb=64)
    handler = logging.Handler()
    said: list[str] = []
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    log = logging.getLogger("charta")
    log.addHandler(handler)
    try:
        warm.prepare(app, state_of(app))
    finally:
        log.removeHandler(handler)
    return app, "\n".join(said)


def test_warm_start_readies_every_answer_and_says_so(
    plain: FlaskClient, warmed: tuple[Flask, str]
) -> None:
    app, logged = warmed
    st = state_of(app)
    assert st.warmed is not None
    kept, resources, _ = st.warmed
    paths = resource_paths(app)
    # Every RDF format once, a page in each language, each plain and gzipped: every
    # representation is ready.
    assert resources == len(paths) and kept == resources * (len(RDF_FORMATS) + 2) * 2
    assert f"warm start: {kept} answers of {resources} resources ready" in logged
    client = app.test_client()
    hits = st.cache.hits
    for path in paths[:: max(1, len(paths) // 25)]:
        assert answers(client, path) == answers(plain, path), path
        for lang in ("de", "en"):
            headers = {"Accept": "text/html", "Accept-Language": lang}
            a = client.get(f"/{path}", headers=headers)
            b = plain.get(f"/{path}", headers=headers)
            assert (a.get_data(), a.headers["ETag"]) == (b.get_data(), b.headers["ETag"]), path
    assert st.cache.hits > hits  # answered from what the warm start kept


#: Requests a crawler or a reader sends first, and the answer the warm start must have
#: ready for each: different header strings that the app decides the same way.
FIRST_TOUCHES = [
    {"Accept": "text/turtle"},
    {"Accept": "text/turtle", "Accept-Encoding": "gzip, deflate"},
    {"Accept": "text/turtle;q=0.9, application/rdf+xml;q=0.5", "Accept-Language": "en-GB"},
    {"Accept": "application/ld+json", "Cookie": "tracking=1; lang=en"},
    {"Accept": "application/n-triples, */*;q=0.1", "Accept-Encoding": "x-gzip"},
    {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Encoding": "gzip, br"},
    {"Accept": "text/html", "Accept-Language": "en-US,en;q=0.9,de;q=0.5"},
    {"Accept": "text/html", "Cookie": "lang=en", "Accept-Language": "de"},
    {"Accept": "*/*", "Accept-Encoding": "gzip"},
]


def test_after_the_warm_start_a_first_touch_is_answered_without_flask_as_flask_would(
    plain: FlaskClient, warmed: tuple[Flask, str]
) -> None:
    """A crawler's first request for a resource, whatever header strings it sends, gets
    the bytes and headers the app sends for it, without the app running: the lean path
    keys what the warm start asked by what the app decides from a request."""
    app = warmed[0]
    lean = app.wsgi_app
    calls = []
    inner = lean.app  # type: ignore[attr-defined]

    def counting(environ: dict[str, object], start_response: object) -> object:
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    lean.app = counting  # type: ignore[attr-defined]
    client = app.test_client()
    paths = resource_paths(app)
    for path in paths[:: max(1, len(paths) // 15)]:
        for headers in FIRST_TOUCHES:
            a = client.get(f"/{path}", headers=headers)
            b = plain.get(f"/{path}", headers=headers)
            assert a.status_code == b.status_code == 200, (path, headers)
            assert a.get_data() == b.get_data(), (path, headers)
            same = {k: v for k, v in a.headers.items() if k != "Date"}
            assert same == {k: v for k, v in b.headers.items() if k != "Date"}, (path, headers)
    lean.app = inner  # type: ignore[attr-defined]
    assert calls == []
    # What it did not warm still goes to the app: a conditional request, a query string.
    lean.app = counting  # type: ignore[attr-defined]
    try:
        client.get(f"/{paths[0]}?lang=en", headers={"Accept": "text/html"})
    finally:
        lean.app = inner  # type: ignore[attr-defined]
    assert calls == [f"/{paths[0]}"]
