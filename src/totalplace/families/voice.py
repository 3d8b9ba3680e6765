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

Responses are counted, not people; even so a count of responses from one area
on one theme below the disclosure threshold is withheld, since in a small area
it can point to a household, and a theme with fewer responses than the
threshold shows no quotes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from totalplace.errors import SourceError
from totalplace.families.privacy import hidden, suppress
from totalplace.ingest.exports import (
    cell_text,
    export_rows,
    header_row,
    header_words,
    overflows,
    squash_header,
)

VOICE_DIR = "voice"
QUOTES_PER_THEME = 3
# A quote shorter than this says too little to show ("Yes", "No comment").
MIN_QUOTE_CHARS = 20
NO_THEME = "(no theme)"
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
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise SourceError(
            str(path), "; ".join(problems[:10]) + more + ". Correct the file and run it again"
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


def voice_by_theme(
    responses: list[Response], threshold: int, money: dict[str, int], labels: dict[str, str]
) -> dict[str, Any]:
    """Counts and quotes per theme beside the count's pence for that theme
    (``money``: theme key -> pence; ``labels``: theme key -> label)."""
    by_theme: dict[str, list[Response]] = defaultdict(list)
    for r in responses:
        by_theme[r.theme].append(r)
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for r in responses:
        if r.area:
            cells[(r.theme, r.area)] += 1
    withheld = suppress(dict(cells), threshold)
    themes = []
    for theme, rs in sorted(by_theme.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        key = _theme_key(theme, labels)
        few = hidden(len(rs), threshold)
        said = dict.fromkeys(r.response for r in rs if len(r.response) >= MIN_QUOTE_CHARS)
        quotes = [] if few else list(said)  # each different thing said once
        themes.append(
            {
                "theme": theme,
                "theme_key": key,
                "responses": None if few else len(rs),
                "questions": len({r.question for r in rs}),
                "quotes": quotes[:QUOTES_PER_THEME],
                "pence": money.get(key) if key else None,
                "by_area": {
                    area: (None if (theme, area) in withheld else n)
                    for (t, area), n in sorted(cells.items())
                    if t == theme
                },
            }
        )
    return {"responses": len(responses), "themes": themes}
