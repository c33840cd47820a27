"""Caches and clients cannot be misled by our headers (issue 13, findings 8 and 9).

Each test is one case a hostile or merely unusual client found: an answer that
depends on a header but does not say so in ``Vary``, ``Accept-Encoding`` read
without its q-values, a compressed body under the plain body's ETag, ``Range``
headers RFC 9110 says to ignore answered 416, error bodies that are not
well-formed in their own format, and an answer carrying the ``Host`` header
back. Run on the embedded store and on a real Oxigraph server behind
``--store``. (The service description's ``sd:endpoint`` from ``Host`` is fixed
and tested with /sparql.)
"""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET

import pytest
import rdflib
from flask.testing import FlaskClient
from werkzeug.datastructures import Headers
from werkzeug.http import http_date, parse_date
from werkzeug.test import TestResponse

from server.web.errors import _rdf_error


def vary(headers: Headers) -> set[str]:
    return {v.strip().lower() for v in headers.get("Vary", "").split(",") if v.strip()}


# --- Vary names what the language depends on -----------------------------------

#: Every kind of answer whose language follows the cookie or Accept-Language.
LANGUAGE_PAGES = [
    ("/search.json?q=gruen", "application/json"),
    ("/search?q=gruen", "text/html"),
    ("/", "text/html"),
    ("/ontology.html", "text/html"),
    ("/id/charta.html", "text/html"),
    ("/sparql", "text/html"),  # the SPARQL editor
]


def test_every_answer_whose_language_is_negotiated_varies_on_it(client: FlaskClient) -> None:
    """/search.json, the vocabulary page and the SPARQL editor said nothing of it."""
    for path, accept in LANGUAGE_PAGES:
        de = client.get(path, headers={"Accept": accept, "Accept-Language": "de"})
        en = client.get(path, headers={"Accept": accept, "Accept-Language": "en"})
        assert de.status_code == en.status_code == 200, path
        assert {"accept-language", "cookie"} <= vary(de.headers), (path, de.headers.get("Vary"))
        if "ETag" in de.headers:  # the two languages are two representations
            assert de.headers["ETag"] != en.headers["ETag"], path
            again = client.get(
                path,
                headers={
                    "Accept": accept,
                    "Accept-Language": "de",
                    "If-None-Match": de.headers["ETag"],
                },
            )
            assert again.status_code == 304, path
            assert {"accept-language", "cookie"} <= vary(again.headers), path  # RFC 9110 §15.4.5
    english = client.get("/search.json?q=gruen", headers={"Accept-Language": "en"})
    client.set_cookie("lang", "en")
    by_cookie = client.get("/search.json?q=gruen", headers={"Accept-Language": "de"})
    assert by_cookie.headers["ETag"] == english.headers["ETag"]  # the cookie chose English
    assert {"accept-language", "cookie"} <= vary(by_cookie.headers)
    for path in ("/id/charta.ttl", "/ontology.ttl"):  # RDF holds every language: no variants
        assert "cookie" not in vary(client.get(path, headers={"Accept-Language": "en"}).headers)


# --- Accept-Encoding with q-values, and an ETag per coding ----------------------

BIG = "/id/charta.ttl"  # over 1 KiB, so it is compressed on request


@pytest.mark.parametrize(
    "accept_encoding",
    [
        "gzip;q=0",
        "x-gzip;q=0, GZIP;Q=0",
        "gzip;q=0, *",
        "gzip;q=0, deflate",
        "gzip;q=0.5, identity",  # identity preferred
        "identity;q=0, gzip;q=0",  # nothing acceptable: identity anyway, not 406
    ],
)
def test_gzip_refused_by_q_value_is_not_sent(client: FlaskClient, accept_encoding: str) -> None:
    r = client.get(BIG, headers={"Accept-Encoding": accept_encoding})
    assert r.status_code == 200
    assert "Content-Encoding" not in r.headers, accept_encoding
    rdflib.Graph().parse(data=r.data, format="turtle")
    assert "accept-encoding" in vary(r.headers)


@pytest.mark.parametrize("accept_encoding", ["*", "br;q=1, *;q=0.5", "identity;q=0, *"])
def test_gzip_allowed_by_a_wildcard_or_preference_is_sent(
    client: FlaskClient, accept_encoding: str
) -> None:
    r = client.get(BIG, headers={"Accept-Encoding": accept_encoding})
    assert r.headers.get("Content-Encoding") == "gzip", accept_encoding
    rdflib.Graph().parse(data=gzip.decompress(r.data), format="turtle")


