"""Turning triples into what people read: labels in their language, dates and values in its
conventions (Babel's CLDR data, the patterns from the catalogues)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import pyoxigraph as ox
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, get_decimal_symbol

from server.i18n import N_, translations
from server.rdf.namespaces import LABEL_PREDICATES
from server.rdf.namespaces import XSD as _XSD

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
    if dt == XSD + "dateTime":
        try:
            moment = datetime.fromisoformat(lit.value.replace("Z", "+00:00"))
        except ValueError:
            return lit.value
        text = format_date(moment.date(), _("d MMMM y"), locale=lang)
        if moment.utcoffset() is not None and not moment.utcoffset():
            return f"{text}, {moment:%H:%M} UTC"
        return f"{text}, {moment:%H:%M}"
    if dt == XSD + "boolean":
        return _("yes") if lit.value in ("true", "1") else _("no")
    if dt == XSD + "decimal":
        return lit.value.replace(".", get_decimal_symbol(lang))
    if dt in _INTEGERS:
        try:  # 2,887 statements in English, 2.887 in German
            return format_decimal(int(lit.value), locale=lang)
        except ValueError:
            return lit.value
    return lit.value


_INTEGERS = {
    XSD + name
    for name in (
        "integer", "nonNegativeInteger", "positiveInteger", "int", "long", "short",
        "unsignedInt", "unsignedLong",
    )
}  # fmt: skip


def number_text(n: int, lang: str) -> str:
    """A count as the language writes it ("4.334", "4,334")."""
    return format_decimal(n, locale=lang)


def byte_size(n: int, lang: str) -> str:
    """A file size for people: "302.3 kB" (SI units, as browsers' download lists show)."""
    from babel.units import format_unit

    for unit, factor in (("gigabyte", 10**9), ("megabyte", 10**6), ("kilobyte", 10**3)):
        if n >= factor:
            return format_unit(round(n / factor, 1), f"digital-{unit}", length="short", locale=lang)
    return format_unit(n, "digital-byte", length="short", locale=lang)


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
    # The catalog, its datasets, distributions and services (DCAT, DCAT-AP, DCAT-AP.de):
    "http://purl.org/dc/terms/accrualPeriodicity": N_("update frequency"),
    "http://purl.org/dc/terms/conformsTo": N_("conforms to"),
    "http://purl.org/dc/terms/creator": N_("creator"),
    "http://purl.org/dc/terms/license": N_("licence"),
    "http://purl.org/dc/terms/modified": N_("last modified"),
    "http://purl.org/dc/terms/rights": N_("rights"),
    "http://purl.org/dc/terms/alternative": N_("alternative title"),
    "http://purl.org/dc/terms/abstract": N_("abstract"),
    "http://www.w3.org/ns/dcat#accessURL": N_("access URL"),
    "http://www.w3.org/ns/dcat#byteSize": N_("file size"),
    "http://www.w3.org/ns/dcat#compressFormat": N_("compression"),
    "http://www.w3.org/ns/dcat#packageFormat": N_("package format"),
    "http://www.w3.org/ns/dcat#contactPoint": N_("contact"),
    "http://www.w3.org/ns/dcat#dataset": N_("dataset"),
    "http://www.w3.org/ns/dcat#distribution": N_("distribution"),
    "http://www.w3.org/ns/dcat#downloadURL": N_("download"),
    "http://www.w3.org/ns/dcat#endpointDescription": N_("endpoint description"),
    "http://www.w3.org/ns/dcat#endpointURL": N_("endpoint address"),
    "http://www.w3.org/ns/dcat#keyword": N_("keyword"),
    "http://www.w3.org/ns/dcat#landingPage": N_("landing page"),
    "http://www.w3.org/ns/dcat#mediaType": N_("media type"),
    "http://www.w3.org/ns/dcat#servesDataset": N_("serves the dataset"),
    "http://www.w3.org/ns/dcat#service": N_("data service"),
    "http://www.w3.org/ns/dcat#theme": N_("data theme"),
    "http://www.w3.org/ns/dcat#themeTaxonomy": N_("theme classification"),
    "http://www.w3.org/ns/dcat#catalog": N_("catalog"),
    "http://www.w3.org/ns/dcat#record": N_("catalog record"),
    "http://www.w3.org/ns/dcat#temporalResolution": N_("temporal resolution"),
    "http://www.w3.org/ns/dcat#spatialResolutionInMeters": N_("spatial resolution in metres"),
    "http://data.europa.eu/r5r/availability": N_("availability"),
    "http://data.europa.eu/r5r/applicableLegislation": N_("applicable legislation"),
    "http://dcat-ap.de/def/dcatde/politicalGeocodingLevelURI": N_("administrative level"),
    "http://dcat-ap.de/def/dcatde/politicalGeocodingURI": N_("administrative area"),
    "http://dcat-ap.de/def/dcatde/contributorID": N_("contributor ID"),
    "http://dcat-ap.de/def/dcatde/maintainer": N_("maintainer"),
    "http://dcat-ap.de/def/dcatde/originator": N_("originator"),
    "http://www.w3.org/2006/vcard/ns#fn": N_("name"),
    "http://www.w3.org/2006/vcard/ns#hasURL": N_("web address"),
    "http://www.w3.org/2006/vcard/ns#hasEmail": N_("e-mail"),
    "http://spdx.org/rdf/terms#checksum": N_("checksum"),
    "http://spdx.org/rdf/terms#algorithm": N_("algorithm"),
    "http://spdx.org/rdf/terms#checksumValue": N_("checksum value"),
    # Statistics of a dataset (VoID):
    "http://rdfs.org/ns/void#classes": N_("number of classes"),
    "http://rdfs.org/ns/void#properties": N_("number of properties"),
    "http://rdfs.org/ns/void#triples": N_("number of statements (triples)"),
    "http://rdfs.org/ns/void#entities": N_("number of resources"),
    "http://rdfs.org/ns/void#distinctSubjects": N_("distinct subjects"),
    "http://rdfs.org/ns/void#distinctObjects": N_("distinct objects"),
    "http://rdfs.org/ns/void#documents": N_("number of documents"),
    "http://rdfs.org/ns/void#classPartition": N_("resources by class"),
    "http://rdfs.org/ns/void#propertyPartition": N_("statements by property"),
    "http://rdfs.org/ns/void#class": N_("class"),
    "http://rdfs.org/ns/void#property": N_("property"),
    "http://rdfs.org/ns/void#dataDump": N_("data dump"),
    "http://rdfs.org/ns/void#exampleResource": N_("example resource"),
    "http://rdfs.org/ns/void#rootResource": N_("starting point"),
    "http://rdfs.org/ns/void#feature": N_("format offered"),
    "http://rdfs.org/ns/void#sparqlEndpoint": N_("SPARQL endpoint"),
    "http://rdfs.org/ns/void#uriSpace": N_("address space (URIs)"),
    "http://rdfs.org/ns/void#uriRegexPattern": N_("address pattern"),
    "http://rdfs.org/ns/void#vocabulary": N_("vocabulary used"),
    "http://rdfs.org/ns/void#subset": N_("subset"),
    "http://rdfs.org/ns/void#inDataset": N_("in dataset"),
    # The SPARQL service description (SD):
    "http://www.w3.org/ns/sparql-service-description#endpoint": N_("endpoint address"),
    "http://www.w3.org/ns/sparql-service-description#supportedLanguage": N_("query language"),
    "http://www.w3.org/ns/sparql-service-description#resultFormat": N_("result format"),
    "http://www.w3.org/ns/sparql-service-description#feature": N_("feature"),
    "http://www.w3.org/ns/sparql-service-description#defaultDataset": N_("default dataset"),
    "http://www.w3.org/ns/sparql-service-description#defaultGraph": N_("default graph"),
    "http://www.w3.org/ns/sparql-service-description#namedGraph": N_("named graph"),
    "http://www.w3.org/ns/sparql-service-description#name": N_("name"),
    # Further terms the pages show:
    "http://schema.org/location": N_("location"),
    "http://schema.org/object": N_("concerns"),
    "http://schema.org/name": N_("name"),
    "http://schema.org/description": N_("description"),
    "http://schema.org/endDate": N_("end date"),
    "http://schema.org/eventStatus": N_("event status"),
    "http://schema.org/identifier": N_("identifier"),
    "http://schema.org/amount": N_("amount"),
    "http://schema.org/funding": N_("funding"),
    "http://schema.org/fundedItem": N_("funded item"),
    "http://schema.org/funder": N_("funder"),
    "http://schema.org/sponsor": N_("sponsor"),
    "http://schema.org/startTime": N_("start"),
    "http://schema.org/endTime": N_("end"),
    "http://schema.org/result": N_("outcome"),
    "http://schema.org/agent": N_("agent"),
    "http://schema.org/participant": N_("participant"),
    "http://www.w3.org/2004/02/skos/core#closeMatch": N_("corresponds to"),
    "http://www.w3.org/2004/02/skos/core#exactMatch": N_("same as"),
    "http://www.w3.org/2004/02/skos/core#related": N_("related to"),
    "http://www.w3.org/2004/02/skos/core#note": N_("note"),
    "http://www.w3.org/2004/02/skos/core#historyNote": N_("history"),
    "http://www.w3.org/2004/02/skos/core#example": N_("example"),
    "http://www.w3.org/ns/prov#wasDerivedFrom": N_("derived from"),
    "http://www.w3.org/ns/prov#wasGeneratedBy": N_("generated by"),
    "http://www.w3.org/ns/prov#wasAttributedTo": N_("attributed to"),
    "http://www.w3.org/ns/prov#startedAtTime": N_("start"),
    "http://www.w3.org/ns/prov#endedAtTime": N_("end"),
    "http://www.w3.org/ns/adms#status": N_("status"),
    "http://www.w3.org/2000/01/rdf-schema#label": N_("name"),
    "http://www.w3.org/2000/01/rdf-schema#comment": N_("comment"),
    "http://www.w3.org/2002/07/owl#sameAs": N_("same as"),
    "http://www.w3.org/2002/07/owl#versionInfo": N_("version"),
    "http://schema.org/instrument": N_("instrument"),
    # The vocabulary's own terms (a dataset's statistics count statements per property):
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": N_("type"),
    "http://www.w3.org/2000/01/rdf-schema#domain": N_("applies to"),
    "http://www.w3.org/2000/01/rdf-schema#range": N_("value range"),
    "http://www.w3.org/2000/01/rdf-schema#isDefinedBy": N_("defined by"),
    "http://www.w3.org/2000/01/rdf-schema#subClassOf": N_("subclass of"),
    "http://www.w3.org/2000/01/rdf-schema#subPropertyOf": N_("subproperty of"),
    "http://www.w3.org/2002/07/owl#inverseOf": N_("inverse of"),
    "http://www.w3.org/2002/07/owl#versionIRI": N_("version IRI"),
    "http://www.w3.org/2002/07/owl#imports": N_("imports"),
    "http://www.w3.org/2004/02/skos/core#prefLabel": N_("preferred name"),
    "http://www.w3.org/2004/02/skos/core#hiddenLabel": N_("hidden name"),
    "http://purl.org/vocab/vann/preferredNamespacePrefix": N_("preferred prefix"),
    "http://purl.org/vocab/vann/preferredNamespaceUri": N_("preferred namespace"),
}

