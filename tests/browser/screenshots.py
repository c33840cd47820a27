"""Renew the screenshots of docs/pages.md: ``python -m tests.browser.screenshots``.

The browser tests take a screenshot of each kind of page (German) and of the
landing page at phone width; in a test run they go to a temporary folder, so
the tests leave the checkout as they found it. This command runs those tests
with ``CHARTA_SCREENSHOTS`` set to ``docs/screenshots/``, for the pictures
docs/pages.md shows, which that folder then holds anew (commit them). Needs what the
browser tests need (Chromium, Java, npm; see docs/testing.md).
"""

from __future__ import annotations

import os
import re
import sys

import pytest

from tests.conftest import ROOT


def main() -> int:
    from tests.browser.test_pages_in_browser import PAGES

    os.environ["CHARTA_SCREENSHOTS"] = str(ROOT / "docs" / "screenshots")
    (ROOT / "docs" / "screenshots").mkdir(parents=True, exist_ok=True)
    module = str(ROOT / "tests" / "browser" / "test_pages_in_browser.py")
    # The tests that save screenshots: each kind of page in German, the landing page
    # at phone width.
    # Only the pictures docs/pages.md shows, so the folder holds nothing it does not use.
    pages_doc = (ROOT / "docs" / "pages.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\(screenshots/([\w-]+)\.png\)", pages_doc))
    taking = [f"{module}::test_axe_finds_no_violations[{k}-de]" for k in PAGES if k in shown]
    if "phone-landing" in shown:
        taking.append(f"{module}::test_phone_width_has_no_horizontal_scrolling[landing]")
    return int(pytest.main(["-q", "-p", "no:randomly", *taking]))


if __name__ == "__main__":
    sys.exit(main())
