"""/sparql through the Flask test client: protocol, formats, errors, limits, CORS."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable

import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient

from server.config import Config
from server.profile.examples import EXAMPLES
from server.web.app import create_app
from tests.conftest import ROOT

Q = "SELECT ?s WHERE { ?s a <http://www.w3.org/2004/02/skos/core#ConceptScheme> } ORDER BY ?s"


@pytest.fixture(scope="module")
def app_config() -> dict[str, object]:
    """Small limits, so that the tests reach them."""
    return {"max_rows": 50, "max_query_bytes": 2000, "query_workers": 1, "query_timeout_s": 5}


def bindings(r) -> list[dict]:
    return r.get_json()["results"]["bindings"]


def test_get_form_post_and_direct_post_agree(client: FlaskClient) -> None:
    a = client.get("/sparql", query_string={"query": Q})
    b = client.post("/sparql", data={"query": Q})
    c = client.post("/sparql", data=Q.encode(), content_type="application/sparql-query")
    assert a.status_code == b.status_code == c.status_code == 200
    assert bindings(a) == bindings(b) == bindings(c)
    assert (
        len(bindings(a)) == 12
    )  # the Charta, the Produkthaushalt and 10 value sets (3 of the register)


@pytest.mark.parametrize(
    ("accept", "mime"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("*/*", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
    ],
)
def test_select_formats(client: FlaskClient, accept: str, mime: str) -> None:
    r = client.get("/sparql", query_string={"query": Q}, headers={"Accept": accept})
    assert r.status_code == 200 and r.mimetype == mime
    if mime == "text/csv":
        rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
        assert rows[0] == ["s"] and len(rows) == 13
    if mime == "text/tab-separated-values":
        lines = r.get_data(as_text=True).splitlines()
        assert lines[0] == "?s" and lines[1].startswith("<https://")


def test_select_star_columns_follow_the_query(client: FlaskClient) -> None:
    """Oxigraph sorts SELECT * variables by name; users expect the query's order."""
    q = "SELECT * WHERE { ?thema <http://www.w3.org/2004/02/skos/core#notation> ?nr } LIMIT 3"
    r = client.get("/sparql", query_string={"query": q}, headers={"Accept": "text/csv"})
    assert next(csv.reader(io.StringIO(r.get_data(as_text=True)))) == ["thema", "nr"]
    r = client.get("/sparql", query_string={"query": q}, headers={"Accept": "application/json"})
    assert r.get_json()["head"]["vars"] == ["thema", "nr"]
    q = "SELECT ?nr ?thema WHERE { ?thema <http://www.w3.org/2004/02/skos/core#notation> ?nr }"
    r = client.get("/sparql", query_string={"query": q}, headers={"Accept": "application/json"})
    assert r.get_json()["head"]["vars"] == ["nr", "thema"]


def test_head_answers_like_get_without_a_body(client: FlaskClient) -> None:
    get = client.get("/sparql", query_string={"query": Q}, headers={"Accept": "text/csv"})
    head = client.head("/sparql", query_string={"query": Q}, headers={"Accept": "text/csv"})
    assert head.status_code == 200 and head.data == b""
    assert head.mimetype == "text/csv" and head.headers["ETag"] == get.headers["ETag"]


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_graph_iri_that_is_not_absolute_is_named_in_a_400(client: FlaskClient, param: str) -> None:
    r = client.get("/sparql", query_string={"query": Q, param: "notaniri"})
    assert r.status_code == 400
    assert f"{param}: not an absolute IRI: 'notaniri'" in r.get_data(as_text=True)


def test_output_parameter_overrides_accept(client: FlaskClient) -> None:
    r = client.get(
        "/sparql",
        query_string={"query": Q, "format": "csv"},
        headers={"Accept": "application/json"},
    )
    assert r.mimetype == "text/csv"


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
    ],
)
def test_construct_and_describe_in_every_rdf_format(
    client: FlaskClient, accept: str, fmt: str
) -> None:
    for query in (
        "CONSTRUCT { ?t ?p ?o } WHERE { ?t a <https://w3id.org/charta-ruhr/ontology#Leitthema> ; ?p ?o }",
        "DESCRIBE <https://w3id.org/charta-ruhr/id/charta>",
    ):
        r = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
        assert r.status_code == 200 and r.mimetype == accept
        assert len(rdflib.Graph().parse(data=r.data, format=fmt)) > 10


