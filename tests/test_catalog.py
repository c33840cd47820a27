"""The DCAT-AP.de catalog: official shapes, a broken catalog caught, and a harvest from its URL."""

from __future__ import annotations

import gzip
import hashlib
import re

import pyshacl
import pytest
import rdflib
from flask.testing import FlaskClient
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID

from tests.conftest import EXTERNAL, NS, ROOT

SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
CATALOG = NS + "id/katalog"
PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


def local(url: str) -> str:
    assert url.startswith(NS), url
    return "/" + url[len(NS) :]


def harvest_catalog(client: FlaskClient) -> rdflib.Graph:
    """Fetch the catalog as ckanext-dcat does: HEAD, then GET with */*, parser from Content-Type."""
    head = client.head(local(CATALOG), headers={"Accept": "*/*"})
    assert head.status_code == 200
    r = client.get(local(CATALOG), headers={"Accept": "*/*"})
    return rdflib.Graph().parse(data=r.data, format=PARSERS[r.mimetype])


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    """SEMIC DCAT-AP 3.0.0 with the DCAT-AP.de 3.0 files (tests/fixtures/external/SOURCES.md)."""
    g = rdflib.Graph()
    g.parse(EXTERNAL / "dcat-ap-semic" / "3.0.0" / "dcat-ap-SHACL.ttl", format="turtle")
    for name in (
        "dcat-ap-SHACL-DE.ttl",
        "dcat-ap-spec-german-additions.ttl",
        "dcat-ap-de-controlledvocabularies.ttl",
        "dcat-ap-de-deprecated.ttl",
    ):
        g.parse(EXTERNAL / "dcat-ap-de-shacl" / "shapes-v3.0" / name, format="turtle")
    return g


def with_vocabularies(data: rdflib.Graph) -> rdflib.Graph:
    """Offline, the vocabularies the DE imports name are loaded into the data graph."""
    g = rdflib.Graph()
    g += data
    for f in [
        *(EXTERNAL / "eu-vocabularies").glob("*.rdf"),
        *(EXTERNAL / "dcat-ap-de-shacl" / "vocab").glob("*.rdf"),
    ]:
        g.parse(f, format="xml")
    return g


def violations(data: rdflib.Graph, shapes: rdflib.Graph) -> list[tuple[str, str, str]]:
    _, report, _ = pyshacl.validate(
        with_vocabularies(data), shacl_graph=shapes, inference="none", allow_warnings=True
    )
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    return [
        (
            str(report.value(r, sh.focusNode)),
            str(report.value(r, sh.resultPath)),
            str(report.value(r, sh.resultMessage)),
        )
        for r in report.subjects(RDF.type, sh.ValidationResult)
        if report.value(r, sh.resultSeverity) == sh.Violation
    ]


def test_official_files_are_in_the_repository_unchanged() -> None:
    """A plain clone has them: byte for byte the files SOURCES.md names, by SHA-256."""
    listed = re.findall(r"^([0-9a-f]{64})  (\S+)$", (EXTERNAL / "SOURCES.md").read_text(), re.M)
    assert len(listed) == 10
    for digest, name in listed:
        assert hashlib.sha256((EXTERNAL / name).read_bytes()).hexdigest() == digest, name
    files = {str(f.relative_to(EXTERNAL)) for f in EXTERNAL.rglob("*") if f.is_file()}
    assert files - {"SOURCES.md"} == {name for _, name in listed}


