"""The one query policy: what an untrusted SPARQL text may do here, decided on its parse tree.

``/sparql``, ``charta query`` and both stores call :func:`check` before a query
reaches an engine, and the embedded store's query workers call it again inside
their own process. A query is refused unless all of this holds:

1. Its UTF-8 size is within ``max_bytes`` (413).
2. Before any parser runs, its bracket nesting is within ``max_depth``: a
   cheap count of ``{ ( [`` that no text can make larger than the real nesting
   would be, so a 4 KB ``{{{…}}}`` never reaches a recursive parser.
3. It parses as SPARQL 1.1 under tree-sitter-sparql, a C parser with an
   explicit stack (no recursion, linear time), with no error or missing node.
   ``\\u`` escapes are decoded first, as the spec says; an escape of a
   character that means syntax (quotes, brackets, ``#``, ``<``, spaces, …) is
   refused, since Oxigraph decodes escapes inside strings and IRIs only and
   would read such a text differently (``"\\u0022 # " SERVICE …`` hides the
   SERVICE in a comment for the spec and shows it to Oxigraph).
   A text the policy cannot parse is refused even if the engine would take it:
   Oxigraph's parser accepts more than the grammar (it reads ``servicex: {…}``
   as ``SERVICE x: {…}`` and ``SERVICESILENT<…>`` as ``SERVICE SILENT``), so
   agreeing with the grammar is the only safe reading.
4. The tree has no ``service_graph_pattern``, and no keyword or prefix token
   contains ``service`` in any case: the engine matches keywords without a
   word boundary, so it reads the one prefix name ``trueservicex:`` as
   ``true`` followed by ``SERVICE x:`` (found by the hostile tests; it made
   Oxigraph server connect). Local names (``dcat:DataService``), variables,
   strings, IRIs and blank node labels are single tokens to the engine too and
   are not affected.
5. The tree's nesting, counted as the engine builds it (each level of the
   tree, and each further element of a group or UNION, which the engine folds
   into a left-deep join), is within ``max_depth``: deep trees overflow the
   engine's stack (a 20,000-term ``||`` chain or 9,300 UNION branches crash
   Oxigraph, in our worker or in Oxigraph server behind ``--store``).
6. No basic graph pattern holds more than ``max_patterns`` triple patterns:
   the engine's join planner is super-linear in them (an object list of 80
   variables takes 0.4 s to plan, of 400 minutes, and Oxigraph server's
   ``--timeout-s`` does not stop planning).
7. It is a query (SELECT, ASK, CONSTRUCT, DESCRIBE), not an update (403).

Why tree-sitter and not rdflib's parser: rdflib's pyparsing grammar recurses
per element; it fails at 36 nested groups and on 1,500 flat triple patterns
(RecursionError), and takes 6.9 s for a 64 KB FILTER. Oxigraph's own parser
is not reachable from Python without evaluating the query.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter
import tree_sitter_sparql

from server.store import QueryRefusedError as QueryRefused

with warnings.catch_warnings():  # the binding hands over a pointer, an API tree-sitter deprecates
    warnings.simplefilter("ignore", DeprecationWarning)
    _LANGUAGE = tree_sitter.Language(tree_sitter_sparql.language())

QUERY_FORMS = {
    "select_query": "SELECT",
    "ask_query": "ASK",
    "construct_query": "CONSTRUCT",
    "describe_query": "DESCRIBE",
}
UPDATE_NODES = {
    "load",
    "clear",
    "drop",
    "create",
    "add",
    "move",
    "copy",
    "insert_data",
    "delete_data",
    "delete_where",
    "modify",
}
#: Subtrees whose text is data, not syntax: nothing in them is a keyword.
_OPAQUE = {"string", "iri_reference", "comment", "var", "pn_local", "lang_tag", "blank_node_label"}
#: Nodes whose elements the engine folds into a chain (join, extend, union), one level each.
_SEQUENCES = {"group_graph_pattern", "group_or_union_graph_pattern"}
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_OPEN, _CLOSE = frozenset("{(["), frozenset("})]")


@dataclass(frozen=True)
class CheckedQuery:
    """What the parse tree says about a query that passed the policy."""

    text: str
    #: SELECT, ASK, CONSTRUCT or DESCRIBE.
    form: str
    #: FROM or FROM NAMED in the query: it names its own dataset.
    names_dataset: bool
    #: For ``SELECT *``: the variables in the order they first appear, the column
    #: order users expect (Jena's too); Oxigraph sorts them by name.
    star_order: tuple[str, ...] | None
    #: The nesting as counted for ``max_depth``.
    depth: int


def raw_depth(text: str) -> int:
    """The deepest bracket nesting of the text, before any parser.

    Counts every ``{ ( [`` and uncounts every closer, but never below zero, so
    no closer hidden in a string can lower the count of what follows by more
    than it raised it; the parse tree's depth is checked again afterwards.
    """
    depth = best = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
            if depth > best:
                best = depth
        elif ch in _CLOSE and depth:
            depth -= 1
    return best


def decode_escapes(text: str) -> str:
    """SPARQL's ``\\uXXXX``/``\\UXXXXXXXX`` escapes, decoded as the spec does before parsing.

    Only letters, digits and other non-ASCII characters may be escaped: for them
    decoding before or during tokenising (the spec's way and Oxigraph's) gives
    the same tokens. Anything else is refused rather than guessed at.
    """

    def char(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        ch = chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""
        if not ch or not (ch.isalnum() or (code > 0x7F and ch.isprintable() and not ch.isspace())):
            raise QueryRefused(
                400,
                f"The escape {m.group()} encodes a character that is syntax ({ch!r}); "
                "write it as it is, or escape it in a string with a backslash.",
            )
        return ch

    return _ESCAPE.sub(char, text)


def check(text: str, max_bytes: int, max_depth: int, max_patterns: int = 64) -> CheckedQuery:
    """Refuse ``text`` (``QueryRefusedError`` with its HTTP status) or describe it.

    The rules are in the module docstring.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise QueryRefused(
            413, f"The query is {size} bytes long; at most {max_bytes} are accepted."
        )
    return _check(text, max_bytes, max_depth, max_patterns)


@lru_cache(maxsize=256)
def _check(text: str, max_bytes: int, max_depth: int, max_patterns: int) -> CheckedQuery:
    """The parse-based rules, remembered per text: clients repeat queries."""
    depth = raw_depth(text)
    if depth > max_depth:
        raise QueryRefused(400, _too_deep(depth, max_depth))
    decoded = decode_escapes(text)
    checked = _check_parsed(decoded, max_depth, max_patterns)
    return dataclasses.replace(checked, text=text)


def _too_deep(depth: int, max_depth: int) -> str:
    return (
        f"The query nests {depth} levels deep; at most {max_depth} are accepted "
        "(each brace, bracket or parenthesis, operator in a chain, UNION branch and "
        "element of a group counts as a level). Flatten it, or use VALUES or IN for long lists."
    )


def _check_parsed(text: str, max_depth: int, max_patterns: int) -> CheckedQuery:
    source = text.encode("utf-8", "surrogatepass")
    tree = tree_sitter.Parser(_LANGUAGE).parse(source)
    root = tree.root_node
    if root.has_error:
        raise QueryRefused(400, f"Malformed query: {_syntax_error(root, source)}")
    forms: list[str] = []
    names_dataset = False
    star = False
    variables: list[str] = []
    after_select = False
    # One iterative walk (no recursion: the tree may be deep): depth as the engine
    # nests, the query form, updates, SERVICE, datasets and the order of variables.
    best = 0
    stack: list[tuple[tree_sitter.Node, int]] = [(root, 1)]
    while stack:
        node, level = stack.pop()
        if level > best:
            best = level
            if best > max_depth:
                raise QueryRefused(400, _too_deep(best, max_depth))
        kind = node.type
        if kind in QUERY_FORMS:
            forms.append(QUERY_FORMS[kind])
        elif kind in UPDATE_NODES:
            raise QueryRefused(
                403,
                "This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, …) "
                "is refused and changes nothing.",
            )
        elif kind == "service_graph_pattern":
            raise QueryRefused(400, _NO_SERVICE)
        elif kind == "triples_block":
            patterns = _patterns(node)
            if patterns > max_patterns:
                raise QueryRefused(
                    400,
                    f"One group of the query holds {patterns} triple patterns; at most "
                    f"{max_patterns} are accepted (the engine's planner takes seconds "
                    "beyond that). Split it into groups, or use VALUES for long lists.",
                )
        elif kind == "dataset_clause":
            names_dataset = True
        elif kind == "select_clause" and not after_select:
            after_select = True
            star = any(c.type == "*" for c in node.children)
        elif kind == "var" and after_select:
            variables.append(_text(node, source)[1:])
        if kind in _OPAQUE:
            continue
        if not node.children:
            word = _text(node, source).lower()
            if "service" in word:
                raise QueryRefused(
                    400, _NO_SERVICE + f" (the engine would read the name {word!r} as SERVICE)"
                )
            continue
        children = node.children
        sequence = kind in _SEQUENCES
        position = 0
        pushed = []
        for child in children:
            pushed.append((child, level + 1 + (position if sequence else 0)))
            if child.is_named:
                position += 1
        stack.extend(reversed(pushed))  # document order: variables keep their order
    if len(forms) != 1:
        raise QueryRefused(
            400, "Not a SPARQL query: expected one SELECT, ASK, CONSTRUCT or DESCRIBE."
        )
    order = tuple(dict.fromkeys(variables)) if star else None
    return CheckedQuery(text, forms[0], names_dataset, order, best)


_NO_SERVICE = (
    "SERVICE (federated query) is disabled here: it would make this server send "
    "requests to other addresses. Query those endpoints directly."
)


def _patterns(block: tree_sitter.Node) -> int:
    """Triple patterns one basic graph pattern makes: each object of an object list,
    two per member of a collection (its rdf:first and rdf:rest)."""
    count = 0
    stack = [block]
    while stack:
        node = stack.pop()
        if node.type == "object_list":
            count += node.named_child_count
        elif node.type == "collection":
            count += 2 * node.named_child_count
        stack.extend(node.children)
    return count


def _text(node: tree_sitter.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _syntax_error(root: tree_sitter.Node, source: bytes) -> str:
    """Where the first error or missing token is, as ``line:column`` (as Oxigraph says it)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            row, col = node.start_point
            near = _text(node, source)[:40] or "end of query"
            what = f"expected {node.type!r}" if node.is_missing else f"unexpected {near!r}"
            return f"syntax error at {row + 1}:{col + 1} (line:column): {what}"
        if node.has_error:
            stack.extend(reversed(node.children))
    return "syntax error"
