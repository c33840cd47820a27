"""Shared fixtures: the project's data loaded once, configs, app and clients."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.config import DEFAULT_NAMESPACE, Config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Official shapes and vocabularies, copied into the repository (see its SOURCES.md).
EXTERNAL = FIXTURES / "external"
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


BACKENDS = ["embedded", "oxigraph", "virtuoso"]


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Oxigraph server (PyPI ``oxigraph``) loaded with 'charta load'."""
    from server.pipeline.load import load
    from tests import servers

    server = servers.start_on_fresh_ports(
        lambda: servers.oxigraph(tmp_path_factory.mktemp("oxigraph"), free_port())
    )
    load(ROOT, NS, server.query_url, None)
    yield server.query_url
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's Virtuoso, started on free ports with a private database."""
    from server.pipeline.load import load

    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    load(ROOT, NS, server.query_url, None)
    yield server.query_url
    server.stop()


def start_virtuoso(workdir: Path) -> Any:
    """Debian's Virtuoso on free ports with a private database in ``workdir``, open to
    updates; fails in CI (which installs it) and skips elsewhere when it is missing."""
    from tests import servers

    if servers.VIRTUOSO is None:
        if servers.virtuoso_required():
            pytest.fail("virtuoso-t is missing: .ci/run installs virtuoso-opensource")
        pytest.skip("virtuoso-t is not installed (apt-get install virtuoso-opensource)")
    ports: list[int] = []
    attempts = iter(range(1, 100))

    def make() -> servers.ServerProcess:
        ports[:] = [free_port(), free_port()]  # SQL, HTTP
        # A fresh database folder per attempt: one that exited leaves its lock behind.
        folder = workdir / f"attempt-{next(attempts)}"
        folder.mkdir(parents=True)
        return servers.virtuoso(folder, ports[1], ports[0])

    server = servers.start_on_fresh_ports(make)
    servers.grant_virtuoso_updates(ports[0])
    return server


def backend_config(request: pytest.FixtureRequest, **overrides: object) -> Config:
    """A test config for the backend named by ``request.param``."""
    values: dict[str, object] = {"root": ROOT, "testing": True, "query_timeout_s": 3.0}
    values.update(overrides)
    if request.param != "embedded":
        values["store_url"] = request.getfixturevalue(f"{request.param}_server")
    return Config(**values).validated()  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=BACKENDS)
def app(request: pytest.FixtureRequest) -> Flask:
    """The app on each backend, one per test module (a module may define its own)."""
    from server.web.app import create_app

    return create_app(backend_config(request))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@contextmanager
def on_socket(make_app: Callable[[str], Callable[..., Any]]) -> Iterator[str]:
    """Serve the WSGI app ``make_app(url)`` builds, threaded, on loopback; yield its URL.

    The socket is bound first, on a port the kernel picks, and the app is built for
    that address: no free port to lose to another process in between.
    """
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, lambda environ, start: [], threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    server.web.app = make_app(url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """The app on a real socket (threaded), for clients that need one: SPARQLWrapper, browsers."""
    from server.web.app import create_app

    config = backend_config(request, testing=False, max_rows=500, query_workers=2)
    with on_socket(lambda url: create_app(config)) as url:
        yield url


_BY_BACKEND: dict[str, dict[str, int]] = {}


def tree_state() -> dict[str, str] | None:
    """What ``git status`` shows of the checkout, with a digest of each listed file's bytes
    (a file that was already modified and changes again shows up too); None without git."""
    import hashlib
    import subprocess

    try:
        out = subprocess.run(
            ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all"],
            cwd=ROOT,
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout.decode("utf-8", "surrogateescape")
    except (OSError, subprocess.SubprocessError):
        return None
    state: dict[str, str] = {}
    for entry in filter(None, out.split("\0")):
        code, path = entry[:2], entry[3:]
        file = ROOT / path
        digest = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else "-"
        state[path] = f"{code} {digest}"
    return state


#: The tree when the session started, for tests/test_zz_tree_unchanged.py.
TREE_AT_START: dict[str, str] | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global TREE_AT_START
    TREE_AT_START = tree_state()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tree check runs last, whatever order the other tests run in."""
    last = [i for i in items if i.nodeid.startswith("tests/test_zz_tree_unchanged.py")]
    items[:] = [i for i in items if i not in last] + last


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Name the real servers the remote-store tests use, with their versions."""
    import subprocess

    from tests import servers

    def version(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "not installed"

    virtuoso = version([servers.VIRTUOSO, "-?"]) if servers.VIRTUOSO else "not installed"
    return [
        f"backends: embedded (pyoxigraph), oxigraph server: {version([servers.OXIGRAPH, '--version'])}",
        f"backends: virtuoso: {servers.VIRTUOSO or '-'} {virtuoso}",
    ]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    for backend in BACKENDS:
        if (
            f"[{backend}" in report.nodeid
            or f"-{backend}]" in report.nodeid
            or f"-{backend}-" in report.nodeid
        ):
            counts = _BY_BACKEND.setdefault(backend, {})
            counts[report.outcome] = counts.get(report.outcome, 0) + 1


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _skipped_for_want_of(terminalreporter: pytest.TerminalReporter) -> None:
    """What did not run, and why: one line per reason with its count, at the very end.

    A machine without Virtuoso, Chromium, Java, npm or rapper skips whole suites;
    '-ra' lists each skip among a thousand lines, this says it in a few (the
    README lists the packages; with CI=true those skips are failures instead).
    """
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = _skip_reason(report)
        reasons[reason] = reasons.get(reason, 0) + 1
    if not reasons:
        return
    terminalreporter.section("not run, and why")
    for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        terminalreporter.write_line(f"{n:5d} skipped: {reason}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per backend, so the CI log shows each store's run; then what was skipped."""
    _skipped_for_want_of(terminalreporter)
    if not _BY_BACKEND:
        return
    terminalreporter.section("runs per store backend")
    for backend in BACKENDS:
        counts = _BY_BACKEND.get(backend, {})
        text = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "not run"
        terminalreporter.write_line(f"{backend}: {text}")
