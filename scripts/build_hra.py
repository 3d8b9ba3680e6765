"""Build the shipped Housing Revenue Account (HRA) table from the RS workbooks.

    .venv/bin/python scripts/build_hra.py [--shared PATH] [--out DIR]

Reads every RS workbook in ``PATH/finance/revenue_outturn_rs/`` (PATH defaults
to ``<project>/../shared/data``) and, where the net current expenditure sheet
carries the HRA memorandum columns (2012-13 onwards), writes each authority's
total HRA income and expenditure to ``hra.csv`` with ``SOURCES.md`` in
``src/totalplace/reference/data/hra/`` (or DIR).  Workbooks without the
columns (2010-11, 2011-12) are listed as such.  The authorities' figures are
checked against the ENGLAND row; a blank or not-available cell is skipped and
counted, never read as zero.  Exit code 0 when every workbook was read.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from totalplace.errors import SourceError
from totalplace.reference.hra import COLUMNS, HRA_FILE
from totalplace.reference.outturn import (
    NOT_AVAILABLE,
    _find,
    _net_current_expenditure_sheet,
    _Sheet,
    to_pence,
)

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT / "src" / "totalplace" / "reference" / "data" / "hra"
SUBDIR = Path("finance") / "revenue_outturn_rs"
ECODE = re.compile(r"E\d{4}")
YEAR = re.compile(r"\d{4}-\d{2}")
# The memorandum headers, as published in 2012-13..2014-15 and (capitals) 2017-18.
HEADERS = {
    "income": "total housing revenue account (hra) income",
    "expenditure": "total housing revenue account (hra) expenditure",
}
INTRO = """\
# Housing Revenue Account (HRA) income and expenditure by English authority

Derived from the memorandum columns of the Revenue Outturn Summary (RS) data
by local authority published by the Department for Communities and Local
Government (DCLG; from 2018 MHCLG) in the collection *Local authority revenue
expenditure and financing*,
<https://www.gov.uk/government/collections/local-authority-revenue-expenditure-and-financing>
(the copies kept in the BBC Data Unit's `council-cuts-charts` repository, the
same workbooks as `../outturn/`).

Licence: Open Government Licence v3.0,
<https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/>.
Contains public sector information licensed under the Open Government Licence v3.0.

Rebuild: `.venv/bin/python scripts/build_hra.py [--shared PATH]`.

`{hra_file}`: one row per (year, authority) whose HRA cells are figures.
Columns: {columns}. `income_pence` and `expenditure_pence` are the RS cells
'Total Housing Revenue Account (HRA) income' and '... expenditure' (£ thousand,
x 100,000, exact, rounded half-even to the penny); `source_ref` is the
expenditure cell as `sheet!cell` of the year's workbook (listed below). An
authority with no council housing reports 0 or a blank; only figures are
written, and a zero is kept (it says the authority has no HRA).

HRA expenditure is what a council spends on its own housing stock from rents
(repairs, management, depreciation, interest and, to 2011-12, negative subsidy
paid to government); it is outside the General Fund's net current
expenditure, so payments to it are set apart from the revenue split and
compared with this figure.
"""


@dataclass(frozen=True)
class Row:
    year: str
    ecode: str
    authority: str
    income_pence: int
    expenditure_pence: int
    source_ref: str


def _figure(sheet: _Sheet, r: int, c: int) -> int | None:
    value = sheet.cell(r, c)
    if value is None or (isinstance(value, str) and value.strip() in NOT_AVAILABLE | {""}):
        return None
    try:
        return to_pence(value)
    except ValueError:
        return None


def parse(path: Path) -> tuple[str, list[Row], int, dict[str, int] | None]:
    """The workbook's year, its authorities' HRA rows, the cells skipped, and
    its ENGLAND row (None when the sheet has no HRA columns)."""
    sheet = _net_current_expenditure_sheet(path)
    year = YEAR.search(sheet.name)
    top = next((r for r, row in enumerate(sheet.grid) if _find(row, "E-code") == 0), None)
    if year is None or top is None:
        raise sheet.error("no year in the sheet name, or no 'E-code' header")
    header = sheet.grid[top]
    cols = {k: _find(header, h) for k, h in HEADERS.items()}
    name_col = _find(header, "Local authority")
    if cols["income"] is None or cols["expenditure"] is None or name_col is None:
        return year.group(), [], 0, None
    income, expenditure = cols["income"], cols["expenditure"]
    rows: list[Row] = []
    skipped = 0
    england: dict[str, int] | None = None
    for r in range(top + 1, len(sheet.grid)):
        ecode, name = sheet.text(r, 0), sheet.text(r, name_col)
        inc, exp = _figure(sheet, r, income), _figure(sheet, r, expenditure)
        if name == "ENGLAND" and not ecode:
            england = {"income": inc or 0, "expenditure": exp or 0}
        elif ECODE.fullmatch(ecode):
            if inc is None or exp is None:
                skipped += 1
                continue
            ref = sheet.ref(r, expenditure)
            rows.append(Row(year.group(), ecode, name, inc, exp, ref))
    return year.group(), rows, skipped, england


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=PROJECT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    folder = args.shared / SUBDIR
    books = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".xls", ".xlsx"))
    if not books:
        print(f"no RS workbooks in {folder}", file=sys.stderr)
        return 1
    table: list[Row] = []
    summary = ["| file | year | authorities | skipped | authorities' expenditure | ENGLAND |"]
    summary.append("|---|---|---:|---:|---:|---:|")
    without: list[str] = []
    for path in books:
        try:
            year, rows, skipped, england = parse(path)
        except SourceError as exc:
            print(exc, file=sys.stderr)
            return 1
        if england is None:
            without.append(f"`{path.name}` ({year})")
            print(f"{path.name}: {year}, no HRA columns")
            continue
        spent = sum(r.expenditure_pence for r in rows)
        summary.append(
            f"| `{path.name}` | {year} | {len(rows)} | {skipped} "
            f"| £{spent / 100:,.0f} | £{england['expenditure'] / 100:,.0f} |"
        )
        print(f"{path.name}: {year}, {len(rows)} authorities, {skipped} skipped")
        table += rows
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / HRA_FILE).open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for r in sorted(table, key=lambda r: (r.year, r.ecode)):
            writer.writerow([getattr(r, c) for c in COLUMNS])
    text = INTRO.format(hra_file=HRA_FILE, columns=", ".join(f"`{c}`" for c in COLUMNS))
    text += "\n## Sources\n\n" + "\n".join(summary) + "\n"
    text += (
        "\nThe ENGLAND column is the published ENGLAND row; where it exceeds the "
        "authorities' sum, the difference is DCLG's imputed figures for authorities "
        "that did not return.\n"
    )
    if without:
        text += "\nWorkbooks without the HRA columns: " + ", ".join(without) + ".\n"
    (args.out / "SOURCES.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
