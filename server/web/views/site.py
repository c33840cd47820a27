"""The landing page and the vocabulary's documentation."""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template, request
from flask.blueprints import BlueprintSetupState
from werkzeug.security import safe_join

from server.pages import structured
from server.rdf.formats import HTML, RDF_FORMATS, RdfFormat
from server.rdf.labels import LabelIndex, local_name
from server.rdf.namespaces import OWL, all_prefixes
from server.rdf.serialize import jsonld_context, serialize, value_of
from server.web.negotiation import (
    MIN_COMPRESSED,
    choose_format,
    choose_lang,
    finish_data,
    gzip_wanted,
)
from server.web.state import config as cfg
from server.web.state import profile, store, urls

bp = Blueprint("site", __name__)

STATIC = Path(__file__).resolve().parents[2] / "static"
#: A fingerprinted URL names one version of a file for ever (RFC 8246).
IMMUTABLE = "public, max-age=31536000, immutable"
#: A URL without the current fingerprint: usable, but always revalidated (ETag, 304).
REVALIDATE = "public, no-cache"


@dataclass(frozen=True)
class StaticFile:
    """One file of ``server/static/``, with its fingerprint and its gzipped bytes."""

    data: bytes
    gzipped: bytes | None
    digest: str
    mimetype: str
    modified: datetime


