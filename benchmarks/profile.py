"""Profiles of the slowest paths, with pyinstrument, on data written by ``run.py``.

    python benchmarks/profile.py --size 1e5 validate   # charta validate
    python benchmarks/profile.py --size 1e5 pages      # uncached Turtle and HTML pages
    python benchmarks/profile.py --size 1e5 crawl      # every resource once as Turtle (first touch)
    python benchmarks/profile.py --size 1e5 sparql     # the query mix, uncached
    python benchmarks/profile.py --size 1e5 distinct   # the mix with a new LIMIT per request

Prints the call tree (pyinstrument's text view, library frames folded) and the
time per operation, so a change can be judged by the same command before and
after.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def main(argv: list[str] | None = None) -> int:
    from pyinstrument import Profiler
    from run import sample_resources

    from server.config import DEFAULT_NAMESPACE as NS
    from server.config import Config

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("validate", "pages", "crawl", "sparql", "distinct"))
    parser.add_argument("--size", default="1e5", help="a size prepared by run.py")
    parser.add_argument("--work", type=Path, default=Path("/tmp/charta-bench"))
    parser.add_argument("--limit", type=int, default=0, help="crawl: the first N resources only")
    args = parser.parse_args(argv)
    here = args.work / f"{float(args.size):.0e}".replace("+0", "")
    if not (here / "prepared.json").exists():
        print(f"{here}: run 'benchmarks/run.py --sizes {args.size}' first", file=sys.stderr)
        return 2
    profiler = Profiler(interval=0.001)
    if args.what == "validate":
        from server.pipeline.validate import validate

        profiler.start()
        t0 = time.perf_counter()
        validate(here / "project", NS)
        n, unit = 1, "validation"
    else:
        from server.web.app import create_app

        config = Config(
            root=here / "project",
            store_dir=here / "store",
            dist_dir=here / "dist",
            answer_cache_mb=0,
            testing=True,
            query_workers=1,
        ).validated()
        client = create_app(config).test_client()
        if args.what == "crawl":  # run.py's crawl: every resource once as Turtle, first touch
            from run import all_resources

            paths = ["/" + iri.removeprefix(NS) for iri in all_resources(here / "store")]
            paths = paths[: args.limit] if args.limit else paths
            accept = {"Accept": "text/turtle"}
            # no answer cache (below), so every request is a first touch
            calls = [lambda p=p: client.get(p, headers=accept) for p in paths]
        elif args.what == "pages":
            paths = ["/" + iri.removeprefix(NS) for iri in sample_resources(here / "store")]
            requests = [(p, {"Accept": a}) for p in paths for a in ("text/turtle", "text/html")]
            calls = [lambda p=p, h=h: client.get(p, headers=h) for p, h in requests]
        else:
            from server.profile.examples import EXAMPLES

            # "distinct": each text once (a LIMIT per request), as run.py's workload
            number = 10**9 if args.what == "distinct" else None
            texts = [
                e.query if number is None else f"{e.query}\nLIMIT {number + i * len(EXAMPLES) + k}"
                for i in range(20)
                for k, e in enumerate(EXAMPLES)
            ]
            calls = [
                lambda q=q: client.get(
                    "/sparql",
                    query_string={"query": q},
                    headers={"Accept": "application/sparql-results+json"},
                )
                for q in texts
            ]
        calls[0]()  # templates compiled, query workers started
        profiler.start()
        t0 = time.perf_counter()
        for call in calls:
            assert call().status_code == 200
        n, unit = len(calls), "request"
    elapsed = time.perf_counter() - t0
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False))
    print(f"{elapsed / n * 1000:.2f} ms per {unit} ({n} in {elapsed:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
