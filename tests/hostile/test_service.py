"""SSRF through SERVICE, tried as an attacker would, proven by a local listener.

Issue 13, finding 1: ``e:\\#`` made a text check skip the rest of the line, and
the engine (or the Oxigraph server behind ``--store``) POSTed to a local
listener. Here a corpus of SERVICE spellings, each aimed at a TCP listener on a
free loopback port that records every connection, is sent by GET, form POST
and direct POST to a real ``charta serve`` (embedded, and in front of an
Oxigraph server). Every one must be refused with a reason, and the listener
must never see a connection. A control shows the corpus is live ammunition
(run unchecked in pyoxigraph, most of it reaches the listener). The second
wall is proven on its own: a process that leaves the network as the query
workers do cannot connect, and the real server's query workers are in another
network namespace. Error messages must not tell an open port from a closed one.
A differential over 2,000+ generated texts (contexts x separators x spellings)
looks for texts the policy passes but the engine reads as SERVICE; it found
``?s ?p trueservicex:{…}`` (see ``bypass_corpus``), and issue 23 found
``e:a.b.SERVICE:x`` (one prefixed name to the grammar, ``e:a.b`` ``.``
``SERVICE :x`` to Oxigraph). Since then the engine never gets the client's
text: the policy writes the query again from its tokens (full IRIs, no prefixed
names), and the differential runs that text, which is what any engine gets.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import socket
import time
import urllib.parse
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from tests.hostile._serve import Listener, Served, closed_port_like
from tests.tools import missing

pytestmark = pytest.mark.live

METHODS = ("get", "form", "direct")
#: After the last request: time for a connection that a query set off to arrive.
GRACE_S = 1.0
#: What a refusal must say: one of the policy's reasons.
REASONS = re.compile(
    r"SERVICE \(federated query\) is disabled"
    r"|Malformed query: syntax error at \d+:\d+"
    r"|The query uses '\w+' at \d+:\d+ \(line:column\), which this endpoint does not run"
    r"|read-only: SPARQL Update"
)
#: Spellings the issue and the policy's docstring name: the control must show each is live.
NAMED_LIVE = (
    "issue-e-hash",
    "glued-servicex",
    "glued-service-silent",
    "u-escape-quote-comment",
    "u-escape-in-iri",
    "base-relative",
    "prefixed-service-iri",
    "silent",
    "mixed-case",
    "no-whitespace",
)


def service_corpus(port: int) -> dict[str, str]:
    """name -> query; each aims a SERVICE (or a federated fetch) at 127.0.0.1:``port``."""
    p = str(port)
    base = f"http://127.0.0.1:{p}/"
    t = f"<{base}internal>"
    inner = "{ ?a ?b ?c }"
    esc_digit = "".join(f"\\u{ord(c):04X}" for c in "127")  # \u0031\u0032\u0037
    corpus = {
        # the issue's query, and the other PN_LOCAL_ESC escapes a text check can trip on
        "issue-e-hash": f"PREFIX e: <http://x/>\nSELECT ?a {{ BIND(e:\\# AS ?x) SERVICE {t} {inner} }}",
        "esc-dash": f"PREFIX e: <http://x/>\nSELECT ?a {{ BIND(e:a\\-b AS ?x) SERVICE {t} {inner} }}",
        "esc-dot": f"PREFIX e: <http://x/>\nSELECT ?a {{ BIND(e:a\\.b AS ?x) SERVICE {t} {inner} }}",
        "esc-quote": f"PREFIX e: <http://x/>\nSELECT ?a {{ BIND(e:\\' AS ?x) SERVICE {t} {inner} }}",
        "esc-dquote-free": f"PREFIX e: <http://x/>\nSELECT ?a {{ BIND(e:\\~\\! AS ?x) SERVICE {t} {inner} }}",
        "esc-brackets": f"PREFIX e: <http://x/>\nSELECT ?a {{ BIND(e:\\(\\) AS ?x) SERVICE {t} {inner} }}",
        "esc-hash-in-predicate": f"PREFIX e: <http://x/>\nSELECT ?a {{ ?a e:a\\#b ?c . SERVICE {t} {inner} }}",
        "esc-many": f"PREFIX e: <http://x/>\nSELECT ?a {{ BIND(e:\\#\\?\\&\\=\\/\\%\\@\\;\\,\\* AS ?x) SERVICE {t} {inner} }}",
        # '#' inside IRIs and strings, long and short strings with escapes and quotes
        "hash-in-iri": f"SELECT * {{ BIND(<http://x/#> AS ?x) SERVICE {t} {inner} }}",
        "hash-in-service-iri": f"SELECT * {{ SERVICE <{base}internal#frag> {inner} }}",
        "hash-in-string": f'SELECT * {{ BIND("#" AS ?x) SERVICE {t} {inner} }}',
        "hash-in-single-string": f"SELECT * {{ BIND('#' AS ?x) SERVICE {t} {inner} }}",
        "escaped-quote-string": f'SELECT * {{ BIND("a\\"#" AS ?x) SERVICE {t} {inner} }}',
        "escaped-single-quote": f"SELECT * {{ BIND('\\'' AS ?x) SERVICE {t} {inner} }}",
        "long-string-newline-hash": f'SELECT * {{ BIND("""a\n# "b" ""\n""" AS ?x) SERVICE {t} {inner} }}',
        "long-single-string": f"SELECT * {{ BIND('''it's # ''' AS ?x) SERVICE {t} {inner} }}",
        "string-backslash-end": f'SELECT * {{ BIND("\\\\" AS ?x) SERVICE {t} {inner} }}',
        "lang-string-hash": f'SELECT * {{ BIND("#"@en AS ?x) SERVICE {t} {inner} }}',
        # BASE and PREFIX tricks
        "base-relative": f"BASE <{base}>\nSELECT * {{ SERVICE <internal> {inner} }}",
        "base-empty-iri": f"BASE <{base}internal>\nSELECT * {{ SERVICE <> {inner} }}",
        "base-then-prefix": f"BASE <{base}>\nPREFIX s: <in/>\nSELECT * {{ SERVICE s:ternal {inner} }}",
        "prefixed-service-iri": f"PREFIX s: <{base}>\nSELECT * {{ SERVICE s:internal {inner} }}",
        "empty-prefix": f"PREFIX : <{base}internal>\nSELECT * {{ SERVICE : {inner} }}",
        "prefix-named-service": f"PREFIX service: <{base}>\nSELECT * {{ SERVICE service:x {inner} }}",
        "prefix-escaped-local": f"PREFIX s: <{base}>\nSELECT * {{ SERVICE s:in\\-ternal {inner} }}",
        # subqueries, SILENT, variables
        "subquery": f"SELECT * {{ {{ SELECT * {{ SERVICE {t} {inner} }} }} }}",
        "subquery-3": f"SELECT * {{ {{ SELECT * {{ {{ SELECT * {{ {{ SELECT * {{ SERVICE {t} {inner} }} }} }} }} }} }} }}",
        "silent": f"SELECT * {{ SERVICE SILENT {t} {inner} }}",
        "var-trailing-values": f"SELECT * {{ SERVICE ?s {inner} }} VALUES ?s {{ <{base}> }}",
        "var-values-first": f"SELECT * {{ VALUES ?s {{ <{base}> }} SERVICE ?s {inner} }}",
        "var-bind": f"SELECT * {{ BIND(<{base}> AS ?s) SERVICE ?s {inner} }}",
        "var-bind-iri-concat": f'SELECT * {{ BIND(IRI(CONCAT("http://127.0.0.1:", "{p}", "/")) AS ?s) SERVICE SILENT ?s {inner} }}',
        "silent-var-values": f"SELECT * {{ SERVICE SILENT ?s {inner} }} VALUES ?s {{ <{base}> }}",
        # case, whitespace and comments
        "lowercase": f"select * {{ service {t} {inner} }}",
        "mixed-case": f"SELECT * {{ sErViCe {t} {inner} }}",
        "mixed-case-silent": f"SELECT * {{ Service sIlEnT {t} {inner} }}",
        "tabs": f"SELECT\t*\t{{\tSERVICE\t{t}\t{inner}\t}}",
        "newlines": f"SELECT *\n{{\nSERVICE\n{t}\n{inner}\n}}",
        "cr-formfeed": f"SELECT * {{\rSERVICE\r{t}\r{inner} }}",
        "comments-between": f"SELECT * {{ # one\nSERVICE # two\n{t} # three\n{inner} }}",
        "comment-glued": f"SELECT * {{ SERVICE#c\n{t}#c\n{inner} }}",
        "comment-backslash": f"SELECT * {{ # a comment that ends in a backslash \\\nSERVICE {t} {inner} }}",
        "no-whitespace": f"SELECT*{{SERVICE{t}{{?a?b?c}}}}",
        "glued-servicex": f"PREFIX x: <{base}>\nSELECT * {{ servicex: {inner} }}",
        "glued-service-silent": f"SELECT * {{ SERVICESILENT{t}{inner} }}",
        "glued-silent-iri": f"SELECT * {{ SERVICE SILENT{t}{inner} }}",
        "comment-cr": f"SELECT * {{ ?s ?p ?o # c\rSERVICE {t} {inner} }}",
        "comment-line-separator": f"SELECT * {{ ?s ?p ?o # c\u2028SERVICE {t} {inner} }}",
        "glued-after-dot": f"SELECT * {{ ?s ?p ?o.SERVICE{t}{inner} }}",
        "glued-after-brace": f"SELECT * {{ {{}}SERVICE{t}{inner} }}",
        "glued-after-true": f"SELECT * {{ ?s ?p trueSERVICE{t}{inner} }}",
        "bom": f"\ufeffSELECT * {{ SERVICE {t} {inner} }}",
        "nbsp": f"SELECT * {{ SERVICE\u00a0{t} {inner} }}",
        # unicode escapes
        "u-escape-keyword": f"SELECT * {{ \\u0053ERVICE {t} {inner} }}",
        "u-escape-middle": f"SELECT * {{ SERV\\u0049CE {t} {inner} }}",
        "U-escape-keyword": f"SELECT * {{ \\U00000053ERVICE {t} {inner} }}",
        "u-escape-in-iri": f"SELECT * {{ SERVICE <http://{esc_digit}.0.0.1:{p}/internal> {inner} }}",
        "u-escape-angle": f"SELECT * {{ SERVICE \\u003C{base}internal\\u003E {inner} }}",
        "u-escape-quote-comment": f'SELECT * {{ BIND("\\u0022 # " AS ?x) SERVICE {t} {inner} }}',
        "u-escape-quote-in-long": f'SELECT * {{ BIND("""\\u0022""" AS ?x) SERVICE {t} {inner} }}',
        "u-escape-hash-in-name": f"PREFIX e: <http://x/>\nSELECT * {{ BIND(e:a\\u0023 AS ?x) SERVICE {t} {inner} }}",
        # inside other patterns
        "filter-exists": f"SELECT * {{ ?s ?p ?o FILTER EXISTS {{ SERVICE {t} {inner} }} }}",
        "filter-not-exists": f"SELECT * {{ ?s ?p ?o FILTER NOT EXISTS {{ SERVICE {t} {inner} }} }}",
        "bind-exists": f"SELECT * {{ BIND(EXISTS {{ SERVICE {t} {inner} }} AS ?x) }}",
        "projection-exists": f"SELECT (EXISTS {{ SERVICE {t} {inner} }} AS ?x) {{ }}",
        "having-exists": f"SELECT (COUNT(*) AS ?n) {{ ?s ?p ?o }} HAVING (EXISTS {{ SERVICE {t} {inner} }})",
        "minus": f"SELECT * {{ ?s ?p ?o MINUS {{ SERVICE {t} {inner} }} }}",
        "optional": f"SELECT * {{ OPTIONAL {{ SERVICE {t} {inner} }} }}",
        "graph": f"SELECT * {{ GRAPH ?g {{ SERVICE {t} {inner} }} }}",
        "union": f"SELECT * {{ {{ ?s ?p ?o }} UNION {{ SERVICE {t} {inner} }} }}",
        "service-in-service": f"SELECT * {{ SERVICE {t} {{ SERVICE {t} {inner} }} }}",
        # other query forms
        "construct": f"CONSTRUCT {{ ?a ?b ?c }} WHERE {{ SERVICE {t} {inner} }}",
        "ask": f"ASK {{ SERVICE {t} {inner} }}",
        "describe": f"DESCRIBE ?a WHERE {{ SERVICE {t} {inner} }}",
        # other hosts for the same listener
        "localhost": f"SELECT * {{ SERVICE <http://localhost:{p}/internal> {inner} }}",
        "uppercase-scheme": f"SELECT * {{ SERVICE <HTTP://127.0.0.1:{p}/internal> {inner} }}",
        "userinfo": f"SELECT * {{ SERVICE <http://u:pw@127.0.0.1:{p}/internal> {inner} }}",
        # updates that would fetch: refused as updates (403)
        "update-where-service": f"INSERT {{ ?a ?b ?c }} WHERE {{ SERVICE {t} {inner} }}",
        "update-load": f"LOAD <{base}data.ttl>",
        "query-then-update": f"ASK {{ }} ;\nLOAD <{base}data.ttl>",
    }
    return corpus


