"""The ``Store`` protocol: everything the web tier asks of a triple store.

Pages, RDF answers and the catalog are built from SPARQL only, so the embedded
store and a remote SPARQL server differ in transport, not in behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

import pyoxigraph as ox


class Store(Protocol):
    """A read-only view of the knowledge graph."""

    #: Changes whenever the data changes; used for ETags.
    version: str
    #: When the data last changed; used for Last-Modified.
    modified: datetime

    def construct(self, query: str) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE query and return its triples."""
        ...

    def select(self, query: str) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        """Run a SELECT query; each row maps variable names to bound terms."""
        ...

    def ask(self, query: str) -> bool:
        """Run an ASK query."""
        ...

    def triples(self) -> Iterable[ox.Triple]:
        """Every triple of the default graph (for dumps)."""
        ...
