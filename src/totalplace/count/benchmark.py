"""Spend per head by service: a council set beside its neighbours, its region and England.

Each council's net current expenditure by service comes from the Revenue Outturn
Summary (:mod:`totalplace.reference.outturn`, every year shipped), divided by the
mid-year population of the year the financial year starts in (mid-2017 for
2017-18, the nearest year when the estimate is missing).  A region's and
England's figure is the sum of their councils' spending over the sum of their
residents, so a comparator is one figure per head and not an average of averages.
Police, fire, transport and waste authorities (RS class "O") are not councils in
the register and are left out of every comparator alike.

Real terms restate every year at the prices of one year with HM Treasury's GDP
deflators shipped in ``reference/data/unit_costs/deflators.csv``: pence x
index[prices] / index[year], rounded half-even to the penny.  Per client divides
by the residents a service is for: children under 16 for children's social care
and education, people aged 65 and over for adult social care (the shipped age
shares are for the latest year only, applied to each year's population).

A break in series (:data:`BREAKS`) marks a year from which a line is not
comparable with the years before, because responsibilities moved between bodies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from itertools import pairwise
from typing import Any

from totalplace.errors import ConfigError


@dataclass(frozen=True, slots=True)
class SeriesBreak:
    """From ``year`` on, ``line`` is not comparable with earlier years."""

    line: str  # an RS line id, or "*" for every total
    year: str  # the first financial year on the new basis
    what: str  # what moved, in a sentence
    source: str  # the Act or announcement


# Responsibilities that moved between bodies: a series that crosses one of these
# years compares different things before and after.
BREAKS: tuple[SeriesBreak, ...] = (
    SeriesBreak(
        "police",
        "2012-13",
        "police authorities were replaced by police and crime commissioners on "
        "22 November 2012; the police line changes body part way through the year",
        "Police Reform and Social Responsibility Act 2011",
    ),
    SeriesBreak(
        "public_health",
        "2013-14",
        "public health moved from primary care trusts to upper-tier councils "
        "(about £2.7 billion a year), so councils' spending rises with no change in service",
        "Health and Social Care Act 2012",
    ),
    SeriesBreak(
        "council_tax_benefit",
        "2013-14",
        "council tax benefit was abolished and replaced by local council tax support, "
        "a discount that lowers council tax income instead of a payment counted as spending",
        "Welfare Reform Act 2012; Local Government Finance Act 2012",
    ),
    SeriesBreak(
        "adult_social_care",
        "2015-16",
        "the Better Care Fund pooled NHS money with councils' adult social care "
        "(£3.8 billion nationally in 2015-16)",
        "Care Act 2014; Better Care Fund policy framework 2015-16",
    ),
)
# Lines a client count exists for: (who the service is for, the age share used).
CLIENTS: Mapping[str, tuple[str, str]] = {
    "children_social_care": ("children under 16", "pct_under16"),
    "education": ("children under 16", "pct_under16"),
    "adult_social_care": ("people aged 65 and over", "pct_over65"),
}
TOTAL_LINE = "total_service_expenditure"
# RS lines as a finance officer names them.
LINE_LABELS: Mapping[str, str] = {
    "education": "Education",
    "highways_transport": "Highways and transport",
    "social_care": "Social care (children and adults, before 2011-12)",
    "children_social_care": "Children's social care",
    "adult_social_care": "Adult social care",
    "public_health": "Public health",
    "housing": "Housing (general fund)",
    "cultural": "Cultural and related",
    "environmental": "Environmental and regulatory",
    "planning": "Planning and development",
    "police": "Police",
    "fire": "Fire and rescue",
    "central_services": "Central services",
    "other_services": "Other services",
    "total_service_expenditure": "Total service expenditure",
    "council_tax_benefit": "Council tax benefit",
}
# Councils that share their area's services with another tier: compared with their own tier.
TIER_NAMES: Mapping[str, str] = {"county": "counties", "district": "districts"}
# Read beside the service lines: an adjustment line whose break the table must show.
EXTRA_LINES = ("council_tax_benefit",)


def line_label(line: str) -> str:
    """An RS line's name for people."""
    return LINE_LABELS.get(line) or line.replace("_", " ").capitalize()


def breaks_between(line: str, first: str, last: str) -> list[SeriesBreak]:
    """The breaks of ``line`` taking effect after ``first`` and up to ``last``; total
    service expenditure breaks wherever one of its service lines does."""
    lines = {line}
    if line == TOTAL_LINE:
        lines |= {b.line for b in BREAKS if b.line not in EXTRA_LINES}
    return [b for b in BREAKS if b.line in lines and first < b.year <= last]


