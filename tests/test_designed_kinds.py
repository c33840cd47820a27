"""Page kinds designed for their reader (issue 27): a joining, a measure, a consultation
and a value set each render with their own template and show, in German and English, the
facts a person came for, with JSON-LD of their schema.org type; a scheduled consultation
is never presented as held; an institution's page shows its place among the others."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient

JOINING = "/id/beitritt/herne-2023-0419"
JOINING_IN_DELIBERATION = "/id/beitritt/essen"
MEASURE = "/id/massnahme/herne-sportplatz-goerresstrasse"
HELD = "/id/beratung/herne-2023-0419/rat-der-stadt-herne-2023-06-13"
SCHEDULED = "/id/beratung/essen/rat-der-stadt-essen-2023-05-17"
#: A consultation of the Charta's paper (cgi:Beratung), an "event" page before.
SCHEDULED_SEED = "/id/beratung/ds-085-23/1"
VALUE_SET = "/id/werteliste/beitrittsstatus"


def get(client: FlaskClient, path: str, lang: str) -> BeautifulSoup:
    r = client.get(path, query_string={"lang": lang}, headers={"Accept": "text/html"})
    assert r.status_code == 200, path
    return BeautifulSoup(r.data, "html.parser")


def main_text(page: BeautifulSoup) -> str:
    main = page.find("main")
    assert main is not None
    return re.sub(r"\s+", " ", main.get_text(" "))


def summary_text(page: BeautifulSoup) -> str:
    """The page above its folded statements: what a person reads first."""
    main = page.find("main")
    assert main is not None
    text = []
    for el in main.children:
        if getattr(el, "name", None) == "details":
            break
        text.append(el.get_text(" ") if hasattr(el, "get_text") else str(el))
    return re.sub(r"\s+", " ", " ".join(text))


def section(page: BeautifulSoup, heading_id: str) -> Tag:
    """The section a heading of the page opens."""
    heading = page.find(id=heading_id)
    assert heading is not None, heading_id
    found = heading.find_parent("section")
    assert isinstance(found, Tag), heading_id
    return found


def jsonld_of(page: BeautifulSoup) -> dict[str, object]:
    """The page's own JSON-LD block (the one with an @id)."""
    for block in page.find_all("script", type="application/ld+json"):
        data = json.loads(block.string or "{}")
        if "@id" in data:
            return data  # type: ignore[no-any-return]
    raise AssertionError("no resource JSON-LD")


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "de",
            [
                "Wer beitritt und wie weit",
                "Herne",
                "beschlossen",
                "Rat der Stadt Herne",
                "13.06.2023",
                "2023/0419",
                "Schritte bis zum Beschluss",
                "Vorberatung",
                "Quellen",
            ],
        ),
        (
            "en",
            [
                "Who joins, and how far",
                "Herne",
                "decided",
                "Herne City Council",
                "2023",
                "2023/0419",
                "Steps towards the decision",
                "Preliminary",
                "Sources",
            ],
        ),
    ],
)
def test_a_joining_shows_who_how_far_by_whom_when_and_on_which_paper(
    client: FlaskClient, lang: str, words: list[str]
) -> None:
    page = get(client, JOINING, lang)
    assert page.find(id="joining-facts") is not None  # the joining's own template
    text = summary_text(page)
    for word in words:
        assert word in text, (lang, word)
    badge = page.select_one("main .state-line .badge")
    assert badge is not None and "st-beschlossen" in badge["class"]  # the register's colours
    steps = page.select("#joining-steps ~ ol.timeline li")
    assert len(steps) == 6
    assert page.select_one("main details.technical") is not None
    data = jsonld_of(page)
    assert data["@type"] == "Action"
    assert data["actionStatus"] == "https://schema.org/CompletedActionStatus"
    assert data["endTime"] == "2023-06-13"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_joining_in_deliberation_shows_its_scheduled_step_as_a_plan(
    client: FlaskClient, lang: str
) -> None:
    page = get(client, JOINING_IN_DELIBERATION, lang)
    badge = page.select_one("main .state-line .badge")
    assert badge is not None and "st-in-beratung" in badge["class"]
    planned = page.select("#joining-steps ~ ol.timeline li.planned")
    assert len(planned) == 1
    note = {"de": "ein Plan, kein Beleg", "en": "a plan, not a record"}[lang]
    assert note in planned[0].get_text()
    assert {"de": "kein Beschluss belegt", "en": "no decision on record"}[lang] in (
        summary_text(page)
    )
    assert jsonld_of(page)["actionStatus"] == "https://schema.org/ActiveActionStatus"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "de",
            [
                "Was, durch wen und wie weit",
                "umgesetzt",
                "08.02.2022",
                "Träger",
                "Herne",
                "Oberziele der Charta",
                "kein Oberziel",
                "Aktionsprogramm Grüne Lückenschlüsse",
                "Förderung",
                "zu hundert Prozent das Land",
                "Görresstraße",
                "Quellen",
            ],
        ),
        (
            "en",
            [
                "What, by whom, and how far",
                "completed",
                "2022",
                "Lead institution",
                "Herne",
                "Goals of the charter",
                "no goal",
                "Green Gap Closure Action Programme",
                "Funding",
                "zu hundert Prozent das Land",
                "Görresstraße",
                "Sources",
            ],
        ),
    ],
)
def test_a_measure_shows_state_lead_goals_programme_and_funding(
    client: FlaskClient, lang: str, words: list[str]
) -> None:
    page = get(client, MEASURE, lang)
    assert page.find(id="measure-facts") is not None
    text = summary_text(page)
    for word in words:
        assert word in text, (lang, word)
    data = jsonld_of(page)
    assert data["@type"] == "Project"
    assert data["sponsor"]["name"] == "Herne"  # type: ignore[index]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_held_consultation_shows_paper_body_date_role_and_result(
    client: FlaskClient, lang: str
) -> None:
    page = get(client, HELD, lang)
    assert page.find(id="consultation-facts") is not None
    assert page.select_one(".planned-notice") is None
    text = summary_text(page)
    words = {
        "de": [
            "Die Beratung",
            "Rat der Stadt Herne",
            "13.06.2023",
            "2023/0419",
            "Entscheidung",
            "Ergebnis",
            "beschlossen",
            "durchgeführt",
            "Beitritt: Herne",
        ],
        "en": [
            "The consultation",
            "Herne City Council",
            "2023",
            "2023/0419",
            "Decision",
            "Result",
            "decided",
            "held",
            "Joining: Herne",
        ],
    }[lang]
    for word in words:
        assert word in text, (lang, word)
    data = jsonld_of(page)
    assert data["@type"] == "Event"
    assert data["startDate"] == "2023-06-13"


