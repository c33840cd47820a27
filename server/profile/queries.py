"""Named queries for pages, each returning plain data (text and local links).

Every value a query is about (a resource, the page's language) is a binding
(:func:`server.sparql.bind`), never text of the query: the queries are
constants but for the vocabulary's ``PREFIX cgi:`` line, which comes from the
configuration and is written by pyoxigraph.
"""

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


THEMES_AND_GOALS = f"""
        PREFIX skos: <{SKOS}>
        PREFIX schema: <http://schema.org/>
        SELECT ?t ?n ?tl ?ts ?tp ?g ?gl ?gp WHERE {{
          ?charta skos:hasTopConcept ?t .
          #BINDINGS ?charta ?lang
          ?t skos:notation ?n ; schema:position ?tp ;
             skos:prefLabel ?tl ; skos:definition ?ts .
          FILTER(lang(?tl) = ?lang && lang(?ts) = ?lang)
          OPTIONAL {{ ?g skos:broader ?t ; schema:position ?gp ; skos:prefLabel ?gl .
                      FILTER(lang(?gl) = ?lang) }}
        }} ORDER BY ?tp ?gp"""


def themes_and_goals(store: Store, namespace: str, lang: str) -> list[Theme]:
    """The Charta's themes and goals in source order, labels in ``lang`` (German fallback)."""
    charta = ox.NamedNode(f"{namespace}id/charta")
    rows = store.select(THEMES_AND_GOALS, bindings={"charta": charta, "lang": ox.Literal(lang)})
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


def _vocabulary(vocab: str) -> str:
    """:data:`PREFIXES` and ``cgi:`` for the profile's vocabulary (a configured namespace,
    written as pyoxigraph writes an IRI it accepted)."""
    return f"{PREFIXES}PREFIX cgi: {ox.NamedNode(vocab)}\n"


def _params(lang: str, **iris: str | None) -> dict[str, Term]:
    """A query's bindings: ``?lang`` the page's language, each IRI given (None: left out)."""
    out: dict[str, Term] = {name: ox.NamedNode(iri) for name, iri in iris.items() if iri}
    out["lang"] = ox.Literal(lang)
    return out


def _label(var: str, via: str = "") -> str:
    """A SPARQL fragment binding ``?{var}L`` to the label in ``?lang``, else German, else the IRI.

    It stands in the query's outermost group, after the ``#BINDINGS`` that binds
    ``?lang``: the filter of an OPTIONAL sees the variables of the group it is in,
    not of a group around that (and a binding inside an OPTIONAL made Oxigraph
    evaluate that OPTIONAL for every resource, not for the row's: 100 times slower).
    ``via``: for a resource an OPTIONAL binds, that OPTIONAL's pattern, repeated, so
    a label is looked for only where the resource was found (where it was not,
    ``?{var}`` is unbound, and a label pattern alone would match every label); the
    German label is then found inside that OPTIONAL (:func:`_german`).

    The shapes require one German label per resource, so this never multiplies rows.
    """
    german = "" if via else _german(var)
    return f"""OPTIONAL {{ {via} ?{var} skos:prefLabel ?{var}L1 FILTER(lang(?{var}L1) = ?lang) }}
      {german} BIND(COALESCE(?{var}L1, ?{var}L2, STR(?{var})) AS ?{var}L)"""


def _german(var: str) -> str:
    """``?{var}L2``, the German label: it needs no ``?lang``, so it may stand in any group."""
    return f'OPTIONAL {{ ?{var} skos:prefLabel ?{var}L2 FILTER(lang(?{var}L2) = "de") }}'


def _plain(rows: list[dict[str, Term]]) -> list[dict[str, str]]:
    return [{k: v.value for k, v in r.items()} for r in rows]


@dataclass
class Activity:
    iri: str
    label: str
    date: str | None
    date_type: str | None
    kind: str | None


ACTIVITIES = f"""{PREFIXES}
        SELECT DISTINCT ?a ?aL ?date ?kL WHERE {{
          ?a prov:wasAssociatedWith ?body .
          #BINDINGS ?body ?lang
          OPTIONAL {{ ?a dcterms:date ?date }}
          OPTIONAL {{ ?a dcterms:type ?k . {_german("k")} }} {_label("k", "?a dcterms:type ?k .")}
          {_label("a")}
        }} ORDER BY ?date ?aL"""


