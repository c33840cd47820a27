"""Content negotiation, language choice and conditional GET shared by all views."""

from __future__ import annotations

import gzip
from functools import lru_cache

from flask import Request, Response, abort, g, request
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import (
    http_date,
    parse_accept_header,
    parse_date,
    parse_range_header,
    quote_etag,
    unquote_etag,
)

from server.i18n import DEFAULT_LANG, LANGS
from server.rdf.formats import (
    BY_ACCEPTED,
    BY_MEDIA_TYPE,
    BY_NAME,
    HTML,
    RDF_FORMATS,
    RdfFormat,
    offered,
)
from server.web import state

#: Most entries and bytes of an ``Accept``, ``Accept-Language`` or ``Accept-Encoding``
#: header that are read; the rest is cut at a whole entry (:func:`bound_accept_headers`).
#: Browsers send under 10 entries and 200 bytes, Comunica 16 entries and 400 bytes;
#: Werkzeug's parser took 0.2 s for a 400 KB header (and the 406 path parsed it twice).
MAX_ACCEPT_ENTRIES = 32
MAX_ACCEPT_BYTES = 2048

_NEGOTIATED = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_ACCEPT_ENCODING")


def bound_accept_headers(environ: dict[str, object]) -> None:
    """Cut the negotiation headers of a WSGI request to :data:`MAX_ACCEPT_ENTRIES`
    entries and :data:`MAX_ACCEPT_BYTES` bytes, in place, before anything reads them,
    so every parser (ours, Werkzeug's ``request.accept_mimetypes``, the lean path's
    key) sees the same bounded value. An entry is never split unless the first one
    alone is too long; what is cut only ever names less preferred types in practice."""
    for name in _NEGOTIATED:
        value = environ.get(name)
        if isinstance(value, str):
            environ[name] = cut_accept(value)


def cut_accept(value: str) -> str:
    """``value`` with at most :data:`MAX_ACCEPT_ENTRIES` whole entries in at most
    :data:`MAX_ACCEPT_BYTES` bytes (``value`` itself when it is within both)."""
    if len(value) <= MAX_ACCEPT_BYTES and value.count(",") < MAX_ACCEPT_ENTRIES:
        return value
    head = value[:MAX_ACCEPT_BYTES]
    if len(value) > MAX_ACCEPT_BYTES and value[MAX_ACCEPT_BYTES : MAX_ACCEPT_BYTES + 1] != ",":
        comma = head.rfind(",")
        head = head[:comma] if comma > 0 else head
    return ",".join(head.split(",", MAX_ACCEPT_ENTRIES)[:MAX_ACCEPT_ENTRIES])


def choose_format(suffix: str | None) -> RdfFormat | str:
    """Suffix or ``?format=`` first, then Accept (q-values honoured); 406 if nothing fits."""
    name = suffix or request.args.get("format")
    if name:
        if name == "html":
            return HTML
        fmt = BY_NAME.get(name)
        if fmt is None:
            abort(400, f"Unknown format {name!r}. Known: html, " + ", ".join(sorted(BY_NAME)))
        return fmt
    best = _best_offered(request.headers.get("Accept", ""))
    if best is None:
        offered = ", ".join((HTML, *(f.media_type for f in RDF_FORMATS)))
        abort(406, "None of the offered media types is acceptable: " + offered)
    return HTML if best == HTML else BY_ACCEPTED[best]


@lru_cache(maxsize=1024)
def best_match(accept: str, offer: tuple[str, ...]) -> str | None:
    """Werkzeug's q-value negotiation, remembered per Accept header and offer.

    Clients send a handful of distinct headers, and parsing one cost a fifth of
    a cached page's time (a quarter of a cached /sparql answer's); the cache is
    bounded, so odd headers cannot grow it. No header means the first offer.
    The header is parsed once (:func:`parsed_accept`) for every offer it is
    matched against, and cut (:func:`cut_accept`) if the request did not pass
    :func:`bound_accept_headers`.
    """
    parsed = parsed_accept(accept)
    return parsed.best_match(offer) if parsed else offer[0]


@lru_cache(maxsize=256)
def parsed_accept(accept: str) -> MIMEAccept:
    """An Accept header parsed, at most :data:`MAX_ACCEPT_ENTRIES` entries of it."""
    return parse_accept_header(cut_accept(accept), MIMEAccept)


def _best_offered(accept: str) -> str | None:
    return best_match(accept, offered())


@lru_cache(maxsize=512)
def _best_lang(accept_language: str) -> str:
    parsed = parse_accept_header(cut_accept(accept_language), LanguageAccept)
    return parsed.best_match(LANGS, default=DEFAULT_LANG) or DEFAULT_LANG


@lru_cache(maxsize=64)
def _http_date(modified: object) -> str:
    return http_date(modified)  # type: ignore[arg-type]


