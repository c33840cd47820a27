"""Parameters, not pasted text: our queries take their values as bindings (issue 26).

``bind`` writes each value as pyoxigraph writes a term and puts it where the
query's ``#BINDINGS`` lines stand, so a value can never become query syntax;
on every backend a hostile value matches nothing and runs nothing, and a real
resource's answer is the one the old queries (the IRI pasted into the text)
gave.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from flask import Flask

from server.pages import describe as description
from server.pages import releases
from server.profile import queries
from server.sparql import Store, bind
from tests.conftest import NS

VOCAB = NS + "ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"


# -- bind ----------------------------------------------------------------------------


def test_bindings_become_values_where_the_marker_stands() -> None:
    query = "SELECT ?s WHERE {\n  #BINDINGS\n  ?s ?p ?o }"
    text = bind(query, {"p": ox.NamedNode("http://x/p"), "o": ox.Literal("a", language="de")})
    assert (
        text == 'SELECT ?s WHERE {\n  VALUES ?p { <http://x/p> } VALUES ?o { "a"@de }\n  ?s ?p ?o }'
    )


def test_a_marker_may_name_its_variables_and_stand_in_several_places() -> None:
    query = "SELECT * WHERE {\n#BINDINGS ?a\n{ SELECT ?b WHERE {\n#BINDINGS ?a ?b\n} } }"
    text = bind(query, {"a": ox.Literal("1"), "b": ox.NamedNode("http://x/b")})
    assert text.count("VALUES ?a") == 2 and text.count("VALUES ?b") == 1
    assert (
        '\nVALUES ?a { "1" }\n' in text
        and '\nVALUES ?a { "1" } VALUES ?b { <http://x/b> }\n' in text
    )


def test_a_query_without_bindings_is_left_as_it_is() -> None:
    query = "SELECT ?s WHERE { ?s ?p ?o }"
    assert bind(query, None) == query
    assert bind(query, {}) == query


@pytest.mark.parametrize(
    ("query", "bindings", "says"),
    [
        ("ASK { ?s ?p ?o }", {"s": ox.NamedNode("http://x/s")}, "no #BINDINGS"),
        ("ASK {\n#BINDINGS\n?s ?p ?o }", None, "none were given"),
        ("ASK {\n#BINDINGS ?s ?p\n?s ?p ?o }", {"s": ox.NamedNode("http://x/s")}, "?p"),
        ("ASK {\n#BINDINGS\n?s ?p ?o }", {"s": ox.BlankNode()}, "blank node"),
        ("ASK {\n#BINDINGS\n?s ?p ?o }", {"s x": ox.Literal("1")}, "not a variable"),
        ("ASK {\n#BINDINGS\n?s ?p ?o }", {"s": "http://x/s"}, "not an IRI or a literal"),
    ],
)
def test_what_bind_refuses(query: str, bindings: dict, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("?", r"\?")):
        bind(query, bindings)


#: Values that would be query syntax if pasted: each closes what it stands in,
#: adds a SERVICE call (to loopback port PORT) and comments the rest out; one carries
#: a marker of its own, one a codepoint escape of a quote.
HOSTILE_TEXTS = (
    '" } SERVICE <http://127.0.0.1:PORT/q> { ?s ?p ?o } } #',
    "' } SERVICE <http://127.0.0.1:PORT/q> { ?s ?p ?o } } #",
    '"""\n#BINDINGS\n} SERVICE <http://127.0.0.1:PORT/q> { ?s ?p ?o } #',
    "a\\u0022 } SERVICE <http://127.0.0.1:PORT/q> { ?s ?p ?o } #\\",
    "> } SERVICE <http://127.0.0.1:PORT/q> { ?s ?p ?o } <",
)


def hostile(port: int) -> list[str]:
    return [text.replace("PORT", str(port)) for text in HOSTILE_TEXTS]


def test_a_hostile_literal_stays_one_literal_in_the_text() -> None:
    for value in hostile(9):
        rendered = bind("ASK {\n#BINDINGS\n?s ?p ?o }", {"o": ox.Literal(value)})
        # The text parses as one VALUES holding exactly that string.
        store = ox.Store()
        store.add(
            ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal(value))
        )
        assert bool(store.query(rendered)), value
        assert rendered == f"ASK {{\nVALUES ?o {{ {ox.Literal(value)} }}\n?s ?p ?o }}"
        # A marker inside the value is no line of the text: nothing more is put in.
        assert bind(rendered, None) == rendered


def test_iris_that_could_break_out_are_no_iris() -> None:
    """pyoxigraph refuses every character that ends ``<…>`` or a group, so such a value
    never reaches a query; the describe and Memento paths refuse it as a bad request."""
    for text in hostile(9):
        value = "http://x/a" + text
        with pytest.raises(ValueError):
            ox.NamedNode(value)
        with pytest.raises(ValueError):
            description.node(value)
    for bad in ("http://x/a}", "http://x/a?b=}", "http://x/a b", "http://x/a\\b", "http://x/a|"):
        with pytest.raises(ValueError):
            ox.NamedNode(bad)