def activities_of(store: Store, iri: str, lang: str) -> list[Activity]:
    """What a body took part in (consultations, meetings, decisions, events), by date."""
    rows = store.select(ACTIVITIES, bindings=_params(lang, body=iri))
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


BERATUNGSFOLGE = f"""
        SELECT ?c ?pos ?b ?bL ?date ?rL ?sL ?auth ?held WHERE {{
          ?c cgi:drucksache ?paper ; schema:position ?pos ;
             cgi:gremium ?b ; dcterms:date ?date ; cgi:beratungsrolle ?r ;
             cgi:entscheidend ?auth .
          #BINDINGS ?paper ?lang
          OPTIONAL {{ ?c cgi:beratungsstatus ?s . {_german("s")} }}
          {_label("s", "?c cgi:beratungsstatus ?s .")}
          OPTIONAL {{ ?c cgi:sitzungsstatus/skos:notation ?held }}
          {_label("b")}
          {_label("r")}
        }} ORDER BY ?pos"""


def beratungsfolge(store: Store, paper: str, lang: str, vocab: str) -> list[Step]:
    """A paper's consultations in order: the timeline of the paper page."""
    rows = store.select(_vocabulary(vocab) + BERATUNGSFOLGE, bindings=_params(lang, paper=paper))
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


PARTS = f"""
        SELECT ?p ?pL ?pos ?n ?q ?qL WHERE {{
          ?whole dcterms:hasPart ?p .
          #BINDINGS ?whole ?lang
          OPTIONAL {{ ?p schema:position ?pos }}
          OPTIONAL {{ ?p cgi:anzahlEinzelmassnahmen ?n }}
          OPTIONAL {{ ?p dcterms:hasPart ?q . {_german("q")} }}
          {_label("q", "?p dcterms:hasPart ?q .")}
          {_label("p")}
        }} ORDER BY ?pos ?pL ?qL"""


def parts_of(store: Store, iri: str, lang: str, vocab: str) -> list[Part]:
    """The parts of a programme (dcterms:hasPart), in source order, with their own parts."""
    rows = store.select(_vocabulary(vocab) + PARTS, bindings=_params(lang, whole=iri))
    parts: dict[str, Part] = {}
    for r in rows:
        part = parts.setdefault(
            r["p"].value, Part(r["p"].value, r["pL"].value, r["n"].value if "n" in r else None)
        )
        if "q" in r:
            part.parts.append(Part(r["q"].value, r["qL"].value))
    return list(parts.values())


CITING = f"""
        SELECT ?s ?sL ?cL WHERE {{
          ?s dcterms:source ?source ; a ?c . FILTER(STRSTARTS(STR(?c), STR(cgi:)))
          #BINDINGS ?source ?lang
          ?c rdfs:label ?cL . FILTER(lang(?cL) = ?lang)
          {_label("s")}
        }} ORDER BY ?cL ?sL"""


def citing(store: Store, source: str, lang: str, vocab: str) -> list[dict[str, str]]:
    """Resources that name ``source`` as their source, with the label of their class."""
    return _plain(store.select(_vocabulary(vocab) + CITING, bindings=_params(lang, source=source)))


@dataclass
class OrgNode:
    """An organisation in the tree; ``kind`` the key of its org:classification (the
    value set organisationsart: ``ausschuss``, ``verwaltungseinheit``, ``parlament`` …),
    None where the data gives none."""

    iri: str
    label: str
    kind: str | None = None
    children: list[OrgNode] = field(default_factory=list)


ORGANISATIONS = f"""{PREFIXES}
        SELECT ?o ?oL ?parent ?kind WHERE {{
          ?o a org:Organization .
          #BINDINGS ?lang
          OPTIONAL {{ ?o org:subOrganizationOf|org:unitOf|org:linkedTo ?parent .
                      ?parent a org:Organization }}
          OPTIONAL {{ ?o org:classification ?kind }}
          {_label("o")}
        }} ORDER BY ?oL"""


