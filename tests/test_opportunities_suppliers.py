"""Shared suppliers: one supplier under two spellings paid by two agencies,
its spend from the count's own rows, and its price dispersion worked by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from totalplace.demo import run_demo
from totalplace.ingest import ingest_files
from totalplace.opportunities.suppliers import (
    assemble,
    shared_supplier_expr,
    shared_suppliers,
    supplier_key,
)
from totalplace.report.count_file import place_count, read_count
from totalplace.report.run import count_workspace
from totalplace.workspace import Workspace

CITY = "Northmoor City Council"
FIRE = "Northmoor Fire and Rescue Authority"
# ACME's payments for training, in pounds: the city's four and a refund, the
# fire authority's one (as "Acme Limited").  Worked by hand over the positive
# payments 100, 200, 300, 400 and 1,000:
#   mean 400; squared distances 90,000 + 40,000 + 10,000 + 0 + 360,000 =
#   500,000, over 5 = 100,000; standard deviation 316.23; CV = 0.791
#   quartiles (QUARTILE.INC): positions 1 and 3 of 0..4 -> 200 and 400; ratio 2.000
CITY_ACME = ("100.00", "200.00", "300.00", "400.00", "-50.00")
FIRE_ACME = ("1000.00",)


def _city_csv(path: Path) -> Path:
    lines = ["Body Name,Service Area,Expenses Type,Invoice Payment Date,Transaction Number,"
             "Amount,Supplier Name"]  # fmt: skip
    lines += [
        f"{CITY},Corporate Services,Training,2010-06-{i + 1:02d},ACME{i},{amount},ACME LTD"
        for i, amount in enumerate(CITY_ACME)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fire_csv(path: Path) -> Path:
    lines = ["Payment Date,Supplier Name,Expense Type,Amount,Transaction Number"]
    lines += [
        f"201006,Acme Limited,Training,{amount},FACME{i}" for i, amount in enumerate(FIRE_ACME)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def acme_place(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The demo place, with ACME paid by the city as "ACME LTD" and by the
    fire authority as "Acme Limited"."""
    root = tmp_path_factory.mktemp("acme")
    _, ws = run_demo(root / "demo")
    ingest_files(ws, [_city_csv(root / "city-acme.csv")])
    ingest_files(ws, [_fire_csv(root / "fire-acme.csv")], FIRE)
    count_workspace(ws)
    return ws


def test_two_spellings_of_one_company_are_one_shared_supplier(acme_place: Workspace) -> None:
    """Guards against matching suppliers on their raw names: "ACME LTD" and
    "Acme Limited" are one supplier, paid by two agencies, with the refund
    netted from the city's spend."""
    count = place_count(read_count(acme_place.root))
    found = {s.key: s for s in shared_suppliers(acme_place, count)}
    acme = found["acme limited"]
    assert acme.names == ("ACME LTD", "Acme Limited")
    by_agency = {a.agency: (a.pence, a.payments) for a in acme.agencies}
    assert by_agency == {CITY: (95_000, 5), FIRE: (100_000, 1)}
    assert acme.pence == 195_000
    (training,) = [d for d in acme.dispersion if d.expense_type == "Training"]
    assert (training.payments, training.mean_pence, training.agencies) == (5, 40_000, 2)
    assert training.cv == Decimal("0.791")
    assert training.iqr_ratio == Decimal("2.000")


def test_shared_suppliers_spend_is_within_the_counts_transaction_cells(
    acme_place: Workspace,
) -> None:
    """Guards against reading payments the count does not hold: each agency's
    spend with its shared suppliers is no more than its transaction lines'
    gross positive payments, and every agency named is one of the count's."""
    count = place_count(read_count(acme_place.root))
    agencies = {x.agency for x in count.lines if x.method == "transactions"}
    found = shared_suppliers(acme_place, count)
    assert len(found) >= 5  # the demo's councils share contractors
    assert [s.pence for s in found] == sorted((s.pence for s in found), reverse=True)
    for s in found:
        assert len(s.agencies) >= 2
        assert {a.agency for a in s.agencies} <= agencies
        assert s.pence == sum(a.pence for a in s.agencies)


def test_people_and_withheld_names_are_never_one_supplier() -> None:
    """Guards against "REDACTED" or "Personal data" joining two agencies'
    payments to different people into one shared supplier."""
    assert supplier_key("REDACTED - personal data") == ""
    assert supplier_key("Withheld") == ""
    assert supplier_key(None) == ""
    assert supplier_key("ACME LTD") == supplier_key("Acme Limited") == "acme limited"


def test_dispersion_by_hand_in_the_engine_query() -> None:
    """Guards the measure itself, on rows made here: CV 0.791 and
    interquartile ratio 2.000 for 100, 200, 300, 400 and 1,000 (and a refund
    left out), and no supplier paid by one agency alone."""
    con = ibis.duckdb.connect()
    rows = ibis.memtable(
        pa.table(
            {
                "paying_body": ["A", "A", "A", "A", "A", "B", "A"],
                "supplier_name": ["ACME LTD"] * 5 + ["Acme Limited", "Solo Ltd"],
                "expense_type": ["Training"] * 7,
                "amount_pence": [10_000, 20_000, 30_000, 40_000, -5_000, 100_000, 7_000],
            }
        )
    )
    keys = ibis.memtable(
        pa.table(
            {
                "name": ["ACME LTD", "Acme Limited", "Solo Ltd"],
                "key": ["acme limited", "acme limited", "solo limited"],
            }
        )
    )
    agencies = ibis.memtable(
        pa.table({"paying_body": ["A", "B"], "agency": ["Agency A", "Agency B"]})
    )
    found = con.to_pyarrow(shared_supplier_expr(rows, keys, agencies)).to_pylist()
    (acme,) = assemble(found, [])
    assert acme.key == "acme limited"  # Solo Ltd is paid by one agency only
    assert [(a.agency, a.pence, a.payments) for a in acme.agencies] == [
        ("Agency B", 100_000, 1),
        ("Agency A", 95_000, 5),
    ]
    (d,) = acme.dispersion
    assert (d.cv, d.iqr_ratio, d.payments) == (Decimal("0.791"), Decimal("2.000"), 5)
    con.disconnect()


def test_shared_suppliers_are_the_same_on_either_engine(acme_place: Workspace, engine: str) -> None:
    """Guards against SQL one engine reads differently (quantiles, joins):
    the engine given finds the same suppliers, spend and dispersion as DuckDB."""
    count = place_count(read_count(acme_place.root))
    on_engine = shared_suppliers(acme_place, count, engine)
    assert on_engine == shared_suppliers(acme_place, count)
    assert "acme limited" in {s.key for s in on_engine}


def test_back_office_functions_are_the_same_on_either_engine(
    acme_place: Workspace, engine: str
) -> None:
    """Guards the back-office split's regular expressions on each engine's
    dialect (Java's on Spark, RE2 on DuckDB): the same pence by agency and
    function, adding up to no more than each agency's back-office lines."""
    from totalplace.opportunities.duplication import BACK_OFFICE, back_office_functions

    count = place_count(read_count(acme_place.root))
    found = back_office_functions(acme_place, count, engine)
    assert found == back_office_functions(acme_place, count)
    assert found[CITY]["ict"] > 0  # the demo city's IT suppliers
    for agency, parts in found.items():
        lines = sum(x.pence for x in count.lines if x.agency == agency and x.theme == BACK_OFFICE)
        assert sum(parts.values()) <= lines
