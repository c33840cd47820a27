"""Turning triples into what people read: labels in their language, dates and values in its
conventions (Babel's CLDR data, the patterns from the catalogues)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox
from babel.dates import format_date, format_skeleton
from babel.numbers import get_decimal_symbol

from server.i18n import translations
from server.namespaces import LABEL_PREDICATES
from server.namespaces import XSD as _XSD

XSD = str(_XSD)


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
        found = self.get_tagged(iri, lang)
        return found[0] if found else None

    def get_tagged(self, iri: str, lang: str) -> tuple[str, str] | None:
        """The best label and its language tag ("" when untagged), so a page can mark
        text in another language than its own (WCAG 3.1.2, language of parts)."""
        labels = self.by_iri.get(iri)
        if not labels:
            return None
        for choice in (lang, "de", "en", ""):
            if choice in labels:
                return labels[choice], choice
        tag, text = next(iter(labels.items()))
        return text, tag


def local_name(iri: str) -> str:
    """Last segment of an IRI: the fallback when nothing has a label."""
    name = iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return name or iri  # never empty: "…/owl#" gives "owl", a bare "urn:x" itself


def format_literal(lit: ox.Literal, lang: str) -> str:
    """Dates, booleans and decimals the way readers of each language write them (patterns
    from the catalogue, names and symbols from CLDR); other values as they are."""
    dt = lit.datatype.value if lit.datatype else ""
    _ = translations(lang).gettext
    if dt == XSD + "date":
        try:
            d = date.fromisoformat(lit.value)
        except ValueError:
            return lit.value
        # Translators: a full date as a CLDR pattern (Babel's format_date), here
        # "23 September 2022"; German pages write "23.09.2022" (dd.MM.y).
        return format_date(d, _("d MMMM y"), locale=lang)
    if dt == XSD + "gYearMonth":
        year, _sep, month = lit.value.partition("-")
        if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
            return format_skeleton("yMMMM", date(int(year), int(month), 1), locale=lang)
    if dt == XSD + "boolean":
        return _("yes") if lit.value in ("true", "1") else _("no")
    if dt == XSD + "decimal":
        return lit.value.replace(".", get_decimal_symbol(lang))
    return lit.value


def date_text(value: str, datatype: str | None, lang: str) -> str:
    """A date value for templates; without a datatype, its shape tells date from year."""
    if datatype is None:
        datatype = XSD + (
            "date" if len(value) == 10 else "gYearMonth" if len(value) == 7 else "gYear"
        )
    return format_literal(ox.Literal(value, datatype=ox.NamedNode(datatype)), lang)


#: Labels for the standard terms our pages show; our own terms carry theirs in the ontology.
STANDARD_LABELS: dict[str, tuple[str, str]] = {
    "http://purl.org/dc/terms/source": ("Quelle", "source"),
    "http://purl.org/dc/terms/identifier": ("Kennung", "identifier"),
    "http://purl.org/dc/terms/title": ("Titel", "title"),
    "http://purl.org/dc/terms/description": ("Beschreibung", "description"),
    "http://purl.org/dc/terms/publisher": ("Herausgeber", "publisher"),
    "http://purl.org/dc/terms/date": ("Datum", "date"),
    "http://purl.org/dc/terms/created": ("erstellt", "created"),
    "http://purl.org/dc/terms/type": ("Art", "type"),
    "http://purl.org/dc/terms/subject": ("Thema", "subject"),
    "http://purl.org/dc/terms/relation": ("verwandt mit", "related to"),
    "http://purl.org/dc/terms/hasPart": ("hat Teil", "has part"),
    "http://purl.org/dc/terms/isPartOf": ("ist Teil von", "is part of"),
    "http://purl.org/dc/terms/references": ("verweist auf", "references"),
    "http://purl.org/dc/terms/spatial": ("Gebiet", "spatial coverage"),
    "http://purl.org/dc/terms/language": ("Sprache", "language"),
    "http://purl.org/dc/terms/format": ("Format", "format"),
    "http://purl.org/dc/terms/contributor": ("Mitwirkende", "contributor"),
    "http://purl.org/dc/terms/accessRights": ("Zugang", "access rights"),
    "http://www.w3.org/2004/02/skos/core#definition": ("Definition", "definition"),
    "http://www.w3.org/2004/02/skos/core#notation": ("Notation", "notation"),
    "http://www.w3.org/2004/02/skos/core#broader": ("Oberbegriff", "broader"),
    "http://www.w3.org/2004/02/skos/core#narrower": ("Unterbegriff", "narrower"),
    "http://www.w3.org/2004/02/skos/core#inScheme": ("in Schema", "in scheme"),
    "http://www.w3.org/2004/02/skos/core#topConceptOf": ("Top-Begriff von", "top concept of"),
    "http://www.w3.org/2004/02/skos/core#hasTopConcept": ("Top-Begriff", "top concept"),
    "http://www.w3.org/2004/02/skos/core#altLabel": ("auch", "also known as"),
    "http://www.w3.org/2004/02/skos/core#editorialNote": (
        "redaktionelle Anmerkung",
        "editorial note",
    ),
    "http://www.w3.org/ns/org#subOrganizationOf": ("gehört zu", "sub-organisation of"),
    "http://www.w3.org/ns/org#hasSubOrganization": (
        "untergeordnete Organisation",
        "sub-organisation",
    ),
    "http://www.w3.org/ns/org#unitOf": ("Einheit von", "unit of"),
    "http://www.w3.org/ns/org#hasUnit": ("Organisationseinheit", "unit"),
    "http://www.w3.org/ns/org#identifier": ("Schlüssel", "identifier"),
    "http://www.w3.org/ns/org#classification": ("Einordnung", "classification"),
    "http://www.w3.org/ns/org#linkedTo": ("verbunden mit", "linked to"),
    "http://www.w3.org/ns/prov#wasAssociatedWith": ("beteiligt", "associated with"),
    "http://www.w3.org/ns/prov#used": ("betrifft", "used"),
    "http://www.w3.org/ns/prov#generated": ("erzeugte", "generated"),
    "http://www.w3.org/ns/prov#wasInformedBy": ("ausgelöst durch", "informed by"),
    "http://www.w3.org/ns/prov#wasQuotedFrom": ("zitiert aus", "quoted from"),
    "http://xmlns.com/foaf/0.1/homepage": ("Homepage", "homepage"),
    "http://xmlns.com/foaf/0.1/name": ("Name", "name"),
    "http://xmlns.com/foaf/0.1/page": ("Seite", "page"),
    "http://schema.org/position": ("Position", "position"),
    "http://schema.org/startDate": ("Beginn", "start date"),
    "http://schema.org/organizer": ("Veranstalter", "organiser"),
    "http://schema.org/text": ("Text", "text"),
    "http://schema.org/value": ("Betrag", "value"),
    "http://schema.org/currency": ("Währung", "currency"),
    "http://schema.org/numberOfPages": ("Seitenzahl", "number of pages"),
    "http://schema.org/about": ("handelt von", "about"),
    "http://schema.org/url": ("Adresse", "URL"),
    "http://schema.org/legislationPassedBy": ("beschlossen von", "passed by"),
    "http://data.europa.eu/eli/ontology#passed_by": ("beschlossen von", "passed by"),
    "http://data.europa.eu/eli/ontology#date_document": ("Datum des Dokuments", "document date"),
    "http://data.europa.eu/eli/ontology#is_realized_by": ("Fassung", "realised by"),
    "http://data.europa.eu/eli/ontology#realizes": ("Fassung von", "realises"),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#activity_date": (
        "Datum",
        "activity date",
    ),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#decision_outcome": (
        "Beschlussergebnis",
        "decision outcome",
    ),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#decided_on_a_realization_of": (
        "beschlossenes Dokument",
        "decided on",
    ),
    "http://purl.org/dc/terms/temporal": ("Zeitraum", "period"),
    "http://purl.org/dc/terms/extent": ("Umfang", "extent"),
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#value": ("Wert", "value"),
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": ("siehe auch", "see also"),
    "http://www.w3.org/2004/02/skos/core#scopeNote": ("Anmerkung", "scope note"),
    "http://www.w3.org/ns/dcat#startDate": ("Beginn", "start"),
    "http://www.w3.org/ns/dcat#endDate": ("Ende", "end"),
    "http://www.w3.org/ns/adms#identifier": ("Identifikator", "identifier (ADMS)"),
    "http://schema.org/caption": ("Bildunterschrift", "caption"),
    "http://schema.org/pageStart": ("Seite", "page"),
    "http://schema.org/subEvent": ("Teilereignis", "sub-event"),
    "http://schema.org/superEvent": ("Teilereignis von", "sub-event of"),
}


def standard_label(iri: str, lang: str) -> str | None:
    pair = STANDARD_LABELS.get(iri)
    if pair is None:
        return None
    return pair[1] if lang == "en" else pair[0]


def wraplines(text: str, width: int) -> list[str]:
    """Break a label into lines of at most ``width`` characters, for SVG text."""
    import textwrap

    return textwrap.wrap(text, width=width, break_long_words=False) or [text]
