"""Page kinds designed for their reader (issue 27): a joining, a measure, a consultation
and a value set, each with what a person came for first and the statements folded away.

They stand before the profile's other kinds (server/profile/__init__.py): a
consultation of a council paper (cgi:Beratung) was an "event" before, and the
register's consultations (oparl:Consultation) had no kind. The institution's page
(kind "body") gets its place among the others here too.
"""

from __future__ import annotations

from server.pages.kinds import KindQuery, PageKind
from server.profile import queries
from server.rdf.namespaces import RDF, SKOS

OPARL_CONSULTATION = "https://schema.oparl.org/1.1/Consultation"
SCHEMA = "https://schema.org/"

#: A joining's state as a schema.org action status (none for "no evidence found").
ACTION_STATUS = {
    "vorgeschlagen": "PotentialActionStatus",
    "in-beratung": "ActiveActionStatus",
    "beschlossen": "CompletedActionStatus",
    "unterzeichnet": "CompletedActionStatus",
    "abgelehnt": "FailedActionStatus",
}


def _thing(link: queries.Link | None, schema_type: str = "Thing") -> dict[str, str] | None:
    if link is None:
        return None
    return {"@type": schema_type, "@id": link.iri, "name": link.label}


def _joining(q: KindQuery) -> dict[str, object]:
    """A joining: who, its state, by which body, when, on which paper, its steps."""
    j = queries.joining(q.store, q.vocabulary, q.lang, q.iri)
    steps = queries.joining_steps_of(q.store, q.vocabulary, q.lang, q.iri)
    extra: dict[str, object] = {"joining": j, "steps": steps}
    if j is not None:
        jsonld: dict[str, object] = {"agent": _thing(j.institution, "GovernmentOrganization")}
        if j.status_key in ACTION_STATUS:
            jsonld["actionStatus"] = SCHEMA + ACTION_STATUS[j.status_key]
        if j.date:
            jsonld["endTime"] = j.date
        if j.paper is not None:
            jsonld["instrument"] = _thing(j.paper, "Legislation")
        extra["jsonld"] = jsonld
    return extra


def _measure(q: KindQuery) -> dict[str, object]:
    """A measure, its goals with their keys ("II.1") from the Charta's order."""
    m = queries.measure(q.store, q.vocabulary, q.lang, q.iri)
    keys = {}
    if m.goals:
        themes = queries.themes_and_goals(q.store, q.namespace, q.lang)
        keys = {g.iri: g.key for t in themes for g in t.goals}
    jsonld: dict[str, object] = {}
    if m.lead is not None:
        jsonld["sponsor"] = _thing(m.lead, "GovernmentOrganization")
    if m.place:
        jsonld["location"] = {"@type": "Place", "name": m.place}
    if m.goals:
        jsonld["about"] = [
            {"@type": "DefinedTerm", "@id": g.iri, "name": g.label, "termCode": keys.get(g.iri)}
            for g in m.goals
        ]
    return {"measure": m, "goal_keys": keys, "jsonld": jsonld}


def _consultation(q: KindQuery) -> dict[str, object]:
    """A consultation; a scheduled one says it is a plan, not a record."""
    c = queries.consultation(q.store, q.vocabulary, q.lang, q.iri)
    jsonld: dict[str, object] = {}
    if c.date:
        jsonld["startDate"] = c.date
    if c.body is not None:
        jsonld["organizer"] = _thing(c.body, "GovernmentOrganization")
    if c.paper is not None:
        jsonld["about"] = _thing(c.paper, "Legislation")
    return {"consultation": c, "jsonld": jsonld}


def _value_set(q: KindQuery) -> dict[str, object]:
    """A value set's concepts in order, each with its definition."""
    concepts = queries.concepts(q.store, q.iri, q.lang)
    terms = [
        {
            "@type": "DefinedTerm",
            "@id": c.iri,
            "name": c.label,
            **({"termCode": c.key} if c.key else {}),
            **({"description": c.definition} if c.definition else {}),
        }
        for c in concepts
    ]
    return {"concepts": concepts, "jsonld": {"hasDefinedTerm": terms}}


def _only_a_value_set(objects: dict[str, list[str]]) -> bool:
    """A concept scheme that is nothing else (the Charta is one too, with its own kind)."""
    return set(objects.get(str(RDF.type), [])) == {str(SKOS.ConceptScheme)}


DESIGNED_KINDS = (
    PageKind("joining", "Action", ("Beitritt",), _joining),
    PageKind("measure", "Project", ("Massnahme",), _measure),
    PageKind("consultation", "Event", ("Beratung", OPARL_CONSULTATION), _consultation),
    PageKind("value_set", "DefinedTermSet", context=_value_set, applies=_only_a_value_set),
)
