"""Releases and time travel: what a researcher who cites a release gets back a year later.

One project copy gets release 1.0, then a change (the Charta's German label
corrected, a council's entry removed), then release 2.0. Everything is checked
against that: the old dumps stay byte-identical, the change page and the patch
list exactly the difference, Memento headers follow RFC 7089 header by header,
a query against 1.0 sees the old state, and the catalog series passes the
official DCAT-AP shapes.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from server.cli import cli
from server.config import Config
from server.pipeline.releases import ReleaseError, make_release, read_change, read_releases
from tests.conftest import NS, ROOT
from tests.test_catalog import harvest_catalog, shapes, violations  # noqa: F401 (fixture)

OLD_LABEL = "Charta Grüne Infrastruktur Metropole Ruhr"
NEW_LABEL = "Charta Grüne Infrastruktur Metropole Ruhr (berichtigt)"
FIRST = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SECOND = datetime(2026, 11, 16, 14, 0, tzinfo=UTC)
CHARTA = NS + "id/charta"


def _copy(to: Path) -> Path:
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / name, to / name)
    shutil.rmtree(to / "releases", ignore_errors=True)
    return to


def _change_label(root: Path) -> None:
    path = root / "data" / "charta.ttl"
    text = path.read_text(encoding="utf-8")
    old = f'skos:prefLabel "{OLD_LABEL}"@de'
    assert old in text
    path.write_text(text.replace(old, f'skos:prefLabel "{NEW_LABEL}"@de', 1), encoding="utf-8")


def two_releases(root: Path) -> dict[str, object]:
    """A copy of the project at ``root`` with release 1.0, the label change, release 2.0."""
    _copy(root)
    config = Config(root=root, testing=True, query_timeout_s=5.0).validated()
    first = make_release(config, "1.0", "Erste Veröffentlichung", now=FIRST)
    sums_then = {p.name: p.read_bytes() for p in (first.folder / "dumps").iterdir()}
    _change_label(root)
    second = make_release(config, "2.0", "Bezeichnung der Charta berichtigt", now=SECOND)
    return {"root": root, "config": config, "first": first, "second": second, "then": sums_then}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return two_releases(tmp_path_factory.mktemp("releases"))


@pytest.fixture(scope="module", params=["embedded"])
def backend(request: pytest.FixtureRequest) -> str:
    """The embedded store on the project copy; tests/store/test_remote_releases.py loads
    such a copy into Oxigraph server and Virtuoso (the session's servers hold the
    checkout's data)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def app_config(project: dict[str, object]) -> dict[str, object]:
    return {"root": project["root"], "query_timeout_s": 5.0}


# -- the release files --------------------------------------------------------------------


def test_old_dumps_stay_byte_identical_after_the_change(project: dict[str, object]) -> None:
    first = project["first"]
    then = project["then"]
    assert isinstance(then, dict)
    now = {p.name: p.read_bytes() for p in (first.folder / "dumps").iterdir()}  # type: ignore[attr-defined]
    assert now == then
    assert set(now) == {
        "charta.ttl",
        "charta.nt",
        "charta.nt.gz",
        "charta.jsonld",
        "charta.rdf",
        "SHA256SUMS",
    }
    for line in now["SHA256SUMS"].decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256(now[name]).hexdigest() == digest
    old = now["charta.nt"].decode()
    assert f'"{OLD_LABEL}"@de' in old and NEW_LABEL not in old


def test_the_patch_holds_exactly_the_difference(project: dict[str, object]) -> None:
    first, second = project["first"], project["second"]
    old = {q.triple for q in ox.parse(first.dump.read_bytes(), format=ox.RdfFormat.N_TRIPLES)}  # type: ignore[attr-defined]
    new = {q.triple for q in ox.parse(second.dump.read_bytes(), format=ox.RdfFormat.N_TRIPLES)}  # type: ignore[attr-defined]
    change = read_change(second.folder)  # type: ignore[attr-defined]
    assert set(change.added) == new - old
    assert set(change.removed) == old - new
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    assert change.removed == [
        ox.Triple(ox.NamedNode(CHARTA), label, ox.Literal(OLD_LABEL, language="de"))
    ]
    assert (
        ox.Triple(ox.NamedNode(CHARTA), label, ox.Literal(NEW_LABEL, language="de")) in change.added
    )
    # Everything else added is release 1.0's own catalog description.
    others = [t for t in change.added if t.subject != ox.NamedNode(CHARTA)]
    assert others and all(
        str(t.subject).startswith(f"<{NS}id/version/1.0")
        or str(t.object).startswith(f"<{NS}id/version/1.0")
        for t in others
    )
    patch = (second.folder / "aenderungen.rdfp").read_text()  # type: ignore[attr-defined]
    assert patch.startswith(f"H id <{NS}id/version/2.0> .\nH prev <{NS}id/version/1.0> .\nTX .\n")
    assert patch.rstrip().endswith("TC .")
    trig = rdflib.Dataset()
    trig.parse(second.folder / "aenderungen.trig", format="trig")  # type: ignore[attr-defined]
    removed = trig.graph(rdflib.URIRef(f"{NS}id/version/2.0#entfernt"))
    assert len(removed) == 1


def test_release_metadata_is_read_back(project: dict[str, object]) -> None:
    found = read_releases(project["root"], NS)  # type: ignore[arg-type]
    assert [(r.version, r.issued, r.previous) for r in found] == [
        ("1.0", FIRST, None),
        ("2.0", SECOND, NS + "id/version/1.0"),
    ]
    assert found[1].notes == "Bezeichnung der Charta berichtigt"


def test_a_release_is_never_replaced_nor_made_badly(
    project: dict[str, object], tmp_path: Path
) -> None:
    config = project["config"]
    with pytest.raises(ReleaseError, match="exists"):
        make_release(config, "1.0", "", now=datetime(2027, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    for bad in ("../x", "1.0/..", "", "v1", "1..0", "1.0 final"):
        with pytest.raises(ReleaseError, match="version"):
            make_release(config, bad, "")  # type: ignore[arg-type]
    with pytest.raises(ReleaseError, match="issued"):
        make_release(config, "3.0", "", now=FIRST)  # type: ignore[arg-type]


def test_cli_refuses_an_existing_version_and_data_that_does_not_conform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy(tmp_path)
    monkeypatch.setenv("CHARTA_ROOT", str(root))
    runner = CliRunner()
    done = runner.invoke(cli, ["release", "0.1", "--notes", "Probe"])
    assert done.exit_code == 0, done.output
    assert (root / "releases" / "0.1" / "release.ttl").is_file()
    again = runner.invoke(cli, ["release", "0.1"])
    assert again.exit_code == 2
    assert "exists" in again.output
    bad = runner.invoke(cli, ["release", "../0.2"])
    assert bad.exit_code == 2 and "version" in bad.output
    # A goal without its German label: a violation, so no release.
    path = root / "data" / "charta.ttl"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        re.sub(r'skos:prefLabel "[^"]*"@de', 'rdfs:comment "x"', text, count=1), encoding="utf-8"
    )
    refused = runner.invoke(cli, ["release", "0.2"])
    assert refused.exit_code == 1
    assert "no release made" in refused.output
    assert not (root / "releases" / "0.2").exists()


# -- the catalog ---------------------------------------------------------------------------


def test_the_series_and_its_releases_pass_the_official_shapes(
    client: FlaskClient,
    shapes: rdflib.Graph,  # noqa: F811
) -> None:
    graph = harvest_catalog(client)
    assert violations(graph, shapes) == []
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    series = rdflib.URIRef(NS + "id/datensatz/charta")
    assert (series, rdflib.RDF.type, dcat.DatasetSeries) in graph
    v1, v2 = rdflib.URIRef(NS + "id/version/1.0"), rdflib.URIRef(NS + "id/version/2.0")
    for v in (v1, v2):
        assert (v, dcat.inSeries, series) in graph
        assert (rdflib.URIRef(NS + "id/katalog"), dcat.dataset, v) in graph
    assert (v2, dcat.previousVersion, v1) in graph
    assert (v2, dcat.version, rdflib.Literal("2.0")) in graph
    issued = graph.value(v2, rdflib.DCTERMS.issued)
    assert isinstance(issued, rdflib.Literal) and issued.toPython() == SECOND
    notes = graph.value(v2, rdflib.URIRef("http://www.w3.org/ns/adms#versionNotes"))
    assert str(notes) == "Bezeichnung der Charta berichtigt"
    assert str(graph.value(v2, rdflib.DCTERMS.bibliographicCitation)).startswith("charta")
    dists = set(graph.objects(v1, dcat.distribution))
    assert len(dists) == 5
    for d in dists:
        url = graph.value(d, dcat.downloadURL)
        size = graph.value(d, dcat.byteSize)
        got = client.get(str(url)[len(NS) - 1 :])
        assert got.status_code == 200, url
        assert len(got.get_data()) == int(size)
        assert got.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        got.close()
    void_triples = graph.value(v1, rdflib.URIRef("http://rdfs.org/ns/void#triples"))
    assert int(void_triples) == len(project_dump_lines(client, "1.0"))


def project_dump_lines(client: FlaskClient, version: str) -> list[bytes]:
    resp = client.get(f"/releases/{version}/dumps/charta.nt")
    body = resp.get_data()
    resp.close()
    return [line for line in body.splitlines() if line.strip()]


# -- what changed, for people --------------------------------------------------------------


def test_the_change_page_lists_exactly_the_difference(client: FlaskClient) -> None:
    page = client.get(
        "/id/version/2.0", headers={"Accept": "text/html"}, query_string={"lang": "en"}
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "What changed since the previous release (1)" in html
    assert f"<del>{OLD_LABEL}</del>" in html
    assert NEW_LABEL in html
    assert html.count('class="changes"') == 1  # one resource changed: the Charta
    assert 'href="/releases/2.0/aenderungen.rdfp"' in html
    assert 'href="/version/2.0/sparql"' in html


# -- Memento (RFC 7089) ----------------------------------------------------------------------


def _links(header: str) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """``Link`` parsed as RFC 8288: target and parameters per relation type."""
    out: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for m in re.finditer(r"<([^>]*)>((?:\s*;\s*[\w-]+=(?:\"[^\"]*\"|[^;,\s]+))*)", header):
        params = dict(
            (k, v.strip('"'))
            for k, v in re.findall(r";\s*([\w-]+)=(\"[^\"]*\"|[^;,\s]+)", m.group(2))
        )
        for rel in params.get("rel", "").split():
            out.setdefault(rel, []).append((m.group(1), params))
    return out


def test_original_resource_names_its_timegate_and_timemap(client: FlaskClient) -> None:
    resp = client.get("/id/charta", headers={"Accept": "text/turtle"})
    links = _links(resp.headers["Link"])
    assert links["timegate"] == [("/timegate/id/charta", {"rel": "timegate"})]
    assert links["timemap"][0][0] == "/timemap/id/charta"
    assert links["timemap"][0][1]["type"] == "application/link-format"
    assert NEW_LABEL in resp.get_data(as_text=True)


def test_timemap_lists_every_state(client: FlaskClient) -> None:
    resp = client.get("/timemap/id/charta")
    assert resp.status_code == 200
    assert resp.mimetype == "application/link-format"
    links = _links(resp.get_data(as_text=True))
    assert links["original"][0][0] == "/id/charta"
    assert links["self"][0][0] == "/timemap/id/charta"
    assert links["self"][0][1]["from"] == "Mon, 02 Mar 2026 09:30:00 GMT"
    assert links["self"][0][1]["until"] == "Mon, 16 Nov 2026 14:00:00 GMT"
    assert links["timegate"][0][0] == "/timegate/id/charta"
    mementos = links["memento"]
    assert [(u, p["datetime"]) for u, p in mementos] == [
        ("/version/1.0/id/charta", "Mon, 02 Mar 2026 09:30:00 GMT"),
        ("/version/2.0/id/charta", "Mon, 16 Nov 2026 14:00:00 GMT"),
    ]
    assert links["first"][0][0] == "/version/1.0/id/charta"
    assert links["last"][0][0] == "/version/2.0/id/charta"
    assert client.get("/timemap/id/gibt-es-nicht").status_code == 404


@pytest.mark.parametrize(
    ("asked", "version"),
    [
        (None, "2.0"),  # no Accept-Datetime: the latest state
        ("Mon, 02 Mar 2026 09:30:00 GMT", "1.0"),  # exactly the first
        ("Sat, 01 Aug 2026 00:00:00 GMT", "1.0"),  # between: the one in force then
        ("Tue, 01 Dec 2026 00:00:00 GMT", "2.0"),
        ("Thu, 01 Jan 2015 00:00:00 GMT", "1.0"),  # before the first: the first
    ],
)
def test_timegate_negotiates_the_datetime(
    client: FlaskClient, asked: str | None, version: str
) -> None:
    headers = {"Accept-Datetime": asked} if asked else {}
    resp = client.get("/timegate/id/charta", headers=headers)
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/version/{version}/id/charta"
    assert "accept-datetime" in resp.headers["Vary"].lower()
    links = _links(resp.headers["Link"])
    assert links["original"][0][0] == "/id/charta"
    assert links["timemap"][0][0] == "/timemap/id/charta"


def test_timegate_refuses_a_malformed_datetime(client: FlaskClient) -> None:
    for bad in ("gestern", "2026-08-01", "Sat, 01 Aug 2026 25:00:00 GMT"):
        resp = client.get("/timegate/id/charta", headers={"Accept-Datetime": bad})
        assert resp.status_code == 400, bad
        assert "Accept-Datetime" in resp.get_data(as_text=True)
    assert client.get("/timegate/id/gibt-es-nicht").status_code == 404


def test_time_travel_stays_on_this_server(client: FlaskClient) -> None:
    """Served as the README says (no --base-url), the TimeGate sent clients to
    https://w3id.org/… and named the TimeGate and TimeMap there: a local server's
    history was only reachable through the published one. Headers name paths of
    this server now, as the pages' links do; the RDF keeps the namespace's IRIs."""
    for path, header in (
        ("/timegate/id/charta", "Location"),
        ("/timegate/id/charta", "Link"),
        ("/id/charta", "Link"),
        ("/version/1.0/id/charta.ttl", "Link"),
    ):
        value = client.get(path, headers={"Accept": "text/turtle"}).headers[header]
        assert "w3id.org" not in value and "://" not in value, (path, header, value)
    body = client.get("/timemap/id/charta").get_data(as_text=True)
    assert "w3id.org" not in body
    turtle = client.get("/version/1.0/id/charta.ttl").get_data(as_text=True)
    assert CHARTA in turtle  # the namespace's IRIs stay in the data


def test_with_a_public_url_the_headers_name_it(make_app: Callable[..., Flask]) -> None:
    """--base-url (a deployment behind a proxy): absolute URLs on the public origin."""
    app = make_app(public_url="https://charta.example/")
    resp = app.test_client().get("/timegate/id/charta")
    assert resp.headers["Location"] == "https://charta.example/version/2.0/id/charta"
    assert "<https://charta.example/timemap/id/charta>" in resp.headers["Link"]


@pytest.mark.parametrize(
    "rest",
    [
        "x%3E;rel=%22memento%22,%3Chttp://evil.example/phish",
        "x%3E%3B%20rel%3D%22original%22%2C%20%3Chttps%3A%2F%2Fevil.example%2F",
        'x>;rel="memento",<http://evil.example/',
    ],
)
def test_a_path_cannot_add_relations_to_a_link_header(client: FlaskClient, rest: str) -> None:
    """A percent-decoded path with '>' ';' ',' went into the TimeGate's Link header as
    it came: with a bad Accept-Datetime the 400 named the attacker's URL as original
    and timemap."""
    for headers in ({"Accept-Datetime": "gestern"}, {}):
        resp = client.get(f"/timegate/id/{rest}", headers=headers)
        assert resp.status_code in (400, 404)
        if "Accept-Datetime" not in headers and "Link" not in resp.headers:
            continue  # refused as no IRI of ours before any link was made
        links = _links(resp.headers["Link"])
        targets = [u for found in links.values() for u, _ in found]
        # Paths of this server only, with the attacker's text percent-encoded inside them.
        assert targets and all(u.startswith("/") and u[1] != "/" for u in targets), targets
        assert not any(c in u for u in targets for c in '<>", '), targets
        assert set(links) == {"original", "timemap"}, links


@pytest.mark.parametrize("suffix", ["ttl", "nt", "jsonld", "rdf", "html"])
def test_a_past_state_in_every_format(client: FlaskClient, suffix: str) -> None:
    resp = client.get(f"/version/1.0/id/charta.{suffix}", query_string={"lang": "en"})
    assert resp.status_code == 200
    assert resp.headers["Memento-Datetime"] == "Mon, 02 Mar 2026 09:30:00 GMT"
    links = _links(resp.headers["Link"])
    assert links["original"][0][0] == "/id/charta"
    assert links["timegate"][0][0] == "/timegate/id/charta"
    assert links["timemap"][0][0] == "/timemap/id/charta"
    assert links["memento"] == [
        (
            "/version/1.0/id/charta",
            {"rel": "first memento", "datetime": "Mon, 02 Mar 2026 09:30:00 GMT"},
        ),
        (
            "/version/2.0/id/charta",
            {"rel": "last next memento", "datetime": "Mon, 16 Nov 2026 14:00:00 GMT"},
        ),
    ]
    assert "prev" not in links
    body = resp.get_data(as_text=True)
    assert OLD_LABEL in body and NEW_LABEL not in body
    if suffix == "html":
        assert "This is the state of" in body and "release 1.0" in body
        assert 'href="/id/charta">See the current state' in body
        assert 'href="/version/1.0/id/leitthema/' in body  # links stay in the release


def test_a_past_state_parses_as_rdf(client: FlaskClient) -> None:
    g = rdflib.Graph()
    g.parse(data=client.get("/version/1.0/id/charta.ttl").get_data(as_text=True), format="turtle")
    labels = {str(o) for o in g.objects(rdflib.URIRef(CHARTA), rdflib.SKOS.prefLabel)}
    assert OLD_LABEL in labels and NEW_LABEL not in labels
    assert client.get("/version/1.0/id/gibt-es-nicht").status_code == 404
    assert client.get("/version/0.9/id/charta").status_code == 404


# -- SPARQL against a release ---------------------------------------------------------------

LABEL_QUERY = f'SELECT ?l WHERE {{ <{CHARTA}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?l FILTER(lang(?l) = "de") }}'


def _labels(client: FlaskClient, url: str, **params: str) -> list[str]:
    resp = client.get(
        url,
        query_string={"query": LABEL_QUERY, **params},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [b["l"]["value"] for b in resp.get_json()["results"]["bindings"]]


def test_a_query_against_the_old_release_sees_the_old_state(client: FlaskClient) -> None:
    assert _labels(client, "/sparql") == [NEW_LABEL]
    assert _labels(client, "/version/1.0/sparql") == [OLD_LABEL]
    assert _labels(client, "/version/2.0/sparql") == [NEW_LABEL]
    # The same through the main endpoint, naming the release's graph.
    assert _labels(client, "/sparql", **{"default-graph-uri": NS + "id/version/1.0"}) == [OLD_LABEL]
    from_query = LABEL_QUERY.replace("WHERE", f"FROM <{NS}id/version/1.0> WHERE")
    resp = client.get(
        "/sparql",
        query_string={"query": from_query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert [b["l"]["value"] for b in resp.get_json()["results"]["bindings"]] == [OLD_LABEL]
    assert client.get("/version/7/sparql", query_string={"query": LABEL_QUERY}).status_code == 404


def test_the_editor_offers_the_releases(client: FlaskClient) -> None:
    html = client.get(
        "/sparql", headers={"Accept": "text/html"}, query_string={"lang": "en"}
    ).get_data(as_text=True)
    assert 'href="/version/1.0/sparql"' in html and 'href="/version/2.0/sparql"' in html
    own = client.get(
        "/version/1.0/sparql", headers={"Accept": "text/html"}, query_string={"lang": "en"}
    ).get_data(as_text=True)
    assert 'action="/version/1.0/sparql"' in own
    assert '"endpoint": "/version/1.0/sparql"' in own
    sd = client.get("/version/1.0/sparql", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert f"<{NS}version/1.0/sparql>" in sd


# -- citation --------------------------------------------------------------------------------


def test_every_page_gives_a_citation(client: FlaskClient) -> None:
    now = client.get(
        "/id/charta", headers={"Accept": "text/html"}, query_string={"lang": "en"}
    ).get_data(as_text=True)
    assert (
        "Cite as: charta project (2026): Knowledge graph Green Infrastructure Charter for the Metropole Ruhr, release 2.0, 16 November 2026."
        in now
    )
    assert f"<code>{NS}id/version/2.0</code>" in now
    old = client.get("/version/1.0/id/charta.html", query_string={"lang": "de"}).get_data(
        as_text=True
    )
    assert (
        "Version 1.0, 02.03.2026." in old
        and "Dies ist der Stand vom 02.03.2026 (Version 1.0)." in old
    )
    assert f"<code>{NS}id/version/1.0</code>" in old


def test_citation_cff_names_the_dataset() -> None:
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert "cff-version: 1.2.0" in text
    assert "Charta Grüne Infrastruktur Metropole Ruhr" in text
    assert "https://w3id.org/charta-ruhr/" in text


# -- hostile input ---------------------------------------------------------------------------

HOSTILE_PATHS = [
    "/timemap/id/x%3E%20%3Fp%20%3Fo%20%7D%20UNION%20%7B%20%3Fs",  # breaks out of <...>
    "/timegate/id/a%22b",
    "/version/1.0/id/x%3E%7B%7D",
    "/version/1.0/id/" + "a" * 5000,
    "/timemap/id/" + "a/" * 3000,
    "/version/1.0/id/%FF%FE",
    "/version/..%2F..%2Fetc/id/charta",
    "/releases/1.0/..%2F..%2F..%2Fetc%2Fpasswd",
    "/releases/1.0/dumps/..%2F..%2F..%2Fdata%2Fcharta.ttl",
    "/releases/..%2F..%2Fdata/charta.ttl",
    "/releases/1.0/release.ttl%00.png",
    "/releases/1.0/dumps",
    "/version/1.0%20OR%201/sparql",
    "/version/%3Cscript%3E/id/charta",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_paths_get_a_4xx_and_say_why(client: FlaskClient, path: str) -> None:
    resp = client.get(path, headers={"Accept": "text/turtle"})
    assert 400 <= resp.status_code < 500, (path, resp.status_code)
    resp.close()


@pytest.mark.parametrize(
    "value",
    [
        "x" * 20000,
        "Mon, 02 Mar 2026 09:30:00 GMT" * 50,
        "\u00e4\u00f6\u00fc",
        "Mon, 32 Foo 99999 99:99:99 GMT",
    ],
)
def test_hostile_accept_datetime_gets_400(client: FlaskClient, value: str) -> None:
    resp = client.get("/timegate/id/charta", headers={"Accept-Datetime": value})
    assert resp.status_code == 400


def test_a_release_query_cannot_escape_to_another_service(client: FlaskClient) -> None:
    """The release endpoint applies the same query policy as /sparql."""
    for text in (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "INSERT DATA { <a:b> <a:c> <a:d> }",
        "SELECT * WHERE " + "{" * 300 + "}" * 300,
    ):
        resp = client.get("/version/1.0/sparql", query_string={"query": text})
        assert resp.status_code in (400, 403, 413), (text[:40], resp.status_code)


def test_a_damaged_release_is_a_violation(tmp_path: Path) -> None:
    """A release is frozen: a changed, missing or unlisted file fails 'charta validate'
    (and so 'charta serve' and the next 'charta release'), naming the file."""
    from server.pipeline.validate import validate

    root = _copy(tmp_path)
    config = Config(root=root, testing=True).validated()
    made = make_release(config, "1.0", "", now=FIRST)
    assert validate(root, NS).conforms
    ttl = made.folder / "dumps" / "charta.ttl"
    ttl.write_bytes(ttl.read_bytes().replace(OLD_LABEL.encode(), b"Umgeschrieben", 1))
    (made.folder / "dumps" / "charta.rdf").unlink()
    (made.folder / "dumps" / "extra.ttl").write_text("")
    report = validate(root, NS)
    assert not report.conforms
    rendered = "\n".join(f.render(root) for f in report.violations)
    assert "releases/1.0/dumps/charta.ttl: Violation" in rendered
    assert "checksum differs from SHA256SUMS" in rendered
    assert "'charta.rdf' is missing" in rendered
    assert "dumps/extra.ttl: Violation" in rendered and "not in SHA256SUMS" in rendered
    done = CliRunner().invoke(cli, ["validate", str(root)])
    assert done.exit_code == 1, done.output


def test_an_interrupted_release_is_ignored_by_serve_and_reported_by_validate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'charta release' killed before its final rename left releases/.1.1.making-PID/:
    'charta validate' read its release.ttl and said "conforms", and 'charta serve' then
    answered 500 on /id/charta, /id/katalog, /.well-known/void and the dumps."""
    from server.pipeline.validate import validate
    from server.web.app import create_app

    root = _copy(tmp_path)
    config = Config(root=root, testing=True).validated()
    make_release(config, "1.0", "", now=FIRST)

    def killed(self: Path, target: Path) -> None:
        raise KeyboardInterrupt  # as if killed just before the rename

    with monkeypatch.context() as m:
        m.setattr(
            "server.pipeline.releases.shutil.rmtree", lambda *a, **k: None
        )  # a kill cleans nothing
        m.setattr(Path, "rename", killed)
        with pytest.raises(KeyboardInterrupt):
            make_release(config, "1.1", "", now=SECOND)
    unfinished = [d for d in (root / "releases").iterdir() if d.name.startswith(".")]
    assert len(unfinished) == 1 and (unfinished[0] / "release.ttl").is_file()
    assert [r.version for r in read_releases(root, NS)] == ["1.0"]

    report = validate(root, NS)
    assert report.conforms  # serve starts: the folder is ignored, not a damaged release
    warned = [f.render(root) for f in report.findings if f.severity == "Warning"]
    assert any(unfinished[0].name in w and "unfinished release" in w for w in warned), warned
    done = CliRunner().invoke(cli, ["validate", str(root)])
    assert done.exit_code == 0 and unfinished[0].name in done.output, done.output

    client = create_app(config).test_client()
    for path in ("/id/charta", "/id/katalog", "/.well-known/void", "/dumps/charta.ttl"):
        assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 200, path
    assert client.get("/version/1.1/id/charta").status_code == 404
    assert client.get("/version/1.0/id/charta").status_code == 200


def test_a_past_state_of_a_resource_the_data_no_longer_holds_links_no_current_page(
    config: Config,
) -> None:
    """Release 1.0.0 still holds the joining row the register has since dropped (the
    Charta's adoption is no joining): its past page must not send a reader, or a link
    checker, to a current page that answers 404."""
    from server.web.app import create_app

    client = create_app(config).test_client()
    gone = "/version/1.0.0/id/beitritt/regionalverband-ruhr-2022-09-23"
    now = client.get(gone.removeprefix("/version/1.0.0"), headers={"Accept": "text/plain"})
    assert now.status_code == 410  # gone, not unknown: a release holds it
    assert "no longer in the current data" in now.get_data(as_text=True)
    assert (
        '</timemap/id/beitritt/regionalverband-ruhr-2022-09-23>; rel="timemap"'
        in (now.headers["Link"])
    )
    assert client.get("/id/beitritt/never-was").status_code == 404
    page = client.get(gone + ".html", query_string={"lang": "en"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'href="/id/beitritt/regionalverband-ruhr-2022-09-23"' not in body
    assert "The current data no longer holds it." in body
    kept = client.get("/version/1.0.0/id/charta.html", query_string={"lang": "en"})
    assert 'href="/id/charta">See the current state' in kept.get_data(as_text=True)
