"""Build the shipped unit cost table from the New Economy Unit Cost Database v1.4 workbook.

    .venv/bin/python scripts/build_unit_costs.py [--shared PATH] [--out DIR]

Reads ``PATH/unit_costs/gmca_ucd/GMCA_New_Economy_Unit_Cost_Database_v1.4_Mar2015.xlsx``
(PATH defaults to ``<project>/../shared/data``) with openpyxl, cell comments and
formatting included, and writes ``unit_costs.csv``, ``deflators.csv`` and
``SOURCES.md`` to ``src/totalplace/reference/data/unit_costs/`` (or DIR).  Exit
code 0 when the workbook was read; a layout it does not expect stops the build.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path
from typing import Any

import openpyxl

from totalplace.reference.unit_costs import (
    COLUMNS,
    DEFLATORS_FILE,
    UNIT_COSTS_FILE,
    UnitCost,
    financial_year,
    normalise_agency,
    normalise_unit,
    uprate,
)

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT / "src" / "totalplace" / "reference" / "data" / "unit_costs"
WORKBOOK = Path("unit_costs/gmca_ucd/GMCA_New_Economy_Unit_Cost_Database_v1.4_Mar2015.xlsx")
THEMES = (
    "Crime",
    "Education & Skills",
    "Employment & Economy",
    "Fire",
    "Health",
    "Housing",
    "Social Services",
)
# Columns of every theme sheet: (value, year) for fiscal, economic and social.
OUTCOME, CODE, DETAIL, UNIT, LEVEL1, LEVEL2 = "B", "C", "D", "E", "F", "G"
VALUES = {"fiscal": ("H", "I"), "economic": ("K", "L"), "social": ("N", "O")}
SOURCE, RAG, COMMENT = "Q", "R", "S"
HEADERS = {
    "C1": "Cost code",
    "E1": "Unit",
    "F2": "Level 1",
    "G2": "Level 2",
    "H2": "Estimated cost/saving",
    "I2": "Year",
    "K2": "Estimated cost/saving",
    "L2": "Year",
    "N2": "Estimated cost/saving",
    "O2": "Year",
    "Q1": "Original source",
    "R1": "RAG assessment",
    "S1": "Comment",
}
LICENCE_CELL = ("Introduction", "E17")
LICENCE = (
    "This work is licensed under the Creative Commons Attribution 4.0 International License. "
    "To view a copy of this license, visit http://creativecommons.org/licenses/by/4.0/."
)
FIRST_DEFLATOR_ROW, LAST_DEFLATOR_ROW = 10, 40  # Lookups!M10:P40, 1989/90..2019/20
DISPLAY_DIGITS = 15  # Excel shows and computes with 15 significant digits
# A weekly amount DWP pays a claimant: the v1.4 update log calls these "benefit payment
# amounts".  A payment to a person moves money, it uses no resources: fiscal, not public value.
BENEFIT_RATE = ("DWP", "per week")
BENEFIT_WORDS = re.compile(r"allowance|support|benefit|payment", re.I)
# Lines whose own text says their fiscal value is benefit payments or tax forgone, with
# the words that say so (checked against the workbook on every build).
TRANSFER_TEXT = {
    "E&E2.7": "in-work tax credits (which off-set some of the benefit savings)",
    "E&E10.0": "The fiscal value comprises benefit payments (worklessness and housing benefits)",
    "E&E10.0.1": "It relates to worklessness and housing benefit payments.",
    "E&E10.0.2": "It relates to payments of Working Tax Credits and Child Tax Credits.",
    "E&E10.1": "The fiscal value comprises benefit payments (worklessness and housing benefits)",
    "E&E10.2": "The fiscal value comprises the additional benefit payments",
    "E&E10.2.1": "It relates to foregone tax and National Insurance payments",
    "E&E10.2.2": "It relates to benefits payments associated with spells of future worklessness",
    "E&E10.3": "The fiscal value comprises the additional benefit payments",
    "E&E10.3.1": "It relates to foregone tax and National Insurance payments",
    "E&E10.3.2": "It relates to benefits payments associated with spells of future worklessness",
    "E&E10.4": "Aggregated the life-time welfare payments of each case with the lost contributions",
}
_AMOUNT = re.compile(r"the £([\d,]+(?:\.\d+)?) fiscal benefit to")


class BuildError(Exception):
    """The workbook is missing or not laid out as this script expects."""


def displayed(value: int | float) -> Decimal:
    """A cell's number as Excel shows it: the stored double to 15 significant digits,
    half-even.  Every typed figure comes back as typed; =37/3*2 gives 24.6666666666667."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BuildError(f"{value!r} is not a number")
    if isinstance(value, int):
        return Decimal(value)
    with localcontext() as ctx:
        ctx.prec, ctx.rounding = DISPLAY_DIGITS, ROUND_HALF_EVEN
        exact = +Decimal(value)
    return Decimal(format(exact.normalize(), "f"))


