"""The top-down count: HM Treasury's regional spending shared out to a place.

Each identifiable regional line (department x programme x function x
subfunction, capital or current, by body type) of a region the place lies in
is shared among *all* that region's lowest-tier authorities by the line's key
(largest remainder, so the shares add back to the line to the penny); the
place's figure is the sum of its authorities' shares.  Lines that are not
identifiable to a region (defence, debt interest, "outside UK") are reported
as a national total and never apportioned.

A line of a database without sub-functions (PESA 2010, for 2004-05..2008-09)
that no programme rule keys is split by the key mix of the nearest year with
sub-functions, so the same key rule applies every year.  Where councils'
outturn replaces the regional local-government lines, the regional figure it
replaced is kept beside it (``TopDownResult.basis_report``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from totalplace.count.apportion import largest_remainder
from totalplace.count.councils import LEVY_BODY, CouncilOutturn, council_outturn, has_outturn
from totalplace.count.keys import (
    KeyRule,
    KeyRules,
    SiteRule,
    Weights,
    load_rules,
    load_sites,
    site_weights,
    weights,
)
from totalplace.errors import ConfigError
from totalplace.reference.places import Place, Registry, registry
from totalplace.reference.regional import (
    ENGLISH_REGIONS,
    RegionalLine,
    lines_in,
    non_identifiable_pence,
    regional_lines,
)
from totalplace.reference.regional import years as regional_years

# Confidence grades: A counted from the body's own accounts, B official
# outturn apportioned within one authority, C apportioned by residents,
# D apportioned by a proxy.
GRADE_BY_KEY = {"population": "C"}
BASIS_OUTTURN = "council outturn"
BASIS_REGIONAL = "regional (CRA)"
DEPARTMENT = {
    "council": "Local government (Revenue Outturn)",
    "police": "Police (Revenue Outturn)",
    "fire": "Fire and rescue (Revenue Outturn)",
    "transport": "Transport authorities (Revenue Outturn)",
    "waste": "Waste authorities (Revenue Outturn)",
    "combined": "Combined authorities (Revenue Outturn)",
    "park": "National park authorities (Revenue Outturn)",
    "gla": "Greater London Authority (Revenue Outturn)",
    "levy": "Levying bodies (councils' levies in Revenue Outturn)",
}


@dataclass(frozen=True)
class TopDownLine:
    region: str
    department: str
    programme: str
    function: str
    subfunction: str
    body_type: str
    capital_current: str
    source: str
    region_pence: int
    place_pence: int
    key: str
    key_share: str  # the place's weight over the region's, as text
    method: str
    grade: str
    flags: tuple[str, ...]
    body: str = ""  # E-code of the body whose own outturn this is
    key_year: str = ""  # the year of the data the key is built from
    # how the key was chosen: by "sub-function", "programme", "site", the
    # "default" rule, or the "sub-function mix of YYYY-YY" for a line without one
    key_basis: str = ""
    # where a local-government figure comes from: "council outturn" or
    # "regional (CRA)"; "regional (CRA)" for every apportioned line
    basis: str = ""
    # key_share as exact integers (place's weight, region's or body's weight):
    # decisions compare these, never the six-decimal text
    key_share_parts: tuple[int, int] = (0, 1)

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "flags": list(self.flags)}


@dataclass
class TopDownResult:
    place: Place
    year: str
    current_only: bool
    population: int
    lines: list[TopDownLine] = field(default_factory=list)
    non_identifiable_pence: int = 0
    levies_removed_pence: int = (
        0  # councils' levies to joint bodies, replaced by the bodies' spending
    )
    notes: list[str] = field(default_factory=list)
    # One basis per year: where councils' outturn replaces the regional
    # local-government lines, the regional figure it replaced (by kind: council,
    # police, fire) is kept beside the outturn, so the choice can be checked.
    regional_replaced: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    outturn_by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def total_pence(self) -> int:
        return sum(line.place_pence for line in self.lines)

    def _sum(self, kind: str) -> int:
        return sum(x.place_pence for x in self.lines if x.capital_current == kind)

    @property
    def per_head_pence(self) -> int:
        return per_head(self.total_pence, self.population)

    def by(self, attr: str) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for line in self.lines:
            out[str(getattr(line, attr))] += line.place_pence
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    @property
    def basis(self) -> str:
        """The basis of the place's local-government current spending this year."""
        return BASIS_OUTTURN if self.outturn_by_kind else BASIS_REGIONAL

    def basis_report(self) -> dict[str, object]:
        """Both figures for local government where outturn replaced regional lines:
        the outturn counted and the regional (CRA) lines it replaced, by kind."""
        kinds = sorted(set(self.outturn_by_kind) | set(self.regional_replaced))
        outturn = sum(self.outturn_by_kind.values())
        regional = sum(self.regional_replaced.values())
        return {
            "basis": self.basis,
            "outturn_pence": outturn,
            "regional_replaced_pence": regional,
            "difference_pence": outturn - regional,
            "by_kind": {
                k: {
                    "outturn_pence": self.outturn_by_kind.get(k, 0),
                    "regional_replaced_pence": self.regional_replaced.get(k, 0),
                }
                for k in kinds
            },
        }

    def to_dict(self) -> dict[str, object]:
        return {
            "place": {
                "spec": self.place.spec,
                "name": self.place.name,
                "authorities": list(self.place.units),
                "as_was": list(self.place.as_was),
            },
            "year": self.year,
            "current_only": self.current_only,
            "total_pence": self.total_pence,
            "current_pence": self._sum("current"),
            "capital_pence": self._sum("capital"),
            "population": self.population,
            "per_head_pence": self.per_head_pence,
            "non_identifiable_pence_national": self.non_identifiable_pence,
            "levies_removed_pence": self.levies_removed_pence,
            "notes": list(self.notes),
            "local_government_basis": self.basis_report(),
            "by_department": self.by("department"),
            "by_body_type": self.by("body_type"),
            "by_function": self.by("function"),
            "lines": [line.to_dict() for line in self.lines],
        }


