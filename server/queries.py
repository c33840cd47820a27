"""Named queries for pages, each returning plain data (text and local links)."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.store import Store

SKOS = "http://www.w3.org/2004/02/skos/core#"


@dataclass
class Goal:
    iri: str
    label: str


@dataclass
class Theme:
    iri: str
    notation: str
    label: str
    subtitle: str
    goals: list[Goal] = field(default_factory=list)


def themes_and_goals(store: Store, namespace: str, lang: str) -> list[Theme]:
    """The Charta's themes and goals in source order, labels in ``lang`` (German fallback)."""
    rows = store.select(f"""
        PREFIX skos: <{SKOS}>
        PREFIX schema: <http://schema.org/>
        SELECT ?t ?n ?tl ?ts ?tp ?g ?gl ?gp WHERE {{
          <{namespace}id/charta> skos:hasTopConcept ?t .
          ?t skos:notation ?n ; schema:position ?tp ;
             skos:prefLabel ?tl ; skos:definition ?ts .
          FILTER(lang(?tl) = "{lang}" && lang(?ts) = "{lang}")
          OPTIONAL {{ ?g skos:broader ?t ; schema:position ?gp ; skos:prefLabel ?gl .
                      FILTER(lang(?gl) = "{lang}") }}
        }} ORDER BY ?tp ?gp""")
    themes: dict[str, Theme] = {}
    for r in rows:
        t = r["t"].value
        theme = themes.setdefault(t, Theme(t, r["n"].value, r["tl"].value, r["ts"].value))
        if "g" in r:
            theme.goals.append(Goal(r["g"].value, r["gl"].value))
    return list(themes.values())
