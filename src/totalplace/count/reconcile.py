"""The tool's count set beside every published Total Place figure it knows.

For each published figure (``data/published_counts.toml``: Birmingham's
£7.5bn, Cumbria's £7.1bn, the 13 pilots' £82bn, each with the document it is
quoted from) the place is counted top down for the year asked, and the
difference is explained in two ways a finance officer can check:

* **scope choices**, each the signed amount the tool's figure would move by
  if the choice went the other way: non-identifiable spending (defence, debt
  interest) shared by population, which the tool leaves out and a count of
  "all public money" may not; every apportioned line shared by population
  instead of its key; local government from HM Treasury's regional lines
  instead of councils' own outturn; capital left out; lines where receipts
  exceed spending (negative lines) left out, as a count of gross spending would;
* **lines**: the apportioned lines whose key moves the place's figure most
  against a plain population share, largest first, each with its key.

A figure within 10% of the published one is reconciled.  Beyond 10%, the
scope choices that move the figure towards the published one are taken,
largest first, until the difference beyond 10% is covered; what they do not
cover is reported as unexplained, never hidden.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from totalplace.count.councils import has_outturn
from totalplace.count.topdown import TopDownResult, mid_year, topdown
from totalplace.errors import ConfigError
from totalplace.reference.places import PRESETS, Registry, registry, resolve_place
from totalplace.reference.regional import ENGLISH_REGIONS, regional_lines

TOLERANCE = 10  # per cent of the published figure
PILOTS = "pilots"  # a figure's place: the 13 pilot presets together
LINES_SHOWN = 12


@dataclass(frozen=True)
class Published:
    id: str
    label: str
    place: str
    pence: int
    population: int  # as the document gives it; 0 where it gives none
    quote: str
    document: str


@dataclass(frozen=True)
class Adjustment:
    """A scope choice: what the tool's figure moves by under the alternative."""

    name: str
    pence: int
    what: str
    attributed_pence: int = 0  # of the difference beyond 10%, what this choice explains
    source: str = ""  # the data the amount is computed from, and its largest lines


@dataclass(frozen=True)
class KeyedLine:
    """An apportioned line, its key and what a population share would give."""

    place: str
    department: str
    programme: str
    subfunction: str
    key: str
    key_year: str
    pence: int
    population_share_pence: int

    @property
    def difference_pence(self) -> int:
        return self.pence - self.population_share_pence


