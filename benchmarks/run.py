"""Measure charta at each data size, side by side with Oxigraph server (and rdflib-endpoint).

For every size (synthetic data from ``generate.py``) it measures, in one run:

- start-up time (to the first answer) and peak memory of the process tree:
  charta parsing the Turtle sources, charta on a persisted store, Oxigraph server
  (``oxigraph load`` then ``serve-read-only``), rdflib-endpoint (parses the dump);
- ``charta validate`` time (the peers do not validate);
- at concurrency 8: the editor's example queries repeated, the same queries with
  a distinct ``LIMIT`` on every request (no cache can answer), and dereferencing a
  fixed sample of resources as Turtle and HTML (the peers: ``DESCRIBE <iri>``,
  no HTML).

charta runs as ``charta serve`` runs it (granian), twice: with the answer cache
and without it (``CHARTA_ANSWER_CACHE_MB=0``), a cache being no speed-up of the
server. All servers run at once and take turns per workload. Load comes from wrk
(Debian package ``wrk``) on the same machine, each connection from its own
loopback address. Every figure is printed with its ratio ``charta / peer``, and
the ratios of issue 16's targets per size. Nothing here is asserted: the
numbers go into ``docs/benchmarks.md``.

    python benchmarks/run.py --sizes 1e3,1e4,1e5,1e6 --duration 5 --peers oxigraph
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

from server.config import DEFAULT_NAMESPACE as NS  # noqa: E402
from server.profile.examples import EXAMPLES  # noqa: E402

BIN = Path(sys.executable).parent
SELECT_ACCEPT = "application/sparql-results+json"
PEERS = ("oxigraph", "rdflib-endpoint")
#: rdflib-endpoint is two orders of magnitude slower at 10^5 triples; at 10^6 a run
#: would take longer than everything else together, so it stops here.
RDFLIB_MAX = 200_000


def triples_of(r: dict) -> int:
    return int(r["triples"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- processes


@dataclass
class Running:
    """A server process, its start-up time and the peak memory of its process tree."""

    proc: subprocess.Popen
    base: str
    startup_s: float = 0.0
    peak_rss: int = 0
    load_s: float | None = None  # Oxigraph: 'oxigraph load' before the start
    log: object | None = None  # the process's output (a temporary file)
    _stop: threading.Event = field(default_factory=threading.Event)

    def watch_memory(self) -> None:
        def sample() -> None:
            while not self._stop.is_set():
                try:
                    root = psutil.Process(self.proc.pid)
                    procs = [root, *root.children(recursive=True)]
                    rss = sum(p.memory_info().rss for p in procs if p.is_running())
                    self.peak_rss = max(self.peak_rss, rss)
                except psutil.Error:
                    pass
                self._stop.wait(0.05)

        threading.Thread(target=sample, daemon=True).start()

    def pss(self) -> int:
        """Proportional set size of the tree now: each shared page (libraries, the
        interpreter) counted once over all processes, unlike the sum of RSS."""
        total = 0
        try:
            root = psutil.Process(self.proc.pid)
            for p in [root, *root.children(recursive=True)]:
                try:
                    total += p.memory_full_info().pss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        return total

    def wait_for(self, text: str, timeout: float) -> str | None:
        """The first line of the server's output that holds ``text``, waiting for it
        (read with ``pread``: the server writes to the same open file)."""
        fd = self.log.fileno()  # type: ignore[attr-defined]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = os.pread(fd, 1 << 20, 0).decode(errors="replace")
            found = next((line for line in out.splitlines() if text in line), None)
            if found is not None:
                return found
            time.sleep(0.1)
        return None

    def stop(self) -> None:
        self._stop.set()
        try:
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                child.kill()
        except psutil.Error:
            pass
        self.proc.kill()
        self.proc.wait(10)


def ready(url: str, headers: dict[str, str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30):
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.02)
    return False


@contextmanager
def start(
    cmd: list[str], base: str, probe: str, env: dict[str, str] | None = None, timeout: float = 900
) -> Iterator[Running]:
    """Start ``cmd``; start-up time is until ``probe`` first answers 200."""
    log = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    run = Running(proc, base, log=log)
    run.watch_memory()
    try:
        if not ready(base + probe, {"Accept": "text/turtle, */*"}, timeout):
            log.seek(0)
            raise RuntimeError(f"{cmd[0]} did not start:\n{log.read().decode()[-2000:]}")
        run.startup_s = time.perf_counter() - t0
        yield run
    finally:
        run.stop()
        log.close()


EXTRA_ENV: dict[str, str] = {}


def charta(
    project: Path,
    dist: Path,
    store_dir: Path | None,
    workers: int,
    extra: dict[str, str] | None = None,
) -> tuple[list[str], dict, str]:
    """charta exactly as ``charta serve`` runs it (granian, server/web/http_server.py).

    On a persisted store that is ``charta serve --store-dir``. Parsing the sources,
    ``charta serve`` would validate first (minutes at 10^6, measured on its own as
    ``validate``), so that start-up runs docs/deploy.md's plain granian command line
    instead: the same server and settings, no validation.
    """
    port = free_port()
    env = {
        "CHARTA_ROOT": str(project),
        "CHARTA_DIST_DIR": str(dist),
        "CHARTA_QUERY_TIMEOUT_S": "60",
        **EXTRA_ENV,
        **(extra or {}),
    }
    if store_dir is not None:
        cmd = [
            str(BIN / "charta"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--store-dir",
            str(store_dir),
            "--dist-dir",
            str(dist),
        ]
    else:
        from server.config import Config
        from server.web.http_server import python_threads

        threads = python_threads(
            Config.from_env({k: v for k, v in env.items() if k != "CHARTA_ROOT"})
        )
        cmd = [
            str(BIN / "granian"),
            "--interface",
            "wsgi",
            "--factory",
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--http",
            "1",
            "--backpressure",
            "1024",
            "--no-ws",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "server.web.http_server:app_from_env",
        ]
    return cmd, env, f"http://127.0.0.1:{port}"


# ---------------------------------------------------------------- load (wrk)


@dataclass(frozen=True)
class Load:
    """One wrk run: latency percentiles, throughput of good answers (2xx and 3xx;
    a refusal such as 503 is fast and must not count as work done), errors."""

    p50_ms: float
    p99_ms: float
    rps: float
    errors: int


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


#: Loaded into wrk (LD_PRELOAD): each connection to a loopback address comes from its
#: own source address, 127.0.1.2 and on, one per connection (``WRK_CLIENTS`` of them).
#: charta admits at most one running SPARQL query per client address and web worker
#: (server/web/admission.py), so eight connections from one address would be one client
#: refused seven times over; this makes them the eight clients they stand for. Every
#: server gets the same.
CLIENTS_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static unsigned counter;

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    if (!real_connect) real_connect = dlsym(RTLD_NEXT, "connect");
    if (addr->sa_family == AF_INET &&
        (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127) {
        const char *env = getenv("WRK_CLIENTS");
        unsigned clients = env && atoi(env) > 0 ? (unsigned)atoi(env) : 8;
        unsigned n = __sync_fetch_and_add(&counter, 1) % clients;
        struct sockaddr_in src = {0};
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(0x7f000102u + n);
        bind(fd, (const struct sockaddr *)&src, sizeof src);
    }
    return real_connect(fd, addr, len);
}
"""
_CLIENTS_SO: list[str] = []


