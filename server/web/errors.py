"""Errors in the negotiated format; no request ever sees a traceback."""

from __future__ import annotations

import json

from flask import Flask, Response, render_template, request
from flask_babel import force_locale
from werkzeug.exceptions import (
    BadRequest,
    GatewayTimeout,
    HTTPException,
    InternalServerError,
    ServiceUnavailable,
    default_exceptions,
)

from server.i18n import DEFAULT_LANG
from server.rdf.formats import HTML, offered
from server.sparql import (
    QueryMemoryError,
    QueryRefusedError,
    QuerySyntaxError,
    QueryTimeoutError,
    StoreError,
)
from server.web.negotiation import best_match  # parsed once per header, and cut


def _negotiated() -> str | None:

    accept = request.headers.get("Accept", "")
    try:
        return best_match(accept, offered()) if accept else None
    except Exception:  # a malformed Accept header must not turn a 404 into a 500
        return None


def _one_line(text: str) -> str:
    """The message as one line of printable characters, for a comment.

    A Turtle or N-Triples comment ends at CR or LF, and XML allows no control
    characters at all, so every character that is not printable (controls,
    line and paragraph separators, surrogates, noncharacters) is written as
    ``\\uXXXX``; letters of any script stay as they are (the body is UTF-8).
    """
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def _xml_comment(text: str) -> str:
    """``<!-- text -->`` that is well-formed XML whatever the text holds.

    A comment may not contain ``--`` nor end with ``-``: every hyphen that
    follows a hyphen becomes ``%2D``, which in an IRI (where runs of hyphens
    come from) names the same IRI after normalisation (RFC 3986 §6.2.2.2);
    the text is followed by a space before ``-->``.
    """
    out: list[str] = []
    for c in _one_line(text):
        out.append("%2D" if c == "-" and out and out[-1] in ("-", "%2D") else c)
    return f"<!-- {''.join(out)} -->"


def _rdf_error(code: int, text: str, media_type: str) -> Response | None:
    """An error body RDF clients can parse: an empty graph that says what went wrong."""
    if media_type in ("text/turtle", "application/n-triples"):
        return Response(f"# {_one_line(text)}\n", status=code, mimetype=media_type)
    if media_type == "application/rdf+xml":
        body = (
            f'<?xml version="1.0" encoding="utf-8"?>\n{_xml_comment(text)}\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n'
        )
        return Response(body, status=code, mimetype=media_type)
    if media_type == "application/ld+json":
        # json.dumps escapes whatever needs it (ensure_ascii): always well-formed.
        return Response(json.dumps({"@graph": [], "error": text}), status=code, mimetype=media_type)
    return None


def error_response(exc: HTTPException) -> Response:
    """HTML for browsers, plain text for everything else (RDF clients, curl)."""
    code = exc.code or 500
    wanted = _negotiated()
    text = f"{code} {exc.name}: {exc.description}"
    rdf = _rdf_error(code, text, wanted) if wanted and code == 404 else None
    if rdf is not None:
        rdf.headers["Vary"] = "Accept"
        return rdf
    if wanted == HTML:
        # Error pages stay German whatever the reader asked for, as they always were:
        # their name and description are Werkzeug's English, unmarked.
        with force_locale(DEFAULT_LANG):
            body = render_template(
                "error.html", code=code, name=exc.name, description=exc.description
            )
        resp = Response(body, status=code, mimetype="text/html")
    else:
        resp = Response(
            f"{code} {exc.name}: {exc.description}\n", status=code, mimetype="text/plain"
        )
    resp.headers["Vary"] = "Accept"
    # What the exception itself carries: Retry-After on 503, Allow on 405.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            resp.headers[name] = value
    if code == 406:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def sparql_error(exc: StoreError) -> HTTPException:
    """The HTTP answer to a store error from an untrusted /sparql query: the one mapping.

    The client's query is the cause of a refusal, a syntax or a memory error (4xx);
    the store's state of a timeout or an outage (5xx with Retry-After).
    """
    if isinstance(exc, QueryRefusedError):
        return _status(exc.status, str(exc))
    if isinstance(exc, QuerySyntaxError):
        return BadRequest(f"Malformed query: {exc}")
    if isinstance(exc, QueryMemoryError):
        return BadRequest(f"Query stopped: {exc}. Narrow it down (LIMIT, more specific patterns).")
    if isinstance(exc, QueryTimeoutError):
        return GatewayTimeout(
            f"Query stopped: {exc}. Narrow it down (LIMIT, more specific patterns)."
        )
    return ServiceUnavailable(f"The store is unavailable: {exc}", retry_after=5)


def _status(code: int, message: str) -> HTTPException:
    cls = default_exceptions.get(code, BadRequest)
    return cls(message)


def store_error(exc: StoreError) -> Response:
    """A page whose store is down or slow: 503/504 with a reason and when to retry.

    Our own page queries are never malformed or refused, so any other store error
    here means the store cannot answer them now: 503, like an outage.
    """
    if isinstance(exc, QueryTimeoutError):
        http: HTTPException = GatewayTimeout(f"The data store is too slow right now: {exc}.")
    else:
        http = ServiceUnavailable(f"The data store is unavailable right now: {exc}.")
    resp = error_response(http)
    resp.headers["Retry-After"] = "5"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_response)
    app.register_error_handler(StoreError, store_error)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        if app.config.get("TESTING"):
            raise exc
        app.logger.exception("unhandled error")
        return error_response(InternalServerError())
