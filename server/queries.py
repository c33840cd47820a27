"""Named queries for pages, each returning plain data (text and local links)."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.namespaces import SKOS
from server.store import Store


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


PREFIXES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def _label(var: str, lang: str) -> str:
    """A SPARQL fragment binding ``?{var}L`` to the label in ``lang``, else German, else the IRI.

    The shapes require one German label per resource, so this never multiplies rows.
    """
    return f"""OPTIONAL {{ ?{var} skos:prefLabel ?{var}L1 FILTER(lang(?{var}L1) = "{lang}") }}
      OPTIONAL {{ ?{var} skos:prefLabel ?{var}L2 FILTER(lang(?{var}L2) = "de") }}
      BIND(COALESCE(?{var}L1, ?{var}L2, STR(?{var})) AS ?{var}L)"""


def _plain(rows: list[dict]) -> list[dict[str, str]]:
    return [{k: v.value for k, v in r.items()} for r in rows]


@dataclass
class Activity:
    iri: str
    label: str
    date: str | None
    date_type: str | None
    kind: str | None


def activities_of(store: Store, iri: str, lang: str) -> list[Activity]:
    """What a body took part in (consultations, meetings, decisions, events), by date."""
    rows = store.select(f"""{PREFIXES}
        SELECT DISTINCT ?a ?aL ?date ?kL WHERE {{
          ?a prov:wasAssociatedWith <{iri}> .
          OPTIONAL {{ ?a dcterms:date ?date }}
          OPTIONAL {{ ?a dcterms:type ?k . {_label("k", lang)} }}
          {_label("a", lang)}
        }} ORDER BY ?date ?aL""")
    out = []
    for r in rows:
        d = r.get("date")
        out.append(
            Activity(
                r["a"].value,
                r["aL"].value,
                d.value if d is not None else None,
                d.datatype.value if d is not None and d.datatype else None,
                r["kL"].value if "kL" in r else None,
            )
        )
    return out


@dataclass
class Step:
    iri: str
    position: int
    body: str
    body_label: str
    date: str
    role: str
    status: str | None
    authoritative: bool


def beratungsfolge(store: Store, paper: str, lang: str, vocab: str) -> list[Step]:
    """A paper's consultations in order: the timeline of the paper page."""
    rows = store.select(f"""{PREFIXES}
        SELECT ?c ?pos ?b ?bL ?date ?rL ?sL ?auth WHERE {{
          ?c <{vocab}drucksache> <{paper}> ; schema:position ?pos ;
             prov:wasAssociatedWith ?b ; dcterms:date ?date ; <{vocab}beratungsrolle> ?r ;
             <{vocab}entscheidend> ?auth .
          OPTIONAL {{ ?c <{vocab}beratungsstatus> ?s . {_label("s", lang)} }}
          {_label("b", lang)}
          {_label("r", lang)}
        }} ORDER BY ?pos""")
    return [
        Step(
            r["c"].value,
            int(r["pos"].value),
            r["b"].value,
            r["bL"].value,
            r["date"].value,
            r["rL"].value,
            r["sL"].value if "sL" in r else None,
            r["auth"].value in ("true", "1"),  # both are lexical forms of xsd:boolean true
        )
        for r in rows
    ]


@dataclass
class Part:
    iri: str
    label: str
    count: str | None = None
    parts: list[Part] = field(default_factory=list)


def parts_of(store: Store, iri: str, lang: str, vocab: str) -> list[Part]:
    """The parts of a programme (dcterms:hasPart), in source order, with their own parts."""
    rows = store.select(f"""{PREFIXES}
        SELECT ?p ?pL ?pos ?n ?q ?qL WHERE {{
          <{iri}> dcterms:hasPart ?p .
          OPTIONAL {{ ?p schema:position ?pos }}
          OPTIONAL {{ ?p <{vocab}anzahlEinzelmassnahmen> ?n }}
          OPTIONAL {{ ?p dcterms:hasPart ?q . {_label("q", lang)} }}
          {_label("p", lang)}
        }} ORDER BY ?pos ?pL ?qL""")
    parts: dict[str, Part] = {}
    for r in rows:
        part = parts.setdefault(
            r["p"].value, Part(r["p"].value, r["pL"].value, r["n"].value if "n" in r else None)
        )
        if "q" in r:
            part.parts.append(Part(r["q"].value, r["qL"].value))
    return list(parts.values())


def citing(store: Store, source: str, lang: str, vocab: str) -> list[dict[str, str]]:
    """Resources that name ``source`` as their source, with the label of their class."""
    return _plain(
        store.select(f"""{PREFIXES}
        SELECT ?s ?sL ?cL WHERE {{
          ?s dcterms:source <{source}> ; a ?c . FILTER(STRSTARTS(STR(?c), "{vocab}"))
          ?c rdfs:label ?cL . FILTER(lang(?cL) = "{lang}")
          {_label("s", lang)}
        }} ORDER BY ?cL ?sL""")
    )


@dataclass
class OrgNode:
    iri: str
    label: str
    children: list[OrgNode] = field(default_factory=list)


def organisation_tree(store: Store, lang: str) -> list[OrgNode]:
    """Organisations nested by org:subOrganizationOf, org:unitOf and org:linkedTo."""
    rows = store.select(f"""{PREFIXES}
        SELECT ?o ?oL ?parent WHERE {{
          ?o a org:Organization .
          OPTIONAL {{ ?o org:subOrganizationOf|org:unitOf|org:linkedTo ?parent .
                      ?parent a org:Organization }}
          {_label("o", lang)}
        }} ORDER BY ?oL""")
    nodes: dict[str, OrgNode] = {}
    parents: dict[str, str] = {}
    for r in rows:
        iri = r["o"].value
        nodes.setdefault(iri, OrgNode(iri, r["oL"].value))
        if "parent" in r:
            parents.setdefault(iri, r["parent"].value)
    roots = []
    for iri, node in nodes.items():
        parent = parents.get(iri)
        if parent in nodes and parent != iri:
            nodes[parent].children.append(node)
        else:
            roots.append(node)
    return roots
