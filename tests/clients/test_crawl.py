"""Tools that walk the site as search engines and auditors do: LinkChecker and Lighthouse."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.browser.test_pages_in_browser import PAGES
from tests.clients.conftest import CHROMIUM, REPORT, Site, missing, sitemap_paths, tool_version

pytestmark = pytest.mark.clients

LINKCHECKER = shutil.which("linkchecker") or str(Path(sys.executable).parent / "linkchecker")
#: The headless flags the browser tests use.
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
#: Asserted: these do not depend on how fast the machine is.
ASSERTED = ("accessibility", "best-practices", "seo")
#: Audits that judge bytes and headers, not timings.
BYTE_AUDITS = (
    "uses-text-compression",
    "uses-long-cache-ttl",
    "total-byte-weight",
    "render-blocking-resources",
)


def _rate_config(folder: Path) -> Path:
    """A LinkChecker configuration that lifts its default of 10 requests a second to
    one host (the test server sends the header LinkChecker asks for before it does)."""
    rc = folder / "linkcheckerrc"
    rc.write_text("[checking]\nmaxrequestspersecond=1000\n")
    return rc


def test_linkchecker_finds_only_200s_on_every_page(site: Site, tmp_path: Path) -> None:
    if not Path(LINKCHECKER).exists():
        missing("linkchecker is not installed (the test extra has it)")
    pages = sitemap_paths(site)
    out = subprocess.run(
        [
            LINKCHECKER,
            "--no-status",
            "--threads=4",
            "--timeout=30",
            f"--config={_rate_config(tmp_path)}",
            "--verbose",  # log every URL checked, not only those with warnings
            "--output=csv",
            # Every page of the sitemap as a start (LinkChecker does not read
            # sitemaps), and from each the links it holds.
            f"{site.url}/sitemap.xml",
            *(site.url + p for p in pages),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path)},  # no user configuration
    )
    lines = [line for line in out.stdout.splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"))
    local = [r for r in rows if r["url"].startswith(site.url)]
    bad = sorted(
        {
            f"{r['url']} ({r['result']}) from {r['parentname']}"
            for r in local
            if r["valid"] != "True"
            # A past state names its original (RFC 7089's rel="original"): a resource the
            # current data no longer holds answers 410 Gone there, which is the truth.
            and not (
                r["result"].startswith("410") and r["parentname"].startswith(f"{site.url}/version/")
            )
        }
    )
    assert bad == [], out.stderr[-2000:]
    # A start page shows as the parent of its links.
    checked = {u.rstrip("/") for r in local for u in (r["url"], r["parentname"]) if u}
    # Every page of the sitemap but the root, which LinkChecker's CSV leaves out
    # as a start URL (its links, in every page's header, are checked all the same).
    assert {(site.url + p).rstrip("/") for p in pages if p != "/"} <= checked
    # Exit 1 means "some link invalid": only local ones are checked (no
    # --check-extern: tests reach no other host), and those are all valid above.
    assert out.returncode in (0, 1), out.stderr[-2000:]
    REPORT["LinkChecker"] = (
        f"{version('LinkChecker')}: crawled from every sitemap page, {len(checked)} local URLs "
        f"(all {len(pages)} sitemap pages among them), all 200"
    )


def _lighthouse(tool: Path, url: str, out: Path) -> dict:
    env = {**os.environ, "CHROME_PATH": CHROMIUM, "HOME": str(out.parent)}
    done = subprocess.run(
        [
            str(tool),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={out}",
            f"--chrome-flags={CHROME_FLAGS}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--max-wait-for-load=60000",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0 and out.exists(), done.stderr[-2000:]
    return json.loads(out.read_text())


#: The SPARQL editors: robots.txt disallows /sparql and every release endpoint
#: (``Disallow: /sparql``, the one spelling that first-match and longest-match parsers
#: read alike, so no crawler runs queries), and Lighthouse's SEO score then fails
#: "is-crawlable" for them by design; every other SEO audit must still pass.
ROBOTS_DISALLOWED = {"sparql", "release-sparql"}

#: Lighthouse refuses to audit a page answered 404 (axe and the Nu checker
#: check the not-found page in the browser tests).
AUDITED = {kind: path for kind, path in PAGES.items() if kind != "not-found"}


@pytest.fixture(scope="session")
def audits(lighthouse_tool: Path, site: Site, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One Lighthouse report per kind of page, three at a time: most of a report is
    Lighthouse waiting for the page to go quiet, so three overlap on two cores
    (performance, which the overlap lowers, is reported, not asserted)."""
    folder = tmp_path_factory.mktemp("lighthouse")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            kind: pool.submit(
                _lighthouse, lighthouse_tool, site.url + path, folder / f"{kind}.json"
            )
            for kind, path in AUDITED.items()
        }
        reports = {kind: f.result() for kind, f in futures.items()}
    scores = {
        kind: {c: round(100 * (r["categories"][c]["score"] or 0)) for c in CATEGORIES}
        for kind, r in reports.items()
    }
    first = next(iter(reports.values()))
    REPORT["Lighthouse"] = (
        f"{first['lighthouseVersion']} on {tool_version([CHROMIUM, '--version'])}, "
        "scores (performance reported, not asserted / accessibility / best practices / SEO): "
        + "; ".join(
            f"{kind} {s['performance']}/{s['accessibility']}/{s['best-practices']}/{s['seo']}"
            for kind, s in scores.items()
        )
    )
    return reports


@pytest.mark.parametrize("kind", list(AUDITED))
def test_lighthouse_scores_every_kind_of_page(audits: dict, kind: str) -> None:
    report = audits[kind]
    scores = {c: report["categories"][c]["score"] for c in CATEGORIES}
    if kind in ROBOTS_DISALLOWED:
        # Blocked by robots.txt on purpose, and only for that reason: the SEO score
        # is then judged on every other audit.
        crawlable = report["audits"]["is-crawlable"]
        assert crawlable["score"] == 0
        assert "robots.txt" in json.dumps(crawlable.get("details", {})), crawlable
        scores["seo"] = 1.0
    asserted = ASSERTED
    low = {c: scores[c] for c in asserted if scores[c] is None or scores[c] < 0.95}
    failing = {
        ref["id"]: report["audits"][ref["id"]]["title"]
        for c in asserted
        for ref in report["categories"][c]["auditRefs"]
        if ref["weight"] > 0
        and (report["audits"][ref["id"]]["score"] or 0) < 1
        and report["audits"][ref["id"]]["scoreDisplayMode"] == "binary"
        and not (ref["id"] == "is-crawlable" and kind in ROBOTS_DISALLOWED)
    }
    assert low == {}, failing
    assert failing == {} or kind not in ROBOTS_DISALLOWED, failing
    byte_failures = {
        a: report["audits"][a].get("displayValue") or report["audits"][a]["title"]
        for a in BYTE_AUDITS
        if report["audits"][a]["scoreDisplayMode"] not in ("error", "notApplicable", "informative")
        and (report["audits"][a]["score"] or 0) < 1
    }
    assert byte_failures == {}
