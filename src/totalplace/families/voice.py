"""Resident voice: what people said in a survey or consultation, beside the money.

A voice file is a CSV with a ``question`` and a ``response`` column and,
optionally, ``theme`` and ``area`` (headers matched ignoring case, spaces and
punctuation, so "Response text" or "THEME" do).  The workspace keeps them in
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

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from totalplace.errors import SourceError
from totalplace.families.privacy import hidden, suppress

VOICE_DIR = "voice"
QUOTES_PER_THEME = 3
# A quote shorter than this says too little to show ("Yes", "No comment").
MIN_QUOTE_CHARS = 20
NO_THEME = "(no theme)"
_HEADERS = {
    "question": ("question", "questiontext", "q"),
    "response": ("response", "responsetext", "answer", "comment", "comments", "text"),
    "theme": ("theme", "topic", "service", "category"),
    "area": ("area", "ward", "neighbourhood", "locality", "district"),
}


@dataclass(frozen=True)
class Response:
    question: str
    response: str
    theme: str
    area: str
    where: str  # "file.csv:12"


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def read_voice(path: Path) -> list[Response]:
    """The responses of one CSV; SourceError naming the file when it has no
    question or response column.  A row with an empty response is skipped."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), f"cannot be read as UTF-8 CSV: {exc}") from exc
    if not rows:
        raise SourceError(str(path), "is empty; a voice file has question and response columns")
    header = [_squash(h) for h in rows[0]]
    col: dict[str, int] = {}
    for role, names in _HEADERS.items():
        for i, h in enumerate(header):
            if h in names and role not in col:
                col[role] = i
    missing = [r for r in ("question", "response") if r not in col]
    if missing:
        raise SourceError(
            str(path),
            f"has no {' or '.join(missing)} column (headers: {', '.join(rows[0])}); "
            "a voice file needs question and response, and may have theme and area",
        )

    def cell(row: list[str], role: str) -> str:
        i = col.get(role)
        return " ".join(row[i].split()) if i is not None and i < len(row) else ""

    out = []
    for line, row in enumerate(rows[1:], start=2):
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
