"""Every English authority's top-down count in one pass over the reference data.

Each identifiable regional line is keyed and shared by largest remainder among
*all* its region's lowest-tier authorities once (:func:`topdown.apportioned`,
the very sharing a single place's count is made of), and every authority takes
its own share.  Councils' and joint bodies' Revenue Outturn is read and indexed
once per year, and each authority takes the outturn of the bodies serving it
(:func:`councils.council_outturn`), replacing the regional local-government
lines exactly where a single count replaces them.  So each authority's figure
equals ``totalplace topdown --place`` to the penny, and since every line's
shares add back to the line, the authorities add up to England's identifiable
spending (regional lines kept, plus the outturn that replaced the rest) to the
penny.  A county is reported as the sum of its districts (a county's own
spending is in its districts' shares), never added to England a second time.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from totalplace.count.councils import council_outturn, has_outturn, read_all_bodies
from totalplace.count.keys import KeyRules, SiteRule, load_rules, load_sites
from totalplace.count.topdown import (
    apportioned,
    cofog_theme,
    from_outturn,
    line_theme,
    mid_year,
    per_head,
)
from totalplace.errors import ConfigError
from totalplace.reference.places import Place, Registry, registry
from totalplace.reference.regional import non_identifiable_pence


@dataclass(frozen=True)
class AreaCount:
    """One authority's (or one county area's) top-down count."""

    gss: str
    name: str
    kind: str
    region: str
    current_pence: int
    capital_pence: int
    population: int
    by_theme: dict[str, int]
    units: tuple[str, ...] = ()  # a county's districts, whose counts it sums

    @property
    def total_pence(self) -> int:
        return self.current_pence + self.capital_pence

    @property
    def per_head_pence(self) -> int:
        return per_head(self.total_pence, self.population)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "gss": self.gss,
            "name": self.name,
            "kind": self.kind,
            "region": self.region,
            "total_pence": self.total_pence,
            "current_pence": self.current_pence,
            "capital_pence": self.capital_pence,
            "population": self.population,
            "per_head_pence": self.per_head_pence,
            "by_theme": dict(sorted(self.by_theme.items(), key=lambda kv: (-kv[1], kv[0]))),
        }
        if self.units:
            out["units"] = list(self.units)
        return out


@dataclass
class NationalCount:
    year: str
    current_only: bool
    places: list[AreaCount] = field(default_factory=list)  # lowest-tier, adding to England
    counties: list[AreaCount] = field(default_factory=list)  # sums of their districts
    non_identifiable_pence: int = 0
    # the check: regional lines shared out, less those councils' outturn replaced,
    # plus that outturn, is England; the places must add up to it
    regional_pence: int = 0
    replaced_pence: int = 0
    outturn_pence: int = 0

    @property
    def england_total_pence(self) -> int:
        return self.regional_pence - self.replaced_pence + self.outturn_pence

    @property
    def places_sum_pence(self) -> int:
        return sum(p.total_pence for p in self.places)

    def to_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "current_only": self.current_only,
            "england_total_pence": self.england_total_pence,
            "places_sum_pence": self.places_sum_pence,
            "england_population": sum(p.population for p in self.places),
            "regional_apportioned_pence": self.regional_pence,
            "regional_replaced_by_outturn_pence": self.replaced_pence,
            "outturn_pence": self.outturn_pence,
            "non_identifiable_pence_national": self.non_identifiable_pence,
            "places": [p.to_dict() for p in self.places],
            "counties": [c.to_dict() for c in self.counties],
        }


def national(
    year: str,
    *,
    current_only: bool = False,
    rules: KeyRules | None = None,
    keys_path: Path | None = None,
    sites: tuple[SiteRule, ...] | None = None,
    sites_path: Path | None = None,
    reg: Registry | None = None,
    use_outturn: bool = True,
) -> NationalCount:
    """Count every current English lowest-tier authority top down (and each county
    as its districts), with the same options as :func:`topdown.topdown`."""
    reg = reg or registry()
    rules = rules or load_rules(keys_path)
    sites = load_sites(sites_path) if sites is None else sites
    authorities = sorted(
        (a for a in reg.authorities(current_only=True) if a.lowest_tier), key=lambda a: a.gss
    )
    result = NationalCount(year, current_only)
    result.non_identifiable_pence = non_identifiable_pence(year)
    sums: dict[str, dict[str, int]] = {a.gss: defaultdict(int) for a in authorities}
    themes: dict[str, dict[str, int]] = {a.gss: defaultdict(int) for a in authorities}
    covered: dict[str, dict[str, frozenset[str]]] = {}
    if use_outturn and has_outturn(year):
        read_all_bodies(year, reg)
        for a in authorities:
            one = Place(spec=a.gss, name=a.name, codes=(a.gss,), units=(a.gss,))
            councils = council_outturn(one, year, reg)
            covered[a.gss] = councils.covered
            for line in from_outturn(councils, {a.region: [a.gss]}, year):
                sums[a.gss][line.capital_current] += line.place_pence
                themes[a.gss][line_theme(line)] += line.place_pence
                result.outturn_pence += line.place_pence
    for item in apportioned(year, rules, sites, reg, current_only=current_only):
        kind, cc = item.kind, item.line.capital_current
        theme = cofog_theme(item.line.function, item.subfunction)
        result.regional_pence += item.part.pence
        for unit, pence in item.shares.items():
            if kind is not None and unit in covered.get(unit, {}).get(kind, frozenset()):
                result.replaced_pence += pence  # this authority's outturn stands for it
                continue
            sums[unit][cc] += pence
            themes[unit][theme] += pence
    pop_year = mid_year(year)
    for a in authorities:
        result.places.append(
            AreaCount(
                gss=a.gss,
                name=a.nice_name,
                kind=a.kind,
                region=a.region,
                current_pence=sums[a.gss]["current"],
                capital_pence=sums[a.gss]["capital"],
                population=reg.population(a.gss, pop_year)[0],
                by_theme=dict(themes[a.gss]),
            )
        )
    result.counties = _counties(result.places, reg)
    return result


CSV_COLUMNS = (
    "gss",
    "name",
    "kind",
    "region",
    "population",
    "total_pence",
    "current_pence",
    "capital_pence",
    "per_head_pence",
)


def check_csv_path(path: Path) -> None:
    """Refuse a CSV path that cannot be written before a count is spent on it."""
    if path.is_dir() or not path.parent.is_dir():
        raise ConfigError(
            f"cannot write {path}: it is a folder or its folder does not exist; give --csv "
            "a file path in a folder you can write to"
        )


def write_csv(result: NationalCount, path: Path) -> None:
    """One row per lowest-tier authority (the rows add up to England), with a
    ``theme:<id>`` column of pence for every theme any authority has."""
    themes = sorted({t for p in result.places for t in p.by_theme})
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([*CSV_COLUMNS, *(f"theme:{t}" for t in themes)])
            for p in result.places:
                row = p.to_dict()
                writer.writerow(
                    [*(row[c] for c in CSV_COLUMNS), *(p.by_theme.get(t, 0) for t in themes)]
                )
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror or exc}; give --csv a path in a folder "
            "you can write to"
        ) from exc


def topdown_all(year: str, **options: Any) -> dict[str, Any]:
    """:func:`national` as the JSON ``totalplace topdown --all --json`` prints."""
    return national(year, **options).to_dict()


def _counties(places: list[AreaCount], reg: Registry) -> list[AreaCount]:
    """Each current county as the sum of its districts' counts."""
    by_gss = {p.gss: p for p in places}
    out: list[AreaCount] = []
    for county in sorted(reg.authorities(current_only=True), key=lambda a: a.gss):
        if county.lowest_tier:
            continue
        parts = [by_gss[u] for u in reg.units(county.gss) if u in by_gss]
        if not parts:
            continue
        theme: dict[str, int] = defaultdict(int)
        for p in parts:
            for name, pence in p.by_theme.items():
                theme[name] += pence
        out.append(
            AreaCount(
                gss=county.gss,
                name=county.nice_name,
                kind=county.kind,
                region=county.region,
                current_pence=sum(p.current_pence for p in parts),
                capital_pence=sum(p.capital_pence for p in parts),
                population=sum(p.population for p in parts),
                by_theme=dict(theme),
                units=tuple(p.gss for p in parts),
            )
        )
    return out
