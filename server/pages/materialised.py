"""Descriptions materialised once per data version, so a first touch runs no CONSTRUCT.

A resource's description (server/pages/describe.py: its concise bounded description,
the labels and positions of what it links to, its incoming links) was the one
SPARQL query every uncached dereference ran: about 1 ms of engine time at 10^5
triples, up to 16 ms for a goal with 500 incoming links at 10^6. It depends on
the data only, so it is computed once per data version and read with one
lookup: ``charta build --store-dir`` writes every resource's into a SQLite file
beside the persisted store (:data:`SIDECAR`), and an embedded store parsed from
the sources fills the same in memory, in the background after start-up. A
request reads one row and parses N-Triples (in Rust); a resource not (yet)
materialised is described as before. The triples, and so every answer's bytes,
are the same either way (tests/test_materialised.py compares them for every
resource, in every format).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from server.pages.describe import description_query
from server.sparql import bind

#: The sidecar file in a persisted store's folder (server/sparql/persisted.py).
SIDECAR = "descriptions.sqlite"
#: Most resources kept in memory when there is no sidecar (an embedded store parsed
#: from the sources): the real data has a few hundred, 10^5 triples ~11,000 (~40 MiB
#: of N-Triples); beyond, each web worker would hold a copy of a large part of the
#: data, so larger data is materialised by ``charta build --store-dir`` on disk.
MEMORY_MAX = 20_000


#: Every IRI with statements whose text starts with ``?ns`` (bound: the namespace).
SUBJECTS = """SELECT DISTINCT ?s WHERE {
  #BINDINGS
  ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), ?ns)) } ORDER BY ?s"""


def subjects_query(namespace: str) -> str:
    """Every IRI of ours that has statements: what can be dereferenced with a description."""
    return bind(SUBJECTS, {"ns": ox.Literal(namespace)})


def subjects(query: Callable[[str], Any], namespace: str) -> list[str]:
    """The IRIs :func:`subjects_query` finds, through ``query`` (a store's ``select``, or
    pyoxigraph's ``Store.query``: the text comes with its binding in place)."""
    return [row["s"].value for row in query(subjects_query(namespace))]


def encode(triples: Iterable[ox.Triple]) -> bytes:
    """The CONSTRUCT's triples as N-Triples, in the engine's order (blank node labels kept)."""
    body = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    assert body is not None
    return body


def decode(body: bytes) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]


def write_sidecar(store: ox.Store, namespace: str, version: str, out: Path) -> int:
    """Every resource's description from ``store`` into a new SQLite file ``out``
    (written beside, then renamed in place); returns how many were written."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID")
        con.execute("CREATE TABLE description (iri TEXT PRIMARY KEY, nt BLOB) WITHOUT ROWID")
        con.execute("INSERT INTO meta VALUES ('version', ?)", (version,))
        n = 0
        for iri in subjects(store.query, namespace):
            triples = store.query(description_query(iri))
            assert isinstance(triples, ox.QueryTriples)  # a CONSTRUCT
            body = encode(triples)
            con.execute("INSERT INTO description VALUES (?, ?)", (iri, body))
            n += 1
        con.commit()
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, out)
    return n


class Descriptions:
    """The materialised descriptions of one data version: a sidecar file, or a dict
    filled by :meth:`fill`. ``get`` answers None for what is not (yet) there."""

    def __init__(self, version: str, sidecar: Path | None = None) -> None:
        self.version = version
        self._sidecar = sidecar
        self._memory: dict[str, bytes] = {}
        self._local = threading.local()
        #: (resources materialised, seconds it took) once :meth:`fill` has finished.
        self.filled: tuple[int, float] | None = None

    @classmethod
    def open(cls, folder: Path, version: str) -> Descriptions | None:
        """The sidecar in a persisted store's folder, if it holds this data version."""
        path = Path(folder) / SIDECAR
        if not path.is_file():
            return None
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
            try:
                row = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
                count = con.execute("SELECT count(*) FROM description").fetchone()[0]
            finally:
                con.close()
        except sqlite3.Error:
            return None
        if row is None or row[0] != version:
            return None
        found = cls(version, path)
        found.filled = (int(count), 0.0)
        return found

    @property
    def on_disk(self) -> bool:
        """Read from a persisted store's sidecar (else held in memory)."""
        return self._sidecar is not None

    def _connection(self) -> sqlite3.Connection:
        """One read-only connection per thread (SQLite's are not shared between threads)."""
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(
                f"file:{self._sidecar}?mode=ro&immutable=1", uri=True, check_same_thread=True
            )
            self._local.con = con
        return con

    def raw(self, iri: str) -> bytes | None:
        if self._sidecar is None:
            return self._memory.get(iri)
        row = (
            self._connection()
            .execute("SELECT nt FROM description WHERE iri = ?", (iri,))
            .fetchone()
        )
        return None if row is None else bytes(row[0])

    def get(self, iri: str) -> list[ox.Triple] | None:
        """The CONSTRUCT of :func:`server.pages.describe.description_query` for ``iri``, if held."""
        body = self.raw(iri)
        return None if body is None else decode(body)

    def iris(self) -> list[str]:
        """Every IRI held, in order."""
        if self._sidecar is None:
            return list(self._memory)
        rows = self._connection().execute("SELECT iri FROM description ORDER BY iri")
        return [r[0] for r in rows]

    def fill(self, construct: Callable[[str], list[ox.Triple]], iris: list[str]) -> None:
        """Materialise ``iris`` in memory (``construct`` runs one CONSTRUCT), unless there
        are more than :data:`MEMORY_MAX`; requests meanwhile find what is done so far."""
        t0 = time.perf_counter()
        if self._sidecar is None and len(iris) <= MEMORY_MAX:
            for iri in iris:
                self._memory[iri] = encode(construct(description_query(iri)))
        self.filled = (len(self._memory), time.perf_counter() - t0)
