"""Releases behind a remote store: 'charta load' puts each release into the graph its IRI
names, and the same Memento and release-endpoint answers come from Oxigraph server and
Virtuoso as from the embedded store."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from server.pipeline.load import load
from server.web.app import create_app
from tests import servers
from tests.conftest import NS, free_port, start_virtuoso
from tests.test_releases import NEW_LABEL, OLD_LABEL, two_releases
from tests.test_releases import _labels as labels_at

pytestmark = pytest.mark.remote


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlaskClient]:
    project = two_releases(tmp_path_factory.mktemp("remote-releases"))
    root = project["root"]
    assert isinstance(root, Path)
    work = tmp_path_factory.mktemp(request.param)
    if request.param == "oxigraph":
        server = servers.start_on_fresh_ports(lambda: servers.oxigraph(work, free_port()))
    else:
        server = start_virtuoso(work)
    load(root, NS, server.query_url, None)
    config = dataclasses.replace(project["config"], store_url=server.query_url)  # type: ignore[type-var]
    yield create_app(config).test_client()
    server.stop()


def test_each_release_answers_from_its_own_graph(client: FlaskClient) -> None:
    assert labels_at(client, "/sparql") == [NEW_LABEL]
    assert labels_at(client, "/version/1.0/sparql") == [OLD_LABEL]
    assert labels_at(client, "/version/2.0/sparql") == [NEW_LABEL]


def test_mementos_and_timemap_from_the_remote_store(client: FlaskClient) -> None:
    old = client.get("/version/1.0/id/charta.ttl").get_data(as_text=True)
    assert OLD_LABEL in old and NEW_LABEL not in old
    timemap = client.get("/timemap/id/charta").get_data(as_text=True)
    assert timemap.count('rel="') == 5  # original, self, timegate, two mementos
    gate = client.get(
        "/timegate/id/charta", headers={"Accept-Datetime": "Sat, 01 Aug 2026 00:00:00 GMT"}
    )
    assert gate.status_code == 302
    assert gate.headers["Location"] == "/version/1.0/id/charta"


def test_a_killed_loads_release_graph_is_never_readable(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A killed 'charta load' leaves <release>-loading-<version> beside each release's graph;
    its name starts like a release's, and the prefix check let default-graph-uri,
    named-graph-uri and FROM read it (the version is in the public ETag)."""
    import urllib.parse

    from tests.store.test_remote import _update

    project = two_releases(tmp_path_factory.mktemp("killed-load"))
    root = project["root"]
    assert isinstance(root, Path)
    server = servers.start_on_fresh_ports(
        lambda: servers.oxigraph(tmp_path_factory.mktemp("ox"), free_port())
    )
    try:
        load(root, NS, server.query_url, None)
        config = dataclasses.replace(project["config"], store_url=server.query_url)  # type: ignore[type-var]
        client = create_app(config).test_client()
        etag = client.get("/id/charta.ttl").headers["ETag"].strip('"')
        version = etag.split("-", 1)[0]
        leftover = f"{NS}id/version/1.0-loading-{version}"
        _update(server, f"INSERT DATA {{ GRAPH <{leftover}> {{ <urn:x> <urn:y> 'secret' }} }}")
        accept = {"Accept": "application/sparql-results+json"}
        probes = [
            {"query": "SELECT ?o WHERE { ?s ?p ?o }", "default-graph-uri": leftover},
            {"query": "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": leftover},
            {"query": f"SELECT ?o FROM <{leftover}> WHERE {{ ?s ?p ?o }}"},
            {"query": f"SELECT ?o FROM NAMED <{leftover}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"},
        ]
        for endpoint in ("/sparql", "/version/1.0/sparql"):
            for params in probes:
                r = client.get(endpoint + "?" + urllib.parse.urlencode(params), headers=accept)
                assert r.status_code in (200, 400, 403), (endpoint, params, r.status_code)
                assert b"secret" not in r.data, (endpoint, params)
        published = {"query": "SELECT ?o WHERE { ?s ?p ?o } LIMIT 1"}
        published["default-graph-uri"] = f"{NS}id/version/1.0"
        r = client.get("/sparql?" + urllib.parse.urlencode(published), headers=accept)
        assert r.status_code == 200 and r.get_json()["results"]["bindings"]  # a release is
    finally:
        server.stop()
