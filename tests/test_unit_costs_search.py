"""Finding a unit cost: `totalplace unit-costs [SEARCH]` lists the Unit Cost
Database entries a case can use, and a case naming a code the database lacks
is refused with the nearest codes, by code and by description."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from typer.testing import CliRunner

from totalplace.case import load_case
from totalplace.cli import app
from totalplace.errors import ConfigError
from totalplace.reference.unit_costs import nearest, search, unit_costs

from .test_case_engine import HAND_CASE

runner = CliRunner()


def _case(tmp_path: Path, code: str) -> Path:
    raw: dict[str, Any] = copy.deepcopy(HAND_CASE)
    raw["outcomes"][0]["unit_cost"] = code
    path = tmp_path / "case.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def test_search_matches_every_word_in_code_or_description_ignoring_case() -> None:
    table = unit_costs()
    assert [c.code for c in search("ARREST", table)] == ["CR7.0", "CR7.1"]
    assert [c.code for c in search("arrest detained", table)] == ["CR7.0"]
    # a code's words: "cr1.4" finds CR1.4 and its constituents, not CR1.0
    assert [c.code for c in search("cr1.4", table)][:2] == ["CR1.4", "CR1.4.1"]
    assert len(search("", table)) == len(table) == 684


def test_unit_costs_command_lists_matches_with_unit_value_year_and_source() -> None:
    result = runner.invoke(app, ["unit-costs", "arrest"])
    assert result.exit_code == 0, result.output
    assert "2 of 684 unit costs" in result.output
    row = next(line for line in result.output.splitlines() if "CR7.0" in line)
    for text in ("Arrest - detained", "per incident", "£593.00", "2006-07", "Salford"):
        assert text in row


def test_unit_costs_json_is_a_list_of_objects_with_exact_pounds() -> None:
    result = runner.invoke(app, ["unit-costs", "CR7.0", "--json"])
    assert result.exit_code == 0, result.output
    (cost,) = json.loads(result.stdout)
    assert cost["code"] == "CR7.0" and cost["unit"] == "per incident"
    assert cost["fiscal_pounds"] == "593" and cost["economic_pounds"] is None
    assert cost["price_year"] == "2006-07" and cost["source_ref"] == "Crime!C55"
    everything = json.loads(runner.invoke(app, ["unit-costs", "--json"]).stdout)
    assert len(everything) == 684
    # a value the workbook derives by formula keeps its digits: text, not a rounded float
    assert next(c for c in everything if c["code"] == "SS11.2")["fiscal_pounds"].startswith(
        "24.666666"
    )


def test_unit_costs_command_includes_a_users_csv(tmp_path: Path) -> None:
    csv = tmp_path / "mine.csv"
    csv.write_text(
        "code,description,unit,agency,fiscal,economic,social,price_year\n"
        "MY-1,Reablement package at home,per person,Local Authority,1200,,,2014-15\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["unit-costs", "reablement", "--unit-costs", str(csv), "--json"])
    assert result.exit_code == 0, result.output
    found = {c["code"]: c for c in json.loads(result.stdout)}
    assert found["MY-1"]["user_supplied"] is True and found["MY-1"]["fiscal_pounds"] == "1200"
    shipped = json.loads(runner.invoke(app, ["unit-costs", "reablement", "--json"]).stdout)
    assert "MY-1" not in {c["code"] for c in shipped}


def test_unit_costs_command_with_no_match_offers_the_nearest() -> None:
    result = runner.invoke(app, ["unit-costs", "prison plase"])
    assert result.exit_code == 0, result.output
    assert "no unit cost matches 'prison plase'" in result.output and "CR3.0" in result.output
    assert json.loads(runner.invoke(app, ["unit-costs", "zzqx", "--json"]).stdout) == []


def test_unit_costs_command_unreadable_csv_is_one_error_shape(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["unit-costs", "--unit-costs", str(tmp_path / "none.csv"), "--json"]
    )
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError" and "none.csv" in error["message"]


def test_nearest_codes_put_the_same_heading_first_and_read_descriptions() -> None:
    table = unit_costs()
    assert [c.code for c in nearest("CR1.9", table)] == [
        "CR1.4",
        "CR1.3",
        "CR1.2",
        "CR1.1",
        "CR1.0",
    ]
    assert nearest("cr7.0", table)[0].code == "CR7.0"
    # a description, or words of one, given where the code belongs
    assert nearest("Criminal proceedings: Arrest - detained", table)[0].code == "CR7.0"
    assert nearest("prison place", table)[0].code == "CR3.0"
    # words nearly every description holds ("cost") suggest nothing
    assert nearest("NO-SUCH-COST", table) == []


@pytest.mark.parametrize(
    ("code", "first"),
    [("CR7.9", "CR7."), ("arrest detained", "CR7.0"), ("cr3.0", "CR3.0")],
)
def test_unknown_unit_cost_in_a_case_names_file_field_and_nearest_codes(
    tmp_path: Path, code: str, first: str
) -> None:
    path = _case(tmp_path, code)
    with pytest.raises(ConfigError) as info:
        load_case(path)
    message = str(info.value)
    assert message.startswith(f"{path}: outcomes[0].unit_cost: unknown unit cost {code!r}")
    near = message[message.index("the nearest codes: ") :]
    nearest_code = near.split()[3]
    assert nearest_code.startswith(first)
    assert table_description(nearest_code)[:30] in near
    assert "totalplace unit-costs" in message and f"[unit_costs.{code}]" in message


def table_description(code: str) -> str:
    return unit_costs()[code].description


def test_a_broken_unit_costs_csv_is_not_reported_as_an_unknown_code(tmp_path: Path) -> None:
    bad = tmp_path / "mine.csv"
    bad.write_text("code,description\nMY-1,no values\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_case(_case(tmp_path, "CR7.0"), bad)
    assert "missing column" in str(info.value) and "unknown unit cost" not in str(info.value)


def test_a_typo_of_the_cases_own_unit_cost_code_suggests_that_code_first(
    tmp_path: Path,
) -> None:
    path = _case(tmp_path, "T2")  # HAND_CASE defines [unit_costs.T1]
    with pytest.raises(ConfigError) as info:
        load_case(path)
    message = str(info.value)
    assert message.startswith(f"{path}: outcomes[0].unit_cost: unknown unit cost 'T2'")
    assert "the nearest codes: T1 (in this case's [unit_costs])" in message