@pytest.mark.parametrize("path", [SCHEDULED, SCHEDULED_SEED])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_scheduled_consultation_is_not_presented_as_held(
    client: FlaskClient, path: str, lang: str
) -> None:
    page = get(client, path, lang)
    assert page.find(id="consultation-facts") is not None  # its own kind, not "event"
    notice = page.select_one(".planned-notice")
    assert notice is not None
    said = {
        "de": ["Geplant, nicht als durchgeführt belegt", "Ein Plan ist kein Beleg"],
        "en": ["Scheduled, not recorded as held", "A plan is not a record of what happened"],
    }[lang]
    for words in said:
        assert words in notice.get_text()
    text = summary_text(page)
    assert {"de": "Geplantes Datum", "en": "Planned date"}[lang] in text
    assert {"de": "die Beratung ist nur geplant", "en": "only scheduled"}[lang] in text
    facts = section(page, "consultation-facts")
    for held in {"de": ["durchgeführt", "beschlossen"], "en": ["held", "decided"]}[lang]:
        assert held not in facts.get_text(), (path, held)
    data = jsonld_of(page)
    assert data["@type"] == "Event"
    assert "eventStatus" not in data


def test_the_charta_papers_consultation_names_its_paper_meeting_and_role(
    client: FlaskClient,
) -> None:
    text = summary_text(get(client, SCHEDULED_SEED, "de"))
    for word in [
        "DS 085/23",
        "Geplante Sitzung",
        "Empfehlungsbeschluss",
        "öffentlich",
        "dieses Gremium entscheidet nicht",
    ]:
        assert word in text, word


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "de",
            [
                "Die Werte dieser Liste (6)",
                "beschlossen",
                "in Beratung",
                "kein Nachweis",
                "Mindestens ein Gremium hat die Vorlage beraten",
            ],
        ),
        (
            "en",
            [
                "The values of this set (6)",
                "decided",
                "in deliberation",
                "At least one body has consulted the paper",
            ],
        ),
    ],
)
def test_a_value_set_lists_its_values_with_their_definitions(
    client: FlaskClient, lang: str, words: list[str]
) -> None:
    page = get(client, VALUE_SET, lang)
    assert page.find(id="value-set-values") is not None
    terms = page.select("dl.concepts dt")
    assert len(terms) == 6
    assert all(dd.get_text(strip=True) for dd in page.select("dl.concepts dd"))
    text = summary_text(page)
    for word in words:
        assert word in text, (lang, word)
    data = jsonld_of(page)
    assert data["@type"] == "DefinedTermSet"
    defined = data["hasDefinedTerm"]
    assert isinstance(defined, list) and len(defined) == 6
    assert all(t["@type"] == "DefinedTerm" and t["description"] for t in defined)


def test_the_charta_keeps_its_own_page_though_it_is_a_concept_scheme(
    client: FlaskClient,
) -> None:
    page = get(client, "/id/charta", "de")
    assert page.find(id="value-set-values") is None
    assert jsonld_of(page)["@type"] == "DefinedTermSet"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_an_institution_shows_its_joining_badge_and_place_among_the_others(
    client: FlaskClient, lang: str
) -> None:
    herne = get(client, "/id/organisation/herne", lang)
    assert herne.select_one("main a.badge.st-beschlossen") is not None  # the register's colours
    units = section(herne, "body-place").get_text()
    assert {"de": "Ihre Gremien und Einheiten", "en": "Its bodies and units"}[lang] in units
    assert {"de": "Rat der Stadt Herne", "en": "Herne City Council"}[lang] in units
    council = section(get(client, "/id/organisation/rat-der-stadt-herne", lang), "body-place")
    assert {"de": "Gehört zu", "en": "Part of"}[lang] in council.get_text()
    assert "Herne" in council.get_text()
    kreis = section(get(client, "/id/organisation/kreis-unna", lang), "body-place").get_text()
    assert {"de": "Ihre Städte und Gemeinden", "en": "Its municipalities"}[lang] in kreis
    assert "Bergkamen" in kreis


