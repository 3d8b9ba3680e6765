"""Header mapping: synonyms, drift between months, near-misses and unsure maps."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from totalplace.errors import MappingError
from totalplace.ingest import FileReport, ingest_files
from totalplace.ingest.roles import Profile, map_columns, registry
from totalplace.workspace import Workspace

from .conftest import TEST_DATA

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


# --- the mapping reads the values as well as the headers ---------------------------------

SUPPLIERS = [
    "ACME LTD",
    "Leeds Teaching Hospitals NHS Trust",
    "Widgets PLC",
    "J Smith",
    "Northmoor Care Homes Limited",
    "Bright Futures CIC",
    "Paper Co Ltd",
    "Fleet LLP",
    "Northmoor Hospice Trust",
    "Kwik Fit (GB) Limited",
]
AMOUNTS = ["1250.00", "(300.50)", "87,000.00", "640.10", "2300.75", "15000.00", "530.20", "99.99",
           "501.00", "7020.40"]  # fmt: skip
DATES = [f"{d:02d}/04/2010" for d in range(1, 11)]


def table(**columns: list[str]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows from column lists (keyword order is column order)."""
    headers = [h.replace("_", " ") for h in columns]
    return headers, [list(r) for r in zip(*columns.values(), strict=True)]


def sequential_ids(start: int = 4_001_000) -> list[str]:
    return [str(start + i) for i in range(len(SUPPLIERS))]


def test_id_column_headed_amount_is_never_money() -> None:
    headers, rows = table(Date=DATES, Supplier=SUPPLIERS, Amount=sequential_ids(), Value=AMOUNTS)
    cmap = map_columns("t.csv", headers, Profile(), rows=rows)
    assert cmap.header("amount") == "Value"
    rejected = cmap.decisions["amount"]["rejected"]
    assert rejected == [
        {"column": "Amount", "reason": "identifier-like: whole numbers, all 7 digits"}
    ]


def test_only_amount_column_of_identifiers_fails_naming_it() -> None:
    headers, rows = table(Date=DATES, Supplier=SUPPLIERS, Amount=sequential_ids(10_000_000))
    with pytest.raises(MappingError) as info:
        map_columns("t.csv", headers, Profile(), rows=rows)
    message = str(info.value)
    assert 'Column "Amount" was not taken as amount: identifier-like' in message
    assert "The only amount column holds identifiers, not money" in message
    assert "totalplace profile suggest t.csv" in message


def test_identifier_named_in_a_profile_is_still_taken() -> None:
    # the user's [columns] overrides everything, values included
    headers, rows = table(Date=DATES, Supplier=SUPPLIERS, Amount=sequential_ids())
    cmap = map_columns("t.csv", headers, Profile(columns={"amount": "Amount"}), rows=rows)
    assert cmap.header("amount") == "Amount" and cmap.roles["amount"][2] == "profile"


def test_generic_headers_name_description_total_map_by_values() -> None:
    purposes = ["Stationery", "Agency staff", "Rent", "Repairs", "Fuel", "Catering", "IT", "Legal",
                "Postage", "Training"]  # fmt: skip
    headers, rows = table(Date=DATES, Description=purposes, Name=SUPPLIERS, Total=AMOUNTS)
    cmap = map_columns("t.csv", headers, Profile(), rows=rows)
    assert cmap.header("supplier_name") == "Name"
    assert cmap.roles["supplier_name"][2] == "header word"
    assert cmap.header("amount") == "Total"
    assert cmap.header("purpose") == "Description"


def test_generic_description_holding_payees_is_the_supplier() -> None:
    headers, rows = table(Date=DATES, Description=SUPPLIERS, Value=AMOUNTS)
    cmap = map_columns("t.csv", headers, Profile(), rows=rows)
    assert cmap.header("supplier_name") == "Description"
    assert cmap.header("purpose") is None


def test_generic_total_of_text_is_not_the_amount() -> None:
    words = ["Paid", "Paid", "Held", "Paid", "Held", "Paid", "Paid", "Paid", "Paid", "Held"]
    headers, rows = table(Date=DATES, Supplier=SUPPLIERS, Total=words, Sum_paid=AMOUNTS)
    cmap = map_columns("t.csv", headers, Profile(), rows=rows)
    assert cmap.header("amount") == "Sum paid"
    assert cmap.decisions["amount"]["rejected"][0]["column"] == "Total"


