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

from server.pipeline.sources import load_sources, release_graphs
from server.sparql import StoreError
from server.sparql.client import RESULTS_JSON, SparqlClient, default_update_url
from server.sparql.remote import data_graph, meta_graph

__all__ = ["CHUNK", "LoadResult", "default_update_url", "load"]

CHUNK = 5000
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
DCT_MODIFIED = ox.NamedNode("http://purl.org/dc/terms/modified")


@dataclass(frozen=True)
class LoadResult:
    triples: int
    version: str
    graph: str


def _leftovers(client: SparqlClient, prefixes: tuple[str, ...], timeout: float) -> list[str]:
    """Temporary graphs (names starting with one of ``prefixes``) of loads that were killed
    before they could clean up; the server lists its graphs once for all of them."""
    try:
        body, _ = client.read("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", RESULTS_JSON, timeout)
        rows = list(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))  # type: ignore[arg-type]
    except (StoreError, SyntaxError, ValueError):
        return []  # best effort: a server that cannot list graphs keeps its leftovers
    graphs = [row["g"] for row in rows]
    return [g.value for g in graphs if isinstance(g, ox.NamedNode) and g.value.startswith(prefixes)]


def _drop(graph: str) -> str:
    """``DROP SILENT GRAPH`` of ``graph``, its IRI written by pyoxigraph (which refuses
    what is no IRI): a graph name the server listed never becomes part of an update."""
    return f"DROP SILENT GRAPH {ox.NamedNode(graph)}"


def _lines(store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph) -> list[str]:
    """One graph as sorted N-Triples lines, ready for INSERT DATA."""
    return sorted(f"{q.triple} ." for q in store.quads_for_pattern(None, None, None, graph))


def load(
    root: Path, namespace: str, query_url: str, update_url: str | None, timeout: float = 120.0
) -> LoadResult:
    """Load everything; raises a StoreError (:mod:`server.sparql.client`) if the server
    cannot be reached or refuses."""
    client = SparqlClient(query_url, update_url)
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
    for stale in _leftovers(client, prefixes, timeout):
        client.update(_drop(stale), timeout)
    try:
        for part_tmp, _, part in parts:
            client.update(_drop(part_tmp), timeout)
            into = ox.NamedNode(part_tmp)
            for start in range(0, len(part), CHUNK):
                body = "\n".join(part[start : start + CHUNK])
                client.update(f"INSERT DATA {{ GRAPH {into} {{\n{body}\n}} }}", timeout)
    except BaseException:  # Ctrl-C or a refused chunk: leave nothing half-written behind
        try:
            for part_tmp, _, _ in parts:
                client.update(_drop(part_tmp), timeout)
        except Exception:
            pass  # the server is gone; the next load drops the leftovers first
        raise
    moves = "".join(
        f"MOVE SILENT GRAPH {ox.NamedNode(part_tmp)} TO GRAPH {ox.NamedNode(target)} ;\n"
        for part_tmp, target, _ in parts
    )
    modified = datetime.fromtimestamp(int(newest), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = ox.NamedNode(meta_graph(namespace))
    record = ox.Triple(
        ox.NamedNode(graph), ox.NamedNode(f"{namespace}ontology#version"), ox.Literal(version)
    )
    stamp = ox.Triple(
        ox.NamedNode(graph), DCT_MODIFIED, ox.Literal(modified, datatype=XSD_DATETIME)
    )
    client.update(
        f"""{moves}DROP SILENT GRAPH {meta} ;
INSERT DATA {{ GRAPH {meta} {{
  {record} .
  {stamp} .
}} }}""",
        timeout,
    )
    return LoadResult(len(lines), version, graph)
