"""Workspaces: creation, reopening, and refusing to mix studies."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from totalplace.config import parse_place
from totalplace.errors import ConfigError, WorkspaceError
from totalplace.workspace import Workspace


def test_init_writes_config_catalog_and_tables(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "w", ["E08000003", "E08000001"], "2010-11", name="GM")
    cfg = tomllib.loads((tmp_path / "w" / "totalplace.toml").read_text())
    assert cfg["place"] == ["E08000003", "E08000001"]
    assert cfg["year"] == "2010-11"
    assert cfg["sources"] == []
    assert (ws.root / "catalog.duckdb").is_file()
    assert (ws.root / "tables" / "rows").is_dir()


def test_same_study_reopens_and_different_study_is_refused(tmp_path: Path) -> None:
    Workspace.create(tmp_path / "w", ["E08000025"], "2010-11")
    again = Workspace.create(tmp_path / "w", ["E08000025"], "2010-11")
    assert again.config.place == ["E08000025"]
    with pytest.raises(WorkspaceError, match=r"already holds a workspace for place E08000025"):
        Workspace.create(tmp_path / "w", ["E08000026"], "2010-11")
    with pytest.raises(WorkspaceError, match="year 2010-11"):
        Workspace.create(tmp_path / "w", ["E08000025"], "2011-12")


def test_non_empty_folder_without_workspace_is_refused(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "notes.txt").write_text("mine")
    with pytest.raises(WorkspaceError, match="not empty"):
        Workspace.create(tmp_path / "w", ["E08000025"], "2010-11")


def test_open_missing_workspace_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="totalplace init"):
        Workspace.open(tmp_path)


@pytest.mark.parametrize("bad", ["E0800002", "X08000025", "E08000025,08000001", ""])
def test_malformed_gss_codes_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_place(bad)


@pytest.mark.parametrize("bad", ["2010", "2010-12", "2010/11", "10-11"])
def test_malformed_years_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="2010-11"):
        Workspace.create(tmp_path / "w", ["E08000025"], bad)


def test_orphaned_parquet_from_an_interrupted_ingest_is_removed_on_open(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "w", ["E08000025"], "2010-11")
    orphan = ws.table_path("rows", "deadbeef")
    orphan.write_bytes(b"half-written")
    Workspace.open(ws.root)
    assert not orphan.exists()


def test_views_have_every_canonical_column_even_when_no_file_fills_it(tmp_path: Path) -> None:
    from totalplace.ingest import ingest_files

    ws = Workspace.create(tmp_path / "w", ["E08000025"], "2010-11")
    src = tmp_path / "minimal.csv"
    src.write_text("Payment Date,Supplier Name,Amount\n2010-04-01,Acme Ltd,12.50\n")
    ingest_files(ws, [src], publisher="Test Council")
    with ws.connect() as con:
        row = con.sql(
            "SELECT supplier_name, company_number, purpose, vat_pence, amount_pence FROM spend"
        ).fetchall()
        columns = [c[0] for c in con.sql("DESCRIBE rows").fetchall()]
    assert row == [("Acme Ltd", None, None, None, 1250)]
    assert columns.count("paying_body_id") == 1
