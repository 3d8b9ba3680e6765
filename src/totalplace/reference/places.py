"""The place registry: English local authorities, their codes, names, population
and deprivation, and the resolution of a user's place spec to apportionment units.

The tables under ``reference/data/places/`` are built by ``scripts/build_places.py``
from the mySociety register (CC BY 4.0), ONS-based mid-year estimates and the
English Indices of Deprivation; ``SOURCES.md`` beside them names each source.

A *unit* is a current lowest-tier authority (district, unitary, metropolitan
district, London borough): the pieces a place is apportioned to. A county is
never a unit, so a county and its districts are never counted twice.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any, Final

from totalplace.errors import ConfigError

REGIONS: Final = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)
KINDS: Final = ("county", "district", "unitary", "metropolitan", "london")
NEAREST_YEAR: Final = "nearest-year"
SUM_OF_DISTRICTS: Final = "sum-of-districts"

_GSS = re.compile(r"^[EWSN]\d{8}$")
_ECODE = re.compile(r"^E\d{4}$")
_DROP = re.compile(r"['\u2019]")
_PUNCT = re.compile(r"[^\w\s]|_")
# Words dropped for a second, looser lookup ("City of Bradford" finds "Bradford").
_GENERIC = frozenset(
    "the of city county borough district metropolitan council mdc ua royal".split()  # noqa: SIM905
)


def normalise_name(text: str) -> str:
    """The lookup key of a name: lower case, '&' as 'and', no punctuation, single spaces."""
    text = _DROP.sub("", text.lower().replace("&", " and "))
    return " ".join(_PUNCT.sub(" ", text).split())


def _core(key: str) -> str:
    return " ".join(word for word in key.split() if word not in _GENERIC)


@dataclass(frozen=True, slots=True)
class Authority:
    """One English local authority, current or abolished."""

    gss: str
    ecode: str | None
    ons_code: str | None
    name: str
    nice_name: str
    kind: str
    region: str
    parent_gss: str | None
    current: bool
    successor_gss: tuple[str, ...]
    former_gss: tuple[str, ...]
    start_date: date | None
    end_date: date | None
    aliases: tuple[str, ...]

    @property
    def lowest_tier(self) -> bool:
        return self.kind != "county"

    @property
    def label(self) -> str:
        return f"{self.nice_name} ({self.gss})"


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: what the user typed, and the units it is made of."""

    spec: str
    name: str
    codes: tuple[str, ...]
    units: tuple[str, ...]
    # authorities named as they were in the study year, and the current
    # authorities (the geography the data use) that now cover exactly their area
    as_was: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Preset:
    """A named place: its title and the authorities it is made of."""

    title: str
    codes: tuple[str, ...]


_GREATER_MANCHESTER = tuple(f"E080000{n:02d}" for n in range(1, 11))
# The 13 Total Place pilots (2009-10) on current geography.
PRESETS: Final[Mapping[str, Preset]] = MappingProxyType(
    {
        "pilot:birmingham": Preset("Birmingham", ("E08000025",)),
        "pilot:bradford": Preset("Bradford", ("E08000032",)),
        "pilot:central-bedfordshire-luton": Preset(
            "Central Bedfordshire and Luton", ("E06000056", "E06000032")
        ),
        "pilot:coventry-solihull": Preset("Coventry and Solihull", ("E08000026", "E08000029")),
        "pilot:croydon": Preset("Croydon", ("E09000008",)),
        "pilot:dorset-poole-bournemouth": Preset(
            "Dorset, Poole and Bournemouth", ("E06000058", "E06000059")
        ),
        "pilot:durham": Preset("County Durham", ("E06000047",)),
        "pilot:kent": Preset("Kent", ("E10000016",)),
        "pilot:leicester-leicestershire": Preset(
            "Leicester and Leicestershire", ("E06000016", "E10000018")
        ),
        "pilot:lewisham": Preset("Lewisham", ("E09000023",)),
        "pilot:manchester-warrington": Preset(
            "Greater Manchester and Warrington", (*_GREATER_MANCHESTER, "E06000007")
        ),
        "pilot:south-tyneside-gateshead-sunderland": Preset(
            "South Tyneside, Gateshead and Sunderland", ("E08000023", "E08000037", "E08000024")
        ),
        "pilot:worcestershire": Preset("Worcestershire", ("E10000034",)),
    }
)


