"""Finding and parsing the project's Turtle files, with ``file:line`` errors.

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

SOURCE_DIRS = ("ontology", "data")
SHAPES_DIR = "shapes"


class SourceError(Exception):
    """A file that cannot be read or parsed; ``str()`` is ``file:line: what``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
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
    files = []
    for role in roles:
        folder = root / role
        if not folder.is_dir():
            raise SourceError(folder, None, "folder missing (expected ontology/, data/, shapes/)")
        files.extend(SourceFile(p, role) for p in sorted(folder.rglob("*.ttl")))
    return files


_LINE = re.compile(r"line (\d+)(?: column (\d+))?")


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(path, line, f"not UTF-8 (byte 0x{data[exc.start]:02x})") from exc
    return data


def parse_into(store: ox.Store, path: Path, base: str, graph: ox.NamedNode | None = None) -> None:
    """Parse one Turtle file into a pyoxigraph store, raising :class:`SourceError`."""
    data = _read(path)
    try:
        store.bulk_load(
            data, format=ox.RdfFormat.TURTLE, base_iri=base, to_graph=graph or ox.DefaultGraph()
        )
    except SyntaxError as exc:
        msg = str(exc)
        m = _LINE.search(msg)
        line = int(m.group(1)) if m else None
        raise SourceError(path, line, f"Turtle syntax error: {msg}") from exc


def check_syntax(path: Path, base: str) -> None:
    """Raise :class:`SourceError` if the file is not readable, valid Turtle."""
    data = _read(path)
    try:
        for _ in ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=base):
            pass
    except SyntaxError as exc:
        m = _LINE.search(str(exc))
        line = int(m.group(1)) if m else None
        raise SourceError(path, line, f"Turtle syntax error: {exc}") from exc


def rdflib_graph(path: Path, base: str) -> rdflib.Graph:
    """Parse one file with rdflib after a syntax check that gives line numbers."""
    check_syntax(path, base)
    g = rdflib.Graph()
    g.parse(path, format="turtle", publicID=base)
    return g


def fingerprint(root: Path, namespace: str) -> tuple[str, float]:
    """(version, newest mtime) of ontology/ and data/: the same data gives the same version.

    Both stores use it, so an embedded and a remote deployment of the same data
    send the same ETags.
    """
    import hashlib

    digest = hashlib.sha256(namespace.encode())
    newest = 0.0
    for src in source_files(root, SOURCE_DIRS):
        digest.update(src.path.name.encode())
        digest.update(src.path.read_bytes())
        newest = max(newest, src.path.stat().st_mtime)
    return digest.hexdigest()[:20], newest
