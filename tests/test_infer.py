"""Column profiles: what a sample of a column's values holds."""

from __future__ import annotations

import pytest

from totalplace.ingest import infer, rowsql
from totalplace.ingest.infer import (
    contradiction,
    fit,
    identifier_reason,
    is_money,
    looks_like_data,
    profile_column,
    sample_rows,
)


def test_money_grammar_is_the_ingests_own() -> None:
    # infer.py cannot import rowsql (rowsql imports the mapping): the two must not drift
    assert infer.NUMBER_RE == rowsql.NUMBER_RE


@pytest.mark.parametrize(
    "cell", ["£1,234.50", "1616.23 ", "(1,000.00)", "-45", "45-", "45CR", "1 234", "GBP 12.00"]
)
def test_money_reads_every_form_ingest_accepts(cell: str) -> None:
    assert is_money(cell)


@pytest.mark.parametrize("cell", ["12/04/2010", "ACME LTD", "1.2.3", "£", "N/A"])
def test_money_rejects_what_ingest_rejects(cell: str) -> None:
    assert not is_money(cell)


def test_sequential_transaction_numbers_are_identifiers() -> None:
    values = [str(4_001_000 + 3 * i) for i in range(50)]
    assert "near-sequential" in identifier_reason(values) or "digits" in identifier_reason(values)


def test_leading_zeros_make_identifiers() -> None:
    assert "leading zeros" in identifier_reason(["0012", "0450", "1200"])


def test_ledger_references_of_one_width_are_identifiers() -> None:
    assert "all 6 digits" in identifier_reason(["544075", "123456", "998877", "500000"])


def test_whole_pound_amounts_are_not_identifiers() -> None:
    # spend over £500 published in whole pounds: varied widths, not in sequence
    values = ["500", "1250", "72000", "640", "980", "15000", "2300", "530", "880000", "7020"]
    assert identifier_reason(values) == ""


def test_amounts_with_pence_are_never_identifiers() -> None:
    assert identifier_reason(["4001001.00", "4001002.00", "4001003.00"]) == ""


def test_identifier_column_contradicts_amount_whatever_fits_otherwise() -> None:
    col = profile_column(0, "Amount", [str(7_000_000 + i) for i in range(40)])
    assert col.money == 1.0
    assert contradiction("amount", col).startswith("identifier-like")
    assert fit("amount", col) == ""


def test_excel_serials_and_amounts_are_not_taken_for_dates_by_values() -> None:
    col = profile_column(0, "X", ["43153.88", "40957.75", "41000.10", "40500.00", "42000.00"] * 2)
    assert col.day_dates > 0.5  # they do parse as Excel serial dates...
    assert fit("payment_date", col) == ""  # ...but plain numbers are not dates by values alone
    assert fit("amount", col)


def test_payee_names_fit_supplier_and_labels_do_not() -> None:
    names = profile_column(
        0, "Name", ["ACME LTD", "Leeds NHS Trust", "J Smith", "Widgets PLC", "Bob's Cafe"] * 2
    )
    numbers = profile_column(1, "Supplier", ["100234", "100235", "100777", "100778", "100900"])
    assert fit("supplier_name", names)
    assert contradiction("supplier_name", numbers).startswith("not names")


def test_a_handful_of_values_never_decides_by_values_alone() -> None:
    col = profile_column(0, "Cost", ["600.00", "700.00", "800.00", "900.00", "1000.00"])
    assert contradiction("amount", col) == ""  # a header that names the role is believed...
    assert fit("amount", col) == ""  # ...but five values are too few to choose by


def test_a_url_is_not_an_organisation_name() -> None:
    col = profile_column(0, "Body", ["http://statistics.data.gov.uk/doc/local-authority/00DA"] * 5)
    assert col.org_names == 0


def test_sample_drops_a_record_cut_off_at_the_end_of_the_head() -> None:
    head = "Date,Supplier,Amount\n2010-04-01,A Ltd,1.00\n2010-04-02,B Ltd,2.00\n2010-04-03,C"
    assert sample_rows(head, ",", 1) == [
        ["2010-04-01", "A Ltd", "1.00"],
        ["2010-04-02", "B Ltd", "2.00"],
    ]


def test_sample_reads_quoted_line_breaks_as_one_record() -> None:
    head = 'Date,Supplier,Amount\n2010-04-01,"A\nLtd",1.00\n'
    assert sample_rows(head, ",", 1) == [["2010-04-01", "A\nLtd", "1.00"]]


def test_a_line_of_data_is_not_a_header() -> None:
    assert looks_like_data(["01/04/2010", "ACME LTD", "1,250.00", "4001001"])
    assert not looks_like_data(["Payment Date", "Supplier", "Amount"])
