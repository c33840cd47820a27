"""The register tables (data/register/, CSVW): conversion to RDF and validation.

Every CSVW-level error is reported through ``charta validate`` as
``data/register/x.csv:LINE:COLUMN: message`` with exit 1; unreadable tables exit 2.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from server.cli import cli
from server.register import convert
from server.sources import SOURCE_DIRS, parse_into, source_files
from tests.conftest import NS, ROOT

REGISTER = ROOT / "data" / "register"
TABLES = ["institutionen.csv", "beitritte.csv", "beratungen.csv", "massnahmen.csv"]
CONTRACT = {
    "institutionen.csv": ["id", "name", "art", "ags", "quelle"],
    "beitritte.csv": [
        "id",
        "institution",
        "gremium",
        "vorlage",
        "vorlage_url",
        "datum",
        "status",
        "quelle",
        "oparl_id",
        "oparl_modified",
        "vorlage_titel",
        "bestaetigt",
        "stand",
    ],
    "beratungen.csv": [
        "beitritt",
        "datum",
        "gremium",
        "rolle",
        "ergebnis",
        "quelle",
        "oparl_id",
        "oparl_modified",
        "sitzungsstatus",
    ],
    "massnahmen.csv": [
        "id",
        "titel",
        "traeger",
        "oberziele",
        "programm",
        "foerderweg",
        "beginn",
        "ende",
        "ort",
        "status",
        "quelle",
    ],
}
HERNE = "https://herne.de/allris/vo020.asp?VOLFDNR=17933"


def run_validate(directory: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(directory)])
    return result.exit_code, result.output


def append(project: Path, table: str, row: str) -> int:
    """Append one line to a table of the copy; returns its line number."""
    path = project / "data" / "register" / table
    text = path.read_text(encoding="utf-8")
    path.write_text(text + row + "\n", encoding="utf-8")
    return text.count("\n") + 1


@pytest.mark.parametrize("table", TABLES)
def test_tables_are_utf8_with_the_contracted_header(table: str) -> None:
    """The importer writes these columns in this order; more may follow, never fewer."""
    raw = (REGISTER / table).read_bytes()
    raw.decode("utf-8")
    with open(REGISTER / table, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][: len(CONTRACT[table])] == CONTRACT[table]
    assert all(len(r) == len(rows[0]) for r in rows[1:]), "one value per cell, no ragged rows"


def test_shipped_register_conforms_and_is_in_the_store() -> None:
    code, out = run_validate(ROOT)
    assert code == 0, out
    store = ox.Store()
    for src in source_files(ROOT, SOURCE_DIRS):
        parse_into(store, src.path, NS)
    ask = f"""ASK {{ <{NS}id/beitritt/herne-2023-0419> a <{NS}ontology#Beitritt> , <http://schema.org/Action> ;
        <{NS}ontology#institution> <{NS}id/organisation/herne> ;
        <http://schema.org/agent> <{NS}id/organisation/herne> ;
        <{NS}ontology#vorlage> <{NS}id/drucksache/herne-2023-0419> ;
        <http://purl.org/dc/terms/date> "2023-06-13"^^<http://www.w3.org/2001/XMLSchema#date> ;
        <{NS}ontology#beitrittsstatus> <{NS}id/werteliste/beitrittsstatus/beschlossen> .
      <{NS}id/drucksache/herne-2023-0419> <http://purl.org/dc/terms/identifier> "2023/0419" }}"""
    assert store.query(ask)


def test_csv_and_turtle_state_a_paper_once() -> None:
    """The paper of a row is the IRI the Turtle already uses, with the same reference."""
    store = ox.Store()
    for src in source_files(ROOT, SOURCE_DIRS):
        parse_into(store, src.path, NS)
    for slug, ref in [
        ("ds-085-23", "DS 085/23"),
        ("herne-2023-0419", "2023/0419"),
        ("kamen-080-2023", "080/2023"),
    ]:
        ids = list(
            store.quads_for_pattern(
                ox.NamedNode(f"{NS}id/drucksache/{slug}"),
                ox.NamedNode("http://purl.org/dc/terms/identifier"),
                None,
            )
        )
        assert [q.object.value for q in ids] == [ref]


def test_a_new_row_appears_as_rdf(project_copy: Path) -> None:
    append(project_copy, "institutionen.csv", f"essen,Essen,kreisfreie-stadt,05113000,{HERNE},")
    append(
        project_copy,
        "institutionen.csv",
        f"rat-der-stadt-essen,Rat der Stadt Essen,parlament,,{HERNE},essen",
    )
    append(
        project_copy,
        "beitritte.csv",
        f"essen-2023-1,essen,rat-der-stadt-essen,1/2023,,2023-05-17,beschlossen,{HERNE},,,,ja,",
    )
    append(
        project_copy,
        "massnahmen.csv",
        f"essen-test,Testmaßnahme,essen,I.1 II.3,aktionsprogramm-gruene-lueckenschluesse,,2020-07-16,,Essen,geplant,{HERNE}",
    )
    code, out = run_validate(project_copy)
    assert code == 0, out
    store = ox.Store()
    for src in source_files(project_copy, SOURCE_DIRS):
        parse_into(store, src.path, NS)
    assert store.query(f"""ASK {{ <{NS}id/beitritt/essen-2023-1> <{NS}ontology#gremium> <{NS}id/organisation/rat-der-stadt-essen> ;
        <http://www.w3.org/ns/prov#wasAssociatedWith> <{NS}id/organisation/essen> .
      <{NS}id/massnahme/essen-test> <{NS}ontology#oberziel> <{NS}id/oberziel/freiraumsystem-sichern-und-weiterentwickeln> ,
          <{NS}id/oberziel/ueberflutungs-und-ueberschwemmungsvorsorge> ;
        <http://purl.org/dc/terms/subject> <{NS}id/oberziel/freiraumsystem-sichern-und-weiterentwickeln> ;
        <http://schema.org/startDate> "2020-07-16"^^<http://www.w3.org/2001/XMLSchema#date> }}""")


@pytest.mark.parametrize(
    ("table", "row", "column", "expected"),
    [
        (
            "beitritte.csv",
            f"x-1,herne,rat-der-stadt-herne,,,13.06.2023,beschlossen,{HERNE},,,,ja,",
            "datum",
            "kein Datum der Form JJJJ-MM-TT",
        ),
        (
            "beitritte.csv",
            f"x-2,herne,rat-der-stadt-herne,,,2023-02-30,beschlossen,{HERNE},,,,ja,",
            "datum",
            "kein Datum",
        ),
        (
            "beitritte.csv",
            f"x-3,herne,rat-der-stadt-herne,,,2023-06-13,angenommen,{HERNE},,,,ja,",
            "status",
            "kein erlaubter Wert (erlaubt: vorgeschlagen, in-beratung",
        ),
        (
            "beitritte.csv",
            f"x-4,gibt-es-nicht,,,,,vorgeschlagen,{HERNE},,,,ja,2026-12-06",
            "institution",
            "„gibt-es-nicht“ gibt es nicht in institutionen.csv",
        ),
        ("beitritte.csv", "x-5,herne,,,,,vorgeschlagen,,,,,ja,2026-12-06", "quelle", "Pflichtangabe fehlt"),
        (
            "massnahmen.csv",
            f"m-1,Test,herne,I.1 VI.2,,,,,,geplant,{HERNE}",
            "oberziele",
            "Oberziel „VI.2“ gibt es nicht",
        ),
        (
            "massnahmen.csv",
            f"m-2,Test,herne,I.5,,,,,,geplant,{HERNE}",
            "oberziele",
            "Oberziel „I.5“ gibt es nicht",
        ),
        (
            "massnahmen.csv",
            f"m-3,Test,niemand,,,,,,,geplant,{HERNE}",
            "traeger",
            "„niemand“ gibt es nicht in institutionen.csv",
        ),
        (
            "beratungen.csv",
            f"herne-2023-0419,2023-06-13,rat-der-stadt-herne,zustimmung,,{HERNE},,,durchgefuehrt",
            "rolle",
            "kein erlaubter Wert",
        ),
        (
            "institutionen.csv",
            f"Herne Stadt,Herne,kreisfreie-stadt,,{HERNE},",
            "id",
            "passt nicht zum Muster",
        ),
    ],
)
def test_csvw_error_at_row_and_column(
    project_copy: Path, table: str, row: str, column: str, expected: str
) -> None:
    line = append(project_copy, table, row)
    code, out = run_validate(project_copy)
    assert code == 1, out
    head = f"data/register/{table}:{line}:{column}: "
    block = next((b for b in out.split("\n\n") if b.startswith(head)), None)
    assert block is not None, out
    assert expected in block
    assert "\n  en: " in block


def test_missing_required_column(project_copy: Path) -> None:
    path = project_copy / "data" / "register" / "beitritte.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    status = rows[0].index("status")
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([r[:status] + r[status + 1 :] for r in rows])
    code, out = run_validate(project_copy)
    assert code == 1, out
    assert "data/register/beitritte.csv:1:status: Pflichtspalte „status“ fehlt" in out


def test_decided_without_body_is_a_shape_violation_at_its_row(project_copy: Path) -> None:
    append(project_copy, "institutionen.csv", f"essen,Essen,kreisfreie-stadt,05113000,{HERNE},")
    line = append(
        project_copy, "beitritte.csv", f"essen-x,essen,,,,2023-05-17,beschlossen,{HERNE},,,,ja,"
    )
    code, out = run_validate(project_copy)
    assert code == 1, out
    assert re.search(rf"data/register/beitritte.csv:{line}:\w+: Stand beschlossen", out), out


def test_a_name_that_contradicts_the_turtle_is_reported(project_copy: Path) -> None:
    path = project_copy / "data" / "register" / "institutionen.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nherne,Herne,", "\nherne,Stadt Herne,"), encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if t.startswith("herne,"))
    code, out = run_validate(project_copy)
    assert code == 1, out
    assert f"data/register/institutionen.csv:{line}:name: " in out
    assert "gleich lauten wie in den Turtle-Daten" in out


