"""The register tables (``data/register/*.csv``) as RDF: W3C CSVW, minimal csv2rdf.

Who does what:

- the ``csvw`` package (PyPI) parses and checks the metadata
  (``csv-metadata.json``, a TableGroup), reads each cell by its column's
  description (``Column.read``: required, null, separator, datatype with its
  ``format`` regex or date pattern) and holds the URI templates;
- this module reads the lines (so each problem keeps its line number and
  column name), checks primary and foreign keys, and implements the W3C
  csv2rdf mapping in minimal mode on top: per row, per column, one triple
  ``aboutUrl propertyUrl (valueUrl | literal)``, a null cell giving none, a
  separator giving one triple per item, virtual columns giving their valueUrl.

Beyond csv2rdf, and declared where it applies (docs/editing.md):

- relative URLs in templates resolve against the base namespace, as the
  relative IRIs of the Turtle files do (not against the table's file location);
- a virtual column annotated ``…ontology#nurMit: [columns]`` applies only to rows
  where those cells have a value, one annotated ``…ontology#nurWenn: {column: value}``
  only to rows where those cells hold those values, one annotated
  ``…ontology#nurMitVorlage`` only to consultations whose joining has a paper
  (``vorlage`` in beitritte.csv) (CSVW would emit it for every row);
- rules across the columns of a row (:func:`_check_rows`): a joining without a
  decision date needs ``stand``; a consultation has an ``ergebnis`` only when
  its meeting was held (``sitzungsstatus`` ``durchgefuehrt``);
- a column annotated ``…ontology#oberzielNummer`` holds Oberziele as
  "theme numeral.position" (``I.1``), resolved to the Oberziel's IRI from the
  Turtle data (the goals carry no notation of their own, docs/model.md);
- the standard super-terms of our classes and properties (rdfs:subClassOf,
  rdfs:subPropertyOf in ontology/) are stated too, as for the Turtle data;
- joinings and consultations, which have no name column, get a skos:prefLabel
  built from their row (:func:`_derived_labels`), so pages name them.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox

from server.pipeline.files import SOURCE_DIRS, load_turtle, read_utf8, source_files
from server.rdf import namespaces as ns

#: File name of the metadata; ``sources.source_files`` finds it below ``data/``.
METADATA = "csv-metadata.json"
#: The metadata file's own keys (csv-metadata.json names them by this fixed IRI, whatever
#: namespace the data is served under): not data, so not derived from the namespace.
_EXT = "https://w3id.org/charta-ruhr/ontology#"
ONLY_WITH = _EXT + "nurMit"
ONLY_WHEN = _EXT + "nurWenn"
ONLY_WITH_PAPER = _EXT + "nurMitVorlage"
GOAL_NUMBER = _EXT + "oberzielNummer"

RDF, RDFS, XSD, SKOS, SCHEMA = (str(n) for n in (ns.RDF, ns.RDFS, ns.XSD, ns.SKOS, ns.SCHEMA))
RDF_TYPE = ox.NamedNode(RDF + "type")
_XSD_OF_BASE = {
    "date": "date",
    "datetime": "dateTime",
    "dateTime": "dateTime",
    "integer": "integer",
    "decimal": "decimal",
    "boolean": "boolean",
    "anyURI": "anyURI",
}


@dataclass(frozen=True)
class Problem:
    """One cell (or header, or file) that breaks the metadata: ``file:line:column``.

    ``severity`` "Warning" for what is allowed but probably a typing error (a year
    like 2203, a column the metadata does not know); ``rank`` 0 for what to fix
    first (a duplicate id, whose row is then left out rather than merged).
    """

    file: Path
    line: int
    column: str
    de: str
    en: str
    severity: str = "Violation"
    rank: int = 1

    def where(self, root: Path) -> str:
        try:
            name = self.file.resolve().relative_to(Path(root).resolve())
        except ValueError:
            name = self.file
        return f"{name}:{self.line}:{self.column}"


@dataclass
class Conversion:
    """The RDF of all tables, the problems found, and where each triple came from."""

    triples: list[ox.Triple] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: (subject IRI, predicate IRI) -> (file, line, column): to place SHACL results.
    origin: dict[tuple[str, str], tuple[Path, int, str]] = field(default_factory=dict)
    #: subject IRI -> (file, line) of the first row that describes it.
    rows: dict[str, tuple[Path, int]] = field(default_factory=dict)
    tables: list[Path] = field(default_factory=list)


class RegisterError(Exception):
    """The metadata or a table cannot be read at all (exit 2).

    ``str()`` has the form of every other finding on a table:
    ``file:LINE:COLUMN: German`` and, on the next line, ``  en: English``
    (``file:LINE: …`` where no column applies); ``shown`` is the file as the
    reader knows it (relative to the project).
    """

    def __init__(
        self,
        path: Path,
        line: int | None,
        message: str,
        *,
        column: str | None = None,
        de: str | None = None,
        shown: str | None = None,
    ) -> None:
        self.path, self.line, self.message = Path(path), line, message
        self.column, self.de = column, de or message
        self.shown = shown or str(path)
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.shown
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{where}: {self.de}\n  en: {self.message}"


def table_paths(metadata: Path) -> list[Path]:
    """The CSV files the metadata names (for the data fingerprint)."""
    try:
        md = json.loads(metadata.read_text(encoding="utf-8"))
        return [metadata.parent / t["url"] for t in md.get("tables", [])]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _shown(path: Path, root: Path | None) -> str:
    """The file as the reader knows it: relative to the project where it lies inside."""
    if root is not None:
        try:
            return str(Path(path).resolve().relative_to(Path(root).resolve()))
        except ValueError:
            pass
    return str(path)


def _read_bytes(path: Path, shown: str) -> bytes:
    """The file's bytes, or :class:`RegisterError` saying in both languages why not."""
    try:
        return path.read_bytes()
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise RegisterError(
            path, None, f"cannot read: {why}", de=f"nicht lesbar: {why}", shown=shown
        ) from exc