#: For the differential: what may stand before SERVICE, between its tokens, and its spellings.
_BEFORE = (
    "",
    "?s ?p ?o ",
    "?s ?p ?o .",
    "?s ?p ?o ;",
    "?s ?p ?o ,",
    "?s ?p 1",
    "?s ?p 1.5",
    "?s ?p 1e3",
    "?s ?p true",
    "?s ?p false",
    '?s ?p "x"',
    '?s ?p "x"@en',
    '?s ?p "x"^^<http://x/t>',
    "?s ?p <http://x/o>",
    "?s ?p []",
    "?s ?p ()",
    "?s ?p _:b",
    "?s a",
    "FILTER(true)",
    "BIND(1 AS ?x)",
    "{}",
    "OPTIONAL{}",
    "MINUS{}",
    "VALUES ?x {UNDEF}",
)
_SEPARATORS = (
    "",
    " ",
    "\t",
    "\n",
    "\r",
    "\x0b",
    "\x0c",
    "\x85",
    "\u2028",
    "\u2029",
    "\u00a0",
    "\ufeff",
    "\u200b",
    "\x00",
)
_KEYWORDS = ("SERVICE", "service", "SERVICE SILENT", "SERVICESILENT", "servicex:", "SERVICE\\u0020")
_COMMENTS = ("#c", "# c \\", "#c\\u000A")


