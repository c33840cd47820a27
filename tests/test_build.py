"""``charta build``: deterministic dumps, sums, and a server started from the build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from server.config import Config
from server.web.app import create_app
from tests.conftest import ROOT


def run_build(out: Path, seed: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "server", "build", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_same_data_gives_the_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    ra, rb = run_build(a, "1"), run_build(b, "2")
    assert ra.returncode == 0, ra.stderr
    assert rb.returncode == 0, rb.stderr
    files = sorted(p.name for p in (a / "dumps").iterdir())
    assert [str(f) for f in files] == [
        "SHA256SUMS",
        "charta.jsonld",
        "charta.nt.gz",
        "charta.rdf",
        "charta.ttl",
    ]
    for f in files:
        assert (a / "dumps" / f).read_bytes() == (b / "dumps" / f).read_bytes(), f
    assert (a / "sitemap.xml").read_bytes() == (b / "sitemap.xml").read_bytes()
    assert (a / "search.json").read_bytes() == (b / "search.json").read_bytes()
    assert "built 4 dumps" in ra.stdout


def test_server_serves_a_build_without_rebuilding(tmp_path: Path) -> None:
    assert run_build(tmp_path, "0").returncode == 0
    app = create_app(Config(root=ROOT, testing=True, dist_dir=tmp_path).validated())
    client = app.test_client()
    with client.get("/dumps/charta.ttl") as r:  # streamed from the file, closed after
        assert r.data == (tmp_path / "dumps" / "charta.ttl").read_bytes()
        assert r.headers["ETag"] and r.headers["Content-Length"] == str(len(r.data))
    with client.get("/dumps/charta.nt.gz", headers={"Range": "bytes=10-19"}) as r:
        assert r.status_code == 206
        assert r.data == (tmp_path / "dumps" / "charta.nt.gz").read_bytes()[10:20]
    assert b"byteSize" in client.get("/id/distribution/turtle.ttl").data


def test_server_searches_the_saved_index_without_querying(tmp_path: Path) -> None:
    """At 10^6 triples rebuilding the index costs every web worker seconds of CPU."""
    assert run_build(tmp_path, "0").returncode == 0
    index = json.loads((tmp_path / "search.json").read_bytes())
    assert "Lückenschlüsse" in " ".join(index["texts"])
    app = create_app(Config(root=ROOT, testing=True, dist_dir=tmp_path).validated())
    store = app.extensions["charta"].store
    queried: list[str] = []
    original = store.sparql
    store.sparql = lambda job, timeout: queried.append(job.query) or original(job, timeout)
    found = app.test_client().get("/search.json", query_string={"q": "lueckenschluesse"})
    assert any("Lückenschlüsse" in h["label"] for h in found.get_json()["results"])
    assert queried == []


def test_a_damaged_or_outdated_saved_index_is_rebuilt(tmp_path: Path) -> None:
    assert run_build(tmp_path, "0").returncode == 0
    saved = tmp_path / "search.json"
    index = json.loads(saved.read_bytes())
    for damage in (b"{not json", json.dumps({**index, "version": "other"}).encode()):
        saved.write_bytes(damage)
        app = create_app(Config(root=ROOT, testing=True, dist_dir=tmp_path).validated())
        found = app.test_client().get("/search.json", query_string={"q": "lueckenschluesse"})
        assert found.status_code == 200
        assert any("Lückenschlüsse" in h["label"] for h in found.get_json()["results"])


def test_tampered_dump_is_refused(tmp_path: Path) -> None:
    assert run_build(tmp_path, "0").returncode == 0
    (tmp_path / "dumps" / "charta.ttl").write_bytes(b"# changed\n")
    try:
        create_app(Config(root=ROOT, testing=True, dist_dir=tmp_path).validated())
    except Exception as exc:
        assert "does not match the build's metadata" in str(exc)
    else:
        raise AssertionError("a dump that does not match SHA256SUMS was served")


def test_more_pages_than_a_sitemap_may_list_make_a_sitemap_index(
    tmp_path: Path, monkeypatch
) -> None:
    """Search engines reject a sitemap of over 50,000 URLs (10^6 triples have 93,000)."""
    import xml.etree.ElementTree as ET

    from server.pipeline import build as build_module
    from server.web.state import site
    from tests.conftest import NS

    monkeypatch.setattr(build_module, "SITEMAP_MAX_URLS", 50)
    app = create_app(Config(root=ROOT, testing=True).validated())
    client = app.test_client()
    sm = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    index = ET.fromstring(client.get("/sitemap.xml").data)
    assert index.tag == f"{sm}sitemapindex"
    parts = [loc.text for loc in index.iter(f"{sm}loc")]
    assert len(parts) >= 3 and parts[0] == f"{NS}sitemap-1.xml"
    urls: list[str] = []
    for part in parts:
        r = client.get("/" + part[len(NS) :])
        assert r.status_code == 200 and r.mimetype == "application/xml"
        listed = [loc.text for loc in ET.fromstring(r.data).iter(f"{sm}loc")]
        assert 0 < len(listed) <= 50
        urls += listed
    assert len(urls) == len(set(urls)) and f"{NS}id/charta?lang=en" in urls
    assert client.get(f"/sitemap-{len(parts) + 1}.xml").status_code == 404
    with app.app_context():
        built = site().build
    (tmp_path / "sitemap-99.xml").write_text("from an earlier build")
    built.write(tmp_path)
    assert not (tmp_path / "sitemap-99.xml").exists()
    assert build_module.load_build(tmp_path).sitemap_parts == built.sitemap_parts
