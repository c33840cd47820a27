"""The one table of RDF formats: content negotiation, format URLs, dumps and /sparql read it.

Precedence when answering a request: format suffix (``.ttl``) or ``?format=`` >
``Accept`` header. For ``*/*`` (or no Accept header) the answer is Turtle, so
harvesters and curl get data; browsers ask for ``text/html`` explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class RdfFormat:
    """One RDF serialisation we offer."""

    name: str
    media_type: str
    suffix: str
    ox_format: ox.RdfFormat
    label: str


TURTLE = RdfFormat("turtle", "text/turtle", "ttl", ox.RdfFormat.TURTLE, "Turtle")
JSONLD = RdfFormat("jsonld", "application/ld+json", "jsonld", ox.RdfFormat.JSON_LD, "JSON-LD")
RDFXML = RdfFormat("rdfxml", "application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML, "RDF/XML")
NTRIPLES = RdfFormat("ntriples", "application/n-triples", "nt", ox.RdfFormat.N_TRIPLES, "N-Triples")

RDF_FORMATS: tuple[RdfFormat, ...] = (TURTLE, JSONLD, RDFXML, NTRIPLES)
HTML = "text/html"

BY_SUFFIX = {f.suffix: f for f in RDF_FORMATS}
BY_MEDIA_TYPE = {f.media_type: f for f in RDF_FORMATS}
#: Names accepted in ``?format=``/``?output=``, including what SPARQLWrapper and Fuseki send.
BY_NAME = (
    {f.name: f for f in RDF_FORMATS}
    | BY_SUFFIX
    | {f.media_type: f for f in RDF_FORMATS}
    | {
        "json": JSONLD,
        "json-ld": JSONLD,
        "xml": RDFXML,
        "rdf+xml": RDFXML,
        "n3": TURTLE,
        "n-triples": NTRIPLES,
    }
)

#: Generic or older types some clients ask for, answered in the nearest format (whose
#: own media type the answer carries): JSON-LD is JSON, RDF/XML is XML, N-Triples
#: was text/plain before it had a type. Offered after the exact types, so they
#: only decide when a client names nothing else.
ALIASES: dict[str, RdfFormat] = {
    "application/x-turtle": TURTLE,
    "text/n3": TURTLE,
    "application/json": JSONLD,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
    "text/plain": NTRIPLES,
}
#: Every type we negotiate for RDF, exact and alias.
BY_ACCEPTED = BY_MEDIA_TYPE | ALIASES

#: Offered in this order: for equal preference (``*/*``) the first wins.
OFFERED: tuple[str, ...] = (
    TURTLE.media_type,
    HTML,
    *(f.media_type for f in RDF_FORMATS[1:]),
    *ALIASES,
)
