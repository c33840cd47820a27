"""The RDF formats we serve, one record each: content negotiation, format URLs, dumps,
the catalog, the release files and /sparql all read this registry.

Precedence when answering a request: format suffix (``.ttl``) or ``?format=`` >
``Accept`` header. For ``*/*`` (or no Accept header) the answer is Turtle, so
harvesters and curl get data; browsers ask for ``text/html`` explicitly.

A new format is one :class:`RdfFormat` passed to :func:`register` (a profile
lists its own in ``Profile.formats``), as rdflib's plugins are registered: the
lookup tables below are filled in place, so every reader sees it.
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
    #: Its name in the W3C's format IRIs (``http://www.w3.org/ns/formats/<w3c>``): the
    #: service description's sd:resultFormat and VoID's void:feature of a dump.
    w3c: str
    #: Its name in the EU's file-type authority table (a distribution's dct:format).
    file_type: str
    #: Offered as a dump and as a release file.
    dump: bool = True


TURTLE = RdfFormat(
    "turtle", "text/turtle", "ttl", ox.RdfFormat.TURTLE, "Turtle", "Turtle", "RDF_TURTLE"
)
JSONLD = RdfFormat(
    "jsonld", "application/ld+json", "jsonld", ox.RdfFormat.JSON_LD, "JSON-LD", "JSON-LD", "JSON_LD"
)
RDFXML = RdfFormat(
    "rdfxml", "application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML, "RDF/XML", "RDF_XML", "RDF_XML"
)
NTRIPLES = RdfFormat(
    "ntriples",
    "application/n-triples",
    "nt",
    ox.RdfFormat.N_TRIPLES,
    "N-Triples",
    "N-Triples",
    "RDF_N_TRIPLES",
)
HTML = "text/html"

#: Every format, Turtle first (the answer to ``*/*``).
RDF_FORMATS: list[RdfFormat] = []
BY_SUFFIX: dict[str, RdfFormat] = {}
BY_MEDIA_TYPE: dict[str, RdfFormat] = {}
#: Names accepted in ``?format=``/``?output=``, including what SPARQLWrapper and Fuseki send.
BY_NAME: dict[str, RdfFormat] = {}
#: Generic or older types some clients ask for, answered in the nearest format (whose
#: own media type the answer carries): JSON-LD is JSON, RDF/XML is XML, N-Triples
#: was text/plain before it had a type. Offered after the exact types, so they
#: only decide when a client names nothing else.
ALIASES: dict[str, RdfFormat] = {}
#: Every type we negotiate for RDF, exact and alias.
BY_ACCEPTED: dict[str, RdfFormat] = {}
_offered: list[tuple[str, ...]] = [()]


def register(fmt: RdfFormat, names: tuple[str, ...] = (), aliases: tuple[str, ...] = ()) -> None:
    """Offer ``fmt`` (again: the same record twice is one); ``names`` are further
    ``?format=`` values, ``aliases`` further media types answered in it."""
    if BY_SUFFIX.get(fmt.suffix) not in (None, fmt):
        raise ValueError(f"format suffix .{fmt.suffix} is taken by {BY_SUFFIX[fmt.suffix].name}")
    if fmt not in RDF_FORMATS:
        RDF_FORMATS.append(fmt)
    BY_SUFFIX[fmt.suffix] = fmt
    BY_MEDIA_TYPE[fmt.media_type] = fmt
    for name in (fmt.name, fmt.suffix, fmt.media_type, *names):
        BY_NAME.setdefault(name, fmt)
    for alias in aliases:
        ALIASES.setdefault(alias, fmt)
    _refresh()


def unregister(fmt: RdfFormat) -> None:
    """Stop offering ``fmt`` (a test's temporary format)."""
    RDF_FORMATS.remove(fmt)
    for table in (BY_SUFFIX, BY_MEDIA_TYPE, BY_NAME, ALIASES):
        for key in [k for k, v in table.items() if v is fmt]:
            del table[key]
    _refresh()


def _refresh() -> None:
    BY_ACCEPTED.clear()
    BY_ACCEPTED.update(BY_MEDIA_TYPE | ALIASES)
    _offered[0] = (
        RDF_FORMATS[0].media_type,
        HTML,
        *(f.media_type for f in RDF_FORMATS[1:]),
        *ALIASES,
    )


def offered() -> tuple[str, ...]:
    """Every type a resource is offered in, in this order: for equal preference (``*/*``)
    the first wins."""
    return _offered[0]


register(TURTLE, names=("n3",), aliases=("application/x-turtle", "text/n3"))
register(JSONLD, names=("json", "json-ld"), aliases=("application/json",))
register(RDFXML, names=("xml", "rdf+xml"), aliases=("application/xml", "text/xml"))
register(NTRIPLES, names=("n-triples",), aliases=("text/plain",))
