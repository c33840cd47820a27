"""The register's page (/register), its exports, and the register on institution and goal pages."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from server.app import create_app
from server.config import Config
from tests.conftest import NS

HTML = {"Accept": "text/html"}

#: Seed joinings (data/register/beitritte.csv): institution, state.
SEED = {
    f"{NS}id/beitritt/herne-2023-0419": ("Herne", "beschlossen"),
    f"{NS}id/beitritt/kamen-080-2023": ("Kamen", "in-beratung"),
    f"{NS}id/beitritt/ds-085-23": ("Kreis Unna", "vorgeschlagen"),
}


@pytest.fixture(scope="module")
def app(config: Config) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def page(client: FlaskClient, query: str = "", lang: str = "de") -> BeautifulSoup:
    sep = "&" if query else ""
    r = client.get(f"/register?{query}{sep}lang={lang}", headers={"Accept": "text/html"})
    assert r.status_code == 200, r.data
    return BeautifulSoup(r.data, "html.parser")


def table_rows(soup: BeautifulSoup) -> list[dict[str, str]]:
    out = []
    for tr in soup.select("table.register tbody tr"):
        cells = tr.find_all(["th", "td"])
        out.append(
            {
                "institution": cells[0].a.get_text(),
                "joining": cells[0].find_all("a")[1]["href"],
                "kind": cells[1].get_text(strip=True),
                "body": cells[2].get_text(strip=True),
                "date": cells[3].time["datetime"] if cells[3].time else "",
                "state": cells[4].get_text(strip=True),
                "paper": cells[5].get_text(" ", strip=True),
                "sources": " ".join(a["href"] for a in cells[6].find_all("a")),
            }
        )
    return out


def counts(soup: BeautifulSoup, heading_id: str) -> dict[str, int]:
    items = soup.find(id=heading_id).find_next("ul").find_all("li")
    return {li.get_text().rsplit(":", 1)[0]: int(li.get_text().rsplit(":", 1)[1]) for li in items}


def test_the_page_lists_the_four_seed_joinings_with_their_states(client: FlaskClient) -> None:
    soup = page(client)
    assert soup.h1.get_text() == "Register der Charta"
    rows = table_rows(soup)
    assert {r["joining"] for r in rows} >= {"/" + iri[len(NS) :] for iri in SEED}
    by_joining = {NS + r["joining"][1:]: r for r in rows}
    state_label = {"beschlossen": "beschlossen", "in-beratung": "in Beratung"}
    state_label["vorgeschlagen"] = "vorgeschlagen"
    for iri, (name, state) in SEED.items():
        assert by_joining[iri]["institution"] == name
        assert by_joining[iri]["state"] == state_label[state]
    herne = by_joining[f"{NS}id/beitritt/herne-2023-0419"]
    assert herne["date"] == "2023-06-13" and herne["body"] == "Rat der Stadt Herne"
    assert herne["kind"] == "kreisfreie Stadt"
    assert "Vorlage 2023/0419 der Stadt Herne" in herne["paper"]
    assert "im Ratsinformationssystem" in herne["paper"]
    assert "https://herne.de/allris/vo020.asp?VOLFDNR=17933" in herne["sources"]
    # the Charta's adoption by the Ruhrparlament is not a joining: the RVR is no row
    assert "Regionalverband Ruhr" not in {r["institution"] for r in rows}
    # default order: by institution
    names = [r["institution"] for r in rows]
    assert names == sorted(names, key=str.casefold)
    assert soup.select_one("table.register caption").get_text().startswith("3 von 3 Beitritten")


def test_counts_per_state_and_per_kind(client: FlaskClient) -> None:
    soup = page(client)
    assert counts(soup, "by-state") == {
        "vorgeschlagen": 1,
        "in Beratung": 1,
        "beschlossen": 1,
        "unterzeichnet": 0,
        "abgelehnt": 0,
        "kein Nachweis gefunden": 0,
    }
    assert counts(soup, "by-kind") == {
        "Kreis": 1,
        "kreisangehörige Kommune": 1,
        "kreisfreie Stadt": 1,
    }
    # each count with joinings links to the filtered table
    link = soup.find(id="by-state").find_next("ul").find("a", string="beschlossen")
    assert link["href"] == "/register?status=beschlossen"


def test_filter_by_state_and_kind(client: FlaskClient) -> None:
    decided = table_rows(page(client, "status=beschlossen"))
    assert sorted(r["institution"] for r in decided) == ["Herne"]
    soup = page(client, "status=beschlossen&art=kreisfreie-stadt")
    assert [r["institution"] for r in table_rows(soup)] == ["Herne"]
    assert (
        soup.find("select", id="f-status").find("option", selected=True)["value"] == "beschlossen"
    )
    empty = page(client, "status=abgelehnt")
    assert table_rows(empty) == []
    assert "Kein Beitritt im Register" in empty.find("p", role="status").get_text()


def test_sort_by_date_and_state(client: FlaskClient) -> None:
    soup = page(client, "sort=datum")
    rows = table_rows(soup)
    assert [r["date"] for r in rows] == ["2023-06-13", "", ""]  # unknown dates last
    assert soup.find("th", attrs={"aria-sort": "ascending"}).get_text(strip=True) == "Datum"
    states = [r["state"] for r in table_rows(page(client, "sort=status"))]
    assert states == sorted(states, key=["beschlossen", "in Beratung", "vorgeschlagen"].index)
    # the column headers link to the other sorts, keeping the filter
    header = page(client, "status=beschlossen").find("a", string="Datum")
    assert header["href"] == "/register?status=beschlossen&sort=datum"


@pytest.mark.parametrize("query", ["status=nichts", "art=planet", "sort=farbe"])
def test_unknown_choices_are_refused(client: FlaskClient, query: str) -> None:
    assert client.get(f"/register?{query}").status_code == 400
    assert client.get(f"/register.csv?{query}").status_code == 400


def test_the_page_in_english(client: FlaskClient) -> None:
    soup = page(client, lang="en")
    assert soup.html["lang"] == "en" and soup.h1.get_text() == "Register of the charter"
    rows = {r["joining"]: r for r in table_rows(soup)}
    kamen = rows["/id/beitritt/kamen-080-2023"]
    assert kamen["state"] == "in deliberation"
    # German-only names are marked as German (WCAG 3.1.2)
    assert soup.find("a", string="Rat der Stadt Kamen")["lang"] == "de"


def test_the_page_is_cached_per_data_version(client: FlaskClient) -> None:
    r = client.get("/register?lang=de")
    tag = r.headers["ETag"]
    assert r.headers["Last-Modified"]
    again = client.get("/register?lang=de", headers={"If-None-Match": tag})
    assert again.status_code == 304
    other = client.get("/register?lang=de&status=beschlossen")
    assert other.headers["ETag"] != tag


def test_the_landing_page_links_the_register(client: FlaskClient) -> None:
    soup = BeautifulSoup(client.get("/?lang=de").data, "html.parser")
    assert soup.select_one('main a[href="/register"]')


def test_the_sitemap_names_the_register(client: FlaskClient) -> None:
    assert f"<loc>{NS}register</loc>".encode() in client.get("/sitemap.xml").data


def _csv(client: FlaskClient, query: str = "") -> list[dict[str, str]]:
    r = client.get(f"/register.csv{query}")
    assert r.status_code == 200
    assert r.mimetype == "text/csv" and r.mimetype_params["charset"] == "utf-8"
    return list(csv.DictReader(io.StringIO(r.data.decode("utf-8"), newline="")))


def test_exports_have_the_rows_of_the_page(client: FlaskClient) -> None:
    rows = _csv(client)
    data = client.get("/register.json").get_json()
    shown = table_rows(page(client))
    assert [r["beitritt"] for r in rows] == [d["beitritt"] for d in data]
    assert [r["beitritt"] for r in rows] == [NS + s["joining"][1:] for s in shown]
    assert {r["beitritt"]: (r["institution_name"], r["status"]) for r in rows} == SEED
    herne = next(d for d in data if d["beitritt"].endswith("herne-2023-0419"))
    assert herne == {
        "beitritt": f"{NS}id/beitritt/herne-2023-0419",
        "institution": f"{NS}id/organisation/herne",
        "institution_name": "Herne",
        "art": "kreisfreie-stadt",
        "gremium": f"{NS}id/organisation/rat-der-stadt-herne",
        "gremium_name": "Rat der Stadt Herne",
        "datum": "2023-06-13",
        "status": "beschlossen",
        "vorlage": f"{NS}id/drucksache/herne-2023-0419",
        "vorlage_kennung": "2023/0419",
        "vorlage_url": "https://herne.de/allris/vo020.asp?VOLFDNR=17933",
        "quelle": ["https://herne.de/allris/vo020.asp?VOLFDNR=17933"],
    }
    kamen = next(r for r in rows if r["beitritt"].endswith("kamen-080-2023"))
    assert kamen["datum"] == "" and len(kamen["quelle"].split(" ")) == 2
    # the same filter and sort as the page
    decided = _csv(client, "?status=beschlossen&sort=datum")
    assert [r["institution_name"] for r in decided] == ["Herne"]
    assert [
        d["institution_name"]
        for d in client.get("/register.json?status=beschlossen&sort=datum").get_json()
    ] == ["Herne"]


@pytest.mark.parametrize("ext", ["csv", "json"])
def test_exports_are_open_to_any_origin_with_an_etag_per_data_version(
    client: FlaskClient, ext: str
) -> None:
    r = client.get(f"/register.{ext}", headers={"Origin": "https://example.org"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    tag = r.headers["ETag"]
    version = client.application.extensions["charta"].store.version
    assert version in tag
    assert client.get(f"/register.{ext}", headers={"If-None-Match": tag}).status_code == 304
    assert client.get("/register.xml").status_code == 404


def test_joinings_and_consultations_have_labels(client: FlaskClient) -> None:
    """Named from their row (the institution's or body's name, the date), in both languages."""
    q = """SELECT ?s ?de ?en WHERE {
      { ?s a <https://w3id.org/charta-ruhr/ontology#Beitritt> }
      UNION { ?s a <https://schema.oparl.org/1.1/Consultation> }
      OPTIONAL { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?de FILTER(lang(?de) = "de") }
      OPTIONAL { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?en FILTER(lang(?en) = "en") }
    }"""
    r = client.post(
        "/sparql", data={"query": q}, headers={"Accept": "application/sparql-results+json"}
    )
    rows = r.get_json()["results"]["bindings"]
    assert len(rows) >= 4 + 6
    assert all("de" in b and "en" in b for b in rows), rows
    labels = {b["s"]["value"]: (b["de"]["value"], b["en"]["value"]) for b in rows}
    assert labels[f"{NS}id/beitritt/herne-2023-0419"] == ("Beitritt: Herne", "Joining: Herne")
    assert labels[f"{NS}id/beratung/herne-2023-0419/rat-der-stadt-herne-2023-06-13"] == (
        "Beratung: Rat der Stadt Herne, 13.06.2023",
        "Consultation: Rat der Stadt Herne, 13 June 2023",
    )
    soup = BeautifulSoup(
        client.get("/id/beitritt/herne-2023-0419?lang=de", headers={"Accept": "text/html"}).data,
        "html.parser",
    )
    assert soup.h1.get_text() == "Beitritt: Herne"


def test_an_institution_page_shows_its_joining_and_its_measures(client: FlaskClient) -> None:
    herne = BeautifulSoup(
        client.get("/id/organisation/herne?lang=de", headers=HTML).data, "html.parser"
    )
    heading = herne.find("h2", string="Beitritt zur Charta")
    item = heading.find_next("ul").li
    assert item.a["href"] == "/id/beitritt/herne-2023-0419"
    assert "beschlossen" in item.get_text() and "13.06.2023" in item.get_text()
    assert "Rat der Stadt Herne" in item.get_text() and "2023/0419" in item.get_text()
    # Dortmund is only in the register tables: its page is a body's page, with its measure
    dortmund = BeautifulSoup(
        client.get("/id/organisation/dortmund?lang=de", headers=HTML).data, "html.parser"
    )
    measures = dortmund.find("h2", string="Maßnahmen").find_next("ul")
    assert measures.a["href"] == "/id/massnahme/dortmund-gruener-korridor"
    assert any(s in measures.get_text() for s in ("geplant", "in Umsetzung", "umgesetzt"))
    assert dortmund.find("h2", string="Beitritt zur Charta") is None


def test_a_goal_page_lists_the_measures_towards_it(project_copy: Path) -> None:
    """The seed assigns no Oberziel (no source does); a copy whose measure names II.1 shows it."""
    table = project_copy / "data" / "register" / "massnahmen.csv"
    with open(table, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    at = rows[0].index("oberziele")
    for row in rows[1:]:
        row[at] = "II.1" if row[0] == "dortmund-gruener-korridor" else ""
    with open(table, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    app = create_app(Config(root=project_copy, testing=True).validated())
    client = app.test_client()
    soup = BeautifulSoup(
        client.get("/id/oberziel/schwamm-region?lang=de", headers=HTML).data, "html.parser"
    )
    ul = soup.find("h2", string="Maßnahmen zu diesem Oberziel").find_next_sibling("ul")
    assert ul.a["href"] == "/id/massnahme/dortmund-gruener-korridor"
    assert "Dortmund" in ul.get_text()
    other = BeautifulSoup(
        client.get("/id/oberziel/mehr-wildnis-im-stadtgruen?lang=de", headers=HTML).data,
        "html.parser",
    )
    assert (
        other.find("h2", string="Maßnahmen zu diesem Oberziel").find_next_sibling("p").a["href"]
        == "/register"
    )


def timeline(soup: BeautifulSoup) -> list[tuple[str, str, str, str, bool]]:
    """The timeline's entries: date, institution, body, what (role or joining), decides."""
    out = []
    for li in soup.select("ol.timeline > li"):
        links = li.find_all("a")
        out.append(
            (
                li.time["datetime"],
                links[0].get_text(),
                links[1].get_text(),
                links[2].get_text(),
                "decides" in (li.get("class") or []),
            )
        )
    return out


def test_the_timeline_puts_joinings_and_consultations_in_date_order(
    client: FlaskClient,
) -> None:
    soup = page(client)
    heading = soup.find("h2", id="timeline")
    assert heading.get_text() == "Zeitleiste"
    ol = heading.find_next_sibling("ol")
    assert "timeline" in ol["class"] and ol["aria-labelledby"] == "timeline"
    entries = timeline(soup)
    dates = [e[0] for e in entries]
    assert dates == sorted(dates)
    first = soup.select_one("ol.timeline > li")
    assert first.time.get_text() == "09.05.2023"
    # Herne's six consultations (data/register/beratungen.csv), the council's decision once
    herne = [e for e in entries if e[1] == "Herne"]
    assert len(herne) == 6
    assert herne[-1] == ("2023-06-13", "Herne", "Rat der Stadt Herne", "Entscheidung", True)
    assert [e[4] for e in herne].count(True) == 1
    assert ("2023-06-06", "Herne", "Naturschutzbeirat", "Beratung", False) in herne  # no role
    assert "Vorberatung, beschlossen" in soup.select("ol.timeline > li")[0].get_text()
    # Kreis Unna's proposal: the consultations of DS 085/23, without an outcome (none known)
    unna = [e for e in entries if e[1] == "Kreis Unna"]
    assert [(e[0], e[2], e[3]) for e in unna] == [
        (
            "2023-05-17",
            "Ausschuss für Wirtschaftsförderung, Kreis- und Regionalentwicklung",
            "Empfehlungsbeschluss",
        ),
        ("2023-06-12", "Kreisausschuss", "Empfehlungsbeschluss"),
        ("2023-06-13", "Kreistag", "Entscheidung"),
    ]
    # Kamen has neither a date nor a consultation: named below the timeline, not in it
    assert "Kamen" not in {e[1] for e in entries}
    note = ol.find_next_sibling("p")
    assert note.get_text(" ", strip=True) == "Ohne bekanntes Datum: Kamen"


def test_the_timeline_follows_the_filter_and_speaks_english(client: FlaskClient) -> None:
    decided = timeline(page(client, "status=beschlossen&sort=datum"))
    assert {e[1] for e in decided} == {"Herne"}
    assert len(decided) == 6
    soup = page(client, lang="en")
    assert soup.find("h2", id="timeline").get_text() == "Timeline"
    entries = timeline(soup)
    assert soup.select_one("ol.timeline > li time").get_text() == "9 May 2023"
    assert ("2023-06-13", "Herne", "Herne City Council", "Decision", True) in entries
    # German-only names keep their language (WCAG 3.1.2)
    assert soup.select_one("ol.timeline").find("a", string="Naturschutzbeirat")["lang"] == "de"
    empty = page(client, "status=in-beratung")
    assert empty.select_one("ol.timeline") is None
    assert (
        "Kein Beitritt dieser Auswahl" in empty.find("h2", id="timeline").find_next("p").get_text()
    )
