"""Benchmark the count's engine work against a hand-written DuckDB floor, and on Spark.

Usage::

    .venv/bin/python benchmarks/count.py [--rows N] [--workdir DIR] [--repeats R]
                                         [--no-spark] [--no-record]

Builds (once, cached in the work folder) a workspace of N synthetic transactions
(the ingest benchmark's seeded generator, ingested with ``ingest_files``), then
times, in this process:

* ``count``: what ``totalplace count`` asks of the engine: classify every row
  with the shipped rules (``classify_workspace``) and sum the year's
  transactions by payer x theme x tier x capital x payee (``load_transactions``);
* ``floor``: one hand-written DuckDB SQL statement doing the same
  classification (the same rules, as one CASE) and aggregation over the same
  Parquet files;
* ``spark``: the count's queries on Apache Spark in local mode (timed once,
  after a warm-up of the session).

The floor and the count must agree on the total and on the pence by theme.
Target: the count within 3x the floor.  Appends a dated section to
``benchmarks/RESULTS.md`` unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ingest as ingest_bench  # noqa: E402  (the generator of the ingest benchmark)
from totalplace.classify import classify_workspace, load_rules  # noqa: E402
from totalplace.classify.rules import Condition, Rule, RuleSet  # noqa: E402
from totalplace.count.transactions import load_transactions  # noqa: E402
from totalplace.workspace import Workspace  # noqa: E402

RESULTS_PATH = HERE / "RESULTS.md"
DEFAULT_ROWS = 10_000_000
YEAR = "2010-11"
MAX_FLOOR_RATIO = 3.0
LINE_BREAKS = r"[\n\r\x{85}\x{2028}\x{2029}]"


def workspace(workdir: Path, rows: int) -> Workspace:
    """The cached benchmark workspace, built from the generated CSV on first use."""
    root = workdir / f"count_ws_{rows}"
    marker = root / ".complete"
    if marker.exists():
        return Workspace.open(root)
    if root.exists():
        shutil.rmtree(root)
    workdir.mkdir(parents=True, exist_ok=True)
    csv, meta_path = ingest_bench.csv_paths(workdir, rows)
    if ingest_bench.existing_csv(workdir, rows) is None:
        print(f"generating {csv} ({rows:,} rows) ...", flush=True)
        meta = ingest_bench.generate_csv(csv, rows)
        meta_path.write_text(json.dumps(meta))
    print(f"ingesting into {root} ...", flush=True)
    ws = Workspace.create(root, ["E08000025"], YEAR)
    from totalplace.ingest import ingest_files

    # Ten million synthetic payments add up to more than Birmingham's whole
    # outturn, which the money check refuses unless told the amounts are meant.
    report = ingest_files(ws, [csv], publisher=ingest_bench.PUBLISHER, accept_large=True)
    if not report.ok:
        raise SystemExit(f"ingest failed: {report.files[0].message}")
    marker.write_text("ok\n")
    return ws


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _variant(field: str, lower: bool, regex: bool) -> str:
    return f"v_{field}{'_lc' if lower else ''}{'_rx' if regex else ''}"


def _derived(field: str, lower: bool, regex: bool) -> str:
    col = f"r.{field}" if field != "publisher" else "f.publisher"
    if regex:
        col = f"regexp_replace({col}, {_lit(LINE_BREAKS)}, ' ', 'g')"
    return f"lower({col})" if lower else col


def _condition(cond: Condition, ignore_case: bool) -> str:
    col = _variant(cond.field, ignore_case, cond.kind == "regex")
    if cond.kind == "exact":
        return f"{col} IN ({', '.join(_lit(v) for v in cond.values)})"
    if cond.kind == "prefix":
        return "(" + " OR ".join(f"starts_with({col}, {_lit(v)})" for v in cond.values) + ")"
    return "(" + " OR ".join(f"regexp_matches({col}, {_lit(v)})" for v in cond.values) + ")"


def _rule(rule: Rule) -> str:
    if not rule.conditions:
        return "true"
    return " AND ".join(_condition(c, rule.ignore_case) for c in rule.conditions)


def floor_sql(rules: RuleSet) -> str:
    """The classification and the aggregation as plain SQL: each cleaned or
    lower-cased field once per row, one CASE giving the first rule, a join for
    its theme."""

    def label(r: Rule) -> str:
        return _lit("unclassified" if r.catch_all or r.theme is None else r.theme)

    variants = sorted(
        {(c.field, r.ignore_case, c.kind == "regex") for r in rules.rules for c in r.conditions}
    )
    fields = ", ".join(f"{_derived(*v)} AS {_variant(*v)}" for v in variants)
    which = "CASE " + " ".join(f"WHEN {_rule(r)} THEN {i}" for i, r in enumerate(rules.rules))
    meta = ", ".join(
        f"({i}, {label(r)}, {'true' if r.pass_through else 'false'})"
        for i, r in enumerate(rules.rules)
    )
    return f"""
        WITH cleaned AS (
            SELECT {fields}, r.amount_pence
            FROM rows r JOIN files f USING (file_id)
            WHERE r.status = 'loaded'
              AND r.period_start BETWEEN DATE '2010-04-01' AND DATE '2011-03-31'
        ), ruled AS (
            SELECT {which} END AS rule, amount_pence FROM cleaned
        ), meta(rule, theme, pass_through) AS (VALUES {meta})
        SELECT coalesce(m.theme, 'unclassified') AS theme,
               coalesce(m.pass_through, false) AS pass_through,
               sum(amount_pence) AS pence, count(*) AS n
        FROM ruled LEFT JOIN meta m USING (rule)
        GROUP BY ALL
    """


def run_count(ws: Workspace, engine: str) -> dict[str, int]:
    classify_workspace(ws, engine)
    tx = load_transactions(ws, YEAR, engine)
    by_theme: dict[str, int] = defaultdict(int)
    for g in tx.groups:
        by_theme[f"{g.theme}|{g.pass_through}"] += g.pence
    return dict(by_theme)


def run_floor(ws: Workspace) -> dict[str, int]:
    rules = load_rules(ws.root / "rules")
    # the workspace's views over the same Parquet files (a layout's missing roles are NULL)
    with ws.connect() as con:
        found = con.execute(floor_sql(rules)).fetchall()
    by_theme: dict[str, int] = defaultdict(int)
    for theme, passing, pence, _ in found:
        by_theme[f"{theme}|{passing}"] += int(pence)
    return dict(by_theme)


def timed(
    fn: Callable[[], dict[str, int]], repeats: int
) -> tuple[float, list[float], dict[str, int]]:
    times: list[float] = []
    result: dict[str, int] = {}
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), times, result


def section(rows: int, results: dict[str, tuple[float, list[float]]], agree: bool) -> str:
    m = ingest_bench.machine()
    now = datetime.now(UTC)
    ratio = results["count"][0] / results["floor"][0]
    lines = [
        f"## {now:%Y-%m-%d %H:%M} UTC: count, {rows:,} transactions",
        "",
        f"- Date: `{now:%a %b %d %H:%M:%S UTC %Y}`",
        f"- Machine: {m['arch']}, {m['nproc']} CPUs (nproc), {m['memory']} RAM, {m['cpu']}",
        f"- Software: Python {m['python']}, DuckDB {m['duckdb']}, pyarrow {m['pyarrow']}",
        "- `count`: classify every row with the shipped rules (Ibis on DuckDB, written to "
        "Parquet) and sum the year's transactions by payer, theme, tier, capital and payee; "
        "`floor`: one hand-written DuckDB statement with the same rules as one CASE and the "
        "aggregation by theme; `spark`: the count's queries on Spark local[2], one run after "
        "a warm-up.",
        f"- Count and floor agree on the pence by theme: {'yes' if agree else '**no**'}",
        "",
        "| pipeline | best time (s) | all runs (s) |",
        "|---|---:|---|",
    ]
    for name, (best, runs) in results.items():
        lines.append(f"| {name} | {best:.2f} | {', '.join(f'{t:.2f}' for t in runs)} |")
    lines += [
        "",
        f"- count / floor: {ratio:.2f} (target at most {MAX_FLOOR_RATIO:.0f}): "
        f"{'PASS' if ratio <= MAX_FLOOR_RATIO else 'FAIL'}",
    ]
    if "spark" in results:
        lines.append(f"- spark / count: {results['spark'][0] / results['count'][0]:.2f}")
    return "\n".join(lines) + "\n\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--workdir", type=Path, default=HERE / ".work")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    ws = workspace(args.workdir, args.rows)
    results: dict[str, tuple[float, list[float]]] = {}
    outputs: dict[str, dict[str, int]] = {}
    for name, fn in (("floor", lambda: run_floor(ws)), ("count", lambda: run_count(ws, "duckdb"))):
        best, runs, outputs[name] = timed(fn, args.repeats)
        results[name] = (best, runs)
        print(f"{name}: {best:.2f} s ({', '.join(f'{t:.2f}' for t in runs)})", flush=True)
    if not args.no_spark:
        run_count(ws, "spark")  # warm-up: session start and JIT
        best, runs, outputs["spark"] = timed(lambda: run_count(ws, "spark"), 1)
        results["spark"] = (best, runs)
        print(f"spark: {best:.2f} s", flush=True)
    agree = outputs["floor"] == outputs["count"] and all(
        out == outputs["count"] for out in outputs.values()
    )
    text = section(args.rows, results, agree)
    print(text)
    if not agree:
        print(json.dumps(outputs, indent=1, sort_keys=True))
    if not args.no_record:
        with RESULTS_PATH.open("a", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
