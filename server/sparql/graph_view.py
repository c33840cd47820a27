"""One graph of a store as a store of its own: how a release's past state is read.

Every page query, description and SPARQL query works on a ``Store``; wrapping
the live store so each of them names a release's graph as its default graph
lets the same code render a past state, with no second store and nothing
store-specific here (each backend applies ``graph=`` in its own way).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

import pyoxigraph as ox

from server.sparql import Bindings, QueryAnswer, QueryJob, Store, Term


class GraphView:
    """``store`` with ``graph`` as the default graph of every query."""

    def __init__(self, store: Store, graph: str) -> None:
        self._store = store
        self.graph = graph

    @property
    def version(self) -> str:
        return self._store.version

    @property
    def modified(self) -> datetime:
        return self._store.modified

    def construct(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> list[ox.Triple]:
        return self._store.construct(query, graph or self.graph, bindings=bindings)

    def select(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> list[dict[str, Term]]:
        return self._store.select(query, graph or self.graph, bindings=bindings)

    def ask(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> bool:
        return self._store.ask(query, graph or self.graph, bindings=bindings)

    def triples(self) -> Iterable[ox.Triple]:
        return self.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")

    def warm_up(self) -> None:
        self._store.warm_up()

    def sparql(self, job: QueryJob, timeout: float) -> QueryAnswer:
        """An untrusted query against the graph, unless the request named its own dataset."""
        if not job.default_graphs and not job.named_graphs:
            job = dataclasses.replace(job, default_graphs=(self.graph,))
        return self._store.sparql(job, timeout)
