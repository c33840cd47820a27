"""The Charta's profile: what the engine reads of the Charta Grüne Infrastruktur Metropole Ruhr.

Its page kinds (a Leitthema, an Oberziel, a council paper, a body…), the extra
data each shows, the SPARQL editor's examples, the landing page's themes and
bodies, the register's views and the site's name. The engine finds this record
by ``CHARTA_PROFILE`` (default ``server.profile``) and names no Charta term itself.
"""

from __future__ import annotations

from server.i18n import N_
from server.pages.kinds import KindQuery, PageKind
from server.pages.structured import SiteTexts
from server.profile import labels, queries
from server.profile.examples import EXAMPLES
from server.profile.page_kinds import DESIGNED_KINDS
from server.profile.register_rules import RULES as REGISTER_RULES
from server.profile.register_view import bp as register_bp
from server.rdf.namespaces import ORG
from server.sparql import Store
from server.web.extension import Profile


def _themes(q: KindQuery) -> dict[str, object]:
    """The Charta's themes and goals, and the theme the page belongs to."""
    themes = queries.themes_and_goals(q.store, q.namespace, q.lang)
    theme = next(
        (t for t in themes if t.iri == q.iri or any(g.iri == q.iri for g in t.goals)), None
    )
    return {"themes": themes, "theme": theme}


def _goal(q: KindQuery) -> dict[str, object]:
    """A goal's themes, its measures, and its key ("II.1": its theme's numeral and its
    place) as the page's schema.org termCode, since the goal has no notation of its own."""
    extra = _themes(q)
    extra["measures"] = queries.measures(q.store, q.vocabulary, q.lang, goal=q.iri)
    theme = extra["theme"]
    for goal in getattr(theme, "goals", []):
        if goal.iri == q.iri and goal.key:
            extra["jsonld"] = {"termCode": goal.key}
    return extra


def _body(q: KindQuery) -> dict[str, object]:
    return {
        "activities": queries.activities_of(q.store, q.iri, q.lang),
        "joinings": queries.joinings(q.store, q.vocabulary, q.lang, institution=q.iri),
        "measures": queries.measures(q.store, q.vocabulary, q.lang, lead=q.iri),
    }


def _landing(store: Store, namespace: str, lang: str) -> dict[str, object]:
    return {
        "themes": queries.themes_and_goals(store, namespace, lang),
        "orgs": queries.organisation_tree(store, lang),
    }


KINDS = (
    PageKind("charta", "DefinedTermSet", ("Charta",), _themes),
    PageKind("theme", "DefinedTerm", ("Leitthema",), _themes),
    PageKind("goal", "DefinedTerm", ("Oberziel",), _goal),
    # A council paper: a draft resolution (schema.org: "a bill").
    PageKind(
        "paper",
        "Legislation",
        ("Drucksache",),
        lambda q: {"steps": queries.beratungsfolge(q.store, q.iri, q.lang, q.vocabulary)},
    ),
    # An institution only the register tables describe (Dortmund) is an org:Organization.
    PageKind(
        "body",
        "GovernmentOrganization",
        (
            "Gremium",
            "Gebietskoerperschaft",
            "Verband",
            "Organisationseinheit",
            str(ORG.Organization),
        ),
        _body,
    ),
    PageKind("event", "Event", ("Beschluss", "Sitzung", "Beratung", "Ereignis")),
    PageKind(
        "programme",
        "Project",
        ("Programm", "Programmbestandteil"),
        lambda q: {"parts": queries.parts_of(q.store, q.iri, q.lang, q.vocabulary)},
    ),
    PageKind(
        "document",
        "DigitalDocument",
        ("Quelldokument",),
        lambda q: {"citing": queries.citing(q.store, q.iri, q.lang, q.vocabulary)},
    ),
)

PROFILE = Profile(
    name="charta",
    site=SiteTexts(
        name="Charta Grüne Infrastruktur Metropole Ruhr",
        description=N_(
            "Linked open data on the Green Infrastructure Charter for the Metropole Ruhr"
        ),
        publisher="id/organisation/charta-projekt",
        catalog="id/katalog",
        series="id/datensatz/charta",
        organiser="gremium",
        territory="gebiet",
        title=N_("Knowledge graph Green Infrastructure Charter for the Metropole Ruhr"),
        publisher_name=N_("charta project"),
        register_dataset="id/datensatz/register",
    ),
    kinds=(*DESIGNED_KINDS, *KINDS),
    examples=EXAMPLES,
    landing=_landing,
    blueprints=(register_bp,),
    # The data service's IRI ended in /sparql, which link-traversal clients (Comunica)
    # take for an endpoint and POST to.
    moved={"id/dienst/sparql": "id/dienst/sparql-endpunkt"},
    inverse_labels=labels.INVERSE_LABELS,
    technical=labels.TECHNICAL,
    register_rules=REGISTER_RULES,
)
