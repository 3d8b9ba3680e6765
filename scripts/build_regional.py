"""Build the regional spending table shipped in ``src/totalplace/reference/data/regional/``.

    .venv/bin/python scripts/build_regional.py [--shared ../shared/data] [--out DIR]

Reads HM Treasury's CRA 2018 and CRA 2014 databases and the CRA 2010 database
(PESA 2010 chapter 9) from ``finance/cra_pesa/`` and writes one compact Parquet
table, one row per database, line and year, every figure in exact pence, plus
``SOURCES.md`` naming the sources and licence. The source files are never copied.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq

from totalplace.reference.regional import (
    ENGLISH_REGIONS,
    NON_IDENTIFIABLE,
    PARQUET,
    REGION_NAMES,
    SOURCES,
    RegionalLine,
    final_sources,
    lines_to_table,
    parse_cra_workbook,
    parse_pesa_chapter9,
)

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = PROJECT.parent / "shared" / "data"
DEFAULT_OUT = PROJECT / "src" / "totalplace" / "reference" / "data" / "regional"
FOLDER = "finance/cra_pesa"
FILES = {
    "CRA2018": "CRA_2018_Database_for_Publication_rvsd.xlsx",
    "CRA2014": "CRA_2014_Combined_Database_for_Publication.xlsx",
    "PESA2010": "pesa_2010_database_tables_chapter9.xlsx",
}
PAGES = {
    "CRA2018": "https://www.gov.uk/government/statistics/country-and-regional-analysis-2018",
    "CRA2014": "https://www.gov.uk/government/statistics/country-and-regional-analysis-2014",
    "PESA2010": "https://www.gov.uk/government/statistics/country-and-regional-analysis-2010",
}
TITLES = {
    "CRA2018": "Country and Regional Analysis 2018 database (revised), £ thousand",
    "CRA2014": "Country and Regional Analysis 2014 combined database, £ thousand",
    "PESA2010": (
        "Country and Regional Analysis 2010 database (PESA 2010 chapter 9), outturn "
        "columns only, £ million"
    ),
}


def read_all(folder: Path) -> list[RegionalLine]:
    for name in FILES.values():
        if not (folder / name).is_file():
            raise SystemExit(f"missing source file {folder / name}")
    lines = [
        *parse_cra_workbook(folder / FILES["CRA2018"], "CRA2018"),
        *parse_cra_workbook(folder / FILES["CRA2014"], "CRA2014"),
        *parse_pesa_chapter9(folder / FILES["PESA2010"]),
    ]
    years = {source: {line.year for line in lines if line.source == source} for source in SOURCES}
    winners = final_sources(years)
    marked = [replace(line, final=winners[line.year] == line.source) for line in lines]
    # Deterministic and compact: by database (latest first), then year, then sheet order.
    order = {source: i for i, source in enumerate(SOURCES)}
    return sorted(marked, key=lambda line: (order[line.source], line.year))


def anomalies(lines: Sequence[RegionalLine]) -> list[str]:
    """Lines whose ID flag and region disagree, kept as published but named here."""
    found: Counter[tuple[str, str, str]] = Counter()
    money: Counter[tuple[str, str, str]] = Counter()
    for line in lines:
        if line.identifiable == (line.region == NON_IDENTIFIABLE):
            flag = "ID" if line.identifiable else "non-ID"
            key = (line.source, flag, line.region)
            found[key] += 1
            money[key] += abs(line.pence)
    return [
        f"{source}: {count} cells flagged {flag} with region {region!r} "
        f"(sum of |pence| = {money[source, flag, region]})"
        for (source, flag, region), count in sorted(found.items())
    ]


def sources_md(lines: Sequence[RegionalLine], size: int, notes: Sequence[str]) -> str:
    rows = Counter(line.source for line in lines)
    spans = {
        source: sorted({line.year for line in lines if line.source == source}) for source in SOURCES
    }
    final = {
        source: sorted({line.year for line in lines if line.source == source and line.final})
        for source in SOURCES
    }
    out = [
        "# Sources of the regional spending table",
        "",
        f"`{PARQUET}` ({size:,} bytes, zstd, dictionary-encoded strings) is derived from",
        "HM Treasury's Country and Regional Analysis (CRA) databases, published by",
        "HM Treasury under the Open Government Licence v3.0",
        "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).",
        "Contains public sector information licensed under the Open Government Licence v3.0.",
        "",
        "| source | file | title | years | final years | rows |",
        "|---|---|---|---|---|---|",
    ]
    for source in SOURCES:
        span, won = spans[source], final[source]
        out.append(
            f"| {source} | `{FILES[source]}` ({PAGES[source]}) | {TITLES[source]} | "
            f"{span[0]}..{span[-1]} | {', '.join(won)} | {rows[source]:,} |"
        )
    out += [
        "",
        "Rebuild (deterministic) from the source folder `../shared/data/finance/cra_pesa/`:",
        "",
        "    .venv/bin/python scripts/build_regional.py [--shared PATH]",
        "",
        "One row per (source, line, year); blank cells (no figure) are skipped, zeros kept.",
        "`pence` is the cell x 100,000 (£ thousand) or x 100,000,000 (£ million), exact",
        "in Decimal, half-even at the penny; a stored double is read as its shortest",
        "round-trip text (`raw_value`). `final` is true on the rows of the latest",
        "database that covers the year (CRA2018 > CRA2014 > PESA2010). PESA 2010's",
        "2009-10 (estimated outturn) and 2010-11 (plans) columns are not read.",
        "PESA 2010 chapter 10 is not used: it labels every English region 'ENGLAND'.",
        "",
        "Region labels as published (upper-cased, 'ENGLAND_' prefix removed) -> `region`:",
        "",
    ]
    out += [f"- `{label}` -> {name}" for label, name in REGION_NAMES.items() if name != "England"]
    out += [
        "",
        "Body type: CG -> central government; LG and LA -> local government;",
        "PC -> public corporation; BOE (Bank of England debt interest, non-identifiable)",
        "-> public corporation with `boe = true` (all other rows `boe = false`).",
        "",
        "Cells whose ID flag and region disagree (kept as published):",
        "",
    ]
    out += [f"- {note}" for note in notes] or ["- none"]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    lines = read_all(args.shared / FOLDER)
    english = set(ENGLISH_REGIONS)
    if any(not line.identifiable and line.region in english for line in lines):
        raise SystemExit("a non-identifiable line is attributed to an English region")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / PARQUET
    pq.write_table(
        lines_to_table(lines),
        target,
        compression="zstd",
        compression_level=19,
        use_dictionary=True,
        write_statistics=False,
    )
    notes = anomalies(lines)
    text = sources_md(lines, target.stat().st_size, notes)
    (args.out / "SOURCES.md").write_text(text, encoding="utf-8")
    for source, count in sorted(Counter(line.source for line in lines).items()):
        print(f"{source}: {count:,} rows")
    for note in notes:
        print(f"note: {note}")
    elapsed = time.perf_counter() - started
    print(f"wrote {target} ({target.stat().st_size:,} bytes) in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