def _read(name: str) -> list[dict[str, str]]:
    text = files("totalplace.reference").joinpath("data/places", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _codes(text: str) -> tuple[str, ...]:
    return tuple(code for code in text.split(";") if code)


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Registry:
    """Lookups over the shipped place tables; build one with :func:`registry`."""

    def __init__(
        self,
        authorities: Iterable[Authority],
        aliases: Mapping[str, str],
        population: Mapping[str, Mapping[int, int]],
        age: Mapping[str, tuple[float, int]],
        imd: Mapping[str, Mapping[int, tuple[int, float | None]]],
        lad13: Mapping[str, tuple[tuple[str, ...], str]],
    ) -> None:
        self._by_gss = {a.gss: a for a in authorities}
        self._by_ecode = {a.ecode: a for a in self._by_gss.values() if a.ecode}
        self._former = {f: a for a in self._by_gss.values() for f in a.former_gss}
        self._aliases = dict(aliases)
        cores: dict[str, set[str]] = {}
        for alias, code in self._aliases.items():
            cores.setdefault(_core(alias), set()).add(code)
        # "London" is a region, not the City of London.
        regions = {normalise_name(r) for r in REGIONS}
        self._cores = {
            c: codes.pop()
            for c, codes in cores.items()
            if c and len(codes) == 1 and c not in regions
        }
        self._population = population
        self._age = age
        self._imd = imd
        self._lad13 = lad13
        self._children: dict[str, list[str]] = {}
        self._region_units: dict[str, tuple[str, ...]] = {}
        self._all_children: dict[str, list[str]] = {}  # current or abolished
        self._before: dict[str, list[str]] = {}
        for a in self._by_gss.values():
            if a.parent_gss:
                self._all_children.setdefault(a.parent_gss, []).append(a.gss)
            if a.parent_gss and a.current:
                self._children.setdefault(a.parent_gss, []).append(a.gss)
            for s in a.successor_gss:
                self._before.setdefault(s, []).append(a.gss)

    def authorities(self, *, current_only: bool = False) -> tuple[Authority, ...]:
        return tuple(a for a in self._by_gss.values() if a.current or not current_only)

    def get(self, gss: str) -> Authority:
        """The authority with this GSS code (a former code gives the authority now using it)."""
        code = gss.strip().upper()
        found = self._by_gss.get(code) or self._former.get(code)
        if found is not None:
            return found
        if _GSS.match(code) and not code.startswith("E"):
            raise ConfigError(
                f"{code} is not an English local authority; the registry is England only"
            )
        raise ConfigError(
            f"unknown GSS code {gss!r}: not an English local authority in the register; "
            "give a code such as E08000025 or a name such as Birmingham"
        )

    def by_ecode(self, ecode: str) -> Authority:
        """The authority with this MHCLG E-code (the key in Revenue Outturn data)."""
        found = self._by_ecode.get(ecode.strip().upper())
        if found is None:
            raise ConfigError(f"unknown MHCLG E-code {ecode!r} (expected a code such as E4601)")
        return found

    def find(self, name: str) -> Authority:
        """The authority with this name or name variant, ignoring case and punctuation."""
        key = normalise_name(name)
        gss = self._aliases.get(key) or self._cores.get(_core(key))
        if gss is not None:
            return self._by_gss[gss]
        close = difflib.get_close_matches(key, self._aliases, n=8, cutoff=0.75)
        labels = list(dict.fromkeys(self._by_gss[self._aliases[c]].label for c in close))
        hint = f"close matches: {', '.join(labels)}" if labels else "no close matches"
        raise ConfigError(f"unknown local authority name {name!r}; {hint}; or give a GSS code")

    def lookup(self, token: str) -> Authority:
        """An authority from a GSS code, an E-code or a name."""
        text = token.strip()
        if _GSS.match(text.upper()):
            return self.get(text)
        if _ECODE.match(text.upper()):
            return self.by_ecode(text)
        return self.find(text)

    def is_name(self, text: str) -> bool:
        """Whether the whole text is a known name (it may contain commas)."""
        return normalise_name(text) in self._aliases

    def successors(self, gss: str) -> tuple[str, ...]:
        """The current authorities now covering an abolished one (chains followed)."""
        found: set[str] = set()
        todo = list(self.get(gss).successor_gss)
        while todo:
            a = self.get(todo.pop())
            if a.current:
                found.add(a.gss)
            todo.extend(a.successor_gss)
        return tuple(sorted(found))

    def predecessors(self, gss: str) -> tuple[str, ...]:
        """Every earlier authority whose area passed (directly or not) to this one."""
        found: set[str] = set()
        todo = list(self._before.get(self.get(gss).gss, ()))
        while todo:
            code = todo.pop()
            if code not in found:
                found.add(code)
                todo.extend(self._before.get(code, ()))
        return tuple(sorted(found))

    def require_current(self, gss: str) -> Authority:
        """The authority, or a ConfigError naming the successors of an abolished one."""
        a = self.get(gss)
        if a.current:
            return a
        successors = [self._by_gss[s].label for s in self.successors(a.gss)]
        when = f" on {a.end_date.isoformat()}" if a.end_date else ""
        use = f"; use {_join(successors)} instead" if successors else ""
        raise ConfigError(f"{a.name} ({a.gss}) was abolished{when}{use}")

    def units(self, gss: str) -> tuple[str, ...]:
        """The current lowest-tier authorities making up a current authority."""
        a = self.require_current(gss)
        if a.lowest_tier:
            return (a.gss,)
        return tuple(sorted(self._children.get(a.gss, ())))

    def units_in_year(self, gss: str, year: str | None) -> tuple[tuple[str, ...], str | None]:
        """The units of an authority as it was in financial ``year``, and a note
        when it has since been abolished.

        Spending data are on current geography, so an abolished authority is
        accepted for a year it existed in only when the current authorities now
        covering it cover nothing else (Cumbria, split in 2023 into Cumberland and
        Westmorland and Furness); a district merged into a larger council
        (Copeland, now part of Cumberland) cannot be counted alone and is refused.
        """
        a = self.get(gss)
        if a.current:
            return self.units(a.gss), None
        first_day = date(int(year[:4]), 4, 1) if year else None
        if first_day is None or a.end_date is None or a.end_date < first_day:
            self.require_current(a.gss)  # raises, naming the successors
        pieces = {a.gss}
        todo = [a.gss]
        while todo:
            for child in self._all_children.get(todo.pop(), ()):
                if child not in pieces:
                    pieces.add(child)
                    todo.append(child)
        successors = self.successors(a.gss)
        units = tuple(sorted({u for s in successors for u in self.units(s)}))
        labels = _join([self._by_gss[s].label for s in successors])
        others = sorted(
            {
                self._by_gss[p].nice_name
                for u in units
                for p in self.predecessors(u)
                if self._by_gss[p].lowest_tier and p not in pieces
            }
        )
        if not units or others:
            also = f", which also took in {_join(others)}" if others else ""
            raise ConfigError(
                f"{a.name} ({a.gss}) existed in {year}, but its area is now part of "
                f"{labels or 'no current authority'}{also}; the data are on current "
                f"geography, so it cannot be counted alone: count {labels} instead"
            )
        when = a.end_date.isoformat() if a.end_date else "since"
        note = (
            f"{a.nice_name} ({a.gss}) as it was in {year}: abolished {when}, its area "
            f"is now {labels}, the geography the data use"
        )
        return units, note

    def region_units(self, region: str) -> tuple[str, ...]:
        """All current lowest-tier authorities of an English region (no county)."""
        names = {normalise_name(r): r for r in REGIONS}
        exact = names.get(normalise_name(region))
        if exact is None:
            raise ConfigError(f"unknown English region {region!r}; one of: {', '.join(REGIONS)}")
        if exact not in self._region_units:  # asked for every line of a count
            units = [a for a in self.authorities(current_only=True) if a.lowest_tier]
            self._region_units[exact] = tuple(sorted(a.gss for a in units if a.region == exact))
        return self._region_units[exact]

    def population(self, gss: str, year: int) -> tuple[int, str | None]:
        """Mid-year population and a flag: None, 'nearest-year' (year outside the
        series, filled from the nearest year; takes precedence) or 'sum-of-districts'."""
        a = self.require_current(gss)
        series = self._population.get(a.gss)
        if not series:
            raise ConfigError(f"no population estimate for {a.label}")
        if year in series:
            return series[year], None if a.lowest_tier else SUM_OF_DISTRICTS
        nearest = min(series, key=lambda y: (abs(y - year), y))
        return series[nearest], NEAREST_YEAR

    def population_year(self, gss: str, year: int) -> int:
        """The mid-year whose estimate :meth:`population` gives for ``year``."""
        series = self._population.get(self.require_current(gss).gss) or {year: 0}
        return year if year in series else min(series, key=lambda y: (abs(y - year), y))

    def pct_over65(self, gss: str) -> tuple[float, int, str | None]:
        """Share of residents aged 65+ (percent), its year (the latest only) and a flag:
        None, or 'weighted-mean-of-districts' for a county."""
        a = self.require_current(gss)
        if a.gss not in self._age:
            raise ConfigError(f"no age estimate for {a.label}")
        pct, year = self._age[a.gss]
        return pct, year, None if a.lowest_tier else "weighted-mean-of-districts"

    def imd(self, gss: str) -> tuple[int, float | None, int] | None:
        """(rank of average score, average score, release year) from the latest
        English Indices of Deprivation release covering this district, else None
        (counties, and districts abolished before the releases). Rank 1 is the
        most deprived; the 2015 release as shipped has no score."""
        releases = self._imd.get(self.get(gss).gss)
        if not releases:
            return None
        year = max(releases)
        rank, score = releases[year]
        return rank, score, year

    def lad13_to_current(self, lad13: str) -> tuple[tuple[str, ...], str]:
        """The current authorities covering a 2013 district, and how ('same', 'merged-into')."""
        found = self._lad13.get(lad13.strip().upper())
        if found is None:
            raise ConfigError(f"{lad13!r} is not one of the 326 English districts of 2013")
        return found


@cache
def registry() -> Registry:
    """The registry built from the shipped tables (read once)."""
    aliases: dict[str, list[str]] = {}
    alias_of: dict[str, str] = {}
    for row in _read("aliases.csv"):
        alias_of[row["alias"]] = row["gss"]
        aliases.setdefault(row["gss"], []).append(row["alias"])
    authorities = [
        Authority(
            gss=r["gss"],
            ecode=r["ecode"] or None,
            ons_code=r["ons_code"] or None,
            name=r["name"],
            nice_name=r["nice_name"],
            kind=r["kind"],
            region=r["region"],
            parent_gss=r["parent_gss"] or None,
            current=r["current"] == "true",
            successor_gss=_codes(r["successor_gss"]),
            former_gss=_codes(r["former_gss"]),
            start_date=_date(r["start_date"]),
            end_date=_date(r["end_date"]),
            aliases=tuple(sorted(aliases.get(r["gss"], ()))),
        )
        for r in _read("authorities.csv")
    ]
    population: dict[str, dict[int, int]] = {}
    for r in _read("population.csv"):
        population.setdefault(r["gss"], {})[int(r["year"])] = int(r["population"])
    age = {r["gss"]: (float(r["pct_over65"]), int(r["year"])) for r in _read("age.csv")}
    imd: dict[str, dict[int, tuple[int, float | None]]] = {}
    for r in _read("imd.csv"):
        score = float(r["score"]) if r["score"] else None
        imd.setdefault(r["gss"], {})[int(r["imd_year"])] = (int(r["rank"]), score)
    lad13 = {r["lad13"]: (_codes(r["gss"]), r["method"]) for r in _read("lad13_to_current.csv")}
    return Registry(authorities, alias_of, population, age, imd, lad13)


def boundaries_lad13() -> dict[str, Any]:
    """The TopoJSON of the 326 English districts of 2013 (object ``lad``, id = LAD13CD)."""
    resource = files("totalplace.reference").joinpath("data/places", "boundaries_lad13.json")
    loaded: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True, slots=True)
