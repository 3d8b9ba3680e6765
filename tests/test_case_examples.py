"""The shipped worked examples load, use database unit costs without double counting, and
write their assumptions down.  They are illustrations: no test checks a quoted figure."""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import pytest

from totalplace.case import appraise, load_case

CASES = resources.files("totalplace").joinpath("data/cases")
NAMES = sorted(p.name for p in CASES.iterdir() if p.name.endswith(".toml"))


def test_three_examples_ship() -> None:
    assert NAMES == [
        "birmingham_drug_treatment.toml",
        "birmingham_early_intervention.toml",
        "westminster_family_recovery.toml",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_example_runs_with_its_assumptions_written_down(name: str) -> None:
    case = load_case(Path(str(CASES.joinpath(name))))
    assert len(case.assumptions) >= 3
    assert case.issues == ()
    assert any(uv.source == "database" for uv in case.unit_values.values())
    appraisal = appraise(case, draws=2_000, seed=1)
    res = appraisal.result
    assert res.pv_costs > 0 and res.pv_fiscal > 0
    mc = appraisal.monte_carlo
    assert mc is not None and 0.0 <= mc.p_npv_positive <= 1.0
    assert appraisal.tornado, "each example varies some inputs"
    assert all(math.isfinite(b.swing_pence) for b in appraisal.tornado)


def test_database_costs_are_uprated_to_the_case_price_year() -> None:
    from totalplace.reference.unit_costs import unit_cost, uprate

    case = load_case(Path(str(CASES.joinpath("birmingham_early_intervention.toml"))))
    stored = unit_cost("SS1.0")
    assert case.unit_values["SS1.0"].fiscal == uprate(
        stored.fiscal or 0, stored.price_year, "2009-10"
    )
    assert stored.price_year != case.price_year


def test_a_headline_and_its_database_constituent_are_flagged(tmp_path: Path) -> None:
    text = Path(str(CASES.joinpath("birmingham_drug_treatment.toml"))).read_text(encoding="utf-8")
    text += (
        '\n[[outcomes]]\nname = "again"\nunit_cost = "HE2.0.1"\nchange = 0.1\nconfidence = 3\n'
        'bearers = [{ agency = "Criminal Justice System", share = 1 }]\n'
    )
    path = tmp_path / "double.toml"
    path.write_text(text, encoding="utf-8")
    slugs = [i.slug for i in load_case(path).issues]
    assert slugs == ["headline-and-constituent"]