def _load_metadata(metadata: Path, root: Path | None = None) -> Any:
    from csvw import TableGroup

    shown = _shown(metadata, root)
    raw = _read_bytes(metadata, shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(raw, exc.start)
        raise RegisterError(
            metadata,
            line,
            f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save as UTF-8",
            column=str(col),
            de=f"kein UTF-8 (Byte 0x{raw[exc.start]:02x}); als UTF-8 speichern",
            shown=shown,
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegisterError(
            metadata,
            exc.lineno,
            f"not JSON: {exc.msg}",
            column=str(exc.colno),
            de=f"kein JSON: {exc.msg}",
            shown=shown,
        ) from exc
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            group = TableGroup.fromvalue(data)
        except (ValueError, TypeError, KeyError) as exc:
            raise RegisterError(
                metadata,
                None,
                f"not CSVW metadata: {exc}",
                de=f"keine CSVW-Metadaten: {exc}",
                shown=shown,
            ) from exc
    if caught:
        reason = str(caught[0].message)
        raise RegisterError(
            metadata, None, f"CSVW metadata: {reason}", de=f"CSVW-Metadaten: {reason}", shown=shown
        )
    return group


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """(line, column) of a byte offset, both counted from 1 (the column in characters)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data[:offset].count(b"\n") + 1, column


@dataclass
class _Context:
    """What the tables refer to outside themselves, read from the Turtle data."""

    goals: dict[str, str]
    super_classes: dict[str, set[str]]
    super_properties: dict[str, set[str]]
    #: ids of beitritte.csv rows that name a paper (``vorlage``), for ``nurMitVorlage``.
    with_paper: set[str] = field(default_factory=set)


def _context(root: Path, namespace: str) -> _Context:
    store = ox.Store()
    for src in source_files(root, SOURCE_DIRS):
        if src.path.suffix == ".ttl":
            load_turtle(store, src.path, read_utf8(src.path), namespace)
    goals: dict[str, str] = {}
    rows = store.query(
        f"""SELECT ?g ?n ?p WHERE {{
          ?t <{SKOS}topConceptOf> <{namespace}id/charta> ; <{SKOS}notation> ?n .
          ?g <{SKOS}broader> ?t ; <{SCHEMA}position> ?p .
          ?g a <{namespace}ontology#Oberziel> }}"""
    )
    for row in rows:  # type: ignore[union-attr]
        goals[f"{row['n'].value}.{row['p'].value}"] = row["g"].value

    def closure(relation: str) -> dict[str, set[str]]:
        edges: dict[str, set[str]] = {}
        for q in store.quads_for_pattern(None, ox.NamedNode(RDFS + relation), None):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
                edges.setdefault(q.subject.value, set()).add(q.object.value)
        out: dict[str, set[str]] = {}
        for term in edges:
            seen: set[str] = set()
            todo = list(edges[term])
            while todo:
                t = todo.pop()
                if t not in seen:
                    seen.add(t)
                    todo.extend(edges.get(t, ()))
            out[term] = {s for s in seen if not s.startswith(namespace)} - {term}
        return out

    return _Context(goals, closure("subClassOf"), closure("subPropertyOf"))


def _read_lines(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each record; quoted cells may span lines."""
    data = path.read_bytes()
    text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for record in reader:
        yield start, record
        start = reader.line_num + 1


def _check_file(path: Path, delimiter: str, root: Path | None = None) -> None:
    """UTF-8 and the right separator, or :class:`RegisterError` (the file is unreadable).

    Reported like every other finding on a table: ``file:LINE:COLUMN``, German and
    English; the column is the header name of the cell the bad byte is in.
    """
    shown = _shown(path, root)
    data = _read_bytes(path, shown)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line, _ = _position(data, start)
        bad = f"0x{data[start]:02x}"
        raise RegisterError(
            path,
            line,
            f"not UTF-8 (byte {bad}); save as 'CSV UTF-8' "
            "(LibreOffice: character set Unicode (UTF-8))",
            column=_column_at(data, start, delimiter),
            de=f"kein UTF-8 (Byte {bad}); als „CSV UTF-8“ speichern "
            "(LibreOffice: Zeichensatz Unicode (UTF-8))",
            shown=shown,
        ) from exc
    first = text.split("\n", 1)[0]
    if delimiter not in first:
        other = next((d for d in ";\t" if d in first), None)
        if other:
            name = {";": "Semikolon", "\t": "Tabulator"}[other]
            raise RegisterError(
                path,
                1,
                f"cells are separated by {other!r}, not {delimiter!r}; save with comma as "
                "separator",
                column="-",
                de=f"die Zellen sind durch {name} getrennt, nicht durch Komma; "
                "mit Komma als Trennzeichen speichern",
                shown=shown,
            )


def _column_at(data: bytes, offset: int, delimiter: str) -> str:
    """The header name of the column a byte offset lies in (its number if the header is short)."""
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")]))
    line_start = data.rfind(b"\n", 0, offset) + 1
    before = data[line_start:offset].decode("utf-8", errors="replace")
    cells = next(csv.reader([before], delimiter=delimiter), [""])
    index = len(cells) - 1
    return header[index].strip() if 0 <= index < len(header) else str(index + 1)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (list, str)) and not value)


def _canonical(value: Any) -> str:
    if hasattr(value, "unsplit"):  # rfc3986.URIReference, csvw's anyURI value
        return str(value.unsplit())
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Expander:
    """URI templates of the metadata, expanded and resolved against the namespace."""

    def __init__(self, namespace: str) -> None:
        from csvw.metadata import NAMESPACES

        self.namespace = namespace
        self.prefixes: dict[str, str] = NAMESPACES

    def iri(self, template: Any, values: dict[str, str]) -> str:
        raw = str(template.uri) if hasattr(template, "uri") else str(template)
        if ":" in raw and raw.split(":", 1)[0] in self.prefixes and "{" not in raw:
            prefix, local = raw.split(":", 1)
            return self.prefixes[prefix] + local
        expanded = str(template.expand(**values)) if hasattr(template, "expand") else raw
        head = expanded.split(":", 1)[0]
        if ":" in expanded and head in self.prefixes and not expanded.startswith(head + "://"):
            return self.prefixes[head] + expanded.split(":", 1)[1]
        return urljoin(self.namespace, expanded)


def convert(metadata: Path, namespace: str, root: Path | None = None) -> Conversion:
    """Check the tables against the metadata and map their rows to RDF.

    Raises :class:`RegisterError` when the metadata or a table is unreadable;
    everything else (a wrong value, a missing column, a key that does not
    exist) is a :class:`Problem`, and the row it is in gives no triples.
    """
    metadata = Path(metadata)
    root = root or _root_of(metadata)
    group = _load_metadata(metadata, root)
    ctx = _context(root, namespace)
    out = Conversion()
    expander = _Expander(namespace)
    dialect = group.dialect
    delimiter = (dialect.delimiter if dialect else None) or ","
    keys: dict[str, set[str]] = {}  # table url -> its primary-key values
    rows_of: list[tuple[Any, Path, list[tuple[int, dict[str, Any], dict[str, str]]]]] = []
    for table in group.tables:
        path = metadata.parent / table.url.string
        out.tables.append(path)
        _check_file(path, delimiter, root)
        good = _read_table(table, path, delimiter, out)
        rows_of.append((table, path, good))
        pk = table.tableSchema.primaryKey or []
        if len(pk) == 1:
            first: dict[str, int] = {}
            twice: set[int] = set()
            for line, _, raw in good:
                value = raw.get(pk[0], "")
                if value in first:
                    twice.add(line)
                    out.problems.append(
                        Problem(
                            path,
                            line,
                            pk[0],
                            f"„{value}“ kommt zweimal vor (zuerst in Zeile {first[value]}); "
                            "diese Zeile bleibt weg, bis sie eine eigene id hat",
                            f"'{value}' occurs twice (first in line {first[value]}); "
                            "this row is left out until it has an id of its own",
                            rank=0,
                        )
                    )
                else:
                    first[value] = line
            good[:] = [g for g in good if g[0] not in twice]
            keys[table.url.string] = set(first)
    # id -> name of institutionen.csv, for the labels of joinings and consultations
    names = {
        raw.get("id", ""): raw.get("name", "")
        for table, _, good in rows_of
        if table.url.string == INSTITUTIONS
        for _, _, raw in good
    }
    # id -> teil_von of institutionen.csv: whose body a deciding body is
    parents = {
        raw.get("id", ""): raw.get("teil_von", "").strip()
        for table, _, good in rows_of
        if table.url.string == INSTITUTIONS
        for _, _, raw in good
    }
    ctx.with_paper = {
        raw.get("id", "")
        for table, _, good in rows_of
        if table.url.string == JOININGS
        for _, _, raw in good
        if raw.get("vorlage", "").strip()
    }
    for table, path, good in rows_of:
        bad = _check_references(table, path, good, keys, ctx, out)
        bad |= _check_rows(table, path, good, parents, out)
        for line, values, raw in good:
            if line not in bad:
                _row_triples(table, path, line, values, raw, expander, ctx, out)
                _derived_labels(table, path, line, values, raw, names, expander, out)
    out.triples = _with_super_terms(out.triples, ctx)
    return out


def _root_of(metadata: Path) -> Path:
    for parent in metadata.resolve().parents:
        if (parent / "ontology").is_dir() and (parent / "data").is_dir():
            return parent
    return metadata.resolve().parent


def _problem(path: Path, line: int, column: str, de: str, en: str) -> Problem:
    return Problem(path, line, column, de, en)


def _columns(table: Any) -> list[Any]:
    return [c for c in table.tableSchema.columns if not c.virtual]


def _read_table(
    table: Any, path: Path, delimiter: str, out: Conversion
) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
    """The rows whose every cell reads by its column; a Problem for each cell that does not."""
    columns = _columns(table)
    lines = _read_lines(path, delimiter)
    try:
        _, header = next(lines)
    except StopIteration:
        out.problems.append(_problem(path, 1, "-", "Kopfzeile fehlt", "header row missing"))
        return []
    header = [h.strip() for h in header]
    names = [c.name for c in columns]
    for col in columns:
        if col.name not in header and col.inherit("required"):
            out.problems.append(
                _problem(
                    path,
                    1,
                    col.name,
                    f"Pflichtspalte „{col.name}“ fehlt in der Kopfzeile",
                    f"required column '{col.name}' is missing from the header row",
                )
            )
    if any(p.file == path and p.line == 1 for p in out.problems):
        return []  # a required column is missing: no row can be read
    for i, h in enumerate(header, start=1):
        if h not in names:
            # more columns may follow (docs/editing.md): kept in the file, not converted
            out.problems.append(
                Problem(
                    path,
                    1,
                    h or str(i),
                    f"Spalte „{h}“ steht nicht in csv-metadata.json: sie bleibt in der Datei, "
                    f"wird aber nicht übernommen (bekannt: {', '.join(names)})",
                    f"column '{h}' is not in csv-metadata.json: it stays in the file but is "
                    f"not converted (known: {', '.join(names)})",
                    severity="Warning",
                )
            )
    by_name = {c.name: c for c in columns}
    good = []
    for line, cells in lines:
        if not any(c.strip() for c in cells):
            continue  # an empty line, as spreadsheets leave at the end
        if len(cells) > len(header):
            out.problems.append(
                _problem(
                    path,
                    line,
                    str(len(header) + 1),
                    f"{len(cells)} Zellen, aber nur {len(header)} Spalten "
                    "(Komma im Text? In Anführungszeichen setzen)",
                    f"{len(cells)} cells but only {len(header)} columns "
                    "(a comma in a text? quote it)",
                )
            )
            continue
        cells = cells + [""] * (len(header) - len(cells))
        raw = dict(zip(header, cells, strict=True))
        values: dict[str, Any] = {}
        ok = True
        for name, col in by_name.items():
            text = raw.get(name, "")
            try:
                values[name] = col.read(text, strict=True)
            except ValueError as exc:
                ok = False
                out.problems.append(_cell_problem(path, line, col, text, exc))
        if ok:
            good.append((line, values, raw))
    return good


def _cell_problem(path: Path, line: int, col: Any, text: str, exc: ValueError) -> Problem:
    dt = col.inherit("datatype")
    if "required" in str(exc):
        return _problem(path, line, col.name, "Pflichtangabe fehlt", "required value is missing")
    base = dt.base if dt is not None else "string"
    fmt = dt.format if dt is not None else None
    if base == "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        de = f"„{text}“ ist kein echtes Datum (diesen Tag gibt es im Kalender nicht)"
        en = f"'{text}' is not a real date (the calendar has no such day)"
    elif base == "date":
        de = f"„{text}“ ist kein Datum der Form JJJJ-MM-TT (etwa 2023-06-13)"
        en = f"'{text}' is not a date of the form YYYY-MM-DD (e.g. 2023-06-13)"
    elif base in ("datetime", "dateTime"):
        de = f"„{text}“ ist kein Zeitpunkt der Form JJJJ-MM-TTThh:mm:ss"
        en = f"'{text}' is not a date-time of the form YYYY-MM-DDThh:mm:ss"
    elif fmt and "|" in fmt and "(" not in fmt and "[" not in fmt:
        allowed = ", ".join(fmt.split("|"))
        de = f"„{text}“ ist kein erlaubter Wert (erlaubt: {allowed})"
        en = f"'{text}' is not an allowed value (allowed: {allowed})"
    else:
        de = f"„{text}“ passt nicht zum Muster {fmt or base} der Spalte"
        en = f"'{text}' does not match the column's pattern {fmt or base}"
    return _problem(path, line, col.name, de, en)


def _check_references(
    table: Any,
    path: Path,
    good: list[tuple[int, dict[str, Any], dict[str, str]]],
    keys: dict[str, set[str]],
    ctx: _Context,
    out: Conversion,
) -> set[int]:
    """Foreign keys of the metadata and Oberziel numbers; returns the lines that fail."""
    bad: set[int] = set()
    for fk in table.tableSchema.foreignKeys:
        target = fk.reference.resource.string
        (column,) = fk.columnReference
        known = keys.get(target, set())
        for line, values, _ in good:
            value = values.get(column)
            if value is not None and value not in known:
                bad.add(line)
                out.problems.append(
                    _problem(
                        path,
                        line,
                        column,
                        f"„{value}“ gibt es nicht in {target} (Spalte id)",
                        f"'{value}' does not exist in {target} (column id)",
                    )
                )
    for col in _columns(table):
        if not col.common_props.get(GOAL_NUMBER):
            continue
        for line, values, _ in good:
            for number in values.get(col.name) or []:
                if number not in ctx.goals:
                    bad.add(line)
                    out.problems.append(
                        _problem(
                            path,
                            line,
                            col.name,
                            f"Oberziel „{number}“ gibt es nicht "
                            "(Leitthema I–V, Oberziel 1–4, etwa II.3)",
                            f"there is no goal '{number}' (theme I–V, goal 1–4, e.g. II.3)",
                        )
                    )
    return bad


#: Dates outside these years are allowed but warned about: probably a typing error.
PLAUSIBLE_YEARS = (1990, date.today().year + 5)


def _check_rows(
    table: Any,
    path: Path,
    good: list[tuple[int, dict[str, Any], dict[str, str]]],
    parents: dict[str, str],
    out: Conversion,
) -> set[int]:
    """Rules across the cells of one row (docs/editing.md); returns the lines that break one.

    A joining without a decision date (``datum``) says as of when its state holds
    (``stand``): otherwise "in Beratung" or "kein Nachweis" would read as today's state.
    Its deciding body (``gremium``) is a body of the joining institution (``teil_von``
    in institutionen.csv). A paper's title or address needs the paper (``vorlage``).
    Each institution has at most one confirmed row. A consultation's outcome
    (``ergebnis``) is known only from a meeting that was held: a Beratungsfolge is a
    plan, and a plan has no outcome. A year outside :data:`PLAUSIBLE_YEARS` is a
    warning (the row is kept).
    """
    bad: set[int] = set()
    url = table.url.string

    def error(line: int, column: str, de: str, en: str) -> None:
        bad.add(line)
        out.problems.append(_problem(path, line, column, de, en))

    confirmed: dict[str, int] = {}
    dates = [c.name for c in _columns(table) if _is_date(table.tableSchema, c.name)]
    for line, values, _ in good:
        for name in dates:
            day = values.get(name)
            if isinstance(day, (date, datetime)) and not (
                PLAUSIBLE_YEARS[0] <= day.year <= PLAUSIBLE_YEARS[1]
            ):
                out.problems.append(
                    Problem(
                        path,
                        line,
                        name,
                        f"das Jahr {day.year} ist unwahrscheinlich (erwartet "
                        f"{PLAUSIBLE_YEARS[0]}–{PLAUSIBLE_YEARS[1]}); Tippfehler?",
                        f"the year {day.year} is implausible (expected "
                        f"{PLAUSIBLE_YEARS[0]}–{PLAUSIBLE_YEARS[1]}); a typing error?",
                        severity="Warning",
                    )
                )
        if url == JOININGS:
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
        if (
            url == CONSULTATIONS
            and values.get("ergebnis") is not None
            and values.get("sitzungsstatus") != "durchgefuehrt"
        ):
            error(
                line,
                "ergebnis",
                "Ein Ergebnis gibt es nur für eine durchgeführte Sitzung "
                "(sitzungsstatus durchgefuehrt, mit einer Quelle, die das Ergebnis nennt)",
                "Only a meeting that was held has an outcome "
                "(sitzungsstatus durchgefuehrt, with a source that records the outcome)",
            )
    return bad


def _literal(value: Any, col: Any) -> ox.Literal:
    lang = col.inherit("lang")
    dt = col.inherit("datatype")
    if dt is None or dt.base == "string":
        explicit = dt.at_props.get("id") if dt is not None else None
        if explicit:
            return ox.Literal(str(value), datatype=ox.NamedNode(_explicit(explicit, col)))
        if lang and lang != "und":
            return ox.Literal(str(value), language=lang)
        return ox.Literal(str(value))
    if dt.base == "date" and isinstance(value, datetime):
        return ox.Literal(value.date().isoformat(), datatype=ox.NamedNode(XSD + "date"))
    xsd = _XSD_OF_BASE.get(dt.base, "string")
    return ox.Literal(_canonical(value), datatype=ox.NamedNode(XSD + xsd))


def _explicit(iri: str, col: Any) -> str:
    return urljoin(str(col._namespace), iri)  # set in _row_triples


def _row_triples(
    table: Any,
    path: Path,
    line: int,
    values: dict[str, Any],
    raw: dict[str, str],
    expander: _Expander,
    ctx: _Context,
    out: Conversion,
) -> None:
    schema = table.tableSchema
    template_values = {
        k: _canonical(v.date() if isinstance(v, datetime) and _is_date(schema, k) else v)
        for k, v in values.items()
        if v is not None and not isinstance(v, list)
    }
    row_subject = expander.iri(schema.aboutUrl, template_values) if schema.aboutUrl else None

    def emit(s: str, p: str, o: ox.NamedNode | ox.Literal, column: str) -> None:
        out.triples.append(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o))
        out.origin.setdefault((s, p), (path, line, column))
        out.rows.setdefault(s, (path, line))

    for col in schema.columns:
        if col.suppressOutput:
            continue
        col._namespace = expander.namespace  # for _explicit
        about = col.inherit("aboutUrl")
        subject = expander.iri(about, template_values) if about else row_subject
        if subject is None:
            continue
        prop = expander.iri(col.inherit("propertyUrl"), template_values)
        if col.virtual:
            needed = col.common_props.get(ONLY_WITH) or []
            if any(_empty(values.get(n)) for n in needed):
                continue
            when = col.common_props.get(ONLY_WHEN) or {}
            if any(raw.get(n, "").strip() != v for n, v in when.items()):
                continue
            if col.common_props.get(ONLY_WITH_PAPER) and raw.get("beitritt") not in ctx.with_paper:
                continue
            emit(subject, prop, ox.NamedNode(expander.iri(col.valueUrl, template_values)), "")
            continue
        value = values.get(col.name)
        if value is None or (isinstance(value, list) and not value):
            continue
        items = value if isinstance(value, list) else [value]
        value_url = col.inherit("valueUrl")
        for item in items:
            if item is None:
                continue
            if col.common_props.get(GOAL_NUMBER):
                emit(subject, prop, ox.NamedNode(ctx.goals[item]), col.name)
            elif value_url is not None:
                cell = dict(template_values)
                cell[col.name] = _canonical(item)
                emit(subject, prop, ox.NamedNode(expander.iri(value_url, cell)), col.name)
            else:
                emit(subject, prop, _literal(item, col), col.name)


#: The tables whose rows the labels below are made from (docs/editing.md).
INSTITUTIONS = "institutionen.csv"
JOININGS = "beitritte.csv"
CONSULTATIONS = "beratungen.csv"


def _derived_labels(
    table: Any,
    path: Path,
    line: int,
    values: dict[str, Any],
    raw: dict[str, str],
    names: dict[str, str],
    expander: _Expander,
    out: Conversion,
) -> None:
    """A skos:prefLabel (de, en) for a joining or a consultation, whose rows name none.

    Derived from the row alone, nothing invented: the institution's (or the
    body's) name as institutionen.csv spells it (German; the English label keeps
    it, as the tables hold no English names), and for a consultation its date.
    "Beitritt: Regionalverband Ruhr"@de / "Joining: Regionalverband Ruhr"@en;
    "Beratung: Rat der Stadt Herne, 13.06.2023"@de / "Consultation: Rat der
    Stadt Herne, 13 June 2023"@en; a scheduled one "Geplante Beratung: …" /
    "Scheduled consultation: …". Measures have their title (titel).
    """
    from babel.dates import format_date

    url = table.url.string
    cells = {k: v for k, v in raw.items() if v}  # the row's subject, as _row_triples makes it
    subject = expander.iri(table.tableSchema.aboutUrl, cells)
    if url == JOININGS:
        column, name = "institution", names.get(raw.get("institution", ""))
        de, en = f"Beitritt: {name}", f"Joining: {name}"
    elif url == CONSULTATIONS:
        column, name = "gremium", names.get(raw.get("gremium", ""))
        day = values.get("datum")
        if not isinstance(day, date):
            return
        day = day.date() if isinstance(day, datetime) else day
        planned = raw.get("sitzungsstatus", "").strip() == "geplant"
        de = f"{'Geplante Beratung' if planned else 'Beratung'}: {name}, "
        de += format_date(day, "dd.MM.y", locale="de")
        en = f"{'Scheduled consultation' if planned else 'Consultation'}: {name}, "
        en += format_date(day, "d MMMM y", locale="en")
    else:
        return
    if not name:
        return
    label = ox.NamedNode(SKOS + "prefLabel")
    for text, lang in ((de, "de"), (en, "en")):
        out.triples.append(ox.Triple(ox.NamedNode(subject), label, ox.Literal(text, language=lang)))
    out.origin.setdefault((subject, label.value), (path, line, column))


def _is_date(schema: Any, name: str) -> bool:
    col = schema.get_column(name) if hasattr(schema, "get_column") else None
    dt = col.inherit("datatype") if col is not None else None
    return dt is not None and dt.base == "date"


def _with_super_terms(triples: Iterable[ox.Triple], ctx: _Context) -> list[ox.Triple]:
    """Add the standard super-classes and super-properties of ours (RDFS rules 7 and 9)."""
    out = list(dict.fromkeys(triples))
    extra: list[ox.Triple] = []
    for t in out:
        for sup in ctx.super_properties.get(t.predicate.value, ()):
            extra.append(ox.Triple(t.subject, ox.NamedNode(sup), t.object))
        if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            for sup in ctx.super_classes.get(t.object.value, ()):
                extra.append(ox.Triple(t.subject, RDF_TYPE, ox.NamedNode(sup)))
    return list(dict.fromkeys(out + extra))
