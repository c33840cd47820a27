"""A remote SPARQL 1.1 server as the store: Oxigraph server, Virtuoso, Fuseki, GraphDB.

The data lives in one named graph (``{ns}graph/charta``) that every query names
as its default graph (``default-graph-uri``), so the servers behave alike
without a union-default-graph setting. A second small graph records the loaded
version, which stateless web workers read (cached briefly) for their ETags.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, cast

import pyoxigraph as ox

from server.config import Config
from server.rdf.namespaces import all_prefixes
from server.sparql import (
    Bindings,
    QueryAnswer,
    QueryJob,
    StoreUnavailableError,
    Term,
    bind,
    results,
)
from server.sparql.client import NTRIPLES, RESULTS_JSON, Body, SparqlClient
from server.sparql.evaluate import answer
from server.sparql.policy import check
from server.urls import Urls

VERSION_TTL_S = 5.0
_log = logging.getLogger(__name__)
#: The version a loaded store records (``charta load`` writes it into the meta graph).
VERSION_QUERY = """SELECT ?v ?m WHERE {
#BINDINGS
  GRAPH ?meta { ?data ?version ?v ; <http://purl.org/dc/terms/modified> ?m } }"""


def _boolean(parsed: ox.QueryBoolean | ox.QuerySolutions) -> bool:
    """An ASK answer; Virtuoso answers ASK as one solution binding ``__ASK_RETVAL``."""
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    for row in parsed:
        value = row[0]
        return value is not None and value.value not in ("0", "false")
    return False


def data_graph(namespace: str) -> str:
    return f"{namespace}graph/charta"


def meta_graph(namespace: str) -> str:
    return f"{namespace}graph/meta"


class RemoteStore:
    """Talks the SPARQL 1.1 Protocol to an existing server, through :class:`SparqlClient`
    (one deadline per request, answers parsed as they stream in)."""

    def __init__(self, config: Config) -> None:
        """Queries go to ``config.store_url``; our own (pages) wait ``config.remote_timeout_s``."""
        assert config.store_url, "a remote store needs a store URL"
        query_url, namespace = config.store_url, config.namespace
        self.query_url = query_url
        self.namespace = namespace
        self.timeout_s = config.remote_timeout_s
        self._graph = data_graph(namespace)
        self._none = f"{namespace}graph/none"
        self._version: tuple[float, str, datetime] | None = None
        self._releases: tuple[str, frozenset[str]] | None = None
        self._lock = threading.Lock()
        self._client = SparqlClient(query_url)

    # -- transport ----------------------------------------------------------------------

    def _open(
        self,
        query: str,
        accept: str,
        timeout: float,
        default_graphs: Iterable[str] = (),
        named_graphs: Iterable[str] = (),
        cap: int | None = None,
    ) -> tuple[Body, str]:
        """POST one query; the body streams from the reader returned. Failures: store errors."""
        return self._client.open(query, accept, timeout, default_graphs, named_graphs, cap)

    def _request(
        self,
        query: str,
        accept: str,
        timeout: float,
        default_graphs: Iterable[str] = (),
        named_graphs: Iterable[str] = (),
    ) -> tuple[bytes, str]:
        """One of our own queries (pages, catalog), read whole: their answers are small."""
        body, ctype = self._open(query, accept, timeout, default_graphs, named_graphs)
        try:
            return body.read(), ctype
        finally:
            body.close()

    def _ours(self, graph: str | None = None) -> tuple[str, ...]:
        """The data graph, or a release's graph (``charta load`` loads each under its IRI)."""
        return (graph,) if graph is not None else (self._graph,)

    # -- Store protocol -------------------------------------------------------------------

    def construct(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> list[ox.Triple]:
        text = bind(query, bindings)
        body, ctype = self._request(text, NTRIPLES, self.timeout_s, self._ours(graph))
        fmt = ox.RdfFormat.from_media_type(ctype) or ox.RdfFormat.N_TRIPLES
        try:
            return [q.triple for q in ox.parse(body, format=fmt)]
        except (SyntaxError, ValueError) as exc:
            raise StoreUnavailableError(f"the store sent an unreadable answer: {exc}") from exc

    def select(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> list[dict[str, Term]]:
        text = bind(query, bindings)
        body, _ = self._request(text, RESULTS_JSON, self.timeout_s, self._ours(graph))
        try:
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            names = [v.value for v in parsed.variables]  # type: ignore[union-attr]
            return [{n: row[n] for n in names if row[n] is not None} for row in parsed]  # type: ignore[union-attr]
        except (SyntaxError, ValueError) as exc:
            raise StoreUnavailableError(f"the store sent an unreadable answer: {exc}") from exc

    def ask(
        self,
        query: str,
        graph: str | None = None,
        *,
        bindings: Bindings | None = None,
    ) -> bool:
        text = bind(query, bindings)
        body, _ = self._request(text, RESULTS_JSON, self.timeout_s, self._ours(graph))
        try:
            return _boolean(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))
        except (SyntaxError, ValueError) as exc:
            raise StoreUnavailableError(f"the store sent an unreadable answer: {exc}") from exc

    def triples(self) -> Iterable[ox.Triple]:
        return self.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")

    def _read_version(self) -> tuple[str, datetime]:
        now = time.monotonic()
        with self._lock:
            if self._version and now - self._version[0] < VERSION_TTL_S:
                return self._version[1], self._version[2]
        params = {
            "meta": ox.NamedNode(meta_graph(self.namespace)),
            "data": ox.NamedNode(self._graph),
            "version": ox.NamedNode(f"{self.namespace}ontology#version"),
        }
        body, _ = self._request(bind(VERSION_QUERY, params), RESULTS_JSON, self.timeout_s)
        rows = list(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))  # type: ignore[arg-type]
        if not rows:
            _log.warning(
                "%s holds no charta data; run 'charta load --store %s'",
                self.query_url,
                self.query_url,
            )
            raise StoreUnavailableError("the store holds no charta data yet ('charta load')")
        version = rows[0]["v"].value
        modified = datetime.fromisoformat(rows[0]["m"].value.replace("Z", "+00:00"))
        if modified.tzinfo is None:
            modified = modified.replace(tzinfo=UTC)
        with self._lock:
            self._version = (now, version, modified)
        return version, modified

    @property
    def version(self) -> str:
        return self._read_version()[0]

    @property
    def modified(self) -> datetime:
        return self._read_version()[1]

    def warm_up(self) -> None:
        """Nothing to start: the remote server is already running (or will be)."""

    def sparql(self, job: QueryJob, timeout: float) -> QueryAnswer:
        """Forward an untrusted query that passed the policy; nothing is evaluated here.

        The query sees our data graph as its default graph and nothing else:
        the protocol's dataset always comes from us (it overrides FROM), so no
        temporary graph of an interrupted load, no version graph and no other
        tenant's graph is readable. A query that names its own dataset (FROM,
        FROM NAMED, default-graph-uri, named-graph-uri) gets the data graph
        where it names exactly that graph and an empty graph otherwise, as on
        the embedded store, which holds no named graphs. Answers stream in
        under the byte cap and are re-serialised under the row cap.
        """
        checked = check(job.query, job.max_bytes, job.max_depth, job.max_patterns, self.namespace)
        graph = job.form in ("CONSTRUCT", "DESCRIBE")
        own = bool(job.default_graphs or job.named_graphs or checked.names_dataset)
        defaults = (self._graph,) if not own else self._visible(job.default_graphs)
        named = self._visible(job.named_graphs)
        body, ctype = self._open(
            checked.text,  # the policy's canonical text: the store never sees the client's
            NTRIPLES if graph else RESULTS_JSON,
            timeout,
            defaults,
            named,
            cap=job.max_answer_bytes,
        )
        try:
            if graph:
                fmt = ox.RdfFormat.from_media_type(ctype) or ox.RdfFormat.N_TRIPLES
                triples = (q.triple for q in ox.parse(cast(IO[bytes], body), format=fmt))
                made = answer(triples, job, all_prefixes(self.namespace), None, lambda: body.cut)
            else:
                parsed = ox.parse_query_results(
                    cast(IO[bytes], body), format=ox.QueryResultsFormat.JSON
                )
                if job.form == "ASK":
                    out = results.BY_NAME[job.result_format]
                    value = results.write_ask(_boolean(parsed), out)
                    made = QueryAnswer(value, out.media_type, False, 1)
                else:
                    made = answer(parsed, job, {}, checked.star_order, lambda: body.cut)
        except (SyntaxError, ValueError, OSError) as exc:
            # Not cut by us (that ends the answer with a flag): the store's answer
            # broke off or is malformed. An error, never a shorter answer that looks
            # whole; errors are not cached, so the next request asks the store anew.
            raise StoreUnavailableError(f"the store's answer broke off: {exc}") from exc
        finally:
            body.close()
        return made

    def _visible(self, iris: Iterable[str]) -> tuple[str, ...]:
        """Of the graphs a query names, those it may read (ours), else one that is always empty.

        Ours are the data graph and the graph of each release the data
        publishes, nothing else: a killed ``charta load`` leaves
        ``<release>-loading-<version>`` behind, whose name starts like a
        release's (and a version may contain "-loading-"), so a prefix is not
        enough; the graph must be a release the data lists.
        """
        iris = tuple(iris)
        published = self._published() if any(g != self._graph for g in iris) else frozenset()
        readable = [g for g in iris if g == self._graph or g in published]
        return tuple(readable) or (self._none,)

    def _published(self) -> frozenset[str]:
        """The graphs of the releases the data lists (``dcat:inSeries``), once per data version."""
        version = self.version
        held = self._releases
        if held is not None and held[0] == version:
            return held[1]
        prefix = Urls(self.namespace).release("")
        rows = self.select(
            "SELECT ?r WHERE { ?r <http://www.w3.org/ns/dcat#inSeries> ?s ; "
            "<http://www.w3.org/ns/dcat#version> ?v }"
        )
        found = frozenset(
            r["r"].value for r in rows if "r" in r and r["r"].value.startswith(prefix)
        )
        self._releases = (version, found)
        return found
