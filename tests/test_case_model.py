"""Impossible case files fail with the file, the field and what to do."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from totalplace.case import load_case
from totalplace.errors import ConfigError

from .test_case_engine import HAND_CASE


def _write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "bad-case.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def _changed(dotted: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(HAND_CASE)
    *path, last = dotted.split(".")
    node: Any = raw
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return raw


@pytest.mark.parametrize(
    ("dotted", "value", "field", "says"),
    [
        ("cohort.size", -5, "cohort.size", "negative"),
        ("cohort.engagement", 1.2, "cohort.engagement", "over 1"),
        ("outcomes.0.deadweight", 1.5, "outcomes[0].deadweight", "over 1"),
        ("outcomes.0.drop_off", {"low": 0.1, "high": 1.4}, "outcomes[0].drop_off", "over 1"),
        ("outcomes.0.change", {"normal": [0.2, -0.1]}, "outcomes[0].change", "spread"),
        ("outcomes.0.unit_cost", "NO-SUCH-COST", "outcomes[0].unit_cost", "unknown unit cost"),
        ("outcomes.0.confidence", 9, "outcomes[0].confidence", "not a confidence grade"),
        ("costs.0.agency", "Police", "costs[0].agency", "not in [agencies]"),
        ("costs.0.by_year", [-10], "costs[0].by_year[0]", "cannot be negative"),
        ("case.price_year", "2014", "case.price_year", "not a financial year"),
        ("case.years", 0, "case.years", "below 1"),
        ("case.discount", "treasury", "case.discount", "neither a schedule"),
    ],
)
def test_impossible_inputs_name_the_file_and_field(
    tmp_path: Path, dotted: str, value: Any, field: str, says: str
) -> None:
    path = _write(tmp_path, _changed(dotted, value))
    with pytest.raises(ConfigError) as info:
        load_case(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {field}: ")
    assert says in message


def test_bearer_shares_must_add_up(tmp_path: Path) -> None:
    raw = _changed("outcomes.0.bearers.0.share", 0.7)
    with pytest.raises(ConfigError, match=r"outcomes\[0\]\.bearers: the shares must add up to 1"):
        load_case(_write(tmp_path, raw))


def test_a_price_year_outside_the_deflator_series_names_the_field(tmp_path: Path) -> None:
    raw = copy.deepcopy(HAND_CASE)
    raw["unit_costs"]["T1"]["price_year"] = "1900-01"
    path = _write(tmp_path, raw)
    with pytest.raises(ConfigError) as info:
        load_case(path)
    assert str(info.value).startswith(f"{path}: unit_costs.T1.price_year: cannot uprate")


def test_not_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[case\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_case(path)


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"absent\.toml: cannot read the case file"):
        load_case(tmp_path / "absent.toml")


def test_a_good_file_loads_with_its_defaults(tmp_path: Path) -> None:
    case = load_case(_write(tmp_path, HAND_CASE))
    assert case.discount == "standard"
    assert case.outcomes[0].attribution.base == 0.75
    assert case.costs[1].confidence is None
    assert case.costs[0].scale.base == 1.0
    assert case.cohort.first_year == 0