def series_breaks(line: str, years: Sequence[str]) -> dict[str, list[str]]:
    """For each year of a series after its first, the breaks since the year before it.

    A line first published in a year (children's and adults' social care were one
    line before 2011-12) is a break too: the year before has nothing to compare.
    """
    flags: dict[str, list[str]] = {}
    ordered = sorted(years)
    for before, year in pairwise(ordered):
        found = [f"{b.year}: {b.what}" for b in breaks_between(line, before, year)]
        if found:
            flags[year] = found
    return flags


def _first_published(line: str) -> str | None:
    from totalplace.reference.outturn import service_lines, years

    for year in years():
        if line in service_lines(year) or line in (TOTAL_LINE, *EXTRA_LINES):
            return year
    return None


def _mid_year(year: str) -> int:
    return int(year[:4])


def real_terms(pence: int, year: str, prices: str) -> int | None:
    """``pence`` spent in ``year`` at ``prices`` prices, or None outside the deflators."""
    from totalplace.reference.unit_costs import uprate

    try:
        value = uprate(Decimal(pence), year, prices)
    except ConfigError:
        return None
    return int(value.to_integral_value(ROUND_HALF_EVEN))


def per_person(pence: int | None, people: int | None) -> int | None:
    """Pence per person, rounded half-even; None without people or pence."""
    if pence is None or not people:
        return None
    return int((Decimal(pence) / Decimal(people)).to_integral_value(ROUND_HALF_EVEN))


@cache
def council_spend(year: str) -> dict[str, dict[str, int]]:
    """Per current council (GSS code): pence by RS service line and the total, for one year.

    A council made since (Buckinghamshire in 2020, North Yorkshire in 2023) is
    the sum of the councils it replaced, when each of them passed wholly to it;
    one whose area came partly from a council that was split (Cumberland, from
    Cumbria) has no figure for the years before it, rather than part of one.
    Police, fire and other authorities are not councils in the register and are
    left out.
    """
    from totalplace.reference.outturn import outturn
    from totalplace.reference.places import registry

    reg = registry()
    spend: dict[str, dict[str, int]] = defaultdict(dict)
    former: dict[str, dict[str, int]] = defaultdict(dict)
    for row in outturn(year):
        if row.kind != "service" and row.line not in (TOTAL_LINE, *EXTRA_LINES):
            continue
        try:
            authority = reg.by_ecode(row.ecode)
        except ConfigError:
            continue
        (spend if authority.current else former)[authority.gss][row.line] = row.pence
    for council in reg.authorities(current_only=True):
        if council.gss in spend:
            continue
        before = [p for p in reg.predecessors(council.gss) if p in former]
        if before and all(reg.successors(p) == (council.gss,) for p in before):
            for p in before:
                for line, pence in former[p].items():
                    spend[council.gss][line] = spend[council.gss].get(line, 0) + pence
    return dict(spend)


def _age_share(gss: str, column: str) -> Decimal | None:
    from totalplace.count.keys import PCT_SCALE, age_shares

    found = age_shares().get(gss)
    return None if found is None else Decimal(found[1][column]) / PCT_SCALE / 100


@cache
def residents(gss: str, year: int) -> tuple[int, dict[str, int]]:
    """Residents of a current council in mid-``year`` (the nearest year estimated),
    and the clients of each age share, added up over its districts for a county."""
    from totalplace.reference.places import registry

    reg = registry()
    people, _ = reg.population(gss, year)
    clients: dict[str, int] = {}
    for column in ("pct_under16", "pct_over65"):
        total = Decimal(0)
        for unit in reg.units(gss):
            share = _age_share(unit, column)
            if share is None:
                break
            total += share * reg.population(unit, year)[0]
        else:
            clients[column] = int(total.to_integral_value(ROUND_HALF_EVEN))
    return people, clients


@dataclass(frozen=True, slots=True)
class Comparator:
    """A council, or a group of them (neighbours, region, England), in one year."""

    key: str  # a GSS code, "neighbours", "region" or "england"
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PerHead:
    """One comparator's spending on one line in one year, per head and per client."""

    comparator: str
    name: str
    year: str
    line: str
    pence: int
    population: int
    per_head_pence: int | None
    real_per_head_pence: int | None
    client: str
    clients: int | None
    per_client_pence: int | None
    real_per_client_pence: int | None
    breaks: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["breaks"] = list(self.breaks)
        return data


