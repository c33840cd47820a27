"""Settings: every one documented, environment read, bad values refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import Config
from tests.conftest import ROOT


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    for name, _, help_text in Config.help_table():
        assert f"`{name}`" in doc, name
        assert help_text in doc, name


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
