"""Ingest orchestration: source files in, committed Parquet and provenance out.

For each source file: copy it once into this command's staging folder and
read only the copy (:mod:`totalplace.ingest.snapshot`); for each text source
in it (a zip may hold several): skip it if its SHA-256 is already committed,
find its dialect and column map, parse it in a private in-memory DuckDB, stage
Parquet in the staging folder, then commit all or nothing.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import duckdb

from totalplace import duck
from totalplace.errors import SourceError
from totalplace.ingest import limits as ingest_limits
from totalplace.ingest.checks import (
    LargeMoney,
    body_year_totals,
    large_payments,
    over_outturn,
    total_lines_pence,
    total_message,
)
from totalplace.ingest.datecolumns import with_day_dates
from totalplace.ingest.dates import PeriodRules, parse_year_start
from totalplace.ingest.dialect import sniff
from totalplace.ingest.filedate import (
    date_notes,
    financial_year_named,
    named_periods,
    single_period,
    undated_error,
)
from totalplace.ingest.infer import sample_rows
from totalplace.ingest.issues import FILE_WARNINGS
from totalplace.ingest.parse import ParseResult, SourceParser
from totalplace.ingest.roles import DATE_ROLES, Profile, map_columns
from totalplace.ingest.snapshot import read_once
from totalplace.ingest.sources import (
    MAX_ARCHIVE_BYTES,
    PreparedSource,
    Skipped,
    SkippedSheet,
    expand_folders,
    prepare,
)
from totalplace.workspace import ROW_TABLES, RemovedSource, Workspace, atomic_write

MAX_ISSUES_IN_REPORT = 100
# DuckDB's working memory for one file; beyond it, tables spill to tmp/.
INGEST_MEMORY_LIMIT = "1GB"


@dataclass
class FileReport:
    path: str
    status: str  # loaded, duplicate, failed, skipped (a workbook sheet with no payments)
    sha256: str | None = None
    publisher: str | None = None
    message: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_blank: int = 0
    amount_loaded_pence: int = 0
    amount_quarantined_pence: int = 0
    # the publisher's own total line(s), neither loaded nor quarantined money
    amount_publisher_total_pence: int = 0
    issue_counts: dict[str, int] = field(default_factory=dict)
    issues: list[dict[str, object]] = field(default_factory=list)
    column_map: dict[str, str] = field(default_factory=dict)
    # file-level warnings: {"slug": ..., "message": ...}, slugs from FILE_WARNINGS
    warnings: list[dict[str, str]] = field(default_factory=list)
    # how the file was read: mapping decisions, bodies, dates, totals (JSON-able)
    details: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class FileNotes:
    """What ingest decided about a file as a whole, gathered while it is read
    and stored with it in the catalog."""

    warnings: list[dict[str, str]] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)

    def warn(self, slug: str, message: str) -> None:
        if slug not in FILE_WARNINGS:
            raise KeyError(f"undeclared file warning {slug!r}: add it to FILE_WARNINGS")
        self.warnings.append({"slug": slug, "message": message})


@dataclass
class IngestReport:
    files: list[FileReport]

    @property
    def ok(self) -> bool:
        return all(f.status != "failed" for f in self.files)

    def to_dict(self) -> dict[str, object]:
        return {"files": [f.to_dict() for f in self.files]}


def find_profile(ws: Workspace, publisher: str | None, explicit: Path | None) -> Profile:
    if explicit is not None:
        return Profile.load(explicit)
    if publisher:
        for path in sorted(ws.profiles_dir.glob("*.toml")):
            prof = Profile.load(path)
            if prof.publisher and prof.publisher.casefold() == publisher.casefold():
                return prof
    return Profile()


def _rules(profile: Profile, ws: Workspace) -> PeriodRules:
    try:
        start = parse_year_start(profile.year_start)
    except ValueError as exc:
        raise SourceError(profile.source, str(exc)) from exc
    return PeriodRules(
        profile.period_calendar, profile.period_year or ws.config.year, start, profile.yyyypp
    )


def _engine(ws: Workspace) -> duckdb.DuckDBPyConnection:
    con = duck.connect(temp_directory=str(ws.tmp_dir / "duckdb"), memory_limit=INGEST_MEMORY_LIMIT)
    con.execute("SET preserve_insertion_order = true")
    return con


class _CtrlC:
    """Ctrl-C that stops the ingest before the next commit, even when it lands
    inside a DuckDB query (DuckDB checks for signals itself, and a query that
    finishes first would otherwise swallow it): the handler interrupts the
    running query and remembers; ``check`` raises before anything is committed."""

    def __init__(self) -> None:
        self.pressed = False
        self.con: duckdb.DuckDBPyConnection | None = None

    def handler(self, signum: int, frame: FrameType | None) -> None:
        self.pressed = True
        if self.con is None:
            raise KeyboardInterrupt
        self.con.interrupt()

    def check(self) -> None:
        if self.pressed:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only
            return
        previous = signal.signal(signal.SIGINT, self.handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


def ingest_source(
    ws: Workspace,
    src: PreparedSource,
    publisher: str | None,
    profile: Profile,
    committed: set[str],
    ctrl_c: _CtrlC | None = None,
    replace: bool = False,
    accept_large: bool = False,
) -> FileReport:
    replacing = src.sha256 in committed
    if replacing and not replace:
        return FileReport(
            src.display_path,
            "duplicate",
            sha256=src.sha256,
            message="same content already loaded; nothing done. Pass --replace to reload it "
            "with a new profile or publisher.",
        )
    notes = FileNotes()
    # what reading the file found: its encoding, line ends, the sheet of a workbook
    notes.details.update(src.details)
    for slug, message in src.warnings:
        notes.warn(slug, message)
    dialect = sniff(src.display_path, src.head, profile)
    sample = sample_rows(src.head, dialect.delimiter, dialect.header_line)
    # the month or quarter the file's name or title lines give: a check on its
    # dates, and the period of every row when no column dates them
    stated_all = named_periods(src.display_path, src.head, dialect.header_line)
    stated = single_period(stated_all)
    cmap = map_columns(src.display_path, dialect.headers, profile, rows=sample, require_date=False)
    cmap = with_day_dates(cmap, sample)
    undated = all(cmap.index(r) is None for r in DATE_ROLES)
    if undated and stated is None:
        raise undated_error(src.display_path, stated_all, cmap)
    notes.details["mapping"] = cmap.decisions
    for message in cmap.value_choices():
        notes.warn("column-chosen-by-values", message)
    named = publisher or profile.publisher
    if named is None and cmap.index("paying_body") is None:
        raise SourceError(
            src.display_path,
            "no paying body: the file has no body column. Pass --publisher NAME "
            "(e.g. --publisher 'Bradford Metropolitan District Council') or set publisher "
            "in a profile.",
        )
    staged = {t: ws.tmp_dir / f"{src.sha256}.{t}.parquet.tmp" for t in ROW_TABLES}
    con = _engine(ws)
    guard = ctrl_c or _CtrlC()
    guard.con = con
    try:
        parser = SourceParser(con)
        result: ParseResult = parser.parse(
            text_path=src.text_path,
            line_delim=src.line_delim,
            physical_lines=src.physical_lines,
            crlf=src.crlf,
            dialect=dialect,
            cmap=cmap,
            file_id=src.sha256,
            display_path=src.display_path,
            publisher=named,
            date_order=profile.date_order,
            rules=_rules(profile, ws),
            out=staged,
            named=stated,
            named_year=None
            if stated
            else financial_year_named(src.display_path, src.head, dialect.header_line),
        )
        first_issues = [
            {
                "file": r[0],
                "line": r[1],
                "slug": r[2],
                "severity": r[3],
                "field": r[4],
                "value": r[5],
                "message": r[6],
            }
            for r in con.execute(
                "SELECT file, line, slug, severity, field, value, message FROM issues "
                "ORDER BY line, slug LIMIT $n",
                {"n": MAX_ISSUES_IN_REPORT},
            ).fetchall()
        ]
        top_body = con.execute(
            "SELECT mode(paying_body) FROM classified WHERE status = 'loaded'"
        ).fetchone()
        # every paying body the file names (a council and its arm's-length bodies)
        notes.details["bodies"] = [
            {"body": str(b), "rows": int(n), "amount_pence": int(p)}
            for b, n, p in con.execute(
                "SELECT paying_body, count(*), coalesce(sum(amount_pence), 0) FROM classified "
                "WHERE status = 'loaded' GROUP BY paying_body ORDER BY 3 DESC, 1"
            ).fetchall()
        ]
        dates = date_notes(con, parser.period_reading, stated, undated=undated)
        amount_header = cmap.header("amount")
        large = large_payments(con, amount_header) + over_outturn(
            body_year_totals(con), amount_header
        )
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except duckdb.OutOfMemoryException as exc:
        # one file too big to read in the working memory fails alone
        raise SourceError(
            src.display_path,
            f"reading the file needed more than ingest's working memory ({INGEST_MEMORY_LIMIT}, "
            f"spilling to disk included): {str(exc).splitlines()[0]}. Split the file, or "
            "remove columns it does not need, and ingest the parts.",
        ) from exc
    finally:
        guard.con = None
        con.close()
    guard.check()
    _money_notes(src.display_path, result, large, accept_large, notes)
    _cell_notes(result, notes)
    for slug, message in dates.warnings:
        notes.warn(slug, message)
    if dates.details:
        notes.details["dates"] = dates.details
    file_publisher = named or (str(top_body[0]) if top_body and top_body[0] else "unknown")
    report = FileReport(
        src.display_path,
        "replaced" if replacing else "loaded",
        sha256=src.sha256,
        publisher=file_publisher,
        rows_read=result.rows_read,
        rows_loaded=result.rows_loaded,
        rows_quarantined=result.rows_quarantined,
        rows_blank=result.rows_blank,
        amount_loaded_pence=result.amount_loaded_pence,
        amount_quarantined_pence=result.amount_quarantined_pence,
        amount_publisher_total_pence=result.amount_publisher_total_pence,
        issue_counts=result.issue_counts,
        issues=first_issues,
        column_map=cmap.describe(),
        warnings=notes.warnings,
        details=notes.details,
    )
    commit = ws.replace_file if replacing else ws.commit_file
    commit(
        staged,
        {
            "file_id": src.sha256,
            "path": src.display_path,
            "publisher": file_publisher,
            "ingested_at": datetime.now(UTC).replace(tzinfo=None),
            "encoding": src.encoding,
            "delimiter": dialect.delimiter,
            "header_line": dialect.header_line,
            "column_map": json.dumps(cmap.describe()),
            "rows_read": result.rows_read,
            "rows_loaded": result.rows_loaded,
            "rows_quarantined": result.rows_quarantined,
            "rows_blank": result.rows_blank,
            "amount_loaded_pence": result.amount_loaded_pence,
            "amount_quarantined_pence": result.amount_quarantined_pence,
            "issue_counts": json.dumps(result.issue_counts),
            "warnings": json.dumps(notes.warnings),
            "details": json.dumps(notes.details),
        },
        attempt_message=f"{result.rows_loaded} of {result.rows_read} rows loaded",
    )
    committed.add(src.sha256)
    return report


def _money_notes(
    path: str,
    result: ParseResult,
    large: list[LargeMoney],
    accept_large: bool,
    notes: FileNotes,
) -> None:
    """Fail a file whose money is too large to be true unless the user accepted
    it (then record that on the file), and note the publisher's total."""
    if large and not accept_large:
        raise SourceError(
            path,
            "; ".join(x.message for x in large) + ". A mis-mapped column (an ID taken as the "
            "amount) or a misplaced decimal point gives figures like this: check the amount "
            "column. If the amounts are real, ingest again with --accept-large.",
        )
    if large:
        notes.details["accept_large"] = True
        for x in large:
            notes.warn("large-amount-accepted", x.message + " (accepted with --accept-large)")
    total = result.publisher_total
    if total is not None:
        notes.details["publisher_total"] = total
        if not total["matches"]:
            notes.warn("publisher-total-differs", total_message(total))


