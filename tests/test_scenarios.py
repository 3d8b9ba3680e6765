"""Scenarios on counts made by hand, the shipped Cumbria example, and the
real top-down count of Cumbria.

Northmoor has 710,000 people and a count of £7.1bn: agency A (council) £4bn,
of which £100m back office, £1bn health (£900m acute, £100m targeted); agency
B (trust) £3.1bn, of which £50m back office, £2bn health all acute.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.errors import ConfigError
from totalplace.opportunities.prevention import shift_pence, tier_split, trend
from totalplace.opportunities.scenarios import (
    count_of,
    load_scenario,
    run_scenario,
    shipped_scenarios,
)
from totalplace.reference.places import Place

M = 100_000_000  # pence in £1m
HEALTH = "health"
OFFICE = "corporate_and_back_office"
ROADS = "environment_and_transport"


def _line(agency: str, theme: str, pence: int, tier: str = "universal") -> CountLine:
    return CountLine(
        agency=agency, agency_type="body", funder="local", theme=theme, function="", tier=tier,
        capital_revenue="revenue", method="transactions", part="bottom_up", gross_net="gross",
        grade="A", pence=pence, source="rows",
    )  # fmt: skip


def _count(year: str = "2009-10") -> PlaceCount:
    lines = [
        _line("A", OFFICE, 100 * M),
        _line("A", HEALTH, 900 * M, "acute"),
        _line("A", HEALTH, 100 * M, "targeted"),
        _line("A", ROADS, 2900 * M),
        _line("B", OFFICE, 50 * M),
        _line("B", HEALTH, 2000 * M, "acute"),
        _line("B", ROADS, 1050 * M),
    ]
    place = Place(spec="E99", name="Northmoor", codes=(), units=())
    return PlaceCount(place=place, year=year, engine="duckdb", population=710_000, lines=lines)


def _scenario(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text('[scenario]\nname = "test"\n' + body)
    return path


def test_shipped_cumbria_example_gives_one_percent_of_seven_point_one_billion() -> None:
    """Guards the shipped example: 1% of a £7.1bn count is £71m (the quoted
    "£70m a year"), £100 per head of 710,000, shared by each agency's spend."""
    path = next(p for p in shipped_scenarios() if p.name == "cumbria_one_percent.toml")
    result = run_scenario(_count(), load_scenario(path))
    assert _count().total_pence == 7100 * M
    assert result["saving_pence"] == 71 * M
    assert result["saving_per_head_pence"] == 10_000
    assert result["gains_by_agency"] == {"A": 40 * M, "B": 31 * M}
    assert result["lines_affected"] == 7


