"""Names: never empty, and English that reads as English.

The English labels are translations by the project (docs/model.md, "English labels");
these tests keep the ones a review found wrong from coming back, and keep every body
named in English, so an English page never shows a German-only name for a body.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from server.pipeline.sources import SOURCE_DIRS, parse_into, source_files
from server.rdf.labels import local_name
from tests.conftest import NS, ROOT

SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
ELI_DL = "http://data.europa.eu/eli/eli-draft-legislation-ontology#"
PROV = "http://www.w3.org/ns/prov#"


@pytest.mark.parametrize(
    ("iri", "name"),
    [
        ("https://w3id.org/charta-ruhr/id/charta", "charta"),
        ("http://www.w3.org/2004/02/skos/core#prefLabel", "prefLabel"),
        ("http://www.w3.org/2002/07/owl#", "owl"),
        ("http://purl.org/dc/terms/", "terms"),
        ("urn:isbn:123", "urn:isbn:123"),
    ],
)
def test_local_name_is_never_empty(iri: str, name: str) -> None:
    assert local_name(iri) == name


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    for src in source_files(ROOT, SOURCE_DIRS):
        parse_into(s, src.path, NS)
    return s


def english(store: ox.Store, iri: str) -> str:
    rows = list(
        store.query(
            f"""SELECT ?l WHERE {{ <{NS}{iri}> <{SKOS}prefLabel> ?l FILTER(lang(?l) = "en") }}"""
        )
    )
    assert len(rows) == 1, (iri, rows)
    return str(rows[0]["l"].value)


def test_every_body_has_an_english_label(store: ox.Store) -> None:
    """Every body: each Gremium of the Turtle and each organisation that belongs to an
    institution (the register's councils, committees and boards included)."""
    rows = store.query(
        f"""SELECT DISTINCT ?b WHERE {{
        {{ ?b a <{NS}ontology#Gremium> }} UNION {{ ?b <{ORG}subOrganizationOf> ?parent }}
        FILTER NOT EXISTS {{ ?b <{SKOS}prefLabel> ?en FILTER(lang(?en) = "en") }} }}"""
    )
    assert [r["b"].value for r in rows] == []
    bodies = store.query(
        f"""SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE {{
        {{ ?b a <{NS}ontology#Gremium> }} UNION {{ ?b <{ORG}subOrganizationOf> ?parent }} }}"""
    )
    assert int(next(iter(bodies))["n"].value) >= 14  # the Turtle's bodies and the register's


@pytest.mark.parametrize(
    ("iri", "label"),
    [
        ("id/charta", "Green Infrastructure Charter for the Metropole Ruhr"),
        (
            "id/oberziel/mehr-wildnis-im-stadtgruen",
            "Dare to allow more wilderness in urban green spaces",
        ),
        (
            "id/oberziel/hitzevorsorge-und-klimakomfort",
            "Increase heat preparedness and thermal comfort in the cities",
        ),
        (
            "id/vorhaben/aktionsprogramm-gruene-lueckenschluesse",
            "Green Gap Closure Action Programme",
        ),
    ],
)
def test_english_reads_as_english(store: ox.Store, iri: str, label: str) -> None:
    assert english(store, iri) == label


def test_no_calques_left(store: ox.Store) -> None:
    """The review's word-for-word renderings: none of them in any English label or subtitle."""
    rows = store.query(
        f"""SELECT ?s ?l WHERE {{ VALUES ?p {{ <{SKOS}prefLabel> <{SKOS}definition> }} ?s ?p ?l
        FILTER(lang(?l) = "en") }}"""
    )
    calques = (
        "Charter Green Infrastructure",
        "climate comfort",
        "heat precaution",
        "Dare more wilderness",
        "Green Gap Closures",
        "Action programme Green",
    )
    # a release's title is frozen with the release (releases/, never edited)
    found = [
        (r["s"].value, r["l"].value)
        for r in rows
        if not r["s"].value.startswith(f"{NS}id/version/")
        and any(c.casefold() in r["l"].value.casefold() for c in calques)
    ]
    assert found == []


def test_dreifache_innenentwicklung_is_glossed_with_its_source(store: ox.Store) -> None:
    """A literal 'triple inner development' says nothing to an English reader: the label
    carries what the term means, the note where that meaning comes from."""
    label = english(store, "id/oberziel/dreifache-innenentwicklung")
    assert label.startswith("Advance triple inner development (")
    assert "green" in label and "transport" in label
    assert store.query(
        f"""ASK {{ <{NS}id/oberziel/dreifache-innenentwicklung>
        <http://www.w3.org/2000/01/rdf-schema#seeAlso> ?src ;
        <{SKOS}editorialNote> ?note FILTER(lang(?note) = "en" && CONTAINS(?note, STR(?src))) }}"""
    )


def test_adopted_only_where_the_ruhrparlament_adopts(store: ox.Store) -> None:
    """'adopted' is the Ruhrparlament adopting a document (the Charta, the strategies);
    a body's resolution is 'decided', in the register and as a decision's outcome."""
    rows = store.query(
        f"""SELECT ?s ?l WHERE {{ ?s <{SKOS}prefLabel> ?l
        FILTER(lang(?l) = "en" && CONTAINS(LCASE(?l), "adopt")) }}"""
    )
    adopting = {r["s"].value for r in rows}
    assert f"{NS}id/ereignis/ruhrparlament/2022-09-23" in adopting
    for s in adopting:
        assert store.query(
            f"""ASK {{ <{s}> a <{ELI_DL}Decision> ; <{PROV}wasAssociatedWith> <{NS}id/organisation/ruhrparlament> }}"""
        ), s
    assert english(store, "id/werteliste/beitrittsstatus/beschlossen") == "decided"
    assert english(store, "id/werteliste/beschlussergebnis/beschlossen") == "decided"
    assert english(store, "id/werteliste/ereignisart/beschlussfassung") == "Decision"
    assert "adopt" not in english(store, "id/ereignis/rat-der-stadt-herne/2023-06-13").casefold()


def test_beigeordneten_conference_is_not_presented_as_an_rvr_body(store: ox.Store) -> None:
    """The paper names the 'RVR-Beigeordneten Konferenz Umwelt' and says nothing of how it
    relates to the RVR: neither a parent nor an English name that makes it the RVR's."""
    iri = "id/organisation/beigeordneten-konferenz-umwelt"
    label = english(store, iri)
    assert label.startswith("RVR-Beigeordneten Konferenz Umwelt")
    assert "RVR Conference" not in label and "of the RVR" not in label
    assert not store.query(f"ASK {{ <{NS}{iri}> <{ORG}subOrganizationOf> ?p }}")
    event = english(store, "id/ereignis/beigeordneten-konferenz-umwelt/2022-09-29")
    assert "RVR Conference" not in event
