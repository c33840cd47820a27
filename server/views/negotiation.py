"""Content negotiation, language choice and conditional GET shared by all views."""

from __future__ import annotations

import gzip
from functools import lru_cache

from flask import Request, Response, abort, request
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import http_date, parse_accept_header, quote_etag

from server.formats import BY_ACCEPTED, BY_NAME, HTML, OFFERED, RDF_FORMATS, RdfFormat

LANGS = ("de", "en")


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
    """
    parsed = parse_accept_header(accept, MIMEAccept)
    return parsed.best_match(offer) if parsed else offer[0]


def _best_offered(accept: str) -> str | None:
    return best_match(accept, OFFERED)


@lru_cache(maxsize=512)
def _best_lang(accept_language: str) -> str:
    parsed = parse_accept_header(accept_language, LanguageAccept)
    return parsed.best_match(LANGS, default="de") or "de"


@lru_cache(maxsize=64)
def _http_date(modified: object) -> str:
    return http_date(modified)  # type: ignore[arg-type]


def choose_lang() -> str:
    """``?lang=`` (remembered in a cookie), else the cookie, else Accept-Language, else German."""
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get("lang")
    if cookie in LANGS:
        return cookie
    return _best_lang(request.headers.get("Accept-Language", ""))


def finish(resp: Response, req: Request, etag: str, modified: object, max_age: int) -> Response:
    """Validators, caching, Vary and gzip; answers 304 when the client is up to date."""
    headers = resp.headers
    headers["ETag"] = quote_etag(etag)
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
    if (
        resp.status_code == 200
        and "gzip" in req.headers.get("Accept-Encoding", "")
        and resp.content_length is not None
        and resp.content_length > 1024
        and not resp.direct_passthrough
    ):
        data = gzip.compress(resp.get_data(), mtime=0)
        resp.set_data(data)
        resp.headers["Content-Encoding"] = "gzip"
    return resp
