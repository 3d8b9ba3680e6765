"""Benchmark the whole opportunity register on a counted workspace of N payments.

Usage::

    .venv/bin/python benchmarks/opportunities_register.py [--rows N] [--workdir DIR]
                                                          [--no-record]

Builds (once, cached in the work folder) a workspace for Leeds and Calderdale
counted as one place in 2010-11, holding N synthetic payments by the two
councils across the year: the ingest benchmark's suppliers, expense types and
services (its seed and skew), each council spelling a company its own way
("Acme Ltd" in one, "ACME LIMITED" in the other).  It is ingested, classified
and counted as ``totalplace count`` does.  Then times, once each:

* ``register``: :func:`totalplace.opportunities.register.build_register`, the
  whole of ``totalplace opportunities`` but writing the files: shared
  suppliers, duplication, back office and the other module's kinds, on the
  rows behind the count's transaction lines (classification, payee and
  set-apart joins included);
* ``shared suppliers``: the register's shared-supplier step alone;
* ``floor``: the hand-written DuckDB statement of ``benchmarks/opportunities.py``
  over the same workspace's row files, joining names to keys and payers to
  agencies directly (no classification, payee or set-apart joins: less work
  than the register must do, so a floor).

Appends a dated section to ``benchmarks/RESULTS.md`` unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ingest as ingest_bench  # noqa: E402  (the ingest benchmark's names and seed)
import opportunities as query_bench  # noqa: E402  (the floor statement)

RESULTS_PATH = HERE / "RESULTS.md"
DEFAULT_ROWS = 10_000_000
PLACE = ["E08000035", "E08000033"]
YEAR = "2010-11"
COUNCILS = ("Leeds City Council", "Calderdale Metropolitan Borough Council")
N_COMPANIES = len(ingest_bench.SUPPLIER_FIRST) * len(ingest_bench.SUPPLIER_SECOND)


def generate_csv(path: Path, rows: int) -> None:
    import duckdb
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(ingest_bench.SEED)
    first, second = ingest_bench.SUPPLIER_FIRST, ingest_bench.SUPPLIER_SECOND
    # every first x second name once (fewer than the ingest benchmark's 2,000, which
    # vary the suffix too; here the suffix is the spelling each council uses)
    picks = rng.permutation(len(first) * len(second))
    companies = [
        f"{first[a]} {second[b]} Ltd"
        for a, b in (np.unravel_index(i, (len(first), len(second))) for i in picks)
    ]
    names = [n for c in companies for n in (c, c.replace(" Ltd", " Limited").upper())]
    expenses = [
        f"{b} - {q}" for b in ingest_bench.EXPENSE_BASES for q in ingest_bench.EXPENSE_QUALIFIERS
    ]

    def skewed(n: int, skew: float) -> Any:
        weights = 1.0 / np.arange(1, n + 1) ** skew
        return rng.choice(n, rows, p=weights / weights.sum()).astype(np.int32)

    council = rng.integers(0, len(COUNCILS), rows).astype(np.int32)
    pounds = 500.0 + rng.lognormal(mean=np.log(1500.0), sigma=1.4, size=rows)
    pence = np.round(pounds * 100).astype(np.int64)
    pence[rng.random(rows) < 0.03] *= -1

    def dictionary(idx: Any, values: Any) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(list(values)))

    table = pa.table(
        {
            "body": dictionary(council, COUNCILS),
            "service": dictionary(
                skewed(len(ingest_bench.SERVICE_AREAS), 0.8), ingest_bench.SERVICE_AREAS
            ),
            "expense": dictionary(skewed(len(expenses), 1.0), expenses),
            "supplier": dictionary(skewed(len(companies), 1.1) * 2 + council, names),
            "day": rng.integers(0, ingest_bench.FY_DAYS, rows, dtype=np.int32),
            "txn": np.arange(1_000_000, 1_000_000 + rows, dtype=np.int64),
            "pence": pence,
        }
    )
    con = duckdb.connect()
    con.register("gen", table)
    tmp = path.with_suffix(".csv.tmp")
    con.execute(
        f"""COPY (
            SELECT body AS "Body Name", service AS "Service Area", expense AS "Expenses Type",
                   strftime(DATE '{ingest_bench.FY_START}' + day, '%d/%m/%Y') AS "Payment Date",
                   txn AS "Transaction Number",
                   CASE WHEN pence < 0 THEN '-' ELSE '' END || CAST(abs(pence) // 100 AS VARCHAR)
                       || '.' || lpad(CAST(abs(pence) % 100 AS VARCHAR), 2, '0') AS "Amount",
                   supplier AS "Supplier Name"
            FROM gen
        ) TO '{tmp}' (FORMAT csv, HEADER true)"""
    )
    con.close()
    tmp.replace(path)


def workspace(work: Path, rows: int) -> tuple[Any, dict[str, float]]:
    from totalplace.ingest import ingest_files
    from totalplace.report.run import count_workspace
    from totalplace.workspace import Workspace

    root, marker = work / "ws", work / "ws.complete"
    if marker.exists():
        return Workspace.open(root), {}
    shutil.rmtree(root, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    csv, took = work / "spend.csv", {}
    if not csv.exists():
        print(f"generating {csv} ({rows:,} rows) ...", flush=True)
        generate_csv(csv, rows)
    ws = Workspace.create(root, PLACE, YEAR)
    start = time.perf_counter()
    print("ingesting ...", flush=True)
    report = ingest_files(ws, [csv], accept_large=True)
    if not report.ok:
        raise SystemExit(f"ingest failed: {report.files[0].message}")
    took["ingest"] = time.perf_counter() - start
    print("classifying and counting ...", flush=True)
    start = time.perf_counter()
    count_workspace(ws)
    took["classify and count"] = time.perf_counter() - start
    marker.write_text("ok\n")
    return ws, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--workdir", type=Path, default=HERE / ".work")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    from totalplace.opportunities.register import build_register
    from totalplace.opportunities.suppliers import shared_suppliers
    from totalplace.report.count_file import place_count, read_count

    work = args.workdir / f"opportunities_register_{args.rows}"
    ws, built = workspace(work, args.rows)
    data = read_count(ws.root)
    count = place_count(data)
    load_before = os.getloadavg()
    start = time.perf_counter()
    found = shared_suppliers(ws, count)
    supplier_s = time.perf_counter() - start
    start = time.perf_counter()
    items = build_register(ws, data)
    register_s = time.perf_counter() - start
    rows = sorted(ws.root.glob("tables/rows/*.parquet"))
    keys, agencies = work / "keys.parquet", work / "agencies.parquet"
    query_bench.AGENCIES = COUNCILS
    query_bench.build_keys(rows[0], keys, agencies)
    floor_s = query_bench.run_floor(rows[0], keys, agencies, work / "floor")
    load_after = os.getloadavg()
    ratio = register_s / floor_s
    print(
        f"register {register_s:.1f}s ({len(items)} items); shared suppliers {supplier_s:.1f}s "
        f"({len(found):,}); floor {floor_s:.1f}s; register / floor {ratio:.2f}x"
    )
    if args.no_record:
        return
    import duckdb

    now = datetime.now(UTC)
    built_text = "; ".join(f"{k} {v:.0f} s" for k, v in built.items()) or "cached"
    section = f"""
## {now:%Y-%m-%d %H:%M} UTC: opportunity register, {args.rows:,} transactions

- Date: `{now:%a %b %d %H:%M:%S} UTC {now:%Y}`
- Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, DuckDB {duckdb.__version__}
- Data: {args.rows:,} synthetic payments by Leeds and Calderdale (one place, {YEAR}) to {N_COMPANIES:,} companies, each council spelling them its own way (benchmarks/opportunities_register.py, seed {ingest_bench.SEED}); workspace built: {built_text}
- Load average (1, 5, 15 min) before: {", ".join(f"{x:.1f}" for x in load_before)}; after: {", ".join(f"{x:.1f}" for x in load_after)}

| step | seconds |
|---|---:|
| the register (`build_register`: every kind, from the count and its rows) | {register_s:.1f} |
| its shared-supplier step alone ({len(found):,} suppliers) | {supplier_s:.1f} |
| hand-written DuckDB floor (names to keys, payers to agencies, no classification joins) | {floor_s:.1f} |

- Register / floor: {ratio:.2f}x (target within 3x for the shared-supplier join: {supplier_s / floor_s:.2f}x).
"""  # noqa: E501
    with RESULTS_PATH.open("a", encoding="utf-8") as f:
        f.write(section)
    print(f"recorded in {RESULTS_PATH}")


if __name__ == "__main__":
    main()
