"""A remote SPARQL 1.1 server as the store: Oxigraph server, Virtuoso, Fuseki, GraphDB.

The data lives in one named graph (``{ns}graph/charta``) that every query names
as its default graph (``default-graph-uri``), so the servers behave alike
without a union-default-graph setting. A second small graph records the loaded
version, which stateless web workers read (cached briefly) for their ETags.
"""

from __future__ import annotations

import ast
import socket
import threading
import time
import urllib.error
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import islice

import pyoxigraph as ox
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from server import results
from server.formats import BY_NAME as RDF_BY_NAME
from server.namespaces import all_prefixes
from server.serialize import serialize
from server.sparql_text import inspect
from server.store import (
    QueryAnswer,
    QueryJob,
    QuerySyntaxError,
    QueryTimeoutError,
    StoreUnavailableError,
)

RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
VERSION_TTL_S = 5.0
_EMPTY = ox.Store()  # only ever parses: queries on it find nothing to do


def _server_message(exc: Exception) -> str:
    """The server's own error text: SPARQLWrapper embeds it as a bytes repr."""
    text = str(exc).split("Response:", 1)[-1].strip()
    if text[:2] in ("b'", 'b"'):
        try:
            text = ast.literal_eval(text).decode("utf-8", "replace")
        except (ValueError, SyntaxError):
            pass
    return text.strip()[:2000]


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
    """Talks SPARQL 1.1 Protocol (via SPARQLWrapper) to an existing server."""

    def __init__(self, query_url: str, namespace: str, timeout_s: float = 5.0) -> None:
        self.query_url = query_url
        self.namespace = namespace
        self.timeout_s = timeout_s
        self._graph = data_graph(namespace)
        self._version: tuple[float, str, datetime] | None = None
        self._lock = threading.Lock()

    # -- transport ----------------------------------------------------------------------

    def _request(
        self,
        query: str,
        accept: str,
        timeout: float,
        default_graphs: Iterable[str] = (),
        named_graphs: Iterable[str] = (),
    ) -> tuple[bytes, str]:
        """Send one query; map network and server failures to store errors."""
        sw = SPARQLWrapper(self.query_url)
        sw.setQuery(query)
        sw.setMethod(POST)
        sw.setTimeout(max(1, round(timeout)))
        sw.addCustomHttpHeader("Accept", accept)
        sw.setOnlyConneg(True)
        for g in default_graphs:
            sw.addDefaultGraph(g)
        for g in named_graphs:
            sw.addNamedGraph(g)
        try:
            response = sw.query().response
            try:
                body = response.read()
                ctype = response.headers.get("Content-Type", accept).split(";")[0].strip()
            finally:
                response.close()
        except QueryBadFormed as exc:
            raise QuerySyntaxError(_server_message(exc)) from exc
        except TimeoutError as exc:
            raise QueryTimeoutError(f"the store did not answer within {timeout:g} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise QueryTimeoutError(f"the store did not answer within {timeout:g} s") from exc
            raise StoreUnavailableError(f"cannot reach {self.query_url}: {exc.reason}") from exc
        except (SPARQLWrapperException, urllib.error.HTTPError, OSError) as exc:
            raise StoreUnavailableError(f"{self.query_url} failed: {exc}") from exc
        return body, ctype

    def _ours(self) -> tuple[str, ...]:
        return (self._graph,)

    # -- Store protocol -------------------------------------------------------------------

    def construct(self, query: str) -> list[ox.Triple]:
        body, ctype = self._request(query, NTRIPLES, self.timeout_s, self._ours())
        fmt = ox.RdfFormat.from_media_type(ctype) or ox.RdfFormat.N_TRIPLES
        return [q.triple for q in ox.parse(body, format=fmt)]

    def select(self, query: str) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        body, _ = self._request(query, RESULTS_JSON, self.timeout_s, self._ours())
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in parsed.variables]  # type: ignore[union-attr]
        return [{n: row[n] for n in names if row[n] is not None} for row in parsed]  # type: ignore[union-attr]

    def ask(self, query: str) -> bool:
        body, _ = self._request(query, RESULTS_JSON, self.timeout_s, self._ours())
        return _boolean(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))

    def triples(self) -> Iterable[ox.Triple]:
        return self.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")

    def _read_version(self) -> tuple[str, datetime]:
        now = time.monotonic()
        with self._lock:
            if self._version and now - self._version[0] < VERSION_TTL_S:
                return self._version[1], self._version[2]
        body, _ = self._request(
            f"""SELECT ?v ?m WHERE {{ GRAPH <{meta_graph(self.namespace)}> {{
                <{self._graph}> <{self.namespace}ontology#version> ?v ;
                <http://purl.org/dc/terms/modified> ?m }} }}""",
            RESULTS_JSON,
            self.timeout_s,
        )
        rows = list(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))  # type: ignore[arg-type]
        if not rows:
            raise StoreUnavailableError(
                f"{self.query_url} holds no charta data; run 'charta load --store {self.query_url}'"
            )
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
        """Forward an untrusted query; the server stops it (its own limit) or we give up.

        Answers are re-serialised here so the row cap and its signal are the same
        on every backend.
        """
        try:  # the same parser, the same messages as the embedded store; nothing to evaluate
            _EMPTY.query(job.query)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        graph = job.form in ("CONSTRUCT", "DESCRIBE")
        own_dataset = job.named_graphs or inspect(job.query).names_dataset
        defaults = job.default_graphs or (() if own_dataset else self._ours())
        body, ctype = self._request(
            job.query, NTRIPLES if graph else RESULTS_JSON, timeout, defaults, job.named_graphs
        )
        if graph:
            fmt = ox.RdfFormat.from_media_type(ctype) or ox.RdfFormat.N_TRIPLES
            triples = [q.triple for q in islice(ox.parse(body, format=fmt), job.max_rows + 1)]
            truncated = len(triples) > job.max_rows
            triples = triples[: job.max_rows]
            rdf = RDF_BY_NAME[job.result_format]
            data = serialize(triples, rdf, all_prefixes(self.namespace))
            return QueryAnswer(data, rdf.media_type, truncated, len(triples))
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        out = results.BY_NAME[job.result_format]
        if job.form == "ASK":
            return QueryAnswer(results.write_ask(_boolean(parsed), out), out.media_type, False, 1)
        variables = results.column_order([v.value for v in parsed.variables], job.query)
        rows = [[sol[v] for v in variables] for sol in islice(parsed, job.max_rows + 1)]
        truncated = len(rows) > job.max_rows
        rows = rows[: job.max_rows]
        data = results.write_select(variables, rows, out, truncated)
        return QueryAnswer(data, out.media_type, truncated, len(rows))