def plain(text: Any) -> str:
    return " ".join(str(text or "").split())


def money(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


@dataclass
class Row:
    """One costed row as read, before the table-wide rules."""

    cost: UnitCost
    row: int
    years: dict[str, str]  # value name -> its year, for values given
    formulas: dict[str, str]  # value name -> formula text
    comments: dict[str, str]  # value name -> cell comment
    published: tuple[str, str, str]  # unit, agency level 1 and level 2 as printed


@dataclass
class Book:
    rows: list[Row]
    deflators: list[dict[str, str]]
    licence: str
    changes: list[str]
    saved: str  # the date the copy read was last saved


def _sheets(path: Path) -> tuple[Any, Any]:
    if not path.is_file():
        raise BuildError(f"source file not found: {path}")
    return openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)


def read_deflators(formulas: Any, values: Any) -> list[dict[str, str]]:
    """Lookups!M10:P40: year, % change on the year before, index (1989-90 = 100), forecast."""
    out: list[dict[str, str]] = []
    for r in range(FIRST_DEFLATOR_ROW, LAST_DEFLATOR_ROW + 1):
        year = financial_year(str(formulas[f"M{r}"].value))
        index, change = values[f"P{r}"].value, values[f"N{r}"].value
        if index is None or change is None:
            raise BuildError(f"Lookups!P{r}: no cached deflator; open and save the workbook")
        out.append(
            {
                "year": year,
                "pct_change": format(displayed(change), "f"),
                "index": format(displayed(index), "f"),
                "forecast": "true" if formulas[f"L{r}"].value == "f" else "false",
                "source_ref": f"Lookups!P{r}",
            }
        )
    if out[0]["index"] != "100":
        raise BuildError("Lookups!P10: the deflator series no longer starts at 100")
    return out


def _check_headers(sheet: Any) -> None:
    for ref, label in HEADERS.items():
        if plain(sheet[ref].value) != label:
            raise BuildError(f"{sheet.title}!{ref}: expected {label!r}, found {sheet[ref].value!r}")


def _tier(sheet: Any, r: int) -> str:
    if (sheet[f"{DETAIL}{r}"].alignment.indent or 0) > 0:
        return "constituent"
    return "headline" if sheet[f"{CODE}{r}"].font.b else "subsidiary"


