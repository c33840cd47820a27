"""Measure charta at each data size, side by side with Oxigraph server and rdflib-endpoint.

For every size (synthetic data from ``generate.py``) it measures, in one run:

- start-up time (to the first answer) and peak memory: charta parsing the
  Turtle sources, charta on a persisted store, Oxigraph server (``oxigraph load``
  then ``serve-read-only``), rdflib-endpoint (parses the N-Triples dump);
- ``charta validate`` time (the peers do not validate);
- SPARQL latency (p50/p99) and throughput at concurrency 1 and 8 for the
  editor's example queries, sent as GET ``?query=`` to every server;
- dereferencing: p50/p99 and throughput for Turtle and HTML pages of a fixed
  sample of resources; the peers answer ``DESCRIBE <iri>`` for Turtle and have
  no HTML.

Load comes from wrk (Debian package ``wrk``) on the same machine. Every figure
is printed with its ratio ``charta / peer``; the arrow says which way is better.
Nothing here is asserted: the numbers go into ``docs/benchmarks.md``.

    python benchmarks/run.py --sizes 1e3,1e4,1e5,1e6 --duration 5
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

from server.config import DEFAULT_NAMESPACE as NS  # noqa: E402
from server.examples import EXAMPLES  # noqa: E402

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
    run = Running(proc, base)
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
#: gunicorn threads per charta worker (gthread); a list so main() can set it.
THREADS = [8]


def charta(
    project: Path, dist: Path, store_dir: Path | None, workers: int
) -> tuple[list[str], dict, str]:
    """charta under gunicorn with gthread workers, the way docs/deploy.md runs it."""
    port = free_port()
    env = {
        "CHARTA_ROOT": str(project),
        "CHARTA_DIST_DIR": str(dist),
        "CHARTA_QUERY_TIMEOUT_S": "60",
        **EXTRA_ENV,
    }
    if store_dir is not None:
        env["CHARTA_STORE_DIR"] = str(store_dir)
    cmd = [
        str(BIN / "gunicorn"),
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        str(THREADS[0]),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        "server.app:create_app()",
    ]
    return cmd, env, f"http://127.0.0.1:{port}"


# ---------------------------------------------------------------- load (wrk)


@dataclass(frozen=True)
class Load:
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


def wrk(
    base: str, requests: list[tuple[str, dict[str, str]]], connections: int, duration: float
) -> Load:
    """Run wrk with a Lua script that cycles through ``requests`` (path, headers)."""
    entries = []
    for path, headers in requests:
        hdr = ", ".join(f'["{k}"] = [==[{v}]==]' for k, v in headers.items())
        entries.append(f'wrk.format("GET", [==[{path}]==], {{{hdr}}}, nil)')
    lua = (
        "local reqs = {}\nlocal i = 0\n"
        "init = function(args)\n  reqs = {\n    " + ",\n    ".join(entries) + "\n  }\n"
        "  i = math.random(#reqs)\nend\n"
        "request = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n"
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
    ).stdout
    os.unlink(f.name)
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = sum(
        int(n)
        for n in re.findall(r"(?:Non-2xx or 3xx responses|Socket errors:.*?timeout):?\s+(\d+)", out)
    )
    nan = float("nan")  # too few requests finished for that percentile
    return Load(
        _ms(pct["50"]) if "50" in pct else nan, _ms(pct["99"]) if "99" in pct else nan, rps, errors
    )


def query_path(endpoint: str, text: str) -> str:
    return endpoint + "?" + urllib.parse.urlencode({"query": text})


def sparql_mix(endpoint: str) -> list[tuple[str, dict[str, str]]]:
    return [(query_path(endpoint, e.query), {"Accept": SELECT_ACCEPT}) for e in EXAMPLES]


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


# ---------------------------------------------------------------- one size


def nt_dump(dist: Path, out: Path) -> Path:
    with gzip.open(dist / "dumps" / "charta.nt.gz") as src, out.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def measure_size(
    target: float, work: Path, duration: float, peers: tuple[str, ...], workers: int, reuse: bool
) -> dict:
    from server.build import SEARCH_FILE, build_site
    from server.config import Config
    from server.search import SearchIndex
    from server.store.embedded import EmbeddedStore

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
    if not (dist / SEARCH_FILE).exists():  # prepared before builds saved the index
        store = EmbeddedStore(
            Config(root=project, namespace=NS, query_workers=1, store_dir=store_dir).validated()
        )
        (dist / SEARCH_FILE).write_bytes(SearchIndex(store, NS).to_json())
        del store
    nt = here / "data.nt"
    if not nt.exists():
        nt_dump(dist, nt)
    resources = sample_resources(store_dir)
    paths = ["/" + iri.removeprefix(NS) for iri in resources]

    # -- charta, parsing the sources at start-up
    cmd, env, base = charta(project, dist, None, workers)
    with start(cmd, base, "/id/charta.ttl", env) as run:
        r["charta_parse"] = {"startup_s": run.startup_s, "peak_mib": run.peak_rss / 2**20}
    print(f"charta (parse) start {r['charta_parse']['startup_s']:.2f} s", flush=True)

    # -- charta on the persisted store: start-up, then all the load
    cmd, env, base = charta(project, dist, store_dir, workers)
    with start(cmd, base, "/id/charta.ttl", env) as run:
        res = {"startup_s": run.startup_s}
        res.update(load_all(base, "/sparql", paths, resources, duration, html=True))
        res["peak_mib"] = run.peak_rss / 2**20
        r["charta"] = res
    print(f"charta {fmt_res(r['charta'])}", flush=True)

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
        base = f"http://127.0.0.1:{port}"
        cmd = [
            str(BIN / "oxigraph"),
            "serve-read-only",
            "--location",
            str(loc),
            "--bind",
            f"127.0.0.1:{port}",
        ]
        with start(cmd, base, "/query?query=ASK%7B%7D") as run:
            res = {"startup_s": run.startup_s, "load_s": load_s}
            res.update(load_all(base, "/query", paths, resources, duration, html=False))
            res["peak_mib"] = run.peak_rss / 2**20
            r["oxigraph"] = res
        print(f"oxigraph {fmt_res(r['oxigraph'])}", flush=True)

    if "rdflib-endpoint" in peers and triples_of(r) <= RDFLIB_MAX:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cmd = [
            str(BIN / "rdflib-endpoint"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            str(nt),
        ]
        with start(cmd, base, "/?query=ASK%7B%7D") as run:
            res = {"startup_s": run.startup_s}
            res.update(load_all(base, "/", paths, resources, duration, html=False))
            res["peak_mib"] = run.peak_rss / 2**20
            r["rdflib-endpoint"] = res
        print(f"rdflib-endpoint {fmt_res(r['rdflib-endpoint'])}", flush=True)
    return r


def load_all(
    base: str, endpoint: str, paths: list[str], iris: list[str], duration: float, html: bool
) -> dict:
    """The SPARQL mix and dereferencing, at concurrency 1 and 8."""
    res: dict = {}
    mix = sparql_mix(endpoint)
    if html:  # charta dereferences its own IRIs
        ttl = [(p, {"Accept": "text/turtle"}) for p in paths]
        pages = [(p, {"Accept": "text/html"}) for p in paths]
    else:  # the peers' nearest equivalent: DESCRIBE over SPARQL
        ttl = [
            (query_path(endpoint, f"DESCRIBE <{iri}>"), {"Accept": "text/turtle"}) for iri in iris
        ]
        pages = []
    # Warm-up, not measured, the same for every server: 3 s per request set, so a
    # fresh worker's one-off stalls (templates, caches, spawning query workers)
    # are not what the first figure measures; start-up is measured on its own.
    for requests in (mix, ttl, pages):
        if requests:
            wrk(base, requests, 8, 3)
    for c in (1, 8):
        res[f"sparql_c{c}"] = wrk(base, mix, c, duration).__dict__
        res[f"ttl_c{c}"] = wrk(base, ttl, c, duration).__dict__
        if pages:
            res[f"html_c{c}"] = wrk(base, pages, c, duration).__dict__
    return res


def fmt_res(res: dict) -> str:
    parts = [f"start {res['startup_s']:.2f} s", f"peak {res.get('peak_mib', 0):.0f} MiB"]
    for key in ("sparql_c1", "sparql_c8", "ttl_c8", "html_c8"):
        if key in res:
            v = res[key]
            parts.append(
                f"{key} p50 {v['p50_ms']:.1f} p99 {v['p99_ms']:.1f} ms "
                f"{v['rps']:.0f}/s err {v['errors']}"
            )
    return "; ".join(parts)


# ---------------------------------------------------------------- table

ROWS = (
    # label, path into the result, direction ("↓" lower is better), format
    (
        "start-up from the sources (s)",
        ("charta_parse", "startup_s"),
        ("oxigraph", "load+start"),
        "↓",
        "{:.2f}",
    ),
    (
        "start-up from a persisted store (s)",
        ("charta", "startup_s"),
        ("oxigraph", "startup_s"),
        "↓",
        "{:.2f}",
    ),
    (
        "peak memory under load (MiB)",
        ("charta", "peak_mib"),
        ("oxigraph", "peak_mib"),
        "↓",
        "{:.0f}",
    ),
    ("validate (s)", ("validate_s",), None, "↓", "{:.2f}"),
    ("SPARQL mix c=1 p50 (ms)", ("charta", "sparql_c1", "p50_ms"), None, "↓", "{:.1f}"),
    ("SPARQL mix c=1 p99 (ms)", ("charta", "sparql_c1", "p99_ms"), None, "↓", "{:.1f}"),
    ("SPARQL mix c=1 (req/s)", ("charta", "sparql_c1", "rps"), None, "↑", "{:.0f}"),
    ("SPARQL mix c=8 p50 (ms)", ("charta", "sparql_c8", "p50_ms"), None, "↓", "{:.1f}"),
    ("SPARQL mix c=8 p99 (ms)", ("charta", "sparql_c8", "p99_ms"), None, "↓", "{:.1f}"),
    ("SPARQL mix c=8 (req/s)", ("charta", "sparql_c8", "rps"), None, "↑", "{:.0f}"),
    ("Turtle page c=1 p99 (ms)", ("charta", "ttl_c1", "p99_ms"), None, "↓", "{:.1f}"),
    ("Turtle page c=8 p99 (ms)", ("charta", "ttl_c8", "p99_ms"), None, "↓", "{:.1f}"),
    ("Turtle page c=8 (req/s)", ("charta", "ttl_c8", "rps"), None, "↑", "{:.0f}"),
    ("HTML page c=1 p99 (ms)", ("charta", "html_c1", "p99_ms"), None, "↓", "{:.1f}"),
    ("HTML page c=8 p99 (ms)", ("charta", "html_c8", "p99_ms"), None, "↓", "{:.1f}"),
    ("HTML page c=8 (req/s)", ("charta", "html_c8", "rps"), None, "↑", "{:.0f}"),
)


def dig(r: dict, path: tuple[str, ...]) -> float | None:
    for key in path:
        if not isinstance(r, dict) or key not in r:
            return None
        r = r[key]
    return r  # type: ignore[return-value]


def peer_value(r: dict, peer: str, label: str, ours: tuple[str, ...]) -> float | None:
    if ours == ("validate_s",) or ours[1].startswith("html"):
        return None  # the peers neither validate nor render pages
    if ours[0] == "charta_parse":  # the peer's nearest: load the dump, then start on it
        if peer == "oxigraph":
            load, up = dig(r, ("oxigraph", "load_s")), dig(r, ("oxigraph", "startup_s"))
            return None if load is None or up is None else load + up
        return dig(r, (peer, "startup_s"))  # rdflib-endpoint parses at every start
    return dig(r, (peer, *ours[1:]))


def table(results: list[dict], peers: tuple[str, ...]) -> str:
    head = "| triples | figure | charta |" + "".join(f" {p} | ratio |" for p in peers)
    lines = [head, "|" + "---|" * (3 + 2 * len(peers))]
    for r in results:
        for label, ours, _, better, f in ROWS:
            v = dig(r, ours)
            if v is None:
                continue
            cells = [f"{r['triples']:,}", f"{label} {better}", f.format(v)]
            for p in peers:
                pv = peer_value(r, p, label, ours)
                if pv is None or pv != pv:
                    cells += ["–", "–"]
                else:
                    ratio = v / pv if pv else float("inf")
                    cells += [f.format(pv), f"{ratio:.2f}"]
            lines.append("| " + " | ".join(cells) + " |")
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
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for charta")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per charta worker")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--reuse", action="store_true", help="keep data, store and dumps of an earlier run"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="CHARTA_X=V",
        help="setting for the charta servers, e.g. CHARTA_ANSWER_CACHE_MB=0",
    )
    args = parser.parse_args(argv)
    EXTRA_ENV.update(item.split("=", 1) for item in args.env)
    THREADS[0] = args.threads
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    peers = tuple(p for p in args.peers.split(",") if p)
    results = []
    for size in args.sizes.split(","):
        results.append(
            measure_size(float(size), args.work, args.duration, peers, args.workers, args.reuse)
        )
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    print(
        f"\nMachine: {machine()}; charta: {args.workers} gunicorn workers × {args.threads} threads"
        f"{' ' + ' '.join(args.env) if args.env else ''}; "
        f"wrk on the same machine, {args.duration:g} s per figure.\n"
    )
    print(table(results, peers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
