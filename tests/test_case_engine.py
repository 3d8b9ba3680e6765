"""The engine against a hand calculation, and the rules that shape every figure."""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np
import pytest

from totalplace.case import Case, evaluate, result
from totalplace.case.compute import payback_years, to_pence
from totalplace.case.model import parse_case
from totalplace.case.montecarlo import base_values

HAND_CASE: dict[str, Any] = {
    "case": {"title": "hand", "price_year": "2014-15", "years": 3},
    "agencies": {"Council": "local", "NHS": {"level": "national"}},
    "cohort": {"size": 10, "engagement": 0.8, "delivery_years": 1},
    "costs": [
        {"agency": "Council", "kind": "setup", "by_year": [2000], "confidence": 4},
        {"agency": "NHS", "kind": "running", "by_year": [0, 500]},
    ],
    "unit_costs": {
        "T1": {"agency": "NHS", "fiscal": 1000, "economic": 200, "social": 100},
    },
    "outcomes": [
        {
            "name": "fewer admissions",
            "unit_cost": "T1",
            "baseline": 0.5,
            "change": 0.5,
            "deadweight": 0.2,
            "attribution": 0.75,
            "displacement": 0.1,
            "drop_off": 0.5,
            "confidence": 3,
            "bearers": [
                {"agency": "NHS", "share": 0.6, "cashable": True},
                {"agency": "Council", "share": 0.4},
            ],
        }
    ],
}


def case_from(raw: dict[str, Any], **changes: Any) -> Case:
    """A case from ``raw`` with dotted-path changes, e.g. ``{"outcomes.0.deadweight": 1}``."""
    data = copy.deepcopy(raw)
    for dotted, value in changes.get("changes", {}).items():
        *path, last = dotted.split(".")
        node: Any = data
        for part in path:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return parse_case(data, "hand.toml")


