"""The barriers register: what helps and what hinders joint working in the place.

Total Place ran a *culture* process beside the count: local and central
partners wrote down what stopped them working together (a ring-fence, a
performance target, a rule on sharing data) and asked central government to
remove it.  The register keeps each such barrier (or enabler) with its type,
theme, partners, owner, the money it is known to affect, the ask of central
government, the evidence, and its status.

Every change is appended to the barrier's history (when, who, which field,
from, to, a note) and never rewritten, so the register shows who moved a
barrier to "escalated" and when, even after it is resolved.  Status moves
only along :data:`TRANSITIONS`; anything else is refused with the moves
allowed from where it stands.

The register lives in ``DIR/barriers.toml``, written whole to a temporary
file and moved into place under the workspace's writer lock, so two commands
adding at once both land and a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from totalplace.culture.fields import (
    TYPES,
    FieldError,
    Owner,
    parse_effect,
    parse_fields,
    parse_status,
    parse_type,
)
from totalplace.errors import ConfigError
from totalplace.tomlfile import read_toml
from totalplace.workspace import Workspace, atomic_write

BARRIERS_FILE = "barriers.toml"
# Where a barrier may go from each status: partners agree it is real, escalate
# it to central government, which may hand it back (agreed) or remove it
# (resolved); a closed barrier can be raised again when it comes back.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "raised": ("agreed", "escalated", "resolved", "dropped"),
    "agreed": ("escalated", "resolved", "dropped"),
    "escalated": ("agreed", "resolved", "dropped"),
    "resolved": ("raised",),
    "dropped": ("raised",),
}
OPEN_STATUSES = ("raised", "agreed", "escalated")
HEADER = (
    "# The barriers register (totalplace barriers DIR add|update|import).\n"
    "# Each [[barriers]] keeps its history of changes; edit with the command so the\n"
    "# history stays whole.\n\n"
)
_ID = re.compile(r"^B(\d+)$")
# The writer lock is per process (re-entrant within it), so the dashboard's
# threads also take this one: two forms sent at once must not both read the
# register before either writes it.
_THREADS = threading.Lock()


@dataclass(frozen=True)
class Change:
    """One entry of a barrier's history; ``field`` is ``status`` for a move."""

    when: str  # ISO 8601 time in UTC
    who: str
    field: str
    before: str
    after: str
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "when": self.when, "who": self.who, "field": self.field,
            "from": self.before, "to": self.after, "note": self.note,
        }  # fmt: skip


@dataclass(frozen=True)
class Barrier:
    id: str
    title: str
    type: str
    owner: Owner
    effect: str = "hinders"
    description: str = ""
    theme: str = ""
    partners: tuple[str, ...] = ()
    impact_pence: int | None = None
    lines: tuple[tuple[str, str], ...] = ()  # (agency, theme) of count lines
    opportunities: tuple[str, ...] = ()
    ask: str = ""
    evidence: str = ""
    status: str = "raised"
    history: tuple[Change, ...] = field(default=())

    @property
    def raised(self) -> str:
        return self.history[0].when if self.history else ""

    def to_dict(self) -> dict[str, Any]:
        from totalplace.classify.taxonomy import theme_label

        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "type": self.type,
            "type_label": TYPES[self.type],
            "effect": self.effect,
            "theme": self.theme,
            "theme_label": theme_label(self.theme) if self.theme else "",
            "partners": list(self.partners),
            "owner": self.owner.typed,
            "owner_id": self.owner.body_id,
            "owner_name": self.owner.shown,
            "owner_kind": self.owner.kind,
            "impact_pence": self.impact_pence,
            "lines": [{"agency": a, "theme": t} for a, t in self.lines],
            "opportunities": list(self.opportunities),
            "ask": self.ask,
            "evidence": self.evidence,
            "status": self.status,
            "raised": self.raised,
            "history": [c.to_dict() for c in self.history],
        }


