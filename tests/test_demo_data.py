"""The demo's synthetic sources: deterministic, and messy in exactly the promised ways."""

from __future__ import annotations

import codecs
import csv
import io
import json
import tomllib
import zipfile
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import openpyxl
import pytest

from totalplace.demo_data import (
    DEMO_SEED,
    POLICE_PROFILE_NAME,
    DemoSource,
    write_demo_sources,
)

CITY_APRIL = "northmoor-city_2010-04.csv"
CITY_MAY = "northmoor-city_2010-05.csv"
VALLEY_Q1 = "northmoor-valley_2010-Q1.csv"
VALLEY_Q2 = "northmoor-valley_2010-Q2.csv"
PCT = "northmoor-pct_2010-11.xlsx"
POLICE = "northmoor-police_2010-11.zip"
FIRE = "northmoor-fire_2010-11.csv"
ALL_FILES = [CITY_APRIL, CITY_MAY, VALLEY_Q1, VALLEY_Q2, PCT, POLICE, FIRE]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[DemoSource]]:
    dest = tmp_path_factory.mktemp("demo")
    return dest, write_demo_sources(dest)


@pytest.fixture(scope="module")
def expected(demo: tuple[Path, list[DemoSource]]) -> dict[str, dict[str, int]]:
    data: dict[str, dict[str, int]] = json.loads((demo[0] / "expected.json").read_text())
    return data


def _pence(text: str) -> int | None:
    try:
        return int(Decimal(text) * 100)
    except InvalidOperation:
        return None


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    first = write_demo_sources(tmp_path / "a")
    second = write_demo_sources(tmp_path / "b", seed=DEMO_SEED)
    assert [s.path.name for s in first] == [s.path.name for s in second]
    assert [(s.publisher, s.layout) for s in first] == [(s.publisher, s.layout) for s in second]
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    write_demo_sources(tmp_path / "a")
    write_demo_sources(tmp_path / "b", seed=DEMO_SEED + 1)
    assert (tmp_path / "a" / CITY_APRIL).read_bytes() != (tmp_path / "b" / CITY_APRIL).read_bytes()


def test_all_files_profile_and_expectations_written(
    demo: tuple[Path, list[DemoSource]], expected: dict[str, dict[str, int]]
) -> None:
    dest, sources = demo
    assert [s.path.name for s in sources] == ALL_FILES
    assert all(s.path.is_file() and s.path.parent == dest for s in sources)
    assert [s.publisher for s in sources[:2]] == [None, None]
    assert all(s.publisher for s in sources[2:])
    assert all(s.layout for s in sources)
    assert sorted(expected) == sorted(ALL_FILES)
    assert all(300 <= counts["data_rows"] <= 1500 for counts in expected.values())
    assert sum(p.stat().st_size for p in dest.iterdir()) < 2_000_000
    profile = tomllib.loads((dest / POLICE_PROFILE_NAME).read_text(encoding="utf-8"))
    assert profile["publisher"] == "Northmoor Police Authority"
    assert profile["columns"] == {"period": "Period"}
    assert profile["periods"] == {
        "calendar": "four-weekly",
        "year": "2010-11",
        "year_start": "04-01",
    }


def test_city_april_counts_match_csv_reader(
    demo: tuple[Path, list[DemoSource]], expected: dict[str, dict[str, int]]
) -> None:
    raw = (demo[0] / CITY_APRIL).read_bytes()
    assert not raw.endswith(b"\n")
    assert b"\r" not in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    header, data = rows[0], rows[1:]
    assert header == ["Body Name", "Service Area", "Expenses Type", "Invoice Payment Date",
                      "Transaction Number", "Amount", "Supplier Name"]  # fmt: skip
    assert len(data) == expected[CITY_APRIL]["data_rows"]
    assert len(data[-1]) < len(header)  # the truncated last line
    amounts = [r[5] for r in data if len(r) == len(header)]
    assert {"TBC", ""} <= set(amounts)
    assert any(a.startswith("-") for a in amounts)
    assert any(r[6] == "REDACTED PERSONAL DATA" for r in data if len(r) == len(header))
    assert any(r[3] == "" for r in data)
    valid = [p for p in map(_pence, amounts) if p is not None]
    assert sum(valid) == expected[CITY_APRIL]["valid_amount_pence"]


