"""The lean path (server/web/lean.py) answers exactly as the app does, header by header.

Two apps on the same data: one with the answer cache (so with the lean path in
front), one without (every request runs the app). Each request is sent twice
to the first, the second time answered from the lean path, and once to the
second; status, every header and the body must be the same.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from server.config import Config
from server.web.app import create_app
from server.web.lean import LeanPath
from tests.conftest import ROOT

QUERY = urllib.parse.urlencode({"query": "SELECT ?s WHERE { ?s a ?c } ORDER BY ?s LIMIT 3"})
PATHS = (
    "/id/charta",
    "/id/charta.ttl",
    "/id/beratung/ds-085-23/3",
    "/id/leitthema/lebenswerte-metropole-ruhr",
    "/",
    "/ontology",
    "/register",
    "/search.json?q=gruen",
    f"/sparql?{QUERY}",
    "/id/nothing-here",
)
ACCEPTS = (None, "text/html", "text/turtle", "application/ld+json", "application/rdf+xml;q=0.9")
ENCODINGS = (None, "gzip", "gzip;q=0, identity", "br;q=1, gzip;q=0.5", "*;q=0")
LANGUAGES: tuple[dict[str, str], ...] = ({}, {"Accept-Language": "en"}, {"Cookie": "lang=en"})


#: Deadlines no loaded machine reaches: a /sparql query that waited past the default
#: queue wait or timeout on one app (503/504) and not on the other made the two answers
#: differ; test_head_304_and_gzip_variants_match failed that way once in a full run.
GENEROUS = {"query_timeout_s": 120.0, "query_queue_s": 120.0}


@pytest.fixture(scope="module")
def apps() -> tuple[Flask, Flask]:
    lean = create_app(Config(root=ROOT, testing=True, **GENEROUS).validated())  # type: ignore[arg-type]
    plain = create_app(
        Config(root=ROOT, testing=True, answer_cache_mb=0, **GENEROUS).validated()  # type: ignore[arg-type]
    )
    return lean, plain


def same(a: TestResponse, b: TestResponse, what: object) -> None:
    """Same status, headers and body; ``Date`` only present in both, as its value is the
    second each was sent in (two requests a moment apart on a loaded machine differ)."""
    assert a.status == b.status, what

    def headers(r: TestResponse) -> list[tuple[str, str]]:
        return sorted((k, "(now)" if k == "Date" else v) for k, v in r.headers.items())

    assert headers(a) == headers(b), what
    assert a.get_data() == b.get_data(), what


def requests() -> Iterator[tuple[str, dict[str, str]]]:
    for path in PATHS:
        for accept in ACCEPTS:
            for encoding in ENCODINGS:
                for lang in LANGUAGES:
                    headers = dict(lang)
                    if accept is not None:
                        headers["Accept"] = accept
                    if encoding is not None:
                        headers["Accept-Encoding"] = encoding
                    yield path, headers


class Counting:
    """Counts the requests that reach the app behind the lean path."""

    def __init__(self, lean: LeanPath) -> None:
        self.calls = 0
        inner = lean.app

        def app(environ: dict[str, object], start_response: object) -> object:
            self.calls += 1
            return inner(environ, start_response)  # type: ignore[arg-type]

        lean.app = app  # type: ignore[assignment]


def test_kept_answers_are_the_apps_header_by_header(apps: tuple[Flask, Flask]) -> None:
    lean, plain = apps
    assert isinstance(lean.wsgi_app, LeanPath)
    counting = Counting(lean.wsgi_app)
    version = lean.extensions["charta"].store.version
    kept = 0
    for path, headers in requests():
        first = lean.test_client().get(path, headers=headers)
        before = counting.calls
        again = lean.test_client().get(path, headers=headers)
        reference = plain.test_client().get(path, headers=headers)
        same(first, reference, (path, headers))
        same(again, reference, (path, headers))
        if counting.calls == before:
            kept += 1
            assert again.status_code == 200 and "ETag" in again.headers
        else:  # not kept: an error, a cookie, or an answer the data version does not fix
            versioned = again.headers.get("ETag", "").startswith(f'"{version}-')
            assert again.status_code != 200 or "Set-Cookie" in again.headers or not versioned
    assert kept > len(PATHS) * len(ACCEPTS)  # most answers were sent by the lean path


def test_head_304_and_gzip_variants_match(apps: tuple[Flask, Flask]) -> None:
    lean, plain = apps
    for path in ("/id/charta", "/id/charta.ttl", f"/sparql?{QUERY}", "/"):
        for encoding in (None, "gzip"):
            accept = {"/": "text/html", "/id/charta": "text/html"}.get(path, "text/turtle")
            if path.startswith("/sparql"):
                accept = "application/sparql-results+json"
            headers = {"Accept": accept}
            if encoding:
                headers["Accept-Encoding"] = encoding
            for _ in range(2):
                same(
                    lean.test_client().head(path, headers=headers),
                    plain.test_client().head(path, headers=headers),
                    ("HEAD", path, headers),
                )
            etag = plain.test_client().get(path, headers=headers).headers["ETag"]
            conditional = {**headers, "If-None-Match": etag}
            for _ in range(2):
                a = lean.test_client().get(path, headers=conditional)
                b = plain.test_client().get(path, headers=conditional)
                assert a.status_code == 304
                same(a, b, ("304", path, headers))


def test_range_and_cookie_setting_requests_always_reach_the_app(apps: tuple[Flask, Flask]) -> None:
    lean, plain = apps
    counting = Counting(lean.wsgi_app)  # type: ignore[arg-type]
    for _ in range(2):
        r = lean.test_client().get("/id/charta.ttl?lang=en")
        assert "lang=en" in r.headers["Set-Cookie"]
        ranged = lean.test_client().get("/id/charta.ttl", headers={"Range": "bytes=0-9"})
        same(ranged, plain.test_client().get("/id/charta.ttl", headers={"Range": "bytes=0-9"}), "")
    assert counting.calls == 4


def test_a_new_data_version_is_never_answered_from_the_old(apps: tuple[Flask, Flask]) -> None:
    lean, _ = apps
    store = lean.extensions["charta"].store
    old = store.version
    first = lean.test_client().get("/id/charta.ttl")
    assert old in first.headers["ETag"]
    counting = Counting(lean.wsgi_app)  # type: ignore[arg-type]
    try:
        store.version = "another-version"  # as after a reload
        r = lean.test_client().get("/id/charta.ttl")
        assert counting.calls == 1 and "another-version" in r.headers["ETag"]
        lean.test_client().get("/id/charta.ttl")
        assert counting.calls == 1  # the new version's answer is kept in its turn
    finally:
        store.version = old


def test_without_the_answer_cache_every_request_runs_the_app(apps: tuple[Flask, Flask]) -> None:
    _, plain = apps
    assert isinstance(plain.wsgi_app, LeanPath)
    counting = Counting(plain.wsgi_app)
    for _ in range(3):
        plain.test_client().get("/id/charta.ttl")
    assert counting.calls == 3 and len(plain.extensions["charta"].cache) == 0


def test_streamed_and_unversioned_answers_are_not_kept(apps: tuple[Flask, Flask]) -> None:
    """A dump's ETag is its checksum and a static file's its content's: neither is
    fixed by the data version in a way this layer can see, so both reach the app."""
    lean, _ = apps
    counting = Counting(lean.wsgi_app)  # type: ignore[arg-type]
    for _ in range(2):
        assert lean.test_client().get("/dumps/charta.nt.gz").status_code == 200
        assert lean.test_client().get("/static/search.js").status_code == 200
    assert counting.calls == 4


def test_only_a_store_whose_version_is_an_attribute_gets_the_lean_path() -> None:
    """A remote store's version is a property that may ask the server: read by this
    layer and again by the app, a slow server would be waited for twice."""
    from server.pipeline.backends import BACKENDS, backend_for
    from server.sparql.embedded import EmbeddedStore
    from server.sparql.remote import RemoteStore

    remote = backend_for(Config(root=ROOT, store_url="http://127.0.0.1:1/query").validated())
    assert remote.name == "remote" and not remote.version_is_free
    for backend in BACKENDS:  # the record tells the truth about the class it opens
        cls = RemoteStore if backend.name == "remote" else EmbeddedStore
        is_attribute = not isinstance(getattr(cls, "version", None), property)
        assert backend.version_is_free == is_attribute, backend.name


def test_a_flood_of_distinct_headers_is_paid_for_from_the_budget() -> None:
    """Each kept answer costs its key too: 300 requests with distinct 7 KiB cookies
    (within the header limit; the lean path keys on Cookie) must not keep more than
    the budget holds."""
    app = create_app(Config(root=ROOT, testing=True, answer_cache_mb=1).validated())
    cache = app.extensions["charta"].cache
    client = app.test_client()
    for n in range(300):
        cookie = f"lang=de; x{n}=" + "x" * 7000
        assert client.get("/ontology.ttl", headers={"Cookie": cookie}).status_code == 200
    lean_entries = [key for key in list(cache._lru.keys()) if key[0] == "lean"]
    assert lean_entries  # kept, but
    assert cache.bytes <= cache.max_bytes
    assert len(lean_entries) * 7000 <= cache.max_bytes  # every entry paid for its header
    # A resource's answer is kept by what the app decides from the cookie (its language),
    # so the same flood keeps it once.
    for n in range(50):
        cookie = f"lang=de; x{n}=" + "x" * 7000
        assert client.get("/id/charta.ttl", headers={"Cookie": cookie}).status_code == 200
    by_decision = [key for key in list(cache._lru.keys()) if key[0] == "lean-id"]
    assert len(by_decision) == 1


def test_negotiation_headers_are_cut_before_the_app_reads_them() -> None:
    """A 400 KB Accept (issue 23, finding 2: 2 s of CPU on the 406 path) is cut to
    MAX_ACCEPT_ENTRIES entries before anything parses it; the answer is what the
    cut header asks for, and the lean path's key holds the cut header only."""
    from server.web.negotiation import MAX_ACCEPT_BYTES

    app = create_app(Config(root=ROOT, testing=True).validated())
    client = app.test_client()
    junk = ",".join(f"text/x-{n}" for n in range(40_000))
    assert client.get("/id/charta", headers={"Accept": junk}).status_code == 406
    answer = client.get("/id/charta", headers={"Accept": "text/turtle," + junk})
    assert answer.status_code == 200 and answer.mimetype == "text/turtle"
    keys = list(app.extensions["charta"].cache._lru.keys())
    raw = [key for key in keys if key[0] == "lean"]
    assert all(len(key[5] or "") <= MAX_ACCEPT_BYTES for key in raw)
    # A resource's answer is kept by the offer the cut header picks, not by the header.
    decided = [key for key in keys if key[0] == "lean-id"]
    assert [key[4] for key in decided] == ["text/turtle"]
    other = client.get("/ontology", headers={"Accept": "text/turtle," + junk})
    assert other.status_code == 200
    raw = [key for key in app.extensions["charta"].cache._lru.keys() if key[0] == "lean"]
    assert raw and all(len(key[5] or "") <= MAX_ACCEPT_BYTES for key in raw)


