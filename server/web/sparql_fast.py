"""The lean SPARQL path: a plain ``GET /sparql?query=…`` answered without Flask's request cycle.

A new query text cannot come from a cache, and the Flask view around it cost
the web worker more than the query's own hop to a worker at 10^3 triples
(Werkzeug's request and response objects, the app and request contexts, URL
matching, the after-request hooks that set CORS, security headers, validators
and gzip). This module does what the view (server/web/views/sparql.py) does
for the common request, straight on the WSGI environ, in the same order:

1. **Protocol**: the query string as Werkzeug reads it (``parse_qsl``, the same
   error handler for bytes that are not UTF-8): ``query``, ``default-graph-uri``,
   ``named-graph-uri``, ``format``/``output``.
2. **Policy**: :func:`server.sparql.policy.check`, once in this process. The
   job handed to the store carries the client's text, so the store's own check
   (:meth:`Store.sparql` checks what it is given and runs only the canonical
   text) is a hit in the policy's cache on the text checked here, not a second
   parse of the canonical text; the answer cache is keyed by the canonical job,
   as the view keys it, so both paths share its answers.
3. **Result format** from ``format``/``output``, else ``Accept``, as the view
   negotiates it for SELECT and ASK.
4. **Admission** (server/web/admission.py): the same fair queue per client, the
   same place held while the store answers.
5. **The answer** with exactly the view's status and headers (its ``finish``:
   ETag, Last-Modified, Cache-Control, Vary, gzip; the blueprint's CORS; the
   security headers), the worker's bytes as the body.

An error once the query was handed over (a full queue, a timeout, a memory
stop, the engine's own syntax error, an outage) is answered by the app's error
handler and after-request hooks inside a request context
(:meth:`SparqlFast.flask_error`): it reads exactly as from the view, and the
query is not run twice.

Everything else goes to the app, decided before the store is asked and before
anything is kept: another path, POST, a body, ``update``, no ``query`` (the
description or the editor), a CONSTRUCT or DESCRIBE (their RDF formats), an
``Accept`` that chooses HTML (the editor) or nothing (406), ``?lang=`` (a
cookie), conditional or range requests, a dataset IRI that is not absolute
(400), a query the policy refuses (400, 403, 413; the view checks it again
and says why: a refusal costs one check more than before, an accepted text
none), and every store whose version is not a free attribute (a remote store:
its version would be read twice). tests/test_lean_sparql.py compares the two
paths header by header.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any, cast
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES, http_date, quote_etag
from werkzeug.utils import get_content_type

from server.pipeline.backends import backend_for
from server.sparql import QueryAnswer, QueryJob, QueryRefusedError, StoreError, results
from server.sparql.policy import check
from server.web.admission import AdmissionRefusedError
from server.web.errors import sparql_error
from server.web.negotiation import MIN_COMPRESSED, best_match, gzip_wanted
from server.web.state import State
from server.web.views.sparql import (
    _ABSOLUTE_IRI,
    CORS_EXPOSED,
    RESULT_OFFER,
    RESULT_TYPES,
    _with_retry_after,
)

Environ = dict[str, Any]
StartResponse = Callable[..., Any]

#: Request headers that make the view's answer depend on more than this path reads:
#: conditional requests (the view answers 304 by Werkzeug's rules) and bodies.
_TO_APP_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
    "HTTP_TRANSFER_ENCODING",
)
#: Parameters only the view handles: an update (403), the language (a cookie).
_TO_APP_PARAMS = frozenset(("update", "lang"))
_HTML = RESULT_OFFER[-1]


class Answer:
    """What the fast path sends: status, headers, body (empty for HEAD)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class Request:
    """A ``GET /sparql`` as the view reads it (see :func:`read_request`)."""

    __slots__ = ("asked_format", "asked_output", "default_graphs", "named_graphs", "text")

    def __init__(
        self,
        text: str,
        default_graphs: list[str],
        named_graphs: list[str],
        asked_format: str | None,
        asked_output: str | None,
    ) -> None:
        self.text = text
        self.default_graphs = default_graphs
        self.named_graphs = named_graphs
        #: The ``format`` and ``output`` parameters (first values).
        self.asked_format = asked_format
        self.asked_output = asked_output


