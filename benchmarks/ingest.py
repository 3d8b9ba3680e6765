"""Benchmark totalplace's ingest against a DuckDB-only floor and a pandas pipeline.

Usage::

    .venv/bin/python benchmarks/ingest.py [--rows N] [--workdir DIR] [--repeats R] [--profile]

Generates (once, seeded) a clean spend CSV of N rows, then runs each pipeline
R times, alternating, each in its own subprocess so peak memory is that
pipeline's alone (the child reports its own ``ru_maxrss``):

* ``ingest``: ``totalplace.ingest.ingest_files`` into a fresh workspace;
* ``floor``: DuckDB ``read_csv`` -> amount and date casts -> ``COPY`` to Parquet;
* ``pandas_plain``: a plain ``pandas.read_csv`` -> ``to_parquet`` (its own type
  inference: amounts become floats, dates stay text), the comparison the target uses;
* ``pandas``: ``pandas.read_csv`` (as text) -> ``to_numeric`` / ``to_datetime`` ->
  ``to_parquet``: the same amount and date parsing as the floor, for information;
* ``least``: the least work any ingest must do, and nothing else: SHA-256 of the
  file (in a thread beside the rest), Arrow's multi-threaded reader with every
  cell as text, and an uncompressed Parquet write.  Nothing is parsed or checked.
  It bounds what the plain-pandas target can ask: an ingest cannot take less.

Prints a markdown table and appends a dated section to ``benchmarks/RESULTS.md``.
With ``--profile``, or when the ingest misses a target, a stage-level profile of
one more ingest run is printed and recorded too.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_WORKDIR = HERE / ".work"
RESULTS_PATH = HERE / "RESULTS.md"
DEFAULT_ROWS = 5_000_000
SEED = 20_101_101
GENERATOR_VERSION = 1
PIPELINES = ("ingest", "floor", "pandas_plain", "pandas", "least")
PUBLISHER = "Benchmark Council"
BODY = "Birmingham City Council"
FY_START = "2010-04-01"
FY_DAYS = 365

# targets
MAX_FLOOR_RATIO = 3.0
MIN_PANDAS_SPEEDUP = 2.0
MAX_RSS_MIB = 2048.0
BUSY_SHARE = 0.05  # other processes using more of the CPUs than this marks a run noisy

HEADER = (
    "Body Name",
    "Service Area",
    "Expenses Type",
    "Payment Date",
    "Transaction Number",
    "Amount",
    "Supplier Name",
)

SERVICE_AREAS = (
    "Adult Social Care",
    "Children's Services",
    "Education",
    "Highways",
    "Transportation",
    "Waste Management",
    "Street Cleansing",
    "Parks and Open Spaces",
    "Libraries",
    "Leisure Services",
    "Housing",
    "Homelessness",
    "Planning",
    "Building Control",
    "Environmental Health",
    "Trading Standards",
    "Public Health",
    "Culture and Museums",
    "Economic Development",
    "Regeneration",
    "Corporate Finance",
    "Human Resources",
    "ICT Services",
    "Legal Services",
    "Property Services",
    "Democratic Services",
    "Electoral Services",
    "Revenues and Benefits",
    "Customer Services",
    "Emergency Planning",
)

EXPENSE_BASES = (
    "Agency Staff",
    "Consultancy",
    "Equipment",
    "Furniture",
    "Catering",
    "Cleaning",
    "Utilities",
    "Rents",
    "Repairs and Maintenance",
    "Vehicle Hire",
    "Fuel",
    "Printing",
    "Postage",
    "Software Licences",
    "Hardware",
    "Training",
    "Legal Fees",
    "Grants",
    "Residential Care",
    "Home Care",
)
EXPENSE_QUALIFIERS = (
    "General",
    "Social Work",
    "Schools",
    "Highways",
    "Capital",
    "Revenue",
    "Contract",
    "Ad Hoc",
    "External",
    "Internal Recharge",
)

SUPPLIER_FIRST = (
    "Acme",
    "Northern",
    "Midland",
    "Central",
    "Regional",
    "Premier",
    "Apex",
    "Summit",
    "Castle",
    "Riverside",
    "Oak",
    "Beacon",
    "Crown",
    "Victoria",
    "Albion",
    "Pennine",
    "Severn",
    "Arden",
    "Kingsway",
    "Harbour",
    "Meridian",
    "Unity",
    "Phoenix",
    "Greenway",
    "St Mary's",
)
SUPPLIER_SECOND = (
    "Building",
    "Care",
    "Facilities",
    "Catering",
    "Cleaning",
    "Transport",
    "Consulting",
    "Software",
    "Print",
    "Office Supplies",
    "Security",
    "Waste",
    "Energy",
    "Legal",
    "Recruitment",
    "Homes",
    "Healthcare",
    "Education",
    "Landscapes",
    "Engineering",
)
SUPPLIER_SUFFIX = (
    "Ltd",
    "Limited",
    "plc",
    "LLP",
    "Services Ltd",
    "Group",
    "& Co",
    "Holdings, Ltd",  # a comma: the CSV writer quotes these names
)
N_SUPPLIERS = 2_000


# ---------------------------------------------------------------- generation


def csv_paths(workdir: Path, rows: int) -> tuple[Path, Path]:
    """The CSV of ``rows`` rows and its sidecar of metadata."""
    return workdir / f"spend_{rows}.csv", workdir / f"spend_{rows}.json"


def existing_csv(workdir: Path, rows: int) -> dict[str, Any] | None:
    """The metadata of a previously generated CSV, if it is complete and current."""
    path, meta_path = csv_paths(workdir, rows)
    if not (path.is_file() and meta_path.is_file()):
        return None
    meta: dict[str, Any] = json.loads(meta_path.read_text())
    fits = (
        meta.get("rows") == rows
        and meta.get("seed") == SEED
        and meta.get("version") == GENERATOR_VERSION
        and meta.get("bytes") == path.stat().st_size
    )
    return meta if fits else None


def generate_csv(path: Path, rows: int) -> dict[str, Any]:
    """Write a seeded spend CSV of ``rows`` data rows; return its metadata."""
    import duckdb
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(SEED)
    suppliers = [
        f"{SUPPLIER_FIRST[a]} {SUPPLIER_SECOND[b]} {SUPPLIER_SUFFIX[c]}"
        for a, b, c in (
            np.unravel_index(i, (len(SUPPLIER_FIRST), len(SUPPLIER_SECOND), len(SUPPLIER_SUFFIX)))
            for i in rng.choice(
                len(SUPPLIER_FIRST) * len(SUPPLIER_SECOND) * len(SUPPLIER_SUFFIX),
                N_SUPPLIERS,
                replace=False,
            )
        )
    ]
    expenses = [f"{b} - {q}" for b in EXPENSE_BASES for q in EXPENSE_QUALIFIERS]

    def pick(names: list[str] | tuple[str, ...], skew: float) -> pa.DictionaryArray:
        weights = 1.0 / np.arange(1, len(names) + 1) ** skew
        idx = rng.choice(len(names), rows, p=weights / weights.sum()).astype(np.int32)
        return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(list(names)))

    pounds = 500.0 + rng.lognormal(mean=np.log(1500.0), sigma=1.4, size=rows)
    pence = np.round(pounds * 100).astype(np.int64)
    pence[rng.random(rows) < 0.03] *= -1  # credit notes and refunds
    table = pa.table(
        {
            "service": pick(SERVICE_AREAS, 0.8),
            "expense": pick(expenses, 1.0),
            "supplier": pick(suppliers, 1.1),
            "day": rng.integers(0, FY_DAYS, rows, dtype=np.int32),
            "txn": np.arange(1_000_000, 1_000_000 + rows, dtype=np.int64),
            "pence": pence,
        }
    )
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.register("gen", table)
    tmp = path.with_suffix(".csv.tmp")
    con.execute(
        f"""COPY (
            SELECT '{BODY}' AS "Body Name", service AS "Service Area",
                   expense AS "Expenses Type",
                   strftime(DATE '{FY_START}' + day, '%d/%m/%Y') AS "Payment Date",
                   txn AS "Transaction Number",
                   CASE WHEN pence < 0 THEN '-' ELSE '' END || CAST(abs(pence) // 100 AS VARCHAR)
                       || '.' || lpad(CAST(abs(pence) % 100 AS VARCHAR), 2, '0') AS "Amount",
                   supplier AS "Supplier Name"
            FROM gen
        ) TO '{tmp}' (FORMAT csv, HEADER true, DELIMITER ',')"""
    )
    con.close()
    tmp.replace(path)
    return {
        "rows": rows,
        "seed": SEED,
        "version": GENERATOR_VERSION,
        "bytes": path.stat().st_size,
        "amount_pence": int(pence.sum()),
    }


# ---------------------------------------------------------------- pipelines


def run_ingest(csv: Path, out: Path, rows: int) -> dict[str, Any]:
    from totalplace.ingest import ingest_files
    from totalplace.workspace import Workspace

    ws = Workspace.create(out / "workspace", ["E08000025"], "2010-11")
    # Five million synthetic payments add up to more than Birmingham's whole
    # outturn, which the money check refuses; the check still runs and is timed.
    report = ingest_files(ws, [csv], publisher=PUBLISHER, accept_large=True)
    f = report.files[0]
    if f.status != "loaded" or f.rows_loaded != rows:
        raise SystemExit(
            f"ingest: status {f.status!r}, {f.rows_loaded} of {rows} rows loaded: {f.message}"
        )
    return {
        "rows": f.rows_loaded,
        "amount_pence": f.amount_loaded_pence,
        "quarantined": f.rows_quarantined,
        "issues": f.issue_counts,
    }


def run_floor(csv: Path, out: Path, rows: int) -> dict[str, Any]:
    import duckdb

    cols = ", ".join(f"'{h}': 'VARCHAR'" for h in HEADER)
    target = out / "floor.parquet"
    con = duckdb.connect()
    con.execute(
        f"""COPY (
            SELECT "Body Name", "Service Area", "Expenses Type",
                   strptime("Payment Date", '%d/%m/%Y')::DATE AS payment_date,
                   "Transaction Number",
                   CAST(CAST(regexp_replace("Amount", '[£,]', '', 'g') AS DECIMAL(18, 2)) * 100
                        AS BIGINT) AS amount_pence,
                   "Supplier Name"
            FROM read_csv($path, header=true, delim=',', quote='"', columns={{{cols}}})
        ) TO $target (FORMAT parquet)""",
        {"path": str(csv), "target": str(target)},
    )
    con.close()
    return {}


def run_pandas(csv: Path, out: Path, rows: int) -> dict[str, Any]:
    import pandas as pd

    df = pd.read_csv(csv, dtype=str)
    df["amount_pence"] = (pd.to_numeric(df["Amount"]) * 100).round().astype("int64")
    df["payment_date"] = pd.to_datetime(df["Payment Date"], format="%d/%m/%Y")
    df.to_parquet(out / "pandas.parquet", engine="pyarrow", index=False)
    return {}


def run_pandas_plain(csv: Path, out: Path, rows: int) -> dict[str, Any]:
    import pandas as pd

    pd.read_csv(csv).to_parquet(out / "pandas_plain.parquet", engine="pyarrow", index=False)
    return {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def run_least(csv: Path, out: Path, rows: int) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    text = pacsv.ConvertOptions(column_types=dict.fromkeys(HEADER, pa.string()))
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(_sha256, csv)
        table = pacsv.read_csv(csv, convert_options=text)
        pq.write_table(table, out / "least.parquet", compression="none")
        digest.result()
    return {}


PIPELINE_FUNCS: dict[str, Callable[[Path, Path, int], dict[str, Any]]] = {
    "ingest": run_ingest,
    "floor": run_floor,
    "pandas_plain": run_pandas_plain,
    "pandas": run_pandas,
    "least": run_least,
}


def parquet_totals(out: Path) -> dict[str, Any]:
    """Row count and pence total of a floor or pandas output (checked untimed)."""
    import duckdb

    files = sorted(out.glob("*.parquet"))
    rel = duckdb.read_parquet([str(p) for p in files])
    # the plain pandas output keeps amounts as read (floats of pounds), the least-work
    # output as text
    if "amount_pence" in rel.columns:
        pence = "amount_pence"
    else:
        amount = dict(zip(rel.columns, rel.types, strict=True))["Amount"]
        pence = (
            'CAST("Amount" AS DECIMAL(18, 2)) * 100'
            if str(amount) == "VARCHAR"
            else 'round("Amount" * 100)'
        )
    row = duckdb.sql(f"SELECT count(*), CAST(sum({pence}) AS BIGINT) FROM rel").fetchone()
    assert row is not None
    return {"rows": int(row[0]), "amount_pence": int(row[1])}


# ---------------------------------------------------------------- profile


@dataclass
class StageLog:
    """Wall time per named step, in call order."""

    entries: list[tuple[str, str, float, float]] = field(default_factory=list)

    def add(self, level: str, name: str, seconds: float) -> None:
        """Record a step with the process's peak RSS (MiB) so far, after it."""
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.entries.append((level, name, seconds, peak))


class TimedConnection:
    """A DuckDB connection whose ``execute`` calls are timed one by one."""

    def __init__(self, con: Any, log: StageLog) -> None:
        self._con = con
        self._log = log

    def execute(self, sql: str, *params: Any) -> Any:
        start = time.perf_counter()
        try:
            return self._con.execute(sql, *params)
        finally:
            label = " ".join(sql.split())[:90]
            self._log.add("sql", label, time.perf_counter() - start)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _timed(owner: Any, name: str, level: str, log: StageLog) -> None:
    fn = getattr(owner, name)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            log.add(level, name, time.perf_counter() - start)

    setattr(owner, name, wrapper)


def _timed_generator(owner: Any, name: str, level: str, log: StageLog) -> None:
    fn = getattr(owner, name)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        items = fn(*args, **kwargs)
        while True:
            start = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                log.add(level, name, time.perf_counter() - start)
            yield item

    setattr(owner, name, wrapper)


def run_profile(csv: Path, out: Path, rows: int) -> dict[str, Any]:
    """The real ``ingest_files``, with its stages, parse steps and SQL statements timed."""
    from totalplace.ingest import parse, pipeline
    from totalplace.workspace import Workspace

    log = StageLog()
    _timed_generator(pipeline, "prepare", "stage", log)
    for name in ("sniff", "map_columns", "_clean_tmp", "write_report"):
        _timed(pipeline, name, "stage", log)
    for name in ("commit_file", "refresh_sources"):
        _timed(Workspace, name, "stage", log)
    _timed(parse.SourceParser, "parse", "stage", log)
    # the parser's private methods, whatever they are today (the code changes)
    for name in ("load_fast", "load_robust", "read_lines"):
        if hasattr(parse, name):
            _timed(parse, name, "step", log)
    for name, member in vars(parse.SourceParser).items():
        if callable(member) and name.startswith("_") and not name.startswith("__"):
            _timed(parse.SourceParser, name, "step", log)
    make_engine = pipeline._engine
    pipeline._engine = lambda ws: TimedConnection(make_engine(ws), log)  # type: ignore[assignment,return-value]
    start = time.perf_counter()
    result = run_ingest(csv, out, rows)
    total = time.perf_counter() - start
    return {**result, "total": total, "entries": log.entries}


# ---------------------------------------------------------------- children


def child_main(name: str, csv: Path, out: Path, rows: int) -> None:
    """Run one pipeline (or the generator) and print its result as JSON."""
    src = source_digest()
    at_start = resource.getrusage(resource.RUSAGE_SELF)
    cpu_at_start = at_start.ru_utime + at_start.ru_stime
    start = time.perf_counter()
    if name == "generate":
        result = generate_csv(csv, rows)
    elif name == "profile":
        result = run_profile(csv, out, rows)
    else:
        result = PIPELINE_FUNCS[name](csv, out, rows)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    if name in ("floor", "pandas", "pandas_plain", "least"):
        result = {**result, **parquet_totals(out)}
    cpu = usage.ru_utime + usage.ru_stime - cpu_at_start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "maxrss_kib": usage.ru_maxrss,
                "src": src,
                **result,
            }
        )
    )


