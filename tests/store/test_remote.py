"""The remote store against real servers: faults, recovery, atomic reloads, the CLI, workers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import cli
from server.config import Config
from server.pipeline.load import load
from server.sparql import remote
from server.web.app import create_app
from tests import servers
from tests.conftest import NS, ROOT, free_port

pytestmark = pytest.mark.remote


@pytest.fixture
def own_oxigraph(tmp_path: Path) -> Iterator[servers.ServerProcess]:
    """A server of this test's own, which the test may stop and restart."""
    server = servers.oxigraph(tmp_path, free_port()).start()
    load(ROOT, NS, server.query_url, None)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the version on every request so the tests see a reload at once."""
    monkeypatch.setattr(remote, "VERSION_TTL_S", 0.0)


def test_store_down_gives_503_then_recovers_by_itself(own_oxigraph: servers.ServerProcess) -> None:
    app = create_app(
        Config(root=ROOT, store_url=own_oxigraph.query_url, remote_timeout_s=2).validated()
    )
    client = app.test_client()
    assert client.get("/id/charta", headers={"Accept": "text/turtle"}).status_code == 200
    own_oxigraph.stop()
    started = time.monotonic()
    r = client.get("/id/charta", headers={"Accept": "text/html"})
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert "unavailable" in r.get_data(as_text=True)
    assert time.monotonic() - started < 10  # answered, not hung (bound only against hanging)
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 503
    own_oxigraph.start()
    r = client.get("/id/charta", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and b"Charta" in r.data


@pytest.fixture
def silent_store() -> Iterator[str]:
    """A port that accepts connections and never answers: a store that hangs."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/query"
    stop.set()
    t.join(2)
    for c in held:
        c.close()
    srv.close()


def test_slow_store_gives_504_within_the_timeout(silent_store: str) -> None:
    app = create_app(Config(root=ROOT, store_url=silent_store, remote_timeout_s=1).validated())
    r = app.test_client().get("/id/charta", headers={"Accept": "text/turtle"})
    assert r.status_code == 504
    assert r.headers["Retry-After"] == "5"
    assert b"too slow" in r.data


def test_load_replaces_the_data_and_the_etag_follows(
    own_oxigraph: servers.ServerProcess, tmp_path: Path
) -> None:
    app = create_app(Config(root=ROOT, store_url=own_oxigraph.query_url).validated())
    client = app.test_client()
    before = client.get("/id/charta.ttl")
    project = tmp_path / "project"
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / name, project / name)
    charta = project / "data" / "charta.ttl"
    charta.write_text(
        charta.read_text().replace(
            '"Leitbild und Richtschnur der Region',
            '"Neu geladen: Leitbild und Richtschnur der Region',
        )
    )
    load(project, NS, own_oxigraph.query_url, None)
    after = client.get("/id/charta.ttl")
    assert b"Neu geladen" in after.data and b"Neu geladen" not in before.data
    assert after.headers["ETag"] != before.headers["ETag"]
    count = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    n = int(count.get_json()["results"]["bindings"][0]["n"]["value"])
    assert n == len(list(app.extensions["charta"].store.triples()))  # no leftovers of the old load


def test_cli_load_refuses_bad_data_and_reports_unreachable_servers(
    project_copy: Path, monkeypatch
) -> None:
    shutil.copy(
        ROOT / "tests" / "fixtures" / "defects" / "missing_source.ttl",
        project_copy / "data" / "bad.ttl",
    )
    monkeypatch.setenv("CHARTA_ROOT", str(project_copy))
    bad = CliRunner().invoke(cli, ["load", "--store", "http://127.0.0.1:9/query"])
    assert bad.exit_code == 1 and "not loaded: 1 violations" in bad.output
    monkeypatch.setenv("CHARTA_ROOT", str(ROOT))
    down = CliRunner().invoke(cli, ["load", "--store", f"http://127.0.0.1:{free_port()}/query"])
    assert (
        down.exit_code == 2
        and "load failed: cannot reach the server (Connection refused)" in down.output
    )


def test_cli_load_and_query(own_oxigraph: servers.ServerProcess) -> None:
    out = CliRunner().invoke(cli, ["load", "--store", own_oxigraph.query_url])
    assert out.exit_code == 0 and "loaded" in out.output
    q = CliRunner().invoke(
        cli,
        [
            "query",
            "--store",
            own_oxigraph.query_url,
            "--format",
            "csv",
            "SELECT ?n WHERE { <" + NS + "id/leitthema/artenreiche-metropole-ruhr> "
            "<http://www.w3.org/2004/02/skos/core#notation> ?n }",
        ],
    )
    assert q.exit_code == 0 and q.output.splitlines() == ["n", "III"]


