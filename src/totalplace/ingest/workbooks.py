"""Every sheet of a workbook that holds payments, each read as its own source.

A year's workbook often has a sheet per month beside notes, pivot tables and
charts.  Each worksheet is written out as CSV (line N of the CSV is row N of
the sheet) and read when its first rows hold a header row the column mapping
recognises (found as for a CSV file, by :func:`dialect.sniff`: known column
names, or a header whose columns the mapping can fill from their values) and
at least one row below it.  Other sheets are listed as skipped with the
reason: a chart sheet, an empty sheet, no recognised header (notes, a
summary), a pivot table (its totals would count payments twice), or a header
with nothing under it.  When no sheet qualifies, the first sheet with rows is
read anyway, so the workbook fails with the usual header message rather than
loading nothing without a word.

Identity: the first sheet with rows keeps the workbook's own SHA-256, so a
workbook loaded before sheets were read one by one is still a duplicate; every
other sheet is identified by the SHA-256 of the workbook's bytes followed by
``!`` and the sheet's name.  Re-ingesting a workbook loads only the sheets not
loaded yet.

Numbers: Excel holds a number to 15 significant digits, so a cell typed as
1041.41 may be stored as the binary float 1041.4099999999999.  A float cell is
written as the shortest decimal that equals it at those 15 digits (1041.41),
which is what Excel shows; whole numbers and dates are written exactly.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from totalplace.errors import SourceError
from totalplace.ingest.dialect import MIN_SCORE, sniff
from totalplace.ingest.infer import sample_rows
from totalplace.ingest.roles import Profile, header_score, map_columns

EXCEL_DIGITS = 15
PIVOT_VALUE = re.compile(r"^(sum|count|average|max|min|product) of ")
HEAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Sheet:
    name: str
    sha256: str
    csv_path: Path | None  # None when skipped
    skipped: str = ""  # why the sheet is not read as payments


def float_text(value: float) -> str:
    """The shortest decimal equal to ``value`` at Excel's 15 significant digits,
    without an exponent: 1041.4099999999999 -> '1041.41', 0.1 -> '0.1'."""
    return format(Decimal(format(value, f".{EXCEL_DIGITS}g")), "f")


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, int):
        return str(value)
    return " ".join(str(value).splitlines())


def sheet_id(workbook_sha256: str, workbook: bytes, name: str, first: bool) -> str:
    if first:
        return workbook_sha256
    return hashlib.sha256(workbook + b"!" + name.encode("utf-8")).hexdigest()


def read_sheets(
    path: Path, display: str, tmp_dir: Path, profile: Profile
) -> tuple[str, list[Sheet]]:
    """The workbook's SHA-256 and every sheet in order, each written to
    ``tmp_dir`` as CSV or marked skipped with the reason (its CSV then removed)."""
    import openpyxl

    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise SourceError(display, f"not a readable workbook ({exc})") from exc
    try:
        worksheets = {ws.title for ws in wb.worksheets}
        # the sheet read before every sheet was: its id stays the workbook's
        first = next((ws.title for ws in wb.worksheets if ws.max_row and ws.max_row > 1), None)
        sheets: list[Sheet] = []
        written: list[tuple[Sheet, int]] = []  # sheets with rows, and their last filled row
        for name in wb.sheetnames:
            sha = sheet_id(digest, raw, name, name == first)
            if name not in worksheets:
                sheets.append(Sheet(name, sha, None, "a chart sheet: no rows"))
                continue
            dest = tmp_dir / f"{sha}.xlsx.csv"
            last_filled = _write_csv(wb[name], dest)
            if last_filled == 0:
                dest.unlink(missing_ok=True)
                sheets.append(Sheet(name, sha, None, "an empty sheet"))
                continue
            reason = _not_payments(f"{display}!{name}", dest, last_filled, profile)
            sheet = Sheet(name, sha, dest, reason)
            sheets.append(sheet)
            written.append((sheet, last_filled))
    finally:
        wb.close()
    if not written:
        raise SourceError(display, "the workbook has no sheet with data")
    if all(s.skipped for s, _ in written):
        # read the first anyway: it fails with the header message, never silently
        keep = written[0][0]
        sheets[sheets.index(keep)] = Sheet(keep.name, keep.sha256, keep.csv_path)
    out: list[Sheet] = []
    for s in sheets:
        if s.skipped and s.csv_path is not None:
            s.csv_path.unlink(missing_ok=True)
            s = Sheet(s.name, s.sha256, None, s.skipped)
        out.append(s)
    return digest, out


def _write_csv(sheet: object, dest: Path) -> int:
    """Write the sheet's rows as CSV; the number of its last row holding a value
    (0 when every cell is empty)."""
    last_filled = 0
    with dest.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):  # type: ignore[attr-defined]
            cells = [cell_text(v) for v in row]
            writer.writerow(cells)
            if any(c.strip() for c in cells):
                last_filled = n
    return last_filled


def pivot_headers(headers: list[str]) -> bool:
    """Excel's pivot-table headers ("Row Labels", "Sum of Amount", "Count of
    ..."): a pivot holds totals of payments, which would count them twice."""
    return any(
        h.strip().lower() in ("row labels", "column labels") or PIVOT_VALUE.match(h.strip().lower())
        for h in headers
    )


def _not_payments(display: str, csv_path: Path, last_filled: int, profile: Profile) -> str:
    """Why the sheet is not a sheet of payments, or '' when it is one.

    A header of known column names (or the columns a profile names) is a payment
    sheet, read even if its mapping then fails, so a month whose layout drifted
    is reported failed, not skipped.  A header found only by the shape of the
    rows is read when the mapping can fill the required roles from it."""
    with csv_path.open("rb") as fh:
        head = fh.read(HEAD_BYTES).decode("utf-8", errors="replace")
    try:
        dialect = sniff(display, head, profile)
    except SourceError:
        return "no header row the column mapping recognises (notes or a summary)"
    if pivot_headers(dialect.headers):
        return "a pivot table (its header holds 'Row Labels' or 'Sum of ...'): totals, not payments"
    named = set(profile.columns.values())
    profiled = bool(named) and named <= set(dialect.headers)
    if header_score(dialect.headers) < MIN_SCORE and not profiled:
        if profile.header_line is not None:
            # a profile's header line is taken on trust in a CSV; in a workbook it must
            # also look like a header, or every notes sheet would be read as payments
            return f"row {dialect.header_line} is not a header row the mapping recognises"
        rows = sample_rows(head, dialect.delimiter, dialect.header_line)
        try:
            map_columns(display, dialect.headers, profile, rows=rows, require_date=False)
        except SourceError as exc:
            first = exc.detail.splitlines()[0] if exc.detail else ""
            return f"no header row the column mapping recognises ({first})"
    if last_filled <= dialect.header_line:
        return f"a header row (row {dialect.header_line}) but no rows below it"
    return ""
