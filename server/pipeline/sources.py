"""Finding and parsing the project's Turtle files, with ``file:line`` errors.

Below ``data/`` the register's CSV tables count as a source too: their CSVW
metadata file (``csv-metadata.json``) is listed after the Turtle files, and
parsing it converts the tables (``server.pipeline.register``), so every loader (embedded
store, query workers, build, load, validate) sees the same RDF.

pyoxigraph parses first because it reports the line and column of a syntax
error (rdflib does not); rdflib then builds the graphs pyshacl needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib

from server.rdf.serialize import rdflib_term

SOURCE_DIRS = ("ontology", "data", "releases")
#: Folders a checkout may lack: before its first release there is no ``releases/``.
OPTIONAL_DIRS = ("releases",)
#: Inside ``releases/<version>/``: the release's catalog description (a source, loaded
#: into the default graph with the data) and its frozen N-Triples dump (its own graph).
RELEASE_DESCRIPTION = "release.ttl"
RELEASE_DUMP = "dumps/charta.nt"
#: The register's CSVW metadata (server/pipeline/register.py); its tables lie beside it.
METADATA = "csv-metadata.json"
SHAPES_DIR = "shapes"


class SourceError(Exception):
    """A file that cannot be read or parsed; ``str()`` is ``file:line: what``."""

    def __init__(
        self, path: Path | str, line: int | None, message: str, text: str | None = None
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        #: The whole report where the finding has its own form (a register table's
        #: ``file:LINE:COLUMN: German`` / ``  en: English``, RegisterError).
        self.text = text
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.text is not None:
            return self.text
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class SourceFile:
    """One Turtle file and the role it plays (ontology, data or shapes)."""

    path: Path
    role: str


def source_files(root: Path, roles: Iterable[str] = (*SOURCE_DIRS, SHAPES_DIR)) -> list[SourceFile]:
    """The ``*.ttl`` files below each role folder, in a stable order."""
    root = Path(root)
    if not root.is_dir():
        raise SourceError(root, None, "no such folder")
    files: list[SourceFile] = []
    for role in roles:
        folder = root / role
        if not folder.is_dir():
            if role in OPTIONAL_DIRS:
                continue
            raise SourceError(folder, None, "folder missing (expected ontology/, data/, shapes/)")
        if role == "releases":  # the frozen dumps are graphs of their own, not sources
            files.extend(  # not releases/.<v>.making-<pid>/, an unfinished one
                SourceFile(p, role)
                for p in sorted(folder.glob(f"*/{RELEASE_DESCRIPTION}"))
                if not p.parent.name.startswith(".")
            )
            continue
        files.extend(SourceFile(p, role) for p in sorted(folder.rglob("*.ttl")))
        if role == "data":  # after the Turtle: the tables refer to it
            files.extend(SourceFile(p, role) for p in sorted(folder.rglob(METADATA)))
    return files


def is_register(path: Path) -> bool:
    """True for the CSVW metadata of the register tables."""
    return Path(path).name == METADATA


def register_triples(path: Path, base: str) -> list[ox.Triple]:
    """The RDF of the register tables described by ``path``; rows with problems give none."""
    from server.pipeline.register import RegisterError, convert

    try:
        return convert(path, base).triples
    except RegisterError as exc:
        raise SourceError(exc.path, exc.line, exc.message, str(exc)) from exc


_LINE = re.compile(r"line (\d+)(?: column (\d+))?")


def read_utf8(path: Path, hint: str = "") -> bytes:
    """The file's bytes if they are UTF-8, else :class:`SourceError` at the first bad line;
    ``hint`` (how to save it right) is added to that message."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"not UTF-8 (byte 0x{data[exc.start]:02x}){hint}"
        raise SourceError(path, line, message) from exc
    return data


def parse_into(store: ox.Store, path: Path, base: str, graph: ox.NamedNode | None = None) -> None:
    """Parse one Turtle file (or the register tables) into a pyoxigraph store, raising
    :class:`SourceError`."""
    if is_register(path):
        target = graph or ox.DefaultGraph()
        store.extend(
            ox.Quad(t.subject, t.predicate, t.object, target) for t in register_triples(path, base)
        )
        return
    _load_turtle(store, path, read_utf8(path), base, graph)


def _load_turtle(
    store: ox.Store, path: Path, data: bytes, base: str, graph: ox.NamedNode | None
) -> None:
    try:
        store.bulk_load(
            data, format=ox.RdfFormat.TURTLE, base_iri=base, to_graph=graph or ox.DefaultGraph()
        )
    except SyntaxError as exc:
        msg = str(exc)
        m = _LINE.search(msg)
        line = int(m.group(1)) if m else None
        raise SourceError(path, line, f"Turtle syntax error: {msg}") from exc


