"""The opportunity register on real data: Manchester City Council's 2010-11
files (December to March) from ../shared/data, counted with the shipped
reference data.  Skips cleanly when the shared data is absent."""

from __future__ import annotations

import pytest

from totalplace.ingest import ingest_files
from totalplace.opportunities.register import build_register
from totalplace.report.count_file import read_count
from totalplace.report.run import count_workspace
from totalplace.workspace import Workspace

from .conftest import SPEND

MANCHESTER = "Manchester City Council"
MONTHS = ("2010-12.csv", "2011-01.csv", "2011-02.csv", "2011-03.csv")


@pytest.fixture(scope="module")
def manchester(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    if not SPEND.is_dir():
        pytest.skip(f"real spend data not found at {SPEND} (shared/data is not beside the project)")
    ws = Workspace.create(tmp_path_factory.mktemp("mcr") / "mcr", ["E08000003"], "2010-11")
    report = ingest_files(ws, [SPEND / "manchester" / m for m in MONTHS])
    assert report.ok
    count_workspace(ws)
    return ws


def test_manchester_back_office_is_above_the_median_and_split_by_its_payments(
    manchester: Workspace,
) -> None:
    """Guards the back-office measure on a real count: the council is compared
    only with agencies counted from their own payments or outturn, its spend
    above the median share is positive, and its payments split into functions
    that add up to no more than its back office."""
    data = read_count(manchester.root)
    items = build_register(manchester, data)
    values = [x.value_pence for x in items]
    assert values == sorted(values, reverse=True)
    office = next(x for x in items if x.kind == "back_office" and x.agencies == (MANCHESTER,))
    d = office.details
    assert d["above_median_pence"] > 0 and office.value_pence == round(d["above_median_pence"] / 4)
    assert 0 < sum(d["functions"].values()) <= d["pence"]
    assert office.evidence == (
        "/drill?agency=Manchester+City+Council&theme=corporate_and_back_office"
    )
    # no central department apportioned by a key is compared as a back office
    own = {x["agency"] for x in data["lines"] if x["method"] != "apportioned"}
    assert all(x.agencies[0] in own for x in items if x.kind == "back_office")


def test_manchester_duplication_counts_local_bodies_not_national_lines(
    manchester: Workspace,
) -> None:
    """Guards the duplication rule on a real count: every agency counted
    towards a candidate spends on the theme from its own payments or outturn,
    and there are at least three of them."""
    data = read_count(manchester.root)
    own = {(x["theme"], x["agency"]) for x in data["lines"] if x["method"] != "apportioned"}
    found = [x for x in build_register(manchester, data) if x.kind == "duplication"]
    assert found, "the council, the passenger transport and waste authorities share a theme"
    for x in found:
        assert len(x.agencies) >= 3
        assert all((x.subject, a) in own for a in x.agencies)


def test_one_councils_files_give_no_shared_supplier(manchester: Workspace) -> None:
    """Guards against a supplier counted as shared within one paying body."""
    items = build_register(manchester, read_count(manchester.root))
    assert not [x for x in items if x.kind == "shared_supplier"]
