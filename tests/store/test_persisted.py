"""The persisted embedded store: built once, opened read-only, never stale."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import cli
from server.config import Config
from server.pipeline.backends import open_store
from server.pipeline.build import persist
from server.sparql import QueryJob
from server.sparql.persisted import StoreDirError
from server.web.app import create_app
from tests.conftest import NS, ROOT, free_port


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("persisted") / "store"
    persist(Config(root=ROOT, namespace=NS).validated(), out)
    return out


def test_persisted_store_holds_the_same_triples_and_version(store_dir: Path) -> None:
    memory = open_store(Config(root=ROOT, namespace=NS, query_workers=1).validated())
    disk = open_store(
        Config(root=ROOT, namespace=NS, query_workers=1, store_dir=store_dir).validated()
    )
    assert len(disk) == len(memory) > 1900
    assert set(disk.triples()) == set(memory.triples())
    assert (disk.version, disk.modified) == (memory.version, memory.modified)


def test_site_and_sparql_answer_from_the_persisted_store(store_dir: Path) -> None:
    config = Config(root=ROOT, testing=True, store_dir=store_dir, query_workers=1).validated()
    client = create_app(config).test_client()
    page = client.get("/id/charta?lang=de", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Klimaangepasste Metropole Ruhr" in page.get_data(as_text=True)
    r = client.get(
        "/sparql",
        query_string={
            "query": "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
            f"SELECT (COUNT(*) AS ?n) WHERE {{ ?g skos:broader ?t . ?t skos:topConceptOf <{NS}id/charta> }}"
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    assert r.get_json()["results"]["bindings"][0]["n"]["value"] == "20"


def test_persisted_store_refuses_updates(store_dir: Path) -> None:
    disk = open_store(
        Config(root=ROOT, namespace=NS, query_workers=1, store_dir=store_dir).validated()
    )
    with pytest.raises(RuntimeError):
        disk._store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    answer = disk.sparql(QueryJob("ASK { <urn:a> ?p ?o }", "ASK", "json", 10), 5)
    assert b"false" in answer.body


def test_stale_store_is_refused(store_dir: Path, project_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "store"
    persist(Config(root=project_copy, namespace=NS).validated(), out)
    (project_copy / "data" / "charta.ttl").write_text(
        (project_copy / "data" / "charta.ttl").read_text(encoding="utf-8") + "\n# changed\n",
        encoding="utf-8",
    )
    with pytest.raises(StoreDirError, match="built from other data"):
        open_store(
            Config(root=project_copy, namespace=NS, query_workers=1, store_dir=out).validated()
        )
    result = CliRunner().invoke(
        cli,
        ["serve", "--port", str(free_port()), "--store-dir", str(out)],
        env={"CHARTA_ROOT": str(project_copy)},
    )
    assert result.exit_code == 2
    assert "refusing to start" in result.output and "charta build --store-dir" in result.output


def test_other_namespace_and_non_store_folders_are_refused(store_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreDirError, match="namespace"):
        open_store(
            Config(
                root=ROOT,
                namespace="https://example.org/other/",
                query_workers=1,
                store_dir=store_dir,
            ).validated()
        )
    with pytest.raises(StoreDirError, match="not a persisted store"):
        open_store(Config(root=ROOT, namespace=NS, query_workers=1, store_dir=tmp_path).validated())
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(StoreDirError, match="not overwriting"):
        persist(Config(root=ROOT, namespace=NS).validated(), tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_build_writes_and_replaces_the_store(tmp_path: Path) -> None:
    out, store = tmp_path / "dist", tmp_path / "store"
    for _ in range(2):  # the second build replaces the first in place
        result = CliRunner().invoke(cli, ["build", "--out", str(out), "--store-dir", str(store)])
        assert result.exit_code == 0, result.output
        assert "persisted store" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "store"]
    assert (
        len(
            open_store(
                Config(root=ROOT, namespace=NS, query_workers=1, store_dir=store).validated()
            )
        )
        > 1900
    )
