"""Shared fixtures: the project's data loaded once, configs, app and clients."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The app on a real socket (threaded), for clients that need one: SPARQLWrapper, browsers."""
    from werkzeug.serving import make_server

    from server.app import create_app

    config = Config(root=ROOT, query_timeout_s=3.0, max_rows=500, query_workers=2).validated()
    app = create_app(config)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
