"""Apportionment keys: which key shares a regional line out, and each unit's weight.

Rules are data (``data/apportionment_keys.toml``); the first rule whose
fields all match a line decides its key.  Weights are integers (residents,
or residents scaled by an age share or a deprivation score) so apportionment
stays exact.  Each key is built from the data of the spending year or the
nearest year shipped, and says which (``Weights.key_year``).  Spending at a
known site (``data/site_keys.toml``) goes to the site's authority instead.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from totalplace.count.councils import service_spend_by_unit
from totalplace.errors import ConfigError
from totalplace.reference.outturn import years
from totalplace.reference.places import Registry

MATCH_FIELDS = (
    "department",
    "programme",
    "function",
    "subfunction",
    "body_type",
    "capital_current",
)
KEYS = (
    "population",
    "population_65plus",
    "children",
    "income_deprived",
    "employment_deprived",
    "children_income_deprived",
    "older_income_deprived",
    "deprivation_weighted",
    "police_force",
    "fire_authority",
    "transport_body",
)
# Keys weighted by what the bodies serving each authority spent on the service
# (Revenue Outturn), not by residents.
SERVICE_KEYS = {"police_force": "police", "fire_authority": "fire", "transport_body": "transport"}


@dataclass(frozen=True)
class KeyRule:
    key: str
    why: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    def matches(self, line: Mapping[str, object]) -> bool:
        return all(p.fullmatch(str(line.get(f) or "")) for f, p in self.patterns)


@dataclass(frozen=True)
class KeyRules:
    rules: tuple[KeyRule, ...]
    source: str

    def rule_for(self, line: Mapping[str, object]) -> KeyRule:
        for rule in self.rules:
            if rule.matches(line):
                return rule
        raise ConfigError(f"{self.source}: no rule matches line {dict(line)}; end with a catch-all")


RULES_FILE = "data/apportionment_keys.toml"
SITES_FILE = "data/site_keys.toml"


def load_rules(path: Path | None = None) -> KeyRules:
    if path is None:
        return _default_rules()
    return _parse(_read(path, "apportionment keys"), str(path))


@cache
def _default_rules() -> KeyRules:
    return _parse(_packaged(RULES_FILE), RULES_FILE)


def _read(path: Path, what: str) -> str:
    """A user's key or site file, or a ConfigError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc}") from exc


def _packaged(name: str) -> str:
    return resources.files("totalplace").joinpath(name).read_text(encoding="utf-8")


def _toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


def _patterns(
    spec: Mapping[str, object], fields: tuple[str, ...], where: str
) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The regular expressions ``spec`` gives for ``fields``, case-insensitive."""
    try:
        return tuple((f, re.compile(str(spec[f]), re.IGNORECASE)) for f in fields if f in spec)
    except re.error as exc:
        raise ConfigError(f"{where}: bad regular expression: {exc}") from exc


def _parse(text: str, source: str) -> KeyRules:
    raw = _toml(text, source)
    rules = []
    for i, spec in enumerate(raw.get("rule", []), start=1):
        key = spec.get("key")
        if key not in KEYS:
            raise ConfigError(f"{source}: rule {i} has key {key!r}; keys are {', '.join(KEYS)}")
        unknown = set(spec) - {"key", "why", *MATCH_FIELDS}
        if unknown:
            raise ConfigError(f"{source}: rule {i} has unknown fields {sorted(unknown)}")
        patterns = _patterns(spec, MATCH_FIELDS, f"{source}: rule {i}")
        rules.append(KeyRule(key, str(spec.get("why", "")), patterns))
    if not rules or rules[-1].patterns:
        raise ConfigError(f"{source}: the last rule must match everything (a rule with only a key)")
    return KeyRules(tuple(rules), source)


SITE_FIELDS = ("department", "programme")


@dataclass(frozen=True)
class SiteRule:
    """Spending at one site: regional lines it matches go to the site's authority."""

    name: str
    region: str
    authority: str  # GSS code as given (former codes allowed)
    source: str
    why: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    def matches(self, region: str, line: Mapping[str, object]) -> bool:
        return region == self.region and all(
            p.fullmatch(str(line.get(f) or "")) for f, p in self.patterns
        )


