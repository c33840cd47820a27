"""Every fact of DS 085/23, found with SPARQL over standard vocabularies only.

The queries use SKOS, W3C ORG, dcterms and PROV (plus rdf/xsd); none of our own
terms. A researcher who knows only the standards finds each fact this way.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from server.sources import SOURCE_DIRS, parse_into, source_files
from tests.conftest import NS, ROOT

PREFIXES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
SEED = f"<{NS}id/quelle/ds-085-23>"

THEMES = {
    "I": (
        "Lebenswerte Metropole Ruhr",
        "Durch Grüne Infrastruktur Lebensqualität sichern und Identität stiften",
        [
            "Freiraumsystem mit seinen vielfältigen Funktionen sichern und weiterentwickeln",
            "Lebensqualität durch Alltagsgrün in den Quartieren erhöhen",
            "Freiraumsystem durch Erschließung grauer Potenzialflächen erweitern",
            "Identitätsstiftenden Charakter der Freiräume stärken",
        ],
    ),
    "II": (
        "Klimaangepasste Metropole Ruhr",
        "Resilienz und Klimakomfort durch Grüne Infrastruktur sicherstellen",
        [
            "Metropole Ruhr zur Schwamm-Region entwickeln",
            "Hitzevorsorge und Klimakomfort in den Städten steigern",
            "Überflutungs- und Überschwemmungsvorsorge verbessern",
            "Widerstandsfähige, vitale Grüne Infrastruktur unterhalten",
        ],
    ),
    "III": (
        "Artenreiche Metropole Ruhr",
        "Ko-Habitation und mehr biologische Vielfalt durch Grüne Infrastruktur ermöglichen",
        [
            "Refugien schützen und entwickeln, den Biotopverbund stärken",
            "Mehr Wildnis im Stadtgrün wagen",
            "Kulturlandschaften zu starken Habitaten entwickeln",
            "Naturerleben und Umweltbildung stärken",
        ],
    ),
    "IV": (
        "Klimagerechte Metropole Ruhr",
        "Klimaschutz und Umweltgerechtigkeit durch Grüne Infrastruktur stärken",
        [
            "Gesundheit und Wohlbefinden fördern",
            "Dreifache Innenentwicklung vorantreiben",
            "Natürlichen Klimaschutz durch den Ausbau von Kohlenstoffsenken fördern",
            "Attraktivität der Mobilitätsräume steigern",
        ],
    ),
    "V": (
        "Zirkuläre Metropole Ruhr",
        "Region als System begreifen und durch Grüne Infrastruktur nachhaltige und regionale Wertschöpfung fördern",
        [
            "Grüne Infrastruktur als Standortfaktor für Wirtschaft und Tourismus stärken",
            "Produktive Eigenschaften Grüner Infrastruktur für eine nachhaltige Ressourcennutzung fördern",
            "Grüne Infrastruktur als Impulsgeber für eine nachhaltige und zirkuläre Baukultur entwickeln",
            "Aktiven Bodenschutz und Bodenfürsorge betreiben",
        ],
    ),
}


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    for src in source_files(ROOT, SOURCE_DIRS):
        parse_into(s, src.path, NS)
    return s


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = store.query(PREFIXES + query)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(PREFIXES + query))


def test_five_themes_in_order_with_notation_and_subtitle(store: ox.Store) -> None:
    rows = select(
        store,
        f"""
        SELECT ?n ?label ?sub WHERE {{
          ?scheme a skos:ConceptScheme ; skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de ;
                  skos:hasTopConcept ?t .
          ?t skos:topConceptOf ?scheme ; skos:notation ?n ; skos:prefLabel ?label ; skos:definition ?sub ;
             dcterms:source {SEED} .
          FILTER(lang(?label) = "de" && lang(?sub) = "de")
        }}""",
    )
    found = {r["n"]: (r["label"], r["sub"]) for r in rows}
    assert found == {n: (t[0], t[1]) for n, t in THEMES.items()}


@pytest.mark.parametrize("numeral", list(THEMES))
def test_goals_word_for_word_under_their_theme(store: ox.Store, numeral: str) -> None:
    rows = select(
        store,
        f"""
        SELECT ?goal WHERE {{
          ?t skos:notation "{numeral}" ; skos:narrower ?g .
          ?g skos:broader ?t ; skos:prefLabel ?goal ; skos:inScheme ?scheme ; dcterms:source {SEED} .
          ?t skos:inScheme ?scheme .
          FILTER(lang(?goal) = "de")
        }}""",
    )
    assert sorted(r["goal"] for r in rows) == sorted(THEMES[numeral][2])


def test_twenty_goals_and_every_concept_has_english(store: ox.Store) -> None:
    rows = select(
        store,
        """
        SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?scheme skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de .
          ?c skos:inScheme ?scheme ; skos:prefLabel ?en . FILTER(lang(?en) = "en")
        }""",
    )
    assert rows[0]["n"] == "25"
    goals = select(
        store,
        """
        SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { ?g skos:broader ?t . ?t skos:topConceptOf ?s .
          ?s skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de }""",
    )
    assert goals[0]["n"] == "20"


def test_source_document(store: ox.Store) -> None:
    assert ask(
        store,
        f"""ASK {{ {SEED} dcterms:identifier "DS 085/23" ;
        dcterms:publisher ?p . ?p skos:prefLabel "Kreis Unna"@de }}""",
    )


def test_beratungsfolge_bodies_dates_roles_status(store: ox.Store) -> None:
    rows = select(
        store,
        f"""
        SELECT ?body ?date ?role ?status WHERE {{
          ?paper dcterms:identifier "DS 085/23" .
          ?c prov:used ?paper ; prov:wasAssociatedWith ?b ; dcterms:date ?date ;
             dcterms:type ?r ; dcterms:accessRights ?s ; dcterms:source {SEED} .
          ?b skos:prefLabel ?body . FILTER(lang(?body) = "de")
          ?r skos:prefLabel ?role . FILTER(lang(?role) = "de")
          ?s skos:prefLabel ?status . FILTER(lang(?status) = "de")
          FILTER(datatype(?date) = xsd:date)
        }} ORDER BY ?date""",
    )
    assert [(r["body"], r["date"], r["role"], r["status"]) for r in rows] == [
        (
            "Ausschuss für Wirtschaftsförderung, Kreis- und Regionalentwicklung",
            "2023-05-17",
            "Empfehlungsbeschluss",
            "öffentlich",
        ),
        ("Kreisausschuss", "2023-06-12", "Empfehlungsbeschluss", "öffentlich"),
        ("Kreistag", "2023-06-13", "Entscheidung", "öffentlich"),
    ]


def test_paper_identifier_title_proposal_and_unit(store: ox.Store) -> None:
    assert ask(
        store,
        """ASK { ?p dcterms:identifier "DS 085/23" ;
        dcterms:title "Charta Grüne Infrastruktur Metropole Ruhr"@de ;
        dcterms:description "Der Kreistag unterstützt die nachhaltige Mitwirkung an der Charta Grüne Infrastruktur Metropole Ruhr als Leitbild und Richtschnur der Region für die zukünftige Entwicklung der Grünen Infrastruktur."@de ;
        dcterms:contributor ?u . ?u skos:prefLabel "Organisationseinheit Bauen und Planen"@de ;
        org:unitOf ?k . ?k skos:prefLabel "Kreis Unna"@de }""",
    )


def test_attachment(store: ox.Store) -> None:
    assert ask(
        store,
        """ASK { ?p dcterms:identifier "DS 085/23" ; dcterms:hasPart ?a .
        ?a dcterms:title "Charta Grüne Infrastruktur Metropole Ruhr"@de ; dcterms:isPartOf ?p }""",
    )


@pytest.mark.parametrize(
    ("notation", "label"),
    [
        ("60", "Bauen und Planen"),
        ("60.4", "Planung und Wohnungswesen"),
        ("60.04.03", "Planung und Mobilität"),
    ],
)
def test_budget_lines(store: ox.Store, notation: str, label: str) -> None:
    assert ask(
        store,
        f"""ASK {{ ?p dcterms:identifier "DS 085/23" ; dcterms:subject ?prod .
        ?prod skos:broader* ?item . ?item skos:notation "{notation}" ; skos:prefLabel "{label}"@de ;
        dcterms:source {SEED} }}""",
    )


def test_no_vote_result_is_stated(store: ox.Store) -> None:
    assert not ask(
        store,
        """ASK { ?c prov:used ?p . ?p dcterms:identifier "DS 085/23" .
        ?c <http://data.europa.eu/eli/eli-draft-legislation-ontology#decision_outcome> ?o }""",
    )


