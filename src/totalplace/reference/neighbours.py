"""Nearest statistical neighbours: the authorities most like a place, CIPFA-style.

Each authority is described by indicators of the area only, never by its
spending (``data/neighbours/indicators.csv``, built by
``scripts/build_neighbours.py``): residents, density, age structure, growth and
the English Indices of Deprivation domains.  Residents and density are compared
on a log scale (a city twice another's size differs as much as a town twice
another's).  Within each tier (single-tier authorities with single-tier,
districts with districts, counties with counties, London with London) every
indicator is standardised to a z-score (its distance from the tier's mean in
standard deviations), so no indicator counts more for being measured in bigger units;
the distance between two authorities is the square root of the weighted sum of
squared differences of their z-scores (:data:`WEIGHTS`, which add up to 1).
The nearest are listed first; equal distances go to the lower GSS code.  Sums
are exact-rounded (``math.fsum``), so the result does not depend on the order
the authorities are read in.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from totalplace.errors import ConfigError

# Comparable tiers: an authority is compared only with authorities of its tier.
# London boroughs (and the City) are compared with London: in every weighting
# tried on Trafford's 2019 CIPFA list, keeping them apart matched it better
# (outer London boroughs otherwise crowd out the unitaries CIPFA lists).
TIERS = {
    "unitary": "single-tier",
    "metropolitan": "single-tier",
    "london": "London",
    "district": "district",
    "county": "county",
}
# Indicator -> weight, in 72nds (they add up to 1).  By group: residents 8,
# density 8, growth 4, age 8 (4 each), income-based deprivation 12 (income,
# employment, children, older people: 3 each), education 4, health 12, crime
# 12, housing and environment 4 (2 each).  Every group counts; the multiples
# (1, 2 or 3 parts a group) were chosen on Trafford's 2019 CIPFA list alone,
# and the 2021 list and the children's services list were not used to choose
# (see the README's validation).
WEIGHTS: Mapping[str, float] = {
    name: parts / 72
    for name, parts in {
        "population": 8,
        "density": 8,
        "growth_10y": 4,
        "pct_under16": 4,
        "pct_over65": 4,
        "income": 3,
        "employment": 3,
        "idaci": 3,
        "idaopi": 3,
        "education": 4,
        "health": 12,
        "crime": 12,
        "barriers": 2,
        "living_environment": 2,
    }.items()
}
LOG_SCALE = frozenset({"population", "density"})
LABELS = {
    "population": "residents",
    "density": "residents per km²",
    "growth_10y": "ten-year growth in residents",
    "pct_under16": "share aged under 16",
    "pct_over65": "share aged 65 and over",
    "income": "income deprivation",
    "employment": "employment deprivation",
    "education": "education and skills deprivation",
    "health": "health deprivation and disability",
    "crime": "crime",
    "barriers": "barriers to housing and services",
    "living_environment": "living environment deprivation",
    "idaci": "income deprivation affecting children",
    "idaopi": "income deprivation affecting older people",
}
DEFAULT_N = 15
CLOSEST_SHOWN = 3


@dataclass(frozen=True)
class Area:
    gss: str
    name: str
    kind: str
    values: Mapping[str, float]  # indicator -> value as compared (log10 where LOG_SCALE)

    @property
    def tier(self) -> str:
        return TIERS[self.kind]


@dataclass(frozen=True)
class Neighbour:
    gss: str
    name: str
    distance: float
    closest_on: tuple[str, ...]  # indicators on which it is most alike, most alike first

    def to_dict(self) -> dict[str, object]:
        return {
            "gss": self.gss,
            "name": self.name,
            "distance": round(self.distance, 4),
            "closest_on": list(self.closest_on),
        }


@dataclass
class Neighbours:
    place: Area
    method: str  # "nearest" or "your list"
    neighbours: list[Neighbour] = field(default_factory=list)
    weights: Mapping[str, float] = field(default_factory=lambda: dict(WEIGHTS))

    def to_dict(self) -> dict[str, object]:
        return {
            "place": self.place.gss,
            "name": self.place.name,
            "tier": self.place.tier,
            "method": self.method,
            "weights": dict(self.weights),
            "neighbours": [n.to_dict() for n in self.neighbours],
        }


def _parse(text: str, source: str) -> tuple[Area, ...]:
    areas = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        if row.get("kind") not in TIERS:
            raise ConfigError(f"{source} line {line}: kind {row.get('kind')!r} is not a tier")
        values: dict[str, float] = {}
        for name in WEIGHTS:
            cell = (row.get(name) or "").strip()
            if not cell:
                continue  # compared as the tier's mean (z = 0)
            try:
                number = float(cell)
            except ValueError:
                raise ConfigError(
                    f"{source} line {line}: {name} {cell!r} is not a number"
                ) from None
            if name in LOG_SCALE:
                if number <= 0:
                    raise ConfigError(f"{source} line {line}: {name} must be above 0")
                number = math.log10(number)
            values[name] = number
        areas.append(Area(row["gss"], row["name"], row["kind"], values))
    return tuple(areas)


@cache
def indicators() -> tuple[Area, ...]:
    """The shipped indicators of every current English authority."""
    text = (
        resources.files("totalplace.reference")
        .joinpath("data", "neighbours", "indicators.csv")
        .read_text(encoding="utf-8")
    )
    return _parse(text, "indicators.csv")


def standardise(areas: Iterable[Area]) -> dict[str, dict[str, float]]:
    """Each area's z-score on each indicator among the areas given (population
    standard deviation; a missing value or an indicator with no spread is 0)."""
    group = sorted(areas, key=lambda a: a.gss)
    out: dict[str, dict[str, float]] = {a.gss: {} for a in group}
    for name in WEIGHTS:
        known = [a.values[name] for a in group if name in a.values]
        mean = math.fsum(known) / len(known) if known else 0.0
        spread = math.sqrt(math.fsum((v - mean) ** 2 for v in known) / len(known)) if known else 0
        for a in group:
            value = a.values.get(name)
            out[a.gss][name] = 0.0 if value is None or not spread else (value - mean) / spread
    return out


def _parts(
    a: Mapping[str, float], b: Mapping[str, float], weights: Mapping[str, float]
) -> dict[str, float]:
    return {name: w * (a[name] - b[name]) ** 2 for name, w in weights.items()}


def distance(a: Mapping[str, float], b: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The weighted Euclidean distance between two areas' z-scores."""
    return math.sqrt(math.fsum(_parts(a, b, weights).values()))