def read_request(environ: Environ) -> Request | None:
    """Step 1, the protocol: the parameters of a plain query GET, or None (to the app).

    Read as Werkzeug reads ``request.args`` (first value wins for one parameter,
    every value for the dataset lists)."""
    method = environ.get("REQUEST_METHOD")
    if method not in ("GET", "HEAD") or environ.get("PATH_INFO") != "/sparql":
        return None
    if environ.get("CONTENT_LENGTH") not in (None, "", "0"):
        return None
    for name in _TO_APP_HEADERS:
        if name in environ:
            return None
    raw = environ.get("QUERY_STRING", "")
    try:
        pairs = parse_qsl(
            raw.encode("latin1").decode(), keep_blank_values=True, errors="werkzeug.url_quote"
        )
    except (UnicodeError, ValueError):
        return None  # whatever Werkzeug makes of it, the app says
    text = fmt = output = None
    default_graphs: list[str] = []
    named_graphs: list[str] = []
    for key, value in pairs:
        if key == "query":
            if text is None:
                text = value
        elif key == "default-graph-uri":
            default_graphs.append(value)
        elif key == "named-graph-uri":
            named_graphs.append(value)
        elif key == "format":
            if fmt is None:
                fmt = value
        elif key == "output":
            if output is None:
                output = value
        elif key in _TO_APP_PARAMS:
            return None
    if text is None:
        return None  # the service description or the editor
    return Request(text, default_graphs, named_graphs, fmt, output)


def result_format(req: Request, accept: str) -> tuple[str, str] | None:
    """Step 3: (format name, media type) for a SELECT or ASK answer, as the view's
    ``_result_format`` chooses it; None for what the view answers itself: the
    editor (HTML) or 406."""
    for asked in (req.asked_format, req.asked_output):
        if asked and asked in results.BY_NAME:
            f = results.BY_NAME[asked]
            return f.name, f.media_type
    best = best_match(accept, RESULT_OFFER)
    if best is None or best == _HTML:
        return None
    f = RESULT_TYPES[best]
    return f.name, f.media_type


@lru_cache(maxsize=16)
def _content_type(media_type: str) -> str:
    return get_content_type(media_type, "utf-8")


@lru_cache(maxsize=64)
def _last_modified(modified: datetime) -> str:
    return http_date(modified)


def _status_line(code: int) -> str:
    return f"{code} {HTTP_STATUS_CODES[code].upper()}"


