"""What search engines read in a page: schema.org JSON-LD and the page's addresses.

Each page names its schema.org type by its kind (a dataset is a ``Dataset``, a body a
``GovernmentOrganization``), with absolute URLs throughout, so a dataset search engine
finds the dataset, the catalog and the downloads (Google's Dataset conventions: name,
description, licence, creator, distribution with ``contentUrl`` and ``encodingFormat``,
temporal and spatial coverage). Each page also names its own canonical address (the
address in its language, ``?lang=de``) and the other languages' (``hreflang``), so an
English page is indexed as English and not as a copy of the German one.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox

from server.i18n import DEFAULT_LANG, LANGS, N_, translations
from server.pages.describe import describe
from server.pages.model import Page
from server.rdf.labels import LabelIndex, value_label
from server.rdf.namespaces import DCAT, DCTERMS, FOAF, ORG, OWL, RDF, SCHEMA, SKOS, VCARD
from server.rdf.serialize import value_of
from server.sparql import Store
from server.urls import Urls

SCHEMA_ORG = "https://schema.org/"
#: What a triple's object can be.
Object = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
RDF_TYPE = str(RDF.type)

#: For pages without a kind of their own, by the classes the data gives them, first match
#: wins (our data states schema.org types itself where one fits: Action, MonetaryAmount…).
CLASS_TYPES = (
    (str(DCAT.Catalog), "DataCatalog"),
    (str(DCAT.Dataset), "Dataset"),
    (str(DCAT.Distribution), "DataDownload"),
    (str(DCAT.DataService), "WebAPI"),
    (str(SKOS.ConceptScheme), "DefinedTermSet"),
    (str(SKOS.Concept), "DefinedTerm"),
    (str(OWL.Ontology), "DefinedTermSet"),
    (str(VCARD.Organization), "ContactPoint"),
    (str(VCARD.Kind), "ContactPoint"),
    (str(ORG.Organization), "Organization"),
    (str(FOAF.Organization), "Organization"),
    (str(FOAF.Document), "DigitalDocument"),
    ("http://www.w3.org/ns/prov#Activity", "Action"),
    ("https://schema.oparl.org/1.1/Consultation", "Event"),
    ("https://schema.oparl.org/1.1/Meeting", "Event"),
    ("http://data.europa.eu/eli/eli-draft-legislation-ontology#ForeseenActivity", "Event"),
    ("http://data.europa.eu/eli/eli-draft-legislation-ontology#Activity", "Event"),
    ("http://www.w3.org/ns/adms#Identifier", "PropertyValue"),
    (str(DCTERMS.PeriodOfTime), "StructuredValue"),  # a start and an end
    (str(DCTERMS.SizeOrDuration), "QuantitativeValue"),
)


def schema_type(page: Page) -> str:
    """The page's schema.org type: its kind's, else its classes', else ``Thing``."""
    if page.schema_type:
        return page.schema_type
    types = page.objects.get(RDF_TYPE, [])
    for cls, name in CLASS_TYPES:
        if cls in types:
            return name
    stated = sorted(t[len(str(SCHEMA)) :] for t in types if t.startswith(str(SCHEMA)))
    return stated[0] if stated else "Thing"


def page_addresses(urls: Urls, path: str, args: dict[str, str], lang: str) -> dict[str, object]:
    """A page's canonical URL (its own language's) and its alternates, one per language and
    ``x-default`` (the default language's page), absolute under the public URL."""
    kept = sorted((k, v) for k, v in args.items() if k != "lang")

    def url(for_lang: str) -> str:
        return urls.absolute(path) + "?" + urlencode([*kept, ("lang", for_lang)])

    return {
        "canonical": url(lang),
        "alternates": [(other, url(other)) for other in LANGS] + [("x-default", url(DEFAULT_LANG))],
    }


