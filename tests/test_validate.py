"""``charta validate``: the shipped data conforms, and each kind of defect is caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from server.cli import cli
from server.pipeline.validate import load_graphs
from tests.conftest import FIXTURES, NS, ROOT

DEFECTS = FIXTURES / "defects"


def run_validate(directory: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(directory)])
    return result.exit_code, result.output


def test_shipped_data_conforms() -> None:
    code, out = run_validate(ROOT)
    assert code == 0, out
    assert out.startswith("conforms: ")
    assert "0 violations" in out


@pytest.mark.parametrize(
    ("fixture", "focus", "expected"),
    [
        (
            "missing_label.ttl",
            "id/oberziel/ohne-bezeichnung",
            "Deutsche Bezeichnung (skos:prefLabel@de) fehlt.",
        ),
        (
            "wrong_datatype.ttl",
            "id/sitzung/kreistag-unna/2023-07-01",
            "genau ein Datum vom Typ xsd:date",
        ),
        (
            "goal_two_themes.ttl",
            "id/oberziel/schwamm-region",
            "genau einem Leitthema (skos:broader)",
        ),
        ("dangling_link.ttl", "id/gibt-es-nicht", "Verweis ins Leere"),
        ("missing_source.ttl", "id/organisation/ohne-quelle", "Quelle (dcterms:source) fehlt"),
        (
            "participants_without_wording.ttl",
            "id/ereignis/netzwerktag/2020",
            "nur mit dem Wortlaut der Quelle",
        ),
    ],
)
def test_defect_is_reported(project_copy: Path, fixture: str, focus: str, expected: str) -> None:
    shutil.copy(DEFECTS / fixture, project_copy / "data" / fixture)
    code, out = run_validate(project_copy)
    assert code == 1, out
    assert out.splitlines()[-1].startswith("does not conform: ")
    block = next(b for b in out.split("\n\n") if f"/{focus}>" in b)
    assert expected in block
    assert "  en: " in block  # the English message is printed too
    assert block.startswith("data/")  # names the file the focus node is described in


def test_report_names_label_and_path(project_copy: Path) -> None:
    shutil.copy(DEFECTS / "goal_two_themes.ttl", project_copy / "data" / "x.ttl")
    _, out = run_validate(project_copy)
    block = next(b for b in out.split("\n\n") if "/id/oberziel/schwamm-region>" in b)
    assert block.startswith("data/charta.ttl: Violation: ")
    assert '"Metropole Ruhr zur Schwamm-Region entwickeln"' in block
    assert "path: skos:broader" in block


def test_syntax_error_gives_file_and_line(project_copy: Path) -> None:
    target = project_copy / "data" / "syntax_error.ttl"
    shutil.copy(DEFECTS / "syntax_error.ttl", target)
    code, out = run_validate(project_copy)
    assert code == 2
    assert out.startswith(f"{target}:3: Turtle syntax error")


def test_not_utf8_is_unreadable(project_copy: Path) -> None:
    target = project_copy / "data" / "latin1.ttl"
    target.write_bytes(b'<id/charta> <http://www.w3.org/2000/01/rdf-schema#comment> "Gr\xfcn" .\n')
    code, out = run_validate(project_copy)
    assert code == 2
    assert out.startswith(f"{target}:1: not UTF-8")


def test_missing_folder_is_unreadable(tmp_path: Path) -> None:
    code, out = run_validate(tmp_path)
    assert code == 2
    assert "folder missing" in out


def _ontology_and_data() -> rdflib.Graph:
    graph, _, _ = load_graphs(ROOT, NS)
    return graph


def _standard_supers(graph: rdflib.Graph, term: URIRef, relation: URIRef) -> set[URIRef]:
    """The terms outside our namespace that ``term`` is a sub-term of, transitively."""
    supers = set(graph.transitive_objects(term, relation)) - {term}
    return {s for s in supers if isinstance(s, URIRef) and not str(s).startswith(NS)}


def test_the_data_states_the_standard_super_terms_of_ours() -> None:
    """docs/model.md: the data states the standard terms directly, so no reasoner is needed.

    Every triple with one of our properties also states each standard super-property
    (transitively), and every instance of one of our classes each standard superclass.
    """
    graph = _ontology_and_data()
    ours = NS + "ontology#"
    missing: list[tuple[str, ...]] = []
    for prop in set(graph.subjects(RDFS.subPropertyOf, None)):
        if str(prop).startswith(ours):
            supers = _standard_supers(graph, prop, RDFS.subPropertyOf)
            for s, o in graph.subject_objects(prop):
                missing += [(str(s), str(prop), str(q)) for q in supers if (s, q, o) not in graph]
    for cls in set(graph.subjects(RDFS.subClassOf, None)):
        if str(cls).startswith(ours):
            supers = _standard_supers(graph, cls, RDFS.subClassOf)
            for s in graph.subjects(RDF.type, cls):
                missing += [(str(s), "a", str(c)) for c in supers if (s, RDF.type, c) not in graph]
    assert missing == []


def test_literals_have_the_datatype_their_property_declares() -> None:
    """rdfs:range of our datatype properties is what the data uses (cgi:seite was not)."""
    graph = _ontology_and_data()
    wrong = []
    for prop in graph.subjects(RDF.type, OWL.DatatypeProperty):
        rng = graph.value(prop, RDFS.range)
        if rng is None:
            continue
        for s, o in graph.subject_objects(prop):
            if not isinstance(o, Literal):
                wrong.append((str(s), str(prop), "not a literal"))
            elif rng == RDF.langString:
                if not o.language:
                    wrong.append((str(s), str(prop), "no language tag"))
            elif (o.datatype or XSD.string) != rng:
                wrong.append((str(s), str(prop), str(o.datatype)))
    assert wrong == []