def _find(areas: Iterable[Area], token: str) -> Area:
    from totalplace.reference.places import registry

    by_gss = {a.gss: a for a in areas}
    if token.strip().upper() in by_gss:
        return by_gss[token.strip().upper()]
    gss = registry().lookup(token).gss
    found = by_gss.get(gss)
    if found is None:
        raise ConfigError(f"{token!r} ({gss}) has no neighbour indicators: not a current authority")
    return found


def _neighbour(
    place: Area, other: Area, z: Mapping[str, Mapping[str, float]], weights: Mapping[str, float]
) -> Neighbour:
    parts = _parts(z[place.gss], z[other.gss], weights)
    closest = sorted(
        (name for name in weights if weights[name] > 0), key=lambda n: (parts[n] / weights[n], n)
    )
    return Neighbour(
        other.gss,
        other.name,
        math.sqrt(math.fsum(parts.values())),
        tuple(closest[:CLOSEST_SHOWN]),
    )


def nearest(
    place: str,
    n: int = DEFAULT_N,
    *,
    areas: Iterable[Area] | None = None,
    weights: Mapping[str, float] | None = None,
) -> Neighbours:
    """The ``n`` authorities of the place's tier nearest to it, nearest first."""
    pool = tuple(indicators() if areas is None else areas)
    weights = dict(WEIGHTS if weights is None else weights)
    me = _find(pool, place)
    tier = [a for a in pool if a.tier == me.tier]
    z = standardise(tier)
    found = [_neighbour(me, other, z, weights) for other in tier if other.gss != me.gss]
    # equal to nine decimals is equal (float noise must not break a tie): lower code first
    found.sort(key=lambda x: (round(x.distance, 9), x.gss))
    return Neighbours(me, "nearest", found[:n], weights)


def from_list(
    place: str,
    members: Iterable[str],
    *,
    areas: Iterable[Area] | None = None,
    weights: Mapping[str, float] | None = None,
) -> Neighbours:
    """A neighbour list the user chose (GSS codes or names), in their order, each
    with its distance from the place, standardised over the tiers of the place
    and of the list (the place's tier alone when the list keeps to it, so the
    distances are those :func:`nearest` gives)."""
    pool = tuple(indicators() if areas is None else areas)
    weights = dict(WEIGHTS if weights is None else weights)
    me = _find(pool, place)
    chosen = [_find(pool, m) for m in members]
    if not chosen:
        raise ConfigError("the neighbour list is empty: give one GSS code or name a line")
    tiers = {me.tier, *(c.tier for c in chosen)}
    z = standardise(a for a in pool if a.tier in tiers)
    return Neighbours(me, "your list", [_neighbour(me, c, z, weights) for c in chosen], weights)


def read_list(path: Path) -> list[str]:
    """GSS codes or names, one a line (a CSV's first column; a header line
    that is not an authority and lines starting # are skipped)."""
    from totalplace.reference.places import registry

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read the neighbour list {path}: {exc.strerror or exc}") from exc
    out: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        token = next(iter(csv.reader([line])), [""])[0].strip() if line.strip() else ""
        if not token or token.startswith("#"):
            continue
        try:
            registry().lookup(token)
        except ConfigError as exc:
            if number == 1:
                continue  # a header
            raise ConfigError(f"{path} line {number}: {exc}") from None
        out.append(token)
    return out
