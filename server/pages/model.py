"""The view model of a resource page: rows of labelled values, never raw IRIs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from server.i18n import N_, translations
from server.pages import describe
from server.pages.kinds import Kinds
from server.rdf.labels import (
    LabelIndex,
    byte_size,
    format_literal,
    inverse_label,
    local_name,
    readable_url,
    standard_label,
    value_label,
)
from server.rdf.namespaces import DCAT, DCTERMS, RDF, SCHEMA, SKOS, VOID
from server.rdf.serialize import plain, value_of

RDF_TYPE = str(RDF.type)
SOURCE = str(DCTERMS.source)
POSITION = str(SCHEMA.position)
BYTE_SIZE = str(DCAT.byteSize)
VOID_PROPERTY = str(VOID.property)
#: A period's bounds, shown as "September 2022 – 2023" rather than as two statements.
PERIOD = (str(DCAT.startDate), str(DCAT.endDate))
#: How deep a page follows blank nodes (the description holds three levels).
MAX_DEPTH = 3

#: Texts the data gives in each language as translations of one another: a page shows
#: the one in its language where there is one (keywords are not translations, and stay).
TRANSLATED = frozenset(
    (
        str(DCTERMS.title),
        str(DCTERMS.description),
        str(DCTERMS.alternative),
        str(DCTERMS.bibliographicCitation),
        str(SKOS.definition),
        str(SKOS.scopeNote),
        str(SKOS.editorialNote),
        str(SKOS.note),
        str(SKOS.altLabel),
        "http://www.w3.org/ns/adms#versionNotes",
        "http://www.w3.org/2000/01/rdf-schema#label",
        "http://www.w3.org/2000/01/rdf-schema#comment",
        "http://xmlns.com/foaf/0.1/name",
    )
)

#: Statements for machines more than for readers (harvesters, SPARQL clients): a page
#: folds them into "Technical details" below what a person came for.
TECHNICAL = frozenset(
    (
        "http://spdx.org/rdf/terms#checksum",
        str(DCAT.accessURL),
        str(DCAT.mediaType),
        str(DCAT.compressFormat),
        str(DCAT.packageFormat),
        str(DCAT.endpointDescription),
        str(DCAT.themeTaxonomy),
        str(DCTERMS.conformsTo),
        str(DCTERMS.accrualPeriodicity),
        "http://data.europa.eu/r5r/availability",
        "http://www.w3.org/ns/adms#identifier",
        "http://www.w3.org/2002/07/owl#versionIRI",
        "http://www.w3.org/2000/01/rdf-schema#isDefinedBy",
        str(SKOS.editorialNote),
        POSITION,
    )
)
#: Whole vocabularies of technical statements (VoID statistics, DCAT-AP.de's levels).
TECHNICAL_NAMESPACES = (str(VOID), "http://dcat-ap.de/def/dcatde/", "http://purl.org/vocab/vann/")


@dataclass(frozen=True)
class PageTerms:
    """What pages know of the data's own vocabulary (a profile gives it): its page
    kinds, how a page names the links to a resource by each of its properties
    (local name -> message id), and which of its properties are keys for machines."""

    kinds: Kinds
    inverse_labels: Mapping[str, str] = field(default_factory=dict)
    technical: frozenset[str] = frozenset()


def is_technical(predicate: str, vocab: str, own: frozenset[str] = frozenset()) -> bool:
    return (
        predicate in TECHNICAL
        or predicate.startswith(TECHNICAL_NAMESPACES)
        or (predicate.startswith(vocab) and predicate[len(vocab) :] in own)
    )


#: Pages of this site that the data links to without a label (the catalog's landing
#: page, endpoint and register), by their local path.
SITE_PAGES = {
    "/": N_("home page of this site"),
    "/sparql": N_("SPARQL endpoint"),
    "/register": N_("Register of the charter"),
    "/ontology": N_("Vocabulary"),
}


@dataclass
class Value:
    text: str
    href: str | None = None
    lang: str | None = None
    external: bool = False
    #: schema:position of the linked resource: lists follow the source's order.
    position: int | None = None
    #: A blank node's own statements (a period, a checksum, a VoID partition), labelled.
    parts: list[tuple[str, Value]] = field(default_factory=list)

    def sort_key(self) -> tuple[bool, int, str]:
        return (self.position is None, self.position or 0, self.text.casefold())


@dataclass
class Row:
    predicate: str
    label: str
    values: list[Value] = field(default_factory=list)


@dataclass
class Page:
    iri: str
    label: str
    lang: str
    kind: str
    types: list[Value]
    #: schema.org type of the page's kind ('' where the kind names none).
    schema_type: str
    rows: list[Row]
    incoming: list[Row]
    sources: list[Value]
    objects: dict[str, list[str]]
    #: The label's language where it differs from the page's (a German-only title on
    #: an English page), for a ``lang`` attribute.
    label_lang: str | None = None
    #: True when the description stopped at MAX_INCOMING links to this resource.
    incoming_cut: bool = False
    #: Statements for machines (VoID statistics, checksums, keys), shown folded away.
    technical: list[Row] = field(default_factory=list)

    def first(self, predicate: str) -> str | None:
        values = self.objects.get(predicate)
        return values[0] if values else None


def build_page(
    iri: str,
    triples: list[ox.Triple],
    lang: str,
    vocab: str,
    link: Callable[[str], str],
    terms: PageTerms,
    super_properties: dict[str, set[str]] | None = None,
) -> Page:
    """Group a description into rows; ``link`` maps our IRIs to local URLs.

    The data states each fact with our property and the standard one; a row of a
    standard super-property that only repeats a sub-property row is left out.
    """
    labels = LabelIndex.of(triples)
    subject = ox.NamedNode(iri)
    positions = _positions(triples)
    _ = translations(lang).gettext
    blank: dict[ox.BlankNode, list[ox.Triple]] = {}
    for t in triples:
        if isinstance(t.subject, ox.BlankNode):
            blank.setdefault(t.subject, []).append(t)

    def named(target: str) -> tuple[str, str | None] | None:
        """Its label and the label's language if not the page's; None without a label."""
        found = labels.get_tagged(target, lang)
        if found is None:
            return None
        text, tag = found
        return text, (tag if tag and tag != lang else None)

    def link_text(target: str, href: str) -> tuple[str, str | None]:
        """A link's text: its label, else the name of a standard value or of a page of
        this site, else a readable web address; a local name only as the last resort."""
        found = named(target)
        if found is not None:
            return found
        standard = value_label(target, lang)
        if standard:
            return standard, None
        if href in SITE_PAGES:
            return _(SITE_PAGES[href]), None
        if href.endswith("/sparql"):  # a release's endpoint, /version/<v>/sparql
            return _(SITE_PAGES["/sparql"]), None
        if href == target and target.startswith(("http://", "https://")):
            return readable_url(target), None
        return local_name(target), None

    def value(
        term: ox.NamedNode | ox.BlankNode | ox.Literal, predicate: str = "", depth: int = 0
    ) -> Value:
        if isinstance(term, ox.Literal):
            if predicate == BYTE_SIZE and term.value.isdigit():
                return Value(byte_size(int(term.value), lang))
            return Value(format_literal(term, lang), lang=term.language)
        if isinstance(term, ox.NamedNode):
            href = link(term.value)
            if predicate == VOID_PROPERTY:  # a VoID partition's property, by its label
                text, other_lang = prop_label(term.value), None
            else:
                text, other_lang = link_text(term.value, href)
            return Value(
                text,
                href=href,
                lang=other_lang,
                external=href == term.value,
                position=positions.get(term.value),
            )
        return node(term, depth + 1)

    def node(term: ox.BlankNode, depth: int) -> Value:
        """A blank node as the statements it groups: "Class: Goal; number of resources: 20"."""
        if depth > MAX_DEPTH:
            return Value("…")
        parts = [
            (prop_label(t.predicate.value), value(plain(t.object), t.predicate.value, depth))
            for t in blank.get(term, [])
            if t.predicate.value != RDF_TYPE
        ]
        parts.sort(key=lambda part: (part[1].href is None, part[0].casefold()))
        bounds = {t.predicate.value: t.object for t in blank.get(term, [])}
        if all(p in bounds for p in PERIOD):  # a period: "September 2022 – 2023"
            start, end = (value(plain(bounds[p]), p, depth).text for p in PERIOD)
            return Value(f"{start} – {end}")
        text = "; ".join(f"{label}: {v.text}" for label, v in parts) or "…"
        return Value(text, parts=parts)

    def prop_label(p: str) -> str:
        return labels.get(p, lang) or standard_label(p, lang) or local_name(p)

    def incoming_label(p: str) -> str:
        """What the resources linking here are to this one ("measures towards this goal")."""
        return inverse_label(p, vocab, lang, terms.inverse_labels) or _(INVERSE_FALLBACK) % {
            "label": prop_label(p)
        }

    out: dict[str, Row] = {}
    inc: dict[str, Row] = {}
    n_incoming = 0
    objects: dict[str, list[str]] = {}
    types: list[Value] = []
    sources: list[Value] = []
    for t in triples:
        p = t.predicate.value
        if t.subject == subject:
            objects.setdefault(p, []).append(value_of(t.object))
            if p == RDF_TYPE:
                types.append(value(plain(t.object)))
                continue
            if p == SOURCE:
                sources.append(value(plain(t.object)))
                continue
            if p in (SKOS + "prefLabel",) and isinstance(t.object, ox.Literal):
                continue
            row = out.setdefault(p, Row(p, prop_label(p)))
            row.values.append(value(plain(t.object), p))
        elif t.object == subject and isinstance(t.subject, ox.NamedNode):
            row = inc.setdefault(p, Row(p, incoming_label(p)))
            row.values.append(value(t.subject))
            n_incoming += 1
    _drop_repeated(out, super_properties or {})
    _drop_repeated(inc, super_properties or {})
    # A link both ways (a paper lists its consultations, each consultation names the paper)
    # is shown once, from the page's side: incoming links that only repeat are left out.
    shown = {v.href for row in out.values() for v in row.values if v.href}
    for p, row in list(inc.items()):
        row.values = [v for v in row.values if v.href not in shown]
        if not row.values:
            del inc[p]
    _merge_same_label(out)
    _merge_same_label(inc)
    for row in out.values():  # a title in the page's language, not each translation of it
        if row.predicate in TRANSLATED and any(v.lang == lang for v in row.values):
            row.values = [v for v in row.values if v.lang == lang or v.href]
    for rows in (out, inc):
        for row in rows.values():
            row.values.sort(key=Value.sort_key)
    label, label_lang = named(iri) or (local_name(iri), None)
    title = out.get(str(DCTERMS.title))
    if title is not None and all(v.text == label for v in title.values):
        del out[str(DCTERMS.title)]  # the heading says it already
    kind = terms.kinds.kind_of(objects, vocab)
    return Page(
        iri=iri,
        label=label,
        label_lang=label_lang,
        lang=lang,
        kind=kind.name,
        schema_type=kind.schema_type,
        types=types,
        rows=sorted(
            (r for r in out.values() if not is_technical(r.predicate, vocab, terms.technical)),
            key=lambda r: r.label.casefold(),
        ),
        technical=sorted(
            (r for r in out.values() if is_technical(r.predicate, vocab, terms.technical)),
            key=lambda r: r.label.casefold(),
        ),
        incoming=sorted(inc.values(), key=lambda r: r.label.casefold()),
        sources=sources,
        objects=objects,
        incoming_cut=n_incoming >= describe.MAX_INCOMING,
    )


#: A link to the page's resource by a property the catalogue has no inverse name for.
INVERSE_FALLBACK = N_("is “%(label)s” of")


def unlabelled(triples: list[ox.Triple]) -> list[str]:
    """IRIs a page shows as values that the description gives no label for: the catalog's
    members and a VoID partition's classes, which the description query does not reach."""
    labelled = set(LabelIndex.of(triples).by_iri)
    found = {
        t.object.value
        for t in triples
        if isinstance(t.object, ox.NamedNode)
        and t.predicate.value != RDF_TYPE
        and t.object.value not in labelled
    }
    return sorted(found)


