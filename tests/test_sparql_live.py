"""/sparql on a real socket with SPARQLWrapper as the client: formats, errors, timeout, SSRF."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

pytestmark = pytest.mark.live

THEMES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?n ?label WHERE { ?t skos:topConceptOf <https://w3id.org/charta-ruhr/id/charta> ;
  skos:notation ?n ; skos:prefLabel ?label .
FILTER(lang(?label) = "de") } ORDER BY ?n"""
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def client(base: str, query: str, fmt: str = JSON, method: str = "GET") -> SPARQLWrapper:
    sw = SPARQLWrapper(f"{base}/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_json(live_server: str, method: str) -> None:
    res = client(live_server, THEMES, JSON, method).query().convert()
    rows = [(b["n"]["value"], b["label"]["value"]) for b in res["results"]["bindings"]]
    assert rows[0] == ("I", "Lebenswerte Metropole Ruhr") and len(rows) == 5


def test_select_xml(live_server: str) -> None:
    doc = client(live_server, THEMES, XML).query().convert()
    literals = [n.firstChild.data for n in doc.getElementsByTagName("literal")]
    assert "Artenreiche Metropole Ruhr" in literals


def test_select_csv_and_tsv(live_server: str) -> None:
    csv_text = client(live_server, THEMES, CSV).query().convert().decode()
    assert csv_text.splitlines()[0] == "n,label"
    tsv_text = client(live_server, THEMES, TSV).query().convert().decode()
    assert tsv_text.splitlines()[1] == '"I"\t"Lebenswerte Metropole Ruhr"@de'


def test_ask(live_server: str) -> None:
    res = client(live_server, "ASK { ?s ?p ?o }", JSON).query().convert()
    assert res["boolean"] is True


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, "json-ld"])
def test_construct_formats(live_server: str, fmt: str) -> None:
    query = """CONSTRUCT { ?t <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } WHERE {
      ?t <http://www.w3.org/2004/02/skos/core#topConceptOf> <https://w3id.org/charta-ruhr/id/charta> ;
         <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }"""
    result = client(live_server, query, fmt).query()
    data = result.convert()
    if isinstance(data, rdflib.Graph):
        g = data
    else:
        kind = {TURTLE: "turtle", N3: "turtle", "json-ld": "json-ld"}[fmt]
        g = rdflib.Graph().parse(data=data, format=kind)
    assert len(g) == 10  # 5 themes × (de, en)


def test_describe(live_server: str) -> None:
    g = (
        client(live_server, "DESCRIBE <https://w3id.org/charta-ruhr/id/charta>", RDFXML)
        .query()
        .convert()
    )
    assert (
        rdflib.URIRef("https://w3id.org/charta-ruhr/id/charta"),
        rdflib.URIRef("http://xmlns.com/foaf/0.1/homepage"),
        rdflib.URIRef("http://www.grueneinfrastruktur.rvr.ruhr/"),
    ) in g


def test_malformed_query_raises_query_bad_formed(live_server: str) -> None:
    with pytest.raises(QueryBadFormed) as err:
        client(live_server, "SELECT * WHERE { ?s ?p }").query()
    assert "error at" in str(err.value)


def test_update_is_refused(live_server: str) -> None:
    sw = SPARQLWrapper(f"{live_server}/sparql")
    sw.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    sw.setMethod("POST")
    with pytest.raises(Exception) as err:
        sw.query()
    assert "403" in str(err.value) or "read-only" in str(err.value)


def test_timeout_stops_the_query_while_others_are_answered(live_server: str) -> None:
    outcome: dict[str, object] = {}

    def slow() -> None:
        try:
            client(live_server, CROSS).query()
            outcome["slow"] = "answered"
        except Exception as exc:  # SPARQLWrapper raises on the 504
            outcome["slow"] = str(exc)
        outcome["slow_done"] = time.monotonic()

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.5)  # the cross product is running now
    res = client(live_server, THEMES).query().convert()
    outcome["fast_done"] = time.monotonic()
    t.join(30)
    assert len(res["results"]["bindings"]) == 5
    assert outcome["fast_done"] < outcome["slow_done"]  # answered while the slow one still ran
    assert "504" in str(outcome["slow"])
    # And the service has recovered its worker afterwards.
    assert len(client(live_server, THEMES).query().convert()["results"]["bindings"]) == 5


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A local TCP listener that records every connection it gets."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            hits.append(conn.recv(256))
            conn.close()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield srv.getsockname()[1], hits
    stop.set()
    t.join(2)
    srv.close()


def test_service_load_and_from_cause_no_connection(live_server: str, listener) -> None:
    port, hits = listener
    target = f"http://127.0.0.1:{port}/data"
    attempts = [
        ("GET", {"query": f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"}),
        ("GET", {"query": f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}"}),
        ("GET", {"query": f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}"}),
        ("GET", {"query": f"SELECT * FROM NAMED <{target}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"}),
        ("GET", {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": target}),
        ("GET", {"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": target}),
        ("POST", {"update": f"LOAD <{target}>"}),
        ("POST", {"query": f"LOAD <{target}>"}),
    ]
    statuses = []
    for method, params in attempts:
        data = urllib.parse.urlencode(params).encode()
        if method == "GET":
            req = urllib.request.Request(f"{live_server}/sparql?{data.decode()}")
        else:
            req = urllib.request.Request(f"{live_server}/sparql", data=data, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                statuses.append(resp.status)
                body = resp.read()
                if b"bindings" in body:  # FROM an outside IRI: answered from local data only
                    assert b'"bindings": []' in body
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
            exc.close()
    time.sleep(0.5)
    assert hits == []
    assert statuses == [400, 400, 200, 200, 200, 200, 403, 403]
