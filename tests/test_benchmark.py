"""Spend per head against neighbours and need, and spend against outcome: funnel
limits against hand-computed values, real terms at the right year's deflator,
the breaks in series, and the real tables (the shipped outcome table is what
the build script makes from ../shared/data)."""

from __future__ import annotations

import importlib.util
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED_DATA
from totalplace.count.benchmark import (
    BREAKS,
    CLIENTS,
    TOTAL_LINE,
    breaks_between,
    per_head,
    real_terms,
    series_breaks,
)
from totalplace.errors import ConfigError
from totalplace.reference.outcomes import (
    INDICATORS,
    Limits,
    financial_year_of,
    funnel_limits,
    judge,
    values,
)
from totalplace.reference.unit_costs import deflators

TRAFFORD = "E08000009"


def test_funnel_limits_for_a_proportion_match_the_normal_approximation_by_hand() -> None:
    # p0 = 10%, n = 1,000: sqrt(0.1 x 0.9 / 1000) = 0.0094868; x 1.959964 = 0.0185938;
    # x 3.090232 = 0.0293165.
    lim = funnel_limits("proportion", 10.0, 1000)
    assert lim.lower95 == pytest.approx(8.14062, abs=1e-4)
    assert lim.upper95 == pytest.approx(11.85938, abs=1e-4)
    assert lim.lower998 == pytest.approx(7.06835, abs=1e-4)
    assert lim.upper998 == pytest.approx(12.93165, abs=1e-4)


def test_funnel_limits_for_a_rate_match_byars_poisson_limits_by_hand() -> None:
    # 150 per 100,000 among 100,000 people: E = 150.  Lower 95%:
    # 150 (1 - 1/1350 - 1.959964/(3 sqrt 150))^3 = 150 x 0.9459159^3 = 126.9547;
    # upper 95%: 151 (1 - 1/1359 + 1.959964/(3 sqrt 151))^3 = 151 x 1.0524305^3 = 176.0182.
    lim = funnel_limits("rate", 150.0, 100_000)
    assert lim.lower95 == pytest.approx(126.9547, abs=1e-3)
    assert lim.upper95 == pytest.approx(176.0182, abs=1e-3)
    assert lim.lower998 < lim.lower95 < 150 < lim.upper95 < lim.upper998


def test_small_authority_is_not_flagged_where_a_large_one_is() -> None:
    # The same 12% against England's 10%: chance explains it among 500 children,
    # not among 50,000.
    small = funnel_limits("proportion", 10.0, 500)
    large = funnel_limits("proportion", 10.0, 50_000)
    assert judge(12.0, small, higher_is_better=False) == "within"
    assert judge(12.0, large, higher_is_better=False) == "worse (99.8%)"
    assert judge(9.7, large, higher_is_better=False) == "better (95%)"  # 95% limit 9.737


def test_funnel_refuses_a_zero_denominator_and_a_value_indicator() -> None:
    with pytest.raises(ConfigError, match="denominator"):
        funnel_limits("proportion", 10.0, 0)
    with pytest.raises(ConfigError, match="only proportions and rates"):
        funnel_limits("value", 63.0, 1000)


def test_judge_reads_the_99_8_limit_only_beyond_it() -> None:
    lim = Limits(1000, 8.0, 12.0, 7.0, 13.0)
    assert judge(12.5, lim, higher_is_better=True) == "better (95%)"
    assert judge(13.5, lim, higher_is_better=True) == "better (99.8%)"
    assert judge(7.5, lim, higher_is_better=True) == "worse (95%)"


@pytest.mark.parametrize(
    ("period", "year"),
    [
        ("2017/18", "2017-18"),
        ("2015-16", "2015-16"),
        ("2017", "2017-18"),
        ("2010 - 12", "2011-12"),
        ("April 2021", "2021-22"),
        ("March 2022", "2021-22"),
        ("Jan 2017-Dec 2017", "2017-18"),
        ("2021-06-30", "2021-22"),
        ("2018/19 - 22/23", None),
        ("2017/19", None),
    ],
)
def test_published_periods_map_to_the_financial_year_they_mostly_fall_in(
    period: str, year: str | None
) -> None:
    assert financial_year_of(period) == year


