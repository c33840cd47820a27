"""The SPARQL 1.1 Protocol endpoint: read-only, time-limited, row-capped, no outbound requests.

Untrusted queries never run in the web process: the store runs them where it
can stop them (worker processes for the embedded store, the server's own
limits for a remote one).
"""

from __future__ import annotations

import hashlib
import re
from typing import cast

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, render_template, request
from werkzeug.exceptions import (
    HTTPException,
    RequestEntityTooLarge,
    ServiceUnavailable,
    TooManyRequests,
)

from server.config import Config
from server.i18n import translations
from server.pages.releases import ReleaseInfo
from server.rdf.formats import ALIASES as RDF_ALIASES
from server.rdf.formats import BY_ACCEPTED as RDF_BY_ACCEPTED
from server.rdf.formats import BY_NAME as RDF_BY_NAME
from server.rdf.formats import HTML, RDF_FORMATS, TURTLE
from server.rdf.namespaces import FORMATS, SD, VOID, all_prefixes
from server.rdf.serialize import serialize
from server.sparql import QueryAnswer, QueryJob, QueryRefusedError, Store, StoreError, results
from server.sparql.graph_view import GraphView
from server.sparql.policy import check
from server.web.admission import AdmissionRefusedError
from server.web.errors import sparql_error
from server.web.negotiation import best_match, choose_lang, finish, finish_data
from server.web.state import (
    admission,
    answer_cache,
    data_version,
    find_release,
    profile,
    releases,
    store,
    urls,
)
from server.web.state import config as cfg

bp = Blueprint("sparql", __name__)

RESULT_TYPES = {f.media_type: f for f in results.RESULTS_FORMATS} | {
    "application/json": results.JSON,
    "application/xml": results.XML,
    "text/xml": results.XML,
    "text/plain": results.TSV,
}
#: For ``*/*`` the first wins: JSON for results, Turtle for graphs.
RESULT_OFFER = (results.JSON.media_type, *list(RESULT_TYPES)[1:], HTML)


def graph_offer() -> tuple[str, ...]:
    """What a CONSTRUCT or DESCRIBE answer is offered in: every RDF format, then HTML."""
    return (*(f.media_type for f in RDF_FORMATS), *RDF_ALIASES, HTML)


CORS_EXPOSED = "X-Charta-Truncated, X-Charta-Rows, Warning, Content-Type, ETag"


