"""What ingest reports is kept: inputs not read and a failed file's typed reason
are stored in the catalog, so ``check``, ``check --json`` and the saved
``ingest_report.json`` list them as ``ingest`` did; the ingest limits can be
set in ``totalplace.toml``; and the writer's wait can be raised."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from totalplace import workspace as workspace_mod
from totalplace.cli import app
from totalplace.workspace import LOCK_NAME

PUBLISHER = "Test Council"
CSV = b"Payment Date,Supplier Name,Amount\n01/11/2010,Acme Ltd,600.00\n02/11/2010,Beta Ltd,700.00\n"

runner = CliRunner()


def _init(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["init", str(ws), "--place", "E08000025", "--year", "2010-11"])
    assert result.exit_code == 0, result.output
    return ws


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _by_path(files: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(f["path"]): f for f in files}


def _ingest_json(ws: Path, *args: str) -> tuple[int, dict[str, dict[str, object]]]:
    result = runner.invoke(app, ["ingest", str(ws), *args, "--publisher", PUBLISHER, "--json"])
    return result.exit_code, _by_path(json.loads(result.stdout)["files"])


def _check_json(ws: Path) -> dict[str, dict[str, object]]:
    result = runner.invoke(app, ["check", str(ws), "--json"])
    assert result.exit_code in (0, 1), result.output
    return _by_path(json.loads(result.stdout)["files"])


def _saved(ws: Path) -> dict[str, dict[str, object]]:
    return _by_path(json.loads((ws / "ingest_report.json").read_text())["files"])


# -- 1. inputs not read are stored with the reason ---------------------------------------------


def test_skipped_zip_members_and_links_are_kept_for_check_and_the_saved_report(
    tmp_path: Path,
) -> None:
    ws = _init(tmp_path)
    archive = tmp_path / "odd.zip"
    archive.write_bytes(_zip({"..\\x.csv": CSV, "ok.csv": CSV}))
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.csv").write_bytes(CSV.replace(b"Acme", b"Gamma"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "linked-out").symlink_to(outside, target_is_directory=True)
    code, ingested = _ingest_json(ws, str(archive), str(folder))
    assert code == 0
    member, link = f"{archive}!..\\x.csv", str(folder / "linked-out")
    assert ingested[member]["status"] == ingested[link]["status"] == "skipped"
    for stored in (_check_json(ws), _saved(ws)):
        assert stored[member]["status"] == "skipped"
        assert stored[member]["message"] == ingested[member]["message"]
        assert "points outside the archive" in str(stored[member]["message"])
        assert stored[link]["status"] == "skipped"
        assert "not followed" in str(stored[link]["message"])
        assert stored[f"{archive}!ok.csv"]["status"] == "loaded"
    terminal = runner.invoke(app, ["check", str(ws)])
    assert "2 input(s) not read" in terminal.stdout


def test_inputs_not_read_go_from_check_once_what_held_them_is_removed(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    archive = tmp_path / "odd.zip"
    archive.write_bytes(_zip({"..\\x.csv": CSV, "ok.csv": CSV}))
    member = f"{archive}!..\\x.csv"
    assert _ingest_json(ws, str(archive))[1][member]["status"] == "skipped"
    result = runner.invoke(app, ["remove", str(ws), f"{archive}!ok.csv", "--json"])
    assert result.exit_code == 0, result.output
    # nothing of the zip is in the store: its member not read is no longer reported
    assert _check_json(ws) == {}
    assert _saved(ws) == {}
    # ingested again, it is reported again
    _ingest_json(ws, str(archive))
    assert _check_json(ws)[member]["status"] == "skipped"


# -- 2. a failed file's typed reason is stored -------------------------------------------------


def test_a_failed_files_typed_reason_is_kept_for_check_and_the_saved_report(
    tmp_path: Path,
) -> None:
    ws = _init(tmp_path)
    wide = tmp_path / "wide.csv"
    header = ",".join(["Payment Date", "Supplier Name", "Amount"] + [f"c{i}" for i in range(20)])
    wide.write_text(header + "\n01/11/2010,Acme Ltd,600.00" + "," * 20 + "\n")
    code, ingested = _ingest_json(ws, str(wide), "--max-columns", "10")
    assert code == 1
    failure = {
        "error": "LimitExceeded",
        "limit": "max_columns",
        "value": 10,
        "option": "--max-columns",
    }
    assert ingested[str(wide)]["details"] == {"failure": failure}
    for stored in (_check_json(ws), _saved(ws)):
        assert stored[str(wide)]["status"] == "failed"
        assert stored[str(wide)]["details"] == {"failure": failure}
        assert stored[str(wide)]["message"] == ingested[str(wide)]["message"]


# -- 3. the ingest limits in totalplace.toml ---------------------------------------------------


def _set_ingest(ws: Path, table: str) -> None:
    config = ws / "totalplace.toml"
    config.write_text(config.read_text() + "\n[ingest]\n" + table)


def _wide(tmp_path: Path, columns: int) -> Path:
    path = tmp_path / f"wide{columns}.csv"
    extra = [f"c{i}" for i in range(columns - 3)]
    header = ",".join(["Payment Date", "Supplier Name", "Amount", *extra])
    path.write_text(header + "\n01/11/2010,Acme Ltd,600.00" + "," * len(extra) + "\n")
    return path


def test_max_columns_in_the_workspace_toml_fails_a_wider_file(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    _set_ingest(ws, "max_columns = 10\n")
    wide = _wide(tmp_path, 12)
    code, ingested = _ingest_json(ws, str(wide))
    assert code == 1
    assert ingested[str(wide)]["details"] == {
        "failure": {
            "error": "LimitExceeded",
            "limit": "max_columns",
            "value": 10,
            "option": "--max-columns",
        }
    }
    # the option wins over the file
    code, ingested = _ingest_json(ws, str(wide), "--max-columns", "12")
    assert code == 0 and ingested[str(wide)]["status"] == "loaded"
    # and the table survives the config being rewritten after an ingest
    assert "max_columns = 10" in (ws / "totalplace.toml").read_text()


def test_max_archive_size_in_the_workspace_toml_stops_a_zip(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    _set_ingest(ws, 'max_archive_size = "1MB"\n')
    big = tmp_path / "big.zip"
    big.write_bytes(_zip({"big.csv": CSV + b"01/11/2010,Acme Ltd,600.00\n" * 100_000}))
    code, ingested = _ingest_json(ws, str(big))
    assert code == 1
    [f] = ingested.values()
    assert f["status"] == "failed" and "1,000,000 bytes" in str(f["message"])
    code, ingested = _ingest_json(ws, str(big), "--max-archive-size", "10MB")
    assert code == 0
    assert 'max_archive_size = "1MB"' in (ws / "totalplace.toml").read_text()


def test_an_ingest_limit_out_of_range_or_misspelt_in_the_toml_exits_2_naming_the_key(
    tmp_path: Path,
) -> None:
    ws = _init(tmp_path)
    original = (ws / "totalplace.toml").read_text()
    for table, named in [
        ("max_columns = 0\n", "ingest.max_columns"),
        ("max_line_bytes = 2000000000000\n", "ingest.max_line_bytes"),
        ('max_archive_size = "lots"\n', "ingest.max_archive_size"),
        ("max_colums = 10\n", "did you mean 'max_columns'?"),
    ]:
        (ws / "totalplace.toml").write_text(original)
        _set_ingest(ws, table)
        result = runner.invoke(app, ["ingest", str(ws), str(tmp_path), "--json"])
        assert result.exit_code == 2, result.output
        error = json.loads(result.stdout)["error"]
        assert error["type"] == "ConfigError" and named in error["message"]


def test_an_ingest_option_past_its_range_exits_2(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    result = runner.invoke(
        app, ["ingest", str(ws), str(tmp_path), "--max-columns", "1000000", "--json"]
    )
    assert result.exit_code == 2, result.output
    assert "max_columns" in json.loads(result.stdout)["error"]["message"]


# -- 4. the writer's wait can be raised ---------------------------------------------------------

HOLD_FOR = """
import fcntl, sys, time
fh = open(sys.argv[1], "a+")
fcntl.flock(fh, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold_lock(ws: Path, seconds: float) -> subprocess.Popen[str]:
    """Another command writing to ``ws`` for ``seconds``: a process holding its lock."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_FOR, str(ws / LOCK_NAME), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_totalplace_wait_lets_a_writer_outwait_a_long_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _init(tmp_path)
    src = tmp_path / "spend.csv"
    src.write_bytes(CSV)
    args = ["ingest", str(ws), str(src), "--publisher", PUBLISHER, "--json"]
    monkeypatch.setattr(workspace_mod, "WRITE_WAIT_SECONDS", 0.3)  # the default, shortened
    child = _hold_lock(ws, 2.0)
    try:
        busy = runner.invoke(app, args)
        assert busy.exit_code == 2, busy.output
        message = json.loads(busy.stdout)["error"]["message"]
        assert "is busy" in message and "TOTALPLACE_WAIT=SECONDS" in message
        waited = runner.invoke(app, args, env={"TOTALPLACE_WAIT": "60"})
    finally:
        child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()
    assert waited.exit_code == 0, waited.output
    [f] = json.loads(waited.stdout)["files"]
    assert f["status"] == "loaded"


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf", "100000"])
def test_a_totalplace_wait_that_is_not_seconds_exits_2_naming_it(
    tmp_path: Path, value: str
) -> None:
    ws = _init(tmp_path)
    src = tmp_path / "spend.csv"
    src.write_bytes(CSV)
    result = runner.invoke(
        app,
        ["ingest", str(ws), str(src), "--publisher", PUBLISHER, "--json"],
        env={"TOTALPLACE_WAIT": value},
    )
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError" and "TOTALPLACE_WAIT" in error["message"]


def test_max_archive_size_option_past_its_range_exits_2(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    archive = tmp_path / "a.zip"
    archive.write_bytes(_zip({"a.csv": CSV}))
    args = ["ingest", str(ws), str(archive), "--publisher", PUBLISHER, "--json"]
    result = runner.invoke(app, [*args, "--max-archive-size", "2TiB"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError" and "--max-archive-size" in error["message"]
    assert runner.invoke(app, [*args, "--max-archive-size", "1TiB"]).exit_code == 0
