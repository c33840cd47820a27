"""Every kind of page in a real Chromium: accessible (axe, keyboard), valid HTML, working UI."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import AXE, SCREENSHOTS, VNU
from tests.conftest import NS

pytestmark = pytest.mark.browser

#: One page of each kind, with the name its screenshot gets.
PAGES = {
    "landing": "/",
    "charta": "/id/charta",
    "theme": "/id/leitthema/artenreiche-metropole-ruhr",
    "goal": "/id/oberziel/schwamm-region",
    "body": "/id/organisation/kreis-unna",
    "paper": "/id/drucksache/ds-085-23",
    "meeting": "/id/sitzung/kreistag-unna/2023-06-13",
    "event": "/id/ereignis/ruhrparlament/2022-09-23",
    "programme": "/id/vorhaben/offensive-gruene-infrastruktur-2030",
    "document": "/id/quelle/ds-085-23",
    "section": "/id/abschnitt/ds-085-23/1",
    "catalog": "/id/katalog",
    "dataset": "/id/datensatz/charta",
    "register": "/register",
    "value-set": "/id/werteliste/beratungsrolle",
    "vocabulary": "/ontology",
    "search": "/search?q=gruen",
    "sparql": "/sparql",
    "not-found": "/id/gibt-es-nicht",
    # Releases (releases/1.0.0/): the release with its change, a past state, its editor.
    "release": "/id/version/1.0.0",
    "memento": "/version/1.0.0/id/charta",
    "release-sparql": "/version/1.0.0/sparql",
}
WCAG = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']"


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page) -> list:
    # Evaluated through the DevTools protocol: a script tag would be an inline script,
    # which the pages' Content-Security-Policy rightly refuses.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(_axe_source())
    return page.evaluate(f"""async () => (await axe.run(document, {{runOnly: {{type: 'tag',
        values: {WCAG}}}}})).violations.map(v => ({{id: v.id, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}}))""")


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_axe_finds_no_violations(page, site_url: str, kind: str, lang: str) -> None:
    path = PAGES[kind]
    page.goto(f"{site_url}{path}{'&' if '?' in path else '?'}lang={lang}")
    if kind == "sparql":
        page.click("button[data-example=beratungsfolge]")
        page.wait_for_selector(".yasr table tbody tr")
    assert axe_violations(page) == []
    if lang == "de":  # the screenshots in the README are the German pages
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{kind}.png"))


def every_page(site_url: str) -> dict[str, str]:
    """One page of each kind, and every page the sitemap names (each resource of the data)."""
    with urllib.request.urlopen(site_url + "/sitemap.xml") as r:
        locs = re.findall(r"<loc>([^<]+)</loc>", r.read().decode())
    # The sitemap lists each page once per language (?lang=de, ?lang=en); a page once here,
    # the tests choose the language.
    locs = list(dict.fromkeys(loc.split("?lang=")[0] for loc in locs))
    pages = dict(PAGES)
    for n, loc in enumerate(locs):
        assert loc.startswith(NS), loc
        pages[f"sitemap-{n:03d}"] = "/" + loc[len(NS) :]
    return pages


def test_axe_finds_no_violations_on_any_page_of_the_sitemap(page, site_url: str) -> None:
    """Every resource of the data, not only one of each kind: data can break a page too."""
    found = {}
    for path in every_page(site_url).values():
        page.goto(site_url + path)
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    assert found == {}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_html_is_valid(site_url: str, tmp_path: Path, lang: str, browser_tools: None) -> None:
    pages = every_page(site_url)
    assert len(pages) > 100
    for kind, path in pages.items():
        sep = "&" if "?" in path else "?"
        req = urllib.request.Request(
            f"{site_url}{path}{sep}lang={lang}", headers={"Accept": "text/html"}
        )
        try:
            with urllib.request.urlopen(req) as r:
                body = r.read()
        except urllib.error.HTTPError as exc:  # the 404 page is HTML too
            body = exc.read()
            exc.close()
        (tmp_path / f"{kind}.html").write_bytes(body)
    out = subprocess.run(
        [
            "java",
            "-jar",
            str(VNU),
            "--format",
            "json",
            "--errors-only",
            *sorted(str(p) for p in tmp_path.glob("*.html")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(out.stderr or out.stdout)["messages"]
    assert [(Path(m.get("url", "")).name, m.get("lastLine"), m["message"]) for m in messages] == []


def test_keyboard_reaches_skip_link_content_and_search(page, site_url: str) -> None:
    page.goto(site_url + "/id/charta")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    # The fragment navigation lands a moment after the key press on a loaded machine.
    page.wait_for_url("**#main", timeout=10_000)
    assert page.url.endswith("#main")
    page.goto(site_url + "/")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"


def test_focus_is_visible(page, site_url: str) -> None:
    page.goto(site_url + "/id/charta")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_language_toggle_is_remembered(page, site_url: str) -> None:
    page.goto(site_url + "/id/oberziel/schwamm-region")
    assert page.locator("h1").inner_text() == "Metropole Ruhr zur Schwamm-Region entwickeln"
    page.click("text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Develop the Metropole Ruhr into a sponge region"
    page.goto(site_url + "/id/drucksache/ds-085-23")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "13 June 2023" in page.locator("ol.timeline").inner_text()
    page.click("text=Deutsch")
    assert "13.06.2023" in page.locator("ol.timeline").inner_text()


def test_search_autocomplete_with_keyboard(page, site_url: str) -> None:
    page.goto(site_url + "/")
    page.fill("#q", "schwamm")
    page.wait_for_selector("#q-list li")
    assert page.get_attribute("#q", "aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/id/oberziel/schwamm-region")
    assert page.locator("h1").inner_text() == "Metropole Ruhr zur Schwamm-Region entwickeln"


def test_search_page_folds_umlauts(page, site_url: str) -> None:
    page.goto(site_url + "/")
    page.fill("#q", "lueckenschluesse")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=lueckenschluesse")
    assert "Aktionsprogramm Grüne Lückenschlüsse" in page.locator("ol.hits").inner_text()


def test_sparql_editor_runs_an_example(page, site_url: str) -> None:
    page.goto(site_url + "/sparql")
    page.click("button[data-example=beratungsfolge]")
    rows = page.locator(".yasr table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 3
    assert "Kreistag" in rows.nth(2).inner_text()


def test_charta_picture_links_all_themes_and_goals(page, site_url: str) -> None:
    page.goto(site_url + "/id/charta")
    links = page.locator("figure.charta-figure svg a")
    assert links.count() == 25
    links.nth(1).click()
    page.wait_for_url("**/id/oberziel/freiraumsystem-sichern-und-weiterentwickeln")


def test_paper_timeline_and_body_tree(page, site_url: str) -> None:
    page.goto(site_url + "/id/drucksache/ds-085-23")
    assert page.locator("ol.timeline > li").count() == 3
    page.goto(site_url + "/")
    tree = page.locator("nav.org-tree")
    assert tree.locator("text=Kreistag").count() >= 1
    assert tree.locator("li:has-text('Kreis Unna') li").count() >= 14  # 4 bodies + 10 Kommunen


@pytest.mark.parametrize(
    "kind", ["landing", "charta", "paper", "sparql", "register", "release", "memento", "dataset"]
)
def test_phone_width_has_no_horizontal_scrolling(browser, site_url: str, kind: str) -> None:
    context = browser.new_context(locale="de-DE", viewport={"width": 375, "height": 800})
    pg = context.new_page()
    pg.goto(site_url + PAGES[kind])
    assert pg.evaluate("document.documentElement.scrollWidth") <= 376
    if kind == "landing":
        pg.screenshot(path=str(SCREENSHOTS / "phone-landing.png"), full_page=False)
    context.close()


def test_print_hides_navigation(page, site_url: str) -> None:
    page.goto(site_url + "/id/charta")
    page.emulate_media(media="print")
    assert not page.locator("header nav").is_visible()
    assert page.locator("main h1").is_visible()