def read_rows(formulas: Any, values: Any, theme: str) -> Iterator[Row]:
    """Each row of a theme sheet with a description and a value; the year drop-down lists
    below the table have neither and are passed over."""
    sheet, cached = formulas[theme], values[theme]
    _check_headers(sheet)
    for r in range(3, sheet.max_row + 1):
        given = {name: sheet[f"{col}{r}"].value for name, (col, _) in VALUES.items()}
        description = plain(sheet[f"{DETAIL}{r}"].value)
        if not description and all(v is None for v in given.values()):
            continue
        if not description or all(v is None for v in given.values()):
            raise BuildError(f"{theme}!{CODE}{r}: a description without a value, or the reverse")
        amounts: dict[str, Decimal | None] = {}
        years: dict[str, str] = {}
        row_formulas: dict[str, str] = {}
        for name, (col, year_col) in VALUES.items():
            raw, value = given[name], cached[f"{col}{r}"].value
            if isinstance(raw, str) and raw.startswith("="):
                row_formulas[name] = raw
            amounts[name] = None if raw is None else displayed(value)
            if raw is not None:
                years[name] = financial_year(str(sheet[f"{year_col}{r}"].value))
        comments = {
            name: plain(sheet[f"{col}{r}"].comment.text)
            for name, (col, _) in VALUES.items()
            if sheet[f"{col}{r}"].comment
        }
        agency, detail = normalise_agency(
            plain(sheet[f"{LEVEL1}{r}"].value), plain(sheet[f"{LEVEL2}{r}"].value)
        )
        cost = UnitCost(
            code=plain(sheet[f"{CODE}{r}"].value),
            outcome=plain(sheet[f"{OUTCOME}{r}"].value),
            description=description,
            unit=normalise_unit(plain(sheet[f"{UNIT}{r}"].value)),
            agency=agency,
            agency_detail=detail,
            fiscal=amounts["fiscal"],
            economic=amounts["economic"],
            social=amounts["social"],
            price_year=next(iter(years.values())),
            transfer_payment=False,
            headline=False,
            contains=(),
            notes=plain(sheet[f"{COMMENT}{r}"].value),
            source_ref=f"{theme}!{CODE}{r}",
            theme=theme,
            tier=_tier(sheet, r),
            rag=plain(sheet[f"{RAG}{r}"].value),
            original_source=plain(sheet[f"{SOURCE}{r}"].value),
        )
        unit, level1, level2 = (plain(sheet[f"{c}{r}"].value) for c in (UNIT, LEVEL1, LEVEL2))
        yield Row(cost, r, years, row_formulas, comments, (unit, level1, level2))


def _structure(rows: list[Row], changes: list[str]) -> None:
    """Give a blank code its place among its siblings; attach constituents to their parent."""
    parent: Row | None = None
    members: dict[int, list[Row]] = {}
    for row in rows:
        if row.cost.tier != "constituent":
            parent = row
            continue
        if parent is None or parent.cost.theme != row.cost.theme:
            raise BuildError(f"{row.cost.source_ref}: a constituent line with no line above it")
        siblings = members.setdefault(id(parent), [])
        siblings.append(row)
        expected = f"{parent.cost.code}.{len(siblings)}"
        if not row.cost.code:
            changes.append(
                f"`{row.cost.source_ref}` has a blank cost code; it is constituent line "
                f"{len(siblings)} under `{parent.cost.code}`, so it is given `{expected}`."
            )
            row.cost = replace(row.cost, code=expected)
        if row.cost.code != expected:
            raise BuildError(f"{row.cost.source_ref}: code {row.cost.code}, expected {expected}")
        parent.cost = replace(
            parent.cost, contains=(*parent.cost.contains, row.cost.code), headline=True
        )


def _one_price_year(rows: list[Row], series: dict[str, Decimal], changes: list[str]) -> None:
    """A row whose values are at different years is restated at the year of its first value."""
    for row in rows:
        year = row.cost.price_year
        for name, other in row.years.items():
            if other == year:
                continue
            given = getattr(row.cost, name)
            restated = uprate(given, other, year, series).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
            note = (
                f"The workbook gives the {name} value at {other} prices (£{given:,}); "
                f"restated at {year} prices with its GDP deflator: £{restated:,}."
            )
            changes.append(f"`{row.cost.code}`: {note}")
            notes = f"{note} | {row.cost.notes}" if row.cost.notes else note
            restate: dict[str, Any] = {name: restated, "notes": notes}
            row.cost = replace(row.cost, **restate)


def _mark(row: Row, amount: Decimal | None, basis: str, found: dict[str, str]) -> None:
    if row.cost.code in found:
        return
    found[row.cost.code] = basis
    row.cost = replace(row.cost, transfer_payment=True, transfer_amount=amount)


