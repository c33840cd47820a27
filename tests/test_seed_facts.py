"""Every fact of DS 085/23, found with SPARQL over standard vocabularies only.

The queries use SKOS, W3C ORG, dcterms, PROV, schema.org, DCAT, ADMS, FOAF and
ELI-DL (plus rdf/rdfs/xsd) and name every predicate they follow: none of our own
terms and no wildcard predicates. A researcher who knows only the standards
finds each fact this way; what the paper does not say is checked as absent.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from server.pipeline.sources import SOURCE_DIRS, parse_into, source_files
from tests.conftest import NS, ROOT

PREFIXES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX adms: <http://www.w3.org/ns/adms#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX eli-dl: <http://data.europa.eu/eli/eli-draft-legislation-ontology#>
"""
SEED = f"<{NS}id/quelle/ds-085-23>"
#: The official registers the research note names for the Kommunen (3.1).
MIETNEINV = "https://github.com/bundestag/gesetze/blob/77abca2c/m/mietneinv/index.md"
REGIONAL_KEYS = (
    "https://github.com/GovDataOfficial/DCAT-AP.de-SHACL-Validation/blob/0715dd6/"
    "validator/resources/v1.0.2/shapes/dcat-ap-de-lists.ttl"
)

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
          # held consultations use the paper (prov:used) with a body (prov:wasAssociatedWith);
          # scheduled ones, as the paper's are, only relate to them (dcterms:relation, contributor)
          {{ ?c prov:used ?paper }} UNION {{ ?c dcterms:relation ?paper }}
          {{ ?c prov:wasAssociatedWith ?b }} UNION {{ ?c dcterms:contributor ?b }}
          ?c dcterms:date ?date ; dcterms:type ?r ; dcterms:accessRights ?s ; dcterms:source {SEED} .
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
        """ASK { { ?c prov:used ?p } UNION { ?c dcterms:relation ?p } ?p dcterms:identifier "DS 085/23" .
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
    # The paper's "RVR-" prefix alone does not make the conference a part of the RVR.
    assert {r["label"] for r in rows} == {"Ruhrparlament"}
    assert ask(
        store,
        f"""ASK {{ ?b a org:Organization ; skos:prefLabel "RVR-Beigeordneten Konferenz Umwelt"@de ;
        dcterms:source {SEED} }}""",
    )
    assert ask(
        store,
        f"""ASK {{ ?k a org:Organization ; skos:prefLabel "Kommunalrat"@de ;
        dcterms:source {SEED} }}""",
    )
    # Nor does its name say what kind of body the Kommunalrat is, or whose.
    assert not ask(
        store,
        """ASK { ?k skos:prefLabel "Kommunalrat"@de .
        { ?k org:classification ?c } UNION { ?k org:subOrganizationOf ?p } }""",
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
        ("2022-09-29", "RVR-Beigeordneten Konferenz Umwelt", "Präsentation"),
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
        f"""SELECT ?n ?what WHERE {{ ?a skos:prefLabel "Aktionsprogramm Grüne Lückenschlüsse"@de ;
        dcterms:extent ?e . ?e a dcterms:SizeOrDuration ; rdf:value ?n ; skos:prefLabel ?what ;
        dcterms:source {SEED} . FILTER(lang(?what) = "de") }}""",
    )
    assert n == [{"n": "27", "what": "27 Einzelmaßnahmen"}]


def test_drafting_from_a_fachtagung_to_two_network_days_of_about_250(store: ox.Store) -> None:
    """'von einer Fachtagung über zahlreiche Dialogformate ... bis hin zu zwei Netzwerktagen
    mit jeweils knapp 250 Teilnehmenden': parts of the drafting that generated the Charta."""
    rows = select(
        store,
        f"""SELECT ?pos ?kind ?about WHERE {{
        ?p prov:generated ?charta ; dcterms:hasPart ?e ; schema:subEvent ?e ; dcterms:source {SEED} .
        ?charta skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de .
        ?e dcterms:isPartOf ?p ; schema:position ?pos ; dcterms:type ?k ; dcterms:source {SEED} .
        ?k skos:prefLabel ?kind . FILTER(lang(?kind) = "de")
        OPTIONAL {{ ?e dcterms:description ?about }} }} ORDER BY ?pos""",
    )
    assert [(r["kind"], r.get("about")) for r in rows] == [
        ("Fachtagung", None),
        ("Dialogformat", "zahlreiche Dialogformate mit Praktiker*innen"),
        ("Netzwerktag", None),
        ("Netzwerktag", None),
    ]
    # The participants once, on the process, in the paper's words.
    assert ask(
        store,
        f"""ASK {{ ?p prov:generated ?charta ; dcterms:source {SEED} ;
        dcterms:description "zwei Netzwerktagen mit jeweils knapp 250 Teilnehmenden"@de .
        ?charta skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de }}""",
    )
    # The Offensive's Netzwerktage 2020 and 2022: the paper never says they were these two.
    rows = select(
        store,
        """SELECT ?year ?about WHERE {
        ?k skos:prefLabel "Kommunikationsmaßnahmen und Veranstaltungen"@de ; dcterms:hasPart ?e .
        ?e dcterms:date ?year . OPTIONAL { ?e dcterms:description ?about }
        OPTIONAL { ?e dcterms:isPartOf ?other . ?other prov:generated ?x } } ORDER BY ?year""",
    )
    assert rows == [{"year": "2020"}, {"year": "2022"}]


