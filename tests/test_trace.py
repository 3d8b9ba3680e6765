"""trace lists the rows the count summed: one definition of a cell, on both
engines, and an agency named as the registry knows it."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from totalplace.classify import classify_workspace
from totalplace.cli import app
from totalplace.count.cube import build_count
from totalplace.count.place_count import PlaceCount
from totalplace.count.trace import trace
from totalplace.demo import run_demo, write_demo_bodies
from totalplace.demo_data import CITY
from totalplace.ingest import ingest_files
from totalplace.orgs.resolve import ORGS_DIR, resolve_workspace
from totalplace.report.run import count_workspace
from totalplace.workspace import Workspace

GATESHEAD = "E08000037"
GATESHEAD_IN_COUNT = "Gateshead Metropolitan Borough Council"


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    _, ws = run_demo(tmp_path_factory.mktemp("demo") / "demo")
    count_workspace(ws)  # classifies and resolves the demo's payees
    return ws


@pytest.fixture(scope="module")
def gateshead(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, PlaceCount]:
    ws = Workspace.create(tmp_path_factory.mktemp("gh") / "ws", [GATESHEAD], "2010-11")
    return ws, build_count(ws)


def _transaction_cells(count: PlaceCount) -> dict[tuple[str, str], int]:
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for x in count.lines:
        if x.method == "transactions":
            cells[(x.agency, x.theme)] += x.pence
    return dict(cells)


def test_every_cell_traces_to_rows_that_add_up_to_it(demo_ws: Workspace, engine: str) -> None:
    """Guards against trace choosing rows by a rule of its own: every
    transaction cell of the synthetic place, counted on ``engine``, is traced
    on the same engine to rows whose pence are the cell's, to the penny."""
    count = build_count(demo_ws, engine)
    cells = _transaction_cells(count)
    assert len(cells) >= 10  # the demo's payers pay for many themes
    for (agency, theme), pence in sorted(cells.items()):
        cell = trace(demo_ws, count, agency, theme, limit=3, engine=engine)
        assert cell.rows_pence == pence, (agency, theme)
        assert cell.rows_total >= len(cell.rows) > 0
        assert cell.rows == sorted(cell.rows, key=lambda r: -abs(r.pence))


CITY_CSV = "\n".join(
    [
        "Payment Date,Amount,Supplier Name,Service,Expense Type,Capital or Revenue",
        "2010-06-01,100.00,Nowhere Trading,Xyzzy,Plugh,Revenue",  # no rule: unclassified
        "2010-06-02,2000.00,HMRC,Xyzzy,Plugh,Revenue",  # pass-through, no theme
        "2010-06-03,30000.00,Nowhere Trading,Xyzzy,Plugh,Capital",  # capital
    ]
)


def test_capital_and_pass_through_rows_are_not_traced_to_a_revenue_cell(
    tmp_path: Path,
) -> None:
    """Guards the cell's definition (``in_revenue_lines``): a council's
    unclassified cell holds its unclassified revenue payments only, not the
    tax it passes on to HMRC (pass-through, which has no theme either) nor
    its capital payments, which the count takes from the regional lines."""
    ws = Workspace.create(tmp_path / "ws", ["E99999901", "E99999902"], "2010-11")
    write_demo_bodies(ws.root / ORGS_DIR)
    src = tmp_path / "city.csv"
    src.write_text(CITY_CSV + "\n", encoding="utf-8")
    assert ingest_files(ws, [src], publisher=CITY).ok
    classify_workspace(ws, model=False)  # the rules alone: the first row stays unclassified
    resolve_workspace(ws)
    count = build_count(ws)
    cell = trace(ws, count, CITY, "unclassified")
    assert cell.pence == 10_000
    assert (cell.rows_total, cell.rows_pence) == (1, 10_000)


def test_trace_takes_a_name_the_registry_knows_for_the_counted_agency(
    gateshead: tuple[Workspace, PlaceCount],
) -> None:
    """Guards against trace matching the agency by exact text only: the count
    says Gateshead Metropolitan Borough Council and a user types the name the
    council calls itself."""
    ws, count = gateshead
    line = next(x for x in count.lines if x.agency == GATESHEAD_IN_COUNT)
    cell = trace(ws, count, "Gateshead Council", line.theme)
    assert cell.agency == GATESHEAD_IN_COUNT
    assert cell.lines and cell.pence == sum(
        x.pence for x in count.lines if x.agency == GATESHEAD_IN_COUNT and x.theme == line.theme
    )


def test_trace_command_finds_an_alias_and_offers_the_nearest_for_an_unknown_name(
    gateshead: tuple[Workspace, PlaceCount],
) -> None:
    ws, count = gateshead
    line = next(x for x in count.lines if x.agency == GATESHEAD_IN_COUNT)
    args = ["trace", str(ws.root), "--agency", "Gateshead Council", "--theme", line.theme]
    found = CliRunner().invoke(app, [*args, "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["agency"] == GATESHEAD_IN_COUNT
    unknown = ["trace", str(ws.root), "--agency", "Gateshead Hospitals", "--theme", line.theme]
    missed = CliRunner().invoke(app, unknown)
    assert missed.exit_code == 1
    assert "nearest agency names" in missed.stderr and GATESHEAD_IN_COUNT in missed.stderr
    as_json = CliRunner().invoke(app, [*unknown, "--json"])
    assert as_json.exit_code == 1
    assert GATESHEAD_IN_COUNT in json.loads(as_json.stdout)["nearest"]


def test_trace_on_an_unknown_engine_is_a_config_error(
    gateshead: tuple[Workspace, PlaceCount],
) -> None:
    """Even a workspace with no spend files (the count is top down alone)
    refuses an engine it cannot run, in the CLI's one error shape."""
    ws, _ = gateshead
    args = ["trace", str(ws.root), "--agency", GATESHEAD_IN_COUNT, "--theme", "x"]
    result = CliRunner().invoke(app, [*args, "--engine", "nosuch", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["type"] == "ConfigError"


@pytest.mark.parametrize("command", ["count", "trace"])
def test_spark_without_pyspark_names_the_extra_to_install(
    gateshead: tuple[Workspace, PlaceCount], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """pyspark is an optional extra: --engine spark where it is not installed
    is a ConfigError that names the install command, not a traceback."""
    ws, _ = gateshead
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    args = [command, str(ws.root), "--engine", "spark", "--json"]
    if command == "trace":
        args += ["--agency", GATESHEAD_IN_COUNT, "--theme", "x"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError"
    assert "pip install 'totalplace[spark]'" in error["message"]


def test_a_council_splitting_its_outturn_traces_to_the_rows_its_lines_hold(
    spend_dir: Path, tmp_path: Path
) -> None:
    """Guards against trace listing rows the count took out of a council's
    payments before they split its outturn: Manchester's capital and
    council-housing payments (set apart) and its levy to the transport
    authority (pass-through) are in no revenue line, so no cell traces to them."""
    ws = Workspace.create(tmp_path / "ws", ["E08000003"], "2010-11")
    ingest_files(ws, sorted((spend_dir / "manchester").glob("*.csv")), "Manchester City Council")
    count, _ = count_workspace(ws)
    assert count.set_apart  # the case this guards
    cells = _transaction_cells(count)
    assert len(cells) >= 5
    for (agency, theme), pence in sorted(cells.items()):
        cell = trace(ws, count, agency, theme, limit=1)
        assert cell.rows_pence == pence, (agency, theme)