class SparqlFast:
    """The fast path of one app: :meth:`__call__` answers a plain query GET or returns
    None, having decided so before anything ran (the app then answers it)."""

    def __init__(self, flask_app: Flask) -> None:
        self.flask_app = flask_app
        self.state: State = flask_app.extensions["charta"]
        #: Only a store whose version is an attribute: see the module's text.
        self.enabled = backend_for(self.state.config).version_is_free

    def __call__(self, environ: Environ) -> Answer | None:
        if not self.enabled:
            return None
        req = read_request(environ)
        if req is None:
            return None
        state = self.state
        config = state.config
        try:
            checked = check(
                req.text,
                config.max_query_bytes,
                config.max_query_depth,
                config.max_query_patterns,
                config.namespace,
            )
        except QueryRefusedError:
            return None  # the view says why (see the module's text)
        if checked.form not in ("SELECT", "ASK"):
            return None  # CONSTRUCT, DESCRIBE: RDF formats, negotiated by the view
        chosen = result_format(req, environ.get("HTTP_ACCEPT", ""))
        if chosen is None:
            return None  # the editor, or 406
        fmt, media_type = chosen
        for iri in (*req.default_graphs, *req.named_graphs):
            if not _ABSOLUTE_IRI.fullmatch(iri):
                return None  # 400
        job = QueryJob(
            checked.text,  # the canonical text, as the view keys the answer cache
            checked.form,
            fmt,
            config.max_rows,
            tuple(req.default_graphs),
            tuple(req.named_graphs),
            config.max_query_bytes,
            config.max_query_depth,
            config.max_answer_mb * 2**20,
            config.max_query_patterns,
        )
        store = state.store
        version, modified = store.version, store.modified
        cache = state.cache
        key = ("sparql", version, "", job)
        try:
            cached = cache.get(key)
            if cached is not None:
                answer = cast(QueryAnswer, cached[1])
            else:
                answer = self.run(environ, job, req.text)
                cache.put(key, (answer.body, answer))
            return self.respond(environ, req, fmt, media_type, answer, version, modified)
        except Exception as exc:  # the view's errors, and the app's 500 for anything else
            return self.flask_error(environ, exc)

    def run(self, environ: Environ, job: QueryJob, text: str) -> QueryAnswer:
        """Step 4: admitted, then the store's answer; errors as the view maps them.

        The store is handed the client's text (its check is then a cache hit on the
        check just made, and it runs the canonical text the check writes)."""
        admission = self.state.admission
        config = self.state.config
        try:
            with admission.admit(admission.client(environ)):
                return self.state.store.sparql(
                    QueryJob(
                        text,
                        job.form,
                        job.result_format,
                        job.max_rows,
                        job.default_graphs,
                        job.named_graphs,
                        job.max_bytes,
                        job.max_depth,
                        job.max_answer_bytes,
                        job.max_patterns,
                    ),
                    config.query_timeout_s,
                )
        except AdmissionRefusedError as exc:
            raise _with_retry_after(exc.status, f"{exc}", exc.retry_after) from exc
        except StoreError as exc:
            raise sparql_error(exc) from exc

    def respond(
        self,
        environ: Environ,
        req: Request,
        fmt: str,
        media_type: str,
        answer: QueryAnswer,
        version: str,
        modified: datetime,
    ) -> Answer:
        """Step 5: the view's response, its ``finish`` and the after-request hooks'
        headers, in the order the app sends them."""
        config = self.state.config
        body = answer.body
        headers = [
            ("Content-Type", _content_type(media_type)),
            ("Content-Length", ""),  # filled below, once the body is final
            ("X-Charta-Rows", str(answer.count)),
        ]
        if answer.truncated:
            limit = (
                f"{config.max_answer_mb} MB (the configured answer size limit)"
                if answer.cut_by == "bytes"
                else f"{config.max_rows} rows (the configured row limit)"
            )
            headers.append(("X-Charta-Truncated", "true"))
            headers.append(("Warning", f'199 charta "Result truncated to {limit}"'))
        digest = hashlib.sha256(
            f"{fmt}\0{req.text}\0{req.default_graphs}\0{req.named_graphs}\0".encode()
        )
        etag = f"{version}-q{digest.hexdigest()[:16]}"
        compress = len(body) > MIN_COMPRESSED and gzip_wanted(environ.get("HTTP_ACCEPT_ENCODING"))
        headers += (
            ("ETag", quote_etag(f"{etag}-gzip" if compress else etag)),
            ("Last-Modified", _last_modified(modified)),
            ("Cache-Control", f"public, max-age={config.cache_max_age_s}"),
            ("Vary", "Accept, Accept-Encoding"),
        )
        if compress:
            body = gzip.compress(body, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        headers[1] = ("Content-Length", str(len(body)))
        headers += (
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", CORS_EXPOSED),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
        )
        if environ["REQUEST_METHOD"] == "HEAD":
            body = b""
        return Answer(_status_line(200), headers, body)

    def flask_error(self, environ: Environ, exc: Exception) -> Answer:
        """The app's answer to ``exc`` raised by the /sparql view: its error handler and
        after-request hooks in a request context (errors are rare; their bodies are
        negotiated, HTML for a browser). Anything but an HTTP error is the app's 500
        (logged), or raised again under test, as from the view."""
        app = self.flask_app
        with app.request_context(environ):
            response = app.finalize_request(app.handle_user_exception(exc))
            sent: list[tuple[str, list[tuple[str, str]]]] = []

            def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
                sent.append((status, headers))

            chunks: Iterable[bytes] = response(environ, cast(Any, start_response))
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        status, headers = sent[0]
        return Answer(status, list(headers), body)