def organisation_tree(store: Store, lang: str) -> list[OrgNode]:
    """Organisations nested by org:subOrganizationOf, org:unitOf and org:linkedTo, each
    with its kind (the last path segment of its org:classification)."""
    rows = store.select(ORGANISATIONS, bindings=_params(lang))
    nodes: dict[str, OrgNode] = {}
    parents: dict[str, str] = {}
    for r in rows:
        iri = r["o"].value
        kind = r["kind"].value.rstrip("/").rsplit("/", 1)[-1] if "kind" in r else None
        node = nodes.setdefault(iri, OrgNode(iri, r["oL"].value, kind))
        if node.kind is None:
            node.kind = kind
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


def _tagged(var: str, via: str = "") -> str:
    """:func:`_label`, and ``?{var}G`` the label's language tag ("" for an IRI)."""
    return f"{_label(var, via)} BIND(LANG(?{var}L) AS ?{var}G)"


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


#: ``?i``, one institution, is bound where the register of one institution is asked for.
JOININGS = f"""
        SELECT ?b ?bL ?bG ?i ?iL ?iG ?k ?kL ?kG ?kn ?g ?gL ?gG ?date ?s ?sL ?sG ?sn
               ?p ?pL ?pG ?pn ?pu ?pt ?q ?qL ?qG ?stand ?ok ?d ?dL ?dG ?note ?sp WHERE {{
          ?b a cgi:Beitritt ; cgi:institution ?i ; cgi:beitrittsstatus ?s .
          ?s skos:notation ?sn .
          #BINDINGS
          OPTIONAL {{ ?i cgi:organisationsart ?k . ?k skos:notation ?kn . {_german("k")} }}
          {_tagged("k", "?i cgi:organisationsart ?k . ?k skos:notation ?kn .")}
          OPTIONAL {{ ?b cgi:gremium ?g . {_german("g")} }} {_tagged("g", "?b cgi:gremium ?g .")}
          OPTIONAL {{ ?b dcterms:date ?date }}
          OPTIONAL {{ ?b cgi:vorlage ?p . {_german("p")}
                      OPTIONAL {{ ?p dcterms:identifier ?pn }}
                      OPTIONAL {{ ?p <http://xmlns.com/foaf/0.1/page> ?pu }}
                      OPTIONAL {{ ?p dcterms:title ?pt }} }}
          {_tagged("p", "?b cgi:vorlage ?p .")}
          OPTIONAL {{ ?b dcterms:source ?q . {_german("q")} }}
          {_tagged("q", "?b dcterms:source ?q .")}
          OPTIONAL {{ ?b cgi:stand ?stand }}
          OPTIONAL {{ ?b cgi:bestaetigt ?ok }}
          OPTIONAL {{ ?b skos:note ?note }}
          OPTIONAL {{ ?s schema:position ?sp }}
          OPTIONAL {{ ?i cgi:kreisangehoerigIn ?d . {_german("d")} }}
          {_tagged("d", "?i cgi:kreisangehoerigIn ?d .")}
          {_tagged("b")} {_tagged("i")} {_tagged("s")}
        }} ORDER BY ?iL ?date ?b ?q"""


def _joinings_of(rows: list[dict[str, Term]], lang: str) -> dict[str, Joining]:
    """:data:`JOININGS`' rows as joinings by IRI, each with its sources gathered."""
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
    return found


def joinings(store: Store, vocab: str, lang: str, institution: str | None = None) -> list[Joining]:
    """Every joining of the register (or of one institution), by institution and date.

    One row per joining and source; the sources are gathered here rather than
    with GROUP_CONCAT, so every store answers alike.
    """
    rows = store.select(_vocabulary(vocab) + JOININGS, bindings=_params(lang, i=institution))
    return list(_joinings_of(rows, lang).values())


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


JOINING_STEPS = f"""
        PREFIX eli: <http://data.europa.eu/eli/eli-draft-legislation-ontology#>
        SELECT DISTINCT ?c ?b ?date ?g ?gL ?gG ?r ?rL ?rG ?rn ?o ?oL ?oG ?held WHERE {{
          ?b a cgi:Beitritt .
          {{ ?c cgi:beitritt ?b }}
          UNION {{ ?b cgi:vorlage ?p . ?c a <https://schema.oparl.org/1.1/Consultation> ;
                   cgi:drucksache ?p }}
          OPTIONAL {{ ?c cgi:sitzungsstatus/skos:notation ?held }}
          ?c dcterms:date ?date .
          #BINDINGS ?lang
          OPTIONAL {{ ?c cgi:gremium ?g . {_german("g")} }} {_tagged("g", "?c cgi:gremium ?g .")}
          OPTIONAL {{ ?c dcterms:type ?r . ?r skos:notation ?rn . {_german("r")} }}
          {_tagged("r", "?c dcterms:type ?r . ?r skos:notation ?rn .")}
          OPTIONAL {{ ?c eli:decision_outcome ?o . {_german("o")} }}
          {_tagged("o", "?c eli:decision_outcome ?o .")}
        }} ORDER BY ?date ?c"""


