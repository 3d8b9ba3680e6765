"""Build the place tables shipped in ``src/totalplace/reference/data/places/``.

    .venv/bin/python scripts/build_places.py [--shared ../shared/data] [--out DIR]

Reads the mySociety register of local authorities, the mid-year population
extract, the English Indices of Deprivation (2015, 2019, 2025) and the TopoJSON
of 2013 districts, and writes compact derived tables (never the source files).
The output is deterministic, so a rebuild can be compared byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from totalplace.reference.places import KINDS, REGIONS, normalise_name

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = PROJECT.parent / "shared" / "data"
DEFAULT_OUT = PROJECT / "src" / "totalplace" / "reference" / "data" / "places"
REGISTER = "place/la_codes/uk_local_authorities_current.csv"
NAMES = "place/la_codes/lookup_name_to_registry.csv"
POPULATION = "place/population/la_mid_year_population_2010_2024_DERIVED_from_econstack.csv"
IMD = {
    2015: "place/imd/IoD2015_lad.csv",
    2019: "place/imd/IoD2019_lad.csv",
    2025: "place/imd/IoD2025_lad.csv",
}
BOUNDARIES = "place/boundaries/eng_topo_lad13.json"
MAX_BOUNDARY_BYTES = 1_100_000
YEARS = range(2010, 2025)

KIND = {
    "CTY": "county",
    "NMD": "district",
    "UA": "unitary",
    "MD": "metropolitan",
    "LBO": "london",
    "CC": "london",
}
# Register errors fixed here, each with its reason (checked against the successor).
CORRECTIONS = {
    # Forest Heath's county is given as Surrey; it was in Suffolk (now West Suffolk).
    "FOR": {"county-la": "SFK"},
}


class BuildError(Exception):
    """The source data breaks an assumption the tables rely on."""


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            count += 1
    return count


def split_alt_names(text: str) -> list[str]:
    """Alt-names are comma-joined; a comma followed by a space is part of a name."""
    names: list[str] = []
    for piece in text.split(","):
        if piece.startswith(" ") and names:
            names[-1] += "," + piece
        elif piece.strip():
            names.append(piece.strip())
    return names


def load_register(shared: Path) -> dict[str, dict[str, str]]:
    """English councils (no combined or strategic authorities) by register code."""
    rows = {
        r["local-authority-code"]: dict(r)
        for r in read_csv(shared / REGISTER)
        if r["nation"] == "England" and r["local-authority-type"] in KIND
    }
    for code, fix in CORRECTIONS.items():
        rows[code].update(fix)
    return rows


def final_successors(reg: dict[str, dict[str, str]], code: str) -> set[str]:
    found: set[str] = set()
    todo = [c for c in reg[code]["replaced-by"].split(",") if c]
    while todo:
        row = reg[todo.pop()]
        if row["current-authority"] == "True":
            found.add(row["local-authority-code"])
        todo.extend(c for c in row["replaced-by"].split(",") if c)
    return found


def derive_authorities(reg: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    districts: dict[str, list[str]] = {}
    for code, r in reg.items():
        if r["county-la"]:
            districts.setdefault(r["county-la"], []).append(code)
    # The register gives some counties a wrong or blank region (Derbyshire in the
    # West Midlands, Lincolnshire in Yorkshire): a county takes its districts' region.
    for county, codes in districts.items():
        regions = {reg[c]["region"] for c in codes} - {""}
        if len(regions) == 1:
            reg[county]["region"] = regions.pop()
    out: list[dict[str, str]] = []
    for code, r in sorted(reg.items(), key=lambda item: item[1]["gss-code"]):
        successors = [c for c in r["replaced-by"].split(",") if c]
        if r["local-authority-type"] == "CTY" and code in districts and successors:
            # By area: Dorset County's Christchurch went to BCP, not to Dorset Council.
            successors = sorted({s for d in districts[code] for s in final_successors(reg, d)})
        region = r["region"] or reg.get(r["county-la"], {}).get("region", "")
        if not region:
            regions = {reg[s]["region"] for s in final_successors(reg, code)}
            region = regions.pop() if len(regions) == 1 else ""
        end = r["end-date"]
        starts = {reg[s]["start-date"] for s in successors}
        if end and end in starts:  # the register mixes the last day and the first day after
            end = (date.fromisoformat(end) - timedelta(days=1)).isoformat()
        out.append(
            {
                "gss": r["gss-code"],
                "ecode": r["ecode"],
                "ons_code": r["snac"],
                "name": r["official-name"],
                "nice_name": r["nice-name"],
                "kind": KIND[r["local-authority-type"]],
                "region": region,
                "parent_gss": reg[r["county-la"]]["gss-code"] if r["county-la"] else "",
                "current": "true" if r["current-authority"] == "True" else "false",
                "successor_gss": ";".join(sorted(reg[s]["gss-code"] for s in successors)),
                "former_gss": ";".join(c for c in r["former-gss-codes"].split(",") if c),
                "start_date": r["start-date"],
                "end_date": end,
                "code": code,
            }
        )
    check_authorities(out)
    return out


def check_authorities(rows: list[dict[str, str]]) -> None:
    by_gss = {r["gss"]: r for r in rows}
    problems: list[str] = []
    if len(by_gss) != len(rows):
        problems.append("duplicate GSS codes")
    ecodes = [r["ecode"] for r in rows if r["ecode"]]
    if len(set(ecodes)) != len(ecodes):
        problems.append("duplicate E-codes")
    for r in rows:
        label = f"{r['nice_name']} ({r['gss']})"
        if r["region"] not in REGIONS or r["kind"] not in KINDS:
            problems.append(f"{label}: region {r['region']!r}, kind {r['kind']!r}")
        parent = by_gss.get(r["parent_gss"])
        if (r["kind"] == "district") != (parent is not None):
            problems.append(f"{label}: a district needs a county and nothing else has one")
        elif parent and (parent["kind"] != "county" or parent["region"] != r["region"]):
            problems.append(f"{label}: parent {parent['nice_name']} is not a county of its region")
        elif parent and r["current"] == "true" and parent["current"] != "true":
            problems.append(f"{label}: current district of an abolished county")
        if (r["current"] == "true") == bool(r["successor_gss"]):
            problems.append(f"{label}: only an abolished authority has successors")
    if problems:
        raise BuildError("register: " + "; ".join(problems))


def derive_aliases(
    reg: dict[str, dict[str, str]], names: list[dict[str, str]], gss_of: dict[str, str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """One authority per normalised alias; ties go to the authority so named, then
    to a current one; aliases still ambiguous (such as 'city of') are dropped."""
    claims: dict[str, set[str]] = {}
    for row in names:
        if row["local-authority-code"] in reg:
            claims.setdefault(normalise_name(row["la-name"]), set()).add(
                row["local-authority-code"]
            )
    for code, r in reg.items():
        for name in [r["official-name"], r["nice-name"], *split_alt_names(r["alt-names"])]:
            claims.setdefault(normalise_name(name), set()).add(code)
    chosen: list[tuple[str, str]] = []
    dropped: list[str] = []
    for alias, codes in sorted(claims.items()):

        def rank(code: str, alias: str = alias) -> tuple[bool, bool]:
            own = {
                normalise_name(reg[code]["official-name"]),
                normalise_name(reg[code]["nice-name"]),
            }
            return alias not in own, reg[code]["current-authority"] != "True"

        best = sorted(codes, key=rank)
        if alias and (len(best) == 1 or rank(best[0]) < rank(best[1])):
            chosen.append((alias, gss_of[best[0]]))
        else:
            dropped.append(alias)
    return chosen, dropped


def derive_population(
    shared: Path, authorities: list[dict[str, str]]
) -> tuple[list[tuple[str, int, int, str]], list[tuple[str, int, str, str]]]:
    units = {r["gss"]: r for r in authorities if r["current"] == "true" and r["kind"] != "county"}
    source = {r["gss_code"]: r for r in read_csv(shared / POPULATION) if r["gss_code"] in units}
    missing = sorted(set(units) - set(source))
    if missing:
        raise BuildError(f"population: no estimate for {', '.join(missing)}")
    pop = {g: {y: int(r[f"pop_{y}"]) for y in YEARS} for g, r in source.items()}
    latest = {int(r["mye_latest_year"]) for r in source.values()}
    if len(latest) != 1:
        raise BuildError(f"population: latest years differ: {sorted(latest)}")
    year = latest.pop()
    rows = [(g, y, pop[g][y], "") for g in sorted(pop) for y in YEARS]
    age = [(g, year, f"{float(source[g]['pct_over65']):.1f}", "") for g in sorted(source)]
    for county in sorted(
        r["gss"] for r in authorities if r["kind"] == "county" and r["current"] == "true"
    ):
        parts = [g for g, r in units.items() if r["parent_gss"] == county]
        rows += [(county, y, sum(pop[g][y] for g in parts), "sum-of-districts") for y in YEARS]
        total = sum(pop[g][year] for g in parts)
        mean = sum(float(source[g]["pct_over65"]) * pop[g][year] for g in parts) / total
        age.append((county, year, f"{mean:.1f}", "weighted-mean-of-districts"))
    rows.sort()
    age.sort()
    return rows, age


def derive_imd(
    shared: Path, authorities: list[dict[str, str]]
) -> list[tuple[str, int, int, str, str, str]]:
    by_gss = {r["gss"]: r for r in authorities}
    former = {f: r["gss"] for r in authorities for f in r["former_gss"].split(";") if f}
    rows: list[tuple[str, int, int, str, str, str]] = []
    for year, name in IMD.items():
        seen: set[int] = set()
        for r in read_csv(shared / name):
            if r["index_domain"] != "Index of Multiple Deprivation":
                continue
            code = r.get("lad19cd") or r["area_code"]
            rank = int(r["rank_average_score"])
            if rank in seen:
                raise BuildError(f"{name}: rank {rank} given twice")
            seen.add(rank)
            score = f"{round(float(r['average_score']), 3)}" if r.get("average_score") else ""
            if code in by_gss:
                gss, status = code, "current" if by_gss[code]["current"] == "true" else "abolished"
            elif code in former:
                gss, status = former[code], "recoded"
            else:
                gss, status = code, "not-in-register"
            rows.append((gss, year, rank, score, code, status))
    return sorted(rows)


def derive_lad13(
    topology: dict[str, object], authorities: list[dict[str, str]]
) -> list[tuple[str, str, str, str]]:
    by_gss = {r["gss"]: r for r in authorities}
    former = {f: r["gss"] for r in authorities for f in r["former_gss"].split(";") if f}

    def current(gss: str) -> set[str]:
        row = by_gss[gss]
        if row["current"] == "true":
            return {gss}
        return {c for s in row["successor_gss"].split(";") for c in current(s)}

    objects = topology["objects"]
    assert isinstance(objects, dict)
    rows: list[tuple[str, str, str, str]] = []
    for geometry in objects["lad"]["geometries"]:
        code, name = geometry["properties"]["LAD13CD"], geometry["properties"]["LAD13NM"]
        if code in former:
            targets, method = {former[code]}, "recoded"
        elif code not in by_gss:
            targets, method = set(), "not-in-register"
        else:
            targets = current(code)
            method = (
                "same" if targets == {code} else "merged-into" if len(targets) == 1 else "split"
            )
        rows.append((code, name, ";".join(sorted(targets)), method))
    return sorted(rows)


def compact_boundaries(topology: dict[str, Any], current: dict[str, str]) -> str:
    """The TopoJSON with each district's properties cut to its 2013 code and name
    and the current authorities covering it (``;``-separated), written without
    spaces: what the map needs, not the source's Welsh names and old ONS codes."""
    for geometry in topology["objects"]["lad"]["geometries"]:
        props = geometry["properties"]
        code = props["LAD13CD"]
        geometry["properties"] = {
            "LAD13CD": code,
            "LAD13NM": props["LAD13NM"],
            "current": current.get(code, ""),
        }
    return json.dumps(topology, separators=(",", ":"), ensure_ascii=False)


