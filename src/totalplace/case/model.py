"""A business case: a TOML file read into frozen dataclasses, every field checked.

Each problem raises :class:`~totalplace.errors.ConfigError` naming the file,
the field (``outcomes[2].deadweight``) and what to do.  Numeric inputs are
:class:`Param` values: fixed, or a range or distribution with a base value
(see :mod:`totalplace.case.montecarlo`).  Unit costs come from the case file's own
``[unit_costs.CODE]`` tables first, then from the Unit Cost Database, and are
uprated to the case's price year.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from totalplace.case.discount import SCHEDULES
from totalplace.case.montecarlo import Param, ParamError, parse_param
from totalplace.case.optimism import GradeTable, default_grades
from totalplace.errors import ConfigError
from totalplace.tomlfile import read_toml

MAX_YEARS = 500
COST_KINDS = ("setup", "running", "in-kind")
COST_TYPES = ("revenue", "capital")
LEVELS = ("local", "national")


@dataclass(frozen=True)
class CaseIssue:
    """A warning about a case that still evaluates: slug, field and message."""

    slug: str
    field: str
    message: str


@dataclass(frozen=True)
class UnitValue:
    """A unit cost in the case's price year, from the case file or the database."""

    code: str
    outcome: str
    agency: str
    fiscal: Decimal | None
    economic: Decimal | None
    social: Decimal | None
    price_year: str  # the year the figures were given in, before uprating
    transfer_payment: bool
    contains: tuple[str, ...]
    source: str  # "case file" or "database"


@dataclass(frozen=True)
class Agency:
    name: str
    level: str  # "local" or "national"


@dataclass(frozen=True)
class CostLine:
    agency: str
    label: str
    kind: str  # setup, running, in-kind
    category: str  # revenue, capital
    by_year: tuple[Decimal, ...]  # pounds in the case's price year, padded to the period
    confidence: int | None  # grade; None means no optimism-bias uplift
    scale: Param

    @property
    def cash(self) -> bool:
        return self.kind != "in-kind"


@dataclass(frozen=True)
class Bearer:
    agency: str
    share: Decimal  # of the unit cost's fiscal value
    cashable: Decimal  # fraction of this agency's saving that is cashable


@dataclass(frozen=True)
class Outcome:
    name: str
    unit_cost: str
    baseline: Param
    change: Param
    deadweight: Param
    attribution: Param
    displacement: Param
    drop_off: Param
    units: Param
    lag: int
    duration: int | None
    bearers: tuple[Bearer, ...]
    confidence: int
    comparison_group: bool
    notes: str


@dataclass(frozen=True)
class Cohort:
    size: Param
    engagement: Param
    delivery_years: int
    first_year: int


