"""Benchmark the shared-supplier query against a hand-written DuckDB floor.

Usage::

    .venv/bin/python benchmarks/opportunities.py [--rows N] [--workdir DIR] [--repeats R]
                                                 [--no-record]

Generates (once, seeded, cached in the work folder) N synthetic payments in the
shape of the count's spend rows: the ingest benchmark's suppliers and expense
types (its seeded name lists and Zipf-like skew), paid by eight agencies, each
supplier spelt as its agency's files spell it ("ACME LTD", "Acme Limited",
"Acme Ltd."), amounts drawn as the ingest benchmark draws them.  Then times,
in this process, alternating, best of R:

* ``ibis``: :func:`totalplace.opportunities.suppliers.shared_supplier_expr` on
  DuckDB through the project's backend, written to Parquet as the register does;
* ``floor``: one hand-written DuckDB SQL statement doing the same join (names
  to keys, payers to agencies), the same sums and the same dispersion measures,
  written to Parquet the same way.

Both read the same Parquet files and the same name-to-key table (built once
with the organisation matcher, timed apart as ``keys``).  They must agree on
every supplier's spend and payments.  Target: ``ibis`` within 3x the floor.
Appends a dated section to ``benchmarks/RESULTS.md`` unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import json
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

RESULTS_PATH = HERE / "RESULTS.md"
DEFAULT_ROWS = 10_000_000
MAX_FLOOR_RATIO = 3.0
AGENCIES = (
    "Birmingham City Council",
    "West Midlands Police",
    "West Midlands Fire Service",
    "Birmingham Children's Trust",
    "Birmingham and Solihull CCG",
    "University Hospitals Birmingham NHS Foundation Trust",
    "Birmingham Community Healthcare NHS Foundation Trust",
    "West Midlands Combined Authority",
)

FLOOR_SQL = """
COPY (
    WITH paid AS (
        SELECT k.key, a.agency, coalesce(r.expense_type, '') AS expense_type,
               r.amount_pence AS amount
        FROM read_parquet($rows) r
        JOIN read_parquet($keys) k ON r.supplier_name = k.name
        JOIN read_parquet($agencies) a ON r.paying_body = a.paying_body
    ),
    shared AS (
        SELECT key FROM paid GROUP BY key HAVING count(DISTINCT agency) >= 2
    ),
    kept AS (SELECT * FROM paid SEMI JOIN shared USING (key)),
    spend AS (
        SELECT key, expense_type, agency, sum(amount)::BIGINT AS pence, count(*) AS payments
        FROM kept GROUP BY ALL
    ),
    spread AS (
        SELECT key, expense_type, count(*) AS priced, avg(amount) AS mean,
               stddev_pop(amount) AS sd, quantile_cont(amount, 0.25) AS q1,
               quantile_cont(amount, 0.75) AS q3
        FROM kept WHERE amount > 0 GROUP BY ALL
    )
    SELECT s.key, s.expense_type, s.agency, s.pence, s.payments,
           coalesce(d.priced, 0) AS priced, d.mean, d.sd, d.q1, d.q3
    FROM spend s LEFT JOIN spread d USING (key, expense_type)
) TO '{out}' (FORMAT parquet)
"""


def spellings(name: str) -> tuple[str, ...]:
    """How different agencies' files write one company's name."""
    long = name.replace(" Ltd", " Limited")
    return (name, name.upper(), long, long.lower().title(), name.replace(" Ltd", " Ltd."))


def generate(path: Path, rows: int) -> dict[str, Any]:
    """Seeded spend rows in the shape the supplier query reads."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(ingest_bench.SEED)
    first, second, suffix = (
        ingest_bench.SUPPLIER_FIRST,
        ingest_bench.SUPPLIER_SECOND,
        ingest_bench.SUPPLIER_SUFFIX,
    )
    picks = rng.choice(len(first) * len(second) * len(suffix), ingest_bench.N_SUPPLIERS, False)
    companies = [
        f"{first[a]} {second[b]} {suffix[c]}"
        for a, b, c in (np.unravel_index(i, (len(first), len(second), len(suffix))) for i in picks)
    ]
    expenses = [
        f"{b} - {q}" for b in ingest_bench.EXPENSE_BASES for q in ingest_bench.EXPENSE_QUALIFIERS
    ]

    def skewed(n: int, skew: float) -> Any:
        weights = 1.0 / np.arange(1, n + 1) ** skew
        return rng.choice(n, rows, p=weights / weights.sum())

    agency = rng.integers(0, len(AGENCIES), rows)
    company = skewed(len(companies), 1.1)
    # each agency spells a company its own way: spelling i of the five
    names = [s for c in companies for s in spellings(c)]
    name_idx = company * 5 + agency % 5
    pounds = 500.0 + rng.lognormal(mean=np.log(1500.0), sigma=1.4, size=rows)
    pence = np.round(pounds * 100).astype(np.int64)
    pence[rng.random(rows) < 0.03] *= -1
    table = pa.table(
        {
            "paying_body": pa.DictionaryArray.from_arrays(
                pa.array(agency.astype(np.int32)), pa.array(list(AGENCIES))
            ).cast(pa.string()),
            "supplier_name": pa.DictionaryArray.from_arrays(
                pa.array(name_idx.astype(np.int32)), pa.array(names)
            ).cast(pa.string()),
            "expense_type": pa.DictionaryArray.from_arrays(
                pa.array(skewed(len(expenses), 1.0).astype(np.int32)), pa.array(expenses)
            ).cast(pa.string()),
            "amount_pence": pence,
        }
    )
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, row_group_size=1_000_000)
    tmp.replace(path)
    return {"rows": rows, "seed": ingest_bench.SEED, "pence": int(pence.sum())}


