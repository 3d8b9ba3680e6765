"""Classify spend rows to Total Place themes with rules kept as data.

``classify_workspace`` applies the shipped rules (with the standard
vocabularies of ``data/vocab``) and the workspace's own (``DIR/rules/*.toml``),
then the learned fallback (:mod:`totalplace.classify.model`) on the rows the
rules leave; writes ``DIR/classified.parquet`` (one row per loaded spend row:
file_id, source_line, rule_id, theme, tier, pass_through, catch_all, method,
confidence) and ``DIR/classify_report.json``, and returns the coverage report
with the model's rows listed for review.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from totalplace.classify.coverage import PublisherCoverage, UnclassifiedLabel, coverage
from totalplace.classify.model import THRESHOLD, ModelLabel, ModelSummary
from totalplace.classify.query import (
    ENGINES,
    ModelOptions,
    classify_rows,
    run_classification,
)
from totalplace.classify.rules import MATCH_FIELDS, Rule, RuleSet, load_rules, regex_problem
from totalplace.classify.taxonomy import (
    PASS_THROUGH,
    Taxonomy,
    Theme,
    default_taxonomy,
    theme_for_cofog,
    theme_for_outturn_line,
)
from totalplace.workspace import CLASSIFIED_NAME, Workspace, atomic_write

REPORT_NAME = "classify_report.json"
RULES_DIR = "rules"


@dataclass(frozen=True)
class ClassifyReport:
    engine: str
    rules: int  # rules applied, after the workspace's overrides
    rule_files: list[str]
    classified_path: str
    by_publisher: list[PublisherCoverage]
    # The learned fallback: what it was trained on, what it classified, and the
    # label combinations it classified with the most money, for review.
    model: ModelSummary | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def classify_workspace(
    ws: Workspace,
    engine: str = "duckdb",
    top: int = 10,
    model: bool = True,
    threshold: float = THRESHOLD,
    shipped_training: bool = True,
) -> ClassifyReport:
    """Classify every loaded row of ``ws`` and report coverage per publisher;
    ``model=False`` leaves what the rules do not classify unclassified;
    ``shipped_training`` (the default) lets the model learn from the shipped
    labels of the shared spend files when the workspace has rule-classified
    rows from fewer than three publishers: a council studied on its own has
    no other publishers' rows to learn from, and its own rules may be none.
    Runs under the workspace's writer lock."""
    with ws.writing():
        return _classify(ws, engine, top, model, threshold, shipped_training)


def _classify(
    ws: Workspace, engine: str, top: int, model: bool, threshold: float, shipped_training: bool
) -> ClassifyReport:
    rules = load_rules(ws.root / RULES_DIR)
    options = (
        ModelOptions(threshold=threshold, shipped_training=shipped_training) if model else None
    )
    path, summary = classify_rows(ws, rules, engine, options)
    report = ClassifyReport(
        engine=engine,
        rules=len(rules.rules),
        rule_files=list(rules.sources),
        classified_path=str(path),
        by_publisher=coverage(ws, path, top=top),
        model=summary,
    )
    atomic_write(ws.root / REPORT_NAME, json.dumps(report.to_dict(), indent=2))
    return report


__all__ = [
    "CLASSIFIED_NAME",
    "ENGINES",
    "MATCH_FIELDS",
    "PASS_THROUGH",
    "THRESHOLD",
    "ClassifyReport",
    "ModelLabel",
    "ModelOptions",
    "ModelSummary",
    "PublisherCoverage",
    "Rule",
    "RuleSet",
    "Taxonomy",
    "Theme",
    "UnclassifiedLabel",
    "classify_rows",
    "classify_workspace",
    "coverage",
    "default_taxonomy",
    "load_rules",
    "regex_problem",
    "run_classification",
    "theme_for_cofog",
    "theme_for_outturn_line",
]
