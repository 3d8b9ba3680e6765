"""Worksheet helpers shared by every workbook the project writes.

Money is written in pounds (pence / 100, exact Decimal) with a pound format.
Text that a spreadsheet would read as a formula (starting with = + - @, or a
tab or carriage return) is written as text with a leading apostrophe, so a
supplier name or a case file cannot smuggle a formula into someone's workbook.
"""

from __future__ import annotations

from decimal import Decimal

from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

MONEY_FORMAT = '"£"#,##0.00;[Red]-"£"#,##0.00'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | None


def safe_text(text: str) -> str:
    """Text that cannot be read as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def pounds(pence: int) -> Decimal:
    return Decimal(pence) / 100


def append_row(ws: Worksheet, values: list[Cell], money: tuple[int, ...] = ()) -> None:
    """Append a row; columns listed in ``money`` (0-based) get the pound format."""
    ws.append([safe_text(v) if isinstance(v, str) else v for v in values])
    # the row append just wrote (ws.max_row scans every cell: quadratic over a sheet)
    row = ws._current_row
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col)
        if isinstance(value, str):
            cell.data_type = "s"
        if col - 1 in money and value is not None:
            cell.number_format = MONEY_FORMAT


def header(ws: Worksheet, names: list[str], widths: list[int] | None = None) -> None:
    append_row(ws, list(names))
    row = ws._current_row
    for cell in ws[row]:
        cell.font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=row + 1, column=1)
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
