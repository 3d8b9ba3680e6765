"""Apportionment keys: which key shares a regional line out, and each unit's weight.

Rules are data (``data/apportionment_keys.toml``); the first rule whose
fields all match a line decides its key.  Weights are integers (residents,
or residents scaled by a proxy) so apportionment stays exact.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

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


def load_rules(path: Path | None = None) -> KeyRules:
    if path is None:
        return _default_rules()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read apportionment keys: {exc}") from exc
    return _parse(text, str(path))


@cache
def _default_rules() -> KeyRules:
    ref = resources.files("totalplace").joinpath("data/apportionment_keys.toml")
    return _parse(ref.read_text(encoding="utf-8"), "data/apportionment_keys.toml")


def _parse(text: str, source: str) -> KeyRules:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    rules = []
    for i, spec in enumerate(raw.get("rule", []), start=1):
        key = spec.get("key")
        if key not in KEYS:
            raise ConfigError(f"{source}: rule {i} has key {key!r}; keys are {', '.join(KEYS)}")
        unknown = set(spec) - {"key", "why", *MATCH_FIELDS}
        if unknown:
            raise ConfigError(f"{source}: rule {i} has unknown fields {sorted(unknown)}")
        try:
            patterns = tuple(
                (f, re.compile(str(spec[f]), re.IGNORECASE)) for f in MATCH_FIELDS if f in spec
            )
        except re.error as exc:
            raise ConfigError(f"{source}: rule {i}: bad regular expression: {exc}") from exc
        rules.append(KeyRule(key, str(spec.get("why", "")), patterns))
    if not rules or rules[-1].patterns:
        raise ConfigError(f"{source}: the last rule must match everything (a rule with only a key)")
    return KeyRules(tuple(rules), source)


@dataclass(frozen=True)
class Weights:
    by_unit: dict[str, int]
    flags: tuple[str, ...]  # why these weights are an estimate


def nearest_outturn_year(year: int) -> str:
    """The Revenue Outturn year nearest to the financial year starting in ``year``."""
    available = years()
    return min(available, key=lambda y: (abs(int(y[:4]) - year), y))


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
    return Weights(by_unit, tuple(sorted(flags)))


def weights(reg: Registry, key: str, units: tuple[str, ...], year: int) -> Weights:
    """Integer weights of ``units`` for ``key`` in mid-``year``."""
    if key in SERVICE_KEYS:
        return _service_weights(reg, key, units, year)
    flags: set[str] = set()
    by_unit: dict[str, int] = {}
    for u in units:
        people, flag = reg.population(u, year)
        if flag:
            flags.add(f"population {flag}")
        if key == "population_65plus":
            pct, pct_year, pct_flag = reg.pct_over65(u)
            flags.add(f"share aged 65+ from {pct_year} applied to {year} (proxy)")
            if pct_flag:
                flags.add(pct_flag)
            by_unit[u] = round(people * pct * 1000)
        elif key == "deprivation_weighted":
            found = reg.imd(u)
            if found is None or found[1] is None:
                raise ConfigError(f"no IMD score for {u}: use a keys file without this key")
            flags.add(f"IMD {found[2]} average score as a need proxy")
            by_unit[u] = round(people * found[1] * 1000)
        else:
            by_unit[u] = people * 1000
    return Weights(by_unit, tuple(sorted(flags)))
