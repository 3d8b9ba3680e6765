"""The user's marks on the opportunity register, kept in the workspace.

Marks live in ``DIR/opportunities.toml``, one table per opportunity id with
its status (accepted, rejected or parked), a note and when it was marked.
Ids are made from what an opportunity is about, not its figures, so a mark
stays on its opportunity when the count is run again.  The file is written
whole to a temporary file and moved into place under the workspace's writer
lock: a reader sees the old marks or the new, never half a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tomli_w

from totalplace.errors import ConfigError
from totalplace.tomlfile import read_toml
from totalplace.workspace import Workspace, atomic_write

MARKS_FILE = "opportunities.toml"
# The statuses a user can give; "open" takes a mark off again.
MARK_STATUSES = ("accepted", "rejected", "parked")
HEADER = (
    "# Marks on the opportunity register (totalplace opportunities DIR --mark ID STATUS).\n"
    "# One table per opportunity id: status is accepted, rejected or parked.\n\n"
)


@dataclass(frozen=True)
class Mark:
    id: str
    status: str
    note: str
    marked: str  # ISO 8601 time in UTC


def marks_path(root: Path) -> Path:
    return root / MARKS_FILE


def read_marks(root: Path) -> dict[str, Mark]:
    """The workspace's marks by opportunity id (none when there is no file)."""
    path = marks_path(root)
    if not path.exists():
        return {}
    data = read_toml(path, "opportunity marks")
    table = data.get("marks", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [marks] must be a table of opportunity ids")
    out = {}
    for oid, raw in table.items():
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: [marks.{oid}] must be a table with a status")
        status = raw.get("status")
        if status not in MARK_STATUSES:
            raise ConfigError(
                f"{path}: [marks.{oid}] status is {status!r}; use one of {', '.join(MARK_STATUSES)}"
            )
        out[oid] = Mark(oid, status, str(raw.get("note", "")), str(raw.get("marked", "")))
    return out


def set_mark(ws: Workspace, oid: str, status: str, note: str = "") -> Mark | None:
    """Mark opportunity ``oid`` (``open`` removes its mark); the mark given,
    or None when it was removed."""
    if status not in (*MARK_STATUSES, "open"):
        raise ConfigError(
            f"{status!r} is not a mark: use one of {', '.join(MARK_STATUSES)} (or open to clear)"
        )
    with ws.writing():
        marks = read_marks(ws.root)
        mark = None
        if status == "open":
            marks.pop(oid, None)
        else:
            now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
            mark = Mark(oid, status, note, now)
            marks[oid] = mark
        body = {
            "marks": {
                m.id: {"status": m.status, "note": m.note, "marked": m.marked}
                for m in sorted(marks.values(), key=lambda m: m.id)
            }
        }
        atomic_write(marks_path(ws.root), HEADER + tomli_w.dumps(body))
    return mark