def _steps_of(rows: list[dict[str, Term]], lang: str) -> list[JoiningStep]:
    """JOINING_STEPS' rows (or JOINING_STEPS_OF's) as steps, each consultation once."""
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


def joining_steps(store: Store, vocab: str, lang: str) -> list[JoiningStep]:
    """Every dated consultation of a joining, by date: linked to the joining (the register's
    tables) or to the joining's resolution paper (the seed's Beratungsfolge)."""
    rows = store.select(_vocabulary(vocab) + JOINING_STEPS, bindings=_params(lang))
    return _steps_of(rows, lang)


@dataclass
class Concept:
    """A concept of a value set, in the set's order: notation, IRI, label."""

    key: str
    iri: str
    label: str


VALUE_SET = f"""{PREFIXES}
        SELECT ?c ?cL ?n ?pos WHERE {{
          ?c skos:inScheme ?scheme ; skos:notation ?n .
          #BINDINGS ?scheme ?lang
          OPTIONAL {{ ?c schema:position ?pos }}
          {_label("c")}
        }} ORDER BY ?pos ?n"""


def value_set(store: Store, scheme: str, lang: str) -> list[Concept]:
    """The concepts of a value set (``id/werteliste/…``) in their order (schema:position)."""
    rows = store.select(VALUE_SET, bindings=_params(lang, scheme=scheme))
    return [Concept(r["n"].value, r["c"].value, r["cL"].value) for r in rows]


@dataclass
class Measure:
    iri: str
    label: str
    #: The title's language where it is not the page's (titles are German).
    lang: str | None
    status: str | None
    lead: Link | None


def _measures(by: str) -> str:
    """The measures query, picking measures by ``by`` (a pattern on ``?m`` and ``?of``)."""
    return f"""
        SELECT ?m ?mL ?mG ?sL ?t ?tL ?tG WHERE {{
          ?m a cgi:Massnahme ; {by} ?of .
          #BINDINGS ?of ?lang
          OPTIONAL {{ ?m cgi:massnahmenstatus ?s . {_german("s")} }}
          {_label("s", "?m cgi:massnahmenstatus ?s .")}
          OPTIONAL {{ ?m cgi:traeger ?t . {_german("t")} }} {_tagged("t", "?m cgi:traeger ?t .")}
          {_tagged("m")}
        }} ORDER BY ?mL ?m"""


MEASURES_BY_LEAD = _measures("cgi:traeger")
MEASURES_BY_GOAL = _measures("cgi:oberziel")


def measures(
    store: Store, vocab: str, lang: str, *, lead: str | None = None, goal: str | None = None
) -> list[Measure]:
    """Measures (cgi:Massnahme) of one lead organisation or towards one Oberziel, by title."""
    query = MEASURES_BY_LEAD if lead else MEASURES_BY_GOAL
    rows = store.select(_vocabulary(vocab) + query, bindings=_params(lang, of=lead or goal))
    out: dict[str, Measure] = {}
    for r in rows:
        v = {k: t.value for k, t in r.items()}
        title = _link(v, "m", lang)
        assert title is not None
        out.setdefault(
            v["m"], Measure(v["m"], title.label, title.lang, v.get("sL"), _link(v, "t", lang))
        )
    return list(out.values())


# The designed pages (server/profile/page_kinds.py): one resource's facts, each query
# bound to that resource (``?r``) and the page's language.


def _linked(var: str, pattern: str, more: str = "") -> str:
    """A linked resource ``?{var}`` found by ``pattern`` (on ``?r``), with its label (in
    ``?lang``, else German, else the IRI) and the label's language; ``more``: optional
    patterns on it (its notation, its number) inside the same OPTIONAL."""
    return f"OPTIONAL {{ {pattern} {_german(var)} {more} }} {_tagged(var, pattern)}"


