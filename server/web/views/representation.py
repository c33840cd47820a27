"""One resource as an answer: its description, its body in a format, its headers.

Shared by every view that answers with a resource (dereferencing, the catalog's
VoID, a release's past states), so none of them imports another's blueprint.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pyoxigraph as ox
from flask import Response, abort, render_template, request
from jinja2 import Template
from werkzeug.exceptions import NotAcceptable, PreconditionFailed

from server.pages import describe as description
from server.pages.describe import LABEL_LIST, describe, node
from server.pages.kinds import KindQuery, PageKind
from server.pages.model import build_page, unlabelled
from server.pages.releases import ReleaseInfo, states_of
from server.pages.structured import resource_jsonld
from server.pipeline.files import RELEASE_DUMP
from server.pipeline.releases import RELEASES_DIR, change_summary
from server.rdf.formats import BY_SUFFIX, HTML, RDF_FORMATS, RdfFormat
from server.rdf.labels import byte_size
from server.rdf.namespaces import DCAT, all_prefixes
from server.rdf.serialize import serialize
from server.sparql import Store
from server.web import state
from server.web.errors import error_response
from server.web.negotiation import choose_format, choose_lang, finish_data
from server.web.state import config as cfg
from server.web.state import profile, site, store, super_properties, terms, urls
from server.web.views.dataset_kinds import DATA_KINDS

#: Longest path below /id/ a resource may have (a longer one is a 400).
MAX_PATH = 1024


def described(st: Store, iri: str, past: bool = False) -> list[ox.Triple]:
    """The resource's triples, download and endpoint URLs pointing where this server is reached.

    ``past``: a release's state (``st`` a ``GraphView``), without the computed catalog
    statistics, which describe the current dumps.
    """
    stats = None if past else site().stats
    known = None if past else state.materialised()
    triples = describe(st, iri, stats, known)
    return description.relocate(triples, cfg().namespace, cfg().public_url)


def format_asked(suffix: str | None) -> RdfFormat | str | None:
    """The format a request asks for, or None where none of ours fits: an unknown IRI
    is a 404 whatever the client accepts, so the 406 waits until the resource is found
    (then ``choose_format(suffix)`` raises it)."""
    try:
        return choose_format(suffix)
    except NotAcceptable:
        return None


def mementos(path: str) -> list[ReleaseInfo]:
    """The releases whose state says anything about the resource at ``path``, oldest first:
    its Mementos (RFC 7089). A path that is no IRI is a 400."""
    try:
        iri = node(urls().iri(path))
    except ValueError as exc:
        abort(400, str(exc))
    return states_of(store(), iri, state.releases())


def release_context(q: KindQuery) -> dict[str, object]:
    """A release's page: what changed first, then its files (the engine's own kind)."""
    release = state.find_release(q.iri.rsplit("/", 1)[-1])
    if release is None:
        return {}
    changed, total = change_summary(
        cfg().root,
        q.namespace,
        release.version,
        release.previous,
        q.lang,
        urls().local,
        super_properties(),
    )
    return {
        "release": release,
        "changed": changed,
        "changed_total": total,
        "dumps": release_dumps(release.version, q.lang),
    }


#: The kinds every deployment has, asked after the profile's: a release of the dataset
#: (``releases/<v>/release.ttl``) is the resource in a series.
ENGINE_KINDS = (
    PageKind(
        "release",
        "Dataset",
        context=release_context,
        applies=lambda objects: str(DCAT.inSeries) in objects,
    ),
    *DATA_KINDS,
)


def kind_context(st: Store, kind: PageKind, iri: str, lang: str) -> dict[str, object]:
    """The extra data the page's kind shows beyond its statements."""
    if kind.context is None:
        return {}
    return kind.context(KindQuery(st, iri, lang, cfg().namespace, urls().vocabulary))


def dump_files() -> list[str]:
    """A release's dumps, in the order the page offers them: each RDF format's file,
    the (gzipped) N-Triples the release's graph is loaded from beside its plain form."""
    stem = Path(RELEASE_DUMP).stem
    out = []
    for fmt in RDF_FORMATS:
        if fmt.dump:
            out.append(f"{stem}.{fmt.suffix}")
            if fmt.suffix == "nt":
                out.insert(len(out) - 1, f"{stem}.nt.gz")
    return out


def release_dumps(version: str, lang: str) -> list[tuple[str, str, str | None]]:
    """A release's dumps as (file name, format, size): the size where this checkout holds
    the files (a remote store may list a release whose files are elsewhere)."""
    folder = cfg().root / RELEASES_DIR / version / "dumps"
    out = []
    for name in dump_files():
        stem = name.removesuffix(".gz").rsplit(".", 1)[-1]
        fmt = BY_SUFFIX[stem].label + (", gzip" if name.endswith(".gz") else "")
        try:
            size: str | None = byte_size((folder / name).stat().st_size, lang)
        except OSError:
            size = None
        out.append((name, fmt, size))
    return out


