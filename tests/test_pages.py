"""One template per kind of resource: what each page must show a reader."""

from __future__ import annotations

import json

import pytest
import rdflib
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NS


def page(client: FlaskClient, path: str, lang: str = "de") -> BeautifulSoup:
    r = client.get(f"{path}?lang={lang}", headers={"Accept": "text/html"})
    assert r.status_code == 200
    return BeautifulSoup(r.data, "html.parser")


def schema_org(soup: BeautifulSoup) -> dict:
    return json.loads(soup.find("script", type="application/ld+json").string)


def test_paper_lists_its_sections_in_document_order(client: FlaskClient) -> None:
    """Linked resources with a schema:position keep the source's order, not the alphabet's."""
    soup = page(client, "/id/drucksache/ds-085-23")
    row = next(dt for dt in soup.find_all("dt") if dt.get_text(strip=True) == "Abschnitt")
    sections = [li.get_text(strip=True) for li in row.find_next("dd").find_all("li")]
    assert sections == [
        "Sachbericht",
        "Eine Charta als Leitbild der zukünftigen Entwicklung",
        "Erarbeitungsprozess der Charta: Aus der Region - für die Region",
        "Ausblick – Von der Charta zur Umsetzung",
        "Charta als Basis für Förderzugänge",
        "Kosten",
    ]


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("de", "Beratungen, Sitzungen und Beschlüsse dieses Gremiums"),
        ("en", "consultations, meetings and decisions of this body"),
    ],
)
def test_incoming_links_are_named_from_the_pages_side(
    client: FlaskClient, lang: str, heading: str
) -> None:
    soup = page(client, "/id/organisation/kreistag-unna", lang)
    assert heading in [dt.get_text(strip=True) for dt in soup.find_all("dt")]


def test_text_in_another_language_than_the_page_is_marked(client: FlaskClient) -> None:
    """WCAG 3.1.2 (language of parts): German-only titles on an English page say so."""
    soup = page(client, "/id/abschnitt/ds-085-23/2", "en")
    assert soup.html["lang"] == "en"
    assert soup.h1["lang"] == "de"
    paper = [a for a in soup.select("main a") if a.get_text().startswith("DS 085/23:")]
    assert paper and all(a.get("lang") == "de" for a in paper)
    english = [a for a in soup.select("main a") if a.get_text().startswith("Council paper")]
    assert english and all(a.get("lang") is None for a in english)
    german = page(client, "/id/abschnitt/ds-085-23/2", "de")
    assert german.h1.get("lang") is None


def test_theme_lists_its_four_goals_in_source_order(client: FlaskClient) -> None:
    soup = page(client, "/id/leitthema/klimaangepasste-metropole-ruhr")
    assert "Resilienz und Klimakomfort durch Grüne Infrastruktur sicherstellen" in soup.get_text()
    goals = [li.a.get_text(strip=True) for li in soup.select("main > ol > li")]
    keys = [li.select_one(".key").get_text() for li in soup.select("main > ol > li")]
    assert keys == ["II.1", "II.2", "II.3", "II.4"]  # the theme's numeral and the goal's place
    assert goals == [
        "Metropole Ruhr zur Schwamm-Region entwickeln",
        "Hitzevorsorge und Klimakomfort in den Städten steigern",
        "Überflutungs- und Überschwemmungsvorsorge verbessern",
        "Widerstandsfähige, vitale Grüne Infrastruktur unterhalten",
    ]
    data = schema_org(soup)
    assert data["@type"] == "DefinedTerm" and data["termCode"] == "II"


def test_goal_links_its_theme(client: FlaskClient) -> None:
    soup = page(client, "/id/oberziel/mehr-wildnis-im-stadtgruen")
    crumbs = soup.select_one("p.crumbs")
    assert crumbs.find("a", href="/id/leitthema/artenreiche-metropole-ruhr")
    assert (
        soup.find("strong", attrs={"aria-current": "page"}).get_text()
        == "Mehr Wildnis im Stadtgrün wagen"
    )


