"""Content negotiation, language choice and conditional GET shared by all views."""

from __future__ import annotations

import gzip

from flask import Request, Response, abort, request

from server.formats import BY_MEDIA_TYPE, BY_NAME, HTML, OFFERED, RdfFormat

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
    best = request.accept_mimetypes.best_match(OFFERED) if request.accept_mimetypes else OFFERED[0]
    if best is None:
        abort(406, "None of the offered media types is acceptable: " + ", ".join(OFFERED))
    return HTML if best == HTML else BY_MEDIA_TYPE[best]


def choose_lang() -> str:
    """``?lang=`` (remembered in a cookie), else the cookie, else Accept-Language, else German."""
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get("lang")
    if cookie in LANGS:
        return cookie
    return request.accept_languages.best_match(LANGS, default="de") or "de"


def finish(resp: Response, req: Request, etag: str, modified: object, max_age: int) -> Response:
    """Validators, caching, Vary and gzip; answers 304 when the client is up to date."""
    resp.set_etag(etag)
    resp.last_modified = modified  # type: ignore[assignment]
    resp.headers["Cache-Control"] = f"public, max-age={max_age}"
    resp.vary.add("Accept")
    resp.vary.add("Accept-Encoding")
    asked = req.args.get("lang")
    if asked in LANGS:
        resp.set_cookie("lang", asked, max_age=365 * 24 * 3600, samesite="Lax")
    resp.make_conditional(req)
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
