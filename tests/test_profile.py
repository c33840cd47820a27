"""A profile extends the engine through its records alone: a page kind, an RDF format,
its own templates, written in a temporary profile module and found served.

The engine names no profile module: ``CHARTA_PROFILE`` (``Config.profile``) does.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask

from server.pipeline.backends import open_store
from server.rdf import formats
from server.web.app import create_app
from server.web.extension import ProfileError, load_profile
from tests.conftest import NS, make_config

PROFILE_SOURCE = """
import dataclasses

import pyoxigraph as ox

from server.pages.kinds import PageKind
from server.profile import PROFILE as CHARTA
from server.rdf.formats import RdfFormat

NQUADS = RdfFormat(
    "nquads", "application/n-quads", "nq", ox.RdfFormat.N_QUADS, "N-Quads", "N-Quads",
    "RDF_N_QUADS", dump=False,
)
SCHEME = PageKind(
    "scheme_test",
    "DefinedTermSet",
    ("http://www.w3.org/2004/02/skos/core#ConceptScheme",),
    context=lambda q: {"marker": "SCHEME-KIND " + q.lang},
)
PROFILE = dataclasses.replace(
    CHARTA, kinds=(SCHEME, *CHARTA.kinds), formats=(NQUADS,), templates=TEMPLATES
)
"""

TEMPLATE = """{% extends "resource/generic.html" %}
{% block summary %}<p id="marker">{{ marker }}</p>{% endblock %}
"""


@pytest.fixture
def profiled(tmp_path: Path) -> Iterator[Flask]:
    """An app on a temporary profile: the Charta's plus one kind, one format, a template."""
    (tmp_path / "templates" / "resource").mkdir(parents=True)
    (tmp_path / "templates" / "resource" / "scheme_test.html").write_text(TEMPLATE)
    source = f"TEMPLATES = {str(tmp_path / 'templates')!r}\n" + PROFILE_SOURCE
    (tmp_path / "tmp_profile_26.py").write_text(source)
    sys.path.insert(0, str(tmp_path))
    added = None
    try:
        app = create_app(make_config(profile="tmp_profile_26", query_workers=1))
        added = load_profile("tmp_profile_26").formats[0]
        yield app
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("tmp_profile_26", None)
        if added is not None:
            formats.unregister(added)


def _scheme(app: Flask) -> str:
    """A concept scheme of the data (a value set), by the store's own answer."""
    store = open_store(make_config())
    rows = store.select(
        "SELECT ?s WHERE { ?s a <http://www.w3.org/2004/02/skos/core#ConceptScheme> "
        f'FILTER(STRSTARTS(STR(?s), "{NS}id/")) }} ORDER BY ?s LIMIT 1'
    )
    return rows[0]["s"].value[len(NS) :]


def test_a_kind_added_by_record_chooses_its_template_context_and_type(profiled: Flask) -> None:
    path = _scheme(profiled)
    page = profiled.test_client().get(f"/{path}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<p id="marker">SCHEME-KIND de</p>' in html  # its template, with its context
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    types = [json.loads(b).get("@type") for b in blocks]
    assert "DefinedTermSet" in types


def test_a_format_added_by_record_is_served_negotiated_and_announced(profiled: Flask) -> None:
    client = profiled.test_client()
    by_suffix = client.get("/id/charta.nq")
    assert by_suffix.status_code == 200
    assert by_suffix.mimetype == "application/n-quads"
    quads = list(ox.parse(by_suffix.data, format=ox.RdfFormat.N_QUADS))
    assert any(q.subject == ox.NamedNode(NS + "id/charta") for q in quads)
    negotiated = client.get("/id/charta", headers={"Accept": "application/n-quads"})
    assert negotiated.status_code == 200
    assert negotiated.mimetype == "application/n-quads"
    assert negotiated.data == by_suffix.data
    assert (
        '</id/charta.nq>; rel="alternate"; type="application/n-quads"'
        in (client.get("/id/charta").headers["Link"])
    )


def test_the_charta_profile_has_none_of_the_test_records(profiled: Flask) -> None:
    """The record is the profile's own: the default profile is left as it was."""
    charta = load_profile("server.profile")
    assert "scheme_test" not in {k.name for k in charta.kinds}
    assert charta.formats == ()


def test_an_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(ProfileError, match="no_such_profile"):
        load_profile("no_such_profile")
    with pytest.raises(ProfileError, match="no PROFILE record"):
        load_profile("json")
