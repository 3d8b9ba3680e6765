"""A business case: a TOML file read into frozen dataclasses, every field checked.

Each problem raises :class:`~totalplace.errors.ConfigError` naming the file,
the field (``outcomes[2].deadweight``) and what to do.  Numeric inputs are
:class:`Param` values: fixed, or a range or distribution with a base value
(see :mod:`totalplace.case.params`).  Unit costs come from the case file's own
``[unit_costs.CODE]`` tables first, then from the Unit Cost Database, and are
uprated to the case's price year.
"""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from totalplace.case.definition import (
    COST_KINDS,
    COST_TYPES,
    LEVELS,
    MAX_YEARS,
    Agency,
    Bearer,
    Case,
    CaseIssue,
    Cohort,
    CostLine,
    Outcome,
    UnitValue,
)
from totalplace.case.discount import SCHEDULES
from totalplace.case.optimism import GradeTable, default_grades
from totalplace.case.reader import CaseReader, check_year
from totalplace.case.unit_values import database_value, inline_unit_values, with_issues
from totalplace.tomlfile import read_toml

__all__ = [
    "Agency",
    "Bearer",
    "Case",
    "CaseIssue",
    "Cohort",
    "CostLine",
    "Outcome",
    "UnitValue",
    "load_case",
    "parse_case",
]


def load_case(path: Path, extra_unit_costs: Path | None = None) -> Case:
    """Read and check a case file; raise ConfigError naming the file and field."""
    return parse_case(read_toml(path, "case file"), str(path), extra_unit_costs)


