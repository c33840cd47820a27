"""The register of the Charta: every member's joining (cgi:Beitritt) as one table, and its exports.

``/register`` is a page (German/English) that filters and sorts by plain links
and a GET form (``?status=beschlossen&art=kreis&sort=datum``), so it works
without JavaScript; ``/register.csv`` and ``/register.json`` give the same rows
(the same parameters apply). Every row has its state and, where no decision date
exists, the date the state was last checked (``stand``). Counts per state count
confirmed rows only: a candidate proposed by ``charta import oparl``
(``bestaetigt`` ``nein``) is listed as such and counted nowhere. Above the table, a
picture of the region (:func:`region`, drawn as SVG by us, also on the landing
page) shows every member's state; below it, a timeline puts the joinings and their
consultations in date order, a scheduled consultation as planned, never as a
decision. The rows come from SPARQL over the store
(:func:`server.profile.queries.joinings`), computed once per data version and language;
every answer carries the data version's ETag (:func:`finish_data`).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request
from flask.blueprints import BlueprintSetupState

from server.profile import queries
from server.profile.queries import Concept, Joining, JoiningStep
from server.web.negotiation import choose_lang, finish_data
from server.web.state import answer_cache, data_version, per_version, store, urls

bp = Blueprint("register", __name__)

#: ``?sort=`` keys and what they sort by; dates and names missing sort last.
SORTS: dict[str, Callable[[Joining], tuple[bool | int | str, ...]]] = {
    "institution": lambda j: (j.institution.label.casefold(), j.date or "9999"),
    "art": lambda j: (
        j.kind is None,
        (j.kind.label if j.kind else "").casefold(),
        j.institution.label.casefold(),
    ),
    "gremium": lambda j: (
        j.body is None,
        (j.body.label if j.body else "").casefold(),
        j.institution.label.casefold(),
    ),
    "datum": lambda j: (j.date is None, j.date or "", j.institution.label.casefold()),
    "status": lambda j: (j.status_position, j.status_key, j.institution.label.casefold()),
}
DEFAULT_SORT = "institution"
#: The export's columns, in this order (CSV header; JSON keys).
COLUMNS = (
    "beitritt",
    "institution",
    "institution_name",
    "art",
    "gremium",
    "gremium_name",
    "datum",
    "status",
    "vorlage",
    "vorlage_kennung",
    "vorlage_url",
    "quelle",
    "stand",
    "bestaetigt",
    "vorlage_titel",
    "kreis",
    "kreis_name",
    "anmerkung",
)
#: The groups of the region picture, in this order: the kreisfreie Städte, then each Kreis
#: with its kreisangehörige Kommunen (by the Kreis's name).
CITIES = "kreisfreie-stadt"


@dataclass
class Register:
    """All joinings of one data version in one language, and the value sets they use."""

    rows: list[Joining]
    states: list[Concept]
    kinds: list[Concept]
    #: The dated consultations of every joining, by date.
    steps: list[JoiningStep]


def _register(lang: str) -> Register:
    """The register of this data version in ``lang``, computed once in its snapshot."""
    st = store()
    return per_version(
        ("register", lang),
        lambda: Register(
            queries.joinings(st, urls().vocabulary, lang),
            queries.value_set(st, urls().iri("id/werteliste/beitrittsstatus"), lang),
            queries.value_set(st, urls().iri("id/werteliste/organisationsart"), lang),
            queries.joining_steps(st, urls().vocabulary, lang),
        ),
    )


@dataclass(frozen=True)
class Choice:
    status: str | None
    kind: str | None
    sort: str


def _choice(reg: Register) -> Choice:
    """The filter and sort asked for; an unknown value is a 400 naming the known ones."""
    status = request.args.get("status") or None
    kind = request.args.get("art") or None
    sort = request.args.get("sort") or DEFAULT_SORT
    known_states = [c.key for c in reg.states]
    known_kinds = [c.key for c in reg.kinds]
    if status is not None and status not in known_states:
        abort(400, f"Unknown status {status!r}. Known: {', '.join(known_states)}")
    if kind is not None and kind not in known_kinds:
        abort(400, f"Unknown art {kind!r}. Known: {', '.join(known_kinds)}")
    if sort not in SORTS:
        abort(400, f"Unknown sort {sort!r}. Known: {', '.join(SORTS)}")
    return Choice(status, kind, sort)


def _selected(reg: Register, choice: Choice) -> list[Joining]:
    rows = [
        j
        for j in reg.rows
        if (choice.status is None or j.status_key == choice.status)
        and (choice.kind is None or j.kind_key == choice.kind)
    ]
    return sorted(rows, key=SORTS[choice.sort])


@dataclass(frozen=True)
class Event:
    """An entry of the timeline: a consultation of a joining, or a dated joining itself."""

    date: str
    joining: Joining
    step: JoiningStep | None

    @property
    def planned(self) -> bool:
        """A scheduled consultation (a paper's Beratungsfolge): no source says it took place."""
        return self.step is not None and self.step.planned

    @property
    def decides(self) -> bool:
        """The deciding consultation held, or the joining's own date (the date of its decision)."""
        if self.planned:
            return False
        return self.step is None or self.step.role_key == "entscheidung"


def _timeline(reg: Register, rows: list[Joining]) -> tuple[list[Event], list[Joining]]:
    """The shown joinings' consultations and dates in date order, and the joinings without any.

    A joining's own date is an entry unless one of its consultations already is that
    decision (the same date and body), so no decision is listed twice.
    """
    shown = {j.iri: j for j in rows}
    events = [Event(s.date, shown[s.joining], s) for s in reg.steps if s.joining in shown]
    for j in rows:
        if j.date and not any(
            e.joining is j
            and e.date == j.date
            and e.step is not None
            and (e.step.body.iri if e.step.body else None) == (j.body.iri if j.body else None)
            for e in events
        ):
            events.append(Event(j.date, j, None))
    events.sort(
        key=lambda e: (e.date, e.joining.institution.label.casefold(), e.step.iri if e.step else "")
    )
    dated = {e.joining.iri for e in events}
    # a member with no evidence has no date by definition; the table says so with its stand
    return events, [j for j in rows if j.iri not in dated and j.status_key != "kein-nachweis"]


@dataclass(frozen=True)
class Group:
    """A group of the region picture: the kreisfreie Städte, or a Kreis and its Kommunen."""

    label: str
    #: The Kreis itself (None for the group of kreisfreie Städte).
    head: Joining | None
    members: list[Joining]


def region(reg: Register) -> list[Group]:
    """The confirmed rows grouped as the region is: kreisfreie Städte, then each Kreis.

    A Kreis comes first in its group, its Kommunen follow by name; a member that is
    neither (an institution the register may hold besides the members) is left out.
    """
    rows = [j for j in reg.rows if j.confirmed]
    name = {c.key: c.label for c in reg.kinds}
    cities = sorted(
        (j for j in rows if j.kind_key == CITIES), key=lambda j: j.institution.label.casefold()
    )
    groups = [Group(name.get(CITIES, CITIES), None, cities)] if cities else []
    kreise = sorted(
        (j for j in rows if j.kind_key == "kreis"), key=lambda j: j.institution.label.casefold()
    )
    for k in kreise:
        members = sorted(
            (j for j in rows if j.district and j.district.iri == k.institution.iri),
            key=lambda j: j.institution.label.casefold(),
        )
        groups.append(Group(k.institution.label, k, [k, *members]))
    return groups


def counts(reg: Register) -> tuple[list[tuple[Concept, dict[str, int], int]], list[Concept]]:
    """Confirmed rows per state and kind of institution, only states that occur.

    Returns (state, {kind notation: count}, total) per state in the value set's order,
    and the kinds that occur (the table's columns). Candidates are not counted.
    """
    rows = [j for j in reg.rows if j.confirmed]
    by: Counter[tuple[str, str]] = Counter((j.status_key, j.kind_key or "") for j in rows)
    total = Counter(j.status_key for j in rows)
    kinds = [c for c in reg.kinds if any(j.kind_key == c.key for j in rows)]
    table = [
        (c, {k.key: by[(c.key, k.key)] for k in kinds}, total[c.key])
        for c in reg.states
        if total[c.key]
    ]
    return table, kinds


def source_text(iri: str) -> str:
    """A source address as host and path (no scheme, no query): what a reader recognises."""
    rest = iri.split("://", 1)[-1]
    rest = rest.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    return rest.removeprefix("www.")


def _query(choice: Choice, **change: str | None) -> str:
    """``?status=…&art=…&sort=…`` for a link, with ``change`` applied; defaults left out."""
    values = {"status": choice.status, "art": choice.kind, "sort": choice.sort, **change}
    if values["sort"] == DEFAULT_SORT:
        values["sort"] = None
    text = urlencode({k: v for k, v in values.items() if v})
    return "?" + text if text else ""


@bp.route("/register")
def register_page() -> Response:
    lang = choose_lang()
    reg = _register(lang)
    choice = _choice(reg)
    key = ("register-page", data_version()[0], lang, choice)
    cached = answer_cache().get(key)
    if cached is None:
        rows = _selected(reg, choice)
        confirmed = [j for j in reg.rows if j.confirmed]
        state_counts = Counter(j.status_key for j in confirmed)
        kind_counts = Counter(j.kind_key for j in confirmed if j.kind_key)
        events, undated = _timeline(reg, rows)
        table, table_kinds = counts(reg)
        body = render_template(
            "register.html",
            lang=lang,
            rows=rows,
            total=len(confirmed),
            candidates=len(reg.rows) - len(confirmed),
            states=[(c, state_counts[c.key]) for c in reg.states],
            kinds=[(c, kind_counts[c.key]) for c in reg.kinds if kind_counts[c.key]],
            count_table=table,
            count_kinds=table_kinds,
            groups=region(reg),
            here=True,
            source_text=source_text,
            choice=choice,
            events=events,
            undated=sorted(undated, key=lambda j: j.institution.label.casefold()),
            sorts=list(SORTS),
            query=lambda **change: _query(choice, **change),
            link=urls().local,
        ).encode("utf-8")
        answer_cache().put(key, (body, None))
    else:
        body = cached[0]
    resp = Response(body, mimetype="text/html")
    suffix = _query(choice).lstrip("?")
    return finish_data(resp, f"register-{lang}-{suffix}")


def _record(j: Joining) -> dict[str, object]:
    """One joining as an export row: IRIs for resources, notations for value-set entries."""
    return {
        "beitritt": j.iri,
        "institution": j.institution.iri,
        "institution_name": j.institution.label,
        "art": j.kind_key,
        "gremium": j.body.iri if j.body else None,
        "gremium_name": j.body.label if j.body else None,
        "datum": j.date,
        "status": j.status_key,
        "vorlage": j.paper.iri if j.paper else None,
        "vorlage_kennung": j.paper_number,
        "vorlage_url": j.paper_url,
        "quelle": [s.iri for s in j.sources],
        "stand": j.checked,
        "bestaetigt": "ja" if j.confirmed else "nein",
        "vorlage_titel": j.paper_title,
        "kreis": j.district.iri if j.district else None,
        "kreis_name": j.district.label if j.district else None,
        "anmerkung": j.note,
    }


@bp.record_once
def _region_for_templates(state: BlueprintSetupState) -> None:
    """``region_groups(lang)`` for templates outside the register (the landing page)."""
    state.app.jinja_env.globals["region_groups"] = lambda lang: region(_register(lang))
    state.app.jinja_env.globals["register_source_text"] = source_text


#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with ``=``, ``+``, ``-``,
    ``@``, tab or CR gets a leading ``'``, as OWASP recommends, so a name like
    ``=HYPERLINK(…)`` from a council system is never run when the export is opened.
    The register tables and the JSON export keep every value verbatim."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@bp.route("/register.<ext>")
def register_export(ext: str) -> Response:
    """The same rows as the page, as CSV (UTF-8, header row) or as a JSON list of objects.

    Names are German (the register's language); ``art`` and ``status`` are the
    notations of the tables' value lists (docs/editing.md).
    """
    if ext not in ("csv", "json"):
        abort(404, f"No export /register.{ext}; there are /register.csv and /register.json.")
    reg = _register("de")
    choice = _choice(reg)
    records = [_record(j) for j in _selected(reg, choice)]
    if ext == "json":
        resp = Response(
            json.dumps(records, ensure_ascii=False, indent=1) + "\n",
            mimetype="application/json",
        )
    else:
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for r in records:
            writer.writerow(
                spreadsheet_safe(" ".join(r[c]) if c == "quelle" else (r[c] or ""))  # type: ignore[arg-type]
                for c in COLUMNS
            )
        resp = Response(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
        resp.headers["Content-Disposition"] = 'inline; filename="register.csv"'
    resp.headers["Access-Control-Allow-Origin"] = "*"
    suffix = _query(choice).lstrip("?")
    return finish_data(resp, f"register-{ext}-{suffix}")
