"""Uncertain inputs and the runs over them: one deterministic run, N draws, a tornado.

Any numeric input of a case may be written as

* a number: fixed;
* ``{low = a, high = b}``: uniform between the ends, base at the midpoint;
* ``{low = a, base = m, high = b}`` or ``{triangular = [a, m, b]}``: triangular;
* ``{uniform = [a, b]}``; ``{normal = [mean, sd]}``;
* ``{lognormal = [median, sigma]}`` (sigma of the logarithm);

and any of these may carry ``base = ...`` for the deterministic run (default:
the mode, the midpoint, the mean, the median).  Draws outside what the input
allows (a rate below 0 or above 1, a negative count) are clipped to the bound.
The tornado sets each input to its low and high (the ends of a range; the 10th
and 90th percentiles of a normal or log-normal) with the others at base.

Every run, deterministic or not, is one call of
:func:`totalplace.case.compute.evaluate` on a column of values per input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from totalplace.errors import ConfigError

if TYPE_CHECKING:  # engine imports the model, which imports this module
    from totalplace.case.compute import CaseResult
    from totalplace.case.model import Case

Arr = npt.NDArray[np.float64]
DISTRIBUTIONS = ("triangular", "uniform", "normal", "lognormal")
Z90 = 1.2815515655446004  # standard normal 90th percentile
DEFAULT_SEED = 20_100_315
# The largest count or multiplier (a cohort, units per person, a cost's scale)
# a case takes: 10^9 is more people than the UK has, and products of inputs
# this size still come to a whole number of pence.
MAX_INPUT = 1e9
# Draws at most per run unless --max-draws raises it: memory grows with the
# draws (a million draws of the shipped drug-treatment case peak at 0.78 GB).
MAX_DRAWS = 1_000_000


class ParamError(ValueError):
    """An input's value or distribution is not valid (the model adds file and field)."""


@dataclass(frozen=True)
class Param:
    id: str  # the field it came from, e.g. outcomes[0].deadweight
    base: float
    dist: str | None = None
    args: tuple[float, ...] = ()
    upper: float | None = None  # every input is at least 0

    def low_high(self) -> tuple[float, float]:
        if self.dist in ("triangular", "uniform"):
            return self.args[0], self.args[-1]
        if self.dist == "normal":
            mean, sd = self.args
            return self._clip(mean - Z90 * sd), self._clip(mean + Z90 * sd)
        if self.dist == "lognormal":
            median, sigma = self.args
            return self._clip(median * math.exp(-Z90 * sigma)), self._clip(
                median * math.exp(Z90 * sigma)
            )
        return self.base, self.base

    def _clip(self, value: float) -> float:
        return min(max(value, 0.0), self.upper if self.upper is not None else math.inf)

    def sample(self, rng: np.random.Generator, n: int) -> Arr:
        a = self.args
        if self.dist == "triangular":
            draws = rng.triangular(a[0], a[1], a[2], n) if a[0] < a[2] else np.full(n, a[0])
        elif self.dist == "uniform":
            draws = rng.uniform(a[0], a[1], n)
        elif self.dist == "normal":
            draws = rng.normal(a[0], a[1], n)
        elif self.dist == "lognormal":
            # the exponent is capped where the draw would pass MAX_INPUT, so exp never overflows
            cap = math.log(MAX_INPUT / a[0])
            draws = a[0] * np.exp(np.minimum(rng.normal(0.0, a[1], n), cap))
        else:
            return np.full(n, self.base)
        return np.clip(draws, 0.0, self.upper if self.upper is not None else MAX_INPUT)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ParamError(f"{what} must be a finite number")
    return float(value)


