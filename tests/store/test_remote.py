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

from server.app import create_app
from server.cli import cli
from server.config import Config
from server.load import load
from server.store import remote
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
    assert n == len(list(app.extensions["charta.store"].triples()))  # no leftovers of the old load


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