def _cell_notes(result: ParseResult, notes: FileNotes) -> None:
    """What reading the cells found about the file as a whole: money columns
    written with decimal commas, and day dates with impossible times of day."""
    if result.money_formats:
        notes.details["money_format"] = result.money_formats
        named = ", ".join(f'"{h}"' for h in result.money_formats)
        notes.warn("decimal-commas", f"{named} read with a decimal comma, as the values show")
    if result.impossible_times:
        times = result.impossible_times
        notes.details["impossible_times"] = times.to_dict()
        shown = ", ".join(f'"{x}"' for x in times.examples)
        notes.warn(
            "impossible-time",
            f"{times.rows} row(s) have a time of day no clock shows (such as {shown}); "
            "their day is read and the time ignored",
        )


def ingest_files(
    ws: Workspace,
    paths: Sequence[Path | Skipped],
    publisher: str | None = None,
    profile_path: Path | None = None,
    on_file: Callable[[FileReport], None] | None = None,
    on_start: Callable[[str], None] | None = None,
    replace: bool = False,
    accept_large: bool = False,
    max_archive_bytes: int | None = None,
    limits: ingest_limits.IngestLimits | None = None,
) -> IngestReport:
    """Ingest every path (a folder: the spend files under it); a failed file is
    reported and never stops the others. With ``replace``, a file whose content
    is already loaded is read again and put in place of the earlier load (see
    :meth:`Workspace.replace_file`). With ``accept_large``, a payment over £1bn
    or a total over the paying council's outturn is loaded and recorded on the
    file instead of failing it. A zip stops at ``max_archive_bytes`` unzipped.
    ``limits`` raises or lowers the line, column and sheet-row limits (see
    :mod:`totalplace.ingest.limits`). Either left out is taken from the
    workspace's ``[ingest]`` table, else the default."""
    paths = expand_folders(paths, ws.root)
    profile = find_profile(ws, publisher, profile_path)
    settings = ws.config.ingest
    if max_archive_bytes is None:
        max_archive_bytes = settings.archive_bytes() or MAX_ARCHIVE_BYTES
    limits = limits or ingest_limits.chosen(settings)
    with ingest_limits.applied(limits), ws.writing():
        return _ingest_locked(
            ws,
            paths,
            publisher,
            profile,
            on_file,
            on_start,
            replace,
            accept_large,
            max_archive_bytes,
        )


