"""Shared fixtures: the project's data loaded once, configs, app and clients."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from server.config import DEFAULT_NAMESPACE, Config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
NS = DEFAULT_NAMESPACE


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A writable copy of ontology/, data/ and shapes/ to plant defects in."""
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def config() -> Config:
    return Config(root=ROOT, testing=True, query_timeout_s=3.0).validated()
