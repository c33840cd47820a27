"""Renew the screenshots of docs/pages.md: ``python -m tests.browser.screenshots [KIND …]``.

For each kind of page (:data:`SHOTS`), in German and English, at 1280 px (desktop) and
390 px (phone) wide, a picture of what the browser window shows (the viewport, not the
whole page, so each PNG stays small): ``docs/screenshots/<kind>-<lang>-<width>.png``.
A command of its own, not a test: it starts the app on the embedded store the way the
browser tests do (tests/browser/conftest.py) and drives Debian's Chromium with
Playwright, and a test run never writes into the checkout. Given kinds, it takes only
those; without, it takes all and removes the folder's pictures it did not take (the ones
docs/pages.md no longer shows). Commit the pictures afterwards. Needs Chromium
(``/usr/bin/chromium``) and Playwright, as the browser tests do (docs/testing.md).
"""

from __future__ import annotations

import sys

from tests.conftest import ROOT

OUT = ROOT / "docs" / "screenshots"
#: The kinds of page docs/pages.md shows, each by one page of that kind.
SHOTS = {
    "landing": "/",
    "charta": "/id/charta",
    "theme": "/id/leitthema/artenreiche-metropole-ruhr",
    "goal": "/id/oberziel/schwamm-region",
    "paper": "/id/drucksache/ds-085-23",
    "body": "/id/organisation/kreis-unna",
    "institution": "/id/organisation/herne",
    "joining": "/id/beitritt/herne-2023-0419",
    "measure": "/id/massnahme/herne-sportplatz-goerresstrasse",
    "consultation": "/id/beratung/herne-2023-0419/rat-der-stadt-herne-2023-06-13",
    "consultation-planned": "/id/beratung/essen/rat-der-stadt-essen-2023-05-17",
    "value-set": "/id/werteliste/beitrittsstatus",
    "meeting": "/id/sitzung/kreistag-unna/2023-06-13",
    "event": "/id/ereignis/ruhrparlament/2022-09-23",
    "programme": "/id/vorhaben/offensive-gruene-infrastruktur-2030",
    "document": "/id/quelle/ds-085-23",
    "section": "/id/abschnitt/ds-085-23/1",
    "register": "/register",
    "dataset": "/id/datensatz/charta",
    "catalog": "/id/katalog",
    "vocabulary": "/ontology",
    "release": "/id/version/1.0.0",
    "memento": "/version/1.0.0/id/charta",
    "search": "/search?q=gruen",
    "sparql": "/sparql",
    "not-found": "/id/gibt-es-nicht",
}
LANGS = ("de", "en")
#: Window sizes: a desktop and a phone (the phone's CSS pixels, at scale 1 for small files).
WIDTHS = {1280: 800, 390: 844}


def take(url: str, kinds: list[str]) -> list[str]:
    """Take the pictures of ``kinds`` from the app at ``url``; their file names."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM

    taken = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        try:
            for lang in LANGS:
                for width, height in WIDTHS.items():
                    context = browser.new_context(
                        locale="de-DE" if lang == "de" else "en-GB",
                        viewport={"width": width, "height": height},
                    )
                    page = context.new_page()
                    for kind in kinds:
                        path = SHOTS[kind]
                        page.goto(f"{url}{path}{'&' if '?' in path else '?'}lang={lang}")
                        if kind == "sparql":
                            page.click("button[data-example=beratungsfolge]")
                            page.wait_for_selector(".yasr table tbody tr")
                        name = f"{kind}-{lang}-{width}.png"
                        page.screenshot(path=str(OUT / name), full_page=False)
                        taken.append(name)
                        print(name, flush=True)
                    context.close()
        finally:
            browser.close()
    return taken


def main(argv: list[str]) -> int:
    import logging

    from server.config import Config
    from server.web.app import create_app
    from tests.conftest import on_socket

    kinds = argv or list(SHOTS)
    unknown = [k for k in kinds if k not in SHOTS]
    if unknown:
        print(f"unknown kinds {unknown}; known: {', '.join(SHOTS)}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    config = Config(root=ROOT, query_workers=2).validated()
    with on_socket(lambda url: create_app(config)) as url:
        taken = take(url, kinds)
    if not argv:
        for old in sorted(OUT.glob("*.png")):
            if old.name not in taken:
                print(f"removed {old.name}")
                old.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