def test_goal_shows_its_key(client: FlaskClient) -> None:
    """The key the measures table names goals by ("II.1"), on the page and as termCode."""
    soup = page(client, "/id/oberziel/schwamm-region")
    assert soup.select_one("p.goal-key").get_text(strip=True) == "Oberziel II.1"
    assert schema_org(soup)["termCode"] == "II.1"
    english = page(client, "/id/oberziel/schwamm-region", "en")
    assert english.select_one("p.goal-key").get_text(strip=True) == "Goal II.1"


def test_goal_in_english(client: FlaskClient) -> None:
    soup = page(client, "/id/oberziel/mehr-wildnis-im-stadtgruen", "en")
    assert soup.h1.get_text() == "Dare to allow more wilderness in urban green spaces"
    assert soup.html["lang"] == "en"


def test_body_lists_what_it_did_by_date(client: FlaskClient) -> None:
    soup = page(client, "/id/organisation/ruhrparlament")
    items = soup.select("main > ul")[0].select("li")
    dates = [li.time["datetime"] for li in items]
    assert dates == ["2022-06-24", "2022-09-23", "2024-03-15"]
    assert items[1].time.get_text() == "23.09.2022"
    # the Charta's adoption, not a joining: the RVR is no member of its own charter
    assert items[1].a.get_text() == "Beschluss der Charta durch das Ruhrparlament"
    assert not soup.select('a[href^="/id/beitritt/"]')
    assert schema_org(soup)["@type"] == "GovernmentOrganization"


def test_paper_shows_proposal_and_timeline(client: FlaskClient) -> None:
    soup = page(client, "/id/drucksache/ds-085-23")
    assert soup.blockquote.get_text(strip=True).startswith(
        "Der Kreistag unterstützt die nachhaltige Mitwirkung"
    )
    steps = soup.select("ol.timeline > li")
    assert [s.time["datetime"] for s in steps] == ["2023-05-17", "2023-06-12", "2023-06-13"]
    assert [s.time.get_text() for s in steps] == ["17.05.2023", "12.06.2023", "13.06.2023"]
    # the Beratungsfolge is a schedule: the Kreistag's date is planned, not a decision
    assert "Entscheidung" in steps[2].get_text() and "decides" not in steps[2]["class"]
    assert all("planned" in s["class"] and "(geplant)" in s.get_text() for s in steps)
    assert "Empfehlungsbeschluss" in steps[0].get_text()
    assert schema_org(soup)["identifier"] == "DS 085/23"


def test_statements_do_not_repeat_standard_super_properties(client: FlaskClient) -> None:
    soup = page(client, "/id/drucksache/ds-085-23")
    terms = [dt.get_text() for dt in soup.select("dl.props dt")]
    assert "Beratung" in terms
    # Each consultation is related to the paper (dcterms:relation, a super-property of
    # cgi:beratung): listed once, under "Beratung", not again as a link to the paper.
    related = [dt for dt in soup.select("dl.props dt") if dt.get_text() == "verwandt mit"]
    assert not any(
        a["href"].startswith("/id/beratung/") for dt in related for a in dt.find_next("dd")("a")
    )
    assert "Abschnitt" in terms and "hat Teil" not in terms


def test_event_shows_its_date(client: FlaskClient) -> None:
    soup = page(client, "/id/ereignis/beigeordneten-konferenz-umwelt/2022-09-29")
    assert soup.find("time", datetime="2022-09-29").get_text() == "29.09.2022"
    assert schema_org(soup) | {"startDate": "2022-09-29", "@type": "Event"} == schema_org(soup)


def test_programme_lists_parts_with_the_27(client: FlaskClient) -> None:
    soup = page(client, "/id/vorhaben/offensive-gruene-infrastruktur-2030")
    parts = [li.get_text(strip=True) for li in soup.select("main > ol > li")]
    assert (
        parts[2] == "Aktionsprogramm Grüne Lückenschlüsse(27 Einzelmaßnahmen)"
    )  # strip=True joins
    assert len(parts) == 5
    assert soup.find("a", href="/id/ereignis/netzwerktag/2022")