def _ingest_locked(
    ws: Workspace,
    paths: Sequence[Path | Skipped],
    publisher: str | None,
    profile: Profile,
    on_file: Callable[[FileReport], None] | None,
    on_start: Callable[[str], None] | None,
    replace: bool,
    accept_large: bool,
    max_archive_bytes: int = MAX_ARCHIVE_BYTES,
) -> IngestReport:
    """The ingest, under the workspace's writer lock: what is committed is read
    only once no other command can be adding to it."""
    committed = ws.committed_ids()
    ctrl_c = _CtrlC()
    with ctrl_c.installed():
        reports = _ingest_paths(
            ws,
            paths,
            publisher,
            profile,
            committed,
            ctrl_c,
            on_file,
            on_start,
            replace,
            accept_large=accept_large,
            max_archive_bytes=max_archive_bytes,
        )
    report = IngestReport(reports)
    ws.refresh_sources()
    write_report(ws)
    return report


def _ingest_paths(
    ws: Workspace,
    paths: Sequence[Path | Skipped],
    publisher: str | None,
    profile: Profile,
    committed: set[str],
    ctrl_c: _CtrlC,
    on_file: Callable[[FileReport], None] | None,
    on_start: Callable[[str], None] | None,
    replace: bool = False,
    accept_large: bool = False,
    max_archive_bytes: int = MAX_ARCHIVE_BYTES,
) -> list[FileReport]:
    reports: list[FileReport] = []
    for path in paths:
        try:
            # a private copy is hashed and parsed: a file changing meanwhile fails
            for src in read_once(prepare, path, ws.tmp_dir, profile, max_archive_bytes):
                if isinstance(src, SkippedSheet):  # a sheet, zip member or link not read
                    rep = FileReport(
                        src.display_path, "skipped", sha256=src.sha256, message=src.reason
                    )
                    # stored, so check and the saved report list it as ingest did
                    ws.record_attempt(src.display_path, src.sha256, "skipped", src.reason)
                    reports.append(rep)
                    if on_file:
                        on_file(rep)
                    continue
                if on_start:
                    on_start(src.display_path)
                try:
                    rep = ingest_source(
                        ws,
                        src,
                        publisher,
                        profile,
                        committed,
                        ctrl_c,
                        replace=replace,
                        accept_large=accept_large,
                    )
                except SourceError as exc:
                    rep = FileReport(
                        src.display_path,
                        "failed",
                        sha256=src.sha256,
                        message=exc.detail,
                        details={"failure": ingest_limits.failure_details(exc)},
                    )
                    ws.record_attempt(
                        src.display_path, src.sha256, "failed", exc.detail, rep.details
                    )
                finally:
                    _clean_tmp(ws, src)
                reports.append(rep)
                if on_file:
                    on_file(rep)
        except SourceError as exc:
            rep = FileReport(
                str(path),
                "failed",
                message=exc.detail,
                details={"failure": ingest_limits.failure_details(exc)},
            )
            ws.record_attempt(str(path), None, "failed", exc.detail, rep.details)
            reports.append(rep)
            if on_file:
                on_file(rep)
    return reports


