"""Steady-state tail latency of pages at c=8, for several page thread counts.

``run.py`` measures every figure once, right after start-up; this asks the same
60 pages in repeated windows after a warm-up, so a one-off stall of a fresh
worker shows as one outlier instead of the p99. charta runs as ``charta serve``
does (granian), with ``CHARTA_PAGE_THREADS`` set to each of ``--threads``
(``--env`` adds settings, e.g. ``CHARTA_ANSWER_CACHE_MB=0``). Needs data prepared
by ``run.py`` (same ``--work``).

    python benchmarks/tail.py --size 1e6 --threads 2,4,8
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from run import Load, charta, ready, sample_resources, wrk  # noqa: E402

from server.config import DEFAULT_NAMESPACE as NS  # noqa: E402


def summary(loads: list[Load]) -> str:
    p99s = ", ".join(f"{x.p99_ms:.1f}" for x in loads)
    rps = statistics.median(x.rps for x in loads)
    return f"{rps:.0f} | {statistics.median(x.p99_ms for x in loads):.1f} ({p99s})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1e6", help="a size prepared by run.py")
    parser.add_argument("--work", type=Path, default=Path("/tmp/charta-bench"))
    parser.add_argument("--threads", default="2,4,8", help="thread counts to compare")
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per window")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--env", action="append", default=[], metavar="CHARTA_X=V")
    args = parser.parse_args(argv)
    extra = dict(item.split("=", 1) for item in args.env)
    here = args.work / f"{float(args.size):.0e}".replace("+0", "")
    if not (here / "prepared.json").exists():
        print(f"{here}: run 'benchmarks/run.py --sizes {args.size}' first", file=sys.stderr)
        return 2
    paths = ["/" + iri.removeprefix(NS) for iri in sample_resources(here / "store")]
    html = [(p, {"Accept": "text/html"}) for p in paths]
    ttl = [(p, {"Accept": "text/turtle"}) for p in paths]
    print("| page threads | HTML req/s | HTML p99 ms | Turtle req/s | Turtle p99 ms |")
    print("|---|---|---|---|---|")
    for threads in (int(t) for t in args.threads.split(",")):
        settings = {**extra, "CHARTA_PAGE_THREADS": str(threads)}
        cmd, env, base = charta(
            here / "project", here / "dist", here / "store", args.workers, settings
        )
        proc = subprocess.Popen(
            cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while not ready(base + "/id/charta.ttl", {}, 1):
                pass
            wrk(base, html, 8, 3)  # warm-up, not measured
            wrk(base, ttl, 8, 3)
            h, t = [], []
            for _ in range(args.windows):
                h.append(wrk(base, html, 8, args.duration))
                t.append(wrk(base, ttl, 8, args.duration))
            print(f"| {threads} | {summary(h)} | {summary(t)} |", flush=True)
        finally:
            proc.terminate()
            proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