# The Revenue Outturn line whose theme a count line of the outturn takes.
OUTTURN_THEME_FALLBACK = {
    "housing_benefit": "housing_benefit_rent_allowances",
    "other_items": "central_services",
    # a levy kept in the count is its receiving body's spending, by its service
    **{levy: service for levy, (_, service) in LEVY_BODY.items()},
}


def outturn_theme(line: str) -> str:
    """The theme of an outturn line of the count ("housing_benefit", a levy kept)."""
    from totalplace.classify.taxonomy import theme_for_outturn_line  # heavy: on first use

    return theme_for_outturn_line(OUTTURN_THEME_FALLBACK.get(line, line))


def line_theme(line: TopDownLine) -> str:
    """The theme of a top-down line: an outturn line's by its RS line, an
    apportioned line's by its COFOG function and sub-function."""
    if line.method == "outturn":
        return outturn_theme(line.subfunction)
    return cofog_theme(line.function, line.subfunction)


@cache  # a few hundred functions and sub-functions, asked for every line
def cofog_theme(function: str, subfunction: str) -> str:
    """The theme of an apportioned line by its COFOG function and sub-function."""
    from totalplace.classify.taxonomy import theme_for_cofog  # heavy: on first use

    return theme_for_cofog(function, subfunction)


def per_head(pence: int, population: int) -> int:
    """Pence per resident, to the nearest penny (0 with no residents)."""
    return round(pence / population) if population else 0


def _outturn_kind(body_type: str, capital_current: str, subfunction: str | None) -> str | None:
    """The kind of local outturn that replaces a regional line: local-government
    current spending on police (3.1), fire (3.2) or anything else (council);
    None for lines that outturn never replaces."""
    if body_type != "local government" or capital_current != "current":
        return None
    sub = subfunction or ""
    if sub.startswith("3.1"):
        return "police"
    if sub.startswith("3.2"):
        return "fire"
    return "council"


def from_outturn(
    councils: CouncilOutturn, units_by_region: dict[str, list[str]], year: str
) -> list[TopDownLine]:
    region = ", ".join(sorted(units_by_region))
    return [
        TopDownLine(
            region=region,
            department=DEPARTMENT[c.body],
            programme=f"{c.council}: {c.label}",
            function=c.function,
            subfunction=c.line,
            body_type="local government",
            capital_current="current",
            source=f"RS {c.source_ref}",
            region_pence=0,
            place_pence=c.pence,
            key="outturn",
            key_share=c.share,
            key_share_parts=c.share_parts,
            key_year=year[:4],
            key_basis="the body's own outturn",
            basis=BASIS_OUTTURN,
            method="outturn",
            grade="A" if float(c.share) == 1.0 else "B",
            flags=c.flags,
            body=c.ecode,
        )
        for c in councils.lines
    ]


def mid_year(year: str) -> int:
    """The population year for a financial year: mid-2010 for 2010-11."""
    return int(year[:4])


def _match_fields(line: RegionalLine) -> dict[str, object]:
    return {
        "department": line.department,
        "programme": line.programme or line.programme_code,
        "function": line.function,
        "subfunction": line.subfunction or line.hmt_subfunction or line.hmt_function,
        "body_type": line.body_type,
        "capital_current": line.capital_current,
    }