def joining(store: Store, vocab: str, lang: str, iri: str) -> Joining | None:
    """One joining (cgi:Beitritt) as its row of the register, None where there is none."""
    rows = store.select(_vocabulary(vocab) + JOININGS, bindings=_params(lang, b=iri))
    return _joinings_of(rows, lang).get(iri)


#: The steps of one joining: :data:`JOINING_STEPS` with ``?b`` bound where it is first named.
JOINING_STEPS_OF = JOINING_STEPS.replace(
    "?b a cgi:Beitritt .", "?b a cgi:Beitritt .\n          #BINDINGS ?b", 1
)


def joining_steps_of(store: Store, vocab: str, lang: str, iri: str) -> list[JoiningStep]:
    """The dated consultations of one joining, by date (see :func:`joining_steps`)."""
    rows = store.select(_vocabulary(vocab) + JOINING_STEPS_OF, bindings=_params(lang, b=iri))
    return _steps_of(rows, lang)


@dataclass
class Consultation:
    """One consultation of a paper (cgi:Beratung, oparl:Consultation) as its page shows it."""

    iri: str
    date: str | None
    paper: Link | None
    paper_number: str | None
    body: Link | None
    meeting: Link | None
    role: Link | None
    outcome: Link | None
    #: The meeting's state (cgi:sitzungsstatus) and its notation.
    status: Link | None
    status_key: str | None
    #: Public or not (cgi:beratungsstatus).
    access: Link | None
    joining: Link | None
    #: Whether this body decides (cgi:entscheidend); None where the source does not say.
    authoritative: bool | None

    @property
    def planned(self) -> bool:
        """Scheduled, not recorded as held: a plan, no record of what happened."""
        return self.status_key == "geplant"


CONSULTATION = f"""
        PREFIX eli: <http://data.europa.eu/eli/eli-draft-legislation-ontology#>
        SELECT ?date ?p ?pL ?pG ?pn ?g ?gL ?gG ?m ?mL ?mG ?ro ?roL ?roG ?o ?oL ?oG
               ?s ?sL ?sG ?sn ?a ?aL ?aG ?j ?jL ?jG ?auth WHERE {{
          #BINDINGS ?r ?lang
          OPTIONAL {{ ?r dcterms:date ?date }}
          OPTIONAL {{ ?r cgi:entscheidend ?auth }}
          {
    _linked(
        "p",
        "?r cgi:drucksache|prov:used|cgi:beitritt/cgi:vorlage ?p .",
        "OPTIONAL { ?p dcterms:identifier ?pn }",
    )
}
          {_linked("g", "?r cgi:gremium ?g .")}
          {_linked("m", "?r cgi:sitzung ?m .")}
          {_linked("ro", "?r cgi:beratungsrolle|dcterms:type ?ro .")}
          {_linked("o", "?r eli:decision_outcome ?o .")}
          {_linked("s", "?r cgi:sitzungsstatus ?s .", "OPTIONAL { ?s skos:notation ?sn }")}
          {_linked("a", "?r cgi:beratungsstatus ?a .")}
          {_linked("j", "?r cgi:beitritt ?j .")}
        }} ORDER BY ?p ?ro"""


def consultation(store: Store, vocab: str, lang: str, iri: str) -> Consultation:
    """The facts of one consultation: paper, body, meeting, date, role, result, state."""
    rows = store.select(_vocabulary(vocab) + CONSULTATION, bindings=_params(lang, r=iri))
    v = {k: t.value for k, t in rows[0].items()} if rows else {}
    auth = v.get("auth")
    return Consultation(
        iri=iri,
        date=v.get("date"),
        paper=_link(v, "p", lang),
        paper_number=v.get("pn"),
        body=_link(v, "g", lang),
        meeting=_link(v, "m", lang),
        role=_link(v, "ro", lang),
        outcome=_link(v, "o", lang),
        status=_link(v, "s", lang),
        status_key=v.get("sn"),
        access=_link(v, "a", lang),
        joining=_link(v, "j", lang),
        authoritative=None if auth is None else auth in ("true", "1"),
    )


