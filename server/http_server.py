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

#: Connections one web process holds open at once (granian's ``backpressure``
#: counts connections, idle keep-alive ones included); beyond it new ones wait in
#: the listen backlog. Far above what the threads serve, so that 1,000 idle
#: clients do not lock out the others: they are dropped after the header timeout.
CONNECTIONS_PER_WORKER = 1024


def python_threads(config: Config) -> int:
    """Threads per web process that run the app, sized so pages always have
    ``page_threads`` of their own: SPARQL admission (server/admission.py) lets
    ``query_workers`` queries run and as many wait, each holding its thread, and
    up to ``query_workers`` more threads may be reading request bodies."""
    return 3 * config.query_workers + config.page_threads


class BodyReaders:
    """Reads a request's body before the app runs, at most ``readers`` at once per
    process; a request that finds none free gets 503 at once.

    granian hands the app the body as a blocking stream, and nothing times a body
    out: a client that sends its headers and then its body slowly (or never) holds
    the Python thread reading it. Bounding the readers keeps the other threads for
    pages and GET queries; normal bodies are read in microseconds, so the bound
    only bites under such an attack (a reverse proxy that buffers request bodies,
    as nginx does by default, removes it altogether). Refusing at once, not after
    a wait: an attacker who reconnects after each refusal would otherwise keep
    every thread waiting.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], readers: int) -> None:
        self.app = app
        self.max_bytes = getattr(app, "config", {}).get("MAX_CONTENT_LENGTH") or 2**20
        self.slots = threading.BoundedSemaphore(readers)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("CONTENT_LENGTH", "0") in ("", "0") and not environ.get(
            "HTTP_TRANSFER_ENCODING"
        ):
            return self.app(environ, start_response)  # no body: nothing can stall
        if not self.slots.acquire(blocking=False):
            start_response(
                "503 Service Unavailable",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Retry-After", "1"),
                    ("Connection", "close"),
                ],
            )
            return [b"Too many requests are sending a body right now; try again.\n"]
        try:
            # One byte over the app's limit, so that it still answers 413.
            body = environ["wsgi.input"].read(self.max_bytes + 1)
        finally:
            self.slots.release()
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


def load_app(config: Config) -> Callable[..., Any]:
    """Build the app inside a web process; the config travels as this function's
    argument (pickled when granian spawns instead of forking), not through the
    environment."""
    from server.app import create_app

    return BodyReaders(create_app(config), readers=max(1, config.query_workers))


def app_from_env() -> Callable[..., Any]:
    """The target for running granian by hand (``--factory``): settings from
    ``CHARTA_*``, the same body readers as ``charta serve``, but no validation
    before start-up."""
    from server.config import Config

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

    server = Server(
        "server.app:create_app",  # only named in granian's log; load_app builds the app
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=python_threads(config),
        backpressure=CONNECTIONS_PER_WORKER,
        backlog=max(1024, CONNECTIONS_PER_WORKER * workers),
        # HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a reverse proxy
        # in front terminates; cleartext HTTP/2 would be one more parser exposed.
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(config.header_timeout_s * 1000), keep_alive=True
        ),
        websockets=False,
        log_access=True,
        # gunicorn replaced a dead worker; granian would otherwise stop the server.
        respawn_failed_workers=True,
        workers_kill_timeout=int(config.query_timeout_s) + 5,
    )
    logging.getLogger("_granian").addFilter(_QuietThreadWarning())
    server.serve(target_loader=functools.partial(load_app, config), wrap_loader=False)
