"""`totalplace benchmark`: with a workspace or with --place and --year, the
tables, charts and workbook written, --json, and errors in the one shape."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.workspace import Workspace

runner = CliRunner()
TRAFFORD = "E08000009"


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["benchmark", *args])
    return result.exit_code, result.stdout


def test_benchmark_of_a_place_writes_tables_charts_and_workbook(tmp_path: Path) -> None:
    code, out = _run(
        "--place", "Trafford", "--year", "2017-18", "--neighbours", "Stockport,Warrington",
        "--indicator", "obese_reception", "--reports", str(tmp_path), "--json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["place"]["gss"] == TRAFFORD
    assert data["neighbours_source"] == "given"
    assert [n["name"] for n in data["neighbours"]] == ["Stockport", "Warrington"]
    assert [o["id"] for o in data["outcomes"]] == ["obese_reception"]
    folder = tmp_path / "benchmark"
    for name in ("per_head.csv", "outcomes.csv", "funnel.csv", "trend.csv", "breaks.csv"):
        assert (folder / name).is_file(), name
    with (folder / "per_head.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["comparator"] for r in rows} >= {TRAFFORD, "neighbours", "region", "england"}
    html = (folder / "benchmark.html").read_text(encoding="utf-8")
    assert "funnel-obese_reception" in html and "quadrant-obese_reception" in html
    assert "trend-obese_reception" in html
    assert "src='plotly.min.js'" in html and (folder / "plotly.min.js").is_file()
    book = load_workbook(tmp_path / "benchmark.xlsx", read_only=True)
    assert "Per head" in book.sheetnames and "Funnel" in book.sheetnames
    book.close()
    assert str(tmp_path / "benchmark.xlsx") in data["reports"]


def test_benchmark_of_a_workspace_takes_its_place_and_year(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", [TRAFFORD], "2016-17")
    code, out = _run(str(ws.root), "--indicator", "depression", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["place"]["gss"] == TRAFFORD and data["year"] == "2016-17"
    # no outturn ships for 2016-17: the nearest year's, said so
    assert data["spend_year"] == "2017-18" and "nearest year" in data["notes"][0]
    assert (ws.root / "reports" / "benchmark.xlsx").is_file()


def test_benchmark_without_a_place_fails_in_the_one_error_shape() -> None:
    code, out = _run("--json")
    assert code == 2
    assert json.loads(out)["error"]["type"] == "ConfigError"


def test_benchmark_refuses_prices_outside_the_deflators(tmp_path: Path) -> None:
    code, out = _run("--place", "Trafford", "--year", "2017-18", "--prices", "2030-31",
                     "--reports", str(tmp_path), "--json")  # fmt: skip
    assert code == 2
    assert "no GDP deflator for '2030-31'" in json.loads(out)["error"]["message"]


def test_benchmark_refuses_an_unknown_indicator_naming_the_known_ones(tmp_path: Path) -> None:
    code, out = _run("--place", "Trafford", "--year", "2017-18", "--indicator", "nope",
                     "--reports", str(tmp_path), "--json")  # fmt: skip
    assert code == 2
    message = json.loads(out)["error"]["message"]
    assert "nope" in message and "obese_reception" in message


def test_summary_says_when_no_value_is_published_for_the_council() -> None:
    from totalplace.report.benchmark_files import summary_lines

    data = {
        "place": {"gss": "E10000016", "name": "Kent"},
        "spend_year": "2013-14",
        "total_line": "total_service_expenditure",
        "per_head": [],
        "outcomes": [{"label": "Obese 4-5 year olds (%)", "points": [
            {"gss": "E07000105", "value": 9.0, "status": "within"}]}],
    }  # fmt: skip
    assert summary_lines(data) == ["Obese 4-5 year olds (%): no value published for Kent"]


def test_benchmark_without_neighbours_named_takes_the_15_nearest(tmp_path: Path) -> None:
    from totalplace.reference.neighbours import nearest

    code, out = _run("--place", "Trafford", "--year", "2017-18", "--indicator", "neet",
                     "--reports", str(tmp_path), "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    expected = [n.gss for n in nearest(TRAFFORD, 15).neighbours]
    assert [n["gss"] for n in data["neighbours"]] == expected
    distances = [n["distance"] for n in data["neighbours"]]
    assert distances == sorted(distances)
    assert "nearest statistical neighbours" in data["neighbours_source"]