def clients_env(connections: int) -> dict[str, str]:
    """The environment that gives each of wrk's connections its own address (gcc
    builds the shim once); without a C compiler, all come from 127.0.0.1."""
    if not _CLIENTS_SO:
        so = Path(tempfile.gettempdir()) / f"charta-wrk-clients-{os.getuid()}.so"
        src = so.with_suffix(".c")
        src.write_text(CLIENTS_C)
        done = subprocess.run(
            ["gcc", "-shared", "-fPIC", "-O2", "-o", str(so), str(src), "-ldl"],
            capture_output=True,
        )
        if done.returncode != 0 and not shutil.which("gcc"):
            print("no gcc: wrk's connections all come from 127.0.0.1", file=sys.stderr)
        _CLIENTS_SO.append(str(so) if done.returncode == 0 else "")
    if not _CLIENTS_SO[0]:
        return {}
    return {"LD_PRELOAD": _CLIENTS_SO[0], "WRK_CLIENTS": str(connections)}


def wrk(
    base: str,
    requests: list[tuple[str, dict[str, str]]],
    connections: int,
    duration: float,
    numbered: bool = False,
) -> Load:
    """Run wrk with a Lua script that cycles through ``requests`` (path, headers).

    ``numbered``: every request's path gets a number appended that no other request
    of the run has (each wrk thread counts in its own range), so no two requests
    are the same: the distinct-query workload, where no cache can answer.
    """
    entries = []
    for path, headers in requests:
        hdr = ", ".join(f'["{k}"] = [==[{v}]==]' for k, v in headers.items())
        entries.append(f"{{ [==[{path}]==], {{{hdr}}} }}")
    suffix = " .. tostring(1000000000 + id * 100000000 + n)" if numbered else ""
    lua = (
        "local counter = 0\n"
        "function setup(thread)\n  thread:set('id', counter)\n  counter = counter + 1\nend\n"
        "local reqs = {}\nlocal i = 0\nlocal n = 0\n"
        "init = function(args)\n  reqs = {\n    " + ",\n    ".join(entries) + "\n  }\n"
        "  i = math.random(#reqs)\nend\n"
        "request = function()\n  i = i % #reqs + 1\n  n = n + 1\n"
        f"  return wrk.format('GET', reqs[i][1]{suffix}, reqs[i][2], nil)\nend\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    threads = 1 if connections == 1 else 2
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{duration:g}s",
            "--timeout",
            "60s",
            "--latency",
            "-s",
            f.name,
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **clients_env(connections)},
    ).stdout
    os.unlink(f.name)
    return parse_wrk(out)


