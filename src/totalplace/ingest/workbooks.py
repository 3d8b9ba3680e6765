"""Every sheet of a workbook that holds payments, each read as its own source.

A year's workbook often has a sheet per month beside notes, pivot tables and
charts.  Each worksheet is written out as CSV (line N of the CSV is row N of
the sheet) and read when its first rows hold a header row the column mapping
recognises (found as for a CSV file, by :func:`dialect.sniff`: known column
names, or a header whose columns the mapping can fill from their values) and
at least one row below it.  Other sheets are listed as skipped with the
reason: a chart sheet, an empty sheet, no recognised header (notes, a
summary), a pivot table (its totals would count payments twice), or a header
with nothing under it.  When no sheet qualifies, the first sheet with rows is
read anyway, so the workbook fails with the usual header message rather than
loading nothing without a word.

Identity: the first sheet with rows keeps the workbook's own SHA-256, so a
workbook loaded before sheets were read one by one is still a duplicate; every
other sheet is identified by the SHA-256 of the workbook's bytes followed by
``!`` and the sheet's name.  Re-ingesting a workbook loads only the sheets not
loaded yet.

Limits and damage: a workbook whose XML declares a DOCTYPE is refused before
any of it is parsed (Excel never writes one; a DOCTYPE is how entity-expansion
attacks begin), a sheet over the ``max_sheet_rows`` limit or wider than
``max_columns`` fails the workbook, and a sheet the XML reader cannot read
fails the workbook with the reader's message, never the command.

The optional ``<dimension>`` element (absent from what streaming writers
write, and sometimes wrong, such as ``A1`` on a full sheet) is not trusted:
every row the sheet holds is read, and rows are padded to the widest row (or
to the dimension's width when that is wider, as before), so a sheet with a
correct dimension is written exactly as it was.

Numbers: Excel holds a number to 15 significant digits, so a cell typed as
1041.41 may be stored as the binary float 1041.4099999999999.  A float cell is
written as the shortest decimal that equals it at those 15 digits (1041.41),
which is what Excel shows; whole numbers and dates are written exactly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from totalplace.errors import SourceError, TotalPlaceError
from totalplace.ingest import limits
from totalplace.ingest.dialect import MIN_SCORE, sniff
from totalplace.ingest.infer import sample_rows
from totalplace.ingest.roles import Profile, header_score, map_columns

EXCEL_DIGITS = 15
PIVOT_VALUE = re.compile(r"^(sum|count|average|max|min|product) of ")
HEAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Sheet:
    name: str
    sha256: str
    csv_path: Path | None  # None when skipped
    skipped: str = ""  # why the sheet is not read as payments


def float_text(value: float) -> str:
    """The shortest decimal equal to ``value`` at Excel's 15 significant digits,
    without an exponent: 1041.4099999999999 -> '1041.41', 0.1 -> '0.1'."""
    return format(Decimal(format(value, f".{EXCEL_DIGITS}g")), "f")


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, int):
        return str(value)
    return " ".join(str(value).splitlines())


def sheet_id(workbook_sha256: str, workbook: bytes, name: str, first: bool) -> str:
    if first:
        return workbook_sha256
    return hashlib.sha256(workbook + b"!" + name.encode("utf-8")).hexdigest()


def read_sheets(
    path: Path, display: str, tmp_dir: Path, profile: Profile
) -> tuple[str, list[Sheet]]:
    """The workbook's SHA-256 and every sheet in order, each written to
    ``tmp_dir`` as CSV or marked skipped with the reason (its CSV then removed)."""
    import openpyxl

    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    refuse_doctype(path, display)
    try:
        # read from the bytes already in memory: a workbook openpyxl gives up on
        # half-way leaves no file handle open behind it
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise SourceError(display, f"not a readable workbook ({exc})") from exc
    staged: list[Path] = []
    try:
        worksheets = {ws.title for ws in wb.worksheets}
        # each sheet's CSV, staged under a name of its position until the ids are known
        rows: dict[str, tuple[Path, _Written]] = {}
        for i, ws in enumerate(wb.worksheets):
            part = tmp_dir / f"{digest}-{i}.xlsx.csv.part"
            staged.append(part)
            rows[ws.title] = (part, _read_sheet(ws, part, f"{display}!{ws.title}"))
        # the sheet read before every sheet was: its id stays the workbook's
        first = next((name for name, (_, w) in rows.items() if w.rows > 1), None)
        sheets: list[Sheet] = []
        written: list[tuple[Sheet, int]] = []  # sheets with rows, and their last filled row
        for name in wb.sheetnames:
            sha = sheet_id(digest, raw, name, name == first)
            if name not in worksheets:
                sheets.append(Sheet(name, sha, None, "a chart sheet: no rows"))
                continue
            part, done = rows[name]
            dest = tmp_dir / f"{sha}.xlsx.csv"
            part.replace(dest)
            if done.last_filled == 0:
                dest.unlink(missing_ok=True)
                sheets.append(Sheet(name, sha, None, "an empty sheet"))
                continue
            reason = _not_payments(f"{display}!{name}", dest, done.last_filled, profile)
            sheet = Sheet(name, sha, dest, reason)
            sheets.append(sheet)
            written.append((sheet, done.last_filled))
    except TotalPlaceError:
        raise
    except Exception as exc:  # a sheet's XML damaged past what openpyxl reads
        raise SourceError(
            display, f"not a readable workbook ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        wb.close()
        for part in staged:
            part.unlink(missing_ok=True)
    if not written:
        raise SourceError(display, "the workbook has no sheet with data")
    if all(s.skipped for s, _ in written):
        # read the first anyway: it fails with the header message, never silently
        keep = written[0][0]
        sheets[sheets.index(keep)] = Sheet(keep.name, keep.sha256, keep.csv_path)
    out: list[Sheet] = []
    for s in sheets:
        if s.skipped and s.csv_path is not None:
            s.csv_path.unlink(missing_ok=True)
            s = Sheet(s.name, s.sha256, None, s.skipped)
        out.append(s)
    return digest, out


@dataclass(frozen=True)
class _Written:
    rows: int  # rows the sheet holds (the dimension's count when that is more)
    last_filled: int  # the last row holding a value, 0 when none does


# Markup that opens a document type definition or declares an entity.  Excel
# and every other spreadsheet writer leave them out; a workbook holding one is
# refused before its XML is parsed, so nothing it declares is ever expanded.
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
# A DOCTYPE can only stand before the root element: the prolog is read up to it.
_ROOT = re.compile(rb"<[A-Za-z_]")
_CHUNK = 64 * 1024
_MAX_PROLOG = 16 * 1024 * 1024


def refuse_doctype(path: Path, display: str) -> None:
    """Fail the workbook if any of its XML parts declares a DOCTYPE or an entity."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # openpyxl reports a workbook that is not a zip
    with archive:
        for member in archive.infolist():
            if not member.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            try:
                head = _prolog(archive, member)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
                raise SourceError(
                    display, f"not a readable workbook ({member.filename}: {exc})"
                ) from exc
            if _DTD.search(head):
                raise SourceError(
                    display,
                    f"the workbook's part {member.filename} declares a DOCTYPE or an entity, "
                    "which no spreadsheet writer does: it was refused unread. Open it in a "
                    "spreadsheet program and save it again as XLSX, or export it as CSV.",
                )


