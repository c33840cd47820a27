"""Turning one /sparql job's results into the answer's bytes, under the row and byte caps.

Both stores end here: the embedded store's query workers with the engine's
own results, the remote store with the results it parsed from the server's
answer, so the caps and their signals are the same on every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from typing import TypeVar

import pyoxigraph as ox

from server.rdf.formats import BY_NAME as RDF_BY_NAME
from server.rdf.serialize import serialize
from server.sparql import QueryAnswer, QueryJob, QuerySyntaxError, results

Writer = Callable[[int, bool], bytes]
T = TypeVar("T")


def evaluate(
    store: ox.Store, job: QueryJob, prefixes: dict[str, str], order: tuple[str, ...] | None
) -> QueryAnswer:
    """Run ``job`` on ``store`` and make its answer (see :func:`answer`)."""
    kwargs: dict[str, object] = {}
    if job.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    try:
        result = store.query(job.query, **kwargs)  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise QuerySyntaxError(str(exc)) from exc
    return answer(result, job, prefixes, order)


def answer(
    result: ox.QueryBoolean | ox.QuerySolutions | Iterable[ox.Triple],
    job: QueryJob,
    prefixes: dict[str, str],
    order: tuple[str, ...] | None = None,
    cut_short: Callable[[], bool] = lambda: False,
) -> QueryAnswer:
    """At most ``job.max_rows`` rows or triples in ``job.max_answer_bytes``; says if more existed.

    ``cut_short``: did the results end early because we stopped reading (the
    remote store's answer at our byte cap)? Then the answer says it is cut. A
    stream that breaks off for any other reason (the store died, or ended its
    answer half-way) is an error, raised as it came, never a shorter answer
    that looks whole.
    """
    if isinstance(result, ox.QueryBoolean):
        fmt = results.BY_NAME[job.result_format]
        return QueryAnswer(results.write_ask(bool(result), fmt), fmt.media_type, False, 1)
    if isinstance(result, ox.QuerySolutions):
        fmt = results.BY_NAME[job.result_format]
        variables = results.column_order([v.value for v in result.variables], order)
        solutions = _until_cut(result, job.max_rows + 1, cut_short)
        rows = [[sol[v] for v in variables] for sol in solutions]

        def write_rows(n: int, truncated: bool) -> bytes:
            return results.write_select(variables, rows[:n], fmt, truncated)

        return _fit(len(rows), write_rows, job, fmt.media_type, cut_short())
    rdf = RDF_BY_NAME[job.result_format]
    triples = list(_until_cut(result, job.max_rows + 1, cut_short))

    def write_triples(n: int, truncated: bool) -> bytes:
        return serialize(triples[:n], rdf, prefixes)

    return _fit(len(triples), write_triples, job, rdf.media_type, cut_short())


def _until_cut(items: Iterable[T], limit: int, cut_short: Callable[[], bool]) -> list[T]:
    """Up to ``limit`` items; a stream we cut at the byte cap ends the list there.

    The parser meets the end of a cut stream as a syntax error; only when
    ``cut_short()`` says we cut it is that the end of the answer. Any other
    break is raised: a UNION whose store died after 62 rows was sent as a whole
    answer of 62 rows and kept in the answer cache for the data version.
    """
    out: list[T] = []
    try:
        for item in islice(items, limit):
            out.append(item)
    except (SyntaxError, ValueError, OSError):
        if not cut_short():
            raise
    return out


def _fit(total: int, write: Writer, job: QueryJob, media_type: str, cut_short: bool) -> QueryAnswer:
    """The longest prefix of the ``total`` items whose bytes fit the caps.

    Rows beyond ``max_rows`` are dropped first; if the rest is still longer
    than ``max_answer_bytes`` (a few huge strings), the count is halved until
    it fits, then grown back by bisection: O(log n) serialisations, only for
    answers that are too big anyway.
    """
    n = min(total, job.max_rows)
    by_rows = total > job.max_rows
    cut = by_rows or cut_short
    body = write(n, cut)
    if len(body) <= job.max_answer_bytes:
        return QueryAnswer(
            body, media_type, cut, n, "rows" if by_rows else "bytes" if cut else None
        )
    lo, hi = 0, n  # write(lo) fits, write(hi) does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if len(write(mid, True)) <= job.max_answer_bytes:
            lo = mid
        else:
            hi = mid
    return QueryAnswer(write(lo, True), media_type, True, lo, "bytes")