def test_not_utf8_is_unreadable(project_copy: Path) -> None:
    path = project_copy / "data" / "register" / "massnahmen.csv"
    path.write_bytes(
        path.read_bytes() + "x,Gr\u00fcn,,,,,,,,,https://example.org/\n".encode("latin-1")
    )
    code, out = run_validate(project_copy)
    assert code == 2
    assert re.match(rf"{re.escape(str(path))}:\d+: not UTF-8", out), out


def test_semicolon_separated_file_is_unreadable(project_copy: Path) -> None:
    path = project_copy / "data" / "register" / "beratungen.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    code, out = run_validate(project_copy)
    assert code == 2
    assert "separated by ';'" in out


def test_utf8_with_bom_from_excel_is_accepted(project_copy: Path) -> None:
    path = project_copy / "data" / "register" / "beitritte.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    code, out = run_validate(project_copy)
    assert code == 0, out


def test_value_lists_match_the_value_sets() -> None:
    """The format of each value-list column lists exactly the notations of its scheme."""
    md = json.loads((REGISTER / "csv-metadata.json").read_text(encoding="utf-8"))
    store = ox.Store()
    for src in source_files(ROOT, SOURCE_DIRS):
        if src.path.suffix == ".ttl":
            parse_into(store, src.path, NS)
    checked = 0
    for table in md["tables"]:
        for col in table["tableSchema"]["columns"]:
            url = col.get("valueUrl", "")
            m = re.fullmatch(r"id/werteliste/([a-z]+)/\{\w+\}", url)
            if not m:
                continue
            rows = store.query(f"""SELECT ?n WHERE {{ ?c <http://www.w3.org/2004/02/skos/core#inScheme>
                <{NS}id/werteliste/{m.group(1)}> ; <http://www.w3.org/2004/02/skos/core#notation> ?n }}""")
            notations = {r["n"].value for r in rows}
            listed = set(col["datatype"]["format"].split("|"))
            assert listed <= notations, (col["name"], listed - notations)
            checked += 1
    assert checked >= 5


def test_the_conversion_names_where_each_triple_came_from() -> None:
    conv = convert(REGISTER / "csv-metadata.json", NS, ROOT)
    assert conv.problems == []
    where = conv.origin[(f"{NS}id/beitritt/herne-2023-0419", "http://purl.org/dc/terms/date")]
    assert where[0].name == "beitritte.csv" and where[2] == "datum"
