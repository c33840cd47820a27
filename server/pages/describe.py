"""What a resource's RDF holds, built from SPARQL so every store answers alike.

The description is the resource's concise bounded description (blank nodes
followed three levels deep), the labels (and positions) of everything it links
to (including its properties and classes), and its incoming links with their
labels, so a theme lists its goals and a body the decisions it took.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pyoxigraph as ox

from server.rdf.namespaces import DCAT, LABEL_PREDICATES, RDF
from server.sparql import Store, bind

LABELS = " ".join(f"<{p}>" for p in LABEL_PREDICATES)
#: The same as a FILTER list. ``FILTER(?p IN (…))`` after the pattern keeps the
#: engine starting from the resource; ``VALUES ?p {…}`` made Oxigraph start from
#: every label in the store (31 ms instead of 0.5 ms at 10^4 triples).
LABEL_LIST = LABELS.replace("> <", ">, <")
#: What is fetched of every linked resource: its labels, and its position where the
#: data gives one, so pages list sections, goals and value-set members in the
#: source's order, not alphabetically.
LINKED_LIST = LABEL_LIST + ", <http://schema.org/position>"


def node(iri: str) -> ox.NamedNode:
    """An IRI as a term to bind; refuses what is no IRI (ValueError), as a path may be."""
    if "\ufffd" in iri:
        raise ValueError("The path is not valid UTF-8.")
    if any(c in iri for c in '<>"{}|^`\\ \n\r\t'):
        raise ValueError(f"not a valid IRI: {iri!r}")
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise ValueError(f"not a valid IRI: {iri!r}") from exc


def iri_ref(iri: str) -> str:
    """An IRI as a SPARQL term (``<…>``), checked as :func:`node` checks it.

    Queries of ours take a resource as a binding (``bindings={"r": node(iri)}``);
    this is for callers that still write the term into a query's text.
    """
    return str(node(iri))


#: Most incoming links one representation lists. A value-set member such as
#: "öffentlich" is the object of every consultation; listing them all would make
#: its page grow with the data. The first ones the store returns are shown (no
#: ORDER BY: sorting 37,000 links took Oxigraph 6 s at 10^6 triples, the scan
#: 16 ms) and the page says that SPARQL has the rest.
MAX_INCOMING = 500


@functools.cache
def _description(limit: int) -> str:
    return f"""CONSTRUCT {{
  ?r ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 .
  ?x ?lp ?l .
  ?in ?ip ?r . ?in ?inp ?inl . ?ip ?ipp ?ipl .
}} WHERE {{
  {{
#BINDINGS
     ?r ?p ?o
     OPTIONAL {{ FILTER(isBlank(?o)) ?o ?p2 ?o2
       OPTIONAL {{ FILTER(isBlank(?o2)) ?o2 ?p3 ?o3 }} }} }}
  UNION {{
#BINDINGS
           {{ ?r ?q ?x }} UNION {{ ?r ?x ?v }}
           FILTER(isIRI(?x)) ?x ?lp ?l FILTER(?lp IN ({LINKED_LIST})) }}
  UNION {{ {{ SELECT ?in ?ip ?r WHERE {{
#BINDINGS
             ?in ?ip ?r FILTER(isIRI(?in)) }} LIMIT {limit} }}
           OPTIONAL {{ ?in ?inp ?inl FILTER(?inp IN ({LINKED_LIST})) }} }}
  UNION {{ {{ SELECT DISTINCT ?ip WHERE {{ {{ SELECT ?in ?ip WHERE {{
#BINDINGS
             ?in ?ip ?r FILTER(isIRI(?in)) }} LIMIT {limit} }} }} }}
           ?ip ?ipp ?ipl FILTER(?ipp IN ({LABEL_LIST})) }}
}}"""


def description_template() -> str:
    """The resource's description, ``?r`` the resource, bound where each part starts.

    The links to it (capped at :data:`MAX_INCOMING`) are a subquery, so the cap
    counts its links alone; the labels of the properties they use make a page say
    "is Gremium of", not the property's local name.
    """
    return _description(MAX_INCOMING)


def description_query(iri: str) -> str:
    """:func:`description_template` for ``iri``, with its binding, as every store runs it."""
    return bind(description_template(), {"r": node(iri)})


CATALOG_LINKS = " | ".join(
    f"<{p}>"
    for p in (
        "http://www.w3.org/ns/dcat#dataset",
        "http://www.w3.org/ns/dcat#service",
        "http://www.w3.org/ns/dcat#distribution",
        "http://www.w3.org/ns/dcat#contactPoint",
        "http://purl.org/dc/terms/publisher",
        "http://purl.org/dc/terms/license",
        "http://purl.org/dc/terms/spatial",
        # Controlled-vocabulary values, whose scheme membership the catalog states:
        "http://purl.org/dc/terms/language",
        "http://purl.org/dc/terms/accessRights",
        "http://purl.org/dc/terms/accrualPeriodicity",
        "http://purl.org/dc/terms/type",
        "http://data.europa.eu/r5r/availability",
        "http://dcat-ap.de/def/dcatde/politicalGeocodingLevelURI",
    )
)
DCAT_CATALOG = ox.NamedNode(DCAT.Catalog)
RDF_TYPE = ox.NamedNode(RDF.type)


#: The whole catalog document ``?r``: harvesters (ckanext-dcat) read everything from
#: one answer. A UNION, not OPTIONAL { FILTER(isBlank(?o)) … }: Virtuoso 7.2 answered
#: that form with no rows at all once the catalog listed a release.
CATALOG = f"""CONSTRUCT {{ ?x ?p ?o . ?o ?p2 ?o2 . }} WHERE {{
  {{ $r ({CATALOG_LINKS})* ?x . ?x ?p ?o }}
  UNION
  {{ $r ({CATALOG_LINKS})* ?x . ?x ?p ?o . FILTER(isBlank(?o)) ?o ?p2 ?o2 }}
}}"""


def catalog_query(iri: str) -> str:
    """:data:`CATALOG` of ``iri``, with its binding."""
    return bind(CATALOG, {"r": node(iri)})


class Statistics:
    """Computed catalog statistics (byte sizes, checksums, VoID), indexed by subject.

    They are kept beside the store, not in it: they describe the dumps of the
    store's triples, and Oxigraph would turn ``xsd:nonNegativeInteger`` (which
    DCAT-AP requires for ``dcat:byteSize``) into ``xsd:integer``.
    """

    def __init__(self, triples: list[ox.Triple]) -> None:
        self._by_subject: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = {}
        for t in dict.fromkeys(triples):  # each statement once, in order
            if isinstance(t.subject, ox.Triple):
                raise TypeError(f"quoted triple in the data: {t}")
            self._by_subject.setdefault(t.subject, []).append(t)

    def value(self, subject: str, predicate: str) -> str | None:
        """One computed value (a dump's byte size, a dataset's triple count), or None."""
        for t in self._by_subject.get(ox.NamedNode(subject), []):
            if t.predicate.value == predicate and not isinstance(t.object, ox.Triple):
                return t.object.value
        return None

    def about(self, subjects: set[ox.NamedNode | ox.BlankNode]) -> list[ox.Triple]:
        """Statistics of these subjects, following every node the statistics describe."""
        out: list[ox.Triple] = []
        todo = [s for s in subjects if s in self._by_subject]
        seen = set(todo)
        while todo:
            for t in self._by_subject[todo.pop()]:
                out.append(t)
                o = t.object
                if (
                    isinstance(o, ox.NamedNode | ox.BlankNode)
                    and o in self._by_subject
                    and o not in seen
                ):
                    seen.add(o)
                    todo.append(o)
        return out


def describe(
    store: Store,
    iri: str,
    stats: Statistics | None = None,
    known: Callable[[str], list[ox.Triple] | None] | None = None,
) -> list[ox.Triple]:
    """The triples of the resource's representation; empty if we know nothing about it.

    A catalog's representation is the whole catalog (datasets, distributions,
    services, agents), so a harvester that reads the catalog URL gets everything.
    ``known``: the description query's answer materialised for this data version
    (server/pages/materialised.py), or None where it is not, and the query runs.
    """
    subject = node(iri)
    triples = known(iri) if known is not None else None
    if triples is None:
        triples = store.construct(description_template(), bindings={"r": subject})
    if not any(t.subject == subject for t in triples):
        return []
    if ox.Triple(subject, RDF_TYPE, DCAT_CATALOG) in triples:
        seen = set(triples)
        triples += [t for t in store.construct(CATALOG, bindings={"r": subject}) if t not in seen]
    if stats is not None:
        triples += stats.about(_catalog_members(triples, subject))
    # A graph is a set: a statement reached twice (a label that is also a link,
    # a statistic the store holds too) is stated once, in the order first met.
    return list(dict.fromkeys(triples))


#: Properties whose values are places to fetch from, not names: a download, an
#: endpoint, a dump. They point to where this server is reached.
LOCATIONS = frozenset(
    ox.NamedNode(p)
    for p in (
        "http://www.w3.org/ns/dcat#downloadURL",
        "http://www.w3.org/ns/dcat#accessURL",
        "http://www.w3.org/ns/dcat#endpointURL",
        "http://www.w3.org/ns/dcat#endpointDescription",
        "http://rdfs.org/ns/void#dataDump",
        "http://rdfs.org/ns/void#sparqlEndpoint",
    )
)


def relocate(triples: list[ox.Triple], namespace: str, public_url: str | None) -> list[ox.Triple]:
    """Download and endpoint URLs under ``public_url`` instead of the namespace.

    The data names them in the namespace (``<dumps/charta.ttl>``), which is
    right where the namespace resolves to this server, directly or through a
    redirect (w3id.org). Where the server is reached elsewhere
    (``--base-url``), a harvester must fetch there; the IRIs of the things
    themselves (datasets, distributions) stay names in the namespace.
    """
    if not public_url or public_url == namespace:
        return triples
    out = []
    for t in triples:
        o = t.object
        if (
            t.predicate in LOCATIONS
            and isinstance(o, ox.NamedNode)
            and o.value.startswith(namespace)
        ):
            moved = ox.NamedNode(public_url + o.value[len(namespace) :])
            t = ox.Triple(t.subject, t.predicate, moved)
        out.append(t)
    return list(dict.fromkeys(out))


def _catalog_members(
    triples: list[ox.Triple], subject: ox.NamedNode
) -> set[ox.NamedNode | ox.BlankNode]:
    """Subjects described in full in this representation (the resource, or a catalog's parts)."""
    if ox.Triple(subject, RDF_TYPE, DCAT_CATALOG) not in triples:
        return {subject}
    return {t.subject for t in triples if isinstance(t.subject, ox.NamedNode)}
