"""The benchmark of one council: spend per head against its neighbours, its
region and England (:mod:`totalplace.count.benchmark`), and spend against
outcome (:mod:`totalplace.reference.outcomes`): a quadrant per indicator (spend
per head on the service the indicator is set against, the outcome the nearest
year published, neighbours marked) and a funnel plot where the indicator has a
denominator.

:func:`benchmark` gathers it as one JSON-able dict; :mod:`totalplace.report.
benchmark_files` writes it as CSV tables, HTML charts and a workbook.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from totalplace.count.benchmark import (
    BREAKS,
    TOTAL_LINE,
    council_spend,
    per_head,
    per_person,
    residents,
    theme_per_head,
)
from totalplace.errors import ConfigError
from totalplace.reference.outcomes import (
    ENGLAND,
    INDICATORS,
    Indicator,
    funnel_limits,
    judge,
    nearest_year,
    values,
)

NEIGHBOURS = 15
DERIVED = "mean of its districts' values, weighted by the people each is a share of"
# Denominators at which the funnel's limit lines are drawn, between the smallest
# and largest authority: enough points for a smooth curve.
FUNNEL_POINTS = 60


def spend_year(year: str) -> tuple[str, str | None]:
    """The Revenue Outturn year to use for a study year, and a note when it is not the same."""
    from totalplace.reference.outturn import years

    shipped = years()
    if year in shipped:
        return year, None
    start = int(year[:4])
    near = min(shipped, key=lambda y: (abs(int(y[:4]) - start), -int(y[:4])))
    return near, f"no Revenue Outturn for {year}: spending is {near}'s, the nearest year shipped"


def neighbours_of(gss: str, given: Sequence[str] = ()) -> tuple[list[dict[str, Any]], str]:
    """The neighbours to compare with, nearest first: those given, else the
    nearest statistical neighbours of the same tier
    (:func:`totalplace.reference.neighbours.nearest`); and where they came from."""
    from totalplace.reference.neighbours import nearest
    from totalplace.reference.places import registry

    reg = registry()
    if given:
        named = [reg.lookup(n) for n in given]
        return [{"gss": a.gss, "name": a.nice_name, "distance": None} for a in named], "given"
    try:
        found = nearest(gss, NEIGHBOURS)
    except ConfigError as exc:  # a council with no neighbour indicators
        return [], f"no nearest neighbours: {exc}"
    listed = [{"gss": n.gss, "name": reg.get(n.gss).nice_name, "distance": round(n.distance, 4)}
              for n in found.neighbours]  # fmt: skip
    return listed, f"the {len(listed)} nearest statistical neighbours of the same tier"


def denominator(basis: str, gss: str, year: str) -> int | None:
    """People an indicator's value is a share or rate of, from the shipped
    population and age shares (see ``DENOMINATORS``); None for surveys and values."""
    people, clients = residents(gss, int(year[:4]))
    under16, over65 = clients.get("pct_under16"), clients.get("pct_over65")
    if basis == "population":
        return people
    if under16 is None:
        return None
    found = {
        "year_of_age": under16 / 16,
        "two_years_of_age": 2 * under16 / 16,
        "under16": under16,
        "adults": people - under16 * 18 / 16,
        "working_age": people - under16 - (over65 or 0),
    }.get(basis)
    return None if found is None else round(found)


def _per_head_on(line: str, year: str) -> dict[str, tuple[int, str]]:
    """Per current council: pence per head spent on its area on one RS line in
    one year, and by whom.  A district's area is served by its county too, so its
    figure is its own spending per head plus its county's (public health,
    education and social care are the county's); a council spending nothing on
    the line with no county above it has no point."""
    from totalplace.reference.places import registry

    reg = registry()
    own: dict[str, int] = {}
    for gss, lines in council_spend(year).items():
        per = per_person(lines.get(line), residents(gss, int(year[:4]))[0])
        if per:
            own[gss] = per
    out: dict[str, tuple[int, str]] = {}
    for a in reg.authorities(current_only=True):
        mine, county = own.get(a.gss, 0), own.get(a.parent_gss or "", 0)
        names = [n for n, p in ((a.nice_name, mine), (_name(a.parent_gss), county)) if p]
        if names:
            out[a.gss] = (mine + county, " and ".join(names))
    return out


def _name(gss: str | None) -> str:
    from totalplace.reference.places import registry

    return registry().get(gss).nice_name if gss else ""


def _role(gss: str, place: str, near: set[str]) -> str:
    return "place" if gss == place else "neighbour" if gss in near else "other"


def _funnel(ind: Indicator, target: float, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The limit lines at denominators spread evenly on a log scale over the points'."""
    sizes = [p["denominator"] for p in points if p["denominator"]]
    if not sizes:
        return []
    low, high = math.log(max(1, min(sizes))), math.log(max(sizes))
    steps = [round(math.exp(low + (high - low) * i / (FUNNEL_POINTS - 1))) for i in
             range(FUNNEL_POINTS)]  # fmt: skip
    lines = []
    for n in sorted(set(steps)):
        lim = funnel_limits(ind.kind, target, n)
        lines.append({"denominator": n, "lower95": lim.lower95, "upper95": lim.upper95,
                      "lower998": lim.lower998, "upper998": lim.upper998})  # fmt: skip
    return lines


def county_values(ind: Indicator, now: dict[str, float], year: str) -> dict[str, float]:
    """Counties with no published value of a share or rate: the mean of their
    districts' values weighted by the people each is a share of (residents, for a
    survey), when every district has one; a value in years (life expectancy)
    cannot be averaged so, and gets none."""
    from totalplace.reference.places import registry

    if ind.kind == "value":
        return {}
    reg = registry()
    basis = "population" if ind.denominator in ("survey", "none") else ind.denominator
    out: dict[str, float] = {}
    for county in reg.authorities(current_only=True):
        units = reg.units(county.gss) if county.kind == "county" else ()
        if county.gss in now or not units or any(u not in now for u in units):
            continue
        weights = [denominator(basis, u, year) or 0 for u in units]
        if sum(weights):
            out[county.gss] = round(
                sum(now[u] * w for u, w in zip(units, weights, strict=True)) / sum(weights), 2
            )
    return out


