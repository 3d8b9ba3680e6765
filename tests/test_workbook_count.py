"""The count workbook as a finance officer opens it: no empty row under any
header, shares as percentages (numbers, not text), money as pounds, themes and
methods in words, and a Charts sheet of native Excel bar charts whose data are
the workbook's own non-empty tables.

The count is built by hand: a council counted from its payments (two themes,
two tiers), a fire authority from its outturn, and an eliminated transfer from
the council to the fire authority."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart
from openpyxl.utils import range_boundaries

from totalplace.classify.taxonomy import theme_label
from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.count.transfers import Transfer
from totalplace.orgs.registry import KINDS
from totalplace.reference.places import Place
from totalplace.report.count_workbook import write_count_workbook
from totalplace.report.labels import KIND_LABELS, method_label, tier_label
from totalplace.sheets import append_row, header
from totalplace.workspace import Workspace

COUNCIL = "Synthshire Council"
FIRE = "Synthshire Fire Authority"


def _line(agency: str, theme: str, tier: str, method: str, pence: int) -> CountLine:
    part = "bottom_up" if method == "transactions" else "top_down"
    return CountLine(
        agency=agency,
        agency_type="council",
        funder="council financing",
        theme=theme,
        function="10. Social protection",
        tier=tier,
        capital_revenue="revenue",
        method=method,
        part=part,
        gross_net="gross",
        grade="B",
        pence=pence,
        source="synthetic",
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Workbook:
    root = tmp_path_factory.mktemp("workbook")
    place = Place(spec="E06999999", name="Synthshire", codes=("E06999999",), units=("E06999999",))
    count = PlaceCount(place, "2012-13", "duckdb", 100)
    count.lines = [
        _line(COUNCIL, "children_and_families", "targeted", "transactions", 30_000_000),
        _line(COUNCIL, "children_and_families", "acute", "transactions", 10_000_000),
        _line(COUNCIL, "housing_benefit", "universal", "transactions", 20_000_000),
        _line(FIRE, "fire_and_rescue", "acute", "outturn", 25_000_000),
    ]
    count.transfers = [
        Transfer(COUNCIL, FIRE, "fire-x", "fire", "fire_and_rescue", 5_000_000, 3, True, "")
    ]
    ws = Workspace.create(root / "ws", ["E08000025"], "2010-11")
    write_count_workbook(root / "count.xlsx", count, ws)
    return load_workbook(root / "count.xlsx")


def test_no_sheet_has_an_empty_row_under_its_header(book: Workbook) -> None:
    for sheet in book.worksheets:
        row2 = [c.value for c in sheet[2]]
        assert any(v is not None for v in row2), f"{sheet.title}: row 2 is empty"
        assert sheet.freeze_panes == "A2", sheet.title


def test_header_puts_the_first_row_straight_under_the_names() -> None:
    sheet = Workbook().create_sheet("t")
    header(sheet, ["agency", "£"], [30, 12])
    append_row(sheet, ["A council", 1])
    assert list(sheet.iter_rows(values_only=True)) == [("agency", "£"), ("A council", 1)]


def test_shares_are_numbers_formatted_as_percentages(book: Workbook) -> None:
    for title in ("By theme", "By method", "By agency"):
        sheet = book[title]
        col = [c.value for c in sheet[1]].index("share") + 1
        cells = [sheet.cell(r, col) for r in range(2, sheet.max_row + 1)]
        assert cells and all(isinstance(c.value, float) for c in cells), title
        assert all(c.number_format.endswith("%") for c in cells), title
    shares = {r[0]: r[2] for r in book["By agency"].iter_rows(min_row=2, values_only=True)}
    # £600,000 of the council's payments less the £50,000 eliminated, of £800,000
    assert shares[COUNCIL] == 0.6875


def test_money_is_pounds_as_numbers_in_a_pound_format(book: Workbook) -> None:
    cell = book["By theme"]["B2"]
    assert cell.value == 400_000 and cell.data_type == "n"
    assert cell.number_format.startswith('"£"#,##0;')
    assert "\u2212£" in cell.number_format  # a negative: minus sign, then £


def test_themes_and_methods_are_written_in_words_not_ids(book: Workbook) -> None:
    themes = [r[0] for r in book["By theme"].iter_rows(min_row=2, values_only=True)]
    assert themes[0] == theme_label("children_and_families") == "Children and families"
    assert theme_label("housing_benefit") in themes
    assert not any("_" in str(t) for t in themes)
    methods = {r[0] for r in book["By method"].iter_rows(min_row=2, values_only=True)}
    # an eliminated transfer has no method: By method takes it off as its own row
    assert methods == {
        method_label("transactions"),
        method_label("outturn"),
        "Transfers eliminated",
    }
    assert "transactions" not in methods
    lines = list(book["Lines"].iter_rows(values_only=True))
    col = lines[0].index("theme")
    assert {r[col] for r in lines[1:]} <= set(themes)
    column = {name: {r[i] for r in lines[1:]} for i, name in enumerate(lines[0])}
    assert column["agency type"] == {"Council"}
    assert column["part"] == {"Bottom up (from payments)", "Top down (outturn or apportioned)"}
    assert tier_label("universal") in column["tier"] and "universal" not in column["tier"]
    assert column["method"] == {method_label("transactions"), method_label("outturn")}


def test_prevention_split_adds_up_to_each_theme(book: Workbook) -> None:
    sheet = book["Prevention by theme"]
    head = [c.value for c in sheet[1]]
    assert head[1:4] == [f"{tier_label(t)} £" for t in ("universal", "targeted", "acute")]
    by_theme = {r[0]: r[1] for r in book["By theme"].iter_rows(min_row=2, values_only=True)}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        assert sum(Decimal(v) for v in row[1:-1]) == row[-1] == by_theme[row[0]]
    fire = next(
        r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "Fire and rescue"
    )
    assert fire[3] == 250_000 and fire[4] == -50_000 and fire[5] == 200_000


def _ref(data: object) -> str:
    """The formula of a series' categories or values, string or numeric."""
    found = getattr(data, "strRef", None) or getattr(data, "numRef", None)
    assert found is not None and found.f
    return str(found.f)


