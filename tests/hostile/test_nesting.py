"""Deep nesting at every depth up to the byte limit, against a real ``charta serve``.

Issue 13, finding 2: 2,000 nested groups (4 KB) aborted the Oxigraph server
behind ``--store``, 2,500 segfaulted a web worker, and in embedded mode 3,000+
killed a query worker (503 instead of 400). Here each construct that nests or
chains is sent at depths 1..50, then growing by half each step up to
CHARTA_MAX_QUERY_BYTES, plus the deepest text the policy accepts and the first
it refuses, the deepest that fits in the byte limit and one byte over it. Every
answer must be 200 or 400 with a reason (400 above CHARTA_MAX_QUERY_DEPTH;
413 only over the byte limit), never a 5xx; afterwards the server, and in
remote mode the Oxigraph server behind it, still answers. Requests go two at a
time (CHARTA_SPARQL_PER_CLIENT's default), by direct and form POST (a form body
over the app's body limit goes direct: see the form-POST finding below; a GET of
64 KB exceeds the URL limit and gets 414, checked once).
"""

from __future__ import annotations

import re
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.config import Config
from server.sparql import QueryRefusedError
from server.sparql.policy import check
from tests.hostile._serve import Answer, Served

pytestmark = pytest.mark.live

LIMITS = Config.from_env()
MAX_BYTES = LIMITS.max_query_bytes
MAX_DEPTH = LIMITS.max_query_depth
#: Nesting that real queries use: at or below it every construct must be answered 200.
LEGIT_DEPTH = 32
THREADS = 2
P = "<http://x/p>"
#: Deep nesting, or too many triple patterns or graph patterns in the whole query (deep
#: OPTIONALs, UNIONs and blank-node lists reach those counts before the depth limit).
TOO_DEEP = re.compile(
    r"The query nests \d+ levels deep; at most \d+ are accepted"
    r"|The query holds more than \d+ (triple|graph) patterns"
)
TOO_LONG = re.compile(r"The query is \d+ bytes long; at most \d+ are accepted")


def groups(n: int) -> str:
    return "SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n + " LIMIT 1"


def filter_parens(n: int) -> str:
    return "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * n + "?o" + ")" * n + ") } LIMIT 1"


def optionals(n: int) -> str:
    return "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * n + "}" * n + " } LIMIT 1"


def subqueries(n: int) -> str:
    return "SELECT * WHERE { " + "{ SELECT * WHERE { " * n + "?s ?p ?o" + " } LIMIT 1 }" * n + " }"


def paths(n: int) -> str:
    return "SELECT * WHERE { ?s " + "(" * n + P + ")" * n + " ?o } LIMIT 1"


def or_chain(n: int) -> str:
    return "SELECT * WHERE { ?s ?p ?o FILTER(" + " || ".join(["?o"] * (n + 1)) + ") } LIMIT 1"


def and_chain(n: int) -> str:
    return "SELECT * WHERE { ?s ?p ?o FILTER(" + " && ".join(["?o"] * (n + 1)) + ") } LIMIT 1"


def plus_chain(n: int) -> str:
    return "SELECT ?x WHERE { BIND(" + "+".join(["1"] * (n + 1)) + " AS ?x) }"


def unions(n: int) -> str:
    return "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * (n + 1)) + " } LIMIT 1"


def binds(n: int) -> str:
    return "SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(n)) + " }"


def bnode_lists(n: int) -> str:
    return f"SELECT * WHERE {{ ?s {P} " + f"[ {P} " * n + "?o" + " ]" * n + " } LIMIT 1"


def exists(n: int) -> str:
    return "SELECT * WHERE { ?s ?p ?o " + "FILTER EXISTS { ?s ?p ?o " * n + "}" * n + " } LIMIT 1"


def not_exists(n: int) -> str:
    return "ASK { ?s ?p ?o " + "FILTER NOT EXISTS { ?s ?p ?o " * n + "}" * n + " }"


def calls(n: int) -> str:
    return "SELECT ?x WHERE { BIND(" + "STR(" * n + '"a"' + ")" * n + " AS ?x) }"


