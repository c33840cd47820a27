"""``charta validate``: SHACL conformance plus dangling links in our namespace.

The register's CSV tables (data/register/, CSVW) are checked twice: against
their metadata and the profile's rules (a wrong date, a value not in the list, a
missing column, an id or a key that does not exist, a rule across a row's cells),
and, as RDF, with the same shapes as the Turtle. Either kind of finding names the
cell: ``data/register/x.csv:LINE:COLUMN`` (LINE the line in the file, the header
being line 1; COLUMN the header name).

A dangling link is an IRI we mint (``{ns}id/…``, ``{ns}ontology…``) that the
data uses but never describes; it would 404 when dereferenced, so it counts as
a violation. Documents the server serves (``/dumps/…``, ``/sparql``, the site
root) are not resources and are not checked here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from server.pipeline.register import Conversion, RegisterError, RegisterRules, convert
from server.pipeline.releases import check_releases
from server.pipeline.sources import (
    SHAPES_DIR,
    SOURCE_DIRS,
    SourceError,
    is_register,
    rdflib_graph,
    source_files,
)
from server.rdf.namespaces import SH
from server.rdf.serialize import plain, rdflib_term, value_of


@dataclass(frozen=True)
class Finding:
    """One problem, with everything a reader needs to find and fix it."""

    severity: str
    focus: str
    label: str | None
    path: str | None
    messages: dict[str, str]
    file: str | None
    #: For the register tables: the line in the file and the column's header name.
    line: int | None = None
    column: str | None = None

    #: 0 for what to fix first (a duplicate id in a register table), else 1.
    rank: int = 1

    @classmethod
    def in_file(
        cls,
        file: Path,
        de: str,
        en: str,
        line: int | None = None,
        column: str | None = None,
        severity: str = "Violation",
        rank: int = 1,
    ) -> Finding:
        """A finding in a file itself (a register cell, a release file), not by SHACL."""
        return cls(
            rank=rank,
            severity=severity,
            focus="",
            label=None,
            path=None,
            messages={"de": de, "en": en},
            file=str(file),
            line=line,
            column=column,
        )

    def render(self, root: Path) -> str:
        """A short readable block: where, what, and the message in de and en.

        A finding in a register table starts ``file.csv:LINE:COLUMN: message``.
        """
        where = _relative(self.file, root) if self.file else "(unknown file)"
        if self.line is not None:
            warning = self.severity == "Warning"
            warn_de, warn_en = ("Warnung: ", "Warning: ") if warning else ("", "")
            first = f"{where}:{self.line}:{self.column}: {warn_de}{self.messages.get('de', '')}"
            lines = [first, f"  en: {warn_en}{self.messages.get('en', '')}"]
            if self.focus:
                lines.append(
                    f"  {self.severity}: <{self.focus}>" + (f" {self.path}" if self.path else "")
                )
            return "\n".join(lines)
        name = f'"{self.label}" ' if self.label else ""
        lines = [f"{where}: {self.severity}" + (f": {name}<{self.focus}>" if self.focus else "")]
        if self.path:
            lines.append(f"  path: {self.path}")
        for lang in ("de", "en", ""):
            if lang in self.messages:
                lines.append(f"  {lang or 'message'}: {self.messages[lang]}")
        return "\n".join(lines)


@dataclass
class Report:
    """The outcome of one validation run."""

    findings: list[Finding] = field(default_factory=list)
    triples: int = 0
    files: int = 0

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations


def _cell(
    conversions: list[Conversion],
    focus: rdflib.term.Node | None,
    path: rdflib.term.Node | None,
    value: rdflib.term.Node | None = None,
) -> tuple[Path, int, str] | None:
    """The register cell a SHACL result or a link points at: the cell that stated
    ``focus path``, or that links ``focus`` to ``value``, or the focus's row."""
    if not isinstance(focus, URIRef):
        return None
    for conv in conversions:
        if isinstance(path, URIRef) and (str(focus), str(path)) in conv.origin:
            return conv.origin[(str(focus), str(path))]
        if value is not None:
            for t in conv.triples:
                if value_of(t.subject) == str(focus) and value_of(t.object) == str(value):
                    key = (value_of(t.subject), t.predicate.value)
                    if key in conv.origin and conv.origin[key][2]:
                        return conv.origin[key]
        if str(focus) in conv.rows:
            file, line = conv.rows[str(focus)]
            return file, line, "id"
    return None


