"""The barriers register as a spreadsheet, for workshops run with sticky notes.

Export writes one row per barrier; import reads such a file back.  A row
with an id changes that barrier (each changed field and any status move is
appended to its history, status moves checked as on the command line); a row
with no id raises a new barrier.  Every row is checked before anything is
written: one bad row (a type that is not a type, an unknown id, a move that
is not allowed) refuses the whole file with its file, row and field, and the
register is left as it was.

Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@``) are written with a leading apostrophe
(:func:`totalplace.report.sheets.safe_text`), which import takes off again.
"""

from __future__ import annotations

import csv
import io
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
from totalplace.culture.fields import EDITABLE, FieldError, parse_fields
from totalplace.errors import ConfigError
from totalplace.report.sheets import FORMULA_STARTS, safe_text
from totalplace.workspace import Workspace, atomic_write

# Written by export; import reads the editable ones, id and status, and
# ignores the rest (they are worked out, not typed).
COLUMNS = ("id", *EDITABLE, "status", "note", "owner_body", "raised", "last_change")
READ_ONLY = ("owner_body", "raised", "last_change")
# How many bad rows an import's error names before "and N more".
_NAMED = 10


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


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text at byte {exc.start}; save the sheet as CSV UTF-8"
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower().replace(" ", "_") for h in next(reader, [])]
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown or "title" not in header:
        what = f"unknown column {unknown[0]!r}" if unknown else "no title column"
        raise ConfigError(f"{path}: row 1: {what}; the columns are {', '.join(COLUMNS)}")
    rows = []
    for n, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise ConfigError(f"{path}: row {n}: {len(cells)} cells under {len(header)} columns")
        rows.append((n, {h: _unescape(c) for h, c in zip(header, cells, strict=False) if h}))
    return header, rows


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
            more = f"; and {len(problems) - _NAMED} more" if len(problems) > _NAMED else ""
            raise ConfigError(
                f"{path}: nothing imported, the register is unchanged: "
                + "; ".join(problems[:_NAMED])
                + more
                + ". Correct the sheet and import it again"
            )
        if added or changed:
            write_register(ws, result)
    unchanged = len(rows) - len(added) - len(changed)
    return ImportResult(str(path), added, changed, unchanged)