#: Standard classes by name (a dataset's statistics count resources per class), with the
#: vocabularies' own labels.
CLASS_LABELS: dict[str, str] = {
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#Activity": N_("legislative activity"),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#Decision": N_("decision"),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#DecisionOutcome": N_(
        "decision outcome"
    ),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#ForeseenActivity": N_(
        "foreseen activity"
    ),
    "http://data.europa.eu/eli/ontology#Expression": N_("legal expression"),
    "http://data.europa.eu/eli/ontology#Work": N_("legal resource"),
    "http://purl.org/dc/terms/LicenseDocument": N_("licence document"),
    "http://purl.org/dc/terms/Location": N_("location"),
    "http://purl.org/dc/terms/MediaType": N_("media type"),
    "http://purl.org/dc/terms/PeriodOfTime": N_("period of time"),
    "http://purl.org/dc/terms/SizeOrDuration": N_("size or duration"),
    "http://rdfs.org/ns/void#Dataset": N_("dataset (VoID)"),
    "http://schema.org/Action": N_("action"),
    "http://schema.org/CreativeWork": N_("creative work"),
    "http://schema.org/Event": N_("event"),
    "http://schema.org/GovernmentOrganization": N_("government organisation"),
    "http://schema.org/ImageObject": N_("image"),
    "http://schema.org/MonetaryAmount": N_("monetary amount"),
    "http://schema.org/MonetaryGrant": N_("monetary grant"),
    "http://schema.org/Place": N_("place"),
    "http://schema.org/Project": N_("project"),
    "http://schema.org/Legislation": N_("legislation"),
    "http://schema.org/Dataset": N_("dataset"),
    "http://www.w3.org/2000/01/rdf-schema#Datatype": N_("datatype"),
    "http://www.w3.org/2000/01/rdf-schema#Class": N_("class"),
    "http://www.w3.org/2002/07/owl#Class": N_("class"),
    "http://www.w3.org/2002/07/owl#DatatypeProperty": N_("data property"),
    "http://www.w3.org/2002/07/owl#ObjectProperty": N_("object property"),
    "http://www.w3.org/2002/07/owl#Ontology": N_("ontology"),
    "http://www.w3.org/2004/02/skos/core#Concept": N_("concept"),
    "http://www.w3.org/2004/02/skos/core#ConceptScheme": N_("concept scheme"),
    "http://www.w3.org/2006/vcard/ns#Kind": N_("contact"),
    "http://www.w3.org/2006/vcard/ns#Organization": N_("organisation (contact)"),
    "http://www.w3.org/ns/adms#Identifier": N_("identifier"),
    "http://www.w3.org/ns/dcat#Catalog": N_("catalog"),
    "http://www.w3.org/ns/dcat#DataService": N_("data service"),
    "http://www.w3.org/ns/dcat#Dataset": N_("dataset"),
    "http://www.w3.org/ns/dcat#DatasetSeries": N_("dataset series"),
    "http://www.w3.org/ns/dcat#Distribution": N_("distribution"),
    "http://www.w3.org/ns/org#FormalOrganization": N_("formal organisation"),
    "http://www.w3.org/ns/org#Organization": N_("organisation"),
    "http://www.w3.org/ns/org#OrganizationalUnit": N_("organisational unit"),
    "http://www.w3.org/ns/prov#Activity": N_("activity"),
    "http://www.w3.org/ns/prov#Entity": N_("entity"),
    "http://xmlns.com/foaf/0.1/Agent": N_("agent"),
    "http://xmlns.com/foaf/0.1/Document": N_("document"),
    "http://xmlns.com/foaf/0.1/Organization": N_("organisation"),
    "http://spdx.org/rdf/terms#Checksum": N_("checksum"),
    "http://www.w3.org/ns/sparql-service-description#Service": N_("SPARQL service"),
}

