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

Beyond csv2rdf, always:

- relative URLs in templates resolve against the base namespace, as the
  relative IRIs of the Turtle files do (not against the table's file location);
- the standard super-terms of the data's classes and properties (rdfs:subClassOf,
  rdfs:subPropertyOf in the Turtle sources) are stated too, as for the Turtle data;
- a year in a date cell outside :data:`PLAUSIBLE_YEARS` is a warning.

What one body of data adds is a :class:`RegisterRules` record its profile gives
(the engine names no table, column or term of it): per table a
:class:`TableRules` (rules across the cells of a row, triples a row gives beyond
its cells, such as a label made of them), :class:`Condition` annotations of
virtual columns (apply only to some rows: :func:`only_with`, :func:`only_when`
or the profile's own), and :class:`KeyColumn` annotations whose cells are keys the
Turtle data defines, resolved to IRIs. The record travels with the data source
(``server.pipeline.sources.Checkout``) into the query workers, so it holds
module-level functions only (it pickles).
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin

import pyoxigraph as ox

from server.config import Config
from server.pipeline.files import SOURCE_DIRS, load_turtle, read_utf8, source_files
from server.rdf import namespaces as ns

#: File name of the metadata; ``sources.source_files`` finds it below ``data/``.
METADATA = "csv-metadata.json"

RDF, RDFS, XSD = (str(n) for n in (ns.RDF, ns.RDFS, ns.XSD))
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


@dataclass(frozen=True)
class Row:
    """One row whose every cell read by its column: its line in the file (the header
    being line 1), its cells as the columns read them, and their text."""

    line: int
    values: dict[str, Any]
    raw: dict[str, str]


@dataclass
class Table:
    """One table as the rules see it: its name in the metadata, its file, its
    description, and its rows that read (a second row with the same id left out)."""

    url: str
    path: Path
    #: Its description in the metadata (a ``csvw.Table``).
    csvw: Any
    rows: list[Row]


T = TypeVar("T")


class Tables:
    """All the tables of one conversion, for the rules: a rule on one table may read
    another (the names a label is made of, say)."""

    def __init__(self, namespace: str, tables: list[Table]) -> None:
        self.namespace = namespace
        self.by_url = {t.url: t for t in tables}
        self._made: dict[object, Any] = {}

    def rows(self, url: str) -> list[Row]:
        """The rows of table ``url`` (none where the metadata has no such table)."""
        table = self.by_url.get(url)
        return table.rows if table is not None else []

    def once(self, make: Callable[[Tables], T]) -> T:
        """``make(self)``, computed once per conversion (a lookup over a whole table)."""
        if make not in self._made:
            self._made[make] = make(self)
        result: T = self._made[make]
        return result


#: A triple a row gives beyond its cells, about the row's subject: (predicate IRI,
#: object, the column it is made from, where a finding on it is placed).
Derived = tuple[str, ox.NamedNode | ox.Literal, str]


@dataclass(frozen=True)
class TableRules:
    """What a profile adds to one table (``url`` as the metadata names it)."""

    url: str
    #: Rules across the cells of a row: (the table, all tables) -> problems
    #: (``Problem(table.path, line, column, de, en)``); a Violation leaves its row out
    #: of the RDF, a Warning keeps it.
    check_rows: Callable[[Table, Tables], Iterable[Problem]] | None = None
    #: Triples a row gives beyond its cells (a label made of them, where the row names
    #: none), about the row's subject (its ``aboutUrl`` on the row's text).
    derived: Callable[[Row, Tables], Iterable[Derived]] | None = None


@dataclass(frozen=True)
class Condition:
    """A virtual column annotated with ``annotation`` (a key of the column in the
    metadata) applies only to the rows where ``applies(annotation's value, row, tables)``
    (CSVW would emit it for every row)."""

    annotation: str
    applies: Callable[[Any, Row, Tables], bool]


@dataclass(frozen=True)
class KeyColumn:
    """A column annotated with ``annotation`` holds keys the Turtle data defines, each
    resolved to the IRI it stands for (the triple's object).

    ``keys(store, namespace)`` reads key -> IRI from a store of the Turtle sources, once
    per conversion; a key it does not know is a problem in the words of ``unknown(key)``
    (German, English), and its row gives no triples.
    """

    annotation: str
    keys: Callable[[ox.Store, str], dict[str, str]]
    unknown: Callable[[str], tuple[str, str]]


@dataclass(frozen=True)
class RegisterRules:
    """A profile's rules for its register tables; without any (:data:`PLAIN`) the
    tables are converted as CSVW says, with the cell checks of the metadata alone."""

    tables: tuple[TableRules, ...] = ()
    conditions: tuple[Condition, ...] = ()
    key_columns: tuple[KeyColumn, ...] = ()

    def table(self, url: str) -> TableRules | None:
        return next((t for t in self.tables if t.url == url), None)

    def key_column(self, col: Any) -> KeyColumn | None:
        """The key annotation a column carries, if any."""
        return next((k for k in self.key_columns if col.common_props.get(k.annotation)), None)


PLAIN = RegisterRules()


def only_with(columns: list[str], row: Row, tables: Tables) -> bool:
    """A :class:`Condition`: the row has a value in each of ``columns``."""
    return not any(_empty(row.values.get(n)) for n in columns)


def only_when(cells: dict[str, str], row: Row, tables: Tables) -> bool:
    """A :class:`Condition`: each of the row's cells named in ``cells`` holds that text."""
    return all(row.raw.get(n, "").strip() == v for n, v in cells.items())


def profile_rules(profile: str | None = None) -> RegisterRules:
    """The register rules of the profile module ``profile`` (its ``PROFILE`` record's
    ``register_rules``), found by name as the web tier finds the profile; ``None``: the
    configured one (``CHARTA_PROFILE``). What a caller that holds no rules converts with."""
    return _rules_of(profile or Config.from_env().profile)


@lru_cache(maxsize=8)
def _rules_of(name: str) -> RegisterRules:
    record = getattr(importlib.import_module(name), "PROFILE", None)
    rules = getattr(record, "register_rules", PLAIN)
    return rules if isinstance(rules, RegisterRules) else PLAIN


@dataclass
class _Context:
    """What the tables refer to outside themselves, read from the Turtle data."""

    #: annotation of a :class:`KeyColumn` -> its keys -> the IRIs they stand for.
    keys: dict[str, dict[str, str]]
    super_classes: dict[str, set[str]]
    super_properties: dict[str, set[str]]


def _context(
    root: Path, namespace: str, rules: RegisterRules, data: ox.Store | None = None
) -> _Context:
    """From ``data`` (the Turtle sources as the caller already parsed them), or, where
    the caller has none, from the Turtle files read now."""
    store = data
    if store is None:
        store = ox.Store()
        for src in source_files(root, SOURCE_DIRS):
            if src.path.suffix == ".ttl":
                load_turtle(store, src.path, read_utf8(src.path), namespace)
    keys = {k.annotation: k.keys(store, namespace) for k in rules.key_columns}

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

    return _Context(keys, closure("subClassOf"), closure("subPropertyOf"))


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


def convert(
    metadata: Path,
    namespace: str,
    root: Path | None = None,
    rules: RegisterRules | None = None,
    data: ox.Store | None = None,
) -> Conversion:
    """Check the tables against the metadata and ``rules`` and map their rows to RDF.

    ``rules``: the profile's (None: the configured profile's, :func:`profile_rules`).
    ``data``: the checkout's Turtle sources already parsed (so they are read once);
    None reads them.
    Raises :class:`RegisterError` when the metadata or a table is unreadable;
    everything else (a wrong value, a missing column, a key that does not
    exist, a broken rule) is a :class:`Problem`, and the row it is in gives no triples.
    """
    metadata = Path(metadata)
    root = root or _root_of(metadata)
    rules = profile_rules() if rules is None else rules
    group = _load_metadata(metadata, root)
    ctx = _context(root, namespace, rules, data)
    out = Conversion()
    expander = _Expander(namespace)
    dialect = group.dialect
    delimiter = (dialect.delimiter if dialect else None) or ","
    keys: dict[str, set[str]] = {}  # table url -> its primary-key values
    read: list[Table] = []
    for table in group.tables:
        path = metadata.parent / table.url.string
        out.tables.append(path)
        _check_file(path, delimiter, root)
        good = _read_table(table, path, delimiter, out)
        read.append(Table(table.url.string, path, table, good))
        pk = table.tableSchema.primaryKey or []
        if len(pk) == 1:
            first: dict[str, int] = {}
            twice: set[int] = set()
            for row in good:
                value = row.raw.get(pk[0], "")
                if value in first:
                    twice.add(row.line)
                    out.problems.append(
                        Problem(
                            path,
                            row.line,
                            pk[0],
                            f"„{value}“ kommt zweimal vor (zuerst in Zeile {first[value]}); "
                            "diese Zeile bleibt weg, bis sie eine eigene id hat",
                            f"'{value}' occurs twice (first in line {first[value]}); "
                            "this row is left out until it has an id of its own",
                            rank=0,
                        )
                    )
                else:
                    first[value] = row.line
            good[:] = [g for g in good if g.line not in twice]
            keys[table.url.string] = set(first)
    tables = Tables(namespace, read)
    for table in read:
        own = rules.table(table.url)
        bad = _check_references(table, keys, ctx, rules, out)
        bad |= _check_rows(table, tables, own, out)
        for row in table.rows:
            if row.line not in bad:
                _row_triples(table, row, expander, ctx, rules, tables, out)
                if own is not None and own.derived is not None:
                    _derived(table, row, own.derived(row, tables), expander, out)
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


def _read_table(table: Any, path: Path, delimiter: str, out: Conversion) -> list[Row]:
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
    good: list[Row] = []
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
            good.append(Row(line, values, raw))
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
    table: Table,
    keys: dict[str, set[str]],
    ctx: _Context,
    rules: RegisterRules,
    out: Conversion,
) -> set[int]:
    """Foreign keys of the metadata and the keys of :class:`KeyColumn` columns; returns
    the lines that fail."""
    bad: set[int] = set()
    path = table.path
    for fk in table.csvw.tableSchema.foreignKeys:
        target = fk.reference.resource.string
        (column,) = fk.columnReference
        known = keys.get(target, set())
        for row in table.rows:
            value = row.values.get(column)
            if value is not None and value not in known:
                bad.add(row.line)
                out.problems.append(
                    _problem(
                        path,
                        row.line,
                        column,
                        f"„{value}“ gibt es nicht in {target} (Spalte id)",
                        f"'{value}' does not exist in {target} (column id)",
                    )
                )
    for col in _columns(table.csvw):
        key = rules.key_column(col)
        if key is None:
            continue
        for row in table.rows:
            cell = row.values.get(col.name)
            for item in (cell if isinstance(cell, list) else [cell]) if cell else []:
                if item not in ctx.keys[key.annotation]:
                    bad.add(row.line)
                    de, en = key.unknown(item)
                    out.problems.append(_problem(path, row.line, col.name, de, en))
    return bad