def _from_comments(rows: list[Row], by_code: dict[str, Row], found: dict[str, str]) -> None:
    """A fiscal cell comment saying "transfer payment"; where it names an amount (the £9,234
    fiscal benefit to DWP), the constituent line of that amount is the transfer."""
    for row in rows:
        comment = row.comments.get("fiscal", "")
        if "transfer payment" not in comment.lower():
            continue
        named = _AMOUNT.search(comment)
        if named is None:
            _mark(row, row.cost.fiscal, "comment on the fiscal value", found)
            continue
        amount = Decimal(named.group(1).replace(",", ""))
        parts = [by_code[c] for c in row.cost.contains if by_code[c].cost.fiscal == amount]
        if len(parts) != 1:
            raise BuildError(f"{row.cost.source_ref}: no single constituent of £{amount:,}")
        _mark(parts[0], amount, f"the £{amount:,} named in the comment on {row.cost.code}", found)
        _mark(row, amount, f"comment on the fiscal value (£{amount:,} of it)", found)


def _from_text(rows: list[Row], by_code: dict[str, Row], found: dict[str, str]) -> None:
    for code, words in TRANSFER_TEXT.items():
        row = by_code[code]
        if words not in f"{row.cost.description} {row.cost.notes}":
            raise BuildError(f"{row.cost.source_ref}: its text no longer says {words!r}")
        _mark(row, row.cost.fiscal, f'its Comment column: "{words}"', found)
    for row in rows:
        if (row.cost.agency, row.cost.unit) == BENEFIT_RATE:
            if not BENEFIT_WORDS.search(row.cost.description):
                raise BuildError(f"{row.cost.source_ref}: a weekly DWP line that is no benefit")
            _mark(row, row.cost.fiscal, "a weekly DWP benefit rate", found)


def _from_constituents(rows: list[Row], by_code: dict[str, Row], found: dict[str, str]) -> None:
    """A line whose constituents are transfers is a transfer in that part (all of it when
    every constituent is); a line already marked must agree."""
    for row in rows:
        parts = [by_code[c].cost for c in row.cost.contains]
        moved = [p.fiscal for p in parts if p.transfer_payment and p.fiscal is not None]
        if not moved or row.cost.fiscal is None:
            continue
        whole = len(moved) == sum(1 for p in parts if p.fiscal is not None)
        amount = row.cost.fiscal if whole else sum(moved, Decimal(0))
        if row.cost.code in found and row.cost.transfer_amount != amount:
            raise BuildError(f"{row.cost.source_ref}: transfer £{amount} from its lines disagrees")
        _mark(row, amount, "its constituent lines", found)


def _transfers(rows: list[Row]) -> dict[str, str]:
    """Mark transfer payments (fiscal, not public value); returns code -> basis."""
    found: dict[str, str] = {}
    by_code = {row.cost.code: row for row in rows}
    _from_comments(rows, by_code, found)
    _from_text(rows, by_code, found)
    _from_constituents(rows, by_code, found)
    return found


def _annotate(rows: list[Row], found: dict[str, str]) -> None:
    for row in rows:
        parts = [f"Comment on the {name} value: {text}" for name, text in row.comments.items()]
        if row.cost.code in found and not row.comments:
            parts.append(f"Transfer payment ({found[row.cost.code]}).")
        notes = " | ".join([*parts, row.cost.notes] if row.cost.notes else parts)
        row.cost = replace(row.cost, notes=notes)


def read_book(path: Path) -> tuple[Book, dict[str, str]]:
    formulas, values = _sheets(path)
    licence = plain(formulas[LICENCE_CELL[0]][LICENCE_CELL[1]].value)
    if licence != LICENCE:
        raise BuildError(f"{'!'.join(LICENCE_CELL)}: the licence statement has changed")
    deflators = read_deflators(formulas["Lookups"], values["Lookups"])
    rows = [row for theme in THEMES for row in read_rows(formulas, values, theme)]
    changes: list[str] = []
    _structure(rows, changes)
    series = {d["year"]: Decimal(d["index"]) for d in deflators}
    _one_price_year(rows, series, changes)
    found = _transfers(rows)
    _annotate(rows, found)
    codes = Counter(row.cost.code for row in rows)
    if max(codes.values()) > 1:
        raise BuildError(f"codes used twice: {[c for c, n in codes.items() if n > 1]}")
    saved = formulas.properties.modified
    return Book(rows, deflators, licence, changes, saved.date().isoformat()), found


