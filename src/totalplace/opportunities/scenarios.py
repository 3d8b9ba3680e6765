"""Scenarios: what a stated change to the place's spending is worth, from
the count, in pounds and per head, with the lines it touches and who gains.

A scenario file (TOML) names itself and lists its changes::

    [scenario]
    name = "One per cent"
    description = "1% efficiency across all the place's spending"

    [[change]]
    kind = "efficiency"            # x% off the spending chosen
    percent = "1"
    theme = "health"               # optional: one theme, or a list; all when left out
    agency = "Northmoor PCT"       # optional: one agency, or a list

    [[change]]
    kind = "shared_back_office"    # bodies share one back office at y% saving on it
    bodies = ["Council A", "Council B"]
    percent = "20"

    [[change]]
    kind = "pool"                  # these lines in one budget (nothing saved)
    themes = ["children_and_families", "education_and_skills"]
    agencies = []                  # optional: only these agencies' lines

    [[change]]
    kind = "shift"                 # z% of the theme's acute spending to prevention
    theme = "health"
    percent = "5"
    to = "targeted"                # or "universal"

How each is worked:

* **efficiency**: x% of the chosen lines' spending.  With no theme and no
  agency it is x% of the count's total (after transfers between the place's
  bodies are taken out), so "1% of £7.1bn" is £71m.  Shared among agencies
  pro rata to their spending on the lines (largest remainders).
* **shared_back_office**: y% of the named bodies' corporate and back-office
  spending; each body gains y% of its own.
* **pool**: the lines' total as one budget, with each agency's contribution;
  money is pooled, not saved.
* **shift**: z% of the theme's acute spending (the count's tier, or the
  theme's where a line has none) moves to the target tier, agency by agency;
  money moves, it is not saved.

Percentages are decimal text or numbers ("1", 2.5); money is worked in exact
decimals and rounded to the penny once, half to even.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from totalplace.classify.taxonomy import PASS_THROUGH, default_taxonomy
from totalplace.count.apportion import largest_remainder
from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.errors import ConfigError
from totalplace.opportunities.prevention import ACUTE, PREVENTION, line_tier
from totalplace.tomlfile import read_toml

__all__ = [
    "KINDS",
    "Scenario",
    "count_of",
    "load_scenario",
    "run_scenario",
    "shipped_scenarios",
]

KINDS = ("efficiency", "shared_back_office", "pool", "shift")
BACK_OFFICE = "corporate_and_back_office"
SAVES = ("efficiency", "shared_back_office")  # changes whose money is a saving
_KEYS = {
    "efficiency": ({"kind", "percent"}, {"theme", "agency", "note"}),
    "shared_back_office": ({"kind", "percent", "bodies"}, {"note"}),
    "pool": ({"kind"}, {"themes", "agencies", "note"}),
    "shift": ({"kind", "percent", "theme"}, {"to", "from", "note"}),
}


@dataclass(frozen=True)
class Change:
    kind: str
    percent: Decimal
    themes: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    to: str = "targeted"
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: str
    changes: tuple[Change, ...] = field(default=())


def shipped_scenarios() -> list[Path]:
    """The example scenario files shipped with totalplace."""
    folder = resources.files("totalplace") / "data" / "scenarios"
    return sorted(Path(str(folder / p.name)) for p in folder.iterdir() if p.name.endswith(".toml"))


# -- reading ------------------------------------------------------------------------------


def load_scenario(path: Path) -> Scenario:
    """A scenario file, checked; ConfigError naming file, table and field."""
    data = read_toml(path, "scenario")
    head = data.get("scenario", {})
    if not isinstance(head, dict) or not str(head.get("name", "")).strip():
        raise ConfigError(f'{path}: [scenario] name is missing: give the scenario a name = "..."')
    unknown = sorted(set(data) - {"scenario", "change"})
    if unknown:
        raise ConfigError(
            f"{path}: [{unknown[0]}] is not a scenario table: use [scenario] and [[change]]"
        )
    raw = data.get("change", [])
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{path}: no [[change]] table: a scenario states at least one change")
    tiers = default_taxonomy().tiers
    changes = tuple(_change(path, i, c, tiers) for i, c in enumerate(raw, start=1))
    return Scenario(str(head["name"]).strip(), str(head.get("description", "")), str(path), changes)


def _change(path: Path, n: int, raw: Any, tiers: tuple[str, ...]) -> Change:
    where = f"{path}: [[change]] {n}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} is not a table")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where} kind is {kind!r}: give one of {', '.join(KINDS)}")
    need, may = _KEYS[kind]
    missing = sorted(need - set(raw))
    if missing:
        raise ConfigError(f"{where} ({kind}) needs {', '.join(missing)}")
    extra = sorted(set(raw) - need - may)
    if extra:
        raise ConfigError(
            f"{where} ({kind}) has {extra[0]!r}: it takes {', '.join(sorted(need | may))}"
        )
    percent = _percent(where, raw.get("percent", 0)) if "percent" in need else Decimal(0)
    themes = _names(where, "theme" if kind != "pool" else "themes", raw)
    agencies = _names(where, {"efficiency": "agency", "pool": "agencies"}.get(kind, "bodies"), raw)
    known = set(default_taxonomy().themes)
    for t in themes:
        if t not in known:
            raise ConfigError(
                f"{where} theme {t!r} is not a theme; themes: {', '.join(sorted(known))}"
            )
    to = str(raw.get("to", "targeted"))
    if kind == "shift":
        if raw.get("from", ACUTE) != ACUTE or to not in PREVENTION:
            raise ConfigError(
                f"{where} (shift) moves money from {ACUTE!r} to one of {', '.join(PREVENTION)}; "
                f"got from {raw.get('from', ACUTE)!r} to {to!r} (tiers: {', '.join(tiers)})"
            )
        if len(themes) != 1:
            raise ConfigError(f"{where} (shift) needs one theme")
    if kind == "shared_back_office" and len(agencies) < 2:
        raise ConfigError(f"{where} (shared_back_office) bodies lists at least two bodies")
    return Change(kind, percent, themes, agencies, to, str(raw.get("note", "")))


def _percent(where: str, value: Any) -> Decimal:
    try:
        got = Decimal(str(value)) if not isinstance(value, bool) else Decimal(-1)
    except InvalidOperation:
        got = Decimal(-1)
    if not got.is_finite() or not Decimal(0) <= got <= Decimal(100):
        raise ConfigError(
            f'{where} percent is {value!r}: give a percentage from 0 to 100, e.g. "1"'
        )
    return got


def _names(where: str, key: str, raw: dict[str, Any]) -> tuple[str, ...]:
    value = raw.get(key, [])
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(x, str) and x.strip() for x in items):
        raise ConfigError(f"{where} {key} is {value!r}: give a name or a list of names")
    return tuple(x.strip() for x in items if x.strip().lower() != "all")


# -- the count ----------------------------------------------------------------------------


def count_of(data: dict[str, Any]) -> PlaceCount:
    """A count's JSON as lines: ``totalplace count``'s count.json, or
    ``totalplace topdown --json`` (its lines by department, themed as the
    count themes them)."""
    from totalplace.report.count_file import place_count

    if isinstance(data.get("place"), dict) and "by_department" not in data:
        return place_count(data)
    from totalplace.count.topdown import TopDownLine, line_theme

    lines = []
    for raw in data.get("lines", []):
        td = TopDownLine(
            **{
                **raw,
                "flags": tuple(raw.get("flags", ())),
                "key_share_parts": tuple(raw.get("key_share_parts", (0, 1))),
            }
        )
        agency = td.programme.split(":")[0] if td.method == "outturn" else td.department
        lines.append(
            CountLine(
                agency=agency, agency_type=td.body_type, funder=td.department,
                theme=line_theme(td), function=td.function, tier="not known",
                capital_revenue="capital" if td.capital_current == "capital" else "revenue",
                method=td.method, part="top_down", gross_net="as published", grade=td.grade,
                pence=td.place_pence, source=td.source, body=td.body,
            )
        )  # fmt: skip
    from totalplace.reference.places import Place

    place = data.get("place", {})
    return PlaceCount(
        place=Place(
            spec=str(place.get("spec", place.get("gss", ""))),
            name=str(place.get("name", "")),
            codes=(),
            units=(),
        ),
        year=str(data.get("year", "")),
        engine="topdown",
        population=int(data.get("population", 0)),
        lines=lines,
    )


# -- working ------------------------------------------------------------------------------


def _at(percent: Decimal, pence: int) -> int:
    return int((percent / 100 * pence).quantize(Decimal(1), ROUND_HALF_EVEN))


def _per_head(pence: int, population: int) -> int | None:
    if population <= 0:
        return None
    return int((Decimal(pence) / population).quantize(Decimal(1), ROUND_HALF_EVEN))


def _split(total: int, by_agency: dict[str, int]) -> dict[str, int]:
    weights = {a: p for a, p in by_agency.items() if p > 0}
    if not weights or total == 0:
        return {}
    return _sorted(largest_remainder(total, weights))


def _sorted(d: dict[str, int]) -> dict[str, int]:
    return dict(sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))


def _line_dict(x: CountLine) -> dict[str, Any]:
    return {"agency": x.agency, "theme": x.theme, "tier": x.tier, "method": x.method,
            "pence": x.pence}  # fmt: skip


def _selected(
    count: PlaceCount, themes: tuple[str, ...], agencies: tuple[str, ...]
) -> list[CountLine]:
    want_a = {a.casefold() for a in agencies}
    return [
        x
        for x in count.lines
        if x.theme != PASS_THROUGH
        and (not themes or x.theme in themes)
        and (not agencies or x.agency.casefold() in want_a)
    ]


def _by_agency(lines: list[CountLine]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for x in lines:
        out[x.agency] += x.pence
    return _sorted(out)


def _unknown_agencies(count: PlaceCount, agencies: tuple[str, ...], where: str) -> None:
    have = {x.agency.casefold() for x in count.lines}
    missing = [a for a in agencies if a.casefold() not in have]
    if missing:
        names = ", ".join(sorted({x.agency for x in count.lines}))
        raise ConfigError(
            f"{where}: {missing[0]!r} is not an agency in the count; agencies: {names}"
        )


def work_change(count: PlaceCount, change: Change, where: str = "") -> dict[str, Any]:
    """One change's money, lines and agencies."""
    field = {"efficiency": "agency", "pool": "agencies"}.get(change.kind, "bodies")
    _unknown_agencies(count, change.agencies, f"{where} ({change.kind}) {field}")
    if change.kind == "efficiency":
        lines = _selected(count, change.themes, change.agencies)
        everything = not change.themes and not change.agencies
        base = count.total_pence if everything else sum(x.pence for x in lines)
        pence = _at(change.percent, base)
        by_agency = _split(pence, _by_agency(lines))
        what = f"{change.percent}% efficiency on " + (
            "the whole count" if everything else _scope(change.themes, change.agencies)
        )
    elif change.kind == "shared_back_office":
        lines = _selected(count, (BACK_OFFICE,), change.agencies)
        base = sum(x.pence for x in lines)
        by_agency = {a: _at(change.percent, p) for a, p in _by_agency(lines).items()}
        pence = sum(by_agency.values())
        what = f"{change.percent}% saving on the shared back office of {', '.join(change.agencies)}"
    elif change.kind == "pool":
        lines = _selected(count, change.themes, change.agencies)
        base = pence = sum(x.pence for x in lines)
        by_agency = _by_agency(lines)
        what = "one pooled budget of " + _scope(change.themes, change.agencies)
    else:
        lines = [x for x in _selected(count, change.themes, ()) if line_tier(x)[0] == ACUTE]
        base = sum(x.pence for x in lines)
        by_agency = {a: _at(change.percent, p) for a, p in _by_agency(lines).items()}
        pence = sum(by_agency.values())
        what = f"{change.percent}% of {change.themes[0]}'s acute spending moved to {change.to}"
    return {
        "kind": change.kind,
        "description": what,
        "percent": str(change.percent),
        "base_pence": base,
        "pence": pence,
        "per_head_pence": _per_head(pence, count.population),
        "saving": change.kind in SAVES,
        "lines_affected": len(lines),
        "_touched": {id(x) for x in lines},
        "lines": [_line_dict(x) for x in sorted(lines, key=lambda x: -x.pence)[:50]],
        "by_agency": _sorted(by_agency),
        "note": change.note,
    }


