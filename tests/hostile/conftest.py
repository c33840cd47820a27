"""The hostile suites' shared fixture: ``charta serve`` in both store modes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hostile._serve import Served, charta_serve


@pytest.fixture(
    scope="module", params=["embedded", pytest.param("oxigraph", marks=pytest.mark.remote)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """One server per test module and mode (embedded, or in front of Oxigraph server)."""
    store = request.getfixturevalue("oxigraph_server") if request.param == "oxigraph" else None
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    with charta_serve(tmp_path_factory.mktemp(f"{name}-{request.param}"), store) as served:
        yield served
