"""Headers that harden every answer in a browser, whatever view produced it.

Literals are escaped in every template; these are the second line: a browser
must not guess a type (``nosniff``), pages run only our own scripts (no inline
script, no other origin: the SPARQL editor and search are files under
/static/), forms post only here, and other sites learn at most our origin from
links. Inline styles stay allowed: YASGUI sets style attributes. Pages may be
framed (councils embed them), so there is no frame-ancestors rule.

Data is open to any origin (``Access-Control-Allow-Origin: *`` on every
answer, preflights included): browser-based linked-data clients (JSON-LD
playgrounds, Comunica) must read resources, ``/context.jsonld`` and the dumps
as they read ``/sparql``. Nothing here depends on credentials, and with ``*``
browsers send none.

And caches in front must not be misled: an answer whose language the cookie
or Accept-Language chose says so in ``Vary``, and no answer carries the
``Host`` header back (a redirect's ``Location`` is made relative).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

from server.web.negotiation import finish_unfinished, vary_on_language

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


#: Response headers a script on another origin may read: the validators, the
#: alternates and the document a resource answered with.
CORS_EXPOSED = "ETag, Last-Modified, Link, Content-Location, Content-Disposition"
#: Request headers a preflight may ask for (a long ``Accept``, as Comunica sends,
#: is not CORS-safelisted and so needs one).
CORS_REQUEST_HEADERS = (
    "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since, Range, If-Range"
)


def open_to_any_origin(resp: Response) -> Response:
    """CORS for every answer; a view that sets its own (``/sparql``) keeps it."""
    headers = resp.headers
    headers.setdefault("Access-Control-Allow-Origin", "*")
    headers.setdefault("Access-Control-Expose-Headers", CORS_EXPOSED)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        headers.setdefault("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        headers.setdefault("Access-Control-Allow-Headers", CORS_REQUEST_HEADERS)
        headers.setdefault("Access-Control-Max-Age", "86400")
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
        if location.encode() in resp.get_data():  # a redirect body is small
            # Werkzeug's body names the absolute URL too: the Host, reflected.
            from html import escape

            target = escape(resp.headers["Location"])
            resp.set_data(f'<!doctype html>\n<p>Redirecting to <a href="{target}">{target}</a>.\n')
    return resp


def init_app(app: Flask) -> None:
    # Hooks run in the reverse order of registration: compression last, on the
    # headers every other hook has set.
    app.after_request(finish_unfinished)
    app.after_request(open_to_any_origin)
    app.after_request(harden)
    app.after_request(vary_on_language)
    app.after_request(relative_location)
