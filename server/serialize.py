"""Serialising triples: pyoxigraph for speed, rdflib for compacted JSON-LD.

JSON-LD answers are compacted with our published context (``/context.jsonld``)
and embed it, so clients need not fetch it to read the data.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib

from server.formats import JSONLD, RdfFormat


def jsonld_context(prefixes: dict[str, str]) -> dict[str, object]:
    """The published ``@context``: one term per prefix we use."""
    return {"@context": dict(sorted(prefixes.items()))}


def to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """Copy pyoxigraph triples into an rdflib graph (for JSON-LD and SHACL)."""
    g = rdflib.Graph()
    bnodes: dict[str, rdflib.BNode] = {}

    def term(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
        if isinstance(t, ox.NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return bnodes.setdefault(t.value, rdflib.BNode())
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))

    for t in triples:
        g.add((term(t.subject), term(t.predicate), term(t.object)))  # type: ignore[arg-type]
    return g


def serialize(triples: Iterable[ox.Triple], fmt: RdfFormat, prefixes: dict[str, str]) -> bytes:
    """Bytes in ``fmt``; N-Triples ignores prefixes by definition."""
    if fmt is JSONLD:
        g = to_rdflib(triples)
        ctx = jsonld_context(prefixes)["@context"]
        return g.serialize(format="json-ld", context=ctx, auto_compact=True).encode("utf-8")
    # Our resource IRIs have "/" in their local part, which Turtle would escape ("id:a\/b");
    # full IRIs read better there, so the "id" prefix is kept for JSON-LD only.
    readable = {k: v for k, v in prefixes.items() if k != "id"}
    kwargs = {} if fmt.ox_format == ox.RdfFormat.N_TRIPLES else {"prefixes": readable}
    return ox.serialize(list(triples), format=fmt.ox_format, **kwargs)  # type: ignore[return-value]
