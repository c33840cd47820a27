"""Turning triples into what people read: labels in their language, dates and values in its
conventions (Babel's CLDR data, the patterns from the catalogues)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox
from babel.dates import format_date, format_skeleton
from babel.numbers import get_decimal_symbol

from server.i18n import N_, translations
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


#: Labels for the standard terms our pages show (msgids for the catalogue, translated when
#: shown); our own terms carry theirs in the ontology.
STANDARD_LABELS: dict[str, str] = {
    "http://purl.org/dc/terms/source": N_("source"),
    "http://purl.org/dc/terms/identifier": N_("identifier"),
    "http://purl.org/dc/terms/title": N_("title"),
    "http://purl.org/dc/terms/description": N_("description"),
    "http://purl.org/dc/terms/publisher": N_("publisher"),
    "http://purl.org/dc/terms/date": N_("date"),
    "http://purl.org/dc/terms/created": N_("created"),
    "http://purl.org/dc/terms/type": N_("type"),
    "http://purl.org/dc/terms/subject": N_("subject"),
    "http://purl.org/dc/terms/relation": N_("related to"),
    "http://purl.org/dc/terms/hasPart": N_("has part"),
    "http://purl.org/dc/terms/isPartOf": N_("is part of"),
    "http://purl.org/dc/terms/references": N_("references"),
    "http://purl.org/dc/terms/spatial": N_("spatial coverage"),
    "http://purl.org/dc/terms/language": N_("language"),
    "http://purl.org/dc/terms/format": N_("format"),
    "http://purl.org/dc/terms/contributor": N_("contributor"),
    "http://purl.org/dc/terms/accessRights": N_("access rights"),
    "http://www.w3.org/2004/02/skos/core#definition": N_("definition"),
    "http://www.w3.org/2004/02/skos/core#notation": N_("notation"),
    "http://www.w3.org/2004/02/skos/core#broader": N_("broader"),
    "http://www.w3.org/2004/02/skos/core#narrower": N_("narrower"),
    "http://www.w3.org/2004/02/skos/core#inScheme": N_("in scheme"),
    "http://www.w3.org/2004/02/skos/core#topConceptOf": N_("top concept of"),
    "http://www.w3.org/2004/02/skos/core#hasTopConcept": N_("top concept"),
    "http://www.w3.org/2004/02/skos/core#altLabel": N_("also known as"),
    "http://www.w3.org/2004/02/skos/core#editorialNote": N_("editorial note"),
    "http://www.w3.org/ns/org#subOrganizationOf": N_("sub-organisation of"),
    "http://www.w3.org/ns/org#hasSubOrganization": N_("sub-organisation"),
    "http://www.w3.org/ns/org#unitOf": N_("unit of"),
    "http://www.w3.org/ns/org#hasUnit": N_("unit"),
    "http://www.w3.org/ns/org#identifier": N_("identifier"),
    "http://www.w3.org/ns/org#classification": N_("classification"),
    "http://www.w3.org/ns/org#linkedTo": N_("linked to"),
    "http://www.w3.org/ns/prov#wasAssociatedWith": N_("associated with"),
    "http://www.w3.org/ns/prov#used": N_("used"),
    "http://www.w3.org/ns/prov#generated": N_("generated"),
    "http://www.w3.org/ns/prov#wasInformedBy": N_("informed by"),
    "http://www.w3.org/ns/prov#wasQuotedFrom": N_("quoted from"),
    "http://xmlns.com/foaf/0.1/homepage": N_("homepage"),
    "http://xmlns.com/foaf/0.1/name": N_("name"),
    "http://xmlns.com/foaf/0.1/page": N_("page"),
    "http://schema.org/position": N_("position"),
    "http://schema.org/startDate": N_("start date"),
    "http://schema.org/organizer": N_("organiser"),
    "http://schema.org/text": N_("text"),
    "http://schema.org/value": N_("value"),
    "http://schema.org/currency": N_("currency"),
    "http://schema.org/numberOfPages": N_("number of pages"),
    "http://schema.org/about": N_("about"),
    "http://schema.org/url": N_("URL"),
    "http://schema.org/legislationPassedBy": N_("passed by"),
    "http://data.europa.eu/eli/ontology#passed_by": N_("passed by"),
    "http://data.europa.eu/eli/ontology#date_document": N_("document date"),
    "http://data.europa.eu/eli/ontology#is_realized_by": N_("realised by"),
    "http://data.europa.eu/eli/ontology#realizes": N_("realises"),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#activity_date": N_("activity date"),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#decision_outcome": N_(
        "decision outcome"
    ),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#decided_on_a_realization_of": N_(
        "decided on"
    ),
    "http://purl.org/dc/terms/temporal": N_("period"),
    "http://purl.org/dc/terms/extent": N_("extent"),
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#value": N_("value"),
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": N_("see also"),
    "http://www.w3.org/2004/02/skos/core#scopeNote": N_("scope note"),
    "http://www.w3.org/ns/dcat#startDate": N_("start"),
    "http://www.w3.org/ns/dcat#endDate": N_("end"),
    "http://www.w3.org/ns/adms#identifier": N_("identifier (ADMS)"),
    "http://schema.org/caption": N_("caption"),
    "http://schema.org/pageStart": N_("page"),
    "http://schema.org/subEvent": N_("sub-event"),
    "http://schema.org/superEvent": N_("sub-event of"),
    # A release (releases/<v>/release.ttl):
    "http://purl.org/dc/terms/bibliographicCitation": N_("citation"),
    "http://purl.org/dc/terms/issued": N_("issued"),
    "http://purl.org/dc/terms/isVersionOf": N_("version of"),
    "http://www.w3.org/ns/dcat#version": N_("version"),
    "http://www.w3.org/ns/dcat#hasVersion": N_("has version"),
    "http://www.w3.org/ns/dcat#inSeries": N_("in series"),
    "http://www.w3.org/ns/dcat#previousVersion": N_("previous version"),
    "http://www.w3.org/ns/dcat#prev": N_("previous in series"),
    "http://www.w3.org/ns/adms#versionNotes": N_("version notes"),
}


def standard_label(iri: str, lang: str) -> str | None:
    message = STANDARD_LABELS.get(iri)
    if message is None:
        return None
    return translations(lang).gettext(message)


def wraplines(text: str, width: int) -> list[str]:
    """Break a label into lines of at most ``width`` characters, for SVG text."""
    import textwrap

    return textwrap.wrap(text, width=width, break_long_words=False) or [text]