def _prolog(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """The bytes of an XML part before its root element (UTF-16 read as UTF-8)."""
    head = b""
    with archive.open(member) as fh:
        while chunk := fh.read(_CHUNK):
            head += chunk
            if head.startswith((b"\xff\xfe", b"\xfe\xff")):
                text = head.decode("utf-16", errors="replace").encode("utf-8")
            else:
                text = head
            if (root := _ROOT.search(text)) is not None:
                return text[: root.start()]
            if len(head) > _MAX_PROLOG:
                return text
    return head


def _read_sheet(sheet: object, dest: Path, display: str) -> _Written:
    """Write every row the sheet holds as CSV, padded to one width."""
    declared_rows = getattr(sheet, "max_row", None) or 0
    declared_cols = getattr(sheet, "max_column", None) or 0
    sheet.reset_dimensions()  # type: ignore[attr-defined]
    widest, rows, last_filled = _write_csv(sheet.iter_rows(values_only=True), dest, display)  # type: ignore[attr-defined]
    width = max(declared_cols, widest)
    if width > limits.current().max_columns:
        width = max(widest, 1)  # a dimension wider than the cells adds only empty columns
    if any(_narrow(dest, width)):
        _pad(dest, width)
    return _Written(max(rows, declared_rows), last_filled)


def _write_csv(
    rows: Iterable[tuple[object, ...]], dest: Path, display: str
) -> tuple[int, int, int]:
    """Write the rows as CSV, each to its last cell; (widest row up to its last
    value, rows written, last row holding a value or 0).  A sheet over the row
    or column limit fails as soon as it is seen to be."""
    most_rows, most_cols = limits.current().max_sheet_rows, limits.current().max_columns
    widest = last_filled = n = 0
    with dest.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for n, row in enumerate(rows, start=1):
            if n > most_rows:
                raise limits.LimitExceeded(
                    display,
                    "max_sheet_rows",
                    f"the sheet has more than {most_rows:,} rows",
                    most_rows,
                )
            cells = [cell_text(v) for v in row]
            filled = [i for i, c in enumerate(cells) if c.strip()]
            if filled:
                last_filled = n
                if filled[-1] >= most_cols:
                    raise limits.LimitExceeded(
                        display,
                        "max_columns",
                        f"row {n} has a value in column {filled[-1] + 1:,}",
                        most_cols,
                    )
                widest = max(widest, len(cells) if len(cells) <= most_cols else filled[-1] + 1)
            writer.writerow(cells[:most_cols])
    return widest, n, last_filled


def _narrow(dest: Path, width: int) -> Iterable[bool]:
    with dest.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            yield len(row) != width


def _pad(dest: Path, width: int) -> None:
    """Rewrite the CSV with every row ``width`` cells wide (empty cells added, or
    trailing empty cells dropped), as openpyxl wrote a sheet from its dimension."""
    padded = dest.with_name(dest.name + ".pad")
    with (
        dest.open(encoding="utf-8", newline="") as fin,
        padded.open("w", encoding="utf-8", newline="") as fout,
    ):
        writer = csv.writer(fout, lineterminator="\n")
        for row in csv.reader(fin):
            writer.writerow((row + [""] * width)[:width])
    padded.replace(dest)


def pivot_headers(headers: list[str]) -> bool:
    """Excel's pivot-table headers ("Row Labels", "Sum of Amount", "Count of
    ..."): a pivot holds totals of payments, which would count them twice."""
    return any(
        h.strip().lower() in ("row labels", "column labels") or PIVOT_VALUE.match(h.strip().lower())
        for h in headers
    )


def _not_payments(display: str, csv_path: Path, last_filled: int, profile: Profile) -> str:
    """Why the sheet is not a sheet of payments, or '' when it is one.

    A header of known column names (or the columns a profile names) is a payment
    sheet, read even if its mapping then fails, so a month whose layout drifted
    is reported failed, not skipped.  A header found only by the shape of the
    rows is read when the mapping can fill the required roles from it."""
    with csv_path.open("rb") as fh:
        head = fh.read(HEAD_BYTES).decode("utf-8", errors="replace")
    try:
        dialect = sniff(display, head, profile)
    except limits.LimitExceeded:
        raise
    except SourceError:
        return "no header row the column mapping recognises (notes or a summary)"
    if pivot_headers(dialect.headers):
        return "a pivot table (its header holds 'Row Labels' or 'Sum of ...'): totals, not payments"
    named = set(profile.columns.values())
    profiled = bool(named) and named <= set(dialect.headers)
    if header_score(dialect.headers) < MIN_SCORE and not profiled:
        if profile.header_line is not None:
            # a profile's header line is taken on trust in a CSV; in a workbook it must
            # also look like a header, or every notes sheet would be read as payments
            return f"row {dialect.header_line} is not a header row the mapping recognises"
        rows = sample_rows(head, dialect.delimiter, dialect.header_line)
        try:
            map_columns(display, dialect.headers, profile, rows=rows, require_date=False)
        except SourceError as exc:
            first = exc.detail.splitlines()[0] if exc.detail else ""
            return f"no header row the column mapping recognises ({first})"
    if last_filled <= dialect.header_line:
        return f"a header row (row {dialect.header_line}) but no rows below it"
    return ""