def _write_csv(path: Path, header: tuple[str, ...], records: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


def _record(cost: UnitCost) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in asdict(cost).items():
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, Decimal) or value is None:
            out[name] = money(value)
        elif isinstance(value, tuple):
            out[name] = ";".join(value)
        else:
            out[name] = str(value)
    return out


INTRO = """\
# Unit costs: New Economy (Greater Manchester) Unit Cost Database v1.4

Derived from `{workbook}`: the Unit Cost Database, version 1.4 (updated March
2015), by New Economy (Greater Manchester); the first version was funded by the
Department for Communities and Local Government's Troubled Families Unit and
delivered by Greater Manchester and Birmingham City Council (its Introduction
sheet). Guidance as printed in the workbook: <http://neweconomymanchester.com/stories/1966>.
The copy read was last saved on {saved} (workbook properties).

Licence: Creative Commons Attribution 4.0 International (CC BY 4.0). The
workbook's Introduction sheet (cell {licence_cell}) says: "{licence}"

Attribution: contains the New Economy Unit Cost Database v1.4 (March 2015),
licensed under CC BY 4.0; changed as listed under *What was changed*.

Rebuild: `.venv/bin/python scripts/build_unit_costs.py [--shared PATH]` (PATH
defaults to `<project>/../shared/data`; the workbook is read from
`PATH/unit_costs/gmca_ucd/`).

## Files

- `{costs_file}`: one row per costed row of the seven theme sheets ({themes}):
  every row with a description and at least one fiscal, economic or social value,
  in workbook order, {rows} rows. Columns: {columns}.
- `{deflators_file}`: the workbook's GDP deflator series (Lookups!M10:P40):
  `year`, `pct_change` (on the year before), `index` (1989-90 = 100), `forecast`
  and `source_ref`. From HM Treasury's *GDP deflators at market prices, and money
  GDP: March 2015 (Budget 2015)*; {forecasts} are forecasts at that date.

## What the values are

`fiscal`, `economic` and `social` are the workbook's *Estimated cost/saving* at the
year beside each (columns H/I, K/L and N/O), which is `price_year`. The
workbook's *Updated cost/saving* columns (J, M, P) are not shipped: they are these
figures uprated to the year chosen in Lookups!K11 (2015/16 when saved) with the
deflators above, which `uprate()` reproduces for any year in the series.

Values are as the workbook displays them: each cell's number to Excel's 15
significant digits, so every typed figure is exactly as typed, and a formula
(=37/3*2) gives its 15-digit result (24.6666666666667). Nothing is rounded to
pence here; round half-even to the penny at output. A blank value is empty
(no figure), never zero; the workbook's one zero (`CR8.18.5`) is shipped as 0.

Cell comments are in `notes` ("Comment on the fiscal value: ..."), before the
text of the workbook's Comment column; whitespace and line breaks in all text are
collapsed to single spaces.

`tier` is the workbook's grouping (its Guidance sheet): `headline` (bold),
`subsidiary`, or `constituent` (indented: a part of the line above it).
`contains` lists the constituent lines under a line, and `headline` is true
for every line that has them ({parents} lines, of which {subsidiary_parents} are
subsidiary lines): the line already includes its constituents, so using both
counts them twice (`overlaps()`).

## What was changed

- Units: spaces collapsed, lower case except acronyms (`Per person ` -> `per person`,
  `Per FTE` -> `per FTE`); {units} units.
- Agencies: one spelling each, and the crime sheet's level-1 courts, probation and
  prisons filed under the Criminal Justice System as the other sheets do (table below).
  An agency cell the workbook leaves empty (lines with an economic value only) is "".
{changes}
## Agencies

| level 1, level 2 as published | shipped | rows |
|---|---|---|
{agencies}

## Units

{unit_list}

## Transfer payments

The Guidance sheet says transfer payments (tax, social security benefits) count as
fiscal but not as public value, and are marked by a comment in the fiscal value cell.
`transfer_payment` is true, and `transfer_amount` gives the part of `fiscal` that is
a transfer, for these {transfers} lines:

| code | transfer_amount | fiscal | basis |
|---|---|---|---|
{transfer_rows}

## Formula cells

Values computed by a formula in the workbook, shipped as its displayed result:

| cell | formula | value |
|---|---|---|
{formula_rows}

## Rows by theme

| theme | rows | headline | subsidiary | constituent |
|---|---|---|---|---|
{theme_rows}

Not used: the third-party JSON extracts beside the workbook (econstack, MIT) are
read only by the tests, to cross-check this parse.
"""