def parse_param(name: str, raw: Any, upper: float | None) -> Param:
    """A :class:`Param` from a TOML value; ``upper`` is 1.0 for rates."""

    def bounded(value: float, what: str) -> float:
        if value < 0:
            raise ParamError(f"{what} {value:g} is negative; it must be at least 0")
        if upper is None and value > MAX_INPUT:
            raise ParamError(
                f"{what} {value:g} is over {MAX_INPUT:g}, the largest count or multiplier a "
                "case takes; check the figure"
            )
        if upper is not None and value > upper:
            raise ParamError(
                f"{what} {value:g} is over {upper:g} (100%); give a fraction such as 0.25 for 25%"
            )
        return value

    if not isinstance(raw, dict):
        return Param(name, bounded(_number(raw, "the value"), "the value"), upper=upper)
    kinds = [k for k in DISTRIBUTIONS if k in raw]
    extra = set(raw) - {*DISTRIBUTIONS, "low", "high", "base"}
    if extra or len(kinds) > 1 or (kinds and {"low", "high"} & set(raw)):
        raise ParamError(
            "write a number, {low, high}, {low, base, high} or one of "
            f"{', '.join(DISTRIBUTIONS)} = [...] (with an optional base)"
        )
    if not kinds:
        if "low" not in raw or "high" not in raw:
            raise ParamError("a range needs both low and high")
        low = bounded(_number(raw["low"], "low"), "low")
        high = bounded(_number(raw["high"], "high"), "high")
        if low > high:
            raise ParamError(f"low {low:g} is above high {high:g}")
        if "base" in raw:
            base = bounded(_number(raw["base"], "base"), "base")
            if not low <= base <= high:
                raise ParamError(f"base {base:g} is outside {low:g} to {high:g}")
            return Param(name, base, "triangular", (low, base, high), upper)
        return Param(name, (low + high) / 2, "uniform", (low, high), upper)
    kind = kinds[0]
    spec = raw[kind]
    if not isinstance(spec, list):
        raise ParamError(f"{kind} takes a list of numbers")
    args = tuple(_number(v, f"{kind} value") for v in spec)
    size = {"triangular": 3, "uniform": 2, "normal": 2, "lognormal": 2}[kind]
    if len(args) != size:
        raise ParamError(f"{kind} takes {size} numbers, not {len(args)}")
    if kind in ("triangular", "uniform"):
        for v in args:
            bounded(v, kind)
        if list(args) != sorted(args):
            raise ParamError(f"{kind} values must be in order, lowest first")
        default = args[1] if kind == "triangular" else (args[0] + args[1]) / 2
    else:
        centre, spread = args
        bounded(centre, "the mean" if kind == "normal" else "the median")
        if spread < 0:
            raise ParamError(f"the spread of a {kind} cannot be negative")
        if kind == "lognormal" and centre <= 0:
            raise ParamError("the median of a log-normal must be above 0")
        if kind == "normal":
            bounded(spread, "the standard deviation")
        elif Z90 * spread > math.log((upper or MAX_INPUT) / centre):
            raise ParamError(
                f"sigma {spread:g} puts the log-normal's 90th percentile above "
                f"{upper or MAX_INPUT:g}; sigma is the spread of the logarithm (0.5 doubles "
                "or halves the median about one time in six)"
            )
        default = centre
    base = bounded(_number(raw.get("base", default), "base"), "base")
    return Param(name, base, kind, args, upper)


def base_values(params: list[Param], n: int = 1) -> dict[str, Arr]:
    """Every input at its base value, as columns of ``n`` rows."""
    return {p.id: np.full((n, 1), p.base) for p in params}


def draw_values(params: list[Param], draws: int, seed: int) -> dict[str, Arr]:
    """Independent draws of every uncertain input, in file order from one seeded generator."""
    rng = np.random.default_rng(seed)
    values = {p.id: np.full((1, 1), p.base) for p in params}
    for p in params:
        if p.dist is not None:
            values[p.id] = p.sample(rng, draws).reshape(draws, 1)
    return values


@dataclass(frozen=True)
class MonteCarloResult:
    draws: int
    seed: int
    p_npv_positive: float
    npv_pence: tuple[int, int, int]  # P10, P50, P90
    bcr: tuple[float | None, float | None, float | None]
    p_fiscal_npv_positive: float
    npv_samples: Arr  # pounds, one per draw

    def to_dict(self) -> dict[str, object]:
        return {
            "draws": self.draws,
            "seed": self.seed,
            "p_npv_positive": round(self.p_npv_positive, 4),
            "npv_p10_pence": self.npv_pence[0],
            "npv_p50_pence": self.npv_pence[1],
            "npv_p90_pence": self.npv_pence[2],
            "bcr_p10": self.bcr[0],
            "bcr_p50": self.bcr[1],
            "bcr_p90": self.bcr[2],
            "p_fiscal_npv_positive": round(self.p_fiscal_npv_positive, 4),
        }


def simulate(case: Case, draws: int, seed: int = DEFAULT_SEED) -> MonteCarloResult:
    """``draws`` seeded draws of every uncertain input, evaluated as arrays in one pass."""
    from totalplace.case.compute import evaluate, to_pence

    run = evaluate(case, draw_values(case.params(), draws, seed), detail=False)
    npv = run.npv()
    bcr = run.bcr()
    p10, p50, p90 = np.percentile(npv, [10, 50, 90])
    finite = bcr[np.isfinite(bcr)]
    ratios: tuple[float | None, float | None, float | None] = (None, None, None)
    if finite.size:
        r10, r50, r90 = np.percentile(finite, [10, 50, 90])
        ratios = (round(float(r10), 4), round(float(r50), 4), round(float(r90), 4))
    npv_all = np.broadcast_to(npv, (draws,))
    return MonteCarloResult(
        draws=draws,
        seed=seed,
        p_npv_positive=float(np.mean(npv_all > 0)),
        npv_pence=(to_pence(p10), to_pence(p50), to_pence(p90)),
        bcr=ratios,
        p_fiscal_npv_positive=float(np.mean(np.broadcast_to(run.npv(fiscal=True), (draws,)) > 0)),
        npv_samples=npv_all,
    )


