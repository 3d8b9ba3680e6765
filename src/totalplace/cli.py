"""The ``totalplace`` command: thin commands that parse, call the library and render.

Exit codes: 0 when every file loaded (quarantined rows allowed), 1 when any
file failed, 2 for usage errors (bad options, wrong or missing workspace), 3
for a fault in totalplace itself (an exception no code meant to raise): it
asks for a report, and never passes for "a file failed".
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from totalplace import console
from totalplace.errors import TotalPlaceError
from totalplace.ingest.limits import LIMITS
from totalplace.money import pounds

if TYPE_CHECKING:
    from totalplace.ingest.limits import IngestLimits
    from totalplace.ingest.pipeline import FileReport, IngestReport
    from totalplace.store.integrity import StoreCheck
    from totalplace.store.repair import RepairReport
    from totalplace.workspace import Workspace

# Each command imports what it needs when it runs: ingest (pyarrow and the
# readers), the workspace (DuckDB) and the analyses (Ibis, pandas) cost more to
# load than a one-line command such as ``topdown --place`` takes to run.

USAGE_EXIT = console.USAGE_EXIT
INTERNAL_EXIT = 3


class _Commands(TyperGroup):
    """Every command runs inside one edge: an exception that is not one of
    totalplace's own errors is a fault in totalplace, reported as such (exit 3,
    a request for a report), never a traceback mistaken for a failed file."""

    def invoke(self, ctx: Any) -> Any:
        as_json = "--json" in ctx.args
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except TotalPlaceError as exc:  # a command that forgot to catch its own error
            raise _fail(exc, as_json) from exc
        except BrokenPipeError as exc:
            raise _reader_gone() from exc
        except Exception as exc:
            raise _internal(exc, as_json) from exc


def _reader_gone() -> typer.Exit:
    """Whoever read the output stopped (``totalplace ingest --help | head``): not
    a fault; nothing more is written, and the exit is the shell's for a closed
    pipe (128 + SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return typer.Exit(128 + 13)


def _internal(exc: Exception, as_json: bool) -> typer.Exit:
    message = (
        f"internal error: {type(exc).__name__}: {exc}. This is a fault in totalplace, not in "
        f"your data or options: please report it to the maintainers with the command you "
        "ran and the traceback (run again with TOTALPLACE_TRACEBACK=1 to show it)."
    )
    if as_json:
        print(json.dumps({"error": {"type": "InternalError", "message": message}}, indent=2))
    else:
        err.print(Text("error:", style="bold red"), message, highlight=False, soft_wrap=True)
    if os.environ.get("TOTALPLACE_TRACEBACK"):
        traceback.print_exception(exc, file=sys.stderr)
    return typer.Exit(INTERNAL_EXIT)


app = typer.Typer(
    cls=_Commands,
    help="Count all the public money flowing into a place, and trace every pound.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out, err = console.out, console.err
_fail = console.fail


def _short(path: str) -> str:
    """``folder/file.csv`` (or ``folder/file.zip!member``): full paths are in --json."""
    outer, _, member = path.partition("!")
    p = Path(outer)
    name = f"{p.parent.name}/{p.name}" if p.parent.name else p.name
    return f"{name}!{member}" if member else name


def _bodies_line(path: str, bodies: list[object]) -> str:
    """``leeds.csv: 6 paying bodies: A (1,234 rows, £x), ...`` (largest first)."""
    parts = [
        f"{b['body']} ({int(b['rows']):,} rows, {pounds(int(b['amount_pence']))})"
        for b in bodies
        if isinstance(b, dict)
    ]
    return f"{_short(path)}: {len(parts)} paying bodies: {', '.join(parts)}"


def render_report(report: IngestReport, console: Console) -> None:
    from totalplace.ingest.checks import total_message

    if not report.files:
        console.print("nothing ingested yet: totalplace ingest DIR FILE...", highlight=False)
        return
    table = Table(title="Ingest report", show_lines=False)
    for col, justify in [
        ("file", "left"),
        ("publisher", "left"),
        ("status", "left"),
        ("read", "right"),
        ("loaded", "right"),
        ("quarantined", "right"),
        ("blank", "right"),
        ("amount loaded", "right"),
        ("amount quarantined", "right"),
        ("issues", "left"),
    ]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for f in report.files:
        colour = {
            "loaded": "green",
            "replaced": "green",
            "duplicate": "yellow",
            "failed": "red",
            "skipped": "dim",  # a sheet with no payments, a zip member or link not read
        }[f.status]
        issues = ", ".join(f"{k} {v}" for k, v in sorted(f.issue_counts.items()))
        table.add_row(
            _short(f.path),
            f.publisher or "",
            Text(f.status, style=colour),
            f"{f.rows_read:,}",
            f"{f.rows_loaded:,}",
            f"{f.rows_quarantined:,}",
            f"{f.rows_blank:,}",
            pounds(f.amount_loaded_pence),
            pounds(f.amount_quarantined_pence),
            issues if f.status in ("loaded", "replaced") else f.message.splitlines()[0],
        )
    console.print(table)
    for f in report.files:
        bodies = f.details.get("bodies")
        if isinstance(bodies, list) and len(bodies) > 1:
            line = _bodies_line(f.path, bodies)
            console.print(Text("bodies:", style="cyan"), line, highlight=False)
    for f in report.files:
        # a total that differs is a file warning (below), which gives the difference
        total = f.details.get("publisher_total")
        if isinstance(total, dict) and total.get("matches"):
            console.print(
                Text("total:", style="green"),
                f"{_short(f.path)}: {total_message(total)}",
                highlight=False,
            )
        for w in f.warnings:
            console.print(
                Text("warning:", style="yellow"),
                f"{_short(f.path)}: {w['message']} [{w['slug']}]",
                highlight=False,
            )
    for f in report.files:
        if f.status == "failed":
            console.print(Text("failed:", style="red"), f"{f.path}\n{f.message}\n", highlight=False)
    loaded = [f for f in report.files if f.status in ("loaded", "replaced")]
    replaced = sum(f.status == "replaced" for f in report.files)
    skipped = sum(f.status == "skipped" for f in report.files)
    # a sheet has its own content hash; a zip member or link not read has none
    sheets = sum(f.status == "skipped" and f.sha256 is not None for f in report.files)
    console.print(
        f"{len(loaded) - replaced} loaded, "
        + (f"{replaced} replaced, " if replaced else "")
        + f"{sum(f.status == 'duplicate' for f in report.files)} duplicate, "
        f"{sum(f.status == 'failed' for f in report.files)} failed"
        + (f", {sheets} sheet(s) skipped (no payments)" if sheets else "")
        + (f", {skipped - sheets} input(s) not read (see above)" if skipped > sheets else "")
        + "; "
        f"{sum(f.rows_loaded for f in loaded):,} rows and "
        f"{pounds(sum(f.amount_loaded_pence for f in loaded))} loaded, "
        f"{sum(f.rows_quarantined for f in loaded):,} rows quarantined.",
        highlight=False,
    )


def _place_codes(spec: str, year: str | None = None) -> tuple[list[str], str]:
    """GSS codes as given (any well-formed code, known or not), else the codes of
    a preset or a named authority from the registry, with its name; an authority
    since abolished is accepted by name for a ``year`` it existed in."""
    from totalplace.config import parse_place

    try:
        return parse_place(spec), ""
    except TotalPlaceError:
        from totalplace.config import check_year
        from totalplace.reference.places import resolve_place

        try:
            checked: str | None = check_year(year) if year else None
        except TotalPlaceError:
            checked = None  # the workspace reports the bad year
        found = resolve_place(spec, checked)
        return list(found.codes), found.name


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")],
    place: Annotated[
        str,
        typer.Option(
            help="GSS code(s) of the place, comma-separated (E08000025), an authority's "
            "name, or a preset such as pilot:birmingham."
        ),
    ],
    year: Annotated[str, typer.Option(help="Financial year, e.g. 2010-11.")],
    name: Annotated[str, typer.Option(help="A label for the study.")] = "",
) -> None:
    """Create a workspace for one place and year."""
    from totalplace.workspace import Workspace

    try:
        codes, label = _place_codes(place, year)
        ws = Workspace.create(directory, codes, year, name or label)
    except TotalPlaceError as exc:
        raise _fail(exc) from exc
    out.print(
        f"workspace {ws.root} for {','.join(ws.config.place)} {ws.config.year}",
        highlight=False,
    )


# an ingest limit option's help: what happens past it and where else it is set
_LIMIT_HELP = " Past it the file fails. Default: the key in the workspace's [ingest] table."


@app.command()
def ingest(
    directory: Annotated[Path, typer.Argument(help="The workspace.")],
    files: Annotated[
        list[Path],
        typer.Argument(help="Spend files (.csv, .zip or .xlsx), or folders holding them."),
    ],
    publisher: Annotated[
        str | None,
        typer.Option(help="Paying body, for files with no body column (e.g. 'Bradford MDC')."),
    ] = None,
    profile: Annotated[
        Path | None, typer.Option(help="A mapping profile (TOML) for these files.")
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Reload files already loaded (same content) with this --publisher or "
            "--profile, in place of the earlier load; the history keeps both.",
        ),
    ] = False,
    accept_large: Annotated[
        bool,
        typer.Option(
            "--accept-large",
            help="Load a payment over £1bn, or payments over the paying council's whole "
            "annual outturn, when they are real (recorded on the file); otherwise such a "
            "file fails.",
        ),
    ] = False,
    max_archive_size: Annotated[
        str | None,
        typer.Option(
            help="Most a zip (with the zips inside it) may unpack to, e.g. 8GiB or 500MB; "
            "past it the zip fails before it fills the disk. Default: max_archive_size in "
            "the workspace's [ingest] table, else 2GiB.",
        ),
    ] = None,
    max_line_bytes: Annotated[
        int | None,
        typer.Option(min=1, help=LIMITS["max_line_bytes"].help + _LIMIT_HELP),
    ] = None,
    max_columns: Annotated[
        int | None, typer.Option(min=1, help=LIMITS["max_columns"].help + _LIMIT_HELP)
    ] = None,
    max_sheet_rows: Annotated[
        int | None, typer.Option(min=1, help=LIMITS["max_sheet_rows"].help + _LIMIT_HELP)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Load published spend files into the workspace: each row loaded or quarantined."""
    from totalplace.ingest.limits import archive_option
    from totalplace.ingest.limits import chosen as chosen_limits
    from totalplace.ingest.pipeline import ingest_files
    from totalplace.workspace import Workspace

    try:
        ws = Workspace.open(directory)
        # each option given wins over the workspace's [ingest] table, then the default
        limits = chosen_limits(
            ws.config.ingest,
            max_line_bytes=max_line_bytes,
            max_columns=max_columns,
            max_sheet_rows=max_sheet_rows,
        )
        cap = None if max_archive_size is None else archive_option(max_archive_size)
        if as_json or not sys.stderr.isatty():
            report = ingest_files(
                ws,
                files,
                publisher,
                profile,
                replace=replace,
                accept_large=accept_large,
                max_archive_bytes=cap,
                limits=limits,
            )
        else:
            report = _ingest_with_progress(
                ws,
                files,
                publisher,
                profile,
                replace,
                accept_large,
                max_archive_bytes=cap,
                limits=limits,
            )
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    _finish(report, as_json)


def _finish(report: IngestReport, as_json: bool, store: StoreCheck | None = None) -> None:
    """Print the report (JSON or a table) and exit 0, or 1 if any file failed
    (or, from ``check``, any table file is missing, truncated or changed)."""
    if as_json:
        data = report.to_dict()
        print(json.dumps(data if store is None else {**data, "store": store.to_dict()}, indent=2))
    else:
        render_report(report, out)
        if store is not None:
            render_store(store, out)
    raise typer.Exit(0 if report.ok and (store is None or store.ok) else 1)


def _ingest_with_progress(
    ws: Workspace,
    files: list[Path],
    publisher: str | None,
    profile: Path | None,
    replace: bool,
    accept_large: bool = False,
    max_archive_bytes: int | None = None,
    limits: IngestLimits | None = None,
) -> IngestReport:
    from totalplace.ingest.pipeline import ingest_files
    from totalplace.ingest.sources import expand_folders

    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        found = expand_folders(files, ws.root)
        task = progress.add_task("ingesting", total=len(found))

        def step(rep: FileReport) -> None:
            # a zip may hold several sources, so the total can grow
            done = progress.tasks[0].completed + 1
            progress.update(
                task, completed=done, total=max(done, len(found)), description=Path(rep.path).name
            )

        def start(path: str) -> None:
            progress.update(task, description=f"reading {_short(path)}")

        return ingest_files(
            ws,
            found,
            publisher,
            profile,
            on_file=step,
            on_start=start,
            replace=replace,
            accept_large=accept_large,
            **({} if max_archive_bytes is None else {"max_archive_bytes": max_archive_bytes}),
            limits=limits,
        )


@app.command()
def check(
    directory: Annotated[Path, typer.Argument(help="The workspace.")],
    history: Annotated[
        bool,
        typer.Option(
            "--history", help="List every load, replacement and removal instead, oldest first."
        ),
    ] = False,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Also compare every table file's SHA-256 (reads them all)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Show the workspace's ingest report and check its table files (sizes and
    stamps; checksums too with --verify), or with --history every change."""
    from totalplace.ingest.pipeline import workspace_report
    from totalplace.workspace import Workspace

    try:
        ws = Workspace.open(directory)
        report = workspace_report(ws)
        events = ws.history() if history else []
        store = ws.check_tables(verify=verify)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if not history:
        _finish(report, as_json, store)
    if as_json:
        print(json.dumps({"history": events}, indent=2))
        return
    render_history(events, out)


def render_store(store: StoreCheck, console: Console) -> None:
    """One line when the table files are as committed; else each problem and the repair."""
    how = "sizes, stamps and SHA-256" if store.verified else "sizes and stamps"
    if store.unrecorded:
        console.print(
            f"store: {store.unrecorded} table files were stored before sizes and stamps were "
            f"kept and cannot be checked; record them with `totalplace repair {store.root} "
            "--apply`.",
            highlight=False,
            soft_wrap=True,
        )
    if store.ok:
        console.print(f"store: {store.tables} table files checked ({how}): as committed")
        return
    console.print(
        Text(f"store: {len(store.problems)} of {store.tables} table files damaged", style="red")
    )
    for p in store.problems:
        console.print(f"  {p.kind}: {p.message}", highlight=False, soft_wrap=True)
    console.print(
        "count and classify refuse this store. Set the damaged sources aside with "
        f"`totalplace repair {store.root} --apply`, then ingest them again.",
        highlight=False,
        soft_wrap=True,
    )


def render_history(events: list[dict[str, Any]], console: Console) -> None:
    if not events:
        console.print("nothing ingested yet: totalplace ingest DIR FILE...", highlight=False)
        return
    table = Table(title="History")
    for col in ("changed at", "action", "file", "sha256", "publisher", "rows", "amount"):
        table.add_column(col, justify="right" if col in ("rows", "amount") else "left")
    for e in events:
        publisher = str(e["publisher"])
        before = e["previous_publisher"]
        if e["action"] == "replaced" and before != publisher:
            publisher = f"{before} -> {publisher}"
        table.add_row(
            str(e["changed_at"]),
            str(e["action"]),
            _short(str(e["path"])),
            str(e["file_id"])[:12],
            publisher,
            f"{e['rows_loaded']:,}",
            pounds(int(e["amount_loaded_pence"])),
        )
    console.print(table)


@app.command()
def remove(
    directory: Annotated[Path, typer.Argument(help="The workspace.")],
    source: Annotated[
        str,
        typer.Argument(
            help="The source: its path as ingested, its file name, or at least 6 characters "
            "of its SHA-256 (`totalplace check DIR` lists them)."
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was removed as JSON.")
    ] = False,
) -> None:
    """Take a loaded source out of the store, all or nothing; the history keeps what it was."""
    from totalplace.ingest.pipeline import remove_source
    from totalplace.workspace import Workspace

    try:
        removed = remove_source(Workspace.open(directory), source)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"removed": removed.to_dict()}, indent=2))
        return
    out.print(
        f"removed {removed.path} ({removed.publisher}): {removed.rows_loaded:,} rows, "
        f"{pounds(removed.amount_loaded_pence)}. The next `totalplace count {directory}` "
        "leaves it out.",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def repair(
    directory: Annotated[Path, typer.Argument(help="The workspace.")],
    apply: Annotated[
        bool, typer.Option("--apply", help="Do it; without --apply, only list what it would do.")
    ] = False,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Find changed table files by SHA-256, not size alone."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the steps as JSON.")] = False,
) -> None:
    """Find what a crash or damage left in the store and, with --apply, mend it:
    remove debris no load owns, restore table files the catalog lost, rebuild a
    missing or unreadable catalog from the table files, and set damaged sources
    aside to ingest again. Nothing a running command owns is touched."""
    from totalplace.ingest.pipeline import write_report
    from totalplace.workspace import Workspace

    try:
        ws = Workspace.for_repair(directory)
        result = ws.repair(apply=apply, verify=verify)
        if apply:
            write_report(ws)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    render_repair(result, out)