def register_path(root: Path) -> Path:
    return root / BARRIERS_FILE


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- the file -------------------------------------------------------------------
def read_register(root: Path) -> list[Barrier]:
    """The workspace's barriers in the order they were raised (none without a file)."""
    path = register_path(root)
    if not path.exists():
        return []
    data = read_toml(path, "barriers register")
    items = data.get("barriers", [])
    if not isinstance(items, list):
        raise ConfigError(f"{path}: barriers must be an array of tables ([[barriers]])")
    out = []
    for i, raw in enumerate(items, 1):
        where = f"{path}: barrier {raw.get('id', i) if isinstance(raw, dict) else i}"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where} is not a table")
        try:
            out.append(_from_toml(raw, root))
        except (FieldError, KeyError, TypeError, ValueError) as exc:
            what = f"field {exc.field}: {exc.message}" if isinstance(exc, FieldError) else exc
            raise ConfigError(
                f"{where}: {what}; correct the file by hand or restore it from a backup"
            ) from exc
    return out


def _from_toml(raw: dict[str, Any], root: Path) -> Barrier:
    if not _ID.match(str(raw["id"])):
        raise FieldError("id", f"{raw['id']!r} is not an id such as B1")
    history = tuple(
        Change(
            str(c["when"]),
            str(c["who"]),
            str(c["field"]),
            str(c["from"]),
            str(c["to"]),
            str(c.get("note", "")),
        )
        for c in raw.get("history", [])
    )
    owner = raw.get("owner", {})
    impact = raw.get("impact_pence")
    if impact is not None and (not isinstance(impact, int) or impact < 0):
        raise FieldError("impact_pence", f"{impact!r} is not a whole number of pence")
    return Barrier(
        id=str(raw["id"]),
        title=str(raw["title"]),
        type=parse_type(str(raw["type"])),
        owner=Owner(
            str(owner["typed"]),
            str(owner.get("id", "")),
            str(owner.get("name", "")),
            str(owner.get("kind", "")),
        ),
        effect=parse_effect(str(raw.get("effect", "hinders"))),
        description=str(raw.get("description", "")),
        theme=str(raw.get("theme", "")),
        partners=tuple(str(p) for p in raw.get("partners", [])),
        impact_pence=impact,
        lines=tuple((str(x["agency"]), str(x["theme"])) for x in raw.get("lines", [])),
        opportunities=tuple(str(o) for o in raw.get("opportunities", [])),
        ask=str(raw.get("ask", "")),
        evidence=str(raw.get("evidence", "")),
        status=parse_status(str(raw.get("status", "raised"))),
        history=history,
    )


def _to_toml(b: Barrier) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": b.id, "title": b.title, "type": b.type, "effect": b.effect,
        "status": b.status, "description": b.description, "theme": b.theme,
        "partners": list(b.partners), "ask": b.ask, "evidence": b.evidence,
        "opportunities": list(b.opportunities),
        "owner": {"typed": b.owner.typed, "id": b.owner.body_id, "name": b.owner.name,
                  "kind": b.owner.kind},
        "lines": [{"agency": a, "theme": t} for a, t in b.lines],
        "history": [c.to_dict() for c in b.history],
    }  # fmt: skip
    if b.impact_pence is not None:
        out["impact_pence"] = b.impact_pence
    return out


def write_register(ws: Workspace, barriers: Sequence[Barrier]) -> None:
    """Replace the file (call under ``ws.writing()``)."""
    body = {"barriers": [_to_toml(b) for b in barriers]}
    atomic_write(register_path(ws.root), HEADER + tomli_w.dumps(body))


def next_id(barriers: Sequence[Barrier]) -> str:
    used = [int(m.group(1)) for b in barriers if (m := _ID.match(b.id))]
    return f"B{max(used, default=0) + 1}"


def find(barriers: Sequence[Barrier], barrier_id: str) -> Barrier:
    for b in barriers:
        if b.id.casefold() == barrier_id.strip().casefold():
            return b
    ids = ", ".join(b.id for b in barriers[-10:]) or "none yet"
    raise ConfigError(
        f"no barrier {barrier_id!r} in the register (ids: {ids}); "
        "list them with `totalplace barriers DIR list`"
    )


@contextlib.contextmanager
def writing(ws: Workspace) -> Iterator[None]:
    """Hold the workspace's writer lock, and this process's, for a read-modify-write."""
    with _THREADS, ws.writing():
        yield


