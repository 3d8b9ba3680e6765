"""Gain-share: how the partners at the table fund an investment out of what it saves them.

The usual gain-share asks each partner to pay in proportion to its share of the
partners' present-value (PV) savings.  Each year's investment is split by those
shares with the largest-remainder method, so every year's contributions add back
to that year's investment to the penny.

Where a yearly cash limit rules that split out, a linear programme keeps each
partner's PV contribution as close to its proportional share as the limits allow
(a partner held back in one year makes it up in another), and among such splits
takes the one whose yearly payments stay closest to proportional.  No partner is
asked to pay more, in PV, than it saves.

Net positions are exact (whole pence times the discount factors, a float being an
exact binary fraction) and are reported rounded half-even to pence; a partner is
whole when that reported net position is not negative.  If plain largest-remainder
rounding would break a cash limit or leave a partner a fraction of a penny short,
a small integer programme picks the whole-penny split nearest the target instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from totalplace.count.apportion import largest_remainder
from totalplace.errors import ConfigError
from totalplace.money import pounds

# A net position rounds half-even to pence, so anything above -1/2p reports as whole;
# the integer programme keeps a thousandth of a penny clear of that edge.
_WHOLE = Fraction(499, 1000)
_SECONDS = 30.0  # the integer programme is tiny; this only bounds a pathological case

_PROPORTIONAL = "Each partner pays each year's investment in proportion to its share of PV savings"
_NEAREST_SHARES = (
    "The cash limits rule out paying in proportion to PV savings, so a linear programme keeps "
    "each partner's PV contribution as close to that share as the limits allow"
)
_LARGEST_REMAINDER = "pennies split by largest remainder"
_WHOLE_PENNIES = (
    "pennies placed by an integer programme that keeps each year's total, the cash limits "
    "and every partner's net position"
)


@dataclass(frozen=True)
class GainShare:
    """A proposed split of the investment, or the reason there is none.

    When ``feasible`` is false there is no split to show, so ``contributions``,
    ``net_position_pence`` and ``cash_flows`` are empty.
    """

    feasible: bool
    reason: str
    contributions: dict[str, list[int]]
    net_position_pence: dict[str, int]
    cash_flows: dict[str, list[int]]
    method: str


@dataclass(frozen=True)
class _Case:
    investment: tuple[int, ...]
    savings: dict[str, tuple[int, ...]]  # partners at the table only, in their order
    limits: dict[str, tuple[int, ...]]  # partners with a cash limit only
    factors: tuple[Fraction, ...]

    @property
    def partners(self) -> list[str]:
        return list(self.savings)

    def limit(self, partner: str, year: int) -> int | float:
        """The most ``partner`` may pay in ``year``: infinite when it has no cash limit."""
        row = self.limits.get(partner)
        return math.inf if row is None else row[year]

    def pv(self, row: Sequence[int | Fraction]) -> Fraction:
        return sum((d * v for d, v in zip(self.factors, row, strict=True)), Fraction(0))

    def within_limits(self, split: Mapping[str, Sequence[int | Fraction]]) -> bool:
        return all(
            0 <= x <= self.limit(p, t) for p, row in split.items() for t, x in enumerate(row)
        )

    def all_whole(self, split: Mapping[str, Sequence[int]]) -> bool:
        return all(round(self.pv(self.savings[p]) - self.pv(split[p])) >= 0 for p in split)


def propose_split(
    investment_by_year: Sequence[int],
    savings: Mapping[str, Sequence[int]],
    *,
    partners: Sequence[str],
    cash_limits: Mapping[str, Sequence[int]] | None = None,
    discount_factors: Sequence[float],
) -> GainShare:
    """Propose how ``partners`` fund ``investment_by_year`` so none is left worse off.

    ``savings`` may name agencies not at the table: they keep their savings and
    pay nothing, so their savings do not count towards the investment.  A partner
    without a savings entry saves nothing.  A cash limit caps what a partner pays
    in each year; a partner without one has no limit.
    """
    case = _validated(investment_by_year, savings, partners, cash_limits, discount_factors)
    reasons = _shortfalls(case)
    if reasons:
        return _infeasible("; ".join(reasons))
    if not any(case.investment):
        nothing = {p: [0] * len(case.investment) for p in case.partners}
        return _outcome(case, nothing, "There is no investment to fund, so no partner pays.")

    weights = {p: max(case.pv(row), Fraction(0)) for p, row in case.savings.items()}
    saved = sum(weights.values(), Fraction(0))
    fair = {p: [amount * w / saved for amount in case.investment] for p, w in weights.items()}
    if case.within_limits(fair):
        target, method = fair, _PROPORTIONAL
    else:
        cost = case.pv(case.investment)
        solved = _closest_to_shares(case, {p: cost * w / saved for p, w in weights.items()})
        if solved is None:
            return _infeasible(_best_shortfall(case))
        target, method = solved, _NEAREST_SHARES
    split = _rounded(case, target)
    if case.within_limits(split) and case.all_whole(split):
        return _outcome(case, split, f"{method}, {_LARGEST_REMAINDER}.")
    for widen in (False, True):
        whole = _round_to_pence(case, target, widen=widen)
        if whole is not None:
            return _outcome(case, whole, f"{method}, {_WHOLE_PENNIES}.")
    return _infeasible(
        "the partners' savings cover the investment by less than whole pennies allow: no "
        "whole-penny split leaves every partner whole"
    )


def _validated(
    investment_by_year: Sequence[int],
    savings: Mapping[str, Sequence[int]],
    partners: Sequence[str],
    cash_limits: Mapping[str, Sequence[int]] | None,
    discount_factors: Sequence[float],
) -> _Case:
    years = len(investment_by_year)
    if years == 0:
        raise ConfigError("the investment has no years: give an amount for year 0 at least")
    if len(discount_factors) != years:
        raise ConfigError(
            f"{len(discount_factors)} discount factors for {years} years of investment: "
            "give one factor per year"
        )
    factors = []
    for t, d in enumerate(discount_factors):
        if not (isinstance(d, int | float) and math.isfinite(d) and d > 0):
            raise ConfigError(f"discount factor for year {t} is {d!r}: it must be positive")
        factors.append(Fraction(d))
    investment = _pence_row("the investment", investment_by_year, years)
    for t, amount in enumerate(investment):
        if amount < 0:
            raise ConfigError(
                f"the investment in year {t} is {pounds(amount)}: it cannot be negative "
                "(count any income as a saving)"
            )
    if not partners:
        raise ConfigError("no partners at the table: name at least one agency to fund the case")
    twice = sorted({p for p in partners if list(partners).count(p) > 1})
    if twice:
        raise ConfigError(f"{', '.join(twice)} named twice among the partners at the table")
    rows = {a: _pence_row(f"the savings of {a}", row, years) for a, row in savings.items()}
    limits: dict[str, tuple[int, ...]] = {}
    for agency, row in (cash_limits or {}).items():
        if agency not in partners and agency not in savings:
            raise ConfigError(
                f"a cash limit is given for {agency}, which is not at the table and has no "
                "savings: check the name"
            )
        checked = _pence_row(f"the cash limit of {agency}", row, years)
        if any(v < 0 for v in checked):
            raise ConfigError(f"the cash limit of {agency} is negative in a year: use 0 for none")
        if agency in partners:
            limits[agency] = checked
    zero = (0,) * years
    table = {p: rows.get(p, zero) for p in partners}
    return _Case(tuple(investment), table, limits, tuple(factors))


def _pence_row(what: str, values: Sequence[int], years: int) -> tuple[int, ...]:
    if len(values) != years:
        raise ConfigError(
            f"{what} has {len(values)} years but the investment has {years}: "
            "give one amount per year"
        )
    for t, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, Integral):
            raise ConfigError(f"{what} in year {t} is {v!r}: amounts are whole pence")
    return tuple(int(v) for v in values)


def _shortfalls(case: _Case) -> list[str]:
    """Constraints no split can meet, each in words a finance officer reads."""
    reasons = []
    for p, row in case.savings.items():
        if round(case.pv(row)) < 0:
            reasons.append(
                f"{p} loses {pounds(-round(case.pv(row)))} PV before paying anything, "
                "so no split leaves it whole"
            )
    saved = sum((case.pv(row) for row in case.savings.values()), Fraction(0))
    cost = case.pv(case.investment)
    if saved < cost and not reasons:
        short = round(cost - saved)
        reasons.append(
            f"partners at the table ({', '.join(case.partners)}) save {pounds(round(saved))} PV "
            f"against {pounds(round(cost))} PV of investment, "
            + (f"{pounds(short)} short" if short else "less than a penny short")
        )
    for t, amount in enumerate(case.investment):
        room = sum(case.limit(p, t) for p in case.partners)
        if room < amount:
            reasons.append(
                f"in year {t} the partners' cash limits total {pounds(int(room))} against "
                f"{pounds(amount)} of investment"
            )
    return reasons


def _solve_lp(
    case: _Case, objective: np.ndarray, rows: list[np.ndarray], rhs: list[float], free: bool
) -> np.ndarray | None:
    """Minimise ``objective`` over y[p, t], the share of year t's investment partner p
    pays (the first columns), and any extra columns, the last one unbounded if ``free``.

    Shares rather than pence keep every year's split as precise as the solver allows,
    however small that year's investment is next to the others.
    """
    years, width = len(case.investment), len(objective)
    a_eq = np.zeros((years, width))
    bounds: list[tuple[float | None, float | None]] = []
    for i, p in enumerate(case.partners):
        for t, amount in enumerate(case.investment):
            a_eq[t, i * years + t] = 1.0
            bounds.append((0.0, min(case.limit(p, t) / amount, 1.0) if amount else 0.0))
    bounds += [(0.0, None)] * (width - len(bounds))
    if free:
        bounds[-1] = (None, None)
    result = linprog(
        objective,
        A_ub=np.array(rows),
        b_ub=np.array(rhs),
        A_eq=a_eq,
        b_eq=np.array([1.0 if amount else 0.0 for amount in case.investment]),
        bounds=bounds,
        method="highs",
    )
    if result.status == 2:
        return None
    if not result.success:
        raise RuntimeError(f"gain-share linear programme failed: {result.message}")
    solution: np.ndarray = result.x
    return solution


def _pv_columns(case: _Case, i: int, sign: float = 1.0) -> dict[int, float]:
    """PV of partner ``i``'s contributions from the share columns, as a fraction of the
    PV of the investment."""
    years, cost = len(case.investment), case.pv(case.investment)
    return {
        i * years + t: sign * float(d * amount / cost)
        for t, (d, amount) in enumerate(zip(case.factors, case.investment, strict=True))
    }


def _closest_to_shares(
    case: _Case, shares: Mapping[str, Fraction]
) -> dict[str, list[Fraction]] | None:
    """Yearly contributions (pence, real) nearest the PV shares, then nearest proportional
    by year, no partner paying more in PV than it saves.

    Columns: y[p, t], then u[p] >= |PV(x_p) - share_p|, then v[p, t] >= |y[p, t] -
    proportional share|, weighted by the PV of the year's investment.  Stage one
    minimises the sum of u; stage two holds that and minimises the sum of v.
    """
    partners, years = case.partners, len(case.investment)
    n, n_p, cost = len(partners) * years, len(partners), case.pv(case.investment)
    width = 2 * n + n_p
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    for i, p in enumerate(partners):
        allowance = max(case.pv(case.savings[p]), Fraction(0))
        rows += [
            _row(width, _pv_columns(case, i)),
            _row(width, {**_pv_columns(case, i), n + i: -1.0}),
            _row(width, {**_pv_columns(case, i, -1.0), n + i: -1.0}),
        ]
        rhs += [float(allowance / cost), float(shares[p] / cost), -float(shares[p] / cost)]
        for t in range(years):
            c, fair = i * years + t, float(shares[p] / cost)
            rows += [
                _row(width, {c: 1.0, n + n_p + c: -1.0}),
                _row(width, {c: -1.0, n + n_p + c: -1.0}),
            ]
            rhs += [fair, -fair]
    first = np.zeros(width)
    first[n : n + n_p] = 1.0
    solution = _solve_lp(case, first, rows, rhs, free=False)
    if solution is None:
        return None
    best = float(first @ solution)
    second = np.zeros(width)
    second[n + n_p :] = [abs(v) for i in range(n_p) for v in _pv_columns(case, i).values()]
    held = _solve_lp(case, second, [*rows, first], [*rhs, best + 1e-9 * (1.0 + best)], free=False)
    solution = solution if held is None else held
    return {
        p: [
            Fraction(min(max(float(solution[i * years + t]), 0.0), 1.0)) * amount
            for t, amount in enumerate(case.investment)
        ]
        for i, p in enumerate(partners)
    }


def _best_shortfall(case: _Case) -> str:
    """Why the cash limits rule out every split: the partners left worst off by the split
    within the limits that maximises the smallest net position (the last column)."""
    n, cost = len(case.partners) * len(case.investment), case.pv(case.investment)
    rows = [_row(n + 1, {**_pv_columns(case, i), n: 1.0}) for i in range(len(case.partners))]
    saved = [float(case.pv(case.savings[p]) / cost) for p in case.partners]
    objective = np.zeros(n + 1)
    objective[n] = -1.0
    solution = _solve_lp(case, objective, rows, saved, free=True)
    if solution is None:
        raise RuntimeError("gain-share diagnosis found no split within the yearly cash limits")
    worst = float(solution[n])
    named = [
        p
        for i, p in enumerate(case.partners)
        if saved[i] - float(rows[i][:n] @ solution[:n]) <= worst + 1e-9
    ]
    short = round(-Fraction(worst) * cost)
    if short < 1:
        return "no whole-penny split within the yearly cash limits leaves every partner whole"
    return (
        "the yearly cash limits force some partners to pay more than they save: the best "
        f"split within the limits still leaves {' and '.join(named)} {pounds(short)} PV short"
    )


def _rounded(case: _Case, target: Mapping[str, Sequence[Fraction]]) -> dict[str, list[int]]:
    """Each year's investment split to the penny in proportion to that year's target."""
    split = {p: [0] * len(case.investment) for p in case.partners}
    for t, amount in enumerate(case.investment):
        if amount:
            for p, part in largest_remainder(amount, {p: target[p][t] for p in split}).items():
                split[p][t] = part
    return split


def _round_to_pence(
    case: _Case, target: Mapping[str, Sequence[Fraction]], *, widen: bool
) -> dict[str, list[int]] | None:
    """The whole-penny split nearest ``target`` (PV of the pennies moved) that keeps each
    year's total, the cash limits and every partner whole.

    Columns are offsets y[p, t] from the target rounded down (small numbers, so the
    solver works exactly), then a[p, t] >= |y - fractional part|.  Offsets are 0 or 1
    unless ``widen``, when any whole-penny split within the limits may be chosen.
    """
    partners, years = case.partners, len(case.investment)
    n = len(partners) * years
    caps = [case.limit(p, t) for p in partners for t in range(years)]
    # The target may stray past a cash limit by the linear programme's tolerance.
    value = [
        Fraction(int(caps[i * years + t])) if target[p][t] > caps[i * years + t] else target[p][t]
        for i, p in enumerate(partners)
        for t in range(years)
    ]
    floor = [math.floor(v) for v in value]
    part = [float(v - f) for v, f in zip(value, floor, strict=True)]
    upper = [c - f for c, f in zip(caps, floor, strict=True)]
    lower = [-f for f in floor] if widen else [0] * n
    if not widen:
        upper = [min(u, 1) for u in upper]
    rows, low, high = [], [], []
    for t, amount in enumerate(case.investment):
        year = [i * years + t for i in range(len(partners))]
        rows.append(_row(2 * n, dict.fromkeys(year, 1.0)))
        pinned = float(amount - sum(floor[c] for c in year))
        low.append(pinned)
        high.append(pinned)
    for i, p in enumerate(partners):
        own = floor[i * years : (i + 1) * years]
        room = case.pv(case.savings[p]) - case.pv(own) + _WHOLE
        rows.append(_row(2 * n, {i * years + t: float(d) for t, d in enumerate(case.factors)}))
        low.append(-math.inf)
        high.append(float(room))
    for c in range(n):
        rows += [_row(2 * n, {c: 1.0, n + c: -1.0}), _row(2 * n, {c: -1.0, n + c: -1.0})]
        low += [-math.inf, -math.inf]
        high += [part[c], -part[c]]
    distance = [float(case.factors[c % years]) for c in range(n)]
    result = milp(
        np.array([0.0] * n + distance),
        integrality=np.array([1] * n + [0] * n),
        bounds=Bounds(np.array(lower + [0] * n, float), np.array(upper + [math.inf] * n, float)),
        constraints=LinearConstraint(np.array(rows), np.array(low), np.array(high)),
        options={"time_limit": _SECONDS},
    )
    if result.x is None:
        return None
    offsets = [round(float(v)) for v in result.x[:n]]
    split = {
        p: [floor[i * years + t] + offsets[i * years + t] for t in range(years)]
        for i, p in enumerate(partners)
    }
    totals_hold = all(
        sum(split[p][t] for p in partners) == amount for t, amount in enumerate(case.investment)
    )
    return split if totals_hold and case.within_limits(split) and case.all_whole(split) else None


def _row(width: int, coefficients: Mapping[int, float]) -> np.ndarray:
    row = np.zeros(width)
    for col, v in coefficients.items():
        row[col] = v
    return row


def _outcome(case: _Case, split: dict[str, list[int]], method: str) -> GainShare:
    flows = {
        p: [s - x for s, x in zip(case.savings[p], split[p], strict=True)] for p in case.partners
    }
    nets = {p: round(case.pv(flows[p])) for p in case.partners}
    return GainShare(True, "", split, nets, flows, method)


def _infeasible(reason: str) -> GainShare:
    return GainShare(False, reason, {}, {}, {}, "")