def _scope(themes: tuple[str, ...], agencies: tuple[str, ...]) -> str:
    parts = []
    if themes:
        parts.append("themes " + ", ".join(themes))
    if agencies:
        parts.append("agencies " + ", ".join(agencies))
    return " of ".join(parts) or "every line"


def run_scenario(count: PlaceCount, scenario: Scenario) -> dict[str, Any]:
    """A scenario on a count: each change, and the scenario's saving (its
    efficiency and back-office changes), money moved (shifts) and pooled."""
    changes = [
        work_change(count, c, f"{scenario.path}: [[change]] {n}")
        for n, c in enumerate(scenario.changes, start=1)
    ]
    # a line two changes touch is one line affected
    touched = set().union(*(c.pop("_touched") for c in changes))
    saving = sum(c["pence"] for c in changes if c["saving"])
    gains: dict[str, int] = defaultdict(int)
    for c in changes:
        if c["saving"]:
            for a, p in c["by_agency"].items():
                gains[a] += p
    return {
        "name": scenario.name,
        "description": scenario.description,
        "file": scenario.path,
        "place": {"spec": count.place.spec, "name": count.place.name},
        "year": count.year,
        "population": count.population,
        "count_total_pence": count.total_pence,
        "saving_pence": saving,
        "saving_per_head_pence": _per_head(saving, count.population),
        "moved_pence": sum(c["pence"] for c in changes if c["kind"] == "shift"),
        "pooled_pence": sum(c["pence"] for c in changes if c["kind"] == "pool"),
        "lines_affected": len(touched),
        "gains_by_agency": _sorted(gains),
        "changes": changes,
    }
