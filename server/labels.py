"""Turning triples into what people read: labels in their language, German dates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
LABEL_PREDICATES = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
    "http://xmlns.com/foaf/0.1/name",
)
MONTHS_DE = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass
class LabelIndex:
    """Labels per IRI and language, from a description's triples."""

    by_iri: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))

    @classmethod
    def of(cls, triples: list[ox.Triple]) -> LabelIndex:
        index = cls()
        for pred in reversed(LABEL_PREDICATES):  # skos:prefLabel wins, so it is written last
            for t in triples:
                if t.predicate.value == pred and isinstance(t.object, ox.Literal):
                    if isinstance(t.subject, ox.NamedNode):
                        index.by_iri[t.subject.value][t.object.language or ""] = t.object.value
        return index

    def get(self, iri: str, lang: str) -> str | None:
        """Best label: the page language, then German, English, untagged, anything."""
        labels = self.by_iri.get(iri)
        if not labels:
            return None
        for choice in (lang, "de", "en", ""):
            if choice in labels:
                return labels[choice]
        return next(iter(labels.values()))


def local_name(iri: str) -> str:
    """Last segment of an IRI: the fallback when nothing has a label."""
    return iri.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def format_literal(lit: ox.Literal, lang: str) -> str:
    """Dates the way readers of each language write them; other values as they are."""
    dt = lit.datatype.value if lit.datatype else ""
    if dt == XSD + "date":
        try:
            d = date.fromisoformat(lit.value)
        except ValueError:
            return lit.value
        if lang == "en":
            return f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    if dt == XSD + "gYearMonth":
        year, _, month = lit.value.partition("-")
        if month.isdigit() and 1 <= int(month) <= 12:
            names = MONTHS_EN if lang == "en" else MONTHS_DE
            return f"{names[int(month) - 1]} {year}"
    if dt == XSD + "boolean":
        yes = lit.value in ("true", "1")
        return ("yes" if yes else "no") if lang == "en" else ("ja" if yes else "nein")
    if dt == XSD + "decimal" and lang == "de":
        return lit.value.replace(".", ",")
    return lit.value
