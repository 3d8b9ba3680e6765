"""The runs over a case's uncertain inputs: one deterministic run, N draws, a tornado.

The inputs themselves, a number or a distribution each, are read and drawn in
:mod:`totalplace.case.params`; the tornado sets each input to its low and high
(:meth:`~totalplace.case.params.Param.low_high`) with the others at base.

Every run, deterministic or not, is one call of
:func:`totalplace.case.compute.evaluate` on a column of values per input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from totalplace.case.compute import CaseResult, evaluate, result, to_pence
from totalplace.case.definition import Case
from totalplace.case.params import (
    MAX_INPUT,
    Z90,
    Arr,
    Param,
    ParamError,
    base_values,
    draw_values,
    parse_param,
    values_for,
)
from totalplace.errors import ConfigError

# The inputs' names (Param, parse_param and the rest) are public here too,
# because callers have long imported them from this module.
__all__ = [
    "DEFAULT_SEED",
    "MAX_DRAWS",
    "MAX_INPUT",
    "Z90",
    "Appraisal",
    "MonteCarloResult",
    "Param",
    "ParamError",
    "TornadoBar",
    "appraise",
    "base_values",
    "check_draws",
    "draw_values",
    "parse_param",
    "simulate",
    "tornado",
    "values_for",
]

DEFAULT_SEED = 20_100_315
# Draws at most per run unless --max-draws raises it: memory grows with the
# draws (a million draws of the shipped drug-treatment case peak at 0.78 GB).
MAX_DRAWS = 1_000_000


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
