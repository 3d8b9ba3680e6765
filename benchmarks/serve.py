"""Benchmark the dashboard under load: concurrent clients against the
Overview, a theme page and a drill-down page, with a static JSON endpoint as
the baseline, all in the same run.

Usage::

    .venv/bin/python benchmarks/serve.py [--rows N] [--clients C] [--seconds S]
                                         [--workdir DIR] [--no-record]

Builds (once, cached in the work folder) the count benchmark's workspace of N
synthetic transactions (the ingest benchmark's seeded generator, ingested with
``ingest_files``), counts it with ``count_workspace`` (cached too), then starts
``totalplace serve`` on a free loopback port in its own process, exactly as a
user would, and runs C client threads for S seconds.  Each client asks for the
four addresses in turn (starting at a different one), so every address is
measured under the same load:

* ``overview``: ``/``, the Overview page;
* ``theme``: ``/themes/THEME``, the largest theme's page;
* ``drill-down``: ``/drill?agency=A&theme=T``, the first page of the rows of the
  largest cell from payments (a query over every transaction of the year);
* ``baseline``: ``/api/openapi.json``, JSON the app builds once and then only
  sends: the cost of the server, the framework and the clients themselves.

A response other than 200, or no response in 30 s, is an error.  Prints a
markdown table (p50, p95 and p99 in milliseconds, each address's p95 over the
baseline's, requests and errors) and appends a dated section to
``benchmarks/RESULTS.md`` unless ``--no-record``.  Targets: p95 under 100 ms
for the Overview and a theme, under 300 ms for a drill-down page, no errors.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import count as count_bench  # noqa: E402  (the cached benchmark workspace)
import ingest as ingest_bench  # noqa: E402  (machine description)
from totalplace.workspace import Workspace  # noqa: E402

RESULTS_PATH = HERE / "RESULTS.md"
DEFAULT_ROWS = 10_000_000
DEFAULT_CLIENTS = 20
DEFAULT_SECONDS = 60.0
TIMEOUT_S = 30.0
# p95 targets in milliseconds; the baseline has none (it is the yardstick)
TARGETS_MS = {"overview": 100.0, "theme": 100.0, "drill-down": 300.0}
ORDER = ("overview", "theme", "drill-down", "baseline")
SOLO_REPEATS = 5


def counted(ws: Workspace) -> float | None:
    """Count the workspace unless a count of it is cached; the seconds the
    count took, or None when it was cached."""
    marker = ws.root / ".counted"
    if marker.exists() and (ws.root / "reports" / "count.json").exists():
        return None
    from totalplace.report.run import count_workspace

    print(f"counting {ws.root} ...", flush=True)
    start = time.perf_counter()
    count_workspace(ws)
    took = time.perf_counter() - start
    marker.write_text(f"{took:.1f}\n")
    return took


def addresses(ws: Workspace) -> dict[str, str]:
    """The four addresses, from the count: its largest theme, and its largest
    cell from payments (the drill-down with the most rows to sort)."""
    data = json.loads((ws.root / "reports" / "count.json").read_text())
    by_theme: dict[str, int] = defaultdict(int)
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for line in data["lines"]:
        by_theme[line["theme"]] += int(line["pence"])
        if line["method"] == "transactions":
            cells[(line["agency"], line["theme"])] += int(line["pence"])
    theme = max(by_theme, key=lambda t: by_theme[t])
    agency, cell_theme = max(cells, key=lambda c: cells[c])
    return {
        "overview": "/",
        "theme": f"/themes/{theme}",
        "drill-down": "/drill?" + urlencode({"agency": agency, "theme": cell_theme}),
        "baseline": "/api/openapi.json",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """``totalplace serve`` in its own process (its own interpreter and
    cores' worth of scheduling, as a user runs it), its log in a file."""

    def __init__(self, root: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "totalplace", "serve", str(root), "--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float = 120.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(self.url + "/api/openapi.json", timeout=5)
                return
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start; see {self.log.name}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@dataclass
class Tally:
    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.ms[name].append(ms)
            if error:
                self.errors[name].append(error)


def client(url: str, paths: dict[str, str], start: int, until: float, tally: Tally) -> None:
    import httpx

    names = list(paths)
    i = start
    with httpx.Client(base_url=url, timeout=TIMEOUT_S) as http:
        while time.monotonic() < until:
            name = names[i % len(names)]
            i += 1
            began = time.perf_counter()
            error = None
            try:
                response = http.get(paths[name])
                if response.status_code != 200:
                    error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            tally.add(name, (time.perf_counter() - began) * 1000, error)


def solo(url: str, paths: dict[str, str], repeats: int) -> dict[str, float]:
    """Each address asked for alone, one request at a time: the median
    milliseconds, what one user waits when no one else is asking."""
    import httpx

    out: dict[str, float] = {}
    with httpx.Client(base_url=url, timeout=120) as http:
        for name, path in paths.items():
            times = []
            for _ in range(repeats):
                began = time.perf_counter()
                http.get(path)
                times.append((time.perf_counter() - began) * 1000)
            out[name] = percentile(times, 50)
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile by the nearest-rank rule (no interpolation)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def run_load(url: str, paths: dict[str, str], clients: int, seconds: float) -> Tally:
    tally = Tally()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(url, paths, n, until, tally), daemon=True)
        for n in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + TIMEOUT_S + 10)
    return tally


