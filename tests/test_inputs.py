"""Inputs are never skipped in silence: nested zips, odd member names, linked
folders, files that are not spend files and zip bombs are read or reported."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.config import parse_size
from totalplace.errors import ConfigError
from totalplace.ingest import FileReport, ingest_files
from totalplace.ingest.inputs import MAX_ZIP_DEPTH
from totalplace.workspace import Workspace

PUBLISHER = "Test Council"
CSV = b"Payment Date,Supplier Name,Amount\n01/11/2010,Acme Ltd,600.00\n02/11/2010,Beta Ltd,700.00\n"
CSV_PENCE = 130000


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")


def ingest(ws: Workspace, *paths: Path, **kw: int) -> list[FileReport]:
    return ingest_files(ws, list(paths), publisher=PUBLISHER, **kw).files  # type: ignore[arg-type]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def statuses(files: list[FileReport]) -> list[tuple[str, str]]:
    return [(f.path, f.status) for f in files]


def test_zip_inside_a_zip_is_ingested_not_skipped(ws: Workspace, tmp_path: Path) -> None:
    outer = tmp_path / "outer.zip"
    outer.write_bytes(zip_bytes({"inner.zip": zip_bytes({"a.csv": CSV}), "b.csv": CSV}))
    files = ingest(ws, outer)
    assert sorted(statuses(files)) == [
        (f"{outer}!b.csv", "loaded"),
        (f"{outer}!inner.zip!a.csv", "duplicate"),  # the same bytes as b.csv
    ] or sorted(statuses(files)) == [
        (f"{outer}!b.csv", "duplicate"),
        (f"{outer}!inner.zip!a.csv", "loaded"),
    ]
    other = CSV.replace(b"Acme", b"Gamma")
    outer2 = tmp_path / "outer2.zip"
    outer2.write_bytes(zip_bytes({"inner.zip": zip_bytes({"c.csv": other})}))
    [f] = ingest(ws, outer2)
    assert (f.path, f.status, f.amount_loaded_pence) == (
        f"{outer2}!inner.zip!c.csv",
        "loaded",
        CSV_PENCE,
    )


def test_zip_nested_past_the_depth_limit_is_reported(ws: Workspace, tmp_path: Path) -> None:
    data = zip_bytes({"deep.csv": CSV})
    for level in range(MAX_ZIP_DEPTH + 1):
        data = zip_bytes(
            {f"level{level}.zip": data, f"top{level}.csv": CSV.replace(b"Acme", b"X" * (level + 1))}
        )
    path = tmp_path / "nested.zip"
    path.write_bytes(data)
    files = ingest(ws, path)
    skipped = [f for f in files if f.status == "skipped"]
    assert len(skipped) == 1
    assert skipped[0].path.count("!") == MAX_ZIP_DEPTH + 1
    assert f"at most {MAX_ZIP_DEPTH} zips inside a zip" in skipped[0].message
    assert sum(f.status == "loaded" for f in files) == MAX_ZIP_DEPTH + 1


def test_backslash_traversal_member_is_reported_not_skipped_as_hidden(
    ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "odd.zip"
    path.write_bytes(
        zip_bytes({"..\\..\\x.csv": CSV, "/abs.csv": CSV, "C:\\spend.csv": CSV, "ok.csv": CSV})
    )
    files = ingest(ws, path)
    assert statuses(files) == [
        (f"{path}!..\\..\\x.csv", "skipped"),
        (f"{path}!/abs.csv", "skipped"),
        (f"{path}!C:\\spend.csv", "skipped"),
        (f"{path}!ok.csv", "loaded"),
    ]
    assert "points outside the archive" in files[0].message
    assert "points outside the archive" in files[1].message
    assert "a drive" in files[2].message
    # nothing was written beside the archive or above the workspace
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd.zip", "ws"]


def test_backslash_separated_member_is_read(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "windows.zip"
    path.write_bytes(zip_bytes({"reports\\spend.csv": CSV}))
    [f] = ingest(ws, path)
    assert (f.path, f.status, f.amount_loaded_pence) == (
        f"{path}!reports\\spend.csv",
        "loaded",
        CSV_PENCE,
    )


def test_zip_holding_only_odd_names_fails_naming_them(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "only-odd.zip"
    path.write_bytes(zip_bytes({"..\\x.csv": CSV, "notes.md": b"# notes\n"}))
    [f] = ingest(ws, path)
    assert f.status == "failed"
    assert "'..\\\\x.csv': member name" in f.message


def test_symlinked_subfolder_inside_is_followed_outside_is_reported(
    ws: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "spend"
    (folder / "2010").mkdir(parents=True)
    (folder / "2010" / "a.csv").write_bytes(CSV)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.csv").write_bytes(CSV.replace(b"Acme", b"Secret"))
    (folder / "linked-in").symlink_to(folder / "2010", target_is_directory=True)
    (folder / "linked-out").symlink_to(elsewhere, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "b.csv").write_bytes(CSV.replace(b"Acme", b"Beta"))
    (folder / "to-inside").symlink_to(inside, target_is_directory=True)
    files = ingest(ws, folder)
    got = statuses(files)
    assert (str(folder / "2010" / "a.csv"), "loaded") in got
    assert (str(folder / "linked-out"), "skipped") in got
    assert (str(folder / "loop"), "skipped") in got
    assert (str(folder / "to-inside"), "skipped") in got  # outside the folder given
    assert not any("secret" in p for p, _ in got)
    out = next(f for f in files if f.path == str(folder / "linked-out"))
    assert "outside" in out.message and "not followed" in out.message
    # the link to a folder already read is reported, not read twice
    assert (str(folder / "linked-in"), "skipped") in got


def test_symlinked_file_outside_the_folder_is_reported_not_read(
    ws: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "spend"
    folder.mkdir()
    (folder / "a.csv").write_bytes(CSV)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.csv").write_bytes(CSV.replace(b"Acme", b"Secret"))
    (folder / "linked.csv").symlink_to(elsewhere / "secret.csv")
    (folder / "alias.csv").symlink_to(folder / "a.csv")  # inside: read (a duplicate)
    files = ingest(ws, folder)
    got = statuses(files)
    assert (str(folder / "a.csv"), "loaded") in got
    assert (str(folder / "linked.csv"), "skipped") in got
    assert (str(folder / "alias.csv"), "duplicate") in got
    out = next(f for f in files if f.path == str(folder / "linked.csv"))
    assert "outside" in out.message and "not followed" in out.message


def test_symlinked_subfolder_resolving_inside_is_read(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "spend"
    # a hidden folder, reached only through the link
    (folder / ".archive" / "2011").mkdir(parents=True)
    (folder / ".archive" / "2011" / "c.csv").write_bytes(CSV.replace(b"Acme", b"Gamma"))
    (folder / "current").mkdir()
    (folder / "current" / "latest").symlink_to(
        folder / ".archive" / "2011", target_is_directory=True
    )
    [f] = ingest(ws, folder)
    assert (f.path, f.status) == (str(folder / "current" / "latest" / "c.csv"), "loaded")


@pytest.mark.parametrize("name", ["script.py", "setup.exe", "notes.pdf", "old.xls", "README"])
def test_file_that_is_not_a_spend_file_is_refused(ws: Workspace, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(CSV)  # even when its content would parse
    [f] = ingest(ws, path)
    assert f.status == "failed"
    assert "not a spend file" in f.message
    assert ".csv, .txt, .tsv, .xlsx, .xlsm, .zip" in f.message


def test_zip_bomb_stops_at_the_unzipped_size_cap(ws: Workspace, tmp_path: Path) -> None:
    big = CSV + b"01/11/2010,Acme Ltd,600.00\n" * 400_000  # about 11 MB, compresses to kB
    path = tmp_path / "bomb.zip"
    path.write_bytes(zip_bytes({"big.csv": big}))
    assert path.stat().st_size < 100_000
    [f] = ingest(ws, path, max_archive_bytes=1_000_000)
    assert f.status == "failed"
    assert "--max-archive-size" in f.message and "more than 1,000,000 bytes (0.95 MiB)" in f.message
    assert not any(p.stat().st_size > 1_000_000 for p in ws.tmp_dir.rglob("*") if p.is_file())


def test_zip_bomb_inside_a_zip_counts_against_the_same_cap(ws: Workspace, tmp_path: Path) -> None:
    big = CSV + b"01/11/2010,Acme Ltd,600.00\n" * 400_000
    path = tmp_path / "nested-bomb.zip"
    path.write_bytes(zip_bytes({"inner.zip": zip_bytes({"big.csv": big})}))
    [f] = ingest(ws, path, max_archive_bytes=1_000_000)
    assert f.status == "failed"
    assert "the limit on unzipped size" in f.message
    # raising the cap reads it
    [f] = ingest(ws, path, max_archive_bytes=parse_size("20MB"))
    assert f.status == "loaded"


def test_member_whose_declared_size_lies_fails_its_archive_not_a_traceback(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from totalplace.ingest import inputs

    big = CSV + b"01/11/2010,Acme Ltd,600.00\n" * 400_000
    path = tmp_path / "liar.zip"
    path.write_bytes(zip_bytes({"big.csv": big}))
    real = inputs._member_problem

    def declared_small(member: zipfile.ZipInfo, depth: int) -> str | None:
        member.file_size = 10  # what a crafted header would claim
        return real(member, depth)

    monkeypatch.setattr(inputs, "_member_problem", declared_small)
    monkeypatch.setattr(inputs, "CHUNK", 64 * 1024)
    [f] = ingest(ws, path, max_archive_bytes=1_000_000)
    assert f.status == "failed"
    assert "sizes or checksum do not match" in f.message
    assert f.path == str(path) and "cannot unzip 'big.csv'" in f.message


def test_sizes_are_read_in_binary_and_decimal_units() -> None:
    assert parse_size("2GiB") == 2 * 1024**3
    assert parse_size("500MB") == 500_000_000
    assert parse_size("1.5 gb") == 1_500_000_000
    assert parse_size("4096") == 4096
    with pytest.raises(ConfigError, match="not a size"):
        parse_size("lots")


runner = CliRunner()


def _init(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["init", str(ws), "--place", "E08000025", "--year", "2010-11"])
    assert result.exit_code == 0, result.output
    return ws


def test_skipped_members_are_in_the_json_report(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    path = tmp_path / "odd.zip"
    path.write_bytes(zip_bytes({"..\\x.csv": CSV, "ok.csv": CSV}))
    result = runner.invoke(app, ["ingest", str(ws), str(path), "--publisher", PUBLISHER, "--json"])
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert [(f["path"], f["status"]) for f in files] == [
        (f"{path}!..\\x.csv", "skipped"),
        (f"{path}!ok.csv", "loaded"),
    ]
    assert "points outside the archive" in files[0]["message"]


def test_max_archive_size_flag_raises_and_checks_the_cap(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    big = CSV + b"01/11/2010,Acme Ltd,600.00\n" * 100_000
    path = tmp_path / "big.zip"
    path.write_bytes(zip_bytes({"big.csv": big}))
    args = ["ingest", str(ws), str(path), "--publisher", PUBLISHER, "--json"]
    result = runner.invoke(app, [*args, "--max-archive-size", "1MB"])
    assert result.exit_code == 1, result.output
    [f] = json.loads(result.stdout)["files"]
    assert f["status"] == "failed" and "--max-archive-size" in f["message"]
    result = runner.invoke(app, [*args, "--max-archive-size", "lots"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["type"] == "ConfigError"
    result = runner.invoke(app, [*args, "--max-archive-size", "10MB"])
    assert result.exit_code == 0, result.output
