"""Issue 16's last lever, measured: queries evaluated in Rust (Oxigraph server with its
own ``--timeout-s``) behind charta's web tier, against charta's Python query workers.

charta's remote mode is exactly that lever: the web tier checks the query policy and
admission, then the SPARQL server evaluates (with its own deadline) and charta streams
the answer back. So the distinct-query workload runs, one after the other on the same
prepared data (``run.py --prepare-only``), against

- ``embedded``: ``charta serve --store-dir`` (query workers, 1 web worker × 2 or 4);
- ``remote``: ``charta serve --store URL`` on an Oxigraph server loaded with
  ``charta load`` (``--timeout-s``), 1 web worker;
- ``oxigraph``: that Oxigraph server asked directly (the same queries, the data graph
  as ``default-graph-uri``), the ceiling.

Nothing is asserted; the figures go into docs/benchmarks.md.

    python benchmarks/run.py --sizes 1e3,1e5 --prepare-only --peers oxigraph
    python benchmarks/rust_lever.py --sizes 1e3,1e5
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from run import (  # noqa: E402
    BIN,
    NS,
    charta,
    free_port,
    sparql_distinct,
    start,
    wrk,
)

from server.pipeline.load import load  # noqa: E402
from server.sparql.remote import data_graph  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1e3,1e5")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "charta-bench")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--query-workers", type=int, default=4)
    args = parser.parse_args(argv)
    for size in args.sizes.split(","):
        here = args.work / f"{float(size):.0e}".replace("+0", "").replace("+", "")
        project, dist, store_dir = here / "project", here / "dist", here / "store"
        if not store_dir.is_dir():
            print(f"{here}: not prepared (run.py --prepare-only)", file=sys.stderr)
            return 2
        with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            oxi = f"http://127.0.0.1:{port}"
            cmd = [
                str(BIN / "oxigraph"),
                "serve",
                "--location",
                tmp,
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout-s",
                "10",
            ]
            stack.enter_context(start(cmd, oxi, "/query?query=ASK%7B%7D"))
            t0 = time.perf_counter()
            load(project, NS, oxi + "/query", None, timeout=600)
            print(f"{size}: charta load into Oxigraph server {time.perf_counter() - t0:.1f} s")
            extra = {"CHARTA_QUERY_WORKERS": str(args.query_workers)}
            cmd_e, env_e, base_e = charta(project, dist, store_dir, 1, extra)
            stack.enter_context(start(cmd_e, base_e, "/id/charta.ttl", env_e))
            cmd_r, env_r, base_r = charta(project, dist, None, 1, extra)
            # Remote mode: the same site on the Oxigraph server (no query workers).
            cmd_r = [
                str(BIN / "charta"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                base_r.rsplit(":", 1)[1],
                "--workers",
                "1",
                "--store",
                oxi + "/query",
                "--dist-dir",
                str(dist),
            ]
            stack.enter_context(start(cmd_r, base_r, "/id/charta.ttl", env_r))
            graph = urllib.parse.quote(data_graph(NS), safe="")
            direct = [
                (path.replace("/query?", f"/query?default-graph-uri={graph}&"), headers)
                for path, headers in sparql_distinct("/query")
            ]
            rounds = {
                "embedded": (base_e, sparql_distinct("/sparql")),
                "remote": (base_r, sparql_distinct("/sparql")),
                "oxigraph": (oxi, direct),
            }
            got: dict[str, float] = {}
            for name, (base, requests) in rounds.items():
                wrk(base, requests, 8, 2, numbered=True)  # warm-up
                res = wrk(base, requests, 8, args.duration, numbered=True)
                got[name] = res.rps
                print(
                    f"{size} {name:9} {res.rps:8.0f} req/s  p50 {res.p50_ms:6.1f} ms  "
                    f"p99 {res.p99_ms:6.1f} ms  errors {res.errors}",
                    flush=True,
                )
            print(
                f"{size}: distinct SPARQL / Oxigraph server: embedded "
                f"{got['embedded'] / got['oxigraph']:.2f}, remote (Rust evaluation) "
                f"{got['remote'] / got['oxigraph']:.2f}; load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
