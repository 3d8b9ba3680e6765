"""Payments set apart as council housing are shown beside the council's
Housing Revenue Account (HRA) expenditure, with the share they cover; capital
payments beside nothing, since no councils' capital outturn is shipped.

The synthetic council is Manchester in 2012-13 (tests/test_service_control.py),
whose HRA expenditure the RS workbook gives as £68,001 thousand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import SHARED_DATA
from tests.test_service_control import _council
from totalplace.count.apart_against import (
    CAPITAL,
    HRA,
    NO_CAPITAL_OUTTURN,
    set_against,
)
from totalplace.count.cube import build_count
from totalplace.reference.hra import hra_account, nearest_year, years
from totalplace.report.count_workbook import write_count_workbook

MANCHESTER = "E4203"
MANCHESTER_HRA_2012_13 = 68_001_000 * 100  # RS 2012-13, 'Total HRA expenditure', £ thousand


def _payments() -> dict[str, tuple[str, str, str, str | None, str]]:
    return {
        "Tenant Repairs Ltd": (
            "4000.00",
            "Housing Revenue Account",
            "Repairs",
            None,
            "housing_and_regeneration",
        ),
        "Road Surfacing Ltd": (
            "3000.00",
            "Highways",
            "Building Works",
            None,
            "housing_and_regeneration",
        ),
        "Foster Families Ltd": ("5000.00", "Children", "Fostering", None, "children_and_families"),
    }


def test_council_housing_payments_are_set_against_the_councils_hra(tmp_path: Path) -> None:
    count = build_count(_council(tmp_path, _payments()))
    against = {a.kind: a for a in count.set_apart_against}
    hra = against[HRA]
    assert hra.body == MANCHESTER and hra.payments_pence == 400_000
    assert hra.reference_pence == MANCHESTER_HRA_2012_13 and hra.reference_year == "2012-13"
    assert hra.share == 400_000 / MANCHESTER_HRA_2012_13
    assert "nearest" not in hra.note and "CH294" in hra.note  # the workbook cell
    # one month of files against a year's account: said, never annualised
    assert hra.months == 1 and "payments over 1 of the year's 12 months" in hra.note
    capital = against[CAPITAL]
    assert capital.payments_pence == 300_000 and capital.reference_pence is None
    assert capital.share is None and capital.note.startswith(NO_CAPITAL_OUTTURN)
    data = json.loads(json.dumps(count.to_dict()))
    rows = {r["kind"]: r for r in data["set_apart_against"]}
    assert rows[HRA]["reference_pence"] == MANCHESTER_HRA_2012_13
    assert rows[HRA]["share"] == round(400_000 / MANCHESTER_HRA_2012_13, 4)
    assert rows[CAPITAL]["reference_pence"] is None and rows[CAPITAL]["share"] is None
    # beside the count, never in it: the set-apart figure is unchanged
    assert data["set_apart_pence"] == 700_000


def test_workbook_set_apart_sheet_shows_the_hra_beside_the_payments(tmp_path: Path) -> None:
    ws = _council(tmp_path, _payments())
    count = build_count(ws)
    path = tmp_path / "count.xlsx"
    write_count_workbook(path, count, ws)
    rows = [r for r in load_workbook(path)["Set apart"].iter_rows(values_only=True) if any(r)]
    at = next(i for i, r in enumerate(rows) if r[1] == "set apart as")
    beside = {r[1]: r for r in rows[at + 1 : -1]}
    assert beside[HRA][2] == 4_000 and beside[HRA][5] == 68_001_000
    assert beside[HRA][4] == "2012-13" and beside[HRA][6] == pytest.approx(4_000 / 68_001_000)
    assert beside[CAPITAL][4] == "not shipped" and beside[CAPITAL][5] is None


@dataclass(frozen=True)
class _Line:
    agency: str
    body: str
    service: str
    pence: int


def test_a_year_without_hra_columns_takes_the_nearest_year_and_says_so() -> None:
    # the RS workbooks carry the HRA from 2012-13; 2010-11 has none
    assert hra_account("2010-11", MANCHESTER) is None and nearest_year("2010-11") == "2012-13"
    (a,) = set_against([_Line("Manchester", MANCHESTER, "housing_revenue_account", 100)], "2010-11")
    assert a.reference_year == "2012-13" and a.reference_pence == MANCHESTER_HRA_2012_13
    assert "nearest year shipped to 2010-11" in a.note


def test_a_council_with_no_hra_says_its_council_housing_payments_are_doubtful() -> None:
    # Mendip transferred its homes to a housing association: its HRA is nil
    assert hra_account("2012-13", "E3331").expenditure_pence == 0  # type: ignore[union-attr]
    (a,) = set_against([_Line("Mendip", "E3331", "housing_revenue_account", 100)], "2012-13")
    assert a.share is None and "reports no Housing Revenue Account" in a.note


def test_payments_of_two_councils_are_each_set_against_their_own_account() -> None:
    lines = [
        _Line("Manchester", MANCHESTER, "housing_revenue_account", 100),
        _Line("Manchester", MANCHESTER, "housing_revenue_account", 50),
        _Line("Birmingham", "E4601", "housing_revenue_account", 70),
        _Line("Birmingham", "E4601", "capital", 30),
    ]
    got = {
        (a.body, a.kind): (a.payments_pence, a.reference_pence)
        for a in set_against(lines, "2012-13")
    }
    birmingham = hra_account("2012-13", "E4601")
    assert birmingham is not None
    assert got == {
        (MANCHESTER, HRA): (150, MANCHESTER_HRA_2012_13),
        ("E4601", HRA): (70, birmingham.expenditure_pence),
        ("E4601", CAPITAL): (30, None),
    }


def test_shipped_hra_table_is_the_workbooks_own_and_adds_to_england() -> None:
    """Rebuilt from the RS workbooks in shared/data: the same rows, and each
    year's authorities sum to the published ENGLAND row."""
    folder = SHARED_DATA / "finance" / "revenue_outturn_rs"
    if not folder.is_dir():
        pytest.skip(f"RS workbooks not found at {folder} (shared/data is not beside the project)")
    from scripts.build_hra import parse

    assert years() == ["2012-13", "2013-14", "2014-15", "2017-18"]
    book = next(folder.glob("*2012-13*"))
    year, rows, skipped, england = parse(book)
    assert year == "2012-13" and skipped == 0 and england is not None
    assert sum(r.expenditure_pence for r in rows) == england["expenditure"]
    assert sum(r.income_pence for r in rows) == england["income"]
    for r in rows:
        shipped = hra_account(year, r.ecode)
        assert shipped is not None
        assert (shipped.expenditure_pence, shipped.income_pence) == (
            r.expenditure_pence,
            r.income_pence,
        )


def test_terminal_count_sets_council_housing_against_the_hra(tmp_path: Path) -> None:
    from rich.console import Console

    from totalplace.render import render_count

    count = build_count(_council(tmp_path, _payments()))
    console = Console(record=True, markup=False, emoji=False, width=400)
    render_count(count, console)
    text = " ".join(console.export_text().split())
    assert "council housing payments £0.0m set against Housing Revenue Account" in text
    assert "£68.0m, 0.0% of it; HRA expenditure in 2012-13" in text
    assert "capital payments £0.0m set against capital outturn: nothing shipped" in text