@dataclass(frozen=True)
class Case:
    path: str
    title: str
    price_year: str
    years: int
    discount: str | Decimal  # a schedule name, or a flat rate
    start_year: str | None
    cohort: Cohort
    agencies: dict[str, Agency]
    costs: tuple[CostLine, ...]
    outcomes: tuple[Outcome, ...]
    unit_values: dict[str, UnitValue]
    grades: GradeTable
    assumptions: tuple[str, ...]
    issues: tuple[CaseIssue, ...] = field(default=())

    def params(self) -> list[Param]:
        """Every numeric input, in file order."""
        found = [self.cohort.size, self.cohort.engagement]
        found += [line.scale for line in self.costs]
        for o in self.outcomes:
            found += [o.baseline, o.change, o.deadweight, o.attribution]
            found += [o.displacement, o.drop_off, o.units]
        return found

    def uncertain(self) -> list[Param]:
        return [p for p in self.params() if p.dist is not None]

    def year_label(self, year: int) -> str:
        if self.start_year is None:
            return f"year {year}"
        first = int(self.start_year[:4]) + year
        return f"{first}-{(first + 1) % 100:02d}"


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {problem}")

    def table(self, raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table ([{where}])")
        return value

    def text(self, raw: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = raw.get(key, default)
        if value is None:
            raise self.fail(f"{where}.{key}" if where else key, "is required")
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}" if where else key, "must be text in quotes")
        return value

    def whole(self, raw: dict[str, Any], key: str, where: str, default: int | None, lo: int) -> int:
        value = raw.get(key, default)
        name = f"{where}.{key}"
        if value is None:
            raise self.fail(name, "is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"must be a whole number, not {value!r}")
        if value < lo:
            raise self.fail(name, f"{value} is below {lo}; give a whole number of at least {lo}")
        return value

    def money(self, value: Any, where: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(where, f"must be an amount in pounds, not {value!r}")
        try:
            amount = Decimal(str(value).replace(",", "").lstrip("£"))
        except InvalidOperation:
            raise self.fail(where, f"{value!r} is not an amount in pounds") from None
        if not amount.is_finite():
            raise self.fail(where, f"{value!r} is not an amount in pounds")
        return amount

    def fraction(self, value: Any, where: str) -> Decimal:
        amount = self.money(value, where)
        if not Decimal(0) <= amount <= Decimal(1):
            raise self.fail(where, f"{value} is outside 0 to 1; give a fraction (0.25 for 25%)")
        return amount

    def param(
        self, raw: dict[str, Any], key: str, where: str, default: float | None, *, rate: bool
    ) -> Param:
        name = f"{where}.{key}"
        value = raw.get(key, default)
        if value is None:
            raise self.fail(name, "is required")
        try:
            return parse_param(name, value, upper=1.0 if rate else None)
        except ParamError as exc:
            raise self.fail(name, str(exc)) from None

    def grade(self, raw: dict[str, Any], where: str, grades: GradeTable, required: bool) -> int:
        value = raw.get("confidence")
        if value is None and not required:
            return 0
        name = f"{where}.confidence"
        if isinstance(value, bool) or not isinstance(value, int) or value not in grades.grades:
            known = ", ".join(str(g) for g in sorted(grades.grades))
            raise self.fail(name, f"{value!r} is not a confidence grade; use one of {known}")
        return value


def load_case(path: Path, extra_unit_costs: Path | None = None) -> Case:
    """Read and check a case file; raise ConfigError naming the file and field."""
    return parse_case(read_toml(path, "case file"), str(path), extra_unit_costs)


def parse_case(raw: dict[str, Any], path: str, extra_unit_costs: Path | None = None) -> Case:
    r = _Reader(path)
    head = r.table(raw, "case", "case")
    price_year = r.text(head, "price_year", "case")
    _check_year(r, price_year, "case.price_year")
    start_year = head.get("start_year")
    if start_year is not None:
        _check_year(r, r.text(head, "start_year", "case"), "case.start_year")
    years = r.whole(head, "years", "case", None, 1)
    if years > MAX_YEARS:
        raise r.fail("case.years", f"{years} is over {MAX_YEARS}; appraise a shorter period")
    grades = _grades(r, raw)
    agencies = _agencies(r, raw)
    unit_values = _inline_unit_values(r, raw, price_year)
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
            unit_values[outcome.unit_cost] = _database_value(
                r, outcome.unit_cost, where, price_year, extra_unit_costs
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
    return _with_issues(case, extra_unit_costs)


def _check_year(r: _Reader, year: str, where: str) -> None:
    head, _, tail = year.partition("-")
    if not (len(head) == 4 and head.isdigit() and tail == f"{(int(head) + 1) % 100:02d}"):
        raise r.fail(where, f"{year!r} is not a financial year; write it like '2014-15'")


def _items(r: _Reader, raw: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise r.fail(key, f"must be a list of tables ([[{key}]])")
    return list(enumerate(value))


def _discount(r: _Reader, head: dict[str, Any]) -> str | Decimal:
    value = head.get("discount", "standard")
    if isinstance(value, str) and value in SCHEDULES:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        rate = Decimal(str(value))
        if Decimal(0) <= rate < Decimal(1):
            return rate
    raise r.fail(
        "case.discount",
        f"{value!r} is neither a schedule ({', '.join(SCHEDULES)}) nor a flat rate "
        "between 0 and 1 (0.035 for 3.5%)",
    )


def _grades(r: _Reader, raw: dict[str, Any]) -> GradeTable:
    table = default_grades()
    overrides = r.table(raw, "optimism_bias", "optimism_bias")
    parsed: dict[int, Decimal] = {}
    for key, value in overrides.items():
        if not key.isdigit():
            raise r.fail(f"optimism_bias.{key}", "keys are confidence grades such as 1 or 6")
        parsed[int(key)] = r.fraction(value, f"optimism_bias.{key}")
    return table.with_overrides(parsed) if parsed else table


def _agencies(r: _Reader, raw: dict[str, Any]) -> dict[str, Agency]:
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


def _cohort(r: _Reader, spec: dict[str, Any], years: int) -> Cohort:
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
    r: _Reader,
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
    r: _Reader, spec: dict[str, Any], i: int, agencies: dict[str, Agency], grades: GradeTable
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


def _inline_unit_values(r: _Reader, raw: dict[str, Any], price_year: str) -> dict[str, UnitValue]:
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
        _check_year(r, year, f"{where}.price_year")
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
        found[code] = _uprated(r, uv, price_year, f"{where}.price_year")
    return found


def _database_value(
    r: _Reader, code: str, where: str, price_year: str, extra: Path | None
) -> UnitValue:
    try:
        from totalplace.reference import unit_costs as ucd
    except ImportError:
        raise r.fail(
            where, f"unknown unit cost {code!r}: define it in [unit_costs.{code}]"
        ) from None
    try:
        uc = ucd.unit_cost(code, extra)
    except ConfigError:
        raise r.fail(
            where,
            f"unknown unit cost {code!r}: use a code from the Unit Cost Database "
            f"or define it in [unit_costs.{code}]",
        ) from None
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
    return _uprated(r, uv, price_year, where)


def _uprated(r: _Reader, uv: UnitValue, to_year: str, where: str) -> UnitValue:
    if uv.price_year == to_year:
        return uv
    try:
        from totalplace.reference.unit_costs import uprate
    except ImportError:
        raise r.fail(
            where, f"cannot uprate {uv.price_year} to {to_year}: no deflator series installed"
        ) from None

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


def _with_issues(case: Case, extra: Path | None) -> Case:
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
    pairs |= set(_database_overlaps(case, extra))
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


def _database_overlaps(case: Case, extra: Path | None) -> list[tuple[str, str]]:
    """Headline/constituent pairs among the database codes, constituents of constituents too."""
    codes = [c for c, uv in case.unit_values.items() if uv.source == "database"]
    if not codes:
        return []
    from totalplace.reference.unit_costs import overlaps

    return overlaps(codes, extra)
