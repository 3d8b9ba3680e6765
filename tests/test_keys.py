"""Apportionment keys: the same rule every year, the right year's data, benefits
keyed by who is eligible, and spending at a site kept at the site."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from totalplace.count.keys import KEYS, SERVICE_KEYS, load_rules, load_sites, weights
from totalplace.count.topdown import topdown
from totalplace.reference.places import Place, registry, resolve_place

WEST_MIDLANDS = "West Midlands"


def _region(name: str) -> Place:
    units = registry().region_units(name)
    return Place(spec=name, name=name, codes=units, units=units)


def _pence_share_by_key(place: Place, year: str) -> dict[str, Fraction]:
    result = topdown(place, year, use_outturn=False)
    by_key: Counter[str] = Counter()
    for line in result.lines:
        by_key[line.key] += line.place_pence
    return {k: Fraction(v, result.total_pence) for k, v in by_key.items()}


def test_function_level_rows_of_2008_09_take_the_same_keys_as_later_years() -> None:
    # PESA 2010 (2008-09) gives no sub-function: the police, fire and need keys
    # used to key no line at all that year.
    shares = {y: _pence_share_by_key(_region(WEST_MIDLANDS), y) for y in ("2008-09", "2009-10")}
    for key in ("police_force", "fire_authority", "income_deprived", "population_65plus"):
        assert shares["2008-09"].get(key, 0) > 0, key
    for key in set(shares["2008-09"]) | set(shares["2009-10"]):
        gap = abs(shares["2008-09"].get(key, 0) - shares["2009-10"].get(key, 0))
        assert gap < Fraction(3, 100), (key, float(gap))


def test_lines_keyed_by_each_key_are_comparable_across_three_years() -> None:
    counts = {}
    for year in ("2008-09", "2009-10", "2010-11"):
        result = topdown(_region(WEST_MIDLANDS), year, use_outturn=False)
        counts[year] = Counter(line.key for line in result.lines)
    keys = set(counts["2009-10"])
    for year in counts:
        assert set(counts[year]) == keys, year


def test_birminghams_rise_into_2009_10_is_not_made_by_the_method() -> None:
    # Before, Birmingham rose 17.8% from 2008-09 to 2009-10 against the West
    # Midlands' 7.4%: the deprivation key applied in one year and not the other.
    birmingham = resolve_place("pilot:birmingham")
    region = _region(WEST_MIDLANDS)
    change = {}
    for place in (birmingham, region):
        before = topdown(place, "2008-09", use_outturn=False).total_pence
        after = topdown(place, "2009-10", use_outturn=False).total_pence
        change[place.name] = Fraction(after - before, before)
    assert abs(change[birmingham.name] - change[region.name]) < Fraction(2, 100)


def test_a_mixed_line_says_which_year_it_took_its_key_mix_from() -> None:
    result = topdown(resolve_place("pilot:birmingham"), "2008-09", use_outturn=False)
    mixed = [x for x in result.lines if x.key_basis.startswith("sub-function mix of")]
    assert mixed
    assert all(x.key_basis == "sub-function mix of 2009-10" for x in mixed)
    assert all(any("no sub-function in PESA2010" in f for f in x.flags) for x in mixed)


def test_every_apportioned_line_carries_the_year_of_its_key_data() -> None:
    result = topdown(resolve_place("pilot:birmingham"), "2012-13")
    for line in result.lines:
        assert line.key_year.isdigit(), line
    population = [x for x in result.lines if x.key == "population"]
    assert population and all(x.key_year == "2012" for x in population)


def test_key_data_years_from_the_spending_is_flagged_on_the_line() -> None:
    result = topdown(resolve_place("pilot:birmingham"), "2008-09", use_outturn=False)
    older = [x for x in result.lines if x.key == "population_65plus"]
    assert older and all(x.key_year == "2024" for x in older)
    assert all(any("16 years from the spending" in f for f in x.flags) for x in older)
    # population for 2008 takes mid-2010, the first year shipped: two years, not flagged stale
    population = [x for x in result.lines if x.key == "population"]
    assert all(x.key_year == "2010" for x in population)
    assert not any("years from the spending" in f for x in population for f in x.flags)


def test_need_keys_take_the_deprivation_edition_nearest_the_year() -> None:
    reg = registry()
    units = reg.region_units(WEST_MIDLANDS)
    assert weights(reg, "income_deprived", units, 2011).key_year == "2019"
    late = weights(reg, "income_deprived", units, 2023)
    assert any("IoD 2025" in f for f in late.flags)


BENEFITS = [
    ("S041A008-CHILD BENEFIT", "10.4 Family and children", "children"),
    ("P43 S280117 Child Benefit", "10. Social protection", "children"),
    ("S032A044-STATE PENSION", "10.2 Old age", "population_65plus"),
    ("P37 S120101 Retirement pensions - basic element", "", "population_65plus"),
    ("S032A069-SOCIAL FUND - WINTER FUEL PAYMENT", "10.2 Old age", "population_65plus"),
    ("P37 S120916 WINTER FUEL PAYMENTS", "", "population_65plus"),
    ("S032A043-PENSION CREDIT", "10.2 Old age", "older_income_deprived"),
    ("S032A053-INCOME SUPPORT", "10.4 Family and children", "income_deprived"),
    ("P37 S120912 NON-PENSIONER INCOME SUPPORT", "", "income_deprived"),
    ("S041A020-PERSONAL TAX CREDIT", "10.7 Social exclusion n.e.c.", "income_deprived"),
    ("S032A058-JOBSEEKER'S ALLOWANCE", "10.5 Unemployment", "employment_deprived"),
]


@pytest.mark.parametrize(("programme", "subfunction", "key"), BENEFITS)
def test_benefits_are_keyed_by_who_is_eligible(programme: str, subfunction: str, key: str) -> None:
    line = {
        "department": "Department for Work and Pensions",
        "programme": programme,
        "function": "10. Social protection",
        "subfunction": subfunction or "10. Social protection",
        "body_type": "central government",
        "capital_current": "current",
    }
    assert load_rules().rule_for(line).key == key


def test_universal_benefits_are_never_keyed_by_deprivation() -> None:
    result = topdown(resolve_place("pilot:birmingham"), "2009-10", use_outturn=False)
    universal = [
        x
        for x in result.lines
        if any(w in x.programme.upper() for w in ("CHILD BENEFIT", "STATE PENSION", "WINTER FUEL"))
    ]
    assert universal
    assert {x.key for x in universal} <= {"children", "population_65plus"}


@pytest.mark.parametrize("key", [k for k in KEYS if k not in SERVICE_KEYS])
def test_each_keys_shares_sum_to_exactly_one_over_the_region(key: str) -> None:
    reg = registry()
    units = reg.region_units("North West")
    for year in (2008, 2010, 2016):
        w = weights(reg, key, units, year)
        assert set(w.by_unit) == set(units)
        assert all(isinstance(v, int) and v > 0 for v in w.by_unit.values())
        whole = sum(w.by_unit.values())
        assert sum(Fraction(v, whole) for v in w.by_unit.values()) == 1


def test_sellafield_spending_stays_in_cumbria_and_manchester_gets_none() -> None:
    nda = "NUCLEAR DECOMMISSIONING AUTHORITY"
    manchester = topdown(resolve_place("E08000003"), "2010-11")
    assert sum(x.place_pence for x in manchester.lines if nda in x.programme.upper()) == 0
    cumberland = topdown(resolve_place("E06000063"), "2010-11")
    at_site = [x for x in cumberland.lines if nda in x.programme.upper()]
    assert at_site and all(x.key == "site" and x.place_pence == x.region_pence for x in at_site)
    assert sum(x.place_pence for x in at_site) == sum(x.region_pence for x in at_site) > 0


def test_the_shipped_site_table_names_a_source_for_every_site() -> None:
    sites = load_sites()
    assert sites and all(s.source for s in sites)
    assert {s.name for s in sites} >= {"Sellafield"}


def test_where_outturn_replaces_regional_lines_both_figures_are_reported() -> None:
    result = topdown(resolve_place("E08000003"), "2010-11")
    found = result.basis_report()
    assert found["basis"] == "council outturn"
    assert found["outturn_pence"] > 0 and found["regional_replaced_pence"] > 0
    assert found["difference_pence"] == found["outturn_pence"] - found["regional_replaced_pence"]
    # the replaced figure is what the regional lines would give the place
    regional = topdown(resolve_place("E08000003"), "2010-11", use_outturn=False)
    lg_current = sum(
        x.place_pence
        for x in regional.lines
        if x.body_type == "local government" and x.capital_current == "current"
    )
    assert found["regional_replaced_pence"] == lg_current
    assert {x.basis for x in result.lines} == {"council outturn", "regional (CRA)"}


def test_a_year_without_outturn_is_on_the_regional_basis() -> None:
    found = topdown(resolve_place("E08000003"), "2008-09").basis_report()
    assert found["basis"] == "regional (CRA)"
    assert found["outturn_pence"] == found["regional_replaced_pence"] == 0


def test_count_lines_and_workbook_carry_key_key_year_and_basis(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from totalplace.report.run import count_workspace
    from totalplace.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws", ["E08000003"], "2010-11", "Manchester")
    count, paths = count_workspace(ws)
    data = count.to_dict()
    assert data["local_government_basis"]["basis"] == "council outturn"
    lines = data["lines"]
    assert all({"key", "key_year", "source_basis"} <= set(x) for x in lines)
    apportioned = [x for x in lines if x["method"] == "apportioned"]
    assert apportioned and all(x["key"] and x["key_year"].isdigit() for x in apportioned)
    book = load_workbook(next(p for p in paths if p.suffix == ".xlsx"), read_only=True)
    header = next(book["Lines"].iter_rows(values_only=True))
    assert {"key", "key year", "source basis"} <= set(header)
    summary = [r[0] for r in book["Summary"].iter_rows(values_only=True)]
    assert "Local government: regional (CRA) lines it replaced" in summary


def test_the_key_tables_rebuild_byte_for_byte_from_the_shared_sources(tmp_path: Path) -> None:
    import importlib.util

    from tests.conftest import SHARED_DATA

    if not (SHARED_DATA / "place" / "imd").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}: cannot rebuild the key tables")
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("build_keys", root / "scripts" / "build_keys.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(SHARED_DATA, tmp_path)
    shipped = root / "src" / "totalplace" / "reference" / "data" / "keys"
    for name in ("need.csv", "age.csv", "SOURCES.md"):
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name


@pytest.mark.slow
def test_englands_regional_figure_beside_outturn_is_the_cra_local_government_total() -> None:
    # England 2010-11: outturn replaces £118.552bn of CRA local-government current
    # lines; the replaced figure must be exactly those lines, none lost or doubled.
    from totalplace.reference.places import REGIONS
    from totalplace.reference.regional import regional_lines

    reg = registry()
    units = tuple(sorted(u for r in REGIONS for u in reg.region_units(r)))
    found = topdown(Place("England", "England", units, units), "2010-11").basis_report()
    cra = sum(
        x.pence
        for x in regional_lines("2010-11")
        if x.identifiable
        and x.region in REGIONS
        and x.body_type == "local government"
        and x.capital_current == "current"
    )
    assert found["regional_replaced_pence"] == cra
    assert round(cra / 100_000_000_000, 3) == 118.552  # £bn


@pytest.mark.parametrize("region", ["North West", "West Midlands", "London"])
def test_a_line_split_by_the_key_mix_still_adds_back_to_the_penny(region: str) -> None:
    from totalplace.reference.regional import regional_lines

    result = topdown(_region(region), "2008-09", use_outturn=False)
    published = sum(x.pence for x in regional_lines("2008-09", region) if x.identifiable)
    assert result.total_pence == published
    assert all(x.place_pence == x.region_pence for x in result.lines)