def comparators(gss: str, neighbours: Iterable[str] = (), by_tier: bool = True) -> list[Comparator]:
    """The council, its neighbours one by one and together, its region and England.

    A county or a district does only part of what councils do in its area, so
    ``by_tier`` sets it beside the counties (or the districts) of its region and
    of England; a single-tier council does it all, so it is set beside every
    council of the area, both tiers added up, as one figure per head.
    """
    from totalplace.reference.places import registry

    reg = registry()
    place = reg.require_current(gss)
    found = [Comparator(place.gss, place.nice_name, (place.gss,))]
    near = [reg.require_current(n) for n in neighbours if n != place.gss]
    found += [Comparator(n.gss, n.nice_name, (n.gss,)) for n in near]
    if near:
        found.append(Comparator("neighbours", "Neighbours", tuple(n.gss for n in near)))
    councils = reg.authorities(current_only=True)
    suffix = ""
    if by_tier and place.kind in TIER_NAMES:
        councils = tuple(a for a in councils if a.kind == place.kind)
        suffix = f" ({TIER_NAMES[place.kind]})"
    if place.region:
        same = tuple(a.gss for a in councils if a.region == place.region)
        found.append(Comparator("region", place.region + suffix, same))
    found.append(Comparator("england", "England" + suffix, tuple(a.gss for a in councils)))
    return found


def _people(members: Iterable[str], year: int) -> tuple[int, dict[str, int]]:
    """Residents of a group, counting each area once: a county's residents are its
    districts', so a group holding both adds the lowest tier only."""
    from totalplace.reference.places import registry

    reg = registry()
    units = {u for m in members for u in reg.units(m)}
    people, clients = 0, dict.fromkeys(("pct_under16", "pct_over65"), 0)
    for unit in units:
        n, c = residents(unit, year)
        people += n
        for column in clients:
            clients[column] += c.get(column, 0)
    return people, clients


def per_head(
    gss: str,
    years: Sequence[str] | None = None,
    prices: str | None = None,
    neighbours: Iterable[str] = (),
) -> list[PerHead]:
    """Spend per head (and per client) by RS service line for a council, each of its
    neighbours, the neighbours together, its region and England, for each year.

    ``prices`` is the year whose prices real terms are stated in (default: the
    latest year asked for); ``years`` default to every year shipped.
    """
    from totalplace.reference.outturn import years as shipped

    chosen = sorted(years or shipped())
    unknown = [y for y in chosen if y not in shipped()]
    if unknown:
        raise ConfigError(
            f"no Revenue Outturn for {', '.join(unknown)}; the years shipped are "
            f"{', '.join(shipped())}"
        )
    base = prices or chosen[-1]
    from totalplace.reference.unit_costs import deflators

    if base not in deflators():
        covered = sorted(deflators())
        raise ConfigError(
            f"no GDP deflator for {base!r}, so no real terms at its prices; give --prices "
            f"a year from {covered[0]} to {covered[-1]}"
        )
    groups = comparators(gss, neighbours)
    out: list[PerHead] = []
    for year in chosen:
        spend = council_spend(year)
        lines = sorted({line for s in spend.values() for line in s})
        for group in groups:
            # residents of the areas with a figure: an area with none (a council
            # made from a split one) is left out above and below the line alike
            counted = [m for m in group.members if m in spend]
            people, clients = _people(counted, _mid_year(year))
            for line in lines:
                amounts = [spend[m][line] for m in group.members if line in spend.get(m, {})]
                if not amounts:
                    continue
                pence = sum(amounts)
                client, column = CLIENTS.get(line, ("", ""))
                count = clients.get(column) if column else None
                real = real_terms(pence, year, base)
                flags = series_breaks(line, chosen).get(year, [])
                first = _first_published(line)
                if first == year and year != chosen[0]:
                    flags = [*flags, f"{year}: first year this line is published"]
                out.append(
                    PerHead(
                        group.key, group.name, year, line, pence, people,
                        per_person(pence, people), per_person(real, people), client, count,
                        per_person(pence, count), per_person(real, count), tuple(flags),
                    )
                )  # fmt: skip
    return out


def theme_per_head(gss: str, year: str, neighbours: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Spend per head by theme from the top-down count of every authority
    (``topdown --all``), for the place, its neighbours, its region and England;
    a county's districts are counted once in a region and in England."""
    from totalplace.count.national import topdown_all
    from totalplace.reference.places import registry

    data = topdown_all(year)
    by_gss = {p["gss"]: p for p in data["places"]}
    rows: list[dict[str, Any]] = []
    for group in comparators(gss, neighbours, by_tier=False):
        members = [by_gss[m] for m in group.members if m in by_gss]
        if group.key in ("region", "england"):
            reg = registry()
            members = [p for p in members if reg.get(p["gss"]).lowest_tier]
        people = sum(int(p.get("population") or 0) for p in members)
        themes: dict[str, int] = defaultdict(int)
        for p in members:
            for theme, pence in p.get("by_theme", {}).items():
                themes[theme] += int(pence)
        for theme, pence in sorted(themes.items()):
            rows.append(
                {"comparator": group.key, "name": group.name, "year": year, "theme": theme,
                 "pence": pence, "population": people, "per_head_pence": per_person(pence, people)}
            )  # fmt: skip
    return rows
