"""The opportunity register on the demo place: ranked, written, marked, and
marks kept across a re-count; assumptions the workspace changes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.demo import run_demo
from totalplace.errors import ConfigError
from totalplace.ingest import ingest_files
from totalplace.opportunities import KINDS
from totalplace.opportunities.marks import read_marks, set_mark
from totalplace.opportunities.register import (
    ASSUMPTIONS_FILE,
    build_register,
    load_assumptions,
)
from totalplace.report.count_file import read_count
from totalplace.report.run import count_workspace
from totalplace.workspace import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    _, ws = run_demo(tmp_path_factory.mktemp("demo") / "demo")
    count_workspace(ws)
    return ws


def _json(args: list[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_register_is_ranked_largest_first_and_written_as_csv_and_sheet(
    demo_ws: Workspace,
) -> None:
    """Guards the register's shape: every item has the fields the issue names,
    a known kind, and the items come largest first; the CSV lists the same
    items in the same order and the workbook has an Opportunities sheet."""
    code, data = _json(["opportunities", str(demo_ws.root)])
    assert code == 0
    items = data["opportunities"]
    assert items, "the demo's councils share suppliers"
    for x in items:
        assert {"id", "kind", "description", "agencies", "value_pence", "confidence",
                "evidence", "status", "note"} <= set(x)  # fmt: skip
        assert x["kind"] in KINDS and x["status"] == "open"
    values = [x["value_pence"] for x in items]
    assert values == sorted(values, reverse=True)
    kinds = {x["kind"] for x in items}
    assert {"shared_supplier", "back_office"} <= kinds
    folder = demo_ws.root / "reports"
    with (folder / "opportunities.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == [x["id"] for x in items]
    assert [int(r["value_pence"]) for r in rows] == values
    from openpyxl import load_workbook

    book = load_workbook(folder / "opportunities.xlsx")
    assert book.sheetnames == ["Opportunities"]
    assert book["Opportunities"].max_row == len(items) + 1


def test_shared_supplier_value_is_the_stated_share_of_combined_spend(demo_ws: Workspace) -> None:
    """Guards the money at stake against drifting from its description: 5%
    of the combined spend (the shipped assumption), said in the description,
    with a drill-down link to the supplier's largest cell."""
    items = build_register(demo_ws, read_count(demo_ws.root))
    s = next(x for x in items if x.kind == "shared_supplier")
    combined = s.details["pence"]
    assert s.value_pence == round(combined * 5 / 100)
    assert "at 5% of the combined spend" in s.description
    assert s.evidence.startswith("/drill?agency=") and "supplier=" in s.evidence


def test_marks_survive_a_recount_that_changes_the_money(demo_ws: Workspace) -> None:
    """Guards against ids made from figures: a shared supplier marked parked
    with a note keeps its mark after a new payment to it is ingested and the
    count run again (its value changes, its id does not); a mark of 'open'
    clears it."""
    items = build_register(demo_ws, read_count(demo_ws.root))
    target = next(x for x in items if x.kind == "shared_supplier")
    code, data = _json(
        ["opportunities", str(demo_ws.root), "--mark", target.id, "parked", "--note", "next year"]
    )
    assert code == 0
    marked = {x["id"]: x for x in data["opportunities"]}[target.id]
    assert (marked["status"], marked["note"]) == ("parked", "next year")
    extra = demo_ws.root.parent / "city-extra.csv"
    extra.write_text(
        "Body Name,Service Area,Expenses Type,Invoice Payment Date,Transaction Number,Amount,"
        f"Supplier Name\nNorthmoor City Council,Highways,Road Maintenance,2010-07-01,X1,"
        f"20000.00,{target.details['name'].upper()}\n",
        encoding="utf-8",
    )
    assert ingest_files(demo_ws, [extra]).ok
    count_workspace(demo_ws)  # the re-count
    again = {x.id: x for x in build_register(demo_ws, read_count(demo_ws.root))}
    assert again[target.id].value_pence > target.value_pence
    assert (again[target.id].status, again[target.id].note) == ("parked", "next year")
    set_mark(demo_ws, target.id, "open")
    assert target.id not in read_marks(demo_ws.root)