def _pair(level1: str, level2: str) -> str:
    return " / ".join(f"`{level}`" for level in (level1, level2) if level) or "(none)"


def source_md(book: Book, found: dict[str, str], workbook: str) -> str:
    costs = [row.cost for row in book.rows]
    agencies = Counter(
        (_pair(r.published[1], r.published[2]), _pair(r.cost.agency, r.cost.agency_detail))
        for r in book.rows
    )
    changed = sorted((k, n) for k, n in agencies.items() if k[0] != k[1])
    agency_rows = [f"| {a} | {b} | {n} |" for (a, b), n in changed]
    same = sum(n for k, n in agencies.items() if k[0] == k[1])
    agency_rows.append(f"| every other pair | as published | {same} |")
    units = Counter(c.unit for c in costs)
    by_code = {c.code: c for c in costs}
    tiers = Counter((c.theme, c.tier) for c in costs)
    formulas = [
        f"| `{r.cost.theme}!{VALUES[name][0]}{r.row}` | `{text}` | {money(getattr(r.cost, name))} |"
        for r in book.rows
        for name, text in r.formulas.items()
    ]
    return INTRO.format(
        workbook=workbook,
        saved=book.saved,
        licence_cell="!".join(LICENCE_CELL),
        licence=book.licence,
        costs_file=UNIT_COSTS_FILE,
        deflators_file=DEFLATORS_FILE,
        themes=", ".join(THEMES),
        rows=len(costs),
        columns=", ".join(f"`{c}`" for c in COLUMNS),
        forecasts=", ".join(d["year"] for d in book.deflators if d["forecast"] == "true"),
        parents=sum(1 for c in costs if c.contains),
        subsidiary_parents=sum(1 for c in costs if c.contains and c.tier == "subsidiary"),
        units=len(units),
        changes="".join(f"- {change}\n" for change in book.changes),
        agencies="\n".join(agency_rows),
        unit_list=", ".join(f"`{u}` ({n})" for u, n in sorted(units.items())),
        transfers=len(found),
        transfer_rows="\n".join(
            f"| `{code}` | {money(by_code[code].transfer_amount)} | "
            f"{money(by_code[code].fiscal)} | {basis} |"
            for code, basis in sorted(found.items(), key=lambda item: list(by_code).index(item[0]))
        ),
        formula_rows="\n".join(formulas),
        theme_rows="\n".join(
            f"| {theme} | {sum(tiers[theme, t] for t in ('headline', 'subsidiary', 'constituent'))}"
            f" | {tiers[theme, 'headline']} | {tiers[theme, 'subsidiary']}"
            f" | {tiers[theme, 'constituent']} |"
            for theme in THEMES
        ),
    )


def build(shared: Path, out: Path) -> Book:
    book, found = read_book(shared / WORKBOOK)
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / UNIT_COSTS_FILE, COLUMNS, [_record(row.cost) for row in book.rows])
    _write_csv(out / DEFLATORS_FILE, tuple(book.deflators[0]), book.deflators)
    text = source_md(book, found, WORKBOOK.name)
    (out / "SOURCES.md").write_text(text, encoding="utf-8")
    return book


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--shared", type=Path, default=PROJECT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        book = build(args.shared, args.out)
    except BuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {len(book.rows)} unit costs and {len(book.deflators)} deflators to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