def test_real_terms_use_the_deflator_of_the_year_spent_and_of_the_prices_year() -> None:
    index = deflators()
    expected = (Decimal(1_000_000) * index["2017-18"] / index["2010-11"]).to_integral_value(
        ROUND_HALF_EVEN
    )
    assert real_terms(1_000_000, "2010-11", "2017-18") == int(expected)
    assert real_terms(1_000_000, "2017-18", "2017-18") == 1_000_000
    # a year outside the deflators has no real-terms figure, never a guessed one
    assert real_terms(1_000_000, "1970-71", "2017-18") is None


def test_per_head_real_terms_restate_each_year_at_its_own_deflator() -> None:
    rows = per_head(TRAFFORD, ["2010-11", "2017-18"], "2017-18")
    index = deflators()
    for year in ("2010-11", "2017-18"):
        row = next(r for r in rows if r.comparator == TRAFFORD and r.year == year
                   and r.line == TOTAL_LINE)  # fmt: skip
        real = (Decimal(row.pence) * index["2017-18"] / index[year]).to_integral_value(
            ROUND_HALF_EVEN
        )
        per = (real / row.population).to_integral_value(ROUND_HALF_EVEN)
        assert row.real_per_head_pence == int(per)
    latest = next(r for r in rows if r.comparator == TRAFFORD and r.year == "2017-18"
                  and r.line == TOTAL_LINE)  # fmt: skip
    assert latest.real_per_head_pence == latest.per_head_pence


def test_public_health_and_council_tax_benefit_break_in_2013_14() -> None:
    years = ["2011-12", "2012-13", "2013-14", "2014-15"]
    assert list(series_breaks("public_health", years)) == ["2013-14"]
    assert list(series_breaks("council_tax_benefit", years)) == ["2013-14"]
    assert list(series_breaks("police", years)) == ["2012-13"]
    assert series_breaks("education", years) == {}


def test_total_breaks_wherever_a_service_line_in_it_does() -> None:
    flagged = series_breaks(TOTAL_LINE, ["2011-12", "2012-13", "2013-14", "2014-15", "2017-18"])
    assert sorted(flagged) == ["2012-13", "2013-14", "2017-18"]
    # council tax benefit is below the total of service expenditure: not a break of it
    assert all("council tax benefit" not in f for fs in flagged.values() for f in fs)


def test_a_break_between_shipped_years_is_flagged_on_the_first_year_after_it() -> None:
    # No outturn for 2015-16 ships: the Better Care Fund shows on 2017-18, against 2014-15.
    assert [b.year for b in breaks_between("adult_social_care", "2014-15", "2017-18")] == [
        "2015-16"
    ]
    assert breaks_between("adult_social_care", "2015-16", "2017-18") == []


def test_every_break_names_its_source_and_a_line() -> None:
    assert {b.line for b in BREAKS} >= {"police", "public_health", "council_tax_benefit"}
    assert all(b.source and b.what for b in BREAKS)


def test_client_counts_cover_childrens_and_adults_services() -> None:
    assert CLIENTS["children_social_care"][1] == "pct_under16"
    assert CLIENTS["adult_social_care"][1] == "pct_over65"