#: How a person names a link *to* the page's resource, per property: on the Kreistag's
#: page the consultations that name it as their body are "consultations in this body",
#: not "is 'body' of". Standard terms here, our own below (by local name).
INVERSE_LABELS: dict[str, str] = {
    "http://purl.org/dc/terms/source": N_("source of"),
    "http://purl.org/dc/terms/publisher": N_("publisher of"),
    "http://purl.org/dc/terms/creator": N_("creator of"),
    "http://purl.org/dc/terms/contributor": N_("contributed to"),
    "http://purl.org/dc/terms/subject": N_("subject of"),
    "http://purl.org/dc/terms/relation": N_("related to"),
    "http://purl.org/dc/terms/hasPart": N_("is part of"),
    "http://purl.org/dc/terms/isPartOf": N_("has part"),
    "http://purl.org/dc/terms/references": N_("referred to by"),
    "http://purl.org/dc/terms/isVersionOf": N_("versions"),
    "http://purl.org/dc/terms/spatial": N_("area of"),
    "http://purl.org/dc/terms/temporal": N_("period of"),
    "http://purl.org/dc/terms/type": N_("kind of"),
    "http://purl.org/dc/terms/extent": N_("extent of"),
    "http://purl.org/dc/terms/conformsTo": N_("standard for"),
    "http://purl.org/dc/terms/license": N_("licence of"),
    "http://www.w3.org/2004/02/skos/core#broader": N_("narrower"),
    "http://www.w3.org/2004/02/skos/core#narrower": N_("broader"),
    "http://www.w3.org/2004/02/skos/core#inScheme": N_("concepts in this scheme"),
    "http://www.w3.org/2004/02/skos/core#topConceptOf": N_("top concept"),
    "http://www.w3.org/2004/02/skos/core#hasTopConcept": N_("top concept of"),
    "http://www.w3.org/2004/02/skos/core#closeMatch": N_("corresponds to"),
    "http://www.w3.org/2004/02/skos/core#related": N_("related to"),
    "http://www.w3.org/ns/org#subOrganizationOf": N_("sub-organisation"),
    "http://www.w3.org/ns/org#hasSubOrganization": N_("sub-organisation of"),
    "http://www.w3.org/ns/org#unitOf": N_("unit"),
    "http://www.w3.org/ns/org#hasUnit": N_("unit of"),
    "http://www.w3.org/ns/org#linkedTo": N_("linked to"),
    "http://www.w3.org/ns/prov#used": N_("used by"),
    "http://www.w3.org/ns/prov#generated": N_("generated by"),
    "http://www.w3.org/ns/prov#wasDerivedFrom": N_("basis of"),
    "http://www.w3.org/ns/prov#wasQuotedFrom": N_("quoted in"),
    "http://www.w3.org/ns/prov#wasAssociatedWith": N_("took part in"),
    "http://www.w3.org/ns/prov#wasInformedBy": N_("informed"),
    "http://xmlns.com/foaf/0.1/page": N_("a page about"),
    "http://xmlns.com/foaf/0.1/homepage": N_("homepage of"),
    "http://schema.org/about": N_("treated in"),
    "http://schema.org/object": N_("concerned by"),
    "http://schema.org/organizer": N_("organiser of"),
    "http://schema.org/subEvent": N_("sub-event of"),
    "http://schema.org/superEvent": N_("sub-event"),
    "http://schema.org/location": N_("location of"),
    "http://schema.org/funding": N_("funding of"),
    "http://schema.org/amount": N_("amount of"),
    "http://schema.org/value": N_("value of"),
    "http://schema.org/fundedItem": N_("funded by"),
    "http://schema.org/funder": N_("funder of"),
    "http://schema.org/agent": N_("agent of"),
    "http://schema.org/participant": N_("participant in"),
    "http://schema.org/legislationPassedBy": N_("passed"),
    "http://data.europa.eu/eli/ontology#passed_by": N_("passed"),
    "http://data.europa.eu/eli/ontology#is_realized_by": N_("realises"),
    "http://data.europa.eu/eli/ontology#realizes": N_("realised by"),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#decision_outcome": N_(
        "decisions with this outcome"
    ),
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#decided_on_a_realization_of": N_(
        "decided on in"
    ),
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": N_("referred to by"),
    "http://www.w3.org/ns/adms#identifier": N_("identifier of"),
    "http://www.w3.org/ns/dcat#dataset": N_("listed in the catalog"),
    "http://www.w3.org/ns/dcat#service": N_("listed in the catalog"),
    "http://www.w3.org/ns/dcat#distribution": N_("distribution of"),
    "http://www.w3.org/ns/dcat#contactPoint": N_("contact for"),
    "http://www.w3.org/ns/dcat#hasVersion": N_("version of"),
    "http://www.w3.org/ns/dcat#inSeries": N_("releases in this series"),
    "http://www.w3.org/ns/dcat#previousVersion": N_("next version"),
    "http://www.w3.org/ns/dcat#prev": N_("next in series"),
    "http://www.w3.org/ns/dcat#servesDataset": N_("served by"),
    "http://www.w3.org/ns/dcat#landingPage": N_("landing page of"),
    "http://rdfs.org/ns/void#exampleResource": N_("example resource of"),
    "http://rdfs.org/ns/void#rootResource": N_("starting point of"),
    "http://rdfs.org/ns/void#vocabulary": N_("used by"),
    "http://purl.org/dc/terms/language": N_("language of"),
    "http://www.w3.org/ns/dcat#theme": N_("data theme of"),
}