@pytest.mark.parametrize("path", [BIG, "/search.json?q=e&limit=50", "/dumps/charta.ttl"])
def test_the_gzipped_body_has_its_own_strong_etag(client: FlaskClient, path: str) -> None:
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    tag = plain.headers["ETag"]
    assert tag.startswith('"') and zipped.headers["ETag"] == tag[:-1] + '-gzip"'
    assert gzip.decompress(zipped.data) == plain.data

    def get(encoding: str, if_none_match: str) -> TestResponse:
        return client.get(
            path, headers={"Accept-Encoding": encoding, "If-None-Match": if_none_match}
        )

    # If-None-Match is compared with the ETag of the body this request would get.
    assert get("gzip", zipped.headers["ETag"]).status_code == 304
    assert get("identity", tag).status_code == 304
    fresh = get("gzip", tag)
    assert fresh.status_code == 200 and gzip.decompress(fresh.data) == plain.data
    other = get("identity", zipped.headers["ETag"])
    assert other.status_code == 200 and other.data == plain.data
    assert "Content-Encoding" not in other.headers
    not_modified = get("gzip", zipped.headers["ETag"])
    assert not_modified.headers["ETag"] == zipped.headers["ETag"]
    assert "accept-encoding" in vary(not_modified.headers)


# --- Range as RFC 9110 §14 says -------------------------------------------------

DUMP = "/dumps/charta.ttl"


@pytest.mark.parametrize(
    "value",
    [
        "bytes=0-1,5-9",  # several ranges
        "bytes=0-1, 0-1",
        "bytes=0-1,-5",
        "items=0-5",  # another unit
        "pages=1",
        "bytes=abc",  # bad syntax
        "bytes=5-2",  # last before first: invalid, so ignored
        "bytes 0-5",
        "bytes=",
        "=0-5",
    ],
)
def test_a_range_header_to_ignore_gets_the_whole_body(client: FlaskClient, value: str) -> None:
    full = client.get(DUMP)
    r = client.get(DUMP, headers={"Range": value})
    assert r.status_code == 200, value
    assert r.data == full.data and "Content-Range" not in r.headers
    assert r.headers["Accept-Ranges"] == "bytes"


def test_one_bytes_range_is_served_and_only_an_unsatisfiable_one_is_416(
    client: FlaskClient,
) -> None:
    full = client.get(DUMP)
    n = len(full.data)
    suffix = client.get(DUMP, headers={"Range": f"bytes=-{10 * n}"})  # longer than the body
    assert suffix.status_code == 206 and suffix.data == full.data
    assert suffix.headers["Content-Range"] == f"bytes 0-{n - 1}/{n}"
    tail = client.get(DUMP, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == full.data[-10:]
    past_end = client.get(DUMP, headers={"Range": f"bytes=10-{10 * n}"})
    assert past_end.status_code == 206 and past_end.data == full.data[10:]
    head = client.head(DUMP, headers={"Range": "bytes=0-9"})
    assert head.status_code == 206 and head.headers["Content-Length"] == "10"
    for value in (f"bytes={n}-", f"bytes={n}-{n + 10}"):
        beyond = client.get(DUMP, headers={"Range": value})
        assert beyond.status_code == 416, value
        assert beyond.headers["Content-Range"] == f"bytes */{n}"


def test_if_range_needs_this_strong_etag_or_exactly_this_date(client: FlaskClient) -> None:
    full = client.get(DUMP)
    etag, modified = full.headers["ETag"], full.headers["Last-Modified"]
    later = http_date(parse_date(modified).timestamp() + 3600)  # type: ignore[union-attr]

    def ranged(if_range: str) -> TestResponse:
        return client.get(DUMP, headers={"Range": "bytes=0-9", "If-Range": if_range})

    for holds in (etag, modified):
        r = ranged(holds)
        assert r.status_code == 206 and r.data == full.data[:10], holds
    for fails in ("W/" + etag, '"an-older-version"', later):
        r = ranged(fails)
        assert r.status_code == 200 and r.data == full.data, fails


# --- Error bodies are well-formed in their format --------------------------------

PARSE = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}