def test_per_head_for_trafford_sets_it_beside_neighbours_region_and_england() -> None:
    rows = per_head(TRAFFORD, ["2017-18"], neighbours=["E08000007", "E06000007"])
    comparators = {r.comparator for r in rows}
    assert comparators == {TRAFFORD, "E08000007", "E06000007", "neighbours", "region", "england"}
    region = next(r for r in rows if r.comparator == "region")
    assert region.name == "North West"
    england = next(r for r in rows if r.comparator == "england" and r.line == TOTAL_LINE)
    assert 50_000_000 < england.population < 60_000_000
    asc = next(r for r in rows if r.comparator == TRAFFORD and r.line == "adult_social_care")
    assert asc.clients and asc.population * 0.1 < asc.clients < asc.population * 0.25
    assert asc.per_client_pence and asc.per_client_pence > asc.per_head_pence
    # the neighbours together: their spending over their residents
    pair = [r for r in rows if r.comparator in ("E08000007", "E06000007") and r.line == TOTAL_LINE]
    together = next(r for r in rows if r.comparator == "neighbours" and r.line == TOTAL_LINE)
    assert together.pence == sum(r.pence for r in pair)
    assert together.population == sum(r.population for r in pair)


def test_unknown_year_is_refused_naming_the_years_shipped() -> None:
    with pytest.raises(ConfigError, match="years shipped"):
        per_head(TRAFFORD, ["1999-00"])


def test_every_indicator_has_shipped_values_and_england_where_published() -> None:
    for ind in INDICATORS:
        assert values(ind.id), ind.id
    assert any(o.gss == "E92000001" for o in values("obese_reception"))


def _build_module() -> object:
    spec = importlib.util.spec_from_file_location("build_outcomes", ROOT / "scripts" /
                                                  "build_outcomes.py")  # fmt: skip
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_outcomes"] = module
    spec.loader.exec_module(module)
    return module


def test_shipped_outcome_table_is_what_the_script_builds(tmp_path: Path) -> None:
    if not (SHARED_DATA / "outcomes").is_dir():
        pytest.skip(f"outcome data not found at {SHARED_DATA / 'outcomes'}")
    module = _build_module()
    assert module.main(["--shared", str(SHARED_DATA), "--out", str(tmp_path)]) == 0  # type: ignore[attr-defined]
    shipped = ROOT / "src" / "totalplace" / "reference" / "data" / "outcomes" / "outcomes.csv"
    assert (tmp_path / "outcomes.csv").read_bytes() == shipped.read_bytes()


def test_theme_per_head_for_england_adds_up_to_the_national_count() -> None:
    from totalplace.count.benchmark import theme_per_head
    from totalplace.count.national import topdown_all

    rows = theme_per_head(TRAFFORD, "2017-18", ["E08000007"])
    england = [r for r in rows if r["comparator"] == "england"]
    # counties are their districts' sums: England counts each area once
    assert sum(r["pence"] for r in england) == topdown_all("2017-18")["england_total_pence"]
    mine = [r for r in rows if r["comparator"] == TRAFFORD]
    assert mine and all(r["population"] == mine[0]["population"] for r in mine)
    assert {r["comparator"] for r in rows} == {TRAFFORD, "E08000007", "neighbours", "region",
                                               "england"}  # fmt: skip


def test_a_district_is_set_beside_the_districts_of_its_region_and_england() -> None:
    from totalplace.reference.places import registry

    reg = registry()
    rows = per_head("E07000008", ["2017-18"])  # Cambridge, a shire district
    region = next(r for r in rows if r.comparator == "region" and r.line == TOTAL_LINE)
    england = next(r for r in rows if r.comparator == "england" and r.line == TOTAL_LINE)
    assert region.name == "East of England (districts)" and england.name == "England (districts)"
    districts = [a for a in reg.authorities(current_only=True) if a.kind == "district"]
    from totalplace.count.benchmark import council_spend

    spend = council_spend("2017-18")
    assert england.pence == sum(spend[a.gss][TOTAL_LINE] for a in districts if a.gss in spend)
    # a county's spending is not a district's: England's districts spend far less per head
    single = next(r for r in per_head(TRAFFORD, ["2017-18"]) if r.comparator == "england"
                  and r.line == TOTAL_LINE)  # fmt: skip
    assert england.per_head_pence is not None and single.per_head_pence is not None
    assert england.per_head_pence * 5 < single.per_head_pence


