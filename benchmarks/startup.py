"""Benchmark the start-up of the command line and a single top-down count.

Usage::

    .venv/bin/python benchmarks/startup.py [--place E08000009] [--year 2016-17]
                                           [--runs 5] [--baseline SRC] [--no-record]

Times, each as whole processes with ``farm-bench`` (median of ``--runs``; CPU
is user + system, which a busy machine inflates less than wall time):

* ``help``: ``python -m totalplace --help``;
* ``topdown``: ``python -m totalplace topdown --place P --year Y``;
* with ``--baseline SRC`` (a ``src`` folder of another checkout, for example
  one unpacked with ``git archive COMMIT src | tar -x -C /tmp/old``), the same
  ``topdown`` call run from that source, side by side, and the ratio.

Then lists the ten slowest imports of ``topdown`` (``python -X importtime``).
Target: the single count under 1 s.  Appends a dated section to
``benchmarks/RESULTS.md`` unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
RESULTS = HERE / "RESULTS.md"
TARGET_SECONDS = 1.0


def _farm_bench(command: list[str], runs: int, vs: list[str] | None = None) -> str:
    tool = shutil.which("farm-bench")
    if tool is None:
        raise SystemExit("farm-bench is not on PATH: it times whole processes for this benchmark")
    args = [tool, "-n", str(runs), "--timeout", "600"]
    if vs is not None:
        args += ["--vs", " ".join(vs)]
    done = subprocess.run([*args, "--", *command], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def _median(report: str, what: str, row: str = "A") -> float | None:
    """The median of ``what`` (wall or cpu) on a farm-bench report's row."""
    for line in report.splitlines():
        if line.strip().startswith(row) and what in line:
            numbers = re.findall(r"\d+\.\d+", line.split(what, 1)[1])
            if len(numbers) >= 2:
                return float(numbers[1])
    return None


def _imports(command: list[str], env: dict[str, str], top: int = 10) -> list[tuple[int, str]]:
    done = subprocess.run(
        [PYTHON, "-X", "importtime", *command[1:]],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            if not name.startswith("  "):  # top-level imports only: their own cumulative time
                rows.append((int(parts[1]), name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--place", default="E08000009")
    parser.add_argument("--year", default="2016-17")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout's src folder")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    help_cmd = [PYTHON, "-m", "totalplace", "--help"]
    single = [PYTHON, "-m", "totalplace", "topdown", "--place", args.place, "--year", args.year]
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: start-up and a single top-down count",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared), "
        f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f} at the start",
        f"- Command: `totalplace topdown --place {args.place} --year {args.year}`; "
        f"farm-bench, {args.runs} runs each, medians",
        "",
        "| call | wall (s) | cpu (s) |",
        "|---|---:|---:|",
    ]
    reports = {}
    for name, command in (("--help", help_cmd), ("topdown --place", single)):
        report = _farm_bench(command, args.runs)
        reports[name] = report
        lines.append(f"| {name} | {_median(report, 'wall')} | {_median(report, 'cpu')} |")
    if args.baseline is not None:
        env_cmd = ["env", f"PYTHONPATH={args.baseline.resolve()}", *single]
        report = _farm_bench(single, args.runs, vs=env_cmd)
        reports["side by side"] = report
        lines += [
            "",
            f"Side by side with the source in `{args.baseline}` (B), pair by pair:",
            "",
            "```",
            report.strip(),
            "```",
        ]
    cpu = _median(reports["topdown --place"], "cpu")
    verdict = "PASS" if cpu is not None and cpu < TARGET_SECONDS else "FAIL"
    lines += ["", f"- Target: a single count under {TARGET_SECONDS:g} s of CPU: {verdict}"]
    lines += ["", "Slowest top-level imports of the single count (`-X importtime`, ms):", ""]
    for micros, name in _imports(single, dict(os.environ)):
        lines.append(f"- `{name}`: {micros / 1000:.0f}")
    text = "\n".join(lines) + "\n"
    print(text)
    for name, report in reports.items():
        print(f"--- farm-bench: {name}\n{report}")
    if not args.no_record:
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
