"""The partnership's log of decisions: recorded with who took them and when,
listed in the order they were taken, linked to a barrier only when it exists."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.culture import add_barrier, read_decisions
from totalplace.culture.decisions import decisions_path
from totalplace.workspace import Workspace

runner = CliRunner()


def _ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E99999901"], "2010-11")


def test_add_records_what_who_and_when_and_list_orders_by_date(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    add_barrier(ws, {"title": "Ring-fence", "type": "ring-fence", "owner": "DH"}, "t")
    r = runner.invoke(app, ["decisions", str(ws.root), "add", "--what", "Pool the budgets",
                            "--by", "Northmoor City Council, Northmoor PCT", "--date",
                            "2010-03-01", "--barrier", "b1", "--json"])  # fmt: skip
    assert r.exit_code == 0, r.stdout
    first = json.loads(r.stdout)["decision"]
    assert (first["id"], first["date"], first["barrier"]) == ("D1", "2010-03-01", "B1")
    assert first["by"] == ["Northmoor City Council", "Northmoor PCT"]
    runner.invoke(app, ["decisions", str(ws.root), "add", "--what", "Set up the board",
                        "--by", "All partners", "--date", "2010-01-15"])  # fmt: skip
    listed = json.loads(runner.invoke(app, ["decisions", str(ws.root), "list", "--json"]).stdout)
    assert [(d["id"], d["date"]) for d in listed["decisions"]] == [
        ("D2", "2010-01-15"),
        ("D1", "2010-03-01"),
    ]


def test_a_decision_about_a_barrier_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    r = runner.invoke(app, ["decisions", str(ws.root), "add", "--what", "x", "--by", "A",
                            "--barrier", "B7", "--json"])  # fmt: skip
    assert r.exit_code == 2
    assert "no barrier 'B7'" in json.loads(r.stdout)["error"]["message"]
    assert not decisions_path(ws.root).exists()


def test_a_bad_date_or_no_partner_is_refused_naming_the_option(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    for args, option in (
        (["--by", "A", "--date", "1/3/2010"], "--date"),
        (["--by", " , "], "--by"),
    ):
        r = runner.invoke(app, ["decisions", str(ws.root), "add", "--what", "x", *args, "--json"])
        assert r.exit_code == 2
        assert json.loads(r.stdout)["error"]["message"].startswith(option)
    assert read_decisions(ws.root) == []