def test_city_may_is_cp1252_with_late_non_ascii(demo: tuple[Path, list[DemoSource]]) -> None:
    raw = (demo[0] / CITY_MAY).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert "Café Nero Ltd" in text and "£" in text
    first_non_ascii = next(i for i, b in enumerate(raw) if b > 0x7F)
    assert first_non_ascii >= 0.9 * len(raw)
    assert raw.count(b"\n") == raw.count(b"\r\n") > 0
    assert text.startswith("Body Name,Service Area,Expenses Type,Invoice Payment Date,"
                           "Transaction Number,Net Amount,Supplier Name\r\n")  # fmt: skip


def test_valley_q1_has_bom_preamble_and_pound_amounts(
    demo: tuple[Path, list[DemoSource]], expected: dict[str, dict[str, int]]
) -> None:
    raw = (demo[0] / VALLEY_Q1).read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    lines = raw.decode("utf-8-sig").split("\n")
    assert lines[:3] == ["Northmoor Valley Borough Council",
                         "Payments over £500, April to June 2010", ""]  # fmt: skip
    rows = list(csv.reader(lines[3:]))
    assert rows[0][-2] == "Invoice Line Value (net of VAT)"
    data = [r for r in rows[1:] if r]
    assert len(data) == expected[VALLEY_Q1]["data_rows"]
    amounts = [r[4] for r in data]
    assert any(a.startswith("£") and "," in a for a in amounts)
    assert any(a.startswith("(") and a.endswith(")") for a in amounts)
    assert '"£' in raw.decode("utf-8-sig")  # amounts with commas are quoted


def test_valley_q2_is_semicolons_with_cr_only(
    demo: tuple[Path, list[DemoSource]], expected: dict[str, dict[str, int]]
) -> None:
    raw = (demo[0] / VALLEY_Q2).read_bytes()
    assert b"\r" in raw and b"\n" not in raw
    lines = raw.decode("utf-8").split("\r")
    assert lines[0] == "Payment Date;Supplier;Service Area;Expense Type;Amount"
    assert len([line for line in lines[1:] if line]) == expected[VALLEY_Q2]["data_rows"]


def test_pct_workbook_has_date_cells_and_serials(
    demo: tuple[Path, list[DemoSource]], expected: dict[str, dict[str, int]]
) -> None:
    wb = openpyxl.load_workbook(demo[0] / PCT)
    rows = list(wb.active.iter_rows(values_only=True))
    wb.close()
    assert rows[1] == ("Payment Date", "Supplier Name", "Expense Area", "Expense Type",
                       "Transaction Number", "Amount")  # fmt: skip
    data = rows[2:]
    assert len(data) == expected[PCT]["data_rows"]
    serials = [r[0] for r in data if isinstance(r[0], int)]
    assert serials and all(40269 <= s <= 40633 for s in serials)  # 2010-04-01 .. 2011-03-31
    assert sum(isinstance(r[0], datetime) for r in data) > len(data) // 2
    assert all(isinstance(r[5], int | float) for r in data)
    total = sum(round(Decimal(str(r[5])) * 100) for r in data)
    assert total == expected[PCT]["valid_amount_pence"]


def test_police_zip_holds_period_coded_csv(
    demo: tuple[Path, list[DemoSource]], expected: dict[str, dict[str, int]]
) -> None:
    with zipfile.ZipFile(demo[0] / POLICE) as zf:
        assert zf.namelist() == ["police_payments_2010-11.csv"]
        text = zf.read("police_payments_2010-11.csv").decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["Period", "Supplier", "Service", "Expense Type", "Amount"]
    assert {r[0] for r in rows[1:]} <= {f"P{n:02d}" for n in range(1, 14)}
    assert len(rows) - 1 == expected[POLICE]["data_rows"]


def test_fire_has_month_codes_and_messy_tail(
    demo: tuple[Path, list[DemoSource]], expected: dict[str, dict[str, int]]
) -> None:
    text = (demo[0] / FIRE).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[-3:] == [["Grand Total", "", "", rows[-3][3], ""], [], ["", "", "", "", ""]]
    data = rows[1:-3]
    assert len(data) == expected[FIRE]["data_rows"]
    months = [f"2010{m:02d}" for m in range(4, 13)] + ["201101", "201102", "201103"]
    assert {r[0] for r in data} == set(months)
    total = expected[FIRE]["valid_amount_pence"]
    assert _pence(rows[-3][3]) == total == sum(_pence(r[3]) or 0 for r in data)
