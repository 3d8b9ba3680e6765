"""Canonical roles and the mapping of a file's headers onto them.

The shipped synonym registry (``data/headers.toml``) maps most published
layouts; a user's profile maps the rest.  The mapping is *sure* only when every
required role has exactly one best column; otherwise ingest stops with a
message listing the unmapped roles, the candidate columns and a profile to copy.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from totalplace.errors import ConfigError, MappingError
from totalplace.tomlfile import read_toml

FUZZY_THRESHOLD = 0.9
DATE_ROLES = ("payment_date", "period")


def normalise_header(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


@dataclass(frozen=True)
class Role:
    name: str
    help: str
    required: bool
    synonyms: tuple[str, ...]


@cache
def registry() -> dict[str, Role]:
    raw = tomllib.loads(
        resources.files("totalplace").joinpath("data/headers.toml").read_text(encoding="utf-8")
    )
    return {
        name: Role(
            name=name,
            help=str(spec["help"]),
            required=bool(spec.get("required", False)),
            synonyms=tuple(normalise_header(s) for s in spec["synonyms"]),
        )
        for name, spec in raw["roles"].items()
    }


@dataclass
class Profile:
    """A per-publisher mapping profile (TOML), written by a user."""

    source: str = "(none)"
    publisher: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    date_order: str | None = None  # "dmy" or "mdy"
    header_line: int | None = None  # 1-based physical line of the header
    delimiter: str | None = None
    period_calendar: str = "monthly"  # or "four-weekly"
    period_year: str | None = None  # financial year for bare period codes like P04
    year_start: str = "04-01"  # MM-DD on which the body's financial year starts

    @classmethod
    def load(cls, path: Path) -> Profile:
        raw = read_toml(path, "profile")
        known = set(registry())
        columns = {str(k): str(v) for k, v in raw.get("columns", {}).items()}
        unknown = sorted(set(columns) - known)
        if unknown:
            raise ConfigError(
                f"{path}: [columns] names unknown roles {', '.join(unknown)}; "
                f"roles are: {', '.join(sorted(known))}"
            )
        periods = raw.get("periods", {})
        _check_profile_values(path, raw, periods)
        order = raw.get("date_order")
        if order not in (None, "dmy", "mdy"):
            raise ConfigError(f'{path}: date_order must be "dmy" or "mdy", not "{order}"')
        calendar = str(periods.get("calendar", "monthly"))
        if calendar not in ("monthly", "four-weekly"):
            raise ConfigError(
                f'{path}: [periods] calendar must be "monthly" or "four-weekly", not "{calendar}"'
            )
        return cls(
            source=str(path),
            publisher=raw.get("publisher"),
            columns=columns,
            date_order=order,
            header_line=raw.get("header_line"),
            delimiter=raw.get("delimiter"),
            period_calendar=calendar,
            period_year=periods.get("year"),
            year_start=str(periods.get("year_start", "04-01")),
        )


def _check_profile_values(path: Path, raw: dict[str, object], periods: dict[str, object]) -> None:
    header_line = raw.get("header_line")
    if header_line is not None and (
        not isinstance(header_line, int) or isinstance(header_line, bool) or header_line < 1
    ):
        raise ConfigError(f"{path}: header_line must be a whole number from 1, not {header_line!r}")
    delimiter = raw.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ConfigError(f'{path}: delimiter must be one character such as "," or ";"')
    year = periods.get("year")
    if year is not None:
        m = re.match(r"^(\d{4})-(\d{2})$", str(year))
        if not isinstance(year, str) or not m or (int(m[1]) + 1) % 100 != int(m[2]):
            raise ConfigError(
                f'{path}: [periods] year must be written like "2013-14", not {year!r}'
            )
    start = periods.get("year_start", "04-01")
    if not isinstance(start, str) or not re.match(
        r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$", start
    ):
        raise ConfigError(f'{path}: [periods] year_start must be MM-DD such as "04-01"')


@dataclass(frozen=True)
class ColumnMap:
    """Role name -> (0-based column index, header text, how it was matched)."""

    roles: dict[str, tuple[int, str, str]]
    headers: tuple[str, ...]

    def index(self, role: str) -> int | None:
        hit = self.roles.get(role)
        return hit[0] if hit else None

    def header(self, role: str) -> str | None:
        hit = self.roles.get(role)
        return hit[1] if hit else None

    def unmapped_headers(self) -> list[str]:
        used = {i for i, _, _ in self.roles.values()}
        return [h for i, h in enumerate(self.headers) if i not in used and h.strip()]

    def describe(self) -> dict[str, str]:
        return {role: f"{h} ({how})" for role, (_, h, how) in self.roles.items()}


def header_score(cells: list[str]) -> int:
    """How many cells look like known header names (used to find the header row)."""
    known = {s for spec in registry().values() for s in spec.synonyms}
    return sum(1 for c in cells if normalise_header(c) in known)


def map_columns(
    path: str, headers: list[str], profile: Profile, *, require_date: bool = True
) -> ColumnMap:
    """Map headers to roles; ``require_date=False`` when the file's period is
    known from elsewhere (its name or title lines)."""
    roles = registry()
    norm = [normalise_header(h) for h in headers]
    chosen: dict[str, tuple[int, str, str]] = {}
    used: set[int] = set()

    for role, wanted in profile.columns.items():
        hits = [i for i, h in enumerate(headers) if h.strip() == wanted.strip()]
        hits = hits or [i for i, h in enumerate(norm) if h == normalise_header(wanted)]
        if not hits:
            raise MappingError(
                path,
                f'profile {profile.source} maps {role} to column "{wanted}", which is not in '
                f"this file. Its columns are: {', '.join(repr(h) for h in headers)}",
            )
        chosen[role] = (hits[0], headers[hits[0]], "profile")
        used.add(hits[0])

    # exact synonyms: earlier synonym wins, then earlier column
    for name, spec in roles.items():
        if name in chosen:
            continue
        best: tuple[int, int] | None = None
        for i, h in enumerate(norm):
            if i in used or h not in spec.synonyms:
                continue
            rank = (spec.synonyms.index(h), i)
            if best is None or rank < best:
                best = rank
        if best is not None:
            chosen[name] = (best[1], headers[best[1]], "synonym")
            used.add(best[1])

    # near-misses such as "Directotate": only for columns nothing else claimed
    for name, spec in roles.items():
        if name in chosen:
            continue
        scored = sorted(
            (
                (max(difflib.SequenceMatcher(None, h, s).ratio() for s in spec.synonyms), i)
                for i, h in enumerate(norm)
                if i not in used and h
            ),
            reverse=True,
        )
        if scored and scored[0][0] >= FUZZY_THRESHOLD:
            if len(scored) > 1 and scored[1][0] == scored[0][0]:
                continue  # a tie is not a match
            i = scored[0][1]
            chosen[name] = (i, headers[i], f"near match {scored[0][0]:.2f}")
            used.add(i)

    cmap = ColumnMap(chosen, tuple(headers))
    missing = [r for r, spec in roles.items() if spec.required and r not in chosen]
    if require_date and not any(r in chosen for r in DATE_ROLES):
        missing.append("payment_date or period")
    if missing:
        raise MappingError(path, _unsure_message(missing, cmap))
    return cmap


def _unsure_message(missing: list[str], cmap: ColumnMap) -> str:
    candidates = cmap.unmapped_headers()
    first = missing[0].split(" ")[0]
    example = candidates[0] if candidates else "Column header"
    lines = [
        f"cannot map required role(s): {', '.join(missing)}.",
        "Unmapped columns that could fill them: "
        f"{', '.join(repr(c) for c in candidates) or '(none)'}.",
        f"Mapped so far: {', '.join(f'{r}={h!r}' for r, h in sorted(cmap.describe().items()))}.",
        "Write a profile (TOML) and pass it with --profile FILE, or save it in the "
        "workspace's profiles/ folder with the publisher's name, e.g.:",
        '    publisher = "Example Council"',
        "    [columns]",
        f'    {first} = "{example}"',
    ]
    return "\n".join(lines)