# -- on every backend ------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback port that records every request made to it (a SERVICE call would be)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.1)
    got: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                got.append(conn.recv(4096))
            except OSError:
                got.append(b"")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield srv.getsockname()[1], got
    stop.set()
    thread.join(2)
    srv.close()


def store_of(app: Flask) -> Store:
    return app.extensions["charta"].store  # type: ignore[no-any-return]


#: Values pyoxigraph accepts as IRIs that hold what SPARQL gives meaning to elsewhere.
ODD_IRIS = (
    "http://x/a#');(*,;=",
    "http://x/a?q=%3E%20%7D%20SERVICE%20%3Chttp://127.0.0.1/%3E#'",
    f"{NS}id/charta#')",
)


def test_hostile_values_match_nothing_and_call_nothing(
    app: Flask, listener: tuple[int, list[bytes]]
) -> None:
    port, got = listener
    store = store_of(app)
    query = "SELECT ?s WHERE {\n#BINDINGS\n  ?s ?p ?v }"
    for text in hostile(port):
        value = ox.Literal(text)
        assert store.select(query, bindings={"v": value}) == []
        assert not store.ask("ASK {\n#BINDINGS\n ?s ?p ?v }", bindings={"v": value})
    for iri in ODD_IRIS:
        node = ox.NamedNode(iri)
        assert store.select(query, bindings={"v": node}) == []
        assert description.describe(store, node.value) == []
        assert queries.activities_of(store, node.value, "de") == []
        assert queries.joinings(store, VOCAB, "de", institution=node.value) == []
    time.sleep(0.2)
    assert got == []
    # The listener does hear a SERVICE call that is one (from a query that names it).
    try:
        store.select(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/q> {{ ?s ?p ?o }} }}")
    except Exception:
        pass  # it answers nothing; some stores then fail the query
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        time.sleep(0.05)
    assert got, "the listener heard nothing: it proves nothing above"


# The old queries, with the IRI pasted in, as the pages ran them before issue 26.
def old_description(iri: str) -> str:
    r = f"<{iri}>"
    linked, labels = description.LINKED_LIST, description.LABEL_LIST
    incoming = f"{{ SELECT ?in ?ip WHERE {{ ?in ?ip {r} FILTER(isIRI(?in)) }} LIMIT 500 }}"
    return f"""CONSTRUCT {{
  {r} ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 .
  ?x ?lp ?l .
  ?in ?ip {r} . ?in ?inp ?inl . ?ip ?ipp ?ipl .
}} WHERE {{
  {{ {r} ?p ?o
     OPTIONAL {{ FILTER(isBlank(?o)) ?o ?p2 ?o2
       OPTIONAL {{ FILTER(isBlank(?o2)) ?o2 ?p3 ?o3 }} }} }}
  UNION {{ {{ {r} ?q ?x }} UNION {{ {r} ?x ?v }}
           FILTER(isIRI(?x)) ?x ?lp ?l FILTER(?lp IN ({linked})) }}
  UNION {{ {incoming}
           OPTIONAL {{ ?in ?inp ?inl FILTER(?inp IN ({linked})) }} }}
  UNION {{ {{ SELECT DISTINCT ?ip WHERE {{ {incoming} }} }}
           ?ip ?ipp ?ipl FILTER(?ipp IN ({labels})) }}
}}"""


def old_activities(iri: str, lang: str) -> str:
    def label(var: str) -> str:
        return f"""OPTIONAL {{ ?{var} <{SKOS}prefLabel> ?{var}L1 FILTER(lang(?{var}L1) = "{lang}") }}
          OPTIONAL {{ ?{var} <{SKOS}prefLabel> ?{var}L2 FILTER(lang(?{var}L2) = "de") }}
          BIND(COALESCE(?{var}L1, ?{var}L2, STR(?{var})) AS ?{var}L)"""

    return f"""SELECT DISTINCT ?a ?aL ?date ?kL WHERE {{
          ?a <http://www.w3.org/ns/prov#wasAssociatedWith> <{iri}> .
          OPTIONAL {{ ?a <http://purl.org/dc/terms/date> ?date }}
          OPTIONAL {{ ?a <http://purl.org/dc/terms/type> ?k . {label("k")} }}
          {label("a")}
        }} ORDER BY ?date ?aL"""


