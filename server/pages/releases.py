"""The releases a store holds, as the catalog states them: for pages, Mementos and the build.

Read from the store, so a remote deployment lists what was loaded, not what a
checkout holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox

from server.sparql import Store


@dataclass(frozen=True)
class ReleaseInfo:
    """One release as the catalog states it (``releases/<v>/release.ttl``)."""

    iri: str
    version: str
    #: ``xsd:dateTime`` in UTC, e.g. ``2026-12-01T17:06:31Z``.
    issued: str
    notes: str
    previous: str | None

    @property
    def issued_at(self) -> datetime:
        """``issued`` as an aware datetime (Memento-Datetime, Accept-Datetime comparisons)."""
        return datetime.fromisoformat(self.issued.replace("Z", "+00:00")).astimezone(UTC)


RELEASES = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
        SELECT ?r ?v ?d ?n ?p WHERE {
          #BINDINGS
          ?r dcat:inSeries ?series ; dcat:version ?v ; <http://purl.org/dc/terms/issued> ?d .
          OPTIONAL { ?r <http://www.w3.org/ns/adms#versionNotes> ?n }
          OPTIONAL { ?r dcat:previousVersion ?p }
        } ORDER BY ?d ?v"""

#: Whether a state (a release's graph, the query's default graph) says anything about ``?r``.
STATE = """ASK {
#BINDINGS
  ?r ?p ?o }"""


def releases(store: Store, series: str) -> list[ReleaseInfo]:
    """The releases in the dataset series, oldest first (from the store, so a remote
    deployment lists what was loaded, not what a checkout holds)."""
    rows = store.select(RELEASES, bindings={"series": ox.NamedNode(series)})
    return [
        ReleaseInfo(
            r["r"].value,
            r["v"].value,
            r["d"].value,
            r["n"].value if "n" in r else "",
            r["p"].value if "p" in r else None,
        )
        for r in rows
    ]


def states_of(
    store: Store, iri_term: str | ox.NamedNode, releases: list[ReleaseInfo]
) -> list[ReleaseInfo]:
    """The releases whose state says anything about a resource, oldest first: its Mementos.

    ``iri_term``: the resource, as a NamedNode, its IRI, or ``<IRI>`` as
    ``describe.iri_ref`` writes it; it is bound, never put into the query's text.
    """
    if isinstance(iri_term, ox.NamedNode):
        node = iri_term
    else:
        bare = iri_term[1:-1] if iri_term.startswith("<") and iri_term.endswith(">") else iri_term
        node = ox.NamedNode(bare)
    return [r for r in releases if store.ask(STATE, graph=r.iri, bindings={"r": node})]
