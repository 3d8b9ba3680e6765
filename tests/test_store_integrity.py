"""The store finds table files that are missing, cut short or not the ones
committed; count refuses such a store; repair sets damaged sources aside,
rebuilds a lost catalog from the table files' stamps, and removes only what
is provably debris.  Each test damages a workspace the way issue 12 did."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.errors import SourceError, WorkspaceError
from totalplace.ingest import ingest_files
from totalplace.ingest import snapshot as snapshot_mod
from totalplace.store import stamp
from totalplace.store.locking import owner_file
from totalplace.workspace import CATALOG_NAME, Workspace

runner = CliRunner()
HEADER = "Body Name,Payment Date,Amount,Supplier Name\n"
A = HEADER + "Alpha Council,01/04/2010,100.00,Acme Ltd\nAlpha Council,02/04/2010,250.50,Beta Ltd\n"
B = HEADER + "Gamma Council,01/05/2010,700.00,Delta Ltd\n"


def _loaded(ws: Workspace, tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(A, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    assert ingest_files(ws, [a, b]).ok
    return a, b


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _totals(ws: Workspace) -> tuple[object, ...]:
    with ws.connect() as con:
        return tuple(con.sql("SELECT count(*), sum(amount_pence) FROM spend").fetchone() or ())


def _kinds(ws: Workspace, verify: bool = False) -> list[tuple[str, str, str]]:
    found = ws.check_tables(verify=verify)
    return [(p.kind, p.table, Path(p.source).name) for p in found.problems]


def test_every_committed_table_file_is_stamped_and_its_size_and_checksum_recorded(
    workspace: Workspace, tmp_path: Path
) -> None:
    a, _ = _loaded(workspace, tmp_path)
    fid = _sha(a)
    for table in ("rows", "quarantine", "issues"):
        held = stamp.read_stamp(workspace.table_path(table, fid))
        assert held is not None and held["table"] == table
        assert (held["file"]["file_id"], held["file"]["path"]) == (fid, str(a))
        assert (held["file"]["rows_loaded"], held["file"]["amount_loaded_pence"]) == (2, 35050)
    with workspace.catalog(read_only=True) as con:
        recorded = con.execute(
            "SELECT table_name, bytes, sha256 FROM table_files WHERE file_id = ? ORDER BY 1", [fid]
        ).fetchall()
    assert recorded == sorted(
        (t, *stamp.checksum(workspace.table_path(t, fid))) for t in ("rows", "quarantine", "issues")
    )
    assert workspace.check_tables(verify=True).ok


def test_stamping_rewrites_only_the_footer_and_the_rows_read_the_same(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT i, 'name ' || i AS s, i * 7 AS pence FROM range(200000) t(i)) "
        "TO $p (FORMAT parquet, ROW_GROUP_SIZE 50000)",
        {"p": str(path)},
    )
    query = "SELECT count(*), sum(hash(i, s, pence)) FROM read_parquet($p)"
    before = con.execute(query, {"p": str(path)}).fetchone()
    data = path.read_bytes()
    stamp.stamp(path, "rows", {"file_id": "ab" * 32, "path": "a 'quoted' \"name\".csv"})
    stamp.stamp(path, "rows", {"file_id": "cd" * 32, "path": "b.csv"})  # stamped again
    assert con.execute(query, {"p": str(path)}).fetchone() == before
    footer_len = int.from_bytes(data[-8:-4], "little")
    assert path.read_bytes()[: len(data) - 8 - footer_len] == data[: -8 - footer_len]
    held = stamp.read_stamp(path)
    assert held is not None and held["file"] == {"file_id": "cd" * 32, "path": "b.csv"}


def test_deleted_table_file_is_reported_and_count_refuses_the_store(
    workspace: Workspace, tmp_path: Path
) -> None:
    # issue 12: a deleted Parquet file gave "all is well" from check and a crash from count
    a, _ = _loaded(workspace, tmp_path)
    workspace.table_path("rows", _sha(a)).unlink()
    assert _kinds(workspace) == [("missing", "rows", "a.csv")]
    with pytest.raises(WorkspaceError, match=r"is damaged: .*rows of .*a\.csv\) is missing"):
        Workspace.open_intact(workspace.root)
    result = runner.invoke(app, ["count", str(workspace.root), "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert (
        "is missing" in error["message"]
        and f"totalplace repair {workspace.root}" in (error["message"])
    )
    checked = runner.invoke(app, ["check", str(workspace.root), "--json"])
    assert checked.exit_code == 1
    store = json.loads(checked.stdout)["store"]
    assert [(p["kind"], p["path"]) for p in store["problems"]] == [
        ("missing", f"tables/rows/{_sha(a)}.parquet")
    ]


def test_truncated_table_file_is_found_by_its_size(workspace: Workspace, tmp_path: Path) -> None:
    a, _ = _loaded(workspace, tmp_path)
    path = workspace.table_path("issues", _sha(a))
    path.write_bytes(path.read_bytes()[:-100])
    assert _kinds(workspace) == [("truncated", "issues", "a.csv")]


def test_table_file_swapped_for_another_sources_is_named_as_substituted(
    workspace: Workspace, tmp_path: Path
) -> None:
    # issue 12: a swapped file was counted silently as the other file's rows
    a, b = _loaded(workspace, tmp_path)
    shutil.copyfile(workspace.table_path("rows", _sha(b)), workspace.table_path("rows", _sha(a)))
    found = workspace.check_tables().problems
    assert [(p.kind, Path(p.source).name) for p in found] == [("substituted", "a.csv")]
    assert "b.csv" in found[0].message
    with pytest.raises(WorkspaceError, match="another file was put in its place"):
        Workspace.open_intact(workspace.root)


def test_a_byte_changed_in_place_is_found_by_verify_not_by_size(
    workspace: Workspace, tmp_path: Path
) -> None:
    a, _ = _loaded(workspace, tmp_path)
    path = workspace.table_path("rows", _sha(a))
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))
    assert _kinds(workspace) == []  # same size, stamp readable: only the checksum tells
    assert _kinds(workspace, verify=True) == [("changed", "rows", "a.csv")]
    verified = runner.invoke(app, ["check", str(workspace.root), "--verify", "--json"])
    assert verified.exit_code == 1 and json.loads(verified.stdout)["store"]["verified"]


def test_repair_sets_a_damaged_source_aside_and_it_can_be_ingested_again(
    workspace: Workspace, tmp_path: Path
) -> None:
    a, _ = _loaded(workspace, tmp_path)
    before = _totals(workspace)
    damaged = workspace.table_path("rows", _sha(a))
    damaged.write_bytes(damaged.read_bytes()[:50])
    dry = runner.invoke(app, ["repair", str(workspace.root), "--json"])
    assert dry.exit_code == 0, dry.stdout
    planned = json.loads(dry.stdout)
    assert not planned["applied"] and {s["action"] for s in planned["steps"]} == {"set-aside"}
    assert damaged.exists() and len(workspace.committed_ids()) == 2  # a dry run changes nothing
    done = json.loads(
        runner.invoke(app, ["repair", str(workspace.root), "--json", "--apply"]).stdout
    )
    assert done["applied"] and done["changes"] == 3
    kept = workspace.root / done["set_aside_dir"] / "tables" / "rows" / damaged.name
    assert kept.exists() and not damaged.exists()  # moved aside, never deleted
    assert workspace.committed_ids() == {_sha(tmp_path / "b.csv")}
    assert workspace.check_tables().ok
    assert ingest_files(workspace, [a]).files[0].status == "loaded"
    assert _totals(workspace) == before


def test_check_with_the_catalog_deleted_deletes_no_table_file_and_repair_rebuilds_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    # issue 12: check reported "nothing ingested yet" and deleted every Parquet file
    _loaded(workspace, tmp_path)
    before = _totals(workspace)
    history = [(e["action"], e["file_id"]) for e in workspace.history()]
    tables = sorted((workspace.root / "tables").rglob("*.parquet"))
    (workspace.root / CATALOG_NAME).unlink()
    checked = runner.invoke(app, ["check", str(workspace.root), "--json"])
    assert checked.exit_code == 2
    assert "repair" in json.loads(checked.stdout)["error"]["message"]
    assert sorted((workspace.root / "tables").rglob("*.parquet")) == tables
    result = runner.invoke(app, ["repair", str(workspace.root), "--apply", "--json"])
    assert result.exit_code == 0, result.stdout
    steps = json.loads(result.stdout)["steps"]
    assert [s["action"] for s in steps] == ["rebuild-catalog"] + ["restore"] * 6
    ws = Workspace.open(workspace.root)
    assert _totals(ws) == before
    assert sorted((e["action"], e["file_id"]) for e in ws.history()) == sorted(history)
    assert ws.check_tables(verify=True).ok
    assert [s.path for s in ws.config.sources] == [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]


def test_an_unreadable_catalog_is_set_aside_and_rebuilt(
    workspace: Workspace, tmp_path: Path
) -> None:
    _loaded(workspace, tmp_path)
    before = _totals(workspace)
    (workspace.root / CATALOG_NAME).write_bytes(b"not a catalog" * 100)
    with pytest.raises(WorkspaceError, match="cannot be read"):
        Workspace.open(workspace.root)
    report = Workspace.for_repair(workspace.root).repair(apply=True)
    assert report.catalog == "unreadable" and report.set_aside_dir is not None
    assert (workspace.root / report.set_aside_dir / CATALOG_NAME).read_bytes().startswith(b"not a")
    assert _totals(Workspace.open(workspace.root)) == before


def test_table_files_an_older_catalog_does_not_list_are_kept_and_restored(
    workspace: Workspace, tmp_path: Path
) -> None:
    a, _ = _loaded(workspace, tmp_path)
    before = _totals(workspace)
    with workspace.catalog() as con:  # as if an older copy of the catalog were put back
        for table in ("files", "history", "table_files"):
            con.execute(f"DELETE FROM {table} WHERE file_id = ?", [_sha(a)])
    Workspace.open(workspace.root)  # a writer's clean-up must not take them for debris
    assert workspace.table_path("rows", _sha(a)).exists()
    report = workspace.repair(apply=True)
    assert {(s.action, s.file_id) for s in report.changes} == {("restore", _sha(a))}
    assert _totals(workspace) == before


def test_files_a_removal_left_behind_are_debris_not_restored(
    workspace: Workspace, tmp_path: Path
) -> None:
    a, _ = _loaded(workspace, tmp_path)
    fid = _sha(a)
    saved = {t: workspace.table_path(t, fid).read_bytes() for t in ("rows", "quarantine", "issues")}
    workspace.remove_source("a.csv")
    for t, data in saved.items():  # as if the removal stopped before deleting them
        workspace.table_path(t, fid).write_bytes(data)
    steps = workspace.repair().changes
    assert {(s.action, s.file_id) for s in steps} == {("remove", fid)}
    Workspace.open(workspace.root)  # the next writer removes them: the history proves it
    assert not workspace.table_path("rows", fid).exists()
    assert workspace.committed_ids() == {_sha(tmp_path / "b.csv")}


HOLD_STAGING = """
import os, sys, time
from pathlib import Path
from totalplace.store.locking import staging_dir
folder = staging_dir(Path(sys.argv[1]))
(folder / "half.rows.parquet.tmp").write_bytes(b"staged")
print(folder, flush=True)
if sys.argv[2] == "wait":
    time.sleep(60)
