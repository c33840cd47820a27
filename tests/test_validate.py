"""``charta validate``: the shipped data conforms, and each kind of defect is caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import cli
from tests.conftest import FIXTURES, ROOT

DEFECTS = FIXTURES / "defects"


def run_validate(directory: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(directory)])
    return result.exit_code, result.output


def test_shipped_data_conforms() -> None:
    code, out = run_validate(ROOT)
    assert code == 0, out
    assert out.startswith("conforms: ")
    assert "0 violations" in out


@pytest.mark.parametrize(
    ("fixture", "focus", "expected"),
    [
        (
            "missing_label.ttl",
            "id/oberziel/ohne-bezeichnung",
            "Deutsche Bezeichnung (skos:prefLabel@de) fehlt.",
        ),
        (
            "wrong_datatype.ttl",
            "id/sitzung/kreistag-unna/2023-07-01",
            "genau ein Datum vom Typ xsd:date",
        ),
        (
            "goal_two_themes.ttl",
            "id/oberziel/schwamm-region",
            "genau einem Leitthema (skos:broader)",
        ),
        ("dangling_link.ttl", "id/gibt-es-nicht", "Verweis ins Leere"),
        ("missing_source.ttl", "id/organisation/ohne-quelle", "Quelle (dcterms:source) fehlt"),
    ],
)
def test_defect_is_reported(project_copy: Path, fixture: str, focus: str, expected: str) -> None:
    shutil.copy(DEFECTS / fixture, project_copy / "data" / fixture)
    code, out = run_validate(project_copy)
    assert code == 1, out
    assert out.splitlines()[-1].startswith("does not conform: ")
    block = next(b for b in out.split("\n\n") if f"/{focus}>" in b)
    assert expected in block
    assert "  en: " in block  # the English message is printed too
    assert block.startswith("data/")  # names the file the focus node is described in


def test_report_names_label_and_path(project_copy: Path) -> None:
    shutil.copy(DEFECTS / "goal_two_themes.ttl", project_copy / "data" / "x.ttl")
    _, out = run_validate(project_copy)
    block = next(b for b in out.split("\n\n") if "/id/oberziel/schwamm-region>" in b)
    assert block.startswith("data/charta.ttl: Violation: ")
    assert '"Metropole Ruhr zur Schwamm-Region entwickeln"' in block
    assert "path: skos:broader" in block


def test_syntax_error_gives_file_and_line(project_copy: Path) -> None:
    target = project_copy / "data" / "syntax_error.ttl"
    shutil.copy(DEFECTS / "syntax_error.ttl", target)
    code, out = run_validate(project_copy)
    assert code == 2
    assert out.startswith(f"{target}:3: Turtle syntax error")


def test_not_utf8_is_unreadable(project_copy: Path) -> None:
    target = project_copy / "data" / "latin1.ttl"
    target.write_bytes(b'<id/charta> <http://www.w3.org/2000/01/rdf-schema#comment> "Gr\xfcn" .\n')
    code, out = run_validate(project_copy)
    assert code == 2
    assert out.startswith(f"{target}:1: not UTF-8")


def test_missing_folder_is_unreadable(tmp_path: Path) -> None:
    code, out = run_validate(tmp_path)
    assert code == 2
    assert "folder missing" in out