def _cells(book: Workbook, ref: str) -> list[object]:
    match = re.fullmatch(r"'?(.+?)'?!(\$?[A-Z]+\$?\d+(?::\$?[A-Z]+\$?\d+)?)", ref)
    assert match, ref
    sheet = book[match.group(1)]
    min_col, min_row, max_col, max_row = range_boundaries(match.group(2).replace("$", ""))
    assert min_col is not None and min_row is not None
    assert max_col is not None and max_row is not None
    return [
        sheet.cell(r, c).value
        for r in range(min_row, max_row + 1)
        for c in range(min_col, max_col + 1)
    ]


def test_charts_sheet_draws_bars_from_the_workbooks_own_tables(book: Workbook) -> None:
    sheet = book["Charts"]
    charts = sheet._charts
    assert len(charts) == 3 and all(isinstance(c, BarChart) for c in charts)
    titles = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == [
        "Spending by theme",
        "Spending by agency",
        "Prevention and crisis: each theme by tier",
    ]
    for chart in charts:
        for series in chart.series:
            values = _cells(book, _ref(series.val))
            assert series.cat.strRef is not None  # text labels, not numbers
            labels = _cells(book, _ref(series.cat))
            assert values and all(v is not None for v in values)
            assert labels and all(isinstance(v, str) and v for v in labels)
    themes, agencies, tiers = charts
    assert _cells(book, _ref(agencies.series[0].cat)) == [COUNCIL, FIRE]
    assert _ref(themes.series[0].val).startswith("'By theme'!")
    assert tiers.grouping == "stacked" and len(tiers.series) == 3
    names = [_cells(book, s.tx.strRef.f)[0] for s in tiers.series]
    assert names == [f"{tier_label(t)} £" for t in ("universal", "targeted", "acute")]


def test_summary_names_a_service_counted_from_outturn_in_words(tmp_path: Path) -> None:
    place = Place(spec="E06999999", name="Synthshire", codes=("E06999999",), units=("E06999999",))
    count = PlaceCount(place, "2012-13", "duckdb", 100)
    line = _line(COUNCIL, "adult_social_care", "acute", "outturn", 9_000_000)
    count.lines = [replace(line, basis="outturn", flags=("no classified payment",))]
    write_count_workbook(
        tmp_path / "count.xlsx", count, Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    )
    summary = [
        r[0] for r in load_workbook(tmp_path / "count.xlsx")["Summary"].iter_rows(values_only=True)
    ]
    said = f"{COUNCIL}: Adult social care counted from its outturn; no classified payment"
    assert said in summary


def test_every_kind_of_public_body_has_a_label_and_transfers_use_it(book: Workbook) -> None:
    assert set(KINDS) <= set(KIND_LABELS)
    (row,) = book["Transfers"].iter_rows(min_row=2, values_only=True)
    assert row[:4] == (COUNCIL, FIRE, "Fire and rescue", "Fire and rescue")
