"""Search: an HTML results page and a JSON autocomplete endpoint over the same index."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, jsonify, render_template, request

from server.web.negotiation import choose_lang, finish_data
from server.web.state import site, urls

bp = Blueprint("search", __name__)
MAX_QUERY = 200


def _key(q: str) -> str:
    """A stable digest for ETags (Python's hash() differs between worker processes)."""
    return hashlib.sha1(q.encode()).hexdigest()[:12]


def _hits(lang: str, limit: int) -> tuple[str, list[dict[str, str]]]:
    q = (request.args.get("q") or "")[:MAX_QUERY]
    hits = site().search.search(q, lang, limit)
    return q, [
        {"iri": h.iri, "url": urls().local(h.iri), "label": h.label, "matched": h.matched}
        for h in hits
    ]


@bp.route("/search.json")
def search_json() -> Response:
    """Autocomplete: ``[{iri, url, label, matched}]``, at most ``limit`` (default 10)."""
    lang = choose_lang()
    try:
        limit = max(1, min(50, int(request.args.get("limit", "10"))))
    except ValueError:
        limit = 10
    q, hits = _hits(lang, limit)
    resp = jsonify({"query": q, "results": hits})
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return finish_data(resp, f"s-{lang}-{limit}-{_key(q)}")


@bp.route("/search")
def search_page() -> Response:
    lang = choose_lang()
    if request.accept_mimetypes.best == "application/json":
        return search_json()
    q, hits = _hits(lang, 50)
    body = render_template("search.html", lang=lang, q=q, hits=hits)
    resp = Response(body, mimetype="text/html")
    return finish_data(resp, f"search-{lang}-{_key(q)}")
