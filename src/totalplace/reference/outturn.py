"""Revenue Outturn Summary (RS): each English council's net spending by service, in exact pence.

DCLG (now MHCLG) publishes an RS workbook for every financial year: one row per
authority, one column per line of the account (service expenditure, the totals
down to the council tax requirement, and the grants, rates and reserves that
finance it), in £ thousand.  :func:`parse_rs_workbook` reads the "Net current
expenditure" sheet of a workbook into :class:`OutturnLine` values, one per
authority and line, every figure converted to integer pence exactly.  The
memorandum columns right of the council tax requirement (reserves levels,
capital charges, equal pay, IAS19-basis figures, HRA) are not read.

The tables that ``scripts/build_outturn.py`` builds from the workbooks ship in
``reference/data/outturn/`` and are queried with :func:`outturn`,
:func:`england`, :func:`service_lines` and :func:`years`.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

from totalplace.errors import SourceError

# Every RS figure is published in £ thousand: one unit is 100,000 pence.
PENCE_PER_UNIT = 100_000
KINDS = ("service", "total", "adjustment", "financing")
# Cells that say "no figure" rather than zero; they are skipped and counted, never read as 0.
NOT_AVAILABLE = frozenset({"..", "...", "\u2026", "-", "n/a", "N/A"})
ISSUE_HELP = {
    "blank-cell": "an authority or ENGLAND cell inside the account is empty",
    "not-available": "the cell holds a marker such as '..', '-' or '\u2026' (no figure published)",
    "not-a-number": "the cell holds text that is neither a number nor a known marker",
    "class-subtotal": "a class subtotal row (LONDON BOROUGHS, SHIRE COUNTIES...), not an authority",
    "unlabelled-row": "a row below the header holds figures but no E-code and no ENGLAND label",
}
CLASS_SUBTOTALS = frozenset(
    {
        "CLASS BREAKDOWN",
        "LONDON BOROUGHS",
        "METROPOLITAN DISTRICTS",
        "UNITARY AUTHORITIES",
        "SHIRE COUNTIES",
        "SHIRE DISTRICTS",
        "OTHER AUTHORITIES",
    }
)
LINES_FILE = "rs_lines.parquet"
ENGLAND_FILE = "rs_england.parquet"
LINE_IDS_FILE = "rs_line_ids.csv"
_ECODE = re.compile(r"E\d{4}")
_YEAR = re.compile(r"20\d\d-\d\d")
_TITLE = "net current expenditure (£ thousand)"
_EXACT = Context(prec=80, traps=[Inexact, InvalidOperation])


@dataclass(frozen=True, slots=True)
class OutturnLine:
    """One published RS figure: one authority (or ENGLAND), one year, one line."""

    year: str  # financial year, "2010-11"
    ecode: str  # MHCLG E-code as published ("E0302"); blank on the ENGLAND row
    gss: str  # GSS (ONS) code where the sheet gives one, else blank
    authority: str  # name as published; "ENGLAND" for the national total
    la_class: str  # class as published: L, MD, UA, SC, SD or O
    line: str  # stable snake_case id from rs_line_ids.csv
    label: str  # header text as published
    kind: str  # one of KINDS
    pence: int  # cell x £1,000 x 100, half-even to the penny
    raw_value: str  # the cell as published (a stored double as its shortest round-trip decimal)
    source: str  # workbook file name
    source_ref: str  # sheet!cell


COLUMNS = tuple(f.name for f in fields(OutturnLine))


@dataclass(frozen=True, slots=True)
class OutturnIssue:
    """A cell or row of a workbook that did not become an OutturnLine, and why."""

    slug: str  # a key of ISSUE_HELP
    source: str
    source_ref: str
    value: str


def to_pence(raw: str | int | float | Decimal) -> int:
    """Pence in a figure published in £ thousand, exact, rounded half-even to the penny.

    A binary float (as xls and xlsx cells are stored) is read through ``repr``,
    the shortest decimal that round-trips, so 0.1 means one tenth and not the
    nearest double.  Blanks and markers such as '..' are not numbers and raise
    ValueError, as does anything that is not a finite decimal.
    """
    if isinstance(raw, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(raw, float):
        raw = repr(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if not text or text in NOT_AVAILABLE:
            raise ValueError(f"{raw!r} says no figure was published; it is not zero")
        try:
            raw = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{raw!r} is not a number") from None
    value = Decimal(raw)
    if not value.is_finite():
        raise ValueError(f"{raw!r} is not a finite amount")
    pence = int(_EXACT.multiply(value, Decimal(PENCE_PER_UNIT)).to_integral_value(ROUND_HALF_EVEN))
    if not -(2**63) <= pence < 2**63:
        raise ValueError(f"{raw!r} does not fit 64-bit pence")
    return pence


def label_key(label: str) -> str:
    """A header reduced for matching: no case, spacing, punctuation or '(total of lines ...)'."""
    text = re.sub(r"\(\s*total of lines[^)]*\)|\[[^\]]*\]|\(\d+\)", "", label.lower())
    return re.sub(r"[^a-z0-9]", "", text)


@cache
def line_ids() -> Mapping[str, tuple[str, str]]:
    """Every header under which an RS line has been published (as label_key) -> (id, kind).

    The registry is ``data/outturn/rs_line_ids.csv``.  A header missing from it
    stops the build, so each new year's changes are looked at before shipping.
    """
    registry: dict[str, tuple[str, str]] = {}
    text = _resource(LINE_IDS_FILE).read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        key, entry = label_key(row["label"]), (row["line"], row["kind"])
        if row["kind"] not in KINDS or registry.setdefault(key, entry) != entry:
            raise ValueError(f"{LINE_IDS_FILE}: bad kind or clashing label {row['label']!r}")
    return MappingProxyType(registry)


Cell = str | int | float | None
_Column = tuple[int, str, str, str]  # column index, line id, kind, label as published


@dataclass(frozen=True)
class _Sheet:
    path: Path
    name: str
    grid: list[list[Cell]]

    def cell(self, r: int, c: int | None) -> Cell:
        row = self.grid[r]
        return row[c] if c is not None and c < len(row) else None

    def text(self, r: int, c: int | None) -> str:
        value = self.cell(r, c)
        return "" if value is None else str(value).strip()

    def ref(self, r: int, c: int) -> str:
        letters, index = "", c + 1
        while index:
            index, rest = divmod(index - 1, 26)
            letters = chr(ord("A") + rest) + letters
        return f"{self.name}!{letters}{r + 1}"

    def error(self, message: str) -> SourceError:
        return SourceError(str(self.path), f"sheet {self.name!r}: {message}")


def _xls_sheets(path: Path) -> Iterator[_Sheet]:
    import xlrd

    def value(cell: Any) -> Cell:
        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        if cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_BOOLEAN):
            return f"#{cell.ctype}:{cell.value}"  # never a figure; reported as not-a-number
        return cell.value  # type: ignore[no-any-return]

    book = xlrd.open_workbook(str(path), on_demand=True)
    try:
        for name in book.sheet_names():
            if name.startswith("RS LA Data"):
                sh = book.sheet_by_name(name)
                rows = [[value(sh.cell(r, c)) for c in range(sh.ncols)] for r in range(sh.nrows)]
                yield _Sheet(path, name, rows)
    finally:
        book.release_resources()


def _xlsx_sheets(path: Path) -> Iterator[_Sheet]:
    import openpyxl

    with warnings.catch_warnings():
        # The 2017-18 workbook names a print area openpyxl cannot parse; the cells are unaffected.
        warnings.filterwarnings("ignore", "Print area cannot be set", UserWarning)
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        for ws in book.worksheets:
            if ws.title.startswith("RS LA Data"):
                yield _Sheet(path, ws.title, [list(row) for row in ws.iter_rows(values_only=True)])
    finally:
        book.close()


def _find(row: list[Cell], text: str) -> int | None:
    for index, value in enumerate(row):
        if isinstance(value, str) and value.strip().lower() == text.lower():
            return index
    return None


def _net_current_expenditure_sheet(path: Path) -> _Sheet:
    sheets = _xlsx_sheets(path) if path.suffix.lower() == ".xlsx" else _xls_sheets(path)
    for sheet in sheets:
        if any(_find(row, _TITLE) is not None for row in sheet.grid[:5]):
            return sheet
    raise SourceError(str(path), f"no 'RS LA Data' sheet titled {_TITLE!r}")


def _account_columns(sheet: _Sheet, header: list[Cell], first: int) -> list[_Column]:
    """Each labelled column from the first service line to the council tax requirement."""
    registry, columns = line_ids(), list[_Column]()
    for c in range(first, len(header)):
        label = str(header[c] or "").strip()
        if not label:
            continue
        if label_key(label) not in registry:
            raise sheet.error(f"unknown RS line {label!r}; add it to {LINE_IDS_FILE}")
        line, kind = registry[label_key(label)]
        if line in {known for _, known, _, _ in columns}:
            raise sheet.error(f"line {line} appears twice")
        columns.append((c, line, kind, label))
        if line == "council_tax_requirement":
            return columns
    raise sheet.error("no COUNCIL TAX REQUIREMENT column")


def parse_rs_workbook(
    path: Path | str, issues: list[OutturnIssue] | None = None
) -> Iterator[OutturnLine]:
    """Every figure of the RS account in one workbook: authorities in sheet order, then ENGLAND.

    Blank and not-available cells, class subtotal rows and unlabelled rows
    with figures are not yielded; each is appended to ``issues`` when given.
    """
    found = issues if issues is not None else []
    sheet = _net_current_expenditure_sheet(Path(path))
    year = _YEAR.search(sheet.name)
    top = next((r for r, row in enumerate(sheet.grid) if _find(row, "E-code") == 0), None)
    if year is None or top is None:
        raise sheet.error("no year in the sheet name, or no 'E-code' header")
    header = sheet.grid[top]
    name_col, class_col, gss_col = (
        _find(header, t) for t in ("Local authority", "Class", "ONS Code")
    )
    if name_col is None or class_col is None:
        raise sheet.error("the header lacks 'Local authority' or 'Class'")
    account = _account_columns(sheet, header, class_col + 1)
    england: int | None = None
    seen: set[str] = set()
    for r in range(top + 1, len(sheet.grid)):
        ecode, name = sheet.text(r, 0), sheet.text(r, name_col)
        if _ECODE.fullmatch(ecode):
            if ecode in seen:
                raise sheet.error(f"E-code {ecode} appears twice")
            seen.add(ecode)
            gss = sheet.text(r, gss_col)  # 2014-15 gives 'n/a' for some: blank, not guessed
            gss = "" if gss in NOT_AVAILABLE else gss
            ident = (ecode, gss, name, sheet.text(r, class_col))
            yield from _row_lines(sheet, year.group(), ident, r, account, found)
        elif name == "ENGLAND" and not ecode:
            if england is not None:
                raise sheet.error("two ENGLAND rows")
            england = r
        elif name in CLASS_SUBTOTALS:
            found.append(
                OutturnIssue("class-subtotal", sheet.path.name, sheet.ref(r, name_col), name)
            )
        elif any(isinstance(sheet.cell(r, c), int | float) for c, _, _, _ in account):
            # e.g. the check sums MHCLG left on the 2017-18 "Source:" line
            found.append(OutturnIssue("unlabelled-row", sheet.path.name, sheet.ref(r, 0), ecode))
    if england is None:
        raise sheet.error("no ENGLAND row")
    yield from _row_lines(sheet, year.group(), ("", "", "ENGLAND", ""), england, account, found)


def _row_lines(
    sheet: _Sheet,
    year: str,
    ident: tuple[str, str, str, str],
    r: int,
    account: list[_Column],
    issues: list[OutturnIssue],
) -> Iterator[OutturnLine]:
    for c, line, kind, label in account:
        value, where = sheet.cell(r, c), sheet.ref(r, c)
        text = "" if value is None else str(value).strip()
        if isinstance(value, float):
            text = str(int(value)) if value.is_integer() else repr(value)
        if not text or text in NOT_AVAILABLE:
            slug = "not-available" if text else "blank-cell"
            issues.append(OutturnIssue(slug, sheet.path.name, where, text))
            continue
        try:
            pence = to_pence(value if isinstance(value, int | float) else text)
        except (ValueError, TypeError):  # TypeError: a TRUE/FALSE cell
            issues.append(OutturnIssue("not-a-number", sheet.path.name, where, text))
            continue
        yield OutturnLine(year, *ident, line, label, kind, pence, text, sheet.path.name, where)


def _resource(name: str) -> Any:
    return files("totalplace.reference").joinpath("data", "outturn", name)


@cache
def _table(name: str) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # From bytes, not a Python file object: pyarrow's reader threads on a Python file
    # can abort the interpreter at exit ("terminate called without an active exception").
    # ParquetFile, not read_table, which loads pyarrow.dataset and pandas too.
    return pq.ParquetFile(pa.BufferReader(_resource(name).read_bytes())).read()


def lines_table() -> Any:
    """The shipped authority rows as a pyarrow Table with COLUMNS."""
    return _table(LINES_FILE)


def england_table() -> Any:
    """The shipped ENGLAND rows as a pyarrow Table with COLUMNS."""
    return _table(ENGLAND_FILE)


@cache
def years() -> list[str]:
    """The financial years shipped, oldest first."""
    return sorted(set(england_table().column("year").to_pylist()))


def _rows(table: Any, **equal: str) -> list[OutturnLine]:
    from totalplace.reference.arrow_filter import is_in

    for column, value in equal.items():
        table = table.filter(is_in(table.column(column), [value]))
    return [OutturnLine(**row) for row in table.to_pylist()]


def _check_year(year: str) -> None:
    if year not in years():
        raise ValueError(f"no RS outturn for {year!r}; the years shipped are {', '.join(years())}")


@cache
def _years_with_gss() -> frozenset[str]:
    table = lines_table().select(["year", "gss"]).to_pydict()
    return frozenset(y for y, g in zip(table["year"], table["gss"], strict=True) if g)


def outturn(year: str, ecode: str | None = None, gss: str | None = None) -> list[OutturnLine]:
    """The authority rows of one year, optionally of one authority by E-code and/or GSS code.

    Only some years' workbooks give GSS codes (2014-15 and 2017-18); asking
    another year by GSS code raises ValueError rather than answering with nothing.
    """
    _check_year(year)
    if ecode is None and gss is None:
        return list(_year_rows(year))
    wanted = {"year": year}
    if ecode is not None:
        wanted["ecode"] = ecode
    if gss is not None:
        if year not in _years_with_gss():
            raise ValueError(f"the {year} RS workbook gives no GSS codes; ask by E-code instead")
        wanted["gss"] = gss
    return _rows(lines_table(), **wanted)


@cache  # a year's rows are read by the count, by keys and by every place's outturn
def _year_rows(year: str) -> tuple[OutturnLine, ...]:
    return tuple(_rows(lines_table(), year=year))


@cache
def bodies_in(year: str) -> tuple[str, ...]:
    """The E-codes of the bodies with rows in one year, sorted."""
    from totalplace.reference.arrow_filter import is_in

    _check_year(year)
    table = lines_table().select(["year", "ecode"])
    table = table.filter(is_in(table.column("year"), [year]))
    return tuple(sorted(set(table.column("ecode").to_pylist())))


def rows_of_bodies(year: str, ecodes: Iterable[str]) -> dict[str, list[OutturnLine]]:
    """One year's rows of the given bodies, by E-code (in the table's order): a
    place's count reads its own bodies' rows, not the year's 28,000."""
    from totalplace.reference.arrow_filter import is_in

    _check_year(year)
    table = lines_table()
    table = table.filter(is_in(table.column("year"), [year]))
    table = table.filter(is_in(table.column("ecode"), ecodes))
    out: dict[str, list[OutturnLine]] = {}
    for row in table.to_pylist():
        out.setdefault(row["ecode"], []).append(OutturnLine(**row))
    return out


@cache  # a key needs a few lines of every body, not the whole year's rows
def rows_of_lines(year: str, lines: tuple[str, ...]) -> tuple[OutturnLine, ...]:
    """The authority rows of one year on the given RS lines only."""
    from totalplace.reference.arrow_filter import is_in

    _check_year(year)
    table = lines_table()
    table = table.filter(is_in(table.column("year"), [year]))
    table = table.filter(is_in(table.column("line"), lines))
    return tuple(OutturnLine(**row) for row in table.to_pylist())


def england(year: str) -> list[OutturnLine]:
    """The ENGLAND total of every line published for one year."""
    _check_year(year)
    return _rows(england_table(), year=year)


def service_lines(year: str) -> list[str]:
    """The ids of one year's service lines, in the workbook's order."""
    return [row.line for row in england(year) if row.kind == "service"]
