"""Engine and profile (issue 26): the register's CSVW converter knows no table of the
Charta; a profile's :class:`RegisterRules` record says what its tables add.

A table is added through its metadata and its :class:`TableRules` record alone: it is
converted, its rule's problem reported as ``file:LINE:COLUMN``, and the record travels
with the data source into the query workers (it pickles).
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import pyoxigraph as ox

from server.config import Config
from server.pipeline.register import (
    PLAIN,
    Derived,
    Problem,
    Row,
    Table,
    TableRules,
    Tables,
    convert,
    profile_rules,
)
from server.pipeline.sources import Checkout
from server.pipeline.validate import validate
from server.profile.register_rules import RULES
from tests.conftest import NS, ROOT

PLANTINGS = "pflanzungen.csv"
TABLE = {
    "url": PLANTINGS,
    "tableSchema": {
        "aboutUrl": "id/pflanzung/{id}",
        "primaryKey": "id",
        "columns": [
            {
                "name": "id",
                "titles": "id",
                "required": True,
                "datatype": {"base": "string", "format": "[a-z0-9]+(-[a-z0-9]+)*"},
                "suppressOutput": True,
            },
            {
                "name": "baum",
                "titles": "baum",
                "required": True,
                "datatype": "string",
                "lang": "de",
                "propertyUrl": "skos:prefLabel",
            },
            {"name": "datum", "titles": "datum", "datatype": "date", "propertyUrl": "dc:date"},
            {
                "name": "traeger",
                "titles": "traeger",
                "datatype": {"base": "string", "format": "[a-z0-9]+(-[a-z0-9]+)*"},
                "propertyUrl": "ontology#traeger",
                "valueUrl": "id/organisation/{traeger}",
            },
        ],
        "foreignKeys": [
            {
                "columnReference": "traeger",
                "reference": {"resource": "institutionen.csv", "columnReference": "id"},
            }
        ],
    },
}
ROWS = """id,baum,datum,traeger
linde-herne,Linde,2024-04-01,herne
kirschlorbeer-bochum,Kirschlorbeer,2024-04-02,bochum
eiche-essen,Eiche,2024-04-03,essen
"""
#: Not native: a rule of this table's record, nowhere in its metadata.
FOREIGN = {"Kirschlorbeer"}


def native_trees_only(table: Table, tables: Tables) -> list[Problem]:
    return [
        Problem(
            table.path,
            row.line,
            "baum",
            f"„{row.raw['baum']}“ ist keine heimische Art",
            f"'{row.raw['baum']}' is not a native species",
        )
        for row in table.rows
        if row.raw.get("baum") in FOREIGN
    ]


def _institution_names(tables: Tables) -> dict[str, str]:
    return {r.raw["id"]: r.raw["name"] for r in tables.rows("institutionen.csv")}


def planted_by(row: Row, tables: Tables) -> list[Derived]:
    """A comment made of another table's cells (the planting body's name)."""
    name = tables.once(_institution_names).get(row.raw.get("traeger", ""))
    comment = ox.Literal(f"Gepflanzt von {name}", language="de")
    return [("http://www.w3.org/2000/01/rdf-schema#comment", comment, "traeger")] if name else []


PLANTING_RULES = dataclasses.replace(
    RULES,
    tables=(*RULES.tables, TableRules(PLANTINGS, check_rows=native_trees_only, derived=planted_by)),
)


def _add_plantings(project: Path) -> Path:
    folder = project / "data" / "register"
    metadata = folder / "csv-metadata.json"
    group = json.loads(metadata.read_text(encoding="utf-8"))
    group["tables"].append(TABLE)
    metadata.write_text(json.dumps(group, ensure_ascii=False, indent=2), encoding="utf-8")
    (folder / PLANTINGS).write_text(ROWS, encoding="utf-8")
    return metadata


def _subjects(triples: list[ox.Triple]) -> set[str]:
    return {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}


def _outside_plantings(triples: list[ox.Triple]) -> set[ox.Triple]:
    return {t for t in triples if not t.subject.value.startswith(f"{NS}id/pflanzung/")}


LINDEN = ox.Triple(
    ox.NamedNode(f"{NS}id/pflanzung/linde-herne"),
    ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
    ox.Literal("Linde", language="de"),
)


def test_a_table_added_through_its_record_alone(project_copy: Path) -> None:
    metadata = _add_plantings(project_copy)
    conv = convert(metadata, NS, project_copy, PLANTING_RULES)
    assert LINDEN in conv.triples
    assert (
        ox.Triple(
            LINDEN.subject,
            ox.NamedNode("http://purl.org/dc/terms/date"),
            ox.Literal(
                "2024-04-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
            ),
        )
        in conv.triples
    )
    herne = ox.Literal("Gepflanzt von Herne", language="de")
    assert any(t.subject == LINDEN.subject and t.object == herne for t in conv.triples)
    # the row that breaks the record's rule gives no triples, and the problem names its cell
    assert f"{NS}id/pflanzung/kirschlorbeer-bochum" not in _subjects(conv.triples)
    mine = [p for p in conv.problems if p.file.name == PLANTINGS]
    assert [(p.where(project_copy), p.de, p.en, p.severity) for p in mine] == [
        (
            f"data/register/{PLANTINGS}:3:baum",
            "„Kirschlorbeer“ ist keine heimische Art",
            "'Kirschlorbeer' is not a native species",
            "Violation",
        )
    ]
    # the Charta's own rules still hold beside it: the shipped tables convert as before
    shipped = convert(metadata, NS, project_copy, RULES)
    assert _outside_plantings(shipped.triples) == _outside_plantings(conv.triples)
    # without the record the table is CSVW alone: every row converts, nothing is reported
    assert f"{NS}id/pflanzung/kirschlorbeer-bochum" in _subjects(shipped.triples)
    assert not [p for p in shipped.problems if p.file.name == PLANTINGS]


def test_validate_reports_the_record_s_problem_at_its_cell(project_copy: Path) -> None:
    _add_plantings(project_copy)
    report = validate(project_copy, NS, PLANTING_RULES)
    blocks = [f.render(project_copy) for f in report.findings]
    assert (
        f"data/register/{PLANTINGS}:3:baum: „Kirschlorbeer“ ist keine heimische Art\n"
        "  en: 'Kirschlorbeer' is not a native species"
    ) in blocks, blocks


def test_the_record_travels_with_the_data_source(project_copy: Path) -> None:
    """The query workers get the source pickled: the rules come along and apply there."""
    _add_plantings(project_copy)
    source = pickle.loads(pickle.dumps(Checkout(project_copy, NS, tables=PLANTING_RULES)))
    assert source.tables == PLANTING_RULES
    store = ox.Store()
    source.load(store)
    assert LINDEN in {q.triple for q in store}
    assert not list(
        store.quads_for_pattern(ox.NamedNode(f"{NS}id/pflanzung/kirschlorbeer-bochum"), None, None)
    )


def test_the_configured_profile_gives_the_rules() -> None:
    """Callers that hold no rules (``charta build``, ``charta load``) convert with the
    rules of the profile the config names, as the web tier and the CLI hand them down."""
    config = Config(root=ROOT, namespace=NS)
    assert profile_rules(config.profile) is RULES
    assert Checkout.of(config).tables is RULES
    assert Checkout.of(config, PLAIN).tables is PLAIN


def test_without_rules_the_tables_are_csvw_alone() -> None:
    """The Charta's knowledge is in its record: without it, a joining without a paper
    still gets the paper's virtual columns (``nurMit`` is the profile's term) and no
    joining is labelled (the profile derives the label)."""
    metadata = ROOT / "data" / "register" / "csv-metadata.json"
    plain = convert(metadata, NS, ROOT, PLAIN)
    charta = convert(metadata, NS, ROOT, RULES)
    paper = f"{NS}id/drucksache/bochum"  # bochum's joining names no paper
    assert paper in _subjects(plain.triples)
    assert paper not in _subjects(charta.triples)
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    joining = ox.NamedNode(f"{NS}id/beitritt/bochum")
    assert list(t for t in charta.triples if t.subject == joining and t.predicate == label)
    assert not list(t for t in plain.triples if t.subject == joining and t.predicate == label)