def standard_label(iri: str, lang: str) -> str | None:
    message = STANDARD_LABELS.get(iri)
    if message is None:
        return None
    return translations(lang).gettext(message)


def inverse_label(
    iri: str, vocab: str, lang: str, own: Mapping[str, str] | None = None
) -> str | None:
    """How a page names the resources that link to it with ``iri`` ("measures towards
    this goal"), or None where the catalogue has no name for that direction. ``own``:
    the vocabulary's properties' inverse names by local name (the profile's)."""
    message = INVERSE_LABELS.get(iri)
    if message is None and own and iri.startswith(vocab):
        message = own.get(iri[len(vocab) :])
    if message is None:
        return None
    return translations(lang).gettext(message)


_EU = "http://publications.europa.eu/resource/authority/"
_GEO = "http://dcat-ap.de/def/politicalGeocoding/"
_IANA = "https://www.iana.org/assignments/media-types/"

#: Values from controlled vocabularies that the pages name, with the vocabularies' own
#: labels (EU Publications Office authority tables, DCAT-AP.de, schema.org, SPDX).
VALUE_LABELS: dict[str, str] = {
    _EU + "access-right/PUBLIC": N_("public"),
    _EU + "access-right/RESTRICTED": N_("restricted"),
    _EU + "access-right/NON_PUBLIC": N_("not public"),
    _EU + "planned-availability/AVAILABLE": N_("available"),
    _EU + "planned-availability/STABLE": N_("stable"),
    _EU + "planned-availability/EXPERIMENTAL": N_("experimental"),
    _EU + "planned-availability/TEMPORARY": N_("temporary"),
    _EU + "frequency/IRREG": N_("irregular"),
    _EU + "frequency/CONT": N_("continuous"),
    _EU + "frequency/DAILY": N_("daily"),
    _EU + "frequency/WEEKLY": N_("weekly"),
    _EU + "frequency/MONTHLY": N_("monthly"),
    _EU + "frequency/ANNUAL": N_("annual"),
    _EU + "frequency/NEVER": N_("never"),
    _EU + "frequency/UNKNOWN": N_("unknown"),
    _EU + "data-theme": N_("EU data themes"),
    _EU + "data-theme/ENVI": N_("Environment"),
    _EU + "data-theme/REGI": N_("Regions and cities"),
    _EU + "data-theme/GOVE": N_("Government and public sector"),
    _EU + "data-theme/AGRI": N_("Agriculture, fisheries, forestry and food"),
    _EU + "data-theme/ECON": N_("Economy and finance"),
    _EU + "data-theme/EDUC": N_("Education, culture and sport"),
    _EU + "data-theme/ENER": N_("Energy"),
    _EU + "data-theme/HEAL": N_("Health"),
    _EU + "data-theme/INTR": N_("International issues"),
    _EU + "data-theme/JUST": N_("Justice, legal system and public safety"),
    _EU + "data-theme/SOCI": N_("Population and society"),
    _EU + "data-theme/TECH": N_("Science and technology"),
    _EU + "data-theme/TRAN": N_("Transport"),
    _EU + "access-right": N_("EU access rights"),
    _EU + "planned-availability": N_("EU planned availability"),
    _EU + "frequency": N_("EU frequencies"),
    _EU + "language": N_("EU languages"),
    _EU + "file-type": N_("EU file types"),
    "http://purl.org/adms/publishertype/NonProfitOrganisation": N_("non-profit organisation"),
    "http://purl.org/adms/publishertype/LocalAuthority": N_("local authority"),
    "http://purl.org/adms/publishertype/RegionalAuthority": N_("regional authority"),
    "http://purl.org/adms/publishertype/1.0": N_("ADMS publisher types"),
    _GEO + "Level": N_("administrative levels (DCAT-AP.de)"),
    _GEO + "Level/federal": N_("federation"),
    _GEO + "Level/state": N_("federal state"),
    _GEO + "Level/administrativeDistrict": N_("district (Kreis)"),
    _GEO + "Level/municipality": N_("municipality"),
    _GEO + "Level/international": N_("international"),
    _GEO + "Level/european": N_("European Union"),
    "http://dcat-ap.de/def/licenses": N_("licences (DCAT-AP.de)"),
    "http://dcat-ap.de/def/licenses/cc-by/4.0": N_(
        "Creative Commons Attribution 4.0 International (CC BY 4.0)"
    ),
    "http://dcat-ap.de/def/licenses/cc-by-sa/4.0": N_(
        "Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)"
    ),
    "http://dcat-ap.de/def/licenses/cc-zero": N_("Creative Commons Zero (CC0 1.0)"),
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0": N_(
        "Data licence Germany – attribution – version 2.0"
    ),
    "http://dcat-ap.de/def/licenses/dl-zero-de/2.0": N_(
        "Data licence Germany – zero – version 2.0"
    ),
    "http://schema.org/EventScheduled": N_("scheduled"),
    "http://schema.org/EventCancelled": N_("cancelled"),
    "http://schema.org/EventPostponed": N_("postponed"),
    "http://schema.org/EventRescheduled": N_("rescheduled"),
    "http://schema.org/EventMovedOnline": N_("moved online"),
}

