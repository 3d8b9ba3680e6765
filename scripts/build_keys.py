"""Build the apportionment key tables shipped in ``src/totalplace/reference/data/keys/``.

    .venv/bin/python scripts/build_keys.py [--shared ../shared/data] [--out DIR]

Reads the English Indices of Deprivation 2019 and 2025 local-authority summaries
and the mid-year population extract, and writes two small derived tables:

- ``need.csv``: per current lowest-tier authority and IoD edition, the average
  scores of the domains the benefit keys use (income, income deprivation
  affecting children and older people, employment, the overall index).  The
  2015 summary as shipped holds ranks only, so it gives no score.
- ``age.csv``: per current authority, the shares of residents aged under 16 and
  65 and over, for the one year the extract gives them.

Deterministic, so a rebuild can be compared byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = PROJECT.parent / "shared" / "data"
DEFAULT_OUT = PROJECT / "src" / "totalplace" / "reference" / "data" / "keys"
POPULATION = "place/population/la_mid_year_population_2010_2024_DERIVED_from_econstack.csv"
IOD = {2019: "place/imd/IoD2019_lad.csv", 2025: "place/imd/IoD2025_lad.csv"}
# Domain columns written, and each domain's name in each edition.
DOMAINS = {
    "imd": ("Index of Multiple Deprivation", "Index of Multiple Deprivation"),
    "income": ("Income", "Income Deprivation"),
    "employment": ("Employment", "Employment Deprivation"),
    "idaci": ("Income Deprivation Affecting Children",) * 2,
    "idaopi": ("Income Deprivation Affecting Older People",) * 2,
}


class BuildError(Exception):
    """The source data breaks an assumption the tables rely on."""


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BuildError(f"{path}: source file missing")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def current_code(code: str) -> str | None:
    """The current lowest-tier authority for a published district code, or None
    for a district since abolished (its score cannot be added to a successor's)."""
    from totalplace.errors import ConfigError
    from totalplace.reference.places import registry

    try:
        found = registry().get(code)
    except ConfigError:
        return None
    return found.gss if found.current and found.lowest_tier else None


def derive_need(shared: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    for position, (edition, name) in enumerate(sorted(IOD.items())):
        scores: dict[str, dict[str, str]] = {}
        for r in read_csv(shared / name):
            code = r.get("lad19cd") or r.get("area_code") or ""
            domain = r["index_domain"]
            for column, names in DOMAINS.items():
                if domain == names[position]:
                    gss = current_code(code)
                    if gss is not None:
                        scores.setdefault(gss, {})[column] = r["average_score"]
        for gss in sorted(scores):
            found = scores[gss]
            missing = [c for c in DOMAINS if c not in found]
            if missing:
                raise BuildError(f"{name}: {gss} has no score for {', '.join(missing)}")
            values = [f"{float(found[c]):.4f}" for c in DOMAINS]
            rows.append([gss, str(edition), *values])
    return rows


def derive_age(shared: Path) -> list[list[str]]:
    rows = []
    for r in read_csv(shared / POPULATION):
        code = r["gss_code"]
        if not code.startswith("E") or current_code(code) != code:
            continue
        rows.append([code, r["mye_latest_year"], r["pct_under16"], r["pct_over65"]])
    return sorted(rows)


SOURCES = """# Apportionment key tables: sources and licences

Built by `.venv/bin/python scripts/build_keys.py --shared ../shared/data`
(paths under `shared/data/`). Only these derived tables ship.

## `need.csv` ({need} rows)

- source: `place/imd/IoD2019_lad.csv`, `place/imd/IoD2025_lad.csv`
- publisher: MHCLG English Indices of Deprivation 2019 and 2025, local authority
  district summaries as republished by traffordDataLab/open_data (commit a33a7d949483)
- licence: Open Government Licence v3
- columns: average score of the district's small areas for the overall index
  (`imd`), the income domain (`income`: share of residents income deprived), the
  employment domain (`employment`), income deprivation affecting children (`idaci`:
  share of children under 16) and older people (`idaopi`: share of people aged 60+).
  Only districts still current (or recoded) are kept: a merged district's score
  cannot be added to its successor's. The 2015 summary has ranks only: no scores.

## `age.csv` ({age} rows)

- source: `place/population/la_mid_year_population_2010_2024_DERIVED_from_econstack.csv`
- publisher: ONS mid-year estimates, extracted per authority by
  charlescoverdale/econstack-data (not checked against an ONS file)
- licence: Open Government Licence v3 (ONS)
- columns: shares of residents aged under 16 and 65 and over (percent), for the
  latest year only: the source gives no age shares for earlier years.
"""


def build(shared: Path, out: Path) -> dict[str, int]:
    need = derive_need(shared)
    age = derive_age(shared)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "need.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["gss", "edition", *DOMAINS])
        writer.writerows(need)
    with (out / "age.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["gss", "year", "pct_under16", "pct_over65"])
        writer.writerows(age)
    (out / "SOURCES.md").write_text(SOURCES.format(need=len(need), age=len(age)), "utf-8")
    return {"need.csv": len(need), "age.csv": len(age)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        counts = build(args.shared, args.out)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, n in counts.items():
        print(f"{name}: {n} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
