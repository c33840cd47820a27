"""Search over labels and descriptions in German and English, umlauts and case folded.

The index is built from the store once per data version (one SPARQL query), so
it works on every backend; at this size a scan of folded strings answers in
well under a millisecond, and the folding is what users notice: "gruen",
"grun" and "GRÜN" all find "Grün".
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from server.sparql import QueryJob, Store, StoreError

log = logging.getLogger(__name__)

_TEXT_PREDICATES = (
    ("http://www.w3.org/2004/02/skos/core#prefLabel", 3),
    ("http://www.w3.org/2004/02/skos/core#altLabel", 2),
    ("http://purl.org/dc/terms/title", 2),
    ("http://xmlns.com/foaf/0.1/name", 2),
    ("http://purl.org/dc/terms/identifier", 2),
    ("http://www.w3.org/2004/02/skos/core#definition", 1),
    ("http://purl.org/dc/terms/description", 1),
)
#: The index's one query: every literal of those predicates, with the predicate's weight
#: (a constant; the IRIs written by pyoxigraph).
INDEX_QUERY = (
    "SELECT ?s ?w ?o WHERE { VALUES (?p ?w) { "
    + " ".join(f"({ox.NamedNode(p)} {int(w)})" for p, w in _TEXT_PREDICATES)
    + " } ?s ?p ?o FILTER(isLiteral(?o)) }"
)
_UMLAUT_PAIRS = (("ae", "a"), ("oe", "o"), ("ue", "u"))
_SPACES = re.compile(r"\s+")
#: The index query reads every label once; at 10^6 triples it takes seconds.
BUILD_TIMEOUT_S = 600.0


class IncompleteIndexError(StoreError):
    """The index's query did not return every text: no index rather than a partial one."""


@functools.cache
def _combining_marks() -> dict[int, None]:
    """Every combining code point, for ``str.translate`` (built once, in 0.15 s)."""
    return {c: None for c in range(0x300, sys.maxunicode + 1) if unicodedata.combining(chr(c))}


def fold(text: str) -> str:
    """Lower case, umlauts and accents to base letters, ß to ss, 'ue' to 'u'.

    ``translate`` strips the accents in C, 1.5x faster than testing each
    character in Python; ASCII text (most of it) skips that step.
    """
    text = text.casefold()  # also ß -> ss
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).translate(_combining_marks())
    for pair, single in _UMLAUT_PAIRS:
        text = text.replace(pair, single)
    return _SPACES.sub(" ", text)


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str
    matched: str
    score: int


