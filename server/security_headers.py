"""Headers that harden every answer in a browser, whatever view produced it.

Literals are escaped in every template; these are the second line: a browser
must not guess a type (``nosniff``), pages run only our own scripts (no inline
script, no other origin: the SPARQL editor and search are files under
/static/), forms post only here, and other sites learn at most our origin from
links. Inline styles stay allowed: YASGUI sets style attributes. Pages may be
framed (councils embed them), so there is no frame-ancestors rule.

And caches in front must not be misled: an answer whose language the cookie
or Accept-Language chose says so in ``Vary``, and no answer carries the
``Host`` header back (a redirect's ``Location`` is made relative).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

from server.views.negotiation import vary_on_language

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


def relative_location(resp: Response) -> Response:
    """A redirect to this server names a path, not the ``Host`` the client sent.

    Werkzeug's own redirects (``/id//charta`` → ``/id/charta``, merged slashes)
    are absolute URLs built from ``Host``; a 308 is cacheable by default, so a
    cache in front could keep a ``Location`` on another host for everyone.
    A relative reference is resolved against the URL the client asked for
    (RFC 9110 §10.2.2), so it is right at any origin and holds nothing of the
    request's headers.
    """
    location = resp.headers.get("Location")
    if location is None or not 300 <= resp.status_code < 400:
        return resp
    parts = urlsplit(location)
    if parts.netloc and parts.netloc == request.host and parts.path.startswith("/"):
        path = "/" + parts.path.lstrip("/")  # never '//…', which would name another host
        query = f"?{parts.query}" if parts.query else ""
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        resp.headers["Location"] = path + query + fragment
    return resp


def init_app(app: Flask) -> None:
    app.after_request(harden)
    app.after_request(vary_on_language)
    app.after_request(relative_location)
