"""Reading what people type about a barrier: its type, status, theme, owner,
pounds and lists, each checked and converted, or refused with the field and
the reason (:class:`FieldError`), which the command line names as its
option, a form as its field and an import as its file, row and field.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

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
_MAX_TEXT = 4000


class FieldError(ValueError):
    """A value a person gave for one field, refused with the reason."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


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


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def parse_type(text: str) -> str:
    """A type given as its slug or its name in any capitals, spacing or
    punctuation ("Ring fence", "Data Sharing", "ringfence"), or as the start of
    exactly one ("Ring-fenced", "Performance"); anything else is refused with
    the types and the closest."""
    typed = _squash(text)
    names = {slug: (_squash(slug), _squash(label)) for slug, label in TYPES.items()}
    for slug, squashed in names.items():
        if typed in squashed:
            return slug
    starts = {
        slug
        for slug, squashed in names.items()
        if len(typed) >= 4 and any(n.startswith(typed) or typed.startswith(n) for n in squashed)
    }
    if len(starts) == 1:
        return starts.pop()
    near = difflib.get_close_matches(typed, [n for pair in names.values() for n in pair], n=1)
    hint = next(
        (f"did you mean {s}? " for s, pair in names.items() if near and near[0] in pair), ""
    )
    raise FieldError(
        "type", f"{text!r} is not a type of barrier; {hint}use one of {', '.join(TYPES)}"
    )


# How workshops write whether a barrier hinders or helps.
_EFFECTS = {"hinders": "hinders", "hinder": "hinders", "barrier": "hinders",
            "helps": "helps", "help": "helps", "enabler": "helps", "enables": "helps"}  # fmt: skip


def parse_effect(text: str) -> str:
    value = text.strip().lower() or "hinders"
    if value not in _EFFECTS:
        raise FieldError("effect", f"{text!r} is neither helps nor hinders")
    return _EFFECTS[value]


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


# What a sheet writes for an impact nobody has put a figure on.
_NOT_KNOWN = ("", "unknown", "notknown", "n/a", "na", "tbc", "tbd", "?")
# Amounts written short: "£250k", "£1.2m", "£3bn".
_SHORT = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000,
          "bn": 1_000_000_000, "billion": 1_000_000_000}  # fmt: skip
_POUNDS = re.compile(r"^£?(\d+(?:\.\d+)?)(k|thousand|m|million|bn|billion)?$")


def _amount(text: str, scale: int = 1) -> Decimal | None:
    """Exact pounds as written: "1234567", "£1,234,567.50", "£250k", "£1.2m";
    None for not known.  ``scale`` is what one unit of a plain number stands
    for (1,000 under a header "Impact £k"); a number written short keeps its
    own."""
    value = re.sub(r"[\s,]", "", text.lower())
    if value in _NOT_KNOWN:
        return None
    m = _POUNDS.match(value)
    if not m:
        raise FieldError("impact_pounds", f"{text!r} is not an amount of pounds (e.g. 250000)")
    return Decimal(m[1]) * (_SHORT[m[2]] if m[2] else scale)


def parse_pounds(text: str) -> int | None:
    """Exact pounds ("1234567", "£1,234,567.50", "£1.2m") as pence; empty, "TBC",
    "unknown" or "n/a" for not known."""
    amount = _amount(text)
    if amount is None:
        return None
    pence = amount * 100
    if pence != pence.to_integral_value():
        raise FieldError("impact_pounds", f"{text!r} has fractions of a penny")
    return int(pence)


def scaled_pounds(text: str, scale: int) -> str:
    """An amount from a column in thousands or millions as whole pounds
    ("250" under "£k" is "250000"); text that is no amount is left as typed
    for :func:`parse_pounds` to refuse."""
    try:
        amount = _amount(text, scale)
    except FieldError:
        return text
    return text if amount is None else f"{amount:f}"


def split_list(text: str) -> tuple[str, ...]:
    """Names separated by semicolons, or by commas when there is no semicolon
    (a department's name may hold a comma: give such lists with semicolons)."""
    sep = ";" if ";" in text else ","
    return tuple(dict.fromkeys(p.strip() for p in text.split(sep) if p.strip()))


def count_agencies(root: Path | None) -> list[str] | None:
    """The agencies of the workspace's count (None when it has no count yet)."""
    from totalplace.report.count_file import NoCount, read_count

    if root is None:
        return None
    try:
        lines = read_count(root).get("lines", [])
    except NoCount:
        return None
    return sorted({str(x.get("agency")) for x in lines})


def parse_lines(text: str, agencies: list[str] | None = None) -> tuple[tuple[str, str], ...]:
    """Count lines as ``AGENCY:THEME`` separated by semicolons.  When the
    workspace has a count, the agency must be one of its agencies (any
    capitals; kept as the count spells it), so a link never points nowhere."""
    out = []
    known = {a.casefold(): a for a in agencies or []}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        agency, sep, theme = part.rpartition(":")
        agency = agency.strip()
        if not sep or not agency:
            raise FieldError("lines", f"{part!r} is not AGENCY:THEME (e.g. Northmoor PCT:health)")
        if agencies is not None:
            if agency.casefold() not in known:
                near = difflib.get_close_matches(agency, agencies, n=3, cutoff=0.5)
                raise FieldError(
                    "lines",
                    f"{agency!r} is no agency of the count; "
                    + (f"did you mean {'; '.join(near)}?" if near else
                       f"its agencies: {'; '.join(agencies[:10])}"),
                )  # fmt: skip
            agency = known[agency.casefold()]
        try:
            out.append((agency, parse_theme(theme)))
        except FieldError as exc:
            raise FieldError("lines", f"{part!r}: {exc.message}") from exc
    return tuple(dict.fromkeys(out))


def opportunity_ids(root: Path | None) -> list[str] | None:
    """The ids in the workspace's opportunity register as last written
    (``reports/opportunities.csv``), or None when there is none yet."""
    import csv

    from totalplace.opportunities.register import CSV_NAME
    from totalplace.report.run import REPORTS

    path = root / REPORTS / CSV_NAME if root is not None else None
    if path is None or not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        return [row.get("id", "") for row in csv.DictReader(fh)]


def parse_opportunities(text: str, known: list[str] | None = None) -> tuple[str, ...]:
    """Opportunity ids; when the workspace has a register, each must be in it."""
    ids = split_list(text)
    for oid in ids:
        if known is not None and oid not in known:
            near = difflib.get_close_matches(oid, known, n=3, cutoff=0.5)
            raise FieldError(
                "opportunities",
                f"{oid!r} is not in the opportunity register"
                + (f"; did you mean {', '.join(near)}?" if near else "")
                + " (run `totalplace opportunities DIR` to list and refresh it)",
            )
    return ids


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
        "lines": lambda v: parse_lines(v, count_agencies(root)),
        "opportunities": lambda v: parse_opportunities(v, opportunity_ids(root)),
    }
    out: dict[str, Any] = {}
    for name, text in raw.items():
        if name not in parsers:
            raise FieldError(name, f"is not a field of a barrier; fields: {', '.join(EDITABLE)}")
        key = "impact_pence" if name == "impact_pounds" else name
        out[key] = parsers[name](text)
    return out
