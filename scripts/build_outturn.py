"""Build the shipped Revenue Outturn Summary (RS) tables from the DCLG/MHCLG workbooks.

    .venv/bin/python scripts/build_outturn.py [--shared PATH] [--out DIR]

Reads every RS workbook in ``PATH/finance/revenue_outturn_rs/`` (PATH defaults
to ``<project>/../shared/data``) with
:func:`totalplace.reference.outturn.parse_rs_workbook` and writes
``rs_lines.parquet`` (authorities), ``rs_england.parquet`` (the ENGLAND rows)
and ``SOURCES.md`` to ``src/totalplace/reference/data/outturn/`` (or DIR).
Blank and not-available cells are skipped, never read as zero; the log and
SOURCES.md count them per file.  Exit code 0 when every workbook was read.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from totalplace.errors import SourceError
from totalplace.reference.outturn import (
    COLUMNS,
    ENGLAND_FILE,
    ISSUE_HELP,
    LINE_IDS_FILE,
    LINES_FILE,
    OutturnIssue,
    OutturnLine,
    line_ids,
    parse_rs_workbook,
)

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT / "src" / "totalplace" / "reference" / "data" / "outturn"
SUBDIR = Path("finance") / "revenue_outturn_rs"
SCHEMA = pa.schema([(c, pa.int64() if c == "pence" else pa.string()) for c in COLUMNS])
NOT_USED = {
    "roall.csv": "a BBC Data Unit extract, not an MHCLG publication: 152 upper-tier councils and "
    "16 selected columns for years labelled only '2016' and '2017' (its '2017' figures do not "
    "match the 2017-18 workbook), with no ENGLAND row to reconcile against",
    "README_BBC_council-cuts-charts.md": "the BBC Data Unit's notes on where the copies came from",
}
# Why some years' lines do not add up to ENGLAND; tests/test_outturn.py lists the lines.
KNOWN_GAPS = {
    "2017-18": "Copeland (E0934) is marked 'Grossed' and all its figures are published as "
    "'\u2026'; the ENGLAND row includes MHCLG's imputed figures for it, so these lines differ "
    "by Copeland's imputed amount (the whole gap sits in the SHIRE DISTRICTS subtotal). "
    "Copeland has no rows in 2017-18.",
}
INTRO = """\
# Revenue Outturn Summary (RS) by English local authority

Derived from the RS data by local authority published by the Department for
Communities and Local Government (DCLG; from 2018 the Ministry of Housing,
Communities and Local Government, MHCLG) in the collection *Local authority
revenue expenditure and financing*,
<https://www.gov.uk/government/collections/local-authority-revenue-expenditure-and-financing>.
The workbooks read are the copies kept in the BBC Data Unit's
`council-cuts-charts` repository.

Licence: Open Government Licence v3.0,
<https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/>.
Contains public sector information licensed under the Open Government Licence v3.0.

Rebuild: `.venv/bin/python scripts/build_outturn.py [--shared PATH]` (PATH defaults
to `<project>/../shared/data`; the workbooks are read from
`PATH/finance/revenue_outturn_rs/`).

## Files

- `{lines_file}`: one row per (year, authority, line) for every row with an E-code.
- `{england_file}`: the ENGLAND row of each year; same columns, authority `ENGLAND`.
- `{line_ids_file}`: the hand-kept registry from each published header to a line id and kind.

Columns: {columns}. `pence` (int64) is the cell, in £ thousand, x 1,000 x 100,
computed with Decimal from the shortest decimal that round-trips the stored
double, rounded half-even to the penny; `raw_value` is that decimal as text;
`source_ref` is `sheet!cell`; `gss` is blank where the workbook gives no ONS code.
`kind` is `service` (service expenditure), `total` (a published total),
`adjustment` (items between service expenditure and net revenue expenditure:
benefits, precepts, levies, trading accounts, capital financing, interest) or
`financing` (grants, business rates, reserves, the council tax requirement).

Only the RS account is read: the 'Net current expenditure (£ thousand)' sheet,
from the first service line to the COUNCIL TAX REQUIREMENT. The memorandum
columns (reserves levels, capital charges, equal pay, IAS19-basis figures,
HRA) and the other sheets (capital charges, net total cost and reserves by
service) are not shipped. Class subtotal rows are never authorities.

Blank cells and not-available markers ('..', '-', '\u2026') are not zero: no row is
written, and each is counted below.
"""


def _table(rows: list[OutturnLine]) -> pa.Table:
    return pa.Table.from_pydict({c: [getattr(r, c) for r in rows] for c in COLUMNS}, schema=SCHEMA)


def _write(table: pa.Table, path: Path) -> None:
    # Dictionary-encode the repetitive columns only; pence, raw_value and source_ref vary.
    repetitive = [c for c in COLUMNS if c not in ("pence", "raw_value", "source_ref")]
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=19,
        use_dictionary=repetitive,
        write_statistics=False,
    )


def _reconcile(
    lines: list[OutturnLine], england: list[OutturnLine]
) -> dict[str, dict[str, list[str]]]:
    """Per year, the lines whose authority pence sum to the ENGLAND pence exactly, within half
    a penny per authority (fractional £ thousand rounded to the penny), or not at all."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in lines:
        sums[row.year, row.line] += row.pence
        counts[row.year, row.line] += 1
    result: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in england:
        gap = abs(sums[row.year, row.line] - row.pence)
        within = 2 * gap <= counts[row.year, row.line] + 1
        result[row.year]["exact" if gap == 0 else "rounding" if within else "off"].append(row.line)
    return result


