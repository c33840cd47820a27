"""The lean SPARQL path (server/web/sparql_fast.py) answers exactly as the Flask view does.

One app without the answer cache, so that every request runs its query: each
request is sent with the fast path on and again with it off (the Flask view
answers); status, every header but ``Date`` and the body must be the same. The
fast path must have answered what it takes (the app behind it not called) and
left the rest to the app. An app with the cache then keeps the fast path's
answers and sends them again, still the view's.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from server.config import Config
from server.sparql import (
    QueryAnswer,
    QueryJob,
    QueryMemoryError,
    QuerySyntaxError,
    QueryTimeoutError,
    StoreUnavailableError,
)
from server.web.admission import Admission
from server.web.app import create_app
from server.web.lean import LeanPath
from tests.conftest import ROOT

MAX_ROWS = 20
#: Deadlines no loaded machine reaches (as tests/test_lean.py: a query that waited
#: past them on one path only would make the two answers differ).
SETTINGS: dict[str, Any] = {
    "query_timeout_s": 120.0,
    "query_queue_s": 120.0,
    "max_rows": MAX_ROWS,
    "query_workers": 1,
}

SKOS = "http://www.w3.org/2004/02/skos/core#"
SELECT = f"SELECT ?s WHERE {{ ?s a <{SKOS}ConceptScheme> }} ORDER BY ?s"
ASK = "ASK { ?s ?p ?o }"
#: More rows than MAX_ROWS: a cut answer (X-Charta-Truncated, Warning), over 1 KiB.
CUT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 100"
PREFIXED = f"PREFIX skos: <{SKOS}>\nSELECT * WHERE {{ ?c skos:notation ?n }} ORDER BY ?c LIMIT 5"
REFUSED = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
SYNTAX = "SELECT ?s WHERE { ?s ?p }"
CONSTRUCT = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 2"


def url(query: str | None = None, *extra: tuple[str, str]) -> str:
    pairs = ([("query", query)] if query is not None else []) + list(extra)
    return "/sparql?" + urllib.parse.urlencode(pairs)


#: (path, answered by the fast path for an Accept it takes; a format=/output= it
#: knows is taken whatever Accept says)
PATHS: tuple[tuple[str, bool], ...] = (
    (url(SELECT), True),
    (url(ASK), True),
    (url(CUT), True),
    (url(PREFIXED), True),
    (url(SELECT, ("default-graph-uri", "https://example.org/graph")), True),
    (url(SELECT, ("named-graph-uri", "https://example.org/g1")), True),
    (url(SELECT, ("format", "csv")), True),
    (url(SELECT, ("output", "json")), True),
    (url(SELECT, ("format", "nonsense")), True),  # falls back to Accept, as in the view
    (url(REFUSED), False),
    (url(SYNTAX), False),
    (url(CONSTRUCT), False),
    (url(SELECT, ("default-graph-uri", "not-absolute")), False),
    (url(SELECT, ("lang", "en")), False),
    ("/sparql?update=" + urllib.parse.quote("INSERT DATA { <a:b> <a:c> <a:d> }"), False),
)
#: (Accept, answered by the fast path when the query is one it takes)
ACCEPTS: tuple[tuple[str | None, bool], ...] = (
    (None, True),
    ("application/sparql-results+json", True),
    ("application/sparql-results+xml", True),
    ("text/csv", True),
    ("text/tab-separated-values", True),
    ("application/json", True),
    ("*/*", True),
    ("application/sparql-results+json, text/html;q=0.5", True),
    ("text/html", False),  # the editor
    ("application/x-unknown", False),  # 406
    ("text/turtle", False),  # 406 for SELECT and ASK
)
ENCODINGS = (None, "gzip")


@pytest.fixture(scope="module")
def plain() -> Flask:
    return create_app(Config(root=ROOT, testing=True, answer_cache_mb=0, **SETTINGS).validated())


@pytest.fixture(scope="module")
def cached() -> Flask:
    return create_app(Config(root=ROOT, testing=True, **SETTINGS).validated())


class Counting:
    """Counts the requests that reach the app behind the lean path."""

    def __init__(self, app: Flask) -> None:
        lean = app.wsgi_app
        assert isinstance(lean, LeanPath)
        self.lean = lean
        self.calls = 0
        self.inner = inner = lean.app

        def counted(environ: dict[str, object], start_response: object) -> object:
            self.calls += 1
            return inner(environ, start_response)  # type: ignore[arg-type]

        lean.app = counted  # type: ignore[assignment]

    def undo(self) -> None:
        self.lean.app = self.inner


def headers_of(r: TestResponse) -> list[tuple[str, str]]:
    """Every header, with the clock's readings out: Date, and a cookie's Expires (a year
    from now, to the second: two answers a second apart on a loaded machine differ)."""
    return sorted(
        (k, "(now)" if k == "Date" else re.sub(r"Expires=[^;]*", "Expires=(now + Max-Age)", v))
        for k, v in r.headers.items()
    )


def same(a: TestResponse, b: TestResponse, what: object) -> None:
    """Same status, every header but Date's value, and the same body."""
    assert a.status == b.status, what
    assert headers_of(a) == headers_of(b), what
    assert a.get_data() == b.get_data(), what


def send(app: Flask, method: str, path: str, headers: dict[str, str]) -> TestResponse:
    return app.test_client().open(path, method=method, headers=headers)


def flask_answer(app: Flask, method: str, path: str, headers: dict[str, str]) -> TestResponse:
    """The view's answer: the same app with the fast path off."""
    lean = app.wsgi_app
    assert isinstance(lean, LeanPath)
    lean.sparql.enabled = False
    try:
        return send(app, method, path, headers)
    finally:
        lean.sparql.enabled = True


