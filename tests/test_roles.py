"""Header mapping: synonyms, drift between months, near-misses and unsure maps."""

from __future__ import annotations

import pytest

from totalplace.errors import MappingError
from totalplace.ingest.roles import Profile, map_columns

MANCHESTER_2010 = [
    "Body Name", "Service Area", "Expenses Type", "Invoice Payment Date",
    "Transaction Number", "Amount", "Supplier Name",
]  # fmt: skip


def test_manchester_headers_drift_from_amount_to_net_amount() -> None:
    before = map_columns("a.csv", MANCHESTER_2010, Profile())
    after = map_columns("b.csv", [h.replace("Amount", "Net Amount") for h in MANCHESTER_2010],
                        Profile())  # fmt: skip
    assert before.index("amount") == after.index("amount") == 5
    assert before.header("payment_date") == "Invoice Payment Date"


def test_leeds_reordered_body_columns_map_the_same_roles() -> None:
    dec = ["Body name", "Body", "Net amount", "Date paid", "Supplier name"]
    jan = ["Body", "Body name", "Net Amount", "Date paid", "Supplier name"]
    for headers in (dec, jan):
        cmap = map_columns("x.csv", headers, Profile())
        assert cmap.header("paying_body") in ("Body name",)
        assert cmap.header("paying_body_id") == "Body"


def test_near_miss_directotate_maps_to_department() -> None:
    headers = ["Date", "Directotate", "Service", "Supplier", "Invoice Line Value (net of VAT)"]
    cmap = map_columns("darlington.csv", headers, Profile())
    assert cmap.header("department") == "Directotate"
    assert cmap.roles["department"][2].startswith("near match")


def test_effective_date_is_not_taken_for_the_payment_date() -> None:
    headers = ["OrganisationLabel", "EffectiveDate", "BeneficiaryName", "PaymentDate", "Amount"]
    assert map_columns("t.csv", headers, Profile()).header("payment_date") == "PaymentDate"


def test_missing_amount_lists_candidates() -> None:
    with pytest.raises(MappingError) as info:
        map_columns("x.csv", ["Date", "Supplier", "Cost"], Profile())
    assert "amount" in str(info.value) and "'Cost'" in str(info.value)


def test_profile_column_missing_from_file_is_named() -> None:
    profile = Profile(source="p.toml", columns={"amount": "Cost"})
    with pytest.raises(MappingError, match='maps amount to column "Cost"'):
        map_columns("x.csv", ["Date", "Supplier", "Value"], profile)
