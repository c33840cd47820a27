"""The one query policy: what an untrusted SPARQL text may do here, decided on its parse tree,
and the text the engine runs instead of the client's.

``/sparql`` (every method, and each release's endpoint), ``charta query`` and
both stores call :func:`check` before a query reaches an engine, and the
embedded store's query workers call it again inside their own process. What
reaches any engine is :attr:`CheckedQuery.text`, never the client's text. A
query is refused unless all of this holds:

1. Its UTF-8 size is within ``max_bytes`` (413), and its canonical text's within
   twice that (413, checked while it is written; over ``max_bytes`` only a text
   that is already canonical passes: the stores check what they are handed).
2. Before any parser runs, its bracket nesting is within ``max_depth``: a
   cheap count of ``{ ( [`` that no text can make larger than the real nesting
   would be, so a 4 KB ``{{{…}}}`` never reaches a parser.
3. It reads as SPARQL 1.1 tokens (:mod:`server.sparql.canon`: the spec's
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
   Blank nodes (``[]``, ``_:x``, ``[ … ]``, lists) count as unbound terms, and a
   VALUES block of two or more rows as a part (one after the query joins its
   WHERE group): ``[] ?p [] . [] ?q []`` and ``?s ?p ?o VALUES ?x {3,000}``
   exhausted the engines' memory.
8. At most :data:`MAX_LIST_ITEMS` DESCRIBE targets, projected expressions, GROUP
   BY conditions and aggregates together, and at most :data:`MAX_VALUES_ROWS`
   VALUES rows (:data:`MAX_VALUES_CELLS` values) over the whole query: the
   engine recurses once per list item (634 aborted Oxigraph server).
9. It is a query (SELECT, ASK, CONSTRUCT, DESCRIBE), not an update (403).

A number signed ``+`` that is the first object after a property path
(``<a><b>+11``) is one term to SPARQL and tree-sitter and the path ``<b>+`` to
Oxigraph: the text is written again with the typed literal ``"+11"^^xsd:integer``
there, and that text is checked and run.

Why tree-sitter and not rdflib's parser: rdflib's pyparsing grammar recurses
per element; it fails at 36 nested groups and on 1,500 flat triple patterns
(RecursionError), and takes 6.9 s for a 64 KB FILTER. Oxigraph's own parser
is not reachable from Python without evaluating the query.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import tree_sitter
import tree_sitter_sparql

from server.config import DEFAULT_NAMESPACE
from server.sparql import QueryRefusedError as QueryRefused
from server.sparql.canon import Canonical, Token, canonical

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
#: DESCRIBE targets, projection expressions ``(… AS ?v)``, GROUP BY conditions and
#: aggregates, over the whole query together. The engine recurses once per item of
#: these lists: 634 DESCRIBE names (1.9 KB) or projections overflowed Oxigraph server's
#: stack (the process aborts), 256 of each kind together in one query did too, 200 of
#: each (800 items) did not.
MAX_LIST_ITEMS = 256
#: Rows of all VALUES blocks together, and their cells (rows times variables).
MAX_VALUES_ROWS = 10_000
MAX_VALUES_CELLS = 20_000
#: The policy remembers its answers for recent texts, up to this many bytes of text.
CACHE_BYTES = 8 * 1024 * 1024


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
    # Over max_bytes only our own canonical text may come (the stores check the text they
    # are handed again): it is up to twice the client's (a space between tokens) plus what
    # prefixed names expand to. It holds no line break, tab or double space.
    if size > max_bytes and (size > 2 * max_bytes or _NOT_CANONICAL.search(text)):
        raise _too_long(size, max_bytes)
    key = (text, max_bytes, max_depth, max_patterns, base_iri)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    if size <= max_bytes:
        checked = _check(text, max_bytes, max_depth, max_patterns, base_iri)
    else:
        try:
            checked = _check(text, max_bytes, max_depth, max_patterns, base_iri)
        except QueryRefused:
            raise _too_long(size, max_bytes) from None
        if checked.text != text:
            raise _too_long(size, max_bytes)
    _remember(key, checked, size)
    return checked


_NOT_CANONICAL = re.compile(r"[\t\r\n]|  ")


def _too_long(size: int, max_bytes: int) -> QueryRefused:
    return QueryRefused(413, f"The query is {size} bytes long; at most {max_bytes} are accepted.")


#: Answers for recent texts (clients repeat queries), costed by the bytes of the
#: client's text and of the canonical one (at most ``max_bytes`` each), never by count:
#: a count-bounded cache of 256 once held 255 MB per distinct request.
_cache: OrderedDict[tuple[str, int, int, int, str], CheckedQuery] = OrderedDict()
_cache_cost: dict[tuple[str, int, int, int, str], int] = {}
_cache_used = 0
_cache_lock = threading.Lock()


def _remember(key: tuple[str, int, int, int, str], checked: CheckedQuery, size: int) -> None:
    global _cache_used
    cost = size + len(checked.text.encode("utf-8", "surrogatepass")) + 200
    if cost > CACHE_BYTES // 16:
        return  # a large text is not worth keeping
    with _cache_lock:
        if key in _cache:
            return
        _cache[key] = checked
        _cache_cost[key] = cost
        _cache_used += cost
        while _cache_used > CACHE_BYTES:
            old, _ = _cache.popitem(last=False)
            _cache_used -= _cache_cost.pop(old)


def _check(
    text: str, max_bytes: int, max_depth: int, max_patterns: int, base_iri: str
) -> CheckedQuery:
    """The parse-based rules."""
    depth = raw_depth(text)
    if depth > max_depth:
        raise QueryRefused(400, _too_deep(depth, max_depth))
    canon = canonical(text, base_iri, 2 * max_bytes)
    return _check_parsed(canon, base_iri, 2 * max_bytes, max_depth, max_patterns)


def _too_deep(depth: int, max_depth: int) -> str:
    return (
        f"The query nests {depth} levels deep; at most {max_depth} are accepted "
        "(each brace, bracket or parenthesis, operator in a chain, UNION branch and "
        "element of a group counts as a level). Flatten it, or use VALUES or IN for long lists."
    )


def _check_parsed(
    canon: Canonical, base_iri: str, max_bytes: int, max_depth: int, max_patterns: int
) -> CheckedQuery:
    source = canon.text.encode("utf-8", "surrogatepass")
    # A NUL can stand only inside a string here (the reader refuses it elsewhere), and
    # tree-sitter stops at one: it parses the text with NUL as U+0001 (same length, the
    # same tree); the engine gets the NUL.
    tree = tree_sitter.Parser(_LANGUAGE).parse(source.replace(b"\0", b"\1"))
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
    patterns = elements = items = 0
    ambiguous: list[tuple[int, int, str]] = []
    values_rows = values_cells = 0
    sorts = False
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
            if kind == "AS" and node.parent is not None and node.parent.type == "select_clause":
                items += 1
                if items > MAX_LIST_ITEMS:
                    raise _too_many_items()
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
        elif kind == "object_list":
            found = _path_plus_number(node, source)
            if found is not None:
                ambiguous.append(found)
        elif kind == "data_block":
            rows, cells = _values_size(node)
            values_rows += rows
            values_cells += cells
            if values_rows > MAX_VALUES_ROWS or values_cells > MAX_VALUES_CELLS:
                raise QueryRefused(
                    400,
                    f"The query's VALUES blocks hold more than {MAX_VALUES_ROWS} rows or "
                    f"{MAX_VALUES_CELLS} values (rows times variables), all blocks together; "
                    "the engine joins them with everything else in the query.",
                )
        elif kind in ("order_clause", "group_clause"):
            sorts = True
        if kind in _LIST_ITEMS or (
            kind in ("var", "iri_reference")
            and node.parent is not None
            and node.parent.type == "describe_query"
        ):
            items += 1
            if items > MAX_LIST_ITEMS:
                raise _too_many_items()
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
    if ambiguous:
        # Written again with the typed literals, and that text checked instead.
        for start, end, typed in sorted(ambiguous, reverse=True):
            source = source[:start] + typed.encode() + source[end:]
        text = source.decode("utf-8", "surrogatepass")
        return _check_parsed(
            canonical(text, base_iri, max_bytes), base_iri, max_bytes, max_depth, max_patterns
        )
    if len(forms) != 1:
        raise QueryRefused(
            400, "Not a SPARQL query: expected one SELECT, ASK, CONSTRUCT or DESCRIBE."
        )
    if sorts:
        _no_cross_product(root, source)
    order = tuple(dict.fromkeys(variables)) if star else None
    return CheckedQuery(canon.text, forms[0], names_dataset, order, best, patterns)


_LIST_ITEMS = frozenset({"group_condition", "aggregate"})


def _too_many_items() -> QueryRefused:
    return QueryRefused(
        400,
        f"The query holds more than {MAX_LIST_ITEMS} DESCRIBE targets, projected expressions "
        "(… AS ?v), GROUP BY conditions and aggregates, counted together over the whole "
        "query; the engine recurses once per item and overflows its stack beyond a few "
        "hundred.",
    )


def _values_size(block: tree_sitter.Node) -> tuple[int, int]:
    """Rows and cells (values, UNDEF included) of one VALUES block."""
    columns = values = nils = 0
    for index, child in enumerate(block.children):
        if block.field_name_for_child(index) == "bound_variable":
            columns += 1
        elif child.type == "nil":
            nils += 1
        elif child.is_named or child.type == "UNDEF":
            values += 1
    if columns == 0:
        return max(nils - 1, 0), 0
    return values // columns, values


_NUMBER_TYPES = {"integer": "integer", "decimal": "decimal", "double": "double"}


def _path_plus_number(objects: tree_sitter.Node, source: bytes) -> tuple[int, int, str] | None:
    """``<a><b>+11``: SPARQL (and tree-sitter) read the object +11, Oxigraph the path
    ``<b>+`` and the object 11. Where an object list starts with a number signed '+'
    right after a property path: its span and the same literal written as a typed
    literal (``"+11"^^xsd:integer``, the very term SPARQL means), which both read alike."""
    first = objects.named_children[0] if objects.named_child_count else None
    verb = objects.prev_named_sibling
    if (
        first is None
        or verb is None
        or verb.type == "var"
        or first.type not in _NUMBER_TYPES
        or source[first.start_byte : first.start_byte + 1] != b"+"
    ):
        return None
    spelled = _text(first, source)
    typed = f'"{spelled}"^^<{_XSD}{_NUMBER_TYPES[first.type]}>'
    return first.start_byte, first.end_byte, typed


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
    return QueryRefused(400, f"The query uses {kind!r}{where}, which this endpoint does not run.")


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


#: Terms that stand for "any node" in a pattern, each a fresh one: the engine scans for them
#: as for a variable (``[] ?p []`` is a scan of every triple).
_FRESH = frozenset({"anon", "blank_node_property_list", "collection"})
#: Elements of a group that join with the rest of it as one part.
_PARTS = frozenset(
    {"group_or_union_graph_pattern", "optional_graph_pattern", "graph_graph_pattern", "sub_select"}
)
_EMPTY: frozenset[str] = frozenset()


def _no_cross_product(root: tree_sitter.Node, source: bytes) -> None:
    """Refuse a group that joins two parts sharing no variable or blank node, each of
    which multiplies (a scan of two or more variables or blank nodes, or VALUES of two
    or more rows), in a query that sorts or groups: the engine sorts the whole product.

    One pass over the tree: after its children, each node's set of variables and blank
    nodes (the largest child's set reused, the others added to it). Before, each group
    walked its subtree again, once per level of nesting (118 groups around a
    20,000-item IN took 5.7 s).
    """
    terms: dict[int, AbstractSet[str]] = {}
    blocks: dict[int, list[tuple[AbstractSet[str], bool]]] = {}
    stack: list[tuple[tree_sitter.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        kind = node.type
        if not done:
            if kind in ("var", "blank_node_label"):
                terms[node.id] = {_text(node, source)}
            elif kind == "anon":
                terms[node.id] = {f"[]{node.start_byte}"}
            elif node.named_child_count == 0:
                terms[node.id] = _EMPTY
            else:
                stack.append((node, True))
                stack.extend((c, False) for c in node.children if c.is_named)
            continue
        named = [c for c in node.children if c.is_named]
        sets = [terms.pop(c.id, _EMPTY) for c in named]
        if kind == "triples_block":
            blocks[node.id] = [
                (frozenset(t), len(t) >= 2)
                for c, t in zip(named, sets, strict=True)
                if c.type == "triples_same_subject"
            ]
        elif kind == "group_graph_pattern":
            _check_group(node, named, sets, blocks, source)
        elif kind == "sub_select":
            clause = next((c for c in named if c.type == "select_clause"), None)
            if clause is not None and not any(c.type == "*" for c in clause.children):
                # only what the subquery projects joins outside it
                sets = [sets[named.index(clause)]]
        merged: set[str] = set()
        if sets:
            largest = max(sets, key=len)
            merged = largest if isinstance(largest, set) else set(largest)
            for other in sets:
                if other is not largest:
                    merged |= other
        if kind in _FRESH:
            merged.add(f"[]{node.start_byte}")
        terms[node.id] = merged


def _check_group(
    group: tree_sitter.Node,
    named: list[tree_sitter.Node],
    sets: list[AbstractSet[str]],
    blocks: dict[int, list[tuple[AbstractSet[str], bool]]],
    source: bytes,
) -> None:
    """The cross-product rule for one group, given its elements' variables and blank nodes."""
    parts: list[tuple[AbstractSet[str], bool]] = []
    for child, found in zip(named, sets, strict=True):
        if child.type == "triples_block":
            parts.extend(blocks.pop(child.id, []))
        elif child.type in _PARTS:
            parts.append((found, len(found) >= 2))
        elif child.type == "inline_data" and child.named_child_count:
            parts.append((found, _values_size(child.named_children[0])[0] >= 2))
    # VALUES after the query (a child of the unit) or a subquery joins with its WHERE group
    where = group.parent
    if where is not None and where.type == "where_clause" and where.parent is not None:
        query = where.parent
        holders = [query] + ([query.parent] if query.type in QUERY_FORMS and query.parent else [])
        for clause in (c for h in holders for c in h.named_children):
            if clause.type == "values_clause" and clause.named_child_count:
                block = clause.named_children[0]
                variables = {_text(c, source) for c in block.named_children if c.type == "var"}
                parts.append((variables, _values_size(block)[0] >= 2))
    # connected components by shared variables and blank nodes
    components: list[tuple[set[str], bool]] = []
    for part, multiplies in parts:
        merged, rest, scan = set(part), [], multiplies
        for variables, had_scan in components:
            if variables & part:
                merged |= variables
                scan = scan or had_scan
            else:
                rest.append((variables, had_scan))
        components = [*rest, (merged, scan)]
    if sum(1 for _, scan in components if scan) >= 2:
        shown = [
            " ".join(sorted(v for v in vs if not v.startswith("[]"))) or "[]"
            for vs, scan in components
            if scan
        ]
        raise QueryRefused(
            400,
            "The query sorts or groups a cross product: one of its groups joins parts that "
            "share no variable or blank node (" + "; ".join(shown) + "), each a scan of two "
            "or more variables or blank nodes, or VALUES of two or more rows, and the engine "
            "would build and sort every combination before LIMIT. Join the parts through a "
            "shared variable, or drop ORDER BY / GROUP BY.",
        )


def _text(node: tree_sitter.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _longest_token_hint(canon: Canonical, token: Token) -> str:
    """Why ``?a<?b&&?b>1`` fails: SPARQL reads the longest token, and ``<?b&&?b>`` is an
    IRI (the W3C test syn-bad-26 says so; Oxigraph reads a comparison)."""
    index = canon.tokens.index(token)
    for t in canon.tokens[max(index - 1, 0) : index + 1]:
        spelled = canon.spelling(t)
        if t.kind == "iri" and spelled[1:2] in ("?", "$", "(", "!", "=", " "):
            return (
                f" ({spelled[:40]!r} reads as one IRI: SPARQL takes the longest token there "
                "is; to compare, put a space after '<': ?a < ?b)"
            )
    return ""


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
                found = f"syntax error at {where}: expected {node.type!r} after {spelled!r}"
            else:
                found = f"syntax error at {where}: unexpected {spelled!r}"
            return found + _longest_token_hint(canon, token)
        if node.has_error:
            stack.extend(reversed(node.children))
    if canon.tokens:
        return f"syntax error at {canon.where(canon.tokens[-1])}, or the query ends early"
    return "syntax error: the query is empty"