def choose_lang() -> str:
    """``?lang=`` (remembered in a cookie), else the cookie, else Accept-Language, else German.

    Whatever calls this answers in a language the cookie or Accept-Language
    may have chosen, so the answer says ``Vary: Accept-Language, Cookie``
    (:func:`vary_on_language`, on every answer, error pages and 304s included):
    a shared cache must not hand one reader's English page to another.
    """
    g.charta_lang_negotiated = True
    return lang_asked(
        request.args.get("lang"),
        request.cookies.get("lang"),
        request.headers.get("Accept-Language", ""),
    )


def lang_asked(asked: str | None, cookie: str | None, accept_language: str) -> str:
    """The language :func:`choose_lang` picks from ``?lang=``, the ``lang`` cookie and
    Accept-Language: one function, so the lean path (server/web/lean.py) keys an
    answer by the very language the app answers in."""
    if asked in LANGS:
        return asked
    if cookie in LANGS:
        return cookie
    return _best_lang(accept_language)


def vary_on_language(resp: Response) -> Response:
    """``Vary: Accept-Language, Cookie`` on an answer whose language :func:`choose_lang` chose.

    An ``after_request`` hook rather than a line in each view, so no page that
    negotiates its language can forget it (the SPARQL editor and
    ``/search.json`` did). An RDF answer holds every language whatever was
    chosen (views ask before they know the format), so it does not vary.
    """
    if g.get("charta_lang_negotiated") and resp.mimetype not in BY_MEDIA_TYPE:
        resp.vary.update(("Accept-Language", "Cookie"))
    return resp


@lru_cache(maxsize=256)
def gzip_wanted(accept_encoding: str | None) -> bool:
    """Whether to gzip for this ``Accept-Encoding`` (RFC 9110 §12.5.3), q-values honoured.

    - No header or an empty one: identity (no header allows anything, but we
      need not compress).
    - ``gzip`` (or ``x-gzip``, its alias) with q > 0, or ``*`` with q > 0 when
      gzip is not named: gzip, unless identity is named (itself or through
      ``*``) with a higher q.
    - ``gzip;q=0``, or ``*;q=0`` without gzip named: never gzip.
    - Nothing acceptable (``identity;q=0`` beside ``gzip;q=0``, or ``*;q=0``):
      identity anyway, not 406. RFC 9110 says the server SHOULD then send no
      content coding; RFC 7231 moved away from 406 on purpose, as no client
      relies on it (httpwg/http-core#980), and nginx, Caddy and Go's handlers
      all answer uncompressed. A 406 would only break clients.

    Parsed with Werkzeug's ``parse_accept_header``; remembered per header value
    (bounded), as clients send few distinct ones.
    """
    if not accept_encoding:
        return False
    named: dict[str, float] = {}
    for value, quality in parse_accept_header(cut_accept(accept_encoding)):
        coding = "gzip" if value.lower() == "x-gzip" else value.lower()
        named.setdefault(coding, quality)  # sorted by q: a repeated coding's highest
    star = named.get("*")
    q_gzip = named.get("gzip", star if star is not None else 0.0)
    q_identity = named.get("identity", star if star is not None else 0.0)
    return q_gzip > 0 and q_gzip >= q_identity


def finish_data(resp: Response, tag: str) -> Response:
    """:func:`finish` for an answer the data version fixes: ETag ``{version}-{tag}``,
    Last-Modified the data's, the configured max-age."""
    version, modified = state.data_version()
    return finish(resp, request, f"{version}-{tag}", modified, state.config().cache_max_age_s)


def finish(resp: Response, req: Request, etag: str, modified: object, max_age: int) -> Response:
    """Validators, caching, Vary and gzip; answers 304 when the client is up to date.

    The gzipped body is another representation, so it gets its own strong ETag
    (``"<etag>-gzip"``), and ``If-None-Match`` is compared with the ETag of the
    body this request would get.
    """
    headers = resp.headers
    compress = _compressible(resp, req)
    headers["ETag"] = quote_etag(f"{etag}-gzip" if compress else etag)
    headers["Last-Modified"] = _http_date(modified)
    headers["Cache-Control"] = f"public, max-age={max_age}"
    if "Vary" in headers:
        resp.vary.add("Accept")
        resp.vary.add("Accept-Encoding")
    else:  # the usual case, without parsing a header set
        headers["Vary"] = "Accept, Accept-Encoding"
    asked = req.args.get("lang")
    if asked in LANGS:
        resp.set_cookie("lang", asked, max_age=365 * 24 * 3600, samesite="Lax")
    if "If-None-Match" in req.headers or "If-Modified-Since" in req.headers:
        resp.make_conditional(req)  # Werkzeug's rules; skipped when there is nothing to compare
    if compress and resp.status_code == 200:
        resp.set_data(gzip.compress(resp.get_data(), mtime=0))
        headers["Content-Encoding"] = "gzip"
    return resp