#: Names that are the same in every language: formats, standards, vocabularies.
PROPER_NAMES: dict[str, str] = {
    "http://spdx.org/rdf/terms#checksumAlgorithm_sha256": "SHA-256",
    "http://spdx.org/rdf/terms#checksumAlgorithm_sha1": "SHA-1",
    "http://spdx.org/rdf/terms#checksumAlgorithm_md5": "MD5",
    "https://www.w3.org/TR/sparql11-protocol/": "SPARQL 1.1 Protocol",
    "https://www.w3.org/TR/sparql11-query/": "SPARQL 1.1 Query Language",
    "http://www.w3.org/ns/sparql-service-description#SPARQL11Query": "SPARQL 1.1 Query",
    # Vocabularies (void:vocabulary names their namespaces):
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "RDF",
    "http://www.w3.org/2000/01/rdf-schema#": "RDF Schema",
    "http://www.w3.org/2002/07/owl#": "OWL",
    "http://www.w3.org/2001/XMLSchema#": "XML Schema",
    "http://www.w3.org/2004/02/skos/core#": "SKOS",
    "http://www.w3.org/ns/org#": "W3C Organization Ontology",
    "http://purl.org/dc/terms/": "DCMI Metadata Terms",
    "http://www.w3.org/ns/dcat#": "DCAT",
    "http://www.w3.org/ns/prov#": "PROV-O",
    "http://xmlns.com/foaf/0.1/": "FOAF",
    "http://rdfs.org/ns/void#": "VoID",
    "http://schema.org/": "schema.org",
    "https://schema.org/": "schema.org",
    "http://data.europa.eu/eli/ontology#": "ELI",
    "http://data.europa.eu/eli/eli-draft-legislation-ontology#": "ELI Draft Legislation",
    "https://schema.oparl.org/1.1/": "OParl 1.1",
    "http://www.w3.org/ns/sparql-service-description#": "SPARQL Service Description",
    "http://data.europa.eu/r5r/": "DCAT-AP",
    "http://dcat-ap.de/def/dcatde/": "DCAT-AP.de",
    "http://www.w3.org/2006/vcard/ns#": "vCard",
    "http://www.w3.org/ns/adms#": "ADMS",
    "http://spdx.org/rdf/terms#": "SPDX",
    "http://purl.org/vocab/vann/": "VANN",
    "http://www.w3.org/ns/shacl#": "SHACL",
    "http://www.w3.org/ns/formats/": "W3C formats",
}

