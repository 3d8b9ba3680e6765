"""A business case as frozen dataclasses: cohort, costs, outcomes, unit values."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from totalplace.case.optimism import GradeTable
from totalplace.case.params import Param

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
