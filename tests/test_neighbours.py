"""Nearest neighbours: known neighbours on synthetic places, symmetry, order,
tiers, the user's own list, and Trafford against CIPFA's published lists."""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.errors import ConfigError
from totalplace.reference.neighbours import (
    WEIGHTS,
    Area,
    _parse,
    distance,
    from_list,
    indicators,
    nearest,
    standardise,
)

from .conftest import SHARED_DATA

TRAFFORD = "E08000009"
CIPFA = SHARED_DATA / "outcomes" / "cipfa_neighbours"
# The overlap reached with the shipped weights (chosen on the 2019 list only).
OVERLAP_2019 = 8
OVERLAP_2021 = 9


def _area(gss: str, kind: str, **values: float) -> Area:
    base = dict.fromkeys(WEIGHTS, 1.0)
    base.update(values)
    return Area(gss, f"Place {gss}", kind, base)


def _synthetic() -> list[Area]:
    """Unitaries on a line of deprivation scores (each one's nearest is the next
    one along), plus a district and a county that sit on top of the first."""
    out = [_area(f"E060000{i:02d}", "unitary", income=float(i)) for i in range(1, 9)]
    out.append(_area("E07000001", "district", income=1.0))
    out.append(_area("E10000001", "county", income=1.0))
    return out


def test_synthetic_nearest_are_the_known_ones() -> None:
    areas = _synthetic()
    found = nearest("E06000004", 2, areas=areas)
    assert [n.gss for n in found.neighbours] == ["E06000003", "E06000005"]
    assert math.isclose(found.neighbours[0].distance, found.neighbours[1].distance)  # a tie
    ends = nearest("E06000001", 3, areas=areas)
    assert [n.gss for n in ends.neighbours] == ["E06000002", "E06000003", "E06000004"]


def test_a_tier_only_meets_its_own_tier() -> None:
    areas = _synthetic()
    found = nearest("E06000001", 20, areas=areas)
    assert {n.gss[:3] for n in found.neighbours} == {"E06"}
    # the district is identical to Place 1 but never its neighbour; and alone in its tier
    assert nearest("E07000001", 5, areas=areas).neighbours == []


def test_distance_is_symmetric_and_zero_to_itself() -> None:
    z = standardise([a for a in indicators() if a.tier == "single-tier"])
    codes = sorted(z)[:25]
    for a in codes:
        assert distance(z[a], z[a], WEIGHTS) == 0
        for b in codes:
            assert distance(z[a], z[b], WEIGHTS) == distance(z[b], z[a], WEIGHTS)


def test_stable_under_reordering_of_the_input() -> None:
    areas = list(indicators())
    first = nearest(TRAFFORD, 15, areas=areas).to_dict()
    for seed in (1, 2, 3):
        shuffled = areas[:]
        random.Random(seed).shuffle(shuffled)
        assert nearest(TRAFFORD, 15, areas=shuffled).to_dict() == first


def test_never_spending_only_descriptive_indicators() -> None:
    assert math.isclose(sum(WEIGHTS.values()), 1.0)
    for name in WEIGHTS:
        assert "spend" not in name and "pence" not in name


def test_every_current_authority_has_indicators_and_a_tier() -> None:
    from totalplace.reference.places import registry

    current = {a.gss for a in registry().authorities(current_only=True)}
    shipped = {a.gss for a in indicators()}
    assert shipped == current
    assert all(len(a.values) == len(WEIGHTS) for a in indicators())


def test_a_bad_indicator_cell_names_line_and_column() -> None:
    text = "gss,name,kind,population\nE06000001,A,unitary,lots\n"
    with pytest.raises(ConfigError, match="line 2: population 'lots'"):
        _parse(text, "x.csv")


def test_users_own_list_keeps_its_order_with_distances() -> None:
    found = from_list(TRAFFORD, ["Swindon", "E06000007"])
    assert [n.gss for n in found.neighbours] == ["E06000030", "E06000007"]
    by_nearest = {n.gss: n.distance for n in nearest(TRAFFORD, 400).neighbours}
    assert [n.distance for n in found.neighbours] == [
        by_nearest["E06000030"],
        by_nearest["E06000007"],
    ]


def test_command_json_shape_and_list_file(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["neighbours", "Trafford", "--json", "--n", "4"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["place"] == TRAFFORD
    assert len(data["neighbours"]) == 4
    distances = [n["distance"] for n in data["neighbours"]]
    assert distances == sorted(distances)
    assert {"gss", "name", "distance", "closest_on"} <= set(data["neighbours"][0])
    mine = tmp_path / "mine.csv"
    mine.write_text("area_code,area_name\nE06000030,Swindon\n# a comment\nWarrington\n")
    listed = runner.invoke(app, ["neighbours", TRAFFORD, "--list", str(mine), "--json"])
    assert listed.exit_code == 0, listed.output
    assert [n["gss"] for n in json.loads(listed.stdout)["neighbours"]] == [
        "E06000030",
        "E06000007",
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("E06000030\nNowhere-on-Sea\n")
    refused = runner.invoke(app, ["neighbours", TRAFFORD, "--list", str(bad), "--json"])
    assert refused.exit_code == 2
    assert "line 2" in json.loads(refused.stdout)["error"]["message"]


def _published(name: str) -> list[str]:
    path = CIPFA / name
    if not path.is_file():
        pytest.skip(f"{path} not found: the shared data is not next to the project")
    with path.open(encoding="utf-8") as handle:
        return [row["area_code"] for row in csv.DictReader(handle)]


@pytest.mark.parametrize(
    ("name", "floor"), [("cipfa2019.csv", OVERLAP_2019), ("cipfa2021.csv", OVERLAP_2021)]
)
def test_trafford_overlaps_cipfa_published_lists(name: str, floor: int) -> None:
    published = _published(name)
    ours = [n.gss for n in nearest(TRAFFORD, len(published)).neighbours]
    assert len(set(ours) & set(published)) >= floor
