"""Green Book discount factors, compounded band by band, against the schedule worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from totalplace.case import discount_factors


def _by_hand(year: int, bands: list[tuple[int, Decimal]]) -> float:
    """Product of 1/(1 + r) over years 1..year, r the rate of the band each year falls in."""
    factor = Decimal(1)
    for t in range(1, year + 1):
        rate = next(r for last, r in bands if t <= last)
        factor /= 1 + rate
    return float(factor)


STANDARD = [
    (30, Decimal("0.035")),
    (75, Decimal("0.03")),
    (125, Decimal("0.025")),
    (200, Decimal("0.02")),
]


@pytest.mark.parametrize("year", [0, 1, 29, 30, 31, 74, 75, 76, 125, 126])
def test_standard_factors_at_band_edges(year: int) -> None:
    factors = discount_factors(130)
    assert factors[year] == pytest.approx(_by_hand(year, STANDARD), rel=1e-12)


def test_year_31_compounds_across_the_edge_not_at_the_later_rate() -> None:
    factors = discount_factors(80)
    assert factors[31] == pytest.approx(1.035**-30 * 1.03**-1, rel=1e-12)
    assert factors[31] != pytest.approx(1.03**-31, rel=1e-6)
    assert factors[76] == pytest.approx(1.035**-30 * 1.03**-45 * 1.025**-1, rel=1e-12)


def test_year_0_is_undiscounted() -> None:
    assert discount_factors(1)[0] == 1.0
    assert discount_factors(1, "health")[0] == 1.0


def test_health_schedule_starts_at_1_5_percent() -> None:
    health = [(30, Decimal("0.015")), (75, Decimal("0.0129")), (125, Decimal("0.0107"))]
    factors = discount_factors(80, "health")
    for year in (1, 30, 31, 75, 76):
        assert factors[year] == pytest.approx(_by_hand(year, health), rel=1e-12)


def test_a_flat_rate_of_zero_leaves_every_year_whole() -> None:
    assert list(discount_factors(40, Decimal(0))) == [1.0] * 40


def test_unknown_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown discount schedule"):
        discount_factors(5, "treasury")
