"""Reading a SPARQL request's text before any engine sees it.

A small lexer skips comments, strings and IRIs, so keywords are found only
where they are keywords: the query form decides the result formats, an update
is refused on this read-only endpoint, and SERVICE is refused because the
engine would fetch the named URL (tested: pyoxigraph opens the connection).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n]*)
    | (?P<iri><[^<>"{}|^`\\\s]*>)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                 |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<var>[?$][A-Za-z0-9_\u00b7-\uffff]+)
    | (?P<word>(?:[A-Za-z_\u00c0-\uffff][\w.\-\u00b7-\uffff]*)?:[\w.\-:%\\\u00b7-\uffff]*
               |[A-Za-z_][\w\-]*)
    | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
}
PROLOGUE = {"PREFIX", "BASE"}


@dataclass(frozen=True)
class QueryText:
    """What the lexer found: the form (SELECT, ASK, …), updates and SERVICE."""

    form: str | None
    is_update: bool
    uses_service: bool
    #: FROM or FROM NAMED in the text: the query names its own dataset.
    names_dataset: bool = False
    #: For ``SELECT *``: the variables in the order they first appear in the text,
    #: the column order users expect (Jena's too); Oxigraph sorts them by name.
    star_order: tuple[str, ...] | None = None


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@lru_cache(maxsize=128)
def inspect(text: str) -> QueryText:
    """Classify a request text without evaluating it (remembered: clients repeat queries).

    SPARQL allows ``\\uXXXX`` escapes anywhere; they are decoded first so an
    escaped keyword cannot slip past (stricter than Oxigraph, which rejects them).
    """
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]
    words = [value.upper() for kind, value in tokens if kind == "word"]
    form = None
    is_update = False
    expect_prefix_parts = 0
    for w in words:
        if expect_prefix_parts:
            expect_prefix_parts -= 1
            continue
        if w in PROLOGUE:
            expect_prefix_parts = 1 if w == "PREFIX" else 0
            continue
        if w in QUERY_FORMS:
            form = w
        elif w in UPDATE_WORDS:
            is_update = True
        break
    return QueryText(
        form=form,
        is_update=is_update,
        uses_service="SERVICE" in words,
        names_dataset="FROM" in words,
        star_order=_star_order(tokens) if form == "SELECT" else None,
    )


def _star_order(tokens: list[tuple[str | None, str]]) -> tuple[str, ...] | None:
    """The variables after ``SELECT [DISTINCT|REDUCED] *``, first appearance first."""
    toks = [(kind, value) for kind, value in tokens if kind != "comment"]
    for i, (kind, value) in enumerate(toks):
        if kind == "word" and value.upper() == "SELECT":
            rest = toks[i + 1 :]
            if rest and rest[0][0] == "word" and rest[0][1].upper() in ("DISTINCT", "REDUCED"):
                rest = rest[1:]
            if not rest or rest[0] != ("other", "*"):
                return None
            return tuple(dict.fromkeys(value[1:] for kind, value in rest if kind == "var"))
    return None