def test_values_alone_fill_a_role_with_one_candidate() -> None:
    headers, rows = table(When=DATES, Who=SUPPLIERS, Pounds_out=AMOUNTS)
    cmap = map_columns("t.csv", headers, Profile(), rows=rows)
    assert cmap.describe() == {
        "amount": "Pounds out (values)",
        "supplier_name": "Who (values)",
        "payment_date": "When (values)",
    }
    assert cmap.decisions["amount"]["confidence"] == 0.6


def test_values_alone_with_two_candidates_is_unsure() -> None:
    headers, rows = table(When=DATES, Who=SUPPLIERS, Figure_a=AMOUNTS, Figure_b=AMOUNTS[::-1])
    with pytest.raises(MappingError, match="not sure which"):
        map_columns("t.csv", headers, Profile(), rows=rows)


def test_one_row_never_decides_a_role_by_values() -> None:
    with pytest.raises(MappingError, match="amount"):
        map_columns(
            "t.csv", ["Date", "Supplier", "Cost"], Profile(), rows=[[DATES[0], "A", "1.00"]]
        )


@pytest.mark.parametrize(
    ("headers", "role", "index"),
    [
        (["* Date", " Supplier Name ", "Amount (£)"], "amount", 2),
        (["* Date", " Supplier Name ", "Amount (£)"], "payment_date", 0),
        (["Date:", "Supplier Name:", "Amount £"], "supplier_name", 1),
        (["Payment Date*", "Supplier_Name", "Amount GBP"], "amount", 2),
        (["Payment Date*", "Supplier_Name", "Value (GBP)"], "amount", 2),
    ],
)
def test_decorated_headers_map_as_their_plain_words(
    headers: list[str], role: str, index: int
) -> None:
    assert map_columns("t.csv", headers, Profile()).index(role) == index


def test_gross_vat_net_takes_the_net_figure_and_keeps_vat() -> None:
    gross = ["1500.00", "360.60", "104400.00", "768.12", "2760.90", "18000.00", "636.24", "119.99",
             "601.20", "8424.48"]  # fmt: skip
    vat = ["250.00", "60.10", "17400.00", "128.02", "460.15", "3000.00", "106.04", "20.00",
           "100.20", "1404.08"]  # fmt: skip
    headers, rows = table(Date=DATES, Supplier=SUPPLIERS, Gross=gross, VAT=vat, Net=AMOUNTS)
    cmap = map_columns("t.csv", headers, Profile(), rows=rows)
    assert cmap.header("amount") == "Net"
    assert cmap.header("vat") == "VAT"
    assert "net" in str(cmap.decisions["amount"]["why"])
    assert "Gross" in cmap.decisions["amount"]["also_fits"]  # type: ignore[operator]


def test_amount_beside_net_amount_takes_the_net() -> None:
    headers, rows = table(Date=DATES, Supplier=SUPPLIERS, Amount=AMOUNTS, Net_Amount=AMOUNTS)
    assert map_columns("t.csv", headers, Profile(), rows=rows).header("amount") == "Net Amount"


def test_date_column_of_text_is_not_the_payment_date() -> None:
    headers, rows = table(Date=SUPPLIERS, Supplier=SUPPLIERS, Amount=AMOUNTS, Paid_on=DATES)
    cmap = map_columns("t.csv", headers, Profile(), rows=rows)
    assert cmap.header("payment_date") == "Paid on"
    assert cmap.decisions["payment_date"]["rejected"][0]["column"] == "Date"


def test_the_varying_date_wins_over_a_publication_date() -> None:
    headers, rows = table(
        Effective_Date=["31/03/2022"] * 10, Supplier=SUPPLIERS, Amount=AMOUNTS, Posted=DATES
    )
    # neither header is a synonym: both fit by a word of the role; the one that varies wins
    cmap = map_columns("t.csv", headers, Profile(), rows=rows)
    assert cmap.header("payment_date") == "Posted"
    assert cmap.decisions["payment_date"]["also_fits"] == ["Effective Date"]


