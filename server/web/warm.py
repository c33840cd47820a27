"""The warm start: after start-up, in the background, every description materialised and
every representation of every resource asked of the app and kept by the lean path, as
first requests would keep them; a crawler's first pass then finds them ready and is
answered without Flask."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping

from flask import Flask

from server.i18n import LANGS
from server.pages.materialised import subjects
from server.rdf.formats import HTML, RDF_FORMATS, RdfFormat
from server.urls import Urls
from server.web.lean import LeanPath
from server.web.state import State, answer_lang, data_version


def start(app: Flask, state: State) -> None:
    """Begin the warm start in a thread of its own (where there are descriptions to keep)."""
    if not state.config.testing and state.descriptions is not None:
        threading.Thread(
            target=prepare, args=(app, state), name="charta-warm-start", daemon=True
        ).start()


log = logging.getLogger("charta")


def prepare(app: Flask, state: State) -> None:
    """After start-up, in the background: materialise the descriptions (unless a sidecar
    holds them), then the warm start (:func:`warm`), and say what it did and how long
    it took. Requests meanwhile are answered as without it."""
    held = state.descriptions
    assert held is not None
    try:
        # A sidecar lists its resources itself (0.3 s and 13 MiB at 10^6 triples; the
        # store's SELECT DISTINCT took 75 s and kept 228 MiB in the web worker).
        if held.on_disk:
            iris = held.iris()
        else:
            iris = subjects(state.store.select, state.config.namespace)
        if held.filled is None:
            held.fill(state.store.construct, iris)
        if state.cache.max_bytes > 0:
            warm(app, state, iris)
        else:  # no answer cache: nothing to fill
            state.warmed = (0, 0, 0.0)
    except Exception:  # a warm start that fails leaves the server as it was: say so
        log.exception("charta: warm start failed; answers are computed on request")
        return
    assert held.filled is not None and state.warmed is not None
    kept, resources, took = state.warmed
    where = "in the persisted store" if held.on_disk else f"materialised in {held.filled[1]:.1f} s"
    log.warning(
        "charta: %d of %d descriptions %s; warm start: %d answers of %d resources ready in %.1f s",
        held.filled[0],
        len(iris),
        where,
        kept,
        resources,
        took,
    )


def resource_path(known: Urls, iri: str, moved: Mapping[str, str] | None = None) -> str | None:
    """The path the resource view answers ``iri`` at (``id/…``), or None where it answers
    no description there (outside ``id/``, a ``moved`` IRI, a name ending like a suffix)."""
    if not iri.startswith(known.namespace + "id/"):
        return None
    path = iri[len(known.namespace) :]
    if path in (moved or {}) or known.split_suffix(path)[0] != path:
        return None
    return path


#: The passes of the warm start, most asked-for first: (format, gzip). Turtle is what
#: crawlers of linked data ask, plain (curl, wrk, SPARQLWrapper) and gzipped (requests,
#: rdflib, LinkChecker); browsers and search engines always send gzip for pages.
PASSES: tuple[tuple[RdfFormat | str, bool], ...] = (
    (RDF_FORMATS[0], False),
    (RDF_FORMATS[0], True),
    *((f, z) for f in RDF_FORMATS[1:] for z in (False, True)),
    (HTML, True),
    (HTML, False),
)


def warm(app: Flask, state: State, iris: list[str]) -> None:
    """Every representation of every resource, asked of the app as a client's first
    request would ask it, and kept by the lean path (server/web/lean.py) under the key
    such a request decides: a crawler's first touch is then a lookup, without Flask.
    The passes (:data:`PASSES`) go from what crawlers ask most to least, each over
    every resource, and stop when the cache is 90 % full. The resource view's own
    entry of each answer is dropped again: the lean path holds the bytes, and the
    cache's budget is better spent on the next resource."""
    t0 = time.perf_counter()
    kept = 0
    budget = state.cache.max_bytes * 9 // 10
    lean = app.wsgi_app
    paths = [resource_path(state.urls, iri, state.profile.moved) for iri in iris]
    done: set[str] = set()
    if isinstance(lean, LeanPath):
        with app.app_context():
            version = data_version()[0]
        for fmt, gzip in PASSES:
            accept = fmt if isinstance(fmt, str) else fmt.media_type
            name = getattr(fmt, "name", fmt)
            for path in paths:
                if path is None or state.cache.bytes >= budget:
                    continue
                for lang in LANGS if fmt == HTML else LANGS[:1]:
                    # Let a request waiting for the interpreter go first: the warm start
                    # runs beside the first requests and must not slow them down.
                    time.sleep(0)
                    if lean.warm(path, accept, lang, gzip):
                        kept += 1
                        done.add(path)
                    state.cache.pop(("resource", version, path, name, answer_lang(fmt, lang)))
    state.warmed = (kept, len(done), time.perf_counter() - t0)
