"""What search engines read: every page's schema.org JSON-LD (parsing, typed by the page's
kind, absolute URLs, Google's Dataset properties), its canonical address in its own
language, reciprocal hreflang alternates, and a sitemap listing both languages."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from server.i18n import DEFAULT_LANG, LANGS
from tests.conftest import NS, SERVER_BACKENDS

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"

#: The schema.org type each kind of page names (a path prefix, first match wins).
EXPECTED = (
    ("/id/katalog", "DataCatalog"),
    ("/id/datensatz/", "Dataset"),
    ("/id/version/1.0.0/distribution/", "DataDownload"),
    ("/id/version/", "Dataset"),
    ("/id/distribution/", "DataDownload"),
    ("/id/dienst/", "WebAPI"),
    ("/id/charta", "DefinedTermSet"),
    ("/id/leitthema/", "DefinedTerm"),
    ("/id/oberziel/", "DefinedTerm"),
    ("/id/werteliste/beratungsrolle/", "DefinedTerm"),
    ("/id/organisation/kreistag-unna", "GovernmentOrganization"),
    ("/id/drucksache/", "Legislation"),
    ("/id/sitzung/", "Event"),
    ("/id/ereignis/", "Event"),
    ("/id/quelle/ds-085-23", "DigitalDocument"),
    ("/id/vorhaben/offensive-gruene-infrastruktur-2030", "Project"),
    ("/ontology", "DefinedTermSet"),
    ("/sparql", "WebAPI"),
    ("/register", "Dataset"),
)


def sitemap_urls(client: FlaskClient) -> list[ET.Element]:
    root = ET.fromstring(client.get("/sitemap.xml").data)
    assert root.tag == f"{SITEMAP}urlset"
    return list(root.iter(f"{SITEMAP}url"))


def path_of(url: str) -> str:
    assert url.startswith(NS), url
    return "/" + url[len(NS) :]


#: Pages test_the_dataset_follows_the_dataset_conventions reads, on every backend.
DATASET_PAGES = {"/id/datensatz/charta", "/id/katalog", "/id/distribution/turtle"}


def one_of_each_kind(paths: list[str]) -> set[str]:
    """The first page of each kind (an EXPECTED prefix, else the page's folder), and
    DATASET_PAGES."""
    first: dict[str, str] = {}
    for path in paths:
        kind = next((prefix for prefix, _ in EXPECTED if path.startswith(prefix)), None)
        first.setdefault(kind or path.rsplit("/", 1)[0], path)
    return set(first.values()) | DATASET_PAGES


@pytest.fixture(scope="module")
def walked(app: Flask, backend: str) -> dict[str, BeautifulSoup]:
    """Every URL of the sitemap (each page in each language), as the page answers it; on
    a server backend one page of each kind in each language: the same templates make
    the markup, and all 650 URLs took 80 s on Oxigraph server and 220 s on Virtuoso."""
    client = app.test_client()
    locs = [url.findtext(f"{SITEMAP}loc") or "" for url in sitemap_urls(client)]
    if backend in SERVER_BACKENDS:
        kept = one_of_each_kind([path_of(loc).split("?")[0] for loc in locs])
        locs = [loc for loc in locs if path_of(loc).split("?")[0] in kept]
    pages = {}
    for loc in locs:
        assert loc
        r = client.get(path_of(loc), headers={"Accept": "text/html"})
        assert r.status_code == 200, loc
        pages[loc] = BeautifulSoup(r.data, "html.parser")
    return pages


def jsonld(soup: BeautifulSoup) -> dict:
    scripts = soup.find_all("script", type="application/ld+json")
    assert len(scripts) == 1
    data = json.loads(scripts[0].string)
    assert data["@context"] == "https://schema.org/"
    return data


def links(data: object, key: str = "") -> Iterator[tuple[str, str]]:
    """Every (key, value) in the JSON-LD whose key names a link."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from links(v, k)
    elif isinstance(data, list):
        for v in data:
            yield from links(v, key)
    elif isinstance(data, str) and key in (
        "@id", "url", "contentUrl", "isBasedOn", "sameAs", "license", "inDefinedTermSet",
        "documentation", "target",
    ):  # fmt: skip
        yield key, data


def test_every_page_has_json_ld_of_its_kind_with_absolute_urls(
    walked: dict[str, BeautifulSoup], backend: str
) -> None:
    typed: dict[str, str] = {}
    relative = []
    for loc, soup in walked.items():
        data = jsonld(soup)
        typed[loc] = data["@type"]
        relative += [
            (loc, k, v) for k, v in links(data) if not v.startswith(("http://", "https://"))
        ]
    assert relative == []
    assert [loc for loc, t in typed.items() if t == "Thing"] == []
    checked = 0
    for loc, found in typed.items():
        path = path_of(loc).split("?")[0]
        expected = next((t for prefix, t in EXPECTED if path.startswith(prefix)), None)
        if path == "/":
            expected = "WebSite"
        if expected is not None:
            assert found == expected, (loc, found)
            checked += 1
    assert checked > (len(EXPECTED) if backend in SERVER_BACKENDS else 100)


def test_the_dataset_follows_the_dataset_conventions(walked: dict[str, BeautifulSoup]) -> None:
    """Google's Dataset rich results: what a dataset search engine needs to list it."""
    for lang in LANGS:
        data = jsonld(walked[f"{NS}id/datensatz/charta?lang={lang}"])
        assert data["@type"] == "Dataset" and data["inLanguage"] == lang
        assert data["name"] and len(data["description"]) >= 50
        assert data["license"] == "http://dcat-ap.de/def/licenses/cc-by/4.0"
        assert data["creator"]["@type"] == "Organization" and data["creator"]["name"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}", data["temporalCoverage"])
        place = data["spatialCoverage"][0]
        assert place["@type"] == "Place" and place["identifier"] == "05978"
        downloads = {d["encodingFormat"]: d["contentUrl"] for d in data["distribution"]}
        assert downloads["text/turtle"] == f"{NS}dumps/charta.ttl"
        assert {"application/n-triples", "application/ld+json", "application/rdf+xml"} <= set(
            downloads
        )
        assert data["includedInDataCatalog"]["@id"] == f"{NS}id/katalog"
    catalog = jsonld(walked[f"{NS}id/katalog?lang=en"])
    assert f"{NS}id/datensatz/charta" in {d["@id"] for d in catalog["dataset"]}
    download = jsonld(walked[f"{NS}id/distribution/turtle?lang=en"])
    assert download["contentUrl"] == f"{NS}dumps/charta.ttl"
    assert download["encodingFormat"] == "text/turtle"


def addresses(soup: BeautifulSoup) -> tuple[str, dict[str, str]]:
    canonical = soup.find_all("link", rel="canonical")
    assert len(canonical) == 1
    alternates = {link["hreflang"]: link["href"] for link in soup.find_all("link", hreflang=True)}
    return canonical[0]["href"], alternates


def test_each_page_is_its_own_canonical_and_hreflang_pairs_are_reciprocal(
    walked: dict[str, BeautifulSoup],
) -> None:
    found = {loc: addresses(soup) for loc, soup in walked.items()}
    for loc, (canonical, alternates) in found.items():
        lang = loc.rsplit("lang=", 1)[-1]
        assert canonical == loc  # an English page is not canonicalised to the German one
        assert set(alternates) == {*LANGS, "x-default"}
        assert alternates[lang] == loc
        assert alternates["x-default"] == alternates[DEFAULT_LANG]
        for other, href in alternates.items():
            if other == "x-default":
                continue
            assert href in found, (loc, href)  # the other language is in the sitemap too
            assert found[href][1][lang] == loc  # … and links back
            assert walked[href].html["lang"] == other


def test_the_sitemap_lists_both_languages_with_alternates(app: Flask) -> None:
    urls = sitemap_urls(app.test_client())
    locs = [u.findtext(f"{SITEMAP}loc") for u in urls]
    assert len(locs) == len(set(locs))
    by_page: dict[str, set[str]] = {}
    for url, loc in zip(urls, locs, strict=True):
        assert loc and re.fullmatch(re.escape(NS) + r"[^?]*\?lang=(de|en)", loc)
        page, lang = loc.split("?lang=")
        by_page.setdefault(page, set()).add(lang)
        alternates = {link.get("hreflang"): link.get("href") for link in url.iter(f"{XHTML}link")}
        assert all(link.get("rel") == "alternate" for link in url.iter(f"{XHTML}link"))
        assert alternates == {
            **{other: f"{page}?lang={other}" for other in LANGS},
            "x-default": f"{page}?lang={DEFAULT_LANG}",
        }
        # The sitemap protocol's order: loc first, then the alternates.
        assert url[0].tag == f"{SITEMAP}loc"
    assert all(langs == set(LANGS) for langs in by_page.values())
    assert {f"{NS}", f"{NS}ontology", f"{NS}sparql", f"{NS}register"} <= set(by_page)


@pytest.mark.parametrize("path", ["/search?q=gruen", "/version/1.0.0/sparql"])
def test_pages_beyond_the_sitemap_name_their_address_and_kind(
    client: FlaskClient, path: str
) -> None:
    sep = "&" if "?" in path else "?"
    r = client.get(f"{path}{sep}lang=en", headers={"Accept": "text/html"})
    soup = BeautifulSoup(r.data, "html.parser")
    canonical, alternates = addresses(soup)
    assert canonical.endswith("lang=en") and canonical.startswith(NS)
    assert alternates["de"].endswith("lang=de")
    assert jsonld(soup)["@type"] in ("SearchResultsPage", "WebAPI")
    if path.startswith("/search"):
        assert "q=gruen" in canonical


def test_an_error_page_names_no_canonical(client: FlaskClient) -> None:
    r = client.get("/id/gibt-es-nicht", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert BeautifulSoup(r.data, "html.parser").find("link", rel="canonical") is None