class Builder:
    """Turns one description into schema.org JSON-LD in one language."""

    def __init__(self, triples: list[ox.Triple], urls: Urls, lang: str) -> None:
        self.triples = triples
        self.urls = urls
        self.lang = lang
        self.labels = LabelIndex.of(triples)
        self.by_subject: dict[str, dict[str, list[Object]]] = {}
        for t in triples:
            s = self.by_subject.setdefault(value_of(t.subject), {})
            s.setdefault(t.predicate.value, []).append(t.object)

    def url(self, iri: str) -> str:
        """Our IRIs as URLs of this site, others as they are: always absolute."""
        local = self.urls.local(iri)
        return self.urls.absolute(local) if local != iri else iri

    def name(self, iri: str) -> str | None:
        return self.labels.get(iri, self.lang) or value_label(iri, self.lang)

    def text(self, subject: str, predicate: str) -> str | None:
        """A literal in the page's language, else German, else any."""
        found = [
            o
            for o in self.by_subject.get(subject, {}).get(predicate, [])
            if isinstance(o, ox.Literal)
        ]
        for lang in (self.lang, "de", ""):
            for o in found:
                if (o.language or "") == lang:
                    return o.value
        return found[0].value if found else None

    def objects(self, subject: str, predicate: str) -> list[Object]:
        return self.by_subject.get(subject, {}).get(predicate, [])

    def agent(self, iri: str, kind: str = "Organization") -> dict[str, object]:
        out: dict[str, object] = {"@type": kind, "@id": iri, "url": self.url(iri)}
        if name := self.name(iri):
            out["name"] = name
        return out

    def period(self, subject: str) -> str | None:
        """``dcterms:temporal`` as an ISO 8601 interval ("2020-07-16/2026-12-06")."""
        for node in self.objects(subject, str(DCTERMS.temporal)):
            bounds = self.by_subject.get(value_of(node), {})
            start = bounds.get(str(DCAT.startDate))
            end = bounds.get(str(DCAT.endDate))
            if start and end:
                return f"{value_of(start[0])}/{value_of(end[0])}"
        return None


def resource_jsonld(
    page: Page, triples: list[ox.Triple], store: Store, urls: Urls, lang: str, site: SiteTexts
) -> dict[str, object]:
    """The page's resource as schema.org JSON-LD (absolute URLs throughout)."""
    b = Builder(triples, urls, lang)
    iri = page.iri
    kind = schema_type(page)
    data: dict[str, object] = {
        "@context": SCHEMA_ORG,
        "@type": kind,
        "@id": iri,
        "name": page.label,
        "url": b.url(iri),
        "inLanguage": lang,
    }
    if page.sources:
        data["isBasedOn"] = [
            b.url(s) for s in (value_of(o) for o in b.objects(iri, str(DCTERMS.source)))
        ]
    description = (
        b.text(iri, str(SKOS.definition))
        or b.text(iri, str(DCTERMS.description))
        or b.text(iri, str(SCHEMA.description))
    )
    if description:
        data["description"] = description
    if kind in ("DefinedTerm",):
        scheme = page.first(str(SKOS.inScheme))
        if scheme:
            data["inDefinedTermSet"] = b.url(scheme)
        notation = page.first(str(SKOS.notation))
        if notation:
            data["termCode"] = notation
    if kind == "Event":
        date = page.first(str(DCTERMS.date)) or page.first(str(SCHEMA.startDate))
        if date:
            data["startDate"] = date
        data["eventAttendanceMode"] = SCHEMA_ORG + "OfflineEventAttendanceMode"
        organiser = page.first(str(SCHEMA.organizer)) or (
            page.first(urls.vocabulary + site.organiser) if site.organiser else None
        )
        if organiser:
            data["organizer"] = b.agent(organiser)
    if kind in ("Legislation", "DigitalDocument", "CreativeWork"):
        ident = page.first(str(DCTERMS.identifier))
        if ident:
            data["identifier"] = ident
        if kind == "Legislation" and ident:
            data["legislationIdentifier"] = ident
        publisher = page.first(str(DCTERMS.publisher))
        if publisher:
            data["publisher"] = b.agent(publisher)
        date = page.first("http://data.europa.eu/eli/ontology#date_document") or page.first(
            str(DCTERMS.date)
        )
        if date:
            data["datePublished"] = date
    if kind in ("GovernmentOrganization", "Organization"):
        parent = page.first(str(ORG.subOrganizationOf)) or page.first(str(ORG.unitOf))
        if parent:
            data["parentOrganization"] = b.agent(parent)
        homepage = page.first(str(FOAF.homepage))
        if homepage:
            data["sameAs"] = homepage
    if kind == "Dataset":
        data.update(dataset(b, iri, store, urls, site))
    if kind == "DataCatalog":
        data.update(catalog(b, iri))
    if kind == "DataDownload":
        data.update(download(b, iri))
    if kind == "WebAPI":
        endpoint = page.first(str(DCAT.endpointURL))
        if endpoint:
            data["url"] = b.url(endpoint)
        data["documentation"] = urls.absolute("sparql")
    return data


def _licence(b: Builder, iri: str) -> str | None:
    lic = b.objects(iri, str(DCTERMS.license))
    return value_of(lic[0]) if lic else None


