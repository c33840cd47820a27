"""Issue 19: what third-party clients found (each test failed before its fix).

1. static files fingerprinted, gzipped, immutable; the editor gzipped with an ETag;
3. no answer repeats a triple (every resource, every format);
5. CORS on data, not only on /sparql;
6. --base-url: the catalog's download and endpoint URLs follow it;
7. CONSTRUCT with only result types in Accept gets Turtle, not 406.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NS

GZIP = {"Accept-Encoding": "gzip"}


def _page(client: FlaskClient, path: str) -> str:
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_pages_name_static_files_by_their_fingerprint(client: FlaskClient) -> None:
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', _page(client, "/sparql"))
    assert len(urls) >= 4
    for url in urls:
        assert re.fullmatch(r"/static/[\w./-]+\?v=[0-9a-f]{16}", url), url


def test_a_fingerprinted_static_file_is_gzipped_and_immutable(client: FlaskClient) -> None:
    url = next(
        u for u in re.findall(r'src="(/static/[^"]+)"', _page(client, "/sparql")) if "yasgui" in u
    )
    plain = client.get(url)
    r = client.get(url, headers=GZIP)
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in r.headers["Vary"]
    assert gzip.decompress(r.data) == plain.data
    assert len(r.data) < len(plain.data) / 3  # 1,012,309 bytes before, 280,826 gzipped
    assert r.headers["ETag"] != plain.headers["ETag"]
    again = client.get(url, headers={**GZIP, "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_an_unfingerprinted_or_stale_url_is_revalidated_not_cached_for_ever(
    client: FlaskClient,
) -> None:
    for url in ("/static/search.js", "/static/search.js?v=0000000000000000"):
        r = client.get(url)
        assert r.status_code == 200
        assert r.headers["Cache-Control"] == "public, no-cache"
        assert r.headers["ETag"]


def test_static_files_stay_inside_the_static_folder(client: FlaskClient) -> None:
    assert client.get("/static/../config.py").status_code == 404
    assert client.get("/static/nothing.js").status_code == 404


def test_the_editor_is_gzipped_with_an_etag(client: FlaskClient) -> None:
    headers = {"Accept": "text/html", **GZIP}
    r = client.get("/sparql", headers=headers)
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["ETag"].endswith('-gzip"')
    assert b"yasgui" in gzip.decompress(r.data)
    again = client.get("/sparql", headers={**headers, "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    plain = client.get("/sparql", headers={"Accept": "text/html"})
    assert "Content-Encoding" not in plain.headers and plain.headers["ETag"]


def test_pages_are_gzipped_with_an_etag(client: FlaskClient) -> None:
    for path in ("/", "/id/charta", "/ontology", "/search?q=gruen"):
        r = client.get(path, headers={"Accept": "text/html", **GZIP})
        assert r.headers["Content-Encoding"] == "gzip", path
        assert r.headers["ETag"], path


def _resources(client: FlaskClient) -> list[str]:
    locs = re.findall(r"<loc>([^<]+)</loc>", client.get("/sitemap.xml").get_data(as_text=True))
    # The sitemap lists each page once per language (?lang=de, ?lang=en): one path each.
    return sorted(
        {"/" + loc[len(NS) :].split("?")[0] for loc in locs if loc.startswith(NS + "id/")}
    )


FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_no_answer_repeats_a_triple(client: FlaskClient, suffix: str) -> None:
    """Every resource of the sitemap, the catalog (which repeated a statement four times) too."""
    paths = _resources(client)
    assert "/id/katalog" in paths and len(paths) > 20
    repeated = {}
    for path in [*paths, "/ontology", "/.well-known/void"]:
        r = client.get(f"{path}.{suffix}")
        assert r.status_code == 200, path
        quads = list(ox.parse(r.data, format=FORMATS[suffix], base_iri=NS))
        if len(quads) != len(set(quads)):
            repeated[path] = len(quads) - len(set(quads))
    assert repeated == {}


def test_data_is_open_to_any_origin(client: FlaskClient) -> None:
    for path in (
        "/id/charta",
        "/id/charta.jsonld",
        "/id/charta.rdf",
        "/id/charta.nt",
        "/context.jsonld",
        "/dumps/charta.ttl",
        "/ontology.ttl",
        "/.well-known/void",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["Access-Control-Allow-Origin"] == "*", path
        assert "ETag" in r.headers["Access-Control-Expose-Headers"], path


def test_a_preflight_for_a_long_accept_header_is_allowed(client: FlaskClient) -> None:
    r = client.open(
        "/id/charta",
        method="OPTIONS",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept",
        },
    )
    assert r.status_code in (200, 204)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Accept" in r.headers["Access-Control-Allow-Headers"]
    assert "GET" in r.headers["Access-Control-Allow-Methods"]


def test_sparql_keeps_its_own_cors_headers(client: FlaskClient) -> None:
    r = client.get("/sparql", query_string={"query": "ASK {}"})
    assert "X-Charta-Truncated" in r.headers["Access-Control-Expose-Headers"]


def test_catalog_download_and_endpoint_urls_follow_the_public_url(
    make_app: Callable[..., Flask],
) -> None:
    public = "http://localhost:8080/"
    app = make_app(public_url=public)
    nt = app.test_client().get("/id/katalog.nt").get_data(as_text=True)
    dcat = "http://www.w3.org/ns/dcat#"
    for prop in ("downloadURL", "accessURL", "endpointURL"):
        values = re.findall(rf"<{dcat}{prop}> <([^>]+)>", nt)
        assert values and all(v.startswith(public) for v in values), (prop, values)
    # The things themselves keep their names in the namespace.
    assert f"<{NS}id/katalog> " in nt
    sitemap = app.test_client().get("/sitemap.xml").get_data(as_text=True)
    assert f"<loc>{public}id/charta?lang=de</loc>" in sitemap
    assert f"<loc>{public}id/charta?lang=en</loc>" in sitemap


def test_without_a_public_url_locations_stay_in_the_namespace(client: FlaskClient) -> None:
    nt = client.get("/id/katalog.nt").get_data(as_text=True)
    values = re.findall(r"<http://www.w3.org/ns/dcat#downloadURL> <([^>]+)>", nt)
    # The dumps and the register's exports (issue 17), all under the namespace.
    assert values and all(v.startswith(NS) for v in values)
    assert any(v.startswith(NS + "dumps/") for v in values)


@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_construct_with_only_result_types_accepted_answers_turtle(
    client: FlaskClient, accept: str
) -> None:
    r = client.get(
        "/sparql",
        query_string={"query": f"CONSTRUCT WHERE {{ <{NS}id/charta> ?p ?o }}"},
        headers={"Accept": accept},
    )
    assert r.status_code == 200
    assert r.mimetype == "text/turtle"
    assert list(ox.parse(r.data, format=ox.RdfFormat.TURTLE))


def test_select_with_only_rdf_types_accepted_is_still_406(client: FlaskClient) -> None:
    r = client.get(
        "/sparql",
        query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
        headers={"Accept": "text/turtle"},
    )
    assert r.status_code == 406


def test_no_iri_of_the_data_looks_like_an_endpoint_but_is_not(client: FlaskClient) -> None:
    """Item 4: the data service's IRI ended in /sparql and answered POST with 405;
    Comunica's link traversal took it for an endpoint. Only the endpoint itself may."""
    dump = client.get("/dumps/charta.nt.gz")
    assert dump.status_code == 200 and "Content-Encoding" not in dump.headers
    text = gzip.decompress(dump.data).decode()
    iris = set(re.findall(r"<([^>]+)>", text))
    looks = {i for i in iris if i.rstrip("/").endswith("/sparql")}
    # The endpoint, and each release's own (releases/*/release.ttl): each answers a POST query.
    assert NS + "sparql" in looks
    for iri in looks:
        assert iri == NS + "sparql" or re.fullmatch(re.escape(NS) + r"version/[^/]+/sparql", iri)
        answer = client.post(iri[len(NS) - 1 :], data={"query": "ASK {}"})
        assert answer.status_code == 200, iri
    service = client.get("/id/dienst/sparql-endpunkt", headers={"Accept": "text/turtle"})
    assert service.status_code == 200 and b"DataService" in service.data


@pytest.mark.parametrize("suffix", ["", ".ttl", ".jsonld"])
def test_the_old_service_iri_is_moved_permanently(client: FlaskClient, suffix: str) -> None:
    """IRIs are forever: the old one answers 301 with the new, in the same format."""
    r = client.get(f"/id/dienst/sparql{suffix}")
    assert r.status_code == 301
    assert r.headers["Location"] == f"/id/dienst/sparql-endpunkt{suffix}"