def differential_candidates(port: int) -> list[str]:
    """Generated texts where a tokeniser might read SERVICE where another reads none:
    every context before it x every separator x every spelling, and comments that
    end in unusual line ends (1,000+ texts)."""
    t = f"<http://127.0.0.1:{port}/internal>"
    out = []
    for before in _BEFORE:
        for sep in _SEPARATORS:
            for word in _KEYWORDS:
                head = f"PREFIX x: <http://127.0.0.1:{port}/>\n" if word == "servicex:" else ""
                target = "" if word == "servicex:" else t
                out.append(
                    f"{head}SELECT * WHERE {{ {before}{sep}{word}{sep}{target}{sep}{{ ?a ?b ?c }} }}"
                )
    for comment in _COMMENTS:
        for sep in _SEPARATORS:
            out.append(f"SELECT * WHERE {{ ?s ?p ?o {comment}{sep}SERVICE {t} {{ ?a ?b ?c }} }}")
    return out


def bypass_corpus(port: int) -> dict[str, str]:
    """Spellings that get through the policy (found by the differential below).

    tree-sitter reads ``trueservicex:`` as one prefixed name (prefix ``trueservicex``,
    which does not start with "service"); Oxigraph matches keywords without a word
    boundary and reads ``true`` (the object) followed by ``SERVICE x:``. The data
    has ``true`` objects (cgi:entscheidend), so the SERVICE runs.
    """
    base = f"http://127.0.0.1:{port}/"
    inner = "{ ?a ?b ?c }"
    return {
        "true-servicex": f"PREFIX x: <{base}>\nSELECT * WHERE {{ ?s ?p trueservicex:{inner} }}",
        "false-servicex": f"PREFIX x: <{base}>\nSELECT * WHERE {{ ?s ?p falseservicex:{inner} }}",
        "true-SERVICE-empty-prefix": f"PREFIX : <{base}>\nSELECT * WHERE {{ ?s ?p trueSERVICE:{inner} }}",
        "true-service-silent": f"PREFIX x: <{base}>\nSELECT * WHERE {{ ?s ?p trueserviceSILENTx:{inner} }}",
        "true-servicex-in-optional": (
            f"PREFIX x: <{base}>\nSELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ ?s ?p trueservicex:{inner} }} }}"
        ),
    }