@dataclass
class MeasureFacts:
    """One measure (cgi:Massnahme) as its page shows it."""

    iri: str
    lead: Link | None
    programme: Link | None
    status: Link | None
    status_key: str | None
    #: The date the state holds for (cgi:stand).
    checked: str | None
    #: How it is funded, in the source's words (cgi:foerderweg), and that text's language.
    funding: str | None
    funding_lang: str | None
    start: str | None
    end: str | None
    place: str | None
    goals: list[Link] = field(default_factory=list)


MEASURE = f"""
        SELECT ?t ?tL ?tG ?p ?pL ?pG ?s ?sL ?sG ?sn ?stand ?fw ?start ?end ?loc
               ?g ?gL ?gG WHERE {{
          #BINDINGS ?r ?lang
          OPTIONAL {{ ?r cgi:stand ?stand }}
          OPTIONAL {{ ?r cgi:foerderweg ?fw }}
          OPTIONAL {{ ?r schema:startDate ?start }}
          OPTIONAL {{ ?r schema:endDate ?end }}
          OPTIONAL {{ ?r schema:location ?loc }}
          {_linked("t", "?r cgi:traeger ?t .")}
          {_linked("p", "?r cgi:programm ?p .")}
          {_linked("s", "?r cgi:massnahmenstatus ?s .", "OPTIONAL { ?s skos:notation ?sn }")}
          {_linked("g", "?r cgi:oberziel ?g .")}
        }} ORDER BY ?gL"""


def measure(store: Store, vocab: str, lang: str, iri: str) -> MeasureFacts:
    """The facts of one measure: goals, state, lead, programme, funding, time and place."""
    rows = store.select(_vocabulary(vocab) + MEASURE, bindings=_params(lang, r=iri))
    first = {k: t.value for k, t in rows[0].items()} if rows else {}
    # The funding text in the page's language where the data gives one, else any.
    texts = [t for r in rows if isinstance(t := r.get("fw"), ox.Literal)]
    fw = next((t for t in texts if t.language == lang), texts[0] if texts else None)
    out = MeasureFacts(
        iri=iri,
        lead=_link(first, "t", lang),
        programme=_link(first, "p", lang),
        status=_link(first, "s", lang),
        status_key=first.get("sn"),
        checked=first.get("stand"),
        funding=fw.value if fw is not None else None,
        funding_lang=fw.language if fw is not None and fw.language != lang else None,
        start=first.get("start"),
        end=first.get("end"),
        place=first.get("loc"),
    )
    for r in rows:
        goal = _link({k: t.value for k, t in r.items()}, "g", lang)
        if goal is not None and all(g.iri != goal.iri for g in out.goals):
            out.goals.append(goal)
    return out


@dataclass
class DefinedConcept:
    """A concept of a value set with its definition (in the page's language, else German)."""

    iri: str
    label: str
    lang: str | None
    key: str | None
    definition: str | None
    definition_lang: str | None


CONCEPTS = f"""{PREFIXES}
        SELECT ?c ?cL ?cG ?n ?pos ?d ?dG WHERE {{
          ?c skos:inScheme ?r .
          #BINDINGS ?r ?lang
          OPTIONAL {{ ?c skos:notation ?n }}
          OPTIONAL {{ ?c schema:position ?pos }}
          OPTIONAL {{ ?c skos:definition ?d1 FILTER(lang(?d1) = ?lang) }}
          OPTIONAL {{ ?c skos:definition ?d2 FILTER(lang(?d2) = "de") }}
          BIND(COALESCE(?d1, ?d2) AS ?d) BIND(LANG(?d) AS ?dG)
          {_tagged("c")}
        }} ORDER BY ?pos ?n ?cL"""


def concepts(store: Store, scheme: str, lang: str) -> list[DefinedConcept]:
    """The concepts of a value set in their order, each with its definition."""
    rows = store.select(CONCEPTS, bindings=_params(lang, r=scheme))
    out: dict[str, DefinedConcept] = {}
    for r in rows:
        v = {k: t.value for k, t in r.items()}
        label = _link(v, "c", lang)
        assert label is not None
        d_lang = v.get("dG") or None
        out.setdefault(
            v["c"],
            DefinedConcept(
                v["c"],
                label.label,
                label.lang,
                v.get("n"),
                v.get("d"),
                d_lang if d_lang != lang else None,
            ),
        )
    return list(out.values())
