"""Evaluate a case on arrays: one row for the deterministic run, N rows for N draws.

For each outcome, the units of saving in year ``t`` are

    cohort size x engagement x baseline x change x (1 - deadweight) x attribution
    x (1 - displacement) x units x sum over delivery years s of persistence(t - s - lag)

where persistence(k) = (1 - drop_off)**k for 0 <= k < duration (the cohort
recruited in year s starts saving ``lag`` years later and the effect wears off
by the drop-off each year after; ``units`` is how many units of the unit cost
each person affected avoids a year, default 1).  Each unit is worth the unit
cost (uprated to the case's price year), reduced by the optimism bias of
the outcome's confidence grade; costs with a grade are uplifted by it.

Values are floats while computed; every figure leaves as integer pence,
rounded half-even (:func:`to_pence`).  Transfer payments count as fiscal
benefits but not as public value (fiscal excluding transfers + economic +
social), which is the basis of the headline NPV, BCR and ROI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt

from totalplace.case.definition import Case, CaseIssue
from totalplace.case.discount import discount_factors
from totalplace.case.params import base_values

Arr = npt.NDArray[np.float64]
BASIS = "public value: fiscal (excluding transfer payments) + economic + social"


def to_pence(pounds: float | np.floating[npt.NBitBase]) -> int:
    """Pounds (a float) to integer pence, half-even on the float's shortest decimal form."""
    value = float(pounds)
    if not np.isfinite(value):
        raise ValueError(f"cannot express {value} as pence")
    return int(Decimal(repr(value)).scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass
class Detail:
    """Per-agency rows (one run), in pounds per year."""

    costs: dict[str, Arr]
    cash_costs: dict[str, Arr]
    fiscal: dict[str, Arr]
    cashable: dict[str, Arr]
    transfer: dict[str, Arr]
    economic: Arr
    social: Arr


@dataclass
class Run:
    """Arrays of shape (rows, years) in pounds; rows is 1 where nothing varies."""

    df: Arr
    costs: Arr
    fiscal: Arr
    public: Arr
    detail: Detail | None = None

    def pv(self, flows: Arr) -> Arr:
        return np.asarray(flows @ self.df, dtype=np.float64)

    def npv(self, *, fiscal: bool = False) -> Arr:
        return self.pv(self.fiscal if fiscal else self.public) - self.pv(self.costs)

    def bcr(self, *, fiscal: bool = False) -> Arr:
        benefits = self.pv(self.fiscal if fiscal else self.public)
        costs = np.broadcast_to(self.pv(self.costs), benefits.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(costs > 0, benefits / np.where(costs > 0, costs, 1.0), np.inf)


def evaluate(case: Case, values: Mapping[str, Arr], *, detail: bool) -> Run:
    """The case's flows for every row of ``values`` (each input a column of 1 or N rows)."""
    years = case.years
    df = discount_factors(years, case.discount)
    k = np.arange(years)
    zero = np.zeros((1, years))
    costs = zero
    per: dict[str, dict[str, Arr]] = {
        key: dict.fromkeys(case.agencies, zero)
        for key in ("costs", "cash_costs", "fiscal", "cashable", "transfer")
    }
    for line in case.costs:
        uplift = 1.0 + (float(case.grades.fraction(line.confidence)) if line.confidence else 0.0)
        amounts = np.array([float(a) for a in line.by_year])[None, :] * values[line.scale.id]
        amounts = amounts * uplift
        costs = costs + amounts
        if detail:
            per["costs"][line.agency] = per["costs"][line.agency] + amounts
            if line.cash:
                per["cash_costs"][line.agency] = per["cash_costs"][line.agency] + amounts
    engaged = values[case.cohort.size.id] * values[case.cohort.engagement.id]
    fiscal, public, economic, social = zero, zero, zero, zero
    for o in case.outcomes:
        uv = case.unit_values[o.unit_cost]
        rate = engaged * values[o.baseline.id] * values[o.change.id]
        rate = rate * (1.0 - values[o.deadweight.id]) * values[o.attribution.id]
        rate = rate * (1.0 - values[o.displacement.id])
        persist = (1.0 - values[o.drop_off.id]) ** k
        if o.duration is not None:
            persist = persist * (k < o.duration)
        active = np.zeros(np.broadcast_shapes(persist.shape, (1, years)))
        for start in range(
            case.cohort.first_year, case.cohort.first_year + case.cohort.delivery_years
        ):
            shift = start + o.lag
            if shift < years:
                active[:, shift:] += persist[:, : years - shift]
        kept = 1.0 - float(case.grades.fraction(o.confidence))
        avoided = rate * active * (values[o.units.id] * kept)
        saved = avoided * float(uv.fiscal or 0)
        wider_e = avoided * float(uv.economic or 0)
        wider_s = avoided * float(uv.social or 0)
        fiscal = fiscal + saved
        public = public + wider_e + wider_s + (0.0 if uv.transfer_payment else saved)
        if detail:
            economic, social = economic + wider_e, social + wider_s
            for b in o.bearers:
                part = saved * float(b.share)
                per["fiscal"][b.agency] = per["fiscal"][b.agency] + part
                per["cashable"][b.agency] = per["cashable"][b.agency] + part * float(b.cashable)
                if uv.transfer_payment:
                    per["transfer"][b.agency] = per["transfer"][b.agency] + part
    run = Run(df=df, costs=costs, fiscal=fiscal, public=public)
    if detail:
        run.detail = Detail(economic=economic, social=social, **per)
    return run


def payback_years(net: Arr, df: Arr) -> float | None:
    """First year the cumulative discounted net benefit climbs back to zero, interpolated.

    0.0 if it never goes below zero; None if it is still below zero at the end.
    """
    cumulative = np.cumsum(net * df)
    below = np.flatnonzero(cumulative < 0)
    if below.size == 0:
        return 0.0
    for t in range(int(below[0]) + 1, len(cumulative)):
        if cumulative[t] >= 0:
            before, after = float(cumulative[t - 1]), float(cumulative[t])
            return round(t - 1 + (-before) / (after - before), 2)
    return None


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator > 0 else None


@dataclass(frozen=True)
class AgencyLine:
    name: str
    level: str
    costs: list[int]  # pence by year
    cash_costs: list[int]
    fiscal: list[int]
    cashable: list[int]
    pv_costs: int
    pv_fiscal: int
    pv_cashable: int
    pv_transfer: int

    @property
    def non_cashable(self) -> list[int]:
        return [f - c for f, c in zip(self.fiscal, self.cashable, strict=True)]

    @property
    def net(self) -> list[int]:
        return [f - c for f, c in zip(self.fiscal, self.costs, strict=True)]

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "costs_pence": self.pv_costs,
            "benefits_pence": self.pv_fiscal,
            "cashable_pence": self.pv_cashable,
            "non_cashable_pence": self.pv_fiscal - self.pv_cashable,
            "transfer_pence": self.pv_transfer,
            "net_pence": self.pv_fiscal - self.pv_costs,
            "by_year": {
                "costs_pence": self.costs,
                "benefits_pence": self.fiscal,
                "cashable_pence": self.cashable,
                "non_cashable_pence": self.non_cashable,
                "net_pence": self.net,
            },
        }


@dataclass(frozen=True)
class CaseResult:
    """The deterministic run: present values and flows by agency and year, in pence."""

    case: Case
    discount_factors: list[float]
    agencies: dict[str, AgencyLine]
    costs: list[int]
    fiscal: list[int]
    economic: list[int]
    social: list[int]
    public: list[int]
    pv_costs: int
    pv_fiscal: int
    pv_economic: int
    pv_social: int
    pv_public: int
    payback_years: float | None
    fiscal_payback_years: float | None
    flows: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def npv(self) -> int:
        return self.pv_public - self.pv_costs

    @property
    def fiscal_npv(self) -> int:
        return self.pv_fiscal - self.pv_costs

    @property
    def bcr(self) -> float | None:
        return _ratio(self.pv_public, self.pv_costs)

    @property
    def roi(self) -> float | None:
        return _ratio(self.pv_public - self.pv_costs, self.pv_costs)

    @property
    def issues(self) -> tuple[CaseIssue, ...]:
        return self.case.issues

    def gain_share_inputs(self, cashable_only: bool) -> tuple[list[int], dict[str, list[int]]]:
        """The cash investment by year (in-kind costs left out: nobody pays them in cash)
        and each agency's savings by year (all fiscal, or only the cashable part)."""
        investment = [
            sum(a.cash_costs[t] for a in self.agencies.values()) for t in range(len(self.costs))
        ]
        savings = {
            name: list(line.cashable if cashable_only else line.fiscal)
            for name, line in self.agencies.items()
        }
        return investment, savings

    def level_totals(self) -> dict[str, dict[str, int]]:
        totals = {level: {"costs_pence": 0, "benefits_pence": 0} for level in ("local", "national")}
        for line in self.agencies.values():
            totals[line.level]["costs_pence"] += line.pv_costs
            totals[line.level]["benefits_pence"] += line.pv_fiscal
        for t in totals.values():
            t["net_pence"] = t["benefits_pence"] - t["costs_pence"]
        return totals

    def to_dict(self) -> dict[str, object]:
        case = self.case
        pv_cashable = sum(a.pv_cashable for a in self.agencies.values())
        return {
            "title": case.title,
            "file": case.path,
            "price_year": case.price_year,
            "years": case.years,
            "discount": case.discount if isinstance(case.discount, str) else str(case.discount),
            "basis": BASIS,
            "npv_pence": self.npv,
            "bcr": self.bcr,
            "roi": self.roi,
            "payback_years": self.payback_years,
            "pv_costs_pence": self.pv_costs,
            "pv_benefits_pence": self.pv_public,
            "pv_economic_pence": self.pv_economic,
            "pv_social_pence": self.pv_social,
            "fiscal": {
                "npv_pence": self.fiscal_npv,
                "bcr": _ratio(self.pv_fiscal, self.pv_costs),
                "roi": _ratio(self.fiscal_npv, self.pv_costs),
                "payback_years": self.fiscal_payback_years,
                "pv_benefits_pence": self.pv_fiscal,
                "pv_cashable_pence": pv_cashable,
            },
            "by_agency": {name: line.to_dict() for name, line in self.agencies.items()},
            "by_level": self.level_totals(),
            "flows": [{"payer": p, "beneficiary": b, "pence": v} for p, b, v in self.flows],
            "by_year": [
                {
                    "year": case.year_label(t),
                    "discount_factor": round(self.discount_factors[t], 6),
                    "costs_pence": self.costs[t],
                    "fiscal_pence": self.fiscal[t],
                    "economic_pence": self.economic[t],
                    "social_pence": self.social[t],
                    "public_value_pence": self.public[t],
                }
                for t in range(case.years)
            ],
            "issues": [
                {"slug": i.slug, "field": i.field, "message": i.message} for i in self.issues
            ],
            "assumptions": list(case.assumptions),
            "optimism_bias": {"source": case.grades.source, "status": case.grades.status},
        }


def _pence_row(flows: Arr) -> list[int]:
    return [to_pence(v) for v in flows.reshape(-1)]


def _flows(agencies: dict[str, AgencyLine]) -> list[tuple[str, str, int]]:
    """Who pays for whose saving: each agency's PV fiscal benefit, split across the
    payers in proportion to their PV costs (the case does not say which pound bought
    which saving, so the split is proportional)."""
    total_costs = sum(a.pv_costs for a in agencies.values())
    if total_costs <= 0:
        return []
    flows = []
    for payer in agencies.values():
        for beneficiary in agencies.values():
            if payer.pv_costs and beneficiary.pv_fiscal:
                share = Decimal(payer.pv_costs) / Decimal(total_costs)
                amount = (Decimal(beneficiary.pv_fiscal) * share).quantize(
                    Decimal(1), rounding=ROUND_HALF_EVEN
                )
                flows.append((payer.name, beneficiary.name, int(amount)))
    return flows


def result(case: Case) -> CaseResult:
    """The deterministic run of a case, every input at its base value."""
    run = evaluate(case, base_values(case.params()), detail=True)
    assert run.detail is not None
    d = run.detail
    lines = {}
    for name, agency in case.agencies.items():
        lines[name] = AgencyLine(
            name=name,
            level=agency.level,
            costs=_pence_row(d.costs[name]),
            cash_costs=_pence_row(d.cash_costs[name]),
            fiscal=_pence_row(d.fiscal[name]),
            cashable=_pence_row(d.cashable[name]),
            pv_costs=to_pence(run.pv(d.costs[name])[0]),
            pv_fiscal=to_pence(run.pv(d.fiscal[name])[0]),
            pv_cashable=to_pence(run.pv(d.cashable[name])[0]),
            pv_transfer=to_pence(run.pv(d.transfer[name])[0]),
        )
    net_public = (run.public - run.costs).reshape(-1)
    net_fiscal = (run.fiscal - run.costs).reshape(-1)
    return CaseResult(
        case=case,
        discount_factors=[float(f) for f in run.df],
        agencies=lines,
        costs=_pence_row(run.costs),
        fiscal=_pence_row(run.fiscal),
        economic=_pence_row(d.economic),
        social=_pence_row(d.social),
        public=_pence_row(run.public),
        pv_costs=to_pence(run.pv(run.costs)[0]),
        pv_fiscal=to_pence(run.pv(run.fiscal)[0]),
        pv_economic=to_pence(run.pv(d.economic)[0]),
        pv_social=to_pence(run.pv(d.social)[0]),
        pv_public=to_pence(run.pv(run.public)[0]),
        payback_years=payback_years(net_public, run.df),
        fiscal_payback_years=payback_years(net_fiscal, run.df),
        flows=_flows(lines),
    )