BYPASS_REASON = (
    "finding: the policy passes `?s ?p trueservicex:{…}` (tree-sitter: one prefixed name "
    "'trueservicex:'; Oxigraph: `true` then SERVICE x:) and the engine sends the SERVICE; "
    "in embedded mode the network namespace stops it, in remote mode the Oxigraph server "
    "connects to the listener"
)


def expected_status(name: str) -> int:
    """403 for updates (the honest status of a read-only endpoint), else 400."""
    return 403 if name.startswith("update-") else 400


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    canary = Listener()
    yield canary
    canary.close()


def test_corpus_is_large_and_aims_at_the_listener() -> None:
    corpus = service_corpus(54321)
    assert len(corpus) >= 40
    for name, query in corpus.items():
        assert "54321" in query or "\\u0035" in query, name


def _run_unchecked(query: str) -> None:
    """Evaluate ``query`` in pyoxigraph with no policy in front, to the end."""
    import pyoxigraph as ox

    store = ox.Store()
    s, xsd = ox.NamedNode("http://x/s"), "http://www.w3.org/2001/XMLSchema#"
    objects = [
        ox.NamedNode("http://x/o"),
        ox.Literal("x"),
        ox.Literal("x", language="en"),
        ox.Literal("1", datatype=ox.NamedNode(xsd + "integer")),
        ox.Literal("true", datatype=ox.NamedNode(xsd + "boolean")),
        ox.Literal("false", datatype=ox.NamedNode(xsd + "boolean")),
    ]
    for o in objects:  # so that a pattern before a SERVICE has a match, as on real data
        store.add(ox.Quad(s, ox.NamedNode("http://x/p"), o))
    store.add(ox.Quad(s, ox.NamedNode("http://x/a#b"), objects[0]))
    if re.match(r"\s*(INSERT|LOAD)", query):
        store.update(query)
        return
    answer = store.query(query)
    if not isinstance(answer, ox.QueryBoolean):
        list(answer)


