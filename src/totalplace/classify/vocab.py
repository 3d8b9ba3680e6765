"""Standard vocabularies as rules: SeRCOP service divisions and lines, CIPFA
subjective names, Proclass top levels.

A vocabulary file (``data/vocab/*.toml``) lists the names a standard gives
its categories, each with the theme it places money in, or none when the
name says only what was bought.  When rules are loaded, every term with a
theme becomes one rule per field the vocabulary is published in, matched
whole, ignoring case, "&" for "and", a missing apostrophe and extra spaces;
so a council nobody wrote rules for is classified by the standard names its
file carries.  The taxonomy's own SeRCOP service lines become rules the same
way.  Rules made here are ordinary rules: a workspace rules file replaces one
by its id (``vocab.<vocabulary>.<term>.<field>``) or switches it off.

A vocabulary file::

    [vocabulary]
    id = "sercop-division"
    title = "SeRCOP/BVACOP service divisions"
    fields = ["service", "department"]   # where publishers put these names
    code_field = "proclass_code"         # optional: a term's code starts the codes there
    precedence = 18

    [[term]]
    name = "Adult Social Care"
    also = ["Adult Social Services"]     # other published spellings
    code = "32"                          # optional, only with code_field
    theme = "adult_social_care"          # optional: no theme, no rule
    note = "why"
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from totalplace.classify.taxonomy import Taxonomy
from totalplace.errors import ConfigError

VOCAB_DIR = "data/vocab"
SERCOP_LINE_PRECEDENCE = 19
SERCOP_LINE_FIELDS = ("service", "service_detail", "department")
_VOCAB_KEYS = frozenset({"id", "title", "fields", "code_field", "precedence"})
_TERM_KEYS = frozenset({"name", "also", "code", "theme", "note"})
_CODE = re.compile(r"^[0-9]{1,6}$")


@dataclass(frozen=True)
class Term:
    name: str
    spellings: tuple[str, ...]  # the name first, then the other spellings
    code: str | None
    theme: str | None
    note: str


@dataclass(frozen=True)
class Vocabulary:
    id: str
    title: str
    fields: tuple[str, ...]
    code_field: str | None
    precedence: int
    terms: tuple[Term, ...]
    source: str


def name_pattern(names: Iterable[str]) -> str:
    """A portable, lower-case pattern matching any of ``names`` whole."""
    alternatives = []
    for name in names:
        words = name.lower().split()
        alternatives.append(" +".join(_word_pattern(w) for w in words))
    return "^ *(" + "|".join(alternatives) + ") *$"


def _word_pattern(word: str) -> str:
    if word in ("and", "&"):
        return "(and|&)"
    out = []
    for c in word:
        if c in "'\u2019":
            out.append("['\u2019]?")
        elif c.isalnum() or ord(c) > 127:
            out.append(c)
        else:
            out.append("\\" + c)  # ASCII punctuation, escaped, is a literal on RE2 and Java
    return "".join(out)


def load_vocabularies() -> list[Vocabulary]:
    folder = resources.files("totalplace").joinpath(VOCAB_DIR)
    paths = sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    return [parse_vocabulary(p.read_text(encoding="utf-8"), f"{VOCAB_DIR}/{p.name}") for p in paths]


def parse_vocabulary(text: str, source: str) -> Vocabulary:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    head = data.get("vocabulary")
    if not isinstance(head, dict) or set(head) - _VOCAB_KEYS:
        raise ConfigError(
            f"{source}: needs a [vocabulary] table with only {', '.join(sorted(_VOCAB_KEYS))}"
        )
    fields = head.get("fields")
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        raise ConfigError(f"{source}: vocabulary.fields must list the fields the names are in")
    precedence = head.get("precedence")
    if not isinstance(precedence, int) or not 10 <= precedence <= 99:
        raise ConfigError(f"{source}: vocabulary.precedence must be in the generic band 10-99")
    code_field = head.get("code_field")
    terms = tuple(_term(raw, code_field, source) for raw in data.get("term", []))
    return Vocabulary(
        str(head.get("id", "")),
        str(head.get("title", "")),
        tuple(fields),
        code_field if isinstance(code_field, str) else None,
        precedence,
        terms,
        source,
    )


def _term(raw: Any, code_field: Any, source: str) -> Term:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ConfigError(f"{source}: every [[term]] needs a name")
    where = f"{source}: term {raw['name']!r}"
    if set(raw) - _TERM_KEYS:
        raise ConfigError(f"{where}: unknown key {sorted(set(raw) - _TERM_KEYS)[0]!r}")
    also = raw.get("also", [])
    if not isinstance(also, list) or not all(isinstance(a, str) for a in also):
        raise ConfigError(f"{where}: also must be a list of names")
    code = raw.get("code")
    bad_code = not isinstance(code, str) or not _CODE.match(code) or code_field is None
    if code is not None and bad_code:
        raise ConfigError(f"{where}: a code needs vocabulary.code_field and must be digits")
    theme = raw.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise ConfigError(f"{where}: theme must be a taxonomy theme id")
    return Term(raw["name"], (raw["name"], *also), code, theme, str(raw.get("note", "")))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def vocabulary_rule_tables(
    vocabularies: Iterable[Vocabulary], taxonomy: Taxonomy
) -> list[dict[str, Any]]:
    """The [[rule]] tables the vocabularies and the taxonomy's SeRCOP lines make."""
    tables: list[dict[str, Any]] = []
    for vocab in vocabularies:
        for term in vocab.terms:
            if term.theme is None:
                continue
            note = f"{vocab.title}: {term.name}. {term.note}".strip()
            base = {"precedence": vocab.precedence, "theme": term.theme, "ignore_case": True}
            for field in vocab.fields:
                tables.append(
                    {
                        "id": f"vocab.{vocab.id}.{_slug(term.name)}.{field}",
                        **base,
                        "note": note,
                        "match": {field: {"regex": name_pattern(term.spellings)}},
                    }
                )
            if term.code is not None and vocab.code_field is not None:
                width = 6 - len(term.code)
                tables.append(
                    {
                        "id": f"vocab.{vocab.id}.{_slug(term.name)}.{vocab.code_field}",
                        **base,
                        "note": f"{note} (code {term.code}: six-digit codes starting so)",
                        "match": {
                            vocab.code_field: {"regex": f"^ *{term.code}[0-9]{{{width}}} *$"}
                        },
                    }
                )
    for theme in sorted(taxonomy.themes.values(), key=lambda t: t.id):
        lines = [s.split(": ", 1)[1] for s in theme.sercop if ": " in s]
        if not lines:
            continue
        for field in SERCOP_LINE_FIELDS:
            tables.append(
                {
                    "id": f"vocab.sercop-line.{_slug(theme.id)}.{field}",
                    "precedence": SERCOP_LINE_PRECEDENCE,
                    "theme": theme.id,
                    "ignore_case": True,
                    "note": f"SeRCOP service lines of {theme.label} (taxonomy.toml)",
                    "match": {field: {"regex": name_pattern(lines)}},
                }
            )
    return tables


def vocabulary_rules_file(taxonomy: Taxonomy) -> tuple[str, str, bool]:
    """The vocabulary rules as one rules file (source, TOML text, not an override)."""
    lines = []
    for table in vocabulary_rule_tables(load_vocabularies(), taxonomy):
        lines.append("[[rule]]")
        for key in ("id", "precedence", "theme", "ignore_case", "note"):
            lines.append(f"{key} = {json.dumps(table[key])}")
        for field, spec in table["match"].items():
            lines.append(f"match.{field} = {{ regex = {json.dumps(spec['regex'])} }}")
        lines.append("")
    return (VOCAB_DIR, "\n".join(lines), False)