def test_kept_answers_share_the_headers_that_are_the_same_for_many() -> None:
    """The media type, the policies, CORS and Vary are one copy for every kept answer
    (a resource's headers took more memory than its Turtle), and each answer pays
    only for its own: the ETag, the length, the Link header."""
    from server.web.cache import footprint

    app = create_app(Config(root=ROOT, testing=True, answer_cache_mb=8).validated())
    client = app.test_client()
    for path in ("/id/charta", "/id/oberziel/schwamm-region"):
        assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 200
    cache = app.extensions["charta"].cache
    kept = [(v[1], size) for k, (v, size) in list(cache._lru.items()) if k[0] == "lean-id"]
    assert len(kept) == 2
    (a, size_a), (b, _) = kept
    same = {name.lower() for name, _ in a.headers} - {"etag", "content-length", "link"}
    pairs_a = {p[0].lower(): p for p in a.headers}
    pairs_b = {p[0].lower(): p for p in b.headers}
    assert "content-type" in same and "vary" in same
    for name in same - {"content-location"}:
        assert pairs_a[name] is pairs_b[name], name
    # Its cost counts its body and its own headers, not the shared ones again.
    from server.web.lean import shared

    _, own = shared(a.headers)
    assert own < footprint(a.headers) / 2
    assert size_a < footprint(a.body) + footprint(a.headers)
