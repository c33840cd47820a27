"""Settings: every one documented, environment read, bad values refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import Config
from tests.conftest import ROOT


def test_every_setting_is_documented_with_its_default() -> None:
    """Each row of docs/configuration.md's table is the code's: name, default, help."""
    doc = (ROOT / "docs" / "configuration.md").read_text()
    rows = {line.split(" | ")[0].strip("| `"): line for line in doc.splitlines()}
    for name, default, help_text in Config.help_table():
        assert name in rows, name
        assert rows[name] == f"| `{name}` | `{default}` | {help_text} |", name


@pytest.mark.parametrize(
    "env",
    [
        {"CHARTA_CLIENT_HEADER": "X-Forwarded-For: 1.2.3.4"},
        {"CHARTA_MAX_HEADER_BYTES": "0"},
        {"CHARTA_MAX_HEADER_BYTES": "9000", "CHARTA_MAX_HEADERS_BYTES": "8000"},
        {"CHARTA_BODIES_PER_CLIENT": "0"},
        {"CHARTA_SPARQL_QUEUE": "0"},
    ],
)
def test_http_limits_are_checked_at_start_up(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        Config.from_env(env)


def test_environment_is_read_and_typed() -> None:
    c = Config.from_env(
        {
            "CHARTA_QUERY_TIMEOUT_S": "2.5",
            "CHARTA_MAX_ROWS": "7",
            "CHARTA_ROOT": str(ROOT),
            "CHARTA_TESTING": "true",
        }
    )
    assert c.query_timeout_s == 2.5 and c.max_rows == 7 and c.testing is True
    assert isinstance(c.root, Path)


def test_flags_override_environment() -> None:
    c = Config.from_env({"CHARTA_NAMESPACE": "https://a.example/"}, namespace="https://b.example/")
    assert c.namespace == "https://b.example/"


@pytest.mark.parametrize(
    "env", [{"CHARTA_NAMESPACE": "https://no-slash.example"}, {"CHARTA_MAX_ROWS": "0"}]
)
def test_bad_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        Config.from_env(env)


def test_the_access_log_is_on_unless_turned_off() -> None:
    """Operators behind a logging proxy turn granian's access log off; the default logs."""
    assert Config.from_env({}).access_log is True
    assert Config.from_env({"CHARTA_ACCESS_LOG": "0"}).access_log is False