def dataset(b: Builder, iri: str, store: Store, urls: Urls, site: SiteTexts) -> dict[str, object]:
    """Google's Dataset properties: the downloads are asked from the store, since a
    dataset's description names its distributions but not their files."""
    out: dict[str, object] = {}
    for key, prop in (("identifier", DCTERMS.identifier), ("version", DCAT.version)):
        found = b.objects(iri, str(prop))
        if found:
            out[key] = value_of(found[0])
    keywords = sorted(
        {
            o.value
            for o in b.objects(iri, str(DCAT.keyword))
            if isinstance(o, ox.Literal) and (o.language or b.lang) == b.lang
        }
    )
    if keywords:
        out["keywords"] = keywords
    for key, prop in (("creator", DCTERMS.creator), ("publisher", DCTERMS.publisher)):
        found = b.objects(iri, str(prop))
        if found:
            out[key] = b.agent(value_of(found[0]))
    for key, prop in (("datePublished", DCTERMS.issued), ("dateModified", DCTERMS.modified)):
        found = b.objects(iri, str(prop))
        if found:
            out[key] = value_of(found[0])
    period = b.period(iri)
    if period:
        out["temporalCoverage"] = period
    places = [value_of(o) for o in b.objects(iri, str(DCTERMS.spatial))]
    if places:
        out["spatialCoverage"] = [_place(store, urls, p, b.lang, site.territory) for p in places]
    downloads = _downloads(store, urls, iri, b.lang)
    if downloads:
        out["distribution"] = downloads
        licences = {d["license"] for d in downloads if "license" in d}
        if len(licences) == 1:
            out["license"] = licences.pop()
    if "license" not in out and (lic := _licence(b, iri)):
        out["license"] = lic
    out["isAccessibleForFree"] = True
    out["includedInDataCatalog"] = {
        "@type": "DataCatalog",
        "@id": urls.iri(site.catalog),
        "url": urls.absolute(site.catalog),
    }
    return out


def _place(
    store: Store, urls: Urls, iri: str, lang: str, territory: str | None
) -> dict[str, object]:
    """An area of the official list (DCAT-AP.de political geocoding) as a schema.org Place,
    named by the body of ours that states it as its ``territory`` ("Kreis Unna")."""
    place: dict[str, object] = {"@type": "Place", "@id": iri, "sameAs": iri}
    rows = (
        store.select(
            "SELECT ?l WHERE {\n  #BINDINGS\n  ?x ?territory ?area ; "
            f"<{SKOS.prefLabel}> ?l "
            'FILTER(LANGMATCHES(LANG(?l), ?lang) || LANG(?l) = "de") } ORDER BY DESC(LANG(?l))',
            bindings={
                "territory": ox.NamedNode(urls.vocabulary + territory),
                "area": ox.NamedNode(iri),
                "lang": ox.Literal(lang),
            },
        )
        if territory
        else []
    )
    names = [r["l"].value for r in rows if r.get("l") is not None]
    place["name"] = names[0] if names else (value_label(iri, lang) or iri)
    key = iri.rsplit("/", 1)[-1]
    if key.isdigit():
        place["identifier"] = key
    return place


def _downloads(store: Store, urls: Urls, iri: str, lang: str) -> list[dict[str, object]]:
    rows = store.select(
        f"""SELECT ?d ?url ?media ?licence ?title WHERE {{
          #BINDINGS
          ?r <{DCAT.distribution}> ?d . ?d <{DCAT.downloadURL}> ?url .
          OPTIONAL {{ ?d <{DCAT.mediaType}> ?media }}
          OPTIONAL {{ ?d <{DCTERMS.license}> ?licence }}
          OPTIONAL {{ ?d <{DCTERMS.title}> ?title }}
        }} ORDER BY ?url DESC(LANGMATCHES(LANG(?title), ?lang))""",
        bindings={"r": ox.NamedNode(iri), "lang": ox.Literal(lang)},
    )
    out: dict[str, dict[str, object]] = {}
    for r in rows:
        url = r["url"].value
        local = urls.local(url)
        entry = out.setdefault(
            url,
            {
                "@type": "DataDownload",
                "@id": r["d"].value,
                "contentUrl": urls.absolute(local) if local != url else url,
            },
        )
        if r.get("media") is not None:
            entry["encodingFormat"] = r["media"].value.rsplit("media-types/", 1)[-1]
        if r.get("licence") is not None:
            entry["license"] = r["licence"].value
        if r.get("title") is not None and "name" not in entry:  # the page's language first
            entry["name"] = r["title"].value
    return list(out.values())


