"""Reading a query's text: the SELECT * column order users see."""

from __future__ import annotations

import pytest

from server.sparql_text import inspect


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", ("s", "p", "o")),
        ("PREFIX a: <x:> SELECT DISTINCT * { ?x a:b ?Y . ?x a:c $z } ORDER BY ?Y", ("x", "Y", "z")),
        ('# SELECT ?c *\nselect reduced * { ?b ?a "?c" }', ("b", "a")),
        ("SELECT * { { SELECT ?b ?a { ?a ?p ?b } } }", ("b", "a", "p")),
        ("SELECT ?o ?s { ?s ?p ?o }", None),
        ("ASK { ?s ?p ?o }", None),
    ],
)
def test_select_star_order_is_first_appearance(query: str, order: tuple[str, ...] | None) -> None:
    assert inspect(query).star_order == order
