"""The ``Store`` protocol: everything the web tier asks of a triple store.

Pages, RDF answers and the catalog are built from SPARQL only, so the embedded
store and a remote SPARQL server differ in transport, not in behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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
#: A query's parameters: a variable's one term, or a tuple of the terms it takes in turn.
Bindings = Mapping[str, Term | tuple[Term, ...]]

#: Where a query of ours takes its parameters: a line holding only this marker, then
#: optionally the variables bound there (``#BINDINGS ?iri ?lang``; none named: all).
#: :func:`bind` replaces the line with a ``VALUES`` block. The marker is a comment,
#: so it can be written in the query's text wherever a ``VALUES`` clause may stand
#: (at the start of a group, inside a subquery), once or at several places.
BINDINGS = "#BINDINGS"
_MARKER = re.compile(
    r"^([ \t]*)#BINDINGS((?:[ \t]+\?[A-Za-z_][A-Za-z0-9_]*)*)[ \t]*$", re.MULTILINE
)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Where values go: a marker line, or ``$name`` where an engine needs the term itself in
#: the pattern (as Jena's ParameterizedSparqlString puts it): Virtuoso 7.2 lost rows of
#: a property path (``?r (…)* ?x``) whose start a VALUES block bound.
_PLACES = re.compile(_MARKER.pattern + r"|\$(?P<term>[A-Za-z_][A-Za-z0-9_]*)\b", re.MULTILINE)


def bind(query: str, bindings: Bindings | None) -> str:
    """``query`` with its parameters: each :data:`BINDINGS` line becomes ``VALUES ?a
    { <iri> } VALUES ?b { "text"@de }`` for the variables it names (every binding where
    it names none).

    No query is built from a value's text: each term is written by pyoxigraph as in
    N-Triples (an IRI it accepted holds no ``>`` or space, a literal's quotes and
    backslashes are escaped), and the markers are found in ``query`` before any
    value is put in, so a value that holds a marker or braces stays a value. Refused
    (ValueError): a blank node (it would name a new node, not the one meant), a
    variable name that is not one, a marker naming a variable that is not bound, a
    binding no marker places, and a query with markers but no bindings (its
    parameters would be left open, matching everything).
    """
    if bindings is None:
        if _MARKER.search(query):
            raise ValueError(f"the query takes bindings ({BINDINGS}) and none were given")
        return query
    rendered: dict[str, str] = {}
    for name, value in bindings.items():
        if not _VARIABLE.fullmatch(name):
            raise ValueError(f"not a variable name: {name!r}")
        for term in value if isinstance(value, tuple) else (value,):
            if isinstance(term, ox.BlankNode):
                raise ValueError(f"?{name}: a blank node cannot be a parameter")
            if not isinstance(term, ox.NamedNode | ox.Literal):
                raise ValueError(f"?{name}: not an IRI or a literal: {term!r}")
        # A tuple binds the variable to each of its terms in turn (none: no solution).
        terms = value if isinstance(value, tuple) else (value,)
        rendered[name] = " ".join(str(term) for term in terms)
    placed: set[str] = set()

    def block(marker: re.Match[str]) -> str:
        if marker.group("term") is not None:  # ``$r``: the term itself, where it stands
            name = marker.group("term")
            if name not in rendered:
                return marker.group(0)  # an unbound variable spelled with ``$``
            if isinstance(bindings[name], tuple):
                raise ValueError(f"${name} stands for one term, and a tuple was given")
            placed.add(name)
            return rendered[name]
        names = [n.lstrip("?") for n in marker.group(2).split()] or list(rendered)
        missing = [n for n in names if n not in rendered]
        if missing:
            raise ValueError(f"the query binds ?{missing[0]} and no value was given")
        placed.update(names)
        if not names:
            return ""
        # One VALUES per variable, the same solution as one row of all: Virtuoso 7.2
        # failed to compile a row of two ("no SPART_VARR_FIXED") in a page's query.
        blocks = " ".join(f"VALUES ?{n} {{ {rendered[n]} }}" for n in names)
        return f"{marker.group(1)}{blocks}"

    # One pass over the query as written: a value put in is never read again.
    out = _PLACES.sub(block, query)
    unused = [n for n in rendered if n not in placed]
    if unused:
        raise ValueError(f"?{unused[0]} is bound, and the query has no {BINDINGS} for it")
    return out


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

    def construct(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE query and return its triples.

        ``graph``: a release's graph (``Urls.release``) as the default graph, so
        the same page queries read a past state; None reads the current data.
        ``bindings``: the query's parameters, put where its :data:`BINDINGS` lines
        stand (:func:`bind`); a value never becomes part of the query's text otherwise.
        """
        ...

    def select(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> list[dict[str, Term]]:
        """Run a SELECT query; each row maps variable names to bound terms."""
        ...

    def ask(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> bool:
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
