"""Releases and time travel: frozen files, Memento (RFC 7089) and each release's endpoint.

- ``/releases/<v>/…``: the files ``charta release`` froze (dumps, SHA256SUMS,
  the change as RDF Patch and TriG, ``release.ttl``), immutable.
- ``/version/<v>/id/…``: a resource's state in release ``v`` (a Memento), in
  every format, with ``Memento-Datetime`` and the ``Link`` relations
  ``original``, ``timegate``, ``timemap`` and ``memento``.
- ``/timegate/id/…``: redirects to the state at ``Accept-Datetime`` (the
  latest one without it); ``/timemap/id/…`` lists every state
  (``application/link-format``).
- ``/version/<v>/sparql``: SPARQL with the release's state as the default graph.

A release's state is read from its graph in the same store (``GraphView``), so
past pages and answers are made by the same code as current ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import Blueprint, Response, abort, request, send_file
from werkzeug.http import http_date
from werkzeug.security import safe_join

from server.i18n import N_, translations
from server.pages.releases import ReleaseInfo
from server.pipeline.releases import RELEASES_DIR
from server.rdf.formats import BY_SUFFIX
from server.rdf.labels import date_text
from server.sparql import StoreError
from server.sparql.graph_view import GraphView
from server.web.negotiation import best_match, byte_ranges, choose_format, choose_lang, finish
from server.web.state import (
    answer_cache,
    data_version,
    find_release,
    profile,
    releases,
    store,
    urls,
)
from server.web.state import config as cfg
from server.web.views.representation import (
    MAX_PATH,
    described,
    format_asked,
    mementos,
    render,
    respond,
    timemap_page,
)

bp = Blueprint("releases", __name__)

#: A release never changes: its files may be cached for a year (RFC 8246).
IMMUTABLE_S = 365 * 24 * 3600
#: Release files up to this size are read whole (and gzipped like dumps); larger ones stream.
IN_MEMORY_BYTES = 16 * 2**20
#: Media types of a release's files beyond the RDF formats' own.
OTHER_FILE_TYPES = {
    ".gz": "application/gzip",
    ".trig": "application/trig",
    ".rdfp": "application/rdf-patch",
}
LINK_FORMAT = "application/link-format"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


def release(version: str) -> ReleaseInfo:
    """The release named ``version``, or 404 naming the ones there are."""
    found = find_release(version)
    if found is not None:
        return found
    there = ", ".join(r.version for r in releases()) or "none yet"
    abort(404, f"No release {version!r}; releases: {there}.")


def file_type(suffix: str) -> str | None:
    """The media type a release file is served with, by its suffix (``.ttl``)."""
    fmt = BY_SUFFIX.get(suffix.removeprefix("."))
    return fmt.media_type if fmt else OTHER_FILE_TYPES.get(suffix)


def _resource_path(rest: str) -> str:
    if len(rest) > MAX_PATH:
        abort(400, f"Path longer than {MAX_PATH} characters.")
    return "id/" + rest


# -- frozen files ---------------------------------------------------------------------------


@bp.route("/releases/<version>/<path:name>")
def release_file(version: str, name: str) -> Response:
    """One file of a release, byte for byte as ``charta release`` wrote it."""
    r = release(version)
    folder = Path(cfg().root) / RELEASES_DIR / version
    found = safe_join(str(folder), name)
    if found is None or not Path(found).is_file():
        listing = (
            sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
            if folder.is_dir()
            else []
        )
        abort(404, f"Release {version} has no file {name!r}; it has: {', '.join(listing)}.")
    path = Path(found)
    media = "text/plain" if path.name == "SHA256SUMS" else file_type(path.suffix)
    if media is None:
        abort(404, f"Release {version} has no file {name!r}.")
    stat = path.stat()
    if stat.st_size <= IN_MEMORY_BYTES:  # read whole: no file left open by a client that leaves
        resp = Response(path.read_bytes(), mimetype=media)
    else:  # streamed, never held in memory
        resp = send_file(path, mimetype=media, conditional=False, etag=False)
    resp.headers["Content-Disposition"] = f'attachment; filename="{path.name}"'
    tag = hashlib.sha256(f"{version}\0{name}\0{stat.st_size}".encode()).hexdigest()[:20]
    resp = finish(resp, request, tag, r.issued_at, IMMUTABLE_S)
    resp.headers["Cache-Control"] = f"public, max-age={IMMUTABLE_S}, immutable"
    if "Content-Encoding" not in resp.headers:
        resp = byte_ranges(resp, request, stat.st_size)
    return resp


# -- Memento ---------------------------------------------------------------------------------


@bp.route("/version/<version>/id/<path:rest>")
def memento(version: str, rest: str) -> Response:
    """The resource's state in a release, in the format asked for (RFC 7089 URI-M)."""
    r = release(version)
    path, suffix = urls().split_suffix(_resource_path(rest))
    iri = urls().iri(path)
    fmt = format_asked(suffix)
    lang = choose_lang()
    here = urls().memento(version, path).lstrip("/")
    key = ("memento", data_version()[0], version, path, getattr(fmt, "name", fmt), lang)
    cached = answer_cache().get(key) if fmt is not None else None
    if cached is not None:
        body, neighbours = cached[0], str(cached[1])
    else:
        view = GraphView(store(), r.iri)
        try:
            triples = described(view, iri, past=True)
        except ValueError as exc:
            abort(400, str(exc))
        if not triples:
            abort(404, f"Release {version} says nothing about <{iri}>; see {urls().timemap(path)}.")
        if fmt is None:
            fmt = choose_format(suffix)  # raises the 406 again
        body = render(iri, path, triples, fmt, lang, st=view, memento=r)
        neighbours = _neighbours(path, r)
        answer_cache().put(key, (body, neighbours))
    assert fmt is not None
    resp = respond(here, fmt, suffix, body, lang, original=path)
    if resp.status_code == 412:  # a precondition failed: no representation, no links
        return resp
    resp.headers["Memento-Datetime"] = http_date(r.issued_at)
    u = urls()
    resp.headers["Link"] = ", ".join(
        (
            resp.headers["Link"],
            f'<{u.here(path)}>; rel="original"',
            u.memento_links(path),
            neighbours,
        )
    )
    return resp