class Former:
    """A council abolished before the register begins (the 2009 reorganisation)."""

    name: str
    kind: str  # county or district
    county: str
    ended: date
    successors: tuple[str, ...]
    order: str  # the statutory order that abolished it


@cache
def former_councils() -> dict[str, Former]:
    """Councils abolished on 1 April 2009, by lookup key of their name, from
    ``reference/data/predecessors/before_2009.csv``."""
    text = files("totalplace.reference").joinpath("data/predecessors", "before_2009.csv")
    rows = csv.DictReader(io.StringIO(text.read_text(encoding="utf-8")))
    out: dict[str, Former] = {}
    for r in rows:
        former = Former(
            name=r["name"],
            kind=r["kind"],
            county=r["county"],
            ended=date.fromisoformat(r["ended"]),
            successors=_codes(r["successors"]),
            order=r["order"],
        )
        key = normalise_name(former.name)
        out[key] = former
        out.setdefault(_core(key), former)
    return out


def _former_units(reg: Registry, former: Former, year: str | None) -> tuple[tuple[str, ...], str]:
    """The units and note of a council abolished in 2009, for a year it existed in."""
    labels = _join([reg.get(s).label for s in former.successors])
    what = f"{former.name} ({former.kind}, abolished {former.ended.isoformat()})"
    if year is None:
        raise ConfigError(f"{what}: use {labels} instead, or give a year it existed in")
    if date(int(year[:4]), 4, 1) > former.ended:
        raise ConfigError(f"{what} did not exist in {year}; use {labels} instead")
    pieces = {former.name} | {f.name for f in former_councils().values() if f.county == former.name}
    others = sorted(
        {
            f.name
            for f in former_councils().values()
            if f.kind == "district"
            and f.name not in pieces
            and set(f.successors) & set(former.successors)
        }
    )
    if others:
        raise ConfigError(
            f"{what} existed in {year}, but its area is now part of {labels}, which also "
            f"took in {_join(others)}; the data are on current geography, so it cannot be "
            f"counted alone: count {labels} instead"
        )
    units = tuple(sorted({u for s in former.successors for u in reg.units(s)}))
    note = (
        f"{former.name} as it was in {year}: abolished {former.ended.isoformat()} "
        f"({former.order}), its area is now {labels}, the geography the data use"
    )
    return units, note