#: name -> query of nesting (or chain length) n; n = 1 is a plain, valid query.
CONSTRUCTS: dict[str, Callable[[int], str]] = {
    f.__name__: f
    for f in (
        groups,
        filter_parens,
        optionals,
        subqueries,
        paths,
        or_chain,
        and_chain,
        plus_chain,
        unions,
        binds,
        bnode_lists,
        exists,
        not_exists,
        calls,
    )
}


def accepted(query: str) -> bool:
    try:
        check(query, MAX_BYTES, MAX_DEPTH)
    except QueryRefusedError:
        return False
    return True


def largest(build: Callable[[int], str], ok: Callable[[str], bool]) -> int:
    """The largest n with ``ok(build(n))``, for ``ok`` that holds up to a point."""
    lo, hi = 1, 2
    while ok(build(hi)):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(build(mid)) else (lo, mid)
    return lo


def fits(query: str) -> bool:
    return len(query.encode()) <= MAX_BYTES


@dataclass(frozen=True)
class Probe:
    construct: str
    depth: int
    query: str

    @property
    def size(self) -> int:
        return len(self.query.encode())


def sweep(name: str) -> list[Probe]:
    """Depths 1..50, then x1.5 while the text fits the byte limit; the policy's edge
    (deepest accepted, first refused); the deepest that fits; one past the byte limit."""
    build = CONSTRUCTS[name]
    depths = list(range(1, 51))
    d = 50
    while fits(build(d := int(d * 1.5))):
        depths.append(d)
    edge = largest(build, accepted)
    deepest = largest(build, fits)
    depths += [edge, edge + 1, deepest, deepest + 1]
    return [Probe(name, n, build(n)) for n in sorted(set(depths))]


PROBES = {name: sweep(name) for name in CONSTRUCTS}


def test_the_sweep_is_bounded_and_reaches_both_limits() -> None:
    total = sum(len(p) for p in PROBES.values())
    assert total <= 1000
    for name, probes in PROBES.items():
        assert probes[0].depth == 1 and accepted(probes[0].query), name
        assert max(p.depth for p in probes) > MAX_DEPTH, name
        assert any(p.size > MAX_BYTES for p in probes), name
        assert max(p.size for p in probes if p.size <= MAX_BYTES) > MAX_BYTES - 64, name


def _form_fits(query: str) -> bool:
    """Whether the form-encoded body is within the app's body limit (twice the query
    limit): percent-encoding triples a brace, so near the byte limit it is not."""
    return len(urllib.parse.urlencode({"query": query})) <= 2 * MAX_BYTES


def _send(served: Served, probe: Probe, i: int) -> tuple[Probe, Answer, float]:
    started = time.monotonic()
    how = "form" if i % 2 and _form_fits(probe.query) else "direct"
    answer = served.sparql(probe.query, how, accept="application/sparql-results+json")
    return probe, answer, time.monotonic() - started


def _judge(probe: Probe, answer: Answer) -> str | None:
    """What is wrong with this answer, or None."""
    where = f"{probe.construct} depth {probe.depth} ({probe.size} B): {answer.status}"
    body = answer.body[:300]
    if probe.size > MAX_BYTES:
        return None if answer.status == 413 and TOO_LONG.search(body) else f"{where} {body!r}"
    if answer.status == 200:
        if probe.depth > MAX_DEPTH:
            return f"{where}: answered although deeper than {MAX_DEPTH}"
        return None if '"head"' in body else f"{where}: not a results document {body!r}"
    if answer.status == 400:
        if probe.depth <= LEGIT_DEPTH:
            return f"{where}: a legit nesting refused {body!r}"
        return None if TOO_DEEP.search(body) else f"{where}: 400 without the depth reason {body!r}"
    return f"{where} {body!r}"


