"""Local government like for like: the Revenue Outturn of councils and of the
joint bodies serving a place, in place of apportioned regional lines.

For a year with RS outturn:

* each council covering part of the place brings its net current expenditure
  **less the levies it paid** to joint bodies (those levies fund spending that
  the joint bodies report themselves);
* each joint body serving the place (police, fire, transport, waste,
  combined and park authorities, the GLA) brings its own service expenditure,
  gross of the levies it received;
* a body covering more of the country than the place (a county, a police force
  area, an authority since reorganised) is shared among the current
  authorities it served by population.

Housing benefit, which sits inside net current expenditure, is its own line,
tagged as DWP-funded and council-administered.  Each line has a *kind*
(police, fire or council) so that the regional local-government lines are
replaced only where some body's outturn covers that kind of service for that
authority.  RS is revenue only: capital stays with the regional lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from types import MappingProxyType

from totalplace.count.apportion import largest_remainder
from totalplace.errors import ConfigError
from totalplace.reference.joint_bodies import JointBody, joint_bodies
from totalplace.reference.outturn import OutturnLine, outturn, years
from totalplace.reference.places import Authority, Place, Registry

HOUSING_BENEFIT = (
    "housing_benefit_rent_allowances",
    "housing_benefit_non_hra_rent_rebates",
    "housing_benefit_hra_rent_rebates",
)
# Levies inside net current expenditure (the Environment Agency levy sits below it).
LEVIES = (
    "levy_integrated_transport_authority",
    "levy_waste_disposal_authority",
    "levy_london_pensions_fund_authority",
    "levy_other",
)
# RS service lines -> COFOG function, so outturn lines sit beside the regional ones.
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
    "police": "3. Public order and safety",
    "fire": "3. Public order and safety",
    "central_services": "1. General public services",
    "other_services": "1. General public services",
}
KIND_OF_LINE = {"police": "police", "fire": "fire"}
KINDS = ("council", "police", "fire")
HB_TAG = "DWP-funded, council-administered"
OTHER_ITEMS = "other items in net current expenditure (trading accounts, precepts, adjustments)"


@dataclass(frozen=True)
class CouncilLine:
    council: str  # the body's name (the registry's for a council, the joint-body table's otherwise)
    ecode: str
    body: str  # "council" or the joint body's kind
    kind: str  # council, police or fire: which regional lines it stands for
    line: str  # RS line id, "housing_benefit" or "other_items"
    label: str
    function: str
    pence: int  # the place's share
    share: str  # the place's share of the body, as text
    source_ref: str
    flags: tuple[str, ...]
    # the share as exact integers (place's residents, body's residents): decisions
    # compare these, never the six-decimal text
    share_parts: tuple[int, int] = (0, 1)


@dataclass(frozen=True)
class CouncilOutturn:
    lines: tuple[CouncilLine, ...]
    covered: dict[str, frozenset[str]]  # kind -> place units whose outturn replaces regional lines
    levies_removed_pence: int  # the place's share of levies taken out of councils' spending
    notes: tuple[str, ...] = field(default=())

    @property
    def covered_units(self) -> frozenset[str]:
        return self.covered.get("council", frozenset())


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


def _joint_coverage(reg: Registry, body: JointBody) -> tuple[str, ...]:
    units: set[str] = set()
    for member in body.members:
        units.update(_coverage(reg, reg.get(member)))
    return tuple(sorted(units))


@dataclass(frozen=True)
class _Body:
    name: str
    kind: str  # "council" or a joint body kind
    coverage: tuple[str, ...]
    note: str


def _body(reg: Registry, ecode: str) -> _Body | None:
    """The body an RS E-code stands for, under one name across years (RS spells
    names differently from year to year: "Manchester", "Greater Manchester Fire
    & CD Authority")."""
    try:
        authority = reg.by_ecode(ecode)
    except ConfigError:
        joint = joint_bodies().get(ecode)
        if joint is None:
            return None
        return _Body(joint.name, joint.kind, _joint_coverage(reg, joint), joint.note)
    return _Body(authority.name, "council", _coverage(reg, authority), "")


SERVICE_LINES = {
    "police": ("police",),
    "fire": ("fire",),
    "transport": ("highways_transport",),
}


@cache  # the same for every region and every line keyed by it
def service_spend_by_unit(reg: Registry, year: str, service: str) -> Mapping[str, int]:
    """Each current authority's share of the RS spending on one service
    (police, fire or transport) by every body serving it, each body's figure
    shared among its area by population.  A key for regional lines of that
    service: a place gets its force's, fire authority's or transport bodies'
    share rather than its share of the region's residents."""
    wanted = SERVICE_LINES[service]
    pop_year = int(year[:4])
    out: dict[str, int] = defaultdict(int)
    for row in outturn(year):
        if row.line not in wanted or row.pence <= 0:
            continue
        body = _body(reg, row.ecode)
        if body is None:
            continue
        weights = {u: reg.population(u, pop_year)[0] for u in body.coverage}
        for unit, pence in largest_remainder(row.pence, weights).items():
            out[unit] += pence
    return MappingProxyType(dict(out))


def council_outturn(place: Place, year: str, reg: Registry) -> CouncilOutturn:
    by_body: dict[str, list[OutturnLine]] = defaultdict(list)
    for row in outturn(year):
        by_body[row.ecode].append(row)
    pop_year = int(year[:4])
    wanted = set(place.units)
    lines: list[CouncilLine] = []
    covered: dict[str, set[str]] = {k: set() for k in KINDS}
    levies = 0
    notes: list[str] = []
    for ecode, rows in sorted(by_body.items()):
        body = _body(reg, ecode)
        if body is None:
            notes.append(
                f"{rows[0].authority} ({ecode}) is in RS but not in the registry: left out"
            )
            continue
        inside = [u for u in body.coverage if u in wanted]
        if not inside:
            continue
        weights = {u: reg.population(u, pop_year)[0] for u in body.coverage}
        whole = sum(weights.values())
        share = sum(weights[u] for u in inside)
        flags = () if share == whole else (f"{body.name} shared by population",)
        if body.note and body.kind == "park":
            flags = (*flags, body.note)

        def part(pence: int, weights: dict[str, int] = weights, inside: list[str] = inside) -> int:
            split = largest_remainder(pence, weights)
            return sum(split[u] for u in inside)

        if body.kind == "council":
            found, removed = _council_lines(rows, part, f"{share / whole:.6f}", flags)
            levies += removed
        else:
            found = _joint_lines(rows, body, part, f"{share / whole:.6f}", flags)
        found = [replace(x, council=body.name, share_parts=(share, whole)) for x in found]
        lines.extend(found)
        # A council's outturn stands for the council services of its area; any
        # body's non-zero police or fire lines stand for those services.
        kinds = {x.kind for x in found if x.kind != "council" and x.pence}
        if body.kind == "council" and found:
            kinds.add("council")
        for kind in kinds:
            covered[kind].update(inside)
    return CouncilOutturn(
        tuple(lines),
        {k: frozenset(v) for k, v in covered.items()},
        levies,
        tuple(notes),
    )


def _service_lines(
    rows: list[OutturnLine],
    body: str,
    kind_of: Callable[[str], str],
    part: Callable[[int], int],
    share: str,
    flags: tuple[str, ...],
) -> list[CouncilLine]:
    value = {r.line: r for r in rows}
    return [
        _line(
            rows[0],
            body,
            kind_of(line),
            line,
            value[line].label,
            function,
            part(value[line].pence),
            share,
            value[line].source_ref,
            flags,
        )
        for line, function in FUNCTION.items()
        if line in value and (value[line].pence or kind_of(line) == "council")
    ]


def _council_lines(
    rows: list[OutturnLine], part: Callable[[int], int], share: str, flags: tuple[str, ...]
) -> tuple[list[CouncilLine], int]:
    """A council's net current expenditure less the levies it paid, by service,
    with housing benefit on its own line; returns the lines and the levies removed."""
    value = {r.line: r for r in rows}
    nce = value.get("net_current_expenditure")
    if nce is None:
        return [], 0
    first = rows[0]
    out = _service_lines(
        rows, "council", lambda x: KIND_OF_LINE.get(x, "council"), part, share, flags
    )
    services = sum(value[x].pence for x in FUNCTION if x in value)
    hb = sum(value[h].pence for h in HOUSING_BENEFIT if h in value)
    levies = sum(value[x].pence for x in LEVIES if x in value)
    out.append(
        _line(
            first,
            "council",
            "council",
            "housing_benefit",
            f"Housing benefit ({HB_TAG})",
            "10. Social protection",
            part(hb),
            share,
            nce.source_ref,
            (*flags, HB_TAG),
        )
    )
    other = nce.pence - services - hb - levies
    out.append(
        _line(
            first,
            "council",
            "council",
            "other_items",
            OTHER_ITEMS,
            "1. General public services",
            part(other),
            share,
            nce.source_ref,
            (*flags, "levies to joint bodies taken out: the bodies' own spending is counted"),
        )
    )
    return out, part(levies)


def _joint_lines(
    rows: list[OutturnLine],
    body: _Body,
    part: Callable[[int], int],
    share: str,
    flags: tuple[str, ...],
) -> list[CouncilLine]:
    """A joint body's service expenditure, gross of the levies it received.

    A police or fire authority's every line (its central services too) stands
    for police or fire; a combined authority or the GLA is split by line."""
    if body.kind in ("police", "fire"):

        def kind_of(line: str) -> str:
            return body.kind
    else:

        def kind_of(line: str) -> str:
            return KIND_OF_LINE.get(line, "council")

    return _service_lines(rows, body.kind, kind_of, part, share, flags)


def _line(
    first: OutturnLine,
    body: str,
    kind: str,
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
        body,
        kind,
        line,
        label,
        function,
        pence,
        share,
        f"{first.source}!{ref.split('!')[-1]}",
        flags,
    )