def test_an_institutions_measures_are_not_listed_again_as_activities(
    client: FlaskClient,
) -> None:
    page = get(client, "/id/organisation/herne", "de")
    text = main_text(page)
    before_statements = text.split("Angaben")[0]
    assert before_statements.count("Sportplatz an der Görresstraße") == 1


SERIES = "/id/datensatz/charta"
REGISTER_DATASET = "/id/datensatz/register"
CATALOG = "/id/katalog"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", ["Aussagen über", "Herunterladen", "Lizenz", "Creative Commons", "Zitieren"]),
        ("en", ["statements about", "Download", "Licence", "Creative Commons", "How to cite"]),
    ],
)
def test_a_dataset_says_what_it_holds_then_offers_its_downloads_endpoint_and_citation(
    client: FlaskClient, lang: str, words: list[str]
) -> None:
    page = get(client, SERIES, lang)
    text = summary_text(page)
    for word in words:
        assert word in text, (lang, word)
    # Each dump once, with its format named for a person and its size.
    rows = section(page, "downloads").select("tbody tr")
    assert len(rows) == 4
    for row in rows:
        link, fmt, size = row.find_all("td")
        anchor = link.find("a")
        assert anchor is not None and anchor["href"].startswith("/dumps/charta.")
        assert fmt.get_text(strip=True) in {"Turtle", "JSON-LD", "RDF/XML", "N-Triples, gzip"}
        assert re.fullmatch(r"[\d.,]+\s(kB|MB|Byte|B)", size.get_text(strip=True)), size
    query = section(page, "query").find("a")
    assert query is not None and query["href"] == "/sparql"
    starts = [a["href"] for a in section(page, "start").find_all("a")]
    assert "/id/charta" in starts
    releases = [a["href"] for a in section(page, "versions").find_all("a")]
    assert releases == ["/id/version/1.0.0"]
    # The citation names a release: a state that never changes.
    cited = section(page, "cite").select_one("blockquote a")
    assert cited is not None and cited["href"] == "/id/version/1.0.0"
    about = section(page, "about").get_text(" ")
    assert "charta" in about
    # The VoID statistics are folded away, not shown before what a person came for.
    assert "Anzahl der Klassen" not in summary_text(get(client, SERIES, "de"))
    details = page.find("details", class_="technical")
    assert details is not None and details.find("dt") is not None
    # A statement shown in its own section is not repeated among the technical details.
    labels = {dt.get_text(strip=True) for dt in details.find_all("dt")}
    assert labels.isdisjoint({"Distribution", "Beschreibung", "description", "Einstiegsseite"})
    data = jsonld_of(page)
    assert data["@type"] == "Dataset"


def test_a_dataset_without_releases_is_cited_as_of_its_last_change(client: FlaskClient) -> None:
    page = get(client, REGISTER_DATASET, "en")
    rows = section(page, "downloads").select("tbody tr")
    hrefs = sorted(a["href"] for r in rows for a in r.find_all("a"))
    assert hrefs == ["/register.csv", "/register.json"]
    assert page.find(id="versions") is None
    cite = section(page, "cite").get_text(" ")
    assert "as of" in cite and "Register of the Green Infrastructure Charter" in cite
    assert jsonld_of(page)["@type"] == "Dataset"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_catalog_lists_its_datasets_not_their_releases_and_its_services(
    client: FlaskClient, lang: str
) -> None:
    page = get(client, CATALOG, lang)
    listed = [a["href"] for a in section(page, "datasets").select("h3 a")]
    assert sorted(listed) == sorted([REGISTER_DATASET, SERIES])
    assert "/id/version/1.0.0" not in listed
    services = [a["href"] for a in section(page, "services").find_all("a")]
    assert services == ["/sparql"]
    assert section(page, "about").find("dt") is not None
    assert jsonld_of(page)["@type"] == "DataCatalog"


def test_a_datasets_past_state_lists_no_later_releases_and_links_nowhere_dead(
    client: FlaskClient,
) -> None:
    """A release's state of the dataset (a memento) cites that release and does not list the
    releases, which came after it (LinkChecker found its link to the release's own page
    inside the release dead); every link its content makes answers."""
    page = get(client, "/version/1.0.0" + SERIES, "en")
    assert page.find(id="versions") is None
    cited = section(page, "cite").select_one("blockquote a")
    assert cited is not None and cited["href"] == "/id/version/1.0.0"
    main = page.find("main")
    assert main is not None
    hrefs = {a["href"] for a in main.find_all("a") if a["href"].startswith("/")}
    assert hrefs
    for href in sorted(hrefs):
        r = client.get(href, headers={"Accept": "text/html"})
        assert r.status_code < 400, href