def render_repair(result: RepairReport, console: Console) -> None:
    for step in result.steps:
        console.print(f"{step.action}: {step.path}: {step.reason}", highlight=False, soft_wrap=True)
    n = len(result.changes)
    if not n:
        console.print("nothing to repair.")
    elif result.applied:
        aside = f"; set aside in {result.set_aside_dir}" if result.set_aside_dir else ""
        console.print(f"repaired: {n} change(s) made{aside}.", highlight=False)
    else:
        console.print(f"{n} change(s) to make: run again with --apply to make them.")


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo (recreated).")] = Path(
        "demo"
    ),
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboard when built.")
    ] = True,
    port: Annotated[int, typer.Option(help="Port for the dashboard on 127.0.0.1.")] = 8000,
    network: Annotated[
        bool,
        typer.Option(
            "--network",
            help="Also build a second place and a two-place network (DIR/network) with its "
            "comparison report (DIR/network/report.html, and .pdf with Chromium).",
        ),
    ] = False,
) -> None:
    """Generate a synthetic place, ingest and count it, then serve its dashboard
    (Ctrl-C stops it; --no-serve stops after the count)."""
    from totalplace import demo as demo_mod

    try:
        if serve:  # a port in use is said before a minute is spent building
            from totalplace.web.serve import check_port

            check_port("127.0.0.1", port)
        report, ws = demo_mod.run_demo(directory)
    except TotalPlaceError as exc:
        raise _fail(exc) from exc
    render_report(report, out)
    from totalplace.render import render_count
    from totalplace.report.run import count_workspace

    try:
        result, paths = count_workspace(ws)
    except TotalPlaceError as exc:
        raise _fail(exc) from exc
    out.print()
    render_count(result, out)
    out.print(f"\nworkspace: {ws.root}\nworkbook: {paths[1]}", highlight=False)
    from totalplace.place_report import write_report
    from totalplace.place_report.pdf import find_chromium

    pdf = paths[1].parent / "report.pdf" if find_chromium() else None
    try:
        made = write_report(ws.root, paths[1].parent / "report.html", pdf)
    except TotalPlaceError as exc:
        raise _fail(exc) from exc
    out.print(f"report: {made['html']}" + (f", {made['pdf']}" if made["pdf"] else
              " (no PDF: Chromium is not installed)"), highlight=False)  # fmt: skip
    if (ws.root / "people" / "extracts").is_dir():
        from totalplace.families.place import link_workspace

        out.print("linking the demo's person-level extracts (Splink)...", highlight=False)
        try:
            linked = link_workspace(ws.root)
        except TotalPlaceError as exc:
            raise _fail(exc) from exc
        people = len(set(linked.clusters.column("person_id").to_pylist()))
        out.print(f"{linked.clusters.num_rows:,} records linked into {people:,} people; "
                  f"next: totalplace families {ws.root}", highlight=False)  # fmt: skip
    cell = max(result.lines, key=lambda x: x.pence)
    out.print(
        f'next: totalplace trace {ws.root} --agency "{cell.agency}" --theme {cell.theme}',
        highlight=False,
    )
    if network:
        from totalplace.network.demo import build_demo_network, write_demo_report

        out.print("building a second place, Eastmoor, and a network...", highlight=False)
        try:
            net = build_demo_network(directory, ws.root)
            compared = write_demo_report(net)
        except TotalPlaceError as exc:
            raise _fail(exc) from exc
        out.print(f"network: {net.root}; next: totalplace network compare {net.root}",
                  highlight=False)  # fmt: skip
        out.print(f"network report: {compared['html']}" + (
            f", {compared['pdf']} ({compared['pages']} pages)" if compared["pdf"]
            else " (no PDF: Chromium is not installed)"), highlight=False)  # fmt: skip
    if not report.ok or not serve:
        raise typer.Exit(0 if report.ok else 1)
    from totalplace.web.serve import serve as run_server

    out.print(f"\nthe dashboard: http://127.0.0.1:{port}/ (Ctrl-C stops it)", highlight=False)
    out.file.flush()  # the address is shown before the server starts, piped or not
    try:
        run_server(ws.root, "127.0.0.1", port)
    except TotalPlaceError as exc:
        raise _fail(exc) from exc


