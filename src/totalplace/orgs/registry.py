"""The organisation registry: the public bodies that pay each other.

Three layers, later ones merged over earlier ones by ``id``:

1. every English local authority from the place registry
   (:func:`totalplace.reference.places.registry`), id ``la-<GSS>``;
2. the hand-curated ``data/orgs/public_bodies.csv`` (NHS, police, fire,
   transport, combined and waste authorities, national parks, departments,
   agencies, arm's-length bodies, public corporations), each row naming its source;
3. the user's own ``*.csv`` files with the same columns (``DIR/orgs/`` in a
   workspace). A row with a known id adds its aliases and overrides the
   fields it fills; a row with a new id adds a body.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Final

from totalplace.errors import ConfigError
from totalplace.orgs.normalise import normalise
from totalplace.reference.places import registry as place_registry

KINDS: Final = (
    "council",
    "nhs_commissioner",
    "nhs_provider",
    "police",
    "fire",
    "combined_authority",
    "joint_authority",
    "passenger_transport",
    "waste_authority",
    "national_park",
    "central_department",
    "executive_agency",
    "alb",
    "public_corporation",
    "other_public",
)
COLUMNS: Final = (
    "id",
    "name",
    "kind",
    "codes",
    "area_gss",
    "parent_id",
    "funding_department",
    "valid_from",
    "valid_to",
    "aliases",
    "source",
    "notes",
)
LA_SOURCE: Final = "mySociety register of UK local authorities (the place registry)"
# Place-registry name variants kept as aliases only when they name the
# organisation: "bradford mdc" is the council, "bradford" is a place.
_ORG_WORD = re.compile(r"\b(council|borough|corporation|mbc|mdc|city of)\b")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_GSS = re.compile(r"^E\d{8}$")


@dataclass(frozen=True, slots=True)
class Body:
    """One public body: what it is, where it serves, who funds it, its names."""

    id: str
    name: str
    kind: str
    codes: tuple[tuple[str, str], ...]
    area_gss: tuple[str, ...]
    parent_id: str | None
    funding_department: str | None
    valid_from: date | None
    valid_to: date | None
    aliases: tuple[str, ...]
    source: str
    notes: str = ""

    def code(self, scheme: str) -> str | None:
        """The body's code in a scheme ('gss', 'ecode', 'ods', ...), if known."""
        return dict(self.codes).get(scheme)

    @property
    def names(self) -> tuple[str, ...]:
        """The name and every alias."""
        return (self.name, *self.aliases)


class OrgRegistry:
    """Lookups over the merged bodies; build one with :func:`org_registry`."""

    def __init__(self, bodies: Iterable[Body]) -> None:
        self._by_id = {b.id: b for b in bodies}
        self._by_code: dict[str, str] = {}
        self._aliases: dict[str, set[str]] = {}
        for b in self._by_id.values():
            for _, value in b.codes:
                self._by_code.setdefault(value.upper(), b.id)
            for name in b.names:
                key = normalise(name)
                if key:
                    self._aliases.setdefault(key, set()).add(b.id)

    def get(self, body_id: str) -> Body:
        found = self._by_id.get(body_id)
        if found is None:
            raise ConfigError(f"unknown organisation id {body_id!r}")
        return found

    def bodies(self, kind: str | None = None) -> tuple[Body, ...]:
        return tuple(b for b in self._by_id.values() if kind is None or b.kind == kind)

    def by_code(self, code: str) -> Body:
        """The body with this code in any scheme (GSS, E-code, ODS...)."""
        found = self._by_code.get(code.strip().upper())
        if found is None:
            raise ConfigError(f"no organisation has the code {code!r}")
        return self._by_id[found]

    def alias_index(self) -> Mapping[str, frozenset[str]]:
        """Normalised name -> ids of the bodies bearing it."""
        return {k: frozenset(v) for k, v in self._aliases.items()}


def org_registry(extra_dir: Path | None = None) -> OrgRegistry:
    """The shipped registry, with the ``*.csv`` files in ``extra_dir`` merged over it."""
    bodies = dict(_shipped())
    if extra_dir is not None and extra_dir.is_dir():
        for path in sorted(extra_dir.glob("*.csv")):
            _merge(bodies, _read_rows(path.read_text(encoding="utf-8-sig"), str(path)), path.name)
    _check_links(bodies)
    return OrgRegistry(bodies.values())


@cache
def _shipped() -> dict[str, Body]:
    bodies = {b.id: b for b in _local_authorities()}
    resource = files("totalplace").joinpath("data/orgs/public_bodies.csv")
    _merge(bodies, _read_rows(resource.read_text(encoding="utf-8"), "public_bodies.csv"), None)
    return bodies


