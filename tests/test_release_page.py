"""A release's page for the person who cites it: what changed first (each change once,
added and removed told apart by words and signs, not colour alone), then how to cite and
download it, then the catalog's technical statements folded away."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from server.config import Config
from server.pipeline.releases import make_release
from tests.conftest import ROOT
from tests.test_releases import FIRST, SECOND


def _decide_to_sign(root: Path) -> str:
    """Change one joining's state from 'beschlossen' to 'unterzeichnet'; its id."""
    path = root / "data" / "register" / "beitritte.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for n, line in enumerate(lines):
        if ",beschlossen," in line:
            lines[n] = line.replace(",beschlossen,", ",unterzeichnet,", 1)
            path.write_text("".join(lines), encoding="utf-8")
            return line.split(",", 1)[0]
    raise AssertionError("no decided joining in data/register/beitritte.csv")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("release-page")
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / name, root / name)
    config = Config(root=root, testing=True, query_timeout_s=5.0).validated()
    make_release(config, "1.0", "Erste Veröffentlichung", now=FIRST)
    joining = _decide_to_sign(root)
    make_release(config, "2.0", "Ein Beitritt unterzeichnet", now=SECOND)
    return {"root": root, "config": config, "joining": joining}


@pytest.fixture(scope="module", params=["embedded"])
def backend(request: pytest.FixtureRequest) -> str:
    """The embedded store on the project copy (the session's servers hold the checkout's data)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def app_config(project: dict[str, object]) -> dict[str, object]:
    return {"root": project["root"], "query_timeout_s": 5.0}


def release_page(client: FlaskClient, lang: str) -> BeautifulSoup:
    r = client.get("/id/version/2.0", query_string={"lang": lang}, headers={"Accept": "text/html"})
    assert r.status_code == 200
    return BeautifulSoup(r.data, "html.parser")


@pytest.mark.parametrize(
    ("lang", "state", "added", "removed"),
    [
        ("de", "Stand des Beitritts", "+ hinzugefügt", "− entfernt"),
        ("en", "state of the joining", "+ added", "− removed"),
    ],
)
def test_a_state_change_is_listed_once_as_added_and_removed(
    client: FlaskClient, project: dict[str, object], lang: str, state: str, added: str, removed: str
) -> None:
    soup = release_page(client, lang)
    heading = next(h for h in soup.select("main h3") if str(project["joining"]) in h.a["href"])
    items = heading.find_next("ul", class_="changes").find_all("li")
    lines = [li.get_text(" ", strip=True) for li in items]
    # One added and one removed line: the standard super-property (adms:status) that
    # repeats our property is left out.
    assert len(lines) == 2, lines
    plus = next(li for li in items if "added" in li["class"])
    minus = next(li for li in items if "removed" in li["class"])
    assert plus.select_one(".badge").get_text(strip=True) == added
    assert minus.select_one(".badge").get_text(strip=True) == removed
    assert plus.get_text(" ", strip=True).startswith(f"{added} {state}:")
    assert minus.get_text(" ", strip=True).startswith(f"{removed} {state}:")
    assert minus.find("del") and plus.find("ins")


def test_what_changed_comes_first_then_citing_then_technical_details(client: FlaskClient) -> None:
    soup = release_page(client, "en")
    main = soup.find("main")
    order = [el for el in main.find_all(["h2", "details"])]
    names = [el.get("id") or el.name for el in order]
    assert names.index("changes") < names.index("cite") < names.index("details")
    # The citation of this release, and each dump with its format and size.
    assert "release 2.0" in main.select_one("blockquote.citation").get_text()
    rows = [[td.get_text(strip=True) for td in tr("td")] for tr in main.select("table.dumps tr")]
    assert ["charta.ttl", "Turtle"] == rows[1][:2] and rows[1][2].endswith("kB")
    # The catalog's statements (VoID statistics) only inside the folded details.
    details = main.find("details", class_="technical")
    assert "number of statements (triples)" in details.get_text()
    outside = [dt.get_text() for dt in main.select("dl.props dt") if not dt.find_parent("details")]
    assert "number of statements (triples)" not in outside


def test_the_generic_page_folds_technical_statements(client: FlaskClient) -> None:
    """A page of no designed kind (a dump's distribution) still puts what a person reads
    first and folds the codes away; the dataset's own kind has its test in
    test_designed_kinds.py."""
    r = client.get(
        "/id/distribution/turtle", query_string={"lang": "en"}, headers={"Accept": "text/html"}
    )
    soup = BeautifulSoup(r.data, "html.parser")
    details = soup.find("details", class_="technical")
    assert details is not None and details.summary.get_text() == "Technical details"
    folded = {dt.get_text() for dt in details.select("dt")}
    assert {"checksum", "media type"} <= folded
    shown = {dt.get_text() for dt in soup.select("dl.props dt") if not dt.find_parent("details")}
    assert {"download", "file size", "licence"} <= shown
    assert not shown & folded


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_the_timemap_link_opens_a_page_for_people(client: FlaskClient) -> None:
    """A memento's "All states (TimeMap)" link: a browser gets a page listing the states
    newest first; a client asking for link format (or anything) gets RFC 7089's TimeMap."""
    memento = client.get("/version/1.0/id/charta", headers={"Accept": BROWSER_ACCEPT})
    link = BeautifulSoup(memento.data, "html.parser").select_one("p.memento a[href^='/timemap/']")
    assert link is not None and link.get("type") is None
    page = client.get(link["href"], headers={"Accept": BROWSER_ACCEPT}, query_string={"lang": "en"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Accept" in page.headers["Vary"]
    soup = BeautifulSoup(page.data, "html.parser")
    states = [a["href"] for a in soup.select("ol.states a")]
    assert states == ["/version/2.0/id/charta", "/version/1.0/id/charta"]
    assert "Release 2.0" in soup.select_one("ol.states li").get_text()
    for accept in ("application/link-format", "*/*"):
        machine = client.get(link["href"], headers={"Accept": accept})
        assert machine.mimetype == "application/link-format"
        assert 'rel="original"' in machine.get_data(as_text=True)
        assert "Accept" in machine.headers["Vary"]
