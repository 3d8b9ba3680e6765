"""totalplace case: the JSON shape, exit codes, the workbook and the gain-share wiring."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import tomli_w
from openpyxl import load_workbook
from typer.testing import CliRunner

from totalplace.cli import app

from .test_case_engine import HAND_CASE

runner = CliRunner()


def _case_file(tmp_path: Path, raw: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "hand.toml"
    path.write_text(tomli_w.dumps(raw or HAND_CASE), encoding="utf-8")
    return path


def _uncertain() -> dict[str, Any]:
    raw = copy.deepcopy(HAND_CASE)
    raw["outcomes"][0]["change"] = {"low": 0.3, "base": 0.5, "high": 0.7}
    return raw


def test_json_has_the_headline_figures_in_pence(tmp_path: Path) -> None:
    out = runner.invoke(app, ["case", str(_case_file(tmp_path, _uncertain())), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    for key in ("npv_pence", "bcr", "roi", "payback_years", "by_agency", "monte_carlo"):
        assert key in data
    assert isinstance(data["npv_pence"], int)
    for line in data["by_agency"].values():
        assert {"costs_pence", "benefits_pence", "net_pence"} <= set(line)
        assert line["net_pence"] == line["benefits_pence"] - line["costs_pence"]
    mc = data["monte_carlo"]
    for key in ("p_npv_positive", "npv_p10_pence", "npv_p50_pence", "npv_p90_pence"):
        assert key in mc
    assert mc["npv_p10_pence"] <= mc["npv_p50_pence"] <= mc["npv_p90_pence"]
    assert data["tornado"][0]["param"] == "outcomes[0].change"


def test_seed_and_draws_reach_the_monte_carlo(tmp_path: Path) -> None:
    path = str(_case_file(tmp_path, _uncertain()))
    runs = [
        json.loads(runner.invoke(app, ["case", path, "--json", *args]).stdout)["monte_carlo"]
        for args in (["--draws", "500", "--seed", "5"], ["--draws", "500", "--seed", "5"])
    ]
    assert runs[0] == runs[1]
    assert runs[0]["draws"] == 500 and runs[0]["seed"] == 5
    none = json.loads(runner.invoke(app, ["case", path, "--json", "--draws", "0"]).stdout)
    assert none["monte_carlo"] is None


def test_the_table_shows_the_matrix(tmp_path: Path) -> None:
    out = runner.invoke(app, ["case", str(_case_file(tmp_path))])
    assert out.exit_code == 0, out.output
    assert "Who pays, who benefits" in out.stdout
    assert "all national" in out.stdout


def test_a_bad_case_file_exits_2_naming_file_and_field(tmp_path: Path) -> None:
    raw = copy.deepcopy(HAND_CASE)
    raw["cohort"]["size"] = -1
    path = _case_file(tmp_path, raw)
    out = runner.invoke(app, ["case", str(path)])
    assert out.exit_code == 2
    assert f"{path}: cohort.size:" in " ".join(out.stderr.split())


def test_workbook_has_four_sheets_pound_formats_and_no_formulas(tmp_path: Path) -> None:
    raw = copy.deepcopy(HAND_CASE)
    raw["case"]["title"] = '=HYPERLINK("http://example.invalid")'
    raw["case"]["assumptions"] = ["+1 evil", "@SUM(A1)", "-2 also", "plain words"]
    target = tmp_path / "case.xlsx"
    out = runner.invoke(app, ["case", str(_case_file(tmp_path, raw)), "--xlsx", str(target)])
    assert out.exit_code == 0, out.output
    wb = load_workbook(target)
    assert wb.sheetnames == ["Summary", "Assumptions", "By agency and year", "Matrix"]
    texts = [
        c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)
    ]
    assert all(c.data_type == "s" for c in texts)
    assert not any(c.value.startswith(("=", "+", "-", "@")) for c in texts)
    assert '\'=HYPERLINK("http://example.invalid")' in {c.value for c in texts}
    npv = wb["Summary"]["B4"]
    assert wb["Summary"]["A4"].value == "NPV"
    assert "£" in npv.number_format
    data = json.loads(runner.invoke(app, ["case", str(_case_file(tmp_path, raw)), "--json"]).stdout)
    assert round(float(npv.value) * 100) == data["npv_pence"]


def test_gain_share_prints_each_partners_cash_flow(tmp_path: Path) -> None:
    raw = copy.deepcopy(HAND_CASE)
    raw["unit_costs"]["T1"]["fiscal"] = 20_000
    path = str(_case_file(tmp_path, raw))
    out = runner.invoke(app, ["case", path, "--json", "--partners", "Council,NHS"])
    assert out.exit_code == 0, out.output
    split = json.loads(out.stdout)["gain_share"]
    assert split["feasible"], split["reason"]
    assert set(split["cash_flows"]) == {"Council", "NHS"}
    table = runner.invoke(app, ["case", path, "--cashable-only", "--partners", "NHS"])
    assert "each partner's cash flow by year" in table.stdout
    bad = runner.invoke(app, ["case", path, "--partners", "Police"])
    assert bad.exit_code == 2
    assert "Police are not agencies of the case" in bad.stderr


def test_gain_share_keeps_within_each_partners_yearly_cash_limit(tmp_path: Path) -> None:
    raw = copy.deepcopy(HAND_CASE)
    raw["unit_costs"]["T1"]["fiscal"] = 20_000
    path = str(_case_file(tmp_path, raw))
    limits = tmp_path / "limits.toml"
    limits.write_text('"Council" = [0, 0, 0]\n', encoding="utf-8")
    out = runner.invoke(app, ["case", path, "--json", "--cash-limits", str(limits)])
    assert out.exit_code == 0, out.output
    split = json.loads(out.stdout)["gain_share"]
    assert split["feasible"], split["reason"]
    assert split["contributions"]["Council"] == [0, 0, 0]
    assert split["contributions"]["NHS"] == [230_000, 50_000, 0]  # the cash costs, all NHS
    limits.write_text('"Council" = [1000]\n"NHS" = [0, 0, 0]\n', encoding="utf-8")
    tight = json.loads(
        runner.invoke(app, ["case", path, "--json", "--cash-limits", str(limits)]).stdout
    )["gain_share"]
    assert not tight["feasible"] and tight["reason"]
    limits.write_text('"Police" = [0]\n', encoding="utf-8")
    bad = runner.invoke(app, ["case", path, "--cash-limits", str(limits)])
    assert bad.exit_code == 2 and "'Police' is not an agency of the case" in bad.stderr


def test_html_charts_are_written(tmp_path: Path) -> None:
    target = tmp_path / "case.html"
    out = runner.invoke(
        app, ["case", str(_case_file(tmp_path, _uncertain())), "--html", str(target)]
    )
    assert out.exit_code == 0, out.output
    assert target.stat().st_size > 0
