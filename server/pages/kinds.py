"""Page kinds, one record each: which resources a kind shows, its schema.org type, the
extra data its template gets, and the template.

A kind is chosen from a resource's statements: the first record whose classes
the resource has (or whose ``applies`` test holds) wins, and a resource no
record claims gets the generic page. The profile brings its kinds; the engine
brings the kinds every deployment has (a release). Adding a kind is adding one
record and its template; nothing else names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from server.rdf.namespaces import RDF
from server.sparql import Store

RDF_TYPE = str(RDF.type)


@dataclass(frozen=True)
class KindQuery:
    """What a kind's context function is given: the store (or a release's state of it),
    the resource, the page language and the namespaces the data is read in."""

    store: Store
    iri: str
    lang: str
    namespace: str
    vocabulary: str


#: A kind's extra template data beyond the page's statements.
Context = Callable[[KindQuery], dict[str, object]]


@dataclass(frozen=True)
class PageKind:
    """One kind of resource page."""

    name: str
    #: schema.org type of the page's JSON-LD (``Thing`` is never a kind's type).
    schema_type: str
    #: Class IRIs the kind shows; a name without ``:`` is a class of the vocabulary.
    classes: tuple[str, ...] = ()
    #: The extra data its template gets (None: the statements alone).
    context: Context | None = None
    #: Claims a resource by its statements (predicate -> object values) beyond its classes.
    applies: Callable[[dict[str, list[str]]], bool] | None = None
    #: The template; the generic page is the fallback where it is missing.
    template: str = ""

    @property
    def template_name(self) -> str:
        return self.template or f"resource/{self.name}.html"

    def claims(self, objects: dict[str, list[str]], vocabulary: str) -> bool:
        types = objects.get(RDF_TYPE, [])
        wanted = {c if ":" in c else vocabulary + c for c in self.classes}
        if wanted.intersection(types):
            return True
        return self.applies is not None and self.applies(objects)


#: The page of a resource no kind claims.
GENERIC = PageKind("generic", "")


class Kinds:
    """The kinds a site serves, in the order they are asked."""

    def __init__(self, kinds: Iterable[PageKind]) -> None:
        self.records = tuple(kinds)
        names = [k.name for k in self.records]
        if len(set(names)) != len(names) or GENERIC.name in names:
            raise ValueError(f"page kinds must have distinct names other than 'generic': {names}")
        self.by_name = {k.name: k for k in self.records} | {GENERIC.name: GENERIC}

    def kind_of(self, objects: dict[str, list[str]], vocabulary: str) -> PageKind:
        """The first kind that claims the resource, else the generic page."""
        return next((k for k in self.records if k.claims(objects, vocabulary)), GENERIC)

    def __add__(self, other: Iterable[PageKind]) -> Kinds:
        return Kinds((*self.records, *other))
