"""``charta serve``: granian (HTTP in Rust, the app over WSGI) with N worker processes.

Connections are read and written by granian's Rust event loop, so an idle or
slow client costs a socket, never a Python thread; only a complete request
reaches one of the worker's ``blocking`` threads, which run the Flask app.
"""

from __future__ import annotations

import functools
import io
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from server.config import Config
from server.web.admission import client_of


def python_threads(config: Config) -> int:
    """Threads per web process that run the app, sized so pages always have
    ``page_threads`` of their own: SPARQL admission (server/web/admission.py) lets
    ``query_workers`` queries run and ``sparql_queue`` wait, each holding its
    thread, and up to ``body_readers`` more threads may be reading request bodies."""
    return config.query_workers + config.sparql_queue + config.body_readers + config.page_threads


def head_buffer(config: Config) -> int:
    """granian's ``max_buffer_size``: the longest request head it reads (431 beyond,
    from granian itself): room for the longest URL hyper takes (64 KiB, 414 beyond;
    a GET query near CHARTA_MAX_QUERY_BYTES needs it) and the headers we allow."""
    return 65536 + config.max_headers_bytes + 1024


def _plain(
    start_response: Callable[..., Any], status: str, text: str, retry: int = 0
) -> list[bytes]:
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")]
    if retry:
        headers.append(("Retry-After", str(retry)))
    body = text.encode()
    headers.append(("Content-Length", str(len(body))))
    start_response(status, headers)
    return [body]


class Guard:
    """The first WSGI layer under granian: request headers within their limits, and
    request bodies read before the app runs, boundedly per client and per process.

    **Headers.** granian reads a request head of up to :func:`head_buffer` bytes
    (431 beyond); here each header (name and value) may take at most
    ``max_header_bytes`` and all of them ``max_headers_bytes``, else 431 naming the
    header. Checked before anything parses a header (a 400 KB ``Accept`` cost
    Werkzeug 0.2 s per parse).

    **Bodies.** granian hands the app the body as a blocking stream, and nothing
    times a body out: a client that sends its headers and then its body slowly (or
    never) holds the thread reading it until it closes the connection. granian
    2.8 offers no body timeout, and a read cannot be abandoned: reading from a
    second thread and answering 408 while it waited froze the whole worker (the
    waiting read took the GIL back and held it until the client closed; measured).
    So the bound is on who may hold a reader: at most ``bodies_per_client`` bodies
    per client at once (429 at once beyond, so two stalled bodies from one address
    no longer block every POST) and ``body_readers`` per process (503 at once
    beyond), with threads of their own (:func:`python_threads`). Normal bodies are
    read in microseconds; a reverse proxy that buffers request bodies with a
    timeout (nginx does by default: ``client_body_timeout`` 60 s) removes the
    exposure altogether (docs/deploy.md).
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], config: Config) -> None:
        self.app = app
        self.max_bytes = getattr(app, "config", {}).get("MAX_CONTENT_LENGTH") or 2**20
        self.max_header = config.max_header_bytes
        self.max_headers = config.max_headers_bytes
        self.per_client = config.bodies_per_client
        self.client_header = config.client_header
        self.slots = threading.BoundedSemaphore(config.body_readers)
        self._lock = threading.Lock()
        self._reading: dict[str, int] = {}

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        refused = self._headers_refused(environ)
        if refused:
            return _plain(start_response, "431 Request Header Fields Too Large", refused)
        if environ.get("CONTENT_LENGTH", "0") in ("", "0") and not environ.get(
            "HTTP_TRANSFER_ENCODING"
        ):
            return self.app(environ, start_response)  # no body: nothing can stall
        client = client_of(environ, self.client_header)
        with self._lock:
            reading = self._reading.get(client, 0)
            if reading >= self.per_client:
                return _plain(
                    start_response,
                    "429 Too Many Requests",
                    f"This client is already sending {reading} request bodies to this server "
                    f"(at most {self.per_client} at once); finish those first.\n",
                    2,
                )
            if not self.slots.acquire(blocking=False):
                return _plain(
                    start_response,
                    "503 Service Unavailable",
                    "Too many requests are sending a body right now; try again.\n",
                    1,
                )
            self._reading[client] = reading + 1
        try:
            # One byte over the app's limit, so that it still answers 413.
            body = environ["wsgi.input"].read(self.max_bytes + 1)
        finally:
            with self._lock:
                left = self._reading[client] - 1
                if left:
                    self._reading[client] = left
                else:
                    del self._reading[client]
            self.slots.release()
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def _headers_refused(self, environ: dict[str, Any]) -> str | None:
        total = 0
        for key, value in environ.items():
            if not key.startswith("HTTP_") and key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                continue
            size = len(key) - 5 * key.startswith("HTTP_") + len(value)
            if size > self.max_header:
                name = key.removeprefix("HTTP_").replace("_", "-").title()
                return (
                    f"Request header {name} is {size} bytes long; at most {self.max_header} "
                    "bytes per header (name and value) are accepted.\n"
                )
            total += size
        if total > self.max_headers:
            return (
                f"The request headers are {total} bytes long together; at most "
                f"{self.max_headers} bytes are accepted.\n"
            )
        return None


def load_app(config: Config) -> Callable[..., Any]:
    """Build the app inside a web process; the config travels as this function's
    argument (pickled when granian spawns instead of forking), not through the
    environment."""
    from server.web.app import create_app

    return Guard(create_app(config), config)


def app_from_env() -> Callable[..., Any]:
    """The target for running granian by hand (``--factory``): settings from
    ``CHARTA_*``, the same :class:`Guard` as ``charta serve``, but no validation
    before start-up (and granian's own limits are its flags: docs/deploy.md)."""
    return load_app(Config.from_env())


class _QuietThreadWarning(logging.Filter):
    """granian warns when Python threads exceed 2 × cores + 1; ours are sized on
    purpose (most wait on a query worker or the remote store, not on the CPU)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Python threads" not in record.getMessage()


def run_granian(config: Config, host: str, port: int, workers: int) -> None:
    """Serve until SIGTERM/SIGINT. Each worker process builds its own app (and
    store, and query workers) after the fork: nothing is shared between them."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.server import Server

    _raise_open_files(config.connections_per_worker * workers + 1024)
    server = Server(
        "server.web.app:create_app",  # only named in granian's log; load_app builds the app
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=python_threads(config),
        # granian's backpressure counts connections, idle and half-open ones included;
        # beyond it new ones wait in the listen backlog (1,024 per worker let 1,200
        # slowloris connections starve everyone: issue 23).
        backpressure=config.connections_per_worker,
        backlog=max(1024, min(65535, config.connections_per_worker * workers)),
        # HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a reverse proxy
        # in front terminates; cleartext HTTP/2 would be one more parser exposed.
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(config.header_timeout_s * 1000),
            keep_alive=True,
            max_buffer_size=head_buffer(config),
        ),
        websockets=False,
        log_access=config.access_log,
        # gunicorn replaced a dead worker; granian would otherwise stop the server.
        respawn_failed_workers=True,
        workers_kill_timeout=int(config.query_timeout_s) + 5,
    )
    logging.getLogger("_granian").addFilter(_QuietThreadWarning())
    server.serve(target_loader=functools.partial(load_app, config), wrap_loader=False)


def _raise_open_files(wanted: int) -> None:
    """Raise this process's soft limit of open files towards ``wanted`` (at most the
    hard limit), so granian's connection limit, not EMFILE, decides; the worker
    processes inherit it."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