def _clean_tmp(ws: Workspace, src: PreparedSource) -> None:
    for p in ws.tmp_dir.glob(f"{src.sha256}*"):
        p.unlink(missing_ok=True)
    if src.text_path.parent == ws.tmp_dir:
        src.text_path.unlink(missing_ok=True)
    for p in ws.tmp_dir.glob("zip-*"):
        p.unlink(missing_ok=True)


def workspace_report(ws: Workspace) -> IngestReport:
    """The ingest report of the workspace: every committed file, then files whose
    latest attempt failed, then inputs whose latest attempt was not read."""
    files: list[FileReport] = []
    with ws.catalog(read_only=True) as con:
        for row in con.execute(
            "SELECT path, file_id, publisher, rows_read, rows_loaded, rows_quarantined, "
            "rows_blank, amount_loaded_pence, amount_quarantined_pence, issue_counts, "
            "column_map, warnings, details FROM files ORDER BY ingested_at, path"
        ).fetchall():
            files.append(
                FileReport(
                    row[0],
                    "loaded",
                    sha256=row[1],
                    publisher=row[2],
                    rows_read=row[3],
                    rows_loaded=row[4],
                    rows_quarantined=row[5],
                    rows_blank=row[6],
                    amount_loaded_pence=row[7],
                    amount_quarantined_pence=row[8],
                    amount_publisher_total_pence=total_lines_pence(json.loads(row[12] or "{}")),
                    issue_counts=json.loads(row[9]),
                    column_map=json.loads(row[10]),
                    warnings=json.loads(row[11] or "[]"),
                    details=json.loads(row[12] or "{}"),
                )
            )
        # then each input whose latest try failed (with its typed reason) or was
        # not read (a sheet with no payments, a zip member or a link, with why)
        for path, file_id, status, message, details in con.execute(
            """SELECT path, file_id, status, message, details FROM (
                   SELECT path, file_id, status, message, details,
                          row_number() OVER (PARTITION BY path ORDER BY attempted_at DESC) AS k
                   FROM attempts WHERE status IN ('loaded', 'failed', 'skipped', 'removed'))
               WHERE k = 1 AND status IN ('failed', 'skipped')
               ORDER BY status, path"""
        ).fetchall():
            files.append(
                FileReport(
                    path,
                    status,
                    sha256=file_id,
                    message=message or "",
                    details=json.loads(details or "{}"),
                )
            )
    return IngestReport(files)


def remove_source(ws: Workspace, source: str) -> RemovedSource:
    """Take one source out of the store (see :meth:`Workspace.remove_source`)
    and rewrite the ingest report without it."""
    with ws.writing():
        removed = ws.remove_source(source)
        write_report(ws)
    return removed


def write_report(ws: Workspace) -> None:
    atomic_write(ws.report_path, json.dumps(workspace_report(ws).to_dict(), indent=2) + "\n")
