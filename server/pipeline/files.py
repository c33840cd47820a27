"""The project's source files: where they lie, their bytes as UTF-8, Turtle into a store.

The bottom of the pipeline, below the register tables' conversion
(``server.pipeline.register``) and the loaders of :mod:`server.pipeline.sources`,
which both read files through it; every error is :class:`SourceError`, ``file:line: what``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

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


def load_turtle(
    store: ox.Store, path: Path, data: bytes, base: str, graph: ox.NamedNode | None = None
) -> None:
    """Parse one Turtle file's bytes into ``store`` (its default graph, or ``graph``)."""
    try:
        store.bulk_load(
            data, format=ox.RdfFormat.TURTLE, base_iri=base, to_graph=graph or ox.DefaultGraph()
        )
    except SyntaxError as exc:
        raise turtle_error(path, exc) from exc


def turtle_error(path: Path, exc: SyntaxError) -> SourceError:
    """Oxigraph's syntax error as ``file:line: Turtle syntax error: ...``."""
    m = _LINE.search(str(exc))
    return SourceError(path, int(m.group(1)) if m else None, f"Turtle syntax error: {exc}")