def test_control_the_corpus_is_live_ammunition() -> None:
    """Without the policy, the engine itself connects to the listener for most of
    the corpus, the issue's spelling and the glued forms included: the refusals
    below are what stands between these texts and a request."""
    canary = Listener()
    try:
        live = set()
        for name, query in service_corpus(canary.port).items():
            before = canary.count()
            try:
                _run_unchecked(query)
            except Exception:  # the listener answers 500; a syntax error: not live
                pass
            # the engine's request is made (and counted on accept) before the query ends
            if canary.count() > before:
                live.add(name)
    finally:
        canary.close()
    print(f"{len(live)} of {len(service_corpus(1))} spellings reach the listener unchecked")
    assert set(NAMED_LIVE) <= live, sorted(set(NAMED_LIVE) - live)
    assert len(live) >= 40, sorted(live)


def test_every_service_spelling_is_refused_and_nothing_connects(
    served: Served, listener: Listener
) -> None:
    corpus = service_corpus(listener.port)
    before = listener.count()
    problems = []
    reasons: dict[str, int] = {}
    for name, query in corpus.items():
        for how in METHODS:
            answer = served.sparql(query, how)
            found = REASONS.search(answer.body)
            if answer.status != expected_status(name) or not found:
                problems.append(f"{name} by {how}: {answer.status} {answer.body[:200]!r}")
            elif found:
                reason = re.sub(r"\d+:\d+|\\[uU]\w+", "…", found.group())
                reasons[reason] = reasons.get(reason, 0) + 1
    time.sleep(GRACE_S)
    seen = listener.seen[before:]
    print(f"{served.mode}: {len(corpus)} spellings x {len(METHODS)} methods; reasons {reasons}")
    assert not seen, f"the listener was connected to: {seen}"
    assert not problems, "\n".join(problems)
    served.assert_healthy()
    assert "Traceback" not in served.log_text()


def test_a_release_endpoint_refuses_every_spelling_too(served: Served, listener: Listener) -> None:
    """/version/1.0.0/sparql (releases/1.0.0/) runs its queries through the same policy."""
    corpus = service_corpus(listener.port)
    before = listener.count()
    problems = []
    for n, (name, query) in enumerate(corpus.items()):
        how = METHODS[n % len(METHODS)]
        answer = served.sparql(query, how, endpoint="/version/1.0.0/sparql")
        if answer.status != expected_status(name) or not REASONS.search(answer.body):
            problems.append(f"{name} by {how}: {answer.status} {answer.body[:200]!r}")
    time.sleep(GRACE_S)
    assert not listener.seen[before:], f"the listener was connected to: {listener.seen[before:]}"
    assert not problems, "\n".join(problems)
    ok = served.sparql("ASK { ?s ?p ?o }", endpoint="/version/1.0.0/sparql")
    assert ok.status == 200, ok.body[:300]