@dataclass
class Run:
    pipeline: str
    seconds: float  # the pipeline itself, timed in the child after imports
    cpu_seconds: float  # CPU time of the pipeline itself (every thread)
    process_seconds: float  # the whole child process, interpreter start included
    rss_mib: float
    result: dict[str, Any]


def spawn(name: str, csv: Path, out: Path, rows: int) -> Run:
    """Run ``name`` in a fresh Python process; its output directory is removed after."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name]
    cmd += ["--rows", str(rows), "--csv", str(csv), "--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    process_seconds = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return Run(
        name,
        float(result.pop("seconds")),
        float(result.pop("cpu_seconds", 0.0)),
        process_seconds,
        result.pop("maxrss_kib") / 1024,
        result,
    )


# ---------------------------------------------------------------- reporting


@dataclass
class Summary:
    rows: int
    csv: Path
    csv_bytes: int
    generated_seconds: float | None  # None when the file was reused
    expected_pence: int
    runs: list[Run]
    other_cpu: float  # CPU seconds other processes used while the pipelines ran
    elapsed: float  # wall seconds of all the runs

    @property
    def busy_share(self) -> float:
        return self.other_cpu / (self.elapsed * len(os.sched_getaffinity(0)))

    def of(self, pipeline: str) -> list[Run]:
        return [r for r in self.runs if r.pipeline == pipeline]

    def best(self, pipeline: str) -> float:
        return self.best_run(pipeline).seconds

    def best_run(self, pipeline: str) -> Run:
        return min(self.of(pipeline), key=lambda r: r.seconds)

    def least_work_note(self) -> str:
        """Whether the plain-pandas target can be met at all on this machine."""
        allowed = self.best("pandas_plain") / MIN_PANDAS_SPEEDUP
        least = self.best_run("least")
        cpus = len(os.sched_getaffinity(0))
        bound = least.cpu_seconds / cpus
        verdict = (
            "the target asks for less time than that least work needs with the fastest "
            "reader and writer installed here"
            if bound > allowed
            else "the least work does not rule the target out"
        )
        return (
            f"- The plain-pandas target allows the ingest {allowed:.2f} s. The least work "
            f"(hash, read every cell as text, write Parquet; nothing parsed or checked) took "
            f"{least.seconds:.2f} s and {least.cpu_seconds:.2f} CPU-s; {cpus} CPUs cannot do "
            f"{least.cpu_seconds:.2f} CPU-s in less than {bound:.2f} s, so {verdict}."
        )

    def peak_mib(self, pipeline: str) -> float:
        return max(r.rss_mib for r in self.of(pipeline))

    def targets(self) -> list[tuple[str, str, bool]]:
        floor_ratio = self.best("ingest") / self.best("floor")
        speedup = self.best("pandas_plain") / self.best("ingest")
        rss = self.peak_mib("ingest")
        return [
            (
                f"ingest within {MAX_FLOOR_RATIO:g}x the floor",
                f"{floor_ratio:.2f}x",
                floor_ratio <= MAX_FLOOR_RATIO,
            ),
            (
                f"ingest at least {MIN_PANDAS_SPEEDUP:g}x faster than plain pandas",
                f"{speedup:.2f}x",
                speedup >= MIN_PANDAS_SPEEDUP,
            ),
            (
                f"ingest peak RSS under {MAX_RSS_MIB / 1024:g} GiB",
                f"{rss:,.0f} MiB",
                rss < MAX_RSS_MIB,
            ),
        ]


def results_table(summary: Summary) -> str:
    lines = [
        "| pipeline | best time (s) | all runs (s) | CPU of best run (s) "
        "| best process time (s) | peak RSS (MiB) | rows out | pence out |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name in PIPELINES:
        runs = summary.of(name)
        last = runs[-1].result
        lines.append(
            f"| {name} | {summary.best(name):.2f} "
            f"| {', '.join(f'{r.seconds:.2f}' for r in runs)} "
            f"| {summary.best_run(name).cpu_seconds:.2f} "
            f"| {min(r.process_seconds for r in runs):.2f} "
            f"| {summary.peak_mib(name):,.0f} "
            f"| {last.get('rows', 0):,} | {last.get('amount_pence', 0):,} |"
        )
    return "\n".join(lines)


def targets_table(summary: Summary) -> str:
    lines = ["| target | measured | result |", "|---|---:|---|"]
    lines += [
        f"| {name} | {value} | {'PASS' if ok else 'FAIL'} |"
        for name, value, ok in summary.targets()
    ]
    return "\n".join(lines)


def profile_tables(profile: Run) -> str:
    """Stage, parse-step and top-SQL timings of one profiled ingest."""
    entries = [tuple(e) for e in profile.result["entries"]]
    total = float(profile.result["total"])
    out = [
        f"Profiled ingest (one more run, `src/totalplace` digest `{profile.result['src']}`): "
        f"{total:.2f} s in total, peak RSS {profile.rss_mib:,.0f} MiB. "
        "Peak after is the process's high-water RSS when the step ended.",
        "",
    ]
    for level, title, limit in (
        ("stage", "Stages of `ingest_files`", None),
        ("step", "Steps inside `SourceParser.parse` (may nest)", None),
        ("sql", "Slowest DuckDB statements", 10),
    ):
        sums: dict[str, float] = {}
        peaks: dict[str, float] = {}
        for lvl, name, seconds, peak in entries:
            if lvl == level:
                sums[name] = sums.get(name, 0.0) + seconds
                peaks[name] = max(peaks.get(name, 0.0), peak)
        ranked = sorted(sums.items(), key=lambda kv: -kv[1])[:limit]
        out += [
            f"{title}:",
            "",
            "| step | s | share | peak after (MiB) |",
            "|---|---:|---:|---:|",
        ]
        out += [
            f"| `{name}` | {s:.2f} | {100 * s / total:.0f}% | {peaks[name]:,.0f} |"
            for name, s in ranked
        ]
        out.append("")
    return "\n".join(out)


def machine() -> dict[str, str]:
    info = {
        "arch": platform.machine(),
        "nproc": str(len(os.sched_getaffinity(0))),
        "memory": "?",
        "cpu": "?",
        "python": platform.python_version(),
        "duckdb": metadata.version("duckdb"),
        "pandas": metadata.version("pandas"),
        "pyarrow": metadata.version("pyarrow"),
    }
    meminfo, cpuinfo = Path("/proc/meminfo"), Path("/proc/cpuinfo")
    if meminfo.is_file():
        kib = next(
            int(ln.split()[1])
            for ln in meminfo.read_text().splitlines()
            if ln.startswith("MemTotal")
        )
        info["memory"] = f"{kib / 1024**2:.1f} GiB"
    if cpuinfo.is_file():
        models = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        info["cpu"] = models[0] if models else "?"
    return info


def source_digest() -> str:
    """A short digest of the ingest code benchmarked (the tree may change between runs)."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "totalplace").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def digests_note(summary: Summary) -> str:
    """The ``src/totalplace`` digest(s) the ingest runs measured; several mean the code
    changed between them (floor and pandas do not use it)."""
    ingest_runs = summary.of("ingest")
    seen = list(dict.fromkeys(str(r.result.get("src")) for r in ingest_runs))
    if len(seen) == 1:
        return f"`src/totalplace` digest `{seen[0]}` for every ingest run"
    per_run = ", ".join(f"`{r.result.get('src')}`" for r in ingest_runs)
    return f"**`src/totalplace` changed between the ingest runs**: {per_run}"