def test_long_failure_lists_are_cut_and_a_data_header_is_called_wrong() -> None:
    headers = [f"{d}/04/2010" for d in range(1, 29)] + [f"{n}.50" for n in range(300)]
    with pytest.raises(MappingError) as info:
        map_columns("t.csv", headers, Profile())
    message = str(info.value)
    assert "and 320 more" in message
    assert "The header line looks wrong" in message
    assert len(message) < 2000


# --- property: an identifier is never the amount -----------------------------------------


@st.composite
def identifier_columns(draw: st.DrawFn, n: int) -> list[str]:
    """References as ledgers write them: distinct, in sequence, of one width or zero-padded."""
    kind = draw(st.sampled_from(["sequential", "fixed-width", "leading-zeros"]))
    if kind == "sequential":
        start = draw(st.integers(1000, 10**9))
        steps = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
        return [str(start + sum(steps[: i + 1])) for i in range(n)]
    width = draw(st.integers(5, 10))
    if kind == "fixed-width":
        low = 10 ** (width - 1)
        nums = draw(st.lists(st.integers(low, 10 * low - 1), min_size=n, max_size=n, unique=True))
        return [str(x) for x in nums]
    nums = draw(
        st.lists(st.integers(0, 10 ** (width - 1) - 1), min_size=n, max_size=n, unique=True)
    )
    return [str(x).zfill(width) for x in nums]


PENCE = st.builds(lambda p: f"{p // 100}.{p % 100:02d}", st.integers(50_000, 10**9))
AMOUNT_HEADERS = [*sorted(registry()["amount"].synonyms), "Ref", "ID", "Number", "Total (£)"]


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(10, 60))
def test_map_columns_never_takes_an_identifier_for_the_amount(data: st.DataObject, n: int) -> None:
    ids = data.draw(identifier_columns(n))
    money = data.draw(st.lists(PENCE, min_size=n, max_size=n))
    id_header = data.draw(st.sampled_from(AMOUNT_HEADERS))
    money_header = data.draw(st.sampled_from([*AMOUNT_HEADERS, "Figure", "Paid (GBP)"]))
    columns = [
        ("Date", [DATES[i % len(DATES)] for i in range(n)]),
        ("Supplier", [SUPPLIERS[i % len(SUPPLIERS)] for i in range(n)]),
        (id_header, ids),
        (money_header, money),
    ]
    order = data.draw(st.permutations(range(4)))
    headers = [columns[k][0] for k in order]
    rows = [[columns[k][1][i] for k in order] for i in range(n)]
    try:
        cmap = map_columns("t.csv", headers, Profile(), rows=rows)
    except MappingError:
        return  # unsure is allowed; wrong is not
    amount = cmap.index("amount")
    assert amount is not None
    assert rows[0][amount] == money[0]  # the money column, never the identifiers


# --- end to end: what the file report says -----------------------------------------------


def ingest_table(
    ws: Workspace,
    tmp_path: Path,
    name: str,
    headers: list[str],
    rows: list[list[str]],
    publisher: str | None = "Test Council",
) -> FileReport:
    path = tmp_path / name
    lines = [headers, *rows]
    path.write_text("".join(",".join(f'"{c}"' for c in line) + "\n" for line in lines))
    report = ingest_files(ws, [path], publisher=publisher)
    assert len(report.files) == 1
    return report.files[0]


def test_gross_vat_net_report_names_the_net_column(workspace: Workspace, tmp_path: Path) -> None:
    gross = ["1200.00", "600.00", "2400.00", "120.00", "360.00", "480.00", "720.00", "960.00",
             "1080.00", "1440.00"]  # fmt: skip
    net = [f"{float(g) / 1.2:.2f}" for g in gross]
    vat = [f"{float(g) - float(n):.2f}" for g, n in zip(gross, net, strict=True)]
    headers, rows = table(Date=DATES, Supplier=SUPPLIERS, Gross=gross, VAT=vat, Net=net)
    f = ingest_table(workspace, tmp_path, "gross-vat-net.csv", headers, rows)
    assert f.status == "loaded", f.message
    assert f.amount_loaded_pence == 780_000  # the net figures, not the gross 936,000
    mapping = f.details["mapping"]
    assert isinstance(mapping, dict)
    assert mapping["amount"]["column"] == "Net"
    assert "net of VAT" in mapping["amount"]["why"]
    assert mapping["vat"]["column"] == "VAT"