def _local_authorities() -> list[Body]:
    places = place_registry()
    out = []
    for a in places.authorities():
        names = [a.name, f"{a.nice_name} Council"]
        names += [v for v in a.aliases if _ORG_WORD.search(v)]
        aliases = tuple(dict.fromkeys(n for n in names[1:] if normalise(n) != normalise(a.name)))
        area = places.units(a.gss) if a.current else places.successors(a.gss)
        codes = [("gss", a.gss)] + [
            (k, v) for k, v in (("ecode", a.ecode), ("ons", a.ons_code)) if v
        ]
        out.append(
            Body(
                id=f"la-{a.gss}",
                name=a.name,
                kind="council",
                codes=tuple(codes),
                area_gss=tuple(area),
                parent_id=None,
                funding_department=None,
                valid_from=a.start_date,
                valid_to=a.end_date,
                aliases=aliases,
                source=LA_SOURCE,
                notes=f"{a.kind} authority, {a.region}",
            )
        )
    return out


def _read_rows(text: str, where: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("id",) if c not in (reader.fieldnames or ())]
    unknown = [c for c in reader.fieldnames or () if c not in COLUMNS]
    if missing or unknown:
        raise ConfigError(
            f"{where}: organisation files need the columns {', '.join(COLUMNS)} "
            f"(only 'id' is required); unknown: {', '.join(unknown) or '-'}"
        )
    return [
        (line, {k: (v or "").strip() for k, v in row.items() if k})
        for line, row in enumerate(reader, start=2)
    ]


def _merge(
    bodies: dict[str, Body], rows: list[tuple[int, dict[str, str]]], user_file: str | None
) -> None:
    where = user_file or "public_bodies.csv"
    for line, row in rows:
        try:
            body_id = row["id"]
            if not _ID.match(body_id):
                raise ConfigError(f"id {body_id!r} must be letters, digits and '-'")
            existing = bodies.get(body_id)
            if existing is None:
                bodies[body_id] = _new_body(row, user_file)
            else:
                bodies[body_id] = _override(existing, row, user_file)
        except ConfigError as exc:
            raise ConfigError(f"{where} line {line}: {exc}") from exc


def _new_body(row: dict[str, str], user_file: str | None) -> Body:
    if not row.get("name") or not row.get("kind"):
        raise ConfigError(f"new organisation {row['id']!r} needs a name and a kind")
    empty = Body(row["id"], "", "", (), (), None, None, None, None, (), "")
    return _override(empty, row, user_file)


def _override(body: Body, row: dict[str, str], user_file: str | None) -> Body:
    kind = row.get("kind") or body.kind
    if kind not in KINDS:
        raise ConfigError(f"kind {kind!r} is not one of: {', '.join(KINDS)}")
    codes = dict(body.codes)
    codes.update(_codes(row.get("codes", "")))
    area = tuple(a for a in row.get("area_gss", "").split(";") if a)
    bad = [a for a in area if not _GSS.match(a)]
    if bad:
        raise ConfigError(f"area_gss must be English GSS codes such as E08000025: {bad}")
    aliases = [a.strip() for a in row.get("aliases", "").split("|") if a.strip()]
    source = row.get("source") or body.source or (f"user file {user_file}" if user_file else "")
    if not source:
        raise ConfigError(f"organisation {body.id!r} needs a source")
    return replace(
        body,
        name=row.get("name") or body.name,
        kind=kind,
        codes=tuple(codes.items()),
        area_gss=area or body.area_gss,
        parent_id=row.get("parent_id") or body.parent_id,
        funding_department=row.get("funding_department") or body.funding_department,
        valid_from=_date(row.get("valid_from", "")) or body.valid_from,
        valid_to=_date(row.get("valid_to", "")) or body.valid_to,
        aliases=tuple(dict.fromkeys((*body.aliases, *aliases))),
        source=source,
        notes=row.get("notes") or body.notes,
    )


def _codes(text: str) -> dict[str, str]:
    out = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        scheme, sep, value = part.partition(":")
        if not sep or not scheme or not value:
            raise ConfigError(f"codes are 'scheme:value' pairs separated by ';', not {part!r}")
        out[scheme.strip().lower()] = value.strip()
    return out


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"dates are YYYY-MM-DD, not {text!r}") from exc


def _check_links(bodies: Mapping[str, Body]) -> None:
    for b in bodies.values():
        for field, target in (
            ("parent_id", b.parent_id),
            ("funding_department", b.funding_department),
        ):
            if target and target not in bodies:
                raise ConfigError(f"organisation {b.id!r}: {field} {target!r} is not a known id")