def test_ask(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert r.get_json()["boolean"] is True


def test_every_example_query_answers_with_rows(client: FlaskClient) -> None:
    for ex in EXAMPLES:
        r = client.post("/sparql", data={"query": ex.query})
        assert r.status_code == 200, ex.key
        assert bindings(r), ex.key


def test_row_limit_is_signalled(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert len(bindings(r)) == 50
    assert r.headers["X-Charta-Truncated"] == "true"
    assert r.get_json()["truncated"] is True
    assert "truncated" in r.headers["Warning"]
    small = client.get("/sparql", query_string={"query": Q})
    assert "X-Charta-Truncated" not in small.headers


def test_an_answer_is_cut_at_the_byte_cap_and_says_so(make_app: Callable[..., Flask]) -> None:
    """A short query can ask for a huge answer (a 10 KB one built 134 MB in a web worker);
    the web worker reads at most CHARTA_MAX_ANSWER_MB of it and says the answer was cut."""
    client = make_app(max_answer_mb=1, max_rows=1000).test_client()
    binds = ['BIND("0123456789abcdef" AS ?a0)'] + [
        f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(12)
    ]
    big = "SELECT ?s ?a12 WHERE { ?s ?p ?o . " + " ".join(binds) + " } LIMIT 500"
    r = client.get(
        "/sparql",
        query_string={"query": big},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200
    assert len(r.data) <= 2**20
    assert r.headers["X-Charta-Truncated"] == "true"
    assert "answer size limit" in r.headers["Warning"]
    doc = r.get_json()
    assert doc["truncated"] is True and 0 < len(doc["results"]["bindings"]) < 500


def test_malformed_query_names_the_position(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.status_code == 400
    assert b"error at 1:" in r.data


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/>",
        "CLEAR DEFAULT",
        "DROP ALL",
    ],
)
def test_updates_are_refused_and_change_nothing(client: FlaskClient, update: str) -> None:
    before = client.get(
        "/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}
    ).get_json()
    for r in (
        client.post("/sparql", data={"update": update}),
        client.post("/sparql", data=update, content_type="application/sparql-update"),
        client.post("/sparql", data={"query": update}),
    ):
        assert r.status_code == 403
        assert b"read-only" in r.data
    after = client.get(
        "/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}
    ).get_json()
    assert before == after


def test_service_is_refused(client: FlaskClient) -> None:
    r = client.get(
        "/sparql",
        query_string={"query": "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"},
    )
    assert r.status_code == 400 and b"SERVICE" in r.data


def test_too_long_query_is_413(client: FlaskClient) -> None:
    long = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 3000
    assert client.get("/sparql", query_string={"query": long}).status_code == 413
    assert (
        client.post(
            "/sparql", data=long.encode(), content_type="application/sparql-query"
        ).status_code
        == 413
    )


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    assert client.post("/sparql", data=Q, content_type="text/plain").status_code == 415


def test_unknown_format_parameter_falls_back_to_accept(client: FlaskClient) -> None:
    r = client.get(
        "/sparql",
        query_string={"query": "DESCRIBE <urn:x>", "format": "json"},
        headers={"Accept": "application/n-triples"},
    )
    assert r.status_code == 200 and r.mimetype == "application/ld+json"  # "json" names JSON-LD here
    r = client.get(
        "/sparql", query_string={"query": Q, "format": "bogus"}, headers={"Accept": "text/csv"}
    )
    assert r.mimetype == "text/csv"


def test_construct_for_a_json_client_is_json_ld(client: FlaskClient) -> None:
    q = "CONSTRUCT WHERE { ?s <http://www.w3.org/2004/02/skos/core#notation> ?n }"
    r = client.get("/sparql", query_string={"query": q}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    assert len(rdflib.Graph().parse(data=r.data, format="json-ld")) > 0
    select = client.get(
        "/sparql", query_string={"query": Q}, headers={"Accept": "application/json"}
    )
    assert select.mimetype == "application/sparql-results+json"


def test_nothing_acceptable_is_406(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": Q}, headers={"Accept": "image/png"})
    assert r.status_code == 406


def test_cors_on_answers_errors_and_preflight(client: FlaskClient) -> None:
    assert (
        client.get("/sparql", query_string={"query": Q}).headers["Access-Control-Allow-Origin"]
        == "*"
    )
    assert (
        client.get("/sparql", query_string={"query": "nonsense"}).headers[
            "Access-Control-Allow-Origin"
        ]
        == "*"
    )
    pre = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 204
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in pre.headers["Access-Control-Allow-Headers"]


def test_service_description(client: FlaskClient) -> None:
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = next(g.subjects(rdflib.RDF.type, sd.Service))
    assert str(service).endswith("/sparql")
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in g
    formats = set(g.objects(service, sd.resultFormat))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_TSV") in formats


def test_browser_gets_the_editor_with_examples_from_our_own_files(client: FlaskClient) -> None:
    r = client.get("/sparql", headers={"Accept": "text/html"})
    html = r.get_data(as_text=True)
    assert r.mimetype == "text/html"
    assert 'src="/static/yasgui/yasgui.min.js?v=' in html and "cdn" not in html.lower()
    with client.get("/static/yasgui/yasgui.min.js") as js:
        assert js.status_code == 200
    for ex in EXAMPLES:
        assert f'data-example="{ex.key}"' in html
    prefilled = client.get("/sparql", query_string={"query": Q}, headers={"Accept": "text/html"})
    escaped = json.dumps(Q).replace("<", "\\u003c").replace(">", "\\u003e")  # as Jinja's tojson
    assert escaped in prefilled.get_data(as_text=True)


def test_a_query_finding_every_worker_busy_gets_503_while_pages_answer() -> None:
    """A waiting query holds a web thread; it gives up after CHARTA_QUERY_QUEUE_S."""
    app = create_app(
        Config(
            root=ROOT, testing=True, query_workers=1, query_queue_s=0.5, query_timeout_s=4.0
        ).validated()
    )
    client = app.test_client()
    json_accept = {"Accept": "application/sparql-results+json"}
    ask = client.get("/sparql", query_string={"query": "ASK {}"}, headers=json_accept)
    assert ask.status_code == 200
    cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    slow: dict[str, int] = {}
    thread = threading.Thread(
        target=lambda: slow.update(
            status=app.test_client()
            .get("/sparql", query_string={"query": cross}, headers=json_accept)
            .status_code
        )
    )
    thread.start()
    time.sleep(0.5)  # the one worker is on the cross product now
    # From another address: the first one's fair share (query_workers - 1, at least 1)
    # is taken by the cross product, and it would get 429 instead.
    busy = client.get(
        "/sparql",
        query_string={"query": Q},
        headers=json_accept,
        environ_base={"REMOTE_ADDR": "127.0.0.2"},
    )
    assert busy.status_code == 503, busy.headers
    assert "busy" in busy.get_data(as_text=True)
    assert busy.headers["Retry-After"] == "5"
    assert client.get("/id/charta", headers={"Accept": "text/turtle"}).status_code == 200
    thread.join(30)
    assert slow["status"] == 504


def test_a_query_that_needs_too_much_memory_is_stopped_and_others_go_on() -> None:
    """Thirty doublings of a string would take 10 GiB; the worker's cap stops it."""
    app = create_app(
        Config(root=ROOT, testing=True, query_workers=1, query_memory_mb=200).validated()
    )
    client = app.test_client()
    binds = ['BIND("0123456789" AS ?a0)'] + [
        f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(30)
    ]
    huge = "SELECT (STRLEN(?a30) AS ?n) WHERE { " + " ".join(binds) + " }"
    r = client.get("/sparql", query_string={"query": huge})
    assert r.status_code == 400
    assert "needed more than 200 MB of memory" in r.get_data(as_text=True)
    deadline = time.monotonic() + 30  # its worker is replaced in the background
    while (ok := client.get("/sparql", query_string={"query": Q})).status_code == 503:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert ok.status_code == 200 and len(bindings(ok)) == 12


def test_wrong_method_says_which_are_allowed(client: FlaskClient) -> None:
    r = client.delete("/sparql")
    assert r.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in r.headers["Allow"].split(",")}
