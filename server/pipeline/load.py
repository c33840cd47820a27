"""``charta load``: put ontology/ and data/ into a remote SPARQL server, replacing the old version.

The triples go into a fresh temporary graph first, in chunks; one final update
then moves it over the live graph and records the version. Readers see the old
data until that single request, which SPARQL servers run as one transaction
(Oxigraph does; Virtuoso and Fuseki run one update request atomically too).
An interrupted load drops its temporary graph, and the next load drops any
that a killed one left; /sparql never shows such a graph in any case (the
remote store names the dataset of every query itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from server.pipeline.sources import load_sources, release_graphs
from server.sparql.remote import data_graph, meta_graph

CHUNK = 5000


@dataclass(frozen=True)
class LoadResult:
    triples: int
    version: str
    graph: str


def default_update_url(query_url: str) -> str:
    """Oxigraph serves updates at /update beside /query; most others on the same URL."""
    if query_url.rstrip("/").endswith("/query"):
        return query_url.rstrip("/")[: -len("/query")] + "/update"
    return query_url


def _update(url: str, text: str, timeout: float) -> None:
    sw = SPARQLWrapper(url)
    sw.setMethod(POST)
    sw.setTimeout(int(timeout))
    sw.setQuery(text)
    sw.query().response.close()


def _leftovers(query_url: str, prefixes: tuple[str, ...], timeout: float) -> list[str]:
    """Temporary graphs (names starting with one of ``prefixes``) of loads that were killed
    before they could clean up; the server lists its graphs once for all of them."""
    sw = SPARQLWrapper(query_url)
    sw.setMethod(POST)
    sw.setTimeout(int(timeout))
    sw.setReturnFormat(JSON)
    sw.setQuery("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
    try:
        rows = sw.queryAndConvert()["results"]["bindings"]  # type: ignore[index, call-overload]
    except Exception:  # best effort: a server that cannot list graphs keeps its leftovers
        return []
    graphs = [r.get("g", {}).get("value", "") for r in rows if isinstance(r, dict)]
    return [g for g in graphs if isinstance(g, str) and g.startswith(prefixes)]


def _lines(store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph) -> list[str]:
    """One graph as sorted N-Triples lines, ready for INSERT DATA."""
    return sorted(f"{q.triple} ." for q in store.quads_for_pattern(None, None, None, graph))


def load(
    root: Path, namespace: str, query_url: str, update_url: str | None, timeout: float = 120.0
) -> LoadResult:
    """Load everything; raises SPARQLWrapper/urllib errors if the server refuses."""
    update_url = update_url or default_update_url(query_url)
    store = ox.Store()
    version, newest = load_sources(store, root, namespace)
    lines = _lines(store, ox.DefaultGraph())
    # Each release's frozen state goes into the graph its IRI names (the remote
    # store reads it there), moved in with the data in the same final update.
    releases = [(g.value, _lines(store, g)) for g, _ in release_graphs(root, namespace)]
    graph = data_graph(namespace)
    tmp = f"{graph}-loading-{version}"
    parts = [(tmp, graph, lines)] + [(f"{g}-loading-{version}", g, ls) for g, ls in releases]
    prefixes = tuple(f"{target}-loading-" for _, target, _ in parts)
    for stale in _leftovers(query_url, prefixes, timeout):
        _update(update_url, f"DROP SILENT GRAPH <{stale}>", timeout)
    try:
        for part_tmp, _, part in parts:
            _update(update_url, f"DROP SILENT GRAPH <{part_tmp}>", timeout)
            for start in range(0, len(part), CHUNK):
                body = "\n".join(part[start : start + CHUNK])
                _update(update_url, f"INSERT DATA {{ GRAPH <{part_tmp}> {{\n{body}\n}} }}", timeout)
    except BaseException:  # Ctrl-C or a refused chunk: leave nothing half-written behind
        try:
            for part_tmp, _, _ in parts:
                _update(update_url, f"DROP SILENT GRAPH <{part_tmp}>", timeout)
        except Exception:
            pass  # the server is gone; the next load drops the leftovers first
        raise
    moves = "".join(
        f"MOVE SILENT GRAPH <{part_tmp}> TO GRAPH <{target}> ;\n" for part_tmp, target, _ in parts
    )
    modified = datetime.fromtimestamp(int(newest), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _update(
        update_url,
        f"""{moves}DROP SILENT GRAPH <{meta_graph(namespace)}> ;
INSERT DATA {{ GRAPH <{meta_graph(namespace)}> {{
  <{graph}> <{namespace}ontology#version> "{version}" ;
    <http://purl.org/dc/terms/modified> "{modified}"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
}} }}""",
        timeout,
    )
    return LoadResult(len(lines), version, graph)