def parse_case(raw: dict[str, Any], path: str, extra_unit_costs: Path | None = None) -> Case:
    r = CaseReader(path)
    head = r.table(raw, "case", "case")
    price_year = r.text(head, "price_year", "case")
    check_year(r, price_year, "case.price_year")
    start_year = head.get("start_year")
    if start_year is not None:
        check_year(r, r.text(head, "start_year", "case"), "case.start_year")
    years = r.whole(head, "years", "case", None, 1)
    if years > MAX_YEARS:
        raise r.fail("case.years", f"{years} is over {MAX_YEARS}; appraise a shorter period")
    grades = _grades(r, raw)
    agencies = _agencies(r, raw)
    unit_values = inline_unit_values(r, raw, price_year)
    cohort = _cohort(r, r.table(raw, "cohort", "cohort"), years)
    costs = tuple(_cost(r, spec, i, years, agencies, grades) for i, spec in _items(r, raw, "costs"))
    outcomes = tuple(
        _outcome(r, spec, i, agencies, grades) for i, spec in _items(r, raw, "outcomes")
    )
    if not outcomes:
        raise r.fail("outcomes", "a case needs at least one [[outcomes]] entry")
    for i, outcome in enumerate(outcomes):
        if outcome.unit_cost not in unit_values:
            where = f"outcomes[{i}].unit_cost"
            unit_values[outcome.unit_cost] = database_value(
                r, outcome.unit_cost, where, price_year, extra_unit_costs, own=list(unit_values)
            )
    for i, outcome in enumerate(outcomes):
        if not outcome.bearers:
            agency = unit_values[outcome.unit_cost].agency
            if agency not in agencies:
                raise r.fail(
                    f"outcomes[{i}].bearers",
                    f"the unit cost's agency {agency!r} is not in [agencies]; "
                    "declare it there or list the outcome's bearers",
                )
            bearers = (Bearer(agency, Decimal(1), Decimal(0)),)
            outcomes = (*outcomes[:i], replace(outcome, bearers=bearers), *outcomes[i + 1 :])
    notes = head.get("assumptions", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise r.fail("case.assumptions", "must be a list of sentences in quotes")
    case = Case(
        path=path,
        title=r.text(head, "title", "case", default=Path(path).stem),
        price_year=price_year,
        years=years,
        discount=_discount(r, head),
        start_year=start_year,
        cohort=cohort,
        agencies=agencies,
        costs=costs,
        outcomes=outcomes,
        unit_values=unit_values,
        grades=grades,
        assumptions=tuple(notes),
    )
    return with_issues(case, extra_unit_costs)


def _items(r: CaseReader, raw: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise r.fail(key, f"must be a list of tables ([[{key}]])")
    return list(enumerate(value))


def _discount(r: CaseReader, head: dict[str, Any]) -> str | Decimal:
    value = head.get("discount", "standard")
    if isinstance(value, str) and value in SCHEDULES:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        rate = Decimal(str(value))
        if Decimal(0) <= rate < Decimal(1):
            return rate
    raise r.fail(
        "case.discount",
        f"{value!r} is neither a schedule ({', '.join(SCHEDULES)}) nor a flat rate "
        "between 0 and 1 (0.035 for 3.5%)",
    )


def _grades(r: CaseReader, raw: dict[str, Any]) -> GradeTable:
    table = default_grades()
    overrides = r.table(raw, "optimism_bias", "optimism_bias")
    parsed: dict[int, Decimal] = {}
    for key, value in overrides.items():
        if not key.isdigit():
            raise r.fail(f"optimism_bias.{key}", "keys are confidence grades such as 1 or 6")
        parsed[int(key)] = r.fraction(value, f"optimism_bias.{key}")
    return table.with_overrides(parsed) if parsed else table


def _agencies(r: CaseReader, raw: dict[str, Any]) -> dict[str, Agency]:
    found: dict[str, Agency] = {}
    for name, spec in r.table(raw, "agencies", "agencies").items():
        where = f"agencies.{name}"
        level = spec.get("level") if isinstance(spec, dict) else spec
        if level not in LEVELS:
            raise r.fail(where, f"level {level!r} must be 'local' or 'national'")
        found[name] = Agency(name, str(level))
    if not found:
        raise r.fail("agencies", "list the agencies that pay or save, each local or national")
    return found


def _cohort(r: CaseReader, spec: dict[str, Any], years: int) -> Cohort:
    if not spec:
        raise r.fail("cohort", "is required: size, engagement and delivery_years")
    size = r.param(spec, "size", "cohort", None, rate=False)
    delivery = r.whole(spec, "delivery_years", "cohort", 1, 1)
    first = r.whole(spec, "first_year", "cohort", 0, 0)
    if first + delivery > years:
        raise r.fail(
            "cohort.delivery_years", "delivery runs past the appraisal period (case.years)"
        )
    return Cohort(size, r.param(spec, "engagement", "cohort", 1.0, rate=True), delivery, first)


def _cost(
    r: CaseReader,
    spec: dict[str, Any],
    i: int,
    years: int,
    agencies: dict[str, Agency],
    grades: GradeTable,
) -> CostLine:
    where = f"costs[{i}]"
    agency = r.text(spec, "agency", where)
    if agency not in agencies:
        raise r.fail(f"{where}.agency", f"{agency!r} is not in [agencies]; declare it there")
    kind = r.text(spec, "kind", where, default="running")
    if kind not in COST_KINDS:
        raise r.fail(f"{where}.kind", f"{kind!r} must be one of {', '.join(COST_KINDS)}")
    category = r.text(spec, "type", where, default="revenue")
    if category not in COST_TYPES:
        raise r.fail(f"{where}.type", f"{category!r} must be one of {', '.join(COST_TYPES)}")
    amounts = spec.get("by_year")
    if not isinstance(amounts, list) or not amounts:
        raise r.fail(f"{where}.by_year", "give a list of amounts in pounds, year 0 first")
    if len(amounts) > years:
        raise r.fail(f"{where}.by_year", f"{len(amounts)} years is longer than case.years")
    by_year = [r.money(a, f"{where}.by_year[{y}]") for y, a in enumerate(amounts)]
    for y, amount in enumerate(by_year):
        if amount < 0:
            raise r.fail(
                f"{where}.by_year[{y}]", "a cost cannot be negative; record savings as outcomes"
            )
    grade = r.grade(spec, where, grades, required=False)
    return CostLine(
        agency=agency,
        label=r.text(spec, "label", where, default=f"{kind} {category}"),
        kind=kind,
        category=category,
        by_year=tuple(by_year) + (Decimal(0),) * (years - len(by_year)),
        confidence=grade or None,
        scale=r.param(spec, "scale", where, 1.0, rate=False),
    )


def _outcome(
    r: CaseReader, spec: dict[str, Any], i: int, agencies: dict[str, Agency], grades: GradeTable
) -> Outcome:
    where = f"outcomes[{i}]"
    bearers = []
    for j, b in enumerate(spec.get("bearers", [])):
        bw = f"{where}.bearers[{j}]"
        if not isinstance(b, dict):
            raise r.fail(bw, "must be a table {agency = ..., share = ..., cashable = ...}")
        agency = r.text(b, "agency", bw)
        if agency not in agencies:
            raise r.fail(f"{bw}.agency", f"{agency!r} is not in [agencies]; declare it there")
        cashable = b.get("cashable", False)
        cash = Decimal(int(cashable)) if isinstance(cashable, bool) else None
        cash = cash if cash is not None else r.fraction(cashable, f"{bw}.cashable")
        bearers.append(Bearer(agency, r.fraction(b.get("share", 1), f"{bw}.share"), cash))
    if bearers and sum(b.share for b in bearers) != 1:
        raise r.fail(f"{where}.bearers", "the shares must add up to 1")
    duration = spec.get("duration")
    return Outcome(
        name=r.text(spec, "name", where),
        unit_cost=r.text(spec, "unit_cost", where),
        baseline=r.param(spec, "baseline", where, 1.0, rate=True),
        change=r.param(spec, "change", where, None, rate=True),
        deadweight=r.param(spec, "deadweight", where, 0.0, rate=True),
        attribution=r.param(spec, "attribution", where, 1.0, rate=True),
        displacement=r.param(spec, "displacement", where, 0.0, rate=True),
        drop_off=r.param(spec, "drop_off", where, 0.0, rate=True),
        units=r.param(spec, "units", where, 1.0, rate=False),
        lag=r.whole(spec, "lag", where, 0, 0),
        duration=None if duration is None else r.whole(spec, "duration", where, None, 1),
        bearers=tuple(bearers),
        confidence=r.grade(spec, where, grades, required=True),
        comparison_group=bool(spec.get("comparison_group", False)),
        notes=str(spec.get("notes", "")),
    )
