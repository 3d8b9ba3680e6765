"""Correcting a load: ``remove`` takes a source out and ``ingest --replace``
reloads one, each all or nothing, with every change kept in the history."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from totalplace import workspace as workspace_mod
from totalplace.cli import app
from totalplace.errors import WorkspaceError
from totalplace.ingest import ingest_files
from totalplace.ingest.pipeline import remove_source
from totalplace.workspace import CATALOG_NAME, Workspace

runner = CliRunner()
# No body column: the paying body is the --publisher given at ingest.
NO_BODY = (
    "Payment Date,Amount,Supplier Name\n2010-04-01,100.00,Acme Ltd\n2010-04-02,250.50,Beta Ltd\n"
)


def _write(path: Path, text: str = NO_BODY) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _state(ws: Workspace) -> tuple[object, ...]:
    """Everything a reader sees: the catalog's files, the spend by body, the
    Parquet on disk and the config's sources."""
    with ws.connect() as con:
        files = con.sql(
            "SELECT file_id, path, publisher, rows_loaded, amount_loaded_pence FROM files "
            "ORDER BY 1"
        ).fetchall()
        views = con.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        spend = (
            con.sql(
                "SELECT paying_body, count(*), sum(amount_pence) FROM spend GROUP BY 1 ORDER BY 1"
            ).fetchall()
            if ("spend",) in views
            else []
        )
    tables = sorted(str(p.relative_to(ws.root)) for p in (ws.root / "tables").rglob("*.parquet*"))
    sources = [(s.path, s.sha256, s.publisher) for s in Workspace.open(ws.root).config.sources]
    return files, spend, tables, sorted(sources)


def _actions(ws: Workspace) -> list[tuple[str, str]]:
    return [(str(e["action"]), str(e["publisher"])) for e in ws.history()]


# -- remove ------------------------------------------------------------------


def test_removed_source_leaves_spend_files_sources_and_report(
    tmp_path: Path, workspace: Workspace
) -> None:
    a = _write(tmp_path / "a.csv")
    b = _write(tmp_path / "b.csv", NO_BODY.replace("Acme", "Gamma"))
    ingest_files(workspace, [a], "Alpha Council")
    ingest_files(workspace, [b], "Beta Council")
    removed = remove_source(workspace, str(a))
    assert (removed.path, removed.publisher) == (str(a), "Alpha Council")
    assert (removed.rows_loaded, removed.amount_loaded_pence) == (2, 35050)
    files, spend, tables, sources = _state(workspace)
    assert [f[2] for f in files] == ["Beta Council"]
    assert spend == [("Beta Council", 2, 35050)]
    assert not any(removed.file_id in t for t in tables)
    assert [s[0] for s in sources] == [str(b)]
    report = json.loads(workspace.report_path.read_text())
    assert [f["path"] for f in report["files"]] == [str(b)]
    assert _actions(workspace) == [
        ("loaded", "Alpha Council"),
        ("loaded", "Beta Council"),
        ("removed", "Alpha Council"),
    ]


def test_source_named_by_file_name_or_hash_prefix(tmp_path: Path, workspace: Workspace) -> None:
    a = _write(tmp_path / "in" / "a.csv")
    b = _write(tmp_path / "in" / "b.csv", NO_BODY.replace("Acme", "Gamma"))
    ingest_files(workspace, [a, b], "Alpha Council")
    workspace.remove_source("a.csv")
    sha_b = hashlib.sha256(b.read_bytes()).hexdigest()
    assert workspace.remove_source(sha_b[:8].upper()).path == str(b)
    assert workspace.committed_ids() == set()


