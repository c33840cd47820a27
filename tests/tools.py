"""Outside tools the browser and client suites need: found, or installed from npm, or missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def missing(reason: str) -> None:
    """Fail in CI (which installs every tool), skip on a machine without it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (.ci/run installs it)")
    pytest.skip(reason)


def npm_ci(folder: Path) -> None:
    """Install the npm packages of ``folder``'s package-lock.json (on first use)."""
    npm = shutil.which("npm")
    if npm is None:
        missing("npm is not installed")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=600,
    )
