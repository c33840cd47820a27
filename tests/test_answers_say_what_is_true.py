"""Small answers that said more (or other) than was true (issue 23, item 12; issue 25).

Each test failed before its fix: the Host header in a redirect's body, a 503 that
named the store's address, a release endpoint whose CORS preflight refused POST,
conditional requests whose preconditions were ignored, and a release endpoint's
service description counting the current data instead of the release's.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from server.config import Config
from server.web.app import create_app
from tests.conftest import ROOT, free_port


def test_a_redirect_does_not_reflect_the_host_header(client: FlaskClient) -> None:
    r = client.get("/id//charta", headers={"Host": "evil.example"})
    assert r.status_code == 308
    assert r.headers["Location"] == "/id/charta"
    assert b"evil.example" not in r.data
    assert b'href="/id/charta"' in r.data


def test_a_503_does_not_name_the_stores_address() -> None:
    store_url = f"http://127.0.0.1:{free_port()}/private-store/query"
    client = create_app(
        Config(root=ROOT, testing=True, store_url=store_url, remote_timeout_s=2).validated()
    ).test_client()
    for path in ("/id/charta", "/sparql?query=ASK%20%7B%7D"):
        r = client.get(path, headers={"Accept": "text/plain"})
        assert r.status_code == 503, path
        text = r.get_data(as_text=True)
        assert "unavailable" in text
        assert "private-store" not in text and "127.0.0.1" not in text, text


def test_the_release_endpoint_allows_post_from_any_origin(client: FlaskClient) -> None:
    for path in ("/sparql", "/version/1.0.0/sparql"):
        r = client.options(
            path,
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        )
        assert r.status_code in (200, 204), path
        assert "POST" in r.headers["Access-Control-Allow-Methods"], path
        assert r.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/id/charta", "/id/katalog", "/version/1.0.0/id/charta"])
def test_if_match_and_if_unmodified_since_are_honoured(client: FlaskClient, path: str) -> None:
    turtle = {"Accept": "text/turtle"}
    first = client.get(path, headers=turtle)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(path, headers={**turtle, "If-Match": etag}).status_code == 200
    assert client.get(path, headers={**turtle, "If-Match": "*"}).status_code == 200
    stale = client.get(path, headers={**turtle, "If-Match": '"not-this-one"'})
    assert stale.status_code == 412 and b"If-Match" in stale.data
    assert client.get(path, headers={**turtle, "If-Unmodified-Since": modified}).status_code == 200
    early = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(path, headers={**turtle, "If-Unmodified-Since": early}).status_code == 412


def test_a_release_endpoints_description_counts_the_releases_triples(
    client: FlaskClient,
) -> None:
    frozen = (ROOT / "releases" / "1.0.0" / "dumps" / "charta.nt").read_bytes()
    in_release = len(set(line for line in frozen.splitlines() if line.strip()))
    current = client.get("/sparql", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    at_release = client.get("/version/1.0.0/sparql", headers={"Accept": "text/turtle"})
    counts = re.findall(r"void:triples (\d+)", at_release.get_data(as_text=True))
    assert counts == [str(in_release)], counts
    assert re.findall(r"void:triples (\d+)", current) != counts  # the data has grown since
