"""The count workbook's "Charts" sheet: native Excel bar charts drawn from the
workbook's own tables (by theme, by agency, and the prevention tiers by
theme), so a chart changes when its table is corrected and a reader can check
every bar against the cells it comes from.

Each chart is listed in a plain table on the same sheet, naming the cells it
draws, for a reader who cannot see the chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.worksheet import Worksheet

from totalplace.sheets import append_row, header

AXIS_FORMAT = '"£"#,##0;"\u2212£"#,##0'
ROW_CM = 0.53  # a worksheet row at Excel's default height (15 points)
CHART_COLUMN = "E"  # charts sit right of the table that lists them


@dataclass(frozen=True)
class Table:
    """A table on a sheet of the workbook: a header row, then one row per
    category (its label in ``label_col``) with values in ``first_col`` to
    ``last_col`` (1-based columns)."""

    sheet: Worksheet
    header_row: int
    rows: int  # rows of data under the header
    label_col: int
    first_col: int
    last_col: int

    @property
    def address(self) -> str:
        top = self.header_row + 1
        first = get_column_letter(min(self.label_col, self.first_col))
        last = get_column_letter(self.last_col)
        bottom = self.header_row + self.rows
        return f"{quote_sheetname(self.sheet.title)}!{first}{top}:{last}{bottom}"


def bar_chart(title: str, table: Table, *, stacked: bool = False) -> BarChart:
    """Horizontal bars, one per row of ``table``, largest at the top as the
    table lists them; with ``stacked``, each value column is a segment and
    the bar is their sum."""
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.style = 10
    data = Reference(
        table.sheet,
        min_col=table.first_col,
        max_col=table.last_col,
        min_row=table.header_row,
        max_row=table.header_row + table.rows,
    )
    labels = Reference(
        table.sheet,
        min_col=table.label_col,
        min_row=table.header_row + 1,
        max_row=table.header_row + table.rows,
    )
    chart.add_data(data, titles_from_data=True)
    for series in chart.series:  # the labels are text: a string reference, not numbers
        series.cat = AxDataSource(strRef=StrRef(f=str(labels)))
    if stacked:
        chart.grouping = "stacked"
        chart.overlap = 100
        if chart.legend is not None:
            chart.legend.position = "b"
    else:
        chart.legend = None  # one series: its name is the title
    # the table lists the largest first: draw it at the top, as it reads, with
    # the pounds axis kept along the bottom
    chart.x_axis.scaling.orientation = "maxMin"
    chart.y_axis.crosses = "max"
    chart.y_axis.number_format = AXIS_FORMAT
    chart.y_axis.title = "£"
    # openpyxl 3.1 marks axes deleted unless told: Excel would draw no labels
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width = 24
    chart.height = max(8.0, 0.7 * table.rows + 4)
    return chart


@dataclass(frozen=True)
class Chart:
    title: str
    table: Table
    stacked: bool = False


def write_charts(sheet: Worksheet, charts: list[Chart]) -> None:
    """List each chart with the cells it draws, and place the charts one
    under another beside the list. A chart whose table has no rows is listed
    as not drawn, with why."""
    header(sheet, ["chart", "drawn from"], [44, 44])
    anchor = 2
    for c in charts:
        if not c.table.rows:
            append_row(sheet, [c.title, f"not drawn: {c.table.sheet.title} has no rows"])
            continue
        chart = bar_chart(c.title, c.table, stacked=c.stacked)
        append_row(sheet, [c.title, c.table.address])
        sheet.add_chart(chart, f"{CHART_COLUMN}{anchor}")
        anchor += ceil(chart.height / ROW_CM) + 2
