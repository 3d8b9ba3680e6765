"""The command line: JSON shape, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.workspace import Workspace

runner = CliRunner()

GOOD = (
    "Body Name,Payment Date,Amount,Supplier Name\n"
    "Test Council,2010-04-01,100.00,Acme Ltd\n"
    "Test Council,2010-04-02,TBC,Acme Ltd\n"
    "Test Council,2010-04-03,-25.50,Acme Ltd\n"
)
FILE_KEYS = {
    "path",
    "status",
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "amount_loaded_pence",
    "amount_quarantined_pence",
    "issue_counts",
    "issues",
}


def _init(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["init", str(ws), "--place", "E08000025", "--year", "2010-11"])
    assert result.exit_code == 0, result.output
    return ws


def test_ingest_json_report_shape_and_counts(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    src = tmp_path / "good.csv"
    src.write_text(GOOD)
    result = runner.invoke(app, ["ingest", str(ws), str(src), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (f,) = report["files"]
    assert set(f) >= FILE_KEYS
    assert (f["status"], f["rows_read"], f["rows_loaded"], f["rows_quarantined"]) == (
        "loaded",
        3,
        2,
        1,
    )
    assert f["amount_loaded_pence"] == 10000 - 2550
    assert f["amount_quarantined_pence"] == 0
    assert f["issue_counts"] == {"unparseable-amount": 1, "negative-amount": 1}
    bad = next(i for i in f["issues"] if i["slug"] == "unparseable-amount")
    assert (bad["line"], bad["field"], bad["value"], bad["severity"]) == (
        3,
        "Amount",
        "TBC",
        "error",
    )
    assert bad["file"] == str(src)

    again = json.loads(runner.invoke(app, ["ingest", str(ws), str(src), "--json"]).stdout)
    assert again["files"][0]["status"] == "duplicate"


def test_failed_file_exits_1_and_others_still_load(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    bad = tmp_path / "bad.csv"
    bad.write_text("When,Who,Notes\n2010-04-01,Acme,hello\n")
    result = runner.invoke(app, ["ingest", str(ws), str(bad), str(good), "--json"])
    assert result.exit_code == 1
    statuses = [f["status"] for f in json.loads(result.stdout)["files"]]
    assert statuses == ["failed", "loaded"]
    check = runner.invoke(app, ["check", str(ws), "--json"])
    assert check.exit_code == 1
    assert [f["status"] for f in json.loads(check.stdout)["files"]] == ["loaded", "failed"]


def test_unsure_mapping_message_names_roles_candidates_and_profile(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    src = tmp_path / "odd.csv"
    src.write_text("Body Name,Payment Date,Cost,Supplier Name\nX,2010-04-01,1.00,Y\n")
    result = runner.invoke(app, ["ingest", str(ws), str(src), "--json"])
    message = json.loads(result.stdout)["files"][0]["message"]
    assert "amount" in message
    assert "'Cost'" in message
    assert "[columns]" in message and "--profile" in message


def test_profile_maps_an_unknown_header(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    src = tmp_path / "odd.csv"
    src.write_text("Body Name,Payment Date,Cost,Supplier Name\nX,2010-04-01,1.50,Y\n")
    profile = tmp_path / "odd.toml"
    profile.write_text('publisher = "X"\n[columns]\namount = "Cost"\n')
    result = runner.invoke(app, ["ingest", str(ws), str(src), "--profile", str(profile), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"][0]["amount_loaded_pence"] == 150


def test_check_renders_a_table(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    empty = runner.invoke(app, ["check", str(ws)])
    assert empty.exit_code == 0 and "nothing ingested yet" in empty.stdout
    src = tmp_path / "good.csv"
    src.write_text(GOOD)
    runner.invoke(app, ["ingest", str(ws), str(src), "--json"])
    result = runner.invoke(app, ["check", str(ws)])
    assert result.exit_code == 0
    assert "good.csv" in result.stdout and "£74.50" in result.stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert (
        runner.invoke(
            app, ["init", str(tmp_path / "w"), "--place", "B1", "--year", "2010-11"]
        ).exit_code
        == 2
    )
    assert runner.invoke(app, ["ingest", str(tmp_path / "nowhere"), "x.csv"]).exit_code == 2
    ws = _init(tmp_path)
    other = runner.invoke(app, ["init", str(ws), "--place", "E08000026", "--year", "2010-11"])
    assert other.exit_code == 2
    assert "already holds a workspace" in other.output
    assert runner.invoke(app, ["ingest"]).exit_code == 2


def test_init_takes_a_preset_or_an_authority_name(tmp_path: Path) -> None:
    runner = CliRunner()
    preset = runner.invoke(
        app,
        ["init", str(tmp_path / "a"), "--place", "pilot:coventry-solihull", "--year", "2010-11"],
    )
    assert preset.exit_code == 0, preset.output
    cfg = Workspace.open(tmp_path / "a").config
    assert cfg.place == ["E08000026", "E08000029"] and "Coventry" in cfg.name
    named = runner.invoke(
        app, ["init", str(tmp_path / "b"), "--place", "Manchester", "--year", "2010-11"]
    )
    assert named.exit_code == 0, named.output
    assert Workspace.open(tmp_path / "b").config.place == ["E08000003"]
    unknown = runner.invoke(
        app, ["init", str(tmp_path / "c"), "--place", "Atlantis", "--year", "2010-11"]
    )
    assert unknown.exit_code == 2 and "Atlantis" in unknown.output


def test_names_and_messages_are_shown_as_written_not_read_as_markup(tmp_path: Path) -> None:
    """File names, publishers and messages can hold square brackets, which the
    terminal tables must print, not take as styles."""
    ws = _init(tmp_path)
    src = tmp_path / "[b]x.csv"
    src.write_text("Payment Date,Amount,Supplier Name\n2010-04-01,100.00,Acme Ltd\n")
    odd = tmp_path / "odd.csv"
    odd.write_text("Body Name,Payment Date,Cost,Supplier Name\nX,2010-04-01,1.00,Y\n")
    result = runner.invoke(app, ["ingest", str(ws), str(src), str(odd), "--publisher", "[i]Co"])
    assert result.exit_code == 1
    for shown in (result.stdout, runner.invoke(app, ["check", str(ws)]).stdout):
        assert "[b]x.csv" in shown
        assert "[i]Co" in shown
        assert "[columns]" in shown  # the failed file's advice on writing a profile


def test_a_folder_ingests_the_spend_files_under_it(tmp_path: Path) -> None:
    """Sorted, sub-folders included; hidden files and the workspace's own files
    (here the workspace sits inside the folder) are left out; an empty folder fails."""
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / ".hidden").mkdir()
    ws = data / "ws"
    result = runner.invoke(app, ["init", str(ws), "--place", "E08000025", "--year", "2010-11"])
    assert result.exit_code == 0, result.output
    header = "Payment Date,Amount,Supplier Name\n"
    (data / "b.csv").write_text(header + "2010-04-01,2.00,B Ltd\n")
    (data / "sub" / "a.csv").write_text(header + "2010-04-01,1.00,A Ltd\n")
    (data / ".hidden" / "c.csv").write_text(header + "2010-04-01,4.00,C Ltd\n")
    (data / "notes.md").write_text("not spend\n")
    (ws / "stray.csv").write_text(header + "2010-04-01,8.00,D Ltd\n")
    (tmp_path / "empty").mkdir()
    args = ["ingest", str(ws), str(data), str(tmp_path / "empty"), "--publisher", "X", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    files = json.loads(result.stdout)["files"]
    assert [(Path(f["path"]).name, f["status"]) for f in files] == [
        ("b.csv", "loaded"),
        ("a.csv", "loaded"),
        ("empty", "failed"),
    ]
    assert sum(f["amount_loaded_pence"] for f in files) == 300
    assert "a folder with no spend files" in files[2]["message"]


def test_output_cut_short_by_its_reader_is_no_internal_error() -> None:
    """`totalplace unit-costs --json | head -c 100`: the reader closing the pipe
    is not a fault in totalplace; nothing is said and the exit is a closed
    pipe's (141), not the internal error's (3)."""
    import subprocess
    import sys

    run = subprocess.Popen(
        [sys.executable, "-m", "totalplace", "unit-costs", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert run.stdout is not None and run.stderr is not None
    assert run.stdout.read(100)
    run.stdout.close()  # the reader goes; 390 kB are still to be written
    with run.stderr:
        errors = run.stderr.read().decode()
    assert run.wait(timeout=60) == 141, errors
    assert "internal error" not in errors and "Traceback" not in errors
