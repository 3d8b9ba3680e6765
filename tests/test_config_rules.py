"""Rule patterns that could run for minutes on one field are refused when the
rules are read, naming the rule and the pattern."""

from __future__ import annotations

import json
import re
import time

import pytest

from totalplace.classify.rules import RuleSet, merge_rule_files, regex_problem
from totalplace.classify.taxonomy import default_taxonomy
from totalplace.errors import ConfigError


def _rules(text: str) -> RuleSet:
    return merge_rule_files([("local.toml", text, False)], default_taxonomy())


def _rule(pattern: str) -> str:
    return (
        '[[rule]]\nid = "x.slow"\nprecedence = 1\ntheme = "health"\n'
        f"match.supplier_name = {{ regex = {json.dumps(pattern)} }}\n"
    )


@pytest.mark.parametrize(
    "pattern",
    ["^(.*a){12}$", "(a+)+", "(a*)*b", "(?:a.*)+$", "(x(a+)y)*", "(a{2,})+", r"(\d+,?)+"],
)
def test_nested_quantifier_is_refused_naming_the_rule_and_pattern(pattern: str) -> None:
    with pytest.raises(ConfigError) as err:
        _rules(_rule(pattern))
    message = str(err.value)
    assert message.startswith("local.toml: rule 'x.slow': match.supplier_name regex")
    assert repr(pattern) in message
    assert "can take minutes on one field" in message


def test_the_refused_pattern_really_is_slow_in_a_backtracking_matcher() -> None:
    # Python's re backtracks as Java's does: 20 a's and no match take a fraction of a
    # second, and each a more doubles it (a 60-character name: centuries)
    slow = re.compile("^(a+)+$")
    start = time.perf_counter()
    assert slow.match("a" * 20 + "!") is None
    assert time.perf_counter() - start > 0.05
    assert regex_problem("^(a+)+$") is not None


@pytest.mark.parametrize(
    "pattern",
    [
        "(a|b)+",
        "(ab)+",
        r"(\d{2}/){3}",
        "(a+)?",
        "(a+){0,1}",
        "[(]a+[)]+",
        r"\(a+\)+",
        "(?:a|b)*c",
        "(?:ab)?c+",
        "^drug|alcohol$",
    ],
)
def test_single_level_repeats_are_still_accepted(pattern: str) -> None:
    assert regex_problem(pattern) is None
