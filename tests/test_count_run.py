"""count_workspace, called from Python, refuses a damaged store at its start,
as ``totalplace count`` does: before classification reads the rows."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from totalplace.errors import WorkspaceError
from totalplace.ingest import ingest_files
from totalplace.report.run import REPORTS, count_workspace
from totalplace.workspace import Workspace


def test_count_workspace_refuses_a_store_with_a_table_file_missing(
    workspace: Workspace, tmp_path: Path
) -> None:
    # without the check it failed deep in classification with DuckDB's "No files found"
    spend = tmp_path / "a.csv"
    spend.write_text(
        "Body Name,Payment Date,Amount,Supplier Name\n"
        "Manchester City Council,01/04/2010,100.00,Acme Ltd\n",
        encoding="utf-8",
    )
    assert ingest_files(workspace, [spend]).ok
    workspace.table_path("rows", hashlib.sha256(spend.read_bytes()).hexdigest()).unlink()
    with pytest.raises(WorkspaceError, match=r"is damaged: .*a\.csv\) is missing.*Nothing was"):
        count_workspace(workspace)
    assert not (workspace.root / REPORTS).exists()  # nothing counted, no report written
