"""The learned fallback: it classifies what no rule does, says so, never
overrides a rule, and leaves a row unclassified below its threshold."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from totalplace.classify import classify_workspace
from totalplace.ingest import ingest_files
from totalplace.workspace import Workspace

HEADER = "Payment Date,Amount,Supplier Name,Purpose"
# What Alpha's rules classify, by the words of its purpose column; the labels
# are in no shipped rule's fields, so only Alpha's own rules place them.
ALPHA_RULES = """publisher = "Alpha Council"

[[rule]]
id = "alpha.placements"
precedence = 300
theme = "older_people"
match.purpose = { prefix = "Residential placement" }

[[rule]]
id = "alpha.potholes"
precedence = 300
theme = "environment_and_transport"
match.purpose = { prefix = "Pothole repair" }

[[rule]]
id = "alpha.books"
precedence = 300
theme = "culture_and_leisure"
match.purpose = { prefix = "Library book stock" }
"""
BETA_RULES = """publisher = "Beta Council"

[[rule]]
id = "beta.odd-potholes"
precedence = 300
theme = "housing_and_regeneration"
note = "Beta books its estate roads under housing: a rule the model would not guess."
match.purpose = "Pothole repair estate road"
"""
# Beta's rows: line -> purpose.  Line 2 has a rule; the rest have none.
BETA = {
    2: "Pothole repair estate road",
    3: "Residential placement fee spot contract",
    4: "Pothole repairs carriageway",
    5: "Library book stock replenishment",
    6: "Quarterly subscription zq",
}


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    kinds = ["Residential placement fees week", "Pothole repair street", "Library book stock order"]
    alpha = [
        f"2011-01-{1 + i % 28:02d},{500 + i}.00,Supplier {i % 7} Ltd,{kinds[i % 3]} {i}"
        for i in range(300)
    ]
    beta = [f"2011-01-05,{1000 + line}.00,Beta Supplier Ltd,{p}" for line, p in BETA.items()]
    assert ingest_files(ws, [_write(tmp_path / "alpha.csv", alpha)], publisher="Alpha Council").ok
    assert ingest_files(ws, [_write(tmp_path / "beta.csv", beta)], publisher="Beta Council").ok
    (ws.root / "rules").mkdir()
    (ws.root / "rules" / "alpha.toml").write_text(ALPHA_RULES, encoding="utf-8")
    (ws.root / "rules" / "beta.toml").write_text(BETA_RULES, encoding="utf-8")
    return ws


def _beta(path: str) -> dict[int, tuple[str | None, str | None, str | None, float | None]]:
    rows = duckdb.sql(
        f"""SELECT c.source_line, c.rule_id, c.theme, c.method, c.confidence
            FROM '{path}' c
            WHERE c.file_id = (SELECT file_id FROM '{path}' GROUP BY file_id
                               HAVING count(*) = {len(BETA)})"""
    ).fetchall()
    return {line: (rule, theme, method, conf) for line, rule, theme, method, conf in rows}


def test_a_row_no_rule_matches_is_classified_by_the_model_with_its_confidence(
    ws: Workspace,
) -> None:
    report = classify_workspace(ws, threshold=0.0, shipped_training=False)
    beta = _beta(report.classified_path)
    assert beta[3][1:3] == ("older_people", "model")
    assert beta[4][1:3] == ("environment_and_transport", "model")
    assert beta[5][1:3] == ("culture_and_leisure", "model")
    for line in (3, 4, 5):
        confidence = beta[line][3]
        assert confidence is not None and 0.0 < confidence < 1.0
    assert report.model is not None and report.model.fitted
    assert report.model.trained_rows == 301  # every row a rule classified: Alpha's 300, Beta's 1
    # every model row is listed for review with its confidence, largest first
    reviewed = {(m.publisher, m.label, m.theme) for m in report.model.review}
    assert ("Beta Council", "residential placement fee spot contract", "older_people") in reviewed
    saved = json.loads((ws.root / "classify_report.json").read_text(encoding="utf-8"))
    assert saved["model"]["review"][0]["confidence"] > 0
    beta_cov = next(c for c in report.by_publisher if c.publisher == "Beta Council")
    assert beta_cov.model_rows == 4 and beta_cov.classified_rows == 5


def test_the_model_never_overrides_a_rule(ws: Workspace) -> None:
    report = classify_workspace(ws, threshold=0.0, shipped_training=False)
    assert _beta(report.classified_path)[2] == (
        "beta.odd-potholes",
        "housing_and_regeneration",
        "rule",
        1.0,
    )
    alpha_methods = duckdb.sql(
        f"SELECT DISTINCT method FROM '{report.classified_path}' WHERE rule_id LIKE 'alpha.%'"
    ).fetchall()
    assert alpha_methods == [("rule",)]


def test_rows_under_the_threshold_stay_unclassified(ws: Workspace) -> None:
    everything = _beta(
        classify_workspace(ws, threshold=0.0, shipped_training=False).classified_path
    )
    confidences = sorted(c for _, _, m, c in everything.values() if m == "model" and c)
    threshold = (confidences[0] + confidences[-1]) / 2  # some rows above it, some below
    kept = _beta(
        classify_workspace(ws, threshold=threshold, shipped_training=False).classified_path
    )
    below = {line for line, (_, _, m, c) in everything.items() if m == "model" and c < threshold}
    assert below and len(below) < len(confidences)
    for line, (rule, theme, method, confidence) in kept.items():
        if line in below:
            assert (rule, theme, method, confidence) == (None, None, None, None)
        elif method == "model":
            assert confidence is not None and confidence >= threshold
            assert theme == everything[line][1]


def test_without_enough_rule_classified_rows_no_model_is_fitted(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    beta = [f"2011-01-05,{1000 + line}.00,Beta Supplier Ltd,{p}" for line, p in BETA.items()]
    assert ingest_files(ws, [_write(tmp_path / "beta.csv", beta)], publisher="Beta Council").ok
    report = classify_workspace(ws, threshold=0.0, shipped_training=False)
    assert report.model is not None and not report.model.fitted
    methods = duckdb.sql(f"SELECT DISTINCT method FROM '{report.classified_path}'").fetchall()
    assert ("model",) not in methods


@pytest.mark.slow
def test_a_council_on_its_own_learns_from_the_shipped_labels(tmp_path: Path) -> None:
    """Expense types that only Bradford's own rules place ("PH1 DrugsAlco
    misuse", "Educ Unitary Chg"; its care-home expense types, used here
    before, are now placed by a generic rule), in a workspace with no other
    publisher: without the shipped labels no model is fitted; with them (the
    default), the model classifies."""
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    src = tmp_path / "lone.csv"
    src.write_text(
        "Payment Date,Amount,Supplier Name,Expense Type\n"
        "2011-01-05,900.00,Acme Ltd,PH1 DrugsAlco misuse\n"
        "2011-01-06,800.00,Acme Ltd,Educ Unitary Chg\n",
        encoding="utf-8",
    )
    assert ingest_files(ws, [src], publisher="Lonely District Council").ok
    alone = classify_workspace(ws, shipped_training=False)
    assert alone.model is not None and not alone.model.fitted
    helped = classify_workspace(ws)  # the shipped labels are learnt from by default
    assert helped.model is not None and helped.model.fitted and helped.model.shipped_labels
    rows = duckdb.sql(
        f"SELECT theme, method FROM '{helped.classified_path}' ORDER BY source_line"
    ).fetchall()
    assert rows == [("drugs_and_alcohol", "model"), ("education_and_skills", "model")]


def test_shipped_labels_name_no_private_individual() -> None:
    """The shipped training labels are derived from published spend files,
    whose payees include people ("MRS ..."); their names must not ship."""
    import csv
    import gzip
    import re
    from importlib import resources

    from totalplace.classify.model import SEPARATOR
    from totalplace.ingest.rowsql import FIRM_RE, PERSONAL_RE, REDACTED_RE

    personal, firm, redacted = (
        re.compile(rx.removeprefix("(?i)"), re.I) for rx in (PERSONAL_RE, FIRM_RE, REDACTED_RE)
    )
    path = resources.files("totalplace").joinpath("data/vocab/training_labels.csv.gz")
    with gzip.open(str(path), "rt", encoding="utf-8") as fh:
        payees = [row["key"].split(SEPARATOR)[-1].strip() for row in csv.DictReader(fh)]
    assert len(payees) > 10_000
    people = [
        p for p in payees if personal.search(p) and not firm.search(p) and not redacted.search(p)
    ]
    assert people == []
