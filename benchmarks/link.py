"""Benchmark person linkage: a synthetic place's extracts across five agencies.

Usage::

    .venv/bin/python benchmarks/link.py [--records N] [--seed S] [--engine duckdb|spark]
                                        [--no-record]

Generates a seeded place with :func:`totalplace.families.synth.generate`
(people in households that move, split and change surname; typing slips,
nicknames, day and month swapped, blanks, people registered twice) held by
five agencies (children's social care, schools, police, A&E, housing), sized
so the extracts hold about N records, then links them with
``totalplace.link.link_records`` on DuckDB (or Spark's local mode, with
``--engine spark``) and records the time, the process's peak resident memory
(DuckDB's included: it runs in the process; with Spark, its JVM's peak is
added) and pairwise precision, recall and F1 against the generator's truth.  Targets: under 10
minutes and 8 GB at 1,000,000 records.  Appends a dated section to
``benchmarks/RESULTS.md`` unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from totalplace.families.synth import generate
from totalplace.link import link_records
from totalplace.link.report import pairwise_scores

HERE = Path(__file__).resolve().parent
RESULTS_PATH = HERE / "RESULTS.md"
AGENCIES = ("childrens_social_care", "schools", "police", "health_ae", "housing")
ENGINES = {"duckdb": "DuckDB", "spark": "Spark, local mode on two cores"}
TARGET_SECONDS = 600
TARGET_BYTES = 8 * 1024**3


def _children_peak_bytes() -> int:
    """The largest peak resident memory (VmHWM) of this process's live
    children: Spark's JVM, which the process's own figure does not hold."""
    peak = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(os.getpid()) and "VmHWM" in fields:
            peak = max(peak, int(fields["VmHWM"].split()[0]) * 1024)
    return peak


def run(records: int, seed: int, engine: str = "duckdb") -> dict[str, Any]:
    """Generate, link and score; the figures as a dict."""
    probe = generate(people=5000, seed=seed, agencies=AGENCIES)
    people = max(10, round(5000 * records / probe.records))
    started = time.perf_counter()
    place = generate(people=people, seed=seed, agencies=AGENCIES)
    while place.records < records:  # at least the records asked for, not about as many
        people = round(people * 1.01) + 1
        place = generate(people=people, seed=seed, agencies=AGENCIES)
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = link_records(dict(place.extracts), Path(folder), engine=engine)
        seconds = time.perf_counter() - started
        jvm = _children_peak_bytes()
    truth = place.person_of()
    refused = [(r.source, r.record_id) for r in result.refused]
    scores = pairwise_scores(result.clusters, truth, refused)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "people": people,
        "records": place.records,
        "by_agency": {k: v.num_rows for k, v in place.extracts.items()},
        "generate_seconds": round(generated, 1),
        "link_seconds": round(seconds, 1),
        "engine": engine,
        "peak_rss_bytes": peak + jvm,
        "jvm_peak_rss_bytes": jvm,
        "persons_found": len(set(result.clusters.column("person_id").to_pylist())),
        "refused": len(result.refused),
        **scores,
    }


def record(figures: dict[str, Any]) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    full = figures["records"] >= 1_000_000

    def verdict(ok: bool) -> str:
        return ("met" if ok else "MISSED") if full else "set for 1,000,000 records"

    ok_time = verdict(figures["link_seconds"] <= TARGET_SECONDS)
    ok_mem = verdict(figures["peak_rss_bytes"] <= TARGET_BYTES)
    lines = [
        "",
        f"## Person linkage (benchmarks/link.py), {when}",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {platform.system()}; load average after: {load}",
        f"- Data: totalplace.families.synth.generate, {figures['people']:,} people, "
        f"{figures['records']:,} records across {len(figures['by_agency'])} agencies "
        f"({', '.join(f'{k} {v:,}' for k, v in figures['by_agency'].items())}), "
        f"generated in {figures['generate_seconds']} s",
        f"- Linkage ({ENGINES[figures['engine']]}, threshold 0.9): {figures['link_seconds']:,} s "
        f"(target 600 s: {ok_time}); peak RSS "
        f"{figures['peak_rss_bytes'] / 1024**3:.2f} GiB"
        + (
            f", the JVM's {figures['jvm_peak_rss_bytes'] / 1024**3:.2f} GiB of it"
            if figures["jvm_peak_rss_bytes"]
            else ""
        )
        + f" (target 8 GiB: {ok_mem})",
        f"- Against the truth, pairwise: precision {figures['precision']}, recall "
        f"{figures['recall']}, F1 {figures['f1']} ({figures['correct_pairs']:,} of "
        f"{figures['predicted_pairs']:,} pairs found are true; {figures['true_pairs']:,} true "
        f"pairs); {figures['persons_found']:,} persons found; {figures['refused']:,} refused",
    ]
    with RESULTS_PATH.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--engine", choices=sorted(ENGINES), default="duckdb")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    figures = run(args.records, args.seed, args.engine)
    for key, value in figures.items():
        print(f"{key}: {value}")
    if not args.no_record:
        record(figures)


if __name__ == "__main__":
    main()
