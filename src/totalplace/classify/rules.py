"""Classification rules as data: load, check and merge the TOML rule files.

The shipped rules (``data/rules/*.toml``) come first; a workspace's own
``DIR/rules/*.toml`` then add rules, replace a shipped rule by using its id,
or switch one off with ``enabled = false``.  Rules are tried in order of
``precedence`` (higher first), then of id (alphabetical), and the first that
matches a row classifies it.  Two rules with the same precedence and the same
conditions would both match the same rows, so that is refused.

A rule file::

    publisher = "Leeds City Council"   # optional: every rule here needs this publisher

    [[rule]]
    id = "leeds.adults"
    precedence = 100
    theme = "adult_social_care"        # a taxonomy theme; pass-through rules have none
    tier = "acute"                     # optional: the theme's tier when left out
    pass_through = false
    ignore_case = false                # true: fields are lower-cased, write values in lower case
    note = "why the rule is right"
    match.service = "Adult Social Care"            # exact
    match.expense_type = ["Fees", "Grants"]        # exact, any of
    match.supplier_name = { prefix = "HMRC" }      # prefix (one or a list)
    match.purpose = { regex = "^drug|alcohol" }    # regular expression, searched

Every condition of a rule must hold.  A rule whose conditions (other than
the publisher or paying body) could hold for any value is a catch-all: the
rows it takes are kept with its rule id but do not count as classified.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from totalplace.classify.taxonomy import Taxonomy, Theme, default_taxonomy, parse_theme
from totalplace.errors import ConfigError

# Columns of the spend table a rule may match on; `publisher` comes from the
# file's provenance.
MATCH_FIELDS = (
    "publisher",
    "paying_body",
    "supplier_name",
    "department",
    "service",
    "service_detail",
    "service_code",
    "expense_type",
    "expense_code",
    "sercop_code",
    "bvacop_code",
    "proclass_code",
    "proclass_label",
    "capital_revenue",
    "purpose",
    "supplier_kind",
    "publisher_kind",
)
# Derived before the rules run, not read from the spend table: the kind of the
# payee's body, and of the file's publisher, when the name resolves in the
# organisation registry.
DERIVED_FIELDS = frozenset({"supplier_kind", "publisher_kind"})
# Who paid narrows a rule's reach but says nothing about what the money was for.
SCOPE_FIELDS = frozenset({"publisher", "paying_body"})
MATCH_KINDS = ("exact", "prefix", "regex")
SHIPPED_DIR = "data/rules"
_RULE_KEYS = frozenset(
    {"id", "precedence", "theme", "tier", "pass_through", "ignore_case", "note", "match", "enabled"}
)
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class Condition:
    field: str
    kind: str  # one of MATCH_KINDS
    values: tuple[str, ...]  # any of them (lower-cased when the rule ignores case)

    @property
    def always_true(self) -> bool:
        """Holds for every non-null value: an empty prefix or a pattern matching ''."""
        if self.kind == "prefix":
            return "" in self.values
        if self.kind == "regex":
            return any(re.search(python_pattern(v), "") for v in self.values)
        return False


@dataclass(frozen=True)
class Rule:
    id: str
    precedence: int
    conditions: tuple[Condition, ...]
    theme: str | None
    tier: str | None
    pass_through: bool
    ignore_case: bool
    note: str
    source: str  # the file the rule was read from

    @property
    def catch_all(self) -> bool:
        return all(c.field in SCOPE_FIELDS or c.always_true for c in self.conditions)

    def is_for(self, publisher: str) -> bool:
        """The rule is scoped to ``publisher`` alone (ignoring case)."""
        want = publisher.casefold()
        return any(
            c.field == "publisher" and c.kind == "exact" and _casefolded(c.values) == [want]
            for c in self.conditions
        )


def _casefolded(values: Iterable[str]) -> list[str]:
    return [v.casefold() for v in values]


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]  # in the order they are tried
    taxonomy: Taxonomy
    sources: tuple[str, ...] = field(default=())

    def fields(self) -> list[str]:
        """The match fields some rule uses, in MATCH_FIELDS order."""
        used = {c.field for r in self.rules for c in r.conditions}
        return [f for f in MATCH_FIELDS if f in used]

    def without_publisher(self, publisher: str) -> RuleSet:
        """These rules less those written for ``publisher`` (its rules file's
        ``publisher``, compared ignoring case): what a publisher nobody wrote
        rules for would get."""
        return RuleSet(
            tuple(r for r in self.rules if not r.is_for(publisher)), self.taxonomy, self.sources
        )


def load_rules(workspace_rules: Path | None = None) -> RuleSet:
    """The shipped rules, merged with the ``*.toml`` files of ``workspace_rules``."""
    from totalplace.classify.vocab import vocabulary_rules_file  # it reads this module's types

    taxonomy = default_taxonomy()
    shipped_dir = resources.files("totalplace").joinpath(SHIPPED_DIR)
    shipped = sorted(
        (p for p in shipped_dir.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name
    )
    files: list[tuple[str, str, bool]] = [
        (f"{SHIPPED_DIR}/{p.name}", p.read_text(encoding="utf-8"), False) for p in shipped
    ]
    files.append(vocabulary_rules_file(taxonomy))
    if workspace_rules is not None and workspace_rules.is_dir():
        for path in sorted(workspace_rules.glob("*.toml")):
            try:
                files.append((str(path), path.read_text(encoding="utf-8"), True))
            except OSError as exc:
                raise ConfigError(f"{path}: cannot read rules: {exc}") from exc
    return merge_rule_files(files, taxonomy)


def merge_rule_files(files: Iterable[tuple[str, str, bool]], taxonomy: Taxonomy) -> RuleSet:
    """Merge (source, TOML text, is_override) files in order; an override file's
    rule replaces the earlier rule with its id."""
    parsed = [(source, _load_toml(text, source), override) for source, text, override in files]
    for source, data, _ in parsed:
        extra = {
            tid: parse_theme(tid, raw, taxonomy.tiers, source)
            for tid, raw in data.get("themes", {}).items()
        }
        taxonomy = taxonomy.with_themes(extra, source) if extra else taxonomy
    by_id: dict[str, Rule] = {}
    disabled: set[str] = set()
    for source, data, override in parsed:
        seen_here: set[str] = set()
        for raw in _rule_tables(data, source):
            rule_id = str(raw.get("id", ""))
            if rule_id in seen_here or (rule_id in by_id and not override):
                raise ConfigError(
                    f"{source}: rule {rule_id!r} is defined twice; give one of them another id "
                    "(a workspace rules file may reuse a shipped id to replace that rule)"
                )
            seen_here.add(rule_id)
            if raw.get("enabled", True) is False:
                by_id.pop(rule_id, None)
                disabled.add(rule_id)
                continue
            by_id[rule_id] = parse_rule(raw, data.get("publisher"), taxonomy, source)
    ordered = tuple(sorted(by_id.values(), key=lambda r: (-r.precedence, r.id)))
    _refuse_ties(ordered)
    return RuleSet(ordered, taxonomy, tuple(s for s, _, _ in parsed))


def _load_toml(text: str, source: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"publisher", "themes", "rule"})
    if unknown:
        raise ConfigError(
            f"{source}: unknown top-level key {unknown[0]!r}; a rules file holds "
            "publisher, [themes.<id>] and [[rule]] tables"
        )
    if "publisher" in data and not isinstance(data["publisher"], str):
        raise ConfigError(f"{source}: publisher must be a string")
    return data


def _rule_tables(data: Mapping[str, Any], source: str) -> list[dict[str, Any]]:
    rules = data.get("rule", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ConfigError(f"{source}: write rules as [[rule]] tables")
    return rules


def parse_rule(
    raw: Mapping[str, Any], publisher: str | None, taxonomy: Taxonomy, source: str
) -> Rule:
    """One [[rule]] table, checked; ``publisher`` is the file's scope."""
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        raise ConfigError(
            f"{source}: every rule needs an id of lower-case letters, digits, '.', '-' or '_'; "
            f"got {rule_id!r}"
        )
    where = f"{source}: rule {rule_id!r}"
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}")
    precedence = raw.get("precedence")
    if not isinstance(precedence, int) or isinstance(precedence, bool):
        raise ConfigError(f"{where}: precedence must be an integer (higher wins)")
    pass_through = _flag(raw, "pass_through", where)
    ignore_case = _flag(raw, "ignore_case", where)
    theme, tier = _theme_and_tier(raw, pass_through, taxonomy, where)
    match = raw.get("match", {})
    if not isinstance(match, dict):
        raise ConfigError(f'{where}: match must be a table such as match.service = "..."')
    if publisher is not None and "publisher" not in match:
        match = {"publisher": publisher, **match}
    conditions = tuple(
        _condition(name, spec, ignore_case, where) for name, spec in sorted(match.items())
    )
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise ConfigError(f"{where}: note must be a string")
    return Rule(
        rule_id, precedence, conditions, theme, tier, pass_through, ignore_case, note, source
    )