@app.command()
def topdown(
    year: Annotated[str, typer.Option(help="Financial year, 2004-05 to 2017-18.")],
    place: Annotated[
        str | None,
        typer.Option(help="GSS code(s), a name, or a preset such as pilot:birmingham."),
    ] = None,
    all_places: Annotated[
        bool,
        typer.Option("--all", help="Every current English authority at once (not with --place)."),
    ] = False,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="With --all: write one row per authority to this CSV file."),
    ] = None,
    current_only: Annotated[
        bool, typer.Option("--current-only", help="Leave out capital spending.")
    ] = False,
    keys: Annotated[
        Path | None, typer.Option(help="Apportionment keys (TOML) replacing the defaults.")
    ] = None,
    sites: Annotated[
        Path | None,
        typer.Option(help="Site-specific lines (TOML) replacing the shipped table."),
    ] = None,
    outturn: Annotated[
        bool,
        typer.Option(help="Use councils' Revenue Outturn for local government where it exists."),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the count as JSON.")] = False,
) -> None:
    """The top-down count: HM Treasury's regional spending apportioned to a place,
    or with --all to every current English authority in one run."""
    from totalplace.config import check_year
    from totalplace.errors import ConfigError

    if all_places == (place is not None) or (csv_path is not None and not all_places):
        why = "give --place PLACE or --all (not both)" if not csv_path else "--csv needs --all"
        raise _fail(ConfigError(f"topdown: {why}"), as_json)
    if all_places:
        _topdown_all(year, current_only, keys, sites, outturn, csv_path, as_json)
        return
    assert place is not None
    from totalplace.count.topdown import topdown as count_topdown
    from totalplace.reference.places import resolve_place

    try:
        checked = check_year(year)
        result = count_topdown(
            resolve_place(place, checked),
            checked,
            current_only=current_only,
            keys_path=keys,
            sites_path=sites,
            use_outturn=outturn,
        )
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    from totalplace.render import render_topdown

    render_topdown(result, out)


def _topdown_all(
    year: str,
    current_only: bool,
    keys: Path | None,
    sites: Path | None,
    outturn: bool,
    csv_path: Path | None,
    as_json: bool,
) -> None:
    from totalplace.config import check_year
    from totalplace.count.national import check_csv_path, national, write_csv

    try:
        if csv_path is not None:
            check_csv_path(csv_path)
        result = national(
            check_year(year),
            current_only=current_only,
            keys_path=keys,
            sites_path=sites,
            use_outturn=outturn,
        )
        if csv_path is not None:
            write_csv(result, csv_path)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    from totalplace.render import render_national

    render_national(result, out)
    if csv_path is not None:
        out.print(f"wrote {len(result.places)} authorities to {csv_path}", highlight=False)