class SearchIndex:
    """Folded label and description strings of every resource in our namespace.

    Held as parallel tuples of strings and small ints, not one object per
    text: the cyclic garbage collector stops looking at a tuple of strings
    after its first pass, while 124,000 entry objects (at 10^6 triples) made
    every full collection stop the worker for 100-150 ms, the p99 of every page.
    """

    def __init__(self, store: Store, namespace: str, saved: Path | None = None) -> None:
        """Cheap: the index is built on first use, or by :meth:`warm_up` in the background.

        At a million triples building it takes seconds of CPU in every web
        worker, so 'charta build' saves it (:meth:`to_json`) and a server with
        a build folder reads ``saved`` instead (0.3 s).
        """
        self._store = store
        self._namespace = namespace
        self._saved = saved
        self._iris: tuple[str, ...] = ()
        self._texts: tuple[str, ...] = ()
        self._folded: tuple[str, ...] = ()
        self._langs: tuple[str, ...] = ()
        self._weights: tuple[int, ...] = ()
        self._labels: dict[str, dict[str, str]] = {}
        self._ready = False
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        def build() -> None:
            try:
                self._ensure()
            except StoreError as exc:  # e.g. a remote store still down: the first search retries
                log.warning("search index not built yet: %s", exc)

        threading.Thread(target=build, daemon=True, name="charta-search-index").start()

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            if self._saved is not None:
                try:
                    self._load(self._saved)
                    return
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    # A damaged or outdated file must not break search: build anew.
                    log.warning("%s: not used, building the search index: %s", self._saved, exc)
            # Run as a /sparql job: with the embedded store the engine works in
            # a query worker process, not under this web worker's GIL, and the
            # answer arrives as one JSON document instead of 500,000 live term
            # objects (at 10^6 triples) for the garbage collector to walk over
            # and over while requests wait. Our resources are picked here, not
            # by a STRSTARTS filter: that filter took Oxigraph 1.2 s of 2.7.
            #
            # The job is ours, not a client's: no row or byte cap (the 32 MiB of
            # /sparql kept 108,050 of 124,265 texts at 10^6 triples, silently), and
            # an answer that still comes back cut is an error, never a smaller index.
            answer = self._store.sparql(
                QueryJob(
                    INDEX_QUERY,
                    "SELECT",
                    "json",
                    max_rows=sys.maxsize - 1,
                    max_answer_bytes=sys.maxsize,
                ),
                timeout=BUILD_TIMEOUT_S,
            )
            if answer.truncated:
                raise IncompleteIndexError(
                    f"the search index's query came back cut ({answer.cut_by}) after "
                    f"{answer.count} texts; the index is not built from part of the data"
                )
            ours = self._namespace + "id/"
            iris, texts, langs, weights = [], [], [], []
            labels: dict[str, dict[str, str]] = {}
            for row in json.loads(answer.body)["results"]["bindings"]:
                iri, o = row["s"]["value"], row["o"]
                if not iri.startswith(ours):
                    continue
                weight, lang = int(row["w"]["value"]), o.get("xml:lang", "")
                iris.append(iri)
                texts.append(o["value"])
                langs.append(lang)
                weights.append(weight)
                if weight == 3:
                    labels.setdefault(iri, {})[lang] = o["value"]
            # A fixed order, so that 'charta build' writes the same bytes every time.
            order = sorted(range(len(iris)), key=lambda i: (iris[i], langs[i], texts[i]))
            self._iris = tuple(iris[i] for i in order)
            self._texts = tuple(texts[i] for i in order)
            self._langs = tuple(langs[i] for i in order)
            self._weights = tuple(weights[i] for i in order)
            self._folded = tuple(fold(t) for t in self._texts)
            self._labels = labels
            self._ready = True

    def to_json(self) -> bytes:
        """The index as written by 'charta build': one JSON object of parallel lists."""
        self._ensure()
        return json.dumps(
            {
                "version": self._store.version,
                "iris": self._iris,
                "texts": self._texts,
                "folded": self._folded,
                "langs": self._langs,
                "weights": self._weights,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")

    def _load(self, path: Path) -> None:
        doc = json.loads(path.read_bytes())
        if doc.get("version") != self._store.version:
            raise ValueError(
                f"built from data version {doc.get('version')}, the store has {self._store.version}"
            )
        self._iris, self._texts = tuple(doc["iris"]), tuple(doc["texts"])
        self._folded, self._langs = tuple(doc["folded"]), tuple(doc["langs"])
        self._weights = tuple(doc["weights"])
        labels: dict[str, dict[str, str]] = {}
        for iri, text, lang, weight in zip(
            self._iris, self._texts, self._langs, self._weights, strict=True
        ):
            if weight == 3:
                labels.setdefault(iri, {})[lang] = text
        self._labels = labels
        self._ready = True

    def label(self, iri: str, lang: str) -> str:
        self._ensure()
        names = self._labels.get(iri, {})
        return names.get(lang) or names.get("de") or next(iter(names.values()), iri)

    def search(self, query: str, lang: str, limit: int = 20) -> list[Hit]:
        """Resources whose texts contain every word of ``query``; best matches first."""
        words = [w for w in fold(query).split(" ") if w]
        if not words:
            return []
        self._ensure()
        best: dict[str, tuple[int, str]] = {}
        starts = [re.compile(rf"\b{re.escape(w)}") for w in words]
        for i, folded in enumerate(self._folded):
            if not all(w in folded for w in words):
                continue
            score = self._weights[i] * 10
            if folded.startswith(words[0]):
                score += 5
            if any(s.search(folded) for s in starts):
                score += 3
            if self._langs[i] == lang:
                score += 1
            iri = self._iris[i]
            if score > best.get(iri, (-1, ""))[0]:
                best[iri] = (score, self._texts[i])
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], self.label(kv[0], lang)))
        return [
            Hit(iri, self.label(iri, lang), text, score) for iri, (score, text) in ranked[:limit]
        ]