@dataclass
class Reconciliation:
    published: Published
    year: str
    pence: int = 0
    current_pence: int = 0
    capital_pence: int = 0
    population: int = 0
    units: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: list[KeyedLine] = field(default_factory=list)

    @property
    def difference_pence(self) -> int:
        """Published less the tool's count."""
        return self.published.pence - self.pence

    @property
    def beyond_tolerance_pence(self) -> int:
        """How much of the difference lies beyond 10% of the published figure."""
        return max(0, abs(self.difference_pence) - self.published.pence * TOLERANCE // 100)

    @property
    def unexplained_pence(self) -> int:
        explained = sum(a.attributed_pence for a in self.adjustments)
        return self.beyond_tolerance_pence - explained

    def to_dict(self) -> dict[str, Any]:
        p = self.published
        return {
            "id": p.id,
            "label": p.label,
            "year": self.year,
            "published": {
                "pence": p.pence,
                "population": p.population or None,
                "per_head_pence": p.pence // p.population if p.population else None,
                "quote": p.quote,
                "document": p.document,
            },
            "count": {
                "pence": self.pence,
                "current_pence": self.current_pence,
                "capital_pence": self.capital_pence,
                "population": self.population,
                "per_head_pence": self.pence // self.population if self.population else None,
                "units": self.units,
            },
            "ratio": round(self.pence / p.pence, 4),
            "difference_pence": self.difference_pence,
            "within_tolerance": self.beyond_tolerance_pence == 0,
            "beyond_tolerance_pence": self.beyond_tolerance_pence,
            "unexplained_pence": self.unexplained_pence,
            "adjustments": [asdict(a) for a in self.adjustments],
            "lines": [{**asdict(x), "difference_pence": x.difference_pence} for x in self.lines],
            "notes": self.notes,
        }


@cache
def published_counts() -> tuple[Published, ...]:
    """The published figures shipped with the package, in file order."""
    text = files("totalplace").joinpath("data/published_counts.toml").read_text("utf-8")
    return tuple(
        Published(
            id=f["id"],
            label=f["label"],
            place=f["place"],
            pence=int(f["pounds"]) * 100,
            population=int(f["population"]),
            quote=f["quote"],
            document=f["document"],
        )
        for f in tomllib.loads(text)["figure"]
    )


def _populations(reg: Registry, year: str) -> dict[str, int]:
    """Residents of each English region in the year the keys use."""
    pop_year = mid_year(year)
    return {
        region: sum(reg.population(u, pop_year)[0] for u in reg.region_units(region))
        for region in ENGLISH_REGIONS
    }


def _england_identifiable_share(year: str) -> tuple[int, int]:
    """England's identifiable spending over the UK's, as two integers: the key
    non-identifiable spending is shared to England by."""
    england = uk = 0
    for line in regional_lines(year):
        if line.identifiable:
            uk += line.pence
            england += line.pence if line.region in ENGLISH_REGIONS else 0
    return england, uk


def _share(pence: int, part: int, whole: int) -> int:
    """``pence * part / whole`` to the nearest penny, in integers."""
    return (2 * pence * part + whole) // (2 * whole) if whole else 0


def _keyed_lines(
    td: TopDownResult, label: str, reg: Registry, regions: dict[str, int]
) -> list[KeyedLine]:
    pop_year = mid_year(td.year)
    mine: dict[str, int] = defaultdict(int)
    for unit in td.place.units:
        mine[reg.get(unit).region] += reg.population(unit, pop_year)[0]
    return [
        KeyedLine(
            label,
            x.department,
            x.programme,
            x.subfunction,
            x.key,
            x.key_year,
            x.place_pence,
            _share(x.region_pence, mine[x.region], regions[x.region]),
        )
        for x in td.lines
        if x.method == "apportioned"
    ]


def _cra_source(year: str) -> str:
    """The regional database the year's lines come from, as HM Treasury names it."""
    names = sorted({line.source for line in regional_lines(year)})
    return "HM Treasury's Country and Regional Analysis (" + ", ".join(names) + f") for {year}"


def _largest(negative: list[tuple[int, str]], cra: str, year: str, shown: int = 3) -> str:
    """The source of the net receipts: the largest negative lines, by name."""
    if not negative:
        return f"{cra}: no negative lines"
    top = sorted(negative)[:shown]
    named = "; ".join(f"{what} \u2212{_bn(-pence)}" for pence, what in top)
    return f"{cra}{_rs(year)}: {len(negative)} negative lines, the largest {named}"


def _rs(year: str) -> str:
    return f" and the Revenue Outturn Summary {year}" if has_outturn(year) else ""


def net_receipts_pence(td: TopDownResult) -> int:
    """What leaving out a place's negative lines adds to its count: HM Treasury
    and councils record some spending net of receipts, and where receipts are
    the larger the line is negative and lowers the count."""
    return -sum(x.place_pence for x in td.lines if x.place_pence < 0)


def _attribute(rec: Reconciliation) -> None:
    """Take the scope choices that move the figure towards the published one,
    largest first, until the difference beyond 10% is covered."""
    left = rec.beyond_tolerance_pence
    sign = 1 if rec.difference_pence > 0 else -1
    out = []
    for a in sorted(rec.adjustments, key=lambda a: -abs(a.pence)):
        take = min(left, a.pence * sign) if a.pence * sign > 0 else 0
        left -= take
        out.append(Adjustment(a.name, a.pence, a.what, take, a.source))
    rec.adjustments = out


def reconcile(
    year: str, figures: Sequence[str] = (), reg: Registry | None = None
) -> list[Reconciliation]:
    """The tool's count for ``year`` beside each published figure (all, or
    those whose ids are in ``figures``)."""
    reg = reg or registry()
    known = {p.id: p for p in published_counts()}
    unknown = [f for f in figures if f not in known]
    if unknown:
        raise ConfigError(
            f"unknown published figure {', '.join(unknown)}; one of: {', '.join(known)}"
        )
    regions = _populations(reg, year)
    england_pop = sum(regions.values())
    england, uk = _england_identifiable_share(year)
    out = []
    for published in (known[f] for f in (figures or known)):
        specs = sorted(PRESETS) if published.place == PILOTS else [published.place]
        rec = Reconciliation(published, year)
        non_id = population_pence = keyed_pence = lg_outturn = lg_regional = receipts = 0
        negative: list[tuple[int, str]] = []  # (pence, what) of every negative line
        for spec in specs:
            td = topdown(resolve_place(spec, year), year, reg=reg)
            label = td.place.name
            rec.pence += td.total_pence
            rec.capital_pence += sum(
                x.place_pence for x in td.lines if x.capital_current == "capital"
            )
            rec.population += td.population
            rec.units += list(td.place.units)
            rec.notes += [*td.place.as_was]
            keyed = _keyed_lines(td, label, reg, regions)
            rec.lines += keyed
            keyed_pence += sum(x.pence for x in keyed)
            population_pence += sum(x.population_share_pence for x in keyed)
            basis = td.basis_report()
            lg_outturn += int(basis["outturn_pence"])  # type: ignore[call-overload]
            lg_regional += int(basis["regional_replaced_pence"])  # type: ignore[call-overload]
            # the place's share of England's residents, of England's share of the UK
            place_share = _share(td.non_identifiable_pence, england, uk)
            non_id += _share(place_share, td.population, england_pop)
            receipts += net_receipts_pence(td)
            negative += [
                (x.place_pence, f"{label}: {x.department}, {x.programme} ({x.capital_current})")
                for x in td.lines
                if x.place_pence < 0
            ]
        rec.current_pence = rec.pence - rec.capital_pence
        cra = _cra_source(year)
        rec.lines = sorted(rec.lines, key=lambda x: -abs(x.difference_pence))[:LINES_SHOWN]
        rec.adjustments = [
            Adjustment(
                "non-identifiable spending by population",
                non_id,
                "defence, debt interest and other spending HM Treasury does not place in a "
                "region, shared by England's share of identifiable spending and then the "
                "place's share of England's residents; the tool leaves it out",
                source=f"{cra}: the lines not identifiable to a region; residents mid-"
                f"{mid_year(year)}",
            ),
            Adjustment(
                "every apportioned line by population",
                population_pence - keyed_pence,
                "each regional line shared by the place's share of the region's residents "
                "instead of its key (pensioners, need, the bodies serving the place)",
                source=f"{cra}: each apportioned line; residents mid-{mid_year(year)}",
            ),
            Adjustment(
                "local government from the regional lines",
                lg_regional - lg_outturn,
                "HM Treasury's regional local-government lines apportioned, instead of the "
                "councils' and joint bodies' own Revenue Outturn",
                source=f"{cra}: the local-government current lines that outturn "
                f"replaced{_rs(year) or ' (no outturn shipped for the year: nothing replaced)'}",
            ),
            Adjustment(
                "net receipts left out",
                receipts,
                "lines where a body's receipts exceed its spending (the Nuclear Decommissioning "
                "Authority's commercial income, NHS pension contributions, prescription "
                "charges, a council service's fees) are negative and lower the count; a count "
                "of gross spending leaves them out (receipts netted inside positive lines are "
                "not shown separately, so this is the least such a count would add)",
                source=_largest(negative, cra, year),
            ),
            Adjustment(
                "capital left out",
                -rec.capital_pence,
                "the count without capital spending (the pilots included some capital, "
                "in varying ways)",
                source=f"{cra}: the capital lines, apportioned",
            ),
        ]
        _attribute(rec)
        out.append(rec)
    return out


def _bn(pence: int) -> str:
    return f"£{pence / 100e9:,.2f}bn"


def _head(pence: int, people: int) -> str:
    return f"£{pence // people // 100:,}" if people else "not stated"


def markdown(recs: Sequence[Reconciliation]) -> str:
    """The reconciliation as the README's table: one row per published figure."""
    rows = [
        "| figure | published | people | per head | this tool | people | per head | ratio "
        "| beyond 10% | explained by | unexplained |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in recs:
        p = r.published
        why = "; ".join(
            f"{a.name} {_bn(a.attributed_pence)}" for a in r.adjustments if a.attributed_pence
        )
        people = f"{p.population:,}" if p.population else "not stated"
        rows.append(
            f"| {p.label} {r.year} | {_bn(p.pence)} | {people} "
            f"| {_head(p.pence, p.population)} | {_bn(r.pence)} | {r.population:,} "
            f"| {_head(r.pence, r.population)} | {r.pence / p.pence:.1%} "
            f"| {_bn(r.beyond_tolerance_pence)} | {why or '(within 10%)'} "
            f"| {_bn(r.unexplained_pence)} |"
        )
    return "\n".join(rows) + "\n"