@lru_cache(maxsize=64)
def _static_file(path: Path, mtime_ns: int, size: int) -> StaticFile:
    """Read, hash and compress once per process and file version (mtime and size in the key)."""
    data = path.read_bytes()
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    textual = mimetype.startswith("text/") or mimetype.endswith(("+xml", "json", "javascript"))
    gzipped = gzip.compress(data, compresslevel=9, mtime=0) if textual else None
    if gzipped is not None and (len(data) <= MIN_COMPRESSED or len(gzipped) >= len(data)):
        gzipped = None
    return StaticFile(
        data,
        gzipped,
        hashlib.sha256(data).hexdigest()[:16],
        mimetype,
        datetime.fromtimestamp(mtime_ns // 1_000_000_000, UTC),
    )


def static_file_of(filename: str) -> StaticFile | None:
    """The file under ``server/static/`` (never outside it), or None."""
    joined = safe_join(str(STATIC), filename)
    if joined is None:
        return None
    path = Path(joined)
    try:
        st = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    return _static_file(path, st.st_mtime_ns, st.st_size)


def static_url(filename: str) -> str:
    """``/static/NAME?v=HASH``: the content's fingerprint in the URL, cacheable for ever."""
    found = static_file_of(filename)
    if found is None:
        raise LookupError(f"no static file {filename!r}")
    return f"/static/{filename}?v={found.digest}"


def static(filename: str) -> Response:
    """A file of ``server/static/``: gzipped once per process, strong ETag, fingerprint: immutable.

    Replaces Flask's own static view (same endpoint, so ``url_for('static')``
    still works), which sends every file uncompressed with ``no-cache``.
    """
    found = static_file_of(filename)
    if found is None:
        abort(404, f"No static file {filename!r}.")
    compress = found.gzipped is not None and gzip_wanted(request.headers.get("Accept-Encoding"))
    resp = Response(found.gzipped if compress else found.data, mimetype=found.mimetype)
    if compress:
        resp.headers["Content-Encoding"] = "gzip"
    resp.set_etag(f"{found.digest}-gzip" if compress else found.digest)
    resp.last_modified = found.modified
    fingerprinted = request.args.get("v") == found.digest
    resp.headers["Cache-Control"] = IMMUTABLE if fingerprinted else REVALIDATE
    if found.gzipped is not None:
        resp.vary.add("Accept-Encoding")
    resp.make_conditional(request)
    return resp


@bp.record_once
def _serve_static(state: BlueprintSetupState) -> None:
    """Our static view on Flask's ``static`` endpoint, and ``static_url`` for templates."""
    state.app.view_functions["static"] = static
    state.app.jinja_env.globals["static_url"] = static_url


@bp.record_once
def _search_engines(state: BlueprintSetupState) -> None:
    """Every page's canonical URL, language alternates and (beyond resources) JSON-LD."""
    state.app.jinja_env.globals["page_addresses"] = page_addresses
    state.app.jinja_env.globals["site_jsonld"] = page_jsonld


def page_addresses(lang: str) -> dict[str, object]:
    return structured.page_addresses(urls(), request.path, request.args.to_dict(), lang)


def page_jsonld(lang: str) -> dict[str, object] | None:
    return structured.site_jsonld(request.path, store(), urls(), lang, profile().site)


@bp.route("/")
def landing() -> Response:
    lang = choose_lang()
    landing = profile().landing
    extra = landing(store(), cfg().namespace, lang) if landing else {}
    body = render_template("landing.html", lang=lang, link=urls().local, **extra)
    resp = Response(body, mimetype="text/html")
    return finish_data(resp, f"landing-{lang}")


@bp.route("/context.jsonld")
def context() -> Response:
    """The JSON-LD context every JSON-LD answer is compacted with."""
    resp = Response(
        json.dumps(jsonld_context(all_prefixes(cfg().namespace)), indent=1),
        mimetype="application/ld+json",
    )
    return finish_data(resp, "context")


@bp.route("/ontology")
@bp.route("/ontology.<ext>")
@bp.route("/ontology/<version>")
def ontology(ext: str | None = None, version: str | None = None) -> Response:
    """The vocabulary; its version IRIs (``/ontology/1.0.0``) answer with the same document."""
    if version is not None:
        version, ext = urls().split_suffix(version)
        known = (
            store().ask(
                f"ASK {{\n  #BINDINGS\n  ?o <{OWL.versionIRI}> ?v }}",
                bindings={
                    "o": ox.NamedNode(urls().ontology),
                    "v": ox.NamedNode(urls().ontology_version(version)),
                },
            )
            if version.replace(".", "").isalnum()
            else False
        )
        if not known:
            abort(404, f"No version {version!r} of the vocabulary.")
    _, suffix = urls().split_suffix(f"ontology.{ext}" if ext else "ontology")
    if ext and suffix is None:
        abort(404, f"No document /ontology.{ext}.")
    base = urls().ontology
    triples = store().construct(f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o .
        FILTER(STRSTARTS(STR(?s), "{base}")) }}""")
    fmt = choose_format(suffix)
    if fmt == HTML:
        lang = choose_lang()
        body = render_template(
            "ontology.html", terms=_terms(triples, base, lang), lang=lang, formats=RDF_FORMATS
        )
        resp = Response(body, mimetype="text/html")
        tag = f"ontology-{lang}"
    else:
        assert isinstance(fmt, RdfFormat)
        resp = Response(
            serialize(triples, fmt, all_prefixes(cfg().namespace)), mimetype=fmt.media_type
        )
        tag = f"ontology-{fmt.suffix}"
    resp.headers["Link"] = urls().alternates("ontology")
    return finish_data(resp, tag)


def _terms(triples: list[ox.Triple], base: str, lang: str) -> list[dict[str, Any]]:
    """One entry per class and property: anchor, label, definition, superterms."""
    labels = LabelIndex.of(triples)
    defs: dict[str, dict[str, str]] = {}
    supers: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    for t in triples:
        s, p = value_of(t.subject), t.predicate.value
        if not s.startswith(base + "#"):
            continue
        if p.endswith("core#definition") and isinstance(t.object, ox.Literal):
            defs.setdefault(s, {})[t.object.language or ""] = t.object.value
        elif p.endswith(("#subClassOf", "#subPropertyOf")):
            supers.setdefault(s, []).append(value_of(t.object))
        elif p.endswith("#type") and value_of(t.object).startswith(
            "http://www.w3.org/2002/07/owl#"
        ):
            kinds[s] = "class" if value_of(t.object).endswith("Class") else "property"
        elif (
            p.endswith("#type")
            and value_of(t.object) == "http://www.w3.org/2000/01/rdf-schema#Datatype"
        ):
            kinds[s] = "datatype"  # the schemes of our identifiers' notations
    terms = []
    for iri in sorted(kinds, key=lambda i: (kinds[i], local_name(i).casefold())):
        d = defs.get(iri, {})
        terms.append(
            {
                "anchor": local_name(iri),
                "iri": iri,
                "kind": kinds[iri],
                "label": labels.get(iri, lang) or local_name(iri),
                "definition": d.get(lang) or d.get("de", ""),
                "supers": [
                    (urls().local(x), labels.get(x, lang) or _curie(x)) for x in supers.get(iri, [])
                ],
            }
        )
    return terms


def _curie(iri: str) -> str:
    for prefix, ns in all_prefixes("").items():
        if ns and iri.startswith(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri
