"""The embedded store: pyoxigraph in process, from the Turtle sources or a persisted store."""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox

from server.config import Config
from server.sparql import Bindings, DataSource, QueryAnswer, QueryJob, Term, bind
from server.sparql.persisted import check_fresh, open_read_only, read_meta
from server.sparql.policy import check
from server.sparql.sandbox import QueryPool


class EmbeddedStore:
    """An in-memory Oxigraph store; fast enough to answer every page in process."""

    def __init__(self, config: Config, source: DataSource) -> None:
        """Load ``source`` into memory, or open ``config.store_dir`` read-only.

        A persisted store must have been built from the source's current data
        (when it has any): serving stale data under a fresh version would make
        every ETag lie. The query workers get the same config and source whole.
        """
        namespace, store_dir = config.namespace, config.store_dir
        if store_dir is not None:
            meta = read_meta(store_dir, namespace)
            check_fresh(store_dir, meta, source)
            self._store = open_read_only(store_dir)
            self.version, newest = meta.version, meta.modified
        else:
            self._store = ox.Store()
            self.version, newest = source.load(self._store)
        self.modified = datetime.fromtimestamp(int(newest), UTC)
        self._namespace = config.namespace
        self._pool = QueryPool(config, source)
        weakref.finalize(self, self._pool.close)

    def __len__(self) -> int:
        return len(self._store)

    def _query(self, query: str, graph: str | None, bindings: Bindings | None) -> Any:
        """Our own queries (pages, catalog) in process; a release's graph as default graph."""
        text = bind(query, bindings)
        if graph is None:
            return self._store.query(text)
        return self._store.query(text, default_graph=ox.NamedNode(graph))

    def construct(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> list[ox.Triple]:
        return list(self._query(query, graph, bindings))

    def select(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> list[dict[str, Term]]:
        result = self._query(query, graph, bindings)
        names = [v.value for v in result.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in result]

    def ask(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> bool:
        return bool(self._query(query, graph, bindings))

    def warm_up(self) -> None:
        """Spawn the query workers now, so the first /sparql query does not wait 0.3 s."""
        self._pool.start_in_background()

    def sparql(self, job: QueryJob, timeout: float) -> QueryAnswer:
        """Untrusted queries run in worker processes, never in the web process.

        The policy is applied here first (a refusal costs no worker), and once
        more inside the worker; the worker gets the policy's canonical text.
        """
        checked = check(job.query, job.max_bytes, job.max_depth, job.max_patterns, self._namespace)
        return self._pool.run(dataclasses.replace(job, query=checked.text), timeout)

    @property
    def isolation(self) -> str | None:
        """What keeps the query workers off the network ("" nothing; None: none started yet)."""
        return self._pool.isolation

    def triples(self) -> Iterable[ox.Triple]:
        for quad in self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            yield quad.triple
