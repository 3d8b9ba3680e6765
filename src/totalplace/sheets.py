"""Worksheet helpers shared by every workbook the project writes.

Money is written as a number of pounds (pence / 100, exact Decimal) and shown
in whole pounds with a pound sign and thousands separators; a negative shows
the minus sign (U+2212) before the pound sign, in red. The cell keeps the
pence, so a sum in the spreadsheet is exact. A share is a number (0.0425)
shown as a percentage (4.3%), so it can be charted and summed, never text.

Text that a spreadsheet would read as a formula (starting with = + - @, or a
tab or carriage return) is written as text with a leading apostrophe, so a
supplier name or a case file cannot smuggle a formula into someone's workbook.
"""

from __future__ import annotations

from decimal import Decimal

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MONEY_FORMAT = '"£"#,##0;[Red]"\u2212£"#,##0'
SHARE_FORMAT = "0.0%"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | None


def safe_text(text: str) -> str:
    """Text that cannot be read as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def pounds(pence: int) -> Decimal:
    return Decimal(pence) / 100


def append_row(
    ws: Worksheet,
    values: list[Cell],
    money: tuple[int, ...] = (),
    share: tuple[int, ...] = (),
) -> None:
    """Append a row; columns listed in ``money`` (0-based) get the pound
    format, those in ``share`` the percentage format."""
    ws.append([safe_text(v) if isinstance(v, str) else v for v in values])
    # the row append just wrote (ws.max_row scans every cell: quadratic over a sheet)
    row = ws._current_row
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col)
        if isinstance(value, str):
            cell.data_type = "s"
        if value is None:
            continue
        if col - 1 in money:
            cell.number_format = MONEY_FORMAT
        elif col - 1 in share:
            cell.number_format = SHARE_FORMAT


def header(ws: Worksheet, names: list[str], widths: list[int] | None = None) -> None:
    """A bold row of column names, the next row straight under it.

    The panes freeze under a sheet's first header only, so its names stay in
    view. The freeze is set by its address: asking the sheet for the cell
    under the header (as this once did) creates that cell, and the next row
    appended then lands one lower, leaving an empty row under every header.
    """
    append_row(ws, list(names))
    row = ws._current_row
    for cell in ws[row]:
        cell.font = Font(bold=True)
    if ws.freeze_panes is None:
        ws.freeze_panes = f"A{row + 1}"
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
