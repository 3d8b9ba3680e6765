"""Uncertain inputs: parsing, seeded draws, vectorised runs and the tornado."""

from __future__ import annotations

import math

import numpy as np
import pytest

from totalplace.case import evaluate, simulate, tornado
from totalplace.case.montecarlo import (
    ParamError,
    base_values,
    draw_values,
    parse_param,
    values_for,
)

from .test_case_engine import HAND_CASE, case_from

UNCERTAIN = {
    "cohort.size": {"low": 8, "base": 10, "high": 14},
    "outcomes.0.change": {"triangular": [0.3, 0.5, 0.6]},
    "outcomes.0.deadweight": {"uniform": [0.1, 0.3]},
    "outcomes.0.attribution": {"normal": [0.75, 0.1]},
    "outcomes.0.units": {"lognormal": [1.0, 0.2]},
    "costs.0.scale": {"low": 0.9, "high": 1.3},
}


def _uncertain_case():  # type: ignore[no-untyped-def]
    return case_from(HAND_CASE, changes=UNCERTAIN)


def test_forms_of_an_input() -> None:
    assert parse_param("x", 0.3, 1.0).dist is None
    ranged = parse_param("x", {"low": 0.2, "high": 0.4}, 1.0)
    assert (ranged.dist, ranged.base) == ("uniform", pytest.approx(0.3))
    tri = parse_param("x", {"low": 0.2, "base": 0.25, "high": 0.4}, 1.0)
    assert (tri.dist, tri.args, tri.base) == ("triangular", (0.2, 0.25, 0.4), 0.25)
    normal = parse_param("x", {"normal": [0.5, 0.1]}, 1.0)
    low, high = normal.low_high()
    assert low == pytest.approx(0.5 - 1.2815515655 * 0.1)
    assert high == pytest.approx(0.5 + 1.2815515655 * 0.1)
    lognormal = parse_param("x", {"lognormal": [2.0, 0.5], "base": 2.5}, None)
    assert lognormal.base == 2.5
    assert lognormal.low_high()[1] == pytest.approx(2.0 * math.exp(1.2815515655 * 0.5))


@pytest.mark.parametrize(
    "raw",
    [
        {"low": 0.5, "high": 0.2},
        {"low": 0.1, "base": 0.9, "high": 0.5},
        {"triangular": [0.5, 0.2, 0.9]},
        {"uniform": [0.1]},
        {"beta": [1, 2]},
        {"normal": [0.5, 0.1], "low": 0.2},
        {"lognormal": [0.0, 0.1]},
        "a lot",
        True,
    ],
)
def test_malformed_inputs_are_refused(raw: object) -> None:
    with pytest.raises(ParamError):
        parse_param("x", raw, 1.0)


def test_draws_are_reproducible_from_the_seed() -> None:
    case = _uncertain_case()
    first, again = simulate(case, 5_000, seed=7), simulate(case, 5_000, seed=7)
    other = simulate(case, 5_000, seed=8)
    assert np.array_equal(first.npv_samples, again.npv_samples)
    assert first.to_dict() == again.to_dict()
    assert not np.array_equal(first.npv_samples, other.npv_samples)


def test_draws_stay_within_each_inputs_bounds() -> None:
    case = _uncertain_case()
    values = draw_values(case.params(), 20_000, seed=1)
    attribution = values["outcomes[0].attribution"]
    assert attribution.min() >= 0.0
    assert attribution.max() <= 1.0
    assert values["cohort.size"].min() >= 8 and values["cohort.size"].max() <= 14


def test_n_draws_in_one_pass_equal_n_single_runs() -> None:
    case = _uncertain_case()
    params = case.params()
    values = draw_values(params, 40, seed=3)
    batch = evaluate(case, values, detail=False).npv()
    for row in range(40):
        single = {k: v[row : row + 1] if v.shape[0] > 1 else v for k, v in values.items()}
        assert evaluate(case, single, detail=False).npv()[0] == pytest.approx(batch[row], rel=1e-12)


def test_summary_statistics_come_from_the_draws() -> None:
    case = _uncertain_case()
    mc = simulate(case, 2_000, seed=11)
    samples = mc.npv_samples
    assert mc.p_npv_positive == pytest.approx(float(np.mean(samples > 0)))
    p10, p50, p90 = np.percentile(samples, [10, 50, 90])
    assert mc.npv_pence[1] == round(p50 * 100)
    assert mc.npv_pence[0] <= mc.npv_pence[1] <= mc.npv_pence[2]
    assert abs(mc.npv_pence[0] - p10 * 100) <= 1 and abs(mc.npv_pence[2] - p90 * 100) <= 1


def test_a_case_with_nothing_uncertain_has_one_npv_for_every_draw() -> None:
    case = case_from(HAND_CASE)
    mc = simulate(case, 100, seed=1)
    assert mc.npv_samples.shape == (100,)
    assert len(set(mc.npv_samples.tolist())) == 1
    assert tornado(case) == []


def test_tornado_bars_are_the_npv_at_each_end_sorted_by_swing() -> None:
    case = _uncertain_case()
    bars = tornado(case)
    assert [b.swing_pence for b in bars] == sorted((b.swing_pence for b in bars), reverse=True)
    assert len(bars) == len(UNCERTAIN)
    params = {p.id: p for p in case.params()}
    for bar in bars:
        low, high = params[bar.param].low_high()
        at_low = evaluate(case, values_for(params, {bar.param: low}), detail=False).npv()[0]
        at_high = evaluate(case, values_for(params, {bar.param: high}), detail=False).npv()[0]
        assert bar.npv_low_pence == round(at_low * 100)
        assert bar.npv_high_pence == round(at_high * 100)


def test_base_values_are_the_deterministic_run() -> None:
    case = _uncertain_case()
    values = base_values(case.params())
    assert values["cohort.size"][0, 0] == 10
    assert values["outcomes[0].change"][0, 0] == 0.5
    assert values["costs[0].scale"][0, 0] == pytest.approx(1.1)
