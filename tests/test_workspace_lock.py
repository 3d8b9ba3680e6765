"""One writer at a time, and nothing deleted that is not provably an orphan.

Another process holding the workspace's writer lock is simulated by a child
Python process that takes the same ``flock`` and waits; this process then
opens, reads and tries to write the workspace as a second command would.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from totalplace import workspace as workspace_mod
from totalplace.errors import WorkspaceError
from totalplace.ingest import ingest_files
from totalplace.ingest.pipeline import workspace_report
from totalplace.workspace import CATALOG_NAME, LOCK_NAME, Workspace

HOLD = """
import fcntl, sys, time
fh = open(sys.argv[1], "a+")
fcntl.flock(fh, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""
SPEND = "Payment Date,Supplier Name,Amount\n01/11/2010,Acme Ltd,600.00\n"


@pytest.fixture
def other_writer(workspace: Workspace) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the writer lock of ``workspace``."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(workspace.root / LOCK_NAME)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    yield child
    child.kill()
    child.wait()
    child.stdout.close()


def _staged(ws: Workspace) -> list[Path]:
    """Files a running ingest would have staged: a Parquet not yet committed and
    a transcoded source in tmp/."""
    files = [
        ws.root / "tables" / "rows" / ("ab" * 32 + ".parquet.tmp"),
        ws.root / "tables" / "rows" / ("cd" * 32 + ".parquet"),
        ws.tmp_dir / ("ef" * 32 + ".utf8.csv"),
    ]
    for f in files:
        f.write_bytes(b"staged by another command")
    return files


def test_opening_while_another_command_writes_deletes_none_of_its_files(
    workspace: Workspace, other_writer: subprocess.Popen[str]
) -> None:
    # any second command (even `check`) used to delete a running ingest's files
    staged = _staged(workspace)
    Workspace.open(workspace.root)
    workspace_report(Workspace.open(workspace.root))
    assert all(f.exists() for f in staged)


def test_files_no_load_owns_are_removed_once_no_one_writes(workspace: Workspace) -> None:
    staged = _staged(workspace)
    Workspace.open(workspace.root)
    assert not any(f.exists() for f in staged)


def test_a_second_writer_is_told_the_workspace_is_busy(
    workspace: Workspace,
    other_writer: subprocess.Popen[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workspace_mod, "WRITE_WAIT_SECONDS", 0.3)
    src = tmp_path / "spend.csv"
    src.write_text(SPEND, encoding="utf-8")
    staged = _staged(workspace)
    with pytest.raises(WorkspaceError, match="is busy: another totalplace command is writing"):
        ingest_files(workspace, [src], publisher="Test Council")
    assert all(f.exists() for f in staged)
    assert workspace.committed_ids() == set()


def test_a_writer_waits_for_the_first_and_then_loads(
    workspace: Workspace, other_writer: subprocess.Popen[str], tmp_path: Path
) -> None:
    src = tmp_path / "spend.csv"
    src.write_text(SPEND, encoding="utf-8")
    end_first = "import os, sys, time; time.sleep(0.5); os.kill(int(sys.argv[1]), 9)"
    killer = subprocess.Popen([sys.executable, "-c", end_first, str(other_writer.pid)])
    report = ingest_files(workspace, [src], publisher="Test Council")
    killer.wait()
    assert [f.status for f in report.files] == ["loaded"]


def test_missing_catalog_is_an_error_and_no_table_file_is_deleted(
    workspace: Workspace, tmp_path: Path
) -> None:
    src = tmp_path / "spend.csv"
    src.write_text(SPEND, encoding="utf-8")
    assert ingest_files(workspace, [src], publisher="Test Council").ok
    tables = sorted((workspace.root / "tables").rglob("*.parquet"))
    assert len(tables) == 3
    (workspace.root / CATALOG_NAME).unlink()
    with pytest.raises(WorkspaceError, match="catalog that records what they are is missing"):
        Workspace.open(workspace.root)
    assert sorted((workspace.root / "tables").rglob("*.parquet")) == tables
    assert not (workspace.root / CATALOG_NAME).exists()


def test_count_waits_for_a_writer_and_says_the_workspace_is_busy(
    workspace: Workspace,
    other_writer: subprocess.Popen[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # count classifies, resolves and writes its reports: it is a writer too
    from totalplace.report.run import count_workspace

    monkeypatch.setattr(workspace_mod, "WRITE_WAIT_SECONDS", 0.3)
    with pytest.raises(WorkspaceError, match="is busy"):
        count_workspace(workspace)
    assert not (workspace.root / "reports").exists()
