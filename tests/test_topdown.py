"""The top-down count: conservation, whole regions, keys and the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.count.councils import FUNCTION, LEVIES
from totalplace.count.keys import load_rules, weights
from totalplace.count.topdown import topdown
from totalplace.reference.joint_bodies import joint_bodies
from totalplace.reference.outturn import outturn
from totalplace.reference.places import Place, registry, resolve_place
from totalplace.reference.regional import ENGLISH_REGIONS, regional_lines

YEAR = "2010-11"


@pytest.mark.parametrize("region", ENGLISH_REGIONS)
def test_a_whole_region_counts_its_identifiable_total_to_the_penny(region: str) -> None:
    units = registry().region_units(region)
    place = Place(spec=region, name=region, codes=units, units=units)
    result = topdown(place, YEAR, use_outturn=False)
    expected = sum(
        line.pence for line in regional_lines(YEAR) if line.identifiable and line.region == region
    )
    assert result.total_pence == expected
    assert all(line.place_pence == line.region_pence for line in result.lines)


def test_a_region_shared_out_by_authority_adds_back_up() -> None:
    region = "North East"
    units = registry().region_units(region)
    parts = [
        topdown(Place(spec=u, name=u, codes=(u,), units=(u,)), YEAR, use_outturn=False).total_pence
        for u in units
    ]
    whole = topdown(
        Place(spec=region, name=region, codes=units, units=units), YEAR, use_outturn=False
    )
    # each line conserves exactly, so the authorities' counts sum to the region's
    assert sum(parts) == whole.total_pence


def test_totals_split_into_current_and_capital() -> None:
    data = topdown(resolve_place("pilot:birmingham"), YEAR).to_dict()
    assert data["total_pence"] == data["current_pence"] + data["capital_pence"]
    assert data["capital_pence"] > 0
    current_only = topdown(resolve_place("pilot:birmingham"), YEAR, current_only=True).to_dict()
    assert current_only["capital_pence"] == 0
    assert current_only["total_pence"] == data["current_pence"]


def test_a_county_is_never_counted_with_its_districts() -> None:
    place = resolve_place("pilot:kent")
    assert "E10000016" not in place.units
    result = topdown(place, YEAR)
    reg = registry()
    assert {reg.get(u).kind for u in place.units} == {"district"}
    assert result.population == sum(reg.population(u, 2010)[0] for u in place.units)


def test_pension_lines_use_the_older_population_key() -> None:
    rules = load_rules()
    pension = {"function": "10. Social protection", "subfunction": "10.2 Old age"}
    assert rules.rule_for(pension).key == "population_65plus"
    assert rules.rule_for({"function": "9. Education"}).key == "population"


def test_json_output_shape() -> None:
    result = CliRunner().invoke(app, ["topdown", "--place", "E08000025", "--year", YEAR, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("total_pence", "current_pence", "capital_pence", "population", "per_head_pence"):
        assert isinstance(data[key], int)
    assert data["lines"] and {"source", "method", "key", "grade"} <= set(data["lines"][0])
    assert data["per_head_pence"] == round(data["total_pence"] / data["population"])


def test_unknown_place_and_year_are_usage_errors() -> None:
    runner = CliRunner()
    bad_place = runner.invoke(app, ["topdown", "--place", "Atlantis", "--year", YEAR])
    assert bad_place.exit_code == 2
    bad_year = runner.invoke(app, ["topdown", "--place", "E08000025", "--year", "1990-91"])
    assert bad_year.exit_code == 2 and "2004-05" in bad_year.output


def test_manchester_council_outturn_replaces_its_local_government_lines() -> None:
    result = topdown(resolve_place("E08000003"), YEAR)
    council = [line for line in result.lines if line.department.startswith("Local government (")]
    manchester = {r.line: r.pence for r in outturn(YEAR) if r.authority.startswith("Manchester")}
    levies = sum(manchester[x] for x in LEVIES)
    assert levies > 0
    # RS 2010-11: net current expenditure £1,234.5m, of which housing benefit £242.8m;
    # the levies Manchester paid are taken out, the joint bodies' own spending counted.
    assert manchester["net_current_expenditure"] == 123_450_600_000
    assert sum(line.place_pence for line in council) == 123_450_600_000 - levies
    assert result.levies_removed_pence == levies
    (hb,) = [line for line in council if line.subfunction == "housing_benefit"]
    assert hb.place_pence == 24_281_000_000
    assert "DWP-funded, council-administered" in hb.flags
    replaced = [
        line
        for line in result.lines
        if line.method == "apportioned"
        and line.body_type == "local government"
        and line.capital_current == "current"
    ]
    assert replaced == []  # council, police and fire outturn cover every such line


def test_manchester_counts_the_joint_bodies_serving_it_by_population() -> None:
    result = topdown(resolve_place("E08000003"), YEAR)
    bodies = {line.programme.split(":")[0] for line in result.lines if line.method == "outturn"}
    assert {
        "Greater Manchester Police Authority",
        "Greater Manchester Fire and Rescue Authority",
        "Greater Manchester Passenger Transport Authority",
        "Greater Manchester Waste Disposal Authority",
    } <= bodies
    reg = registry()
    gm = [f"E080000{i:02d}" for i in range(1, 11)]
    share = reg.population("E08000003", 2010)[0] / sum(reg.population(u, 2010)[0] for u in gm)
    police = [line for line in result.lines if line.department.startswith("Police")]
    rs_police = sum(r.pence for r in outturn(YEAR, ecode="E6042") if r.line in FUNCTION)
    assert all(line.key_share == f"{share:.6f}" for line in police)
    assert abs(sum(line.place_pence for line in police) - rs_police * share) < len(police)


def test_every_body_in_revenue_outturn_is_a_council_or_a_known_joint_body() -> None:
    for year in ("2010-11", "2012-13", "2017-18"):
        units = registry().region_units("North West")
        place = Place(spec="nw", name="North West", codes=units, units=units)
        assert topdown(place, year).notes == []


@pytest.mark.parametrize("year", ["2010-11", "2014-15"])
def test_police_force_areas_partition_england_outside_london(year: str) -> None:
    reg = registry()
    present = {r.ecode for r in outturn(year)}
    seen: dict[str, list[str]] = {}
    for body in joint_bodies().values():
        if body.kind == "police" and body.ecode in present:
            for member in body.members:
                for unit in reg.units(member):
                    seen.setdefault(unit, []).append(body.name)
    england = {u for r in ENGLISH_REGIONS if r != "London" for u in reg.region_units(r)}
    assert set(seen) == england
    assert {u: b for u, b in seen.items() if len(b) > 1} == {}


def test_a_county_that_runs_its_fire_service_replaces_the_regional_fire_lines() -> None:
    result = topdown(resolve_place("E07000227"), YEAR)  # Horsham: West Sussex runs fire
    fire = [line for line in result.lines if line.subfunction == "fire"]
    assert fire and all(line.programme.startswith("West Sussex County Council") for line in fire)
    regional_fire = [
        line
        for line in result.lines
        if line.subfunction.startswith("3.2")
        and line.body_type == "local government"
        and line.capital_current == "current"
    ]
    assert regional_fire == []


def test_a_county_is_shared_among_its_districts_by_population() -> None:
    one = topdown(resolve_place("E07000105"), YEAR)  # Ashford, a Kent district
    kent = [line for line in one.lines if line.programme.startswith("Kent County Council:")]
    assert kent and all("shared by population" in " ".join(line.flags) for line in kent)
    assert all(line.grade == "B" for line in kent)


def test_years_without_outturn_apportion_and_flag_council_lines() -> None:
    result = topdown(resolve_place("E08000003"), "2009-10")
    council = [line for line in result.lines if line.body_type == "local government"]
    assert all(line.method == "apportioned" for line in council)
    assert any("no council outturn for 2009-10" in " ".join(line.flags) for line in council)


def test_police_lines_follow_force_spending_not_residents() -> None:
    reg = registry()
    units = reg.region_units("West Midlands")
    w = weights(reg, "police_force", units, 2010)
    assert any("RS 2010-11" in flag for flag in w.flags)
    per_head = {u: w.by_unit[u] / reg.population(u, 2010)[0] for u in units}
    # Birmingham and Coventry share the West Midlands force: same weight per head.
    assert per_head["E08000025"] == pytest.approx(per_head["E08000026"], rel=1e-6)
    # Worcester (E07000237) is policed by West Mercia, which spends less per head.
    assert per_head["E07000237"] < 0.8 * per_head["E08000025"]
    rs = {r.ecode: r.pence for r in outturn("2010-11") if r.line == "police"}
    force = [f"E080000{i}" for i in range(25, 32)]
    assert sum(w.by_unit[u] for u in force) == rs["E6046"]  # the whole force, to the penny


def test_years_without_outturn_take_service_keys_from_the_nearest_year() -> None:
    reg = registry()
    w = weights(reg, "fire_authority", reg.region_units("North West"), 2008)
    assert any("nearest outturn year to 2008" in flag for flag in w.flags)