def _parse(path: Path, base: str) -> tuple[list[ox.Quad], dict[str, str]]:
    """Quads and prefixes of one Turtle file, or :class:`SourceError` with its line."""
    if is_register(path):
        return [
            ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
            for t in register_triples(path, base)
        ], {}
    data = read_utf8(path)
    try:
        parser = ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=base)
        quads = list(parser)
    except SyntaxError as exc:
        m = _LINE.search(str(exc))
        line = int(m.group(1)) if m else None
        raise SourceError(path, line, f"Turtle syntax error: {exc}") from exc
    return quads, dict(parser.prefixes)


def rdflib_graph(path: Path, base: str, into: rdflib.Graph | None = None) -> rdflib.Graph:
    """Parse one file into an rdflib graph (``into``, or a new one) for pyshacl.

    Oxigraph parses (it reports the line of a syntax error and is some ten times
    faster than rdflib's Turtle parser); rdflib only receives the finished terms.
    Terms are converted once each: data repeats its IRIs on nearly every line.
    """
    quads, prefixes = _parse(path, base)
    graph = rdflib.Graph() if into is None else into
    for prefix, ns in prefixes.items():
        graph.bind(prefix, ns, override=False)
    terms: dict[object, rdflib.term.Node] = {}

    def conv(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
        node = terms.get(t)
        if node is None:
            node = terms[t] = rdflib_term(t)
        return node

    graph.addN(
        (conv(q.subject), conv(q.predicate), conv(q.object), graph)  # type: ignore[arg-type]
        for q in quads
    )
    return graph


def release_graphs(root: Path, namespace: str) -> list[tuple[ox.NamedNode, Path]]:
    """Each release's graph name (its IRI, ``{ns}id/version/<v>``) and frozen dump.

    A release is the folder ``releases/<v>/`` with both files; its graph holds
    exactly the triples its dumps hold, so a query ``FROM`` it sees that state.
    """
    from server.urls import Urls

    folder = Path(root) / "releases"
    if not folder.is_dir():
        return []
    urls = Urls(namespace)
    return [
        (ox.NamedNode(urls.release(d.name)), d / RELEASE_DUMP)
        for d in sorted(folder.iterdir())
        if not d.name.startswith(".")  # releases/.<v>.making-<pid>/: unfinished, no release
        and (d / RELEASE_DESCRIPTION).is_file()
        and (d / RELEASE_DUMP).is_file()
    ]


def load_sources(store: ox.Store, root: Path, namespace: str) -> tuple[str, float]:
    """Everything a store serves: the sources in the default graph, each release in its graph;
    returns the data's (version, newest mtime), as :func:`fingerprint` computes it.

    The one loader of the package (embedded store, persisted store, query
    workers, ``charta load``), so none of them can see other data than another.
    Each Turtle file is read once, for parsing and for the version alike.
    """
    version = Fingerprint(namespace)
    for src in source_files(root, SOURCE_DIRS):
        if is_register(src.path):
            parse_into(store, src.path, namespace)  # csvw reads the tables itself
            version.add_register(src.path)
        else:
            data = read_utf8(src.path)
            _load_turtle(store, src.path, data, namespace, None)
            version.add(src.path, data)
    for graph, dump in release_graphs(root, namespace):
        try:
            store.bulk_load(path=str(dump), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
        except (OSError, SyntaxError) as exc:
            raise SourceError(dump, None, f"release dump unreadable: {exc}") from exc
    return version.version, version.newest


class Fingerprint:
    """The data version: a hash of every source file's name and bytes, and the newest mtime.

    A release's description names its dumps' checksums, so hashing it covers them.
    Both stores use it, so an embedded and a remote deployment of the same data
    send the same ETags.
    """

    def __init__(self, namespace: str) -> None:
        import hashlib

        self._digest = hashlib.sha256(namespace.encode())
        self.newest = 0.0

    def add(self, path: Path, data: bytes | None = None) -> None:
        self._digest.update(path.name.encode())
        self._digest.update(path.read_bytes() if data is None else data)
        self.newest = max(self.newest, path.stat().st_mtime)

    def add_register(self, metadata: Path) -> None:
        """The register's metadata and the tables it names."""
        from server.pipeline.register import table_paths

        self.add(metadata)
        for table in table_paths(metadata):
            if table.is_file():
                self.add(table)

    @property
    def version(self) -> str:
        return self._digest.hexdigest()[:20]


def fingerprint(root: Path, namespace: str) -> tuple[str, float]:
    """(version, newest mtime) of ontology/, data/ and releases/ without parsing them
    (a persisted store's freshness check): the same data, the same version."""
    version = Fingerprint(namespace)
    for src in source_files(root, SOURCE_DIRS):
        if is_register(src.path):
            version.add_register(src.path)
        else:
            version.add(src.path)
    return version.version, version.newest
