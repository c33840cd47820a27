"""What a resource's RDF holds, built from SPARQL so every store answers alike.

The description is the resource's concise bounded description (blank nodes
followed three levels deep), the labels of everything it links to (including
its properties and classes), and its incoming links with their labels, so a
theme lists its goals and a body the decisions it took.
"""

from __future__ import annotations

import pyoxigraph as ox

from server.store import Store

LABELS = (
    "<http://www.w3.org/2004/02/skos/core#prefLabel> <http://www.w3.org/2000/01/rdf-schema#label> "
    "<http://purl.org/dc/terms/title> <http://xmlns.com/foaf/0.1/name>"
)


def iri_ref(iri: str) -> str:
    """An IRI as a SPARQL term; refuses characters that could break out of ``<...>``."""
    if "\ufffd" in iri:
        raise ValueError("The path is not valid UTF-8.")
    if any(c in iri for c in '<>"{}|^`\\ \n\r\t'):
        raise ValueError(f"not a valid IRI: {iri!r}")
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise ValueError(f"not a valid IRI: {iri!r}") from exc
    return f"<{iri}>"


def description_query(iri: str) -> str:
    r = iri_ref(iri)
    return f"""CONSTRUCT {{
  {r} ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 .
  ?x ?lp ?l .
  ?in ?ip {r} .
}} WHERE {{
  {{ {r} ?p ?o
     OPTIONAL {{ FILTER(isBlank(?o)) ?o ?p2 ?o2
       OPTIONAL {{ FILTER(isBlank(?o2)) ?o2 ?p3 ?o3 }} }} }}
  UNION {{ {{ {r} ?q ?x }} UNION {{ {r} ?x ?v }} UNION {{ ?x ?v {r} }}
           FILTER(isIRI(?x)) VALUES ?lp {{ {LABELS} }} ?x ?lp ?l }}
  UNION {{ ?in ?ip {r} FILTER(isIRI(?in)) }}
}}"""


def describe(store: Store, iri: str) -> list[ox.Triple]:
    """The triples of the resource's representation; empty if we know nothing about it."""
    triples = store.construct(description_query(iri))
    subject = ox.NamedNode(iri)
    if not any(t.subject == subject for t in triples):
        return []
    return triples
