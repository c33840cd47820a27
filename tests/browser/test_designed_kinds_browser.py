"""The designed pages (issue 27) in a real Chromium: no axe violations in either language
for a joining, a measure, a held and a scheduled consultation, a value set, an
institution and the register's dataset, and the joining's state badge in the register's colours."""

from __future__ import annotations

import pytest

from tests.browser.test_pages_in_browser import axe_violations

pytestmark = pytest.mark.browser

DESIGNED = {
    "joining": "/id/beitritt/herne-2023-0419",
    "joining-in-deliberation": "/id/beitritt/essen",
    "measure": "/id/massnahme/herne-sportplatz-goerresstrasse",
    "consultation": "/id/beratung/herne-2023-0419/rat-der-stadt-herne-2023-06-13",
    "scheduled-consultation": "/id/beratung/essen/rat-der-stadt-essen-2023-05-17",
    "value-set": "/id/werteliste/beitrittsstatus",
    "institution": "/id/organisation/herne",
    # The series and the catalog are in test_pages_in_browser's PAGES.
    "register-dataset": "/id/datensatz/register",
}


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("kind", list(DESIGNED))
def test_axe_finds_no_violations_on_designed_pages(
    page, site_url: str, kind: str, lang: str
) -> None:
    page.goto(f"{site_url}{DESIGNED[kind]}?lang={lang}")
    assert axe_violations(page) == []


def test_the_joinings_state_badge_has_the_registers_colours(page, site_url: str) -> None:
    page.goto(f"{site_url}/id/beitritt/herne-2023-0419?lang=de")
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.querySelector('.state-line .badge'));
        return [s.backgroundColor, s.color, s.borderStyle]; }"""
    )
    assert style == ["rgb(27, 110, 52)", "rgb(255, 255, 255)", "solid"]
    page.goto(f"{site_url}/id/beitritt/essen?lang=de")
    style = page.evaluate(
        "() => getComputedStyle(document.querySelector('.state-line .badge')).borderStyle"
    )
    assert style == "double"