def test_kreis_unna_bodies(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?label WHERE { ?k skos:prefLabel "Kreis Unna"@de .
        { ?b org:subOrganizationOf ?k } UNION { ?b org:unitOf ?k }
        ?b skos:prefLabel ?label . FILTER(lang(?label) = "de") }""",
    )
    assert {r["label"] for r in rows} == {
        "Kreistag",
        "Kreisausschuss",
        "Ausschuss für Wirtschaftsförderung, Kreis- und Regionalentwicklung",
        "Organisationseinheit Bauen und Planen",
    }


def test_rvr_bodies_and_kommunalrat(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?label WHERE { ?r skos:altLabel "RVR"@de .
        ?b org:subOrganizationOf ?r ; skos:prefLabel ?label . FILTER(lang(?label) = "de") }""",
    )
    assert {r["label"] for r in rows} == {"Ruhrparlament", "Beigeordneten-Konferenz Umwelt"}
    assert ask(
        store,
        f"""ASK {{ ?k a org:Organization ; skos:prefLabel "Kommunalrat"@de ;
        dcterms:source {SEED} }}""",
    )


def test_ten_kommunen_with_official_keys(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?name ?key WHERE { ?k skos:prefLabel "Kreis Unna"@de .
        ?g org:linkedTo ?k ; skos:prefLabel ?name ; dcterms:identifier ?key }""",
    )
    assert {r["name"]: r["key"] for r in rows} == {
        "Bergkamen": "05978004",
        "Bönen": "05978008",
        "Fröndenberg/Ruhr": "05978012",
        "Holzwickede": "05978016",
        "Kamen": "05978020",
        "Lünen": "05978024",
        "Schwerte": "05978028",
        "Selm": "05978032",
        "Unna": "05978036",
        "Werne": "05978040",
    }


def test_ruhrparlament_adoption_and_presentations(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT ?date ?body ?kind WHERE {{
        ?charta skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de .
        ?e prov:used ?charta ; prov:wasAssociatedWith ?b ; dcterms:date ?date ; dcterms:type ?k ;
           dcterms:source {SEED} .
        ?b skos:prefLabel ?body . FILTER(lang(?body) = "de")
        ?k skos:prefLabel ?kind . FILTER(lang(?kind) = "de") }} ORDER BY ?date""",
    )
    assert [(r["date"], r["body"], r["kind"]) for r in rows] == [
        ("2022-09-23", "Ruhrparlament", "Beschlussfassung"),
        ("2022-09-29", "Beigeordneten-Konferenz Umwelt", "Präsentation"),
        ("2022-10-27", "Kommunalrat", "Information"),
    ]