@dataclass(frozen=True)
class TornadoBar:
    param: str
    low: float
    high: float
    npv_low_pence: int
    npv_high_pence: int

    @property
    def swing_pence(self) -> int:
        return abs(self.npv_high_pence - self.npv_low_pence)

    def to_dict(self) -> dict[str, object]:
        return {
            "param": self.param,
            "low": self.low,
            "high": self.high,
            "npv_low_pence": self.npv_low_pence,
            "npv_high_pence": self.npv_high_pence,
            "swing_pence": self.swing_pence,
        }


def tornado(case: Case) -> list[TornadoBar]:
    """NPV with each uncertain input at its low then its high, the rest at base; widest first."""
    from totalplace.case.compute import evaluate, to_pence

    params = case.params()
    uncertain = [p for p in params if p.dist is not None]
    if not uncertain:
        return []
    rows = 2 * len(uncertain)
    values = base_values(params, rows)
    for i, p in enumerate(uncertain):
        values[p.id][2 * i : 2 * i + 2, 0] = p.low_high()
    npv = np.broadcast_to(evaluate(case, values, detail=False).npv(), (rows,))
    bars = [
        TornadoBar(p.id, *p.low_high(), to_pence(npv[2 * i]), to_pence(npv[2 * i + 1]))
        for i, p in enumerate(uncertain)
    ]
    return sorted(bars, key=lambda b: (-b.swing_pence, b.param))


@dataclass(frozen=True)
class Appraisal:
    """A case's deterministic result, its Monte Carlo summary and its tornado."""

    result: CaseResult
    monte_carlo: MonteCarloResult | None
    tornado: list[TornadoBar]

    def to_dict(self) -> dict[str, object]:
        return {
            **self.result.to_dict(),
            "monte_carlo": None if self.monte_carlo is None else self.monte_carlo.to_dict(),
            "tornado": [bar.to_dict() for bar in self.tornado],
        }

    def chart_inputs(
        self,
    ) -> tuple[
        list[tuple[str, int]],
        list[tuple[str, str, int]],
        list[float] | None,
        list[tuple[str, int, int]] | None,
    ]:
        """Waterfall (PV costs, then each agency's public-value saving, economic, social:
        the steps add up to the NPV), flows, NPV draws in pounds, and the tornado."""
        res = self.result
        waterfall = [("PV costs", -res.pv_costs)]
        for line in res.agencies.values():
            if line.pv_fiscal - line.pv_transfer:
                waterfall.append((f"{line.name} savings", line.pv_fiscal - line.pv_transfer))
        waterfall += [("economic value", res.pv_economic), ("social value", res.pv_social)]
        samples = None if self.monte_carlo is None else self.monte_carlo.npv_samples.tolist()
        bars = [(b.param, b.npv_low_pence, b.npv_high_pence) for b in self.tornado] or None
        return waterfall, list(res.flows), samples, bars


def appraise(
    case: Case, draws: int = 10_000, seed: int = DEFAULT_SEED, max_draws: int = MAX_DRAWS
) -> Appraisal:
    """The case's result, ``draws`` Monte Carlo draws (refused past ``max_draws``
    before any is allocated) and its tornado.  Figures too large to count in
    whole pence are a ConfigError naming the largest inputs, not a crash."""
    from totalplace.case.compute import result

    check_draws(draws, max_draws)
    try:
        return Appraisal(
            result=result(case),
            monte_carlo=simulate(case, draws, seed) if draws > 0 else None,
            tornado=tornado(case),
        )
    except (ArithmeticError, ValueError) as exc:
        if isinstance(exc, ValueError) and "as pence" not in str(exc):
            raise
        raise ConfigError(
            f"{case.path}: the case's figures are too large to count in whole pence (a value "
            f"beyond about £10^25); check its largest inputs: {_largest(case)}"
        ) from exc


def check_draws(draws: int, max_draws: int = MAX_DRAWS) -> None:
    if draws > max_draws:
        raise ConfigError(
            f"--draws {draws:,} is over the limit of {max_draws:,} draws (memory grows with "
            "the draws: a million draws of a shipped case take about 0.8 GB): use fewer, or "
            "raise the limit with --max-draws"
        )


def _largest(case: Case) -> str:
    params = sorted(case.params(), key=lambda p: -max(p.base, *p.args, 0.0))[:3]
    costs = sorted(
        ((max((abs(a) for a in c.by_year), default=0), c.label) for c in case.costs),
        reverse=True,
    )[:1]
    parts = [f"{p.id} = {max((p.base, *p.args)):g}" for p in params]
    parts += [f"cost '{label}' £{amount:,.0f} in a year" for amount, label in costs]
    return ", ".join(parts)


def values_for(params: Mapping[str, Param], overrides: Mapping[str, float]) -> dict[str, Arr]:
    """Base values with some inputs set by hand (one row): for what-if checks and tests."""
    values = base_values(list(params.values()))
    for key, value in overrides.items():
        values[key] = np.full((1, 1), float(value))
    return values
