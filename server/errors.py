"""Errors in the negotiated format; no request ever sees a traceback."""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from server.formats import HTML, OFFERED


def _wants_html() -> bool:
    try:
        return request.accept_mimetypes.best_match(OFFERED, default=HTML) == HTML
    except Exception:  # a malformed Accept header must not turn a 404 into a 500
        return False


def error_response(exc: HTTPException) -> Response:
    """HTML for browsers, plain text for everything else (RDF clients, curl)."""
    code = exc.code or 500
    if _wants_html():
        body = render_template("error.html", code=code, name=exc.name, description=exc.description)
        resp = Response(body, status=code, mimetype="text/html")
    else:
        resp = Response(
            f"{code} {exc.name}: {exc.description}\n", status=code, mimetype="text/plain"
        )
    resp.headers["Vary"] = "Accept"
    if code == 406:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_response)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        if app.config.get("TESTING"):
            raise exc
        app.logger.exception("unhandled error")
        return error_response(InternalServerError())