#: Paths whose 404 message repeats what the client sent: hyphen runs (an XML
#: comment may not hold '--'), quotes, '-->', non-ASCII, escapes.
HOSTILE_PATHS = [
    "/id/a---b",
    "/id/gr%C3%BCn--fl%C3%A4che-",
    "/id/--",
    "/ontology/x%22--%3E%3C!--%0A%0D%E2%80%A8%C3%BC-",
    "/dumps/a---%3E'%22%5C",
    "/dumps/%E2%80%94-%00-",
    "/nichts/hier%0A--",
]


def _well_formed(body: bytes, media_type: str) -> None:
    if media_type == "application/rdf+xml":
        root = ET.fromstring(body)
        assert root.tag == "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"
    if media_type == "application/ld+json":
        assert json.loads(body)["@graph"] == []
    graph = rdflib.Graph().parse(data=body, format=PARSE[media_type])
    assert len(graph) == 0


def test_every_404_body_parses_in_its_format(client: FlaskClient) -> None:
    for path in HOSTILE_PATHS:
        for media_type in PARSE:
            r = client.get(path, headers={"Accept": media_type})
            assert r.status_code == 404, path
            assert r.mimetype == media_type
            try:
                _well_formed(r.data, media_type)
            except Exception as exc:
                raise AssertionError(f"{path} as {media_type}: {exc}\n{r.data!r}") from exc


#: Messages a future view may build from the request.
HOSTILE_TEXTS = [
    "a---b",
    "ends with -",
    "--> <!-- ]]> <![CDATA[",
    'quotes " and \' and \\" and <tags> & amp',
    "line\nbreak\r\nand\rcarriage return",
    "separators\u2028\u2029\x85 and \x0b\x0c",
    "nul\x00 and bell\x07 and \ufffe\uffff",
    "Grünfläche — ökologisch 🌳",
    "lone surrogate \ud800",
    "# not a comment start\n<x> <y> <z> .",
]


def test_error_bodies_are_well_formed_whatever_the_message() -> None:
    """Nothing in a message breaks the body: CR ended the Turtle comment, '--' the XML one."""
    for text in HOSTILE_TEXTS:
        for media_type in PARSE:
            resp = _rdf_error(404, f"404 Not Found: {text}", media_type)
            assert resp is not None
            try:
                _well_formed(resp.get_data(), media_type)
            except Exception as exc:
                raise AssertionError(
                    f"{text!r} as {media_type}: {exc}\n{resp.get_data()!r}"
                ) from exc


# --- Nothing from the Host header ---------------------------------------------

#: What caches keep for a while: pages, data, the harvesters' files, search.
CACHED_PATHS = [
    "/",
    "/id/charta.ttl",
    "/id/charta.html",
    "/id/katalog.ttl",
    "/.well-known/void",
    "/ontology.ttl",
    "/context.jsonld",
    "/sitemap.xml",
    "/robots.txt",
    "/dumps/SHA256SUMS",
    "/search.json?q=gruen",
    "/search?q=gruen",
]


def test_no_answer_carries_the_host_header_back(client: FlaskClient) -> None:
    """Werkzeug's merged-slash redirect (308, cacheable) named the client's Host."""
    host = {"Host": "evil.example:8443", "X-Forwarded-Host": "evil.example"}
    for path in ("/id//charta", "/id//leitthema//klimaangepasste-metropole-ruhr"):
        r = client.get(path, headers=host)
        assert r.status_code == 308, path
        assert r.headers["Location"] == path.replace("//", "/"), r.headers["Location"]
    for path in CACHED_PATHS:
        r = client.get(path, headers=host)
        assert r.status_code == 200, path
        assert b"evil.example" not in r.data, path
        assert "evil.example" not in str(r.headers), path


def test_the_service_description_names_the_configured_endpoint_not_host(
    client: FlaskClient,
) -> None:
    """It is sent ``public, max-age=300``: a forged Host must not reach a cache through it."""
    r = client.get("/sparql", headers={"Accept": "text/turtle", "Host": "evil.example"})
    assert r.status_code == 200
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    endpoints = {str(o) for o in g.objects(None, sd.endpoint)}
    assert endpoints and not any("evil.example" in e for e in endpoints), endpoints
    assert b"evil.example" not in r.data


