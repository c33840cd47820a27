"""Every page of the sitemap reads as written for a person, in both languages: properties
by their labels (no vocabulary local names, no CURIEs), links to a page named as a person
would say them, values by name (no authority codes, no namespace fragments)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from server.i18n import LANGS
from server.profile.labels import INVERSE_LABELS as OWN_INVERSE_LABELS
from server.rdf.labels import (
    FORMAT_NAMES,
    INVERSE_LABELS,
    STANDARD_LABELS,
    local_name,
    standard_label,
)
from server.rdf.namespaces import LABEL_PREDICATES, all_prefixes
from tests.conftest import NS

#: A prefixed name such as ``skos:prefLabel`` or ``dcat:landingPage``.
CURIE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in all_prefixes(NS)) + r"):[A-Za-z_]")
CAMEL_CASE = re.compile(r"\b[a-z]+[A-Z][A-Za-z]*\b")


def sitemap_paths(client: FlaskClient) -> list[str]:
    body = client.get("/sitemap.xml").get_data(as_text=True)
    locs = re.findall(r"<loc>([^<]+)</loc>", body)
    return sorted({"/" + loc[len(NS) :].split("?")[0] for loc in locs if loc.startswith(NS)})


def pages(client: FlaskClient) -> Iterator[tuple[str, str, BeautifulSoup]]:
    for path in sitemap_paths(client):
        for lang in LANGS:
            r = client.get(path, query_string={"lang": lang}, headers={"Accept": "text/html"})
            assert r.status_code == 200, path
            yield path, lang, BeautifulSoup(r.data, "html.parser")


def labels_in_data(app: Flask, lang: str) -> set[str]:
    """Every label the data gives a property in ``lang`` (our ontology's own labels)."""
    from server.web.state import store

    preds = ", ".join(f"<{p}>" for p in LABEL_PREDICATES)
    with app.app_context():
        rows = store().select(
            "SELECT DISTINCT ?p ?l WHERE { ?s ?p ?o . ?p ?lp ?l "
            f'FILTER(?lp IN ({preds}) && LANGMATCHES(LANG(?l), "{lang}")) }}'
        )
    return {r["l"].value for r in rows}


def local_names(app: Flask) -> set[str]:
    """The local name of every property the data uses."""
    from server.web.state import store

    with app.app_context():
        rows = store().select("SELECT DISTINCT ?p WHERE { ?s ?p ?o }")
    return {local_name(r["p"].value) for r in rows}


def looks_coded(text: str) -> bool:
    """An identifier from a vocabulary rather than a name: ``administrativeDistrict``,
    ``PUBLIC``, ``RDF_TURTLE``, ``0.1``, ``22-rdf-syntax-ns``, ``r5r`` (a format's own name,
    "CSV", is its name)."""
    return text not in FORMAT_NAMES.values() and bool(
        CAMEL_CASE.fullmatch(text)
        or "_" in text
        or re.fullmatch(r"[A-Z]{2,6}", text)
        or re.fullmatch(r"[\d.]+", text)
        or len(text) <= 3
        or text.endswith("-ns")
    )


@pytest.fixture(scope="module")
def app() -> Flask:
    """The embedded store only: pages are the same code on every backend (test_resource
    compares the backends), and this module renders every page twice."""
    from server.config import Config
    from server.web.app import create_app
    from tests.conftest import ROOT

    return create_app(Config(root=ROOT, testing=True).validated())


@pytest.fixture(scope="module")
def walked(app: Flask) -> list[tuple[str, str, BeautifulSoup]]:
    return list(pages(app.test_client()))


def test_the_sitemap_has_the_pages_to_walk(walked: list[tuple[str, str, BeautifulSoup]]) -> None:
    assert len({path for path, _, _ in walked}) > 150


def test_no_property_label_is_a_local_name_or_a_curie(
    app: Flask, walked: list[tuple[str, str, BeautifulSoup]]
) -> None:
    names = local_names(app)
    found = []
    for lang in LANGS:
        # A local name that is also a label in this language ("Beratung", English "date")
        # is a word a reader knows; one that is not ("exampleResource" on a German page) is
        # the vocabulary showing through.
        allowed = labels_in_data(app, lang) | {
            standard_label(p, lang) or "" for p in [*STANDARD_LABELS, *INVERSE_LABELS]
        }
        forbidden = names - allowed
        for path, page_lang, soup in walked:
            if page_lang != lang:
                continue
            labels = [dt.get_text(" ", strip=True) for dt in soup.select("dl.props dt")]
            labels += [span.get_text(strip=True) for span in soup.select("span.part")]
            for label in labels:
                if label in forbidden or CURIE.search(label) or CAMEL_CASE.search(label):
                    found.append((path, lang, label))
    assert found == []


def test_links_to_a_page_are_named_as_a_person_says_them(
    walked: list[tuple[str, str, BeautifulSoup]],
) -> None:
    """Not "is “exampleResource” of": every property that links to a page of the data
    has an inverse name in the catalogue."""
    found = {
        (path, dt.get_text(strip=True))
        for path, _, soup in walked
        for dt in soup.select("dl.props dt")
        if "“" in dt.get_text() or "„" in dt.get_text()
    }
    assert found == set()
    assert OWN_INVERSE_LABELS  # our own properties are named from their side too


def test_values_are_named_not_coded(walked: list[tuple[str, str, BeautifulSoup]]) -> None:
    """Licences, languages, file types, themes and levels by name, not by their code."""
    found = {
        (path, a.get_text(strip=True), a["href"])
        for path, _, soup in walked
        for a in soup.select("dl.props dd a[rel=external]")
        if a.get_text(strip=True) == local_name(a["href"]) and looks_coded(a.get_text(strip=True))
    }
    assert found == set()


DATASET = "/id/datensatz/charta"
DISTRIBUTION = "/id/distribution/turtle"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "de",
            {
                (DISTRIBUTION, "Lizenz"): "Creative Commons Namensnennung 4.0 International",
                (DISTRIBUTION, "Medientyp"): "Turtle (text/turtle)",
                (DISTRIBUTION, "Format"): "Turtle",
                (DATASET, "Verwaltungsebene"): "Kreis",
                (DATASET, "Sprache"): "Deutsch",
                (DATASET, "Zugang"): "öffentlich",
                (DATASET, "Gebiet"): "Kreis Unna",  # the body whose territory it is
                (DATASET, "Anzahl der Aussagen (Tripel)"): None,
            },
        ),
        (
            "en",
            {
                (DISTRIBUTION, "licence"): "Creative Commons Attribution 4.0 International",
                (DISTRIBUTION, "media type"): "Turtle (text/turtle)",
                (DATASET, "administrative level"): "district (Kreis)",
                (DATASET, "language"): "German",
                (DATASET, "access rights"): "public",
                (DATASET, "spatial coverage"): "District of Unna",
                (DATASET, "number of statements (triples)"): None,
            },
        ),
    ],
)
def test_the_dataset_pages_read_as_text(
    client: FlaskClient, lang: str, expected: dict[tuple[str, str], str | None]
) -> None:
    for (path, label), value in expected.items():
        r = client.get(path, query_string={"lang": lang}, headers={"Accept": "text/html"})
        soup = BeautifulSoup(r.data, "html.parser")
        rows = {dt.get_text(strip=True): dt.find_next("dd") for dt in soup.select("dl.props dt")}
        assert label in rows, (label, sorted(rows))
        text = rows[label].get_text(" ", strip=True)
        if value is None:  # a count, with the language's thousands separator
            assert re.fullmatch(r"\d{1,3}([.,]\d{3})+", text), text
            assert ("." if lang == "de" else ",") in text
        else:
            assert value in text


def test_no_list_names_a_property_twice(walked: list[tuple[str, str, BeautifulSoup]]) -> None:
    """Two properties a reader names alike ("betroffen von") are one row, not two."""
    found = []
    for path, lang, soup in walked:
        for dl in soup.select("dl.props"):
            labels = [dt.get_text(strip=True) for dt in dl.find_all("dt", recursive=False)]
            found += [(path, lang, t) for t in set(labels) if labels.count(t) > 1]
    assert found == []
