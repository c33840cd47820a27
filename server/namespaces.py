"""The standard vocabularies we use, as plain IRI strings and rdflib namespaces."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

SCHEMA = Namespace("http://schema.org/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
ELI_DL = Namespace("http://data.europa.eu/eli/eli-draft-legislation-ontology#")
OPARL = Namespace("https://schema.oparl.org/1.1/")
SH = Namespace("http://www.w3.org/ns/shacl#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")

PREFIXES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "org": str(ORG),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "prov": str(PROV),
    "foaf": str(FOAF),
    "schema": str(SCHEMA),
    "eli": str(ELI),
    "eli-dl": str(ELI_DL),
    "oparl": str(OPARL),
    "void": str(VOID),
    "sd": str(SD),
    "dcatap": str(DCATAP),
    "dcatde": str(DCATDE),
    "vcard": str(VCARD),
}


def ours(namespace: str) -> dict[str, str]:
    """Prefixes of our own namespace: the vocabulary and the resources."""
    return {"cgi": f"{namespace}ontology#", "id": f"{namespace}id/"}


def all_prefixes(namespace: str) -> dict[str, str]:
    """Standard and own prefixes, for serialisers and the query editor."""
    return {**ours(namespace), **PREFIXES}