@app.command()
def neighbours(
    place: Annotated[str, typer.Argument(help="A current authority: GSS code or name.")],
    n: Annotated[int, typer.Option("--n", min=1, help="How many neighbours to list.")] = 15,
    members: Annotated[
        Path | None,
        typer.Option(
            "--list",
            help="Your own neighbour list (one GSS code or name a line): "
            "shown with each one's distance instead of the nearest.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """The authorities most like a place (CIPFA-style nearest neighbours): described
    by population, density, age, growth and deprivation, never by spending."""
    from totalplace.reference.neighbours import LABELS, from_list, nearest, read_list

    try:
        chosen = read_list(members) if members is not None else None
        found = from_list(place, chosen) if chosen is not None else nearest(place, n)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(found.to_dict(), indent=2))
        return
    how = "your list" if found.method == "your list" else f"{len(found.neighbours)} nearest"
    table = Table(title=f"{found.place.name} ({found.place.gss}): {how}, {found.place.tier}")
    for column in ("#", "authority", "GSS", "distance", "closest on"):
        table.add_column(column, justify="right" if column in ("#", "distance") else "left")
    for rank, x in enumerate(found.neighbours, start=1):
        closest = ", ".join(LABELS[c] for c in x.closest_on)
        table.add_row(str(rank), x.name, x.gss, f"{x.distance:.3f}", closest)
    out.print(table)
    out.print(
        "Distance: weighted Euclidean distance of z-scores within the tier (0 is identical); "
        "'closest on' names the indicators on which the two are most alike.",
        highlight=False,
    )


@app.command()
def classify(
    directory: Annotated[Path, typer.Argument(help="The workspace.")],
    engine: Annotated[
        str, typer.Option(help="Where the rules run: duckdb (embedded) or spark (local mode).")
    ] = "duckdb",
    top: Annotated[int, typer.Option(min=0, help="Unclassified labels shown per publisher.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    model: Annotated[
        bool, typer.Option(help="Classify what no rule does with the learned fallback.")
    ] = True,
    shipped_labels: Annotated[
        bool,
        typer.Option(
            "--shipped-labels/--no-shipped-labels",
            help="The model also learns from the shipped labels of the shared spend files "
            "when fewer than three publishers here have rule-classified rows.",
        ),
    ] = True,
    time_limit: Annotated[
        float | None,
        typer.Option(
            help="Seconds the rules' query may run before it is stopped (default: 600 on "
            "duckdb, 1800 on spark).",
        ),
    ] = None,
) -> None:
    """Classify spend rows to themes with the rules, and report coverage per publisher."""
    from totalplace.classify import classify_workspace
    from totalplace.classify.coverage import render_coverage, render_model_review
    from totalplace.classify.timelimit import applied
    from totalplace.workspace import Workspace

    try:
        with applied(time_limit):
            report = classify_workspace(
                Workspace.open_intact(directory),
                engine=engine,
                top=top,
                model=model,
                shipped_training=shipped_labels,
            )
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    render_coverage(report.by_publisher, out)
    render_model_review(report.model, out, top)
    out.print(
        f"{report.rules} rules; rows and their rules in {report.classified_path}",
        highlight=False,
    )


@app.command("case")
def case_command(
    file: Annotated[Path, typer.Argument(help="The case file (TOML).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the case as JSON.")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write an Excel workbook.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the case as one HTML page (offline).")
    ] = None,
    draws: Annotated[int, typer.Option(min=0, help="Monte Carlo draws (0: none).")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed for the Monte Carlo draws.")] = 20_100_315,
    max_draws: Annotated[
        int, typer.Option(min=0, help="Most --draws allowed, checked before any is made.")
    ] = 1_000_000,
    cashable_only: Annotated[
        bool, typer.Option("--cashable-only", help="Gain share on cashable savings only.")
    ] = False,
    partners: Annotated[
        str | None, typer.Option(help="Gain share among these agencies, comma-separated.")
    ] = None,
    cash_limits: Annotated[
        Path | None,
        typer.Option(
            "--cash-limits", help="Gain share within yearly cash limits (TOML of pounds by year)."
        ),
    ] = None,
    unit_costs: Annotated[
        Path | None, typer.Option("--unit-costs", help="Your own unit costs (CSV).")
    ] = None,
) -> None:
    """An invest-to-save business case: NPV, benefit-cost ratio, payback, who pays, who saves."""
    from totalplace.case import appraise, load_case
    from totalplace.case.render import render_case, render_cash_flows

    try:
        appraisal = appraise(load_case(file, unit_costs), draws, seed, max_draws)
        split = None
        if cashable_only or partners or cash_limits:
            from totalplace.case.partners import gain_share

            split = gain_share(
                appraisal.result,
                partners=partners.split(",") if partners else None,
                cashable_only=cashable_only,
                cash_limits=cash_limits,
            )
        if xlsx is not None:
            from totalplace.case.workbook import write_workbook

            write_workbook(xlsx, appraisal)
        if html is not None:
            from totalplace.case.page import write_case_page

            write_case_page(html, appraisal, split)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        data = appraisal.to_dict()
        if split is not None:
            from dataclasses import asdict

            data["gain_share"] = asdict(split)
        print(json.dumps(data, indent=2))
        return
    render_case(appraisal, out)
    if split is not None:
        how = split.method if split.feasible else f"not feasible: {split.reason}"
        out.print(f"gain share: {how}", highlight=False)
        case = appraisal.result.case
        labels = [case.year_label(t) for t in range(case.years)]
        render_cash_flows(split.cash_flows, labels, out)


@app.command("unit-costs")
def unit_costs_command(
    search: Annotated[
        str | None, typer.Argument(help="Words to find in a code or description.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a list of objects.")] = False,
    extra: Annotated[
        Path | None, typer.Option("--unit-costs", help="Your own unit costs (CSV) too.")
    ] = None,
) -> None:
    """The Unit Cost Database entries a case can use: code, description, unit, value, year."""
    from totalplace.money import display_pounds
    from totalplace.reference import unit_costs as db

    try:
        table = db.unit_costs(extra)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    found = db.search(search or "", table)
    if as_json:
        print(json.dumps([db.listing(c) for c in found], indent=2))
        return
    if not found:
        near = ", ".join(c.code for c in db.nearest(search or "", table)) or "none"
        out.print(f"no unit cost matches {search!r}; the nearest codes: {near}", highlight=False)
        return
    grid = Table(title=f"{len(found):,} of {len(table):,} unit costs", show_lines=False)
    for col in ("code", "description", "unit", "fiscal", "economic", "social", "year", "source"):
        grid.add_column(col, justify="right" if col in ("fiscal", "economic", "social") else "left")
    for c in found:
        money = [
            "" if v is None else display_pounds(round(v * 100))
            for v in (c.fiscal, c.economic, c.social)
        ]
        grid.add_row(c.code, c.description, c.unit, *money, c.price_year, c.original_source)
    out.print(grid)


@app.command("synth-people")
def synth_people(
    directory: Annotated[Path, typer.Argument(help="Workspace folder.")],
    people: Annotated[int, typer.Option(help="Residents of the synthetic place.")] = 2000,
    seed: Annotated[int, typer.Option(help="The same seed gives the same place.")] = 16,
    scenario: Annotated[
        str, typer.Option(help="westminster (40 families planted), or none.")
    ] = "westminster",
    link: Annotated[
        bool, typer.Option("--link/--no-link", help="Link the extracts with Splink after.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Write a synthetic place's person-level extracts and events into DIR/people."""
    from totalplace.families.place import link_workspace, write_synthetic
    from totalplace.workspace import Workspace

    try:
        ws = Workspace.open(directory)
        place = write_synthetic(ws.root, people, seed, None if scenario == "none" else scenario)
        linked = link_workspace(ws.root) if link else None
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    found = {
        "people": place.people,
        "records": place.records,
        "events": place.events.num_rows,
        "extracts": {s: t.num_rows for s, t in place.extracts.items()},
        "linked_people": (
            len(set(linked.clusters.column("person_id").to_pylist())) if linked else None
        ),
    }
    if as_json:
        print(json.dumps(found, indent=2))
        return
    out.print(
        f"{found['people']:,} people, {found['records']:,} records, {found['events']:,} events "
        f"in {ws.root / 'people'}",
        highlight=False,
    )
    if linked is not None:
        out.print(f"linked into {found['linked_people']:,} people", highlight=False)


@app.command()
def families(
    directory: Annotated[Path, typer.Argument(help="Workspace folder.")],
    price_year: Annotated[str, typer.Option(help="Prices of this year (deflators).")] = "2014-15",
    person_level: Annotated[
        bool, typer.Option("--person-level", help="Also the most expensive families.")
    ] = False,
    top: Annotated[int, typer.Option(help="How many families with --person-level.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Families known to the agencies: contacts and cost by agency and year, paths,
    Westminster's illustration and resident voice, with small counts withheld."""
    from totalplace.families.place import families_report
    from totalplace.workspace import Workspace

    try:
        ws = Workspace.open(directory)
        threshold = int(ws.config.disclosure_threshold)
        report = families_report(ws.root, threshold, price_year, person_level, top)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(report, indent=2))
        return
    _render_families(report, threshold)


def _render_families(report: dict[str, Any], threshold: int) -> None:
    def n(value: int | None) -> str:
        return f"fewer than {threshold}" if value is None else f"{value:,}"

    def p(value: int | None) -> str:
        return "withheld" if value is None else pounds(value)

    out.print(
        f"{report['families']:,} families, {report['people']:,} people, "
        f"{report['contacts']:,} contacts costing {pounds(report['pence'])} "
        f"at {report['price_year']} prices",
        highlight=False,
    )
    out.print(
        f"known to three or more agencies: {n(report['known_to_three_or_more'])} families, "
        f"{p(report['known_to_three_or_more_pence'])}",
        highlight=False,
    )
    grid = Table(title="By agency and year (families, contacts, cost)")
    for col in ("agency", "year", "families", "contacts", "cost"):
        grid.add_column(col, justify="left" if col in ("agency", "year") else "right")
    for r in report["by_agency_year"]["rows"]:
        contacts = "withheld" if r["contacts"] is None else f"{r['contacts']:,}"
        grid.add_row(r["agency"], r["year"], n(r["families"]), contacts, p(r["pence"]))
    out.print(grid)
    w = report["westminster"]
    out.print(
        f"Westminster's illustration: {n(w['families_extreme_asb'])} families with "
        f"{w['asb_incidents_a_year']} or more anti-social behaviour incidents in a year, "
        f"{n(w['likely_care_proceedings'])} likely to need care proceedings at "
        f"{pounds(w['cost_each_pence'])} each: {p(w['cost_pence'])}",
        highlight=False,
    )
    for path in report["common_paths"][:5]:
        out.print(f"{' -> '.join(path['path'])}: {path['families']:,} families", highlight=False)
    for f in report.get("most_expensive", []):
        out.print(f"{f['family']}: {pounds(f['pence'])}, {', '.join(f['agencies'])}")
    notes = []
    linkage = report.get("linkage")
    if linkage:
        out.print(
            f"linked: {n(linkage['records'])} records into {n(linkage['people'])} people "
            f"(match probability {linkage['threshold']}, {linkage['engine']})",
            highlight=False,
        )
        notes += linkage["training_notes"]
        notes += [f"{s['source']}: {w}" for s in linkage["sources"] for w in s["warnings"]]
    if report.get("unlinked_events"):
        notes.append(
            f"contacts naming a record the linkage does not hold: {report['unlinked_events']:,}; "
            "they are in no family's cost: link the extract that holds them"
        )
    for code, count in report.get("unpriced_codes", {}).items():
        notes.append(f"contacts with unit-cost code {code}, which has no price: {count:,}")
    if report.get("ignored_columns"):
        notes.append(f"columns of the events file not read: {', '.join(report['ignored_columns'])}")
    for note in notes:
        out.print(Text("warning:", style="yellow"), note, highlight=False)


@app.command()
def resolve(
    directory: Annotated[Path | None, typer.Argument(help="The workspace.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    review_only: Annotated[
        bool, typer.Option("--review-only", help="List only the names waiting for review.")
    ] = False,
    evaluate: Annotated[
        Path | None,
        typer.Option(help="Score resolution on a labelled CSV (name,file,body_id,note) instead."),
    ] = None,
) -> None:
    """Resolve supplier names and paying bodies to public bodies; list those to review."""
    from dataclasses import asdict

    from totalplace.orgs.resolve import evaluate as score
    from totalplace.orgs.resolve import resolve_workspace
    from totalplace.workspace import Workspace

    try:
        if evaluate is not None:
            ev = score(evaluate)
            if as_json:
                print(json.dumps({**asdict(ev), "precision": ev.precision, "recall": ev.recall}))
                return
            out.print(
                f"{ev.labelled} labelled names, {ev.public} public bodies: "
                f"precision {ev.precision:.3f} ({ev.tp} of {ev.tp + ev.fp} accepted), "
                f"recall {ev.recall:.3f}; {ev.review} sent to review",
                highlight=False,
            )
            return
        if directory is None:
            raise TotalPlaceError("give a workspace folder, or --evaluate FILE")
        result = resolve_workspace(Workspace.open(directory))
    except TotalPlaceError as exc:
        raise _fail(exc) from exc
    shown = [(r, role) for r, role in result.resolutions if r.status == "review" or not review_only]
    if as_json:
        items = [{**asdict(r), "role": role} for r, role in shown]
        print(json.dumps({"path": str(result.path), "counts": result.counts(), "names": items}))
        return
    table = Table(title="Names to review" if review_only else "Resolved names")
    for col in ("name", "role", "status", "body", "kind", "confidence", "method"):
        table.add_column(col)
    for r, role in shown:
        if review_only or r.status != "rejected":
            body = r.body_id or ""
            table.add_row(
                r.name,
                role,
                r.status,
                body,
                r.kind or "",
                f"{r.confidence:.2f}",
                r.method,
            )
    out.print(table)
    counts = result.counts()
    out.print(
        ", ".join(f"{n} {s}" for s, n in counts.items()) + f"; written to {result.path}",
        highlight=False,
    )


@app.command()
def count(
    directory: Annotated[Path, typer.Argument(help="The workspace.")],
    engine: Annotated[str, typer.Option(help="Query engine: duckdb or spark.")] = "duckdb",
    as_json: Annotated[bool, typer.Option("--json", help="Print the count as JSON.")] = False,
    gross: Annotated[
        list[str] | None,
        typer.Option(
            "--gross",
            help="Count this body gross from its own payments (repeatable; any name or code "
            "the organisation registry knows; needs a full year of its files).",
        ),
    ] = None,
) -> None:
    """The Total Place count: all public money in the place, by agency and theme,
    with the workbook, CSV/Parquet and Fiscal Data Package in DIR/reports."""
    from totalplace.report.run import count_workspace
    from totalplace.workspace import Workspace

    try:
        result, paths = count_workspace(Workspace.open_intact(directory), engine, gross or ())
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        from totalplace.method import method_version

        data = result.to_dict()
        data.pop("lines")
        data["method_version"] = method_version(directory)  # as count.json has it
        print(json.dumps({**data, "reports": [str(p) for p in paths]}, indent=2))
        return
    from totalplace.render import render_count

    render_count(result, out)
    out.print("written: " + ", ".join(str(p) for p in paths), highlight=False, soft_wrap=True)


@app.command()
def reconcile(
    year: Annotated[str, typer.Option(help="Financial year to count, e.g. 2008-09.")],
    figure: Annotated[
        list[str] | None,
        typer.Option(help="A published figure's id (repeatable): birmingham, cumbria, pilots."),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the README's table instead.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The top-down count beside each published Total Place figure, with the scope
    choices and lines that make the difference."""
    from totalplace.config import check_year
    from totalplace.count.reconcile import markdown as as_markdown
    from totalplace.count.reconcile import reconcile as run_reconcile

    try:
        recs = run_reconcile(check_year(year), figure or ())
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"year": year, "figures": [r.to_dict() for r in recs]}, indent=2))
        return
    if markdown:
        print(as_markdown(recs), end="")
        return
    for r in recs:
        data = r.to_dict()
        out.print(
            f"{r.published.label} {year}: this tool {pounds(r.pence)} for {r.population:,} "
            f"people against {pounds(r.published.pence)} published ({data['ratio']:.1%}); "
            f"{pounds(r.unexplained_pence)} of the difference beyond 10% unexplained",
            highlight=False,
            soft_wrap=True,
        )
        out.print(f"  source: {r.published.document}", highlight=False, soft_wrap=True)
        for a in r.adjustments:
            out.print(
                f"  {a.name}: {pounds(a.pence)} (explains {pounds(a.attributed_pence)}); "
                f"from {a.source}",
                highlight=False,
                soft_wrap=True,
            )
        for x in r.lines:
            out.print(
                f"  {x.place} | {x.department} | {x.programme} | {x.subfunction} | key {x.key}: "
                f"{pounds(x.pence)}; by population {pounds(x.population_share_pence)}",
                highlight=False,
                soft_wrap=True,
            )


@app.command()
def benchmark(
    directory: Annotated[
        Path | None, typer.Argument(help="A workspace: its place and year (else --place, --year).")
    ] = None,
    place: Annotated[str | None, typer.Option(help="A council: GSS code or name.")] = None,
    year: Annotated[str | None, typer.Option(help="Financial year, e.g. 2017-18.")] = None,
    neighbours: Annotated[
        str | None, typer.Option(help="Comma-separated councils to compare with instead.")
    ] = None,
    prices: Annotated[str | None, typer.Option(help="Real terms at this year's prices.")] = None,
    indicator: Annotated[
        list[str] | None, typer.Option(help="An outcome indicator id (repeatable; default all).")
    ] = None,
    reports: Annotated[
        Path | None, typer.Option(help="Folder for the files (default DIR/reports or ./reports).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the benchmark as JSON.")] = False,
) -> None:
    """Spend per head against neighbours, region and England, and spend against
    outcome (quadrants, funnel plots): CSV, HTML charts and benchmark.xlsx."""
    from totalplace.config import check_year
    from totalplace.errors import ConfigError
    from totalplace.report.benchmark import benchmark as run_benchmark
    from totalplace.report.benchmark_files import summary_lines, write_benchmark
    from totalplace.workspace import Workspace

    try:
        folder = reports
        if directory is not None:
            ws = Workspace.open(directory)
            place = place or ws.config.place[0]
            year = year or ws.config.year
            folder = folder or ws.root / "reports"
        if not place or not year:
            raise ConfigError("give a workspace DIR, or both --place and --year")
        given = [n.strip() for n in (neighbours or "").split(",") if n.strip()]
        data = run_benchmark(place, check_year(year), given, prices, indicator or ())
        paths = write_benchmark(folder or Path("reports"), data)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({**data, "reports": [str(p) for p in paths]}, indent=2))
        return
    for line in summary_lines(data):
        out.print(line, highlight=False, soft_wrap=True)
    out.print("written: " + ", ".join(str(p) for p in paths), highlight=False, soft_wrap=True)


@app.command()
def trace(
    directory: Annotated[Path, typer.Argument(help="The workspace.")],
    agency: Annotated[
        str, typer.Option(help="Agency: the count's name or any name the registry knows.")
    ],
    theme: Annotated[str, typer.Option(help="Theme id, as the count names it.")],
    limit: Annotated[int, typer.Option(help="Largest source rows to list.")] = 20,
    engine: Annotated[str, typer.Option(help="Query engine: duckdb or spark.")] = "duckdb",
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON.")] = False,
) -> None:
    """Drill one cell of the count down to its source rows or apportionment keys."""
    from totalplace.count.cube import build_count
    from totalplace.count.trace import trace as trace_cell
    from totalplace.workspace import Workspace

    try:
        ws = Workspace.open(directory)
        count = build_count(ws, engine)
        result = trace_cell(ws, count, agency, theme, limit, engine)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    agency = result.agency  # the count's name for the body asked for
    if not result.lines and not as_json:
        themes = sorted({x.theme for x in count.lines if x.agency == agency})
        agencies = sorted({x.agency for x in count.lines if x.theme == theme})
        hint = (
            f"{agency}'s themes: {', '.join(themes)}"
            if themes
            else f"agencies with theme {theme}: {', '.join(agencies)}"
            if agencies
            else "neither the agency nor the theme is in the count"
        )
        if result.nearest:
            hint += f"; the count's nearest agency names: {'; '.join(result.nearest)}"
        err.print(
            f"no line of the count has agency {agency!r} and theme {theme!r}; {hint}",
            highlight=False,
        )
        raise typer.Exit(1)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
        raise typer.Exit(0 if result.lines else 1)
    from totalplace.money import pounds as fmt

    out.print(f"{agency} / {theme}: {fmt(result.pence)}", highlight=False)
    for why in result.basis:  # no spend row stands behind these: say where they come from
        out.print(why, highlight=False)
    lines = Table(title="lines")
    for col in ("method", "£", "source", "flags"):
        lines.add_column(col)
    for line in result.lines:
        lines.add_row(
            line["method"],
            fmt(line["pence"]),
            line["source"],
            "; ".join(line["flags"]),
        )
    out.print(lines)
    if result.rows_total:
        rows = Table(
            title=f"{len(result.rows)} largest of {result.rows_total:,} rows "
            f"({fmt(result.rows_pence)})"
        )
        for col in ("file", "line", "supplier", "date", "£", "rule"):
            rows.add_column(col)
        for r in result.rows:
            rows.add_row(
                _short(r.path),
                str(r.line),
                r.supplier or "",
                r.date or "",
                fmt(r.pence),
                "model" if r.classified_by == "model" else r.rule_id or "",
            )
        out.print(rows)


@app.command()
def opportunities(
    directory: Annotated[Path, typer.Argument(help="The workspace (counted).")],
    mark: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--mark",
            metavar="ID STATUS",
            help="Mark an opportunity accepted, rejected or parked (open clears the mark).",
        ),
    ] = None,
    note: Annotated[str, typer.Option(help="A note kept with --mark.")] = "",
    engine: Annotated[str, typer.Option(help="Query engine: duckdb or spark.")] = "duckdb",
    as_json: Annotated[bool, typer.Option("--json", help="Print the register as JSON.")] = False,
) -> None:
    """The opportunity register: shared suppliers, duplicated activity, back office
    and more, ranked by money at stake, with DIR/reports/opportunities.csv and .xlsx."""
    from totalplace.errors import ConfigError
    from totalplace.opportunities.marks import set_mark
    from totalplace.opportunities.register import (
        register_and_left_out,
        with_marks,
        write_register,
    )
    from totalplace.report.count_file import read_count
    from totalplace.workspace import Workspace

    try:
        if note and mark is None:
            raise ConfigError("--note is kept with a mark: give --mark ID STATUS too")
        ws = Workspace.open(directory)
        items, left_out = register_and_left_out(ws, read_count(ws.root), engine)
        if mark is not None:
            oid, status = mark
            if oid not in {x.id for x in items}:
                near = [x.id for x in items if x.id.startswith(oid.split("-")[0] + "-")][:5]
                raise ConfigError(
                    f"no opportunity {oid!r} in {ws.root}'s register"
                    + (f"; ids of that kind: {', '.join(near)}" if near else "")
                    + " (run `totalplace opportunities DIR` to list them)"
                )
            set_mark(ws, oid, status, note)
            items = with_marks(ws.root, items)
        paths = write_register(ws.root, items)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        listed = [x.to_dict() for x in items]
        print(json.dumps({"opportunities": listed, "left_out": left_out,
                          "reports": [str(p) for p in paths]}, indent=2, default=str))  # fmt: skip
        return
    table = Table(title=f"{len(items)} opportunities, largest first")
    for col in ("id", "kind", "£ at stake", "confidence", "agencies", "status"):
        table.add_column(col)
    for x in items:
        status = x.status + (f": {x.note}" if x.note else "")
        table.add_row(
            x.id, x.kind, pounds(x.value_pence), x.confidence, "; ".join(x.agencies), status
        )
    out.print(table)
    if left_out["count"]:
        out.print(
            f"left out, each worth under {pounds(left_out['under_pounds'] * 100)} "
            f"([register] min_value_pounds): {left_out['count']:,}, "
            f"{pounds(left_out['value_pence'])} in all",
            highlight=False,
        )
    out.print("written: " + ", ".join(str(p) for p in paths), highlight=False, soft_wrap=True)


@app.command()
def grants(
    files: Annotated[list[Path], typer.Argument(help="360Giving files (JSON or CSV).")],
    place: Annotated[
        str | None, typer.Option(help="Only grants to this place (GSS code or name).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Grants from 360Giving data per funder and theme, for a place with --place;
    every row is loaded or refused with its reason."""
    from totalplace.ingest.giving360 import read_grants
    from totalplace.report.grants import summarise

    try:
        summary = summarise([read_grants(f) for f in files], place)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    from totalplace.classify.taxonomy import theme_label

    where = summary["place"]["name"] or "all places"
    out.print(
        f"{where}: {summary['grants']:,} grants, {pounds(summary['pence'])}, from "
        f"{summary['funders']:,} funders in {summary['funding_streams']:,} funding streams",
        highlight=False,
    )
    table = Table(title="By funder and theme")
    for col in ("funder", "theme", "grants", "£"):
        table.add_column(col, justify="right" if col in ("grants", "£") else "left")
    for name, f in list(summary["by_funder"].items())[:50]:
        for theme, cell in f["themes"].items():
            label = theme_label(theme) if theme != "unclassified" else "unclassified"
            table.add_row(name, label, f"{cell['grants']:,}", pounds(cell["pence"]))
    out.print(table)
    for f in summary["files"]:
        out.print(
            f"{f['path']}: {f['loaded']:,} of {f['rows']:,} rows loaded, {f['refused']:,} "
            "refused" + "".join(f"\n  row {r['row']}: {r['reason']}" for r in f["refusals"][:20]),
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def link(
    files: Annotated[list[Path], typer.Argument(help="Person-level extracts (CSV or Parquet).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for clusters.csv and the rest.")],
    id_column: Annotated[
        str | None, typer.Option(help="The record id column (else the header synonyms' guess).")
    ] = None,
    engine: Annotated[str, typer.Option(help="duckdb (default) or spark.")] = "duckdb",
    threshold: Annotated[
        float, typer.Option(help="Match probability at which two records are one person.")
    ] = 0.9,
    profile: Annotated[
        Path | None, typer.Option(help='A TOML [columns] table of role = "header".')
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Link person records within and across agencies' extracts with Splink (no labels
    needed); writes clusters.csv, households.csv, refused.csv, model.json, report.html."""
    from totalplace.link import link_records
    from totalplace.link.columns import load_profile, source_names

    try:
        mapping = load_profile(profile) if profile is not None else None
        result = link_records(
            dict(source_names(files)), out_dir, engine, threshold, id_column, profile=mapping
        )
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    summary = {k: v for k, v in result.details.items() if k != "match_weights"}
    summary["out"] = str(out_dir)
    summary["refusals"] = [r.__dict__ for r in result.refused[:20]]
    if as_json:
        summary["match_weights"] = result.details.get("match_weights", [])
        print(json.dumps(summary, indent=2, default=str))
        return
    out.print(
        f"{summary['records']:,} records linked into {summary['people']:,} people in "
        f"{summary['households']:,} households; {summary['refused']:,} refused "
        f"(threshold {threshold}); written to {out_dir}",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(title="Sources")
    for col in ("source", "rows", "linked", "refused", "columns"):
        table.add_column(col, justify="right" if col in ("rows", "linked", "refused") else "left")
    for s in summary["sources"]:
        roles = ", ".join(f"{k}={v}" for k, v in s["columns"].items())
        table.add_row(s["source"], f"{s['rows']:,}", f"{s['linked']:,}", f"{s['refused']:,}", roles)
    out.print(table)
    for s in summary["sources"]:
        for w in s["warnings"]:
            out.print(
                Text("warning:", style="yellow"),
                f"{s['path'] or s['source']}: {w}",
                highlight=False,
            )
    for r in result.refused[:20]:
        out.print(f"  refused {r.source} {r.record_id}: {r.reason}", highlight=False)


@app.command()
def scenario(
    directory: Annotated[
        Path, typer.Argument(help="A counted workspace, or a count's JSON (count, topdown).")
    ],
    files: Annotated[list[Path], typer.Argument(help="Scenario files (TOML), side by side.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the scenarios as JSON.")] = False,
) -> None:
    """What stated changes (efficiency, shared back office, pooled budgets, a
    shift to prevention) are worth on the count: £, per head, lines, who gains."""
    from totalplace.errors import ConfigError
    from totalplace.opportunities.scenarios import count_of, load_scenario, run_scenario

    try:
        if directory.is_file():
            try:
                data = json.loads(directory.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{directory}: not a count's JSON ({exc})") from exc
        else:
            from totalplace.report.count_file import read_count
            from totalplace.workspace import Workspace

            data = read_count(Workspace.open(directory).root)
        count = count_of(data)
        results = [run_scenario(count, load_scenario(f)) for f in files]
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"scenarios": results}, indent=2))
        return
    out.print(
        f"{count.place.name or count.place.spec} {count.year}: count {pounds(count.total_pence)}",
        highlight=False,
    )
    table = Table(title="Scenarios side by side")
    table.add_column("")
    for r in results:
        table.add_column(r["name"], justify="right")
    rows = {
        "saving": [pounds(r["saving_pence"]) for r in results],
        "saving per head": [pounds(r["saving_per_head_pence"] or 0) for r in results],
        "moved to prevention": [pounds(r["moved_pence"]) for r in results],
        "pooled": [pounds(r["pooled_pence"]) for r in results],
        "lines affected": [f"{r['lines_affected']:,}" for r in results],
        "largest gain": [next(iter(r["gains_by_agency"]), "") for r in results],
    }
    for label, cells in rows.items():
        table.add_row(label, *cells)
    out.print(table)
    for r in results:
        for c in r["changes"]:
            out.print(f"{r['name']}: {c['description']}: {pounds(c['pence'])}", highlight=False)


def _count_json(source: Path) -> dict[str, Any]:
    """A count's JSON from a counted workspace or a JSON file (count, topdown)."""
    from totalplace.errors import ConfigError

    if source.is_file():
        try:
            data: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{source}: not a count's JSON ({exc})") from exc
        return data
    from totalplace.report.count_file import read_count
    from totalplace.workspace import Workspace

    return read_count(Workspace.open(source).root)


@app.command()
def prevention(
    counts: Annotated[
        list[Path], typer.Argument(help="Counted workspaces or counts' JSON, one per year.")
    ],
    points: Annotated[
        str, typer.Option(help="Percentage points shifted from acute to prevention.")
    ] = "1",
    as_json: Annotated[bool, typer.Option("--json", help="Print the split as JSON.")] = False,
) -> None:
    """Each theme's spending by prevention tier (the latest count), its acute share
    year by year, and the money a shift of POINTS from acute to prevention moves."""
    from decimal import Decimal, InvalidOperation

    from totalplace.errors import ConfigError
    from totalplace.opportunities.prevention import shift_pence, tier_split, trend
    from totalplace.opportunities.scenarios import count_of

    try:
        try:
            shift = Decimal(points)
        except InvalidOperation:
            shift = Decimal(-1)
        if not shift.is_finite() or not Decimal(0) <= shift <= 100:
            raise ConfigError(f"--points is {points!r}: give percentage points from 0 to 100")
        found = [count_of(_count_json(c)) for c in counts]
        places = sorted({c.place.spec for c in found})
        years = [c.year for c in found]
        if len(places) > 1 or len(set(years)) < len(years):
            raise ConfigError(
                "a trend needs one place's counts, one per year: got places "
                f"{', '.join(places)} and years {', '.join(years)}"
            )
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    latest = max(found, key=lambda c: c.year)
    split = [{**t.to_dict(), "shift_pence": shift_pence(t, shift)} for t in tier_split(latest)]
    by_year = trend(found)
    if as_json:
        print(json.dumps({"year": latest.year, "points": str(shift), "themes": split,
                          "trend": by_year}, indent=2))  # fmt: skip
        return
    from totalplace.classify.taxonomy import theme_label

    table = Table(title=f"{latest.place.name or latest.place.spec} {latest.year} by tier")
    for col in ("theme", "universal", "targeted", "acute", "acute share", f"{shift} pt moves"):
        table.add_column(col, justify="left" if col == "theme" else "right")
    for t in split:
        table.add_row(
            theme_label(t["theme"]),
            *(pounds(t["by_tier"].get(k, 0)) for k in ("universal", "targeted", "acute")),
            f"{Decimal(t['shares']['acute']) * 100:.1f}%",
            pounds(t["shift_pence"]),
        )
    out.print(table)
    if len(found) > 1:
        for theme, rows in by_year.items():
            shares = ", ".join(f"{r['year']} {Decimal(r['acute_share']) * 100:.1f}%" for r in rows)
            out.print(f"{theme_label(theme)} acute: {shares}", highlight=False)


@app.command()
def report(
    directory: Annotated[Path, typer.Argument(help="The workspace (counted).")],
    html: Annotated[Path, typer.Option("--html", help="Write the report's HTML here.")],
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="Also print it to this PDF (needs Chromium).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Say what was written as JSON.")] = False,
) -> None:
    """The place's Total Place report: summary, the count, themes, benchmarks,
    opportunities, business cases, barriers and asks, sources and method."""
    from totalplace.place_report import write_report

    try:
        done = write_report(directory, html, pdf)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(done, indent=2))
        return
    pages = f" ({done['pages']} pages)" if done["pages"] else ""
    out.print(f"{done['place']} {done['year']}: {done['html']}"
              + (f", {done['pdf']}{pages}" if done["pdf"] else ""), highlight=False)  # fmt: skip
    for name, part in done["parts"].items():
        if not part["available"]:
            out.print(f"{name}: {part['reason']}", highlight=False)


@app.command()
def serve(
    directory: Annotated[Path, typer.Argument(help="The workspace.")],
    host: Annotated[
        str, typer.Option(help="Address to listen on; any but loopback needs a user.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    require_login: Annotated[
        bool, typer.Option("--require-login", help="Ask for a login on loopback too.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print errors as JSON.")] = False,
) -> None:
    """The web dashboard and JSON API over the workspace's count (Ctrl-C stops it)."""
    from totalplace.web.serve import serve as run_server

    try:
        run_server(directory, host, port, require_login)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc


users_app = typer.Typer(help="Who may use the web dashboard.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    directory: Annotated[Path, typer.Argument(help="The workspace.")],
    name: Annotated[str, typer.Argument(help="The user's name.")],
    role: Annotated[str, typer.Option(help="viewer, analyst, caseworker or admin.")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Add a user (or change one's role and password); the password is asked for."""
    from totalplace.web.users import add_user
    from totalplace.workspace import Workspace

    try:
        ws = Workspace.open(directory)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        user = add_user(ws.root, name, role, password)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"user": {"name": user.name, "role": user.role}}, indent=2))
    else:
        out.print(f"{user.name} can log in as {user.role}", highlight=False)


@users_app.command("list")
def users_list(
    directory: Annotated[Path, typer.Argument(help="The workspace.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The dashboard's users and their roles."""
    from totalplace.web.users import list_users
    from totalplace.workspace import Workspace

    try:
        users = list_users(Workspace.open(directory).root)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"users": [{"name": u.name, "role": u.role} for u in users]}, indent=2))
        return
    for u in users:
        out.print(f"{u.name}\t{u.role}", highlight=False)
    if not users:
        out.print("no users: on 127.0.0.1 the dashboard needs no login", highlight=False)


profile_app = typer.Typer(help="Mapping profiles: draft one from a file.", no_args_is_help=True)
app.add_typer(profile_app, name="profile")


@profile_app.command("suggest")
def profile_suggest(
    file: Annotated[Path, typer.Argument(help="A spend file (CSV, XLSX or a zip of them).")],
    publisher: Annotated[
        str | None, typer.Option(help="The paying body, written into the profile.")
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write the profile here instead of stdout.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the suggestion as JSON.")] = False,
) -> None:
    """Write a draft mapping profile (TOML): each column's inferred role, confidence
    and five sample values, for you to check and edit."""
    from totalplace.ingest.suggest import suggest_profile

    try:
        suggestion = suggest_profile(file, publisher)
    except TotalPlaceError as exc:
        raise _fail(exc) from exc
    text = suggestion.toml()
    if out_path is not None:
        out_path.write_text(text, encoding="utf-8")
    if as_json:
        print(json.dumps(suggestion.to_dict(), indent=2, ensure_ascii=False))
    elif out_path is None:
        print(text, end="")
    else:
        out.print(f"wrote {out_path}", highlight=False)


barriers_app = typer.Typer(
    help="The barriers register: what helps and hinders joint working, and the asks "
    "of central government (totalplace barriers DIR add|list|update|export|import|asks).",
    no_args_is_help=True,
)
app.add_typer(barriers_app, name="barriers")
decisions_app = typer.Typer(
    help="The partnership's log of decisions (totalplace decisions DIR add|list).",
    no_args_is_help=True,
)
app.add_typer(decisions_app, name="decisions")
_Text = Annotated[str | None, typer.Option()]


_who = console.who


def _barrier_fields(**given: str | None) -> dict[str, str]:
    """The field options given, by field name (impact_pounds for --impact-pounds)."""
    return {k: v for k, v in given.items() if v is not None}


@barriers_app.callback()
def barriers_group(
    ctx: typer.Context, directory: Annotated[Path, typer.Argument(help="The workspace.")]
) -> None:
    ctx.obj = directory


@barriers_app.command("add")
def barriers_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="What helps or hinders, in a line.")],
    type_: Annotated[
        str,
        typer.Option(
            "--type",
            help="legislation, ring-fence, performance-regime, "
            "data-sharing, incentives, governance, culture or capacity.",
        ),
    ],
    owner: Annotated[str, typer.Option(help="Who can remove it: a local body or department.")],
    effect: Annotated[str, typer.Option(help="hinders (a barrier) or helps.")] = "hinders",
    theme: Annotated[str | None, typer.Option(help="A theme: its id or its name.")] = None,
    impact_pounds: Annotated[
        str | None, typer.Option(help="The money it affects, in exact pounds, where known.")
    ] = None,
    ask: Annotated[str | None, typer.Option(help="The ask of central government.")] = None,
    partners: Annotated[str | None, typer.Option(help="Partners affected: A,B (or A;B).")] = None,
    description: _Text = None,
    evidence: _Text = None,
    lines: Annotated[
        str | None, typer.Option(help="Count lines it affects: AGENCY:THEME;AGENCY:THEME.")
    ] = None,
    opportunities: Annotated[str | None, typer.Option(help="Opportunity ids: A,B.")] = None,
    who: Annotated[str | None, typer.Option(help="Who raises it (default: you).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the barrier as JSON.")] = False,
) -> None:
    """Raise a barrier (or an enabler, with --effect helps)."""
    from totalplace.culture import add_barrier
    from totalplace.workspace import Workspace

    fields = _barrier_fields(
        title=title, type=type_, owner=owner, effect=effect, theme=theme, ask=ask,
        impact_pounds=impact_pounds, partners=partners, description=description,
        evidence=evidence, lines=lines, opportunities=opportunities,
    )  # fmt: skip
    try:
        barrier = add_barrier(Workspace.open(ctx.obj), fields, who or _who())
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"barrier": barrier.to_dict()}, indent=2))
        return
    owner_text = barrier.owner.shown + (" (registry)" if barrier.owner.body_id else "")
    out.print(f"{barrier.id} raised: {barrier.title}; owner {owner_text}", highlight=False)


@barriers_app.command("list")
def barriers_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only barriers at this status.")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only this type.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the register as JSON.")] = False,
) -> None:
    """The register, oldest first, with each barrier's history under --json."""
    from totalplace.culture import read_register, select
    from totalplace.workspace import Workspace

    try:
        ws = Workspace.open(ctx.obj)
        chosen = select(read_register(ws.root), status, type_)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"barriers": [b.to_dict() for b in chosen]}, indent=2))
        return
    table = Table(title=f"{len(chosen)} barrier{'' if len(chosen) == 1 else 's'}")
    for col in ("id", "status", "type", "effect", "title", "owner", "theme", "£ impact", "ask"):
        table.add_column(col, justify="right" if col == "£ impact" else "left")
    for b in chosen:
        d = b.to_dict()
        impact = pounds(b.impact_pence) if b.impact_pence is not None else "not known"
        table.add_row(b.id, b.status, d["type_label"], b.effect, b.title, d["owner_name"],
                      d["theme_label"], impact, b.ask)  # fmt: skip
    out.print(table)


