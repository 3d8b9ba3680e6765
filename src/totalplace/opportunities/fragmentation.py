"""Fragmentation: how many agencies and funding streams share each theme's
money in the place, and how concentrated it is among the agencies.

* **Agencies** are the count's agencies with positive spend on the theme.
* **Funding streams** are the distinct funders of the theme's lines (the
  count's ``funder`` field): a body's outturn line counts each funder of its
  financing mix (specific grants, formula grant, council tax) as a stream,
  as the count's ``by_funder`` does.
* **Herfindahl-Hirschman index (HHI)** of agency shares: the sum of the
  squares of each agency's percentage share of the theme, from 0 (spread
  over many agencies) to 10,000 (one agency).  It is worked from exact
  fractions and rounded to a whole number only to show.  Agencies with net
  refunds on a theme (negative spend) are left out of the shares: a share
  below nothing has no meaning.  Below 1,500 a market is called
  unconcentrated, from 1,500 to 2,500 moderately concentrated, above 2,500
  highly concentrated (the US Department of Justice and FTC merger guidelines,
  2010, the usual reading of the index).
* **Ring-fenced against flexible money**: each theme's lines split by the
  count's ring-fencing (as ``by_ring_fenced`` in count.json): a body's outturn
  line pro rata to its financing mix; "not known" where the count does not
  know who funds a line.

A theme is fragmented when at least :data:`MIN_AGENCIES` agencies spend on it
and its HHI is at or below :data:`FRAGMENTED_HHI` (not highly concentrated).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from totalplace.classify.taxonomy import PASS_THROUGH
from totalplace.count.apportion import largest_remainder
from totalplace.count.funding import RING_FENCED, funding_mix
from totalplace.count.place_count import PlaceCount
from totalplace.count.transactions import UNCLASSIFIED

__all__ = ["FRAGMENTED_HHI", "MIN_AGENCIES", "ThemeFragmentation", "fragmentation", "hhi"]

# At or below this HHI a theme's money is not highly concentrated in one agency.
FRAGMENTED_HHI = 2500
MIN_AGENCIES = 3
NOT_KNOWN = "not known"


def hhi(amounts: list[int]) -> Fraction:
    """The Herfindahl-Hirschman index (0 to 10,000) of the positive amounts'
    percentage shares, exactly: 60/30/10 gives 3,600 + 900 + 100 = 4,600."""
    positive = [a for a in amounts if a > 0]
    total = sum(positive)
    if total <= 0:
        return Fraction(0)
    return sum((Fraction(100 * a, total) ** 2 for a in positive), Fraction(0))


def concentration(index: Fraction) -> str:
    """The DoJ/FTC (2010) band of an HHI."""
    if index < 1500:
        return "unconcentrated"
    if index <= FRAGMENTED_HHI:
        return "moderately concentrated"
    return "highly concentrated"


@dataclass(frozen=True)
class ThemeFragmentation:
    theme: str
    pence: int
    agencies: dict[str, int]  # agency -> pence, largest first
    funders: dict[str, int]  # funding stream -> pence, largest first
    ring_fenced: dict[str, int]  # ring-fenced / not ring-fenced / not known -> pence
    hhi: Fraction

    @property
    def agency_count(self) -> int:
        return sum(1 for p in self.agencies.values() if p > 0)

    @property
    def stream_count(self) -> int:
        return sum(1 for p in self.funders.values() if p > 0)

    @property
    def hhi_rounded(self) -> int:
        return round(self.hhi)

    @property
    def effective_agencies(self) -> str:
        """10,000 / HHI: the number of equal agencies that would give the same
        index (to one decimal place)."""
        return f"{float(10_000 / self.hhi):.1f}" if self.hhi else "0"

    @property
    def fragmented(self) -> bool:
        return self.agency_count >= MIN_AGENCIES and self.hhi <= FRAGMENTED_HHI

    @property
    def largest_pence(self) -> int:
        return max(self.agencies.values(), default=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "pence": self.pence,
            "agencies": self.agency_count,
            "funding_streams": self.stream_count,
            "hhi": self.hhi_rounded,
            "concentration": concentration(self.hhi),
            "effective_agencies": self.effective_agencies,
            "fragmented": self.fragmented,
            "by_agency": dict(self.agencies),
            "by_funder": dict(self.funders),
            "by_ring_fenced": dict(self.ring_fenced),
        }


@dataclass
class _Cell:
    agencies: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    funders: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ring: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _sorted(d: dict[str, int]) -> dict[str, int]:
    return dict(sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))


def fragmentation(count: PlaceCount) -> list[ThemeFragmentation]:
    """Every classified theme's agencies, funding streams, ring-fencing and
    HHI, largest theme first."""
    cells: dict[str, _Cell] = defaultdict(_Cell)
    for line in count.lines:
        if line.theme in (UNCLASSIFIED, PASS_THROUGH):
            continue
        cell = cells[line.theme]
        cell.agencies[line.agency] += line.pence
        mix = funding_mix(count.year, line.body) if line.body else {}
        if mix:
            for funder, pence in largest_remainder(line.pence, mix).items():
                cell.funders[funder] += pence
                cell.ring[RING_FENCED[funder]] += pence
        else:
            cell.funders[line.funder or NOT_KNOWN] += line.pence
            cell.ring[NOT_KNOWN] += line.pence
    out = [
        ThemeFragmentation(
            theme=theme,
            pence=sum(c.agencies.values()),
            agencies=_sorted(c.agencies),
            funders=_sorted(c.funders),
            ring_fenced=_sorted(c.ring),
            hhi=hhi(list(c.agencies.values())),
        )
        for theme, c in cells.items()
    ]
    out.sort(key=lambda t: (-t.pence, t.theme))
    return out
