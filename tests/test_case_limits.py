"""Case files with impossible numbers fail with a ConfigError naming the key
(exit 2), never a traceback; Monte Carlo draws are capped before allocating."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from totalplace.case import appraise, load_case
from totalplace.case import montecarlo as mc
from totalplace.cli import app
from totalplace.errors import ConfigError

SHIPPED = (
    files("totalplace")
    .joinpath("data/cases/birmingham_drug_treatment.toml")
    .read_text(encoding="utf-8")
)
runner = CliRunner()


def case_file(tmp_path: Path, old: str, new: str) -> Path:
    assert SHIPPED.count(old) == 1, old
    path = tmp_path / "case.toml"
    path.write_text(SHIPPED.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('discount = "standard"', "discount = nan", "case.discount"),
        ('discount = "standard"', "discount = inf", "case.discount"),
        ("size = 1000", "size = 1e300", "cohort.size"),
        ("size = 1000", "size = {normal = [1e308, 1e308]}", "cohort.size"),
        ("size = 1000", "size = {normal = [1000, 1e300]}", "cohort.size"),
        ("size = 1000", "size = {lognormal = [1000, 800]}", "cohort.size"),
        ("size = 1000", "size = {low = 1, high = 1e300}", "cohort.size"),
        ("by_year = [2_449_760,", "by_year = [1e300,", "costs[0].by_year[0]"),
        ("delivery_years = 3", "delivery_years = 1_000_000_000_000", "cohort.delivery_years"),
    ],
)
def test_overflowing_case_value_is_a_config_error_naming_the_key(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    path = case_file(tmp_path, old, new)
    with pytest.raises(ConfigError, match=re.escape(f"case.toml: {key}: ")):
        appraise(load_case(path), draws=100)


def test_nan_discount_exits_2_with_the_error_shape(tmp_path: Path) -> None:
    path = case_file(tmp_path, 'discount = "standard"', "discount = nan")
    result = runner.invoke(app, ["case", str(path), "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError" and "case.discount" in error["message"]


def test_wide_lognormal_draws_never_overflow() -> None:
    # sigma as wide as the cap allows: the 90th percentile sits just under 10^9
    sigma = np.log(mc.MAX_INPUT / 1000) / mc.Z90 * 0.999
    param = mc.parse_param("cohort.size", {"lognormal": [1000, sigma]}, upper=None)
    with np.errstate(all="raise"):
        draws = param.sample(np.random.default_rng(1), 200_000)
    assert np.isfinite(draws).all() and draws.max() <= mc.MAX_INPUT


def test_draws_past_the_cap_are_refused_before_any_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = load_case(case_file(tmp_path, "size = 1000", "size = 1000"))

    def no_allocation(*args: object, **kw: object) -> object:
        raise AssertionError("draws were allocated")

    monkeypatch.setattr(mc, "draw_values", no_allocation)
    with pytest.raises(ConfigError, match=r"--draws 1,000,000,000 is over the limit of 1,000,000"):
        appraise(case, draws=10**9)
    with pytest.raises(ConfigError, match="--max-draws"):
        appraise(case, draws=11, max_draws=10)


def test_max_draws_flag_raises_the_cap(tmp_path: Path) -> None:
    path = case_file(tmp_path, "size = 1000", "size = {low = 900, high = 1100}")
    result = runner.invoke(app, ["case", str(path), "--draws", "50", "--max-draws", "10", "--json"])
    assert result.exit_code == 2
    assert "--max-draws" in json.loads(result.stdout)["error"]["message"]
    result = runner.invoke(app, ["case", str(path), "--draws", "50", "--max-draws", "50", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["monte_carlo"]["draws"] == 50


def test_figures_too_large_for_pence_name_the_largest_inputs(tmp_path: Path) -> None:
    # each input within its limit, their product (10^9 people x 10^9 units x £9 x 10^12)
    # beyond any whole number of pence
    path = case_file(tmp_path, "size = 1000", "size = 1e9")
    text = path.read_text(encoding="utf-8").replace(
        'unit_cost = "HE2.0"\n', 'unit_cost = "BIG"\nunits = 1e9\n', 1
    )
    text += '\n[unit_costs.BIG]\nagency = "NHS Birmingham"\nfiscal = 9_000_000_000_000\n'
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="too large to count in whole pence") as err:
        appraise(load_case(path), draws=10)
    assert "cohort.size = 1e+09, outcomes[0].units = 1e+09" in str(err.value)
