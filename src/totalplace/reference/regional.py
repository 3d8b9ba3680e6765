"""HM Treasury's Country and Regional Analysis (CRA / PESA): public spending by region, in pence.

Three databases are read, each one row per spending line and region with one
column per year: CRA 2018 (2013-14..2017-18) and CRA 2014 (2009-10..2013-14),
in £ thousand, and the CRA 2010 database of PESA 2010 chapter 9, in £ million,
of which only the outturn years 2004-05..2008-09 are kept (2009-10 is an
estimate and 2010-11 a plan). PESA 2010 chapter 10 labels every English region
"ENGLAND", so it cannot give regional totals and is not read.

Every cell becomes one :class:`RegionalLine` with the figure in exact integer
pence (Decimal, half-even at the penny; a stored double goes through its
shortest round-trip text). Where databases overlap the later one wins and its
rows carry ``final=True``. ``scripts/build_regional.py`` writes the lines to
``reference/data/regional/regional_lines.parquet``, read by :func:`load_regional`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation
from functools import cache
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from totalplace.errors import SourceError
from totalplace.reference.arrow_filter import is_in
from totalplace.reference.places import REGIONS as PLACE_REGIONS

ENGLISH_REGIONS: Final = PLACE_REGIONS  # the nine, spelt as in the place registry
COUNTRIES: Final = ("Scotland", "Wales", "Northern Ireland")
OUTSIDE_UK: Final = "Outside UK"
NON_IDENTIFIABLE: Final = "Non-identifiable"
REGIONS: Final = (*ENGLISH_REGIONS, *COUNTRIES, OUTSIDE_UK, NON_IDENTIFIABLE)
BODY_TYPES: Final = ("central government", "local government", "public corporation")
THOUSAND: Final = "£ thousand"
MILLION: Final = "£ million"
PENCE_PER_UNIT: Final = {THOUSAND: 100_000, MILLION: 100_000_000}
# Later databases first: where years overlap the first source that has the year wins.
SOURCES: Final = ("CRA2018", "CRA2014", "PESA2010")
PESA2010_OUTTURN: Final = ("2004-05", "2005-06", "2006-07", "2007-08", "2008-09")
PARQUET: Final = "regional_lines.parquet"

# Region labels as published (upper case, "ENGLAND_" prefix stripped) -> name used here.
REGION_NAMES: Final = {
    **{name.upper(): name for name in (*ENGLISH_REGIONS, *COUNTRIES, OUTSIDE_UK)},
    "YORKSHIRE AND HUMBER": "Yorkshire and The Humber",
    "YORKSHIRE AND HUMBERSIDE": "Yorkshire and The Humber",
    "EAST": "East of England",
    "EASTERN": "East of England",
    "OUTSIDE THE UK": OUTSIDE_UK,
    "NOT IDENTIFIABLE": NON_IDENTIFIABLE,
    "NON-IDENTIFIABLE": NON_IDENTIFIABLE,
    "NON-ID": NON_IDENTIFIABLE,
    "NON-REGIONAL": NON_IDENTIFIABLE,  # CRA 2018's label for its non-identifiable lines
    "ENGLAND": "England",  # chapter 10's label for every English region: never a region
}
_BODIES: Final = {
    "CG": ("central government", False),
    "LG": ("local government", False),
    "LA": ("local government", False),
    "PC": ("public corporation", False),
    # Bank of England debt interest: the Bank is a public (financial) corporation.
    "BOE": ("public corporation", True),
}
_FUNCTIONS: Final = {
    name.split(".")[0]: name
    for name in (
        *("1. General public services", "2. Defence", "3. Public order and safety"),
        *("4. Economic affairs", "5. Environment protection", "7. Health", "9. Education"),
        *("6. Housing and community amenities", "8. Recreation, culture and religion"),
        "10. Social protection",
    )
}
_ID: Final = {"ID": True, "NON-ID": False}
_CAPCUR: Final = {"CAP": "capital", "CUR": "current"}
_OTHER_FUNCTIONS: Final = ("EU transactions", "Departmental unallocated provision")
_EXACT: Final = Context(prec=80, traps=[Inexact, InvalidOperation])
_PENNY: Final = Context(prec=80, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation])
_YEAR: Final = re.compile(r"^\d{4}-\d{2}$")
_SPACES: Final = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class RegionalLine:
    """One published cell: one spending line of one database, in one region and year."""

    year: str  # financial year, "2010-11"
    region: str  # one of REGIONS
    identifiable: bool
    body_type: str  # one of BODY_TYPES
    boe: bool  # the Bank of England debt-interest line (body_type "public corporation")
    capital_current: str  # "capital" or "current"
    department: str
    organisation: str | None  # CRA 2018 only
    programme_code: str  # CRA segment code, or PESA programme object group
    programme: str | None  # segment name or programme alias as published (blank in a few)
    function: str  # COFOG function, "1. General public services".."10. Social protection"
    subfunction: str | None  # COFOG level 1 as published; None for PESA2010
    hmt_function: str  # HM Treasury's functional classification as published
    hmt_subfunction: str | None  # None for PESA2010
    allocated_by: str | None  # CRA 2018 only: "HMT" or "DEPT"
    pence: int
    raw_value: str  # the cell as published (a double as its shortest round-trip text)
    unit: str  # THOUSAND or MILLION
    source: str  # one of SOURCES
    source_ref: str  # sheet!cell
    final: bool = False  # the winning database for this year


def to_pence(raw: str | int | float | Decimal, unit: str) -> int:
    """A published figure in `unit` as integer pence, exactly, half-even at the penny."""
    if unit not in PENCE_PER_UNIT:
        raise ValueError(f"unknown unit {unit!r}; expected one of {sorted(PENCE_PER_UNIT)}")
    if isinstance(raw, bool):
        raise TypeError("a bool is not a published figure")
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError(f"not a finite figure: {raw!r}")
        raw = repr(raw)  # the shortest text that round-trips, not the binary expansion
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except InvalidOperation:
        raise ValueError(f"not a number: {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite figure: {raw!r}")
    try:
        pence = _EXACT.multiply(value, Decimal(PENCE_PER_UNIT[unit]))
        return int(pence.quantize(Decimal(1), context=_PENNY))
    except (Inexact, InvalidOperation):
        raise ValueError(f"not a figure that fits in pence: {raw!r}") from None


def raw_text(value: int | float | str) -> str:
    """A cell as published: a stored double as its shortest round-trip decimal text."""
    return repr(value) if isinstance(value, float) else str(value)


def normalise_region(text: str) -> str:
    """The region name used here for a published region label ("ENGLAND_East" -> ...)."""
    key = _SPACES.sub(" ", text.strip().upper().replace("&", " AND "))
    key = key.removeprefix("ENGLAND_").removeprefix("ENGLAND - ").strip()
    try:
        return REGION_NAMES[key]
    except KeyError:
        raise ValueError(f"unknown region label {text!r}") from None


def normalise_function(text: str) -> str:
    """A COFOG function label with its spelling made consistent across databases."""
    text = _SPACES.sub(" ", text.strip())
    number = text.split(".", 1)[0]
    if number in _FUNCTIONS:
        return _FUNCTIONS[number]
    known = {name.casefold(): name for name in _OTHER_FUNCTIONS}
    return known.get(text.casefold(), text)  # "EU TRANSACTIONS" -> "EU transactions"


def _flag(text: str, values: Mapping[str, Any], what: str) -> Any:
    try:
        return values[text.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown {what} {text!r}") from None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def _required(value: object, what: str) -> str:
    text = _text(value)
    if text is None:
        raise ValueError(f"blank {what}")
    return text


# Column roles -> header spellings, per database family (first match wins).
_CRA_COLUMNS: Final = {
    "department": ("Department", "Department Name"),
    "organisation": ("Organisation Name",),
    "programme_code": ("CRA Segment", "CRA Segment Code"),
    "programme": ("CRA Segment Description", "CRA Segment Name"),
    "function": ("COFOG Level 0",),
    "hmt_function": ("HMT Function",),
    "subfunction": ("COFOG Level 1",),
    "hmt_subfunction": ("HMT Subfunction",),
    "identifiable": ("ID/non-ID",),
    "capital_current": ("CAP or CUR",),
    "body": ("CG, LG or PC", "CG, LG, PC, BOE"),
    "allocated_by": ("Allocated by HMT or DEPT",),
    "region": ("NUTS Region",),
    "country": ("Country",),
}
_PESA_COLUMNS: Final = {
    "department": ("Dept Name",),
    "programme_code": ("Programme Object Group",),
    "programme": ("Programme Object Group Alias",),
    "function": ("COFOG level 1",),
    "hmt_function": ("HMT Functional Classification",),
    "identifiable": ("ID or non-ID",),
    "capital_current": ("CAP or CUR",),
    "body": ("CG, LG or PC",),
    "region": ("NUTS 1 region",),
}
_OPTIONAL: Final = frozenset({"organisation", "allocated_by", "country"})


def _read_sheet(
    path: Path,
    columns: Mapping[str, tuple[str, ...]],
    unit: str,
    source: str,
    years: Iterable[str] | None,
) -> Iterator[RegionalLine]:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter, quote_sheetname

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = next((ws for ws in book.worksheets if ws.title.strip().lower() != "metadata"), None)
        if sheet is None:
            raise SourceError(str(path), "no data sheet")
        rows = sheet.iter_rows(values_only=True)
        header = [_text(cell) or "" for cell in next(rows, ())]
        col: dict[str, int] = {}
        for role, names in columns.items():
            found = [header.index(name) for name in names if name in header]
            if found:
                col[role] = found[0]
            elif role not in _OPTIONAL:
                raise SourceError(str(path), f"no column {' or '.join(map(repr, names))}")
        wanted = set(years) if years is not None else None
        year_cols = [
            (i, name)
            for i, name in enumerate(header)
            if _YEAR.match(name) and (wanted is None or name in wanted)
        ]
        if not year_cols:
            raise SourceError(str(path), "no year columns")
        prefix = quote_sheetname(sheet.title)
        letters = {i: get_column_letter(i + 1) for i, _ in year_cols}
        for number, row in enumerate(rows, start=2):
            if all(cell is None for cell in row):
                continue
            try:
                line = _line(row, col, unit, source)
                cells = [
                    (year, raw, to_pence(raw, unit), f"{prefix}!{letters[i]}{number}")
                    for i, year in year_cols
                    if i < len(row) and row[i] is not None  # blank: no figure (zero is kept)
                    for raw in (raw_text(row[i]),)
                ]
            except ValueError as error:
                raise SourceError(str(path), f"row {number}: {error}") from None
            for year, raw, pence, ref in cells:
                yield RegionalLine(year=year, pence=pence, raw_value=raw, source_ref=ref, **line)
    finally:
        book.close()


def _line(row: tuple[Any, ...], col: Mapping[str, int], unit: str, source: str) -> dict[str, Any]:
    def get(role: str) -> object:
        return row[col[role]] if role in col else None

    region = normalise_region(_required(get("region"), "region"))
    if region == "England":
        raise ValueError("region 'ENGLAND' is a country, not an English region")
    country = _text(get("country"))
    if country is not None:
        expected = "England" if region in ENGLISH_REGIONS else region
        if normalise_region(country) != expected:
            raise ValueError(f"country {country!r} does not hold region {region!r}")
    body, boe = _flag(_required(get("body"), "body"), _BODIES, "body type")
    return {
        "region": region,
        "identifiable": _flag(_required(get("identifiable"), "ID flag"), _ID, "ID/non-ID flag"),
        "body_type": body,
        "boe": boe,
        "capital_current": _flag(_required(get("capital_current"), "CAP/CUR"), _CAPCUR, "CAP/CUR"),
        "department": _required(get("department"), "department"),
        "organisation": _text(get("organisation")),
        "programme_code": _required(get("programme_code"), "programme code"),
        "programme": _text(get("programme")),
        "function": normalise_function(_required(get("function"), "function")),
        "subfunction": _text(get("subfunction")),
        "hmt_function": _required(get("hmt_function"), "HMT function"),
        "hmt_subfunction": _text(get("hmt_subfunction")),
        "allocated_by": _text(get("allocated_by")),
        "unit": unit,
        "source": source,
    }


def parse_cra_workbook(path: Path, source: str) -> Iterator[RegionalLine]:
    """Every cell of a CRA database workbook (2014 or 2018 layout), in £ thousand."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        names = [ws.title for ws in book.worksheets]
        meta = book["Metadata"] if "Metadata" in names else None
        text = " ".join(
            str(cell) for row in (meta.iter_rows(values_only=True) if meta else ()) for cell in row
        )
    finally:
        book.close()
    if "£'000s" not in text:  # the only place the workbook states its unit
        raise SourceError(str(path), "the Metadata sheet does not say figures are in £'000s")
    yield from _read_sheet(path, _CRA_COLUMNS, THOUSAND, source, None)