#: Most values a page looks labels up for beyond its description (one query).
MAX_LOOKUPS = 300


def labels_of(st: Store, iris: list[str]) -> list[ox.Triple]:
    """The labels the store has for ``iris``: a page names the catalog's example resources
    and a VoID partition's classes, which the description itself does not label.

    An area of the official list (``…/politicalGeocoding/districtKey/05978``) is named
    after the body whose territory the data says it is (the profile's ``territory``): "Kreis Unna".
    """
    refs = []
    for iri in iris[:MAX_LOOKUPS]:
        try:
            refs.append(node(iri))
        except ValueError:
            continue
    if not refs:
        return []
    # Two queries, not a UNION with BIND: Virtuoso 7.2 answered that form with nothing.
    found = st.construct(LABELS_OF, bindings={"x": tuple(refs)})
    territory = profile().site.territory
    if territory:
        found += st.construct(
            TERRITORY_LABELS,
            bindings={"x": tuple(refs), "t": ox.NamedNode(urls().vocabulary + territory)},
        )
    return found


LABELS_OF = f"""CONSTRUCT {{ ?x ?p ?l }} WHERE {{
  #BINDINGS
  ?x ?p ?l FILTER(?p IN ({description.LABEL_LIST})) }}"""
#: An area's names: those of the bodies whose territory (``?t``) it is.
TERRITORY_LABELS = """CONSTRUCT { ?x <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } WHERE {
  #BINDINGS
  ?b ?t ?x ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }"""


def timemap_page(iri: str, path: str, found: list[ReleaseInfo]) -> Response:
    """A resource's TimeMap as a page a person reads (a browser following "All states"):
    each release's state with its date, newest first; machines get the link format."""

    lang = choose_lang()
    rows = store().select(
        f"SELECT ?l WHERE {{\n  #BINDINGS\n  ?r ?p ?l FILTER(?p IN ({LABEL_LIST})) }}",
        bindings={"r": node(iri)},
    )
    labels: dict[str, str] = {}
    for r in rows:
        term = r["l"]
        labels[(term.language or "") if isinstance(term, ox.Literal) else ""] = term.value
    label = next((labels[k] for k in (lang, "de", "en", "") if k in labels), "/" + path)
    body = render_template(
        "timemap.html",
        lang=lang,
        label=label,
        path=path,
        states=[(r, urls().memento(r.version, path)) for r in reversed(found)],
    )
    return Response(body, mimetype="text/html")


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
        triples = triples + labels_of(st, unlabelled(triples))
        page = build_page(iri, triples, lang, urls().vocabulary, link, terms(), super_properties())
        kind = terms().kinds.by_name[page.kind]
        names: list[str | Template] = [kind.template_name, "resource/generic.html"]
        extra = kind_context(st, kind, iri, lang)
        jsonld = resource_jsonld(page, triples, st, urls(), lang, profile().site)
        more = extra.pop("jsonld", None)  # what the kind adds (a goal's key as termCode)
        if isinstance(more, dict):
            jsonld |= more
        body = render_template(
            names,
            page=page,
            path=path,
            formats=RDF_FORMATS,
            max_incoming=description.MAX_INCOMING,
            link=link,
            jsonld=jsonld,
            memento=memento,
            # A resource the current data no longer holds has no current page to link to
            # (the link would be a 404): a past state then says it is gone instead.
            current_exists=memento is None or bool(described(store(), iri)),
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
    has_past: bool = False,
) -> Response:
    """Headers for one representation: type, validators, Content-Location, alternates.

    ``path`` is where this representation answers (a memento's own path); ``original``,
    for a memento, the resource's path (the Memento headers are the caller's).
    ``has_past``: a release holds a state of it, so its TimeGate and TimeMap are named.
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
    if original is None and has_past:  # RFC 7089: where this resource's past is
        links += ", " + urls().memento_links(path)
    resp.headers["Link"] = links
    return preconditions(finish_data(resp, tag))


def preconditions(resp: Response) -> Response:
    """``If-Match`` and ``If-Unmodified-Since`` (RFC 9110 §13.1.1, §13.1.4): 412 when the
    representation is not the one the client names (they were ignored: a client
    checking that a resource is unchanged before acting on it was always told yes).

    ``If-Match`` compares strongly with this answer's ETag (the gzip variant has its
    own); ``If-Unmodified-Since`` counts only without ``If-Match``, as §13.2.2 says.
    """
    if resp.status_code != 200:
        return resp
    etag, weak = resp.get_etag()
    if "If-Match" in request.headers:
        wanted = request.if_match
        held = etag is not None and not weak
        if not (held and (wanted.star_tag or wanted.contains(etag or ""))):
            return error_response(
                PreconditionFailed(f"If-Match: the current representation has ETag {etag!r}.")
            )
    elif request.if_unmodified_since is not None and resp.last_modified is not None:
        if resp.last_modified > request.if_unmodified_since:
            return error_response(
                PreconditionFailed("If-Unmodified-Since: the resource changed after that date.")
            )
    return resp