def test_strategie_process(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?start ?end ?who WHERE {
        ?p prov:wasAssociatedWith ?r ; prov:generated ?s ; dcterms:temporal ?t .
        ?s skos:prefLabel "Strategie Grüne Infrastruktur Metropole Ruhr"@de .
        ?t a dcterms:PeriodOfTime ; dcat:startDate ?start ; dcat:endDate ?end .
        ?r skos:altLabel "RVR"@de ; skos:prefLabel ?who . FILTER(lang(?who) = "de")
        FILTER(datatype(?start) = xsd:gYearMonth && datatype(?end) = xsd:gYear) }""",
    )
    assert rows == [{"start": "2022-09", "end": "2023", "who": "Regionalverband Ruhr"}]
    parts = select(
        store,
        f"""SELECT ?part WHERE {{ ?s skos:prefLabel "Strategie Grüne Infrastruktur Metropole Ruhr"@de ;
        dcterms:hasPart ?p . ?p dcterms:isPartOf ?s ; schema:position ?n ; skos:prefLabel ?part ;
        dcterms:source {SEED} . FILTER(lang(?part) = "de") }} ORDER BY ?n""",
    )
    assert [r["part"] for r in parts] == [
        "Handlungsziele",
        "Umsetzungsinstrumente",
        "Förderzugänge",
    ]
    # What it records are its parts, not its subject.
    assert not ask(
        store,
        """ASK { ?s skos:prefLabel "Strategie Grüne Infrastruktur Metropole Ruhr"@de ;
        dcterms:subject ?x }""",
    )
    assert ask(
        store,
        """ASK { ?s skos:prefLabel "Strategie Grüne Infrastruktur Metropole Ruhr"@de ;
        dcterms:spatial ?a . ?a skos:prefLabel "Metropole Ruhr"@de }""",
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
        """SELECT ?label ?v WHERE { ?p dcterms:identifier "DS 085/23" ; dcterms:relation ?a .
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


def test_adoption_by_the_ruhrparlament_in_eli_dl(store: ox.Store) -> None:
    """Someone who knows only ELI-DL finds that the Ruhrparlament adopted the Charta."""
    rows = select(
        store,
        f"""SELECT ?date ?outcome WHERE {{
        ?d a eli-dl:Decision ; eli-dl:decided_on_a_realization_of ?c ; eli-dl:decision_outcome ?o ;
           prov:wasAssociatedWith ?b ; dcterms:date ?date ; dcterms:source {SEED} .
        ?c skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de .
        ?b skos:prefLabel "Ruhrparlament"@de .
        ?o a eli-dl:DecisionOutcome ; skos:prefLabel ?outcome . FILTER(lang(?outcome) = "de") }}""",
    )
    assert rows == [{"date": "2022-09-23", "outcome": "beschlossen"}]


def test_decisions_are_on_documents_not_activities(store: ox.Store) -> None:
    assert not ask(store, "ASK { ?d a eli-dl:Decision ; prov:used ?x . ?x a prov:Activity }")
    assert ask(
        store,
        """ASK { ?d a eli-dl:Decision ; dcterms:date "2022-06-24"^^xsd:date ;
        eli-dl:decided_on_a_realization_of ?s ; prov:used ?s .
        ?s a prov:Entity ; dcterms:title "Regionale Biodiversitätsstrategie Ruhrgebiet"@de }""",
    )


def test_charta_is_a_declaration_not_legislation(store: ox.Store) -> None:
    """'Als Absichtserklärung besitzt sie keine formelle Bindungswirkung.' (page 3)."""
    assert not ask(store, "ASK { ?c schema:legislationPassedBy ?b }")
    assert not ask(store, "ASK { ?c eli:passed_by ?b }")
    assert ask(
        store,
        """ASK { ?c skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de ;
        skos:scopeNote "Als Absichtserklärung besitzt sie keine formelle Bindungswirkung."@de }""",
    )


def test_charta_area_is_the_metropole_ruhr(store: ox.Store) -> None:
    assert ask(
        store,
        f"""ASK {{ ?c skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de ;
        dcterms:spatial ?a . ?a a dcterms:Location ; skos:prefLabel "Metropole Ruhr"@de ;
        dcterms:source {SEED} }}""",
    )


def test_kommunen_cite_the_official_registers_not_the_paper(store: ox.Store) -> None:
    """DS 085/23 names none of the ten; their names and keys come from the registers."""
    rows = select(
        store,
        """SELECT ?name ?src WHERE { ?k skos:prefLabel "Kreis Unna"@de .
        ?g org:linkedTo ?k ; skos:prefLabel ?name ; dcterms:source ?src }""",
    )
    by_name: dict[str, set[str]] = {}
    for r in rows:
        by_name.setdefault(r["name"], set()).add(r["src"])
    assert len(by_name) == 10
    assert all(srcs == {MIETNEINV, REGIONAL_KEYS} for srcs in by_name.values()), by_name


def test_keys_are_identifiers_typed_by_their_scheme(store: ox.Store) -> None:
    """AGS and ARS told apart with ADMS/SKOS alone: the notation's datatype is the scheme."""
    rows = select(
        store,
        """SELECT ?name ?ags ?notation ?scheme WHERE { ?k skos:prefLabel "Kreis Unna"@de .
        ?g org:linkedTo ?k ; skos:prefLabel ?name ; dcterms:identifier ?ags ; adms:identifier ?i .
        ?i a adms:Identifier ; skos:notation ?notation ; dcterms:source ?src .
        ?g org:identifier ?notation .
        BIND(datatype(?notation) AS ?scheme) }""",
    )
    schemes = {r["scheme"] for r in rows}
    assert len(rows) == 20 and len(schemes) == 2
    ags_scheme = {r["scheme"] for r in rows if r["notation"] == r["ags"]}
    assert len(ags_scheme) == 1
    ars = sorted(r["notation"] for r in rows if r["scheme"] not in ags_scheme)
    assert ars[0] == "059780004004" and len(ars) == 10
    kreis = select(
        store,
        """SELECT ?id ?notation WHERE { ?k skos:prefLabel "Kreis Unna"@de ; dcterms:identifier ?id ;
        adms:identifier ?i . ?i skos:notation ?notation }""",
    )
    assert kreis == [{"id": "05978", "notation": "05978"}]


def test_figure_caption_in_the_ausblick(store: ox.Store) -> None:
    assert ask(
        store,
        f"""ASK {{ ?f a schema:ImageObject ; schema:caption "Zeitplanung Grüne Infrastruktur"@de ;
        schema:position 2 ; dcterms:isPartOf ?s ; dcterms:source {SEED} .
        ?s dcterms:title "Ausblick – Von der Charta zur Umsetzung"@de ; dcterms:isPartOf ?p .
        ?p dcterms:identifier "DS 085/23" .
        ?period a dcterms:PeriodOfTime ; rdfs:seeAlso ?f }}""",
    )


def test_section_page(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?page WHERE { ?s dcterms:title "Sachbericht"@de ; schema:pageStart ?page .
        FILTER(datatype(?page) = xsd:integer) }""",
    )
    assert rows == [{"page": "2"}]


def test_source_document_format_and_where_to_read_it(store: ox.Store) -> None:
    assert ask(
        store,
        f"""ASK {{ {SEED} dcterms:format <https://www.iana.org/assignments/media-types/text/plain> ;
        skos:editorialNote ?note .
        FILTER(lang(?note) = "en" && CONTAINS(?note, "no publicly available copy")) }}""",
    )
    assert not ask(store, "ASK { ?s dcterms:format ?f FILTER(isLiteral(?f)) }")


def test_dates_have_the_datatypes_their_standard_terms_allow(store: ox.Store) -> None:
    """schema:startDate is a schema:Date (or DateTime); a month alone goes in dcat:startDate."""
    assert not ask(
        store,
        """ASK { ?s schema:startDate ?d FILTER(datatype(?d) != xsd:date && datatype(?d) != xsd:dateTime) }""",
    )


@pytest.mark.parametrize(
    ("german", "old_english", "replaced"),
    [
        ("Klimagerechte Metropole Ruhr", "Climate-just Metropole Ruhr", "Climate-just"),
        (
            "Überflutungs- und Überschwemmungsvorsorge verbessern",
            "Improve precautions against flash floods and river flooding",
            "flash floods and river flooding",
        ),
        ("Kommunalrat", "Municipal Council", "Municipal Council"),
        ("kreisfreie Stadt", "District-free city", "district-free city"),
    ],
)
def test_english_labels_are_decided_with_a_reason(
    store: ox.Store, german: str, old_english: str, replaced: str
) -> None:
    """Each label the review found narrowing or misleading says why it reads as it does."""
    rows = select(
        store,
        f"""SELECT ?en ?note WHERE {{ ?x skos:prefLabel "{german}"@de , ?en ;
        skos:editorialNote ?note . FILTER(lang(?en) = "en" && lang(?note) = "en") }}""",
    )
    assert len(rows) == 1
    assert rows[0]["en"] != old_english
    assert replaced.casefold() in rows[0]["note"].casefold()


# ---- The paper's wording, checked against the paper itself

#: The project's copy of the seed text (tests/fixtures/seed/SOURCES.md).
SEED_TEXT = ROOT / "tests" / "fixtures" / "seed" / "ds-085-23.txt"
CGI = f"{NS}ontology#"
#: Properties whose value on a resource taken from the paper is the paper's wording.
WORDING = (
    "http://purl.org/dc/terms/description",
    "http://www.w3.org/2004/02/skos/core#scopeNote",
    "http://schema.org/text",
    "http://schema.org/caption",
    f"{CGI}beschlussvorschlag",
    f"{CGI}teilnehmendenangabe",
)


def _words(text: str) -> str:
    """Whitespace as one space: the text version breaks lines inside sentences."""
    return " ".join(text.split())


def _wording_literals(store: ox.Store) -> list[tuple[str, str, str]]:
    """(subject, property, German text) of every literal that gives the paper's wording:
    the wording properties of resources with the paper as source, the titles of resources
    quoted from it, and the German labels and definitions of the Charta's themes and goals
    (word for word from the paper, data/charta.ttl)."""
    values = " ".join(f"<{p}>" for p in WORDING)
    rows = select(
        store,
        f"""SELECT ?s ?p ?o WHERE {{
          {{ ?s dcterms:source {SEED} . VALUES ?p {{ {values} }} ?s ?p ?o }}
          UNION {{ ?s prov:wasQuotedFrom {SEED} . BIND(dcterms:title AS ?p) ?s ?p ?o }}
          UNION {{ ?s skos:inScheme ?c . ?c skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de .
                   VALUES ?p {{ skos:prefLabel skos:definition }} ?s ?p ?o }}
          FILTER(lang(?o) = "de")
          FILTER(!STRSTARTS(STR(?s), "{NS}ontology"))  # the vocabulary describes, it does not quote
        }}""",
    )
    return [(r["s"], r["p"], r["o"]) for r in rows]


def test_the_seed_copy_is_the_papers_text() -> None:
    """The copy the wording is checked against is DS 085/23 (its reference and its proposal)."""
    text = SEED_TEXT.read_text(encoding="utf-8")
    assert "DS 085/23 | Seite 2 von 4" in text
    assert "Der Kreistag unterstützt die nachhaltige Mitwirkung an der Charta" in text


def test_every_quotation_of_the_paper_is_its_wording(store: ox.Store) -> None:
    """No capital where the paper has none, no other inflection, nothing dropped, no
    paraphrase: each literal that gives the paper's words occurs in it word for word."""
    paper = _words(SEED_TEXT.read_text(encoding="utf-8"))
    found = _wording_literals(store)
    assert len(found) >= 55  # the 25 themes and goals with 5 subtitles, 6 sections, the rest
    wrong = [(s, p, o) for s, p, o in found if _words(o) not in paper]
    assert wrong == []


@pytest.mark.parametrize(
    ("iri", "words"),
    [
        (
            "id/vorhaben/aktionsprogramm-gruene-lueckenschluesse",
            "die Umsetzung des „Aktionsprogramms",
        ),
        (
            "id/strategie/gruene-infrastruktur-metropole-ruhr/foerderzugaenge",
            "möglichen Förderzugängen",
        ),
        ("id/prozess/strategie-gruene-infrastruktur", "abgeschlossen sein (siehe Abbildung 2)."),
    ],
)
def test_the_wording_the_review_found_changed(store: ox.Store, iri: str, words: str) -> None:
    """The review's cases: the paper's lower case, its inflection, its figure reference."""
    rows = select(store, f"SELECT ?d WHERE {{ <{NS}{iri}> dcterms:description ?d }}")
    assert any(words in r["d"] for r in rows), rows


def test_participants_are_not_counted_twice(store: ox.Store) -> None:
    """'zwei Netzwerktagen mit jeweils knapp 250 Teilnehmenden': no number per day that a
    sum would turn into 500 people; the paper's wording once, on the drafting process."""
    assert not ask(store, f"ASK {{ ?e <{CGI}teilnehmendeCa> ?n }}")
    rows = select(
        store,
        f"SELECT ?s ?w WHERE {{ ?s <{CGI}teilnehmendenangabe> ?w }}",
    )
    assert rows == [
        {
            "s": f"{NS}id/prozess/erarbeitung-charta",
            "w": "zwei Netzwerktagen mit jeweils knapp 250 Teilnehmenden",
        }
    ]


def test_catalog_calls_the_papers_content_a_proposal(store: ox.Store) -> None:
    """DS 085/23 holds a Beschlussvorschlag, not decisions."""
    rows = select(
        store,
        f"""SELECT ?d WHERE {{ <{NS}id/katalog> dcterms:description ?d }}""",
    )
    assert len(rows) == 2
    for r in rows:
        assert "Beschlüsse" not in r["d"] and "decisions" not in r["d"]
    assert any("Beschlussvorschlag" in r["d"] for r in rows)


def test_register_dataset_does_not_claim_imported_rows(store: ox.Store) -> None:
    """No row of the register comes from a council system; the catalog says what the
    importer does (proposes rows a person confirms), not that the rows were imported."""
    rows = select(
        store, f"SELECT ?d WHERE {{ <{NS}id/datensatz/register> dcterms:description ?d }}"
    )
    assert len(rows) == 2
    for r in rows:
        assert "(OParl) übernommen" not in r["d"]
        assert "imported from council information systems" not in r["d"]


# ---- Facts of other public sources (data/weitere-quellen.ttl, data/register/massnahmen.csv)

RVR_PROGRAMME = (
    "https://www.rvr.ruhr/themen/oekologie-umwelt/gruene-infrastruktur/"
    "aktionsprogramm-gruene-lueckenschluesse/"
)
BFN = (
    "https://www.bfn.de/praxisbeispiele/"
    "regionale-vision-formulieren-mit-der-charta-gruene-infrastruktur-der-metropole-ruhr"
)


def test_strategie_adopted_by_the_ruhrparlament_with_27_targets(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?date ?src WHERE {
        ?d a eli-dl:Decision ; eli-dl:decided_on_a_realization_of ?s ; prov:wasAssociatedWith ?b ;
           dcterms:date ?date ; dcterms:source ?src .
        ?s skos:prefLabel "Strategie Grüne Infrastruktur Metropole Ruhr"@de .
        ?b skos:prefLabel "Ruhrparlament"@de }""",
    )
    assert {r["date"] for r in rows} == {"2024-03-15"}
    assert "https://bgmr.de/de/news_items/StratGrueInfra" in {r["src"] for r in rows}
    n = select(
        store,
        """SELECT ?n ?src WHERE { ?s skos:prefLabel "Strategie Grüne Infrastruktur Metropole Ruhr"@de ;
        dcterms:hasPart ?h . ?h skos:prefLabel "Handlungsziele"@de ; dcterms:extent ?e .
        ?e rdf:value ?n ; dcterms:source ?src }""",
    )
    assert {r["n"] for r in n} == {"27"} and len(n) == 2


def test_strategie_goals_only_as_far_as_a_source_names_them(store: ox.Store) -> None:
    """The three goals the BfN names, verbatim, under the theme it names (the Charta's III);
    not numbered and not called Handlungsziele, which the page does not say they are."""
    rows = select(
        store,
        f"""SELECT ?goal ?theme WHERE {{
        ?s skos:prefLabel "Strategie Grüne Infrastruktur Metropole Ruhr"@de ; dcterms:hasPart ?g .
        ?g dcterms:isPartOf ?s ; skos:prefLabel ?goal ; dcterms:subject ?t ; dcterms:source <{BFN}> .
        ?t skos:prefLabel ?theme . FILTER(lang(?goal) = "de" && lang(?theme) = "de") }}""",
    )
    assert sorted(r["goal"] for r in rows) == sorted(
        [
            "den Biotopverbund zu sichern, auszuweiten und zu vernetzen",
            "Die charakteristische Industrienatur soll bewahrt und entwickelt",
            "Naturerleben und Umweltbildung sollen gefördert werden",
        ]
    )
    assert {r["theme"] for r in rows} == {"Artenreiche Metropole Ruhr"}
    assert not ask(
        store,
        f"""ASK {{ ?g dcterms:source <{BFN}> ; dcterms:isPartOf ?h .
        ?h skos:prefLabel "Handlungsziele"@de }}""",
    )


def test_aktionsprogramm_completed_with_its_funds(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT DISTINCT ?end ?value WHERE {{
        ?a skos:prefLabel "Aktionsprogramm Grüne Lückenschlüsse"@de ; schema:endDate ?end ;
           dcterms:source <{RVR_PROGRAMME}> ; schema:funding ?g .
        ?g schema:amount ?m ; dcterms:date "2020-07-16"^^xsd:date ; dcterms:source ?src .
        ?m schema:value ?value ; schema:currency "EUR" }}""",
    )
    assert [(r["end"], float(r["value"])) for r in rows] == [("2022-02-08", 2_200_000.0)]


def test_no_measure_of_the_completed_programme_is_planned(store: ox.Store) -> None:
    """Every measure of the Aktionsprogramm says as of when its state holds and where that
    is written; none is 'geplant' after the programme's end."""
    rows = select(
        store,
        f"""SELECT ?m ?state ?stand ?src WHERE {{
        ?m dcterms:isPartOf ?a ; adms:status ?st ; dcterms:source ?src .
        ?a skos:prefLabel "Aktionsprogramm Grüne Lückenschlüsse"@de .
        ?st skos:notation ?state .
        OPTIONAL {{ ?m <{CGI}stand> ?stand }} }}""",
    )
    measures = {r["m"] for r in rows}
    assert len(measures) >= 11
    assert all(r.get("stand") for r in rows), rows
    assert not [r for r in rows if r["state"] == "geplant"]
    programme_page = {r["m"] for r in rows if r["src"] == RVR_PROGRAMME}
    done = {r["m"] for r in rows if r["state"] == "umgesetzt"}
    assert done <= programme_page  # 'umgesetzt' rests on the page that reports the end
