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
    return make_config()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BACKENDS = ["embedded", "oxigraph", "virtuoso"]
#: The backends that are a real SPARQL server process, started once per session.
SERVER_BACKENDS = frozenset(BACKENDS) - {"embedded"}
#: The fixtures whose param names a backend: a test on a server backend is ``remote``.
BACKEND_FIXTURES = ("backend", "live_server")


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


def make_config(store_url: str | None = None, **overrides: object) -> Config:
    """The test config (on the remote store at ``store_url``, if given) with ``overrides``."""
    values: dict[str, object] = {"root": ROOT, "testing": True, "query_timeout_s": 3.0}
    values["store_url"] = store_url
    values.update(overrides)
    return Config(**values).validated()  # type: ignore[arg-type]


def server_url(request: pytest.FixtureRequest, backend: str) -> str | None:
    """The query URL of ``backend``'s session server, started on first use; None: embedded."""
    if backend not in SERVER_BACKENDS:
        return None
    return request.getfixturevalue(f"{backend}_server")  # type: ignore[no-any-return]


def backend_config(request: pytest.FixtureRequest, **overrides: object) -> Config:
    """A test config for the backend named by ``request.param``."""
    return make_config(server_url(request, request.param), **overrides)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store behind this module's app: embedded (pyoxigraph in query workers), the
    session's Oxigraph server or its Virtuoso. A module that cannot run on every backend
    overrides this fixture with fewer params and says why."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def app_config() -> dict[str, object]:
    """Settings a test module needs besides the test config (row limits, a project
    copy's root): the module overrides this fixture, never ``app`` itself."""
    return {}


@pytest.fixture(scope="module")
def make_app(
    request: pytest.FixtureRequest, backend: str, app_config: dict[str, object]
) -> Callable[..., Flask]:
    """``make_app(**overrides)``: an app on this module's backend with the module's
    ``app_config`` and ``overrides`` (a test's own limit, say max_answer_mb)."""
    from server.web.app import create_app

    store_url = server_url(request, backend)

    def make(**overrides: object) -> Flask:
        return create_app(make_config(store_url, **{**app_config, **overrides}))

    return make


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app every HTTP test uses, one per test module and backend."""
    return make_app()


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
    server.app = make_app(url)
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


def pytest_itemcollected(item: pytest.Item) -> None:
    """Markers that follow from the fixtures a test uses, so that '-m "not remote"' and
    '-m "not live"' leave out every test that needs a server process or a socket: a
    backend param naming Oxigraph server or Virtuoso, or a server fixture, is ``remote``;
    the app on a socket (``live_server``) is ``live``."""
    names = set(getattr(item, "fixturenames", ()))
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    if names & {f"{b}_server" for b in SERVER_BACKENDS} or any(
        params.get(name) in SERVER_BACKENDS for name in BACKEND_FIXTURES
    ):
        item.add_marker(pytest.mark.remote)
    if "live_server" in names:
        item.add_marker(pytest.mark.live)


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