def test_id_column_headed_amount_loads_the_money_column(
    workspace: Workspace, tmp_path: Path
) -> None:
    headers, rows = table(Date=DATES, Supplier=SUPPLIERS, Amount=sequential_ids(), Value=AMOUNTS)
    f = ingest_table(workspace, tmp_path, "id-headed-amount.csv", headers, rows)
    assert f.status == "loaded", f.message
    assert f.column_map["amount"] == "Value (synonym)"
    assert f.amount_loaded_pence == 11_404_194  # not the £40m the identifiers add up to
    assert f.details["mapping"]["amount"]["rejected"][0]["column"] == "Amount"  # type: ignore[index]


def test_file_with_several_paying_bodies_reports_every_body(
    workspace: Workspace, tmp_path: Path
) -> None:
    bodies = ["Leeds City Council"] * 5 + ["Education Leeds"] * 3 + ["East North East Homes"] * 2
    amounts = ["100.00"] * 5 + ["1000.00"] * 3 + ["10.00"] * 2
    headers, rows = table(
        Body_name=bodies, Date_paid=DATES, Supplier_name=SUPPLIERS, Net_amount=amounts
    )
    f = ingest_table(workspace, tmp_path, "bodies.csv", headers, rows, publisher=None)
    assert f.status == "loaded", f.message
    assert f.publisher == "Leeds City Council"  # the most common, as before
    assert f.details["bodies"] == [
        {"body": "Education Leeds", "rows": 3, "amount_pence": 300_000},
        {"body": "Leeds City Council", "rows": 5, "amount_pence": 50_000},
        {"body": "East North East Homes", "rows": 2, "amount_pence": 2_000},
    ]
    from rich.console import Console

    from totalplace.cli import render_report
    from totalplace.ingest import IngestReport

    out = io.StringIO()
    render_report(IngestReport([f]), Console(file=out, width=300, markup=False))
    assert "bodies.csv: 3 paying bodies: Education Leeds (3 rows, £3,000.00)" in out.getvalue()


# --- profile suggest ---------------------------------------------------------------------