#: Bodies at most this long go uncompressed: gzip's header and a round of
#: CPU would cost more than the bytes saved.
MIN_COMPRESSED = 1024


def _compressible(resp: Response, req: Request) -> bool:
    return (
        resp.status_code == 200
        and resp.content_length is not None
        and resp.content_length > MIN_COMPRESSED
        and not resp.direct_passthrough
        and "Content-Encoding" not in resp.headers
        and resp.mimetype != "application/gzip"  # the .nt.gz dump: gzip again gains nothing
        and gzip_wanted(req.headers.get("Accept-Encoding"))
    )


def finish_unfinished(resp: Response) -> Response:
    """Compression, and for GET an ETag from the bytes, on any answer no view finished.

    Views that know their data version call :func:`finish`, whose ETag costs
    no hashing. The rest (the SPARQL editor, POSTed query answers) pass through
    here as an ``after_request`` hook: a GET gets Werkzeug's ETag of the body
    (a hash, so every worker sends the same) and 304 on ``If-None-Match``;
    every body over 1 KiB is gzipped when ``Accept-Encoding`` allows it, the
    gzipped one with its own ETag. Streamed files (``direct_passthrough``) and
    answers that already chose an encoding pass unchanged.
    """
    if resp.status_code != 200 or resp.direct_passthrough or not resp.is_sequence:
        return resp
    if "ETag" in resp.headers or "Content-Encoding" in resp.headers:
        return resp
    req = request
    get = req.method in ("GET", "HEAD")
    compress = _compressible(resp, req)
    if resp.content_length is not None and resp.content_length > MIN_COMPRESSED:
        resp.vary.add("Accept-Encoding")
    if get:
        resp.add_etag()  # SHA-1 of the body, strong
        if compress:
            tag, _ = resp.get_etag()
            resp.set_etag(f"{tag}-gzip")
        if "If-None-Match" in req.headers:
            resp.make_conditional(req)
    if compress and resp.status_code == 200:
        resp.set_data(gzip.compress(resp.get_data(), mtime=0))
        resp.headers["Content-Encoding"] = "gzip"
    return resp


def byte_ranges(resp: Response, req: Request, length: int) -> Response:
    """Serve one byte range of a finished 200 answer (RFC 9110 §14), with ``Accept-Ranges``.

    Call after :func:`finish`, on an uncompressed body of ``length`` bytes
    whose ``ETag`` and ``Last-Modified`` are set.

    - One ``bytes`` range that is satisfiable: 206 with ``Content-Range``; a
      suffix longer than the body means the whole body (§14.1.2); a last
      position past the end is cut to it.
    - One ``bytes`` range that starts at or past the end: 416.
    - Several ranges, another unit, or a header that does not parse: ignored,
      200 with the whole body (§14.2: a server MAY ignore Range or an invalid
      one, and MUST ignore a unit it does not know; 416 is only for a range
      that is valid but unsatisfiable, §15.5.17). A resuming download asks for
      one range; serving several as multipart/byteranges would only add a way
      to make us send the same bytes many times. ``bytes=-0`` (syntactically valid but
      unsatisfiable) is ignored the same way: Werkzeug's parser does not
      accept it, and ignoring Range is always allowed.
    - ``If-Range`` (§13.1.5): the range is served only if it names this
      representation's strong ETag (a weak one never matches) or exactly its
      ``Last-Modified``; otherwise the whole body, 200.
    """
    resp.accept_ranges = "bytes"
    value = req.headers.get("Range")
    if value is None or resp.status_code != 200 or req.method not in ("GET", "HEAD"):
        return resp
    parsed = parse_range_header(value)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return resp
    if not _if_range_holds(req.headers.get("If-Range"), resp):
        return resp
    start, stop = parsed.ranges[0]
    if start < 0:  # a suffix: the last -start bytes, all of them if the body is shorter
        start, stop = max(0, length + start), None
    spec = f"bytes={start}-" if stop is None else f"bytes={start}-{stop - 1}"
    # Werkzeug builds the 206 (streaming a file without reading it) or raises
    # 416; it gets the decided range and no If-Range to judge again.
    environ = {k: v for k, v in req.environ.items() if k != "HTTP_IF_RANGE"}
    environ["HTTP_RANGE"] = spec
    resp.make_conditional(environ, accept_ranges=True, complete_length=length)
    return resp


def _if_range_holds(value: str | None, resp: Response) -> bool:
    if value is None:
        return True
    date = parse_date(value)
    if date is not None:
        modified = parse_date(resp.headers.get("Last-Modified"))
        return modified is not None and date == modified
    tag, weak = unquote_etag(value)
    ours = resp.headers.get("ETag")
    return bool(tag) and not weak and ours is not None and unquote_etag(ours) == (tag, False)
