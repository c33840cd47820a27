"""The warm start: after start-up, in the background, every description materialised and
every representation of every resource put into the answer cache, as first requests
would put them there; a crawler's first pass then finds them ready."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping

from flask import Flask

from server.i18n import LANGS
from server.pages.materialised import subjects
from server.rdf.formats import HTML, RDF_FORMATS
from server.urls import Urls
from server.web.state import State, answer_lang, data_version
from server.web.views.representation import described, mementos, render


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


def warm(app: Flask, state: State, iris: list[str]) -> None:
    """Every representation of every resource into the answer cache, as a first request
    for it would put it there: Turtle of every resource first (what crawlers ask),
    then the other RDF formats, then the pages in each language. Stops when the
    cache is full, so the most asked-for kinds of answer are the ones kept."""
    t0 = time.perf_counter()
    kept = 0
    budget = state.cache.max_bytes * 9 // 10
    paths = [resource_path(state.urls, iri, state.profile.moved) for iri in iris]
    has_past: dict[str, bool] = {}
    for fmt in [*RDF_FORMATS, HTML]:
        for iri, path in zip(iris, paths, strict=True):
            if path is None or state.cache.bytes >= budget:
                continue
            answers: dict[str, tuple[bytes, bool]] = {}
            # A page speaks the language the request asks for (Flask-Babel reads it from
            # the request), so each is rendered in a request that asks for it, as the
            # resource view would.
            for lang in LANGS if fmt == HTML else LANGS[:1]:
                headers = {"Accept-Language": lang}
                with app.test_request_context("/" + path, headers=headers):
                    try:
                        triples = described(state.store, iri)
                    except ValueError:
                        break
                    if not triples:
                        break
                    if path not in has_past:
                        has_past[path] = bool(mementos(path))
                    body = render(iri, path, triples, fmt, lang)  # type: ignore[arg-type]
                    answers[lang] = (body, has_past[path])
                    version = data_version()[0]
            if not answers:
                continue
            for lang, answer in answers.items():  # the resource view's keys
                key = ("resource", version, path, getattr(fmt, "name", fmt), answer_lang(fmt, lang))
                state.cache.put(key, answer)
            kept += len(answers)
    resources = len(has_past)
    state.warmed = (kept, resources, time.perf_counter() - t0)