def parse_wrk(out: str) -> Load:
    """wrk's figures: percentiles, throughput of good answers, errors."""
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(
        int(n)
        for n in re.findall(r"(?:Non-2xx or 3xx responses|Socket errors:.*?timeout):?\s+(\d+)", out)
    )
    rps *= max(0, total - errors) / total if total else 0.0
    nan = float("nan")  # too few requests finished for that percentile
    return Load(
        _ms(pct["50"]) if "50" in pct else nan, _ms(pct["99"]) if "99" in pct else nan, rps, errors
    )


def query_path(endpoint: str, text: str) -> str:
    return endpoint + "?" + urllib.parse.urlencode({"query": text})


def sparql_mix(endpoint: str) -> list[tuple[str, dict[str, str]]]:
    return [(query_path(endpoint, e.query), {"Accept": SELECT_ACCEPT}) for e in EXAMPLES]


def sparql_distinct(endpoint: str) -> list[tuple[str, dict[str, str]]]:
    """The editor's examples with ``LIMIT `` at the end, for :func:`wrk` to number.

    Every request then has its own LIMIT (10^9 and more: above any result, so every
    variant answers what the example answers) and so its own query text: no answer
    cache, and no cache of parsed queries, can help.
    """
    return [
        (query_path(endpoint, e.query + "\nLIMIT "), {"Accept": SELECT_ACCEPT}) for e in EXAMPLES
    ]


def sample_resources(store_dir: Path, n: int = 60) -> list[str]:
    """A fixed sample: the Charta, its themes and goals, and synthetic papers, bodies, meetings."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_dir / "oxigraph"))
    real = [
        r["s"].value
        for r in store.query(f"""
        SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), "{NS}id/")
          && !STRSTARTS(STR(?s), "{NS}id/synthetisch/")) }} ORDER BY ?s""")
    ]
    synth = [
        r["s"].value
        for r in store.query(f"""
        SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), "{NS}id/synthetisch/")) }}
        ORDER BY ?s""")
    ]
    del store
    pick = real[:: max(1, len(real) // (n // 2))][: n // 2]
    if synth:
        pick += synth[:: max(1, len(synth) // (n - len(pick)))][: n - len(pick)]
    return pick


def all_resources(store_dir: Path, seed: int = 28) -> list[str]:
    """Every resource charta dereferences (each subject IRI under ``id/``), in a random
    order fixed by ``seed``: the crawl workload's list, the same for every server."""
    import random

    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_dir / "oxigraph"))
    iris = sorted(
        r["s"].value
        for r in store.query(f"""
        SELECT DISTINCT ?s WHERE {{ ?s ?p ?o
          FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{NS}id/")) }}""")
    )
    del store
    random.Random(seed).shuffle(iris)
    return iris


def crawl(base: str, paths: list[str], headers: dict[str, str], connections: int = 8) -> Load:
    """Every path once (a crawler's first pass), ``connections`` at a time, with wrk.

    Each of wrk's two threads takes every other path of the list and stops once it
    has as many answers as paths; a thread's last connections may send up to three
    requests more while the last answers arrive (a repeat of the thread's first
    paths, at most 6 of thousands). wrk itself would wait out its whole ``-d``, so
    each thread says on stderr when it is done, and wrk is stopped then (SIGINT: it
    prints its figures over the time it really ran).
    """
    import signal

    threads = 2
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as lst:
        lst.write("\n".join(paths) + "\n")
    hdr = ", ".join(f'["{k}"] = [==[{v}]==]' for k, v in headers.items())
    lua = (
        "local counter = 0\n"
        "function setup(thread)\n  thread:set('id', counter)\n  counter = counter + 1\nend\n"
        "local reqs = {}\nlocal i = 0\nlocal got = 0\n"
        "init = function(args)\n  local n = 0\n"
        f"  for line in io.lines([==[{lst.name}]==]) do\n"
        f"    if n % {threads} == id then reqs[#reqs + 1] = line end\n"
        "    n = n + 1\n  end\nend\n"
        "request = function()\n  i = i % #reqs + 1\n"
        f"  return wrk.format('GET', reqs[i], {{{hdr}}}, nil)\nend\n"
        "response = function(status, headers, body)\n  got = got + 1\n"
        "  if got == #reqs then\n    io.stderr:write('done\\n')\n    io.stderr:flush()\n"
        "    wrk.thread:stop()\n  end\nend\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    proc = subprocess.Popen(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            "3600s",
            "--timeout",
            "60s",
            "--latency",
            "-s",
            f.name,
            base,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **clients_env(connections)},
    )
    assert proc.stderr is not None and proc.stdout is not None
    done = 0
    for line in proc.stderr:
        done += line.strip() == "done"
        if done == threads:
            proc.send_signal(signal.SIGINT)
            break
    out = proc.stdout.read()
    proc.wait(60)
    os.unlink(f.name)
    os.unlink(lst.name)
    return parse_wrk(out)


