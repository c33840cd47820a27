"""The ``charta`` command: help, exit codes, and serve's refusal on bad data."""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from server.cli import cli
from tests import servers
from tests.conftest import FIXTURES, ROOT, free_port


def test_help_lists_commands() -> None:
    out = CliRunner().invoke(cli, ["--help"]).output
    for command in ("validate", "serve"):
        assert command in out


def test_serve_refuses_data_with_violations(project_copy: Path, monkeypatch) -> None:
    shutil.copy(FIXTURES / "defects" / "missing_source.ttl", project_copy / "data" / "bad.ttl")
    monkeypatch.setenv("CHARTA_ROOT", str(project_copy))
    result = CliRunner().invoke(cli, ["serve", "--port", str(free_port())])
    assert result.exit_code == 2
    assert "refusing to start: 1 violations" in result.output
    assert "Quelle (dcterms:source) fehlt" in result.output


def test_serve_refuses_unreadable_data(project_copy: Path, monkeypatch) -> None:
    shutil.copy(FIXTURES / "defects" / "syntax_error.ttl", project_copy / "data" / "bad.ttl")
    monkeypatch.setenv("CHARTA_ROOT", str(project_copy))
    result = CliRunner().invoke(cli, ["serve", "--port", str(free_port())])
    assert result.exit_code == 2
    assert "bad.ttl:3: Turtle syntax error" in result.output


def test_serve_says_at_once_that_the_port_is_taken() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert result.exit_code == 2
    assert f"127.0.0.1:{port}: cannot listen there: Address already in use" in result.output


def test_serve_refuses_a_header_timeout_granian_cannot_take(monkeypatch) -> None:
    monkeypatch.setenv("CHARTA_HEADER_TIMEOUT_S", "0")
    result = CliRunner().invoke(cli, ["serve", "--port", str(free_port())])
    assert result.exit_code == 2
    assert "header_timeout_s must be within 0.001..60" in result.output


def test_bad_setting_is_exit_2(monkeypatch) -> None:
    monkeypatch.setenv("CHARTA_NAMESPACE", "not-an-iri")
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 2
    assert "namespace must be an absolute IRI" in result.output


def test_readme_serve_runs_granian_and_two_instances_coexist(tmp_path: Path) -> None:
    """The README's run command is a real server (granian, not Werkzeug's development
    server), and a second charta on the same machine neither fails nor disturbs the first."""
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"serve-{port}.log" for port in ports]
    procs = []
    try:
        for port, log in zip(ports, logs, strict=True):
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "server", "serve", "--port", str(port)],
                        cwd=ROOT,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        for port in ports:
            servers.wait_until_responds(f"http://127.0.0.1:{port}/robots.txt")
        procs[0].terminate()
        assert procs[0].wait(20) == 0  # a stop on SIGTERM is a clean exit
        req = urllib.request.Request(
            f"http://127.0.0.1:{ports[1]}/id/charta", headers={"Accept": "text/turtle"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200 and b"Charta" in r.read()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(20)
    for log in logs:
        text = log.read_text()
        assert "Starting granian" in text and "Started worker-1" in text
        assert "development server" not in text
        assert "Traceback" not in text
