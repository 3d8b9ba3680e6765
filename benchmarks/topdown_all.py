"""Benchmark the top-down count of every English authority in one run.

Usage::

    .venv/bin/python benchmarks/topdown_all.py [--year 2017-18] [--sample 12]
                                               [--runs 3] [--no-record]

* ``topdown --all``: ``python -m totalplace topdown --all --year Y --json`` as
  whole processes with ``farm-bench`` (median of ``--runs``);
* in this process, after the imports: ``national(year)`` alone, and a single
  ``topdown`` of each of ``--sample`` authorities spread over the kinds (the
  first call pays for reading the reference tables; the mean of the rest is
  what each of 296 calls would cost in one process, and ``296 x`` a whole
  process is the cost of counting every authority one command at a time);
* the checks: the authorities add up to England's identifiable spending to the
  penny, and each sampled authority equals its single count.

Target: every authority under 30 s.  Appends a dated section to
``benchmarks/RESULTS.md`` unless ``--no-record``.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from startup import _farm_bench, _median  # noqa: E402

RESULTS = HERE / "RESULTS.md"
TARGET_SECONDS = 30.0


def _sample(places: list, size: int) -> list:  # type: ignore[type-arg]
    """Every kind of authority, then evenly spread, in GSS order."""
    by_kind: dict[str, list] = {}  # type: ignore[type-arg]
    for p in places:
        by_kind.setdefault(p.kind, []).append(p)
    chosen = {kind[0].gss: kind[0] for kind in by_kind.values()}
    step = max(1, len(places) // max(1, size - len(chosen)))
    for p in places[::step]:
        if len(chosen) >= size:
            break
        chosen.setdefault(p.gss, p)
    return sorted(chosen.values(), key=lambda p: p.gss)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", default="2017-18")
    parser.add_argument("--sample", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    command = [sys.executable, "-m", "totalplace", "topdown", "--all", "--year", args.year]
    whole = _farm_bench([*command, "--json"], args.runs) if shutil.which("farm-bench") else ""

    from totalplace.count.national import national
    from totalplace.count.topdown import topdown
    from totalplace.reference.places import resolve_place

    started = time.process_time()
    clock = time.perf_counter()
    result = national(args.year)
    all_cpu, all_wall = time.process_time() - started, time.perf_counter() - clock
    timings: list[float] = []
    mismatched: list[str] = []
    sample = _sample(result.places + result.counties, args.sample)
    for p in sample:
        clock = time.perf_counter()
        single = topdown(resolve_place(p.gss, args.year), args.year)
        timings.append(time.perf_counter() - clock)
        if (single.total_pence, single.population) != (p.total_pence, p.population):
            mismatched.append(p.gss)
    single_cmd = [sys.executable, "-m", "totalplace", "topdown", "--place", sample[0].gss]
    one = _farm_bench([*single_cmd, "--year", args.year], args.runs)
    one_wall = _median(one, "wall")
    n = len(result.places)
    wall = _median(whole, "wall") if whole else None
    verdict = "PASS" if wall is not None and wall < TARGET_SECONDS else "FAIL"
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: top-down count of every authority, "
        f"{args.year}",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared), Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f} at the end",
        f"- `totalplace topdown --all --year {args.year} --json`, whole process (farm-bench, "
        f"{args.runs} runs, median): {wall} s wall, {_median(whole, 'cpu')} s CPU; target "
        f"under {TARGET_SECONDS:g} s: {verdict}",
        f"- `national()` in one process after imports: {all_wall:.1f} s wall, {all_cpu:.1f} s CPU",
        f"- One `topdown --place {sample[0].gss}` as a whole process: {one_wall} s wall, "
        f"{_median(one, 'cpu')} s CPU; {n} of them one at a time: about "
        f"{(one_wall or 0) * n / 60:.1f} min",
        f"- In one process, the first single count {timings[0]:.2f} s (reads the tables), "
        f"the next {len(timings) - 1} {sum(timings[1:]) / max(1, len(timings) - 1):.2f} s each",
        f"- Parts: {n} authorities add up to {result.places_sum_pence:,} pence; England's "
        f"identifiable spending {result.england_total_pence:,} pence: "
        f"{'equal' if result.places_sum_pence == result.england_total_pence else 'NOT EQUAL'}",
        f"- Each of {len(sample)} sampled authorities (every kind, counties as their "
        f"districts) equals its single count: "
        f"{'yes' if not mismatched else 'NO: ' + ', '.join(mismatched)}",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    print(whole)
    if not args.no_record:
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)
    return 0 if not mismatched and result.places_sum_pence == result.england_total_pence else 1


if __name__ == "__main__":
    raise SystemExit(main())
