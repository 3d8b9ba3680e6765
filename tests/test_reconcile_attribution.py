"""Every pound the reconciliation attributes is computed from the shipped data,
the same way for every published figure, never fitted to the published figure:
each scope choice is recomputed here independently, the amounts do not move
when the published figure does, and explained plus unexplained is the
difference beyond 10% for every figure and year."""

from __future__ import annotations

from dataclasses import replace

import pytest

from totalplace.count import reconcile as rc
from totalplace.count.reconcile import Reconciliation, reconcile
from totalplace.count.topdown import mid_year, topdown
from totalplace.reference.places import registry, resolve_place
from totalplace.reference.regional import ENGLISH_REGIONS, regional_lines

YEARS = ("2008-09", "2010-11")


@pytest.fixture(scope="module", params=YEARS)
def recs(request: pytest.FixtureRequest) -> list[Reconciliation]:
    return reconcile(request.param)


def _choices(rec: Reconciliation) -> dict[str, int]:
    return {a.name: a.pence for a in rec.adjustments}


def test_every_figure_explained_plus_unexplained_is_the_difference_beyond_ten_per_cent(
    recs: list[Reconciliation],
) -> None:
    for rec in recs:
        explained = sum(a.attributed_pence for a in rec.adjustments)
        tolerance = rec.published.pence // 10
        beyond = max(0, abs(rec.published.pence - rec.pence) - tolerance)
        assert explained + rec.unexplained_pence == beyond, rec.published.id
        assert rec.unexplained_pence >= 0
        # a choice explains only in the direction of the published figure, and
        # never more than it moves the count
        toward = 1 if rec.published.pence > rec.pence else -1
        for a in rec.adjustments:
            assert 0 <= a.attributed_pence <= max(0, a.pence * toward), (rec.published.id, a)


def test_negative_lines_left_out_is_the_count_without_its_negative_lines() -> None:
    """Recomputed from the top-down lines of Cumbria's successor unitaries:
    the count with its negative lines dropped, less the count."""
    (rec,) = reconcile("2008-09", ["cumbria"])
    td = topdown(resolve_place("E10000006", "2008-09"), "2008-09")
    without = sum(x.place_pence for x in td.lines if x.place_pence >= 0)
    assert _choices(rec)["net receipts left out"] == without - td.total_pence
    # the Nuclear Decommissioning Authority's net receipts at Sellafield are among them
    nda = [
        x
        for x in td.lines
        if "Nuclear Decommissioning" in x.programme and x.place_pence < 0 and x.key == "site"
    ]
    assert nda and sum(x.place_pence for x in nda) < -20_000_000_000  # over £200m


def test_non_identifiable_share_is_recomputed_from_the_regional_lines() -> None:
    (rec,) = reconcile("2008-09", ["cumbria"])
    lines = regional_lines("2008-09")
    non_id = sum(x.pence for x in lines if not x.identifiable)
    uk = sum(x.pence for x in lines if x.identifiable)
    england = sum(x.pence for x in lines if x.identifiable and x.region in ENGLISH_REGIONS)
    td = topdown(resolve_place("E10000006", "2008-09"), "2008-09")
    reg = registry()
    residents = sum(
        reg.population(u, mid_year("2008-09"))[0]
        for r in ENGLISH_REGIONS
        for u in reg.region_units(r)
    )
    expected = non_id * england / uk * td.population / residents
    assert abs(_choices(rec)["non-identifiable spending by population"] - expected) <= 2


def test_choices_do_not_move_with_the_published_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plug would follow the published figure; a scope choice does not."""
    (before,) = reconcile("2008-09", ["cumbria"])
    moved = tuple(
        replace(p, pence=p.pence * 2) if p.id == "cumbria" else p for p in rc.published_counts()
    )
    monkeypatch.setattr(rc, "published_counts", lambda: moved)
    (after,) = reconcile("2008-09", ["cumbria"])
    assert _choices(after) == _choices(before)
    assert after.unexplained_pence > before.unexplained_pence


def test_the_same_choices_are_named_for_every_figure(recs: list[Reconciliation]) -> None:
    names = {tuple(sorted(_choices(r))) for r in recs}
    assert len(names) == 1
    assert {"net receipts left out", "non-identifiable spending by population"} <= set(
        next(iter(names))
    )


def test_every_choice_names_the_data_it_is_computed_from(recs: list[Reconciliation]) -> None:
    for rec in recs:
        for a in rec.adjustments:
            assert "Country and Regional Analysis" in a.source, (rec.published.id, a.name)
    cumbria = next(r for r in recs if r.published.id == "cumbria")
    receipts = next(a for a in cumbria.adjustments if a.name == "net receipts left out")
    if cumbria.year == "2008-09":  # the Authority's net receipts at Sellafield, by name
        assert "Nuclear Decommissioning Authority" in receipts.source
