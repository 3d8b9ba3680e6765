"""A case's inputs: each a number or a distribution, read from the case file and drawn.

Any numeric input of a case may be written as

* a number: fixed;
* ``{low = a, high = b}``: uniform between the ends, base at the midpoint;
* ``{low = a, base = m, high = b}`` or ``{triangular = [a, m, b]}``: triangular;
* ``{uniform = [a, b]}``; ``{normal = [mean, sd]}``;
* ``{lognormal = [median, sigma]}`` (sigma of the logarithm);

and any of these may carry ``base = ...`` for the deterministic run (default:
the mode, the midpoint, the mean, the median).  Draws outside what the input
allows (a rate below 0 or above 1, a negative count) are clipped to the bound.
The tornado (:mod:`totalplace.case.montecarlo`) sets each input to its low and
high (the ends of a range; the 10th and 90th percentiles of a normal or
log-normal) with the others at base.

This module takes nothing else from the case package: the case's dataclasses,
its reader, the computation and the Monte Carlo runs all build on it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Arr = npt.NDArray[np.float64]
DISTRIBUTIONS = ("triangular", "uniform", "normal", "lognormal")
Z90 = 1.2815515655446004  # standard normal 90th percentile
# The largest count or multiplier (a cohort, units per person, a cost's scale)
# a case takes: 10^9 is more people than the UK has, and products of inputs
# this size still come to a whole number of pence.
MAX_INPUT = 1e9


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


def values_for(params: Mapping[str, Param], overrides: Mapping[str, float]) -> dict[str, Arr]:
    """Base values with some inputs set by hand (one row): for what-if checks and tests."""
    values = base_values(list(params.values()))
    for key, value in overrides.items():
        values[key] = np.full((1, 1), float(value))
    return values