def outcome(ind: Indicator, gss: str, year: str, near: Iterable[str]) -> dict[str, Any]:
    """One indicator against spend per head on its service: the quadrant's points,
    the funnel (where it has a denominator) and the trend of the place and its neighbours."""
    from totalplace.reference.places import registry

    reg = registry()
    near_set = set(near)
    result: dict[str, Any] = {**ind.to_dict(), "spend_year": year}
    found = nearest_year(ind.id, year)
    result["outcome_year"] = found
    rows = values(ind.id)
    now = {o.gss: o.value for o in rows if o.year == found}
    england = now.pop(ENGLAND, None)
    derived = county_values(ind, now, found or year)
    now.update(derived)
    result["england_value"] = england
    spend = _per_head_on(ind.line, year)
    figures = council_spend(year)
    areas = [a.gss for a in reg.authorities(current_only=True)
             if a.lowest_tier and (a.gss in figures or a.parent_gss in figures)]  # fmt: skip
    eng_people = sum(residents(gss, int(year[:4]))[0] for gss in areas)
    eng_pence = sum(lines.get(ind.line, 0) for lines in figures.values())
    result["england_per_head_pence"] = per_person(eng_pence, eng_people)
    points = []
    for code, value in sorted(now.items()):
        point: dict[str, Any] = {
            "gss": code, "name": reg.get(code).nice_name, "role": _role(code, gss, near_set),
            "value": value, "per_head_pence": spend[code][0] if code in spend else None,
            "spend_of": spend[code][1] if code in spend else None,
            "denominator": None, "status": None,
            "derived": DERIVED if code in derived else None,
        }  # fmt: skip
        if ind.kind in ("proportion", "rate") and ind.denominator not in ("survey", "none"):
            point["denominator"] = denominator(ind.denominator, code, found or year)
        points.append(point)
    result["points"] = points
    result["funnel"], result["funnel_note"] = [], None
    if ind.denominator in ("survey", "none") or ind.kind == "value":
        result["funnel_note"] = "no funnel: " + _BASIS_NOTE[ind.denominator]
    elif england is None:
        result["funnel_note"] = "no funnel: England's value is not in the extract"
    else:
        for p in points:
            if p["denominator"]:
                lim = funnel_limits(ind.kind, england, p["denominator"])
                p["status"] = judge(p["value"], lim, ind.higher_is_better)
        result["funnel"] = _funnel(ind, england, points)
    wanted = {gss, ENGLAND, *near_set}
    trend = [(o.gss, o.year, o.period, o.value) for o in rows if o.gss in wanted]
    counties = any(reg.get(c).kind == "county" for c in wanted if c != ENGLAND)
    for y in sorted({o.year for o in rows}) if counties else ():
        this_year = {o.gss: o.value for o in rows if o.year == y}
        period = next(o.period for o in rows if o.year == y)
        trend += [(c, y, period, v) for c, v in county_values(ind, this_year, y).items()
                  if c in wanted]  # fmt: skip
    result["trend"] = [
        {"gss": code, "name": "England" if code == ENGLAND else reg.get(code).nice_name,
         "role": "england" if code == ENGLAND else _role(code, gss, near_set),
         "year": y, "period": period, "value": value}
        for code, y, period, value in sorted(trend, key=lambda t: (t[1], t[0]))
    ]  # fmt: skip
    return result


_BASIS_NOTE = {
    "survey": "a survey's sample size is not in the extract",
    "none": "not a share or rate of people",
    "population": "",
}


def benchmark(
    place: str,
    year: str,
    neighbours: Sequence[str] = (),
    prices: str | None = None,
    indicators: Sequence[str] = (),
    with_themes: bool = True,
) -> dict[str, Any]:
    """The whole benchmark of one current council for one study year; spend per
    head by theme (the top-down count of every authority) only ``with_themes``."""
    from totalplace.reference.outturn import years
    from totalplace.reference.places import registry

    reg = registry()
    council = reg.require_current(reg.lookup(place).gss)
    used, note = spend_year(year)
    listed, source = neighbours_of(council.gss, neighbours)
    near = [n["gss"] for n in listed]
    chosen = [i for i in INDICATORS if not indicators or i.id in indicators]
    unknown = sorted(set(indicators) - {i.id for i in INDICATORS})
    if unknown:
        raise ConfigError(
            f"unknown outcome indicator {', '.join(unknown)}; one of: "
            f"{', '.join(i.id for i in INDICATORS)}"
        )
    heads = per_head(council.gss, years(), prices or used, near)
    themes = theme_per_head(council.gss, used, near) if with_themes else []
    return {
        "place": {"gss": council.gss, "name": council.nice_name, "region": council.region,
                  "kind": council.kind},
        "year": year,
        "spend_year": used,
        "notes": [n for n in (note,) if n],
        "prices": prices or used,
        "neighbours": listed,
        "neighbours_source": source,
        "per_head": [h.to_dict() for h in heads],
        "themes": themes,
        "themes_note": None if with_themes else "spend per head by theme was not asked for",
        "breaks": [{"line": b.line, "year": b.year, "what": b.what, "source": b.source}
                   for b in BREAKS],
        "outcomes": [outcome(i, council.gss, used, near) for i in chosen],
        "total_line": TOTAL_LINE,
    }  # fmt: skip
