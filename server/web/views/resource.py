"""Dereferencing: every IRI of our namespace answers at its own path, in the format asked for.

Direct answers (200 with ``Content-Location``), not 303 redirects: one round
trip, and the IRI names the thing while ``.ttl``/``.html`` URLs name documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, redirect
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import Gone

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

from server.web.negotiation import choose_format, choose_lang
from server.web.state import answer_cache, answer_lang, data_version, profile, store, urls
from server.web.views.representation import (
    MAX_PATH,
    described,
    format_asked,
    mementos,
    render,
    respond,
)

bp = Blueprint("resource", __name__)


class GoneWithPast(Gone):
    """410 for a resource only releases hold, with its Memento links in the answer."""

    def __init__(self, description: str, links: str) -> None:
        super().__init__(description)
        self.links = links

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("Link", self.links)]


@bp.route("/id/<path:rest>")
def resource(rest: str) -> ResponseReturnValue:
    if len(rest) > MAX_PATH:
        abort(400, f"Path longer than {MAX_PATH} characters.")
    path, suffix = urls().split_suffix("id/" + rest)
    moved = profile().moved
    if path in moved:
        new = "/" + moved[path] + (f".{suffix}" if suffix else "")
        return redirect(new, code=301)
    iri = urls().iri(path)
    fmt = format_asked(suffix)
    lang = choose_lang()
    st = store()
    # An RDF body is the same in every language: one entry, whatever Accept-Language says.
    key = ("resource", data_version()[0], path, getattr(fmt, "name", fmt), answer_lang(fmt, lang))
    cached = answer_cache().get(key) if fmt is not None else None
    if cached is not None:
        return respond(path, fmt, suffix, cached[0], lang, has_past=bool(cached[1]))  # type: ignore[arg-type]
    try:
        triples = described(st, iri)
    except ValueError as exc:
        abort(400, str(exc))
    if not triples:
        if mementos(path):
            # A release holds it, the current data no longer does: it is gone, not unknown
            # (RFC 9110 §15.5.11), and its TimeGate and TimeMap say where its past is.
            raise GoneWithPast(
                f"<{iri}> is no longer in the current data; its earlier states: "
                f"{urls().timemap(path)}.",
                urls().memento_links(path),
            )
        abort(404, f"Nothing is known about <{iri}>.")
    if fmt is None:
        fmt = choose_format(suffix)  # raises the 406 again
    body = render(iri, path, triples, fmt, lang)
    has_past = bool(mementos(path))
    answer_cache().put(key, (body, has_past))
    return respond(path, fmt, suffix, body, lang, has_past=has_past)
