"""Every authority's top-down count in one run: it adds up to England to the penny,
and each authority's figure is the single-place count's."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.count.national import NationalCount, national
from totalplace.count.topdown import topdown
from totalplace.reference.places import registry, resolve_place
from totalplace.reference.regional import ENGLISH_REGIONS, regional_lines

OUTTURN_YEAR = "2010-11"  # councils' outturn replaces local-government lines
REGIONAL_YEAR = "2016-17"  # no outturn shipped: every line apportioned
# one of each kind: metropolitan, district, unitary, London borough, the City of
# London, and two counties (the sums of their districts)
SAMPLE = ("E08000009", "E07000117", "E06000047", "E09000033", "E09000001", "E10000017", "E10000016")


@pytest.fixture(scope="module")
def with_outturn() -> NationalCount:
    return national(OUTTURN_YEAR)


@pytest.fixture(scope="module")
def regional_only() -> NationalCount:
    return national(REGIONAL_YEAR)


def _by_gss(result: NationalCount) -> dict[str, object]:
    return {p.gss: p for p in [*result.places, *result.counties]}


def test_every_lowest_tier_authority_is_counted_once(with_outturn: NationalCount) -> None:
    lowest = {a.gss for a in registry().authorities(current_only=True) if a.lowest_tier}
    gss = [p.gss for p in with_outturn.places]
    assert len(gss) == len(set(gss)) == len(lowest)
    assert set(gss) == lowest
    assert not {c.gss for c in with_outturn.counties} & lowest


def test_authorities_add_up_to_england_identifiable_spending_to_the_penny(
    regional_only: NationalCount,
) -> None:
    """Without outturn in the year, England is the regional lines of the nine
    English regions, summed straight from the reference table."""
    england = sum(
        line.pence
        for line in regional_lines(REGIONAL_YEAR)
        if line.identifiable and line.region in ENGLISH_REGIONS
    )
    assert regional_only.places_sum_pence == england
    assert regional_only.england_total_pence == england
    assert regional_only.replaced_pence == regional_only.outturn_pence == 0


def test_with_outturn_the_parts_still_add_to_england(with_outturn: NationalCount) -> None:
    assert with_outturn.outturn_pence > 0 and with_outturn.replaced_pence > 0
    assert with_outturn.places_sum_pence == with_outturn.england_total_pence
    # each region's authorities add up to the count of the whole region as one place
    region = "North East"
    units = registry().region_units(region)
    whole = topdown(resolve_place(",".join(units), OUTTURN_YEAR), OUTTURN_YEAR)
    parts = sum(p.total_pence for p in with_outturn.places if p.region == region)
    assert parts == whole.total_pence


@pytest.mark.parametrize("gss", SAMPLE)
@pytest.mark.parametrize("year", [OUTTURN_YEAR, REGIONAL_YEAR])
def test_each_place_equals_the_single_place_count(
    gss: str,
    year: str,
    with_outturn: NationalCount,
    regional_only: NationalCount,
) -> None:
    everyone = with_outturn if year == OUTTURN_YEAR else regional_only
    mine = _by_gss(everyone)[gss]
    single = topdown(resolve_place(gss, year), year).to_dict()
    got = mine.to_dict()  # type: ignore[attr-defined]
    for key in ("total_pence", "current_pence", "capital_pence", "population", "per_head_pence"):
        assert got[key] == single[key], key


def test_themes_add_up_to_each_total(with_outturn: NationalCount) -> None:
    for p in [*with_outturn.places, *with_outturn.counties]:
        assert sum(p.by_theme.values()) == p.total_pence, p.gss


def test_current_only_leaves_out_capital() -> None:
    result = national(REGIONAL_YEAR, current_only=True, use_outturn=False)
    assert all(p.capital_pence == 0 for p in result.places)
    assert result.places_sum_pence == result.england_total_pence


def test_command_all_json_and_csv(tmp_path: Path, regional_only: NationalCount) -> None:
    out = tmp_path / "all.csv"
    args = ["topdown", "--all", "--year", REGIONAL_YEAR, "--json", "--csv", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["year"] == REGIONAL_YEAR
    assert data["england_total_pence"] == regional_only.england_total_pence
    first = data["places"][0]
    assert {"gss", "name", "total_pence", "current_pence", "capital_pence"} <= set(first)
    assert {"population", "per_head_pence", "by_theme"} <= set(first)
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(data["places"])
    assert sum(int(r["total_pence"]) for r in rows) == data["england_total_pence"]
    themes = [c for c in rows[0] if c.startswith("theme:")]
    assert sum(int(rows[0][c]) for c in themes) == int(rows[0]["total_pence"])


@pytest.mark.parametrize(
    "args",
    [
        ["topdown", "--year", REGIONAL_YEAR, "--json"],
        ["topdown", "--all", "--place", "E08000009", "--year", REGIONAL_YEAR, "--json"],
        ["topdown", "--place", "E08000009", "--csv", "x.csv", "--year", REGIONAL_YEAR, "--json"],
    ],
)
def test_place_or_all_but_not_both(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["type"] == "ConfigError"


def test_an_unwritable_csv_is_a_usage_error(tmp_path: Path) -> None:
    args = ["topdown", "--all", "--year", REGIONAL_YEAR, "--json", "--csv", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "cannot write" in json.loads(result.stdout)["error"]["message"]


# Heavy modules a single top-down count must not load: each costs a tenth of a
# second or more of start-up and the count needs none of them.
NOT_FOR_TOPDOWN = (
    "pandas",
    "ibis",
    "duckdb",
    "fastapi",
    "openpyxl",
    "splink",
    "pyspark",
    "totalplace.ingest.pipeline",
    "totalplace.workspace",
    "totalplace.classify",
)


def test_a_single_count_loads_no_heavy_module() -> None:
    import subprocess
    import sys

    args = ["-m", "totalplace", "topdown", "--place", "E08000009", "--year", "2017-18"]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = {
        line.split("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    heavy = {m for m in loaded for x in NOT_FOR_TOPDOWN if m == x or m.startswith(x + ".")}
    assert not heavy