def parse_pesa_chapter9(
    path: Path, years: Iterable[str] = PESA2010_OUTTURN
) -> Iterator[RegionalLine]:
    """The outturn cells of the CRA 2010 database (PESA 2010 chapter 9), in £ million."""
    yield from _read_sheet(path, _PESA_COLUMNS, MILLION, "PESA2010", years)


def final_sources(years_by_source: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """For each year, the database that wins it: the latest in SOURCES that has the year."""
    winners: dict[str, str] = {}
    for source in SOURCES:
        for year in years_by_source.get(source, ()):
            winners.setdefault(year, source)
    return winners


_DICTIONARY: Final = pa.dictionary(pa.int32(), pa.string())
_TYPES: Final = {bool: pa.bool_(), int: pa.int64(), str: pa.string()}
_PLAIN: Final = frozenset({"raw_value", "source_ref"})  # nearly unique per row


def _arrow_type(name: str, annotation: str) -> Any:
    if annotation in {"bool", "int"}:
        return _TYPES[bool if annotation == "bool" else int]
    return pa.string() if name in _PLAIN else _DICTIONARY


SCHEMA: Final = pa.schema(
    [
        pa.field(f.name, _arrow_type(f.name, str(f.type)), nullable=str(f.type).endswith("None"))
        for f in fields(RegionalLine)
    ]
)


def lines_to_table(lines: Iterable[RegionalLine]) -> Any:
    """The lines as an Arrow table with :data:`SCHEMA` (strings dictionary-encoded)."""
    rows = list(lines)
    columns = {f.name: [getattr(line, f.name) for line in rows] for f in fields(RegionalLine)}
    arrays = [
        pa.array(columns[field.name], pa.string()).dictionary_encode()
        if field.type == _DICTIONARY
        else pa.array(columns[field.name], field.type)
        for field in SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


@cache
def load_regional() -> Any:
    """The shipped table of every line (a ``pyarrow.Table`` with :data:`SCHEMA`)."""
    resource = files("totalplace.reference").joinpath("data", "regional", PARQUET)
    with as_file(resource) as path:
        # ParquetFile, not read_table: read_table loads pyarrow.dataset and pandas,
        # a second of start-up a single count does not need
        table = pq.ParquetFile(path).read()
    return table if table.schema == SCHEMA else table.cast(SCHEMA)


def years(final_only: bool = True) -> list[str]:
    """The financial years in the shipped table, oldest first."""
    return list(_years(final_only))


@cache  # asked by every count
def _years(final_only: bool) -> tuple[str, ...]:
    table = _filtered(load_regional(), None, None, final_only)
    return tuple(sorted(str(year) for year in table.column("year").unique().to_pylist()))


def _filtered(table: Any, year: str | None, region: str | None, final_only: bool) -> Any:
    import pyarrow.compute as pc

    masks = []
    if year is not None:
        masks.append(is_in(table.column("year"), [year]))
    if region is not None:
        masks.append(is_in(table.column("region"), [normalise_region(region)]))
    if final_only:
        masks.append(table.column("final"))
    if not masks:
        return table
    mask = masks[0]
    for more in masks[1:]:
        mask = pc.and_(mask, more)
    return table.filter(mask)


def regional_lines(
    year: str, region: str | None = None, final_only: bool = True
) -> list[RegionalLine]:
    """The lines of `year` (optionally one region) as :class:`RegionalLine` values.

    With ``final_only`` (the default) only the winning database's lines are
    returned, so the pence add up to that year's total without double counting.
    """
    table = _filtered(load_regional(), year, region, final_only)
    return [RegionalLine(**row) for row in table.to_pylist()]


def lines_in(year: str, regions: Iterable[str]) -> list[RegionalLine]:
    """The final lines of `year` in any of `regions`, in the table's order: a place's
    count builds only its own regions' lines, not the whole country's."""
    table = _filtered(load_regional(), year, None, True)
    table = table.filter(is_in(table.column("region"), {normalise_region(r) for r in regions}))
    return [RegionalLine(**row) for row in table.to_pylist()]


def non_identifiable_pence(year: str) -> int:
    """The pence of `year`'s final lines not identifiable to a region (defence, debt
    interest): reported nationally, never apportioned."""
    import pyarrow.compute as pc

    table = _filtered(load_regional(), year, None, True)
    table = table.filter(pc.invert(table.column("identifiable")))
    return int(pc.sum(table.column("pence")).as_py() or 0)


def region_totals(year: str) -> dict[str, int]:
    """Pence per region in `year` from the winning database, including the non-regional
    buckets (Outside UK, Non-identifiable) and the Bank of England line."""
    table = _filtered(load_regional(), year, None, True)
    if table.num_rows == 0:
        raise KeyError(f"no regional lines for {year!r}; years are {years()}")
    grouped = table.group_by("region").aggregate([("pence", "sum")])
    totals = dict(
        zip(
            grouped.column("region").to_pylist(),
            grouped.column("pence_sum").to_pylist(),
            strict=True,
        )
    )
    return {name: int(totals[name]) for name in REGIONS if name in totals}
