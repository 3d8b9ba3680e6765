"""The top-down count: HM Treasury's regional spending shared out to a place.

Each identifiable regional line (department x programme x function x
subfunction, capital or current, by body type) of a region the place lies in
is shared among *all* that region's lowest-tier authorities by the line's key
(largest remainder, so the shares add back to the line to the penny); the
place's figure is the sum of its authorities' shares.  Lines that are not
identifiable to a region (defence, debt interest, "outside UK") are reported
as a national total and never apportioned.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from totalplace.count.apportion import largest_remainder
from totalplace.count.councils import CouncilOutturn, council_outturn, has_outturn
from totalplace.count.keys import KeyRules, Weights, load_rules, weights
from totalplace.errors import ConfigError
from totalplace.reference.places import Place, Registry, registry
from totalplace.reference.regional import ENGLISH_REGIONS, regional_lines

# Confidence grades: A counted from the body's own accounts, B official
# outturn apportioned within one authority, C apportioned by residents,
# D apportioned by a proxy.
GRADE_BY_KEY = {"population": "C"}
DEPARTMENT = {
    "council": "Local government (Revenue Outturn)",
    "police": "Police (Revenue Outturn)",
    "fire": "Fire and rescue (Revenue Outturn)",
    "transport": "Transport authorities (Revenue Outturn)",
    "waste": "Waste authorities (Revenue Outturn)",
    "combined": "Combined authorities (Revenue Outturn)",
    "park": "National park authorities (Revenue Outturn)",
    "gla": "Greater London Authority (Revenue Outturn)",
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

    @property
    def total_pence(self) -> int:
        return sum(line.place_pence for line in self.lines)

    def _sum(self, kind: str) -> int:
        return sum(x.place_pence for x in self.lines if x.capital_current == kind)

    @property
    def per_head_pence(self) -> int:
        return round(self.total_pence / self.population) if self.population else 0

    def by(self, attr: str) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for line in self.lines:
            out[str(getattr(line, attr))] += line.place_pence
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def to_dict(self) -> dict[str, object]:
        return {
            "place": {
                "spec": self.place.spec,
                "name": self.place.name,
                "authorities": list(self.place.units),
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
            "by_department": self.by("department"),
            "by_body_type": self.by("body_type"),
            "by_function": self.by("function"),
            "lines": [line.to_dict() for line in self.lines],
        }


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


def _from_outturn(
    councils: CouncilOutturn, units_by_region: dict[str, list[str]]
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


def topdown(
    place: Place,
    year: str,
    *,
    current_only: bool = False,
    rules: KeyRules | None = None,
    keys_path: Path | None = None,
    reg: Registry | None = None,
    use_outturn: bool = True,
) -> TopDownResult:
    """Count a place top down; with ``use_outturn`` (the default) councils' own
    Revenue Outturn replaces apportioned local-government current lines."""
    reg = reg or registry()
    rules = rules or load_rules(keys_path)
    pop_year = mid_year(year)
    units_by_region: dict[str, list[str]] = defaultdict(list)
    for unit in place.units:
        units_by_region[reg.get(unit).region].append(unit)
    lines = regional_lines(year)
    if not lines:
        raise ConfigError(f"no regional spending for {year}; years run 2004-05 to 2017-18")
    result = TopDownResult(place, year, current_only, population=0)
    result.population = sum(reg.population(u, pop_year)[0] for u in place.units)
    councils = council_outturn(place, year, reg) if use_outturn and has_outturn(year) else None
    if councils is not None:
        result.notes.extend(councils.notes)
        result.levies_removed_pence = councils.levies_removed_pence
    cache: dict[tuple[str, str], Weights] = {}
    for line in lines:
        if not line.identifiable or line.region not in ENGLISH_REGIONS:
            if not line.identifiable:
                result.non_identifiable_pence += line.pence
            continue
        mine = units_by_region.get(line.region)
        if not mine or (current_only and line.capital_current == "capital"):
            continue
        subfunction = line.subfunction or line.hmt_subfunction or line.hmt_function
        as_dict = {
            "department": line.department,
            "programme": line.programme or line.programme_code,
            "function": line.function,
            "subfunction": subfunction,
            "body_type": line.body_type,
            "capital_current": line.capital_current,
        }
        rule = rules.rule_for(as_dict)
        wkey = (line.region, rule.key)
        if wkey not in cache:
            cache[wkey] = weights(reg, rule.key, reg.region_units(line.region), pop_year)
        w = cache[wkey]
        parts = largest_remainder(line.pence, w.by_unit)
        flags = w.flags
        kind = _outturn_kind(line.body_type, line.capital_current, subfunction)
        if kind is not None:
            if councils is not None:
                covered = councils.covered.get(kind, frozenset())
                mine = [u for u in mine if u not in covered]  # the rest come from outturn
                if not mine:
                    continue
            elif use_outturn:
                flags = (*flags, f"no council outturn for {year}: apportioned")
        share_num = sum(w.by_unit[u] for u in mine)
        share_den = sum(w.by_unit.values())
        result.lines.append(
            TopDownLine(
                region=line.region,
                department=line.department,
                programme=line.programme or line.programme_code,
                function=line.function,
                subfunction=subfunction,
                body_type=line.body_type,
                capital_current=line.capital_current,
                source=f"{line.source} {line.source_ref}",
                region_pence=line.pence,
                place_pence=sum(parts[u] for u in mine),
                key=rule.key,
                key_share=f"{share_num / share_den:.6f}",
                method="apportioned",
                grade=GRADE_BY_KEY.get(rule.key, "D"),
                flags=flags,
            )
        )
    if councils is not None:
        result.lines.extend(_from_outturn(councils, units_by_region))
    result.lines.sort(key=lambda x: (x.capital_current != "current", -x.place_pence))
    return result
