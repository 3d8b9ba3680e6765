"""The partnership's log of decisions: what was agreed, by whom, and when.

A place keeps its own history this way: a decision to pool a budget or to
escalate a barrier is recorded with the date it was taken (today unless
given), the partners who took it, and optionally the barrier it is about.
Entries are only ever appended, in ``DIR/decisions.toml``, written whole
under the workspace's writer lock like the barriers register.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import tomli_w

from totalplace.culture.barriers import find, now, read_register, writing
from totalplace.culture.fields import split_list
from totalplace.errors import ConfigError
from totalplace.tomlfile import read_toml
from totalplace.workspace import Workspace, atomic_write

DECISIONS_FILE = "decisions.toml"
HEADER = (
    "# The partnership's decisions (totalplace decisions DIR add), oldest first.\n"
    "# Add with the command; entries are never changed.\n\n"
)
_ID = re.compile(r"^D(\d+)$")
_MAX_TEXT = 4000


@dataclass(frozen=True)
class Decision:
    id: str
    date: str  # YYYY-MM-DD, when it was taken
    what: str
    by: tuple[str, ...]
    barrier: str = ""
    recorded: str = ""  # when it was written down (UTC)
    recorded_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "by": list(self.by)}


def decisions_path(root: Path) -> Path:
    return root / DECISIONS_FILE


def read_decisions(root: Path) -> list[Decision]:
    """The log, in the order the decisions were taken (then recorded)."""
    path = decisions_path(root)
    if not path.exists():
        return []
    data = read_toml(path, "decisions log")
    items = data.get("decisions", [])
    if not isinstance(items, list):
        raise ConfigError(f"{path}: decisions must be an array of tables ([[decisions]])")
    out = []
    for i, raw in enumerate(items, 1):
        try:
            out.append(
                Decision(
                    str(raw["id"]),
                    str(raw["date"]),
                    str(raw["what"]),
                    tuple(str(b) for b in raw["by"]),
                    str(raw.get("barrier", "")),
                    str(raw.get("recorded", "")),
                    str(raw.get("recorded_by", "")),
                )
            )
        except (KeyError, TypeError) as exc:
            raise ConfigError(
                f"{path}: decision {i} lacks {exc}; correct the file by hand"
            ) from exc
    return sorted(out, key=lambda d: (d.date, d.recorded, _number(d.id)))


def _number(decision_id: str) -> int:
    m = _ID.match(decision_id)
    return int(m.group(1)) if m else 0


def parse_date(text: str | None) -> str:
    if not text or not text.strip():
        return datetime.now(UTC).date().isoformat()
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError as exc:
        raise ConfigError(f"--date: {text!r} is not a date as YYYY-MM-DD") from exc


def add_decision(
    ws: Workspace,
    what: str,
    by: str,
    who: str,
    when: str | None = None,
    barrier: str | None = None,
) -> Decision:
    """Record a decision; ``by`` names the partners, separated by commas (or
    semicolons when a name holds a comma)."""
    text = what.strip()
    if not text:
        raise ConfigError("--what: say what was decided")
    if len(text) > _MAX_TEXT:
        raise ConfigError(f"--what: is {len(text):,} characters; keep it under {_MAX_TEXT:,}")
    partners = split_list(by)
    if not partners:
        raise ConfigError('--by: name the partners who took the decision, e.g. --by "A, B"')
    day = parse_date(when)
    with writing(ws):
        barrier_id = find(read_register(ws.root), barrier).id if barrier else ""
        log = read_decisions(ws.root)
        n = max((_number(d.id) for d in log), default=0) + 1
        decision = Decision(f"D{n}", day, text, partners, barrier_id, now(), who)
        body = {"decisions": [d.to_dict() for d in sorted([*log, decision], key=lambda d:
                                                           _number(d.id))]}  # fmt: skip
        atomic_write(decisions_path(ws.root), HEADER + tomli_w.dumps(body))
    return decision
