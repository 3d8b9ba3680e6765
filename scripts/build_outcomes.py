"""Build the outcome table shipped in ``src/totalplace/reference/data/outcomes/``.

    .venv/bin/python scripts/build_outcomes.py [--shared ../shared/data] [--out DIR]

Reads each indicator of ``totalplace.reference.outcomes.INDICATORS`` from
``shared/data/outcomes/`` and writes ``outcomes.csv``: indicator, current GSS
code (E92000001 for England), period as published, financial year and value.
Rows left out: deprivation-quintile rows (Fingertips' inequality breakdowns), a
sex other than the one the indicator keeps, electoral wards, codes that are not
a current English council, pooled multi-year periods, and blank values.  A
monthly series keeps the latest month of each financial year.  Deterministic, so
a rebuild can be compared byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Sequence
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = PROJECT.parent / "shared" / "data"
DEFAULT_OUT = PROJECT / "src" / "totalplace" / "reference" / "data" / "outcomes"
COLUMNS = ("indicator", "gss", "period", "year", "value")


class BuildError(Exception):
    """The source data breaks an assumption the table relies on."""


def _current(code: str) -> str | None:
    from totalplace.errors import ConfigError
    from totalplace.reference.outcomes import ENGLAND
    from totalplace.reference.places import registry

    if code == ENGLAND:
        return code
    try:
        found = registry().get(code)
    except ConfigError:
        return None
    return found.gss if found.current else None


def _month_order(period: str) -> tuple[int, int]:
    """Sort key placing a month's period by calendar order (latest last)."""
    from totalplace.reference.outcomes import _MONTHS

    words = period.replace("-", " ").split()
    months = [_MONTHS.get(w[:3].lower(), 0) for w in words if w.isalpha()]
    years = [int(w) for w in words if w.isdigit() and len(w) == 4]
    return (years[-1] if years else 0, months[-1] if months else 0)


def _number(text: str) -> bool:
    """Whether a value is a finite number ('NA' and blanks are not published values)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def build(shared: Path) -> list[dict[str, str]]:
    from totalplace.reference.outcomes import INDICATORS, financial_year_of

    rows: dict[tuple[str, str, str], dict[str, str]] = {}
    for ind in INDICATORS:
        path = shared / "outcomes" / ind.source
        if not path.is_file():
            raise BuildError(f"{path}: source file missing")
        with path.open(encoding="utf-8-sig", newline="") as handle:
            found = 0
            for r in csv.DictReader(handle):
                if not r["indicator"].startswith(ind.match):
                    continue
                if r.get("inequality", "NA") not in ("NA", ind.sex or "NA"):
                    continue
                if ind.sex and ind.sex not in (r.get("unit"), r.get("inequality")):
                    continue
                if r.get("area_type") == "Electoral Wards" or not _number(r["value"]):
                    continue
                gss, year = _current(r["area_code"]), financial_year_of(r["period"])
                if gss is None or year is None:
                    continue
                key = (ind.id, gss, year)
                kept = rows.get(key)
                if kept and _month_order(kept["period"]) >= _month_order(r["period"]):
                    continue
                value = f"{float(r['value']):.4g}" if "." in r["value"] else r["value"]
                rows[key] = {"indicator": ind.id, "gss": gss, "period": r["period"],
                             "year": year, "value": value}  # fmt: skip
                found += 1
            if not found:
                raise BuildError(f"{path}: no row matched indicator {ind.match!r}")
    return [rows[k] for k in sorted(rows)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        rows = build(args.shared)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "outcomes.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"outcomes.csv: {len(rows):,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
