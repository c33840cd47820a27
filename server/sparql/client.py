"""The one SPARQL 1.1 Protocol client: every request charta sends to a SPARQL server.

The remote store's queries (pages, catalog, /sparql) and ``charta load``'s
queries and updates all go through :class:`SparqlClient`, so they share one
transport and one mapping of failures to the store's errors
(:mod:`server.sparql`): a 400 is a :class:`~server.sparql.QuerySyntaxError`, a
request past its deadline a :class:`~server.sparql.QueryTimeoutError`, a server
that cannot be reached or answers with another error a
:class:`~server.sparql.StoreUnavailableError`.

The transport is http.client rather than SPARQLWrapper: SPARQLWrapper's
timeout applies to each socket read, so a slow server stretched a 5 s limit to
9 s, and it reads a whole answer into memory. Here every request has one
deadline, and an answer is read as it streams in, under a byte cap when one is
given, as a :class:`Body` that tells an answer we cut from one that broke off.
"""

from __future__ import annotations

import http.client
import io
import logging
import time
import urllib.parse
from collections.abc import Iterable

from server.sparql import QuerySyntaxError, QueryTimeoutError, StoreUnavailableError

RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
#: How much of an error answer is read for the message (the rest is never waited for).
ERROR_BYTES = 4000
_log = logging.getLogger(__name__)


class UnreachableError(StoreUnavailableError):
    """The server could not be reached; ``reason`` is the socket's error (e.g. refused)."""

    def __init__(self, message: str, reason: OSError | http.client.HTTPException) -> None:
        super().__init__(message)
        self.reason = reason


class ServerError(StoreUnavailableError):
    """The server answered with an error status; ``detail`` holds its own words.

    For a query the message gives the status only: the server's words may name
    its address, so they go to the log. For an update (``charta load``, run by
    whoever runs the server) the message says them too.
    """

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class Body(io.RawIOBase):
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

    @property
    def status(self) -> int:
        return self._resp.status

    def header(self, name: str) -> str | None:
        return self._resp.getheader(name)

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
        # The response too: a server that closes each connection (HTTP/1.0) hands the
        # socket to the response, which the connection then no longer closes.
        self._resp.close()
        self._conn.close()
        super().close()


def _endpoint(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) SPARQL endpoint URL: {url!r}")
    return parts


def default_update_url(query_url: str) -> str:
    """Oxigraph serves updates at /update beside /query; most others on the same URL."""
    if query_url.rstrip("/").endswith("/query"):
        return query_url.rstrip("/")[: -len("/query")] + "/update"
    return query_url


class SparqlClient:
    """The SPARQL 1.1 Protocol towards one server: queries (POST form or GET) and updates.

    ``query_url`` answers queries, ``update_url`` (default: :func:`default_update_url`)
    updates. Every request is one connection with one deadline; no state is kept
    between requests, so one client serves any number of threads.
    """

    def __init__(
        self, query_url: str, update_url: str | None = None, *, user_agent: str = "charta"
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url or default_update_url(query_url)
        self._query = _endpoint(self.query_url)
        self._update = _endpoint(self.update_url)
        self._agent = user_agent

    # -- queries ------------------------------------------------------------------------

    def open(
        self,
        query: str,
        accept: str,
        timeout: float,
        default_graphs: Iterable[str] = (),
        named_graphs: Iterable[str] = (),
        cap: int | None = None,
        method: str = "POST",
    ) -> tuple[Body, str]:
        """Send one query; its answer streams from the :class:`Body` returned, with its
        media type. ``default_graphs``/``named_graphs``: the protocol's dataset
        (``default-graph-uri``, ``named-graph-uri``). ``cap``: most bytes read."""
        fields = [("query", query)]
        fields += [("default-graph-uri", g) for g in default_graphs]
        fields += [("named-graph-uri", g) for g in named_graphs]
        body = self._send(self._query, method, fields, accept, timeout, cap)
        if body.status >= 400:
            text = self._error_text(body)
            if body.status == 400:
                raise QuerySyntaxError(text[:2000])
            # The store's own words go to the log, where they may name its address.
            _log.warning("the store %s answered %s: %s", self.query_url, body.status, text[:500])
            raise ServerError(f"the store answered {body.status}", body.status, text)
        ctype = (body.header("Content-Type") or accept).split(";")[0].strip()
        return body, ctype

    def read(
        self,
        query: str,
        accept: str,
        timeout: float,
        default_graphs: Iterable[str] = (),
        named_graphs: Iterable[str] = (),
        method: str = "POST",
    ) -> tuple[bytes, str]:
        """One query's whole answer and its media type: for answers known to be small."""
        body, ctype = self.open(query, accept, timeout, default_graphs, named_graphs, method=method)
        try:
            return body.read(), ctype
        finally:
            body.close()

    # -- updates ------------------------------------------------------------------------

    def update(self, text: str, timeout: float) -> None:
        """Run one SPARQL Update request (POST form ``update=``); refusals raise
        :class:`ServerError` with the server's words in the message."""
        body = self._send(self._update, "POST", [("update", text)], "*/*", timeout, None)
        try:
            if body.status >= 400:
                words = self._error_text(body)
                raise ServerError(
                    f"the store refused the update ({body.status}): {words[:500]}",
                    body.status,
                    words,
                )
            while body.read(65536):  # the answer says nothing we use; read to its end
                pass
        finally:
            body.close()

    # -- transport ----------------------------------------------------------------------

    def _send(
        self,
        url: urllib.parse.SplitResult,
        method: str,
        fields: list[tuple[str, str]],
        accept: str,
        timeout: float,
        cap: int | None,
    ) -> Body:
        """One request; its answer (any status) streams from the Body returned."""
        deadline = time.monotonic() + timeout
        form = urllib.parse.urlencode(fields)
        path = url.path or "/"
        if method == "GET":
            query = f"{url.query}&{form}" if url.query else form
            target, data, headers = f"{path}?{query}", None, {}
        elif method == "POST":
            target = f"{path}?{url.query}" if url.query else path
            data = form.encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        else:
            raise ValueError(f"a SPARQL request is a GET or a POST, not {method!r}")
        kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        conn = kind(url.hostname, url.port, timeout=timeout)  # type: ignore[arg-type]
        try:
            conn.request(
                method,
                target,
                body=data,
                headers={**headers, "Accept": accept, "User-Agent": self._agent},
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
            _log.warning("cannot reach the store %s: %s", url.geturl(), reason)
            raise UnreachableError(f"cannot reach the store: {reason}", exc) from exc
        return Body(conn, resp, deadline, timeout, cap)

    @staticmethod
    def _error_text(body: Body) -> str:
        """The start of an error answer, as text; the connection is closed after."""
        try:
            return body.read(ERROR_BYTES).decode("utf-8", "replace").strip()
        finally:
            body.close()