def _neighbours(path: str, r: ReleaseInfo, found: list[ReleaseInfo] | None = None) -> str:
    """``Link`` values for this memento and its first, last, previous and next (RFC 7089
    §2.2.1.4), so a client walks the states without fetching the TimeMap."""
    found = found if found is not None else mementos(path)
    at = next(n for n, m in enumerate(found) if m.version == r.version)
    rels: dict[int, list[str]] = {}
    for n, name in ((0, "first"), (len(found) - 1, "last"), (at - 1, "prev"), (at + 1, "next")):
        if 0 <= n < len(found):
            rels.setdefault(n, []).append(name)
    rels.setdefault(at, []).append("")
    u = urls()
    out = []
    for n in sorted(rels):
        names = " ".join(x for x in rels[n] if x)
        rel = f"{names} memento" if names else "memento"
        m = found[n]
        out.append(
            f'<{u.here(u.memento(m.version, path))}>; rel="{rel}"; '
            f'datetime="{http_date(m.issued_at)}"'
        )
    return ", ".join(out)


@bp.route("/timegate/id/<path:rest>")
def timegate(rest: str) -> Response:
    """302 to the state at ``Accept-Datetime`` (the last one before it; the latest if absent)."""
    path = _resource_path(rest)
    u = urls()
    links = (
        f'<{u.here(path)}>; rel="original", '
        f'<{u.here(u.timemap(path))}>; rel="timemap"; type="{LINK_FORMAT}"'
    )
    asked = request.headers.get("Accept-Datetime")
    wanted: datetime | None = None
    if asked is not None:
        try:
            wanted = parsedate_to_datetime(asked)
        except (TypeError, ValueError):
            wanted = None
        if wanted is None or wanted.tzinfo is None:
            _error(
                400,
                "Accept-Datetime is not an HTTP date (RFC 7089 §2.1.1), for example "
                f"'Tue, 01 Dec 2026 12:00:00 GMT'; got {asked!r}.",
                links,
            )
    found = mementos(path)
    if not found:
        _error(404, f"No release holds a state of /{path}.", links)
    chosen = found[-1]
    if wanted is not None:
        before = [r for r in found if r.issued_at <= wanted]
        chosen = before[-1] if before else found[0]  # before the first release: the first
    resp = Response(status=302)
    resp.headers["Location"] = u.here(u.memento(chosen.version, path))
    resp.headers["Vary"] = "Accept-Datetime"
    resp.headers["Link"] = f"{links}, {_neighbours(path, chosen, found)}"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def _error(status: int, message: str, links: str) -> None:
    resp = Response(message + "\n", status=status, mimetype="text/plain")
    resp.headers["Link"] = links
    resp.headers["Vary"] = "Accept-Datetime"
    abort(resp)