def test_serve_with_several_gunicorn_workers(own_oxigraph: servers.ServerProcess) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--store",
            own_oxigraph.query_url,
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        servers.wait_until_responds(f"http://127.0.0.1:{port}/robots.txt")
        for _ in range(10):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/id/charta.ttl") as r:
                assert r.status == 200
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) == 2
    finally:
        proc.terminate()
        proc.wait(20)


def _update(server: servers.ServerProcess, text: str) -> None:
    req = urllib.request.Request(
        server.query_url.replace("/query", "/update"),
        data=text.encode(),
        headers={"Content-Type": "application/sparql-update"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def test_a_killed_loads_graph_is_never_readable_and_the_next_load_drops_it(
    own_oxigraph: servers.ServerProcess,
) -> None:
    """A load killed mid-way leaves its temporary graph on the server: /sparql must not
    show it through FROM, FROM NAMED, GRAPH or the protocol's dataset parameters."""
    leftover = f"{NS}graph/charta-loading-killed"
    _update(own_oxigraph, f"INSERT DATA {{ GRAPH <{leftover}> {{ <urn:x> <urn:y> 'secret' }} }}")
    client = create_app(
        Config(root=ROOT, testing=True, store_url=own_oxigraph.query_url).validated()
    ).test_client()
    json_accept = {"Accept": "application/sparql-results+json"}
    probes = [
        ({"query": f"SELECT ?o FROM <{leftover}> WHERE {{ ?s ?p ?o }}"}),
        ({"query": f"SELECT ?o FROM NAMED <{leftover}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"}),
        ({"query": "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }"}),
        ({"query": f"SELECT ?o WHERE {{ GRAPH <{leftover}> {{ ?s ?p ?o }} }}"}),
        ({"query": "SELECT ?o WHERE { ?s ?p ?o }", "default-graph-uri": leftover}),
        ({"query": "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": leftover}),
        ({"query": "SELECT ?g WHERE { GRAPH ?g { } }"}),
    ]
    for params in probes:
        r = client.get("/sparql", query_string=params, headers=json_accept)
        assert r.status_code == 200, (params, r.data)
        assert b"secret" not in r.data and b"loading-killed" not in r.data, params
        assert b"graph/meta" not in r.data, params
    load(ROOT, NS, own_oxigraph.query_url, None)
    ask = urllib.request.Request(
        own_oxigraph.query_url,
        data=f"ASK {{ GRAPH <{leftover}> {{ ?s ?p ?o }} }}".encode(),
        headers={"Content-Type": "application/sparql-query", **json_accept},
    )
    with urllib.request.urlopen(ask, timeout=10) as r:
        assert b"false" in r.read()  # the next load dropped it


@pytest.fixture
def trickling_store() -> Iterator[str]:
    """A store that answers at once but sends its body one byte a second, for ever."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                b"Content-Length: 100000\r\n\r\n"
            )
            while not stop.is_set():
                conn.sendall(b" ")
                time.sleep(0.5)
        except OSError:
            pass
        finally:
            conn.close()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/query"
    stop.set()
    srv.close()


@pytest.mark.parametrize("path", ["/id/charta", "/sparql?query=ASK%20%7B%7D"])
def test_a_trickling_store_cannot_stretch_the_timeout(trickling_store: str, path: str) -> None:
    """A socket timeout per read (SPARQLWrapper's) let a trickle stretch 5 s to 9 s;
    the deadline is for the whole answer now, within a second."""
    config = Config(
        root=ROOT, testing=True, store_url=trickling_store, remote_timeout_s=2, query_timeout_s=2
    ).validated()
    client = create_app(config).test_client()
    remote.VERSION_TTL_S = 0.0
    started = time.monotonic()
    r = client.get(path, headers={"Accept": "*/*"})
    took = time.monotonic() - started
    assert r.status_code in (503, 504), r.data
    assert took < 2 + 1, took


def test_nothing_is_evaluated_in_the_web_process(own_oxigraph: servers.ServerProcess) -> None:
    """To check syntax, the remote store ran each query on an empty pyoxigraph store in
    the web worker, with no limit: a data-free ASK over three VALUES ran there for
    minutes. Now the policy only parses, and the server's answer (or our deadline) ends it."""
    values = " ".join(str(i) for i in range(300))
    heavy = (
        f"ASK {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} VALUES ?c {{ {values} }} "
        "FILTER(?a + ?b + ?c < 0) }"
    )
    config = Config(
        root=ROOT, testing=True, store_url=own_oxigraph.query_url, query_timeout_s=2
    ).validated()
    client = create_app(config).test_client()
    started = time.monotonic()
    r = client.get("/sparql", query_string={"query": heavy}, headers={"Accept": "*/*"})
    assert r.status_code in (200, 400, 503, 504), r.data
    assert time.monotonic() - started < 2 + 1.5
