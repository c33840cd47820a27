"""Serialising triples: pyoxigraph for speed, rdflib for compacted JSON-LD.

JSON-LD answers are compacted with our published context (``/context.jsonld``)
and embed it, so clients need not fetch it to read the data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from rdflib.plugins.serializers import jsonld as rdflib_jsonld
from rdflib.plugins.shared.jsonld.context import Context

from server.rdf.formats import JSONLD, RdfFormat


def jsonld_context(prefixes: dict[str, str]) -> dict[str, object]:
    """The published ``@context``: one term per prefix we use."""
    return {"@context": dict(sorted(prefixes.items()))}


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def rdflib_term(
    t: ox.NamedNode | ox.BlankNode | ox.Literal, typed_strings: bool = False
) -> rdflib.term.Node:
    """One pyoxigraph term as rdflib's; the one conversion of the package.

    A plain string is ``"x"^^xsd:string`` in RDF 1.1 either way, but rdflib's own
    parser leaves it untyped, so SHACL data is converted that way
    (``typed_strings=False``); the JSON-LD answers keep the explicit type they
    always had (``True``), so their bytes and ETags do not change.

    Typed literals keep the store's lexical form (``normalize=False``): rdflib
    would write ``"…Z"^^xsd:dateTime`` as ``"…+00:00"``, another literal in RDF,
    so a client merging JSON-LD with Turtle got two ``dcterms:issued``.
    """
    if isinstance(t, ox.NamedNode):
        return rdflib.URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return rdflib.BNode(t.value)  # the store's label: the same in every format
    if t.language:
        return rdflib.Literal(t.value, lang=t.language)
    if t.datatype.value == XSD_STRING and not typed_strings:
        return rdflib.Literal(t.value)
    return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value), normalize=False)


def plain(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple,
) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A subject or object as a plain term: our data has no quoted (RDF-star) triples.

    pyoxigraph types a position as possibly holding a quoted triple; the sources are
    Turtle 1.1 and the store is loaded only from them, so meeting one is a bug.
    """
    if isinstance(term, ox.Triple):
        raise TypeError(f"quoted triple in the data: {term}")
    return term


def value_of(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """The lexical value (IRI, blank node label or literal text) of a subject or object."""
    return plain(term).value


def to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """Copy pyoxigraph triples into an rdflib graph (for JSON-LD)."""
    g = rdflib.Graph()
    for t in triples:
        g.add(
            (
                rdflib_term(plain(t.subject), True),
                rdflib_term(t.predicate, True),
                rdflib_term(plain(t.object), True),
            )
        )
    return g


def serialize(triples: Iterable[ox.Triple], fmt: RdfFormat, prefixes: dict[str, str]) -> bytes:
    """Bytes in ``fmt``; N-Triples ignores prefixes by definition."""
    if fmt is JSONLD:
        return _jsonld(triples, prefixes)
    # Our resource IRIs have "/" in their local part, which Turtle would escape ("id:a\/b");
    # full IRIs read better there, so the "id" prefix is kept for JSON-LD only.
    readable = {k: v for k, v in prefixes.items() if k != "id"}
    if fmt.ox_format == ox.RdfFormat.N_TRIPLES:
        body = ox.serialize(list(triples), format=fmt.ox_format)
    else:
        body = ox.serialize(list(triples), format=fmt.ox_format, prefixes=readable)
    assert body is not None  # no output file given: the bytes are returned
    return body


def _jsonld(triples: Iterable[ox.Triple], prefixes: dict[str, str]) -> bytes:
    """Compacted JSON-LD, the same bytes in every process.

    Every web worker answers with the same strong ETag, so the bytes must not
    depend on the process: rdflib orders the nodes of ``@graph`` by a set of
    subjects (string hashes differ per process), so they are sorted by ``@id``
    here, and triples go in sorted so each node's properties come in one order.
    """
    g = to_rdflib(sorted(triples, key=str))
    doc = _from_rdf(g, dict(sorted(prefixes.items())))  # jsonld_context's @context
    if isinstance(doc, dict) and isinstance(doc.get("@graph"), list):
        doc["@graph"].sort(key=lambda node: str(node.get("@id", "")))
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _json_native(lexical: str, datatype: str) -> bool:
    """Whether a JSON-LD reader turns the JSON value rdflib writes for this literal
    back into the same lexical form (JSON-LD 1.1, §8.6 "Data Round Tripping")."""
    if datatype == XSD + "boolean":
        return lexical in ("true", "false")
    if datatype == XSD + "integer":
        try:
            return str(int(lexical)) == lexical
        except ValueError:
            return False
    return False  # xsd:double: the canonical "1.5E0" is rarely what the data says


XSD = "http://www.w3.org/2001/XMLSchema#"


class _Faithful(rdflib_jsonld.Converter):
    """rdflib's JSON-LD converter, writing a literal as a JSON number or boolean only
    when a reader gets the same literal back; else as ``{"@value", "@type"}``.

    With a context rdflib writes every xsd:integer, xsd:double and xsd:boolean
    natively: ``"01"^^xsd:integer`` became ``1`` and ``"51.5"^^xsd:double``
    ``51.5``, which a JSON-LD reader reads as ``"1"`` and ``"5.15E1"``.
    """

    def to_raw_value(self, graph: rdflib.Graph, s: object, o: object, nodemap: object) -> object:
        if (
            isinstance(o, rdflib.Literal)
            and o.datatype is not None
            and o.datatype in rdflib_jsonld.PLAIN_LITERAL_TYPES
            and str(o.datatype) != XSD_STRING
            and not _json_native(str(o), str(o.datatype))
        ):
            return {
                self.context.type_key: self.context.to_symbol(o.datatype),
                self.context.value_key: str(o),
            }
        return super().to_raw_value(graph, s, o, nodemap)  # type: ignore[arg-type]


def _from_rdf(graph: rdflib.Graph, context: dict[str, str]) -> object:
    """rdflib's ``from_rdf`` with :class:`_Faithful` as the converter."""
    ctx = Context(context)
    result = _Faithful(ctx, True, False).convert(graph)
    if isinstance(result, list):
        result = {ctx.get_key("@graph"): result}
    result["@context"] = context
    return result