def catalog(b: Builder, iri: str) -> dict[str, object]:
    out: dict[str, object] = {}
    datasets = [value_of(o) for o in b.objects(iri, str(DCAT.dataset))]
    if datasets:
        out["dataset"] = [
            {"@type": "Dataset", "@id": d, "url": b.url(d), **_named(b, d)} for d in datasets
        ]
    publisher = b.objects(iri, str(DCTERMS.publisher))
    if publisher:
        out["publisher"] = b.agent(value_of(publisher[0]))
    if lic := _licence(b, iri):
        out["license"] = lic
    return out


def _named(b: Builder, iri: str) -> dict[str, object]:
    name = b.name(iri)
    return {"name": name} if name else {}


def download(b: Builder, iri: str) -> dict[str, object]:
    out: dict[str, object] = {}
    url = b.objects(iri, str(DCAT.downloadURL))
    if url:
        out["contentUrl"] = b.url(value_of(url[0]))
    media = b.objects(iri, str(DCAT.mediaType))
    if media:
        out["encodingFormat"] = value_of(media[0]).rsplit("media-types/", 1)[-1]
    size = b.objects(iri, str(DCAT.byteSize))
    if size:
        out["contentSize"] = f"{value_of(size[0])} B"
    if lic := _licence(b, iri):
        out["license"] = lic
    return out


@dataclass(frozen=True)
class SiteTexts:
    """What the site says of itself (a profile gives it): its name and description, who
    publishes it, its catalog, and the dataset of its register page (paths in the namespace)."""

    name: str
    #: English; a message id of the catalogues.
    description: str
    publisher: str
    catalog: str
    #: The dataset series whose versions the releases are.
    series: str
    #: How a citation names the data and its publisher (English message ids).
    title: str
    publisher_name: str
    register_dataset: str | None = None
    #: Our properties (local names) that name an event's organiser and a body's territory.
    organiser: str | None = None
    territory: str | None = None


def site_jsonld(
    path: str, store: Store, urls: Urls, lang: str, site: SiteTexts
) -> dict[str, object] | None:
    """JSON-LD for the pages that are not a resource of the data: the home page (the web
    site, with its search), the vocabulary, the SPARQL editors, the register, the search."""
    _ = translations(lang).gettext
    base: dict[str, object] = {
        "@context": SCHEMA_ORG,
        "url": urls.absolute(path),
        "inLanguage": lang,
    }
    publisher = {
        "@type": "Organization",
        "@id": urls.iri(site.publisher),
        "url": urls.absolute(site.publisher),
    }
    if path == "/":
        return base | {
            "@type": "WebSite",
            "@id": urls.absolute(""),
            "name": site.name,
            "description": _(site.description),
            "publisher": publisher,
            "about": {
                "@type": "DataCatalog",
                "@id": urls.iri(site.catalog),
                "url": urls.absolute(site.catalog),
            },
            "potentialAction": {
                "@type": "SearchAction",
                "target": urls.absolute("search") + "?q={search_term_string}",
                "query-input": "required name=search_term_string",
            },
        }
    if path == "/ontology":
        rows = store.select(
            "SELECT ?l WHERE {\n  #BINDINGS\n  ?o ?p ?l "
            f"FILTER(?p IN (<{SKOS.prefLabel}>, <http://www.w3.org/2000/01/rdf-schema#label>, "
            f"<{DCTERMS.title}>) && LANGMATCHES(LANG(?l), ?lang)) }} LIMIT 1",
            bindings={"o": ox.NamedNode(urls.ontology), "lang": ox.Literal(lang)},
        )
        name = rows[0]["l"].value if rows else _(VOCABULARY)
        return base | {
            "@type": "DefinedTermSet",
            "@id": urls.ontology,
            "name": name,
            "publisher": publisher,
        }
    if path == "/sparql" or (path.startswith("/version/") and path.endswith("/sparql")):
        return base | {
            "@type": "WebAPI",
            "name": _(SPARQL_NAME),
            "documentation": urls.absolute("sparql"),
            "provider": publisher,
        }
    if path == "/search":
        return base | {"@type": "SearchResultsPage", "name": _(SEARCH)}
    if path == "/register" and site.register_dataset:
        iri = urls.iri(site.register_dataset)
        triples = describe(store, iri)
        if not triples:
            return None
        b = Builder(triples, urls, lang)
        data: dict[str, object] = base | {
            "@type": "Dataset",
            "@id": iri,
            "name": b.name(iri) or _(REGISTER),
        }
        if description := b.text(iri, str(DCTERMS.description)):
            data["description"] = description
        return data | dataset(b, iri, store, urls, site)
    return None


VOCABULARY = N_("Vocabulary")
SPARQL_NAME = N_("SPARQL endpoint")
SEARCH = N_("Search")
REGISTER = N_("Register of the charter")
