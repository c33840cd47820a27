"""Translations: every UI string in the catalogue, German for every one, pages in each language.

The message ids are English; server/translations/ holds the template (messages.pot),
the German catalogue and its compiled .mo, which is committed so that a plain clone
serves German pages (docs/translations.md).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from server import i18n
from server.rdf.labels import format_literal

TEMPLATES = Path(i18n.__file__).parent / "templates"
XSD = "http://www.w3.org/2001/XMLSchema#"


def test_the_check_command_finds_nothing_stale() -> None:
    """``python -m server.i18n check``: the three tests below in one command."""
    assert i18n.problems() == []
    assert i18n.main(["check"]) == 0


def test_the_template_holds_every_string_the_sources_mark() -> None:
    """messages.pot is what extraction finds now: a new or changed _() needs `update`."""
    assert i18n.TEMPLATE.read_text(encoding="utf-8") == i18n.extract(), (
        "server/translations/messages.pot is stale: run python -m server.i18n update"
    )


@pytest.mark.parametrize("lang", i18n.catalogue_langs())
def test_every_message_is_translated(lang: str) -> None:
    """Each catalogue has every message of the template, each translated, none left over."""
    with i18n.TEMPLATE.open("rb") as f:
        wanted = {i18n.message_key(m) for m in read_po(f) if m.id}
    with i18n.po_path(lang).open("rb") as f:
        have = {i18n.message_key(m): m for m in read_po(f, locale=lang) if m.id}
    assert wanted - set(have) == set(), "run python -m server.i18n update"
    assert set(have) - wanted == set(), "obsolete messages: run python -m server.i18n update"
    untranslated = [
        key
        for key, m in have.items()
        if m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert untranslated == []


@pytest.mark.parametrize("lang", i18n.catalogue_langs())
def test_compiled_catalogues_are_those_of_the_po_files(lang: str) -> None:
    mo = i18n.po_path(lang).with_suffix(".mo")
    assert mo.read_bytes() == i18n.compiled(lang), (
        f"{mo} is stale: run python -m server.i18n compile"
    )


def test_templates_hold_no_language_conditionals() -> None:
    """Wording comes from the catalogue; a third language needs no template edit."""
    pattern = re.compile(r"\bif de\b|\bde else\b|lang\s*==\s*['\"]|set de\b")
    found = [
        f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("value", "datatype", "de", "en"),
    [
        ("2022-09-23", "date", "23.09.2022", "23 September 2022"),
        ("2023-05-01", "date", "01.05.2023", "1 May 2023"),
        ("2023-03", "gYearMonth", "März 2023", "March 2023"),
        ("2023-05", "gYearMonth", "Mai 2023", "May 2023"),
        ("2023-13", "gYearMonth", "2023-13", "2023-13"),
        ("true", "boolean", "ja", "yes"),
        ("0", "boolean", "nein", "no"),
        ("1234.50", "decimal", "1234,50", "1234.50"),
        ("not a date", "date", "not a date", "not a date"),
    ],
)
def test_values_read_as_each_language_writes_them(
    value: str, datatype: str, de: str, en: str
) -> None:
    lit = ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))
    assert (format_literal(lit, "de"), format_literal(lit, "en")) == (de, en)


def soup_of(client: FlaskClient, path: str, **headers: str) -> BeautifulSoup:
    r = client.get(path, headers={"Accept": "text/html", **headers})
    assert r.status_code == 200, path
    return BeautifulSoup(r.data, "html.parser")


#: Words each page shows, in each language: template strings, strings from Python
#: (example titles, dates) and the language toggle.
EXPECTED = {
    "/": {
        "de": [
            "Zum Inhalt springen",
            "Die Charta auf einen Blick",
            "Gremien und Organisationen",
            "Daten unter",
            "English",
        ],
        "en": [
            "Skip to content",
            "The charter at a glance",
            "Bodies and organisations",
            "Data under",
            "Deutsch",
        ],
    },
    "/id/drucksache/ds-085-23": {
        "de": ["Beratungsfolge", "13.06.2023", "Quelle und Formate"],
        "en": ["Sequence of consultations", "13 June 2023", "Source and formats"],
    },
    "/sparql": {
        "de": ["Beispielabfragen", "Leitthemen und Oberziele der Charta", "Ausführen"],
        "en": ["Example queries", "The charter's themes and goals", "Run"],
    },
    "/ontology": {"de": ["Klassen", "Eigenschaften"], "en": ["Classes", "Properties"]},
}


@pytest.mark.parametrize("path", sorted(EXPECTED))
@pytest.mark.parametrize("lang", ["de", "en"])
def test_pages_speak_the_chosen_language(app: Flask, path: str, lang: str) -> None:
    """Chosen by ``?lang=`` and by Accept-Language (each with a client of its own, no cookie)."""
    other = "en" if lang == "de" else "de"
    for url, headers in (
        (f"{path}?lang={lang}", {}),
        (path, {"Accept-Language": f"{lang};q=1, {other};q=0.5"}),
    ):
        soup = soup_of(app.test_client(), url, **headers)
        text = soup.get_text(" ")
        assert soup.html["lang"] == lang
        for words in EXPECTED[path][lang]:
            assert words in text, (url, words)
        for words in EXPECTED[path][other]:
            if len(words) > 12:  # short words may well occur in the data
                assert words not in text, (url, words)


def test_the_toggle_offers_the_other_language_marked_as_such(client: FlaskClient) -> None:
    (link,) = soup_of(client, "/?lang=en").select(".langs a")
    assert (link["href"], link["lang"], link["hreflang"], link.text) == (
        "?lang=de",
        "de",
        "de",
        "Deutsch",
    )


def test_the_cookie_keeps_the_language(client: FlaskClient) -> None:
    client.get("/?lang=en", headers={"Accept": "text/html"})
    assert "Skip to content" in soup_of(client, "/sparql").get_text()


def test_counts_agree_with_their_noun(client: FlaskClient) -> None:
    for _ in range(100):  # the search index is built in the background after start-up
        if client.get("/search.json?q=x").status_code == 200:
            break
        time.sleep(0.2)
    en = soup_of(client, "/search?q=Schwamm&lang=en").find(role="status").text
    de = soup_of(client, "/search?q=Schwamm&lang=de").find(role="status").text
    assert (en, de) == ("1 result for “Schwamm”", "1 Treffer für „Schwamm“")
    assert (
        soup_of(client, "/search?q=Unna&lang=en")
        .find(role="status")
        .text.endswith("results for “Unna”")
    )


def test_error_pages_stay_german(client: FlaskClient) -> None:
    """As before the catalogues: Werkzeug's error text is English and unmarked either way."""
    r = client.get("/id/gibt-es-nicht?lang=en", headers={"Accept": "text/html"})
    soup = BeautifulSoup(r.data, "html.parser")
    assert r.status_code == 404
    assert soup.html["lang"] == "de" and soup.main.find("a", href="/").text == "Zur Startseite"