def old_value_set(scheme: str, lang: str) -> str:
    return f"""SELECT ?c ?cL ?n ?pos WHERE {{
          ?c <{SKOS}inScheme> <{scheme}> ; <{SKOS}notation> ?n .
          OPTIONAL {{ ?c <http://schema.org/position> ?pos }}
          OPTIONAL {{ ?c <{SKOS}prefLabel> ?cL1 FILTER(lang(?cL1) = "{lang}") }}
          OPTIONAL {{ ?c <{SKOS}prefLabel> ?cL2 FILTER(lang(?cL2) = "de") }}
          BIND(COALESCE(?cL1, ?cL2, STR(?c)) AS ?cL)
        }} ORDER BY ?pos ?n"""


def iris(store: Store, query: str) -> list[str]:
    return sorted({r["x"].value for r in store.select(query) if "x" in r})


def test_bound_queries_answer_as_the_pasted_ones_did(app: Flask) -> None:
    store = store_of(app)
    resources = iris(
        store,
        f"""SELECT DISTINCT ?x WHERE {{ ?x ?p ?o FILTER(STRSTARTS(STR(?x), "{NS}id/")) }}""",
    )
    assert len(resources) > 80
    # Every 7th resource, and those with the most incoming links (value-set members).
    picked = resources[::7] + iris(
        store, f"SELECT ?x WHERE {{ ?x <{SKOS}inScheme> ?s }} ORDER BY ?x LIMIT 10"
    )
    for iri in picked:
        bound = store.construct(
            description.description_template(), bindings={"r": ox.NamedNode(iri)}
        )
        assert bound, iri
        assert set(bound) == set(store.construct(old_description(iri))), iri
        if store.ask("ASK {\n#BINDINGS\n ?r ?p ?o }", bindings={"r": ox.NamedNode(iri)}):
            assert store.ask(f"ASK {{ <{iri}> ?p ?o }}")
    bodies = iris(
        store, "SELECT DISTINCT ?x WHERE { ?a <http://www.w3.org/ns/prov#wasAssociatedWith> ?x }"
    )
    assert bodies
    for iri in bodies:
        for lang in ("de", "en"):
            found = queries.activities_of(store, iri, lang)
            got = [(a.iri, a.label, a.date, a.kind) for a in found]
            rows = store.select(old_activities(iri, lang))
            want = [
                tuple(r[k].value if k in r else None for k in ("a", "aL", "date", "kL"))
                for r in rows
            ]
            assert sorted(got) == sorted(want), (iri, lang)
    schemes = iris(store, f"SELECT DISTINCT ?x WHERE {{ ?c <{SKOS}inScheme> ?x }}")
    assert schemes
    for scheme in schemes:
        for lang in ("de", "en"):
            got_set = [(c.key, c.iri, c.label) for c in queries.value_set(store, scheme, lang)]
            rows = store.select(old_value_set(scheme, lang))
            assert got_set == [(r["n"].value, r["c"].value, r["cL"].value) for r in rows]


def test_the_language_reaches_labels_of_optional_resources(app: Flask) -> None:
    """``?lang`` is bound in the outermost group; a label of a resource an OPTIONAL binds
    (a joining's kind, its body) is looked for there, so it is English on English pages."""
    store = store_of(app)
    german = queries.joinings(store, VOCAB, "de")
    english = queries.joinings(store, VOCAB, "en")
    assert [j.iri for j in german] == sorted(
        [j.iri for j in english], key=[j.iri for j in german].index
    )
    kinds = {j.iri: j.kind for j in german if j.kind}
    translated = [j for j in english if j.kind and j.kind.label != kinds[j.iri].label]
    assert translated and all(j.kind.lang is None for j in translated if j.kind)
    one = german[0].institution.iri
    themes = {lang: queries.themes_and_goals(store, NS, lang) for lang in ("de", "en")}
    assert [len(t.goals) for t in themes["de"]] == [4] * 5
    assert [g.iri for t in themes["en"] for g in t.goals] == [
        g.iri for t in themes["de"] for g in t.goals
    ]
    assert themes["en"][0].label != themes["de"][0].label
    mine = queries.joinings(store, VOCAB, "de", institution=one)
    assert mine and [j.iri for j in mine] == [j.iri for j in german if j.institution.iri == one]


def test_mementos_take_the_resource_in_every_form(app: Flask) -> None:
    store = store_of(app)
    listed = releases.releases(store, NS + "id/datensatz/charta")
    assert listed
    iri = NS + "id/charta"
    found = releases.states_of(store, iri, listed)
    assert found
    assert releases.states_of(store, f"<{iri}>", listed) == found
    assert releases.states_of(store, ox.NamedNode(iri), listed) == found
    assert releases.states_of(store, description.iri_ref(iri), listed) == found
    assert releases.states_of(store, NS + "id/no-such-thing", listed) == []
    with pytest.raises(ValueError):
        releases.states_of(store, "<http://x/a> ?p ?o } SERVICE <http://x/>", listed)
