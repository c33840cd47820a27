"""Pages and fair SPARQL beside runaway queries, on the real ``charta serve`` (2 workers).

Issue 13, finding 5: 10 clients running cross products slowed ``GET /`` to
3.5–4.5 s, 4 such clients denied SPARQL to everyone, and with 16 the 503 came
after 10 s. Now SPARQL has its own admission: pages never wait on it, excess
load is refused within CHARTA_QUERY_QUEUE_S (2 s) with Retry-After, and one
client address cannot take the endpoint from another. Distinct clients come
from distinct loopback addresses (127.0.0.2, 127.0.0.3, …; all of 127/8 is
loopback on Linux). Bounded: 8 hostile clients for about 5 s per mode. The
p95 of ``GET /`` is recorded, the assertion is a generous 2 s per request.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests import servers
from tests.conftest import NS, ROOT, free_port
from tests.hostile._serve import get_root, p95_ms

pytestmark = pytest.mark.live

CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = "ASK { ?s ?p ?o }"
RUN_S = 5.0
TIMEOUT_S = 6


@pytest.fixture(
    scope="module", params=["embedded", pytest.param("oxigraph", marks=pytest.mark.remote)]
)
def port(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    log = tmp_path_factory.mktemp(f"fair-{request.param}") / "serve.log"
    cmd = [sys.executable, "-m", "server", "serve", "--port", str(port), "--workers", "2"]
    own = None
    if request.param == "oxigraph":
        # A server of its own: Oxigraph's --timeout-s does not stop every runaway query
        # (seen computing for minutes), and the shared one must stay quick for the rest.
        from server.store.load import load

        own = servers.oxigraph(tmp_path_factory.mktemp("fair-oxigraph"), free_port()).start()
        load(ROOT, NS, own.query_url, None)
        cmd += ["--store", own.query_url]
    env = {**os.environ, "CHARTA_QUERY_TIMEOUT_S": str(TIMEOUT_S), "CHARTA_ANSWER_CACHE_MB": "0"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        servers.wait_until_responds(f"http://127.0.0.1:{port}/robots.txt")
        for _ in range(6):
            assert ask(port, CHEAP, "127.0.0.1")[0] == 200
        yield port
    finally:
        proc.terminate()
        proc.wait(30)
        if own is not None:
            own.stop()
    assert "Traceback" not in log.read_text(errors="replace")


def ask(port: int, query: str, source: str) -> tuple[int, float, dict[str, str]]:
    """One /sparql GET from ``source``: (status, seconds, headers)."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=TIMEOUT_S + 20, source_address=(source, 0)
    )
    try:
        conn.request(
            "GET",
            "/sparql?" + urllib.parse.urlencode({"query": query}),
            headers={"Accept": "application/sparql-results+json"},
        )
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - t0, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


@dataclass
class Tally:
    answers: list[tuple[int, float, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: tuple[int, float, dict[str, str]]) -> None:
        with self.lock:
            self.answers.append(item)


def hammer(port: int, sources: list[str], per_source: int, stop: threading.Event) -> Tally:
    """``per_source`` threads per source address, each sending cross products until stopped."""
    tally = Tally()

    def loop(source: str) -> None:
        while not stop.is_set():
            tally.add(ask(port, CROSS, source))

    for source in sources:
        for _ in range(per_source):
            threading.Thread(target=loop, args=(source,), daemon=True).start()
    return tally


def test_pages_stay_fast_and_excess_sparql_is_refused_quickly(
    port: int, record_property: pytest.RecordProperty
) -> None:
    stop = threading.Event()
    tally = hammer(port, [f"127.0.0.{i}" for i in range(2, 10)], 1, stop)
    time.sleep(0.5)
    pages: list[float] = []
    end = time.monotonic() + RUN_S
    while time.monotonic() < end:
        pages.append(get_root(port, {"Accept": "text/html"}))
        time.sleep(0.05)
    stop.set()
    time.sleep(TIMEOUT_S + 1)  # let the last runaway queries end
    record_property("get_root_p95_ms_beside_8_runaway_clients", round(p95_ms(pages), 1))
    print(f"GET / beside 8 runaway SPARQL clients: p95 {p95_ms(pages):.1f} ms, n={len(pages)}")
    assert max(pages) < 2.0, sorted(pages)[-5:]
    statuses = {status for status, _, _ in tally.answers}
    assert statuses <= {200, 503, 504}, statuses
    refused = [(t, h) for status, t, h in tally.answers if status == 503]
    assert refused, "8 clients on 2 x 2 query places: some must be refused"
    for seconds, headers in refused:
        # CHARTA_QUERY_QUEUE_S (2 s) plus slack for a loaded machine, well below the timeout
        assert seconds < 2.0 + 2.5 < TIMEOUT_S, seconds
        assert headers.get("retry-after")


def test_one_client_cannot_take_the_endpoint_from_another(port: int) -> None:
    """One address with 8 parallel runaway queries gets 429 beyond its share;
    another address is still answered."""
    stop = threading.Event()
    tally = hammer(port, ["127.0.0.20"], 8, stop)
    time.sleep(1.0)
    others = [ask(port, CHEAP, "127.0.0.21") for _ in range(5)]
    stop.set()
    time.sleep(TIMEOUT_S + 1)
    assert any(status == 200 for status, _, _ in others), others
    statuses = [status for status, _, _ in tally.answers]
    assert 429 in statuses, statuses
    for status, _, headers in tally.answers:
        if status == 429:
            assert headers.get("retry-after")
