"""Generic rules on words only one service uses, and on what was bought when
nothing else places a payment: they classify a publisher nobody wrote rules
for, and a service label still wins over them.  Synthetic files, rules alone
(no model), so each row's theme comes from one rule."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from totalplace.classify import classify_workspace
from totalplace.ingest import ingest_files
from totalplace.workspace import Workspace

HEADER = "Payment Date,Amount,Supplier Name,Service,Expense Type,Purpose,Proclass Label"
# line -> (supplier, service, expense type, purpose, proclass label)
ROWS = {
    2: ("Track Works Ltd", "", "Signalling", "Procurement of signalling", ""),
    3: ("Civils Ltd", "", "General Civils", "To maintain and improve the railway", ""),
    4: ("Riverside Housing Association Ltd", "", "Grants to Registered Providers", "", ""),
    5: ("Northern Homes", "", "Rough Sleeping Initiative", "", ""),
    6: ("Acme Ltd", "", "", "", "HR : Agency Staff"),
    7: ("Acme Ltd", "", "", "", "Financial Services"),
    8: ("Acme Ltd", "", "", "", "CONSULTANCY : Traffic Planning"),
    9: ("Acme Ltd", "Children's Services", "", "", "HR : Agency Staff"),
    10: ("Octagon Housing Trust", "", "Repairs", "", ""),
    11: ("Octagon Housing Trust", "Adult Social Care", "Repairs", "", ""),
}


def _classify(tmp_path: Path) -> dict[int, tuple[str | None, str | None]]:
    lines = [HEADER] + [
        f"2011-01-05,{1000 + line}.00,{s},{sv},{e},{p},{pc}"
        for line, (s, sv, e, p, pc) in ROWS.items()
    ]
    path = tmp_path / "unseen.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    assert ingest_files(ws, [path], publisher="Unseen Borough Council").ok
    report = classify_workspace(ws, model=False)
    rows = duckdb.sql(
        f"SELECT source_line, rule_id, theme FROM read_parquet('{report.classified_path}')"
    ).fetchall()
    return {int(line): (rule, theme) for line, rule, theme in rows}


@pytest.fixture
def classified(tmp_path: Path) -> dict[int, tuple[str | None, str | None]]:
    return _classify(tmp_path)


def test_railway_words_are_transport_for_a_publisher_nobody_wrote_rules_for(
    classified: dict[int, tuple[str | None, str | None]],
) -> None:
    assert classified[2] == ("generic.expense.railway", "environment_and_transport")
    assert classified[3] == ("generic.purpose.railway", "environment_and_transport")


def test_grants_to_registered_providers_and_rough_sleeping_are_housing(
    classified: dict[int, tuple[str | None, str | None]],
) -> None:
    assert classified[4] == ("generic.expense.housing-grants", "housing_and_regeneration")
    assert classified[5] == ("generic.expense.housing-grants", "housing_and_regeneration")


def test_a_housing_association_payee_is_housing_unless_a_service_label_says_otherwise(
    classified: dict[int, tuple[str | None, str | None]],
) -> None:
    assert classified[10] == ("generic.payee.housing-association", "housing_and_regeneration")
    assert classified[11][1] == "adult_social_care"


def test_support_services_bought_with_no_service_label_are_back_office(
    classified: dict[int, tuple[str | None, str | None]],
) -> None:
    assert classified[6] == ("generic.proclass.support-services", "corporate_and_back_office")
    assert classified[7] == ("generic.proclass.support-services", "corporate_and_back_office")


def test_consultancy_is_not_back_office_by_its_category_alone(
    classified: dict[int, tuple[str | None, str | None]],
) -> None:
    """Consultancy's second level names the service advised on (traffic
    planning here), so the category alone does not make it back office."""
    assert classified[8][1] != "corporate_and_back_office"


def test_a_service_label_beats_the_support_services_category(
    classified: dict[int, tuple[str | None, str | None]],
) -> None:
    assert classified[9][1] == "children_and_families"