def load_sites(path: Path | None = None) -> tuple[SiteRule, ...]:
    """The site table: ``data/site_keys.toml``, or a user's file of the same shape."""
    if path is None:
        return _default_sites()
    return _parse_sites(_read(path, "site keys"), str(path))


@cache
def _default_sites() -> tuple[SiteRule, ...]:
    return _parse_sites(_packaged(SITES_FILE), SITES_FILE)


def _parse_sites(text: str, source: str) -> tuple[SiteRule, ...]:
    raw = _toml(text, source)
    out = []
    for i, spec in enumerate(raw.get("site", []), start=1):
        missing = [f for f in ("name", "region", "authority", "source") if not spec.get(f)]
        if missing:
            raise ConfigError(f"{source}: site {i} has no {', '.join(missing)}")
        unknown = set(spec) - {"name", "region", "authority", "source", "why", *SITE_FIELDS}
        if unknown:
            raise ConfigError(f"{source}: site {i} has unknown fields {sorted(unknown)}")
        if not any(f in spec for f in SITE_FIELDS):
            raise ConfigError(f"{source}: site {i} must match a department or programme")
        patterns = _patterns(spec, SITE_FIELDS, f"{source}: site {i}")
        out.append(
            SiteRule(
                name=str(spec["name"]),
                region=str(spec["region"]),
                authority=str(spec["authority"]),
                source=str(spec["source"]),
                why=str(spec.get("why", "")),
                patterns=patterns,
            )
        )
    return tuple(out)


def site_weights(reg: Registry, site: SiteRule, units: tuple[str, ...], year: int) -> Weights:
    """All of a site's line to the current authorities covering the site's authority."""
    found = reg.get(site.authority)
    covering = (found.gss,) if found.current else reg.successors(found.gss)
    by_unit = {u: (1 if u in covering else 0) for u in units}
    if not any(by_unit.values()):
        raise ConfigError(
            f"site {site.name}: {site.authority} is not in {site.region}; fix the site table"
        )
    names = ", ".join(reg.get(u).nice_name for u in covering)
    flags = [f"spending at {site.name} ({found.nice_name}), all to {names}: {site.source}"]
    if site.why:
        flags.append(site.why)
    return Weights(by_unit, tuple(flags), str(year))


@dataclass(frozen=True)
class Weights:
    by_unit: dict[str, int]
    flags: tuple[str, ...]  # why these weights are an estimate
    # the year of the data the key is built from; where it combines several
    # (residents of one year, age shares of another), the one farthest from
    # the spending, so a reader sees the worst case
    key_year: str = ""


# A key's data more than this many years from the spending is flagged on the line.
STALE_YEARS = 2
# Scores and shares are read as integers (score x 10,000; percent x 10) so weights stay exact.
SCORE_SCALE = 10_000
PCT_SCALE = 10
# Keys built from residents times a need or age measure: (table, column, age base).
NEED_KEYS = {
    "income_deprived": ("income", ""),
    "employment_deprived": ("employment", ""),
    "children_income_deprived": ("idaci", "pct_under16"),
    "older_income_deprived": ("idaopi", "pct_over65"),
    "deprivation_weighted": ("imd", ""),
}
AGE_KEYS = {"population_65plus": "pct_over65", "children": "pct_under16"}
NEED_WHAT = {
    "income": "IoD income domain score (share of residents income deprived)",
    "employment": "IoD employment domain score (share of working-age residents out of work)",
    "idaci": "IoD income deprivation affecting children (share of children under 16)",
    "idaopi": "IoD income deprivation affecting older people (share of people aged 60+)",
    "imd": "IMD average score as a need proxy",
}


def _read_keys_table(name: str) -> list[dict[str, str]]:
    ref = resources.files("totalplace.reference").joinpath("data", "keys", name)
    return list(csv.DictReader(io.StringIO(ref.read_text(encoding="utf-8"))))


@cache
def age_shares() -> dict[str, tuple[int, dict[str, int]]]:
    """Per current authority: the year of its age shares and the shares (percent x 10)."""
    return {
        r["gss"]: (
            int(r["year"]),
            {c: round(Decimal(r[c]) * PCT_SCALE) for c in ("pct_under16", "pct_over65")},
        )
        for r in _read_keys_table("age.csv")
    }