OS_DATA = "contains OS data © Crown copyright and database right 2014"
# table: (source files, publisher, licence)
TABLES = {
    "authorities.csv": (
        [REGISTER],
        "mySociety, UK local authority names and codes v1.6.1 (commit 67ef8b118938)",
        "CC BY 4.0",
    ),
    "aliases.csv": (
        [NAMES, REGISTER + " (alt-names)"],
        "mySociety, UK local authority names and codes v1.6.1",
        "CC BY 4.0",
    ),
    "population.csv": (
        [POPULATION],
        "ONS mid-year estimates, extracted per authority by charlescoverdale/econstack-data"
        " (not checked against an ONS file)",
        "Open Government Licence v3 (ONS)",
    ),
    "age.csv": (
        [POPULATION + " (pct_over65, latest year only)"],
        "as population.csv",
        "Open Government Licence v3 (ONS)",
    ),
    "imd.csv": (
        list(IMD.values()),
        "MHCLG English Indices of Deprivation, LAD summaries as republished by"
        " traffordDataLab/open_data (commit a33a7d949483)",
        "Open Government Licence v3",
    ),
    "lad13_to_current.csv": (
        [BOUNDARIES + " (codes and names)", "authorities.csv"],
        "Martin Chorley, martinjc/UK-GeoJSON (ONS boundaries)",
        f"CC BY 4.0; {OS_DATA}",
    ),
    "boundaries_lad13.json": (
        [
            BOUNDARIES
            + " (each district's properties cut to its code, name and current authorities)"
        ],
        "Martin Chorley, martinjc/UK-GeoJSON (ONS boundaries)",
        f"CC BY 4.0; {OS_DATA}",
    ),
}