def test_nothing_reads_files_beside_the_repository() -> None:
    """Tests and server read only the checkout: no path into a sibling 'shared' folder."""
    # The sibling's name in two parts, so that this guard does not itself match the
    # checks for paths beside the checkout that it stands for.
    sibling = "shar" + "ed"
    outside = re.compile(
        rf"""parent\s*/\s*["']{sibling}["']|\.\./{sibling}|["']{sibling}/external"""
    )
    found = [
        str(f.relative_to(ROOT))
        for folder in ("server", "tests", "benchmarks")
        for f in (ROOT / folder).rglob("*.py")
        if outside.search(f.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_catalog_passes_the_official_dcat_ap_de_shapes(
    client: FlaskClient, shapes: rdflib.Graph
) -> None:
    assert violations(harvest_catalog(client), shapes) == []


def test_the_catalogs_warnings_are_the_ones_the_docs_count(
    client: FlaskClient, shapes: rdflib.Graph
) -> None:
    """The README said "0 violations and 0 warnings"; the official shapes give one
    warning: the frozen release 1.0.0 states the deprecated dcterms:isVersionOf (a
    release is never rewritten, so it stays). docs/catalog.md (where the README's
    catalog paragraph now lives) counts what this measures."""
    _, report, _ = pyshacl.validate(
        with_vocabularies(harvest_catalog(client)),
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
    )
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    results = [
        (
            str(report.value(r, sh.resultSeverity)).rsplit("#", 1)[1],
            str(report.value(r, sh.focusNode)),
            str(report.value(r, sh.resultPath)),
        )
        for r in report.subjects(RDF.type, sh.ValidationResult)
    ]
    assert results == [("Warning", NS + "id/version/1.0.0", str(DCTERMS.isVersionOf))]
    doc = " ".join((ROOT / "docs" / "catalog.md").read_text(encoding="utf-8").split())
    assert "0 violations and 1 warning" in doc


def test_distribution_without_licence_is_caught(client: FlaskClient, shapes: rdflib.Graph) -> None:
    g = harvest_catalog(client)
    dist = rdflib.URIRef(NS + "id/distribution/turtle")
    g.remove((dist, DCTERMS.license, None))
    found = violations(g, shapes)
    assert (str(dist), str(DCTERMS.license)) in {(f, p) for f, p, _ in found}


def test_harvest_follows_every_distribution_and_the_service(client: FlaskClient) -> None:
    g = harvest_catalog(client)
    catalog = rdflib.URIRef(CATALOG)
    dataset = rdflib.URIRef(NS + "id/datensatz/charta")
    assert (catalog, DCAT.dataset, dataset) in g
    assert g.value(dataset, DCTERMS.publisher) is not None
    void = rdflib.Graph().parse(
        data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).data,
        format="turtle",
    )
    expected_triples = int(void.value(dataset, VOID.triples))
    distributions = list(g.objects(dataset, DCAT.distribution))
    assert len(distributions) == 4
    for dist in distributions:
        assert str(g.value(dist, DCTERMS.license)).startswith("http://dcat-ap.de/def/licenses/")
        assert not str(g.value(dist, DCTERMS.license)).endswith("/")
        url = str(g.value(dist, DCAT.downloadURL))
        head = client.head(local(url))
        assert head.status_code == 200
        r = client.get(local(url))
        declared = str(g.value(dist, DCAT.mediaType)).rsplit("media-types/", 1)[1]
        compress = g.value(dist, DCAT.compressFormat)
        body = r.data
        if compress is not None:
            assert r.mimetype == str(compress).rsplit("media-types/", 1)[1]
            body = gzip.decompress(body)
        else:
            assert r.mimetype == declared
        assert int(g.value(dist, DCAT.byteSize)) == len(r.data) == int(r.headers["Content-Length"])
        checksum = g.value(dist, SPDX.checksum)
        assert str(g.value(checksum, SPDX.checksumValue)) == hashlib.sha256(r.data).hexdigest()
        parsed = rdflib.Graph().parse(data=body, format=PARSERS[declared])
        assert len(parsed) == expected_triples, url
    (service,) = g.objects(catalog, DCAT.service)
    assert (service, DCAT.servesDataset, dataset) in g
    endpoint = str(g.value(service, DCAT.endpointURL))
    sd = client.get(
        local(str(g.value(service, DCAT.endpointDescription))), headers={"Accept": "text/turtle"}
    )
    assert b"sd:Service" in sd.data or b"sparql-service-description#Service" in sd.data
    answer = client.get(
        local(endpoint), query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}
    )
    assert int(answer.get_json()["results"]["bindings"][0]["n"]["value"]) == expected_triples


