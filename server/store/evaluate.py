"""Evaluating one /sparql job on a pyoxigraph store and serialising the answer."""

from __future__ import annotations

from itertools import islice

import pyoxigraph as ox

from server import results
from server.formats import BY_NAME as RDF_BY_NAME
from server.serialize import serialize
from server.store import QueryAnswer, QueryJob, QuerySyntaxError


def evaluate(store: ox.Store, job: QueryJob, prefixes: dict[str, str]) -> QueryAnswer:
    """Run ``job`` and return at most ``job.max_rows`` rows or triples, saying if more existed."""
    kwargs: dict[str, object] = {}
    if job.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    try:
        answer = store.query(job.query, **kwargs)  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise QuerySyntaxError(str(exc)) from exc
    if isinstance(answer, ox.QueryBoolean):
        fmt = results.BY_NAME[job.result_format]
        return QueryAnswer(results.write_ask(bool(answer), fmt), fmt.media_type, False, 1)
    if isinstance(answer, ox.QuerySolutions):
        fmt = results.BY_NAME[job.result_format]
        variables = results.column_order([v.value for v in answer.variables], job.query)
        rows = [[sol[v] for v in variables] for sol in islice(answer, job.max_rows + 1)]
        truncated = len(rows) > job.max_rows
        rows = rows[: job.max_rows]
        body = results.write_select(variables, rows, fmt, truncated)
        return QueryAnswer(body, fmt.media_type, truncated, len(rows))
    rdf = RDF_BY_NAME[job.result_format]
    triples = list(islice(answer, job.max_rows + 1))
    truncated = len(triples) > job.max_rows
    triples = triples[: job.max_rows]
    return QueryAnswer(serialize(triples, rdf, prefixes), rdf.media_type, truncated, len(triples))
