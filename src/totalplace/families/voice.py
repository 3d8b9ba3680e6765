"""Resident voice: what people said in a survey or consultation, beside the money.

A voice file is a CSV with a ``question`` and a ``response`` column and,
optionally, ``theme`` and ``area`` (headers matched ignoring case, spaces,
punctuation and a bracketed qualifier, so "Response text", "THEME" or
"Response (free text)" do, and a header ending in one of the words of
:data:`_HEADS` does too: "Free text response", "Your comments").  It is read
as exported: UTF-8 with or without a byte-order mark, or Windows-1252; commas,
semicolons or tabs; title lines above the header skipped.  Two columns read
as one role, or a row with more cells than headers (a comma in an unquoted
response), refuse the file rather than lose what was said.  The workspace keeps them in
``people/voice/``.  For each theme: how many responses, to how many questions,
a few quotes, and the count's spending on that theme (a theme is matched to
the count's themes by its key or its label, ignoring case: "Housing",
"housing").

Responses are counted, not people; even so they are treated as counts of
people.  A count of responses (a theme's, or one area's on one theme) below the
disclosure threshold is withheld, since in a small area it can point to a
household; a theme's count and its areas' add up, and the themes add up to the
number of responses, so a second figure is withheld wherever the sums would
give a small one away (:func:`totalplace.families.privacy.protect`), the
number of responses first.  An area with fewer responses than the threshold in
all is not named: it is counted under "(other areas)", since an area is what a
resident wrote and may be their street.

**Quotes** are free text: a resident may write a name, an address, a phone
number.  They are given only when asked for (``quotes=True``: a role with
person-level access), for a theme whose count is shown, and even then with
what looks like an identifier taken out (:func:`redact`: e-mail addresses,
phone, NHS and National Insurance numbers, postcodes, house numbers with their
street, and a name after "my name is" or a title such as "Mrs").  Names
written any other way cannot be found by a pattern, so the quotes are never
for sharing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from totalplace.errors import SourceError
from totalplace.families.privacy import Line, hidden, protect
from totalplace.ingest.exports import (
    cell_text,
    export_rows,
    header_row,
    header_words,
    overflows,
    problems_text,
    squash_header,
)

VOICE_DIR = "voice"
QUOTES_PER_THEME = 3
# A quote shorter than this says too little to show ("Yes", "No comment").
MIN_QUOTE_CHARS = 20
NO_THEME = "(no theme)"
OTHER_AREAS = "(other areas)"
_ALL = "\x00all"  # the key of a theme's total, and of the place's, in the suppression
_NO_AREA = "\x00none"  # a theme's responses with no area: never shown
REMOVED = "[removed]"
# What looks like an identifier in free text, each with why it is taken out.
_IDENTIFIERS = [
    re.compile(p)
    for p in (
        r"[\w.+-]+@[\w-]+(\.[\w-]+)+",  # an e-mail address
        r"(?i:\bhttps?://)\S+",  # a link, which may be to a profile
        r"(?i:\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b)",  # a National Insurance number
        r"\b\d{3}[\s-]?\d{3}[\s-]?\d{4}\b",  # an NHS number (3 3 4)
        r"(\+44\s?|\b0)\d(?:[\s-]?\d){8,9}\b",  # a UK phone number
        r"(?i:\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b)",  # a postcode
        # a flat, or a house number and its street (the street's name in capitals)
        r"(?i:\b(?:flat|apartment|unit)\s+\d+\w?\b)|\b\d+[a-zA-Z]?,?\s+"
        r"(?:[A-Z][\w'-]*\s+){1,3}(?i:road|rd|street|st|avenue|ave|lane|close|drive|way|"
        r"court|crescent|grove|place|gardens|terrace|walk|row|hill|square|mews|park)\b",
        # a name (in capitals) after a title or "my name is" / "I am"
        r"(?i:\b(?:mr|mrs|ms|miss|dr|my name is|i am|i'm))\.?\s+[A-Z][\w'-]+"
        r"(?:\s+[A-Z][\w'-]+)?",
    )
]
# The headers of each role, as compared (squashed); and the last words that
# also make a header that role, unless it names an id, number or date.
_HEADERS = {
    "question": ("question", "questiontext", "q", "questionasked"),
    "response": ("response", "responsetext", "answer", "comment", "comments", "text"),
    "theme": ("theme", "topic", "service", "category"),
    "area": ("area", "ward", "neighbourhood", "locality", "district"),
}
_HEADS = {
    "question": ("question",),
    "response": ("response", "answer", "comment", "comments", "feedback", "reply", "verbatim"),
    "theme": ("theme", "topic", "category"),
    "area": ("area", "ward", "neighbourhood", "locality"),
}
_NOT_TEXT = ("id", "no", "number", "ref", "date", "code")


@dataclass(frozen=True)
class Response:
    question: str
    response: str
    theme: str
    area: str
    where: str  # "file.csv:12"


def _roles(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Which column holds each role, and the problems (two columns for one role)."""
    col: dict[str, int] = {}
    problems = []

    def take(role: str, i: int) -> None:
        if role in col:
            problems.append(
                f"columns {header[col[role]]!r} and {header[i]!r} are both read as {role}; "
                "rename or remove the one that is not"
            )
        else:
            col[role] = i

    for i, h in enumerate(header):
        role = next((r for r, names in _HEADERS.items() if squash_header(h) in names), None)
        if role:
            take(role, i)
    for i, h in enumerate(header):
        words = header_words(h)
        if i in col.values() or not words or any(w in _NOT_TEXT for w in words):
            continue
        role = next((r for r, heads in _HEADS.items() if words[-1] in heads), None)
        if role:
            take(role, i)
    return col, problems