def build_keys(rows_path: Path, keys_path: Path, agencies_path: Path) -> float:
    """The name-to-key table (organisation matcher) and payer-to-agency table."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from totalplace.opportunities.suppliers import supplier_key

    start = time.perf_counter()
    con = duckdb.connect()
    names = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT supplier_name FROM read_parquet(?)", [str(rows_path)]
        ).fetchall()
    ]
    con.close()
    keyed = [(n, k) for n in names if (k := supplier_key(n))]
    pq.write_table(
        pa.table({"name": [n for n, _ in keyed], "key": [k for _, k in keyed]}), keys_path
    )
    pq.write_table(
        pa.table({"paying_body": list(AGENCIES), "agency": list(AGENCIES)}), agencies_path
    )
    return time.perf_counter() - start


def run_ibis(rows: Path, keys: Path, agencies: Path, out: Path) -> float:
    import ibis

    from totalplace.backends import DuckDBBackend
    from totalplace.opportunities.suppliers import (
        AGENCIES_SCHEMA,
        KEYS_SCHEMA,
        shared_supplier_expr,
    )

    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    backend = DuckDBBackend()
    schema = ibis.schema(
        {
            "paying_body": "string",
            "supplier_name": "string",
            "expense_type": "string",
            "amount_pence": "int64",
        }
    )
    expr = shared_supplier_expr(
        backend.read_parquet([rows], "tp_rows", schema),
        backend.read_parquet([keys], "tp_keys", KEYS_SCHEMA),
        backend.read_parquet([agencies], "tp_agencies", AGENCIES_SCHEMA),
    )
    backend.write_parquet(expr, out)
    backend.close()
    return time.perf_counter() - start


def run_floor(rows: Path, keys: Path, agencies: Path, out: Path) -> float:
    import duckdb

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    target = str(out / "part-0.parquet").replace("'", "''")
    con.execute(
        FLOOR_SQL.format(out=target),
        {"rows": str(rows), "keys": str(keys), "agencies": str(agencies)},
    )
    con.close()
    return time.perf_counter() - start


def totals(out: Path) -> dict[tuple[str, str], tuple[int, int]]:
    import duckdb

    con = duckdb.connect()
    found = con.execute(
        "SELECT key, agency, sum(pence)::BIGINT, sum(payments)::BIGINT "
        "FROM read_parquet(?) GROUP BY ALL",
        [str(out / "*.parquet")],
    ).fetchall()
    con.close()
    return {(k, a): (int(p), int(n)) for k, a, p, n in found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--workdir", type=Path, default=HERE / ".work")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    work = args.workdir / f"opportunities_{args.rows}"
    work.mkdir(parents=True, exist_ok=True)
    rows_path, meta_path = work / "rows.parquet", work / "rows.json"
    if not rows_path.exists() or not meta_path.exists():
        print(f"generating {rows_path} ({args.rows:,} rows) ...", flush=True)
        meta_path.write_text(json.dumps(generate(rows_path, args.rows)))
    keys_path, agencies_path = work / "keys.parquet", work / "agencies.parquet"
    keys_s = build_keys(rows_path, keys_path, agencies_path)
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {"ibis": [], "floor": []}
    for _ in range(args.repeats):
        times["floor"].append(run_floor(rows_path, keys_path, agencies_path, work / "floor"))
        times["ibis"].append(run_ibis(rows_path, keys_path, agencies_path, work / "ibis"))
    load_after = os.getloadavg()
    ours, floor = totals(work / "ibis"), totals(work / "floor")
    if ours != floor:
        raise SystemExit("the Ibis query and the floor disagree on spend or payments")
    best = {k: min(v) for k, v in times.items()}
    ratio = best["ibis"] / best["floor"]
    suppliers = len({k for k, _ in ours})
    verdict = "PASS" if ratio <= MAX_FLOOR_RATIO else "FAIL"
    print(f"keys {keys_s:.2f}s; ibis {best['ibis']:.2f}s; floor {best['floor']:.2f}s; "
          f"{ratio:.2f}x ({verdict}); {suppliers:,} shared suppliers")  # fmt: skip
    if args.no_record:
        return
    import duckdb

    now = datetime.now(UTC)
    section = f"""
## {now:%Y-%m-%d %H:%M} UTC: shared suppliers, {args.rows:,} transactions

- Date: `{now:%a %b %d %H:%M:%S} UTC {now:%Y}`
- Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, DuckDB {duckdb.__version__}
- Data: {args.rows:,} synthetic payments (benchmarks/opportunities.py, seed {ingest_bench.SEED}), {len(AGENCIES)} agencies, {ingest_bench.N_SUPPLIERS:,} companies under 5 spellings each
- Load average (1, 5, 15 min) before: {", ".join(f"{x:.1f}" for x in load_before)}; after: {", ".join(f"{x:.1f}" for x in load_after)}
- Name-to-key table (organisation matcher, once): {keys_s:.2f} s

| query | best of {args.repeats} (s) | runs (s) |
|---|---:|---|
| `shared_supplier_expr` (Ibis on DuckDB) | {best["ibis"]:.2f} | {", ".join(f"{t:.2f}" for t in times["ibis"])} |
| hand-written DuckDB SQL (floor) | {best["floor"]:.2f} | {", ".join(f"{t:.2f}" for t in times["floor"])} |

- Ibis / floor: {ratio:.2f}x (target within {MAX_FLOOR_RATIO:.0f}x): {verdict}; both find {suppliers:,} shared suppliers with the same spend and payments by agency.
"""  # noqa: E501
    with RESULTS_PATH.open("a", encoding="utf-8") as f:
        f.write(section)
    print(f"recorded in {RESULTS_PATH}")


if __name__ == "__main__":
    main()
