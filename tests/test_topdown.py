"""The top-down count: conservation, whole regions, keys and the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.count.keys import load_rules
from totalplace.count.topdown import topdown
from totalplace.reference.places import Place, registry, resolve_place
from totalplace.reference.regional import ENGLISH_REGIONS, regional_lines

YEAR = "2010-11"


@pytest.mark.parametrize("region", ENGLISH_REGIONS)
def test_a_whole_region_counts_its_identifiable_total_to_the_penny(region: str) -> None:
    units = registry().region_units(region)
    place = Place(spec=region, name=region, codes=units, units=units)
    result = topdown(place, YEAR)
    expected = sum(
        line.pence for line in regional_lines(YEAR) if line.identifiable and line.region == region
    )
    assert result.total_pence == expected
    assert all(line.place_pence == line.region_pence for line in result.lines)


def test_a_region_shared_out_by_authority_adds_back_up() -> None:
    region = "North East"
    units = registry().region_units(region)
    parts = [
        topdown(Place(spec=u, name=u, codes=(u,), units=(u,)), YEAR).total_pence for u in units
    ]
    whole = topdown(Place(spec=region, name=region, codes=units, units=units), YEAR)
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
