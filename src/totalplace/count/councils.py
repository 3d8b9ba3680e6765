"""Local government like for like: councils' own Revenue Outturn in place of
apportioned regional lines.

For a year with RS outturn, each council covering part of the place brings
its net current expenditure, less its police and fire lines (police and fire
authorities stay in the regional lines, so counties that run fire services
are not counted twice).  A council covering more of the country than the
place (a county, or an authority since reorganised) is shared among the
current authorities it covered by population.  Housing benefit, which sits
inside net current expenditure, is its own line, tagged as DWP-funded and
council-administered.  RS is revenue only: capital stays with the regional
lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from totalplace.count.apportion import largest_remainder
from totalplace.errors import ConfigError
from totalplace.reference.outturn import OutturnLine, outturn, years
from totalplace.reference.places import Authority, Place, Registry

HOUSING_BENEFIT = (
    "housing_benefit_rent_allowances",
    "housing_benefit_non_hra_rent_rebates",
    "housing_benefit_hra_rent_rebates",
)
LEFT_TO_REGIONAL = ("police", "fire")
# RS service lines -> COFOG function, so council lines sit beside the regional ones.
FUNCTION = {
    "education": "9. Education",
    "highways_transport": "4. Economic affairs",
    "social_care": "10. Social protection",
    "children_social_care": "10. Social protection",
    "adult_social_care": "10. Social protection",
    "public_health": "7. Health",
    "housing": "6. Housing and community amenities",
    "cultural": "8. Recreation, culture and religion",
    "environmental": "5. Environment protection",
    "planning": "6. Housing and community amenities",
    "central_services": "1. General public services",
    "other_services": "1. General public services",
}
HB_TAG = "DWP-funded, council-administered"
OTHER_ITEMS = "other items in net current expenditure (levies, precepts, trading accounts)"


@dataclass(frozen=True)
class CouncilLine:
    council: str  # authority name as published
    ecode: str
    line: str  # RS line id, "housing_benefit" or "other_items"
    label: str
    function: str
    pence: int  # the place's share
    share: str  # the place's share of the council, as text
    source_ref: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class CouncilOutturn:
    lines: tuple[CouncilLine, ...]
    covered_units: frozenset[str]  # place units whose councils' outturn replaced regional lines
    skipped: tuple[str, ...]  # RS bodies not in the registry (joint authorities and others)


def has_outturn(year: str) -> bool:
    return year in years()


def _coverage(reg: Registry, a: Authority) -> tuple[str, ...]:
    """The current lowest-tier authorities an authority covered."""
    if a.current:
        return reg.units(a.gss)
    units: set[str] = set()
    for successor in reg.successors(a.gss):
        units.update(reg.units(successor))
    return tuple(sorted(units))


def council_outturn(place: Place, year: str, reg: Registry) -> CouncilOutturn:
    by_council: dict[str, list[OutturnLine]] = defaultdict(list)
    for row in outturn(year):
        by_council[row.ecode].append(row)
    pop_year = int(year[:4])
    wanted = set(place.units)
    lines: list[CouncilLine] = []
    covered: set[str] = set()
    skipped: list[str] = []
    for ecode, rows in sorted(by_council.items()):
        try:
            authority = reg.by_ecode(ecode)
        except ConfigError:
            skipped.append(f"{rows[0].authority} ({ecode})")
            continue
        coverage = _coverage(reg, authority)
        inside = [u for u in coverage if u in wanted]
        if not inside:
            continue
        covered.update(inside)
        weights = {u: reg.population(u, pop_year)[0] for u in coverage}
        whole = sum(weights.values())
        share = sum(weights[u] for u in inside)
        flags = () if share == whole else (f"{authority.label} shared by population",)

        def part(pence: int, weights: dict[str, int] = weights, inside: list[str] = inside) -> int:
            split = largest_remainder(pence, weights)
            return sum(split[u] for u in inside)

        lines.extend(_lines(rows, part, f"{share / whole:.6f}", flags))
    return CouncilOutturn(tuple(lines), frozenset(covered), tuple(skipped))


def _lines(
    rows: list[OutturnLine], part: Callable[[int], int], share: str, flags: tuple[str, ...]
) -> list[CouncilLine]:
    value = {r.line: r for r in rows}
    nce = value.get("net_current_expenditure")
    if nce is None:
        return []
    first = rows[0]
    out: list[CouncilLine] = []
    accounted = 0
    for line, function in FUNCTION.items():
        if line in value:
            r = value[line]
            accounted += r.pence
            out.append(
                _line(first, line, r.label, function, part(r.pence), share, r.source_ref, flags)
            )
    hb = sum(value[h].pence for h in HOUSING_BENEFIT if h in value)
    out.append(
        _line(
            first,
            "housing_benefit",
            f"Housing benefit ({HB_TAG})",
            "10. Social protection",
            part(hb),
            share,
            nce.source_ref,
            (*flags, HB_TAG),
        )
    )
    left_out = sum(value[x].pence for x in LEFT_TO_REGIONAL if x in value)
    other = nce.pence - accounted - hb - left_out
    out.append(
        _line(
            first,
            "other_items",
            OTHER_ITEMS,
            "1. General public services",
            part(other),
            share,
            nce.source_ref,
            (*flags, "levies to joint bodies stand in for their own spending"),
        )
    )
    return out


def _line(
    first: OutturnLine,
    line: str,
    label: str,
    function: str,
    pence: int,
    share: str,
    ref: str,
    flags: tuple[str, ...],
) -> CouncilLine:
    return CouncilLine(
        first.authority,
        first.ecode,
        line,
        label,
        function,
        pence,
        share,
        f"{first.source}!{ref.split('!')[-1]}",
        flags,
    )