os._exit(9)  # ended without cleaning up, as a killed command does
"""


def test_repair_keeps_a_running_commands_staging_and_removes_an_ended_ones(
    workspace: Workspace,
) -> None:
    def start(mode: str) -> tuple[subprocess.Popen[str], Path]:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLD_STAGING, str(workspace.root), mode],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        return proc, Path(proc.stdout.readline().strip())

    live, live_dir = start("wait")
    ended, ended_dir = start("exit")
    ended.wait()
    try:
        # the kernel dropped the killed process's lock, but its folder is still there
        assert ended_dir.is_dir()
        planned = {s.path: s.action for s in workspace.repair().steps}
        assert planned == {
            str(live_dir.relative_to(workspace.root)): "keep",
            str(ended_dir.relative_to(workspace.root)): "remove",
        }
        workspace.repair(apply=True)
        assert live_dir.is_dir() and (live_dir / "half.rows.parquet.tmp").exists()
        assert not ended_dir.exists() and not owner_file(ended_dir).exists()
    finally:
        live.kill()
        live.wait()
        for proc in (live, ended):
            assert proc.stdout is not None
            proc.stdout.close()


def test_file_appended_while_read_fails_as_changed_and_loads_nothing(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 12: rows_read counted the appended rows while file_id hashed something else
    src = tmp_path / "growing.csv"
    src.write_text(A, encoding="utf-8")
    real_copy = snapshot_mod._copy_chunks

    def copy_while_appended(fin, fout):  # type: ignore[no-untyped-def]
        with src.open("a", encoding="utf-8") as more:
            more.write("Alpha Council,03/04/2010,999.00,Late Ltd\n")
        return real_copy(fin, fout)

    monkeypatch.setattr(snapshot_mod, "_copy_chunks", copy_while_appended)
    report = ingest_files(workspace, [src])
    assert [f.status for f in report.files] == ["failed"]
    assert "file changed while reading" in report.files[0].message
    assert workspace.committed_ids() == set()
    monkeypatch.undo()
    done = ingest_files(workspace, [src]).files[0]  # the finished file loads, once, whole
    assert (done.status, done.rows_read, done.sha256) == ("loaded", 3, _sha(src))


def test_the_hash_is_of_the_bytes_parsed_not_of_the_file_as_it_is_later(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "spend.csv"
    src.write_text(A, encoding="utf-8")
    first = _sha(src)
    real_snapshot = snapshot_mod.snapshot

    def snapshot_then_append(path: Path, folder: Path) -> Path:
        copy = real_snapshot(path, folder)
        with path.open("a", encoding="utf-8") as more:  # after the copy: never read
            more.write("Alpha Council,03/04/2010,999.00,Late Ltd\n")
        return copy

    monkeypatch.setattr(snapshot_mod, "snapshot", snapshot_then_append)
    done = ingest_files(workspace, [src]).files[0]
    assert (done.status, done.rows_read, done.sha256) == ("loaded", 2, first)
    assert done.path == str(src)  # reported by its own path, not the copy's


def test_snapshot_of_a_file_changing_raises_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "x.csv"
    src.write_text(A, encoding="utf-8")
    monkeypatch.setattr(snapshot_mod, "_copy_chunks", lambda fin, fout: fout.write(b"x"))
    with pytest.raises(SourceError, match="file changed while reading"):
        snapshot_mod.snapshot(src, tmp_path / "staging")
    assert list((tmp_path / "staging").iterdir()) == []


def test_a_source_stored_before_stamps_is_stamped_and_recorded_by_repair(
    workspace: Workspace, tmp_path: Path
) -> None:
    a, _ = _loaded(workspace, tmp_path)
    before = _totals(workspace)
    fid = _sha(a)
    con = duckdb.connect()
    for table in ("rows", "quarantine", "issues"):  # as an older version wrote them
        path = workspace.table_path(table, fid)
        old = path.with_name("old.parquet")
        con.execute(
            "COPY (FROM read_parquet($s)) TO $d (FORMAT parquet)", {"s": str(path), "d": str(old)}
        )
        old.replace(path)
        assert stamp.read_stamp(path) is None
    with workspace.catalog() as cat:
        cat.execute("DELETE FROM table_files WHERE file_id = ?", [fid])
    found = workspace.check_tables()
    assert found.ok and found.unrecorded == 3  # nothing to compare with: not damage
    report = workspace.repair(apply=True)
    assert {(s.action, s.file_id) for s in report.changes} == {("record", fid)}
    assert workspace.check_tables(verify=True).unrecorded == 0
    held = stamp.read_stamp(workspace.table_path("rows", fid))
    assert held is not None and held["file"]["path"] == str(a)
    assert _totals(workspace) == before
    assert list(workspace.table_path("rows", fid).parent.glob("*.new")) == []


def test_an_unlisted_unstamped_parquet_file_is_set_aside_never_deleted(
    workspace: Workspace,
) -> None:
    # as an older version left it, or a catalog that listed it was lost: whole
    # Parquet, so it may hold a source's rows; it carries no stamp to restore it by
    stray = workspace.table_path("rows", "ef" * 32)
    duckdb.connect().execute(
        "COPY (SELECT 1 AS amount_pence) TO $p (FORMAT parquet)", {"p": str(stray)}
    )
    Workspace.open(workspace.root)
    assert stray.exists()  # a writer's clean-up leaves it alone
    report = workspace.repair(apply=True)
    assert [(s.action, s.path) for s in report.changes] == [
        ("set-aside", f"tables/rows/{stray.name}")
    ]
    assert report.set_aside_dir is not None
    assert (workspace.root / report.set_aside_dir / "tables" / "rows" / stray.name).exists()
    assert not stray.exists()
