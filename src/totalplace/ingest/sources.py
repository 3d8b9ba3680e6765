"""Turn a source path into one or more UTF-8 text files the SQL parser can read.

Encoding is decided over the *whole* file, streaming: UTF-8 (a byte-order
mark is dropped) if every byte decodes, else cp1252 (the five bytes cp1252
leaves undefined are read as Latin-1 so nothing is lost), or a DOS code page
when byte 0x9C stands where cp1252's "£" never does (the rule is in
:mod:`totalplace.ingest.codepages`).  Line ends are found line by line: CR LF,
LF or a lone CR each end a line, so line N is the Nth line a reader of the file
sees (the rule, and its one exception for a CR typed inside a field, is in
:mod:`totalplace.ingest.lineends`).  UTF-16 files, and files mixing UTF-8 and
code-page lines, are found as :mod:`totalplace.ingest.codepages` describes.
Files that are already plain UTF-8 are read in place; others are written to
the workspace's ``tmp/`` folder.  A ``.zip`` yields one source per CSV or XLSX
member (zips inside it too; what it holds that is not read is reported, see
:mod:`totalplace.ingest.inputs`); a workbook yields one source per sheet of
payments, written out as CSV, and lists the sheets it skips (see
:mod:`totalplace.ingest.workbooks`).
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from totalplace.config import parse_size
from totalplace.errors import SourceError
from totalplace.ingest import codepages
from totalplace.ingest.inputs import (
    ACCEPTED,
    MAX_ARCHIVE_BYTES,
    MAX_ZIP_DEPTH,
    SPEND_SUFFIXES,
    TEXT_SUFFIXES,
    XLSX_SUFFIXES,
    Skipped,
    Unpacked,
    expand_folders,
    unzip_members,
)
from totalplace.ingest.lineends import LineEnds, record_width
from totalplace.ingest.roles import Profile
from totalplace.ingest.workbooks import read_sheets

# the names other modules import from here (some are defined in ingest/inputs.py)
__all__ = [
    "ACCEPTED",
    "MAX_ARCHIVE_BYTES",
    "MAX_ZIP_DEPTH",
    "SPEND_SUFFIXES",
    "TEXT_SUFFIXES",
    "PreparedSource",
    "Skipped",
    "SkippedSheet",
    "expand_folders",
    "parse_size",
    "prepare",
    "prepare_text",
    "xlsx_sources",
]

CHUNK = 8 * 1024 * 1024
HEAD_BYTES = 256 * 1024
MIXED_PREFIX = "utf-8+"  # "utf-8+cp1252": UTF-8 lines and code-page lines in one file
# Characters never expected in spend files; one absent from the file splits
# nothing when DuckDB reads the file a physical line at a time.
LINE_READER_DELIMS = ("\x01", "\x02", "\x03", "\x04", "\x05", "\x06", "\x07", "\x1e", "\x1f")


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("totalplace-latin1", _latin1_fallback)


@dataclass(frozen=True)
class PreparedSource:
    display_path: str  # as reported: the path, or "archive.zip!member.csv"
    sha256: str
    text_path: Path  # UTF-8, LF or CRLF line endings
    encoding: str  # utf-8, utf-8-sig, cp1252, xlsx
    line_delim: str  # a character absent from the file, for the line reader
    head: str  # the first lines, decoded, for sniffing
    physical_lines: int  # lines in the text file, a last line without newline included
    crlf: bool  # lines end in CR LF
    # file warnings found while reading (slug, message) and how the file was read
    warnings: tuple[tuple[str, str], ...] = ()
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class _Scan:
    sha256: str
    utf8: bool
    bom: bool
    has_lf: bool
    has_cr: bool
    crlf: bool
    newlines: int
    carriage_returns: int
    crlf_pairs: int
    last_byte: bytes
    absent: str

    @property
    def pure_crlf(self) -> bool:
        """Every line ends CR LF and no CR stands alone."""
        return self.has_cr and self.crlf_pairs == self.newlines == self.carriage_returns

    @property
    def needs_newline_fix(self) -> bool:
        """A lone CR somewhere: DuckDB would split lines at it by its own rule,
        so such files are rewritten with LF line ends, line by line
        (see :mod:`totalplace.ingest.lineends`)."""
        return self.has_cr and not self.pure_crlf

    @property
    def physical_lines(self) -> int:
        """Lines of a file with no lone CR (LF or CR LF ends each line)."""
        return self.newlines + (1 if self.last_byte and self.last_byte != b"\n" else 0)


def _scan(path: Path) -> _Scan:
    """Hash, encoding, line endings and line count: one streaming scan, with
    the hash computed beside it.

    Pure-ASCII chunks (most of most files) skip the UTF-8 decoder, and only
    the first line-reader delimiter is looked for; a second pass looks for
    the others in the rare file that holds it.
    """
    # The hash runs beside the scan (hashlib lets go of the GIL), each reading
    # the file: the second read comes from the page cache.
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(_sha256, path)
        found = _scan_text(path)
    return _Scan(digest.result(), *found)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _count_byte(chunk: bytes, byte: int) -> int:
    """How many times ``byte`` occurs (numpy counts several times faster than bytes.count)."""
    return int(np.count_nonzero(np.frombuffer(chunk, dtype=np.uint8) == byte))


def _scan_text(
    path: Path,
) -> tuple[bool, bool, bool, bool, bool, int, int, int, bytes, str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    has_lf = has_cr = crlf = False
    first_delim = LINE_READER_DELIMS[0].encode()
    first_delim_seen = False
    newlines = crs = pairs = 0
    last = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if not last:
                bom = chunk.startswith(codecs.BOM_UTF8)
            newlines += _count_byte(chunk, 10)
            has_lf = has_lf or newlines > 0
            if b"\r" in chunk or last == b"\r":
                has_cr = True
                crs += _count_byte(chunk, 13)
                pairs += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
                crlf = crlf or pairs > 0
            last = chunk[-1:]
            first_delim_seen = first_delim_seen or first_delim in chunk
            if utf8 and not (chunk.isascii() and not decoder.getstate()[0]):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if not last:
        bom = False
    absent = LINE_READER_DELIMS[0] if not first_delim_seen else _absent_delim(path)
    return utf8, bom, has_lf, has_cr, crlf, newlines, crs, pairs, last, absent


def _absent_delim(path: Path) -> str:
    present: set[str] = set()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            present.update(d for d in LINE_READER_DELIMS if d.encode() in chunk)
    return next((d for d in LINE_READER_DELIMS if d not in present), "")


def _line_ends(path: Path, scan: _Scan, encoding: str) -> LineEnds:
    """How lone CRs are read: each one ends a line when lone CRs are at least
    as common as LFs; otherwise each is judged by the fields before it."""
    lone = scan.carriage_returns - scan.crlf_pairs
    if lone >= scan.newlines:
        return LineEnds(every_cr=True)
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES).decode(encoding.removeprefix(MIXED_PREFIX), errors="replace")
    width = record_width(head)
    if width is None:
        return LineEnds(every_cr=True)
    return LineEnds(every_cr=False, delimiter=width[0], width=width[1])


def _transcode(src: Path, dest: Path, encoding: str, ends: LineEnds | None) -> int:
    """Write ``src`` as UTF-8 (line ends rewritten by ``ends`` when given) and
    return its physical lines, a last line without a line end included."""
    base = encoding.removeprefix(MIXED_PREFIX)
    errors = "totalplace-latin1" if base == "cp1252" else "strict"
    decoder: codepages.LineDecoder | codecs.IncrementalDecoder
    if encoding.startswith(MIXED_PREFIX):
        decoder = codepages.LineDecoder(base, errors)
    else:
        decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    lines = 0
    last = ""
    with src.open("rb") as fin, dest.open("w", encoding="utf-8", newline="") as fout:
        while True:
            chunk = fin.read(CHUNK)
            final = not chunk
            text = decoder.decode(chunk, final=final)
            if ends is not None:
                text = ends.feed(text) + (ends.finish() if final else "")
            if text:
                fout.write(text)
                lines += text.count("\n")
                last = text[-1]
            if final:
                break
    return lines + (1 if last and last != "\n" else 0)


def _head(path: Path) -> str:
    with path.open("rb") as fh:
        raw = fh.read(HEAD_BYTES)
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff")


def prepare_text(path: Path, display: str, tmp_dir: Path) -> PreparedSource:
    wide = codepages.utf16(path)
    if wide:
        return _prepare_wide(path, display, tmp_dir, wide)
    scan = _scan(path)
    if not scan.absent:
        raise SourceError(
            display,
            "this is not a text file (it holds every control character); export it as CSV "
            "or XLSX and ingest that",
        )
    fix = scan.needs_newline_fix
    if scan.utf8 and not scan.bom and not fix:
        return PreparedSource(
            display,
            scan.sha256,
            path,
            "utf-8",
            scan.absent,
            _head(path),
            scan.physical_lines,
            scan.pure_crlf,
        )
    details: dict[str, object] = {}
    warnings: tuple[tuple[str, str], ...] = ()
    if scan.utf8:
        encoding = "utf-8-sig" if scan.bom else "utf-8"
    else:
        choice = codepages.choose(path)
        encoding = choice.encoding
        details["encoding"] = choice.details
        if choice.guessed_sign:
            warnings = (("currency-sign-guessed", _guessed_message(choice)),)
        mixed = codepages.mixed_lines(path, encoding)
        if mixed.mixed:
            encoding = MIXED_PREFIX + encoding
            details["encoding"] = {**choice.details, "encoding": encoding, "mixed": asdict(mixed)}
            warnings += (("mixed-encoding", _mixed_message(mixed, choice.encoding)),)
    ends = _line_ends(path, scan, encoding) if fix else None
    dest = tmp_dir / f"{scan.sha256}.utf8.csv"
    lines = _transcode(path, dest, encoding, ends)
    if ends is not None:
        details["line_ends"] = {
            "lf": scan.newlines - scan.crlf_pairs,
            "crlf": scan.crlf_pairs,
            "cr": scan.carriage_returns - scan.crlf_pairs,
            "cr_inside_records": ends.inside_records,
        }
    return PreparedSource(
        display,
        scan.sha256,
        dest,
        encoding,
        scan.absent,
        _head(dest),
        lines,
        scan.pure_crlf and not fix,
        warnings=warnings,
        details=details,
    )


def _prepare_wide(path: Path, display: str, tmp_dir: Path, encoding: str) -> PreparedSource:
    """A UTF-16 (or UTF-32) file: written out as UTF-8, then read like any
    other text file; its SHA-256 stays that of the original bytes."""
    sha256 = _sha256(path)
    utf8 = tmp_dir / f"{sha256}.from-{encoding}.csv"
    try:
        _transcode(path, utf8, encoding, None)
    except UnicodeDecodeError as exc:
        raise SourceError(
            display,
            f"looks like {encoding.upper()} (a byte-order mark or NUL bytes between the "
            f"letters) but byte {exc.start} is not valid {encoding.upper()}: save the file "
            "as UTF-8 CSV and ingest that",
        ) from exc
    src = prepare_text(utf8, display, tmp_dir)
    reason = (
        "a UTF-16 byte-order mark"
        if encoding in ("utf-16", "utf-32")
        else "NUL bytes in every other byte, as ASCII letters leave in UTF-16 without a "
        "byte-order mark"
    )
    details = {**src.details, "encoding": {"encoding": encoding, "reason": reason}}
    return replace(src, sha256=sha256, encoding=encoding, details=details)


def _mixed_message(mixed: codepages.Mixed, fallback: str) -> str:
    return (
        f"the file mixes two encodings: {mixed.utf8_lines} line(s) with accents or signs "
        f"are UTF-8 (first: {mixed.first_utf8!r}) and {mixed.other_lines} are "
        f"{fallback} (first: {mixed.first_other!r}); each line was read in its own "
        "encoding. Check a few names and amounts against the published file."
    )


def _guessed_message(choice: codepages.Choice) -> str:
    n = choice.details["0x9c_before_digits"]
    return (
        f"the file is not UTF-8 and was read as {choice.encoding} (a DOS code page): byte "
        f"0x9C, which stands before {n} amount(s), was taken as '£' (in Windows-1252 it "
        "is 'œ'). Check a few names and amounts against the published file."
    )


SkippedSheet = Skipped  # the first kind of input skipped, by its old name


def xlsx_sources(
    path: Path, display: str, tmp_dir: Path, profile: Profile
) -> list[PreparedSource | SkippedSheet]:
    """One source per sheet that holds payments, reported as ``book.xlsx!Sheet``,
    and the other sheets as skipped (see :mod:`totalplace.ingest.workbooks`)."""
    out: list[PreparedSource | SkippedSheet] = []
    workbook_sha256, sheets = read_sheets(path, display, tmp_dir, profile)
    for sheet in sheets:
        shown = f"{display}!{sheet.name}"
        if sheet.csv_path is None:
            out.append(SkippedSheet(shown, sheet.sha256, sheet.skipped))
            continue
        scan = _scan(sheet.csv_path)
        out.append(
            PreparedSource(
                shown,
                sheet.sha256,
                sheet.csv_path,
                "xlsx",
                scan.absent or "\x01",
                _head(sheet.csv_path),
                scan.physical_lines,
                crlf=False,
                details={"sheet": sheet.name, "workbook_sha256": workbook_sha256},
            )
        )
    return out


def prepare(
    path: Path | Skipped,
    tmp_dir: Path,
    profile: Profile | None = None,
    max_archive_bytes: int = MAX_ARCHIVE_BYTES,
) -> Iterator[PreparedSource | Skipped]:
    """Yield the text sources inside ``path`` (several for a zip or a workbook),
    and the inputs skipped (workbook sheets holding no payments, zip members
    that are not read) with the reason."""
    if isinstance(path, Skipped):
        yield path
        return
    profile = profile or Profile()
    if path.is_dir():
        raise SourceError(str(path), f"a folder with no spend files ({ACCEPTED}) in it")
    if not path.is_file():
        raise SourceError(str(path), "no such file")
    suffix = path.suffix.lower()
    if suffix not in SPEND_SUFFIXES:
        raise SourceError(
            str(path),
            f"not a spend file ({suffix or 'no extension'}): the accepted types are "
            f"{ACCEPTED}. Export the spending as CSV or XLSX and ingest that.",
        )
    if suffix == ".zip":
        yield from _prepare_zip(path, str(path), tmp_dir, profile, Unpacked(max_archive_bytes))
    elif suffix in XLSX_SUFFIXES:
        yield from xlsx_sources(path, str(path), tmp_dir, profile)
    else:
        yield prepare_text(path, str(path), tmp_dir)


def _prepare_zip(
    path: Path,
    display: str,
    tmp_dir: Path,
    profile: Profile,
    unpacked: Unpacked,
    depth: int = 0,
) -> Iterator[PreparedSource | Skipped]:
    for item in unzip_members(path, display, tmp_dir, unpacked, depth):
        if isinstance(item, Skipped):
            yield item
            continue
        out, shown = item
        suffix = out.suffix.lower()
        if suffix == ".zip":
            yield from _prepare_zip(out, shown, tmp_dir, profile, unpacked, depth + 1)
        elif suffix in XLSX_SUFFIXES:
            yield from xlsx_sources(out, shown, tmp_dir, profile)
        else:
            yield prepare_text(out, shown, tmp_dir)