@bp.route("/timemap/id/<path:rest>")
def timemap(rest: str) -> Response:
    """Every state of the resource across releases, as RFC 6690 link format (RFC 7089 §5)."""
    path = _resource_path(rest)
    found = mementos(path)
    if not found:
        abort(404, f"No release holds a state of /{path}.")
    if best_match(request.headers.get("Accept", ""), (LINK_FORMAT, "text/html")) == "text/html":
        resp = timemap_page(urls().iri(path), path, found)  # a browser: a page to read
        resp.vary.add("Accept")
        tag = f"timemap-html-{choose_lang()}-{len(found)}"
        return finish(resp, request, tag, data_version()[1], cfg().cache_max_age_s)
    u = urls()
    dates = [http_date(r.issued_at) for r in found]
    lines = [
        f'<{u.here(path)}>;rel="original"',
        f'<{u.here(u.timemap(path))}>;rel="self";type="{LINK_FORMAT}"'
        f';from="{dates[0]}";until="{dates[-1]}"',
        f'<{u.here(u.timegate(path))}>;rel="timegate"',
    ]
    for n, (r, when) in enumerate(zip(found, dates, strict=True)):
        rel = " ".join(w for w, on in (("first", n == 0), ("last", n == len(found) - 1)) if on)
        rel = f"{rel} memento" if rel else "memento"
        lines.append(f'<{u.here(u.memento(r.version, path))}>;rel="{rel}";datetime="{when}"')
    resp = Response(",\n".join(lines) + "\n", mimetype=LINK_FORMAT)
    resp.vary.add("Accept")  # browsers get the page (timemap_page)
    tag = hashlib.sha256("".join(lines).encode()).hexdigest()[:20]
    return finish(resp, request, tag, data_version()[1], cfg().cache_max_age_s)


# -- what every page shows: the citation, and the way to a resource's past -----------------

RELEASE = N_("release %(version)s")
AS_OF = N_("as of %(date)s")


@dataclass(frozen=True)
class Citation:
    text: str
    iri: str


def citation(memento: ReleaseInfo | None, lang: str) -> Citation:
    """How to cite what a page shows: its release (a memento's, else the latest), or,
    before the first release, the data as of its last change."""
    t = translations(lang).gettext
    site = profile().site
    series = urls().iri(site.series)
    publisher, title = t(site.publisher_name), t(site.title)
    try:
        found = releases()
        modified = data_version()[1]
    except StoreError:  # an error page while the store is down still renders
        return Citation(f"{publisher}: {title}.", series)
    r = memento or (found[-1] if found else None)
    if r is not None:
        date = date_text(r.issued[:10], XSD_DATE, lang)
        version = t(RELEASE) % {"version": r.version}
        return Citation(f"{publisher} ({r.issued[:4]}): {title}, {version}, {date}.", r.iri)
    date = date_text(modified.date().isoformat(), XSD_DATE, lang)
    as_of = t(AS_OF) % {"date": date}
    return Citation(f"{publisher} ({modified.year}): {title}, {as_of}.", series)


@bp.app_context_processor
def page_helpers() -> dict[str, object]:
    return {
        "citation": citation,
        "timemap_path": lambda iri: urls().timemap(urls().local(iri)),
        "series_path": profile().site.series,
    }


@bp.app_template_filter("local_path")
def local_path(iri: str) -> str:
    """An IRI of ours as a path without the leading slash (``id/charta``)."""
    return urls().local(iri).lstrip("/")
