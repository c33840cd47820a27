"""Browser fixtures: Debian's Chromium driven by Playwright, axe-core and the Nu checker from npm."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.config import Config
from tests.conftest import ROOT, on_socket
from tests.tools import missing, npm_ci

HERE = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
VNU = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
#: Where the browser tests save their screenshots: a temporary folder, so a test run
#: leaves the checkout as it was (``CHARTA_SCREENSHOTS`` names another one). The
#: pictures of docs/pages.md are ``python -m tests.browser.screenshots``'s, not these.
SCREENSHOTS = Path(
    os.environ.get("CHARTA_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / f"charta-screenshots-{os.getpid()}"
)


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """axe-core and vnu-jar from the npm registry, installed on first use (package-lock.json)."""
    if not Path(CHROMIUM).exists():
        missing("Chromium is not installed (apt-get install chromium)")
    if not shutil.which("java"):
        missing("java is not installed (the Nu Html Checker runs on it)")
    if not (AXE.exists() and VNU.exists()):
        npm_ci(HERE)


@pytest.fixture(scope="session")
def site_url() -> Iterator[str]:
    """The app on the embedded store, on a real socket for the browser."""
    from server.web.app import create_app

    config = Config(root=ROOT, query_workers=2).validated()
    with on_socket(lambda url: create_app(config)) as url:
        yield url


@pytest.fixture(scope="session")
def browser(browser_tools: None) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context; whatever the test did, the page's Content-Security-Policy
    must not have blocked anything (a blocked script is a broken page)."""
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = context.new_page()
    blocked: list[str] = []
    pg.on(
        "console",
        lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield pg
    context.close()
    assert blocked == []
