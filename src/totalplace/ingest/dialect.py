"""Find the delimiter and the header line of a text source from its first lines.

The header is the line, among the first 40, whose cells best match known
header names; title and preamble lines above it are skipped (and not counted
as records).  When no line holds two known names, the header is found by the
shape of the lines instead (see :func:`_header_by_shape`), so a file whose
headers nobody has written down still reads.  A profile can fix either.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass

from totalplace.errors import SourceError
from totalplace.ingest import limits
from totalplace.ingest.infer import looks_like_data
from totalplace.ingest.roles import Profile, header_score

DELIMITERS = (",", ";", "\t", "|")
SCAN_LINES = 40
MIN_SCORE = 2
SHOWN_CELLS = 8  # a failure message names this many cells of a line, then a count


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    header_line: int  # 1-based physical line number
    headers: list[str]


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line.replace("\r", " ")], delimiter=delimiter), [])
    except csv.Error:  # a stray quote or NUL: not a header line
        return []


def sniff(display: str, head: str, profile: Profile) -> Dialect:
    """The delimiter and header line; a header wider than the column limit or
    holding a NUL byte fails the file (see :func:`_checked`)."""
    return _checked(display, _sniff(display, head, profile))


def _checked(display: str, dialect: Dialect) -> Dialect:
    """A header over the column limit would make every later step build
    thousands of columns (10,000 once exhausted memory after minutes), and a
    NUL byte in a column name marks a damaged or binary file: either fails
    the file alone, at once, with what to do."""
    most = limits.current().max_columns
    if len(dialect.headers) > most:
        raise limits.LimitExceeded(
            display,
            "max_columns",
            f"the header (line {dialect.header_line}) has {len(dialect.headers):,} columns",
            most,
        )
    for i, name in enumerate(dialect.headers, start=1):
        if "\x00" in name:
            raise SourceError(
                display,
                f"column {i} of the header (line {dialect.header_line}) holds a NUL byte "
                f"({name.replace(chr(0), '<NUL>')[:60]!r}): the file is damaged or not text. "
                "Export it again from its source as CSV or XLSX.",
            )
    return dialect


def _sniff(display: str, head: str, profile: Profile) -> Dialect:
    lines = [ln.rstrip("\r") for ln in head.split("\n")[:SCAN_LINES]]
    delims = (profile.delimiter,) if profile.delimiter else DELIMITERS
    if profile.header_line is not None:
        idx = profile.header_line - 1
        if not 0 <= idx < len(lines):
            raise SourceError(
                display, f"profile header_line {profile.header_line} is past the file"
            )
        best = max(delims, key=lambda d: (len(_cells(lines[idx], d)), -delims.index(d)))
        return Dialect(best, idx + 1, [c.strip() for c in _cells(lines[idx], best)])
    scored = [
        (header_score(_cells(line, d)), -i, -delims.index(d), i, d)
        for d in delims
        for i, line in enumerate(lines)
        if line.strip()
    ]
    if not scored:
        raise SourceError(display, "the file is empty")
    score, _, _, idx, delim = max(scored)
    if score < MIN_SCORE and (shaped := _header_by_shape(lines)) is not None:
        return shaped
    if score < MIN_SCORE:
        first = next(i for i, ln in enumerate(lines) if ln.strip())
        cells = _cells(lines[first], delim)
        shown = ", ".join(repr(c[:30]) for c in cells[:SHOWN_CELLS])
        if len(cells) > SHOWN_CELLS:
            shown += f" and {len(cells) - SHOWN_CELLS} more"
        data = (
            " The first line looks like data (amounts, dates), not column names: the file may "
            "have no header line."
            if looks_like_data(cells)
            else ""
        )
        raise SourceError(
            display,
            "cannot find a header line: none of the first "
            f"{len(lines)} lines has two or more known column names (first line: {shown}).{data} "
            f"Run `totalplace profile suggest {display}` for a draft profile, or write one with "
            "header_line = N and a [columns] table (see README, Mapping profiles).",
        )
    return Dialect(delim, idx + 1, [c.strip() for c in _cells(lines[idx], delim)])


def _header_by_shape(lines: list[str]) -> Dialect | None:
    """For headers the registry does not know: with the delimiter that gives the
    lines their most common number of fields (two or more), the first line of
    that many fields whose cells are names, not data, and which has data on a
    line below it."""
    best: Dialect | None = None
    for delim in DELIMITERS:
        rows = [_cells(ln, delim) for ln in lines]
        widths = Counter(len(r) for r, ln in zip(rows, lines, strict=True) if ln.strip())
        if not widths:
            continue
        width = widths.most_common(1)[0][0]
        if width < 2 or (best is not None and width <= len(best.headers)):
            continue
        for i, row in enumerate(rows):
            named = sum(bool(c.strip()) for c in row) >= 0.8 * width
            if len(row) != width or not named or looks_like_data(row):
                continue
            below = [r for r in rows[i + 1 : i + 6] if len(r) == width]
            if any(looks_like_data(r) or _has_data(r) for r in below):
                best = Dialect(delim, i + 1, [c.strip() for c in row])
            break
    return best


def _has_data(row: list[str]) -> bool:
    return any(looks_like_data([c]) for c in row if c.strip())
