"""The theme taxonomy: themes, prevention tiers, and the maps from COFOG and outturn lines.

The taxonomy is data (``data/taxonomy.toml``).  Each COFOG function, COFOG
subfunction and Revenue Outturn line belongs to at most one theme, checked
when the file is read, so :func:`theme_for_cofog` and
:func:`theme_for_outturn_line` never have to choose.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from totalplace.errors import ConfigError

TAXONOMY_FILE = "data/taxonomy.toml"
# The class of payments that are not spending on services (precepts, levies,
# tax paid over to HMRC...): kept and shown, never counted in a theme.
PASS_THROUGH = "pass_through"
_THEME_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# "10.4 Family and children" -> "10.4"; "7. Health" -> "7"; "EU transactions" -> itself
_COFOG_CODE = re.compile(r"^(\d+)(?:\.([0-9A-Z]+))?\.?\s")


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    tier: str  # the tier a rule gets when it states none
    sercop: tuple[str, ...] = ()
    cofog: tuple[str, ...] = ()
    outturn: tuple[str, ...] = ()
    function: str = ""  # the COFOG function the theme's spending counts under, if stated


@dataclass(frozen=True)
class Taxonomy:
    themes: Mapping[str, Theme]
    tiers: tuple[str, ...]
    pass_through_outturn: frozenset[str]
    by_cofog: Mapping[str, str]  # COFOG code ("10.4", "7", "EU transactions") -> theme id
    by_outturn: Mapping[str, str]  # outturn line id -> theme id

    def with_themes(self, extra: Mapping[str, Theme], source: str) -> Taxonomy:
        """This taxonomy with more themes (from a workspace's rules files)."""
        clash = sorted(set(extra) & set(self.themes))
        if clash:
            raise ConfigError(
                f"{source}: theme {clash[0]!r} is already in the taxonomy; "
                "give the new theme another id or use the existing one"
            )
        return Taxonomy(
            {**self.themes, **extra},
            self.tiers,
            self.pass_through_outturn,
            self.by_cofog,
            self.by_outturn,
        )


def cofog_code(label: str) -> str:
    """The code a COFOG label starts with ("10.4 Family and children" -> "10.4");
    labels without one ("EU transactions") are their own code."""
    m = _COFOG_CODE.match(label.strip())
    if not m:
        return label.strip()
    return m.group(1) if m.group(2) is None else f"{m.group(1)}.{m.group(2)}"


def parse_theme(theme_id: str, raw: Any, tiers: tuple[str, ...], source: str) -> Theme:
    """A theme from its TOML table, checked."""
    if not _THEME_ID.match(theme_id) or theme_id == PASS_THROUGH:
        raise ConfigError(
            f"{source}: theme id {theme_id!r} must be lower-case snake_case "
            f"and not {PASS_THROUGH!r}"
        )
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [themes.{theme_id}] must be a table")
    unknown = sorted(set(raw) - {"label", "tier", "sercop", "cofog", "outturn", "function"})
    if unknown:
        raise ConfigError(f"{source}: theme {theme_id!r} has unknown key {unknown[0]!r}")
    tier = raw.get("tier")
    if tier not in tiers:
        raise ConfigError(
            f"{source}: theme {theme_id!r} needs a tier, one of {', '.join(tiers)}; got {tier!r}"
        )
    lists = {}
    for key in ("sercop", "cofog", "outturn"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: theme {theme_id!r}: {key} must be a list of strings")
        lists[key] = tuple(value)
    return Theme(
        theme_id,
        str(raw.get("label") or theme_id.replace("_", " ").capitalize()),
        tier,
        **lists,
        function=str(raw.get("function", "")),
    )


def parse_taxonomy(text: str, source: str) -> Taxonomy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    tiers = tuple(data.get("tiers", ()))
    if not tiers:
        raise ConfigError(f"{source}: list the prevention tiers in `tiers`")
    themes = {tid: parse_theme(tid, raw, tiers, source) for tid, raw in data["themes"].items()}
    by_cofog: dict[str, str] = {}
    by_outturn: dict[str, str] = {}
    for theme in themes.values():
        for label in theme.cofog:
            _claim(by_cofog, cofog_code(label), theme.id, f"COFOG {label!r}", source)
        for line in theme.outturn:
            _claim(by_outturn, line, theme.id, f"outturn line {line!r}", source)
    pass_through = frozenset(data.get("pass_through_outturn", ()))
    both = sorted(pass_through & set(by_outturn))
    if both:
        raise ConfigError(f"{source}: outturn line {both[0]!r} is both pass-through and a theme's")
    return Taxonomy(themes, tiers, pass_through, by_cofog, by_outturn)


def _claim(index: dict[str, str], key: str, theme: str, what: str, source: str) -> None:
    if key in index and index[key] != theme:
        raise ConfigError(f"{source}: {what} is in two themes, {index[key]} and {theme}")
    index[key] = theme


@cache
def default_taxonomy() -> Taxonomy:
    ref = resources.files("totalplace").joinpath(TAXONOMY_FILE)
    return parse_taxonomy(ref.read_text(encoding="utf-8"), TAXONOMY_FILE)


def theme_label(theme: str) -> str:
    """A theme as people name it: the taxonomy's label, else its id in words
    (a workspace's own rules may add a theme the shipped taxonomy lacks)."""
    if theme == PASS_THROUGH:
        return "Passed through (not spending on services)"
    found = default_taxonomy().themes.get(theme)
    if found is not None:
        return found.label
    return theme.replace("_", " ").strip().capitalize() or "(no theme)"


def theme_for_cofog(function: str, subfunction: str | None = None) -> str:
    """The theme of a COFOG function and subfunction as HM Treasury labels them
    ("10. Social protection", "10.2 Old age"): the subfunction's theme if it
    has one, else the function's."""
    index = default_taxonomy().by_cofog
    if subfunction and (theme := index.get(cofog_code(subfunction))):
        return theme
    try:
        return index[cofog_code(function)]
    except KeyError:
        raise ConfigError(
            f"COFOG function {function!r} has no theme; add it to a theme's cofog list "
            f"in {TAXONOMY_FILE}"
        ) from None


def theme_for_outturn_line(line: str) -> str:
    """The theme of a Revenue Outturn line id ("adult_social_care"), or
    :data:`PASS_THROUGH` for precepts and levies."""
    taxonomy = default_taxonomy()
    if line in taxonomy.pass_through_outturn:
        return PASS_THROUGH
    try:
        return taxonomy.by_outturn[line]
    except KeyError:
        raise ConfigError(
            f"outturn line {line!r} has no theme; service lines and benefit lines have one "
            f"(see {TAXONOMY_FILE})"
        ) from None


# The COFOG functions as HM Treasury labels them, by their top-level code.
COFOG_FUNCTIONS = {
    "1": "1. General public services",
    "2": "2. Defence",
    "3": "3. Public order and safety",
    "4": "4. Economic affairs",
    "5": "5. Environment protection",
    "6": "6. Housing and community amenities",
    "7": "7. Health",
    "8": "8. Recreation, culture and religion",
    "9": "9. Education",
    "10": "10. Social protection",
}


def function_for_theme(theme_id: str) -> str:
    """The COFOG function a theme's spending counts under: the theme's stated
    ``function``, else the function of its first COFOG entry, else ""."""
    theme = default_taxonomy().themes.get(theme_id)
    if theme is None:
        return ""
    if theme.function:
        return theme.function
    for label in theme.cofog:
        top = cofog_code(label).split(".")[0]
        if top in COFOG_FUNCTIONS:
            return COFOG_FUNCTIONS[top]
    return ""