def _flag(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false")
    return value


def _theme_and_tier(
    raw: Mapping[str, Any], pass_through: bool, taxonomy: Taxonomy, where: str
) -> tuple[str | None, str | None]:
    theme, tier = raw.get("theme"), raw.get("tier")
    if pass_through:
        if theme is not None or tier is not None:
            raise ConfigError(f"{where}: a pass-through rule takes no theme or tier; remove them")
        return None, None
    known: Mapping[str, Theme] = taxonomy.themes
    if not isinstance(theme, str) or theme not in known:
        raise ConfigError(
            f"{where}: theme {theme!r} is not in the taxonomy; use one of "
            f"{', '.join(sorted(known))}, add a [themes.<id>] table, or set pass_through = true"
        )
    if tier is None:
        return theme, known[theme].tier
    if tier not in taxonomy.tiers:
        raise ConfigError(f"{where}: tier {tier!r} is not one of {', '.join(taxonomy.tiers)}")
    return theme, tier


def _condition(name: str, spec: Any, ignore_case: bool, where: str) -> Condition:
    if name not in MATCH_FIELDS:
        raise ConfigError(
            f"{where}: cannot match on {name!r}; use one of {', '.join(MATCH_FIELDS)}"
        )
    if isinstance(spec, dict):
        if len(spec) != 1 or next(iter(spec)) not in MATCH_KINDS:
            raise ConfigError(
                f"{where}: match.{name} must be {{ exact = ... }}, {{ prefix = ... }} "
                "or { regex = ... } (exactly one)"
            )
        kind, value = next(iter(spec.items()))
    else:
        kind, value = "exact", spec
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: match.{name} needs a string or a non-empty list of strings")
    if kind == "regex":
        for pattern in values:
            problem = regex_problem(pattern, ignore_case)
            if problem:
                raise ConfigError(f"{where}: match.{name} regex {pattern!r}: {problem}")
        return Condition(name, kind, tuple(values))
    return Condition(name, kind, tuple(v.lower() if ignore_case else v for v in values))


def _refuse_ties(rules: tuple[Rule, ...]) -> None:
    seen: dict[tuple[int, bool, frozenset[Condition]], Rule] = {}
    for rule in rules:
        key = (rule.precedence, rule.ignore_case, frozenset(rule.conditions))
        if key in seen:
            other = seen[key]
            raise ConfigError(
                f"{rule.source}: rule {rule.id!r} has the same precedence and conditions as "
                f"rule {other.id!r} ({other.source}), so both match the same rows; "
                "change one's precedence, or replace the other by reusing its id"
            )
        seen[key] = rule


# -- the portable regular-expression subset ------------------------------------
#
# DuckDB runs RE2 and Spark runs java.util.regex; a pattern must mean the same
# on both.  Allowed: literals, . ^ $ |, groups ( ) and (?: ), greedy or lazy
# quantifiers (* + ? {n} {n,} {n,m}), flat classes [a-z] [^...], the escapes
# \d \D \w \W (ASCII on both) \t \A \z \xHH \x{HHHH}, and escaped ASCII
# punctuation.  Fields reach a pattern with line breaks turned into spaces,
# so . and $ agree too.  Everything else is refused with what to write instead.

_QUANTIFIER = re.compile(r"\{\d+(,\d*)?\}")
_HEX = re.compile(r"x([0-9A-Fa-f]{2}|\{[0-9A-Fa-f]{1,6}\})")
_HEX_BRACES = re.compile(r"(?<!\\)\\x\{([0-9A-Fa-f]{1,6})\}")
_PLAIN_ESCAPES = frozenset("dDwWtAz")
_ESCAPE_ADVICE = {
    "b": r"\b is Unicode-aware on Java 17 but ASCII on RE2; write (^|[^a-z0-9]) instead",
    "B": r"\B differs between RE2 and Java; spell out the characters you mean",
    "s": r"\s also matches a vertical tab on Java; write [ \t]",
    "S": r"\S differs between RE2 and Java; write [^ \t]",
    "p": r"\p{..} classes are named differently on RE2 and Java; list the characters",
    "P": r"\P{..} classes are named differently on RE2 and Java; list the characters",
    "Q": r"\Q..\E quoting is not portable; escape each punctuation character with \ instead",
    "u": r"\uHHHH is Java only; write \x{HHHH}",
    "n": "fields are matched with line breaks turned into spaces; match a space",
    "r": "fields are matched with line breaks turned into spaces; match a space",
    "k": "backreferences are not supported by RE2; match the text itself",
}


def python_pattern(pattern: str) -> str:
    """A portable pattern for Python's re, which spells \\x{HHHH} as \\UHHHHHHHH
    and RE2's end of text \\z as \\Z."""
    pattern = re.sub(r"(?<!\\)((?:\\\\)*)\\z", r"\1\\Z", pattern)
    return _HEX_BRACES.sub(lambda m: f"\\U{int(m.group(1), 16):08x}", pattern)


def regex_problem(pattern: str, ignore_case: bool = False) -> str | None:
    """Why ``pattern`` is outside the portable subset, or None when it is inside."""
    problem = _subset_problem(pattern, ignore_case) or _nested_quantifier(pattern)
    if problem:
        return problem
    try:
        re.compile(python_pattern(pattern))
    except re.error as exc:
        return f"it is not a valid regular expression ({exc})"
    return None


def _subset_problem(pattern: str, ignore_case: bool) -> str | None:
    i, in_class, class_start, after_quantifier = 0, False, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            problem = _escape_problem(pattern, i + 1)
            if problem:
                return problem
            hex_escape = _HEX.match(pattern, i + 1)
            i += 1 + (hex_escape.end() - i - 1 if hex_escape else 1)
            after_quantifier = False
            continue
        if ignore_case and c.isupper():
            return (
                "with ignore_case the field is lower-cased first; write the pattern in lower case"
            )
        if in_class:
            if c == "]":
                if i == class_start:
                    return r"a ']' first in a class is read differently by RE2 and Java; write \]"
                in_class = False
            elif c == "[":
                return r"nested classes and [:alpha:] are not portable; escape a literal [ as \["
            elif pattern.startswith("&&", i):
                return r"'&&' in a class is intersection on Java only; escape it as \&\&"
            i += 1
            continue
        quantifier = False
        if c == "[":
            in_class = True
            class_start = i + 1 + (pattern[i + 1 : i + 2] == "^")
        elif c == "(" and pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
            return _group_problem(pattern[i : i + 4])
        elif c == "+" and after_quantifier:
            return "possessive quantifiers (*+, ++, ?+) are Java only; drop the extra +"
        elif c in "*+?":
            quantifier = not (c == "?" and after_quantifier)  # "*?" is lazy, not a new quantifier
        elif c == "{":
            m = _QUANTIFIER.match(pattern, i)
            if not m:
                return r"a '{' that does not open {n}, {n,} or {n,m}; escape it as \{"
            i, after_quantifier = m.end(), True
            continue
        elif c == "}":
            return r"an unmatched '}'; escape it as \}"
        after_quantifier = quantifier
        i += 1
    return None


_REPEAT = re.compile(r"[*+]|\{(\d+)(,(\d*))?\}")


def _nested_quantifier(pattern: str) -> str | None:
    """A group that can match a varying length and is itself repeated, such as
    ``(a+)+`` or ``^(.*a){12}$``: Java's backtracking matcher (Spark's) can try
    every way of dividing a text between the two and run for minutes on one
    field, so such patterns are refused (the pattern is read after the
    portable-subset check, so escapes and classes are well formed)."""
    varies: list[bool] = []  # one entry per open group: something inside repeats
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            hex_escape = _HEX.match(pattern, i + 1)
            i = hex_escape.end() if hex_escape else i + 2
            continue
        if c == "[":
            i = _class_end(pattern, i)
            continue
        if c == "(":
            varies.append(False)
            i += 3 if pattern.startswith("(?:", i) else 1
            continue
        if c == ")" and varies:
            inner = varies.pop()
            m = _REPEAT.match(pattern, i + 1)
            if inner and m and _repeats(m):
                return (
                    "a repeated group holds a repeat of its own (as in (a+)+ or (.*a){12}), "
                    "which can take minutes on one field; repeat only the innermost part, "
                    "e.g. (ab)+ or a+, or list the texts"
                )
            if inner and varies:
                varies[-1] = True
            if m and varies and _varies(m):
                varies[-1] = True
            if m:
                i = m.end()
                continue
        elif c in "*+?" or (c == "{" and _REPEAT.match(pattern, i)):
            m = _REPEAT.match(pattern, i)
            if varies and (c == "?" or (m is not None and _varies(m))):
                varies[-1] = True
            if m is not None:
                i = m.end()
                continue
        i += 1
    return None


def _repeats(m: re.Match[str]) -> bool:
    """The quantifier can match its operand more than once."""
    if m.group(0) in ("*", "+"):
        return True
    low, comma, high = m.group(1), m.group(2), m.group(3)
    return (comma is not None and (not high or int(high) > 1)) or int(low) > 1


def _varies(m: re.Match[str]) -> bool:
    """The quantifier can match a varying number of times."""
    if m.group(0) in ("*", "+"):
        return True
    low, comma, high = m.group(1), m.group(2), m.group(3)
    return comma is not None and (not high or int(high) != int(low))


def _class_end(pattern: str, start: int) -> int:
    """The index after the class that opens at ``start``."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _escape_problem(pattern: str, at: int) -> str | None:
    if at >= len(pattern):
        return "it ends with a lone backslash"
    c = pattern[at]
    if c in _ESCAPE_ADVICE:
        return _ESCAPE_ADVICE[c]
    if c.isdigit():
        return "backreferences and octal escapes are not portable; write the character itself"
    if c == "x":
        return None if _HEX.match(pattern, at) else r"write a hex escape as \xHH or \x{HHHH}"
    if c in _PLAIN_ESCAPES:
        return None
    if c.isalnum() or c == "_" or ord(c) > 127:
        return f"\\{c} is not an escape RE2 and Java read the same way; write the character"
    return None  # escaped ASCII punctuation is a literal on both


def _group_problem(opening: str) -> str:
    if opening.startswith(("(?=", "(?!", "(?<=", "(?<!")):
        return "lookahead and lookbehind are not supported by RE2; match the text itself"
    if opening.startswith(("(?P", "(?<")):
        return "named groups are written differently on RE2 and Java; use (?: ) or ( )"
    if opening.startswith("(?>"):
        return "atomic groups are Java only; use (?: )"
    return "inline flags such as (?i) are not portable; set ignore_case = true on the rule"
