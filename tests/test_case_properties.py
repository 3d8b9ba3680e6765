"""Invariants over generated cases: scaling money scales the NPV and leaves the BCR alone."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from totalplace.case import evaluate, result
from totalplace.case.model import parse_case
from totalplace.case.montecarlo import base_values

from .test_case_engine import HAND_CASE

rates = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
amounts = st.integers(min_value=0, max_value=10_000_000)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    raw = copy.deepcopy(HAND_CASE)
    years = draw(st.integers(min_value=1, max_value=40))
    raw["case"]["years"] = years
    raw["case"]["discount"] = draw(st.sampled_from(["standard", "health", 0.0, 0.06]))
    raw["cohort"] = {
        "size": draw(st.integers(min_value=0, max_value=50_000)),
        "engagement": draw(rates),
        "delivery_years": draw(st.integers(min_value=1, max_value=years)),
    }
    raw["costs"] = [
        {
            "agency": draw(st.sampled_from(["Council", "NHS"])),
            "by_year": draw(st.lists(amounts, min_size=1, max_size=years)),
            "confidence": draw(st.integers(min_value=1, max_value=6)),
        }
    ]
    raw["unit_costs"]["T1"] = {
        "agency": "NHS",
        "fiscal": draw(amounts),
        "economic": draw(amounts),
        "social": draw(amounts),
    }
    outcome = raw["outcomes"][0]
    for key in ("baseline", "change", "deadweight", "attribution", "displacement", "drop_off"):
        outcome[key] = draw(rates)
    outcome["confidence"] = draw(st.integers(min_value=1, max_value=6))
    return raw


def _scaled(raw: dict[str, Any], k: int) -> dict[str, Any]:
    scaled = copy.deepcopy(raw)
    for line in scaled["costs"]:
        line["by_year"] = [a * k for a in line["by_year"]]
    for uv in scaled["unit_costs"].values():
        for key in ("fiscal", "economic", "social"):
            uv[key] = uv[key] * k
    return scaled


@settings(max_examples=60, deadline=None)
@given(raw=cases(), k=st.integers(min_value=2, max_value=1000))
def test_scaling_money_scales_npv_and_keeps_bcr(raw: dict[str, Any], k: int) -> None:
    base, scaled = parse_case(raw, "gen.toml"), parse_case(_scaled(raw, k), "gen.toml")
    run = evaluate(base, base_values(base.params()), detail=False)
    run_k = evaluate(scaled, base_values(scaled.params()), detail=False)
    npv, npv_k = run.npv()[0], run_k.npv()[0]
    assert npv_k == pytest.approx(k * npv, rel=1e-9, abs=1e-6)
    # and at output, in whole pence: within the rounding of k half-pennies
    assert abs(result(scaled).npv - k * result(base).npv) <= k + 1
    bcr, bcr_k = run.bcr()[0], run_k.bcr()[0]
    if np.isfinite(bcr):
        assert bcr_k == pytest.approx(bcr, rel=1e-9, abs=1e-12)
    else:
        assert not np.isfinite(bcr_k)


@settings(max_examples=40, deadline=None)
@given(raw=cases())
def test_full_deadweight_zeroes_every_benefit(raw: dict[str, Any]) -> None:
    raw["outcomes"][0]["deadweight"] = 1.0
    res = result(parse_case(raw, "gen.toml"))
    assert res.pv_public == 0 and res.pv_fiscal == 0
    assert res.npv == -res.pv_costs


@settings(max_examples=40, deadline=None)
@given(raw=cases())
def test_agencies_add_up_to_the_totals(raw: dict[str, Any]) -> None:
    res = result(parse_case(raw, "gen.toml"))
    for t in range(len(res.costs)):
        assert abs(sum(a.costs[t] for a in res.agencies.values()) - res.costs[t]) <= 2
        assert abs(sum(a.fiscal[t] for a in res.agencies.values()) - res.fiscal[t]) <= 2
