"""The client-compatibility suite: tools nobody on this project wrote, against the app on a socket.

The app runs on the embedded store with its public URL set to its own
address (``--base-url``), so the sitemap, robots.txt and the catalog's
download and endpoint URLs point at this server, as a deployment's would.
Each tool's version is collected and printed at the end of the run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from server.config import Config
from tests.conftest import ROOT, on_socket
from tests.tools import missing, npm_ci

HERE = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
#: What each client checked and its version, printed in the terminal summary.
REPORT: dict[str, str] = {}


@dataclass(frozen=True)
class Site:
    url: str
    app: Flask

    def get(self, path: str, accept: str | None = None) -> bytes:
        headers = {"Accept": accept} if accept else {}
        req = urllib.request.Request(self.url + path, headers=headers)
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200, path
            return r.read()


def _crawl_friendly(app: Flask):  # type: ignore[no-untyped-def]
    """The app, answering with the ``LinkChecker`` header that lets LinkChecker send
    more than 10 requests a second to one host (its rule): without it, its politeness
    pause (0.1–0.6 s per request) made the crawl of ~1,000 URLs take many minutes."""

    def wsgi(environ, start_response):  # type: ignore[no-untyped-def]
        def start(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
            return start_response(status, [*headers, ("LinkChecker", "charta-tests")], exc_info)

        return app(environ, start)

    return wsgi


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """The app on a real socket, its public URL its own address."""
    from server.web.app import create_app

    apps: list[Flask] = []

    def make(url: str):  # type: ignore[no-untyped-def]
        apps.append(
            create_app(Config(root=ROOT, query_workers=2, public_url=url + "/").validated())
        )
        return _crawl_friendly(apps[0])

    with on_socket(make) as url:
        yield Site(url, apps[0])


def sitemap_paths(site: Site) -> list[str]:
    """Every page the sitemap names, as paths (the sitemap names this server)."""
    locs = re.findall(r"<loc>([^<]+)</loc>", site.get("/sitemap.xml").decode())
    assert locs and all(loc.startswith(site.url + "/") for loc in locs), locs[:3]
    return [loc[len(site.url) :] for loc in locs]


@pytest.fixture(scope="session")
def resources(site: Site) -> list[str]:
    """The path of every resource of the data (``/id/…``), from the sitemap, each once
    (the sitemap may name a page once per language, ``?lang=de`` and ``?lang=en``)."""
    paths = [p.split("?", 1)[0] for p in sitemap_paths(site)]
    return list(dict.fromkeys(p for p in paths if p.startswith("/id/")))


@pytest.fixture(scope="session")
def lighthouse_tool() -> Path:
    """Lighthouse from the npm registry (package-lock.json), installed on first use."""
    if not Path(CHROMIUM).exists():
        missing("Chromium is not installed (apt-get install chromium)")
    if not LIGHTHOUSE.exists():
        npm_ci(HERE)
    return LIGHTHOUSE


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "?"


@pytest.fixture(scope="session", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    """At the end: each client, its version and what it checked; Lighthouse's scores.

    A fixture, not ``pytest_terminal_summary``: pytest calls that hook only in
    the root conftest.
    """
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if not REPORT or capture is None:
        return
    with capture.global_and_fixture_disabled():
        print("\n=== third-party clients ===")
        for name in sorted(REPORT):
            print(f"{name}: {REPORT[name]}")
