"""The network's shared learning log: what a place tried, what happened, and
the business case it links to, so one place can learn from another's
attempt.  Entries are only appended, in ``NET/learning.toml``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from totalplace.errors import ConfigError
from totalplace.network.folder import Network
from totalplace.tomlfile import read_toml
from totalplace.workspace import atomic_write

__all__ = ["LEARNING_FILE", "Lesson", "add_lesson", "read_log"]

LEARNING_FILE = "learning.toml"
HEADER = (
    "# The network's shared learning (totalplace network learn DIR add), oldest first.\n"
    "# Add with the command; entries are never changed.\n\n"
)
_MAX_TEXT = 4000


@dataclass(frozen=True)
class Lesson:
    id: str
    date: str  # YYYY-MM-DD, when it was written down (UTC)
    place: str  # a member's name
    tried: str
    happened: str
    case: str = ""  # a business case file in the member's workspace, where one exists
    by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_log(net: Network) -> list[Lesson]:
    path = net.root / LEARNING_FILE
    if not path.exists():
        return []
    items = read_toml(path, "learning log").get("lesson", [])
    try:
        return [Lesson(**{k: str(v) for k, v in item.items()}) for item in items]
    except TypeError as exc:
        raise ConfigError(f"{path}: an entry is not one totalplace writes ({exc})") from exc


def _text(value: str, option: str) -> str:
    text = value.strip()
    if not text:
        raise ConfigError(f"{option} is empty: say it in a sentence")
    if len(text) > _MAX_TEXT:
        raise ConfigError(f"{option} is {len(text):,} characters; at most {_MAX_TEXT:,}")
    return text


def add_lesson(
    net: Network, place: str, tried: str, happened: str, who: str, case: Path | None = None
) -> Lesson:
    """Append a lesson from member ``place``.  ``case`` is a business case
    file: kept by its path relative to the member's workspace when it lies
    inside it, and refused when it does not exist."""
    member = net.member(place)
    case_text = ""
    if case is not None:
        found = case if case.is_absolute() else Path.cwd() / case
        if not found.is_file():
            inside = member.root(net.root) / case
            if not inside.is_file():
                raise ConfigError(f"--case {case}: no such file (nor in {member.root(net.root)})")
            found = inside
        try:
            case_text = found.resolve().relative_to(member.root(net.root)).as_posix()
        except ValueError:
            case_text = str(found.resolve())
    log = read_log(net)
    lesson = Lesson(
        id=f"L{len(log) + 1}",
        date=datetime.now(UTC).strftime("%Y-%m-%d"),
        place=member.name,
        tried=_text(tried, "--tried"),
        happened=_text(happened, "--happened"),
        case=case_text,
        by=who,
    )
    body = {"lesson": [x.to_dict() for x in [*log, lesson]]}
    atomic_write(net.root / LEARNING_FILE, HEADER + tomli_w.dumps(body))
    return lesson
