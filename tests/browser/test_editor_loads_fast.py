"""The SPARQL editor is usable before YASGUI arrives (issue 27).

/sparql is a plain form that answers without JavaScript; YASGUI's files (about
280 KB gzipped) are fetched only when the reader first uses the form or an
example, and then take the form's place with what was typed in it.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.test_pages_in_browser import axe_violations

pytestmark = pytest.mark.browser

#: Who consulted DS 085/23: three consultations, the last in the Kreistag.
EXAMPLE = "beratungsfolge"


def _yasgui_requests(pg) -> list[str]:  # type: ignore[no-untyped-def]
    """The URLs of YASGUI's files the page asks for, collected as they are requested."""
    seen: list[str] = []
    pg.on("request", lambda r: seen.append(r.url) if "/static/yasgui/" in r.url else None)
    return seen


def _editor_text(pg) -> str:  # type: ignore[no-untyped-def]
    return pg.evaluate("document.querySelector('#yasgui .CodeMirror').CodeMirror.getValue()")


@pytest.fixture
def no_js_page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        locale="de-DE", java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(
    ("endpoint", "example", "rows"),
    [
        ("/sparql", EXAMPLE, 3),
        # A release's frozen state: 25 decisions and events as of 1.0.0, for good.
        ("/version/1.0.0/sparql", "beschluesse", 25),
    ],
)
def test_without_javascript_an_example_and_run_give_the_answer(
    no_js_page, site_url: str, endpoint: str, example: str, rows: int
) -> None:
    pg = no_js_page
    pg.goto(site_url + endpoint)
    assert "SELECT" in pg.input_value("#sparql-query")  # the first example, ready to run
    # An example opens the page with its query in the form ...
    query = pg.get_attribute(f"button[data-example={example}]", "value")
    with pg.expect_navigation():
        pg.click(f"button[data-example={example}]")
    assert pg.url.startswith(site_url + endpoint + "?")
    assert pg.input_value("#sparql-query").replace("\r\n", "\n") == query
    # ... and Run answers it, in JSON by default: the browser shows it.
    with pg.expect_navigation() as nav:
        pg.click("#sparql-form button[type=submit]")
    assert nav.value.headers["content-type"].startswith("application/sparql-results+json")
    assert len(json.loads(pg.inner_text("body"))["results"]["bindings"]) == rows


@pytest.mark.parametrize(
    ("chosen", "answer"),
    [("json", "application/ld+json"), ("csv", "text/turtle")],  # CSV has no RDF kin
)
def test_without_javascript_a_construct_answers_in_rdf(
    no_js_page, site_url: str, chosen: str, answer: str
) -> None:
    pg = no_js_page
    pg.goto(site_url + "/sparql")
    pg.fill(
        "#sparql-query",
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "CONSTRUCT { ?t skos:prefLabel ?l } WHERE { ?c skos:hasTopConcept ?t . "
        '?t skos:prefLabel ?l FILTER(lang(?l) = "de") }',
    )
    pg.select_option("#sparql-format", chosen)
    with pg.expect_navigation() as nav:
        pg.click("#sparql-form button[type=submit]")
    assert nav.value.headers["content-type"].startswith(answer)
    assert "Artenreiche Metropole Ruhr" in pg.inner_text("body")


def test_the_page_fetches_no_editor_until_it_is_used(page, site_url: str) -> None:
    requested = _yasgui_requests(page)
    page.goto(site_url + "/sparql", wait_until="networkidle")
    assert requested == []
    assert page.is_visible("#sparql-query") and page.is_hidden("#yasgui")
    assert axe_violations(page) == []  # the form, as a reader first finds it


def test_what_is_typed_while_the_editor_loads_stays_where_it_was_typed(page, site_url: str) -> None:
    requested = _yasgui_requests(page)
    page.goto(site_url + "/sparql", wait_until="networkidle")
    query = page.input_value("#sparql-query")
    page.focus("#sparql-query")  # the first use: the editor's files are fetched
    page.keyboard.press("Control+Home")
    page.keyboard.type("# mine\n")
    page.locator("#yasgui .CodeMirror").wait_for()
    assert len(requested) == 2  # YASGUI's script and stylesheet, once
    assert page.is_hidden("#sparql-form")
    # The reader is in the editor, and the typing went where the caret was.
    assert page.evaluate("!!document.activeElement.closest('#yasgui .CodeMirror')")
    page.wait_for_function(
        "t => document.querySelector('#yasgui .CodeMirror').CodeMirror.getValue() === t",
        arg="# mine\n" + query,
    )
    assert axe_violations(page) == []


def test_the_editor_runs_a_query_typed_into_the_form(page, site_url: str) -> None:
    page.goto(site_url + "/sparql")
    example = page.get_attribute(f"button[data-example={EXAMPLE}]", "value")
    page.fill("#sparql-query", example)
    page.locator("#yasgui .CodeMirror").wait_for()
    assert _editor_text(page) == example
    page.click("#yasgui .yasqe_queryButton")
    rows = page.locator(".yasr table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 3
    assert "Kreistag" in rows.nth(2).inner_text()


def test_run_before_the_editor_arrives_answers_in_the_editor(page, site_url: str) -> None:
    page.goto(site_url + "/sparql")
    page.click("#sparql-form button[type=submit]")  # the first example, as the page opened
    rows = page.locator(".yasr table tbody tr")
    rows.first.wait_for()
    assert page.url == site_url + "/sparql"  # answered in the page, not by leaving it
    assert "Artenreiche Metropole Ruhr" in page.locator(".yasr table tbody").inner_text()


def test_at_phone_width_each_prefix_keeps_its_line(browser, site_url: str) -> None:
    context = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844})
    pg = context.new_page()
    pg.goto(site_url + "/sparql")
    scrolls = "el => el.scrollWidth > el.clientWidth"
    # The form's query scrolls sideways instead of breaking its PREFIX lines ...
    assert pg.eval_on_selector("#sparql-query", scrolls)
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    pg.focus("#sparql-query")
    pg.locator("#yasgui .CodeMirror").wait_for()
    # ... and so does the editor's: each PREFIX line is one line high, like an empty one.
    heights = pg.eval_on_selector_all(
        "#yasgui .CodeMirror-code > div", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    lines = _editor_text(pg).split("\n")
    prefix_heights = {
        round(h) for h, line in zip(heights, lines, strict=True) if line.startswith("PREFIX")
    }
    assert len(prefix_heights) == 1 and prefix_heights == {round(heights[lines.index("")])}
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_the_endpoint_is_introduced_before_the_releases(page, site_url: str) -> None:
    page.goto(site_url + "/sparql?lang=en")
    paragraphs = page.locator("main > p").all_inner_texts()
    assert paragraphs[0].startswith("Ask the knowledge graph your own questions.")
    assert paragraphs[1].startswith("Query a release instead")
