"""Rule patterns that could run for minutes on one field are refused when the
rules are read, naming the rule and the pattern."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from totalplace.backends import DuckDBBackend, SparkBackend
from totalplace.classify import timelimit
from totalplace.classify.query import classify_rows
from totalplace.classify.rules import RuleSet, load_rules, merge_rule_files, regex_problem
from totalplace.classify.taxonomy import default_taxonomy
from totalplace.cli import app
from totalplace.errors import ConfigError
from totalplace.ingest import ingest_files
from totalplace.workspace import CLASSIFIED_NAME, Workspace


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


def test_a_catastrophic_pattern_is_refused_and_its_plain_form_accepted() -> None:
    # ^(a+)+$ backtracks through every way of cutting a run of a's into groups
    # (2^(n-1) ways for n a's) before it gives up on a name that does not match;
    # ^a+$ matches exactly the same names in one pass, so it is the rewrite to offer
    names = ["a", "aaaa", "aaab", "", "ba"]
    assert [bool(re.match("^(a+)+$", n)) for n in names] == [
        bool(re.match("^a+$", n)) for n in names
    ]
    assert regex_problem("^(a+)+$") is not None
    assert regex_problem("^a+$") is None


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


# -- the time limit on the rules' query ------------------------------------------------


def _workspace(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    src = tmp_path / "spend.csv"
    src.write_text(
        "Payment Date,Supplier Name,Amount\n01/11/2010,Acme Ltd,600.00\n", encoding="utf-8"
    )
    [f] = ingest_files(ws, [src], publisher="Test Council").files
    assert f.status == "loaded", f.message
    return ws


def test_slow_rules_query_is_stopped_at_the_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    ws = _workspace(tmp_path)

    # a query that runs for hours, as a slow pattern over many rows would
    def slow_duckdb(self: DuckDBBackend, table: object, folder: Path) -> None:
        self.con.raw_sql("SELECT sum(hash(i)) FROM range(1000000000000) t(i)").fetchall()

    def slow_spark(self: SparkBackend, table: object, folder: Path) -> None:
        self.session.range(10**13).selectExpr("sum(hash(id))").collect()

    monkeypatch.setattr(DuckDBBackend, "write_parquet", slow_duckdb)
    monkeypatch.setattr(SparkBackend, "write_parquet", slow_spark)
    start = time.perf_counter()
    with timelimit.applied(3), pytest.raises(ConfigError) as err:
        classify_rows(ws, load_rules(), engine)
    assert time.perf_counter() - start < 60
    assert f"time limit of 3 seconds on {engine}" in str(err.value)
    assert "--time-limit" in str(err.value)
    assert not (ws.root / CLASSIFIED_NAME).exists()


def test_rules_query_within_the_limit_is_not_touched(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    with timelimit.applied(300):
        path, _ = classify_rows(ws, load_rules(), "duckdb")
    assert path.exists()
    assert timelimit.limit_for("duckdb") == timelimit.DEFAULT_SECONDS["duckdb"]


def test_time_limit_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="--time-limit 0 must be"), timelimit.applied(0):
        pass


def test_classify_time_limit_option_errors_in_the_one_shape(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    result = CliRunner().invoke(app, ["classify", str(ws.root), "--time-limit", "0", "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError" and "--time-limit 0" in error["message"]