def test_updates_are_refused_by_every_route(served: Served, listener: Listener) -> None:
    """The protocol's own update routes (``update=`` and sparql-update bodies) with a
    fetching update: 403, nothing fetched."""
    update = f"LOAD <http://127.0.0.1:{listener.port}/data.ttl>"
    before = listener.count()
    form = served.request(
        "POST",
        "/sparql",
        body=urllib.parse.urlencode({"update": update}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    direct = served.request(
        "POST",
        "/sparql",
        body=update.encode(),
        headers={"Content-Type": "application/sparql-update"},
    )
    get = served.request("GET", "/sparql?" + urllib.parse.urlencode({"update": update}))
    time.sleep(GRACE_S)
    assert listener.count() == before
    for answer in (form, direct, get):
        assert answer.status == 403, answer.body[:200]
        assert "read-only" in answer.body


def dataset_queries(port: int) -> dict[str, tuple[str, dict[str, str]]]:
    """Legit queries that name the listener as a graph: allowed, never fetched."""
    g = f"http://127.0.0.1:{port}/graph"
    return {
        "from": (f"SELECT * FROM <{g}> WHERE {{ ?s ?p ?o }} LIMIT 1", {}),
        "from-named": (f"SELECT * FROM NAMED <{g}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
        "graph-iri": (f"SELECT * WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }} LIMIT 1", {}),
        "describe-iri": (f"DESCRIBE <{g}>", {}),
        "default-graph-uri": ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", {"default-graph-uri": g}),
        "named-graph-uri": (
            "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1",
            {"named-graph-uri": g},
        ),
    }


def _get(served: Served, query: str, params: dict[str, str], accept: str = "*/*"):  # type: ignore[no-untyped-def]
    qs = urllib.parse.urlencode({"query": query, **params})
    return served.request("GET", f"/sparql?{qs}", headers={"Accept": accept})


def test_dataset_iris_are_never_fetched(served: Served, listener: Listener) -> None:
    """FROM, FROM NAMED, GRAPH, DESCRIBE and the protocol's graph parameters name
    graphs of this store only: standard queries, answered 200, nothing fetched."""
    before = listener.count()
    for name, (query, params) in dataset_queries(listener.port).items():
        answer = _get(served, query, params)
        assert answer.status == 200, (name, answer.status, answer.body[:300])
    time.sleep(GRACE_S)
    assert listener.count() == before, listener.seen[before:]


def test_answers_do_not_tell_an_open_port_from_a_closed_one(
    served: Served, listener: Listener
) -> None:
    """The issue: error messages revealed which local ports are open. The same
    queries aimed at the listener and at a closed port get the same status and the
    same body apart from the port number."""
    closed = closed_port_like(listener.port)
    names = ("issue-e-hash", "plain-looking", "silent", "var-bind", "glued-servicex", "localhost")
    open_corpus = service_corpus(listener.port)
    closed_corpus = service_corpus(closed)
    open_corpus["plain-looking"] = (
        f"SELECT * {{ SERVICE <http://127.0.0.1:{listener.port}/> {{}} }}"
    )
    closed_corpus["plain-looking"] = f"SELECT * {{ SERVICE <http://127.0.0.1:{closed}/> {{}} }}"
    before = listener.count()
    for name in names:
        for how in METHODS:
            a = served.sparql(open_corpus[name], how)
            b = served.sparql(closed_corpus[name], how)
            assert a.status == b.status, (name, how, a.status, b.status)
            assert a.body.replace(str(listener.port), "PORT") == b.body.replace(str(closed), "PORT")
    for name, (query, params) in dataset_queries(listener.port).items():
        other = dataset_queries(closed)[name]
        a, b = _get(served, query, params), _get(served, *other)
        assert a.status == b.status == 200, name
        assert a.body.replace(str(listener.port), "PORT") == b.body.replace(str(closed), "PORT")
    time.sleep(GRACE_S)
    assert listener.count() == before


# --- the second wall: query workers have no network ------------------------------


def _isolated_child(port: int, conn: Connection) -> None:
    """Connect to the listener, leave the network as a query worker does, try again."""
    from server.sparql.sandbox import isolate_network

    results: dict[str, str] = {}
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        results["before"] = "connected"
    except OSError as exc:
        results["before"] = f"failed: {exc}"
    results["isolation"] = isolate_network()
    for host in ("127.0.0.1", "localhost"):
        try:
            socket.create_connection((host, port), timeout=2).close()
            results[host] = "connected"
        except OSError as exc:
            results[host] = f"failed: {exc}"
    conn.send(results)


def test_a_process_that_left_the_network_cannot_connect() -> None:
    """Independent of the policy: in a spawned child, isolate_network() (what each
    query worker calls first) leaves a process that cannot reach the listener,
    which the same process reached a moment before."""
    canary = Listener()
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_isolated_child, args=(canary.port, child), daemon=True)
    proc.start()
    child.close()
    try:
        assert parent.poll(60), "the child did not report"
        results = parent.recv()
    finally:
        proc.join(10)
        time.sleep(0.2)
        canary.close()
    assert results["before"] == "connected", results
    if not results["isolation"]:
        # a skip elsewhere, a failure in CI: the second wall must be proven there
        missing("this system allows no network namespace (neither root nor user namespaces)")
    assert results["isolation"] in ("network namespace", "user and network namespace")
    assert results["127.0.0.1"].startswith("failed"), results
    assert results["localhost"].startswith("failed"), results
    assert canary.count() == 1, canary.seen  # the connection made before leaving, only


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").iterdir():
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for c in children:
                out.append(int(c))
                todo.append(int(c))
    return out


def test_the_served_query_workers_are_off_the_network(served: Served) -> None:
    """In the running ``charta serve`` (embedded), every query worker process is in a
    network namespace of its own, not the web process's."""
    if served.mode != "embedded":
        pytest.skip("remote mode has no query workers; docs/deploy.md covers the SPARQL server")
    if not Path("/proc/self/ns/net").exists():
        missing("no /proc namespaces on this system")
    from server.sparql.sandbox import probe_isolation

    if not probe_isolation():
        missing("this system allows no network namespace")
    own = os.readlink("/proc/self/ns/net")
    workers = []
    for pid in _descendants(served.proc.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            ns = os.readlink(f"/proc/{pid}/ns/net")
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            workers.append((pid, ns))
    assert workers, "no query worker processes found"
    assert all(ns != own for _, ns in workers), workers


def _canonical(query: str) -> str | None:
    """The text an engine would get for ``query``, or None when the policy refuses it."""
    from server.sparql import QueryRefusedError
    from server.sparql.policy import check

    try:
        return check(query, 65536, 256).text
    except QueryRefusedError:
        return None


def _passes_policy(query: str) -> bool:
    return _canonical(query) is not None


def test_differential_nothing_the_policy_passes_reaches_the_listener() -> None:
    """Over 2,000 generated texts: of those the policy lets through (a handful, which
    the engine rejects as syntax), none makes the unchecked engine connect when it
    runs what the policy hands on (the canonical text); of those it refuses, many
    would have connected as the client wrote them."""
    canary = Listener()
    try:
        live_refused = survivors_live = 0
        candidates = differential_candidates(canary.port)
        survivors = []
        for query in candidates:
            written = _canonical(query)
            passes = written is not None
            before = canary.count()
            try:
                _run_unchecked(written if written is not None else query)
            except Exception:  # the listener answers 500; a syntax error: not live
                pass
            if passes:
                survivors.append(query)
                survivors_live += canary.count() > before
            else:
                live_refused += canary.count() > before
        time.sleep(0.5)
    finally:
        canary.close()
    print(
        f"{len(candidates)} generated: {len(survivors)} pass the policy "
        f"({survivors_live} of them reach the listener); "
        f"at least {live_refused} refused ones would have"
    )
    assert survivors_live == 0, survivors
    assert live_refused >= len(candidates) // 10


def test_differential_survivors_sent_to_the_server_do_not_connect(
    served: Served, listener: Listener, request: pytest.FixtureRequest
) -> None:
    """The few generated texts the policy passes reach the real engine (pyoxigraph in a
    worker, or the Oxigraph server): it must not read a SERVICE in them either. In
    embedded mode the second wall holds (the worker has no network)."""
    survivors = [q for q in differential_candidates(listener.port) if _passes_policy(q)]
    assert len(survivors) < 50
    before = listener.count()
    statuses = []
    for query in survivors:
        answer = served.sparql(query, "direct")
        statuses.append(answer.status)
        assert answer.status < 500, (query, answer.status, answer.body[:200])
    time.sleep(GRACE_S)
    print(f"{served.mode}: {len(survivors)} survivors answered {sorted(set(statuses))}")
    assert listener.count() == before, listener.seen[before:]


def test_glued_true_service_spellings_are_refused(served: Served, listener: Listener) -> None:
    before = listener.count()
    answers = {}
    for name, query in bypass_corpus(listener.port).items():
        for how in METHODS:
            a = served.sparql(query, how, accept="application/sparql-results+json")
            answers[f"{name} by {how}"] = f"{a.status} {a.body[:160]!r}"
    time.sleep(GRACE_S)
    seen = listener.count() - before
    print(f"{served.mode}: listener saw {seen} connections; answers {answers}")
    assert seen == 0, answers
    for key, text in answers.items():
        assert text.startswith("400") and REASONS.search(text), (key, text)


def issue_23_attack(port: int) -> dict[str, str]:
    """Issue 23, finding 1, in every query form: ``e:a.b.SERVICE:x`` is one prefixed name
    (SPARQL and tree-sitter), but Oxigraph 0.5 read ``e:a.b`` ``.`` ``SERVICE :x {…}``
    and Oxigraph server connected to the listener. Now the engine gets the single IRI
    ``<http://x/a.b.SERVICE:x>`` and nothing else."""
    head = f"PREFIX e: <http://x/> PREFIX : <http://127.0.0.1:{port}/> "
    return {
        "select": head + "SELECT * { ?s ?p e:a.b.SERVICE:x {} }",
        "select-silent": head + "SELECT * { ?s ?p e:a.b.SERVICESILENT:x {} }",
        "ask": head + "ASK { ?s ?p e:a.b.SERVICE:x {} }",
        "construct": head + "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p e:a.b.SERVICE:x {} }",
        "describe": head + "DESCRIBE ?s WHERE { ?s ?p e:a.b.SERVICE:x {} }",
        "graph-of-store": head + "SELECT * { ?s ?p e:a.b.SERVICE:query { GRAPH ?g { ?a ?b ?c } } }",
    }


def test_issue_23_dotted_name_runs_as_one_iri_and_nothing_connects(
    served: Served, listener: Listener
) -> None:
    """GET, form POST, direct POST and a release's endpoint, every query form: each is
    answered (the name is one IRI, so the pattern simply matches nothing) and the
    listener sees no connection, in both modes."""
    before = listener.count()
    problems = []
    for name, query in issue_23_attack(listener.port).items():
        for how in METHODS:
            for endpoint in ("/sparql", "/version/1.0.0/sparql"):
                answer = served.sparql(query, how, endpoint=endpoint)
                if answer.status != 200:
                    problems.append(f"{name} {how} {endpoint}: {answer.status} {answer.body[:200]}")
    time.sleep(GRACE_S)
    assert listener.count() == before, listener.seen[before:]
    assert not problems, "\n".join(problems)
    written = _canonical(issue_23_attack(listener.port)["select"])
    assert written == "SELECT * { ?s ?p <http://x/a.b.SERVICE:x> { } }"


#: Standard queries that only mention the word: they must be answered, not refused.
LEGIT_MENTIONS = {
    "variable": "SELECT ?service WHERE { ?service ?p ?o } LIMIT 1",
    "local-name": "PREFIX ex: <http://example.org/>\nSELECT * WHERE { ?s ex:service ?o } LIMIT 1",
    "class": "PREFIX schema: <http://schema.org/>\nASK { ?s a schema:Service }",
    "string": 'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:1/> {}" } LIMIT 1',
    "comment": "# SERVICE <http://127.0.0.1:1/> { }\nASK { }",
    "iri": "ASK { ?s <http://example.org/SERVICE> ?o }",
}


def test_queries_that_only_mention_service_are_answered(served: Served) -> None:
    for name, query in LEGIT_MENTIONS.items():
        answer = served.sparql(query, "get", accept="application/sparql-results+json")
        assert answer.status == 200, (name, answer.status, answer.body[:200])


def test_an_engine_error_during_the_answer_is_an_error_not_an_empty_answer() -> None:
    """Issue 23: in embedded mode the dotted-name SERVICE made no connection (the worker
    has no network) but was answered 200 with no rows: the engine's error came while the
    rows were read, and was taken for the end of the rows. A query worker builds its
    answer with evaluate(); an error there must reach the client (the worker answers
    it as a 400), never become an empty answer. (Run here without the policy, which
    refuses such a text before any worker sees it.)"""
    import pyoxigraph as ox

    from server.sparql import QueryJob
    from server.sparql.evaluate import evaluate

    closed = closed_port_like(40000)
    job = QueryJob(
        f"SELECT * {{ SERVICE <http://127.0.0.1:{closed}/> {{ }} }}", "SELECT", "json", 10
    )
    with pytest.raises(OSError):
        evaluate(ox.Store(), job, {}, None)