def test_each_kind_of_change_is_worked_as_documented(tmp_path: Path) -> None:
    """Hand-worked: 10% on health is £300m (A £100m, B £200m); a shared back
    office at 20% is £30m (A £20m, B £10m); pooling health is £3bn with A's
    £1bn and B's £2bn; shifting 5% of health's acute spending (£2.9bn) moves
    £145m (A £45m, B £100m), and neither pool nor shift counts as a saving."""
    path = _scenario(
        tmp_path,
        '[[change]]\nkind = "efficiency"\npercent = 10\ntheme = "health"\n'
        '[[change]]\nkind = "shared_back_office"\nbodies = ["A", "b"]\npercent = "20"\n'
        '[[change]]\nkind = "pool"\nthemes = ["health"]\n'
        '[[change]]\nkind = "shift"\ntheme = "health"\npercent = "5"\nto = "universal"\n',
    )
    result = run_scenario(_count(), load_scenario(path))
    eff, office, pool, shift = result["changes"]
    assert (eff["pence"], eff["by_agency"]) == (300 * M, {"B": 200 * M, "A": 100 * M})
    assert (office["pence"], office["by_agency"]) == (30 * M, {"A": 20 * M, "B": 10 * M})
    assert (pool["pence"], pool["by_agency"]) == (3000 * M, {"B": 2000 * M, "A": 1000 * M})
    assert (shift["base_pence"], shift["pence"]) == (2900 * M, 145 * M)
    assert shift["by_agency"] == {"B": 100 * M, "A": 45 * M}
    assert result["saving_pence"] == 330 * M
    assert result["moved_pence"] == 145 * M and result["pooled_pence"] == 3000 * M
    # health's three lines and the two back offices, each counted once
    assert result["lines_affected"] == 5


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('[[change]]\nkind = "cut"\npercent = 1\n', "kind is 'cut'"),
        ('[[change]]\nkind = "efficiency"\n', "needs percent"),
        ('[[change]]\nkind = "efficiency"\npercent = "150"\n', "percent is '150'"),
        ('[[change]]\nkind = "efficiency"\npercent = 1\ntheme = "roads"\n', "theme 'roads'"),
        (
            '[[change]]\nkind = "efficiency"\npercent = 1\nagency = "Z"\n',
            "1 (efficiency) agency: 'Z'",
        ),
        ('[[change]]\nkind = "shift"\npercent = 1\ntheme = "health"\nto = "acute"\n', "moves"),
        ('[[change]]\nkind = "pool"\nthemes = ["health"]\nsaving = 1\n', "has 'saving'"),
        ("", "no [[change]]"),
    ],
)
def test_errors_name_file_table_and_field(tmp_path: Path, body: str, words: str) -> None:
    path = _scenario(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        run_scenario(_count(), load_scenario(path))
    assert str(path) in str(err.value) and words in str(err.value)


def test_prevention_split_and_the_money_a_one_point_shift_moves() -> None:
    """Health is £3bn, £2.9bn acute (96.67%): one point is £30m, within its
    acute spending; a 99-point shift is capped at the £2.9bn that is acute."""
    health = {t.theme: t for t in tier_split(_count())}[HEALTH]
    assert health.by_tier == {"universal": 0, "targeted": 100 * M, "acute": 2900 * M}
    assert health.share("acute") == Decimal("0.9667")
    assert shift_pence(health, Decimal(1)) == 30 * M
    assert shift_pence(health, Decimal(99)) == 2900 * M


def test_prevention_trend_over_years_counted() -> None:
    later = _count("2010-11")
    later.lines.append(_line("B", HEALTH, 1000 * M, "targeted"))
    years = trend([later, _count()])[HEALTH]
    assert [(y["year"], y["acute_share"]) for y in years] == [
        ("2009-10", "0.9667"),
        ("2010-11", "0.7250"),
    ]


def test_scenario_command_side_by_side_on_a_counts_json(tmp_path: Path) -> None:
    count = tmp_path / "count.json"
    count.write_text(json.dumps(_count().to_dict()))
    one = _scenario(tmp_path, '[[change]]\nkind = "efficiency"\npercent = 1\n', "one.toml")
    two = _scenario(tmp_path, '[[change]]\nkind = "efficiency"\npercent = 2\n', "two.toml")
    result = CliRunner().invoke(app, ["scenario", str(count), str(one), str(two), "--json"])
    assert result.exit_code == 0, result.output
    got = [s["saving_pence"] for s in json.loads(result.stdout)["scenarios"]]
    assert got == [71 * M, 142 * M]
    result = CliRunner().invoke(app, ["scenario", str(count), str(tmp_path / "no.toml"), "--json"])
    assert result.exit_code == 2 and json.loads(result.stdout)["error"]["type"] == "ConfigError"


def test_cumbria_one_percent_on_the_real_top_down_count() -> None:
    """Cumbria (E10000006) in 2008-09 from the tool's top-down count: HM
    Treasury's regional spending apportioned to the county, £4,881.8m, so 1%
    is £48.8m a year (against the pilot's £7.1bn and £70m, which counted
    more bodies' spending and a later year)."""
    from totalplace.count.topdown import topdown
    from totalplace.reference.places import resolve_place

    data = topdown(resolve_place("E10000006", "2008-09"), "2008-09").to_dict()
    count = count_of(data)
    assert count.total_pence == data["total_pence"]
    path = next(p for p in shipped_scenarios() if p.name == "cumbria_one_percent.toml")
    result = run_scenario(count, load_scenario(path))
    assert result["saving_pence"] == 4_881_786_539  # 1% of £4,881,786,538.78, to the penny
    assert data["total_pence"] == 488_178_653_878
    assert 40 * M < result["saving_pence"] < 60 * M


def test_prevention_command_gives_the_split_the_shift_and_the_trend(tmp_path: Path) -> None:
    """Two years of one place: the latest year's split with a 2-point shift
    (health: 2% of £4bn = £80m) and the acute share year by year; counts of
    two places are refused rather than read as a trend."""
    older, newer = tmp_path / "2009.json", tmp_path / "2010.json"
    older.write_text(json.dumps(_count().to_dict()))
    later = _count("2010-11")
    later.lines.append(_line("B", HEALTH, 1000 * M, "targeted"))
    newer.write_text(json.dumps(later.to_dict()))
    args = ["prevention", str(older), str(newer), "--points", "2", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    health = next(t for t in got["themes"] if t["theme"] == HEALTH)
    assert got["year"] == "2010-11" and health["shift_pence"] == 80 * M
    assert [y["acute_share"] for y in got["trend"][HEALTH]] == ["0.9667", "0.7250"]
    other = _count()
    other.place = Place(spec="E98", name="Elsewhere", codes=(), units=())
    elsewhere = tmp_path / "other.json"
    elsewhere.write_text(json.dumps({**other.to_dict(), "year": "2011-12"}))
    result = CliRunner().invoke(app, ["prevention", str(older), str(elsewhere), "--json"])
    assert result.exit_code == 2 and "one place" in json.loads(result.stdout)["error"]["message"]