def test_source_document_lists_what_comes_from_it(client: FlaskClient) -> None:
    soup = page(client, "/id/quelle/ds-085-23")
    headings = [h.get_text() for h in soup.select("main h3")]
    assert any(h.startswith("Oberziel (20)") for h in headings)
    assert any(h.startswith("Leitthema (5)") for h in headings)


def test_links_stay_on_this_server(client: FlaskClient) -> None:
    soup = page(client, "/id/charta")
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    assert not [h for h in hrefs if h.startswith(NS)]
    assert "/id/leitthema/lebenswerte-metropole-ruhr" in hrefs


def test_jsonld_is_compacted_with_the_published_context(client: FlaskClient) -> None:
    published = client.get("/context.jsonld")
    assert published.mimetype == "application/ld+json"
    doc = client.get("/id/leitthema/artenreiche-metropole-ruhr.jsonld").get_json()
    assert doc["@context"] == published.get_json()["@context"]
    g = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
    assert (
        rdflib.URIRef(NS + "id/leitthema/artenreiche-metropole-ruhr"),
        rdflib.SKOS.notation,
        rdflib.Literal("III"),
    ) in g


def test_every_kind_of_page_renders_in_both_languages(app: Flask, client: FlaskClient) -> None:
    paths = [
        "/",
        "/id/charta",
        "/id/leitthema/lebenswerte-metropole-ruhr",
        "/id/oberziel/schwamm-region",
        "/id/organisation/kreis-unna",
        "/id/drucksache/ds-085-23",
        "/id/sitzung/kreistag-unna/2023-06-13",
        "/id/vorhaben/aktionsprogramm-gruene-lueckenschluesse",
        "/id/quelle/ds-085-23",
        "/id/werteliste/beratungsrolle",
        "/ontology",
    ]
    for path in paths:
        for lang in ("de", "en"):
            soup = page(client, path, lang)
            assert soup.html["lang"] == lang
            assert soup.h1 and soup.h1.get_text(strip=True)
            assert soup.find("a", class_="skip")


def test_charta_picture_links_all_themes_and_goals_without_outside_requests(
    client: FlaskClient,
) -> None:
    soup = page(client, "/id/charta")
    svg = soup.find("svg")
    links = [a["href"] for a in svg.find_all("a")]
    assert len(links) == 25
    assert sum("/id/leitthema/" in h for h in links) == 5
    assert sum("/id/oberziel/" in h for h in links) == 20
    text = " ".join(t.get_text(" ") for t in svg.find_all("text"))
    assert "Schwamm-Region" in text.replace("- ", "-")
    assert "http" not in "".join(str(e.get("href", "")) for e in svg.find_all(True))


def test_landing_draws_bodies_as_a_tree(client: FlaskClient) -> None:
    soup = page(client, "/")
    tree = soup.select_one("nav.org-tree")
    kreis = next(li for li in tree.find_all("li") if li.a.get_text() == "Kreis Unna")
    children = [a.get_text() for a in kreis.ul.find_all("a")]
    assert "Kreistag" in children
    assert "Organisationseinheit Bauen und Planen" in children


def test_dataset_page_names_its_downloads_and_area_on_every_backend(client: FlaskClient) -> None:
    """The queries beyond the description (downloads, the area's name, labels of values the
    description does not label) answer alike on each store."""
    soup = page(client, "/id/datensatz/charta", "en")
    data = schema_org(soup)
    assert data["@type"] == "Dataset"
    assert {d["encodingFormat"] for d in data["distribution"]} >= {"text/turtle"}
    assert data["spatialCoverage"][0]["name"] == "District of Unna"
    area = next(dt for dt in soup.select("dl.props dt") if dt.get_text() == "spatial coverage")
    assert area.find_next("dd").get_text(strip=True) == "District of Unna"
    # The dataset's example resources by their labels (the description has only the links).
    row = next(dt for dt in soup.select("dl.props dt") if dt.get_text() == "example resource")
    examples = [a.get_text() for a in row.find_next("dd")("a")]
    assert "Liveable Metropole Ruhr" in examples and "ds-085-23" not in examples