def test_path_written_another_way_names_the_source(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _write(tmp_path / "in" / "a.csv")
    ingest_files(workspace, [a], "Alpha Council")
    monkeypatch.chdir(tmp_path)
    assert workspace.remove_source("./in/../in/a.csv").path == str(a)


def test_file_name_shared_by_two_sources_is_ambiguous(tmp_path: Path, workspace: Workspace) -> None:
    one = _write(tmp_path / "2010" / "spend.csv")
    two = _write(tmp_path / "2011" / "spend.csv", NO_BODY.replace("Acme", "Gamma"))
    ingest_files(workspace, [one, two], "Alpha Council")
    with pytest.raises(WorkspaceError, match="matches 2 loaded sources") as exc:
        workspace.remove_source("spend.csv")
    assert str(one) in str(exc.value) and str(two) in str(exc.value)
    assert len(workspace.committed_ids()) == 2


def _colliding_contents() -> tuple[str, str]:
    """Two small files whose SHA-256 share their first six hex digits (found
    by search: with 16.7 million prefixes, a few thousand files suffice)."""
    seen: dict[str, str] = {}
    for i in range(1_000_000):
        text = NO_BODY.replace("Acme Ltd", f"Acme {i} Ltd")
        prefix = hashlib.sha256(text.encode()).hexdigest()[:6]
        if prefix in seen:
            return seen[prefix], text
        seen[prefix] = text
    raise AssertionError("no six-digit collision found")


def test_ambiguous_hash_prefix_lists_every_match(tmp_path: Path, workspace: Workspace) -> None:
    first, second = _colliding_contents()
    a = _write(tmp_path / "a.csv", first)
    b = _write(tmp_path / "b.csv", second)
    ingest_files(workspace, [a, b], "Alpha Council")
    prefix = hashlib.sha256(first.encode()).hexdigest()[:6]
    with pytest.raises(WorkspaceError, match="matches 2 loaded sources") as exc:
        workspace.remove_source(prefix)
    assert "a.csv" in str(exc.value) and "b.csv" in str(exc.value)
    assert len(workspace.committed_ids()) == 2


@pytest.mark.parametrize("source", ["abc12", "nothing.csv", "deadbeef"])
def test_unknown_or_short_source_says_how_to_list_sources(
    tmp_path: Path, workspace: Workspace, source: str
) -> None:
    ingest_files(workspace, [_write(tmp_path / "a.csv")], "Alpha Council")
    with pytest.raises(WorkspaceError, match="totalplace check"):
        workspace.remove_source(source)
    assert len(workspace.committed_ids()) == 1


def test_failure_before_the_removal_commits_changes_nothing(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_files(workspace, [_write(tmp_path / "a.csv")], "Alpha Council")
    before = _state(workspace)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(workspace_mod, "_insert_history", broken)
    with pytest.raises(OSError, match="disk full"):
        workspace.remove_source("a.csv")
    monkeypatch.undo()
    assert _state(Workspace.open(workspace.root)) == before


# -- replace -----------------------------------------------------------------


def test_duplicate_without_replace_says_how_to_reload(tmp_path: Path, workspace: Workspace) -> None:
    a = _write(tmp_path / "a.csv")
    ingest_files(workspace, [a], "Old Council")
    again = ingest_files(workspace, [a], "New Council").files[0]
    assert again.status == "duplicate"
    assert "pass --replace to reload it with a new profile or publisher" in again.message.lower()
    assert _state(workspace)[1] == [("Old Council", 2, 35050)]


def test_replace_with_new_publisher_changes_catalog_rows_and_history(
    tmp_path: Path, workspace: Workspace
) -> None:
    a = _write(tmp_path / "a.csv")
    ingest_files(workspace, [a], "Old Council")
    (workspace.root / "classified.parquet").write_bytes(b"old rows' themes")
    rep = ingest_files(workspace, [a], "New Council", replace=True).files[0]
    assert (rep.status, rep.publisher) == ("replaced", "New Council")
    files, spend, tables, sources = _state(workspace)
    assert [f[2] for f in files] == ["New Council"]
    assert spend == [("New Council", 2, 35050)]
    assert not any(t.endswith(".new") for t in tables) and len(tables) == 3
    assert [s[2] for s in sources] == ["New Council"]
    # the old rows' classification went with them; classify and count rebuild it
    assert not (workspace.root / "classified.parquet").exists()
    history = workspace.history()
    assert [(e["action"], e["publisher"]) for e in history] == [
        ("loaded", "Old Council"),
        ("replaced", "New Council"),
    ]
    assert history[1]["previous_publisher"] == "Old Council"
    assert history[1]["previous_column_map"] == history[0]["column_map"]
    with workspace.catalog(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM swaps").fetchone() == (0,)


def test_replace_with_a_new_profile_changes_the_mapping(
    tmp_path: Path, workspace: Workspace
) -> None:
    text = "Paid On,Amount,Supplier Name,Other Date\n2010-04-01,100.00,Acme,2010-05-01\n"
    a = _write(tmp_path / "a.csv", text)
    first = _write(tmp_path / "first.toml", '[columns]\npayment_date = "Paid On"\n')
    second = _write(tmp_path / "second.toml", '[columns]\npayment_date = "Other Date"\n')
    ingest_files(workspace, [a], "Alpha Council", first)
    ingest_files(workspace, [a], "Alpha Council", second, replace=True)
    history = workspace.history()
    assert history[1]["previous_column_map"]["payment_date"] == "Paid On (profile)"
    assert history[1]["column_map"]["payment_date"] == "Other Date (profile)"
    with workspace.connect() as con:
        assert con.sql("SELECT CAST(period_start AS VARCHAR) FROM spend").fetchall() == [
            ("2010-05-01",)
        ]


def test_failure_before_the_replacement_commits_keeps_the_old_version(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _write(tmp_path / "a.csv")
    ingest_files(workspace, [a], "Old Council")
    before = _state(workspace)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(workspace_mod, "_insert_history", broken)
    with pytest.raises(OSError, match="disk full"):
        ingest_files(workspace, [a], "New Council", replace=True)
    monkeypatch.undo()
    assert _state(workspace) == before  # nothing left behind, even before reopening
    assert _state(Workspace.open(workspace.root)) == before
    assert _actions(workspace) == [("loaded", "Old Council")]


def test_failure_after_the_replacement_commits_is_finished_on_open(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _write(tmp_path / "a.csv")
    ingest_files(workspace, [a], "Old Council")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Workspace, "_finish_swap", broken)
    with pytest.raises(OSError, match="disk full"):
        ingest_files(workspace, [a], "New Council", replace=True)
    monkeypatch.undo()
    files, spend, tables, sources = _state(Workspace.open(workspace.root))
    assert [f[2] for f in files] == ["New Council"]
    assert spend == [("New Council", 2, 35050)]
    assert not any(t.endswith(".new") for t in tables)
    assert [s[2] for s in sources] == ["New Council"]


# A process killed (no clean-up runs) at the Nth rename of a replacement: 1-3
# move the staged tables beside the old, 4-6 rename them over it after the
# catalog has committed.
_KILLED = """
import os, sys
from pathlib import Path
from totalplace.ingest import ingest_files
from totalplace.workspace import Workspace

ws, src, kill_at = Workspace.open(Path(sys.argv[1])), Path(sys.argv[2]), int(sys.argv[3])
real, calls = Path.replace, [0]

def replace(self, target):
    if self.name.endswith((".parquet.tmp", ".parquet.new")) and "tables" in str(target):
        calls[0] += 1
        if calls[0] == kill_at:
            os._exit(9)
    return real(self, target)

Path.replace = replace
ingest_files(ws, [src], "New Council", replace=True)
"""


@pytest.mark.parametrize("kill_at", range(1, 7))
def test_killed_replacement_leaves_one_version_whole(
    tmp_path: Path, workspace: Workspace, kill_at: int
) -> None:
    a = _write(tmp_path / "a.csv")
    ingest_files(workspace, [a], "Old Council")
    before = _state(workspace)
    done = subprocess.run(
        [sys.executable, "-c", _KILLED, str(workspace.root), str(a), str(kill_at)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 9, done.stderr
    after = _state(Workspace.open(workspace.root))
    if kill_at <= 3:
        assert after == before
    else:
        files, spend, tables, sources = after
        assert [f[2] for f in files] == ["New Council"]
        assert spend == [("New Council", 2, 35050)]
        assert tables == before[2]
        assert [s[2] for s in sources] == ["New Council"]


_KILLED_REMOVE = """
import os, sys
from pathlib import Path
from totalplace.workspace import Workspace

ws = Workspace.open(Path(sys.argv[1]))
real = Path.unlink

def unlink(self, missing_ok=False):
    if "tables" in self.parts:  # the source's own Parquet, after the catalog commit
        os._exit(9)
    return real(self, missing_ok=missing_ok)

Path.unlink = unlink
ws.remove_source("a.csv")
"""


def test_removal_killed_after_commit_is_finished_on_open(
    tmp_path: Path, workspace: Workspace
) -> None:
    ingest_files(workspace, [_write(tmp_path / "a.csv")], "Alpha Council")
    b = _write(tmp_path / "b.csv", NO_BODY.replace("Acme", "Gamma"))
    ingest_files(workspace, [b], "Beta Council")
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_REMOVE, str(workspace.root)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 9, done.stderr
    files, spend, tables, sources = _state(Workspace.open(workspace.root))
    assert [f[2] for f in files] == ["Beta Council"]
    assert spend == [("Beta Council", 2, 35050)]
    assert len(tables) == 3
    assert [s[0] for s in sources] == [str(b)]


def test_catalog_from_before_the_history_gets_each_load(
    tmp_path: Path, workspace: Workspace
) -> None:
    ingest_files(workspace, [_write(tmp_path / "a.csv")], "Alpha Council")
    con = duckdb.connect(str(workspace.root / CATALOG_NAME))
    con.execute("DROP TABLE history")
    con.execute("DROP TABLE swaps")
    ingested = con.execute("SELECT ingested_at FROM files").fetchone()
    con.close()
    history = Workspace.open(workspace.root).history()
    assert _actions(workspace) == [("loaded", "Alpha Council")]
    assert ingested is not None
    assert history[0]["changed_at"] == ingested[0].isoformat(sep=" ", timespec="seconds")


# -- the commands --------------------------------------------------------------


def _cli_workspace(tmp_path: Path) -> tuple[Path, Path]:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--place", "E08000025", "--year", "2010-11"])
    src = _write(tmp_path / "a.csv")
    result = runner.invoke(app, ["ingest", str(ws), str(src), "--publisher", "Old Council"])
    assert result.exit_code == 0, result.output
    return ws, src


def test_remove_command_prints_what_was_removed(tmp_path: Path) -> None:
    ws, src = _cli_workspace(tmp_path)
    result = runner.invoke(app, ["remove", str(ws), "a.csv", "--json"])
    assert result.exit_code == 0, result.output
    removed = json.loads(result.stdout)["removed"]
    assert removed["path"] == str(src)
    assert (removed["publisher"], removed["rows_loaded"]) == ("Old Council", 2)
    assert removed["amount_loaded_pence"] == 35050
    assert removed["file_id"] == hashlib.sha256(src.read_bytes()).hexdigest()


def test_remove_command_text_names_rows_and_amount(tmp_path: Path) -> None:
    ws, src = _cli_workspace(tmp_path)
    result = runner.invoke(app, ["remove", str(ws), str(src)])
    assert result.exit_code == 0, result.output
    assert "Old Council" in result.stdout and "2 rows" in result.stdout
    assert "£350.50" in result.stdout


def test_remove_command_unknown_source_exits_2_with_a_json_error(tmp_path: Path) -> None:
    ws, _ = _cli_workspace(tmp_path)
    result = runner.invoke(app, ["remove", str(ws), "other.csv", "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "WorkspaceError"
    assert "no loaded source matches 'other.csv'" in error["message"]
    text = runner.invoke(app, ["remove", str(ws), "other.csv"])
    assert text.exit_code == 2 and "totalplace check" in text.output


def test_ingest_replace_and_check_history_commands(tmp_path: Path) -> None:
    ws, src = _cli_workspace(tmp_path)
    dup = runner.invoke(app, ["ingest", str(ws), str(src), "--publisher", "New", "--json"])
    assert json.loads(dup.stdout)["files"][0]["status"] == "duplicate"
    args = ["ingest", str(ws), str(src), "--publisher", "New Council", "--replace", "--json"]
    replaced = runner.invoke(app, args)
    assert replaced.exit_code == 0, replaced.output
    assert json.loads(replaced.stdout)["files"][0]["status"] == "replaced"
    history = json.loads(runner.invoke(app, ["check", str(ws), "--history", "--json"]).stdout)
    assert [(e["action"], e["publisher"]) for e in history["history"]] == [
        ("loaded", "Old Council"),
        ("replaced", "New Council"),
    ]
    table = runner.invoke(app, ["check", str(ws), "--history"])
    assert table.exit_code == 0
    assert "Old Council -> New Council" in table.stdout
    report = json.loads(runner.invoke(app, ["check", str(ws), "--json"]).stdout)
    assert [f["publisher"] for f in report["files"]] == ["New Council"]


def test_duplicate_row_of_the_ingest_table_says_how_to_reload(tmp_path: Path) -> None:
    ws, src = _cli_workspace(tmp_path)
    again = runner.invoke(app, ["ingest", str(ws), str(src), "--publisher", "New Council"])
    assert again.exit_code == 0
    assert "Pass --replace" in again.stdout


def test_zip_member_is_named_by_its_own_file_name(tmp_path: Path, workspace: Workspace) -> None:
    archive = tmp_path / "spend.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("2010/april.csv", NO_BODY)
        zf.writestr("2010/may.csv", NO_BODY.replace("Acme", "Gamma"))
    ingest_files(workspace, [archive], "Alpha Council")
    assert workspace.remove_source("april.csv").path == f"{archive}!2010/april.csv"
    assert workspace.remove_source("spend.zip!2010/may.csv").path == f"{archive}!2010/may.csv"
    assert workspace.committed_ids() == set()


def test_history_of_a_fresh_workspace_says_nothing_is_ingested(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    runner.invoke(app, ["init", str(ws), "--place", "E08000025", "--year", "2010-11"])
    result = runner.invoke(app, ["check", str(ws), "--history"])
    assert result.exit_code == 0
    assert "nothing ingested yet" in result.stdout
    as_json = runner.invoke(app, ["check", str(ws), "--history", "--json"])
    assert json.loads(as_json.stdout) == {"history": []}
