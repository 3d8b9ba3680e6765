"""Unit costs: the shipped New Economy Unit Cost Database v1.4 table, deflators and uprating.

Tests in the first half use only the shipped table.  Those below "with the
source workbook" open the workbook with openpyxl, read its cells without the
build script's code, and skip when /work/shared is not beside the project.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from totalplace.errors import ConfigError
from totalplace.reference import unit_costs as uc
from totalplace.reference.unit_costs import (
    UnitCost,
    deflators,
    normalise_agency,
    normalise_unit,
    overlaps,
    unit_cost,
    unit_costs,
    uprate,
)

from .conftest import ROOT, SHARED_DATA

UCD_DIR = SHARED_DATA / "unit_costs" / "gmca_ucd"
WORKBOOK = UCD_DIR / "GMCA_New_Economy_Unit_Cost_Database_v1.4_Mar2015.xlsx"
EXTRACT = UCD_DIR / "gmca-unit-costs-full_v1.4_econstack_extract.json"
SHIPPED = ROOT / "src" / "totalplace" / "reference" / "data" / "unit_costs"
THEMES = (
    "Crime",
    "Education & Skills",
    "Employment & Economy",
    "Fire",
    "Health",
    "Housing",
    "Social Services",
)
AGENCIES = {
    "Criminal Justice System",
    "DWP",
    "Department for Education",
    "Fire Service",
    "HM Revenue and Customs",
    "HM Treasury",
    "Local Authority",
    "Ministry of Justice",
    "Multiple",
    "NHS",
    "Police",
}
# Lines with an economic value only: the workbook names no agency for them.
ECONOMIC_ONLY = {f"E&S8.{i}" for i in range(1, 7)} | {f"E&S12.{i}" for i in range(1, 4)}
USER_COLUMNS = "code,description,unit,agency,fiscal,economic,social,price_year"


# --- the shipped table --------------------------------------------------------------------


@pytest.fixture(scope="module")
def table() -> dict[str, UnitCost]:
    return unit_costs()


def test_every_row_has_a_code_a_value_and_a_year_in_the_series(
    table: dict[str, UnitCost],
) -> None:
    assert len(table) == 684
    assert len({c.source_ref for c in table.values()}) == len(table)
    years = deflators()
    for code, cost in table.items():
        assert code == cost.code and code
        assert any(v is not None for v in (cost.fiscal, cost.economic, cost.social)), code
        assert cost.price_year in years, code
        assert cost.tier in uc.TIERS and cost.theme in THEMES and cost.rag in {"G", "A", "R"}
        assert not cost.user_supplied


def test_agencies_are_few_and_spelt_one_way(table: dict[str, UnitCost]) -> None:
    named = {c.agency for c in table.values()} - {""}
    assert named == AGENCIES
    assert {c.code for c in table.values() if not c.agency} == ECONOMIC_ONLY
    assert all(table[code].fiscal is None for code in ECONOMIC_ONLY)
    details = {c.agency_detail for c in table.values()}
    for value in named | details:
        assert value == " ".join(value.split()) and value != "-"
    folded = [v.casefold() for v in named | details]
    assert len(folded) == len(set(folded)), "two spellings of one agency"


def test_normalise_agency_mapping() -> None:
    assert normalise_agency("Local authority ", "Social services") == (
        "Local Authority",
        "Social Services",
    )
    assert normalise_agency("Probation") == ("Criminal Justice System", "Probation")
    assert normalise_agency("Court", "Legal aid") == (
        "Criminal Justice System",
        "Court / Legal aid",
    )
    assert normalise_agency("Police", "-") == ("Police", "")
    assert normalise_agency("NHS", "GP") == ("NHS", "GP")


def test_units_are_normalised(table: dict[str, UnitCost]) -> None:
    units = {c.unit for c in table.values()}
    assert len(units) == 38
    assert {"per incident", "per week", "per year", "per person", "lifetime", "per FTE"} <= units
    assert all(normalise_unit(u) == u for u in units)
    assert normalise_unit("Per person ") == "per person"
    assert normalise_unit(" Per  bed day") == "per bed day"


def test_headlines_contain_their_constituent_lines(table: dict[str, UnitCost]) -> None:
    parents = [c for c in table.values() if c.contains]
    assert len(parents) == 73
    for cost in table.values():
        assert cost.headline == bool(cost.contains), cost.code
        for part in cost.contains:
            assert table[part].tier == "constituent"
            assert part.rsplit(".", 1)[0] == cost.code
    constituents = {p for c in parents for p in c.contains}
    assert constituents == {c.code for c in table.values() if c.tier == "constituent"}
    # The workbook leaves the first police line under CR8.0 without a code.
    assert table["CR8.0"].contains[0] == "CR8.0.1"
    assert table["CR8.0.1"].source_ref == "Crime!C58"


def test_transfer_payments(table: dict[str, UnitCost]) -> None:
    marked = {c.code for c in table.values() if c.transfer_payment}
    assert len(marked) == 71
    for code in marked:
        cost = table[code]
        assert cost.transfer_amount is not None and cost.fiscal is not None
        assert 0 < cost.transfer_amount <= cost.fiscal
    # The benefit payment line named by the comment on its headline.
    assert table["E&E1.0.1"].transfer_amount == table["E&E1.0.1"].fiscal == Decimal("9234")
    assert table["E&E1.0"].transfer_amount == Decimal("9234") < table["E&E1.0"].fiscal  # type: ignore[operator]
    assert table["E&E1.0"].notes.startswith("Comment on the fiscal value: When calculating")
    assert table["E&S5.0"].transfer_amount == table["E&S5.0"].fiscal == Decimal("82.7")
    assert table["E&E1.3"].transfer_payment  # the weekly Jobseeker's Allowance rate
    assert table["HO7.0"].transfer_payment  # the average weekly Housing Benefit award
    assert not table["E&E1.0.2"].transfer_payment  # the NHS part of the same saving
    assert not table["E&E1.6"].transfer_payment  # processing a claim uses real resources


def test_values_are_exact_decimals_as_displayed(table: dict[str, UnitCost]) -> None:
    assert table["CR8.0.1"].fiscal == Decimal("227.92")
    assert table["SS11.2"].fiscal == Decimal("24.6666666666667")  # =37/3*2
    assert table["SS11.2"].economic == Decimal("12.3333333333333")  # =37/3
    assert table["CR8.18.5"].fiscal == Decimal("0")
    assert table["CR1.0"].economic is None and table["CR1.0"].social is None
    # SS16.0 gives its economic value at 2008-09 prices, its fiscal at 2009-10.
    assert table["SS16.0"].price_year == "2009-10"
    assert table["SS16.0"].economic == uprate(Decimal(6958), "2008-09", "2009-10").quantize(
        Decimal("0.01")
    )


def test_unknown_code_names_it_and_suggests_close_codes() -> None:
    with pytest.raises(ConfigError, match=r"'CR1\.9'.*did you mean .*CR1\.4"):
        unit_cost("CR1.9")
    with pytest.raises(ConfigError, match=r"did you mean CR1\.0"):
        unit_cost("cr1.0")
    assert unit_cost("CR1.0").description.startswith("Anti-social behaviour")


def test_overlaps_finds_headline_and_constituent_pairs() -> None:
    used = ["CR1.1", "CR8.0.1", "CR8.0", "CR8.1", "E&E1.0", "E&E1.0.2"]
    assert overlaps(used) == [("CR8.0", "CR8.0.1"), ("E&E1.0", "E&E1.0.2")]
    assert overlaps(["CR8.0", "CR8.1"]) == []
    with pytest.raises(ConfigError, match="CR99"):
        overlaps(["CR99"])


# --- deflators and uprating ---------------------------------------------------------------


def test_deflator_series_is_complete_and_increasing() -> None:
    series = deflators()
    years = list(series)
    assert years[0] == "1989-90" and years[-1] == "2019-20" and len(years) == 31
    assert years == [f"{y}-{(y + 1) % 100:02d}" for y in range(1989, 2020)]
    assert series["1989-90"] == Decimal(100)
    assert series["1990-91"] == Decimal("108.27")
    values = list(series.values())
    assert all(later > earlier for earlier, later in pairwise(values))


def test_uprate_to_its_own_year_is_identity(table: dict[str, UnitCost]) -> None:
    for year in deflators():
        assert uprate(Decimal("327.833333333333"), year, year) == Decimal("327.833333333333")
    cost = table["CR3.0"]
    assert cost.fiscal is not None
    assert uprate(cost.fiscal, cost.price_year, cost.price_year.replace("-", "/")) == cost.fiscal


def test_uprate_follows_the_index() -> None:
    series = deflators()
    expected = Decimal(500) * series["2015-16"] / series["2002-03"]
    assert uprate(Decimal(500), "2002-03", "2015-16") == expected
    assert uprate(Decimal(500), "2002/03", "2015-16").quantize(Decimal("0.01")) == Decimal("673.23")
    back = uprate(uprate(Decimal(500), "2002-03", "2015-16"), "2015-16", "2002-03")
    assert abs(back - 500) < Decimal("1e-20")


@pytest.mark.parametrize("year", ["1988-89", "2020-21", "2015"])
def test_uprate_outside_the_series_names_the_year_and_the_range(year: str) -> None:
    with pytest.raises(ConfigError, match=rf"{year}.*covers 1989-90 to 2019-20"):
        uprate(Decimal(100), year, "2015-16")
    with pytest.raises(ConfigError, match=rf"{year}.*covers 1989-90 to 2019-20"):
        uprate(Decimal(100), "2015-16", year)


def test_uprate_with_a_user_series() -> None:
    series = {"2020-21": Decimal(100), "2021-22": Decimal(110), "2022-23": Decimal("117.7")}
    assert uprate(Decimal(50), "2020-21", "2021-22", series) == Decimal(55)
    assert uprate(Decimal(50), "2020/21", "2022-23", series) == Decimal("58.85")
    assert (
        uprate(
            Decimal(50), "2020-21", "2021-22", {"2020/21": Decimal(100), "2021/22": Decimal(120)}
        )
        == 60
    )
    with pytest.raises(ConfigError, match=r"2015-16.*covers 2020-21 to 2022-23"):
        uprate(Decimal(50), "2015-16", "2021-22", series)


def test_uprate_refuses_a_float() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        uprate(0.1, "2010-11", "2011-12")  # type: ignore[arg-type]


# --- a user's own unit costs --------------------------------------------------------------


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "my_costs.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_user_csv_adds_a_code(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        USER_COLUMNS + ",agency_detail,contains",
        'LOCAL1,"Family intervention, per week",Per Week ,Local authority,1250.50,,,2014/15,'
        "Children's Services,",
        "LOCAL2,Whole programme,Per family,Multiple,5000,,,2014-15,,LOCAL1;CR8.0",
    )
    table = unit_costs(path)
    assert len(table) == 686
    mine = table["LOCAL1"]
    assert mine.user_supplied and mine.source_ref == "my_costs.csv:2"
    assert (mine.fiscal, mine.economic, mine.price_year) == (Decimal("1250.50"), None, "2014-15")
    assert (mine.unit, mine.agency, mine.agency_detail) == (
        "per week",
        "Local Authority",
        "Children's Services",
    )
    assert table["CR1.0"] == unit_cost("CR1.0")
    assert unit_cost("LOCAL1", extra=path) == mine
    assert table["LOCAL2"].headline and table["LOCAL2"].contains == ("LOCAL1", "CR8.0")
    pairs = overlaps(["LOCAL2", "LOCAL1", "CR8.0.3"], extra=path)
    assert pairs == [("LOCAL2", "CR8.0.3"), ("LOCAL2", "LOCAL1")]
    with pytest.raises(ConfigError, match="LOCAL1"):
        unit_cost("LOCAL1")  # not without the file


def test_user_csv_may_not_silently_replace_a_shipped_code(tmp_path: Path) -> None:
    path = write(tmp_path, USER_COLUMNS, "CR1.0,Our ASB cost,per incident,Police,600,,,2015-16")
    with pytest.raises(ConfigError, match=r"my_costs\.csv:2: CR1\.0 is a shipped unit cost"):
        unit_costs(path)
    path = write(
        tmp_path,
        USER_COLUMNS + ",replace",
        "CR1.0,Our ASB cost,per incident,Police,600,,,2015-16,true",
    )
    replaced = unit_costs(path)["CR1.0"]
    assert replaced.fiscal == Decimal(600) and replaced.user_supplied
    assert unit_cost("CR1.0").fiscal == Decimal(500)  # the shipped table is untouched


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (("code,description,unit,fiscal,price_year", "X,x,each,1,2015-16"), "missing column"),
        ((USER_COLUMNS, "X,x,each,NHS,1,,,2015-16", "X,y,each,NHS,2,,,2015-16"), "twice"),
        ((USER_COLUMNS, "X,x,each,NHS,ten,,,2015-16"), "'ten' is not an amount"),
        ((USER_COLUMNS, "X,x,each,NHS,,,,2015-16"), "no fiscal, economic or social"),
        ((USER_COLUMNS, "X,x,each,NHS,1,,,2015"), "not a financial year"),
        ((USER_COLUMNS + ",contains", "X,x,each,NHS,1,,,2015-16,NOPE"), "unknown"),
        ((USER_COLUMNS + ",replace", "CR1.0,x,each,NHS,1,,,2015-16,maybe"), "true or false"),
    ],
)
def test_user_csv_errors(tmp_path: Path, lines: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        unit_costs(write(tmp_path, *lines))


def test_missing_user_csv_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        unit_costs(tmp_path / "absent.csv")


# --- with the source workbook -------------------------------------------------------------


@pytest.fixture(scope="module")
def books() -> tuple[Any, Any]:
    if not WORKBOOK.is_file():
        pytest.skip(f"unit cost workbook not found at {WORKBOOK}")
    return openpyxl.load_workbook(WORKBOOK), openpyxl.load_workbook(WORKBOOK, data_only=True)


def costed_rows(book: Any) -> list[tuple[str, int]]:
    """Rows with a description (column D) and a fiscal, economic or social value (H, K, N)."""
    found = []
    for theme in THEMES:
        sheet = book[theme]
        for r in range(3, sheet.max_row + 1):
            values = [sheet.cell(r, c).value for c in (8, 11, 14)]
            if str(sheet.cell(r, 4).value or "").strip() and any(v is not None for v in values):
                found.append((theme, r))
    return found


def test_table_has_every_costed_row(books: tuple[Any, Any], table: dict[str, UnitCost]) -> None:
    rows = costed_rows(books[0])
    assert len(rows) == len(table)
    assert {f"{theme}!C{r}" for theme, r in rows} == {c.source_ref for c in table.values()}


def number(cell: Any) -> Decimal:
    return Decimal(repr(cell.value)) if isinstance(cell.value, float) else Decimal(cell.value)


@pytest.mark.parametrize(
    ("code", "ref"),
    [
        ("CR1.0", "Crime!3"),
        ("CR8.1", "Crime!64"),
        ("E&E1.0", "Employment & Economy!3"),
        ("HE24.0", "Health!198"),
        ("SS11.2", "Social Services!88"),
    ],
)
def test_known_entries_match_their_cells(
    books: tuple[Any, Any], table: dict[str, UnitCost], code: str, ref: str
) -> None:
    theme, row = ref.split("!")
    sheet, cached = books[0][theme], books[1][theme]
    cost = table[code]

    def cell(col: str) -> Any:
        return sheet[f"{col}{row}"].value

    assert cost.code == cell("C") and cost.source_ref == f"{theme}!C{row}"
    assert cost.description == " ".join(str(cell("D")).split())
    assert cost.outcome == cell("B") and cost.theme == theme
    assert cost.unit.casefold() == " ".join(str(cell("E")).split()).casefold()
    assert cost.agency.casefold() == str(cell("F")).strip().casefold()
    assert cost.agency_detail.casefold() == str(cell("G") or "").strip().casefold()
    assert cost.price_year == str(cell("I")).replace("/", "-")
    assert cost.rag == cell("R")
    assert cost.original_source == " ".join(str(cell("Q")).split())
    for name, col in (("fiscal", "H"), ("economic", "K"), ("social", "N")):
        ours = getattr(cost, name)
        if cell(col) is None:
            assert ours is None, name
        else:
            # within Excel's 15 significant digits of the cached double
            assert abs(ours - number(cached[f"{col}{row}"])) <= abs(ours) * Decimal("1e-14")
    comment = sheet[f"H{row}"].comment
    if comment is not None:
        assert " ".join(comment.text.split()) in cost.notes


def test_uprate_reproduces_the_workbooks_updated_costs(
    books: tuple[Any, Any], table: dict[str, UnitCost]
) -> None:
    """Columns J, M and P hold each value uprated to Lookups!K11 (2015/16) by the workbook."""
    assert books[0]["Lookups"]["K11"].value == "2015/16"
    checked = 0
    for cost in table.values():
        theme, ref = cost.source_ref.split("!")
        row = int(ref[1:])
        for name, col in (("fiscal", "J"), ("economic", "M"), ("social", "P")):
            value, updated = getattr(cost, name), books[1][theme][f"{col}{row}"].value
            if value is None or not isinstance(updated, int | float):
                continue
            if cost.code == "SS16.0" and name == "economic":
                continue  # restated to the fiscal value's year, so the workbook's base differs
            ours = uprate(value, cost.price_year, "2015-16")
            assert abs(ours - number(books[1][theme][f"{col}{row}"])) <= ours * Decimal("1e-12")
            checked += 1
    given = sum(v is not None for c in table.values() for v in (c.fiscal, c.economic, c.social))
    # All but two: CR8.18.5's zero, which the workbook does not uprate, and SS16.0's economic.
    assert checked == given - 2 == 778


def test_deflators_are_the_lookups_series(books: tuple[Any, Any]) -> None:
    sheet, cached = books[0]["Lookups"], books[1]["Lookups"]
    series = deflators()
    product = Decimal(100)
    for r in range(10, 41):
        year = str(sheet[f"M{r}"].value).replace("/", "-")
        assert abs(series[year] - number(cached[f"P{r}"])) <= series[year] * Decimal("1e-14")
        if r > 10:
            product *= 1 + Decimal(repr(sheet[f"N{r}"].value)) / 100
        assert abs(series[year] - product) <= product * Decimal("1e-14")
    assert len(series) == 31


def test_agencies_are_in_the_workbooks_own_list(
    books: tuple[Any, Any], table: dict[str, UnitCost]
) -> None:
    lookups = books[0]["Lookups"]
    level1 = {str(lookups[f"F{r}"].value).strip() for r in range(10, 27)}
    assert {c.agency for c in table.values()} - {""} <= level1


def test_every_transfer_comment_is_marked(
    books: tuple[Any, Any], table: dict[str, UnitCost]
) -> None:
    commented = set()
    for cost in table.values():
        theme, ref = cost.source_ref.split("!")
        comment = books[0][theme][f"H{ref[1:]}"].comment
        if comment is not None and "transfer payment" in comment.text:
            commented.add(cost.code)
    assert len(commented) == 12
    assert all(table[code].transfer_payment for code in commented)


# The extract reads a fiscal cell holding a formula as the formula's digits run together
# (=3308/40 -> 330840), and rounds other values to two decimal places.
EXTRACT_READS_FORMULA_TEXT = {
    *(f"E&S{n}.0" for n in range(5, 14)),
    "HE2.0.3",
    "SS7.0",
    "SS7.1",
    "SS7.1.3",
    "SS8.0",
    "SS8.0.1",
    "SS11.0",
    "SS11.1",
    "SS11.2",
    "SS11.9",
    "SS12.0",
    "SS12.1",
    "SS12.2",
}
EXTRACT_ROUNDS_TO_PENCE = {"E&S1.0.4", "E&S2.0.2", "E&S2.0.3", "SS18.11", "SS18.12"}
# The extract keeps only rows with a fiscal value and a code.
EXTRACT_LACKS = ECONOMIC_ONLY | {"CR8.0.1"}


def test_cross_check_with_the_econstack_extract(
    books: tuple[Any, Any], table: dict[str, UnitCost]
) -> None:
    if not EXTRACT.is_file():
        pytest.skip(f"econstack extract not found at {EXTRACT}")
    data = json.loads(EXTRACT.read_text(encoding="utf-8"))
    theirs = {e["code"]: e for c in data["categories"].values() for e in c["entries"]}
    assert set(table) - set(theirs) == EXTRACT_LACKS and set(theirs) <= set(table)
    differ = {}
    for code, entry in theirs.items():
        value = Decimal(repr(entry["cost_gbp"]))
        if value != table[code].fiscal:
            differ[code] = value
    assert set(differ) == EXTRACT_READS_FORMULA_TEXT | EXTRACT_ROUNDS_TO_PENCE
    for code in EXTRACT_READS_FORMULA_TEXT:
        theme, ref = table[code].source_ref.split("!")
        formula = books[0][theme][f"H{ref[1:]}"].value
        digits = Decimal(re.sub(r"[^\d.]", "", formula)).quantize(Decimal("0.01"))
        assert differ[code] == digits, code
    for code in EXTRACT_ROUNDS_TO_PENCE:
        assert differ[code] == table[code].fiscal.quantize(Decimal("0.01")), code  # type: ignore[union-attr]


def test_rebuild_reproduces_the_shipped_files(books: tuple[Any, Any], tmp_path: Path) -> None:
    script = ROOT / "scripts" / "build_unit_costs.py"
    command = [sys.executable, str(script), "--shared", str(SHARED_DATA), "--out", str(tmp_path)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    names = sorted(p.name for p in SHIPPED.iterdir())
    assert names == ["SOURCES.md", "deflators.csv", "unit_costs.csv"]
    for name in names:
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), name
    text = (SHIPPED / "SOURCES.md").read_text(encoding="utf-8")
    assert books[0]["Introduction"]["E17"].value in text
    assert "CC BY 4.0" in text and "v1.4" in text