def test_a_district_in_the_quadrant_adds_its_countys_spending_on_its_area() -> None:
    from totalplace.reference.outcomes import indicator
    from totalplace.report.benchmark import outcome

    found = outcome(indicator("obese_year6"), "E07000008", "2017-18", ())
    cambridge = next(p for p in found["points"] if p["gss"] == "E07000008")
    from totalplace.count.benchmark import council_spend, per_person, residents

    county = per_person(
        council_spend("2017-18")["E10000003"]["public_health"], residents("E10000003", 2017)[0]
    )
    district = per_person(
        council_spend("2017-18")["E07000008"].get("public_health"),
        residents("E07000008", 2017)[0],
    )
    assert cambridge["role"] == "place"
    assert cambridge["spend_of"] in ("Cambridgeshire", "Cambridge and Cambridgeshire")
    assert county and cambridge["per_head_pence"] == county + (district or 0)
    trafford = next(p for p in found["points"] if p["gss"] == TRAFFORD)
    assert trafford["spend_of"] == "Trafford"


def test_a_county_without_a_value_takes_its_districts_mean_weighted_by_their_people() -> None:
    from totalplace.reference.outcomes import indicator
    from totalplace.reference.places import registry
    from totalplace.report.benchmark import county_values, denominator

    kent = "E10000016"
    districts = registry().units(kent)
    ind = indicator("obese_reception")
    first = districts[0]
    now = {d: (100.0 if d == first else 0.0) for d in districts}
    weights = {d: denominator("year_of_age", d, "2017-18") or 0 for d in districts}
    expected = round(100 * weights[first] / sum(weights.values()), 2)
    assert county_values(ind, now, "2017-18")[kent] == expected
    # one district missing: no county value rather than a mean of some of them
    assert kent not in county_values(ind, dict.fromkeys(districts[1:], 1.0), "2017-18")
    # a published county value is kept, never replaced
    assert kent not in county_values(ind, {**now, kent: 9.9}, "2017-18")
    # years cannot be averaged by people: no derived life expectancy
    assert county_values(indicator("healthy_life_expectancy_male"), now, "2017-18") == {}


def test_a_council_made_since_is_the_sum_of_those_it_wholly_replaced() -> None:
    from totalplace.count.benchmark import council_spend
    from totalplace.reference.outturn import outturn
    from totalplace.reference.places import registry

    reg = registry()
    bucks = "E06000060"  # Buckinghamshire Council, 2020: the county and its four districts
    before = reg.predecessors(bucks)
    ecodes = {reg.get(p).ecode for p in before}
    published = sum(r.pence for r in outturn("2017-18")
                    if r.ecode in ecodes and r.line == TOTAL_LINE)  # fmt: skip
    assert len(before) == 5
    assert council_spend("2017-18")[bucks][TOTAL_LINE] == published
    # Cumberland took part of Cumbria (split in two): no figure, rather than part of one
    assert "E06000063" not in council_spend("2017-18")


def test_areas_with_no_spending_figure_are_left_out_of_englands_residents_too() -> None:
    from totalplace.count.benchmark import council_spend, residents
    from totalplace.reference.places import registry

    figures = council_spend("2017-18")
    lowest = [a for a in registry().authorities(current_only=True) if a.lowest_tier]
    without = [a for a in lowest if a.gss not in figures and a.parent_gss not in figures]
    assert "E06000063" in {a.gss for a in without}  # Cumberland: made from split Cumbria
    everyone = sum(residents(a.gss, 2017)[0] for a in lowest)
    england = next(r for r in per_head(TRAFFORD, ["2017-18"])
                   if r.comparator == "england" and r.line == TOTAL_LINE)  # fmt: skip
    assert england.population == everyone - sum(residents(a.gss, 2017)[0] for a in without)
