"""The one SPARQL protocol client (server/sparql/client.py): requests, answers and failures.

The remote store and ``charta load`` both talk to a SPARQL server through it;
SPARQLWrapper is a test client only (tests/clients, tests/test_sparql_live.py).
"""

from __future__ import annotations

import http.server
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pyoxigraph as ox
import pytest

from server.cli import _reason
from server.pipeline.load import load
from server.sparql import QuerySyntaxError, QueryTimeoutError, StoreUnavailableError
from server.sparql.client import (
    NTRIPLES,
    RESULTS_JSON,
    ServerError,
    SparqlClient,
    UnreachableError,
    default_update_url,
)
from tests import servers
from tests.conftest import NS, ROOT, free_port

SERVER = Path(__file__).resolve().parents[2] / "server"
ANSWER = json.dumps(
    {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": "urn:a"}}]}}
).encode()


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request with :data:`ANSWER` (or ``status``) and keeps what it got."""

    seen: ClassVar[list[dict[str, object]]] = []
    status = 200
    body = ANSWER

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length).decode() if length else ""
        self.seen.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers),
                "form": urllib.parse.parse_qs(data),
            }
        )
        self.send_response(self.status)
        self.send_header("Content-Type", "application/sparql-results+json; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, type[Recorder]]]:
    handler = type("Handler", (Recorder,), {"seen": [], "status": 200, "body": ANSWER})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}/sparql?tenant=1", handler
    srv.shutdown()
    srv.server_close()


def test_a_query_is_a_form_post_with_its_dataset_and_accept(
    recorder: tuple[str, type[Recorder]],
) -> None:
    url, handler = recorder
    client = SparqlClient(url)
    body, ctype = client.read("SELECT ?s {}", RESULTS_JSON, 5, ["urn:g1"], ["urn:g2", "urn:g3"])
    assert body == ANSWER and ctype == RESULTS_JSON
    (seen,) = handler.seen
    assert seen["method"] == "POST" and seen["path"] == "/sparql?tenant=1"
    headers = seen["headers"]
    assert isinstance(headers, dict)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Accept"] == RESULTS_JSON and headers["User-Agent"] == "charta"
    assert seen["form"] == {
        "query": ["SELECT ?s {}"],
        "default-graph-uri": ["urn:g1"],
        "named-graph-uri": ["urn:g2", "urn:g3"],
    }


def test_a_query_by_get_keeps_the_endpoints_own_parameters(
    recorder: tuple[str, type[Recorder]],
) -> None:
    url, handler = recorder
    body, _ = SparqlClient(url).read("ASK {}", RESULTS_JSON, 5, ["urn:g"], method="GET")
    assert body == ANSWER
    (seen,) = handler.seen
    path = str(seen["path"])
    assert seen["method"] == "GET" and path.startswith("/sparql?tenant=1&")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(path).query) == {
        "tenant": ["1"],
        "query": ["ASK {}"],
        "default-graph-uri": ["urn:g"],
    }
    with pytest.raises(ValueError):
        SparqlClient(url).read("ASK {}", RESULTS_JSON, 5, method="PUT")


def test_an_update_is_a_form_post_to_the_update_url(
    recorder: tuple[str, type[Recorder]],
) -> None:
    url, handler = recorder
    SparqlClient("http://127.0.0.1:9/query", url).update("CLEAR SILENT GRAPH <urn:g>", 5)
    (seen,) = handler.seen
    assert seen["method"] == "POST" and seen["form"] == {"update": ["CLEAR SILENT GRAPH <urn:g>"]}


def test_update_urls() -> None:
    assert default_update_url("http://h:7878/query") == "http://h:7878/update"
    assert default_update_url("http://h:7878/query/") == "http://h:7878/update"
    assert default_update_url("http://h:8890/sparql") == "http://h:8890/sparql"
    assert SparqlClient("http://h/query").update_url == "http://h/update"
    for bad in ("ftp://h/query", "http:///query", "h/query"):
        with pytest.raises(ValueError, match="not an http"):
            SparqlClient(bad)


@pytest.mark.parametrize("status", [400, 500, 503])
def test_error_answers_map_to_the_stores_errors(
    recorder: tuple[str, type[Recorder]], status: int
) -> None:
    url, handler = recorder
    handler.status, handler.body = status, b"Parse error at 1:7 (the server's own words)"
    client = SparqlClient(url)
    if status == 400:
        with pytest.raises(QuerySyntaxError, match="Parse error at 1:7"):
            client.read("SELEC", RESULTS_JSON, 5)
    else:
        with pytest.raises(ServerError) as err:
            client.read("SELECT * {}", RESULTS_JSON, 5)
        # A query's error names the status only; the server's words go to the log.
        assert str(err.value) == f"the store answered {status}" and err.value.status == status
        assert "own words" in err.value.detail
    with pytest.raises(ServerError, match=rf"refused the update \({status}\): Parse error"):
        client.update("DROP GRAPH <urn:g>", 5)


def test_an_unreachable_server_says_why_and_load_says_it_in_words() -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(UnreachableError) as err:
        SparqlClient(url).read("ASK {}", RESULTS_JSON, 5)
    assert isinstance(err.value, StoreUnavailableError)
    assert isinstance(err.value.reason, ConnectionRefusedError)
    with pytest.raises(UnreachableError) as err:
        load(ROOT, NS, url, None)
    assert _reason(err.value).startswith("cannot reach the server (Connection refused)")


@pytest.fixture
def silent() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/query"
    stop.set()
    for conn in held:
        conn.close()
    srv.close()


def test_a_silent_server_is_a_timeout_at_the_deadline(silent: str) -> None:
    client = SparqlClient(silent)
    for call in (
        lambda: client.read("ASK {}", RESULTS_JSON, 0.5),
        lambda: client.update("CLEAR ALL", 0.5),
    ):
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError):
            call()
        assert time.monotonic() - started < 2


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Oxigraph server of this module's own, loaded by ``charta load``."""
    server = servers.start_on_fresh_ports(
        lambda: servers.oxigraph(tmp_path_factory.mktemp("client"), free_port())
    )
    load(ROOT, NS, server.query_url, None)
    yield server.query_url
    server.stop()


@pytest.mark.remote
def test_post_and_get_answer_alike_on_a_real_server(oxigraph: str) -> None:
    client = SparqlClient(oxigraph)
    graph = [f"{NS}graph/charta"]
    query = f"SELECT ?o WHERE {{ <{NS}id/charta> ?p ?o }} ORDER BY ?o"
    posted, _ = client.read(query, RESULTS_JSON, 10, graph)
    got, _ = client.read(query, RESULTS_JSON, 10, graph, method="GET")
    assert posted == got and len(json.loads(posted)["results"]["bindings"]) > 5
    triples, ctype = client.read(f"DESCRIBE <{NS}id/charta>", NTRIPLES, 10, graph)
    assert ctype == NTRIPLES and len(list(ox.parse(triples, format=ox.RdfFormat.N_TRIPLES))) > 5
    with pytest.raises(QuerySyntaxError):
        client.read("SELECT WHERE", RESULTS_JSON, 10)


@pytest.mark.remote
def test_the_byte_cap_cuts_and_says_so(oxigraph: str) -> None:
    body, _ = SparqlClient(oxigraph).open(
        "SELECT * WHERE { ?s ?p ?o }", RESULTS_JSON, 10, [f"{NS}graph/charta"], cap=1000
    )
    try:
        data = body.read()
    finally:
        body.close()
    assert len(data) == 1000 and body.cut


@pytest.mark.remote
def test_load_writes_through_the_client_and_leaves_no_temporary_graph(oxigraph: str) -> None:
    client = SparqlClient(oxigraph)
    client.update(
        f"INSERT DATA {{ GRAPH <{NS}graph/charta-loading-old> {{ <urn:a> <urn:b> 1 }} }}", 10
    )
    result = load(ROOT, NS, oxigraph, None)
    body, _ = client.read("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", RESULTS_JSON, 10)
    graphs = {r["g"]["value"] for r in json.loads(body)["results"]["bindings"]}
    assert f"{NS}graph/charta" in graphs and f"{NS}graph/meta" in graphs
    assert not [g for g in graphs if "-loading-" in g]
    body, _ = client.read(
        f"SELECT ?v WHERE {{ GRAPH <{NS}graph/meta> {{ ?g <{NS}ontology#version> ?v }} }}",
        RESULTS_JSON,
        10,
    )
    (row,) = json.loads(body)["results"]["bindings"]
    assert row["v"]["value"] == result.version


def test_no_module_of_the_server_uses_another_sparql_client() -> None:
    """One client for every remote use: SPARQLWrapper (and urllib for SPARQL) is for tests."""
    used = [
        str(path.relative_to(SERVER))
        for path in SERVER.rglob("*.py")
        if re.search(r"^\s*(from|import)\s+SPARQLWrapper", path.read_text(), re.MULTILINE)
    ]
    assert used == []
