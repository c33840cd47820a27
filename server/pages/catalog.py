"""The data's catalog as the data states it: which catalog, which dataset series, and
how the series and its publisher are named, so no code names them.

Read from the store (a release's state names what it named then); ``None`` where
the data states no catalog or no series.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from server.sparql import Store

PUBLICATION = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
SELECT ?catalog ?series WHERE {
  ?catalog a dcat:Catalog .
  OPTIONAL { ?catalog dcat:dataset ?series . ?series a dcat:DatasetSeries }
} ORDER BY ?catalog ?series LIMIT 1"""

#: A term's name in a language: its title, else its label; the short name (altLabel)
#: where a citation wants it.
NAMES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?p ?name WHERE {
  #BINDINGS
  VALUES ?p { dcterms:title skos:prefLabel skos:altLabel }
  ?thing ?p ?name FILTER(LANGMATCHES(LANG(?name), ?lang))
}"""


@dataclass(frozen=True)
class Publication:
    """The catalog and the dataset series whose versions the releases are."""

    catalog: str | None
    series: str | None


def publication(store: Store, graph: str | None = None) -> Publication:
    rows = store.select(PUBLICATION, graph=graph)
    if not rows:
        return Publication(None, None)
    row = rows[0]
    series = row.get("series")
    return Publication(row["catalog"].value, series.value if series is not None else None)


def name_of(store: Store, iri: str, lang: str, short: bool = False) -> str | None:
    """``iri``'s title or label in ``lang`` (its short name first where ``short``)."""
    rows = store.select(NAMES, bindings={"thing": ox.NamedNode(iri), "lang": ox.Literal(lang)})
    found = {r["p"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]: r["name"].value for r in rows}
    order = ("altLabel", "title", "prefLabel") if short else ("title", "prefLabel")
    return next((found[k] for k in order if k in found), None)