def _has_subfunction(line: RegionalLine) -> bool:
    return bool(line.subfunction or line.hmt_subfunction)


def _specific(rule: KeyRule) -> bool:
    """A rule on the programme or department keys a line the same way whether or
    not its database gives sub-functions."""
    return any(f in ("programme", "department") for f, _ in rule.patterns)


def _rule_basis(rule: KeyRule) -> str:
    fields = {f for f, _ in rule.patterns}
    if not fields:
        return "default"
    if fields & {"programme", "department"}:
        return "programme"
    return "sub-function" if "subfunction" in fields else "function"


MixKey = tuple[str, str, str, str]  # region, function, body type, capital or current


@cache  # read once per year: a count of every place goes over the same lines
def year_lines(year: str) -> tuple[RegionalLine, ...]:
    """The regional lines of ``year`` from the winning database (see regional_lines)."""
    return tuple(regional_lines(year))


@cache
def _sub_years() -> tuple[str, ...]:
    return tuple(y for y in regional_years() if any(map(_has_subfunction, regional_lines(y))))


def key_mix(rules: KeyRules, year: str) -> tuple[str, dict[MixKey, dict[str, int]]] | None:
    """For a year without sub-functions: the nearest year that has them, and in it
    the pence each key shares out per region, function, body type and capital or
    current (lines keyed by programme left out, as they are keyed the same way in
    every year); keys with no positive total are dropped."""
    candidates = _sub_years()
    if not candidates:
        return None
    start = int(year[:4])
    mix_year = min(candidates, key=lambda y: (abs(int(y[:4]) - start), -int(y[:4])))
    return mix_year, _key_mix(rules, mix_year)


