"""``charta serve`` as a real subprocess on a free loopback port, and a listener
that records every connection made to it (the SSRF canary).

Shared by the SERVICE and nesting suites; tests/hostile/test_connections.py
has its own fixture (two workers, a short header timeout).
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests import servers
from tests.conftest import ROOT, free_port


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]


@dataclass
class Served:
    """A running ``charta serve``: its port, its log, and a small HTTP client."""

    port: int
    log: Path
    proc: subprocess.Popen
    mode: str
    #: The SPARQL server behind ``--store`` (remote mode), else None.
    store_url: str | None = None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        return Answer(resp.status, data.decode("utf-8", "replace"), dict(resp.getheaders()))

    def sparql(
        self, query: str, how: str = "get", accept: str = "*/*", endpoint: str = "/sparql"
    ) -> Answer:
        """Send ``query`` to ``endpoint`` by GET, form POST (``form``) or direct POST (``direct``)."""
        headers = {"Accept": accept}
        if how == "get":
            return self.request(
                "GET", f"{endpoint}?" + urllib.parse.urlencode({"query": query}), headers=headers
            )
        if how == "form":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode({"query": query}).encode()
        elif how == "direct":
            headers["Content-Type"] = "application/sparql-query; charset=utf-8"
            body = query.encode("utf-8")
        else:
            raise ValueError(how)
        return self.request("POST", endpoint, body=body, headers=headers)

    def assert_healthy(self) -> None:
        """``GET /`` and a normal SPARQL query both answer 200, and the process runs."""
        assert self.proc.poll() is None, f"charta serve exited ({self.proc.returncode})"
        page = self.request("GET", "/")
        assert page.status == 200, page.body[:300]
        ask = self.sparql(
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", accept="application/sparql-results+json"
        )
        assert ask.status == 200, ask.body[:300]
        assert '"n"' in ask.body


@contextmanager
def charta_serve(
    workdir: Path, store_url: str | None = None, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """``charta serve --workers 1`` (plus ``--store store_url`` in remote mode),
    up and with its query workers started once it is yielded."""
    port = free_port()
    log = workdir / "serve.log"
    cmd = [sys.executable, "-m", "server", "serve", "--port", str(port), "--workers", "1"]
    if store_url:
        cmd += ["--store", store_url]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            # Three query workers, so one address may hold two SPARQL places (the fair
            # share is at most query_workers - 1): the sweeps send two at a time.
            env={**os.environ, "CHARTA_QUERY_WORKERS": "3", **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(port, log, proc, "remote" if store_url else "embedded", store_url)
    try:
        servers.wait_until_responds(f"http://127.0.0.1:{port}/robots.txt")
        served.assert_healthy()  # also starts the query workers
        yield served
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@dataclass
class Listener:
    """A TCP listener on a free loopback port that records every accepted connection
    and the first bytes it was sent, then answers ``500`` and closes."""

    sock: socket.socket = field(init=False)
    port: int = field(init=False)
    seen: list[tuple[tuple[str, int], bytes]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name="ssrf-listener").start()

    def _accept(self) -> None:
        while True:
            try:
                conn, addr = self.sock.accept()
            except OSError:
                return
            with self._lock:  # counted before the client can have an answer
                index = len(self.seen)
                self.seen.append((addr, b""))
            data = b""
            with suppress(OSError):
                conn.settimeout(1.0)
                data = conn.recv(4096)
                conn.sendall(
                    b"HTTP/1.1 500 canary\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            conn.close()
            with self._lock:
                self.seen[index] = (addr, data)

    def count(self) -> int:
        with self._lock:
            return len(self.seen)

    def close(self) -> None:
        self.sock.close()


def closed_port_like(port: int) -> int:
    """A loopback port nothing listens on, with as many digits as ``port``."""
    for _ in range(200):
        candidate = free_port()
        if len(str(candidate)) == len(str(port)) and candidate != port:
            with socket.socket() as s:
                s.settimeout(0.5)
                if s.connect_ex(("127.0.0.1", candidate)) != 0:
                    return candidate
    raise RuntimeError("no closed port found")


def get_root(port: int, headers: dict[str, str] | None = None) -> float:
    """One ``GET /`` on a new connection; its time in seconds (it must be a 200)."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/", headers=headers or {})
        resp = conn.getresponse()
        resp.read()
    finally:
        conn.close()
    assert resp.status == 200
    return time.perf_counter() - t0


def p95_ms(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1e3