NOTES = """
## Derivation notes

- English councils only; combined authorities and the GLA are left out. `kind`:
  county, district (non-metropolitan), unitary, metropolitan, london (boroughs and
  the City of London). `ons_code` is the old ONS (SNAC) code: 4 characters for a
  district or unitary, 2 digits for a county; blank for councils created since 2019.
- Corrected from the register: Forest Heath's county (Suffolk, not Surrey); a
  county's region is its districts' region (the register puts Derbyshire in the
  West Midlands and Lincolnshire in Yorkshire and The Humber); a blank region is
  taken from the county or the successor.
- `successor_gss` is the register's `replaced-by`, except that an abolished county's
  successors are the areas its districts went to (Dorset County: BCP and Dorset
  Council). `former_gss` are earlier codes of the same council (boundary changes).
  `end_date` is the last day in office (the register sometimes gives the day
  after); `start_date` is as published (often the date of the register entry).
- Aliases are normalised (lower case, '&' as 'and', no apostrophes or other
  punctuation); an alias claimed by several councils goes to the council so named,
  then to a current one, else it is dropped (dropped: {dropped}).
- Population: current lowest-tier authorities on current boundaries, mid-years
  2010..2024; a county is the sum of its current districts (`derived` =
  `sum-of-districts`). The share aged 65+ is in the source for the latest year only;
  a county's is the population-weighted mean of its districts' (rounded) shares.
- IMD: rank of the LAD's average score (1 = most deprived) and the average score,
  per LAD as published: 2015 and 2019 on the 317 LADs of 2019 (the 2015 file has no
  score), 2025 on the 296 LADs of 2024. `status`: `current`, `abolished` (kept under
  the published code, since ranks do not add up across merged districts),
  `recoded` (a former code of a current council) or `not-in-register`.
- `lad13_to_current`: `same` (still current), `merged-into` (abolished; the current
  authority now covering it), `recoded`, `split` (`;`-separated), `not-in-register`.
"""


