"""The ``charta`` command: help, exit codes, and serve's refusal on bad data."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from server.cli import cli
from tests.conftest import FIXTURES


def test_help_lists_commands() -> None:
    out = CliRunner().invoke(cli, ["--help"]).output
    for command in ("validate", "serve"):
        assert command in out


def test_serve_refuses_data_with_violations(project_copy: Path, monkeypatch) -> None:
    shutil.copy(FIXTURES / "defects" / "missing_source.ttl", project_copy / "data" / "bad.ttl")
    monkeypatch.setenv("CHARTA_ROOT", str(project_copy))
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "refusing to start: 1 violations" in result.output
    assert "Quelle (dcterms:source) fehlt" in result.output


def test_serve_refuses_unreadable_data(project_copy: Path, monkeypatch) -> None:
    shutil.copy(FIXTURES / "defects" / "syntax_error.ttl", project_copy / "data" / "bad.ttl")
    monkeypatch.setenv("CHARTA_ROOT", str(project_copy))
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "bad.ttl:3: Turtle syntax error" in result.output


def test_bad_setting_is_exit_2(monkeypatch) -> None:
    monkeypatch.setenv("CHARTA_NAMESPACE", "not-an-iri")
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 2
    assert "namespace must be an absolute IRI" in result.output
