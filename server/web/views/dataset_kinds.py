"""The pages of a dataset and of a catalog (issue 27), the engine's own kinds beside a release:
every deployment publishes its data as DCAT, whatever its profile.

A person opening a dataset came to learn what it holds and to get it: the page says
that first (its description, its size), then the downloads with format and size, the
SPARQL endpoint, where to start reading, its releases and how to cite it, then who
publishes it under which licence; the catalog's remaining statements (VoID
statistics, DCAT-AP.de's codes) are folded away. A catalog's page lists its datasets
and services the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.pages import catalog
from server.pages.kinds import KindQuery, PageKind
from server.rdf.labels import byte_size, value_label
from server.rdf.namespaces import DCAT, DCTERMS, FOAF, PROV, VOID
from server.sparql.graph_view import GraphView
from server.web import state
from server.web.state import profile, site, urls

#: What the "about" block of a dataset or catalog page shows, in this order; the
#: page's other statements are its technical details.
ABOUT = tuple(
    str(p)
    for p in (
        DCTERMS.publisher,
        DCTERMS.creator,
        DCAT.contactPoint,
        DCTERMS.license,
        DCTERMS.accessRights,
        DCTERMS.temporal,
        DCTERMS.spatial,
        DCTERMS.language,
        DCAT.theme,
        DCAT.keyword,
        PROV.wasDerivedFrom,
        DCTERMS.source,
        DCTERMS.issued,
        DCTERMS.modified,
        DCAT.version,
        DCTERMS.accrualPeriodicity,
        FOAF.homepage,
    )
)
#: Where a reader starts: the data's root and example resources, its page.
START = tuple(str(p) for p in (VOID.rootResource, VOID.exampleResource, FOAF.page))
#: Shown in their own sections (downloads, services, versions, where to start).
SHOWN_ELSEWHERE = tuple(
    str(p)
    for p in (
        DCTERMS.title,
        DCTERMS.description,
        DCAT.distribution,
        DCAT.dataset,
        DCAT.service,
        DCAT.hasVersion,
        DCAT.landingPage,
        FOAF.page,
        VOID.rootResource,
        VOID.exampleResource,
    )
)


@dataclass(frozen=True)
class DownloadRow:
    """A download as the page's table shows it."""

    title: str
    url: str | None
    format: str
    size: str | None
    description: str | None
    description_lang: str | None
    licence: str | None


def _format(d: catalog.Download, lang: str) -> str:
    name = None
    for iri in (d.format, d.media_type):
        if iri and not name:
            name = value_label(iri, lang)
            if name and iri == d.media_type:
                name = name.split(" (", 1)[0]
    name = name or (d.media_type or d.format or "").rsplit("/", 1)[-1]
    if d.compressed:
        packed = value_label(d.compressed, lang) or d.compressed.rsplit("/", 1)[-1]
        name += ", " + packed.split(" (", 1)[0]
    return name


def _computed(q: KindQuery, subject: str, predicate: str) -> str | None:
    """A value the build computes beside the store (a dump's size, a dataset's count):
    the current data's, so none on a release's past state."""
    if isinstance(q.store, GraphView):
        return None
    return site().stats.value(subject, predicate)


def _size(q: KindQuery, d: catalog.Download) -> str | None:
    n = d.byte_size
    if n is None:
        found = _computed(q, d.iri, str(DCAT.byteSize))
        n = int(found) if found and found.isdigit() else None
    return byte_size(n, q.lang) if n is not None else None


def dataset_context(q: KindQuery) -> dict[str, object]:
    """A dataset: what it holds, its downloads, its endpoint, its releases, how to cite it."""
    rows = [
        DownloadRow(
            d.title or d.iri.rsplit("/", 1)[-1],
            d.url,
            _format(d, q.lang),
            _size(q, d),
            d.description,
            d.description_lang,
            (value_label(d.licence, q.lang) or d.licence) if d.licence else None,
        )
        for d in catalog.downloads(q.store, q.iri, q.lang)
    ]
    series = urls().iri(profile().site.series)
    counts = {
        key: _computed(q, q.iri, str(VOID[key])) for key in ("triples", "entities", "classes")
    }
    modified = _computed(q, q.iri, str(DCTERMS.modified))
    cite = None
    if q.iri != series:
        publisher = catalog.publisher_of(q.store, q.iri)
        cite = {
            "publisher": catalog.name_of(q.store, publisher, q.lang) if publisher else None,
            "title": catalog.name_of(q.store, q.iri, q.lang),
            "modified": modified,
        }
    return {
        "downloads": rows,
        "licences": sorted({r.licence for r in rows if r.licence}),
        "services": catalog.services(q.store, q.iri, q.lang),
        "counts": {k: int(v) for k, v in counts.items() if v and v.isdigit()},
        "modified": modified,
        "versions": list(reversed(state.releases())) if q.iri == series else [],
        "is_series": q.iri == series,
        "dataset_citation": cite,
        "about": ABOUT,
        "shown_elsewhere": SHOWN_ELSEWHERE,
        "start_predicates": START,
    }


def catalog_context(q: KindQuery) -> dict[str, object]:
    """A catalog: its datasets and services first, then who publishes it."""
    return {
        "datasets": catalog.datasets(q.store, q.iri, q.lang),
        "services": catalog.services(q.store, q.iri, q.lang),
        "modified": _computed(q, q.iri, str(DCTERMS.modified)),
        "about": ABOUT,
        "shown_elsewhere": SHOWN_ELSEWHERE,
    }


#: Asked after a release (a release is a dataset too, with its own page).
DATA_KINDS = (
    PageKind("catalog", "DataCatalog", (str(DCAT.Catalog),), catalog_context),
    PageKind("dataset", "Dataset", (str(DCAT.Dataset),), dataset_context),
)
