"""Browser hardening on every answer: no type sniffing, only our own scripts on pages."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/", "text/html"),
        ("/id/charta", "text/html"),
        ("/sparql", "text/html"),
        ("/search?q=gruen", "text/html"),
        ("/id/gibt-es-nicht", "text/html"),
    ],
)
def test_pages_allow_only_our_own_scripts(client: FlaskClient, path: str, accept: str) -> None:
    r = client.get(path, headers={"Accept": accept})
    csp = r.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "object-src 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    body = r.get_data(as_text=True)
    # Every script element is a file of ours or a data block (JSON, JSON-LD), never inline code.
    for tag in body.split("<script")[1:]:
        head = tag.split(">", 1)[0]
        assert "src=" in head or 'type="application/' in head, head


@pytest.mark.parametrize("path", ["/id/charta.ttl", "/sparql?query=ASK%7B%7D", "/dumps/charta.ttl"])
def test_data_answers_are_not_sniffed(client: FlaskClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in r.headers
