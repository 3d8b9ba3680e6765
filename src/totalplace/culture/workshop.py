"""The barriers register as a spreadsheet, for workshops run with sticky notes.

Export writes one row per barrier; import reads such a file back.  A row
with an id changes that barrier (each changed field and any status move is
appended to its history, status moves checked as on the command line); a row
with no id raises a new barrier.  Every row is checked before anything is
written: one bad row (a type that is not a type, an unknown id, a move that
is not allowed) refuses the whole file with its file, row and field, and the
register is left as it was.

A workshop's own sheet is read too: its headers in the workshop's words
("Barrier" or "Issue" for the title, "Category" for the type, "Owner /
Department", "Impact (£)"; :data:`IMPORT_HEADERS` lists them, the one place
they live), a header in thousands or millions ("Estimated impact £k",
"£000s", "£m") multiplying its amounts, UTF-8 with or without a byte-order
mark or Windows-1252, commas, semicolons or tabs
(:mod:`totalplace.ingest.exports`).  A column that is not one of
these, or two columns for one field, refuse the file, since what was typed in
it would otherwise be lost without a word.

Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@``) are written with a leading apostrophe
(:func:`totalplace.sheets.safe_text`), which import takes off again.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from totalplace.culture.barriers import (
    Barrier,
    edit,
    move,
    new_barrier,
    next_id,
    read_register,
    write_register,
    writing,
)
from totalplace.culture.fields import EDITABLE, FieldError, parse_fields, scaled_pounds
from totalplace.errors import ConfigError, SourceError
from totalplace.ingest.exports import (
    blank,
    export_rows,
    header_row,
    overflows,
    problems_text,
    squash_header,
)
from totalplace.sheets import FORMULA_STARTS, safe_text
from totalplace.workspace import Workspace, atomic_write

# Written by export; import reads the editable ones, id and status, and
# ignores the rest (they are worked out, not typed).
COLUMNS = ("id", *EDITABLE, "status", "note", "owner_body", "raised", "last_change")
READ_ONLY = ("owner_body", "raised", "last_change")
# The headers each column is read from besides its own name, compared squashed
# (lower case, letters and digits only, a bracketed qualifier left out).
IMPORT_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("Barrier ID", "Barrier ref", "Ref", "Reference", "Barrier no"),
    "title": ("Barrier", "Issue", "Barrier title", "Issue title", "Summary", "Name"),
    "description": ("Details", "Detail", "Description of barrier", "More detail"),
    "type": ("Category", "Barrier type", "Type of barrier", "Kind"),
    "effect": ("Helps or hinders", "Help or hinder", "Hinders or helps", "Enabler or barrier"),
    "theme": ("Service area", "Theme name", "Service"),
    "partners": ("Partners affected", "Organisations", "Organisations affected", "Agencies",
                 "Agencies affected"),
    "owner": ("Department", "Owner / Department", "Lead", "Lead department",
              "Owning department", "Responsible", "Responsible body"),
    "impact_pounds": ("Impact", "Impact £", "Estimated impact", "Financial impact",
                      "Money affected", "Value", "Amount"),
    "lines": ("Count lines",),
    "opportunities": ("Opportunity ids", "Opportunity"),
    "ask": ("Ask of government", "Ask of central government", "Request", "The ask"),
    "evidence": ("Source", "Sources"),
    "note": ("Notes", "Comment", "Comments"),
    "raised": ("Date raised", "Raised on"),
    "last_change": ("Last changed", "Last updated"),
}  # fmt: skip
# A header's statement that its amounts are in thousands or millions of pounds.
_SCALES = (
    (re.compile(r"£\s*'?0{3}s?|£\s*k\b|\(k\)|\bthousands?\b|\bk£", re.I), 1_000),
    (re.compile(r"£\s*m\b|£\s*millions?|\(m\)|\bmillions?\b|\bm£", re.I), 1_000_000),
)


@dataclass(frozen=True)
class ImportResult:
    path: str
    added: list[str]
    changed: list[str]
    unchanged: int

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.path, "added": self.added, "changed": self.changed,
            "unchanged": self.unchanged,
        }  # fmt: skip


def csv_row(b: Barrier) -> list[str]:
    impact = "" if b.impact_pence is None else str(Decimal(b.impact_pence) / 100)
    values = {
        "id": b.id, "title": b.title, "description": b.description, "type": b.type,
        "effect": b.effect, "theme": b.theme, "partners": "; ".join(b.partners),
        "owner": b.owner.typed, "impact_pounds": impact,
        "lines": "; ".join(f"{a}:{t}" for a, t in b.lines),
        "opportunities": "; ".join(b.opportunities), "ask": b.ask, "evidence": b.evidence,
        "status": b.status, "note": "", "owner_body": b.owner.name, "raised": b.raised,
        "last_change": b.history[-1].when if b.history else "",
    }  # fmt: skip
    return [safe_text(values[c]) for c in COLUMNS]


def export_csv(root: Path, path: Path) -> int:
    """Write the register to ``path``; the number of barriers written."""
    barriers = read_register(root)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for b in barriers:
        writer.writerow(csv_row(b))
    try:
        atomic_write(path, buf.getvalue())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the export: {exc.strerror}") from exc
    return len(barriers)


def _unescape(text: str) -> str:
    """A cell as typed: the apostrophe export put before a formula-like cell goes."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _column(header: str) -> tuple[str | None, int]:
    """The column a header names, and the pounds one of its amounts stands for."""
    scale = 1
    for pattern, factor in _SCALES:
        if pattern.search(header):
            header, scale = pattern.sub(" ", header), factor
    squashed = squash_header(header)
    for name in COLUMNS:
        if squashed == squash_header(name) or squashed in map(
            squash_header, IMPORT_HEADERS.get(name, ())
        ):
            return name, scale
    return None, scale


