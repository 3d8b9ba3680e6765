"""Benchmark the business-case engine: 100,000 Monte Carlo draws against one deterministic run.

Usage::

    .venv/bin/python benchmarks/case.py [--draws N] [--repeats R] [--no-record]

Builds (in code) a case with 20 uncertain inputs (cohort size and engagement,
three cost scales, and change, deadweight and drop-off for five outcomes) over
30 years, then in one process times the deterministic run (``result``, with
every per-agency table) and the Monte Carlo (``simulate``: draws, one
vectorised evaluation, percentiles), each R times, and records the best time,
Python's traced peak allocation for each (numpy's arrays included) and the
process's peak RSS.  The target is the Monte Carlo under one second.  Appends a
dated section to ``benchmarks/RESULTS.md`` unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from totalplace.case import result, simulate
from totalplace.case.model import parse_case

HERE = Path(__file__).resolve().parent
RESULTS_PATH = HERE / "RESULTS.md"
TARGET_SECONDS = 1.0
SEED = 20_100_315


def benchmark_case() -> dict[str, Any]:
    agencies = ["Council", "NHS", "Police", "DWP"]
    outcomes = []
    for i in range(5):
        outcomes.append(
            {
                "name": f"outcome {i}",
                "unit_cost": f"B{i}",
                "baseline": 0.3 + 0.1 * i,
                "change": {"low": 0.1, "base": 0.2, "high": 0.35},
                "deadweight": {"triangular": [0.1, 0.2, 0.4]},
                "attribution": 0.8,
                "drop_off": {"uniform": [0.05, 0.25]},
                "lag": i % 3,
                "confidence": 1 + i,
                "bearers": [
                    {"agency": agencies[i % 4], "share": 0.75, "cashable": 0.5},
                    {"agency": agencies[(i + 1) % 4], "share": 0.25},
                ],
            }
        )
    return {
        "case": {"title": "benchmark", "price_year": "2014-15", "years": 30},
        "agencies": {a: "local" if a in ("Council", "Police") else "national" for a in agencies},
        "cohort": {
            "size": {"normal": [1_000, 100]},
            "engagement": {"low": 0.6, "base": 0.75, "high": 0.9},
            "delivery_years": 5,
        },
        "costs": [
            {
                "agency": agencies[j],
                "kind": "running",
                "by_year": [250_000 + 10_000 * t for t in range(10)],
                "confidence": 2,
                "scale": {"lognormal": [1.0, 0.15]},
            }
            for j in range(3)
        ],
        "unit_costs": {
            f"B{i}": {
                "agency": agencies[i % 4],
                "fiscal": 1_000 * (i + 1),
                "economic": 300 * i,
                "social": 150,
                "transfer_payment": i == 3,
            }
            for i in range(5)
        },
        "outcomes": outcomes,
    }


def _timed(fn: Callable[[], object], repeats: int) -> tuple[float, list[float], int]:
    """Best wall time, every time, and the traced peak bytes of one more run."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), times, peak


def _machine() -> str:
    model = "unknown CPU"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(
            line.split(":", 1)[1].strip() for line in lscpu.splitlines() if "Model name" in line
        )
    except (OSError, subprocess.CalledProcessError, StopIteration):
        pass
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    cpus = os.cpu_count()
    return f"{platform.machine()}, {cpus} CPUs (nproc), {pages / 2**30:.1f} GiB RAM, {model}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    case = parse_case(benchmark_case(), "benchmark.toml")
    uncertain = len(case.uncertain())
    load_before = os.getloadavg()[0]
    det_best, det_all, det_peak = _timed(lambda: result(case), args.repeats)
    mc_best, mc_all, mc_peak = _timed(lambda: simulate(case, args.draws, SEED), args.repeats)
    load_after = os.getloadavg()[0]
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mc = simulate(case, args.draws, SEED)
    assert mc.npv_samples.shape == (args.draws,) and np.isfinite(mc.npv_samples).all()

    now = datetime.now(UTC)
    lines = [
        f"## {now:%Y-%m-%d %H:%M} UTC: business case, {args.draws:,} draws",
        "",
        f"- Date: `{now:%a %b %d %H:%M:%S} UTC {now:%Y}`",
        f"- Machine: {_machine()}",
        f"- Software: Python {platform.python_version()}, numpy {np.__version__}",
        f"- Load average (1 min) {load_before:.2f} before, {load_after:.2f} after: the machine is "
        "shared with other work, so times are noisy",
        f"- Case: {uncertain} uncertain inputs, {case.years} years, {len(case.outcomes)} "
        f"outcomes, {len(case.costs)} cost lines, {len(case.agencies)} agencies; best of "
        f"{args.repeats} runs each, in one process",
        "",
        "| run | best time (s) | all runs (s) | traced peak (MiB) |",
        "|---|---:|---|---:|",
        f"| deterministic (`result`) | {det_best:.4f} | "
        f"{', '.join(f'{t:.4f}' for t in det_all)} | {det_peak / 2**20:.2f} |",
        f"| Monte Carlo (`simulate`, {args.draws:,} draws) | {mc_best:.3f} | "
        f"{', '.join(f'{t:.3f}' for t in mc_all)} | {mc_peak / 2**20:.1f} |",
        "",
        f"- Monte Carlo / deterministic: {mc_best / det_best:.0f}x for {args.draws:,} draws "
        f"({mc_best / args.draws * 1e6:.2f} us a draw)",
        f"- Process peak RSS: {rss_mib:,.0f} MiB",
        f"- P(NPV > 0) {mc.p_npv_positive:.3f}; NPV P50 {mc.npv_pence[1]:,} pence",
        "",
        "| target | measured | result |",
        "|---|---:|---|",
        f"| Monte Carlo under {TARGET_SECONDS:g} s | {mc_best:.3f} s | "
        f"{'PASS' if mc_best < TARGET_SECONDS else 'FAIL'} |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        with RESULTS_PATH.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
