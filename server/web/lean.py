"""The lean path: a finished answer asked for again is sent without running Flask.

A cached page still cost the app half a millisecond of Python per request
(Werkzeug parsing the request, negotiation, the hooks that set validators,
CORS and security headers, gzip) to rebuild headers the data version had
already fixed. This WSGI layer sits in front of the app and keeps, per data
version, the answer exactly as the app sent it: status, every header, and the
body as sent (gzipped or not). A request with the same inputs gets those bytes
back; everything else goes to the app unchanged.

What decides an answer is the data version and the request's method, path,
query string, and the headers the app reads: ``Accept``, ``Accept-Encoding``,
``Accept-Language``, ``Cookie``, ``If-None-Match`` and ``If-Modified-Since``
(so a 304 is kept like a 200). All of them are the key, as raw strings (the
three ``Accept*`` headers first cut to a bounded number of entries, by
:func:`server.web.negotiation.bound_accept_headers`, for the app too), so
nothing is negotiated on the way: two requests with the same key got the same
answer from the app. The app takes nothing else from a request into a 200 or
304 (no page uses ``Host``; security_headers.py keeps it out of redirects, and
redirects are not kept).

Only answers the app itself marks as fixed by the data version are kept: 200
or 304 whose strong ETag starts with the version (views finish them with
:func:`server.web.negotiation.finish_data` or ``finish``), with no
``Set-Cookie`` and a known length of at most an eighth of the cache. A body
the app streams (a dump) is never read into memory here. Requests with a body,
``Range``, ``If-Range``, ``If-Match`` or ``If-Unmodified-Since`` always go to the
app.

A resource's answer (``/id/…`` without a query string) is kept a second time
under what the resource view decides from those headers, decided here by the
very functions the app calls (server/web/negotiation.py): the offered media
type the ``Accept`` header picks (the path's suffix where it has one), the
language (the ``lang`` cookie, else ``Accept-Language``; none for an RDF answer,
whose bytes are the same in every language, as the view's own cache says) and
whether gzip is wanted. Another client whose headers decide the same gets the
same bytes without the app, and the warm start (server/web/warm.py) fills these
keys through the app before anyone asks (:meth:`LeanPath.warm`), so a
crawler's first touch of a resource is a lookup. The view reads no other
cookie, and the conditional headers stay in this key as raw strings.

The answers live in the app's answer cache (``CHARTA_ANSWER_CACHE_MB``, one
budget for both), keyed by the data version, so they are never stale, and with
the cache off (0) this layer passes every request through: a server measured
without the cache runs the app on every request.

Only a store that knows its version without asking anyone (the embedded store:
an attribute) gets the lean path. A remote store's version may take a request
to the server; read here and then again by the app, a slow or trickling server
would be waited for twice (the remote store's timeout tests caught it), so on a
remote store every request goes to the app, whose own answer cache still helps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.http import parse_cookie
from werkzeug.test import EnvironBuilder

from server.pipeline.backends import backend_for
from server.rdf.formats import HTML, offered
from server.web.cache import footprint
from server.web.negotiation import best_match, bound_accept_headers, gzip_wanted, lang_asked
from server.web.sparql_fast import SparqlFast

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

#: Request headers that make an answer the app must judge each time.
_ALWAYS_TO_APP = (
    "HTTP_RANGE",
    "HTTP_IF_RANGE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_TRANSFER_ENCODING",
)


@dataclass(frozen=True, slots=True)
class Kept:
    """One answer as the app sent it."""

    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class LeanPath:
    """WSGI middleware: answers a request whose answer is kept, else runs ``app`` and
    keeps what it answered if the data version fixes it (see the module's text)."""

    def __init__(self, app: WsgiApp, flask_app: Flask) -> None:
        self.app = app
        state = flask_app.extensions["charta"]
        self.store = state.store
        self.cache = state.cache
        #: Largest body kept: the cache keeps no single answer above an eighth of it;
        #: 0 (every request to the app) without the cache or on a remote store.
        free = backend_for(state.config).version_is_free
        self.max_body = self.cache.max_bytes // 8 if free else 0
        #: A plain query GET without Flask (server/web/sparql_fast.py), cache or not.
        self.sparql = SparqlFast(flask_app)
        self.split_suffix = state.urls.split_suffix

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        # The app's first layer: every reader after it sees the cut headers.
        bound_accept_headers(environ)
        if self.max_body <= 0:
            return self._fast_or_app(environ, start_response)
        get = environ.get
        if get("REQUEST_METHOD") not in ("GET", "HEAD") or (
            get("CONTENT_LENGTH") not in (None, "", "0")
            or any(name in environ for name in _ALWAYS_TO_APP)
        ):
            return self.app(environ, start_response)
        version = self.store.version  # an attribute (the backend's version_is_free)
        key = (
            "lean",
            version,
            environ["REQUEST_METHOD"],
            get("PATH_INFO", ""),
            get("QUERY_STRING", ""),
            get("HTTP_ACCEPT"),
            get("HTTP_ACCEPT_ENCODING"),
            get("HTTP_ACCEPT_LANGUAGE"),
            get("HTTP_COOKIE"),
            get("HTTP_IF_NONE_MATCH"),
            get("HTTP_IF_MODIFIED_SINCE"),
        )
        hit = self.cache.get(key)
        decided = None
        if hit is None:
            decided = self._decided(environ, version)
            if decided is not None:
                hit = self.cache.get(decided)
        if hit is not None:
            kept: Kept = hit[1]
            start_response(kept.status, list(kept.headers))
            return (kept.body,)
        if decided is not None:
            return self._run_and_keep(environ, start_response, key, version, decided)
        fast = self.sparql(environ)
        if fast is not None:
            if self._keepable(fast.status, fast.headers, version):
                self._keep(key, fast.status, tuple(fast.headers), fast.body)
            start_response(fast.status, fast.headers)
            return (fast.body,)
        return self._run_and_keep(environ, start_response, key, version)

    def _fast_or_app(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """Nothing is kept: the SPARQL fast path, else the app."""
        fast = self.sparql(environ)
        if fast is None:
            return self.app(environ, start_response)
        start_response(fast.status, fast.headers)
        return (fast.body,)

    def _decided(self, environ: Environ, version: str) -> tuple[Any, ...] | None:
        """A resource answer's key by what the app decides from the request (the module's
        text); None for any other request, or one the app answers with a 406."""
        get = environ.get
        path = get("PATH_INFO", "")
        if not path.startswith("/id/") or get("QUERY_STRING"):
            return None
        suffix = self.split_suffix(path[1:])[1]
        best = suffix or best_match(get("HTTP_ACCEPT", ""), offered())
        if best is None:
            return None
        cookie = parse_cookie(get("HTTP_COOKIE", "")).get("lang")
        lang = lang_asked(None, cookie, get("HTTP_ACCEPT_LANGUAGE", ""))
        if suffix not in (None, "html") or (suffix is None and best != HTML):
            lang = ""  # an RDF answer: the same bytes in every language
        return (
            "lean-id",
            version,
            environ["REQUEST_METHOD"],
            path,
            best,
            lang,
            gzip_wanted(get("HTTP_ACCEPT_ENCODING")),
            get("HTTP_IF_NONE_MATCH"),
            get("HTTP_IF_MODIFIED_SINCE"),
        )

    def warm(self, path: str, accept: str, lang: str, gzip: bool) -> int:
        """Ask the app for a resource's answer as a client would (``GET /{path}``) and keep
        it under the key that client's request decides; the bytes kept, 0 if the app's
        answer is not one to keep (a 404, a redirect) or nothing is kept here."""
        if self.max_body <= 0:
            return 0
        headers = [("Accept", accept)]
        if lang:
            headers.append(("Accept-Language", lang))
        if gzip:
            headers.append(("Accept-Encoding", "gzip"))
        environ = EnvironBuilder(path="/" + path, headers=headers).get_environ()
        bound_accept_headers(environ)
        version = self.store.version
        decided = self._decided(environ, version)
        if decided is None or self.cache.get(decided) is not None:
            return 0
        sent: list[tuple[str, list[tuple[str, str]]]] = []

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            sent.append((status, headers))

        data = read_all(self.app(environ, recording))
        if len(sent) != 1 or not self._keepable(*sent[0], version):
            return 0
        self._keep(decided, sent[0][0], tuple(sent[0][1]), data)
        return len(data)

    def _run_and_keep(
        self,
        environ: Environ,
        start_response: StartResponse,
        key: tuple[Any, ...],
        version: str,
        decided: tuple[Any, ...] | None = None,
    ) -> Iterable[bytes]:
        sent: list[tuple[str, list[tuple[str, str]]]] = []

        def recording(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            sent.append((status, headers))
            if exc_info is not None:
                return start_response(status, headers, exc_info)  # type: ignore[no-any-return]
            return start_response(status, headers)  # type: ignore[no-any-return]

        body = self.app(environ, recording)
        if len(sent) != 1 or not self._keepable(*sent[0], version):
            return body
        status, headers = sent[0]
        return self._keeping(body, decided or key, status, tuple(headers))

    def _keepable(self, status: str, headers: list[tuple[str, str]], version: str) -> bool:
        if not status.startswith(("200 ", "304 ")):
            return False
        etag = length = None
        for name, value in headers:
            lower = name.lower()
            if lower == "etag":
                etag = value
            elif lower == "content-length":
                length = value
            elif lower == "set-cookie":
                return False
        if etag is None or not etag.startswith(f'"{version}-'):
            return False
        if status.startswith("304 "):
            return True
        return length is not None and length.isdigit() and int(length) <= self.max_body

    def _keeping(
        self,
        body: Iterable[bytes],
        key: tuple[Any, ...],
        status: str,
        headers: tuple[tuple[str, str], ...],
    ) -> Iterable[bytes]:
        """Read the body (its length is known and small), keep it, and send it."""
        data = read_all(body)
        self._keep(key, status, headers, data)
        return (data,)

    def _keep(
        self, key: tuple[Any, ...], status: str, headers: tuple[tuple[str, str], ...], body: bytes
    ) -> None:
        headers, own = shared(headers)
        self.cache.put(key, (body, Kept(status, headers, body)), cost(own, body))


def read_all(body: Iterable[bytes]) -> bytes:
    """A WSGI body read whole, and closed as WSGI asks (PEP 3333)."""
    try:
        return b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


#: Headers whose value differs from answer to answer; every other header (the media
#: type, the policies, CORS, ``Vary``, the version's ``Last-Modified``) is the same for
#: many answers and kept once (:func:`shared`).
PER_ANSWER = frozenset({"etag", "content-length", "content-location", "link", "date"})
#: The shared (name, value) pairs; bounded: when full it starts again (the pairs
#: kept answers hold stay theirs), so it never holds more than this many.
MAX_SHARED = 2048
_shared: dict[tuple[str, str], tuple[str, str]] = {}


def shared(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[tuple[str, str], ...], int]:
    """The headers with every pair that is the same for many answers replaced by the one
    copy all of them hold, and the bytes the rest take: what this answer's headers
    cost. A resource's Turtle answer at 10^5 triples took 2.9 KB of headers beside
    2.4 KB of body, a quarter of which is its own (ETag, length, Link)."""
    out = []
    own = footprint(())
    for pair in headers:
        if pair[0].lower() in PER_ANSWER:
            out.append(pair)
            own += footprint(pair) + 8
            continue
        one = _shared.get(pair)
        if one is None:
            if len(_shared) >= MAX_SHARED:
                _shared.clear()
            one = _shared.setdefault(pair, pair)
        out.append(one)
        own += 8  # the slot that points to it
    return tuple(out), own


def cost(headers: int, body: bytes) -> int:
    """What one kept answer takes beyond its key (which the cache measures itself:
    it holds request headers a client chooses): the body, its own headers
    (``headers`` bytes, from :func:`shared`) and the objects around them."""
    return footprint(body) + headers + footprint(Kept("", (), b""))


def init_app(app: Flask) -> None:
    """Put the lean path in front of the app's WSGI callable (after ``state.init_app``)."""
    app.wsgi_app = LeanPath(app.wsgi_app, app)  # type: ignore[method-assign]
