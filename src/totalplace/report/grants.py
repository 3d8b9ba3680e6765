"""Grants to a place from 360Giving data: how many, from how many funders,
for what, summed per funder and theme.

Themes come from the shipped classification rules that hold for every
publisher (the generic service words and the standard vocabularies), read
against what the funder wrote the grant is for (its title and description)
and the recipient's name, as a payment's service and supplier are.  Rules
written for one publisher's files say nothing about another funder's grants
and are not used.  A grant no rule places, and every row of an aggregated
file (which has no description), is "unclassified": said, never guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Any

from totalplace.classify.rules import SCOPE_FIELDS, Rule, load_rules, python_pattern
from totalplace.errors import ConfigError
from totalplace.ingest.giving360 import Grant, GrantsFile

__all__ = ["UNCLASSIFIED", "grant_theme", "place_codes", "summarise"]

UNCLASSIFIED = "unclassified"
# Where the grant's words stand in for a payment's labels.
TEXT_FIELDS = ("purpose", "service", "service_detail", "expense_type", "proclass_label")
NAME_FIELD = "supplier_name"
_GSS = re.compile(r"^[EWSN]\d{8}$")
# Codes of local authorities (unitary, district, metropolitan, London borough,
# county; Welsh, Scottish and Northern Irish councils): a grant is counted per
# place at these, not at wards or regions.
_AUTHORITY = re.compile(r"^(E0[6789]|E10|W06|S12|N09)\d{6}$")


@dataclass(frozen=True)
class _Matcher:
    theme: str
    ignore_case: bool  # the rule's values are lower case: compare lower-cased words
    conditions: tuple[tuple[str, str, tuple[Any, ...]], ...]  # field, kind, values


@cache
def _matchers() -> tuple[_Matcher, ...]:
    out = []
    for rule in load_rules().rules:
        if not _usable(rule):
            continue
        conds = []
        for c in rule.conditions:
            values: tuple[Any, ...] = c.values
            if c.kind == "regex":
                flags = re.IGNORECASE if rule.ignore_case else 0
                values = tuple(re.compile(python_pattern(v), flags) for v in c.values)
            conds.append((c.field, c.kind, values))
        assert rule.theme is not None
        out.append(_Matcher(rule.theme, rule.ignore_case, tuple(conds)))
    return tuple(out)


def _usable(rule: Rule) -> bool:
    fields = {c.field for c in rule.conditions}
    return (
        rule.theme is not None
        and not rule.pass_through
        and not rule.catch_all
        and not fields & SCOPE_FIELDS
        and fields <= {*TEXT_FIELDS, NAME_FIELD}
    )


def _holds(value: str, kind: str, values: tuple[Any, ...]) -> bool:
    if kind == "exact":
        return value in values
    if kind == "prefix":
        return any(value.startswith(v) for v in values)
    return any(p.search(value) for p in values)


def grant_theme(grant: Grant) -> str:
    """The theme the first matching rule gives the grant's words, or
    "unclassified"."""
    text = " ".join(grant.text.split())
    if not text and not grant.recipient:
        return UNCLASSIFIED
    fields = dict.fromkeys(TEXT_FIELDS, text) | {NAME_FIELD: grant.recipient}
    lowered = {k: v.lower() for k, v in fields.items()}
    for m in _matchers():
        words = lowered if m.ignore_case else fields
        if all(_holds(words[f], k, v) for f, k, v in m.conditions):
            return m.theme
    return UNCLASSIFIED


def place_codes(spec: str) -> tuple[str, tuple[str, ...]]:
    """The place's name and the GSS codes a grant may name for it: each
    authority given (a name, a code, or codes separated by commas) and the
    current authorities covering it (a county's districts).  A GSS code the
    register does not hold as current (an abolished authority, a fictional
    one) stands for itself."""
    from totalplace.reference.places import resolve_place

    names: list[str] = []
    codes: list[str] = []
    parts = [p.strip() for p in spec.split(",") if p.strip()] if "," in spec else [spec.strip()]
    for part in parts:
        try:
            place = resolve_place(part)
        except ConfigError:
            if not _GSS.match(part.upper()):
                raise
            names.append(part.upper())
            codes.append(part.upper())
            continue
        names.append(place.name)
        codes += [*place.codes, *place.units]
    return ", ".join(names), tuple(dict.fromkeys(codes))


def _sorted(d: dict[str, Any], key: str = "pence") -> dict[str, Any]:
    return dict(sorted(d.items(), key=lambda kv: (-kv[1][key], kv[0])))


def summarise(files: list[GrantsFile], place: str | None = None) -> dict[str, Any]:
    """Grants per funder and theme (for a place when given), with every
    refused row and its reason.  A funding stream is a funder's grant
    programme; a funder's grants with no programme named are one more stream."""
    name, codes = place_codes(place) if place else ("", ())
    wanted = set(codes)
    by_funder: dict[str, dict[str, Any]] = {}
    by_theme: dict[str, dict[str, int]] = defaultdict(lambda: {"grants": 0, "pence": 0})
    by_year: dict[str, dict[str, int]] = defaultdict(lambda: {"grants": 0, "pence": 0})
    streams: set[tuple[str, str]] = set()
    places: dict[str, dict[str, Any]] = {}
    total = grants = outside = 0
    for f in files:
        for g in f.grants:
            if wanted and not wanted & set(g.place_codes):
                outside += 1
                continue
            theme = grant_theme(g)
            streams.add((g.funder, g.programme))
            for code in {c for c in g.place_codes if _AUTHORITY.match(c)}:
                at = places.setdefault(code, {"grants": 0, "pence": 0, "streams": set()})
                at["grants"] += g.grants
                at["pence"] += g.amount_pence
                at["streams"].add((g.funder, g.programme))
            funder = by_funder.setdefault(
                g.funder,
                {"id": g.funder_id, "grants": 0, "pence": 0, "programmes": set(), "themes": {}},
            )
            funder["grants"] += g.grants
            funder["pence"] += g.amount_pence
            if g.programme:
                funder["programmes"].add(g.programme)
            cell = funder["themes"].setdefault(theme, {"grants": 0, "pence": 0})
            cell["grants"] += g.grants
            cell["pence"] += g.amount_pence
            by_theme[theme]["grants"] += g.grants
            by_theme[theme]["pence"] += g.amount_pence
            by_year[g.award_date[:4]]["grants"] += g.grants
            by_year[g.award_date[:4]]["pence"] += g.amount_pence
            total += g.amount_pence
            grants += g.grants
    funders = {
        k: {**v, "programmes": sorted(v["programmes"]), "themes": _sorted(v["themes"])}
        for k, v in by_funder.items()
    }
    return {
        "place": {"spec": place or "", "name": name, "codes": list(codes)},
        "grants": grants,
        "pence": total,
        "funders": len(funders),
        "funding_streams": len(streams),
        "classified_pence": sum(v["pence"] for k, v in by_theme.items() if k != UNCLASSIFIED),
        "by_funder": _sorted(funders),
        "by_theme": _sorted(dict(by_theme)),
        "by_year": dict(sorted(by_year.items())),
        # each local authority the grants name: grants, money, funders, streams
        "by_place": {
            code: {
                "grants": v["grants"],
                "pence": v["pence"],
                "funders": len({f for f, _ in v["streams"]}),
                "funding_streams": len(v["streams"]),
            }
            for code, v in sorted(places.items(), key=lambda kv: (-kv[1]["pence"], kv[0]))
        },
        "files": [
            {
                "path": f.path,
                "form": f.form,
                "rows": f.rows,
                "loaded": len(f.grants),
                "refused": len(f.refused),
                "rounded_from_float": f.rounded,
                "refusals": [r.to_dict() for r in f.refused],
            }
            for f in files
        ],
        "outside_place": outside,
    }