def test_suggested_profile_loads_and_makes_an_unmapped_file_ingest(
    workspace: Workspace, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from totalplace.cli import app

    src = TEST_DATA / "unmappable-headers.csv"
    failed = ingest_files(workspace, [src], publisher="Test Council").files[0]
    assert failed.status == "failed"
    assert f"totalplace profile suggest {src}" in failed.message
    draft = tmp_path / "draft.toml"
    result = CliRunner().invoke(app, ["profile", "suggest", str(src), "--out", str(draft),
                                      "--publisher", "Test Council"])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = draft.read_text(encoding="utf-8")
    assert 'amount = "Cost"' in text
    assert "# Cost: amount (values, confidence 0.40" in text
    assert "e.g. 600.00 | 700.00 | 800.00 | 900.00 | 1000.00" in text
    # codes under a header naming a cost centre: the service code, by a word of its header
    assert "# Cost Centre Ref: service_code (header word" in text
    profile = Profile.load(draft)
    assert profile.columns == {
        "payment_date": "Payment Date",
        "supplier_name": "Supplier Name",
        "amount": "Cost",
        "service_code": "Cost Centre Ref",
    }
    loaded = ingest_files(workspace, [src], profile_path=draft).files[0]
    assert loaded.status == "loaded", loaded.message
    assert loaded.publisher == "Test Council"
    assert loaded.amount_loaded_pence == 400_000


def test_suggestion_never_proposes_identifiers_for_the_amount(tmp_path: Path) -> None:
    from totalplace.ingest.suggest import suggest_profile

    headers, rows = table(Date=DATES, Supplier=SUPPLIERS, Amount=sequential_ids())
    path = tmp_path / "ids.csv"
    path.write_text("".join(",".join(f'"{c}"' for c in r) + "\n" for r in [headers, *rows]))
    suggestion = suggest_profile(path)
    assert [c.role for c in suggestion.columns] == ["payment_date", "supplier_name", None]
    assert suggestion.missing == ["amount"]
    assert '# amount = "..."  no column fits' in suggestion.toml()
    assert 'amount = "Amount"' not in suggestion.toml()


def test_suggestion_never_proposes_words_for_a_date(tmp_path: Path) -> None:
    from totalplace.ingest.suggest import suggest_profile

    labels = ["Q1 report", "Misc", "Misc", "Other", "Misc", "Other", "Misc", "Misc", "X", "Y"]
    headers, rows = table(Date=labels, Supplier=SUPPLIERS, Amount=AMOUNTS)
    path = tmp_path / "words-for-dates.csv"
    path.write_text("".join(",".join(f'"{c}"' for c in r) + "\n" for r in [headers, *rows]))
    suggestion = suggest_profile(path)
    assert suggestion.columns[0].role is None
    assert suggestion.missing == ["payment_date or period"]


def test_a_footer_line_in_a_short_file_does_not_unmap_the_date() -> None:
    rows = [["01/11/2010", "Acme Ltd", "600.00"], ["TOTAL:", "", "600.00"], ["Note", "", ""]]
    headers = ["Payment Date", "Supplier Name", "Amount"]
    assert map_columns("t.csv", headers, Profile(), rows=rows).header("payment_date") == (
        "Payment Date"
    )


def test_header_nobody_wrote_down_is_found_by_the_shape_of_the_lines() -> None:
    from totalplace.ingest.dialect import sniff

    head = "Spend report\n\nWhen;Who;Pounds out\n" + "".join(
        f"{d};{s};{a}\n" for d, s, a in zip(DATES, SUPPLIERS, AMOUNTS, strict=True)
    )
    dialect = sniff("t.csv", head, Profile())
    assert (dialect.delimiter, dialect.header_line) == (";", 3)
    assert dialect.headers == ["When", "Who", "Pounds out"]


def test_a_file_of_data_with_no_header_says_so() -> None:
    from totalplace.errors import SourceError
    from totalplace.ingest.dialect import sniff

    head = "".join(
        f'{d},"{a}",{n}\n' for d, a, n in zip(DATES, AMOUNTS, sequential_ids(), strict=True)
    )
    with pytest.raises(SourceError, match="first line looks like data"):
        sniff("t.csv", head, Profile())


def test_a_column_chosen_by_its_values_is_a_file_warning(
    workspace: Workspace, tmp_path: Path
) -> None:
    headers, rows = table(When=DATES, Who=SUPPLIERS, Pounds_out=AMOUNTS)
    f = ingest_table(workspace, tmp_path, "unknown-headers.csv", headers, rows)
    assert f.status == "loaded", f.message
    assert f.amount_loaded_pence == 11_404_194
    slugs = [w["slug"] for w in f.warnings]
    assert slugs.count("column-chosen-by-values") == 3
    assert any('amount taken from column "Pounds out" by its values' in w["message"]
               for w in f.warnings)  # fmt: skip


def test_label_columns_no_synonym_names_map_by_a_header_word(tmp_path: Path) -> None:
    """A publisher's own label headers were left unmapped, so classification
    had no service or expense label to read."""
    rows = "\n".join(
        f"0{i % 9 + 1}/06/2015,Supplier {i} Ltd,{100 + i}.50,Fleet & Estates,Vehicle Repairs,"
        f"CC{100 + i % 5},Brake pads for van {i}"
        for i in range(12)
    )
    header = (
        "Posting Date,Supplier,Net Value,Cost Centre Description,Subjective Analysis,"
        "Objective Code,Line Narrative"
    )
    cmap = map_columns(
        "labels.csv",
        header.split(","),
        Profile(),
        rows=[r.split(",") for r in rows.split("\n")],
    )
    assert cmap.header("service_detail") == "Cost Centre Description"  # a synonym
    assert cmap.header("expense_type") == "Subjective Analysis"
    assert cmap.header("service_code") == "Objective Code"
    assert cmap.header("purpose") == "Line Narrative"
    assert cmap.header("amount") == "Net Value"
