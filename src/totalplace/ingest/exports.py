"""Reading a small CSV as a person saved it from Excel or a case system.

An agency's contacts (``events.csv``), a survey's responses and a workshop's
barriers sheet are not written by a program that follows the CSV standard:
someone exports them from Excel or from a case-management system and saves
them as they come.  So these files arrive in the encoding the machine used
(UTF-8 with Excel's byte-order mark, UTF-16, or Windows-1252, where "£" is
byte 0xA3), with the separator of the machine's locale (a semicolon where the
decimal point is a comma, a tab from "Text (Tab delimited)"), with a report
title or a line of notes above the header, and with blank rows between
blocks.  A "£" or a title line is no reason to refuse such a file, so the
readers here accept all of these.

What they keep is the person's view of the file: every row is kept, blank
ones too, so row ``i`` of :func:`export_rows` is the spreadsheet's row
``i + 1`` and an error can say "row 14" of the sheet the person has open,
however many lines a quoted cell spans.  Headers are compared squashed
(:func:`squash_header`), so "Date of Contact", "date_of_contact" and "Date of
contact (dd/mm/yyyy)" are one header.

These files are small and read whole.  Published spend files, which can be
large and are numbered by physical line, go through
:mod:`totalplace.ingest.sources` and :mod:`totalplace.ingest.records`
instead; the code page is chosen by the same rule
(:mod:`totalplace.ingest.codepages`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

from totalplace.errors import SourceError
from totalplace.ingest.lineends import DELIMITERS

# How far down (in rows that are not blank) a title or notes above the header may run.
HEADER_SEARCH = 10


def decode_export(path: Path) -> str:
    """The text of an exported CSV: UTF-8 (Excel's byte-order mark dropped),
    UTF-16 by its mark, or else the single-byte code page its bytes show
    (Windows-1252 nearly always, where "£" is byte 0xA3), so a "£" is never
    a reason to refuse a file."""
    # codepages loads numpy; only a file that is not UTF-8 needs it
    from totalplace.ingest.codepages import choose, utf16

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(str(path), f"cannot be read: {exc.strerror}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        encoding = utf16(path) or choose(path).encoding
        return raw.decode(encoding, errors="replace").lstrip("\ufeff")


def export_rows(path: Path) -> list[list[str]]:
    """Every row of an exported CSV, blank ones included, so row ``i`` is the
    spreadsheet's row ``i + 1`` however many lines a quoted cell spans.  The
    separator is the one of comma, semicolon, tab or bar that the middle one
    of the first 20 non-blank lines holds most of: a title line above the
    header ("Contacts, April 2010" over a semicolon file) is one line of 20
    and cannot decide it."""
    text = decode_export(path)
    lines = [line for line in text.splitlines() if line.strip()][:20]

    def typical(sep: str) -> int:
        counts = sorted(line.count(sep) for line in lines)
        return counts[len(counts) // 2] if counts else 0

    sep = max(DELIMITERS, key=typical)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep if typical(sep) else ","))


def header_words(text: str) -> list[str]:
    """The words of a header, lower case, a bracketed qualifier such as
    "(dd/mm/yyyy)" or "[free text]" left out: it qualifies, it does not name."""
    return re.findall(r"[a-z0-9]+", re.sub(r"[(\[].*?[)\]]", "", text.lower()))


def squash_header(text: str) -> str:
    """A header as compared: bracketed qualifiers out, letters and digits only."""
    return "".join(header_words(text))


def blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def header_row(rows: list[list[str]], is_header: Callable[[list[str]], bool]) -> int | None:
    """The header's index: the first of the first :data:`HEADER_SEARCH` rows
    that are not blank which ``is_header`` accepts, so a title line above it
    is passed over; else the first row that is not blank (None when every row
    is), whose headers the caller then reports as not what it needs."""
    filled = [i for i, r in enumerate(rows) if not blank(r)][:HEADER_SEARCH]
    return next((i for i in filled if is_header(rows[i])), filled[0] if filled else None)


#: Problems named one by one in a refusal; the rest are counted.
PROBLEMS_NAMED = 10


def problems_text(problems: list[str]) -> str:
    """The first :data:`PROBLEMS_NAMED` problems of a file refused whole, then
    how many more: every bad row is found at once, and the message stays
    readable when a whole column is wrong."""
    rest = len(problems) - PROBLEMS_NAMED
    return "; ".join(problems[:PROBLEMS_NAMED]) + (f"; and {rest} more" if rest > 0 else "")


def overflows(row: list[str], header: list[str]) -> bool:
    """More filled cells than headers: an unquoted comma split a cell, and
    which column each piece belongs to can no longer be told."""
    return len(row) > len(header) and not blank(row[len(header) :])


def cell_text(row: list[str], i: int | None) -> str:
    """Column ``i`` of a row with its spacing made single ("" past the row's
    end, as a spreadsheet leaves trailing empty cells off)."""
    return " ".join(row[i].split()) if i is not None and i < len(row) else ""


__all__ = [
    "HEADER_SEARCH",
    "PROBLEMS_NAMED",
    "blank",
    "cell_text",
    "decode_export",
    "export_rows",
    "header_row",
    "header_words",
    "overflows",
    "problems_text",
    "squash_header",
]