def table(tally: Tally, seconds: float, alone: dict[str, float]) -> tuple[list[str], bool]:
    base95 = percentile(tally.ms["baseline"], 95)
    rows = [
        "| address | alone, p50 (ms) | requests | per second | p50 (ms) | p95 (ms) | p99 (ms) "
        "| p95 / baseline | errors | p95 target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    ok = True
    for name in ORDER:
        ms = tally.ms.get(name, [])
        if not ms:
            rows.append(f"| {name} | {alone.get(name, 0):.1f} | 0 | | | | | | | |")
            ok = False
            continue
        p50, p95, p99 = (percentile(ms, q) for q in (50, 95, 99))
        errors = len(tally.errors.get(name, []))
        target = TARGETS_MS.get(name)
        verdict = ""
        if target is not None:
            met = p95 < target and errors == 0
            ok = ok and met
            verdict = f"< {target:.0f} ms: {'PASS' if met else 'FAIL'}"
        ok = ok and errors == 0
        rows.append(
            f"| {name} | {alone.get(name, 0):.1f} | {len(ms):,} | {len(ms) / seconds:.1f} "
            f"| {p50:.1f} | {p95:.1f} "
            f"| {p99:.1f} | {p95 / base95:.1f}x | {errors} | {verdict} |"
        )
    return rows, ok


def section(
    rows: int,
    clients: int,
    seconds: float,
    paths: dict[str, str],
    tally: Tally,
    alone: dict[str, float],
    count_s: float | None,
    load: tuple[tuple[float, float, float], tuple[float, float, float]],
) -> str:
    m = ingest_bench.machine()
    now = datetime.now(UTC)
    lines, ok = table(tally, seconds, alone)
    kinds = sorted({e for errs in tally.errors.values() for e in errs})
    out = [
        f"## {now:%Y-%m-%d %H:%M} UTC: serve, {rows:,} transactions, "
        f"{clients} clients for {seconds:.0f} s",
        "",
        f"- Date: `{now:%a %b %d %H:%M:%S UTC %Y}`",
        f"- Machine: {m['arch']}, {m['nproc']} CPUs (nproc), {m['memory']} RAM, {m['cpu']}",
        f"- Software: Python {m['python']}, DuckDB {m['duckdb']}",
        "- Server: `totalplace serve` (one uvicorn process, access log on) on 127.0.0.1; "
        f"clients: {clients} threads with httpx in one other process on the same machine, "
        "each asking for the four addresses in turn.",
        "- Addresses: " + "; ".join(f"{k} `{v}`" for k, v in paths.items()),
        f"- Alone: each address asked for {SOLO_REPEATS} times by one client before the load "
        "(the median); then the clients together.",
        "- Load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.1f}" for x in load[0])
        + "; after: "
        + ", ".join(f"{x:.1f}" for x in load[1]),
        "- Count of the workspace: "
        + (f"{count_s:.0f} s" if count_s is not None else "cached from an earlier run"),
        "",
        *lines,
        "",
        f"- Targets (p95: overview and theme < 100 ms, drill-down < 300 ms; no errors): "
        f"{'PASS' if ok else 'FAIL'}" + (f"; errors seen: {', '.join(kinds)}" if kinds else ""),
    ]
    return "\n".join(out) + "\n\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--workdir", type=Path, default=HERE / ".work")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    ws = count_bench.workspace(args.workdir, args.rows)
    count_s = counted(ws)
    paths = addresses(ws)
    server = Server(ws.root, args.workdir / f"serve_{args.rows}.log")
    try:
        server.wait()
        import httpx

        for name, path in paths.items():  # warm up, and fail early on a missing page
            response = httpx.get(server.url + path, timeout=120)
            print(f"{name}: {path} -> {response.status_code}", flush=True)
        alone = solo(server.url, paths, SOLO_REPEATS)
        print("alone, p50 ms: " + json.dumps({k: round(v, 1) for k, v in alone.items()}))
        load_before = os.getloadavg()
        print(f"{args.clients} clients for {args.seconds:.0f} s ...", flush=True)
        tally = run_load(server.url, paths, args.clients, args.seconds)
        load_after = os.getloadavg()
    finally:
        server.stop()
    text = section(
        args.rows,
        args.clients,
        args.seconds,
        paths,
        tally,
        alone,
        count_s,
        (load_before, load_after),
    )
    print(text)
    if not args.no_record:
        with RESULTS_PATH.open("a", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