def _positions(triples: list[ox.Triple]) -> dict[str, int]:
    """schema:position per IRI, where it is an integer."""
    out: dict[str, int] = {}
    for t in triples:
        if t.predicate.value == POSITION and isinstance(t.object, ox.Literal):
            try:
                out[value_of(t.subject)] = int(value_of(t.object))
            except ValueError:
                continue
    return out


def _merge_same_label(rows: dict[str, Row]) -> None:
    """Two properties a reader would name alike (cgi:betrifft and schema:object both read
    "betroffen von" from the other side) make one row, each value once."""
    first: dict[str, Row] = {}
    for p, row in list(rows.items()):
        kept = first.setdefault(row.label, row)
        if kept is row:
            continue
        seen = {(v.text, v.href) for v in kept.values}
        kept.values += [v for v in row.values if (v.text, v.href) not in seen]
        del rows[p]


def _drop_repeated(rows: dict[str, Row], supers: dict[str, set[str]]) -> None:
    """Drop a super-property row whose values its sub-property rows already show."""
    covered: dict[str, set[tuple[str, str | None]]] = {}
    for sub, row in rows.items():
        for sup in supers.get(sub, ()):
            covered.setdefault(sup, set()).update((v.text, v.href) for v in row.values)
    for sup, shown in covered.items():
        shown_row = rows.get(sup)
        if shown_row is not None and {(v.text, v.href) for v in shown_row.values} <= shown:
            del rows[sup]