def read_voice(path: Path) -> list[Response]:
    """The responses of one CSV; SourceError naming the file when it has no
    question or response column, two columns for one, or a row with more cells
    than headers.  A row with an empty response (no answer given) is skipped."""
    rows = export_rows(path)
    start = header_row(rows, lambda row: {"question", "response"} <= _roles(row)[0].keys())
    if start is None:
        raise SourceError(str(path), "is empty; a voice file has question and response columns")
    col, problems = _roles(rows[start])
    header = rows[start]
    missing = [r for r in ("question", "response") if r not in col]
    if missing:
        raise SourceError(
            str(path),
            f"row {start + 1}: has no {' or '.join(missing)} column (headers: "
            f"{', '.join(h for h in header if h.strip())}); a voice file needs question and "
            "response (or Q and Answer, Comment, Free text response), and may have theme "
            "and area",
        )

    def cell(row: list[str], role: str) -> str:
        return cell_text(row, col.get(role))

    out = []
    for line, row in enumerate(rows[start + 1 :], start=start + 2):
        if overflows(row, header):
            problems.append(
                f"row {line}: {len(row)} cells under {len(header)} headers; "
                "a response holding a comma must be in quotes"
            )
            continue
        text = cell(row, "response")
        if text:
            out.append(
                Response(
                    question=cell(row, "question"),
                    response=text,
                    theme=cell(row, "theme") or NO_THEME,
                    area=cell(row, "area"),
                    where=f"{path.name}:{line}",
                )
            )
    if problems:
        raise SourceError(
            str(path), problems_text(problems) + ". Correct the file and run it again"
        )
    return out


def read_folder(folder: Path) -> list[Response]:
    """Every voice file in ``folder`` (``*.csv``), in file name order."""
    if not folder.is_dir():
        return []
    return [r for path in sorted(folder.glob("*.csv")) for r in read_voice(path)]


def _theme_key(theme: str, themes: dict[str, str]) -> str | None:
    folded = theme.casefold()
    for key, label in themes.items():
        if folded in (key.casefold(), label.casefold(), key.replace("_", " ").casefold()):
            return key
    return None


def redact(text: str) -> str:
    """``text`` with what looks like an identifier replaced by "[removed]"."""
    for pattern in _IDENTIFIERS:
        text = pattern.sub(REMOVED, text)
    return text


def _withheld(
    responses: list[Response], threshold: int
) -> tuple[set[tuple[str, str]], dict[tuple[str, str], int]]:
    """The (theme, area) cells, theme totals ``(theme, _ALL)`` and the place's
    total ``(_ALL, _ALL)`` to withhold, and the cells' counts."""
    per_area: dict[str, int] = defaultdict(int)
    for r in responses:
        per_area[r.area] += 1

    def area(r: Response) -> str:
        if not r.area:
            return _NO_AREA
        return OTHER_AREAS if hidden(per_area[r.area], threshold) else r.area

    cells: dict[tuple[str, str], int] = defaultdict(int)
    for r in responses:
        cells[(r.theme, area(r))] += 1
        cells[(r.theme, _ALL)] += 1
    themes = sorted({t for t, _ in cells})
    grand = (_ALL, _ALL)
    cells[grand] = len(responses)
    lines = [Line(tuple(c for c in cells if c[0] == t and c[1] != _ALL), (t, _ALL)) for t in themes]
    lines.append(Line(tuple((t, _ALL) for t in themes), grand))
    unpublished = [c for c in cells if c[1] == _NO_AREA]
    withheld = protect(dict(cells), lines, threshold, unpublished=unpublished, prefer=[grand])
    return withheld, cells


def voice_by_theme(
    responses: list[Response],
    threshold: int,
    money: dict[str, int],
    labels: dict[str, str],
    quotes: bool = False,
) -> dict[str, Any]:
    """Counts per theme beside the count's pence for that theme (``money``:
    theme key -> pence; ``labels``: theme key -> label), and with ``quotes``
    (a role with person-level access) up to three of what was said, redacted."""
    by_theme: dict[str, list[Response]] = defaultdict(list)
    for r in responses:
        by_theme[r.theme].append(r)
    withheld, cells = _withheld(responses, threshold)
    themes = []
    for theme, rs in sorted(by_theme.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        key = _theme_key(theme, labels)
        out = (theme, _ALL) in withheld
        said = dict.fromkeys(redact(r.response) for r in rs if len(r.response) >= MIN_QUOTE_CHARS)
        shown = [] if out or not quotes else list(said)  # each different thing said once
        themes.append(
            {
                "theme": theme,
                "theme_key": key,
                "responses": None if out else len(rs),
                "questions": len({r.question for r in rs}),
                "quotes": shown[:QUOTES_PER_THEME],
                "pence": money.get(key) if key else None,
                "by_area": {
                    area: (None if out or (theme, area) in withheld else n)
                    for (t, area), n in sorted(cells.items())
                    if t == theme and area not in (_ALL, _NO_AREA)
                },
            }
        )
    total = None if (_ALL, _ALL) in withheld else len(responses)
    return {"responses": total, "themes": themes}