def _relative(file: str, root: Path) -> str:
    try:
        return str(Path(file).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return file


def load_graphs(
    root: Path, base: str, rules: RegisterRules | None = None
) -> tuple[rdflib.Graph, rdflib.Graph, dict[URIRef, str]]:
    """Data graph (ontology + data), shapes graph, and which file describes each subject;
    the register tables under ``rules`` (None: the configured profile's)."""
    data, shapes, origin, _ = load_all(root, base, rules)
    return data, shapes, origin


def load_all(
    root: Path, base: str, rules: RegisterRules | None = None
) -> tuple[rdflib.Graph, rdflib.Graph, dict[URIRef, str], list[Conversion]]:
    """As :func:`load_graphs`, plus the conversion of each set of register tables."""

    data = rdflib.Graph()
    shapes = rdflib.Graph()
    origin: dict[URIRef, str] = {}
    conversions: list[Conversion] = []
    # Each file is parsed once: the rdflib view and the register's context (what its
    # tables refer to) are both made from the same quads.
    parsed = ox.Store()
    for src in source_files(root, (*SOURCE_DIRS, SHAPES_DIR)):
        if src.role == SHAPES_DIR:
            rdflib_graph(src.path, base, into=shapes)
            continue
        if is_register(src.path):
            try:
                conv = convert(src.path, base, root=Path(root), rules=rules, data=parsed)
            except RegisterError as exc:
                raise SourceError(exc.path, exc.line, exc.message, str(exc)) from exc
            conversions.append(conv)
            data.addN(
                (
                    rdflib_term(plain(t.subject)),
                    rdflib_term(t.predicate),
                    rdflib_term(plain(t.object)),
                    data,
                )
                for t in conv.triples
            )
            for subject, (file, _) in conv.rows.items():
                origin.setdefault(URIRef(subject), str(file))
            continue
        g = rdflib_graph(src.path, base, collect=parsed)
        for s in g.subjects(unique=True):
            if isinstance(s, URIRef):
                origin.setdefault(s, str(src.path))
        data.addN((s, p, o, data) for s, p, o in g)
        for prefix, ns in g.namespaces():
            data.bind(prefix, ns, override=False)
    return data, shapes, origin, conversions


def label_of(graph: rdflib.Graph, node: rdflib.term.Node) -> str | None:
    """German label first, then any label: reports name things the way people do."""
    labels = list(graph.objects(node, SKOS.prefLabel)) + list(graph.objects(node, RDFS.label))
    for lit in labels:
        if isinstance(lit, Literal) and lit.language == "de":
            return str(lit)
    return str(labels[0]) if labels else None


def _short(graph: rdflib.Graph, path: rdflib.term.Node | None) -> str | None:
    """A property path as a prefixed name where a prefix is known."""
    if isinstance(path, URIRef):
        return graph.namespace_manager.normalizeUri(path)
    return None if path is None else str(path)


def dangling_links(graph: rdflib.Graph, namespace: str) -> Iterable[tuple[URIRef, URIRef]]:
    """(user, IRI) pairs where IRI is one we mint and has no description."""
    described = {s for s in graph.subjects(unique=True) if isinstance(s, URIRef)}
    minted = (namespace + "id/", namespace + "ontology")
    seen: set[URIRef] = set()
    for s, p, o in graph:
        for term in (p, o):
            if (
                isinstance(term, URIRef)
                and str(term).startswith(minted)
                and term not in described
                and term not in seen
            ):
                seen.add(term)
                yield (s if isinstance(s, URIRef) else URIRef(""), term)


def validate(root: Path, namespace: str, rules: RegisterRules | None = None) -> Report:
    """Run SHACL and the dangling-link check, the register tables read under ``rules``
    (the profile's; None: the configured profile's); raises SourceError on unreadable input."""
    data, shapes, origin, conversions = load_all(root, namespace, rules)
    report = Report(
        triples=len(data),
        files=len(source_files(root)) + sum(len(c.tables) for c in conversions),
    )

    report.findings += [
        Finding.in_file(p.file, p.de, p.en, p.line, p.column, p.severity, p.rank)
        for conv in conversions
        for p in conv.problems
    ]
    report.findings += [  # a warning when check_releases says so (an unfinished release)
        replace(Finding.in_file(d.file, d.de, d.en), severity=d.severity)
        for d in check_releases(root)
    ]
    conforms, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=True
    )
    if not conforms:
        for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
            focus = results.value(result, SH.focusNode)
            path = results.value(result, SH.resultPath)
            severity = results.value(result, SH.resultSeverity)
            messages: dict[str, str] = {}
            for msg in results.objects(result, SH.resultMessage):
                lang = msg.language if isinstance(msg, Literal) and msg.language else ""
                messages.setdefault(lang, str(msg))
            cell = _cell(conversions, focus, path)
            report.findings.append(
                Finding(
                    severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                    focus=str(focus),
                    label=label_of(data, focus) if focus is not None else None,
                    path=_short(data, path),
                    messages=messages,
                    file=str(cell[0])
                    if cell
                    else (origin.get(focus) if isinstance(focus, URIRef) else None),
                    line=cell[1] if cell else None,
                    column=cell[2] if cell else None,
                )
            )
    for user, iri in dangling_links(data, namespace):
        cell = _cell(conversions, user, None, iri)
        report.findings.append(
            Finding(
                severity="Violation",
                focus=str(iri),
                label=None,
                path=None,
                messages={
                    "de": f"Verweis ins Leere: <{iri}> wird von <{user}> benutzt, "
                    "aber nirgends beschrieben.",
                    "en": f"Dangling link: <{iri}> is used by <{user}> but never described.",
                },
                file=str(cell[0]) if cell else origin.get(user),
                line=cell[1] if cell else None,
                column=cell[2] if cell else None,
            )
        )
    # a duplicate id first (its row is left out, so later findings may follow from it)
    report.findings.sort(key=lambda f: (f.file or "", f.rank, f.line or 0, f.focus, f.path or ""))
    return report
