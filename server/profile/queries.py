"""Named queries for pages, each returning plain data (text and local links)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from server.rdf.namespaces import SKOS
from server.sparql import Store, Term


@dataclass
class Goal:
    iri: str
    label: str
    #: The goal's key: its theme's numeral and its place in the theme ("II.1"), as the
    #: measures table (massnahmen.csv) names goals; the register's key, computed from the
    #: source's numerals and order, not a notation of the source (docs/editing.md).
    key: str = ""


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
            theme.goals.append(
                Goal(r["g"].value, r["gl"].value, f"{theme.notation}.{r['gp'].value}")
            )
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


def _plain(rows: list[dict[str, Term]]) -> list[dict[str, str]]:
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
                d.datatype.value if isinstance(d, ox.Literal) else None,
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
    #: Scheduled, not recorded as held (cgi:sitzungsstatus geplant): a plan, no decision.
    planned: bool = False


def beratungsfolge(store: Store, paper: str, lang: str, vocab: str) -> list[Step]:
    """A paper's consultations in order: the timeline of the paper page."""
    rows = store.select(f"""{PREFIXES}
        SELECT ?c ?pos ?b ?bL ?date ?rL ?sL ?auth ?held WHERE {{
          ?c <{vocab}drucksache> <{paper}> ; schema:position ?pos ;
             <{vocab}gremium> ?b ; dcterms:date ?date ; <{vocab}beratungsrolle> ?r ;
             <{vocab}entscheidend> ?auth .
          OPTIONAL {{ ?c <{vocab}beratungsstatus> ?s . {_label("s", lang)} }}
          OPTIONAL {{ ?c <{vocab}sitzungsstatus>/skos:notation ?held }}
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
            "held" in r and r["held"].value == "geplant",
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


@dataclass
class Link:
    """A linked resource: its IRI and label (the IRI itself where it has none), and the
    label's language where it is not the page's (for a ``lang`` attribute)."""

    iri: str
    label: str
    lang: str | None = None


def _tagged(var: str, lang: str) -> str:
    """:func:`_label`, and ``?{var}G`` the label's language tag ("" for an IRI)."""
    return f"{_label(var, lang)} BIND(LANG(?{var}L) AS ?{var}G)"


def _link(v: dict[str, str], var: str, lang: str) -> Link | None:
    if var not in v:
        return None
    tag = v.get(var + "G") or None
    return Link(v[var], v[var + "L"], tag if tag != lang else None)


@dataclass
class Joining:
    """One row of the register: an institution's joining of the Charta (cgi:Beitritt)."""

    iri: str
    label: str
    institution: Link
    #: The institution's kind (id/werteliste/organisationsart/…) and its notation.
    kind: Link | None
    kind_key: str | None
    body: Link | None
    date: str | None
    status: Link
    status_key: str
    paper: Link | None
    paper_number: str | None
    paper_url: str | None
    sources: list[Link] = field(default_factory=list)
    #: The paper's title as the council system gives it (dcterms:title).
    paper_title: str | None = None
    #: The date the state was last checked (cgi:stand), where no decision date is known.
    checked: str | None = None
    #: False for a candidate (cgi:bestaetigt false): shown as such, counted nowhere.
    confirmed: bool = True
    #: The Kreis a kreisangehörige Kommune belongs to (cgi:kreisangehoerigIn).
    district: Link | None = None
    #: The row's note (skos:note), e.g. where a search found nothing.
    note: str | None = None
    #: The state's place in its value set (schema:position), for sorting by state.
    status_position: int = 0


def joinings(store: Store, vocab: str, lang: str, institution: str | None = None) -> list[Joining]:
    """Every joining of the register (or of one institution), by institution and date.

    One row per joining and source; the sources are gathered here rather than
    with GROUP_CONCAT, so every store answers alike.
    """
    only = f"VALUES ?i {{ <{institution}> }}" if institution else ""
    rows = store.select(f"""{PREFIXES}
        SELECT ?b ?bL ?bG ?i ?iL ?iG ?k ?kL ?kG ?kn ?g ?gL ?gG ?date ?s ?sL ?sG ?sn
               ?p ?pL ?pG ?pn ?pu ?pt ?q ?qL ?qG ?stand ?ok ?d ?dL ?dG ?note ?sp WHERE {{
          {only}
          ?b a <{vocab}Beitritt> ; <{vocab}institution> ?i ; <{vocab}beitrittsstatus> ?s .
          ?s skos:notation ?sn .
          OPTIONAL {{ ?i <{vocab}organisationsart> ?k . ?k skos:notation ?kn .
                      {_tagged("k", lang)} }}
          OPTIONAL {{ ?b <{vocab}gremium> ?g . {_tagged("g", lang)} }}
          OPTIONAL {{ ?b dcterms:date ?date }}
          OPTIONAL {{ ?b <{vocab}vorlage> ?p . {_tagged("p", lang)}
                      OPTIONAL {{ ?p dcterms:identifier ?pn }}
                      OPTIONAL {{ ?p <http://xmlns.com/foaf/0.1/page> ?pu }}
                      OPTIONAL {{ ?p dcterms:title ?pt }} }}
          OPTIONAL {{ ?b dcterms:source ?q . {_tagged("q", lang)} }}
          OPTIONAL {{ ?b <{vocab}stand> ?stand }}
          OPTIONAL {{ ?b <{vocab}bestaetigt> ?ok }}
          OPTIONAL {{ ?b skos:note ?note }}
          OPTIONAL {{ ?s schema:position ?sp }}
          OPTIONAL {{ ?i <{vocab}kreisangehoerigIn> ?d . {_tagged("d", lang)} }}
          {_tagged("b", lang)} {_tagged("i", lang)} {_tagged("s", lang)}
        }} ORDER BY ?iL ?date ?b ?q""")
    found: dict[str, Joining] = {}
    for r in rows:
        v = {k: t.value for k, t in r.items()}
        j = found.get(v["b"])
        if j is None:
            institution_link = _link(v, "i", lang)
            status_link = _link(v, "s", lang)
            assert institution_link is not None and status_link is not None
            j = found[v["b"]] = Joining(
                iri=v["b"],
                label=v["bL"],
                institution=institution_link,
                kind=_link(v, "k", lang),
                kind_key=v.get("kn"),
                body=_link(v, "g", lang),
                date=v.get("date"),
                status=status_link,
                status_key=v["sn"],
                paper=_link(v, "p", lang),
                paper_number=v.get("pn"),
                paper_url=v.get("pu"),
                paper_title=v.get("pt"),
                checked=v.get("stand"),
                confirmed=v.get("ok", "true") in ("true", "1"),
                district=_link(v, "d", lang),
                note=v.get("note"),
                status_position=int(v["sp"]) if v.get("sp", "").isdigit() else 0,
            )
        source = _link(v, "q", lang)
        if source is not None and all(s.iri != source.iri for s in j.sources):
            j.sources.append(source)
    return list(found.values())


@dataclass
class JoiningStep:
    """A consultation of a joining's resolution: a step of the register's timeline."""

    iri: str
    joining: str
    date: str
    body: Link | None
    #: The consultation's role (id/werteliste/beratungsrolle/…) and its notation.
    role: Link | None
    role_key: str | None
    #: The decision's outcome (id/werteliste/beschlussergebnis/…), where the source states one.
    outcome: Link | None
    #: Scheduled, not recorded as held (cgi:sitzungsstatus geplant): a plan, no decision.
    planned: bool = False


def joining_steps(store: Store, vocab: str, lang: str) -> list[JoiningStep]:
    """Every dated consultation of a joining, by date: linked to the joining (the register's
    tables) or to the joining's resolution paper (the seed's Beratungsfolge)."""
    eli = "http://data.europa.eu/eli/eli-draft-legislation-ontology#"
    rows = store.select(f"""{PREFIXES}
        SELECT DISTINCT ?c ?b ?date ?g ?gL ?gG ?r ?rL ?rG ?rn ?o ?oL ?oG ?held WHERE {{
          ?b a <{vocab}Beitritt> .
          {{ ?c <{vocab}beitritt> ?b }}
          UNION {{ ?b <{vocab}vorlage> ?p . ?c a <https://schema.oparl.org/1.1/Consultation> ;
                   <{vocab}drucksache> ?p }}
          OPTIONAL {{ ?c <{vocab}sitzungsstatus>/skos:notation ?held }}
          ?c dcterms:date ?date .
          OPTIONAL {{ ?c <{vocab}gremium> ?g . {_tagged("g", lang)} }}
          OPTIONAL {{ ?c dcterms:type ?r . ?r skos:notation ?rn . {_tagged("r", lang)} }}
          OPTIONAL {{ ?c <{eli}decision_outcome> ?o . {_tagged("o", lang)} }}
        }} ORDER BY ?date ?c""")
    found: dict[str, JoiningStep] = {}
    for r in rows:
        v = {k: t.value for k, t in r.items()}
        found.setdefault(
            v["c"],
            JoiningStep(
                iri=v["c"],
                joining=v["b"],
                date=v["date"],
                body=_link(v, "g", lang),
                role=_link(v, "r", lang),
                role_key=v.get("rn"),
                outcome=_link(v, "o", lang),
                planned=v.get("held") == "geplant",
            ),
        )
    return list(found.values())


@dataclass
class Concept:
    """A concept of a value set, in the set's order: notation, IRI, label."""

    key: str
    iri: str
    label: str


def value_set(store: Store, scheme: str, lang: str) -> list[Concept]:
    """The concepts of a value set (``id/werteliste/…``) in their order (schema:position)."""
    rows = store.select(f"""{PREFIXES}
        SELECT ?c ?cL ?n ?pos WHERE {{
          ?c skos:inScheme <{scheme}> ; skos:notation ?n .
          OPTIONAL {{ ?c schema:position ?pos }}
          {_label("c", lang)}
        }} ORDER BY ?pos ?n""")
    return [Concept(r["n"].value, r["c"].value, r["cL"].value) for r in rows]


@dataclass
class Measure:
    iri: str
    label: str
    #: The title's language where it is not the page's (titles are German).
    lang: str | None
    status: str | None
    lead: Link | None


def measures(
    store: Store, vocab: str, lang: str, *, lead: str | None = None, goal: str | None = None
) -> list[Measure]:
    """Measures (cgi:Massnahme) of one lead organisation or towards one Oberziel, by title."""
    where = f"?m <{vocab}traeger> <{lead}> ." if lead else f"?m <{vocab}oberziel> <{goal}> ."
    rows = store.select(f"""{PREFIXES}
        SELECT ?m ?mL ?mG ?sL ?t ?tL ?tG WHERE {{
          ?m a <{vocab}Massnahme> . {where}
          OPTIONAL {{ ?m <{vocab}massnahmenstatus> ?s . {_label("s", lang)} }}
          OPTIONAL {{ ?m <{vocab}traeger> ?t . {_tagged("t", lang)} }}
          {_tagged("m", lang)}
        }} ORDER BY ?mL ?m""")
    out: dict[str, Measure] = {}
    for r in rows:
        v = {k: t.value for k, t in r.items()}
        title = _link(v, "m", lang)
        assert title is not None
        out.setdefault(
            v["m"], Measure(v["m"], title.label, title.lang, v.get("sL"), _link(v, "t", lang))
        )
    return list(out.values())
