"""The register's fragmentation, prevention-shift and scenario items.

* ``fragmentation``: a theme whose money is spread over three or more
  agencies with an HHI of 2,500 or less (not highly concentrated); value =
  :data:`POOLING_SHARE` (1%) of the theme's spending outside its largest
  agency, the money a pooled budget would bring under one plan.
  Confidence low: a planning assumption on a structure, not a finding.
* ``prevention_shift``: each theme with acute spending; value = the money
  a shift of :data:`~totalplace.opportunities.prevention.DEFAULT_SHIFT_POINTS`
  (1) point from acute to prevention moves.  Money moved, not saved.
  Confidence medium when the tiers come from the count's lines, low when
  most of the theme's tier is its theme's (a top-down line has none).
* ``scenario``: each scenario file in ``DIR/scenarios/*.toml`` whose changes
  save money; value = its saving on the count.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from urllib.parse import quote

from totalplace.classify.taxonomy import theme_label
from totalplace.money import pounds
from totalplace.opportunities.fragmentation import FRAGMENTED_HHI, concentration, fragmentation
from totalplace.opportunities.opportunity import Opportunity
from totalplace.opportunities.prevention import (
    ACUTE,
    DEFAULT_SHIFT_POINTS,
    shift_pence,
    tier_split,
)
from totalplace.opportunities.scenarios import count_of, load_scenario, run_scenario
from totalplace.workspace import Workspace

__all__ = ["POOLING_SHARE", "SCENARIO_DIR", "opportunities"]

POOLING_SHARE = Decimal("0.01")
SCENARIO_DIR = "scenarios"


def _pct(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def opportunities(data: dict[str, Any], ws: Workspace | None) -> list[Opportunity]:
    """Fragmentation, prevention-shift and scenario items from a count's JSON."""
    count = count_of(data)
    items: list[Opportunity] = []
    for t in fragmentation(count):
        if not t.fragmented:
            continue
        outside = t.pence - t.largest_pence
        value = int((POOLING_SHARE * outside).quantize(Decimal(1), ROUND_HALF_EVEN))
        if value <= 0:
            continue
        items.append(
            Opportunity(
                kind="fragmentation",
                subject=t.theme,
                description=(
                    f"{theme_label(t.theme)} ({pounds(t.pence)}) is spread over "
                    f"{t.agency_count} agencies and {t.stream_count} funding streams, "
                    f"HHI {t.hhi_rounded:,} ({concentration(t.hhi)}, at most {FRAGMENTED_HHI:,} "
                    f"counts as fragmented). Pooling into one budget at {_pct(POOLING_SHARE)} "
                    f"of the {pounds(outside)} outside the largest agency: {pounds(value)}."
                ),
                agencies=tuple(a for a, p in t.agencies.items() if p > 0),
                value_pence=value,
                confidence="low",
                evidence=f"/themes/{quote(t.theme)}",
                details=t.to_dict(),
            )
        )
    for p in tier_split(count):
        moved = shift_pence(p, DEFAULT_SHIFT_POINTS)
        if moved <= 0:
            continue
        inferred = p.from_theme_pence * 2 > p.pence
        text = (
            f"Of {theme_label(p.theme)} spending ({pounds(p.pence)}), {_pct(p.share(ACUTE))} is "
            f"acute, {_pct(p.share('targeted'))} targeted and {_pct(p.share('universal'))} "
            f"universal. A shift of {DEFAULT_SHIFT_POINTS} point from acute to prevention "
            f"moves {pounds(moved)} (money moved, not saved)."
        )
        if p.from_theme_pence:
            text += f" {pounds(p.from_theme_pence)} takes its theme's tier (the lines have none)."
        agencies = sorted({x.agency for x in count.lines if x.theme == p.theme and x.pence > 0})
        items.append(
            Opportunity(
                kind="prevention_shift",
                subject=p.theme,
                description=text,
                agencies=tuple(agencies),
                value_pence=moved,
                confidence="low" if inferred else "medium",
                evidence=f"/themes/{quote(p.theme)}",
                details=p.to_dict(),
            )
        )
    folder = ws.root / SCENARIO_DIR if ws is not None else None
    for path in sorted(folder.glob("*.toml")) if folder and folder.is_dir() else []:
        result = run_scenario(count, load_scenario(path))
        if result["saving_pence"] <= 0:
            continue
        changes = "; ".join(f"{c['description']}: {pounds(c['pence'])}" for c in result["changes"])
        items.append(
            Opportunity(
                kind="scenario",
                subject=path.stem,
                description=f"Scenario {result['name']}: {changes}.",
                agencies=tuple(result["gains_by_agency"]),
                value_pence=result["saving_pence"],
                confidence="low",
                evidence=f"totalplace scenario {ws.root if ws else 'DIR'} {path}",
                details={k: v for k, v in result.items() if k != "changes"},
            )
        )
    return items