def test_an_unknown_id_or_status_is_refused_in_the_error_shape(demo_ws: Workspace) -> None:
    """Guards against a typo writing a mark nothing will ever show."""
    code, data = _json(["opportunities", str(demo_ws.root), "--mark", "ss-nobody", "accepted"])
    assert code == 2 and data["error"]["type"] == "ConfigError"
    assert "ss-nobody" in data["error"]["message"]
    some = build_register(demo_ws, read_count(demo_ws.root))[0].id
    code, data = _json(["opportunities", str(demo_ws.root), "--mark", some, "maybe"])
    assert code == 2 and "not a mark" in data["error"]["message"]
    assert some not in read_marks(demo_ws.root)


def test_a_workspace_without_a_count_says_to_count_first(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    code, data = _json(["opportunities", str(ws.root)])
    assert code == 2 and "totalplace count" in data["error"]["message"]


def test_workspace_assumptions_change_the_money_and_bad_ones_name_the_field(
    demo_ws: Workspace,
) -> None:
    """Guards the documented assumption: a workspace saying 10% doubles every
    shared supplier's value; a share of "ten" is refused naming the file,
    table and field."""
    before = {
        x.id: x.value_pence
        for x in build_register(demo_ws, read_count(demo_ws.root))
        if x.kind == "shared_supplier"
    }
    path = demo_ws.root / ASSUMPTIONS_FILE
    path.write_text('[shared_supplier]\nsaving_share = "0.10"\n', encoding="utf-8")
    try:
        after = {
            x.id: x
            for x in build_register(demo_ws, read_count(demo_ws.root))
            if x.kind == "shared_supplier"
        }
        assert after.keys() == before.keys()
        for oid, x in after.items():
            assert abs(x.value_pence - 2 * before[oid]) <= 1
            assert "at 10% of the combined spend" in x.description
        path.write_text('[shared_supplier]\nsaving_share = "ten"\n', encoding="utf-8")
        with pytest.raises(ConfigError, match=r"opportunity_assumptions.toml: \[shared_supplier\] "
                           r"saving_share"):  # fmt: skip
            load_assumptions(demo_ws.root)
        path.write_text("[shared_suppliers]\ntop = 3\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"\[shared_suppliers\] is not an assumption"):
            load_assumptions(demo_ws.root)
    finally:
        path.unlink()


def test_a_note_without_a_mark_is_refused(tmp_path: Path) -> None:
    """Guards against a note typed without --mark being dropped unseen."""
    code, data = _json(["opportunities", str(tmp_path), "--note", "ask finance"])
    assert code == 2 and "--mark" in data["error"]["message"]


def test_items_under_the_floor_are_left_out_and_said(demo_ws: Workspace) -> None:
    """Guards the register's floor: an item worth less than [register]
    min_value_pounds is not listed, and the command says how many were left
    out and what they add up to, so nothing goes missing without a word."""
    every = build_register(demo_ws, read_count(demo_ws.root), everything=True)
    values = sorted(x.value_pence for x in every)
    floor = values[len(values) // 2] // 100 + 1  # about half the items fall under it
    below = [x for x in every if x.value_pence < floor * 100]
    assert 0 < len(below) < len(every)
    path = demo_ws.root / ASSUMPTIONS_FILE
    path.write_text(f"[register]\nmin_value_pounds = {floor}\n", encoding="utf-8")
    try:
        listed = build_register(demo_ws, read_count(demo_ws.root))
        assert {x.id for x in listed} == {x.id for x in every} - {x.id for x in below}
        code, data = _json(["opportunities", str(demo_ws.root)])
        assert code == 0
        assert len(data["opportunities"]) == len(listed)
        assert data["left_out"] == {
            "under_pounds": floor,
            "count": len(below),
            "value_pence": sum(x.value_pence for x in below),
        }
        text = runner.invoke(app, ["opportunities", str(demo_ws.root)]).stdout
        assert f"left out, each worth under £{floor:,}.00" in text
    finally:
        path.unlink()
