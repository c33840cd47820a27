"""The register's page (/register), its exports, and the register on institution and goal pages."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from server.config import Config
from server.web.app import create_app
from tests.conftest import NS

HTML = {"Accept": "text/html"}

#: Joinings with a resolution paper or evidence (data/register/beitritte.csv): institution, state.
SEED = {
    f"{NS}id/beitritt/herne-2023-0419": ("Herne", "beschlossen"),
    f"{NS}id/beitritt/kamen-080-2023": ("Kamen", "in-beratung"),
    f"{NS}id/beitritt/essen": ("Essen", "in-beratung"),
    f"{NS}id/beitritt/ds-085-23": ("Kreis Unna", "vorgeschlagen"),
}
#: The members of the RVR by kind (docs/research/mitglieder-a.csv and -b.csv).
MEMBERS = {"kreisfreie-stadt": 11, "kreis": 4, "kreisangehoerige-kommune": 42}
KREISE = {
    "Kreis Recklinghausen": 10,
    "Ennepe-Ruhr-Kreis": 9,
    "Kreis Unna": 10,
    "Kreis Wesel": 13,
}


def page(client: FlaskClient, query: str = "", lang: str = "de") -> BeautifulSoup:
    sep = "&" if query else ""
    r = client.get(f"/register?{query}{sep}lang={lang}", headers={"Accept": "text/html"})
    assert r.status_code == 200, r.data
    return BeautifulSoup(r.data, "html.parser")


def table_rows(soup: BeautifulSoup) -> list[dict[str, str]]:
    out = []
    for tr in soup.select("table.register tbody tr"):
        cells = tr.find_all(["th", "td"])
        decided = cells[3].find("time", class_="decided")
        checked = cells[3].find("time", class_="stand")
        out.append(
            {
                "id": tr["id"],
                "institution": cells[0].a.get_text(),
                "joining": cells[0].find_all("a")[-1]["href"],
                "kind": cells[1].get_text(strip=True),
                "body": cells[2].get_text(strip=True),
                "date": decided["datetime"] if decided else "",
                "stand": checked["datetime"] if checked else "",
                "state": cells[4].find("a", class_="badge").get_text(strip=True),
                "state_class": " ".join(cells[4].find("a", class_="badge")["class"]),
                "candidate": "candidate" in (tr.get("class") or []),
                "paper": " ".join(cells[5].get_text().split()),
                "sources": " ".join(a["href"] for a in cells[6].find_all("a")),
                "source_text": " ".join(cells[6].get_text().split()),
            }
        )
    return out


def german_only_names(client: FlaskClient) -> set[str]:
    """Names of organisations that have a German label and no English one."""
    q = """SELECT ?de WHERE { ?o a <http://www.w3.org/ns/org#Organization> ;
        <http://www.w3.org/2004/02/skos/core#prefLabel> ?de . FILTER(lang(?de) = "de")
        FILTER NOT EXISTS { ?o <http://www.w3.org/2004/02/skos/core#prefLabel> ?en .
                            FILTER(lang(?en) = "en") } }"""
    r = client.post(
        "/sparql", data={"query": q}, headers={"Accept": "application/sparql-results+json"}
    )
    return {b["de"]["value"] for b in r.get_json()["results"]["bindings"]}


def count_table(soup: BeautifulSoup) -> dict[str, dict[str, str]]:
    """The at-a-glance table: state label -> {kind notation or "": cell text}."""
    out = {}
    for tr in soup.select("table.counts tbody tr"):
        out[tr.th.get_text(strip=True)] = {
            td["data-kind"]: td.get_text(strip=True) for td in tr.find_all("td")
        }
    return out


def test_the_page_lists_every_member_with_its_state(client: FlaskClient) -> None:
    soup = page(client)
    assert soup.h1.get_text() == "Register der Charta"
    rows = table_rows(soup)
    assert len(rows) == 57
    assert len({r["institution"] for r in rows}) == 57
    by_joining = {NS + r["joining"][1:]: r for r in rows}
    labels = {"beschlossen": "beschlossen", "in-beratung": "in Beratung"}
    labels["vorgeschlagen"] = "vorgeschlagen"
    for iri, (name, state) in SEED.items():
        assert by_joining[iri]["institution"] == name
        assert by_joining[iri]["state"] == labels[state]
    herne = by_joining[f"{NS}id/beitritt/herne-2023-0419"]
    assert herne["date"] == "2023-06-13" and herne["body"] == "Rat der Stadt Herne"
    assert herne["kind"] == "kreisfreie Stadt" and herne["stand"] == ""
    # the paper by its reference and title, and its page in the council system
    assert herne["paper"].startswith("2023/0419: Charta Grüne Infrastruktur Metropole Ruhr")
    assert "im Ratsinformationssystem" in herne["paper"]
    assert "https://herne.de/allris/vo020.asp?VOLFDNR=17933" in herne["sources"]
    # every other row says as of when its state holds
    for r in rows:
        assert bool(r["date"]) != bool(r["stand"]), r
    # the Charta's adoption by the Ruhrparlament is not a joining: the RVR is no row
    assert "Regionalverband Ruhr" not in {r["institution"] for r in rows}
    names = [r["institution"] for r in rows]
    assert names == sorted(names, key=str.casefold)
    assert soup.select_one("table.register caption").get_text().startswith("57 von 57 Beitritten")


def test_sources_show_host_and_path_and_break_only_at_slashes(client: FlaskClient) -> None:
    soup = page(client)
    herne = next(r for r in table_rows(soup) if r["institution"] == "Herne")
    assert herne["source_text"] == "herne.de/allris/vo020.asp"
    link = soup.select_one('#beitritt-herne-2023-0419 td.src a[rel="external"]')
    assert link.find("wbr") is not None
    css = " ".join(st.get_text() for st in soup.find_all("style"))
    rule = re.search(r"table\.register td\.src \{([^}]*)\}", css)
    assert rule and "overflow-wrap:normal" in rule.group(1) and "anywhere" not in rule.group(1)
    bochum = next(r for r in table_rows(soup) if r["institution"] == "Bochum")
    assert "Recherche" in bochum["source_text"]  # a document in the graph, by its name
    assert bochum["sources"] == "/id/quelle/recherche-mitglieder-2026-12-06"


def test_states_are_told_apart_by_text_and_colour(client: FlaskClient) -> None:
    rows = {r["institution"]: r for r in table_rows(page(client))}
    decided, deliberating = rows["Herne"], rows["Kamen"]
    assert decided["state"] != deliberating["state"]
    assert "st-beschlossen" in decided["state_class"]
    assert "st-in-beratung" in deliberating["state_class"]
    assert "st-kein-nachweis" in rows["Bochum"]["state_class"]
    assert rows["Bochum"]["state"] == "kein Nachweis gefunden"


def test_counts_per_state_are_a_compact_table_without_zeros(client: FlaskClient) -> None:
    soup = page(client)
    table = count_table(soup)
    assert set(table) == {"beschlossen", "in Beratung", "vorgeschlagen", "kein Nachweis gefunden"}
    assert table["beschlossen"][""] == "1" and table["beschlossen"]["kreisfreie-stadt"] == "1"
    assert table["in Beratung"][""] == "2"
    assert table["vorgeschlagen"]["kreis"] == "1"
    assert sum(int(t[""]) for t in table.values()) == 57
    assert soup.select_one("table.counts caption").get_text() == "57 Mitglieder nach Stand"
    link = soup.select_one("table.counts").find("a", string="beschlossen")
    assert link["href"] == "/register?status=beschlossen"
    assert not soup.select(".counts ul")


def test_filter_by_state_and_kind(client: FlaskClient) -> None:
    decided = table_rows(page(client, "status=beschlossen"))
    assert sorted(r["institution"] for r in decided) == ["Herne"]
    soup = page(client, "status=in-beratung&art=kreisfreie-stadt")
    assert [r["institution"] for r in table_rows(soup)] == ["Essen"]
    assert (
        soup.find("select", id="f-status").find("option", selected=True)["value"] == "in-beratung"
    )
    none = table_rows(page(client, "status=kein-nachweis"))
    assert len(none) == 53 and all(r["stand"] == "2026-12-06" for r in none)
    empty = page(client, "status=abgelehnt")
    assert table_rows(empty) == []
    assert "Kein Beitritt im Register" in empty.find("p", role="status").get_text()


def test_sort_by_date_and_state(client: FlaskClient) -> None:
    soup = page(client, "sort=datum")
    rows = table_rows(soup)
    assert rows[0]["date"] == "2023-06-13"  # the one decision first, unknown dates last
    assert all(r["date"] == "" for r in rows[1:])
    assert soup.find("th", attrs={"aria-sort": "ascending"}).get_text(strip=True) == "Datum"
    states = [r["state"] for r in table_rows(page(client, "sort=status"))]
    # in the value set's order (schema:position), as the counts table
    order = ["vorgeschlagen", "in Beratung", "beschlossen", "kein Nachweis gefunden"]
    assert states == sorted(states, key=order.index)
    assert [r.th.get_text(strip=True) for r in page(client).select("table.counts tbody tr")] == [
        s for s in order if s in states
    ]
    header = page(client, "status=beschlossen").find("a", string="Datum")
    assert header["href"] == "/register?status=beschlossen&sort=datum"


def test_the_region_picture_shows_every_member_linked_to_its_row(client: FlaskClient) -> None:
    soup = page(client)
    svg = soup.select_one("figure.region svg")
    assert svg is not None and svg.title.get_text()
    tiles = svg.find_all("a")
    assert len(tiles) == 57
    rows = {tr["id"] for tr in soup.select("table.register tbody tr")}
    for a in tiles:
        assert a["href"].startswith("#") and a["href"][1:] in rows
        texts = [t.get_text() for t in a.find_all("text")]
        # the state is written on the tile, not shown by colour alone
        assert len(texts) == 2 and texts[0] in a["aria-label"]
        assert any(c.startswith("st-") for c in a["class"])
    heads = [t.get_text() for t in svg.select("text.rg-head")]
    assert heads == ["Kreisfreie Städte", *sorted(KREISE, key=str.casefold)]
    groups = svg.select("g.region-group")
    assert [len(g.find_all("a")) for g in groups] == [11] + [KREISE[h] + 1 for h in heads[1:]]
    bochum = svg.find("a", href="#beitritt-bochum")
    assert "kein Nachweis gefunden" in bochum.get_text()
    assert "06.12.2026" in bochum["aria-label"]


def test_the_landing_page_shows_the_region_and_links_the_register(client: FlaskClient) -> None:
    soup = BeautifulSoup(client.get("/?lang=de").data, "html.parser")
    assert soup.select_one('main a[href="/register"]')
    tiles = soup.select("figure.region svg a")
    assert len(tiles) == 57
    assert all(a["href"].startswith("/register#beitritt-") for a in tiles)


@pytest.mark.parametrize("path", ["/", "/register", "/id/charta", "/sparql", "/ontology"])
def test_every_page_links_the_register_in_its_header(client: FlaskClient, path: str) -> None:
    soup = BeautifulSoup(client.get(f"{path}?lang=de", headers=HTML).data, "html.parser")
    assert soup.select_one('header nav a[href="/register"]').get_text() == "Register"


def test_a_candidate_is_shown_as_such_and_not_counted(project_copy: Path) -> None:
    """An import proposes (bestaetigt nein); until a person confirms, nothing is counted."""
    table = project_copy / "data" / "register" / "beitritte.csv"
    with open(table, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    row = dict.fromkeys(header, "")
    row.update(
        id="bochum-20230456",
        institution="bochum",
        vorlage="20230456",
        vorlage_titel="Charta Grüne Infrastruktur Metropole Ruhr",
        status="beschlossen",
        datum="2023-06-22",
        gremium="",
        quelle="https://example.org/oparl/paper/1",
        bestaetigt="nein",
        stand="2026-12-06",
    )
    row["status"] = "in-beratung"
    row["datum"] = ""
    rows.append([row[h] for h in header])
    with open(table, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    client = create_app(Config(root=project_copy, testing=True).validated()).test_client()
    soup = page(client)
    shown = table_rows(soup)
    assert len(shown) == 58
    candidate = next(r for r in shown if r["id"] == "beitritt-bochum-20230456")
    assert candidate["candidate"]
    assert "Kandidat" in soup.select_one("#beitritt-bochum-20230456").get_text()
    # the paper by its reference and title, never its IRI
    assert candidate["paper"].startswith("20230456: Charta Grüne Infrastruktur")
    assert NS not in candidate["paper"]
    table_counts = count_table(soup)
    assert table_counts["in Beratung"][""] == "2"  # Kamen and Essen, not the candidate
    assert soup.select_one("table.counts caption").get_text() == "57 Mitglieder nach Stand"
    assert "1 Zeilen" in soup.find(id="candidates").get_text()
    assert len(soup.select("figure.region svg a")) == 57
    exported = _csv(client)
    assert {r["bestaetigt"] for r in exported if r["beitritt"].endswith("bochum-20230456")} == {
        "nein"
    }


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
    german = german_only_names(client)
    links = soup.select("table.register tbody th > a:first-child")
    assert links and all(a.get("lang") == "de" for a in links if a.get_text() in german)
    assert any(a.get_text() in german for a in links)


def test_the_page_is_cached_per_data_version(client: FlaskClient) -> None:
    r = client.get("/register?lang=de")
    tag = r.headers["ETag"]
    assert r.headers["Last-Modified"]
    again = client.get("/register?lang=de", headers={"If-None-Match": tag})
    assert again.status_code == 304
    other = client.get("/register?lang=de&status=beschlossen")
    assert other.headers["ETag"] != tag


def test_the_sitemap_names_the_register(client: FlaskClient) -> None:
    sitemap = client.get("/sitemap.xml").data.decode("utf-8")
    assert re.search(rf"<loc>{re.escape(NS)}register(\?lang=[a-z]+)?</loc>", sitemap)


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
    assert len(rows) == 57
    by = {r["beitritt"]: r for r in rows}
    for iri, (name, state) in SEED.items():
        assert (by[iri]["institution_name"], by[iri]["status"]) == (name, state)
    # every row has its state, and where no decision date exists, the date of the check
    for r in rows:
        assert r["status"] and r["bestaetigt"] == "ja"
        assert bool(r["datum"]) != bool(r["stand"]), r
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
        "stand": None,
        "bestaetigt": "ja",
        "vorlage_titel": "Charta Grüne Infrastruktur Metropole Ruhr",
        "kreis": None,
        "kreis_name": None,
        "anmerkung": herne["anmerkung"],
    }
    # the source's own words, as the research recorded them
    assert herne["anmerkung"].startswith("Wortlaut der Quelle")
    assert (
        "Rat der Stadt Entscheidung 13.06.2023 des Rates der Stadt beschlossen"
        in herne["anmerkung"]
    )
    kamen = next(r for r in rows if r["beitritt"].endswith("kamen-080-2023"))
    assert kamen["datum"] == "" and kamen["stand"] == "2026-12-06"
    assert kamen["kreis_name"] == "Kreis Unna" and len(kamen["quelle"].split(" ")) == 3
    werne = next(d for d in data if d["beitritt"].endswith("/werne"))
    assert werne["status"] == "kein-nachweis" and werne["stand"] == "2026-12-06"
    assert "docs/research/mitglieder-a.csv" in werne["anmerkung"]
    # the same filter and sort as the page
    decided = _csv(client, "?status=beschlossen&sort=datum")
    assert [r["institution_name"] for r in decided] == ["Herne"]
    assert [
        d["institution_name"]
        for d in client.get("/register.json?status=in-beratung&sort=institution").get_json()
    ] == ["Essen", "Kamen"]


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
    # a scheduled consultation says so in its name
    assert labels[f"{NS}id/beratung/essen/rat-der-stadt-essen-2023-05-17"][0] == (
        "Geplante Beratung: Rat der Stadt Essen, 17.05.2023"
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
    # Dortmund is only in the register tables: its page lists its measure, and its state
    # (no evidence found) with the date as of which that holds
    dortmund = BeautifulSoup(
        client.get("/id/organisation/dortmund?lang=de", headers=HTML).data, "html.parser"
    )
    measures = dortmund.find("h2", string="Maßnahmen").find_next("ul")
    assert measures.a["href"] == "/id/massnahme/dortmund-gruener-korridor"
    assert any(s in measures.get_text() for s in ("geplant", "in Umsetzung", "umgesetzt"))
    joining = dortmund.find("h2", string="Beitritt zur Charta").find_next("ul").li
    assert "kein Nachweis gefunden" in joining.get_text()
    assert joining.time["datetime"] == "2026-12-06" and "Stand" in joining.get_text()


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
    # Herne's six consultations (data/register/beratungen.csv), the council's decision once
    herne = [e for e in entries if e[1] == "Herne"]
    assert len(herne) == 6
    assert herne[-1] == ("2023-06-13", "Herne", "Rat der Stadt Herne", "Entscheidung", True)
    assert [e[4] for e in herne].count(True) == 1
    assert ("2023-06-06", "Herne", "Naturschutzbeirat", "Beratung", False) in herne  # no role
    # Kreis Unna's Beratungsfolge is a schedule: planned, none a decision, said in words
    unna = [e for e in entries if e[1] == "Kreis Unna"]
    assert [(e[0], e[2], e[3], e[4]) for e in unna] == [
        (
            "2023-05-17",
            "Ausschuss für Wirtschaftsförderung, Kreis- und Regionalentwicklung",
            "Empfehlungsbeschluss",
            False,
        ),
        ("2023-06-12", "Kreisausschuss", "Empfehlungsbeschluss", False),
        ("2023-06-13", "Kreistag", "Entscheidung", False),
    ]
    items = [li for li in soup.select("ol.timeline > li") if "Kreis Unna" in li.get_text()]
    assert all("planned" in li["class"] and "(geplant)" in li.get_text() for li in items)
    # Essen: the committee's vote held, the council's date only announced
    essen = [li for li in soup.select("ol.timeline > li") if li.a.get_text() == "Essen"]
    assert [li.time["datetime"] for li in essen] == ["2023-05-02", "2023-05-17"]
    assert "planned" not in (essen[0].get("class") or [])
    assert "planned" in essen[1]["class"] and "decides" not in essen[1]["class"]
    # Kamen has neither a date nor a consultation: named below the timeline, not in it;
    # members without evidence are not listed there (the table gives their stand)
    assert "Kamen" not in {e[1] for e in entries}
    note = ol.find_next_sibling("p")
    assert note.get_text(" ", strip=True) == "Ohne bekanntes Datum: Kamen"


def test_the_paper_page_shows_its_beratungsfolge_as_planned(client: FlaskClient) -> None:
    soup = BeautifulSoup(
        client.get("/id/drucksache/ds-085-23?lang=de", headers=HTML).data, "html.parser"
    )
    steps = soup.select("ol.timeline > li")
    assert len(steps) == 3
    assert all("planned" in li["class"] and "decides" not in li["class"] for li in steps)
    assert all("(geplant)" in li.get_text() for li in steps)


def test_the_timeline_follows_the_filter_and_speaks_english(client: FlaskClient) -> None:
    decided = timeline(page(client, "status=beschlossen&sort=datum"))
    assert {e[1] for e in decided} == {"Herne"}
    assert len(decided) == 6
    soup = page(client, lang="en")
    assert soup.find("h2", id="timeline").get_text() == "Timeline"
    entries = timeline(soup)
    assert soup.select_one("ol.timeline > li time").get_text() == "2 May 2023"
    assert ("2023-06-13", "Herne", "Herne City Council", "Decision", True) in entries
    assert "(scheduled)" in soup.select("ol.timeline > li")[1].get_text() or any(
        "(scheduled)" in li.get_text() for li in soup.select("ol.timeline > li.planned")
    )
    # German-only names keep their language (WCAG 3.1.2)
    german = german_only_names(client)
    named = [a for a in soup.select("ol.timeline a") if a.get_text() in german]
    assert named and all(a.get("lang") == "de" for a in named)
    empty = page(client, "status=kein-nachweis")
    assert empty.select_one("ol.timeline") is None
    assert (
        "Kein Beitritt dieser Auswahl" in empty.find("h2", id="timeline").find_next("p").get_text()
    )
