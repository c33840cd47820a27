"""Names for what has no label: never empty, or a link would have no text."""

from __future__ import annotations

import pytest

from server.labels import local_name


@pytest.mark.parametrize(
    ("iri", "name"),
    [
        ("https://w3id.org/charta-ruhr/id/charta", "charta"),
        ("http://www.w3.org/2004/02/skos/core#prefLabel", "prefLabel"),
        ("http://www.w3.org/2002/07/owl#", "owl"),
        ("http://purl.org/dc/terms/", "terms"),
        ("urn:isbn:123", "urn:isbn:123"),
    ],
)
def test_local_name_is_never_empty(iri: str, name: str) -> None:
    assert local_name(iri) == name