#: Dates outside these years are allowed but warned about: probably a typing error.
PLAUSIBLE_YEARS = (1990, date.today().year + 5)


def _check_rows(table: Table, tables: Tables, own: TableRules | None, out: Conversion) -> set[int]:
    """The profile's rules across the cells of a row (``own.check_rows``), and a year
    outside :data:`PLAUSIBLE_YEARS` as a warning (the row is kept); returns the lines
    that break a rule. Reported line by line, a line's year warnings first."""
    found: list[tuple[int, int, int, Problem]] = []
    dates = [c.name for c in _columns(table.csvw) if _is_date(table.csvw.tableSchema, c.name)]
    for row in table.rows:
        for name in dates:
            day = row.values.get(name)
            if isinstance(day, (date, datetime)) and not (
                PLAUSIBLE_YEARS[0] <= day.year <= PLAUSIBLE_YEARS[1]
            ):
                warning = Problem(
                    table.path,
                    row.line,
                    name,
                    f"das Jahr {day.year} ist unwahrscheinlich (erwartet "
                    f"{PLAUSIBLE_YEARS[0]}–{PLAUSIBLE_YEARS[1]}); Tippfehler?",
                    f"the year {day.year} is implausible (expected "
                    f"{PLAUSIBLE_YEARS[0]}–{PLAUSIBLE_YEARS[1]}); a typing error?",
                    severity="Warning",
                )
                found.append((row.line, 0, len(found), warning))
    broken = list(own.check_rows(table, tables)) if own and own.check_rows else []
    found += [(p.line, 1, i, p) for i, p in enumerate(broken)]
    out.problems += [p for *_, p in sorted(found, key=lambda f: f[:3])]
    return {p.line for p in broken if p.severity == "Violation"}


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
    table: Table,
    row: Row,
    expander: _Expander,
    ctx: _Context,
    rules: RegisterRules,
    tables: Tables,
    out: Conversion,
) -> None:
    schema = table.csvw.tableSchema
    path, line, values = table.path, row.line, row.values
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
            if not all(
                c.applies(col.common_props[c.annotation], row, tables)
                for c in rules.conditions
                if col.common_props.get(c.annotation) is not None
            ):
                continue
            emit(subject, prop, ox.NamedNode(expander.iri(col.valueUrl, template_values)), "")
            continue
        value = values.get(col.name)
        if value is None or (isinstance(value, list) and not value):
            continue
        items = value if isinstance(value, list) else [value]
        value_url = col.inherit("valueUrl")
        key = rules.key_column(col)
        for item in items:
            if item is None:
                continue
            if key is not None:
                emit(subject, prop, ox.NamedNode(ctx.keys[key.annotation][item]), col.name)
            elif value_url is not None:
                cell = dict(template_values)
                cell[col.name] = _canonical(item)
                emit(subject, prop, ox.NamedNode(expander.iri(value_url, cell)), col.name)
            else:
                emit(subject, prop, _literal(item, col), col.name)


def _derived(
    table: Table, row: Row, derived: Iterable[Derived], expander: _Expander, out: Conversion
) -> None:
    """The triples a table's rules derive from a row, about the row's subject."""
    triples = list(derived)
    if not triples:
        return
    cells = {k: v for k, v in row.raw.items() if v}  # the row's subject, as _row_triples makes it
    subject = expander.iri(table.csvw.tableSchema.aboutUrl, cells)
    for predicate, obj, column in triples:
        out.triples.append(ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), obj))
        out.origin.setdefault((subject, predicate), (table.path, row.line, column))


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