# -- changes --------------------------------------------------------------------
def new_barrier(barrier_id: str, fields: dict[str, Any], who: str, note: str = "") -> Barrier:
    """A barrier from checked fields, raised now by ``who``."""
    missing = [name for name in ("title", "type", "owner") if name not in fields]
    if missing:
        raise FieldError(missing[0], f"a barrier needs a {missing[0]}")
    when = now()
    return Barrier(
        id=barrier_id,
        status="raised",
        history=(Change(when, who, "status", "", "raised", note),),
        **fields,
    )


def move(barrier: Barrier, status: str, who: str, note: str = "") -> Barrier:
    """The barrier at ``status``, the move appended to its history; a move
    :data:`TRANSITIONS` does not allow is refused naming the allowed ones."""
    status = parse_status(status)
    if status == barrier.status:
        return barrier
    allowed = TRANSITIONS[barrier.status]
    if status not in allowed:
        raise FieldError(
            "status",
            f"{barrier.id} is {barrier.status}; from {barrier.status} it can go to "
            f"{', '.join(allowed)}, not {status}",
        )
    change = Change(now(), who, "status", barrier.status, status, note)
    return replace(barrier, status=status, history=(*barrier.history, change))


def edit(barrier: Barrier, fields: dict[str, Any], who: str, note: str = "") -> Barrier:
    """The barrier with ``fields`` changed, one history entry per field that
    changed (its old and new value as text)."""
    changes = []
    for name, value in fields.items():
        old = getattr(barrier, name)
        if old == value:
            continue
        changes.append(Change(now(), who, name, _as_text(old), _as_text(value), note))
    if not changes:
        return barrier
    return replace(barrier, **fields, history=(*barrier.history, *changes))


def _as_text(value: Any) -> str:
    if isinstance(value, Owner):
        return value.typed
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "; ".join(":".join(v) if isinstance(v, tuple) else str(v) for v in value)
    return str(value)


def _refuse(exc: FieldError) -> ConfigError:
    option = exc.field.replace("_", "-")
    return ConfigError(f"--{option}: {exc.message}")


def add_barrier(ws: Workspace, raw: Mapping[str, str], who: str) -> Barrier:
    """Raise a barrier from text as typed (CLI options or a form's fields)."""
    try:
        fields = parse_fields({k: v for k, v in raw.items() if v is not None}, ws.root)
        with writing(ws):
            barriers = read_register(ws.root)
            barrier = new_barrier(next_id(barriers), fields, who)
            write_register(ws, [*barriers, barrier])
    except FieldError as exc:
        raise _refuse(exc) from exc
    return barrier


def update_barrier(
    ws: Workspace,
    barrier_id: str,
    who: str,
    status: str | None = None,
    note: str = "",
    raw: Mapping[str, str] | None = None,
) -> Barrier:
    """Move a barrier to ``status`` and/or change fields, appending each change."""
    try:
        fields = parse_fields(raw or {}, ws.root)
        with writing(ws):
            barriers = read_register(ws.root)
            barrier = find(barriers, barrier_id)
            changed = edit(barrier, fields, who, note)
            if status:
                changed = move(changed, status, who, note)
            if changed is not barrier:
                write_register(ws, [changed if b.id == barrier.id else b for b in barriers])
    except FieldError as exc:
        raise _refuse(exc) from exc
    return changed


def select(
    barriers: Sequence[Barrier], status: str | None = None, type_: str | None = None
) -> list[Barrier]:
    """The barriers at ``status`` and of ``type_`` (either may be None: all)."""
    try:
        s = parse_status(status) if status else None
        t = parse_type(type_) if type_ else None
    except FieldError as exc:
        raise _refuse(exc) from exc
    return [b for b in barriers if (s is None or b.status == s) and (t is None or b.type == t)]


def with_count(items: list[dict[str, Any]], count: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each barrier's linked count lines with the money the count holds on them
    (``pence`` None when the count has no such line, or there is no count)."""
    held: dict[tuple[str, str], int] = {}
    for line in (count or {}).get("lines", []):
        key = (str(line.get("agency")), str(line.get("theme")))
        held[key] = held.get(key, 0) + int(line.get("pence", 0))
    for item in items:
        for line in item["lines"]:
            line["pence"] = held.get((line["agency"], line["theme"]))
    return items