#: File types and formats by name (EU file types, W3C format IRIs, IANA media types).
FORMAT_NAMES: dict[str, str] = {
    "RDF_TURTLE": "Turtle",
    "RDF_N_TRIPLES": "N-Triples",
    "RDF_XML": "RDF/XML",
    "JSON_LD": "JSON-LD",
    "RDF_TRIG": "TriG",
    "RDF_N_QUADS": "N-Quads",
    "CSV": "CSV",
    "JSON": "JSON",
    "TSV": "TSV",
    "XML": "XML",
    "HTML": "HTML",
    "PDF": "PDF",
    "TXT": "Text",
    "ZIP": "ZIP",
    "GZIP": "gzip",
    "Turtle": "Turtle",
    "N-Triples": "N-Triples",
    "JSON-LD": "JSON-LD",
    "TriG": "TriG",
    "N-Quads": "N-Quads",
    "SPARQL_RESULTS_JSON": "SPARQL Results JSON",
    "SPARQL_RESULTS_XML": "SPARQL Results XML",
    "SPARQL_RESULTS_CSV": "SPARQL Results CSV",
    "SPARQL_RESULTS_TSV": "SPARQL Results TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/rdf+xml": "RDF/XML",
    "application/ld+json": "JSON-LD",
    "application/trig": "TriG",
    "application/n-quads": "N-Quads",
    "text/csv": "CSV",
    "application/json": "JSON",
    "text/plain": "Text",
    "text/html": "HTML",
    "application/gzip": "gzip",
    "application/zip": "ZIP",
    "application/pdf": "PDF",
    "application/sparql-results+json": "SPARQL Results JSON",
    "application/sparql-results+xml": "SPARQL Results XML",
}