# ---------------------------------------------------------------- one size


def nt_dump(dist: Path, out: Path) -> Path:
    with gzip.open(dist / "dumps" / "charta.nt.gz") as src, out.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


#: ``--skip-validate``: prepare without ``charta validate`` (the generator's data is
#: valid; validation is minutes at 10^6 and no target of issue 28).
SKIP_VALIDATE: list[bool] = []


#: ``--crawl-limit N``: the crawl takes the first N resources of its random order
#: (still each once, a first touch): at 10^6 every resource is minutes per server.
CRAWL_LIMIT: list[int] = []


#: ``--query-nice N``: the charta servers' query workers are set to niceness N once
#: the servers run (server/sparql/sandbox.py starts them at nice 5): an experiment.
QUERY_NICE: list[int] = []


def renice_children(run: Running, nice: int) -> list[int]:
    """Set every process under ``run`` whose niceness is above ``nice`` to ``nice``
    (the query workers, once all are up); returns their ids."""
    done: list[int] = []
    for child in psutil.Process(run.proc.pid).children(recursive=True):
        try:
            if child.nice() > nice:
                child.nice(nice)
                done.append(child.pid)
        except psutil.Error:
            pass
    return done


def prepare(target: float, work: Path, reuse: bool) -> tuple[dict, Path]:
    """Generate, validate and build one size (as ``charta build --store-dir`` does), or
    with ``reuse`` take what an earlier run prepared (its preparation figures too)."""
    from server.config import Config
    from server.pages.materialised import SIDECAR, write_sidecar
    from server.pipeline.backends import open_store
    from server.pipeline.build import SEARCH_FILE, build_site
    from server.pipeline.search import SearchIndex

    here = work / f"{target:.0e}".replace("+0", "")
    project, dist, store_dir = here / "project", here / "dist", here / "store"
    marker = here / "prepared.json"
    if reuse and marker.exists():  # same data as a previous run: keep its preparation figures
        r = json.loads(marker.read_text())
        print(f"\n== {r['triples']} triples ({project}, prepared earlier)", flush=True)
    else:
        triples = generate(int(target), project)
        r = {"size": int(target), "triples": triples}
        print(f"\n== {triples} triples ({project})", flush=True)
        if not SKIP_VALIDATE:
            t0 = time.perf_counter()
            subprocess.run(
                [str(BIN / "charta"), "validate", "-q", str(project)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            r["validate_s"] = time.perf_counter() - t0
            print(f"validate {r['validate_s']:.2f} s", flush=True)
        t0 = time.perf_counter()
        built = build_site(Config(root=project, namespace=NS).validated(), store_dir)
        built.write(dist)  # the same recipe as 'charta build --store-dir'
        r["build_s"] = time.perf_counter() - t0
        print(f"build (persisted store, dumps, search index) {r['build_s']:.2f} s", flush=True)
        marker.write_text(json.dumps(r))
    if not (store_dir / SIDECAR).exists():  # prepared before builds materialised descriptions
        import pyoxigraph as ox

        from server.sparql.persisted import DB_DIR, read_meta

        t0 = time.perf_counter()
        n = write_sidecar(
            ox.Store.read_only(str(store_dir / DB_DIR)),
            NS,
            read_meta(store_dir, NS).version,
            store_dir / SIDECAR,
        )
        print(f"materialised {n} descriptions {time.perf_counter() - t0:.2f} s", flush=True)
    if not (dist / SEARCH_FILE).exists():  # prepared before builds saved the index
        store = open_store(
            Config(root=project, namespace=NS, query_workers=1, store_dir=store_dir).validated()
        )
        (dist / SEARCH_FILE).write_bytes(SearchIndex(store, NS).to_json())
        del store
    nt = here / "data.nt"
    if not nt.exists():
        nt_dump(dist, nt)
    return r, here


def measure_size(
    target: float, work: Path, duration: float, peers: tuple[str, ...], workers: int, reuse: bool
) -> dict:
    r, here = prepare(target, work, reuse)
    project, dist, store_dir, nt = here / "project", here / "dist", here / "store", here / "data.nt"
    resources = sample_resources(store_dir)
    paths = ["/" + iri.removeprefix(NS) for iri in resources]
    everything = all_resources(store_dir) if SELECTED & {"crawl", "warm"} else []
    r["resources"] = len(everything) or None
    if CRAWL_LIMIT and len(everything) > CRAWL_LIMIT[0]:  # the first N of the random order
        everything = everything[: CRAWL_LIMIT[0]]
        r["crawled"] = len(everything)

    # -- charta, parsing the sources at start-up
    cmd, env, base = charta(project, dist, None, workers)
    with start(cmd, base, "/id/charta.ttl", env) as run:
        r["charta_parse"] = {"startup_s": run.startup_s, "peak_mib": run.peak_rss / 2**20}
    print(f"charta (parse) start {r['charta_parse']['startup_s']:.2f} s", flush=True)

    # -- every server started, then each workload on each in turn (see load_all)
    servers: dict[str, tuple[str, bool]] = {}  # name -> (SPARQL endpoint, has pages)
    runs: dict[str, Running] = {}
    with ExitStack() as stack:
        for name, extra in (("charta", {}), ("charta_nocache", {"CHARTA_ANSWER_CACHE_MB": "0"})):
            cmd, env, base = charta(project, dist, store_dir, workers, extra)
            runs[name] = stack.enter_context(start(cmd, base, "/id/charta.ttl", env))
            servers[name] = ("/sparql", True)
        if "oxigraph" in peers:
            loc = here / "oxigraph"
            shutil.rmtree(loc, ignore_errors=True)
            t0 = time.perf_counter()
            subprocess.run(
                [str(BIN / "oxigraph"), "load", "--location", str(loc), "--file", str(nt)],
                check=True,
                capture_output=True,
            )
            load_s = time.perf_counter() - t0
            port = free_port()
            cmd = [
                str(BIN / "oxigraph"),
                "serve-read-only",
                "--location",
                str(loc),
                "--bind",
                f"127.0.0.1:{port}",
            ]
            url = f"http://127.0.0.1:{port}"
            runs["oxigraph"] = stack.enter_context(start(cmd, url, "/query?query=ASK%7B%7D"))
            runs["oxigraph"].load_s = load_s
            servers["oxigraph"] = ("/query", False)
        if "rdflib-endpoint" in peers and triples_of(r) <= RDFLIB_MAX:
            port = free_port()
            cmd = [
                str(BIN / "rdflib-endpoint"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                str(nt),
            ]
            url = f"http://127.0.0.1:{port}"
            runs["rdflib-endpoint"] = stack.enter_context(start(cmd, url, "/?query=ASK%7B%7D"))
            servers["rdflib-endpoint"] = ("/", False)
        if QUERY_NICE:  # an experiment on the query workers' priority (they run at nice 5)
            for name in ("charta", "charta_nocache"):
                r.setdefault("reniced", []).extend(renice_children(runs[name], QUERY_NICE[0]))
        r["load_average"] = os.getloadavg()[0]
        figures = load_all(
            {name: (runs[name].base, *servers[name]) for name in servers},
            paths,
            resources,
            duration,
            everything,
        )
        r["load_average_after"] = os.getloadavg()[0]
        for name, run in runs.items():
            res = {
                "startup_s": run.startup_s,
                "peak_mib": run.peak_rss / 2**20,
                "pss_mib": run.pss() / 2**20,
                **figures[name],
            }
            if run.load_s is not None:
                res["load_s"] = run.load_s
            r[name] = res
            print(f"{name} {fmt_res(res)}", flush=True)
    if "warm" in SELECTED:  # a fresh charta, crawled once its warm start is done
        cmd, env, base = charta(project, dist, store_dir, workers)
        with start(cmd, base, "/id/charta.ttl", env) as run:
            t0 = time.perf_counter()
            said = run.wait_for("warm start:", 3600)
            waited = time.perf_counter() - t0
            crawled = ["/" + iri.removeprefix(NS) for iri in everything]
            load = crawl(base, crawled, {"Accept": "text/turtle"}).__dict__
        r["charta_warm"] = {"said": said, "waited_s": waited, "crawl_c8": load}
        print(f"charta, after its warm start ({said}): crawl {load}", flush=True)
        if "oxigraph" in peers:  # Oxigraph server crawled again right after, for the ratio
            port = free_port()
            cmd = [
                str(BIN / "oxigraph"),
                "serve-read-only",
                "--location",
                str(here / "oxigraph"),
                "--bind",
                f"127.0.0.1:{port}",
            ]
            url = f"http://127.0.0.1:{port}"
            with start(cmd, url, "/query?query=ASK%7B%7D") as run:
                described = [query_path("/query", f"DESCRIBE <{iri}>") for iri in everything]
                ox_load = crawl(url, described, {"Accept": "text/turtle"}).__dict__
            r["charta_warm"]["oxigraph_crawl_c8"] = ox_load
            print(f"oxigraph, right after: crawl {ox_load}", flush=True)
    return r


#: The workloads, each measured at c=8: (key, what, numbered). The crawl comes first,
#: before any other workload has asked for a page, so that it meets first touches only.
WORKLOADS = (
    ("crawl", "every resource once, random order, Turtle (peers: DESCRIBE)", False),
    ("warm", "the crawl on a fresh charta once its warm start is done (charta only)", False),
    ("sparql", "the editor's example queries, repeated", False),
    ("distinct", "the same queries, a distinct text (LIMIT) per request", True),
    ("ttl", "dereferencing the sample as Turtle (peers: DESCRIBE)", False),
    ("html", "dereferencing the sample as HTML (charta only)", False),
)


#: The workloads this run measures (``--workloads``); all by default.
SELECTED: set[str] = {key for key, _, _ in WORKLOADS}


def load_all(
    servers: dict[str, tuple[str, str, bool]],
    paths: list[str],
    iris: list[str],
    duration: float,
    everything: list[str],
) -> dict[str, dict]:
    """Every workload at c=8 on every server (``name -> (base, SPARQL endpoint, has pages)``).

    The servers run side by side and take turns workload by workload, so load
    from other processes on a shared machine falls on all of them alike and a
    ratio compares figures measured seconds apart.
    """
    res: dict[str, dict] = {name: {} for name in servers}
    for key, _, numbered in WORKLOADS:
        if key not in SELECTED or key == "warm":  # "warm": measure_size, on its own server
            continue
        for name, (base, endpoint, pages) in servers.items():
            if key == "crawl":  # once, no warm-up: a warm-up would be a second touch
                if pages:
                    crawled = ["/" + iri.removeprefix(NS) for iri in everything]
                else:
                    crawled = [query_path(endpoint, f"DESCRIBE <{iri}>") for iri in everything]
                res[name]["crawl_c8"] = crawl(base, crawled, {"Accept": "text/turtle"}).__dict__
                continue
            if key == "sparql":
                requests = sparql_mix(endpoint)
            elif key == "distinct":
                requests = sparql_distinct(endpoint)
            elif pages:  # charta dereferences its own IRIs
                accept = "text/turtle" if key == "ttl" else "text/html"
                requests = [(p, {"Accept": accept}) for p in paths]
            elif key == "ttl":  # the peers' nearest equivalent: DESCRIBE over SPARQL
                requests = [
                    (query_path(endpoint, f"DESCRIBE <{iri}>"), {"Accept": "text/turtle"})
                    for iri in iris
                ]
            else:
                continue  # the peers have no pages
            # Warm-up, not measured, the same for every server: 3 s per request set,
            # so a fresh worker's one-off stalls (templates, caches, query workers)
            # are not what the figure measures; start-up is measured on its own.
            wrk(base, requests, 8, 3, numbered)
            res[name][f"{key}_c8"] = wrk(base, requests, 8, duration, numbered).__dict__
    return res


def fmt_res(res: dict) -> str:
    parts = [f"start {res['startup_s']:.2f} s", f"peak {res.get('peak_mib', 0):.0f} MiB"]
    for key, _, _ in WORKLOADS:
        v = res.get(f"{key}_c8")
        if v is not None:
            parts.append(
                f"{key} p50 {v['p50_ms']:.1f} p99 {v['p99_ms']:.1f} ms "
                f"{v['rps']:.0f}/s err {v['errors']}"
            )
    return "; ".join(parts)


# ---------------------------------------------------------------- tables

ROWS = (
    # label, path into the result, direction ("↓" lower is better), format
    ("start-up from the sources (s)", ("charta_parse", "startup_s"), "↓", "{:.2f}"),
    ("start-up from a persisted store (s)", ("startup_s",), "↓", "{:.2f}"),
    ("peak memory under load, sum of RSS (MiB)", ("peak_mib",), "↓", "{:.0f}"),
    ("memory after the load, sum of PSS (MiB)", ("pss_mib",), "↓", "{:.0f}"),
    ("validate (s)", ("validate_s",), "↓", "{:.2f}"),
    ("crawl, every resource once c=8 p50 (ms)", ("crawl_c8", "p50_ms"), "↓", "{:.1f}"),
    ("crawl, every resource once c=8 p99 (ms)", ("crawl_c8", "p99_ms"), "↓", "{:.1f}"),
    ("crawl, every resource once c=8 (req/s)", ("crawl_c8", "rps"), "↑", "{:.0f}"),
    ("SPARQL repeated c=8 p50 (ms)", ("sparql_c8", "p50_ms"), "↓", "{:.1f}"),
    ("SPARQL repeated c=8 p99 (ms)", ("sparql_c8", "p99_ms"), "↓", "{:.1f}"),
    ("SPARQL repeated c=8 (req/s)", ("sparql_c8", "rps"), "↑", "{:.0f}"),
    ("SPARQL distinct c=8 p50 (ms)", ("distinct_c8", "p50_ms"), "↓", "{:.1f}"),
    ("SPARQL distinct c=8 p99 (ms)", ("distinct_c8", "p99_ms"), "↓", "{:.1f}"),
    ("SPARQL distinct c=8 (req/s)", ("distinct_c8", "rps"), "↑", "{:.0f}"),
    ("Turtle page c=8 p50 (ms)", ("ttl_c8", "p50_ms"), "↓", "{:.1f}"),
    ("Turtle page c=8 p99 (ms)", ("ttl_c8", "p99_ms"), "↓", "{:.1f}"),
    ("Turtle page c=8 (req/s)", ("ttl_c8", "rps"), "↑", "{:.0f}"),
    ("HTML page c=8 p50 (ms)", ("html_c8", "p50_ms"), "↓", "{:.1f}"),
    ("HTML page c=8 p99 (ms)", ("html_c8", "p99_ms"), "↓", "{:.1f}"),
    ("HTML page c=8 (req/s)", ("html_c8", "rps"), "↑", "{:.0f}"),
)


def dig(r: dict, path: tuple[str, ...]) -> float | None:
    for key in path:
        if not isinstance(r, dict) or key not in r:
            return None
        r = r[key]
    return r  # type: ignore[return-value]


def figure(r: dict, server: str, path: tuple[str, ...]) -> float | None:
    """One figure of one server; start-up from the sources and validation are per size."""
    if path == ("validate_s",):
        return dig(r, path) if server == "charta" else None
    if path[0] == "charta_parse":
        if server == "charta":
            return dig(r, path)
        if server == "oxigraph":  # its nearest: load the dump, then start on it
            load, up = dig(r, ("oxigraph", "load_s")), dig(r, ("oxigraph", "startup_s"))
            return None if load is None or up is None else load + up
        if server == "rdflib-endpoint":  # parses at every start
            return dig(r, (server, "startup_s"))
        return None
    return dig(r, (server, *path))


def cell(f: str, v: float | None) -> str:
    return "–" if v is None or v != v else f.format(v)


def table(results: list[dict], peers: tuple[str, ...]) -> str:
    """Every figure: charta with and without the answer cache, each peer, and charta
    (with the cache) / peer."""
    head = "| triples | figure | charta | charta, no answer cache |" + "".join(
        f" {p} | ratio |" for p in peers
    )
    lines = [head, "|" + "---|" * (4 + 2 * len(peers))]
    for r in results:
        for label, path, better, f in ROWS:
            ours = figure(r, "charta", path)
            if ours is None:
                continue
            cells = [f"{r['triples']:,}", f"{label} {better}", cell(f, ours)]
            cells.append(cell(f, figure(r, "charta_nocache", path)))
            for p in peers:
                pv = figure(r, p, path)
                ok = pv is not None and pv == pv and ours == ours
                cells += [cell(f, pv), f"{ours / pv:.2f}" if ok and pv else "–"]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rate(r: dict, server: str, key: str) -> float | None:
    v = dig(r, (server, f"{key}_c8", "rps"))
    return None if v is None or v != v else v


def deref_rate(r: dict, server: str) -> float | None:
    """Throughput of a half-Turtle, half-HTML mix of the sample, from the two figures:
    each request of the mix takes on average half a Turtle and half an HTML request's
    time, so its rate is the harmonic mean of the two rates."""
    ttl, html = rate(r, server, "ttl"), rate(r, server, "html")
    if ttl is None or html is None:
        return None
    return 2 / (1 / ttl + 1 / html)


def ratios(results: list[dict]) -> str:
    """The targets of issue 16 per size: charta / Oxigraph server, with and without the
    answer cache, the pages' p99, and memory."""
    lines = [
        "| triples | answer cache | crawl / DESCRIBE (p99 ms) "
        "| deref (Turtle+HTML) / DESCRIBE | Turtle / DESCRIBE "
        "| distinct SPARQL | repeated SPARQL | page p99 ms (Turtle, HTML) "
        "| memory: peak RSS MiB (× Oxigraph) | PSS after load | load avg |",
        "|" + "---|" * 11,
    ]
    for r in results:
        ox_ttl, ox_mem = rate(r, "oxigraph", "ttl"), dig(r, ("oxigraph", "peak_mib"))
        for server, label in (("charta", "on"), ("charta_nocache", "off")):
            if server not in r:
                continue

            def over(ours: float | None, peer: float | None) -> str:
                return "–" if ours is None or not peer else f"{ours / peer:.2f}"

            mem = dig(r, (server, "peak_mib"))
            pss, ox_pss = dig(r, (server, "pss_mib")), dig(r, ("oxigraph", "pss_mib"))
            p99 = (dig(r, (server, "ttl_c8", "p99_ms")), dig(r, (server, "html_c8", "p99_ms")))
            cells = [
                f"{r['triples']:,}",
                label,
                f"{over(rate(r, server, 'crawl'), rate(r, 'oxigraph', 'crawl'))} "
                f"({cell('{:.1f}', dig(r, (server, 'crawl_c8', 'p99_ms')))})",
                over(deref_rate(r, server), ox_ttl),
                over(rate(r, server, "ttl"), ox_ttl),
                over(rate(r, server, "distinct"), rate(r, "oxigraph", "distinct")),
                over(rate(r, server, "sparql"), rate(r, "oxigraph", "sparql")),
                f"{cell('{:.1f}', p99[0])}, {cell('{:.1f}', p99[1])}",
                f"{cell('{:.0f}', mem)} ({over(mem, ox_mem)})",
                f"{cell('{:.0f}', pss)} ({over(pss, ox_pss)})",
                f"{r.get('load_average', float('nan')):.1f}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        warm = dig(r, ("charta_warm", "crawl_c8", "rps"))
        if warm is not None:
            ox_crawl = dig(r, ("charta_warm", "oxigraph_crawl_c8", "rps")) or rate(
                r, "oxigraph", "crawl"
            )
            p99 = dig(r, ("charta_warm", "crawl_c8", "p99_ms"))
            ratio = f"{warm / ox_crawl:.2f}" if ox_crawl else "–"
            cells = [f"{r['triples']:,}", "on, after the warm start", f"{ratio} ({p99:.1f})"]
            lines.append("| " + " | ".join(cells + ["–"] * 8) + " |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    mem = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1e3,1e4,1e5,1e6", help="target triples, comma-separated"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per figure")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "charta-bench")
    parser.add_argument("--peers", default=",".join(PEERS), help="oxigraph,rdflib-endpoint or ''")
    parser.add_argument("--workers", type=int, default=2, help="charta serve --workers")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--reuse", action="store_true", help="keep data, store and dumps of an earlier run"
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="generate, validate and build; measure nothing"
    )
    parser.add_argument(
        "--skip-validate",
        action="store_true",
        help="prepare without 'charta validate' (no validate figure)",
    )
    parser.add_argument(
        "--crawl-limit",
        type=int,
        default=0,
        help="crawl only the first N resources of the random order (0: all)",
    )
    parser.add_argument(
        "--query-nice",
        type=int,
        help="set the charta servers' query workers to this niceness (they start at 5)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="CHARTA_X=V",
        help="setting for the charta servers, e.g. CHARTA_QUERY_WORKERS=1",
    )
    parser.add_argument(
        "--workloads",
        default=",".join(key for key, _, _ in WORKLOADS),
        help="which to measure, comma-separated: " + ", ".join(k for k, _, _ in WORKLOADS),
    )
    args = parser.parse_args(argv)
    SELECTED.clear()
    SELECTED.update(w for w in args.workloads.split(",") if w)
    EXTRA_ENV.update(item.split("=", 1) for item in args.env)
    if args.query_nice is not None:
        QUERY_NICE.append(args.query_nice)
    if args.crawl_limit:
        CRAWL_LIMIT.append(args.crawl_limit)
    if args.skip_validate:
        SKIP_VALIDATE.append(True)
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    peers = tuple(p for p in args.peers.split(",") if p)
    results = []
    for size in args.sizes.split(","):
        if args.prepare_only:
            prepare(float(size), args.work, args.reuse)
            continue
        results.append(
            measure_size(float(size), args.work, args.duration, peers, args.workers, args.reuse)
        )
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    if args.prepare_only:
        return 0
    print(
        f"\nMachine: {machine()}; charta serve --workers {args.workers}"
        f"{' ' + ' '.join(args.env) if args.env else ''}; "
        f"wrk on the same machine, 2 threads, c=8, {args.duration:g} s per figure.\n"
    )
    print(table(results, peers))
    if "oxigraph" in peers:
        print("\ncharta / Oxigraph server (throughput ratios: ↑ better; memory ↓ better)\n")
        print(ratios(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
