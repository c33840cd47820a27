"""The query policy: what a parse tree allows, and the SELECT * column order users see."""

from __future__ import annotations

import pytest

from server.query_policy import check


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", ("s", "p", "o")),
        (
            "PREFIX ex: <x:> SELECT DISTINCT * { ?x ex:b ?Y . ?x ex:c $z } ORDER BY ?Y",
            ("x", "Y", "z"),
        ),
        ('# SELECT ?c *\nselect reduced * { ?b ?a "?c" }', ("b", "a")),
        ("SELECT * { { SELECT ?b ?a { ?a ?p ?b } } }", ("b", "a", "p")),
        ("SELECT ?o ?s { ?s ?p ?o }", None),
        ("ASK { ?s ?p ?o }", None),
    ],
)
def test_select_star_order_is_first_appearance(query: str, order: tuple[str, ...] | None) -> None:
    assert check(query, 65536, 256).star_order == order


from server.store import QueryRefusedError  # noqa: E402

SERVICE = "SERVICE (federated query) is disabled"


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        # The query: a text check took the # of e:\# for a comment.
        (
            "PREFIX e: <http://x/>\nSELECT ?a { BIND(e:\\# AS ?x) SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } }",
            400,
            SERVICE,
        ),
        # Oxigraph reads these as SERVICE; the grammar does not: refused either way.
        ("PREFIX x: <http://127.0.0.1:9/> SELECT * { servicex: { ?a ?b ?c } }", 400, "Malformed"),
        ("SELECT * { SERVICESILENT<http://127.0.0.1:9/>{ ?a ?b ?c } }", 400, "Malformed"),
        (
            "PREFIX x: <http://127.0.0.1:9/> SELECT * { ?s ?p trueservicex:{ ?a ?b ?c } }",
            400,
            SERVICE,
        ),
        ("SELECT * { \\u0053ERVICE <http://a/> { } }", 400, SERVICE),
        ('SELECT * { ?s ?p "\\u0022 # " SERVICE <http://a/> { } }', 400, "escape"),
        ("SELECT * WHERE " + "{" * 3000 + "?s ?p ?o" + "}" * 3000, 400, "levels deep"),
        ("ASK { FILTER(" + " || ".join(["1"] * 300) + ") }", 400, "levels deep"),
        ("SELECT * {" + "UNION".join(["{}"] * 300) + "}", 400, "levels deep"),
        (
            "SELECT * { ?s <p:a> " + ", ".join(f"?o{i}" for i in range(100)) + " }",
            400,
            "triple patterns",
        ),
        ("INSERT DATA { <a:b> <a:c> <a:d> }", 403, "read-only"),
        ("SELECT * { ?s ?p ?o } ; SELECT * {}", 400, "Malformed"),
        ("x" * 70000, 413, "bytes long"),
    ],
)
def test_refusals_say_why(query: str, status: int, says: str) -> None:
    with pytest.raises(QueryRefusedError) as caught:
        check(query, 65536, 256, 64)
    assert caught.value.status == status
    assert says in str(caught.value)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?service { ?service ?p ?o }",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT * { ?s a dcat:DataService }",
        'SELECT * { ?s ?p "SERVICE <http://a/> {}" } # SERVICE <http://a/> {}',
        'SELECT * { ?s ?p "caf\\u00e9" }',
        "SELECT * { VALUES ?x {" + " ".join(["1"] * 5000) + "} }",
        "SELECT * { ?s <p:a> " + ", ".join(f"?o{i}" for i in range(60)) + " }",
    ],
)
def test_standard_queries_that_mention_service_or_are_long_pass(query: str) -> None:
    assert check(query, 65536, 256, 64).form == "SELECT"
