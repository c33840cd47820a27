"""Issue 27 in a real Chromium: the landing page's bodies tree grouped by kind, the register
in every page's header, and the register's state badges, sources and counts readable."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from server.config import Config
from tests.conftest import NS, on_socket

pytestmark = pytest.mark.browser

#: The bodies tree's group headings, by the group's kind (data-kind), in each language.
GROUP_HEADINGS = {
    "de": {
        "kreisfreie-stadt": "Kreisfreie Städte",
        "kreis": "Kreise",
        "kreisangehoerige-kommune": "Städte und Gemeinden",
    },
    "en": {
        "kreisfreie-stadt": "Independent cities",
        "kreis": "Districts",
        "kreisangehoerige-kommune": "Towns and municipalities",
    },
}
BODIES = {
    "de": ("Regionalverband und regionale Gremien", "Gremien"),
    "en": ("Regional association and region-wide bodies", "Bodies"),
}
#: The heading of the administrative units (org:classification verwaltungseinheit).
ADMINISTRATION = {"de": "Verwaltung", "en": "Administration"}
STATES = {
    "de": {"beschlossen": "beschlossen", "in-beratung": "in Beratung"},
    "en": {"beschlossen": "decided", "in-beratung": "in deliberation"},
}

#: Each group of the tree: its kind, its heading, the links directly in it, and whether it
#: is at the top of the tree.
GROUPS_JS = """() => [...document.querySelectorAll('nav.org-tree li.org-group')].map(g => ({
    kind: g.dataset.kind,
    heading: g.querySelector(':scope > h3, :scope > h4, :scope > h5').textContent,
    level: g.querySelector(':scope > h3, :scope > h4, :scope > h5').tagName,
    top: g.parentElement.parentElement.matches('nav.org-tree'),
    links: [...g.querySelectorAll(':scope > ul > li > a')].map(a => a.getAttribute('href')),
}))"""


def _members(page, site_url: str) -> dict[str, str]:
    """The register's members by local path, each with its kind (the export's ``art``)."""
    rows = page.request.get(site_url + "/register.json").json()
    return {"/" + r["institution"].removeprefix(NS): r["art"] for r in rows if r["art"]}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_landing_bodies_tree_is_grouped_by_kind(page, site_url: str, lang: str) -> None:
    page.goto(f"{site_url}/?lang={lang}")
    groups = page.evaluate(GROUPS_JS)
    members = _members(page, site_url)
    top = [g for g in groups if g["top"]]
    # One heading per kind at the top: the independent cities, the districts, the rest.
    assert [g["kind"] for g in top] == ["kreisfreie-stadt", "kreis", "gremien"]
    assert [g["heading"] for g in top] == [
        GROUP_HEADINGS[lang]["kreisfreie-stadt"],
        GROUP_HEADINGS[lang]["kreis"],
        BODIES[lang][0],
    ]
    assert {g["level"] for g in top} == {"H3"}
    # Within every list of groups, each kind (and so each heading) once.
    lists = page.evaluate("""() => [...document.querySelectorAll('nav.org-tree ul.org-groups')]
        .map(u => [...u.querySelectorAll(':scope > li.org-group')].map(g => g.dataset.kind))""")
    for kinds in lists:
        assert len(kinds) == len(set(kinds)) >= 2
    for g in groups:
        if g["kind"] in ("gremien", "verwaltung"):
            # No town, city or district listed under a group of bodies or units.
            assert not [href for href in g["links"] if href in members], g
            assert g["heading"] in (*BODIES[lang], ADMINISTRATION[lang])
            assert (g["heading"] == ADMINISTRATION[lang]) == (g["kind"] == "verwaltung"), g
        else:
            assert g["heading"] == GROUP_HEADINGS[lang][g["kind"]]
            assert {members.get(href) for href in g["links"]} == {g["kind"]}, g
    # Kreis Unna: its towns under one heading, its council and committees under a second,
    # its administrative unit under a third (org:classification ausschuss and
    # verwaltungseinheit no longer share a heading).
    unna = [g for g in groups if not g["top"] and "/id/organisation/bergkamen" in g["links"]]
    assert len(unna) == 1 and unna[0]["kind"] == "kreisangehoerige-kommune"
    assert len(unna[0]["links"]) == 10 and unna[0]["level"] == "H4"
    bodies = next(g for g in groups if "/id/organisation/kreistag-unna" in g["links"])
    assert bodies["kind"] == "gremien" and bodies["heading"] == BODIES[lang][1]
    assert bodies["level"] == "H4"
    committees = [h for h in bodies["links"] if h != "/id/organisation/kreistag-unna"]
    assert len(committees) == 2, bodies
    units = next(g for g in groups if "/id/organisation/bauen-und-planen-kreis-unna" in g["links"])
    assert units["kind"] == "verwaltung" and units["heading"] == ADMINISTRATION[lang]
    assert units["links"] == ["/id/organisation/bauen-und-planen-kreis-unna"]
    assert units["level"] == "H4" and units is not bodies
    assert not set(committees) & set(units["links"])


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(
    "path", ["/", "/id/organisation/kreis-unna", "/id/charta", "/sparql", "/register"]
)
def test_header_navigation_links_the_register(page, site_url: str, path: str, lang: str) -> None:
    page.goto(f"{site_url}{path}?lang={lang}")
    link = page.locator("header nav a[href='/register']")
    assert link.count() == 1
    assert link.is_visible()
    assert link.inner_text() == "Register"
    assert page.locator("html").get_attribute("lang") == lang


BADGES_JS = """() => [...document.querySelectorAll('main a.badge')].map(b => {
    const s = getComputedStyle(b);
    return {cls: b.className, text: b.textContent, mark: getComputedStyle(b, '::before').content,
            bg: s.backgroundColor, fg: s.color, border: s.borderTopStyle};
})"""


def _rgb(css: str) -> tuple[float, ...]:
    parts = css[css.index("(") + 1 : css.index(")")].split(",")
    assert len(parts) == 3 or float(parts[3]) == 1.0, css  # opaque: no blending to guess
    return tuple(float(p) for p in parts[:3])


def _contrast(a: str, b: str) -> float:
    def lum(rgb: tuple[float, ...]) -> float:
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((lum(_rgb(a)), lum(_rgb(b))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_register_state_badges_differ_beyond_colour(page, site_url: str, lang: str) -> None:
    page.goto(f"{site_url}/register?lang={lang}")
    badges = page.evaluate(BADGES_JS)
    by_state = {}
    for b in badges:
        state = next(c.removeprefix("st-") for c in b["cls"].split() if c.startswith("st-"))
        by_state.setdefault(state, b)
        assert _contrast(b["fg"], b["bg"]) >= 4.5, b
    decided, deliberation = by_state["beschlossen"], by_state["in-beratung"]
    assert decided["bg"] != deliberation["bg"]
    assert decided["text"] == STATES[lang]["beschlossen"]
    assert deliberation["text"] == STATES[lang]["in-beratung"]
    # Beyond colour: a different mark before the text and a different border.
    assert decided["mark"].startswith('"✓') and deliberation["mark"].startswith('"◐')
    assert decided["border"] != deliberation["border"]
    # The mark has empty alternative text: the link's accessible name is the state alone.
    badge = page.locator("table.register a.badge.st-beschlossen").first
    assert badge.aria_snapshot().splitlines()[0] == f'- link "{STATES[lang]["beschlossen"]}":'


SOURCES_JS = """() => [...document.querySelectorAll('table.register td.src a[rel=external]')]
    .map(a => ({href: a.href, text: a.textContent,
      // every run of text between two <wbr>: on how many lines it is drawn
      lines: (() => {
        const walk = document.createTreeWalker(a, NodeFilter.SHOW_TEXT), out = [];
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
          const r = document.createRange(); r.selectNodeContents(n);
          out.push(new Set([...r.getClientRects()].map(x => Math.round(x.top))).size);
        }
        return out;
      })()}))"""


@pytest.mark.parametrize("width", [375, 1280])
def test_register_sources_are_told_apart_and_break_between_parts(
    browser, site_url: str, width: int
) -> None:
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": 900})
    pg = context.new_page()
    pg.goto(site_url + "/register")
    sources = pg.evaluate(SOURCES_JS)
    context.close()
    assert sources
    hrefs: dict[str, set[str]] = {}
    for s in sources:
        hrefs.setdefault(s["text"], set()).add(s["href"])
        assert "://" not in s["text"]
        # A line may break only where a <wbr> stands (after "/", before "?" and "&").
        assert set(s["lines"]) == {1}, s
    assert {text: h for text, h in hrefs.items() if len(h) > 1} == {}


def test_two_sources_that_would_read_alike_show_their_queries(browser, project_copy: Path) -> None:
    """Council systems name the document in the query: a second Herne paper (same host and
    path as Herne's source, another VOLFDNR) makes both links show their whole address."""
    from server.web.app import create_app

    table = project_copy / "data" / "register" / "beitritte.csv"
    with open(table, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    quelle = rows[0].index("quelle")
    other = "https://herne.de/allris/vo020.asp?VOLFDNR=17934"
    next(r for r in rows if r[0] == "bottrop")[quelle] = other
    with open(table, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    config = Config(root=project_copy, query_workers=1).validated()
    with on_socket(lambda url: create_app(config)) as url:
        context = browser.new_context(locale="de-DE", viewport={"width": 375, "height": 900})
        pg = context.new_page()
        pg.goto(url + "/register")
        sources = pg.evaluate(SOURCES_JS)
        context.close()
    texts = {s["href"]: s["text"] for s in sources}
    assert texts[other] == "herne.de/allris/vo020.asp?VOLFDNR=17934"
    assert texts["https://herne.de/allris/vo020.asp?VOLFDNR=17933"].endswith("VOLFDNR=17933")
    assert all(set(s["lines"]) == {1} for s in sources)
    # the others keep the short form: host and path
    assert texts["https://essen.de/meldungen/pressemeldung_1498712.de.html"] == (
        "essen.de/meldungen/pressemeldung_1498712.de.html"
    )


@pytest.mark.parametrize("lang", ["de", "en"])
def test_register_counts_are_a_table_without_zeros(page, site_url: str, lang: str) -> None:
    page.goto(f"{site_url}/register?lang={lang}")
    rows = page.evaluate("""() => [...document.querySelectorAll('table.counts tbody tr')]
        .map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim()))""")
    assert rows
    for cells in rows:
        assert int(cells[-1]) > 0  # no state without members
        assert "0" not in cells
    assert sum(int(cells[-1]) for cells in rows) == 57
