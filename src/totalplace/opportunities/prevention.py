"""Prevention versus crisis: each theme's money by prevention tier
(universal, targeted, acute), its trend over the years counted, and the money
a shift of some points from acute to prevention would move.

A line's tier is the count's (``tier``: from the rule that classified its
payments, or its theme's).  A top-down line has none ("not known"): it takes
its theme's tier from the taxonomy, and the split says how much was so
placed, since a whole theme at one tier tells less than payments do.

**Shift of x points.**  Moving x percentage points of a theme's spending from
acute to prevention moves x% of the theme's total, and never more than its
acute spending: x = 1 on a £100m theme with £96m acute moves £1m.  It is
money moved between tiers, not a saving.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from totalplace.classify.taxonomy import PASS_THROUGH, default_taxonomy
from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.count.transactions import UNCLASSIFIED

__all__ = ["DEFAULT_SHIFT_POINTS", "ThemeTiers", "shift_pence", "tier_split", "trend"]

TIERS = ("universal", "targeted", "acute")
ACUTE = "acute"
PREVENTION = ("universal", "targeted")
# The shift the register prices for each theme: one percentage point of its
# spending from acute to prevention (change it with the scenario `shift`).
DEFAULT_SHIFT_POINTS = Decimal(1)
_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ThemeTiers:
    theme: str
    by_tier: dict[str, int]  # universal, targeted, acute -> pence
    from_theme_pence: int  # of which placed by the theme's tier (lines with none)

    @property
    def pence(self) -> int:
        return sum(self.by_tier.values())

    def share(self, tier: str) -> Decimal:
        if self.pence <= 0:
            return Decimal(0)
        return (Decimal(self.by_tier.get(tier, 0)) / self.pence).quantize(_PLACES, ROUND_HALF_EVEN)

    def to_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "pence": self.pence,
            "by_tier": dict(self.by_tier),
            "shares": {t: str(self.share(t)) for t in TIERS},
            "tier_from_theme_pence": self.from_theme_pence,
            "shift_pence": shift_pence(self, DEFAULT_SHIFT_POINTS),
        }


def line_tier(line: CountLine) -> tuple[str, bool]:
    """The line's tier, and whether it was taken from its theme (the line had none)."""
    if line.tier in TIERS:
        return line.tier, False
    theme = default_taxonomy().themes.get(line.theme)
    return (theme.tier, True) if theme is not None else ("not known", True)


def tier_split(count: PlaceCount) -> list[ThemeTiers]:
    """Every classified theme's spending by tier, largest theme first."""
    cells: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TIERS, 0))
    inferred: dict[str, int] = defaultdict(int)
    for line in count.lines:
        if line.theme in (UNCLASSIFIED, PASS_THROUGH):
            continue
        tier, from_theme = line_tier(line)
        cells[line.theme][tier] = cells[line.theme].get(tier, 0) + line.pence
        if from_theme:
            inferred[line.theme] += line.pence
    out = [ThemeTiers(t, dict(c), inferred[t]) for t, c in cells.items()]
    out.sort(key=lambda t: (-t.pence, t.theme))
    return out


def shift_pence(theme: ThemeTiers, points: Decimal) -> int:
    """Pence moved by shifting ``points`` percentage points of the theme's
    spending from acute to prevention: at most its acute spending."""
    if theme.pence <= 0 or points <= 0:
        return 0
    moved = int((points / 100 * theme.pence).quantize(Decimal(1), ROUND_HALF_EVEN))
    return max(0, min(moved, theme.by_tier.get(ACUTE, 0)))


def trend(counts: list[PlaceCount]) -> dict[str, list[dict[str, Any]]]:
    """Each theme's acute share year by year, from counts of several years
    (oldest first): {theme: [{"year", "pence", "acute_share", ...}]}."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for count in sorted(counts, key=lambda c: c.year):
        for t in tier_split(count):
            out[t.theme].append(
                {
                    "year": count.year,
                    "pence": t.pence,
                    "by_tier": dict(t.by_tier),
                    "acute_share": str(t.share(ACUTE)),
                }
            )
    return dict(out)
