"""The view model of a resource page: rows of labelled values, never raw IRIs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from server import describe
from server.labels import LabelIndex, format_literal, local_name, standard_label
from server.namespaces import DCAT, DCTERMS, ORG, RDF, SCHEMA, SKOS
from server.serialize import plain, value_of

RDF_TYPE = str(RDF.type)
SOURCE = str(DCTERMS.source)
POSITION = str(SCHEMA.position)

#: Our class (local name) -> template; the first type that matches wins.
KINDS = (
    ("Charta", "charta"),
    ("Leitthema", "theme"),
    ("Oberziel", "goal"),
    ("Drucksache", "paper"),
    ("Gremium", "body"),
    ("Gebietskoerperschaft", "body"),
    ("Verband", "body"),
    ("Organisationseinheit", "body"),
    ("Beschluss", "event"),
    ("Sitzung", "event"),
    ("Beratung", "event"),
    ("Ereignis", "event"),
    ("Programm", "programme"),
    ("Programmbestandteil", "programme"),
    ("Quelldokument", "document"),
)


@dataclass
class Value:
    text: str
    href: str | None = None
    lang: str | None = None
    external: bool = False
    #: schema:position of the linked resource: lists follow the source's order.
    position: int | None = None

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
    rows: list[Row]
    incoming: list[Row]
    sources: list[Value]
    objects: dict[str, list[str]]
    #: The label's language where it differs from the page's (a German-only title on
    #: an English page), for a ``lang`` attribute.
    label_lang: str | None = None
    #: True when the description stopped at MAX_INCOMING links to this resource.
    incoming_cut: bool = False

    def first(self, predicate: str) -> str | None:
        values = self.objects.get(predicate)
        return values[0] if values else None


def build_page(
    iri: str,
    triples: list[ox.Triple],
    lang: str,
    vocab: str,
    link: Callable[[str], str],
    super_properties: dict[str, set[str]] | None = None,
) -> Page:
    """Group a description into rows; ``link`` maps our IRIs to local URLs.

    The data states each fact with our property and the standard one; a row of a
    standard super-property that only repeats a sub-property row is left out.
    """
    labels = LabelIndex.of(triples)
    subject = ox.NamedNode(iri)
    positions = _positions(triples)

    def named(target: str) -> tuple[str, str | None]:
        """Its label (else local name), and the label's language if not the page's."""
        text, tag = labels.get_tagged(target, lang) or (local_name(target), "")
        return text, (tag if tag and tag != lang else None)

    def value(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Value:
        if isinstance(term, ox.Literal):
            return Value(format_literal(term, lang), lang=term.language)
        if isinstance(term, ox.NamedNode):
            text, other_lang = named(term.value)
            href = link(term.value)
            return Value(
                text,
                href=href,
                lang=other_lang,
                external=href == term.value,
                position=positions.get(term.value),
            )
        return Value("[…]")

    def prop_label(p: str) -> str:
        return labels.get(p, lang) or standard_label(p, lang) or local_name(p)

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
            row.values.append(value(plain(t.object)))
        elif t.object == subject and isinstance(t.subject, ox.NamedNode):
            row = inc.setdefault(p, Row(p, prop_label(p)))
            row.values.append(value(t.subject))
            n_incoming += 1
    _drop_repeated(out, super_properties or {})
    _drop_repeated(inc, super_properties or {})
    for rows in (out, inc):
        for row in rows.values():
            row.values.sort(key=Value.sort_key)
    label, label_lang = named(iri)
    return Page(
        iri=iri,
        label=label,
        label_lang=label_lang,
        lang=lang,
        kind=page_kind(objects, vocab),
        types=types,
        rows=sorted(out.values(), key=lambda r: r.label.casefold()),
        incoming=sorted(inc.values(), key=lambda r: r.label.casefold()),
        sources=sources,
        objects=objects,
        incoming_cut=n_incoming >= describe.MAX_INCOMING,
    )


def page_kind(objects: dict[str, list[str]], vocab: str) -> str:
    """Which template shows the resource (``resource/<kind>.html``), from its statements:
    the first of our classes in ``KINDS`` it has, else what the standard terms say."""
    types = objects.get(RDF_TYPE, [])
    ours = {local_name(v) for v in types if v.startswith(vocab)}
    for cls, template in KINDS:
        if cls in ours:
            return template
    if str(ORG.Organization) in types:
        return "body"  # an institution only the register tables describe (Dortmund)
    if str(DCAT.inSeries) in objects:
        return "release"  # a release of the dataset (releases/<v>/release.ttl)
    return "generic"


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


SCHEMA_TYPES = {
    "charta": "DefinedTermSet",
    "theme": "DefinedTerm",
    "goal": "DefinedTerm",
    "body": "GovernmentOrganization",
    "paper": "CreativeWork",
    "event": "Event",
    "programme": "Project",
    "document": "DigitalDocument",
}
DCT = DCTERMS


def schema_org(page: Page) -> dict[str, object]:
    """The page's data as schema.org JSON-LD, for search engines and link previews."""
    data: dict[str, object] = {
        "@context": "https://schema.org/",
        "@type": SCHEMA_TYPES.get(page.kind, "Thing"),
        "@id": page.iri,
        "name": page.label,
        "url": page.iri,
    }
    if page.sources:
        data["isBasedOn"] = [s.href for s in page.sources if s.href]
    definition = page.first(SKOS + "definition") or page.first(DCT + "description")
    if definition:
        data["description"] = definition
    if page.kind in ("theme", "goal"):
        scheme = page.first(SKOS + "inScheme")
        if scheme:
            data["inDefinedTermSet"] = scheme
        notation = page.first(SKOS + "notation")
        if notation:
            data["termCode"] = notation
    if page.kind == "event":
        date = page.first(DCT + "date")
        if date:
            data["startDate"] = date
    if page.kind in ("paper", "document"):
        ident = page.first(DCT + "identifier")
        if ident:
            data["identifier"] = ident
    return data