@barriers_app.command("update")
def barriers_update(
    ctx: typer.Context,
    barrier_id: Annotated[str, typer.Argument(metavar="ID", help="The barrier, e.g. B3.")],
    status: Annotated[
        str | None, typer.Option(help="raised, agreed, escalated, resolved or dropped.")
    ] = None,
    note: Annotated[str, typer.Option(help="Why, kept in the history.")] = "",
    title: _Text = None,
    type_: Annotated[str | None, typer.Option("--type")] = None,
    owner: _Text = None,
    effect: _Text = None,
    theme: _Text = None,
    impact_pounds: _Text = None,
    ask: _Text = None,
    partners: _Text = None,
    description: _Text = None,
    evidence: _Text = None,
    lines: _Text = None,
    opportunities: _Text = None,
    who: Annotated[str | None, typer.Option(help="Who makes the change (default: you).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the barrier as JSON.")] = False,
) -> None:
    """Move a barrier to another status and/or change its fields; every change is
    added to its history."""
    from totalplace.culture import update_barrier
    from totalplace.workspace import Workspace

    fields = _barrier_fields(
        title=title, type=type_, owner=owner, effect=effect, theme=theme, ask=ask,
        impact_pounds=impact_pounds, partners=partners, description=description,
        evidence=evidence, lines=lines, opportunities=opportunities,
    )  # fmt: skip
    try:
        ws = Workspace.open(ctx.obj)
        barrier = update_barrier(ws, barrier_id, who or _who(), status, note, fields)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"barrier": barrier.to_dict()}, indent=2))
        return
    last = barrier.history[-1]
    out.print(f"{barrier.id} is {barrier.status} (last change {last.when} by {last.who})",
              highlight=False)  # fmt: skip