#: An absolute IRI as SPARQL accepts one in a dataset: a scheme, then no character
#: that IRIREF excludes.
_ABSOLUTE_IRI = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*:[^<>"{}|^`\\\x00-\x20]*')


def endpoint_url() -> str:
    """The endpoint's public address: the configured public URL, else the namespace.

    Never the request's ``Host``: the description is cached publicly, and a
    forged Host header must not put another address into it.
    """
    return urls().endpoint


@bp.after_request
def cors(resp: Response) -> Response:
    """Any origin may query: the endpoint is public, read-only and sends no credentials."""
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
    return resp


@bp.route("/sparql", methods=["OPTIONS"])
def preflight() -> Response:
    resp = Response(status=204)
    resp.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
    resp.headers["Access-Control-Max-Age"] = "86400"
    resp.headers["Allow"] = "GET, POST, OPTIONS, HEAD"
    return resp


def _request_text() -> tuple[str | None, list[str], list[str]]:
    """Query text and dataset IRIs from GET, form POST or direct POST; refuses updates."""
    if request.method in ("GET", "HEAD"):  # Flask answers HEAD with the GET view
        if "update" in request.args:
            abort(403, "This endpoint is read-only: SPARQL Update is refused and changes nothing.")
        return (
            request.args.get("query"),
            request.args.getlist("default-graph-uri"),
            request.args.getlist("named-graph-uri"),
        )
    ctype = request.mimetype
    if ctype == "application/x-www-form-urlencoded":
        try:
            form = request.form
        except RequestEntityTooLarge:
            abort(
                413,
                f"The form body is longer than {current_app.config['MAX_CONTENT_LENGTH']} bytes; "
                f"a query may be at most {cfg().max_query_bytes} bytes.",
            )
        if "update" in form:
            abort(403, "This endpoint is read-only: SPARQL Update is refused and changes nothing.")
        return (
            form.get("query"),
            form.getlist("default-graph-uri") or request.args.getlist("default-graph-uri"),
            form.getlist("named-graph-uri") or request.args.getlist("named-graph-uri"),
        )
    if ctype == "application/sparql-query":
        raw = request.get_data(cache=False)
        try:
            text = raw.decode(request.mimetype_params.get("charset", "utf-8"))
        except (UnicodeDecodeError, LookupError):
            abort(400, "The query body is not valid UTF-8.")
        return (
            text,
            request.args.getlist("default-graph-uri"),
            request.args.getlist("named-graph-uri"),
        )
    if ctype == "application/sparql-update":
        abort(403, "This endpoint is read-only: SPARQL Update is refused and changes nothing.")
    abort(
        415,
        "POST a query as application/x-www-form-urlencoded (query=…) or as "
        f"application/sparql-query, not {ctype or 'no Content-Type'}.",
    )


def _result_format(form: str) -> tuple[str, str]:
    """(format name for the store, media type) from ?format=/?output=, else Accept; 406 if none.

    A format parameter that does not fit the query form (SPARQLWrapper sends its
    own, e.g. ``format=json`` with a CONSTRUCT) falls back to Accept, as Fuseki does.
    """
    graph = form in ("CONSTRUCT", "DESCRIBE")
    source = request.values if request.method == "POST" else request.args
    for asked in (source.get("format"), source.get("output")):
        if not asked:
            continue
        if graph and asked in RDF_BY_NAME:
            f = RDF_BY_NAME[asked]
            return f.name, f.media_type
        if not graph and asked in results.BY_NAME:
            f2 = results.BY_NAME[asked]
            return f2.name, f2.media_type
    offer = graph_offer() if graph else RESULT_OFFER
    accept = request.headers.get("Accept", "")
    best = best_match(accept, offer)
    if best is None and graph and best_match(accept, RESULT_OFFER[:-1]) is not None:
        # A client that names only result formats (rdflib's SPARQLStore with
        # returnFormat='json') gets the graph in the default RDF format, as
        # Fuseki and Virtuoso answer, rather than 406.
        best = TURTLE.media_type
    if best is None:
        exact = (o for o in offer if o != HTML and o not in (RDF_ALIASES if graph else ()))
        abort(406, f"{form} results are offered as: " + ", ".join(exact))
    if best == HTML:
        return "html", HTML
    if graph:
        f = RDF_BY_ACCEPTED[best]
        return f.name, f.media_type
    f2 = RESULT_TYPES[best]
    return f2.name, f2.media_type


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    return answer_query(store(), None)


# No automatic OPTIONS: Flask's (GET, HEAD, OPTIONS) answered the preflight for POST
# before release_preflight below was reached.
@bp.route("/version/<version>/sparql", methods=["GET", "POST"], provide_automatic_options=False)
def release_sparql(version: str) -> Response:
    """A release's own endpoint: its frozen state is the default graph of every query."""
    found = find_release(version)
    if found is None:
        abort(404, f"No release {version!r}; /id/katalog lists the releases.")
    return answer_query(GraphView(store(), found.iri), found)


@bp.route("/version/<version>/sparql", methods=["OPTIONS"])
def release_preflight(version: str) -> Response:
    return preflight()


def answer_query(st: Store, release: ReleaseInfo | None) -> Response:
    """The protocol for the current data (``release`` None) or one release's state."""
    text, default_graphs, named_graphs = _request_text()
    config = cfg()
    if text is None:
        if request.method == "POST":  # a POST is a query (or a broken body): never the description
            abort(400, "No query in the request: send query=… (form) or the query text itself.")
        return _service_description_or_editor(release)
    try:
        checked = check(
            text,
            config.max_query_bytes,
            config.max_query_depth,
            config.max_query_patterns,
            config.namespace,
        )
    except QueryRefusedError as exc:
        abort(exc.status, str(exc))
    fmt, media_type = _result_format(checked.form)
    if fmt == "html":
        return _editor(text, release)
    for name, iris in (("default-graph-uri", default_graphs), ("named-graph-uri", named_graphs)):
        for iri in iris:
            if not _ABSOLUTE_IRI.fullmatch(iri):
                abort(400, f"{name}: not an absolute IRI: {iri!r}")
    job = QueryJob(
        checked.text,  # written by the policy from the tree it checked; never the client's
        checked.form,
        fmt,
        config.max_rows,
        tuple(default_graphs),
        tuple(named_graphs),
        config.max_query_bytes,
        config.max_query_depth,
        config.max_answer_mb * 2**20,
        config.max_query_patterns,
    )
    version, modified = data_version()
    cache = answer_cache()
    graph = release.iri if release is not None else ""
    key = ("sparql", version, graph, job)
    cached = cache.get(key)
    if cached is not None:
        answer = cast(QueryAnswer, cached[1])
    else:
        answer = _run(st, job, config)
        cache.put(key, (answer.body, answer))
    resp = Response(answer.body, mimetype=media_type)
    resp.headers["X-Charta-Rows"] = str(answer.count)
    if answer.truncated:
        resp.headers["X-Charta-Truncated"] = "true"
        limit = (
            f"{config.max_answer_mb} MB (the configured answer size limit)"
            if answer.cut_by == "bytes"
            else f"{config.max_rows} rows (the configured row limit)"
        )
        resp.headers["Warning"] = f'199 charta "Result truncated to {limit}"'
    if request.method in ("GET", "HEAD"):
        digest = hashlib.sha256(
            f"{fmt}\0{text}\0{default_graphs}\0{named_graphs}\0{graph}".encode()
        )
        return finish(
            resp,
            request,
            f"{version}-q{digest.hexdigest()[:16]}",
            modified,
            config.cache_max_age_s,
        )
    resp.vary.add("Accept")
    return resp


def _run(st: Store, job: QueryJob, config: Config) -> QueryAnswer:
    """Run an admitted query; every store error becomes the HTTP status that says what happened."""
    try:
        with admission().admit(admission().client(request.environ)):
            return st.sparql(job, config.query_timeout_s)
    except AdmissionRefusedError as exc:
        raise _with_retry_after(exc.status, f"{exc}", exc.retry_after) from exc
    except StoreError as exc:
        raise sparql_error(exc) from exc


def _with_retry_after(status: int, message: str, seconds: int) -> HTTPException:
    exc: HTTPException = (
        TooManyRequests(message, retry_after=seconds)
        if status == 429
        else ServiceUnavailable(message, retry_after=seconds)
    )
    return exc


def _service_description_or_editor(release: ReleaseInfo | None) -> Response:
    offer = graph_offer()
    best = best_match(request.headers.get("Accept", ""), offer)
    if request.args.get("format") in RDF_BY_NAME:
        best = RDF_BY_NAME[request.args["format"]].media_type
    if best is None:
        exact = (o for o in offer if o not in RDF_ALIASES)
        abort(406, "The service description is offered as: " + ", ".join(exact))
    if best == HTML:
        return _editor(None, release)
    fmt = RDF_BY_ACCEPTED[best]
    endpoint = endpoint_url()
    if release is not None:
        endpoint = urls().absolute(urls().release_endpoint(release.version))
    graph = release.iri if release is not None else None
    data = serialize(service_description(endpoint, graph), fmt, all_prefixes(cfg().namespace))
    resp = Response(data, mimetype=fmt.media_type)
    return finish_data(resp, f"sd-{fmt.suffix}")


def service_description(endpoint: str, graph: str | None = None) -> list[ox.Triple]:
    """sd:Service for this endpoint: language, result formats, limits, the default dataset.

    ``graph``: a release's graph, whose triples a release's endpoint counts (it
    said the current data's 2,821 for a release of 2,684).
    """
    import pyoxigraph as ox

    triples = store().select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", graph=graph)
    count = triples[0]["n"].value if triples else "0"
    # Its title is the data service's, as the catalog states it (data/katalog.ttl).
    titled = store().select(
        "SELECT ?t WHERE {\n  #BINDINGS\n  ?s <http://www.w3.org/ns/dcat#endpointURL> ?e ;"
        " <http://purl.org/dc/terms/title> ?t }",
        bindings={"e": ox.NamedNode(urls().iri("sparql"))},
    )
    titles = " , ".join(sorted(str(r["t"]) for r in titled if isinstance(r["t"], ox.Literal)))
    names = (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        *(f.w3c for f in RDF_FORMATS),
    )
    formats = " , ".join(f"<{FORMATS}{n}>" for n in names)
    ttl = f"""
@prefix sd: <{SD}> . @prefix void: <{VOID}> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{endpoint}> a sd:Service ;
  sd:endpoint <{endpoint}> ;
  sd:supportedLanguage sd:SPARQL11Query ;
  sd:feature sd:EmptyGraphs ;
  sd:resultFormat {formats} ;
  {f"dcterms:title {titles} ;" if titles else ""}
  rdfs:comment "Read-only. Each query is stopped after {cfg().query_timeout_s:g} s; answers \
hold at most {cfg().max_rows} rows (header X-Charta-Truncated). SERVICE is refused; FROM and \
FROM NAMED name graphs of this store only, nothing is fetched."@en ;
  sd:defaultDataset [ a sd:Dataset ;
    sd:defaultGraph [ a sd:Graph ; void:triples "{count}"^^xsd:integer ] ] .
"""
    return [q.triple for q in ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE)]


def _editor(query: str | None, release: ReleaseInfo | None = None) -> Response:
    lang = choose_lang()
    examples = profile().examples
    body = render_template(
        "sparql.html",
        lang=lang,
        examples=examples,
        # Translated here, not with _() in the template: a translation from a variable
        # would be marked safe there, and these are plain text.
        titles={e.key: translations(lang).gettext(e.title) for e in examples},
        query=query,
        timeout=f"{cfg().query_timeout_s:g}",
        max_rows=cfg().max_rows,
        release=release,
        releases=releases(),
        action=urls().release_endpoint(release.version) if release else "/sparql",
    )
    resp = Response(body, mimetype="text/html")
    resp.vary.add("Accept")
    return resp