def _is_header(row: list[str]) -> bool:
    """A row of column names this import knows, a title among them: a
    workshop's title line above it ("Barriers raised, 3 May") is passed over."""
    names = [_column(h)[0] for h in row if h.strip()]
    return "title" in names and None not in names


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        rows = export_rows(path)
    except SourceError as exc:
        raise ConfigError(str(exc)) from exc
    found = header_row(rows, _is_header)
    start = len(rows) if found is None else found
    typed = rows[start] if start < len(rows) else []
    header: list[str] = []
    scale = 1
    problems = []
    for h in typed:
        name, factor = _column(h) if h.strip() else ("", 1)
        if name is None:
            problems.append(
                f"unknown column {h.strip()!r}; rename it to one of {', '.join(COLUMNS)} "
                "or take it out"
            )
        elif name and name in header:
            problems.append(
                f"columns {typed[header.index(name)].strip()!r} and {h.strip()!r} are both "
                f"read as {name}; keep one"
            )
        if name == "impact_pounds":
            scale = factor
        header.append(name or "")
    if not problems and "title" not in header:
        problems.append(f"no title column (a column headed title, Barrier or Issue); the "
                        f"columns are {', '.join(COLUMNS)}")  # fmt: skip
    if problems:
        raise ConfigError(f"{path}: row {start + 1}: " + "; ".join(problems))
    out = []
    for n, cells in enumerate(rows[start + 1 :], start=start + 2):
        if blank(cells):
            continue
        if overflows(cells, header):
            raise ConfigError(
                f"{path}: row {n}: {len(cells)} cells under {len(header)} columns; "
                "a cell holding a comma must be in quotes"
            )
        row = {h: _unescape(c) for h, c in zip(header, cells, strict=False) if h}
        if scale != 1 and row.get("impact_pounds", "").strip():
            row["impact_pounds"] = scaled_pounds(row["impact_pounds"], scale)
        out.append((n, row))
    return header, out


def import_csv(ws: Workspace, path: Path, who: str) -> ImportResult:
    """Apply every row of ``path`` to the register, or none of them."""
    _, rows = _read(path)
    problems: list[str] = []
    with writing(ws):
        barriers = read_register(ws.root)
        by_id = {b.id.casefold(): i for i, b in enumerate(barriers)}
        result = list(barriers)
        added: list[str] = []
        changed: list[str] = []
        for n, cells in rows:
            given = {k: v for k, v in cells.items() if k in EDITABLE}
            bid = cells.get("id", "").strip()
            status = cells.get("status", "")
            note = cells.get("note", "").strip()
            try:
                if bid:
                    if bid.casefold() not in by_id:
                        raise FieldError(
                            "id", f"no barrier {bid} in the register; leave id empty to add one"
                        )
                    i = by_id[bid.casefold()]
                    fields = parse_fields(given, ws.root)
                    after = edit(result[i], fields, who, note or f"imported from {path.name}")
                    if status.strip():
                        after = move(after, status, who, note or f"imported from {path.name}")
                    if after is not result[i]:
                        result[i] = after
                        changed.append(after.id)
                else:
                    fields = parse_fields({k: v for k, v in given.items() if v.strip()}, ws.root)
                    b = new_barrier(next_id(result), fields, who, note or f"from {path.name}")
                    if status.strip():
                        b = move(b, status, who, note or f"imported from {path.name}")
                    result.append(b)
                    by_id[b.id.casefold()] = len(result) - 1
                    added.append(b.id)
            except FieldError as exc:
                problems.append(f"row {n}, field {exc.field}: {exc.message}")
        if problems:
            raise ConfigError(
                f"{path}: nothing imported, the register is unchanged: "
                + problems_text(problems)
                + ". Correct the sheet and import it again"
            )
        if added or changed:
            write_register(ws, result)
    unchanged = len(rows) - len(added) - len(changed)
    return ImportResult(str(path), added, changed, unchanged)
