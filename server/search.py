"""Search over labels and descriptions in German and English, umlauts and case folded.

The index is built from the store once per data version (one SPARQL query), so
it works on every backend; at this size a scan of folded strings answers in
well under a millisecond, and the folding is what users notice: "gruen",
"grun" and "GRÜN" all find "Grün".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

from server.store import Store

_TEXT_PREDICATES = (
    ("http://www.w3.org/2004/02/skos/core#prefLabel", 3),
    ("http://www.w3.org/2004/02/skos/core#altLabel", 2),
    ("http://purl.org/dc/terms/title", 2),
    ("http://xmlns.com/foaf/0.1/name", 2),
    ("http://purl.org/dc/terms/identifier", 2),
    ("http://www.w3.org/2004/02/skos/core#definition", 1),
    ("http://purl.org/dc/terms/description", 1),
)
_UMLAUT_PAIRS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def fold(text: str) -> str:
    """Lower case, umlauts and accents to base letters, ß to ss, 'ue' to 'u'."""
    text = text.casefold().replace("ß", "ss")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    for pair, single in _UMLAUT_PAIRS:
        text = text.replace(pair, single)
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class Entry:
    iri: str
    text: str
    folded: str
    lang: str
    weight: int


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str
    matched: str
    score: int


class SearchIndex:
    """Folded label and description strings of every resource in our namespace."""

    def __init__(self, store: Store, namespace: str) -> None:
        """Cheap: the index is built on first use, or by :meth:`warm_up` in the background.

        At a million triples building it takes seconds; a server must not wait
        for that before it answers pages.
        """
        self._store = store
        self._namespace = namespace
        self._entries: list[Entry] = []
        self._labels: dict[str, dict[str, str]] = {}
        self._ready = False
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        threading.Thread(target=self._ensure, daemon=True, name="charta-search-index").start()

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            values = " ".join(f"(<{p}> {w})" for p, w in _TEXT_PREDICATES)
            rows = self._store.select(f"""SELECT ?s ?p ?w ?o WHERE {{
                VALUES (?p ?w) {{ {values} }}
                ?s ?p ?o .
                FILTER(isLiteral(?o) && STRSTARTS(STR(?s), "{self._namespace}id/")) }}""")
            entries = [
                Entry(
                    r["s"].value,
                    r["o"].value,
                    fold(r["o"].value),
                    getattr(r["o"], "language", None) or "",
                    int(r["w"].value),
                )
                for r in rows
            ]
            labels: dict[str, dict[str, str]] = {}
            for e in entries:
                if e.weight == 3:
                    labels.setdefault(e.iri, {})[e.lang] = e.text
            self._entries, self._labels = entries, labels
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
        for e in self._entries:
            if not all(w in e.folded for w in words):
                continue
            score = e.weight * 10
            if e.folded.startswith(words[0]):
                score += 5
            if any(re.search(rf"\b{re.escape(w)}", e.folded) for w in words):
                score += 3
            if e.lang == lang:
                score += 1
            if score > best.get(e.iri, (-1, ""))[0]:
                best[e.iri] = (score, e.text)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], self.label(kv[0], lang)))
        return [
            Hit(iri, self.label(iri, lang), text, score) for iri, (score, text) in ranked[:limit]
        ]