def test_every_depth_is_answered_200_or_400_never_5xx(served: Served) -> None:
    probes = [p for name in CONSTRUCTS for p in PROBES[name]]
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda ip: _send(served, ip[1], ip[0]), enumerate(probes)))
    took = time.monotonic() - started
    problems = [m for p, a, _ in answers if (m := _judge(p, a))]
    first_refused: dict[str, int] = {}
    for name in CONSTRUCTS:
        mine = [(p.depth, a.status) for p, a, _ in answers if p.construct == name]
        refused = [d for d, s in mine if s != 200]
        first_refused[name] = min(refused)
        late = [d for d, s in mine if s == 200 and d > first_refused[name]]
        if late:
            problems.append(f"{name}: refused at {first_refused[name]} but answered at {late}")
    slowest = max(answers, key=lambda a: a[2])
    print(
        f"{served.mode}: {len(probes)} requests in {took:.1f} s; slowest "
        f"{slowest[0].construct} depth {slowest[0].depth} {slowest[2]:.2f} s; first refused "
        f"depth per construct: {first_refused}"
    )
    assert not problems, "\n".join(problems)
    log = served.log_text()
    assert "Traceback" not in log
    assert "query worker died" not in log and "worker had ended" not in log
    served.assert_healthy()
    if served.mode == "remote":
        behind = served.store_url
        assert behind
        body = urllib.parse.urlencode({"query": "ASK { GRAPH ?g { ?s ?p ?o } }"}).encode()
        req = urllib.request.Request(
            behind, data=body, headers={"Accept": "application/sparql-results+json"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200 and b"true" in resp.read()


def test_a_deep_get_is_refused_not_5xx(served: Served) -> None:
    """By GET, a text near the byte limit is a URL beyond the server's limit (414, or
    431 from the request header cap); one that fits is judged like a POST."""
    small = groups(MAX_DEPTH + 1)
    assert served.sparql(small, "get").status == 400
    big = served.sparql(groups(largest(groups, fits)), "get")
    assert big.status in (400, 414, 431), big.body[:200]
    served.assert_healthy()


def test_a_legit_query_within_the_byte_limit_is_answered_by_form_post(served: Served) -> None:
    labels = " ".join('"äöü"' for _ in range(5400))
    query = f"SELECT ?x WHERE {{ VALUES ?x {{ {labels} }} }} LIMIT 1"
    assert len(query.encode()) < 0.75 * MAX_BYTES and accepted(query)
    direct = served.sparql(query, "direct", accept="application/sparql-results+json")
    assert direct.status == 200, direct.body[:200]
    form = served.sparql(query, "form", accept="application/sparql-results+json")
    assert form.status == 200, form.body[:200]


def test_a_wide_group_is_refused_before_the_planner_sees_it(served: Served) -> None:
    """Oxigraph's join planner is super-linear in the triple patterns of one group: an
    object list of 400 variables (2.7 KB, nesting 10) kept a query worker busy to the
    timeout, and Oxigraph server's own --timeout-s does not stop planning. The policy
    now caps the patterns of one group (CHARTA_MAX_QUERY_PATTERNS, 64)."""
    query = f"SELECT * WHERE {{ ?s {P} " + ", ".join(f"?o{i}" for i in range(400)) + " } LIMIT 1"
    started = time.monotonic()
    answer = served.sparql(query, "direct", accept="application/sparql-results+json")
    assert answer.status == 400, (answer.status, answer.body[:200])
    assert "triple patterns" in answer.body
    assert time.monotonic() - started < 2
    ok = f"SELECT * WHERE {{ ?s {P} " + ", ".join(f"?o{i}" for i in range(60)) + " } LIMIT 1"
    assert served.sparql(ok, "direct", accept="application/sparql-results+json").status == 200
    served.assert_healthy()


def _store_answers(served: Served) -> None:
    """The server answers, and in remote mode so does the Oxigraph server behind it."""
    served.assert_healthy()
    if served.mode == "remote":
        assert served.store_url
        body = urllib.parse.urlencode({"query": "ASK { }"}).encode()
        req = urllib.request.Request(
            served.store_url, data=body, headers={"Accept": "application/sparql-results+json"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200


def test_sibling_groups_are_counted_together(served: Served) -> None:
    """Issue 23, finding 4: six sibling groups of 60 patterns (2.5 KB; each group under
    the old per-group cap) got a 504 and kept Oxigraph server planning for 150 s.
    The patterns are counted over the whole query now: refused at once, in both modes."""
    six = (
        "SELECT * WHERE {"
        + " ".join(
            f"{{ ?s {P} " + ", ".join(f"?o{g}_{i}" for i in range(60)) + " }" for g in range(6)
        )
        + "} LIMIT 1"
    )
    for how in ("get", "form", "direct"):
        answer = served.sparql(six, how, accept="application/sparql-results+json")
        assert answer.status == 400, (how, answer.status, answer.body[:200])
        assert "counted over the whole query" in answer.body
    _store_answers(served)


def test_a_sorted_cross_product_is_refused_and_the_store_stays_up(served: Served) -> None:
    """Issue 23, finding 3: ``?a ?p ?o . ?b ?q ?r . ?c ?s ?t`` sorted before LIMIT 1 grew
    Oxigraph server by 1 GB/s until pages answered 503. The policy refuses a sorted or
    grouped cross product on the tree; the same product without a sort streams and is
    cut by LIMIT."""
    product = "SELECT * { ?a ?p ?o . ?b ?q ?r . ?c ?s ?t }"
    for query in (
        product + " ORDER BY ?a ?b ?c LIMIT 1",
        "SELECT * { { ?a ?p ?o } { ?b ?q ?r } } ORDER BY ?a LIMIT 1",
        "SELECT ?a (COUNT(*) AS ?n) { ?a ?p ?o . ?b ?q ?r } GROUP BY ?a",
    ):
        answer = served.sparql(query, "direct", accept="application/sparql-results+json")
        assert answer.status == 400, (query, answer.status, answer.body[:200])
        assert "cross product" in answer.body
    streamed = served.sparql(product + " LIMIT 1", accept="application/sparql-results+json")
    assert streamed.status == 200, streamed.body[:200]
    _store_answers(served)


@pytest.mark.remote
def test_the_store_s_own_memory_cap_stops_what_the_policy_lets_through(
    tmp_path: Path,
) -> None:
    """The backstop behind the policy in remote mode (docs/deploy.md): Oxigraph server
    under a cap on its private memory (as tests/servers.py runs every Oxigraph server)
    and its own --timeout-s. The sorted cross product sent to it directly (as if the
    policy had missed it) grew an uncapped server past 7 GB, its timeout notwithstanding;
    capped at 256 MB, it stops at the cap within seconds, and a supervisor's restart on
    the same data answers again."""
    from server.pipeline.load import load
    from tests import servers
    from tests.conftest import NS, ROOT, free_port

    server = servers.start_on_fresh_ports(
        lambda: servers.oxigraph(tmp_path, free_port(), timeout_s=4, memory_mb=256)
    )
    try:
        load(ROOT, NS, server.query_url, None)
        assert server.proc is not None
        pid = server.proc.pid
        body = urllib.parse.urlencode(
            {
                "query": "SELECT * { ?a ?p ?o . ?b ?q ?r . ?c ?s ?t } ORDER BY ?a ?b ?c LIMIT 1",
                "default-graph-uri": f"{NS}graph/charta",
            }
        ).encode()
        req = urllib.request.Request(server.query_url, data=body)
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(_answer_or_error, req)
            peak_kb = 0
            deadline = time.monotonic() + 60
            while server.proc.poll() is None and time.monotonic() < deadline:
                peak_kb = max(peak_kb, _private_kb(pid))
                time.sleep(0.2)
            outcome = pending.result(timeout=30)
        assert server.proc.poll() is not None, "the capped server kept running"
        assert peak_kb <= 256 * 1024 * 1.1, peak_kb
        print(
            f"capped Oxigraph server stopped ({server.proc.returncode}); peak {peak_kb} kB; "
            f"the client got {outcome}"
        )
        server.stop()
        server.start()  # what systemd's Restart=always does
        check = urllib.parse.urlencode({"query": "ASK { GRAPH ?g { ?s ?p ?o } }"}).encode()
        with urllib.request.urlopen(
            urllib.request.Request(
                server.query_url, data=check, headers={"Accept": "application/sparql-results+json"}
            ),
            timeout=10,
        ) as resp:
            assert b"true" in resp.read()
    finally:
        server.stop()


def _answer_or_error(req: urllib.request.Request) -> str:
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return f"{resp.status}"
    except Exception as exc:  # the server's end is the expected outcome
        return type(exc).__name__


def _private_kb(pid: int) -> int:
    """The process's private data (VmData, what RLIMIT_DATA counts), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmData:"):
            return int(line.split()[1])
    return 0
