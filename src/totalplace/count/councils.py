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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from types import MappingProxyType
from typing import Any

from totalplace.count.apportion import largest_remainder
from totalplace.errors import ConfigError
from totalplace.reference.joint_bodies import JointBody, joint_bodies
from totalplace.reference.outturn import (
    OutturnLine,
    bodies_in,
    england,
    outturn,
    rows_of_bodies,
    rows_of_lines,
    years,
)
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
# Who receives each levy: the joint-body kinds whose own outturn, where the
# count holds it for the council's area, is the levy's spending.  LPFA and
# "other" levies go to bodies the outturn tables do not bring in.
LEVY_RECEIVERS: dict[str, tuple[str, ...]] = {
    "levy_integrated_transport_authority": ("transport", "combined"),
    "levy_waste_disposal_authority": ("waste", "combined"),
    "levy_london_pensions_fund_authority": (),
    "levy_other": (),
}
# A levy kept in the count: the body it stands for, and the RS service line
# whose theme and function it takes.
LEVY_BODY = {
    "levy_integrated_transport_authority": ("Integrated transport authority", "highways_transport"),
    "levy_waste_disposal_authority": ("Waste disposal authority", "environmental"),
    "levy_london_pensions_fund_authority": ("London Pensions Fund Authority", "central_services"),
    "levy_other": ("Other levying bodies", "other_services"),
}
LEVY_KEPT = (
    "levy to a body whose own spending the count does not bring in: counted as that body's "
    "spending in the place, financed by the council"
)
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
    for row in rows_of_lines(year, wanted):
        if row.pence <= 0:
            continue
        body = _body(reg, row.ecode)
        if body is None:
            continue
        weights = {u: reg.population(u, pop_year)[0] for u in body.coverage}
        for unit, pence in largest_remainder(row.pence, weights).items():
            out[unit] += pence
    return MappingProxyType(dict(out))


@dataclass(frozen=True)
class _Served:
    """One body of a year's Revenue Outturn: the current authorities it served and
    their residents (the weights its figures are shared by)."""

    ecode: str
    body: _Body
    weights: Mapping[str, int]


@dataclass(frozen=True)
class _YearBodies:
    served: tuple[_Served, ...]  # in E-code order
    by_unit: Mapping[str, tuple[int, ...]]  # authority -> the bodies serving it (indexes)
    unknown: tuple[str, ...]  # E-codes in RS but not in the registry


@cache  # one year's bodies, indexed once for every place counted in it
def _year_bodies(reg: Registry, year: str) -> _YearBodies:
    pop_year = int(year[:4])
    served: list[_Served] = []
    unknown: list[str] = []
    by_unit: dict[str, list[int]] = defaultdict(list)
    for ecode in bodies_in(year):
        body = _body(reg, ecode)
        if body is None:
            unknown.append(ecode)
            continue
        weights = {u: reg.population(u, pop_year)[0] for u in body.coverage}
        for u in body.coverage:
            by_unit[u].append(len(served))
        served.append(_Served(ecode, body, MappingProxyType(weights)))
    return _YearBodies(
        tuple(served), MappingProxyType({u: tuple(v) for u, v in by_unit.items()}), tuple(unknown)
    )


# year -> E-code -> rows, filled as counts ask for bodies (see _rows_of)
_ROWS: dict[str, dict[str, tuple[OutturnLine, ...]]] = {}


def _rows_of(year: str, ecodes: Iterable[str]) -> Mapping[str, tuple[OutturnLine, ...]]:
    """The rows of these bodies in one year, read once each (a place's count reads
    its own few bodies; a count of every place reads them all in one go)."""
    have = _ROWS.setdefault(year, {})
    missing = sorted(set(ecodes) - set(have))
    if missing:
        found = rows_of_bodies(year, missing)
        for ecode in missing:
            have[ecode] = tuple(found.get(ecode, ()))
    return have


def read_all_bodies(year: str, reg: Registry) -> None:
    """Read every body's rows of the year at once, before counting every place."""
    bodies = _year_bodies(reg, year)
    _rows_of(year, [s.ecode for s in bodies.served] + list(bodies.unknown))


def council_outturn(place: Place, year: str, reg: Registry) -> CouncilOutturn:
    bodies = _year_bodies(reg, year)
    wanted = set(place.units)
    lines: list[CouncilLine] = []
    covered: dict[str, set[str]] = {k: set() for k in KINDS}
    levies = 0
    serving = sorted({i for u in wanted for i in bodies.by_unit.get(u, ())})
    rows_of = _rows_of(year, [bodies.served[i].ecode for i in serving] + list(bodies.unknown))
    notes: list[str] = [
        f"{rows_of[e][0].authority} ({e}) is in RS but not in the registry: left out"
        for e in bodies.unknown
        if rows_of[e]
    ]
    joint: dict[str, set[str]] = defaultdict(set)  # joint-body kind -> units its outturn covers
    # each council's rows, units in the place, share of it and flags, for its levies
    levy_rows: list[tuple[list[OutturnLine], list[str], Callable[[int], int], int, int, Any]] = []
    for index in serving:
        served = bodies.served[index]
        body, rows, weights = served.body, list(rows_of[served.ecode]), served.weights
        inside = [u for u in body.coverage if u in wanted]
        whole = sum(weights.values())
        share = sum(weights[u] for u in inside)
        flags = () if share == whole else (f"{body.name} shared by population",)
        if body.note and body.kind == "park":
            flags = (*flags, body.note)

        def part(
            pence: int, weights: Mapping[str, int] = weights, inside: list[str] = inside
        ) -> int:
            split = largest_remainder(pence, weights)
            return sum(split[u] for u in inside)

        if body.kind == "council":
            found, removed = _council_lines(rows, part, f"{share / whole:.6f}", flags)
            levies += removed
            levy_rows.append((rows, inside, part, share, whole, flags))
        else:
            found = _joint_lines(rows, body, part, f"{share / whole:.6f}", flags)
            if any(x.pence for x in found):
                joint[body.kind].update(inside)
        found = [replace(x, council=body.name, share_parts=(share, whole)) for x in found]
        lines.extend(found)
        # A council's outturn stands for the council services of its area; any
        # body's non-zero police or fire lines stand for those services.
        kinds = {x.kind for x in found if x.kind != "council" and x.pence}
        if body.kind == "council" and found:
            kinds.add("council")
        for kind in kinds:
            covered[kind].update(inside)
    for own, units, share_of, num, den, shared in levy_rows:
        kept = _kept_levies(own, units, joint, share_of, f"{num / den:.6f}", shared)
        lines.extend(replace(x, share_parts=(num, den)) for x in kept)
    return CouncilOutturn(
        tuple(lines),
        {k: frozenset(v) for k, v in covered.items()},
        levies,
        tuple(notes),
    )