def sources_text(counts: dict[str, int], dropped: list[str]) -> str:
    lines = [
        "# Place tables: sources and licences",
        "",
        "Built by `.venv/bin/python scripts/build_places.py --shared ../shared/data`",
        "(paths below are under `shared/data/`). Only these derived tables ship.",
    ]
    for table, (sources, publisher, licence) in TABLES.items():
        if table not in counts:
            lines += ["", f"## `{table}`: left out (source over {MAX_BOUNDARY_BYTES} bytes)"]
            continue
        unit = "districts" if table.endswith(".json") else "rows"
        lines += ["", f"## `{table}` ({counts[table]} {unit})", ""]
        for source in sources:
            path, _, note = source.partition(" (")
            lines.append(f"- source: `{path}`" + (f" ({note}" if note else ""))
        lines += [f"- publisher: {publisher}", f"- licence: {licence}"]
    listed = ", ".join(f"'{d}'" for d in dropped) or "none"
    return "\n".join(lines) + "\n" + NOTES.format(dropped=listed)


def build(shared: Path, out: Path) -> dict[str, int]:
    """Write every table to ``out`` and return the row count of each file."""
    for name in [REGISTER, NAMES, POPULATION, BOUNDARIES, *IMD.values()]:
        if not (shared / name).is_file():
            raise BuildError(f"source file not found: {shared / name}")
    out.mkdir(parents=True, exist_ok=True)
    reg = load_register(shared)
    authorities = derive_authorities(reg)
    aliases, dropped = derive_aliases(
        reg, read_csv(shared / NAMES), {r["code"]: r["gss"] for r in authorities}
    )
    population, age = derive_population(shared, authorities)
    topology = json.loads((shared / BOUNDARIES).read_text(encoding="utf-8"))
    header = [k for k in authorities[0] if k != "code"]
    tables: dict[str, tuple[list[str], list[Sequence[object]]]] = {
        "authorities.csv": (header, [[r[k] for k in header] for r in authorities]),
        "aliases.csv": (["alias", "gss"], list(aliases)),
        "population.csv": (["gss", "year", "population", "derived"], list(population)),
        "age.csv": (["gss", "year", "pct_over65", "derived"], list(age)),
        "imd.csv": (
            ["gss", "imd_year", "rank", "score", "published_code", "status"],
            list(derive_imd(shared, authorities)),
        ),
        "lad13_to_current.csv": (
            ["lad13", "lad13_name", "gss", "method"],
            list(derive_lad13(topology, authorities)),
        ),
    }
    counts = {name: write_csv(out / name, *table) for name, table in tables.items()}
    if (shared / BOUNDARIES).stat().st_size <= MAX_BOUNDARY_BYTES:
        current = {row[0]: row[2] for row in tables["lad13_to_current.csv"][1]}
        compact = compact_boundaries(topology, current)
        (out / "boundaries_lad13.json").write_text(compact, encoding="utf-8")
        counts["boundaries_lad13.json"] = len(topology["objects"]["lad"]["geometries"])
    else:
        (out / "boundaries_lad13.json").unlink(missing_ok=True)
    (out / "SOURCES.md").write_text(sources_text(counts, dropped), encoding="utf-8")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the tables")
    args = parser.parse_args(argv)
    try:
        counts = build(args.shared, args.out)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for table, rows in counts.items():
        print(f"{args.out / table}: {rows}")
    if "boundaries_lad13.json" not in counts:
        print(f"boundaries left out: source is over {MAX_BOUNDARY_BYTES} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