def test_the_register_is_a_dataset_of_its_own(client: FlaskClient, shapes: rdflib.Graph) -> None:
    """data/katalog-register.ttl: /register's CSV and JSON exports, harvested like the dumps."""
    g = harvest_catalog(client)
    register = rdflib.URIRef(NS + "id/datensatz/register")
    datasets = set(g.objects(rdflib.URIRef(CATALOG), DCAT.dataset))
    releases = {d for d in datasets if str(d).startswith(NS + "id/version/")}  # releases/*/
    assert datasets - releases == {rdflib.URIRef(NS + "id/datensatz/charta"), register}
    assert (register, RDF.type, DCAT.Dataset) in g
    assert str(g.value(register, DCAT.landingPage)) == NS + "register"
    assert client.get(local(str(g.value(register, DCAT.landingPage)))).status_code == 200
    formats = {}
    for dist in g.objects(register, DCAT.distribution):
        url = str(g.value(dist, DCAT.downloadURL))
        assert str(g.value(dist, DCAT.accessURL)) == url
        assert str(g.value(dist, DCTERMS.license)) == "http://dcat-ap.de/def/licenses/cc-by/4.0"
        r = client.get(local(url))
        assert r.status_code == 200
        assert r.mimetype == str(g.value(dist, DCAT.mediaType)).rsplit("media-types/", 1)[1]
        formats[url.rsplit("/", 1)[1]] = str(g.value(dist, DCTERMS.format)).rsplit("/", 1)[1]
        # computed answers, not files of the build: no size or checksum to go stale
        assert g.value(dist, DCAT.byteSize) is None and g.value(dist, SPDX.checksum) is None
    assert formats == {"register.csv": "CSV", "register.json": "JSON"}
    # VoID and the temporal coverage count the dumps: only the knowledge graph has them
    assert g.value(register, VOID.triples) is None and g.value(register, DCTERMS.temporal) is None
    found = violations(g, shapes)
    assert found == []
    # the shapes do check the register's parts: a distribution without an access URL is caught
    csv_dist = rdflib.URIRef(NS + "id/distribution/register-csv")
    g.remove((csv_dist, DCAT.accessURL, None))
    assert (str(csv_dist), str(DCAT.accessURL)) in {(f, p) for f, p, _ in violations(g, shapes)}


def test_void_is_counted_from_the_data(client: FlaskClient) -> None:
    r = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    ds = rdflib.URIRef(NS + "id/datensatz/charta")
    assert (ds, RDF.type, VOID.Dataset) in g
    assert str(g.value(ds, VOID.uriSpace)) == NS
    assert str(g.value(ds, VOID.sparqlEndpoint)) == NS + "sparql"
    assert len(list(g.objects(ds, VOID.dataDump))) == 4
    assert rdflib.URIRef("http://www.w3.org/2004/02/skos/core#") in set(
        g.objects(ds, VOID.vocabulary)
    )
    assert rdflib.URIRef(NS + "id/charta") in set(g.objects(ds, VOID.exampleResource))
    dump = rdflib.Graph().parse(data=client.get("/dumps/charta.ttl").data, format="turtle")
    assert int(g.value(ds, VOID.triples)) == len(dump)
    partitions = list(g.objects(ds, VOID.propertyPartition))
    assert sum(int(g.value(p, VOID.triples)) for p in partitions) == len(dump)
    themes = next(
        p
        for p in g.objects(ds, VOID.classPartition)
        if str(g.value(p, VOID["class"])) == NS + "ontology#Leitthema"
    )
    assert int(g.value(themes, VOID.entities)) == 5