def _pence(pounds: Decimal) -> int:
    return int((pounds * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def test_engine_matches_the_hand_calculation() -> None:
    """The case above, worked through by hand in exact decimals.

    Engaged: 10 people x 0.8 = 8.  Units of saving in year 0:
    8 x baseline 0.5 x change 0.5 x (1 - deadweight 0.2) x attribution 0.75
    x (1 - displacement 0.1) = 1.08, less optimism bias for grade 3 (10%) = 0.972.
    Drop-off 0.5 halves it each year: 0.972, 0.486, 0.243.
    Fiscal at £1,000 a unit: £972.00, £486.00, £243.00; the NHS bears 60% (all
    cashable), the council 40% (none cashable).  Economic £200 and social £100 a
    unit add £291.60, £145.80, £72.90.  Costs: the council's £2,000 set-up with the
    grade-4 uplift of 15% is £2,300 in year 0; the NHS's £500 in year 1 has no grade.
    Discount factors 1, 1/1.035, 1/1.035**2.
    """
    units = [Decimal("0.972"), Decimal("0.486"), Decimal("0.243")]
    fiscal = [u * 1000 for u in units]
    public = [u * (1000 + 200 + 100) for u in units]
    costs = [Decimal(2300), Decimal(500), Decimal(0)]
    df = [Decimal(1), 1 / Decimal("1.035"), 1 / Decimal("1.035") ** 2]
    pv_public = sum(v * d for v, d in zip(public, df, strict=True))
    pv_fiscal = sum(v * d for v, d in zip(fiscal, df, strict=True))
    pv_costs = sum(v * d for v, d in zip(costs, df, strict=True))

    res = result(case_from(HAND_CASE))

    assert res.fiscal == [97200, 48600, 24300]
    assert res.public == [126360, 63180, 31590]
    assert res.costs == [230000, 50000, 0]
    assert res.agencies["NHS"].fiscal == [58320, 29160, 14580]
    assert res.agencies["NHS"].cashable == [58320, 29160, 14580]
    assert res.agencies["Council"].fiscal == [38880, 19440, 9720]
    assert res.agencies["Council"].cashable == [0, 0, 0]
    assert res.agencies["Council"].costs == [230000, 0, 0]
    assert res.pv_public == _pence(pv_public)
    assert res.pv_fiscal == _pence(pv_fiscal)
    assert res.pv_costs == _pence(pv_costs)
    assert res.npv == _pence(pv_public) - _pence(pv_costs)
    assert res.bcr == round(float(pv_public / pv_costs), 4)
    assert res.roi == round(float((pv_public - pv_costs) / pv_costs), 4)


def test_npv_at_a_zero_rate_is_the_undiscounted_sum() -> None:
    res = result(case_from(HAND_CASE, changes={"case.discount": 0.0}))
    assert res.discount_factors == [1.0, 1.0, 1.0]
    assert res.pv_public == sum(res.public)
    assert res.pv_costs == sum(res.costs)
    assert res.npv == sum(res.public) - sum(res.costs)


def test_full_deadweight_leaves_no_benefit() -> None:
    res = result(case_from(HAND_CASE, changes={"outcomes.0.deadweight": 1.0}))
    assert res.pv_public == 0
    assert res.fiscal == [0, 0, 0]
    assert res.pv_costs > 0


def test_transfer_payments_are_fiscal_but_not_public_value() -> None:
    raw = copy.deepcopy(HAND_CASE)
    raw["unit_costs"]["T1"]["transfer_payment"] = True
    plain, transfer = result(case_from(HAND_CASE)), result(case_from(raw))
    assert transfer.pv_fiscal == plain.pv_fiscal
    assert transfer.fiscal == plain.fiscal
    assert transfer.public == [p - f for p, f in zip(plain.public, plain.fiscal, strict=True)]


def test_lag_and_cohorts_over_several_delivery_years() -> None:
    """Two cohorts, a year apart, each saving from one year after joining, for two years."""
    res = result(
        case_from(
            HAND_CASE,
            changes={
                "case.years": 5,
                "cohort.delivery_years": 2,
                "outcomes.0.lag": 1,
                "outcomes.0.duration": 2,
                "outcomes.0.drop_off": 0.0,
            },
        )
    )
    # each cohort saves 0.972 units a year: cohort 0 in years 1-2, cohort 1 in years 2-3
    assert res.fiscal == [0, 97200, 194400, 97200, 0]


def test_payback_is_interpolated_within_the_year() -> None:
    net = np.array([-60.0, 40.0, 40.0, 40.0])
    assert payback_years(net, np.ones(4)) == 1.5
    assert payback_years(np.array([-60.0, 10.0]), np.ones(2)) is None
    assert payback_years(np.array([5.0, 10.0]), np.ones(2)) == 0.0


def test_grade_one_evidence_is_not_reduced() -> None:
    graded = result(case_from(HAND_CASE, changes={"outcomes.0.confidence": 1}))
    assert graded.fiscal == [108000, 54000, 27000]


def test_the_case_may_override_the_optimism_bias_table() -> None:
    raw = copy.deepcopy(HAND_CASE)
    raw["optimism_bias"] = {"3": 0.5}
    res = result(parse_case(raw, "hand.toml"))
    assert res.fiscal == [54000, 27000, 13500]
    assert res.case.grades.status == "case file"


def test_flows_split_each_saving_by_the_payers_share_of_costs() -> None:
    res = result(case_from(HAND_CASE))
    council, nhs = res.agencies["Council"], res.agencies["NHS"]
    total = council.pv_costs + nhs.pv_costs
    flows = {(p, b): v for p, b, v in res.flows}
    expected = Decimal(nhs.pv_fiscal) * Decimal(council.pv_costs) / Decimal(total)
    assert flows[("Council", "NHS")] == int(expected.quantize(Decimal(1), ROUND_HALF_EVEN))
    for beneficiary in ("Council", "NHS"):
        paid = flows[("Council", beneficiary)] + flows[("NHS", beneficiary)]
        assert abs(paid - res.agencies[beneficiary].pv_fiscal) <= 1


def test_json_carries_the_headline_keys_in_pence() -> None:
    data = result(case_from(HAND_CASE)).to_dict()
    for key in ("npv_pence", "bcr", "roi", "payback_years", "by_agency"):
        assert key in data
    by_agency = data["by_agency"]
    assert isinstance(by_agency, dict)
    council = by_agency["Council"]
    assert council["net_pence"] == council["benefits_pence"] - council["costs_pence"]


def test_one_row_and_many_rows_give_the_same_answer() -> None:
    case = case_from(HAND_CASE)
    one = evaluate(case, base_values(case.params()), detail=False).npv()
    many = evaluate(case, base_values(case.params(), 7), detail=False).npv()
    assert many.shape == (7,)
    assert np.all(many == one[0])


def test_to_pence_rounds_half_to_even() -> None:
    assert to_pence(0.125) == 12
    assert to_pence(0.135) == 14
    assert to_pence(-2.505) == -250
    with pytest.raises(ValueError):
        to_pence(float("nan"))


def test_warns_on_deadweight_against_a_comparison_group() -> None:
    case = case_from(HAND_CASE, changes={"outcomes.0.comparison_group": True})
    assert [i.slug for i in case.issues] == ["deadweight-on-comparison-group"]
    clean = case_from(
        HAND_CASE,
        changes={"outcomes.0.comparison_group": True, "outcomes.0.deadweight": 0.0},
    )
    assert clean.issues == ()


def test_warns_when_a_headline_cost_and_its_constituent_are_both_used() -> None:
    raw: dict[str, Any] = copy.deepcopy(HAND_CASE)
    raw["unit_costs"]["T1"]["contains"] = ["T2"]
    raw["unit_costs"]["T2"] = {"agency": "NHS", "fiscal": 300}
    raw["outcomes"].append({**raw["outcomes"][0], "name": "part", "unit_cost": "T2"})
    case: Case = parse_case(raw, "hand.toml")
    assert [i.slug for i in case.issues] == ["headline-and-constituent"]