def requests() -> Iterator[tuple[str, str, dict[str, str], bool]]:
    for path, path_fast in PATHS:
        for accept, accept_fast in ACCEPTS:
            for encoding in ENCODINGS:
                for method in ("GET", "HEAD"):
                    headers = {}
                    if accept is not None:
                        headers["Accept"] = accept
                    if encoding is not None:
                        headers["Accept-Encoding"] = encoding
                    named = "format=csv" in path or "output=json" in path
                    yield method, path, headers, path_fast and (accept_fast or named)


def test_the_fast_path_answers_as_the_view_header_by_header(plain: Flask) -> None:
    counting = Counting(plain)
    fast_answers = truncated = gzipped = 0
    try:
        for method, path, headers, fast in requests():
            what = (method, path, headers)
            before = counting.calls
            a = send(plain, method, path, headers)
            assert (counting.calls == before) == fast, what  # who answered
            b = flask_answer(plain, method, path, headers)
            same(a, b, what)
            if fast:
                fast_answers += 1
                assert a.status_code == 200, what
                truncated += a.headers.get("X-Charta-Truncated") == "true"
                gzipped += a.headers.get("Content-Encoding") == "gzip"
        # No query: the service description (its blank nodes differ per answer) or the editor.
        for accept in ("text/turtle", "text/html"):
            before = counting.calls
            assert send(plain, "GET", "/sparql", {"Accept": accept}).status_code == 200
            assert counting.calls == before + 1
    finally:
        counting.undo()
    assert fast_answers > 100 and truncated and gzipped


def test_kept_fast_answers_are_the_views(cached: Flask, plain: Flask) -> None:
    """With the cache, the lean path keeps what the fast path answered and sends it again."""
    counting = Counting(cached)
    try:
        for method in ("GET", "HEAD"):
            for path in (url(SELECT), url(CUT), url(ASK, ("format", "xml"))):
                for encoding in ENCODINGS:
                    headers = {"Accept": "application/sparql-results+json"}
                    if encoding:
                        headers["Accept-Encoding"] = encoding
                    reference = flask_answer(plain, method, path, headers)
                    hits = cached.extensions["charta"].cache.hits
                    same(send(cached, method, path, headers), reference, path)
                    same(send(cached, method, path, headers), reference, path)
                    assert cached.extensions["charta"].cache.hits > hits  # kept and sent
                    # If-None-Match goes to the view (Werkzeug's 304 rules), which agrees
                    conditional = {**headers, "If-None-Match": reference.headers["ETag"]}
                    assert send(cached, method, path, conditional).status_code == 304
    finally:
        counting.undo()
    assert counting.calls == 12  # the conditional requests only


class Failing:
    """The app's store, whose /sparql queries fail with ``error``."""

    def __init__(self, store: Any, error: Exception) -> None:
        self._store = store
        self._error = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def sparql(self, job: QueryJob, timeout: float) -> QueryAnswer:
        raise self._error


@pytest.mark.parametrize(
    "error",
    [
        QueryTimeoutError("stopped after 120 s"),
        QueryMemoryError("the answer grew past 1 MB"),
        QuerySyntaxError("unexpected end"),
        StoreUnavailableError("the worker died"),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize(
    "accept",
    [None, "application/sparql-results+json", "application/sparql-results+json, text/html;q=0.1"],
)
def test_errors_once_the_query_ran_are_the_apps(
    plain: Flask, error: Exception, accept: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store error is answered in the app's request context: the same status,
    Retry-After, negotiated body (an HTML page for a browser) and hooks' headers."""
    state = plain.extensions["charta"]
    monkeypatch.setattr(state, "store", Failing(state.store, error))
    counting = Counting(plain)
    try:
        headers = {"Accept": accept} if accept else {}
        for method in ("GET", "HEAD"):
            a = send(plain, method, url(SELECT), headers)
            assert counting.calls == 0  # answered by the fast path, the query run once
            b = flask_answer(plain, method, url(SELECT), headers)
            counting.calls = 0
            same(a, b, (error, accept))
            assert a.status_code >= 400
    finally:
        counting.undo()


def test_a_full_queue_is_refused_as_by_the_view(
    plain: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Admission stays in force: with no place at all, 503 with Retry-After on both paths."""
    state = plain.extensions["charta"]
    monkeypatch.setattr(state, "admission", Admission(0, 0, 1, 0.0))
    a = send(plain, "GET", url(SELECT), {})
    b = flask_answer(plain, "GET", url(SELECT), {})
    same(a, b, "full")
    assert a.status_code == 503 and a.headers["Retry-After"] == "5"


def test_the_client_text_is_checked_once_in_this_process(
    plain: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view checks the client's text and the store checks the canonical one (a
    second parse); the fast path hands the store the client's text, whose check is
    then the policy's cached answer."""
    from server.sparql import policy

    parses: list[str] = []
    original = policy._check

    def counted(text: str, *args: Any) -> Any:
        parses.append(text)
        return original(text, *args)

    monkeypatch.setattr(policy, "_check", counted)
    # Prefixed and on two lines: the canonical text differs from the client's.
    r = send(plain, "GET", url(PREFIXED + " OFFSET 1"), {})
    assert r.status_code == 200 and len(parses) == 1
    parses.clear()
    r = flask_answer(plain, "GET", url(PREFIXED + " OFFSET 2"), {})
    assert r.status_code == 200 and len(parses) == 2