def resolve_place(spec: str, year: str | None = None) -> Place:
    """A place from 'E08000025', 'E08000003,E08000001', a name or a 'pilot:...' preset.

    With ``year`` (a financial year such as 2010-11), an authority abolished since
    is accepted as it was in that year, mapped to the current authorities now
    covering exactly its area, and said so in ``as_was``.  Raises ConfigError for
    unknown codes or names, and for abolished authorities otherwise (naming the
    successors to use instead)."""
    reg = registry()
    text = spec.strip()
    if not text:
        raise ConfigError("empty place: give a GSS code (E08000025), a name or a pilot: preset")
    if text.lower().startswith("pilot:"):
        preset = PRESETS.get(text.lower())
        if preset is None:
            raise ConfigError(f"unknown preset {text!r}; one of: {', '.join(PRESETS)}")
        name, codes = preset.title, preset.codes
    else:
        parts = [text] if reg.is_name(text) else [p for p in text.split(",") if p.strip()]
        found, names, formers = [], [], []
        for p in parts:
            try:
                a = reg.lookup(p)
            except ConfigError:
                key = normalise_name(p)
                former = former_councils().get(key) or former_councils().get(_core(key))
                if former is None:
                    raise
                formers.append(former)
                names.append(former.name)
                continue
            if a not in found:
                found.append(a)
                names.append(a.nice_name)
        name, codes = _join(names), tuple(a.gss for a in found)
        if formers:
            units_from: set[str] = set()
            notes_from: list[str] = []
            for former in formers:
                former_units, former_note = _former_units(reg, former, year)
                units_from.update(former_units)
                notes_from.append(former_note)
                codes += tuple(c for c in former.successors if c not in codes)
            place = resolve_place(",".join(a.gss for a in found), year) if found else None
            return Place(
                spec=spec,
                name=name,
                codes=codes,
                units=tuple(sorted(units_from | set(place.units if place else ()))),
                as_was=(*(place.as_was if place else ()), *notes_from),
            )
    found_units: set[str] = set()
    notes: list[str] = []
    for code in codes:
        units, note = reg.units_in_year(code, year)
        found_units.update(units)
        if note:
            notes.append(note)
    return Place(
        spec=spec, name=name, codes=codes, units=tuple(sorted(found_units)), as_was=tuple(notes)
    )
