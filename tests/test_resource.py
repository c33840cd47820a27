"""Dereferencing: every resource in every format, conneg, caching and bad input."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import pyoxigraph as ox
import pytest
import rdflib
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from server.config import Config
from server.pages.describe import describe
from server.rdf.formats import RDF_FORMATS
from server.web.app import create_app
from tests.conftest import NS, ROOT


def all_resources(app: Flask) -> list[str]:
    store = app.extensions["charta"].store
    rows = store.select(f"""SELECT DISTINCT ?s WHERE {{ ?s ?p ?o .
        FILTER(STRSTARTS(STR(?s), "{NS}id/")) }}""")
    return sorted(r["s"].value for r in rows)


RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}


def on_this_backend(resources: list[str], backend: str) -> list[str]:
    """Every resource on the embedded store; on a remote server (whose every description is
    a round trip, 80 s for Virtuoso) every fourth and the first of each kind of path
    (``id/<kind>/…``), so each kind is still read through each backend."""
    if backend == "embedded":
        return resources
    kinds: dict[str, str] = {}
    for iri in resources:
        kinds.setdefault(iri[len(NS) :].split("/")[1], iri)
    return sorted(set(resources[::4]) | set(kinds.values()))


def test_every_resource_in_every_format_parses_and_matches_the_store(
    app: Flask, client: FlaskClient, backend: str
) -> None:
    store = app.extensions["charta"].store
    stats = app.extensions["charta"].site.build_parts().stats  # built once, as a server does
    resources = all_resources(app)
    assert len(resources) > 80
    for iri in on_this_backend(resources, backend):
        expected = {
            (t.subject.value, t.predicate.value)
            for t in describe(store, iri, stats)
            if isinstance(t.subject, ox.NamedNode)
        }
        path = iri[len(NS) - 1 :]
        for fmt in RDF_FORMATS:
            r = client.get(path, headers={"Accept": fmt.media_type})
            assert r.status_code == 200, (iri, fmt.name)
            assert r.mimetype == fmt.media_type
            g = rdflib.Graph().parse(data=r.data, format=RDFLIB_FORMAT[fmt.media_type])
            got = {(str(s), str(p)) for s, p, _ in g if isinstance(s, rdflib.URIRef)}
            assert got == expected, (iri, fmt.name)
        html = client.get(path, headers={"Accept": "text/html"})
        assert html.status_code == 200 and html.mimetype == "text/html", iri


def test_theme_lists_its_goals_and_body_its_consultations(client: FlaskClient) -> None:
    g = rdflib.Graph().parse(
        data=client.get("/id/leitthema/klimaangepasste-metropole-ruhr.ttl").data, format="turtle"
    )
    goal = rdflib.URIRef(NS + "id/oberziel/schwamm-region")
    assert (
        goal,
        rdflib.SKOS.broader,
        rdflib.URIRef(NS + "id/leitthema/klimaangepasste-metropole-ruhr"),
    ) in g
    assert (
        goal,
        rdflib.SKOS.prefLabel,
        rdflib.Literal("Metropole Ruhr zur Schwamm-Region entwickeln", lang="de"),
    ) in g
    body = rdflib.Graph().parse(
        data=client.get("/id/organisation/kreistag-unna.ttl").data, format="turtle"
    )
    assert (
        rdflib.URIRef(NS + "id/beratung/ds-085-23/3"),
        rdflib.DCTERMS.contributor,
        rdflib.URIRef(NS + "id/organisation/kreistag-unna"),
    ) in body


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle", "text/turtle"),
        ("*/*", "text/turtle"),
        ("", "text/turtle"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/ld+json;q=0.5, application/rdf+xml;q=0.9", "application/rdf+xml"),
        ("text/turtle;q=0.1, application/n-triples", "application/n-triples"),
        ("application/*", "application/ld+json"),
        ("text/*;q=0.9, text/html;q=0.2", "text/turtle"),
    ],
)
def test_content_negotiation(client: FlaskClient, accept: str, expected: str) -> None:
    r = client.get("/id/charta", headers={"Accept": accept} if accept else {})
    assert r.status_code == 200
    assert r.mimetype == expected
    assert "Accept" in r.headers["Vary"]
    assert 'rel="alternate"' in r.headers["Link"]


@pytest.mark.parametrize(
    ("accept", "expected", "parser"),
    [
        ("application/json", "application/ld+json", "json-ld"),
        ("application/xml", "application/rdf+xml", "xml"),
        ("text/plain", "application/n-triples", "nt"),
        ("text/n3", "text/turtle", "turtle"),
    ],
)
def test_generic_types_get_the_nearest_rdf_format(
    client: FlaskClient, accept: str, expected: str, parser: str
) -> None:
    """Clients that only say "JSON" or "XML" get data, not a 406."""
    r = client.get("/id/charta", headers={"Accept": accept})
    assert r.status_code == 200 and r.mimetype == expected
    g = rdflib.Graph().parse(data=r.data, format=parser)
    assert (rdflib.URIRef(NS + "id/charta"), None, None) in g


@pytest.mark.parametrize(
    ("suffix", "mime"),
    [
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("rdf", "application/rdf+xml"),
        ("nt", "application/n-triples"),
        ("html", "text/html"),
    ],
)
def test_format_urls_override_accept(client: FlaskClient, suffix: str, mime: str) -> None:
    r = client.get(f"/id/charta.{suffix}", headers={"Accept": "image/png"})
    assert r.status_code == 200 and r.mimetype == mime
    assert client.get(f"/id/charta?format={suffix}").mimetype == mime


def test_406_lists_what_is_offered(client: FlaskClient) -> None:
    r = client.get("/id/charta", headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert b"text/turtle" in r.data


def test_404_for_unknown_iri_in_html_and_text(client: FlaskClient) -> None:
    r = client.get("/id/gibt-es-nicht", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.mimetype == "text/html"
    r = client.get("/id/gibt-es-nicht", headers={"Accept": "image/png"})
    assert r.status_code == 404 and r.mimetype == "text/plain"


def test_etag_304_and_last_modified(client: FlaskClient) -> None:
    r = client.get("/id/charta.ttl")
    assert r.headers["ETag"] and r.headers["Last-Modified"]
    assert "max-age=" in r.headers["Cache-Control"]
    again = client.get("/id/charta.ttl", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/id/charta.nt")
    assert other.headers["ETag"] != r.headers["ETag"]  # one validator per representation


def test_head_has_headers_and_no_body(client: FlaskClient) -> None:
    r = client.head("/id/charta", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.data == b"" and r.mimetype == "text/turtle"


def test_gzip_for_large_bodies(client: FlaskClient) -> None:
    r = client.get("/id/charta.ttl", headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip"
    rdflib.Graph().parse(data=gzip.decompress(r.data), format="turtle")


def test_html_uses_labels_german_dates_and_names_the_source(client: FlaskClient) -> None:
    r = client.get("/id/beratung/ds-085-23/3", headers={"Accept": "text/html"})
    soup = BeautifulSoup(r.data, "html.parser")
    assert soup.html["lang"] == "de"
    text = soup.get_text(" ")
    assert "13.06.2023" in text
    assert "Kreistag" in text and "Entscheidung" in text
    assert soup.find("a", href="/id/quelle/ds-085-23")
    assert soup.find("script", type="application/ld+json")
    assert not any(
        a.get_text().startswith("http") and "w3id" in a.get_text() for a in soup.find_all("a")
    )


def test_english_toggle_is_remembered(client: FlaskClient) -> None:
    r = client.get("/id/beratung/ds-085-23/3?lang=en", headers={"Accept": "text/html"})
    assert "13 June 2023" in r.get_data(as_text=True)
    assert "lang=en" in r.headers["Set-Cookie"]
    again = client.get("/id/beratung/ds-085-23/3", headers={"Accept": "text/html"})
    assert BeautifulSoup(again.data, "html.parser").html["lang"] == "en"


def test_accept_language_first(client: FlaskClient) -> None:
    r = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert BeautifulSoup(r.data, "html.parser").html["lang"] == "en"


def test_overview_shows_all_themes_and_goals(client: FlaskClient) -> None:
    soup = BeautifulSoup(
        client.get("/id/charta", headers={"Accept": "text/html"}).data, "html.parser"
    )
    themes = soup.select("ol.themes > li")
    assert len(themes) == 5
    assert sum(len(t.select("ul li")) for t in themes) == 20


def test_ontology_documentation_and_rdf(client: FlaskClient) -> None:
    soup = BeautifulSoup(
        client.get("/ontology", headers={"Accept": "text/html"}).data, "html.parser"
    )
    assert soup.find(id="Leitthema") and soup.find(id="gremium")
    for fmt in RDF_FORMATS:
        r = client.get(f"/ontology.{fmt.suffix}")
        g = rdflib.Graph().parse(data=r.data, format=RDFLIB_FORMAT[fmt.media_type])
        assert (
            rdflib.URIRef(NS + "ontology#Leitthema"),
            rdflib.RDFS.subClassOf,
            rdflib.SKOS.Concept,
        ) in g


def test_literals_are_escaped(config: Config, tmp_path) -> None:
    import shutil

    for name in ("ontology", "data", "shapes"):
        shutil.copytree(config.root / name, tmp_path / name)
    (tmp_path / "data" / "evil.ttl").write_text(
        '<id/charta> <http://www.w3.org/2000/01/rdf-schema#comment> "<script>alert(1)</script>"@de .\n'
    )
    app = create_app(Config(root=tmp_path, testing=True).validated())
    r = app.test_client().get("/id/charta", headers={"Accept": "text/html"})
    assert b"<script>alert(1)</script>" not in r.data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in r.data


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/id/charta", {"Accept": "text/turtle;q=abc, ;;;, */*;q=2"}),
        ("/id/charta", {"Accept": "\x00\x01garbage"}),
        ("/id/" + "a" * 5000, {}),
        ("/id/charta%2Fx", {}),
        ("/id/%C3%28", {}),
        ("/id/%FF%FE", {"Accept": "text/html"}),
        ("/id/a%3Eb", {}),
        ("/id/charta?format=nonsense", {}),
    ],
)
def test_bad_input_never_500(client: FlaskClient, path: str, headers: dict[str, str]) -> None:
    r = client.get(path, headers=headers)
    assert r.status_code < 500
    assert r.status_code in (200, 400, 404, 406)


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", "turtle"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
    ],
)
def test_404_in_rdf_is_parseable_rdf(client: FlaskClient, accept: str, fmt: str) -> None:
    r = client.get("/id/gibt-es-nicht", headers={"Accept": accept})
    assert r.status_code == 404 and r.mimetype == accept
    assert len(rdflib.Graph().parse(data=r.data, format=fmt)) == 0


def test_ontology_version_iri_dereferences(client: FlaskClient) -> None:
    r = client.get("/ontology/1.0.0", headers={"Accept": "text/turtle"})
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    assert (
        rdflib.URIRef(NS + "ontology"),
        rdflib.OWL.versionIRI,
        rdflib.URIRef(NS + "ontology/1.0.0"),
    ) in g
    assert client.get("/ontology/1.0.0.nt").mimetype == "application/n-triples"
    assert client.get("/ontology/9.9.9").status_code == 404


def test_incoming_links_stop_at_the_cap_and_the_page_says_where_the_rest_are(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.pages import describe
    from server.web.cache import AnswerCache

    monkeypatch.setattr(describe, "MAX_INCOMING", 2)
    monkeypatch.setattr(app.extensions["charta"], "cache", AnswerCache(0, len))
    iri = f"{NS}id/werteliste/beratungsstatus/oeffentlich"
    r = client.get("/id/werteliste/beratungsstatus/oeffentlich.nt")
    g = rdflib.Graph().parse(data=r.data, format="nt")
    assert len(set(g.subject_predicates(rdflib.URIRef(iri)))) == 2  # 3 consultations use it
    html = client.get(
        "/id/werteliste/beratungsstatus/oeffentlich?lang=en", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert "These are the first 2 links" in html and "/sparql?query=SELECT" in html


_DIGEST_SCRIPT = """
import hashlib
from server.web.app import create_app
from server.config import Config
client = create_app(Config.from_env()).test_client()
for path in ("/id/katalog", "/id/datensatz/charta", "/id/charta", "/ontology", "/.well-known/void"):
    for fmt in ("ttl", "jsonld", "rdf", "nt", "html"):
        r = client.get(path, query_string={"format": fmt})
        print(path, fmt, r.status_code, r.headers.get("ETag"), hashlib.sha256(r.data).hexdigest())
"""


def test_same_etag_means_same_bytes_in_every_worker() -> None:
    """Workers are separate processes with their own string hashing; a strong ETag
    promises the same bytes from each of them (caches and range requests rely on it)."""
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "CHARTA_ROOT": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(done.stdout.splitlines())
    assert len(outputs[0]) == 25
    assert outputs[0] == outputs[1]