def markdown_section(summary: Summary, profile: Run | None) -> str:
    now = datetime.now(UTC)
    m = machine()
    generated = (
        f"generated in {summary.generated_seconds:.1f} s"
        if summary.generated_seconds is not None
        else "reused from an earlier run"
    )
    parts = [
        f"## {now:%Y-%m-%d %H:%M} UTC: {summary.rows:,} rows",
        "",
        f"- Date: `{now:%a %b %d %H:%M:%S UTC %Y}`",
        f"- Machine: {m['arch']}, {m['nproc']} CPUs (nproc), {m['memory']} RAM, {m['cpu']}",
        f"- Software: Python {m['python']}, DuckDB {m['duckdb']}, pandas {m['pandas']}, "
        f"pyarrow {m['pyarrow']}; {digests_note(summary)}",
        f"- Input: {summary.rows:,} rows, {summary.csv_bytes / 1024**2:,.1f} MiB "
        f"(`{summary.csv.name}`, {generated})",
        f"- Expected total: {summary.expected_pence:,} pence",
        f"- Other processes used {summary.other_cpu:.0f} CPU-s during the "
        f"{summary.elapsed:.0f} s of runs ({summary.busy_share:.0%} of the machine)"
        + (
            ": **the machine was busy, the times are noisy**"
            if summary.busy_share > BUSY_SHARE
            else ""
        ),
        f"- {len(summary.of('ingest'))} runs of each pipeline, alternating; best time is the "
        "pipeline alone (after imports), process time includes interpreter start and imports; "
        "peak RSS is the child's own `ru_maxrss`, the highest of its runs.",
        "",
        results_table(summary),
        "",
        f"- ingest / floor: {summary.best('ingest') / summary.best('floor'):.2f}",
        f"- plain pandas / ingest: {summary.best('pandas_plain') / summary.best('ingest'):.2f}",
        f"- pandas with the floor's parsing / ingest: "
        f"{summary.best('pandas') / summary.best('ingest'):.2f}",
        "",
        targets_table(summary),
        "",
        summary.least_work_note(),
        "",
    ]
    if profile is not None:
        parts += [profile_tables(profile)]
    return "\n".join(parts)


