"""Gain-share: partners fund the investment so none is left worse off, to the penny."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from totalplace.case.gainshare import GainShare, propose_split
from totalplace.errors import ConfigError

# Factors that are exact binary fractions, so every PV below is worked by hand.
HALVING = [1.0, 0.5, 0.25]
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)


def exact_pv(row: Sequence[int], factors: Sequence[float]) -> Fraction:
    return sum((Fraction(d) * v for d, v in zip(factors, row, strict=True)), Fraction(0))


def assert_invariants(
    result: GainShare,
    investment: Sequence[int],
    savings: Mapping[str, Sequence[int]],
    partners: Sequence[str],
    limits: Mapping[str, Sequence[int]],
    factors: Sequence[float],
) -> None:
    assert result.feasible, result.reason
    assert result.reason == ""
    assert list(result.contributions) == list(partners)
    for t, amount in enumerate(investment):
        assert sum(result.contributions[p][t] for p in partners) == amount
    for p in partners:
        paid = result.contributions[p]
        saved = list(savings.get(p, [0] * len(investment)))
        assert all(x >= 0 for x in paid)
        if p in limits:
            assert all(x <= cap for x, cap in zip(paid, limits[p], strict=True))
        assert result.cash_flows[p] == [s - x for s, x in zip(saved, paid, strict=True)]
        assert result.net_position_pence[p] == round(exact_pv(result.cash_flows[p], factors))
        assert result.net_position_pence[p] >= 0


def test_proportional_split_worked_by_hand() -> None:
    investment = [1000, 600, 0]
    savings = {"council": [0, 800, 800], "nhs": [0, 1600, 1600]}
    result = propose_split(
        investment, savings, partners=["council", "nhs"], discount_factors=HALVING
    )
    # PV savings: council 800/2 + 800/4 = 600, nhs 1600/2 + 1600/4 = 1200, so shares 1/3 : 2/3.
    # Year 0: 1000 -> 333.33 : 666.67, the spare penny to the larger remainder (nhs).
    # Year 1: 600 -> 200 : 400 exactly.  Year 2: nothing to fund.
    assert result.contributions == {"council": [333, 200, 0], "nhs": [667, 400, 0]}
    assert result.cash_flows == {"council": [-333, 600, 800], "nhs": [-667, 1200, 1600]}
    # Net PV: council 600 - (333 + 200/2) = 167; nhs 1200 - (667 + 400/2) = 333.
    assert result.net_position_pence == {"council": 167, "nhs": 333}
    assert result.feasible and result.reason == ""
    assert "proportion" in result.method
    assert_invariants(result, investment, savings, ["council", "nhs"], {}, HALVING)


def test_cash_limit_moves_payment_to_a_later_year_and_another_partner() -> None:
    investment = [900, 300, 0]
    savings = {"council": [0, 1000, 1000], "police": [0, 1000, 1000]}
    limits = {"council": [300, 400, 400]}
    # Equal PV savings (750 each) would have each pay 450 in year 0, over the council's 300.
    # The council's PV share is (900 + 300/2) / 2 = 525; the most it can pay towards it is
    # 300 in year 0 plus all 300 of year 1 (PV 150), so the split nearest the shares is unique.
    result = propose_split(
        investment,
        savings,
        partners=["council", "police"],
        cash_limits=limits,
        discount_factors=HALVING,
    )
    assert result.contributions == {"council": [300, 300, 0], "police": [600, 0, 0]}
    assert result.net_position_pence == {"council": 750 - 450, "police": 750 - 600}
    assert "linear programme" in result.method
    assert_invariants(result, investment, savings, ["council", "police"], limits, HALVING)


def test_a_cash_limit_that_does_not_bind_leaves_the_proportional_split() -> None:
    result = propose_split(
        [1000, 600, 0],
        {"council": [0, 800, 800], "nhs": [0, 1600, 1600]},
        partners=["council", "nhs"],
        cash_limits={"council": [334, 200, 0]},  # the proportional 333.33 and 200 fit
        discount_factors=HALVING,
    )
    assert result.contributions == {"council": [333, 200, 0], "nhs": [667, 400, 0]}
    assert "linear programme" not in result.method


def test_savings_below_investment_is_infeasible_and_names_the_shortfall() -> None:
    result = propose_split(
        [2_000_000_00],
        {"council": [700_000_00], "nhs": [500_000_00]},
        partners=["council", "nhs"],
        discount_factors=[1.0],
    )
    assert not result.feasible
    assert result.reason == (
        "partners at the table (council, nhs) save £1,200,000.00 PV against £2,000,000.00 PV "
        "of investment, £800,000.00 short"
    )
    assert result.contributions == {} and result.net_position_pence == {}
    assert result.cash_flows == {} and result.method == ""


def test_a_year_whose_cash_limits_cannot_cover_it_is_named() -> None:
    result = propose_split(
        [900, 0],
        {"council": [0, 5000], "police": [0, 5000]},
        partners=["council", "police"],
        cash_limits={"council": [300, 0], "police": [500, 0]},
        discount_factors=[1.0, 0.5],
    )
    assert not result.feasible
    assert (
        result.reason
        == "in year 0 the partners' cash limits total £8.00 against £9.00 of investment"
    )


def test_limits_that_force_a_partner_into_a_loss_are_diagnosed() -> None:
    # Police may pay nothing, so the council must pay £100,000 out of £50,000 of savings.
    result = propose_split(
        [100_000_00],
        {"council": [50_000_00], "police": [200_000_00]},
        partners=["council", "police"],
        cash_limits={"police": [0]},
        discount_factors=[1.0],
    )
    assert not result.feasible
    assert result.reason == (
        "the yearly cash limits force some partners to pay more than they save: the best "
        "split within the limits still leaves council £50,000.00 PV short"
    )


def test_whole_pennies_are_placed_so_nobody_ends_up_short() -> None:
    # PV savings: nhs 1 x 3/4 = 3/4, council 1 x 1 = 1; investment PV 1 + 3/4 = 7/4, so the
    # savings cover it exactly and the shares are 3/7 : 4/7.  Largest remainder would hand
    # the council both pennies (4/7 > 3/7 each year): PV 7/4 against savings of 1, so a net
    # of -3/4p, reported as -1p.  Paying the nhs's penny in year 1 and the council's in
    # year 0 leaves both exactly whole.
    result = propose_split(
        [1, 1],
        {"nhs": [0, 1], "council": [1, 0]},
        partners=["nhs", "council"],
        discount_factors=[1.0, 0.75],
    )
    assert result.contributions == {"nhs": [0, 1], "council": [1, 0]}
    assert result.net_position_pence == {"nhs": 0, "council": 0}
    assert "integer programme" in result.method


def test_partner_losing_money_before_paying_is_infeasible() -> None:
    result = propose_split(
        [100],
        {"council": [1000], "nhs": [-5000]},
        partners=["council", "nhs"],
        discount_factors=[1.0],
    )
    assert not result.feasible
    assert "nhs loses £50.00 PV before paying anything" in result.reason


def test_agency_not_at_the_table_pays_nothing_and_its_savings_do_not_count() -> None:
    savings = {"council": [0, 800, 800], "nhs": [0, 1600, 1600], "police": [0, 10**9, 10**9]}
    with_police = propose_split(
        [1000, 600, 0], savings, partners=["council", "nhs"], discount_factors=HALVING
    )
    without_police = propose_split(
        [1000, 600, 0],
        {k: v for k, v in savings.items() if k != "police"},
        partners=["council", "nhs"],
        discount_factors=HALVING,
    )
    assert "police" not in with_police.contributions
    assert "police" not in with_police.cash_flows
    assert with_police == without_police
    # Police's savings would cover it, but police is not at the table.
    short = propose_split(
        [10**6, 0, 0], savings, partners=["council", "nhs"], discount_factors=HALVING
    )
    assert not short.feasible and "(council, nhs) save" in short.reason


def test_partner_without_savings_entry_saves_and_pays_nothing() -> None:
    result = propose_split(
        [500], {"council": [2000]}, partners=["council", "fire"], discount_factors=[1.0]
    )
    assert result.contributions == {"council": [500], "fire": [0]}
    assert result.cash_flows["fire"] == [0] and result.net_position_pence["fire"] == 0


def test_no_investment_means_no_contributions() -> None:
    result = propose_split(
        [0, 0], {"council": [0, 40]}, partners=["council"], discount_factors=[1.0, 0.5]
    )
    assert result.feasible
    assert result.contributions == {"council": [0, 0]}
    assert result.net_position_pence == {"council": 20}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"investment_by_year": [1, 2], "discount_factors": [1.0]}, "1 discount factors for 2"),
        ({"investment_by_year": [-1], "discount_factors": [1.0]}, "cannot be negative"),
        ({"investment_by_year": [], "discount_factors": []}, "no years"),
        ({"investment_by_year": [1], "discount_factors": [0.0]}, "must be positive"),
        ({"investment_by_year": [1.5], "discount_factors": [1.0]}, "whole pence"),
        ({"savings": {"council": [1, 2]}}, "the savings of council has 2 years"),
        ({"partners": []}, "no partners"),
        ({"partners": ["council", "council"]}, "council named twice"),
        ({"cash_limits": {"polce": [1]}}, "cash limit is given for polce"),
        ({"cash_limits": {"council": [-1]}}, "negative"),
        ({"cash_limits": {"council": [1, 1]}}, "the cash limit of council has 2 years"),
    ],
)
def test_bad_inputs_are_refused_with_a_clear_message(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "investment_by_year": [100],
        "savings": {"council": [200]},
        "partners": ["council"],
        "discount_factors": [1.0],
    }
    args.update(kwargs)
    with pytest.raises(ConfigError, match=message):
        propose_split(**args)  # type: ignore[arg-type]


def test_limit_for_agency_away_from_the_table_is_ignored() -> None:
    result = propose_split(
        [100],
        {"council": [200], "police": [50]},
        partners=["council"],
        cash_limits={"police": [0]},
        discount_factors=[1.0],
    )
    assert result.contributions == {"council": [100]}


@st.composite
def feasible_cases(
    draw: st.DrawFn,
) -> tuple[list[int], dict[str, list[int]], list[str], dict[str, list[int]], list[float]]:
    """A known whole-penny split x0 first; savings and limits are then built around it,
    so at least one split satisfies every constraint."""
    years = draw(st.integers(1, 5))
    partners = [f"p{i}" for i in range(draw(st.integers(1, 4)))]
    factors = [draw(st.floats(0.3, 1.0)) for _ in range(years)]
    amount = st.integers(0, 10**9)
    paid = {p: [draw(amount) for _ in range(years)] for p in partners}
    savings = {
        p: [x + draw(st.integers(2, 10**8)) for x in paid[p]] for p in partners
    }  # at least two pence a year more than the known split asks
    savings["outsider"] = [draw(amount) for _ in range(years)]
    limits = {
        p: [x + draw(st.sampled_from([0, 1, 10**6])) for x in paid[p]]
        for p in partners
        if draw(st.booleans())
    }
    investment = [sum(paid[p][t] for p in partners) for t in range(years)]
    return investment, savings, partners, limits, factors


@PROPERTY_SETTINGS
@given(feasible_cases())
def test_any_feasible_case_is_solved_with_every_invariant(
    case: tuple[list[int], dict[str, list[int]], list[str], dict[str, list[int]], list[float]],
) -> None:
    investment, savings, partners, limits, factors = case
    result = propose_split(
        investment, savings, partners=partners, cash_limits=limits, discount_factors=factors
    )
    assert_invariants(result, investment, savings, partners, limits, factors)


@PROPERTY_SETTINGS
@given(
    investment=st.lists(st.integers(0, 10**6), min_size=3, max_size=3),
    savings=st.dictionaries(
        st.sampled_from(["a", "b", "c"]),
        st.lists(st.integers(-(10**5), 10**6), min_size=3, max_size=3),
    ),
    caps=st.dictionaries(
        st.sampled_from(["a", "b"]), st.lists(st.integers(0, 10**6), min_size=3, max_size=3)
    ),
)
def test_any_case_is_either_solved_or_explained(
    investment: list[int], savings: dict[str, list[int]], caps: dict[str, list[int]]
) -> None:
    result = propose_split(
        investment,
        savings,
        partners=["a", "b"],
        cash_limits=caps,
        discount_factors=[1.0, 0.95, 0.9],
    )
    if result.feasible:
        assert_invariants(result, investment, savings, ["a", "b"], caps, [1.0, 0.95, 0.9])
    else:
        assert result.reason and result.contributions == {}
