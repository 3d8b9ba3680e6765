"""Discount factors on HM Treasury's Green Book schedules, compounded band by band.

The Green Book discounts at 3.5% a year to year 30, then at lower rates for
later years (Annex A6, "declining long-term discount rates"); the reduced
schedule for health effects starts at 1.5%.  Each year is discounted at its
own band's rate and the factors compound across band edges, so year 31's
factor is 1.035**-30 * 1.03**-1, never 1.03**-31.  Year 0 is undiscounted.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

# (last year of the band, annual rate); the final band runs on without end.
# Source: HM Treasury, The Green Book (2022 and 2026 editions), table of
# discount rates: standard 3.5/3.0/2.5/2.0/1.5/1.0%, health 1.5/1.29/1.07/
# 0.86/0.64/0.43% for years 0-30, 31-75, 76-125, 126-200, 201-300, 301+.
SCHEDULES: dict[str, tuple[tuple[int | None, Decimal], ...]] = {
    "standard": (
        (30, Decimal("0.035")),
        (75, Decimal("0.030")),
        (125, Decimal("0.025")),
        (200, Decimal("0.020")),
        (300, Decimal("0.015")),
        (None, Decimal("0.010")),
    ),
    "health": (
        (30, Decimal("0.015")),
        (75, Decimal("0.0129")),
        (125, Decimal("0.0107")),
        (200, Decimal("0.0086")),
        (300, Decimal("0.0064")),
        (None, Decimal("0.0043")),
    ),
}


def rate_for_year(year: int, schedule: str | Decimal) -> Decimal:
    """The rate that discounts ``year`` back to ``year - 1`` (a flat Decimal applies to all)."""
    if isinstance(schedule, Decimal):
        return schedule
    for last, rate in SCHEDULES[schedule]:
        if last is None or year <= last:
            return rate
    raise AssertionError("the last band has no end")  # pragma: no cover


def discount_factors(years: int, schedule: str | Decimal = "standard") -> npt.NDArray[np.float64]:
    """Factors for years 0..years-1: 1.0 for year 0, then each year's band rate compounded."""
    if isinstance(schedule, str) and schedule not in SCHEDULES:
        raise ValueError(f"unknown discount schedule {schedule!r}; use {', '.join(SCHEDULES)}")
    factors = np.empty(years, dtype=np.float64)
    factor = 1.0
    for year in range(years):
        if year:
            factor /= 1.0 + float(rate_for_year(year, schedule))
        factors[year] = factor
    return factors