def append_results(section: str) -> None:
    head = (
        "# Ingest benchmark results\n\n"
        "Written by `benchmarks/ingest.py` (see `benchmarks/README.md`); "
        "newest section last.\n"
    )
    existing = RESULTS_PATH.read_text() if RESULTS_PATH.is_file() else head
    RESULTS_PATH.write_text(existing.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n")


# ---------------------------------------------------------------- main


def ensure_csv(workdir: Path, rows: int) -> tuple[dict[str, Any], float | None]:
    """The benchmark CSV's metadata and its generation time (None when reused)."""
    workdir.mkdir(parents=True, exist_ok=True)
    meta = existing_csv(workdir, rows)
    if meta is not None:
        print(f"reusing {csv_paths(workdir, rows)[0]}")
        return meta, None
    csv, meta_path = csv_paths(workdir, rows)
    print(f"generating {csv} ({rows:,} rows) ...", flush=True)
    run = spawn("generate", csv, workdir / "generate", rows)
    meta = run.result
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"generated in {run.seconds:.1f} s")
    return meta, run.seconds


def run_all(workdir: Path, rows: int, repeats: int, csv: Path) -> list[Run]:
    runs: list[Run] = []
    for round_no in range(1, repeats + 1):
        for name in PIPELINES:
            print(f"round {round_no}: {name} ...", end=" ", flush=True)
            run = spawn(name, csv, workdir / "out" / name, rows)
            print(f"{run.seconds:.2f} s, {run.rss_mib:,.0f} MiB")
            runs.append(run)
    return runs


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine since boot (0 where /proc/stat is missing)."""
    stat = Path("/proc/stat")
    if not stat.is_file():
        return 0.0
    fields = [int(x) for x in stat.read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds of this process and its finished children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def check_totals(summary: Summary) -> None:
    """Every pipeline must write every row and the generator's pence total."""
    expected = (summary.rows, summary.expected_pence)
    for run in summary.runs:
        got = (run.result.get("rows"), run.result.get("amount_pence"))
        if got != expected:
            raise SystemExit(f"{run.pipeline} wrote (rows, pence) {got}, expected {expected}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="data rows (5,000,000)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="scratch folder")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each pipeline (2)")
    parser.add_argument("--profile", action="store_true", help="profile the ingest's stages")
    parser.add_argument("--no-record", action="store_true", help="do not write RESULTS.md")
    parser.add_argument(
        "--child", choices=(*PIPELINES, "generate", "profile"), help=argparse.SUPPRESS
    )
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        child_main(args.child, args.csv, args.out, args.rows)
        return
    workdir: Path = args.workdir.resolve()
    meta, generated = ensure_csv(workdir, args.rows)
    csv = csv_paths(workdir, args.rows)[0]
    start, machine_before, ours_before = time.perf_counter(), machine_cpu(), own_cpu()
    runs = run_all(workdir, args.rows, args.repeats, csv)
    other = (machine_cpu() - machine_before) - (own_cpu() - ours_before)
    summary = Summary(
        args.rows,
        csv,
        meta["bytes"],
        generated,
        meta["amount_pence"],
        runs,
        max(other, 0.0),
        time.perf_counter() - start,
    )
    check_totals(summary)
    ingest_failed = not all(ok for _, _, ok in summary.targets())
    profile = None
    if args.profile or ingest_failed:
        print("profiling the ingest ...", flush=True)
        profile = spawn("profile", csv, workdir / "out" / "profile", args.rows)
    section = markdown_section(summary, profile)
    print()
    print(section)
    if not args.no_record:
        append_results(section)
        print(f"recorded in {RESULTS_PATH}")


if __name__ == "__main__":
    main()
