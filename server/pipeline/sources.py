"""Finding and parsing the project's Turtle files, with ``file:line`` errors.

Below ``data/`` the register's CSV tables count as a source too: their CSVW
metadata file (``csv-metadata.json``) is listed after the Turtle files, and
parsing it converts the tables (``server.pipeline.register``) under the profile's
rules (a ``RegisterRules`` record, handed down; None: the configured profile's), so
every loader (embedded store, query workers, build, load, validate) sees the same RDF.

pyoxigraph parses first because it reports the line and column of a syntax
error (rdflib does not); rdflib then builds the graphs pyshacl needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib

from server.config import Config
from server.pipeline.files import (
    METADATA,
    OPTIONAL_DIRS,
    RELEASE_DESCRIPTION,
    RELEASE_DUMP,
    SHAPES_DIR,
    SOURCE_DIRS,
    SourceError,
    SourceFile,
    is_register,
    load_turtle,
    read_utf8,
    source_files,
    turtle_error,
)
from server.pipeline.register import (
    RegisterError,
    RegisterRules,
    convert,
    profile_rules,
    table_paths,
)
from server.rdf.serialize import rdflib_term
from server.urls import Urls

__all__ = [
    "METADATA",
    "OPTIONAL_DIRS",
    "RELEASE_DESCRIPTION",
    "RELEASE_DUMP",
    "SHAPES_DIR",
    "SOURCE_DIRS",
    "SourceError",
    "SourceFile",
    "is_register",
    "read_utf8",
    "source_files",
]


def register_triples(
    path: Path, base: str, rules: RegisterRules | None = None, data: ox.Store | None = None
) -> list[ox.Triple]:
    """The RDF of the register tables described by ``path``; rows with problems give none.
    ``data``: the Turtle sources already parsed, which the tables refer to."""
    try:
        return convert(path, base, rules=rules, data=data).triples
    except RegisterError as exc:
        raise SourceError(exc.path, exc.line, exc.message, str(exc)) from exc


def parse_into(
    store: ox.Store,
    path: Path,
    base: str,
    graph: ox.NamedNode | None = None,
    rules: RegisterRules | None = None,
) -> None:
    """Parse one Turtle file (or the register tables) into a pyoxigraph store, raising
    :class:`SourceError`. The tables refer to the Turtle sources ``store`` already holds
    (the sources list them after the Turtle), so those are not read again."""
    if is_register(path):
        target = graph or ox.DefaultGraph()
        triples = register_triples(path, base, rules, data=store if graph is None else None)
        store.extend(ox.Quad(t.subject, t.predicate, t.object, target) for t in triples)
        return
    load_turtle(store, path, read_utf8(path), base, graph)


def _parse(
    path: Path, base: str, rules: RegisterRules | None = None
) -> tuple[list[ox.Quad], dict[str, str]]:
    """Quads and prefixes of one Turtle file, or :class:`SourceError` with its line."""
    if is_register(path):
        return [
            ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
            for t in register_triples(path, base, rules)
        ], {}
    data = read_utf8(path)
    try:
        parser = ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=base)
        quads = list(parser)
    except SyntaxError as exc:
        raise turtle_error(path, exc) from exc
    return quads, dict(parser.prefixes)


def rdflib_graph(
    path: Path,
    base: str,
    into: rdflib.Graph | None = None,
    rules: RegisterRules | None = None,
    collect: ox.Store | None = None,
) -> rdflib.Graph:
    """Parse one file into an rdflib graph (``into``, or a new one) for pyshacl.

    Oxigraph parses (it reports the line of a syntax error and is some ten times
    faster than rdflib's Turtle parser); rdflib only receives the finished terms.
    Terms are converted once each: data repeats its IRIs on nearly every line.
    ``collect``: a store that keeps the parsed quads too (the register's context).
    """
    quads, prefixes = _parse(path, base, rules)
    if collect is not None:
        collect.extend(quads)
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


def load_sources(
    store: ox.Store, root: Path, namespace: str, rules: RegisterRules | None = None
) -> tuple[str, float]:
    """Everything a store serves: the sources in the default graph, each release in its graph;
    returns the data's (version, newest mtime), as :func:`fingerprint` computes it.

    The one loader of the package (embedded store, persisted store, query
    workers, ``charta load``), so none of them can see other data than another.
    Each Turtle file is read once, for parsing and for the version alike.
    """
    version = Fingerprint(namespace)
    for src in source_files(root, SOURCE_DIRS):
        if is_register(src.path):
            parse_into(store, src.path, namespace, rules=rules)  # csvw reads the tables itself
            version.add_register(src.path)
        else:
            data = read_utf8(src.path)
            load_turtle(store, src.path, data, namespace, None)
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
        self.add(metadata)
        for table in table_paths(metadata):
            if table.is_file():
                self.add(table)

    @property
    def version(self) -> str:
        return self._digest.hexdigest()[:20]


@dataclass(frozen=True)
class Checkout:
    """A checkout's ontology/, data/ and releases/ as a store's data source
    (:class:`server.sparql.DataSource`): what every embedded store is filled from.

    ``tables``: the profile's rules for the register tables, carried into the query
    workers with the source (None: the configured profile's, looked up where loaded).
    """

    root: Path
    namespace: str
    tables: RegisterRules | None = None

    @classmethod
    def of(cls, config: Config, tables: RegisterRules | None = None) -> Checkout:
        """The config's checkout, its tables under ``tables`` (None: the rules of the
        profile the config names)."""
        rules = tables if tables is not None else profile_rules(config.profile)
        return cls(Path(config.root), config.namespace, rules)

    def load(self, store: ox.Store) -> tuple[str, float]:
        return load_sources(store, self.root, self.namespace, self.tables)

    def fingerprint(self) -> tuple[str, float]:
        """The data version; empty where the checkout has no data (a store folder
        copied to a machine without the checkout is then served as it is)."""
        if not (self.root / "data").is_dir():
            return "", 0.0
        return fingerprint(self.root, self.namespace)

    def __str__(self) -> str:
        return str(self.root)


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
