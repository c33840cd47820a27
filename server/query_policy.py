"""The one query policy: what an untrusted SPARQL text may do here, decided on its parse tree,
and the text the engine runs instead of the client's.

``/sparql`` (every method, and each release's endpoint), ``charta query`` and
both stores call :func:`check` before a query reaches an engine, and the
embedded store's query workers call it again inside their own process. What
reaches any engine is :attr:`CheckedQuery.text`, never the client's text. A
query is refused unless all of this holds:

1. Its UTF-8 size is within ``max_bytes`` (413).
2. Before any parser runs, its bracket nesting is within ``max_depth``: a
   cheap count of ``{ ( [`` that no text can make larger than the real nesting
   would be, so a 4 KB ``{{{…}}}`` never reaches a parser.
3. It reads as SPARQL 1.1 tokens (:mod:`server.query_canon`: the spec's
   terminals, longest match, ``\\u`` escapes in IRIs and strings only), every
   prefix is declared, every IRI and language tag is one the engine takes.
   From those tokens we write the canonical text: full IRIs (relative ones
   resolved against ``BASE`` or else ``base_iri``, the dataset namespace), no
   prefixed names, no PREFIX (BASE only where IRI() needs it), no comments,
   one spelling per keyword, string and variable, one space between tokens.
   Differentials between our reading and the engine's (``e:a.b.SERVICE:x``
   is one name to the grammar and ``e:a.b`` ``.`` ``SERVICE :x`` to Oxigraph)
   have nothing left to act on.
4. The canonical text parses as SPARQL 1.1 under tree-sitter-sparql, a C
   parser with an explicit stack (no recursion, linear time), with no error or
   missing node, and every node of its tree is of a kind this module allows
   (:data:`ALLOWED`, :data:`ALLOWED_TOKENS`): an allow-list, so a construct
   nobody reviewed is refused, not passed. SERVICE is not on it (400), nor
   any update (403), nor a function other than the SPARQL built-ins and the
   XSD casts the engine knows (400: an unknown function failed at run time).
5. The tree's nesting, counted as the engine builds it (each level of the
   tree, and each further element of a group or UNION, which the engine folds
   into a left-deep join), is within ``max_depth``: deep trees overflow the
   engine's stack (a 20,000-term ``||`` chain or 9,300 UNION branches crash
   Oxigraph, in our worker or in Oxigraph server behind ``--store``).
6. Over the whole query, not per group: at most ``max_patterns`` triple
   patterns and at most ``4 * max_patterns`` graph pattern elements (groups,
   OPTIONAL, MINUS, UNION branches, GRAPH, subqueries, FILTER, BIND, VALUES).
   The engine's join planner is super-linear in the patterns it joins (six
   sibling groups of 60 patterns kept Oxigraph server planning for 150 s, and
   its ``--timeout-s`` does not stop the planner).
7. No cross product is sorted or grouped: when the query has ORDER BY or
   GROUP BY, no group may join two parts that share no variable and each scan
   with two or more variables (``?a ?p ?o . ?b ?q ?r … ORDER BY ?a``). The
   engine sorts the whole product before LIMIT; three such scans grew Oxigraph
   server by 1 GB/s.
8. It is a query (SELECT, ASK, CONSTRUCT, DESCRIBE), not an update (403).

Why tree-sitter and not rdflib's parser: rdflib's pyparsing grammar recurses
per element; it fails at 36 nested groups and on 1,500 flat triple patterns
(RecursionError), and takes 6.9 s for a 64 KB FILTER. Oxigraph's own parser
is not reachable from Python without evaluating the query.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter
import tree_sitter_sparql

from server.config import DEFAULT_NAMESPACE
from server.query_canon import Canonical, canonical
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
#: The kinds of tree node a query may hold: SPARQL 1.1 Query without SERVICE.
ALLOWED = frozenset(
    """unit prologue base_declaration select_query ask_query construct_query describe_query
    select_clause where_clause solution_modifier group_clause group_condition having_clause
    having_condition order_clause order_condition limit_offset_clauses limit_clause
    offset_clause dataset_clause default_graph_clause named_graph_clause construct_template
    construct_triples triples_template group_graph_pattern triples_block triples_same_subject
    property_list
    property object_list collection blank_node_property_list path_element path_mod
    path_inverse path_negated_property_set path_one_in_property_set binary_path
    group_or_union_graph_pattern optional_graph_pattern minus_graph_pattern
    graph_graph_pattern filter bind inline_data data_block values_clause sub_select
    binary_expression unary_expression bracketted_expression build_in_function function_call
    arg_list expression_list aggregate exists_func not_exists_func regex_expression
    substring_expression string_replace_expression var iri_reference string echar rdf_literal
    lang_tag integer decimal double boolean_literal blank_node_label anon nil""".split()
)
#: Leaves whose spelling is ours (query_canon wrote it): nothing inside them to check.
_ATOMS = frozenset(
    "var iri_reference string rdf_literal lang_tag integer decimal double boolean_literal "
    "blank_node_label anon nil path_mod".split()
)
#: Keywords and punctuation a query may use: the grammar's, less SERVICE and updates.
ALLOWED_TOKENS = frozenset(
    """( ) { } [ ] . , ; * / | ^ ^^ ! != = < <= > >= && || + - ? a
    BASE ABS AS ASC ASK AVG BIND BNODE BOUND BY CEIL COALESCE CONCAT CONSTRUCT CONTAINS COUNT
    DATATYPE DAY DESC DESCRIBE DISTINCT ENCODE_FOR_URI EXISTS FILTER FLOOR FROM GRAPH GROUP
    GROUP_CONCAT HAVING HOURS IF IN IRI LANG LANGMATCHES LCASE LIMIT MAX MD5 MIN MINUS MINUTES
    MONTH NAMED NOT NOW OFFSET OPTIONAL ORDER RAND REDUCED REGEX REPLACE ROUND SAMPLE SECONDS
    SELECT SEPARATOR SHA1 SHA256 SHA384 SHA512 STR STRAFTER STRBEFORE STRDT STRENDS STRLANG
    STRLEN STRSTARTS STRUUID SUBSTR SUM TIMEZONE TZ UCASE UNDEF UNION URI UUID VALUES WHERE
    YEAR isBLANK isIRI isLITERAL isNUMERIC isURI sameTerm true false""".split()
)
_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Functions called by IRI that the engine evaluates: the XSD casts Oxigraph implements.
FUNCTIONS = frozenset(
    f"<{_XSD}{t}>"
    for t in (
        "boolean double float decimal integer string date time dateTime duration "
        "yearMonthDuration dayTimeDuration gYear gYearMonth gMonth gDay gMonthDay"
    ).split()
)
#: Nodes whose elements the engine folds into a chain (join, extend, union), one level each.
_SEQUENCES = {"group_graph_pattern", "group_or_union_graph_pattern"}
#: Graph pattern elements, counted over the whole query.
_ELEMENTS = frozenset(
    "group_graph_pattern optional_graph_pattern minus_graph_pattern graph_graph_pattern "
    "sub_select filter bind inline_data values_clause".split()
)
_OPEN, _CLOSE = frozenset("{(["), frozenset("})]")


@dataclass(frozen=True)
class CheckedQuery:
    """What the parse tree says about a query that passed the policy."""

    #: The canonical text (query_canon): the only text any engine is given.
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
    #: Triple patterns in the whole query (for ``max_patterns``).
    patterns: int = 0


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


def check(
    text: str,
    max_bytes: int,
    max_depth: int,
    max_patterns: int = 64,
    base_iri: str = DEFAULT_NAMESPACE,
) -> CheckedQuery:
    """Refuse ``text`` (``QueryRefusedError`` with its HTTP status) or describe it.

    The rules are in the module docstring. ``base_iri``: what relative IRIs
    resolve against when the query has no BASE (the endpoint's namespace).
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise QueryRefused(
            413, f"The query is {size} bytes long; at most {max_bytes} are accepted."
        )
    return _check(text, max_depth, max_patterns, base_iri)


@lru_cache(maxsize=256)
def _check(text: str, max_depth: int, max_patterns: int, base_iri: str) -> CheckedQuery:
    """The parse-based rules, remembered per text: clients repeat queries."""
    depth = raw_depth(text)
    if depth > max_depth:
        raise QueryRefused(400, _too_deep(depth, max_depth))
    canon = canonical(text, base_iri)
    return _check_parsed(canon, max_depth, max_patterns)


def _too_deep(depth: int, max_depth: int) -> str:
    return (
        f"The query nests {depth} levels deep; at most {max_depth} are accepted "
        "(each brace, bracket or parenthesis, operator in a chain, UNION branch and "
        "element of a group counts as a level). Flatten it, or use VALUES or IN for long lists."
    )


def _check_parsed(
    canon: Canonical, max_depth: int, max_patterns: int
) -> CheckedQuery:
    source = canon.text.encode("utf-8", "surrogatepass")
    tree = tree_sitter.Parser(_LANGUAGE).parse(source)
    root = tree.root_node
    if root.has_error:
        if canon.text.startswith("CONSTRUCT { } "):
            raise QueryRefused(
                400,
                "A CONSTRUCT with an empty template is standard SPARQL, but the parser this "
                "endpoint checks queries with (tree-sitter-sparql) does not take it; its "
                "answer is always the empty graph.",
            )
        raise QueryRefused(400, f"Malformed query: {_syntax_error(root, canon)}")
    forms: list[str] = []
    names_dataset = False
    star = False
    variables: list[str] = []
    after_select = False
    patterns = elements = 0
    sorts = False
    groups: list[tree_sitter.Node] = []
    # One iterative walk (no recursion: the tree may be deep): depth as the engine
    # nests, the allow-list, the query form, the whole query's size, datasets and
    # the order of variables.
    best = 0
    stack: list[tuple[tree_sitter.Node, int]] = [(root, 1)]
    while stack:
        node, level = stack.pop()
        if level > best:
            best = level
            if best > max_depth:
                raise QueryRefused(400, _too_deep(best, max_depth))
        kind = node.type
        if not node.is_named:
            if kind not in ALLOWED_TOKENS:
                raise _not_allowed(kind, node, canon)
            continue
        if kind not in ALLOWED:
            raise _not_allowed(kind, node, canon)
        if kind in QUERY_FORMS:
            forms.append(QUERY_FORMS[kind])
        elif kind == "triples_block":
            patterns += _patterns(node)
            if patterns > max_patterns:
                raise QueryRefused(
                    400,
                    f"The query holds more than {max_patterns} triple patterns (counted over "
                    "the whole query, every group and subquery together); at most "
                    f"{max_patterns} are accepted: the engine's planner takes seconds beyond "
                    "that. Use VALUES for long lists of terms.",
                )
        elif kind == "dataset_clause":
            names_dataset = True
        elif kind in ("order_clause", "group_clause"):
            sorts = True
        elif kind == "function_call":
            name = node.named_children[0] if node.named_children else None
            called = _text(name, source) if name is not None else ""
            if called not in FUNCTIONS:
                raise QueryRefused(
                    400,
                    f"The function {called} is not available here: only SPARQL's built-in "
                    "functions and the XSD casts (xsd:integer(…), xsd:dateTime(…), …) are.",
                )
        elif kind == "select_clause" and not after_select:
            after_select = True
            star = any(c.type == "*" for c in node.children)
        elif kind == "var" and after_select:
            variables.append(_text(node, source)[1:])
        if kind in _ELEMENTS:
            elements += 1
            if elements > 4 * max_patterns:
                raise QueryRefused(
                    400,
                    f"The query holds more than {4 * max_patterns} graph patterns (groups, "
                    "OPTIONAL, MINUS, UNION branches, GRAPH, subqueries, FILTER, BIND and "
                    "VALUES over the whole query); the engine plans their joins together.",
                )
            if kind == "group_graph_pattern":
                groups.append(node)
        if kind in _ATOMS:
            continue
        sequence = kind in _SEQUENCES
        position = 0
        pushed = []
        for child in node.children:
            pushed.append((child, level + 1 + (position if sequence else 0)))
            if child.is_named:
                position += 1
        stack.extend(reversed(pushed))  # document order: variables keep their order
    if len(forms) != 1:
        raise QueryRefused(
            400, "Not a SPARQL query: expected one SELECT, ASK, CONSTRUCT or DESCRIBE."
        )
    if sorts:
        for group in groups:
            _no_cross_product(group, source)
    order = tuple(dict.fromkeys(variables)) if star else None
    return CheckedQuery(canon.text, forms[0], names_dataset, order, best, patterns)


_NO_SERVICE = (
    "SERVICE (federated query) is disabled here: it would make this server send "
    "requests to other addresses. Query those endpoints directly."
)
_READ_ONLY = (
    "This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, …) "
    "is refused and changes nothing."
)


def _not_allowed(kind: str, node: tree_sitter.Node, canon: Canonical) -> QueryRefused:
    """The refusal for a node outside the allow-list, saying what it is and where."""
    if kind in UPDATE_NODES:
        return QueryRefused(403, _READ_ONLY)
    if kind in ("service_graph_pattern", "SERVICE", "SILENT"):
        return QueryRefused(400, _NO_SERVICE)
    token = canon.token_at(node.start_byte)
    where = f" at {canon.where(token)}" if token else ""
    return QueryRefused(
        400, f"The query uses {kind!r}{where}, which this endpoint does not run."
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


def _variables(node: tree_sitter.Node, source: bytes) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "var":
            found.add(_text(n, source))
        elif n.type == "sub_select":
            # only what the subquery projects joins outside it; '*' projects all
            clause = n.child_by_field_name("select_clause") or next(
                (c for c in n.children if c.type == "select_clause"), None
            )
            if clause is not None and not any(c.type == "*" for c in clause.children):
                stack.append(clause)
                continue
            stack.extend(n.children)
        else:
            stack.extend(n.children)
    return found


def _no_cross_product(group: tree_sitter.Node, source: bytes) -> None:
    """Refuse a group that joins two parts sharing no variable, each a scan of two or more
    variables, in a query that sorts or groups (the engine sorts the whole product)."""
    parts: list[set[str]] = []
    for child in group.named_children:
        if child.type == "triples_block":
            parts.extend(
                _variables(t, source) for t in child.named_children
                if t.type == "triples_same_subject"
            )
        elif child.type in (
            "group_or_union_graph_pattern", "optional_graph_pattern", "graph_graph_pattern",
            "sub_select",
        ):
            parts.append(_variables(child, source))
    # connected components by shared variables
    components: list[tuple[set[str], bool]] = []
    for part in parts:
        scan = len(part) >= 2
        merged, rest = set(part), []
        for variables, had_scan in components:
            if variables & part:
                merged |= variables
                scan = scan or had_scan
            else:
                rest.append((variables, had_scan))
        components = [*rest, (merged, scan)]
    if sum(1 for _, scan in components if scan) >= 2:
        raise QueryRefused(
            400,
            "The query sorts or groups a cross product: one of its groups joins parts that "
            "share no variable ("
            + "; ".join(" ".join(sorted(v)) for v, scan in components if scan)
            + "), and the engine would build and sort every combination before LIMIT. "
            "Join the parts through a shared variable, or drop ORDER BY / GROUP BY.",
        )


def _text(node: tree_sitter.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _syntax_error(root: tree_sitter.Node, canon: Canonical) -> str:
    """Where the first error or missing token is, as ``line:column`` of the client's text."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            token = canon.token_at(node.start_byte)
            if token is None:
                return "syntax error at the start of the query"
            where, spelled = canon.where(token), canon.spelling(token)[:40]
            if node.is_missing:
                return f"syntax error at {where}: expected {node.type!r} after {spelled!r}"
            return f"syntax error at {where}: unexpected {spelled!r}"
        if node.has_error:
            stack.extend(reversed(node.children))
    if canon.tokens:
        return f"syntax error at {canon.where(canon.tokens[-1])}, or the query ends early"
    return "syntax error: the query is empty"