@barriers_app.command("export")
def barriers_export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The CSV file to write.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Write the register to a CSV file, for a workshop's spreadsheet."""
    from totalplace.culture import export_csv
    from totalplace.workspace import Workspace

    try:
        n = export_csv(Workspace.open(ctx.obj).root, file)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"file": str(file), "barriers": n}, indent=2))
    else:
        out.print(f"wrote {n} barriers to {file}", highlight=False)


@barriers_app.command("import")
def barriers_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CSV file with the export's columns.")],
    who: Annotated[str | None, typer.Option(help="Who makes the changes (default: you).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Read a CSV back: a row with an id changes that barrier, one without adds a
    barrier; one bad row refuses the whole file and changes nothing."""
    from totalplace.culture import import_csv
    from totalplace.workspace import Workspace

    try:
        result = import_csv(Workspace.open(ctx.obj), file, who or _who())
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    out.print(
        f"{file}: {len(result.added)} added ({', '.join(result.added) or 'none'}), "
        f"{len(result.changed)} changed ({', '.join(result.changed) or 'none'}), "
        f"{result.unchanged} unchanged",
        highlight=False,
        soft_wrap=True,
    )


@barriers_app.command("asks")
def barriers_asks(
    ctx: typer.Context,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print as Markdown.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the asks as JSON.")] = False,
) -> None:
    """The open asks of central government, grouped by department, with the money
    at stake: what the pilots sent to the ministerial group."""
    from totalplace.culture import asks_by_department, asks_markdown, read_register
    from totalplace.workspace import Workspace

    try:
        ws = Workspace.open(ctx.obj)
        groups = asks_by_department(read_register(ws.root))
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        total = sum(g["pence"] for g in groups)
        print(json.dumps({"asks": groups, "pence": total}, indent=2))
        return
    if markdown:
        print(asks_markdown(groups, ws.config.name or ",".join(ws.config.place)), end="")
        return
    table = Table(title="Asks of central government by department")
    for col in ("department", "£ at stake", "asks", "without a figure", "ids"):
        table.add_column(col, justify="left" if col in ("department", "ids") else "right")
    for g in groups:
        ids = ", ".join(a["id"] for a in g["asks"])
        table.add_row(g["department"], pounds(g["pence"]), f"{len(g['asks']):,}",
                      f"{g['asks_without_figure']:,}", ids)  # fmt: skip
    out.print(table)


@decisions_app.callback()
def decisions_group(
    ctx: typer.Context, directory: Annotated[Path, typer.Argument(help="The workspace.")]
) -> None:
    ctx.obj = directory


@decisions_app.command("add")
def decisions_add(
    ctx: typer.Context,
    what: Annotated[str, typer.Option(help="What was decided.")],
    by: Annotated[str, typer.Option(help='Who decided: "A, B" (or "A; B").')],
    date: Annotated[str | None, typer.Option(help="When (YYYY-MM-DD; default today).")] = None,
    barrier: Annotated[str | None, typer.Option(help="The barrier it is about, e.g. B2.")] = None,
    who: Annotated[str | None, typer.Option(help="Who records it (default: you).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Record a partnership decision."""
    from totalplace.culture import add_decision
    from totalplace.workspace import Workspace

    try:
        ws = Workspace.open(ctx.obj)
        decision = add_decision(ws, what, by, who or _who(), date, barrier)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"decision": decision.to_dict()}, indent=2))
    else:
        out.print(f"{decision.id} recorded for {decision.date}", highlight=False)


@decisions_app.command("list")
def decisions_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the log as JSON.")] = False,
) -> None:
    """The decisions, in the order they were taken."""
    from totalplace.culture import read_decisions
    from totalplace.workspace import Workspace

    try:
        log = read_decisions(Workspace.open(ctx.obj).root)
    except TotalPlaceError as exc:
        raise _fail(exc, as_json) from exc
    if as_json:
        print(json.dumps({"decisions": [d.to_dict() for d in log]}, indent=2))
        return
    table = Table(title=f"{len(log)} decision{'' if len(log) == 1 else 's'}")
    for col in ("id", "date", "what", "by", "barrier"):
        table.add_column(col)
    for d in log:
        table.add_row(d.id, d.date, d.what, ", ".join(d.by), d.barrier)
    out.print(table)


# totalplace network: its commands live beside the network's code
from totalplace.network.cli import network_app  # noqa: E402

app.add_typer(network_app, name="network")


def main() -> None:
    try:
        app()
    except BrokenPipeError as exc:  # the reader went while the last lines were flushed
        raise _reader_gone() from exc
