"""Build the linkage model shipped for extracts too small to train on.

    .venv/bin/python scripts/build_link_model.py [--people N] [--seed S] [--out FILE]

Generates the seeded synthetic place (``totalplace.families.synth.generate``,
all eight agencies, with its typing slips, nicknames, swapped days and months,
blanks, moves and changed surnames), links it with ``totalplace link``'s own
model trained by EM with no labels, and writes each comparison level's m and u
to ``src/totalplace/data/link_model.json`` (or FILE).  Everything it reads is
made by totalplace itself, so the table carries no one else's data or licence.

Runs with surname, address and postcode left out in turn give the levels a
file with only some of them has ("Same surname, same postcode", a plain surname
comparison, address without surname).  No level is certain: m is kept within
[0.005, 0.995] (a level EM never saw gets 0.005), so one slip in an
identifier, or a recorded sex that differs, weighs against a match without
ruling it out, as it would with EM's 0 or 1.  A level no random pair reached
(one slip in an identifier) gets u of one in 100,000.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from totalplace.families.synth import generate
from totalplace.link import link_records
from totalplace.link.columns import map_columns

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT / "src" / "totalplace" / "data" / "link_model.json"
#: the fields left out in turn, so every level some file's fields make is learned
DROPPABLE = ("surname", "address", "postcode")


def _without(extracts: dict[str, pa.Table], roles: tuple[str, ...]) -> dict[str, pa.Table]:
    """The extracts less the columns that play ``roles``."""
    out = {}
    for source, table in extracts.items():
        found = map_columns(table)
        out[source] = table.drop_columns([found[r] for r in roles if r in found])
    return out


M_FLOOR, M_CEILING = 0.005, 0.995
#: u for a level no random pair reached (one slip in an NHS number): one in 100,000
U_UNSEEN = 1e-5


def _levels(model: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for comparison in model["comparisons"]:
        levels = out.setdefault(comparison["output_column_name"], {})
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level"):
                continue
            m = min(max(m if isinstance(m, float) else 0.0, M_FLOOR), M_CEILING)
            u = u if isinstance(u, float) else U_UNSEEN
            levels[level["label_for_charts"]] = {"m": round(m, 6), "u": float(f"{u:.4g}")}
    return out


def build(people: int, seed: int) -> dict[str, Any]:
    place = generate(people=people, seed=seed)
    extracts = dict(place.extracts)
    variants = [
        _without(extracts, left_out)
        for k in range(len(DROPPABLE))
        for left_out in itertools.combinations(DROPPABLE, k)
    ]
    comparisons: dict[str, dict[str, dict[str, float]]] = {}
    for frames in variants:
        with tempfile.TemporaryDirectory() as folder:
            result = link_records(frames, Path(folder))
            model = json.loads((Path(folder) / "model.json").read_text("utf-8"))
        for name, levels in _levels(model).items():
            for label, values in levels.items():
                comparisons.setdefault(name, {}).setdefault(label, values)
    return {
        "about": (
            "m and u for each comparison level of totalplace link's model, learned with no "
            "labels from totalplace's own synthetic place; used when the extracts are too "
            "few to train on. Built by scripts/build_link_model.py."
        ),
        "built": datetime.now(UTC).strftime("%Y-%m-%d"),
        "people": people,
        "seed": seed,
        "records": place.records,
        "persons_found": len(set(result.clusters.column("person_id").to_pylist())),
        "comparisons": comparisons,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    table = build(args.people, args.seed)
    args.out.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    levels = sum(len(v) for v in table["comparisons"].values())
    print(f"{args.out}: {levels} levels from {table['records']:,} synthetic records")


if __name__ == "__main__":
    main()
