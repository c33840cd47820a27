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
from server.pipeline.register import convert
from server.pipeline.sources import SOURCE_DIRS, parse_into, source_files
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
    append(
        project_copy,
        "institutionen.csv",
        f"beispielstadt,Beispielstadt,kreisfreie-stadt,05999000,{HERNE},",
    )
    append(
        project_copy,
        "institutionen.csv",
        f"rat-der-stadt-beispielstadt,Rat der Stadt Beispielstadt,parlament,,{HERNE},beispielstadt",
    )
    append(
        project_copy,
        "beitritte.csv",
        f"beispielstadt-2023-1,beispielstadt,rat-der-stadt-beispielstadt,1/2023,,2023-05-17,beschlossen,{HERNE},,,,ja,",
    )
    append(
        project_copy,
        "massnahmen.csv",
        f"beispielstadt-test,Testmaßnahme,beispielstadt,I.1 II.3,aktionsprogramm-gruene-lueckenschluesse,,2020-07-16,,Beispielstadt,geplant,{HERNE}",
    )
    code, out = run_validate(project_copy)
    assert code == 0, out
    store = ox.Store()
    for src in source_files(project_copy, SOURCE_DIRS):
        parse_into(store, src.path, NS)
    assert store.query(f"""ASK {{ <{NS}id/beitritt/beispielstadt-2023-1> <{NS}ontology#gremium> <{NS}id/organisation/rat-der-stadt-beispielstadt> ;
        <http://schema.org/agent> <{NS}id/organisation/beispielstadt> .
      <{NS}id/massnahme/beispielstadt-test> <{NS}ontology#oberziel> <{NS}id/oberziel/freiraumsystem-sichern-und-weiterentwickeln> ,
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
            "„2023-02-30“ ist kein echtes Datum",
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
        (
            "beitritte.csv",
            "x-5,herne,,,,,vorgeschlagen,,,,,ja,2026-12-06",
            "quelle",
            "Pflichtangabe fehlt",
        ),
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
        (
            "beitritte.csv",
            f"x-6,kamen,rat-der-stadt-herne,,,2023-06-13,beschlossen,{HERNE},,,,ja,",
            "gremium",
            "„rat-der-stadt-herne“ ist ein Gremium von „herne“, nicht von „kamen“",
        ),
        (
            "beitritte.csv",
            f"x-7,bochum,,,,,kein-nachweis,{HERNE},,,Charta,ja,2026-12-06",
            "vorlage_titel",
            "die Vorlagennummer (vorlage) fehlt",
        ),
        (
            "beitritte.csv",
            f"x-8,bochum,,,,,in-beratung,{HERNE},,,,ja,2026-12-06",
            "bestaetigt",
            "„bochum“ hat schon eine bestätigte Zeile",
        ),
        (
            "beitritte.csv",
            f"x-9,bochum,,,,,in-beratung,{HERNE},,,,ja,",
            "stand",
            "Ohne Beschlussdatum (datum) braucht die Zeile ein Prüfdatum (stand)",
        ),
        (
            "beratungen.csv",
            f"ds-085-23,2023-06-13,kreistag-unna,entscheidung,beschlossen,{HERNE},,,geplant",
            "ergebnis",
            "Ein Ergebnis gibt es nur für eine durchgeführte Sitzung",
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
    append(
        project_copy,
        "institutionen.csv",
        f"beispielstadt,Beispielstadt,kreisfreie-stadt,05999000,{HERNE},",
    )
    line = append(
        project_copy,
        "beitritte.csv",
        f"beispielstadt-x,beispielstadt,,,,2023-05-17,beschlossen,{HERNE},,,,ja,",
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


def test_not_utf8_is_unreadable_and_says_where_in_both_languages(project_copy: Path) -> None:
    path = project_copy / "data" / "register" / "massnahmen.csv"
    text = path.read_bytes()
    line = text.count(b"\n") + 1
    path.write_bytes(text + "x,Gr\u00fcn,,,,,,,,,https://example.org/\n".encode("latin-1"))
    code, out = run_validate(project_copy)
    assert code == 2
    assert out.startswith(f"data/register/massnahmen.csv:{line}:titel: kein UTF-8 (Byte 0xfc)"), out
    assert "\n  en: not UTF-8 (byte 0xfc)" in out


def test_semicolon_separated_file_is_unreadable(project_copy: Path) -> None:
    path = project_copy / "data" / "register" / "beratungen.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    code, out = run_validate(project_copy)
    assert code == 2
    assert out.startswith("data/register/beratungen.csv:1:-: die Zellen sind durch Semikolon")
    assert "\n  en: cells are separated by ';'" in out


def test_broken_metadata_says_line_and_column(project_copy: Path) -> None:
    path = project_copy / "data" / "register" / "csv-metadata.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3] + ","  # a comma too many after "http://www.w3.org/ns/csvw"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = run_validate(project_copy)
    assert code == 2
    assert re.match(r"data/register/csv-metadata.json:\d+:\d+: kein JSON: ", out), out
    assert "\n  en: not JSON: " in out


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


def test_an_implausible_year_is_a_warning_at_its_cell(project_copy: Path) -> None:
    line = append(
        project_copy,
        "beitritte.csv",
        f"bochum-1-2203,bochum,,1/2203,,,in-beratung,{HERNE},,,,nein,2203-01-05",
    )
    code, out = run_validate(project_copy)
    assert code == 0, out  # a warning: the row is kept, the data still conforms
    block = next(
        b for b in out.split("\n\n") if b.startswith(f"data/register/beitritte.csv:{line}:")
    )
    assert block.startswith(
        f"data/register/beitritte.csv:{line}:stand: Warnung: das Jahr 2203 ist unwahrscheinlich"
    )
    assert "\n  en: Warning: the year 2203 is implausible" in block
    assert out.rstrip().endswith("0 violations, 1 warnings")


def test_a_duplicate_id_is_reported_first_and_its_row_left_out(project_copy: Path) -> None:
    first = next(
        i
        for i, t in enumerate(
            (REGISTER / "beitritte.csv").read_text(encoding="utf-8").splitlines(), start=1
        )
        if t.startswith("herne-2023-0419,")
    )
    line = append(
        project_copy,
        "beitritte.csv",
        f"herne-2023-0419,herne,rat-der-stadt-herne,,,2023-07-01,beschlossen,{HERNE},,,,nein,",
    )
    append(project_copy, "beitritte.csv", f"x-1,herne,,,,13.06.2023,beschlossen,{HERNE},,,,nein,")
    code, out = run_validate(project_copy)
    assert code == 1
    blocks = [b for b in out.split("\n\n") if b.startswith("data/register/beitritte.csv:")]
    assert blocks[0].startswith(
        f"data/register/beitritte.csv:{line}:id: „herne-2023-0419“ kommt zweimal vor "
        f"(zuerst in Zeile {first})"
    )
    # the duplicate gives no triples: Herne's joining keeps its one date
    conv = convert(project_copy / "data" / "register" / "csv-metadata.json", NS, project_copy)
    dates = [
        t.object.value
        for t in conv.triples
        if t.subject.value == f"{NS}id/beitritt/herne-2023-0419"
        and t.predicate.value == "http://purl.org/dc/terms/date"
    ]
    assert dates == ["2023-06-13"]


def test_an_added_column_is_kept_and_never_drops_the_table(project_copy: Path) -> None:
    """docs/editing.md: more columns may follow; they are reported and not converted."""
    path = project_copy / "data" / "register" / "beitritte.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[0].append("meine_notiz")
    for r in rows[1:]:
        r.append("privat")
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    code, out = run_validate(project_copy)
    assert code == 0, out
    assert "data/register/beitritte.csv:1:meine_notiz: Warnung: Spalte „meine_notiz“" in out
    conv = convert(path.parent / "csv-metadata.json", NS, project_copy)
    joinings = {t.subject.value for t in conv.triples if t.object.value == f"{NS}ontology#Beitritt"}
    assert len(joinings) == 57
    assert all("privat" not in t.object.value for t in conv.triples)


# ---- the register's content: the whole region, each member with its evidence


def _rows(table: str) -> list[dict[str, str]]:
    with open(REGISTER / table, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


MEMBER_KINDS = {"kreisfreie-stadt": 11, "kreis": 4, "kreisangehoerige-kommune": 42}


def test_the_register_covers_exactly_the_57_members() -> None:
    institutions = {r["id"]: r for r in _rows("institutionen.csv")}
    members = {i for i, r in institutions.items() if r["art"] in MEMBER_KINDS}
    kinds = {k: sum(1 for i in members if institutions[i]["art"] == k) for k in MEMBER_KINDS}
    assert kinds == MEMBER_KINDS
    kreise = {i for i in members if institutions[i]["art"] == "kreis"}
    for i in members:
        r = institutions[i]
        if r["art"] == "kreisangehoerige-kommune":
            assert r["kreis"] in kreise and r["ags"].startswith(
                institutions[r["kreis"]]["kreisschluessel"]
            )
        elif r["art"] == "kreis":
            assert re.fullmatch(r"[0-9]{5}", r["kreisschluessel"])
        else:
            assert re.fullmatch(r"[0-9]{5}000", r["ags"])
    confirmed = [r for r in _rows("beitritte.csv") if r["bestaetigt"] == "ja"]
    assert sorted(r["institution"] for r in confirmed) == sorted(members)
    assert "regionalverband-ruhr" not in {r["institution"] for r in _rows("beitritte.csv")}


def test_every_row_has_its_evidence() -> None:
    """Decided: date, a body of that institution, a source. Otherwise: stand."""
    institutions = {r["id"]: r for r in _rows("institutionen.csv")}
    for r in _rows("beitritte.csv"):
        assert r["quelle"].strip(), r["id"]
        if r["status"] == "beschlossen":
            assert r["datum"] and r["gremium"], r["id"]
            assert institutions[r["gremium"]]["teil_von"] == r["institution"], r["id"]
        else:
            assert not r["datum"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["stand"]), r["id"]
        if r["status"] == "kein-nachweis":
            assert "id/quelle/recherche-mitglieder-2026-12-06" in r["quelle"].split()
            assert "docs/research/mitglieder-" in r["anmerkung"]
    # the research files the rows cite are in the repository
    for part in "ab":
        assert (ROOT / "docs" / "research" / f"mitglieder-{part}.csv").is_file()
        assert (ROOT / "docs" / "research" / f"mitglieder-{part}.md").is_file()


def test_every_cited_source_is_a_url_or_a_document_in_the_graph() -> None:
    store = ox.Store()
    for src in source_files(ROOT, SOURCE_DIRS):
        parse_into(store, src.path, NS)
    for table in ("beitritte.csv", "beratungen.csv", "institutionen.csv"):
        for r in _rows(table):
            for q in r["quelle"].split():
                if q.startswith("id/"):
                    assert list(
                        store.quads_for_pattern(
                            ox.NamedNode(NS + q),
                            ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
                            None,
                        )
                    ), q
                else:
                    assert re.match(r"https?://[^/\s]+\.[a-z]+(/|$)", q), q


def test_scheduled_consultations_are_not_activities() -> None:
    """A Beratungsfolge is a plan: nothing in it is stated to have taken place."""
    store = ox.Store()
    for src in source_files(ROOT, SOURCE_DIRS):
        parse_into(store, src.path, NS)
    planned = f"<{NS}id/werteliste/sitzungsstatus/geplant>"
    q = f"""SELECT ?c WHERE {{ ?c <{NS}ontology#sitzungsstatus> {planned} . }}"""
    found = {r["c"].value for r in store.query(q)}  # type: ignore[union-attr]
    assert {f"{NS}id/beratung/ds-085-23/{n}" for n in (1, 2, 3)} <= found
    assert f"{NS}id/beratung/essen/rat-der-stadt-essen-2023-05-17" in found
    for c in found:
        assert not store.query(f"""ASK {{ <{c}> a ?t .
            VALUES ?t {{ <http://www.w3.org/ns/prov#Activity>
                         <http://data.europa.eu/eli/eli-draft-legislation-ontology#Activity> }} }}""")
        assert not store.query(f"""ASK {{ <{c}> ?p ?o . VALUES ?p {{
            <http://www.w3.org/ns/prov#used> <http://www.w3.org/ns/prov#wasAssociatedWith>
            <http://data.europa.eu/eli/eli-draft-legislation-ontology#decision_outcome> }} }}""")
        assert store.query(f"""ASK {{ <{c}> a
            <http://data.europa.eu/eli/eli-draft-legislation-ontology#ForeseenActivity> }}""")
    meetings = f"""ASK {{ <{NS}id/sitzung/kreistag-unna/2023-06-13>
        <http://schema.org/eventStatus> <http://schema.org/EventScheduled> }}"""
    assert store.query(meetings)
    assert not store.query(f"""ASK {{ <{NS}id/sitzung/kreistag-unna/2023-06-13>
        a <http://www.w3.org/ns/prov#Activity> }}""")
    # Kreis Unna's row tells the same story: proposed, no consultation held
    assert store.query(f"""ASK {{ <{NS}id/beitritt/ds-085-23> <{NS}ontology#beitrittsstatus>
        <{NS}id/werteliste/beitrittsstatus/vorgeschlagen> }}""")
