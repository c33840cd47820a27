"""The standard vocabularies we use, declared once; every module imports them from here.

Each is an rdflib ``Namespace``: a ``str`` (so ``SKOS + "notation"`` is the plain
IRI string, and f-strings and ``startswith`` work) whose attributes are
``URIRef``s (``SH.Violation``). rdflib's own closed namespaces are not used:
``rdflib.namespace.SKOS + "x"`` is a ``URIRef``, which never equals a ``str``.
"""

from __future__ import annotations

from rdflib import Namespace

RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
ORG = Namespace("http://www.w3.org/ns/org#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
PROV = Namespace("http://www.w3.org/ns/prov#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VOID = Namespace("http://rdfs.org/ns/void#")

SCHEMA = Namespace("http://schema.org/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
ELI_DL = Namespace("http://data.europa.eu/eli/eli-draft-legislation-ontology#")
OPARL = Namespace("https://schema.oparl.org/1.1/")
SH = Namespace("http://www.w3.org/ns/shacl#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ADMS = Namespace("http://www.w3.org/ns/adms#")

#: The predicates that name a thing, best first: what pages, descriptions and
#: links show as its label.
LABEL_PREDICATES: tuple[str, ...] = (
    SKOS + "prefLabel",
    RDFS + "label",
    DCTERMS + "title",
    FOAF + "name",
)

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
