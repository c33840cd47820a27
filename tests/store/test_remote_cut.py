"""A remote store's answer that breaks off is an error, never a shorter answer that looks whole.

An answer cut by us at the byte cap says so (``X-Charta-Truncated``); one that
the store ends early (it died, or its own timeout stopped it mid-stream) is a
503 that nothing caches, so the next request asks the store again.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.config import Config
from server.pipeline.load import load
from server.sparql import remote
from server.web.app import create_app
from tests import servers
from tests.conftest import NS, ROOT, free_port

pytestmark = pytest.mark.remote

JSON_ACCEPT = {"Accept": "application/sparql-results+json"}
ROWS = [{"s": {"type": "uri", "value": f"{NS}id/r{i}"}} for i in range(62)]
WHOLE = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": ROWS}}).encode()
VERSION = json.dumps(
    {
        "head": {"vars": ["v", "m"]},
        "results": {
            "bindings": [
                {
                    "v": {"type": "literal", "value": "v1"},
                    "m": {
                        "type": "literal",
                        "value": "2026-12-01T00:00:00Z",
                        "datatype": "http://www.w3.org/2001/XMLSchema#dateTime",
                    },
                }
            ]
        },
    }
).encode()


class ScriptedStore:
    """A SPARQL server on loopback that answers the version query properly and each
    other query as the next entry of ``script`` says: "whole", "chunked-broken"
    (rows, then the connection closes mid-chunk) or "short" (fewer bytes than its
    Content-Length). ``asked`` counts the queries that reached it."""

    def __init__(self) -> None:
        self.script: list[str] = []
        self.asked = 0
        self._srv = socket.socket()
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(16)
        self._stop = threading.Event()
        self.url = f"http://127.0.0.1:{self._srv.getsockname()[1]}/query"
        threading.Thread(target=self._accept, daemon=True).start()

    def _read_request(self, conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += conn.recv(65536)
        return urllib.parse.unquote_plus(body.decode())

    def _serve(self, conn: socket.socket) -> None:
        try:
            text = self._read_request(conn)
            ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
            if "graph/meta" in text:
                conn.sendall(ok + b"Content-Length: %d\r\n\r\n" % len(VERSION) + VERSION)
                return
            self.asked += 1
            how = self.script.pop(0) if self.script else "whole"
            if how == "whole":
                conn.sendall(ok + b"Content-Length: %d\r\n\r\n" % len(WHOLE) + WHOLE)
            elif how == "short":
                part = WHOLE[: len(WHOLE) // 2]
                conn.sendall(ok + b"Content-Length: %d\r\n\r\n" % len(WHOLE) + part)
            else:  # chunked, ending after a complete chunk without the final one
                part = WHOLE[: len(WHOLE) - 40]
                conn.sendall(ok + b"Transfer-Encoding: chunked\r\n\r\n")
                conn.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
        except OSError:
            pass
        finally:
            conn.close()

    def _accept(self) -> None:
        self._srv.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._srv.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._srv.close()


@pytest.fixture
def scripted() -> Iterator[ScriptedStore]:
    store = ScriptedStore()
    yield store
    store.close()


@pytest.mark.parametrize("how", ["chunked-broken", "short"])
def test_an_answer_that_breaks_off_is_a_503_and_not_cached(
    scripted: ScriptedStore, how: str
) -> None:
    client = create_app(Config(root=ROOT, testing=True, store_url=scripted.url).validated())
    client = client.test_client()
    query = {"query": "SELECT ?s WHERE { ?s ?p ?o }"}
    scripted.script = [how]
    r = client.get("/sparql", query_string=query, headers=JSON_ACCEPT)
    assert r.status_code == 503, r.data
    assert b"broke off" in r.data
    assert scripted.url.encode() not in r.data and b"127.0.0.1" not in r.data
    r = client.get("/sparql", query_string=query, headers=JSON_ACCEPT)
    assert scripted.asked == 2  # asked again, not answered from a cache
    assert r.status_code == 200
    assert len(r.get_json()["results"]["bindings"]) == 62
    assert "X-Charta-Truncated" not in r.headers


def test_a_whole_answer_is_not_marked_cut(scripted: ScriptedStore) -> None:
    client = create_app(
        Config(root=ROOT, testing=True, store_url=scripted.url).validated()
    ).test_client()
    r = client.get(
        "/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o }"}, headers=JSON_ACCEPT
    )
    assert r.status_code == 200 and r.headers["X-Charta-Rows"] == "62"
    assert "X-Charta-Truncated" not in r.headers


#: 62 rows at once, then a count over a cross product that runs until stopped.
SLOW_UNION = (
    "SELECT * WHERE { { SELECT ?s WHERE { ?s a ?t } LIMIT 62 } UNION "
    "{ SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } } }"
)


@pytest.fixture(autouse=True)
def fresh_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "VERSION_TTL_S", 0.0)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The /sparql queries the web tier sends to the store (not its own version reads)."""
    sent: list[str] = []
    original = remote.RemoteStore._open

    def counted(self: remote.RemoteStore, query: str, *args: object, **kwargs: object) -> object:
        if "count" in query.lower() and "UNION" in query.upper():
            sent.append(query)
        return original(self, query, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(remote.RemoteStore, "_open", counted)
    return sent


def test_the_stores_own_timeout_mid_stream_is_a_503_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oxigraph server stops a query at its --timeout-s by ending the answer it has
    begun: 62 rows were sent as a whole answer and cached for the data version."""
    server = servers.start_on_fresh_ports(
        lambda: servers.oxigraph(tmp_path, free_port(), timeout_s=1)
    )
    try:
        load(ROOT, NS, server.query_url, None)
        sent = _counting(monkeypatch)
        config = Config(
            root=ROOT, testing=True, store_url=server.query_url, query_timeout_s=60
        ).validated()
        client = create_app(config).test_client()
        for attempt in (1, 2):
            r = client.get("/sparql", query_string={"query": SLOW_UNION}, headers=JSON_ACCEPT)
            assert r.status_code == 503, (attempt, r.status_code, r.data[:300])
            assert len(sent) == attempt  # evaluated anew, nothing cached
    finally:
        server.stop()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_store_stopped_mid_answer_gives_5xx_and_the_next_request_asks_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers.start_on_fresh_ports(
        lambda: servers.oxigraph(tmp_path, free_port(), timeout_s=300)
    )
    try:
        load(ROOT, NS, server.query_url, None)
        sent = _counting(monkeypatch)
        config = Config(
            root=ROOT, testing=True, store_url=server.query_url, query_timeout_s=120
        ).validated()
        client = create_app(config).test_client()
        got: list[int] = []

        def ask() -> None:
            r = client.get("/sparql", query_string={"query": SLOW_UNION}, headers=JSON_ACCEPT)
            got.append(r.status_code)

        assert server.proc is not None
        before = _cpu_seconds(server.proc.pid)
        worker = threading.Thread(target=ask)
        worker.start()
        deadline = time.monotonic() + 60
        while _cpu_seconds(server.proc.pid) - before < 1.0:  # it is counting, rows sent
            assert time.monotonic() < deadline, "the store never started on the query"
            assert worker.is_alive(), got
            time.sleep(0.05)
        server.stop()
        worker.join(60)
        assert got and 500 <= got[0] < 600, got
        # Back, now with a timeout of its own that stops the count mid-stream: the same
        # query reaches it again (nothing was cached) and is an error again.
        server.command[server.command.index("--timeout-s") + 1] = "1"
        server.start()
        r = client.get("/sparql", query_string={"query": SLOW_UNION}, headers=JSON_ACCEPT)
        assert r.status_code == 503 and len(sent) == 2, (r.status_code, sent)
        r = client.get(
            "/sparql",
            query_string={"query": "SELECT ?s WHERE { ?s a ?t } LIMIT 62"},
            headers=JSON_ACCEPT,
        )
        assert r.status_code == 200 and len(r.get_json()["results"]["bindings"]) == 62
    finally:
        server.stop()
