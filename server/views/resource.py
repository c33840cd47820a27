"""Dereferencing: every IRI of our namespace answers at its own path, in the format asked for.

Direct answers (200 with ``Content-Location``), not 303 redirects: one round
trip, and the IRI names the thing while ``.ttl``/``.html`` URLs name documents.
"""

from __future__ import annotations

from functools import partial

import pyoxigraph as ox
from flask import Blueprint, Response, abort, redirect, render_template
from flask.typing import ResponseReturnValue
from jinja2 import Template
from werkzeug.exceptions import NotAcceptable

from server import describe as description
from server import queries, state
from server.describe import describe
from server.formats import HTML, RDF_FORMATS, RdfFormat
from server.namespaces import all_prefixes
from server.pages import build_page, schema_org
from server.queries import ReleaseInfo
from server.releases import change_summary
from server.serialize import serialize
from server.state import answer_cache, data_version, site, store, super_properties, urls
from server.state import config as cfg
from server.store import Store
from server.urls import MOVED
from server.views.negotiation import choose_format, choose_lang, finish_data

bp = Blueprint("resource", __name__)
MAX_PATH = 1024


def described(st: Store, iri: str) -> list[ox.Triple]:
    """The resource's triples, download and endpoint URLs pointing where this server is reached."""
    return description.relocate(describe(st, iri, site().stats), cfg().namespace, cfg().public_url)


def kind_context(st: Store, kind: str, iri: str, lang: str) -> dict[str, object]:
    """The extra data each kind of page shows beyond its statements."""
    ns = cfg().namespace
    vocab = urls().vocabulary
    if kind in ("charta", "theme", "goal"):
        themes = queries.themes_and_goals(st, ns, lang)
        theme = next(
            (t for t in themes if t.iri == iri or any(g.iri == iri for g in t.goals)), None
        )
        extra: dict[str, object] = {"themes": themes, "theme": theme}
        if kind == "goal":
            extra["measures"] = queries.measures(st, vocab, lang, goal=iri)
        return extra
    if kind == "body":
        return {
            "activities": queries.activities_of(st, iri, lang),
            "joinings": queries.joinings(st, vocab, lang, institution=iri),
            "measures": queries.measures(st, vocab, lang, lead=iri),
        }
    if kind == "paper":
        return {"steps": queries.beratungsfolge(st, iri, lang, vocab)}
    if kind == "programme":
        return {"parts": queries.parts_of(st, iri, lang, vocab)}
    if kind == "document":
        return {"citing": queries.citing(st, iri, lang, vocab)}
    if kind == "release":
        version = iri.rsplit("/", 1)[-1]
        changed, total = change_summary(cfg().root, ns, version, lang, urls().local)
        return {
            "release": state.find_release(version),
            "changed": changed,
            "changed_total": total,
        }
    return {}


@bp.route("/id/<path:rest>")
def resource(rest: str) -> ResponseReturnValue:
    if len(rest) > MAX_PATH:
        abort(400, f"Path longer than {MAX_PATH} characters.")
    path, suffix = urls().split_suffix("id/" + rest)
    if path in MOVED:
        new = "/" + MOVED[path] + (f".{suffix}" if suffix else "")
        return redirect(new, code=301)
    iri = cfg().namespace + path
    try:
        fmt: RdfFormat | str | None = choose_format(suffix)
    except NotAcceptable:
        fmt = None  # an unknown IRI is a 404 whatever the client accepts
    lang = choose_lang()
    st = store()
    key = ("resource", data_version()[0], path, getattr(fmt, "name", fmt), lang)
    cached = answer_cache().get(key) if fmt is not None else None
    if cached is not None:
        return respond(path, fmt, suffix, cached[0], lang)  # type: ignore[arg-type]
    try:
        triples = described(st, iri)
    except ValueError as exc:
        abort(400, str(exc))
    if not triples:
        abort(404, f"Nothing is known about <{iri}>.")
    if fmt is None:
        fmt = choose_format(suffix)  # raises the 406 again
    body = render(iri, path, triples, fmt, lang)
    answer_cache().put(key, (body, None))
    return respond(path, fmt, suffix, body, lang)


def represent(
    iri: str, path: str, triples: list[ox.Triple], fmt: RdfFormat | str, suffix: str | None
) -> Response:
    """One resource in one format, with validators and alternates."""
    lang = choose_lang()
    return respond(path, fmt, suffix, render(iri, path, triples, fmt, lang), lang)


def render(
    iri: str,
    path: str,
    triples: list[ox.Triple],
    fmt: RdfFormat | str,
    lang: str,
    st: Store | None = None,
    memento: ReleaseInfo | None = None,
) -> bytes:
    """The body of one representation: an HTML page or a serialised RDF description.

    ``st`` and ``memento``: a release's state (a ``GraphView`` of the store) and the
    release; its page links to the same release's states and says which it shows.
    """
    st = st or store()
    link = urls().local
    if memento is not None:
        link = partial(urls().memento_link, memento.version)
    if memento is not None:
        path = urls().memento(memento.version, path).lstrip("/")  # the formats of this state
    if fmt == HTML:
        page = build_page(iri, triples, lang, urls().vocabulary, link, super_properties())
        names: list[str | Template] = [f"resource/{page.kind}.html", "resource/generic.html"]
        extra = kind_context(st, page.kind, iri, lang)
        body = render_template(
            names,
            page=page,
            path=path,
            formats=RDF_FORMATS,
            max_incoming=description.MAX_INCOMING,
            link=link,
            schema_org=schema_org,
            memento=memento,
            **extra,
        )
        return body.encode("utf-8")
    assert isinstance(fmt, RdfFormat)
    return serialize(triples, fmt, all_prefixes(cfg().namespace))


def respond(
    path: str,
    fmt: RdfFormat | str,
    suffix: str | None,
    body: bytes,
    lang: str,
    original: str | None = None,
) -> Response:
    """Headers for one representation: type, validators, Content-Location, alternates.

    ``path`` is where this representation answers (a memento's own path); ``original``,
    for a memento, the resource's path (the Memento headers are the caller's).
    """
    if fmt == HTML:
        resp = Response(body, mimetype="text/html")
        resp.vary.add("Accept-Language")
        resp.vary.add("Cookie")
        tag = f"html-{lang}"
    else:
        assert isinstance(fmt, RdfFormat)
        resp = Response(body, mimetype=fmt.media_type)
        tag = fmt.suffix
    if suffix is None:
        ext = "html" if fmt == HTML else fmt.suffix  # type: ignore[union-attr]
        resp.headers["Content-Location"] = f"/{path}.{ext}"
    links = urls().alternates(path)
    if original is None and state.releases():  # RFC 7089: where this resource's past is
        links += ", " + urls().memento_links(path)
    resp.headers["Link"] = links
    return finish_data(resp, tag)