def _kept_levies(
    rows: list[OutturnLine],
    inside: list[str],
    joint: Mapping[str, set[str]],
    part: Callable[[int], int],
    share: str,
    flags: tuple[str, ...],
) -> list[CouncilLine]:
    """The levies a council paid to bodies whose own outturn the count does not
    hold for its area: they stay in the count as those bodies' spending (the
    council's own lines have every levy taken out)."""
    value = {r.line: r for r in rows}
    out: list[CouncilLine] = []
    for line, receivers in LEVY_RECEIVERS.items():
        row = value.get(line)
        if row is None or not row.pence:
            continue
        if any(set(inside) & joint.get(kind, set()) for kind in receivers):
            continue  # the receiving body's own spending is counted
        name, service = LEVY_BODY[line]
        out.append(
            CouncilLine(
                name,
                row.ecode,
                "levy",
                "council",
                line,
                f"{row.label} paid by {row.authority}",
                FUNCTION[service],
                part(row.pence),
                share,
                f"{row.source}!{row.source_ref.split('!')[-1]}",
                (*flags, LEVY_KEPT),
            )
        )
    return out


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


COMBINED_CARE = "social_care"
SPLIT_CARE = ("children_social_care", "adult_social_care")
SPLIT_LABEL = {
    "children_social_care": "Children's social care (estimate, split from Social care)",
    "adult_social_care": "Adult social care (estimate, split from Social care)",
}


def _care_shares(year: str, ecode: str) -> tuple[dict[str, int], str] | None:
    """Children's and adults' social care in the year nearest ``year`` whose
    Revenue Outturn has the two lines (the later year on a tie): the council's
    own where both are positive, else England's; with the source, in words."""
    found = [y for y in years() if any(r.line in SPLIT_CARE for r in england(y))]
    for y in sorted(found, key=lambda y: (abs(int(y[:4]) - int(year[:4])), -int(y[:4]))):
        own = {r.line: r.pence for r in outturn(y, ecode=ecode) if r.line in SPLIT_CARE}
        if len(own) == 2 and all(v > 0 for v in own.values()):
            return own, f"the council's own split in Revenue Outturn {y}"
        whole = {r.line: r.pence for r in england(y) if r.line in SPLIT_CARE}
        if len(whole) == 2 and all(v > 0 for v in whole.values()):
            return whole, f"England's split in Revenue Outturn {y} (the council has none)"
    return None


def split_social_care(rows: list[OutturnLine]) -> tuple[list[OutturnLine], str]:
    """A council's rows with a combined social care line (RS before 2011-12)
    split into children's and adults' social care in the proportions of the
    nearest year that has the split; with the flag saying so ("" if unsplit)."""
    value = {r.line: r for r in rows}
    combined = value.get(COMBINED_CARE)
    if combined is None or any(x in value for x in SPLIT_CARE):
        return rows, ""
    shares = _care_shares(combined.year, combined.ecode)
    if shares is None:
        return rows, ""
    weights, source = shares
    parts = largest_remainder(combined.pence, weights)
    split = [
        replace(combined, line=line, label=SPLIT_LABEL[line], pence=parts[line])
        for line in SPLIT_CARE
    ]
    flag = (
        f"one social care line in Revenue Outturn {combined.year}: split into children's and "
        f"adults' by {source}, the nearest year with the split (estimate)"
    )
    return [r for r in rows if r.line != COMBINED_CARE] + split, flag


def _council_lines(
    rows: list[OutturnLine], part: Callable[[int], int], share: str, flags: tuple[str, ...]
) -> tuple[list[CouncilLine], int]:
    """A council's net current expenditure less the levies it paid, by service,
    with housing benefit on its own line; returns the lines and the levies removed."""
    rows, care_flag = split_social_care(rows)
    value = {r.line: r for r in rows}
    nce = value.get("net_current_expenditure")
    if nce is None:
        return [], 0
    first = rows[0]
    out = _service_lines(
        rows, "council", lambda x: KIND_OF_LINE.get(x, "council"), part, share, flags
    )
    if care_flag:
        out = [replace(x, flags=(*x.flags, care_flag)) if x.line in SPLIT_CARE else x for x in out]
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
