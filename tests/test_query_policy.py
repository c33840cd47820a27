"""The query policy: what a parse tree allows, and the SELECT * column order users see."""

from __future__ import annotations

import pytest

from server.query_policy import star_order


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", ("s", "p", "o")),
        ("PREFIX ex: <x:> SELECT DISTINCT * { ?x ex:b ?Y . ?x ex:c $z } ORDER BY ?Y", ("x", "Y", "z")),
        ('# SELECT ?c *\nselect reduced * { ?b ?a "?c" }', ("b", "a")),
        ("SELECT * { { SELECT ?b ?a { ?a ?p ?b } } }", ("b", "a", "p")),
        ("SELECT ?o ?s { ?s ?p ?o }", None),
        ("ASK { ?s ?p ?o }", None),
    ],
)
def test_select_star_order_is_first_appearance(query: str, order: tuple[str, ...] | None) -> None:
    assert star_order(query) == order
