"""Unit values for a case: its own ``[unit_costs.CODE]`` tables first, then the
Unit Cost Database, uprated to the case's price year; and the warnings a case's
use of them deserves (deadweight on a comparison-group impact, a headline cost
beside one of its constituents)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from totalplace.case.definition import Case, CaseIssue, UnitValue
from totalplace.case.reader import CaseReader, check_year
from totalplace.errors import ConfigError
from totalplace.reference.unit_costs import UnitCost, nearest, overlaps, unit_costs, uprate


def inline_unit_values(r: CaseReader, raw: dict[str, Any], price_year: str) -> dict[str, UnitValue]:
    found = {}
    for code, spec in r.table(raw, "unit_costs", "unit_costs").items():
        where = f"unit_costs.{code}"
        if not isinstance(spec, dict):
            raise r.fail(where, "must be a table")
        values = {}
        for key in ("fiscal", "economic", "social"):
            values[key] = None if key not in spec else r.money(spec[key], f"{where}.{key}")
        if all(v is None for v in values.values()):
            raise r.fail(where, "give at least one of fiscal, economic, social (pounds per unit)")
        year = r.text(spec, "price_year", where, default=price_year)
        check_year(r, year, f"{where}.price_year")
        contains = spec.get("contains", [])
        uv = UnitValue(
            code=code,
            outcome=r.text(spec, "outcome", where, default=code),
            agency=r.text(spec, "agency", where),
            fiscal=values["fiscal"],
            economic=values["economic"],
            social=values["social"],
            price_year=year,
            transfer_payment=bool(spec.get("transfer_payment", False)),
            contains=tuple(str(c) for c in contains),
            source="case file",
        )
        found[code] = uprated(r, uv, price_year, f"{where}.price_year")
    return found


def unknown_code(code: str, table: Mapping[str, UnitCost], own: Iterable[str] = ()) -> str:
    """Why a case's unit cost code was refused, with the nearest codes: the
    case's own ``[unit_costs.CODE]`` spelt alike first (a typo of its own
    code), then the Unit Cost Database's (by code and by description)."""
    # a case defines a few codes, often short ("T1"): a looser match than difflib's 0.6
    alike = difflib.get_close_matches(code, list(own), cutoff=0.5)
    mine = [f"{c} (in this case's [unit_costs])" for c in alike]
    close = "; ".join(
        mine + [f"{c.code} ({_short(c.description)}, {c.unit})" for c in nearest(code, table)]
    )
    hint = f"; the nearest codes: {close}" if close else ""
    return (
        f"unknown unit cost {code!r}{hint}. Use a code from the Unit Cost Database "
        f"(list them with `totalplace unit-costs WORDS`) or define it in [unit_costs.{code}]"
    )


def _short(text: str, most: int = 60) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def database_value(
    r: CaseReader,
    code: str,
    where: str,
    price_year: str,
    extra: Path | None,
    own: Iterable[str] = (),
) -> UnitValue:
    """A Unit Cost Database value for a code the case does not define itself
    (``own``: the codes it does, offered if the code is a typo of one)."""
    # a user's CSV that cannot be read says so itself, not "unknown unit cost"
    table = unit_costs(extra)
    if code not in table:
        raise r.fail(where, unknown_code(code, table, own))
    uc = table[code]
    uv = UnitValue(
        code=uc.code,
        outcome=uc.outcome,
        agency=uc.agency,
        fiscal=uc.fiscal,
        economic=uc.economic,
        social=uc.social,
        price_year=uc.price_year,
        transfer_payment=uc.transfer_payment,
        contains=tuple(uc.contains),
        source="database",
    )
    return uprated(r, uv, price_year, where)


def uprated(r: CaseReader, uv: UnitValue, to_year: str, where: str) -> UnitValue:
    if uv.price_year == to_year:
        return uv

    def up(value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        try:
            return uprate(value, uv.price_year, to_year)
        except ConfigError as exc:
            raise r.fail(
                where,
                f"cannot uprate {uv.code} from {uv.price_year} to {to_year}: {exc}; "
                "use price years inside the deflator series",
            ) from None

    return replace(uv, fiscal=up(uv.fiscal), economic=up(uv.economic), social=up(uv.social))


def with_issues(case: Case, extra: Path | None) -> Case:
    issues = []
    for i, o in enumerate(case.outcomes):
        if o.comparison_group and (o.deadweight.base > 0 or o.deadweight.dist is not None):
            issues.append(
                CaseIssue(
                    "deadweight-on-comparison-group",
                    f"outcomes[{i}].deadweight",
                    f"{o.name}: the change is measured against a comparison group, which "
                    "already nets out what would have happened anyway; deadweight counts it twice",
                )
            )
    used = {o.unit_cost for o in case.outcomes}
    pairs = {(code, part) for code in used for part in case.unit_values[code].contains}
    pairs |= set(database_overlaps(case, extra))
    for code, part in sorted(pairs):
        if part in used:
            issues.append(
                CaseIssue(
                    "headline-and-constituent",
                    "outcomes",
                    f"{code} is a headline cost that contains {part}, which the case also "
                    "uses: the saving is counted twice",
                )
            )
    return replace(case, issues=tuple(issues))


def database_overlaps(case: Case, extra: Path | None) -> list[tuple[str, str]]:
    """Headline/constituent pairs among the database codes, constituents of constituents too."""
    codes = [c for c, uv in case.unit_values.items() if uv.source == "database"]
    if not codes:
        return []
    return overlaps(codes, extra)
