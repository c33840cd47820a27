"""The answer cache: bounded, least recently used first, never stale across versions."""

from __future__ import annotations

from server.cache import AnswerCache


def test_keeps_recent_and_drops_least_recently_used() -> None:
    cache: AnswerCache[bytes] = AnswerCache(800, len)
    for i in range(8):
        cache.put(("v1", i), b"x" * 100)
    assert cache.get(("v1", 0)) is not None  # touched: now the most recent
    cache.put(("v1", 8), b"x" * 100)
    assert cache.get(("v1", 1)) is None
    assert cache.get(("v1", 0)) is not None
    assert cache.bytes <= 800


def test_huge_answers_are_not_cached() -> None:
    cache: AnswerCache[bytes] = AnswerCache(800, len)
    cache.put("small", b"x")
    cache.put("huge", b"x" * 500)
    assert cache.get("huge") is None
    assert cache.get("small") == b"x"


def test_zero_bytes_disables_it() -> None:
    cache: AnswerCache[bytes] = AnswerCache(0, len)
    cache.put("k", b"")
    assert cache.get("k") is None


def test_cached_answers_are_the_same_bytes_and_follow_the_data_version() -> None:
    from server.app import create_app
    from server.config import Config
    from tests.conftest import ROOT

    app = create_app(Config(root=ROOT, testing=True).validated())
    cache = app.extensions["charta"].cache
    client = app.test_client()
    query = {"query": "SELECT ?s WHERE { ?s a ?c } ORDER BY ?s LIMIT 3"}
    for path, kwargs in (
        ("/id/charta.ttl", {}),
        ("/id/charta", {"headers": {"Accept": "text/html"}}),
        ("/sparql", {"query_string": query}),
    ):
        first = client.get(path, **kwargs)
        hits = cache.hits
        again = client.get(path, **kwargs)
        assert cache.hits == hits + 1, path
        assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    store = app.extensions["charta"].store
    store.version = "another-version"  # as after a reload: nothing old may be served
    hits = cache.hits
    r = client.get("/id/charta.ttl")
    assert cache.hits == hits and "another-version" in r.headers["ETag"]
