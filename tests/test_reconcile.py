"""The tool's count beside the published Total Place figures: the figures and
their documents, how the difference beyond 10% is attributed, and the
command's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.count.reconcile import (
    Adjustment,
    Published,
    Reconciliation,
    _attribute,
    markdown,
    published_counts,
    reconcile,
)
from totalplace.count.topdown import topdown
from totalplace.reference.places import resolve_place

BN = 100 * 1_000_000_000  # pence in a billion pounds


def test_published_figures_are_the_documents_own() -> None:
    figures = {p.id: p for p in published_counts()}
    assert {k: (p.pence, p.population) for k, p in figures.items()} == {
        "birmingham": (75 * BN // 10, 1_000_000),
        "cumbria": (71 * BN // 10, 0),  # the briefing gives no population
        "pilots": (82 * BN, 11_000_000),
    }
    assert all(p.document and p.quote for p in figures.values())
    assert "£7.1 billion" in figures["cumbria"].quote


def _rec(published: int, counted: int, *moves: int) -> Reconciliation:
    p = Published("x", "X", "E1", published, 0, "q", "d")
    rec = Reconciliation(p, "2008-09", pence=counted)
    rec.adjustments = [Adjustment(f"a{i}", m, "") for i, m in enumerate(moves)]
    _attribute(rec)
    return rec


def test_only_choices_towards_the_published_figure_explain_the_difference() -> None:
    # published 7.1bn, counted 4.9bn: 1.49bn lies beyond 10% (0.71bn)
    rec = _rec(710, 490, 65, -106, -67)
    assert rec.beyond_tolerance_pence == 220 - 71
    assert [a.attributed_pence for a in rec.adjustments] == [0, 0, 65]  # largest first
    assert rec.unexplained_pence == 149 - 65


def test_a_choice_explains_no_more_than_the_difference_beyond_ten_per_cent() -> None:
    rec = _rec(750, 853, 138, -75, -27)  # Birmingham's shape: counted above published
    assert rec.beyond_tolerance_pence == 103 - 75
    assert {a.name: a.attributed_pence for a in rec.adjustments} == {"a0": 0, "a1": 28, "a2": 0}
    assert rec.unexplained_pence == 0
    assert _rec(750, 800, -50).beyond_tolerance_pence == 0  # within 10%


@pytest.fixture(scope="module")
def birmingham() -> Reconciliation:
    (rec,) = reconcile("2008-09", ["birmingham"])
    return rec


def test_birmingham_is_the_top_down_count_with_its_keys_against_population(
    birmingham: Reconciliation,
) -> None:
    rec = birmingham
    td = topdown(resolve_place("pilot:birmingham", "2008-09"), "2008-09")
    assert rec.pence == td.total_pence and rec.population == td.population
    assert rec.current_pence + rec.capital_pence == rec.pence
    # lines largest difference first; a line keyed by population differs by pennies
    diffs = [abs(x.difference_pence) for x in rec.lines]
    assert diffs == sorted(diffs, reverse=True) and diffs[0] > 0
    assert all(x.key != "population" or abs(x.difference_pence) <= 2 for x in rec.lines)
    data = rec.to_dict()
    assert data["ratio"] == round(td.total_pence / (75 * BN // 10), 4)
    assert data["published"]["per_head_pence"] == 750_000
    assert "| Birmingham 2008-09 | £7.50bn | 1,000,000 | £7,500 |" in markdown([rec])


def test_cumbria_is_counted_as_it_was_before_its_split() -> None:
    (rec,) = reconcile("2008-09", ["cumbria"])
    assert sorted(rec.units) == ["E06000063", "E06000064"]
    assert any("E10000006" in note for note in rec.notes)
    explained = sum(a.attributed_pence for a in rec.adjustments)
    assert explained + rec.unexplained_pence == rec.beyond_tolerance_pence


def test_reconcile_command_json_and_its_error_shape() -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["reconcile", "--year", "2008-09", "--figure", "birmingham", "--json"]
    )
    assert result.exit_code == 0, result.output
    (figure,) = json.loads(result.stdout)["figures"]
    assert figure["id"] == "birmingham" and figure["published"]["document"]
    assert {a["name"] for a in figure["adjustments"]} >= {"capital left out"}
    bad = runner.invoke(app, ["reconcile", "--year", "2008-09", "--figure", "leeds", "--json"])
    assert bad.exit_code == 2
    assert json.loads(bad.stdout)["error"]["type"] == "ConfigError"


def test_readme_table_row_is_what_the_command_prints(birmingham: Reconciliation) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    row = markdown([birmingham]).splitlines()[2]
    assert row in readme, "regenerate with: totalplace reconcile --year 2008-09 --markdown"
