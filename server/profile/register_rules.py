"""The Charta's rules for its register tables (data/register/, docs/editing.md).

The engine's CSVW converter (:mod:`server.pipeline.register`) reads the tables by
their metadata alone; this record (:data:`RULES`, the profile's ``register_rules``)
adds what only the Charta knows:

- its tables: institutions (:data:`INSTITUTIONS`), their joinings of the Charta
  (:data:`JOININGS`) and the consultations of a joining's paper (:data:`CONSULTATIONS`);
- the annotations of csv-metadata.json, terms of the Charta ontology (a fixed IRI,
  whatever namespace the data is served under: not data, so not derived from the
  namespace): a virtual column annotated ``…ontology#nurMit: [columns]`` applies only
  to rows where those cells have a value, one annotated ``…ontology#nurWenn: {column:
  value}`` only to rows where those cells hold those values, one annotated
  ``…ontology#nurMitVorlage`` only to consultations whose joining has a paper
  (``vorlage`` in beitritte.csv);
- a column annotated ``…ontology#oberzielNummer`` holds Oberziele as "theme
  numeral.position" (``I.1``), resolved to the Oberziel's IRI from the Turtle data
  (the goals carry no notation of their own, docs/model.md);
- rules across the columns of a row (:func:`check_joinings`,
  :func:`check_consultations`): a joining without a decision date needs ``stand``; a
  consultation has an ``ergebnis`` only when its meeting was held (``sitzungsstatus``
  ``durchgefuehrt``);
- joinings and consultations, which have no name column, get a skos:prefLabel built
  from their row (:func:`joining_label`, :func:`consultation_label`), so pages name them.

Module-level functions only: the record travels with the data source into the query
workers (it pickles).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyoxigraph as ox

from server.pipeline import register
from server.pipeline.register import (
    Condition,
    Conversion,
    Derived,
    KeyColumn,
    Problem,
    RegisterRules,
    Row,
    Table,
    TableRules,
    Tables,
    only_when,
    only_with,
)
from server.rdf import namespaces as ns

#: The Charta ontology's terms the metadata file annotates its columns with.
_EXT = "https://w3id.org/charta-ruhr/ontology#"
ONLY_WITH = _EXT + "nurMit"
ONLY_WHEN = _EXT + "nurWenn"
ONLY_WITH_PAPER = _EXT + "nurMitVorlage"
GOAL_NUMBER = _EXT + "oberzielNummer"

#: The tables the rules below read or apply to (docs/editing.md).
INSTITUTIONS = "institutionen.csv"
JOININGS = "beitritte.csv"
CONSULTATIONS = "beratungen.csv"

SKOS, SCHEMA = str(ns.SKOS), str(ns.SCHEMA)


def goal_keys(store: ox.Store, namespace: str) -> dict[str, str]:
    """Each Oberziel's key ("II.3": its theme's notation and its position) -> its IRI."""
    goals: dict[str, str] = {}
    rows = store.query(
        f"""SELECT ?g ?n ?p WHERE {{
          ?t <{SKOS}topConceptOf> <{namespace}id/charta> ; <{SKOS}notation> ?n .
          ?g <{SKOS}broader> ?t ; <{SCHEMA}position> ?p .
          ?g a <{namespace}ontology#Oberziel> }}"""
    )
    for row in rows:  # type: ignore[union-attr]
        goals[f"{row['n'].value}.{row['p'].value}"] = row["g"].value
    return goals


def unknown_goal(number: str) -> tuple[str, str]:
    return (
        f"Oberziel „{number}“ gibt es nicht (Leitthema I–V, Oberziel 1–4, etwa II.3)",
        f"there is no goal '{number}' (theme I–V, goal 1–4, e.g. II.3)",
    )


def _names(tables: Tables) -> dict[str, str]:
    """id -> name of institutionen.csv, for the labels of joinings and consultations."""
    return {row.raw.get("id", ""): row.raw.get("name", "") for row in tables.rows(INSTITUTIONS)}


def _parents(tables: Tables) -> dict[str, str]:
    """id -> teil_von of institutionen.csv: whose body a deciding body is."""
    return {
        row.raw.get("id", ""): row.raw.get("teil_von", "").strip()
        for row in tables.rows(INSTITUTIONS)
    }


def _with_paper(tables: Tables) -> set[str]:
    """ids of beitritte.csv rows that name a paper (``vorlage``)."""
    return {
        row.raw.get("id", "") for row in tables.rows(JOININGS) if row.raw.get("vorlage", "").strip()
    }


def only_with_paper(flag: object, row: Row, tables: Tables) -> bool:
    """``nurMitVorlage``: the consultation's joining (``beitritt``) names a paper."""
    return not flag or row.raw.get("beitritt") in tables.once(_with_paper)


def check_joinings(table: Table, tables: Tables) -> list[Problem]:
    """A joining without a decision date (``datum``) says as of when its state holds
    (``stand``): otherwise "in Beratung" or "kein Nachweis" would read as today's state.
    Its deciding body (``gremium``) is a body of the joining institution (``teil_von``
    in institutionen.csv). A paper's title or address needs the paper (``vorlage``).
    Each institution has at most one confirmed row."""
    problems: list[Problem] = []
    parents = tables.once(_parents)
    confirmed: dict[str, int] = {}

    def error(line: int, column: str, de: str, en: str) -> None:
        problems.append(Problem(table.path, line, column, de, en))

    for row in table.rows:
        line, values = row.line, row.values
        institution = values.get("institution")
        if values.get("datum") is None and values.get("stand") is None:
            error(
                line,
                "stand",
                "Ohne Beschlussdatum (datum) braucht die Zeile ein Prüfdatum (stand): "
                "wann der Stand zuletzt geprüft wurde, JJJJ-MM-TT",
                "Without a decision date (datum) the row needs the date its state was "
                "last checked (stand), YYYY-MM-DD",
            )
        body = values.get("gremium")
        if body is not None and body in parents and parents[body] != institution:
            owner = parents[body]
            error(
                line,
                "gremium",
                f"„{body}“ ist ein Gremium von „{owner or 'keiner Institution'}“, nicht von "
                f"„{institution}“ (Spalte teil_von in institutionen.csv): das beschließende "
                "Gremium gehört zur beitretenden Institution",
                f"'{body}' is a body of '{owner or 'no institution'}', not of "
                f"'{institution}' (column teil_von in institutionen.csv): the deciding body "
                "belongs to the joining institution",
            )
        for column in ("vorlage_titel", "vorlage_url"):
            if values.get(column) is not None and values.get("vorlage") is None:
                error(
                    line,
                    column,
                    f"„{column}“ beschreibt eine Vorlage: die Vorlagennummer (vorlage) fehlt",
                    f"'{column}' describes a paper: its number (vorlage) is missing",
                )
        if values.get("bestaetigt") is True and isinstance(institution, str):
            if institution in confirmed:
                error(
                    line,
                    "bestaetigt",
                    f"„{institution}“ hat schon eine bestätigte Zeile (Zeile "
                    f"{confirmed[institution]}): je Mitglied genau eine; eine weitere als "
                    "Kandidat mit bestaetigt nein eintragen",
                    f"'{institution}' already has a confirmed row (line "
                    f"{confirmed[institution]}): exactly one per member; enter another as a "
                    "candidate with bestaetigt nein",
                )
            else:
                confirmed[institution] = line
    return problems


def check_consultations(table: Table, tables: Tables) -> list[Problem]:
    """A consultation's outcome (``ergebnis``) is known only from a meeting that was
    held: a Beratungsfolge is a plan, and a plan has no outcome."""
    return [
        Problem(
            table.path,
            row.line,
            "ergebnis",
            "Ein Ergebnis gibt es nur für eine durchgeführte Sitzung "
            "(sitzungsstatus durchgefuehrt, mit einer Quelle, die das Ergebnis nennt)",
            "Only a meeting that was held has an outcome "
            "(sitzungsstatus durchgefuehrt, with a source that records the outcome)",
        )
        for row in table.rows
        if row.values.get("ergebnis") is not None
        and row.values.get("sitzungsstatus") != "durchgefuehrt"
    ]


def _label(de: str, en: str, column: str) -> list[Derived]:
    label = SKOS + "prefLabel"
    return [
        (label, ox.Literal(de, language="de"), column),
        (label, ox.Literal(en, language="en"), column),
    ]


def joining_label(row: Row, tables: Tables) -> list[Derived]:
    """A joining's skos:prefLabel, derived from the row alone, nothing invented: the
    institution's name as institutionen.csv spells it (German; the English label keeps
    it, as the tables hold no English names). "Beitritt: Regionalverband Ruhr"@de /
    "Joining: Regionalverband Ruhr"@en."""
    name = tables.once(_names).get(row.raw.get("institution", ""))
    if not name:
        return []
    return _label(f"Beitritt: {name}", f"Joining: {name}", "institution")


def consultation_label(row: Row, tables: Tables) -> list[Derived]:
    """A consultation's skos:prefLabel: its body's name and its date. "Beratung: Rat der
    Stadt Herne, 13.06.2023"@de / "Consultation: Rat der Stadt Herne, 13 June 2023"@en;
    a scheduled one "Geplante Beratung: …" / "Scheduled consultation: …"."""
    from babel.dates import format_date

    name = tables.once(_names).get(row.raw.get("gremium", ""))
    day = row.values.get("datum")
    if not isinstance(day, date):
        return []
    day = day.date() if isinstance(day, datetime) else day
    planned = row.raw.get("sitzungsstatus", "").strip() == "geplant"
    de = f"{'Geplante Beratung' if planned else 'Beratung'}: {name}, "
    de += format_date(day, "dd.MM.y", locale="de")
    en = f"{'Scheduled consultation' if planned else 'Consultation'}: {name}, "
    en += format_date(day, "d MMMM y", locale="en")
    if not name:
        return []
    return _label(de, en, "gremium")


RULES = RegisterRules(
    tables=(
        TableRules(JOININGS, check_rows=check_joinings, derived=joining_label),
        TableRules(CONSULTATIONS, check_rows=check_consultations, derived=consultation_label),
    ),
    conditions=(
        Condition(ONLY_WITH, only_with),
        Condition(ONLY_WHEN, only_when),
        Condition(ONLY_WITH_PAPER, only_with_paper),
    ),
    key_columns=(KeyColumn(GOAL_NUMBER, goal_keys, unknown_goal),),
)


def convert(metadata: Path, namespace: str, root: Path | None = None) -> Conversion:
    """The register's own reading of the tables under :data:`RULES` (the import checks
    the tables it would write with it)."""
    return register.convert(metadata, namespace, root, RULES)
