"""The data's catalog as the data states it: which catalog, which dataset series, and
how the series and its publisher are named, so no code names them.

Read from the store (a release's state names what it named then); ``None`` where
the data states no catalog or no series.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from server.sparql import Store, Term

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


def _pick(found: dict[str, str], lang: str) -> tuple[str | None, str | None]:
    """A text in ``lang``, else German, English, untagged, anything; with its language."""
    key = next((k for k in (lang, "de", "en", "") if k in found), next(iter(found), None))
    return (found[key], key or None) if key is not None else (None, None)


def _texts(rows: list[dict[str, Term]], key: str, var: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        term = r.get(var)
        if isinstance(term, ox.Literal):
            out.setdefault(r[key].value, {})[term.language or ""] = term.value
    return out


def _grouped(
    rows: list[dict[str, Term]], key: str
) -> tuple[dict[str, dict[str, Term]], dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """A query's rows by their subject (``key``): a subject has a row for each pair of its
    titles and descriptions, so its first row, and its titles and descriptions by language."""
    first: dict[str, dict[str, Term]] = {}
    for r in rows:
        first.setdefault(r[key].value, r)
    return first, _texts(rows, key, "title"), _texts(rows, key, "desc")


@dataclass(frozen=True)
class Download:
    """One distribution of a dataset, as its download list shows it."""

    iri: str
    title: str | None
    description: str | None
    #: The description's language (a page says where it differs from the page's).
    description_lang: str | None
    url: str | None
    #: The format's IRI (dcterms:format), else its media type's (dcat:mediaType).
    format: str | None
    media_type: str | None
    byte_size: int | None
    compressed: str | None
    licence: str | None


DOWNLOADS = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?dist ?title ?desc ?url ?format ?media ?size ?compress ?licence WHERE {
  #BINDINGS
  ?dataset dcat:distribution ?dist .
  OPTIONAL { ?dist dcterms:title ?title }
  OPTIONAL { ?dist dcterms:description ?desc }
  OPTIONAL { ?dist dcat:downloadURL ?url }
  OPTIONAL { ?dist dcterms:format ?format }
  OPTIONAL { ?dist dcat:mediaType ?media }
  OPTIONAL { ?dist dcat:byteSize ?size }
  OPTIONAL { ?dist dcat:compressFormat ?compress }
  OPTIONAL { ?dist dcterms:license ?licence }
}"""


def downloads(store: Store, dataset: str, lang: str) -> list[Download]:
    """The dataset's distributions, in the order of their titles."""
    rows = store.select(DOWNLOADS, bindings={"dataset": ox.NamedNode(dataset)})
    first, titles, descs = _grouped(rows, "dist")

    def value(r: dict[str, Term], var: str) -> str | None:
        term = r.get(var)
        return term.value if term is not None else None

    out = []
    for iri, r in first.items():
        size = value(r, "size")
        out.append(
            Download(
                iri,
                _pick(titles.get(iri, {}), lang)[0],
                *_pick(descs.get(iri, {}), lang),
                value(r, "url"),
                value(r, "format"),
                value(r, "media"),
                int(size) if size and size.isdigit() else None,
                value(r, "compress"),
                value(r, "licence"),
            )
        )
    return sorted(out, key=lambda d: ((d.title or d.iri).casefold(), d.iri))


@dataclass(frozen=True)
class Entry:
    """A dataset or a service a catalog or a dataset page lists: its name, what it is,
    where it is reached."""

    iri: str
    title: str | None
    description: str | None
    description_lang: str | None
    #: A service's endpoint, a dataset's landing page.
    url: str | None
    modified: str | None = None
    versions: int = 0
    downloads: int = 0


SERVICES = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?s ?title ?desc ?url WHERE {
  #BINDINGS
  { ?s dcat:servesDataset ?of } UNION { ?of dcat:service ?s }
  OPTIONAL { ?s dcterms:title ?title }
  OPTIONAL { ?s dcterms:description ?desc }
  OPTIONAL { ?s dcat:endpointURL ?url }
}"""

#: A catalog's datasets, not its releases (a release is a dataset in a series: the
#: series' page lists it).
DATASETS = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?d ?title ?desc ?url ?modified
       (COUNT(DISTINCT ?v) AS ?versions) (COUNT(DISTINCT ?dist) AS ?downloads) WHERE {
  #BINDINGS
  ?catalog dcat:dataset ?d .
  FILTER NOT EXISTS { ?d dcat:inSeries ?series }
  OPTIONAL { ?d dcterms:title ?title }
  OPTIONAL { ?d dcterms:description ?desc }
  OPTIONAL { ?d dcat:landingPage ?url }
  OPTIONAL { ?d dcterms:modified ?modified }
  OPTIONAL { ?d dcat:hasVersion ?v }
  OPTIONAL { ?d dcat:distribution ?dist }
} GROUP BY ?d ?title ?desc ?url ?modified"""


def _entries(rows: list[dict[str, Term]], key: str, lang: str) -> list[Entry]:
    first, titles, descs = _grouped(rows, key)
    out = []
    for iri, r in first.items():
        url, modified = r.get("url"), r.get("modified")
        counts = [int(r[v].value) if v in r else 0 for v in ("versions", "downloads")]
        out.append(
            Entry(
                iri,
                _pick(titles.get(iri, {}), lang)[0],
                *_pick(descs.get(iri, {}), lang),
                url.value if url is not None else None,
                modified.value if modified is not None else None,
                *counts,
            )
        )
    return sorted(out, key=lambda e: ((e.title or e.iri).casefold(), e.iri))


def services(store: Store, of: str, lang: str) -> list[Entry]:
    """The data services that serve a dataset, or that a catalog lists."""
    rows = store.select(SERVICES, bindings={"of": ox.NamedNode(of)})
    return _entries(rows, "s", lang)


def datasets(store: Store, catalog: str, lang: str) -> list[Entry]:
    """The catalog's datasets (its releases are listed by their series)."""
    rows = store.select(DATASETS, bindings={"catalog": ox.NamedNode(catalog)})
    return _entries(rows, "d", lang)


PUBLISHER = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?p WHERE {
  #BINDINGS
  ?thing dcterms:publisher ?p FILTER(isIRI(?p))
} ORDER BY ?p LIMIT 1"""


def publisher_of(store: Store, iri: str) -> str | None:
    """The IRI of who publishes ``iri`` (a dataset's citation names it)."""
    rows = store.select(PUBLISHER, bindings={"thing": ox.NamedNode(iri)})
    return rows[0]["p"].value if rows else None