Parsed = tuple[Path, str, list[OutturnLine], list[OutturnIssue]]


def _sources_md(files: list[Parsed], lines: list[OutturnLine], england: list[OutturnLine]) -> str:
    out = [
        INTRO.format(
            lines_file=LINES_FILE,
            england_file=ENGLAND_FILE,
            line_ids_file=LINE_IDS_FILE,
            columns=", ".join(f"`{c}`" for c in COLUMNS),
        ),
        "## Sources",
        "",
        "| file | year | sheet | authorities | rows | skipped |",
        "|---|---|---|---|---|---|",
    ]
    for path, sheet, rows, issues in files:
        slugs = sorted(Counter(i.slug for i in issues).items())
        skipped = ", ".join(f"{n} {slug}" for slug, n in slugs) or "-"
        authorities = len({r.ecode for r in rows if r.ecode})
        cells = [f"`{path.name}`", rows[0].year, sheet, str(authorities), str(len(rows)), skipped]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "Skip reasons:", ""] + [f"- `{s}`: {h}." for s, h in ISSUE_HELP.items()]
    out += ["", "Not used:", ""] + [f"- `{name}`: {why}." for name, why in NOT_USED.items()]
    out += [
        "",
        "## ENGLAND reconciliation",
        "",
        "Lines whose authority pence sum to the ENGLAND pence exactly, within half a penny",
        "per authority (2017-18 figures carry fractions of £1,000, rounded to the penny), or not.",
        "",
        "| year | exact | within rounding | off |",
        "|---|---|---|---|",
    ]
    verdicts = _reconcile(lines, england)
    for year, by in sorted(verdicts.items()):
        out.append(f"| {year} | {len(by['exact'])} | {len(by['rounding'])} | {len(by['off'])} |")
    for year, by in sorted(verdicts.items()):
        if by["off"]:
            off = ", ".join(f"`{line}`" for line in by["off"])
            out += ["", f"{year}, off: {off}. {KNOWN_GAPS.get(year, 'Not explained.')}"]
    out += ["", "## Lines by year", "", "| line | kind | years | label as published (years) |"]
    out.append("|---|---|---|---|")
    labels: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    kinds: dict[str, str] = {}
    for row in england:
        labels[row.line][row.label].append(row.year)
        kinds[row.line] = row.kind
    order = list(dict.fromkeys(line for line, _ in line_ids().values()))
    for line in sorted(labels, key=order.index):
        years = sorted({y for ys in labels[line].values() for y in ys})
        text = "; ".join(f"{label} ({', '.join(ys)})" for label, ys in labels[line].items())
        out.append(f"| `{line}` | {kinds[line]} | {', '.join(years)} | {text} |")
    return "\n".join(out) + "\n"


def _parse(path: Path) -> Parsed:
    issues: list[OutturnIssue] = []
    rows = list(parse_rs_workbook(path, issues))
    sheet = rows[0].source_ref.rsplit("!", 1)[0]
    position = {line: i for i, line in enumerate(dict.fromkeys(r.line for r in rows))}
    # Line by line, authorities in sheet order within a line: compresses best.
    rows.sort(key=lambda r: (r.ecode == "", position[r.line]))
    counts = dict(sorted(Counter(i.slug for i in issues).items()))
    print(f"{path.name}: {rows[0].year}, {len(rows)} figures; skipped {counts}")
    return path, sheet, rows, issues


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--shared", type=Path, default=PROJECT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    folder = args.shared / SUBDIR
    paths = sorted(p for p in folder.glob("*.xls*") if p.suffix.lower() in (".xls", ".xlsx"))
    if not paths:
        print(f"no RS workbooks in {folder}", file=sys.stderr)
        return 1
    try:
        files = sorted((_parse(p) for p in paths), key=lambda f: f[2][0].year)
    except SourceError as exc:
        print(exc, file=sys.stderr)
        return 1
    if len({f[2][0].year for f in files}) != len(files):
        print("two workbooks for the same year", file=sys.stderr)
        return 1
    lines = [r for f in files for r in f[2] if r.ecode]
    england = [r for f in files for r in f[2] if not r.ecode]
    args.out.mkdir(parents=True, exist_ok=True)
    _write(_table(lines), args.out / LINES_FILE)
    _write(_table(england), args.out / ENGLAND_FILE)
    (args.out / "SOURCES.md").write_text(_sources_md(files, lines, england), encoding="utf-8")
    print(f"wrote {len(lines)} authority and {len(england)} ENGLAND rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
