"""Issue 27: the Charta's 5 themes and 20 goals, readable on a phone and not twice on a wide
screen. At 390 px the picture (_charta_svg.html) gives way to cards (_themes.html) whose
every text is at least 12 px and every link at least 24 × 24 px; from 60rem the picture is
the navigation, and the cards under it give only what it cannot, each theme's aim."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.test_pages_in_browser import axe_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PAGES = {"charta": "/id/charta", "landing": "/"}
#: The themes and goals part of a page: the picture and the cards.
PART = "figure.charta-figure, ol.themes"
NUMERALS = ["I", "II", "III", "IV", "V"]
KEYS = [f"{n}.{i}" for n in NUMERALS for i in range(1, 5)]

#: Every visible text of the part with its font size in CSS px (an SVG text's size is in
#: the picture's units, scaled as drawn), every visible link with its box, and how wide
#: the page scrolls.
MEASURE = """(selector) => {
  const shown = el => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const texts = [], links = [];
  for (const part of document.querySelectorAll(selector)) {
    for (const el of [part, ...part.querySelectorAll('*')]) {
      if (!shown(el)) continue;
      const own = [...el.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)
        .map(n => n.textContent).join('').trim();
      if (own) {
        let size = parseFloat(getComputedStyle(el).fontSize);
        if (el instanceof SVGGraphicsElement) size *= el.getScreenCTM().a;
        texts.push({text: own, size});
      }
      if (el.matches('a')) {
        const r = el.getBoundingClientRect();
        links.push({href: el.getAttribute('href'), width: r.width, height: r.height,
                    text: el.textContent.replace(/\\s+/g, ' ').trim()});
      }
    }
  }
  return {texts, links, scrollWidth: document.scrollingElement.scrollWidth};
}"""


@pytest.fixture
def open_page(browser) -> Iterator:
    """Open a path of the site at a viewport; the contexts close after the test."""
    contexts = []

    def go(url: str, viewport: dict) -> object:
        context = browser.new_context(locale="de-DE", viewport=viewport)
        contexts.append(context)
        pg = context.new_page()
        pg.goto(url)
        return pg

    yield go
    for context in contexts:
        context.close()


def check_keys(links: list[dict]) -> None:
    """Each theme link begins with its numeral, each goal link with its key, in order."""
    themes = [a["text"] for a in links if "/id/leitthema/" in a["href"]]
    goals = [a["text"] for a in links if "/id/oberziel/" in a["href"]]
    assert [t.split(" ", 1)[0] for t in themes] == [f"{n}." for n in NUMERALS]
    assert [g.split(" ", 1)[0] for g in goals] == KEYS
    assert all(len(g.split(" ", 1)) == 2 and g.split(" ", 1)[1] for g in goals)  # key and label


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_phone_shows_every_theme_and_goal_readable(
    open_page, site_url: str, kind: str, lang: str
) -> None:
    pg = open_page(f"{site_url}{PAGES[kind]}?lang={lang}", PHONE)
    assert pg.locator("html").get_attribute("lang") == lang
    found = pg.evaluate(MEASURE, PART)
    assert len(found["links"]) == 25  # 5 themes, 20 goals, each once
    check_keys(found["links"])
    small = [t for t in found["texts"] if t["size"] < 12]
    assert found["texts"] and small == []
    tiny = [a for a in found["links"] if a["width"] < 24 or a["height"] < 24]
    assert tiny == []
    assert found["scrollWidth"] <= PHONE["width"]
    if kind == "charta":  # the picture is not squeezed onto the phone: the cards stand in
        assert not pg.locator("figure.charta-figure").is_visible()


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_phone_layout_is_accessible(open_page, site_url: str, kind: str, lang: str) -> None:
    pg = open_page(f"{site_url}{PAGES[kind]}?lang={lang}", PHONE)
    assert axe_violations(pg) == []


#: The links of the picture a line of whose text leaves its box (in the picture's units).
OVERFLOW = """() => [...document.querySelectorAll('figure.charta-figure svg a')].filter(a => {
  const box = a.querySelector('rect').getBBox();
  return [...a.querySelectorAll('tspan')].map(t => t.getBBox()).some(line =>
    line.x < box.x || line.y < box.y || line.x + line.width > box.x + box.width
    || line.y + line.height > box.y + box.height);
}).map(a => a.getAttribute('href'))"""


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("width", [960, 1280])
def test_wide_screen_picture_is_the_navigation_and_the_cards_add_the_aims(
    open_page, site_url: str, width: int, lang: str
) -> None:
    pg = open_page(f"{site_url}/id/charta?lang={lang}", {"width": width, "height": 900})
    picture = pg.evaluate(MEASURE, "figure.charta-figure")
    assert len(picture["links"]) == 25
    check_keys(picture["links"])
    assert [t for t in picture["texts"] if t["size"] < 12] == []
    assert pg.evaluate(OVERFLOW) == []
    # The cards do not list the goals again; they give each theme's aim, which the
    # picture does not show.
    assert not pg.locator("ol.themes .goal-links").first.is_visible()
    aims = pg.locator("ol.themes > li > p")
    assert aims.count() == 5 and all(aims.nth(i).is_visible() for i in range(5))
    assert pg.evaluate("document.scrollingElement.scrollWidth") <= width


def test_below_the_breakpoint_the_cards_list_the_goals(open_page, site_url: str) -> None:
    pg = open_page(f"{site_url}/id/charta", {"width": 959, "height": 900})
    assert not pg.locator("figure.charta-figure").is_visible()
    assert pg.locator("ol.themes .goal-links a:visible").count() == 20


@pytest.mark.parametrize(("lang", "badge"), [("de", "Oberziel II.1"), ("en", "Goal II.1")])
def test_phone_goal_page_shows_its_key(open_page, site_url: str, lang: str, badge: str) -> None:
    pg = open_page(f"{site_url}/id/oberziel/schwamm-region?lang={lang}", PHONE)
    assert pg.locator("p.goal-key").inner_text().strip() == badge
    rows = pg.locator("ol.goals > li")
    assert [re.split(r"\s", rows.nth(i).inner_text(), maxsplit=1)[0] for i in range(4)] == [
        "II.1",
        "II.2",
        "II.3",
        "II.4",
    ]
    found = pg.evaluate(MEASURE, "ol.goals")
    assert len(found["links"]) == 3  # the other goals; this one is no link
    assert [a for a in found["links"] if a["width"] < 24 or a["height"] < 24] == []
    assert [t for t in found["texts"] if t["size"] < 12] == []
    assert found["scrollWidth"] <= PHONE["width"]
