"""An interrupted ingest leaves the store exactly as it was before that file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from totalplace.ingest import ingest_files
from totalplace.workspace import Workspace

SMALL = "Body Name,Payment Date,Amount,Supplier Name\nTest Council,2010-04-01,100.00,Acme Ltd\n"


def _big_csv(path: Path, rows: int) -> None:
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'Big Council' AS \"Body Name\", "
        "strftime(DATE '2010-04-01' + CAST(i % 365 AS INTEGER), '%d/%m/%Y') AS \"Payment Date\", "
        "printf('%.2f', (i % 99991) / 7.0) AS \"Amount\", 'Supplier ' || (i % 997) AS "
        "\"Supplier Name\" FROM range($n) t(i)) TO $p (HEADER, DELIMITER ',')",
        {"n": rows, "p": str(path)},
    )
    con.close()


def _reading(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (Linux /proc)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(fd.readlink() == path for fd in fds.iterdir())
    except OSError:  # the process ended, or an fd closed while listing
        return False


def _reading_copy(pid: int, staging: Path, name: str) -> bool:
    """Whether process ``pid`` has its own copy of a source called ``name`` open:
    ingest reads a private copy in its staging folder, never the file itself."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(
            (p := fd.readlink()).name == name and p.is_relative_to(staging) for fd in fds.iterdir()
        )
    except OSError:
        return False


def _state(ws: Workspace) -> tuple[object, ...]:
    with ws.connect() as con:
        files = con.sql("SELECT file_id, rows_loaded FROM files ORDER BY 1").fetchall()
        spend = con.sql("SELECT count(*), sum(amount_pence) FROM spend").fetchall()
    tables = sorted(p.name for p in (ws.root / "tables").rglob("*") if p.is_file())
    return files, spend, tables


def test_failure_during_commit_rolls_back(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(SMALL)
    ingest_files(workspace, [first])
    before = _state(workspace)

    second = tmp_path / "second.csv"
    second.write_text(SMALL.replace("100.00", "250.00"))
    calls = {"n": 0}
    real_replace = Path.replace

    def flaky_replace(self: Path, target: str | os.PathLike[str]) -> Path:
        calls["n"] += 1
        if calls["n"] == 2:  # after the spend table is in place, before the catalog
            raise OSError("disk full")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", flaky_replace)
    with pytest.raises(OSError, match="disk full"):
        ingest_files(workspace, [second])
    monkeypatch.undo()
    assert _state(Workspace.open(workspace.root)) == before


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_ingest_leaves_store_as_before(
    tmp_path: Path, workspace: Workspace, sig: signal.Signals
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(SMALL)
    ingest_files(workspace, [first])
    before = _state(workspace)
    big = tmp_path / "big.csv"
    rows = 1_000_000
    _big_csv(big, rows)

    cli = [sys.executable, "-m", "totalplace", "ingest", str(workspace.root), str(big), "--json"]
    staging = workspace.root / "staging"
    # Kill the moment the file is open (being copied), the moment the copy is
    # first open (hashing and scanning), once DuckDB writes the rows' Parquet
    # (while it reads the copy), and the moment the last staged Parquet appears
    # (between writing and committing); each time the store must be exactly
    # the old one.
    for trigger in ("copying", "scanning", "loading", "staged"):
        proc = subprocess.Popen(cli, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30

        def reached(trigger: str = trigger, pid: int = proc.pid) -> bool:
            if trigger == "copying":
                return _reading(pid, big)
            if trigger == "scanning":
                return _reading_copy(pid, staging, big.name)
            table = "rows" if trigger == "loading" else "issues"
            return bool(list(staging.glob(f"*/*.{table}.parquet.tmp")))

        while not reached() and time.monotonic() < deadline:
            time.sleep(0.001)
        if trigger == "loading":
            time.sleep(0.05)  # inside DuckDB's read of the copy, not at its start
        assert proc.poll() is None, proc.communicate()[1]  # still ingesting when signalled
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode != 0
        if sig == signal.SIGINT:  # Ctrl-C stops cleanly, wherever it lands
            assert b"Traceback" not in err, err.decode()[-500:]
        assert _state(Workspace.open(workspace.root)) == before, trigger
        # the killed command's staging folder is gone once another opens the store
        assert list(staging.iterdir()) == [], trigger
    done = ingest_files(Workspace.open(workspace.root), [big])
    assert done.files[0].status == "loaded" and done.files[0].rows_loaded == rows
