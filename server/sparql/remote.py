"""A remote SPARQL 1.1 server as the store: Oxigraph server, Virtuoso, Fuseki, GraphDB.

The data lives in one named graph (``{ns}graph/charta``) that every query names
as its default graph (``default-graph-uri``), so the servers behave alike
without a union-default-graph setting. A second small graph records the loaded
version, which stateless web workers read (cached briefly) for their ETags.
"""

from __future__ import annotations

import http.client
import io
import logging
import threading
import time
import urllib.parse
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, cast

import pyoxigraph as ox

from server.config import Config
from server.rdf.namespaces import all_prefixes
from server.sparql import (
    QueryAnswer,
    QueryJob,
    QuerySyntaxError,
    QueryTimeoutError,
    StoreUnavailableError,
    results,
)
from server.sparql.evaluate import answer
from server.sparql.policy import check
from server.urls import Urls

RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
VERSION_TTL_S = 5.0
CHUNK = 65536
_log = logging.getLogger(__name__)


class _Body(io.RawIOBase):
    """The server's answer, read as the parser asks, within a deadline and a byte cap.

    Each read waits at most until ``deadline`` (a server that trickles bytes
    cannot stretch the timeout), and reading stops after ``cap`` bytes (the
    answer is then cut, never held whole in the web worker's memory). An
    answer that ends before its announced length, or whose connection breaks,
    is an error: only ``cut`` (our own stop at the cap) ends an answer early.
    """

    def __init__(
        self,
        conn: http.client.HTTPConnection,
        resp: http.client.HTTPResponse,
        deadline: float,
        timeout: float,
        cap: int | None,
    ) -> None:
        self._conn, self._resp = conn, resp
        self._deadline, self._timeout, self._cap = deadline, timeout, cap
        self.read_bytes = 0
        self.cut = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._cap is not None and self.read_bytes >= self._cap:
            self.cut = True
            return 0
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise QueryTimeoutError(f"the store did not answer within {self._timeout:g} s")
        if self._conn.sock is not None:
            self._conn.sock.settimeout(left)
        want = len(buffer)
        if self._cap is not None:
            want = min(want, self._cap - self.read_bytes)
        try:
            data = self._resp.read1(want)
        except TimeoutError as exc:
            raise QueryTimeoutError(f"the store did not answer within {self._timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise StoreUnavailableError(f"the store's answer broke off: {exc}") from exc
        if not data and want > 0 and self._resp.length:
            # http.client ends a body that stops short of its Content-Length quietly.
            raise StoreUnavailableError(
                f"the store's answer broke off {self._resp.length} bytes before its end"
            )
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        return len(data)

    def close(self) -> None:
        self._conn.close()
        super().close()


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
    """Talks the SPARQL 1.1 Protocol to an existing server.

    The transport is http.client rather than SPARQLWrapper: SPARQLWrapper's
    timeout applies to each socket read, so a slow server stretched a 5 s
    limit to 9 s, and it reads a whole answer into memory. Here every request
    has one deadline and answers are parsed as they stream in.
    """

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
        url = urllib.parse.urlsplit(query_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) SPARQL endpoint URL: {query_url!r}")
        self._url = url

    # -- transport ----------------------------------------------------------------------

    def _open(
        self,
        query: str,
        accept: str,
        timeout: float,
        default_graphs: Iterable[str] = (),
        named_graphs: Iterable[str] = (),
        cap: int | None = None,
    ) -> tuple[_Body, str]:
        """POST one query; the body streams from the reader returned. Failures: store errors."""
        deadline = time.monotonic() + timeout
        fields = [("query", query)]
        fields += [("default-graph-uri", g) for g in default_graphs]
        fields += [("named-graph-uri", g) for g in named_graphs]
        data = urllib.parse.urlencode(fields).encode()
        kind = (
            http.client.HTTPSConnection
            if self._url.scheme == "https"
            else http.client.HTTPConnection
        )
        conn = kind(self._url.hostname, self._url.port, timeout=timeout)  # type: ignore[arg-type]
        path = self._url.path or "/"
        if self._url.query:
            path += "?" + self._url.query
        try:
            conn.request(
                "POST",
                path,
                body=data,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": accept,
                    "User-Agent": "charta",
                },
            )
            if conn.sock is not None:
                conn.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            resp = conn.getresponse()
        except TimeoutError as exc:
            conn.close()
            raise QueryTimeoutError(f"the store did not answer within {timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            reason = getattr(exc, "strerror", None) or exc
            _log.warning("cannot reach the store %s: %s", self.query_url, reason)
            raise StoreUnavailableError(f"cannot reach the store: {reason}") from exc
        body = _Body(conn, resp, deadline, timeout, cap)
        if resp.status >= 400:
            text = body.read(4000).decode("utf-8", "replace").strip()
            body.close()
            if resp.status == 400:
                raise QuerySyntaxError(text[:2000])
            # The store's own words go to the log, where they may name its address.
            _log.warning("the store %s answered %s: %s", self.query_url, resp.status, text[:500])
            raise StoreUnavailableError(f"the store answered {resp.status}")
        ctype = (resp.getheader("Content-Type") or accept).split(";")[0].strip()
        return body, ctype

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

    def construct(self, query: str, graph: str | None = None) -> list[ox.Triple]:
        body, ctype = self._request(query, NTRIPLES, self.timeout_s, self._ours(graph))
        fmt = ox.RdfFormat.from_media_type(ctype) or ox.RdfFormat.N_TRIPLES
        try:
            return [q.triple for q in ox.parse(body, format=fmt)]
        except (SyntaxError, ValueError) as exc:
            raise StoreUnavailableError(f"the store sent an unreadable answer: {exc}") from exc

    def select(
        self, query: str, graph: str | None = None
    ) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        body, _ = self._request(query, RESULTS_JSON, self.timeout_s, self._ours(graph))
        try:
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            names = [v.value for v in parsed.variables]  # type: ignore[union-attr]
            return [{n: row[n] for n in names if row[n] is not None} for row in parsed]  # type: ignore[union-attr]
        except (SyntaxError, ValueError) as exc:
            raise StoreUnavailableError(f"the store sent an unreadable answer: {exc}") from exc

    def ask(self, query: str, graph: str | None = None) -> bool:
        body, _ = self._request(query, RESULTS_JSON, self.timeout_s, self._ours(graph))
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
        body, _ = self._request(
            f"""SELECT ?v ?m WHERE {{ GRAPH <{meta_graph(self.namespace)}> {{
                <{self._graph}> <{self.namespace}ontology#version> ?v ;
                <http://purl.org/dc/terms/modified> ?m }} }}""",
            RESULTS_JSON,
            self.timeout_s,
        )
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