@cache
def need_scores() -> dict[str, dict[int, dict[str, int]]]:
    """Per current authority and IoD edition: domain average scores (x 10,000)."""
    out: dict[str, dict[int, dict[str, int]]] = {}
    for r in _read_keys_table("need.csv"):
        scores = {c: round(Decimal(r[c]) * SCORE_SCALE) for c in NEED_WHAT}
        out.setdefault(r["gss"], {})[int(r["edition"])] = scores
    return out


def nearest_outturn_year(year: int) -> str:
    """The Revenue Outturn year nearest to the financial year starting in ``year``."""
    available = years()
    return min(available, key=lambda y: (abs(int(y[:4]) - year), y))


def _stale(key_year: int, year: int) -> str | None:
    gap = abs(key_year - year)
    if gap <= STALE_YEARS:
        return None
    return f"key data from {key_year}, {gap} years from the spending ({year})"


def _service_weights(reg: Registry, key: str, units: tuple[str, ...], year: int) -> Weights:
    rs_year = nearest_outturn_year(year)
    spend = service_spend_by_unit(reg, rs_year, SERVICE_KEYS[key])
    by_unit = {u: spend.get(u, 0) for u in units}
    flags = [f"{SERVICE_KEYS[key]} spending of the bodies serving each authority (RS {rs_year})"]
    if rs_year[:4] != str(year):
        flags.append(
            f"RS {rs_year} is the nearest outturn year to {year}: areas' shares assumed stable"
        )
    if not any(by_unit.values()):
        return weights(reg, "population", units, year)
    missing = [u for u, w in by_unit.items() if w == 0]
    if missing:
        flags.append(f"{len(missing)} authorities with no {SERVICE_KEYS[key]} outturn get none")
    if stale := _stale(int(rs_year[:4]), year):
        flags.append(stale)
    return Weights(by_unit, tuple(sorted(flags)), rs_year[:4])


def _edition(found: Mapping[int, object], year: int) -> int:
    """The IoD edition nearest the spending year (the earlier on a tie)."""
    return min(found, key=lambda e: (abs(e - year), e))


def weights(reg: Registry, key: str, units: tuple[str, ...], year: int) -> Weights:
    """Integer weights of ``units`` for ``key`` in mid-``year``, from the data of
    that year or the nearest year shipped (the year used is ``key_year``)."""
    if key in SERVICE_KEYS:
        return _service_weights(reg, key, units, year)
    flags: set[str] = set()
    by_unit: dict[str, int] = {}
    data_years: set[int] = set()
    for u in units:
        people, flag = reg.population(u, year)
        pop_year = reg.population_year(u, year)
        data_years.add(pop_year)
        if flag:
            flags.add(f"population {flag} ({pop_year} for {year})")
        weight = people
        age_column = AGE_KEYS.get(key) or NEED_KEYS.get(key, ("", ""))[1]
        if age_column:
            found_age = age_shares().get(u)
            if found_age is None:
                raise ConfigError(f"no age shares for {u}: use a keys file without {key}")
            age_year, shares = found_age
            data_years.add(age_year)
            what = "under 16" if age_column == "pct_under16" else "65 and over"
            flags.add(f"share aged {what} from {age_year} applied to {year} residents")
            weight *= shares[age_column]
        else:
            weight *= PCT_SCALE * 100  # the same scale as an age share of 100%
        if key in NEED_KEYS:
            column = NEED_KEYS[key][0]
            editions = need_scores().get(u)
            if not editions:
                raise ConfigError(f"no IoD scores for {u}: use a keys file without {key}")
            edition = _edition(editions, year)
            data_years.add(edition)
            flags.add(f"{NEED_WHAT[column]}, IoD {edition}")
            weight *= editions[edition][column]
        by_unit[u] = weight
    key_year = max(data_years, key=lambda y: (abs(y - year), y)) if data_years else year
    if stale := _stale(key_year, year):
        flags.add(stale)
    return Weights(by_unit, tuple(sorted(flags)), str(key_year))
