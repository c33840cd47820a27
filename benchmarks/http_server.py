"""gunicorn or granian around the unchanged app: throughput, and ``GET /`` beside hostile clients.

For each server, with 2 web workers on the shipped data (embedded store,
default settings, access log on, as in production):

- wrk at concurrency 8 (2 threads) for ``--duration`` seconds on ``GET /``
  and on a Turtle dereference (``/id/charta``, ``Accept: text/turtle``), in
  ``--rounds`` rounds with both servers running and taking turns, so that load
  from other processes on a shared machine falls on both alike (the best round
  is reported, and every round's rate);
- ``GET /`` latency from one client (one new connection per request, for
  ``--probe`` seconds) beside 200 idle connections (opened, nothing sent), and
  beside 200 slow-header connections (one header byte per second each), and
  beside 200 POSTs whose body stalls after one byte.

gunicorn runs with the settings ``charta serve`` used until it moved to granian
(gthread, 4 threads per worker, timeout = query timeout + 30 s); granian as
``charta serve --workers 2`` runs it now. Needs wrk (``apt-get install wrk``)
and the bench extra (gunicorn). Nothing is asserted: the figures go into
docs/benchmarks.md.

    python benchmarks/http_server.py --duration 8 --probe 8

(``CHARTA_ROOT=DIR`` measures the data in DIR instead of the checkout.)
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Load, free_port, wrk  # noqa: E402  (the same wrk runs as benchmarks/run.py)

ROOT = HERE.parent
BIN = Path(sys.executable).parent
HOSTILE = 200
TURTLE = {"Accept": "text/turtle"}
#: A POST whose headers are complete and whose body never comes (1 of 1,000 bytes).
STALLED = (
    b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/sparql-query\r\nContent-Length: 1000\r\n\r\nA"
)


def command(server: str, port: int) -> list[str]:
    if server == "gunicorn":
        return [
            str(BIN / "gunicorn"),
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "4",
            "--timeout",
            "40",
            "--access-logfile",
            "-",
            "--no-control-socket",
            "-b",
            f"127.0.0.1:{port}",
            "server.web.app:create_app()",
        ]
    return [sys.executable, "-m", "server", "serve", "--port", str(port), "--workers", "2"]


@contextmanager
def running(server: str) -> Iterator[int]:
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(command(server, port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode()[-2000:]
                    raise RuntimeError(f"{server} did not start:\n{tail}") from exc
                time.sleep(0.2)
        time.sleep(1)  # both workers up (each answers its first request slower)
        yield port
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def load_text(load: Load) -> str:
    errors = f", {load.errors} errors" if load.errors else ""
    return f"{load.rps:,.0f} req/s, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms{errors}"


class Hostile:
    """200 connections that never finish a request; one the server drops is opened
    again at once, as an attacker would, so the count holds for the whole probe.
    ``slow`` ones send one header byte per second each, ``idle`` ones nothing,
    ``stalled-body`` ones a POST's headers and then one byte of its body."""

    def __init__(self, port: int, kind: str) -> None:
        self.port, self.kind = port, kind
        self.socks: list[socket.socket] = []
        self.sent: dict[socket.socket, int] = {}
        self.reopened = 0
        self.stop = threading.Event()

    def _open(self) -> socket.socket | None:
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            if self.kind == "stalled-body":
                s.sendall(STALLED)
        except OSError:
            return None
        s.setblocking(False)
        self.sent[s] = 0
        return s

    def __enter__(self) -> Hostile:
        self.socks = [s for s in (self._open() for _ in range(HOSTILE)) if s is not None]
        threading.Thread(target=self._keep, daemon=True).start()
        return self

    def _keep(self) -> None:
        header = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100_000
        while not self.stop.wait(1.0):
            for i, s in enumerate(self.socks):
                alive = True
                try:
                    if s.recv(4096) == b"":  # the server closed it (or answered 408)
                        alive = False
                except BlockingIOError:
                    pass
                except OSError:
                    alive = False
                if alive and self.kind == "slow":
                    try:
                        s.send(header[self.sent[s] : self.sent[s] + 1])
                        self.sent[s] += 1
                    except OSError:
                        alive = False
                if not alive:
                    s.close()
                    again = self._open()
                    if again is not None:
                        self.socks[i] = again
                        self.reopened += 1

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for s in self.socks:
            s.close()


def probe(port: int, seconds: float) -> str:
    """``GET /`` from one well-behaved client, a new connection per request."""
    times: list[float] = []
    failed = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/")
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status != 200:
                failed += 1
                continue
            times.append(time.perf_counter() - t0)
        except OSError:
            failed += 1
        time.sleep(0.05)
    if not times:
        return f"no answer ({failed} failed or timed out after 10 s)"
    times.sort()

    def pct(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))] * 1e3

    note = f", {failed} failed or timed out after 10 s" if failed else ""
    return (
        f"{len(times)} answered, p50 {pct(0.5):.1f} ms, p95 {pct(0.95):.1f} ms, "
        f"max {times[-1] * 1e3:.1f} ms{note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk figure")
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds, servers alternating")
    parser.add_argument("--probe", type=float, default=8, help="seconds per GET / probe")
    parser.add_argument("--servers", default="gunicorn,granian")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    names = args.servers.split(",")
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; 2 web workers each; "
        f"wrk -t2 -c8 -d{args.duration}s, {args.rounds} rounds with the servers alternating"
    )
    workloads = {"GET /": ("/", {}), "GET /id/charta (Turtle)": ("/id/charta", TURTLE)}
    with ExitStack() as stack:
        ports = {name: stack.enter_context(running(name)) for name in names}
        for port in ports.values():  # warm-up: the answer cache, both workers
            for path, headers in workloads.values():
                wrk(f"http://127.0.0.1:{port}", [(path, headers)], 8, 2)
        loads: dict[tuple[str, str], list[Load]] = {}
        for _ in range(args.rounds):
            for name, port in ports.items():
                for what, (path, headers) in workloads.items():
                    load = wrk(f"http://127.0.0.1:{port}", [(path, headers)], 8, args.duration)
                    loads.setdefault((name, what), []).append(load)
        for (name, what), runs in loads.items():
            best = max(runs, key=lambda r: r.rps)
            rates = ", ".join(f"{r.rps:,.0f}" for r in runs)
            print(f"{name}: {what}: best {load_text(best)} (rounds: {rates} req/s)")
        for name, port in ports.items():
            print(f"{name}: GET / alone: {probe(port, args.probe)}")
            for kind in ("idle", "slow", "stalled-body"):
                with Hostile(port, kind) as crowd:
                    time.sleep(0.5)
                    figure = probe(port, args.probe)
                print(
                    f"{name}: GET / beside {len(crowd.socks)} {kind} connections "
                    f"(dropped by the server and reopened: {crowd.reopened}): {figure}"
                )
                time.sleep(1)


if __name__ == "__main__":
    main()
