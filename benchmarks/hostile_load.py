"""``GET /`` p95 under each HTTP load attack of issue 23, embedded and remote mode.

Starts ``charta serve`` (default settings: one web worker, two query workers;
answer cache on) from ``--checkout`` (so a checkout of an earlier commit can be
measured with the same script), in front of an Oxigraph server of its own with
``--remote``, and measures ``GET /`` (a new connection each, one every 50 ms,
``--seconds`` long) with nothing else running, then beside each attack:

- ``headers``: 10 clients in a loop, each ``GET /id/charta`` with a 400 KB
  ``Accept`` header that matches nothing (the 406 path), or the largest the
  server accepts if that is less;
- ``slowloris``: 1,200 connections that send a partial request head and a
  header byte every second, each replaced by a new one every 4.5 s;
- ``bodies``: 40 POSTs to /sparql from 20 loopback addresses that send their
  headers with ``Content-Length: 10`` and then nothing (replaced when the server
  closes one); also counts how many of a third party's POST queries get 200;
- ``bodies1``: the same with two such POSTs from one address (issue 23, finding 6);
- ``addresses``: 8 loopback addresses each sending cross-product queries in a
  loop, measured from 25 s after they start; also counts how many of a ninth
  address's cheap queries get 200 (each text distinct, so none is answered from
  the answer cache), and the flood's answers by status.

Loopback only: every address is in 127.0.0.0/8. Prints one line per attack.

    python benchmarks/hostile_load.py --checkout /tmp/charta-before [--remote]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from server.config import DEFAULT_NAMESPACE as NS  # noqa: E402
from tests import servers  # noqa: E402
from tests.conftest import free_port  # noqa: E402

CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = "ASK { ?s ?p ?o }"


def get_root(port: int) -> float | None:
    t0 = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        conn.request("GET", "/", headers={"Accept": "text/html"})
        resp = conn.getresponse()
        resp.read()
        conn.close()
    except OSError:
        return None
    return time.perf_counter() - t0 if resp.status == 200 else None


def p95(times: list[float | None]) -> str:
    done = sorted(t for t in times if t is not None)
    failed = len(times) - len(done)
    if not done:
        return f"all {failed} failed"
    value = done[min(len(done) - 1, int(0.95 * len(done)))] * 1e3
    return f"p95 {value:.0f} ms (n={len(times)}, failed {failed})"


def probe(port: int, seconds: float) -> list[float | None]:
    times = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        times.append(get_root(port))
        time.sleep(0.05)
    return times


def sparql(port: int, query: str, source: str, post: bool = False) -> int:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
        headers = {"Accept": "application/sparql-results+json"}
        if post:
            headers["Content-Type"] = "application/sparql-query"
            conn.request("POST", "/sparql", body=query.encode(), headers=headers)
        else:
            path = "/sparql?" + urllib.parse.urlencode({"query": query})
            conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return resp.status
    except OSError:
        return 0


def loops(n: int, body: Callable[[int], None], stop: threading.Event) -> None:
    def run(i: int) -> None:
        while not stop.is_set():
            body(i)

    for i in range(n):
        threading.Thread(target=run, args=(i,), daemon=True).start()


@contextmanager
def attack(kind: str, port: int) -> Iterator[dict[str, list[int]]]:
    stop = threading.Event()
    extra: dict[str, list[int]] = {"third": []}
    socks: list[socket.socket] = []
    if kind == "headers":
        accept = "text/x-" + ",text/x-".join("a" * 12 for _ in range(400_000 // 21))

        def big(_: int) -> None:
            with suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/id/charta", headers={"Accept": accept})
                conn.getresponse().read()
                conn.close()

        loops(10, big, stop)
    elif kind == "slowloris":

        def slow(i: int) -> None:
            with suppress(OSError):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
                end = time.monotonic() + 4.5
                while time.monotonic() < end and not stop.is_set():
                    s.send(b"X")
                    time.sleep(1.0)
                s.close()

        loops(1200, slow, stop)
    elif kind in ("bodies", "bodies1"):
        one = kind == "bodies1"

        def stalled(i: int) -> None:
            source = "127.0.1.1" if one else f"127.0.1.{i // 2 + 1}"
            with suppress(OSError):
                s = socket.create_connection(
                    ("127.0.0.1", port), timeout=None, source_address=(source, 0)
                )
                socks.append(s)
                s.sendall(
                    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    b"application/sparql-query\r\nContent-Length: 10\r\n\r\n"
                )
                s.recv(65536)  # until the server answers or closes
                s.close()
            time.sleep(0.1)

        loops(2 if one else 40, stalled, stop)

        def third(_: int) -> None:
            n = len(extra["third"])
            query = f"ASK {{ ?s ?p ?o FILTER(STRLEN(STR(?o)) > -{n}) }}"
            extra["third"].append(sparql(port, query, "127.0.2.1", post=True))
            time.sleep(0.2)

        loops(1, third, stop)
    elif kind == "addresses":
        extra["flood"] = []
        loops(8, lambda i: extra["flood"].append(sparql(port, CROSS, f"127.0.3.{i + 1}")), stop)

        def ninth(_: int) -> None:
            # distinct texts, so that no answer comes from the answer cache
            n = len(extra["third"])
            query = f"ASK {{ ?s ?p ?o FILTER(STRLEN(STR(?o)) > -{n}) }}"
            extra["third"].append(sparql(port, query, "127.0.3.100"))
            time.sleep(0.2)

        loops(1, ninth, stop)
    # The flood needs a round of runaway queries to be the steady state the
    # ninth client meets (before that, all nine are newcomers and it waits its turn).
    time.sleep(25.0 if kind == "addresses" else 2.0)
    try:
        yield extra
    finally:
        stop.set()
        for s in socks:
            with suppress(OSError):
                s.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, default=HERE.parent)
    parser.add_argument("--remote", action="store_true")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--attacks", default="none,headers,slowloris,bodies1,bodies,addresses")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="hostile-load-"))
    port = free_port()
    cmd = [sys.executable, "-m", "server", "serve", "--port", str(port)]
    own = None
    if args.remote:
        from server.pipeline.load import load

        (work / "oxigraph").mkdir()
        own = servers.oxigraph(work / "oxigraph", free_port(), timeout_s=10).start()
        load(args.checkout, NS, own.query_url, None)
        cmd += ["--store", own.query_url]
    log = (work / "serve.log").open("wb")
    proc = subprocess.Popen(
        cmd, cwd=args.checkout, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT
    )
    mode = "remote" if args.remote else "embedded"
    try:
        servers.wait_until_responds(f"http://127.0.0.1:{port}/robots.txt", 300)
        for _ in range(5):
            get_root(port)
            sparql(port, CHEAP, "127.0.0.1")
        for kind in args.attacks.split(","):
            if kind == "none":
                times = probe(port, args.seconds)
                load = os.getloadavg()[0]
                print(f"{mode} none: GET / {p95(times)} (load {load:.1f})", flush=True)
                continue
            with attack(kind, port) as extra:
                times = probe(port, args.seconds)
            third = extra["third"]
            ok = f", third party 200 in {third.count(200)} of {len(third)}" if third else ""
            if "flood" in extra:
                flood = extra["flood"]
                ok += ", flood " + ", ".join(f"{c}: {flood.count(c)}" for c in sorted(set(flood)))
            load = os.getloadavg()[0]
            print(f"{mode} {kind}: GET / {p95(times)}{ok} (load {load:.1f})", flush=True)
            time.sleep(12)  # runaway queries end, slow connections time out
    finally:
        proc.terminate()
        with suppress(subprocess.TimeoutExpired):
            proc.wait(30)
        proc.kill()
        if own is not None:
            own.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