def test_programme_parts_and_the_27(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT ?label WHERE {{
        ?o skos:prefLabel "Offensive Grüne Infrastruktur 2030"@de ; prov:wasInformedBy ?rk ;
           dcterms:hasPart ?part .
        ?rk skos:prefLabel "Ruhrkonferenz 2019"@de ; dcterms:date "2019"^^xsd:gYear .
        ?part skos:prefLabel ?label ; dcterms:source {SEED} . FILTER(lang(?label) = "de") }}""",
    )
    assert {r["label"] for r in rows} == {
        "Charta Grüne Infrastruktur Metropole Ruhr",
        "Entwicklung der regionalen Biodiversitätsstrategie",
        "Aktionsprogramm Grüne Lückenschlüsse",
        "Entwicklung von Daten- und Analysetools",
        "Kommunikationsmaßnahmen und Veranstaltungen",
    }
    n = select(
        store,
        """SELECT ?n WHERE { ?a skos:prefLabel "Aktionsprogramm Grüne Lückenschlüsse"@de ;
        ?p ?n . FILTER(datatype(?n) = xsd:integer && ?p != <http://schema.org/position>) }""",
    )
    assert [r["n"] for r in n] == ["27"]


def test_netzwerktage_about_250_each(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?year ?n WHERE {
        ?k skos:prefLabel "Kommunikationsmaßnahmen und Veranstaltungen"@de ; dcterms:hasPart ?e .
        ?e dcterms:date ?year ; ?p ?n . FILTER(datatype(?n) = xsd:integer) } ORDER BY ?year""",
    )
    assert [(r["year"], r["n"]) for r in rows] == [("2020", "250"), ("2022", "250")]


def test_strategie_process(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?start ?end ?who WHERE {
        ?p prov:wasAssociatedWith ?r ; ?startP ?start ; ?endP ?end .
        ?r skos:altLabel "RVR"@de ; skos:prefLabel ?who . FILTER(lang(?who) = "de")
        FILTER(datatype(?start) = xsd:gYearMonth && datatype(?end) = xsd:gYear) }""",
    )
    assert rows == [{"start": "2022-09", "end": "2023", "who": "Regionalverband Ruhr"}]
    assert ask(
        store,
        """ASK { ?s skos:prefLabel "Strategie Grüne Infrastruktur Metropole Ruhr"@de ;
        dcterms:subject ?a , ?b , ?c .
        ?a skos:prefLabel "Handlungsziele"@de . ?b skos:prefLabel "Umsetzungsinstrumente"@de .
        ?c skos:prefLabel "Förderzugänge"@de }""",
    )


def test_charta_homepage_and_character(store: ox.Store) -> None:
    assert ask(
        store,
        """ASK { ?c skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de ;
        <http://xmlns.com/foaf/0.1/homepage> <http://www.grueneinfrastruktur.rvr.ruhr/> ;
        dcterms:type ?t . ?t skos:prefLabel "Absichtserklärung"@de }""",
    )


def test_amounts_are_zero_euro(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?label ?v WHERE { ?p dcterms:identifier "DS 085/23" ; ?rel ?a .
        ?a <http://schema.org/value> ?v ; <http://schema.org/currency> "EUR" ; skos:prefLabel ?label .
        FILTER(lang(?label) = "de") }""",
    )
    # xsd:decimal 0.00 is the value zero; stores may print it in canonical form "0".
    assert sorted((r["label"], float(r["v"])) for r in rows) == [
        ("Aufwand/Auszahlung [€]", 0.0),
        ("Ertrag/Einzahlung [€]", 0.0),
    ]


def test_every_theme_goal_body_event_has_a_source(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?s WHERE {
        { ?s a skos:Concept ; skos:inScheme ?c . ?c skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de }
        UNION { ?s a org:Organization } UNION { ?s a prov:Activity }
        FILTER NOT EXISTS { ?s dcterms:source ?src } }""",
    )
    assert rows == []
