"""The ``Store`` protocol: everything the web tier asks of a triple store.

Pages, RDF answers and the catalog are built from SPARQL only, so the embedded
store and a remote SPARQL server differ in transport, not in behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pyoxigraph as ox


class StoreError(Exception):
    """A store failure that views map to an HTTP status code."""


class QuerySyntaxError(StoreError):
    """The query does not parse (400); the message says where."""


class QueryTimeoutError(StoreError):
    """The query ran past its time limit and was stopped (504)."""


class QueryMemoryError(StoreError):
    """The query needed more memory than a query worker may use and was stopped (400)."""


class StoreUnavailableError(StoreError):
    """The store cannot answer now: down, or every worker busy (503)."""


class QueryRefusedError(StoreError):
    """The query policy refuses the text (``status``: 400, 403 or 413); nothing ran."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class QueryJob:
    """One untrusted query, with the format its answer must be in and every limit it runs under.

    The limits travel with the job so the process that evaluates it (a query
    worker, or the web worker in front of a remote store) applies the same
    policy again without sharing any other state.
    """

    query: str
    form: str
    result_format: str
    max_rows: int
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_bytes: int = 65536
    max_depth: int = 256
    max_answer_bytes: int = 32 * 2**20
    max_patterns: int = 64


@dataclass(frozen=True)
class QueryAnswer:
    """A serialised answer and whether it was cut at ``max_rows`` or ``max_answer_bytes``."""

    body: bytes
    media_type: str
    truncated: bool
    count: int
    #: Why it was cut: "rows" or "bytes" (None when whole).
    cut_by: str | None = None


class DataSource(Protocol):
    """Where an embedded store's data comes from, handed down by whoever opens the store.

    Stores know no project files: the pipeline says how to fill one (and how to
    tell, without parsing, which data version it would be), so the same source
    fills the web process's store and each query worker's. It must pickle (the
    query workers are other processes).
    """

    def load(self, store: ox.Store) -> tuple[str, float]:
        """Fill ``store``; return the data's (version, newest modification time)."""
        ...

    def fingerprint(self) -> tuple[str, float]:
        """(version, newest modification time) as :meth:`load` would return them, unparsed."""
        ...


#: A bound term of a SELECT row (the store holds no quoted triples).
Term = ox.NamedNode | ox.BlankNode | ox.Literal


class Store(Protocol):
    """A read-only view of the knowledge graph."""

    @property
    def version(self) -> str:
        """Changes whenever the data changes; used for ETags."""
        ...

    @property
    def modified(self) -> datetime:
        """When the data last changed; used for Last-Modified."""
        ...

    def construct(self, query: str, graph: str | None = None) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE query and return its triples.

        ``graph``: a release's graph (``Urls.release``) as the default graph, so
        the same page queries read a past state; None reads the current data.
        """
        ...

    def select(self, query: str, graph: str | None = None) -> list[dict[str, Term]]:
        """Run a SELECT query; each row maps variable names to bound terms."""
        ...

    def ask(self, query: str, graph: str | None = None) -> bool:
        """Run an ASK query."""
        ...

    def triples(self) -> Iterable[ox.Triple]:
        """Every triple of the default graph (for dumps)."""
        ...

    def warm_up(self) -> None:
        """Start in the background whatever the first /sparql query would wait for."""
        ...

    def sparql(self, job: QueryJob, timeout: float) -> QueryAnswer:
        """Run an untrusted query from /sparql within ``timeout`` seconds.

        Applies :func:`server.sparql.policy.check` first. Raises
        QueryRefusedError, QuerySyntaxError, QueryTimeoutError, QueryMemoryError
        or StoreUnavailableError.
        """
        ...
