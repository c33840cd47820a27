"""Headers that harden every answer in a browser, whatever view produced it.

Literals are escaped in every template; these are the second line: a browser
must not guess a type (``nosniff``), pages run only our own scripts (no inline
script, no other origin: the SPARQL editor and search are files under
/static/), forms post only here, and other sites learn at most our origin from
links. Inline styles stay allowed: YASGUI sets style attributes. Pages may be
framed (councils embed them), so there is no frame-ancestors rule.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)


def harden(resp: Response) -> Response:
    headers = resp.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if resp.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return resp


def init_app(app: Flask) -> None:
    app.after_request(harden)