def test_dumps_have_validators_and_gzip(client: FlaskClient) -> None:
    r = client.get("/dumps/charta.ttl")
    assert r.headers["ETag"].strip('"') == hashlib.sha256(r.data).hexdigest()
    assert (
        client.get("/dumps/charta.ttl", headers={"If-None-Match": r.headers["ETag"]}).status_code
        == 304
    )
    z = client.get("/dumps/charta.ttl", headers={"Accept-Encoding": "gzip"})
    assert z.headers["Content-Encoding"] == "gzip" and gzip.decompress(z.data) == r.data
    sums = client.get("/dumps/SHA256SUMS").get_data(as_text=True)
    assert f"{hashlib.sha256(r.data).hexdigest()}  charta.ttl" in sums
    assert client.get("/dumps/nope.ttl").status_code == 404


def test_dumps_resume_with_byte_ranges(client: FlaskClient) -> None:
    full = client.get("/dumps/charta.ttl")
    assert full.headers["Accept-Ranges"] == "bytes"
    part = client.get("/dumps/charta.ttl", headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part.data == full.data[100:]
    assert part.headers["Content-Range"] == f"bytes 100-{len(full.data) - 1}/{len(full.data)}"
    same = {"Range": "bytes=0-9", "If-Range": full.headers["ETag"]}
    assert client.get("/dumps/charta.ttl", headers=same).data == full.data[:10]
    changed = {"Range": "bytes=0-9", "If-Range": '"an-older-version"'}
    assert client.get("/dumps/charta.ttl", headers=changed).data == full.data
    beyond = client.get("/dumps/charta.ttl", headers={"Range": f"bytes={len(full.data)}-"})
    assert beyond.status_code == 416


def test_sitemap_and_robots(client: FlaskClient) -> None:
    sitemap = client.get("/sitemap.xml")
    assert sitemap.mimetype == "application/xml"
    for lang in ("de", "en"):  # each page in each language (tests/test_search_engines.py)
        assert f"<loc>{NS}id/oberziel/schwamm-region?lang={lang}</loc>".encode() in sitemap.data
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert f"Sitemap: {NS}sitemap.xml" in robots


def _longest_match_allows(robots: str, path: str) -> bool:
    """RFC 9309 §2.2.2 as Google reads it: the longest matching rule wins, Allow on a tie;
    ``*`` matches any run of characters, ``$`` the end."""
    import re

    best: tuple[int, bool] = (-1, True)
    for line in robots.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key not in ("allow", "disallow") or not value:
            continue
        pattern = re.escape(value).replace(r"\*", ".*")
        pattern = pattern[:-2] + "$" if pattern.endswith(r"\$") else pattern
        if re.match(pattern, path):
            allow = key == "allow"
            if len(value) > best[0] or (len(value) == best[0] and allow):
                best = (len(value), allow)
    return best[1]


def test_robots_txt_means_the_same_to_first_match_and_longest_match_parsers(
    client: FlaskClient,
) -> None:
    """'Allow: /' before 'Disallow: /sparql?' let Python's robotparser (first match) into
    /sparql?query=…, while longest-match crawlers stayed out."""
    from urllib.robotparser import RobotFileParser

    robots = client.get("/robots.txt").get_data(as_text=True)
    first_match = RobotFileParser()
    first_match.parse(robots.splitlines())
    paths = {
        "/sparql?query=ASK%20%7B%7D": False,
        "/sparql": False,
        "/version/1.0.0/sparql?query=ASK%20%7B%7D": False,
        "/id/charta": True,
        "/id/charta.ttl": True,
        "/search?q=gr%C3%BCn": True,
        "/dumps/charta.ttl": True,
        "/": True,
        "/version/1.0.0/id/charta": True,
    }
    for path, allowed in paths.items():
        assert first_match.can_fetch("AnyBot", "https://example.org" + path) is allowed, path
        assert _longest_match_allows(robots, path) is allowed, path
