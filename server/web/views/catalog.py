"""What harvesters fetch: dumps, VoID, sitemap and robots.txt (the catalog itself is a resource)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request, send_file

from server.pipeline.build import Build, sums_text
from server.web.negotiation import byte_ranges, choose_format, finish, finish_data
from server.web.state import config as cfg
from server.web.state import data_version, profile, site, store, urls
from server.web.views.representation import described, represent

bp = Blueprint("catalog", __name__)


def site_build() -> Build:
    return site().build


@bp.route("/dumps/<filename>")
def dump(filename: str) -> Response:
    build = site_build()
    if filename == "SHA256SUMS":
        body = sums_text((d.filename, d.sha256) for d in build.dumps.values())
        resp = Response(body, mimetype="text/plain")
        return finish_data(resp, "sums")
    found = build.dumps.get(filename)
    if found is None:
        abort(404, f"No dump {filename!r}; the catalog at /id/katalog lists them.")
    if found.path is not None:  # streamed from the build folder, never held in memory
        resp = send_file(found.path, mimetype=found.media_type, conditional=False, etag=False)
    else:
        resp = Response(found.data, mimetype=found.media_type)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp = finish(resp, request, found.sha256, data_version()[1], cfg().cache_max_age_s)
    if "Content-Encoding" not in resp.headers:
        # Byte ranges (206, If-Range) so an interrupted download of a large dump resumes.
        resp = byte_ranges(resp, request, found.size)
    return resp


@bp.route("/.well-known/void")
@bp.route("/.well-known/void.<ext>")
def void(ext: str | None = None) -> Response:
    """The dataset's VoID (and DCAT) description, in any RDF format."""
    iri = urls().iri(profile().site.series)
    triples = described(store(), iri)
    if not triples:
        abort(404, "No dataset is described.")
    return represent(iri, urls().local(iri).lstrip("/"), triples, choose_format(ext), ext)


def _site_file(body: bytes, mimetype: str, name: str) -> Response:
    """A file of the build, validated by the data version like every answer."""
    resp = Response(body, mimetype=mimetype)
    return finish_data(resp, name)


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    return _site_file(site_build().sitemap, "application/xml", "sitemap")


@bp.route("/sitemap-<int:number>.xml")
def sitemap_part(number: int) -> Response:
    """A part of the sitemap index (only when the data has more than 50,000 pages)."""
    parts = site_build().sitemap_parts
    if not 1 <= number <= len(parts):
        abort(404, f"No sitemap part {number}; /sitemap.xml lists them.")
    return _site_file(parts[number - 1], "application/xml", f"sitemap-{number}")


@bp.route("/robots.txt")
def robots() -> Response:
    return _site_file(site_build().robots, "text/plain", "robots")
