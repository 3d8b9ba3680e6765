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
import difflib
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import tomli_w

from totalplace.errors import ConfigError
from totalplace.tomlfile import read_toml
from totalplace.workspace import Workspace, atomic_write

BARRIERS_FILE = "barriers.toml"
# The kinds of barrier Total Place's pilots reported, as slugs, with their names.
TYPES: dict[str, str] = {
    "legislation": "Legislation",
    "ring-fence": "Ring-fenced funding",
    "performance-regime": "Performance regime",
    "data-sharing": "Data sharing",
    "incentives": "Incentives and funding rules",
    "governance": "Governance",
    "culture": "Culture and behaviour",
    "capacity": "Capacity",
}
EFFECTS = ("hinders", "helps")
STATUSES = ("raised", "agreed", "escalated", "resolved", "dropped")
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
# The fields a person writes (CLI options, form fields, CSV columns).
TEXT_FIELDS = ("title", "description", "ask", "evidence")
EDITABLE = (
    "title",
    "description",
    "type",
    "effect",
    "theme",
    "partners",
    "owner",
    "impact_pounds",
    "lines",
    "opportunities",
    "ask",
    "evidence",
)
# Central government, for the asks report: who the ministerial group can direct.
CENTRAL_KINDS = ("central_department", "executive_agency", "alb")
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
_MAX_TEXT = 4000


class FieldError(ValueError):
    """A value a person gave for one field, refused with the reason."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


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
class Owner:
    """Who can remove the barrier: as typed, and the registry's body when it
    knows the name (so "DH" and "Department of Health" are one department)."""

    typed: str
    body_id: str = ""
    name: str = ""
    kind: str = ""

    @property
    def shown(self) -> str:
        return self.name or self.typed

    @property
    def central(self) -> bool:
        return self.kind in CENTRAL_KINDS


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


# -- reading values people typed ----------------------------------------------
def parse_type(text: str) -> str:
    slug = text.strip().lower().replace(" ", "-").replace("_", "-")
    if slug in TYPES:
        return slug
    by_label = {label.lower(): s for s, label in TYPES.items()}
    if text.strip().lower() in by_label:
        return by_label[text.strip().lower()]
    raise FieldError("type", f"{text!r} is not a type of barrier; use one of {', '.join(TYPES)}")


def parse_effect(text: str) -> str:
    value = text.strip().lower() or "hinders"
    if value not in EFFECTS:
        raise FieldError("effect", f"{text!r} is neither helps nor hinders")
    return value


def parse_status(text: str) -> str:
    value = text.strip().lower()
    if value not in STATUSES:
        raise FieldError("status", f"{text!r} is not a status; use one of {', '.join(STATUSES)}")
    return value


def parse_theme(text: str) -> str:
    """A theme id of the taxonomy, given as its id or its label in words."""
    from totalplace.classify.taxonomy import default_taxonomy

    value = text.strip()
    if not value:
        return ""
    themes = default_taxonomy().themes
    if value in themes:
        return value
    for theme in themes.values():
        if value.casefold() in (theme.label.casefold(), theme.id.replace("_", " ")):
            return theme.id
    near = difflib.get_close_matches(value.lower().replace(" ", "_"), list(themes), n=3)
    hint = f"; did you mean {', '.join(near)}?" if near else f"; one of {', '.join(themes)}"
    raise FieldError("theme", f"{text!r} is not a theme of the taxonomy{hint}")


def parse_pounds(text: str) -> int | None:
    """Exact pounds ("1234567", "£1,234,567.50") as pence; empty for not known."""
    value = text.strip().replace(",", "").removeprefix("£").strip()
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise FieldError("impact_pounds", f"{text!r} is not an amount of pounds (e.g. 250000)")
    pence = amount * 100
    if pence != pence.to_integral_value():
        raise FieldError("impact_pounds", f"{text!r} has fractions of a penny")
    return int(pence)


def split_list(text: str) -> tuple[str, ...]:
    """Names separated by semicolons, or by commas when there is no semicolon
    (a department's name may hold a comma: give such lists with semicolons)."""
    sep = ";" if ";" in text else ","
    return tuple(dict.fromkeys(p.strip() for p in text.split(sep) if p.strip()))


def parse_lines(text: str) -> tuple[tuple[str, str], ...]:
    """Count lines as ``AGENCY:THEME`` separated by semicolons."""
    out = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        agency, sep, theme = part.rpartition(":")
        if not sep or not agency.strip():
            raise FieldError("lines", f"{part!r} is not AGENCY:THEME (e.g. Northmoor PCT:health)")
        try:
            out.append((agency.strip(), parse_theme(theme)))
        except FieldError as exc:
            raise FieldError("lines", f"{part!r}: {exc.message}") from exc
    return tuple(dict.fromkeys(out))


def parse_text(name: str, text: str, required: bool = False) -> str:
    value = text.strip()
    if required and not value:
        raise FieldError(name, f"a barrier needs a {name}")
    if len(value) > _MAX_TEXT:
        raise FieldError(name, f"is {len(value):,} characters; keep it under {_MAX_TEXT:,}")
    return value


@cache
def _matcher(orgs_dir: Path | None) -> Any:
    from totalplace.orgs.registry import org_registry
    from totalplace.orgs.resolve import Matcher

    return Matcher(org_registry(orgs_dir))


def resolve_owner(typed: str, root: Path | None = None) -> Owner:
    """The owner as typed, with the registry's body when it accepts the name
    (the workspace's own ``orgs/*.csv`` included)."""
    from totalplace.count.cube import ORGS_DIR

    value = typed.strip()
    if not value:
        raise FieldError("owner", "a barrier needs an owner: a local body or central department")
    orgs = root / ORGS_DIR if root is not None and (root / ORGS_DIR).is_dir() else None
    found = _matcher(orgs).resolve(value)
    if found.status != "accepted" or not found.body_id:
        return Owner(value)
    body = _matcher(orgs).registry.get(found.body_id)
    return Owner(value, body.id, body.name, body.kind)


def parse_fields(raw: Mapping[str, str], root: Path | None) -> dict[str, Any]:
    """The editable fields given in ``raw`` (text as typed), checked and
    converted; a field not in ``raw`` is left out."""
    parsers: dict[str, Any] = {
        "title": lambda v: parse_text("title", v, required=True),
        "description": lambda v: parse_text("description", v),
        "ask": lambda v: parse_text("ask", v),
        "evidence": lambda v: parse_text("evidence", v),
        "type": parse_type,
        "effect": parse_effect,
        "theme": parse_theme,
        "partners": split_list,
        "owner": lambda v: resolve_owner(v, root),
        "impact_pounds": parse_pounds,
        "lines": parse_lines,
        "opportunities": split_list,
    }
    out: dict[str, Any] = {}
    for name, text in raw.items():
        if name not in parsers:
            raise FieldError(name, f"is not a field of a barrier; fields: {', '.join(EDITABLE)}")
        key = "impact_pence" if name == "impact_pounds" else name
        out[key] = parsers[name](text)
    return out


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
