"""What the terminal and the count workbook say about the count: each
council service keeps its outturn (the rest is the service's own line,
'outturn less payments', not a theme 'not in transaction data'), and the
capital and council-housing payments kept out of the revenue split are shown
apart, with why they are not counted.

The count is Synthshire's (see tests/test_synthetic_place.py), whose council
also paid £25,000.00 from its capital/revenue column's capital."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console

from tests.test_synthetic_place import (
    COUNCIL,
    COUNCIL_ECODE,
    FIRE,
    FIRE_ECODE,
    GSS,
    YEAR,
    _authority,
    _body,
    _group,
    _line,
)
from totalplace.classify.taxonomy import theme_label
from totalplace.count.capital import CAPITAL_COLUMN, NOT_IN_REFERENCE
from totalplace.count.cube import assemble
from totalplace.count.gross import months_of_year
from totalplace.count.place_count import PlaceCount
from totalplace.count.services import RESIDUAL_METHOD
from totalplace.count.topdown import TopDownResult
from totalplace.count.transactions import PayerCoverage, TransactionGroup, Transactions
from totalplace.orgs import OrgRegistry
from totalplace.reference.places import Place, Registry
from totalplace.render import render_count
from totalplace.report.count_workbook import write_count_workbook
from totalplace.workspace import Workspace

CAPITAL_PENCE = 2_500_000


@pytest.fixture(scope="module")
def count() -> PlaceCount:
    place = Place(spec=GSS, name="Synthshire", codes=(GSS,), units=(GSS,))
    reg = Registry([_authority()], {"synthshire council": GSS}, {GSS: {2012: 100}}, {}, {}, {})
    fire = _body("fire-synthshire", FIRE, "fire", FIRE_ECODE)
    orgs = OrgRegistry([_body("la-synthshire", COUNCIL, "council", COUNCIL_ECODE), fire])
    td = TopDownResult(place, YEAR, current_only=False, population=100)
    td.lines = [
        _line("Local government", "children_social_care", 500_000, COUNCIL_ECODE, COUNCIL),
        _line("Local government", "housing_benefit", 200_000, COUNCIL_ECODE, COUNCIL),
    ]
    capital = TransactionGroup(
        COUNCIL, "children_and_families", "targeted", False, True, None, None, CAPITAL_PENCE, 2
    )
    year = tuple(months_of_year(YEAR))
    tx = Transactions(
        groups=(_group(COUNCIL, "children_and_families", None, 120_000), capital),
        coverage={COUNCIL: PayerCoverage(COUNCIL, date(2012, 4, 1), date(2013, 3, 31), year)},
        outside_year_rows=0,
    )
    return assemble(place, YEAR, "duckdb", td, tx, reg, orgs)


def _terminal(count: PlaceCount) -> str:
    console = Console(record=True, markup=False, emoji=False, width=250)
    render_count(count, console)
    return console.export_text()


def test_terminal_count_names_no_not_in_transaction_data_theme(count: PlaceCount) -> None:
    # the council's £5,000 of outturn: £1,200 placed by payments, £3,800 the service's own line
    (rest,) = [x for x in count.lines if x.method == RESIDUAL_METHOD]
    assert rest.pence == 380_000
    text = _terminal(count)
    assert "not in transaction data" not in text
    assert "each service keeps its outturn" in text and RESIDUAL_METHOD in text


def test_terminal_count_names_themes_as_people_do_not_by_their_ids(count: PlaceCount) -> None:
    text = _terminal(count)
    table = text[text.index("by theme") :]
    ids = [t for t in count.by("theme") if "_" in t]
    assert ids  # the count has themes whose ids are not words, e.g. housing_benefit
    for theme in ids:
        assert theme not in table
        assert theme_label(theme) in table


def test_terminal_count_shows_capital_set_apart_as_its_own_table(count: PlaceCount) -> None:
    (line,) = count.set_apart
    assert line.pence == CAPITAL_PENCE and line.flags[0] == CAPITAL_COLUMN
    text = _terminal(count)
    assert "set apart: capital and council housing (not counted)" in text
    table = text[text.index("set apart: capital") :]
    assert COUNCIL in table and CAPITAL_COLUMN in table and "£0.0m" in table
    assert NOT_IN_REFERENCE in " ".join(text.split())
    # shown, never added: the total is the outturn, £5,000 + £2,000
    assert count.total_pence == 700_000


def test_count_workbook_has_a_set_apart_sheet_saying_why_not_counted(
    count: PlaceCount, tmp_path: Path
) -> None:
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    path = tmp_path / "count.xlsx"
    write_count_workbook(path, count, ws)
    book = load_workbook(path)
    sheet = book["Set apart"]
    rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
    assert rows[0][:2] == ("agency", "kind")
    assert rows[1][:2] == (COUNCIL, CAPITAL_COLUMN) and rows[1][6] == 25_000
    assert rows[-1] == ("Not counted", NOT_IN_REFERENCE, None, None, None, None, None, None)
    summary = {r[0].value: r[1].value for r in book["Summary"].iter_rows()}
    assert summary["Capital and council housing set apart (shown, not counted)"] == 25_000