def test_a_post_without_a_query_is_400_not_the_service_description(client: FlaskClient) -> None:
    """A broken chunked form reaches the app as an empty form; it answered 200 with the
    service description, as if the client had asked for it."""
    for kwargs in (
        {"data": {}, "content_type": "application/x-www-form-urlencoded"},
        {"data": "", "content_type": "application/x-www-form-urlencoded"},
        {"data": {"format": "json"}, "content_type": "application/x-www-form-urlencoded"},
    ):
        r = client.post("/sparql", **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 400, r.data
        assert b"No query" in r.data


# --- Header limits (issue 23, finding 2) ---------------------------------------
# A 400 KB Accept cost about 2 s of CPU on the 406 path (parsed twice; granian took
# heads up to 408 KB): ten such clients took GET / to p95 7.5 s embedded, 10 s
# remote. Now one header may have CHARTA_MAX_HEADER_BYTES (8 KiB), all of them
# CHARTA_MAX_HEADERS_BYTES (32 KiB), and granian reads no head over 97 KiB.


def _raw(port: int, head: bytes) -> bytes:
    """Send a request head on a new connection; everything the server answers."""
    import socket
    from contextlib import suppress

    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with suppress(ConnectionResetError, BrokenPipeError):
            s.sendall(head)
        data = b""
        with suppress(TimeoutError, ConnectionResetError):
            while chunk := s.recv(65536):
                data += chunk
    return data


@pytest.mark.live
@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({"Accept": "text/x-" + "a" * 9000}, b"Accept"),
        ({"X-Padding": "b" * 8200}, b"X-Padding"),
        ({f"X-Pad-{n}": "c" * 5000 for n in range(8)}, b"together"),
    ],
    ids=["accept-9k", "one-header-8k", "eight-of-5k"],
)
def test_oversized_headers_get_431_with_a_reason(served, headers, says) -> None:  # type: ignore[no-untyped-def]
    answer = served.request("GET", "/id/charta", headers=headers)
    assert answer.status == 431, (answer.status, answer.body[:200])
    assert says.decode() in answer.body
    served.assert_healthy()


@pytest.mark.live
def test_a_400_kb_accept_is_refused_by_granian_before_any_parser(served) -> None:  # type: ignore[no-untyped-def]
    accept = ",".join(f"text/x-{n}" for n in range(40_000)).encode()  # ~400 KB
    answer = _raw(
        served.port, b"GET /id/charta HTTP/1.1\r\nHost: x\r\nAccept: " + accept + b"\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    served.assert_healthy()


@pytest.mark.live
def test_a_long_get_query_within_the_url_limit_is_still_read(served) -> None:  # type: ignore[no-untyped-def]
    """The head buffer leaves room for the longest URL granian takes (64 KiB): a GET
    query of 40 KB with ordinary headers is answered, not 431."""
    query = "ASK { " + " ".join(f"FILTER(?x{n} != 1)" for n in range(1)) + " }" + " " * 40_000
    answer = served.sparql(query, "get", accept="application/sparql-results+json")
    assert answer.status == 200, answer.body[:200]


@pytest.mark.live
def test_headers_within_the_limits_are_answered(served) -> None:  # type: ignore[no-untyped-def]
    headers = {"Accept": "text/turtle;q=0.9," + ",".join(f"x/y{n}" for n in range(600))}
    headers.update({f"X-Pad-{n}": "d" * 5000 for n in range(4)})
    answer = served.request("GET", "/id/charta", headers=headers)
    kind = {k.lower(): v for k, v in answer.headers.items()}["content-type"]
    assert answer.status == 200 and kind.startswith("text/turtle")


def test_accept_is_parsed_once_for_every_offer_and_cut(client: FlaskClient) -> None:
    """The 406 path matched the header twice (the view, then the error page) with a
    parse each; now one parse, of at most MAX_ACCEPT_ENTRIES entries, serves both."""
    from unittest import mock

    from server.web import negotiation

    accept = ",".join(f"text/x-once-{n}" for n in range(300))  # 5 KB, under the limit
    negotiation.parsed_accept.cache_clear()
    negotiation.best_match.cache_clear()
    real = negotiation.parse_accept_header
    with mock.patch.object(negotiation, "parse_accept_header", wraps=real) as parse:
        assert client.get("/id/charta", headers={"Accept": accept}).status_code == 406
        calls = [c for c in parse.call_args_list if "text/x-once-" in str(c.args[0])]
    assert len(calls) == 1
    assert calls[0].args[0].count(",") < negotiation.MAX_ACCEPT_ENTRIES