@cache
def _key_mix(rules: KeyRules, mix_year: str) -> dict[MixKey, dict[str, int]]:
    sums: dict[MixKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in year_lines(mix_year):
        if not line.identifiable or line.region not in ENGLISH_REGIONS:
            continue
        rule = rules.rule_for(_match_fields(line))
        if _specific(rule):
            continue
        group = (line.region, line.function, line.body_type, line.capital_current)
        sums[group][rule.key] += line.pence
    return {g: {k: v for k, v in by.items() if v > 0} for g, by in sums.items()}


@dataclass(frozen=True)
class _Keyed:
    """One regional line, or the part of one, keyed one way."""

    pence: int
    key: str
    key_basis: str
    flags: tuple[str, ...]
    site: SiteRule | None = None


def _keyed(
    line: RegionalLine,
    rules: KeyRules,
    sites: tuple[SiteRule, ...],
    year: str,
) -> list[_Keyed]:
    fields = _match_fields(line)
    for site in sites:
        if site.matches(line.region, fields):
            return [_Keyed(line.pence, "site", "site", (), site)]
    rule = rules.rule_for(fields)
    if _has_subfunction(line) or _specific(rule):
        return [_Keyed(line.pence, rule.key, _rule_basis(rule), ())]
    found = key_mix(rules, year)
    group = (line.region, line.function, line.body_type, line.capital_current)
    mix = found[1].get(group) if found else None
    if not found or not mix:
        why = (
            f"no sub-function in {line.source}, and no {line.function} lines of this body type "
            "in a year with sub-functions to take keys from: keyed by its rule"
        )
        return [_Keyed(line.pence, rule.key, _rule_basis(rule), (why,))]
    mix_year = found[0]
    parts = largest_remainder(line.pence, mix)
    basis = f"sub-function mix of {mix_year}"
    # one wording for every such line, so a report lists it once; the part each
    # key takes is the line's region_pence against the published line
    why = (
        f"no sub-function in {line.source}: split by the keys of the same function, "
        f"body type and capital or current lines in the region in {mix_year}"
    )
    return [_Keyed(parts[key], key, basis, (why,)) for key in sorted(mix)]


@dataclass(frozen=True)
class Apportioned:
    """One keyed part of an English identifiable regional line, shared among all
    its region's lowest-tier authorities (``shares`` adds back to ``part.pence``)."""

    line: RegionalLine
    part: _Keyed
    subfunction: str
    kind: str | None  # the kind of outturn that replaces it (see _outturn_kind)
    weights: Weights
    shares: dict[str, int]


@cache  # the lines of a place's regions, read once for every count of it
def _region_lines(year: str, regions: frozenset[str]) -> tuple[RegionalLine, ...]:
    return tuple(lines_in(year, regions))


def _check_lines(year: str) -> None:
    if year not in regional_years():
        raise ConfigError(f"no regional spending for {year}; years run 2004-05 to 2017-18")


def apportioned(
    year: str,
    rules: KeyRules,
    sites: tuple[SiteRule, ...],
    reg: Registry,
    *,
    regions: frozenset[str] | None = None,
    current_only: bool = False,
) -> Iterator[Apportioned]:
    """Every English identifiable line of ``year`` (of ``regions`` only, if given)
    keyed and shared by largest remainder among its region's authorities: the one
    sharing both a place's count and the count of every place at once are made of."""
    _check_lines(year)
    lines = year_lines(year) if regions is None else _region_lines(year, regions)
    pop_year = mid_year(year)
    cache_: dict[tuple[str, str], Weights] = {}
    for line in lines:
        if not line.identifiable or line.region not in ENGLISH_REGIONS:
            continue
        if current_only and line.capital_current == "capital":
            continue
        subfunction = str(_match_fields(line)["subfunction"])
        kind = _outturn_kind(line.body_type, line.capital_current, subfunction)
        units = reg.region_units(line.region)
        for part in _keyed(line, rules, sites, year):
            if part.site is not None:
                w = site_weights(reg, part.site, units, pop_year)
            else:
                wkey = (line.region, part.key)
                if wkey not in cache_:
                    cache_[wkey] = weights(reg, part.key, units, pop_year)
                w = cache_[wkey]
            shares = largest_remainder(part.pence, w.by_unit)
            yield Apportioned(line, part, subfunction, kind, w, shares)


def topdown(
    place: Place,
    year: str,
    *,
    current_only: bool = False,
    rules: KeyRules | None = None,
    keys_path: Path | None = None,
    sites: tuple[SiteRule, ...] | None = None,
    sites_path: Path | None = None,
    reg: Registry | None = None,
    use_outturn: bool = True,
) -> TopDownResult:
    """Count a place top down; with ``use_outturn`` (the default) councils' own
    Revenue Outturn replaces apportioned local-government current lines."""
    reg = reg or registry()
    rules = rules or load_rules(keys_path)
    sites = load_sites(sites_path) if sites is None else sites
    pop_year = mid_year(year)
    units_by_region: dict[str, list[str]] = defaultdict(list)
    for unit in place.units:
        units_by_region[reg.get(unit).region].append(unit)
    _check_lines(year)
    result = TopDownResult(place, year, current_only, population=0)
    result.notes.extend(place.as_was)
    result.population = sum(reg.population(u, pop_year)[0] for u in place.units)
    result.non_identifiable_pence = non_identifiable_pence(year)
    councils = council_outturn(place, year, reg) if use_outturn and has_outturn(year) else None
    if councils is not None:
        result.notes.extend(councils.notes)
        result.levies_removed_pence = councils.levies_removed_pence
    regions = frozenset(units_by_region)
    for item in apportioned(year, rules, sites, reg, regions=regions, current_only=current_only):
        line, part, w, shares, kind = item.line, item.part, item.weights, item.shares, item.kind
        mine = units_by_region[line.region]
        flags = (*part.flags, *w.flags)
        keep = mine
        if kind is not None:
            if councils is not None:
                covered = councils.covered.get(kind, frozenset())
                keep = [u for u in mine if u not in covered]  # the rest come from outturn
                if not keep:
                    result.regional_replaced[kind] += sum(shares[u] for u in mine)
                    continue
                gone = [u for u in mine if u in covered]
                result.regional_replaced[kind] += sum(shares[u] for u in gone)
            elif use_outturn:
                flags = (*flags, f"no council outturn for {year}: apportioned")
        share_num = sum(w.by_unit[u] for u in keep)
        share_den = sum(w.by_unit.values())
        result.lines.append(
            TopDownLine(
                region=line.region,
                department=line.department,
                programme=line.programme or line.programme_code,
                function=line.function,
                subfunction=item.subfunction,
                body_type=line.body_type,
                capital_current=line.capital_current,
                source=f"{line.source} {line.source_ref}",
                region_pence=part.pence,
                place_pence=sum(shares[u] for u in keep),
                key=part.key,
                key_share=f"{share_num / share_den:.6f}",
                key_share_parts=(share_num, share_den),
                method="apportioned",
                grade=GRADE_BY_KEY.get(part.key, "D"),
                flags=flags,
                key_year=w.key_year,
                key_basis=part.key_basis,
                basis=BASIS_REGIONAL,
            )
        )
    if councils is not None:
        result.lines.extend(from_outturn(councils, units_by_region, year))
        for c in councils.lines:
            result.outturn_by_kind[c.kind] += c.pence
    result.lines.sort(key=lambda x: (x.capital_current != "current", -x.place_pence))
    return result
