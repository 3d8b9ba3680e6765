"""Build the indicator table the nearest-neighbour method reads.

    .venv/bin/python scripts/build_neighbours.py [--shared ../shared/data] [--out DIR]

Writes ``src/totalplace/reference/data/neighbours/indicators.csv``: one row per
current English authority (lowest-tier authorities and counties) with
descriptive indicators of the area only, never spending:

- ``population``: mid-year residents (the latest year of the extract);
- ``density``: residents per square kilometre (that population over the area
  in the mySociety register);
- ``pct_under16``, ``pct_over65``: shares of residents by age;
- ``growth_10y``: percentage change in residents over the ten years to the
  latest year;
- the English Indices of Deprivation 2025 domain average scores (``income``,
  ``employment``, ``education``, ``health``, ``crime``, ``barriers``,
  ``living_environment``, ``idaci``, ``idaopi``).

A county's area is its own and its residents its districts' sum; its age shares
and deprivation scores are its districts' means weighted by their residents (the register's
``weighted-mean-of-districts`` rule).  Deterministic, so a rebuild can be
compared byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = PROJECT.parent / "shared" / "data"
DEFAULT_OUT = PROJECT / "src" / "totalplace" / "reference" / "data" / "neighbours"
POPULATION = "place/population/la_mid_year_population_2010_2024_DERIVED_from_econstack.csv"
REGISTER = "place/la_codes/uk_local_authorities_current.csv"
IOD = "place/imd/IoD2025_lad.csv"
DOMAINS = {
    "income": "Income Deprivation",
    "employment": "Employment Deprivation",
    "education": "Education, Skills and Training Deprivation",
    "health": "Health Deprivation and Disability",
    "crime": "Crime",
    "barriers": "Barriers to Housing and Services",
    "living_environment": "Living Environment Deprivation",
    "idaci": "Income Deprivation Affecting Children",
    "idaopi": "Income Deprivation Affecting Older People",
}
AVERAGED = ("pct_under16", "pct_over65", *DOMAINS)
COLUMNS = ("gss", "name", "kind", "population", "density", "growth_10y", *AVERAGED)


class BuildError(Exception):
    """The source data breaks an assumption the table relies on."""


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BuildError(f"{path}: source file missing")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def build(shared: Path) -> list[dict[str, str]]:
    from totalplace.reference.places import registry

    reg = registry()
    people = {r["gss_code"]: r for r in read_csv(shared / POPULATION)}
    area = {r["gss-code"]: r["area"] for r in read_csv(shared / REGISTER) if r["area"]}
    scores: dict[str, dict[str, float]] = {}
    names = {v: k for k, v in DOMAINS.items()}
    for r in read_csv(shared / IOD):
        column = names.get(r["index_domain"])
        if column:
            scores.setdefault(r["area_code"], {})[column] = float(r["average_score"])
    rows: dict[str, dict[str, float | str]] = {}
    current = sorted(reg.authorities(current_only=True), key=lambda a: a.gss)
    for a in current:
        if not a.lowest_tier:
            continue
        found = people.get(a.gss)
        if found is None:
            raise BuildError(f"{a.gss} {a.name}: no population in {POPULATION}")
        latest = int(found["mye_latest_year"])
        pop = int(found[f"pop_{latest}"])
        before = int(found[f"pop_{latest - 10}"]) if found.get(f"pop_{latest - 10}") else 0
        if a.gss not in area:
            raise BuildError(f"{a.gss} {a.name}: no area in {REGISTER}")
        row: dict[str, float | str] = {
            "gss": a.gss,
            "name": a.nice_name,
            "kind": a.kind,
            "population": pop,
            "density": pop / float(area[a.gss]),
            "growth_10y": 100 * (pop - before) / before if before else "",
            "pct_under16": float(found["pct_under16"]),
            "pct_over65": float(found["pct_over65"]),
        }
        domain = scores.get(a.gss)
        if domain is None or len(domain) != len(DOMAINS):
            raise BuildError(f"{a.gss} {a.name}: not in {IOD} with every domain")
        row.update(domain)
        row["before"] = before
        rows[a.gss] = row
    for a in current:
        if a.lowest_tier:
            continue
        parts = [rows[u] for u in reg.units(a.gss)]
        weights = [float(p["population"]) for p in parts]
        pop = sum(int(p["population"]) for p in parts)
        before = sum(int(p["before"]) for p in parts)
        if a.gss not in area or not before:
            raise BuildError(f"{a.gss} {a.name}: no area in {REGISTER} or no past population")
        row = {
            "gss": a.gss,
            "name": a.nice_name,
            "kind": a.kind,
            "population": pop,
            "density": pop / float(area[a.gss]),
            "growth_10y": 100 * (pop - before) / before,
        }
        for column in AVERAGED:
            total = sum(w * float(p[column]) for w, p in zip(weights, parts, strict=True))
            row[column] = total / sum(weights)
        rows[a.gss] = row
    return [{c: _text(rows[g].get(c, "")) for c in COLUMNS} for g in sorted(rows)]


def _text(value: float | str) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        rows = build(args.shared)
    except BuildError as exc:
        print(f"build_neighbours: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "indicators.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"indicators.csv: {len(rows)} authorities")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