#: EU language codes (ISO 639-3, as the authority table has them) → ISO 639-1.
_LANGUAGE_CODES = {
    "DEU": "de", "ENG": "en", "FRA": "fr", "NLD": "nl", "ITA": "it", "SPA": "es",
    "POL": "pl", "TUR": "tr", "DAN": "da", "SWE": "sv", "CES": "cs", "POR": "pt",
}  # fmt: skip


def value_label(iri: str, lang: str) -> str | None:
    """The name of a value from a controlled vocabulary or a standard (a licence, a file
    type, a language, a theme, an administrative level), or None if we do not know it.

    Languages are named by CLDR in the page's language; media types keep their code
    beside the name ("Turtle (text/turtle)"), since that code is what a client sends.
    """
    message = VALUE_LABELS.get(iri) or CLASS_LABELS.get(iri)
    if message is not None:
        return translations(lang).gettext(message)
    if iri in PROPER_NAMES:
        return PROPER_NAMES[iri]
    if iri.startswith(_EU + "language/"):
        code = _LANGUAGE_CODES.get(iri.rsplit("/", 1)[-1])
        if code:
            from babel import Locale

            return Locale.parse(lang).languages.get(code)
        return None
    if iri.startswith((_EU + "file-type/", "http://www.w3.org/ns/formats/")):
        return FORMAT_NAMES.get(iri.rsplit("/", 1)[-1])
    if iri.startswith(_IANA):
        media_type = iri[len(_IANA) :]
        name = FORMAT_NAMES.get(media_type)
        return f"{name} ({media_type})" if name else media_type
    if iri.startswith(_GEO):
        kind, _sep, key = iri[len(_GEO) :].partition("/")
        _ = translations(lang).gettext
        keys = {
            # Translators: an area named by its official key, e.g. "district key 05978".
            "districtKey": N_("district key %(key)s"),
            "regionalKey": N_("regional key %(key)s"),
            "municipalityKey": N_("municipality key %(key)s"),
            "stateKey": N_("state key %(key)s"),
        }
        if kind in keys and key.isdigit():
            return _(keys[kind]) % {"key": key}
    return None


def readable_url(url: str) -> str:
    """A web address without a label, as a person reads it: host and path, no scheme,
    shortened in the middle when long (the link itself keeps the full address)."""
    text = url.split("://", 1)[-1].rstrip("/")
    if len(text) > 60:
        text = text[:40] + "…" + text[-15:]
    return text


def wraplines(text: str, width: int) -> list[str]:
    """Break a label into lines of at most ``width`` characters, for SVG text."""
    import textwrap

    return textwrap.wrap(text, width=width, break_long_words=False) or [text]
