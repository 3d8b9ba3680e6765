"""Every layout quirk of published spend files, one small synthetic file each.

The files live in ``tests/data`` and are named after what they show; the
expected counts, pence, dates and line numbers below are worked out by hand
from the files (line numbers are physical lines, the header being line 1
unless the file says otherwise).  Workbooks and archives are built in the
test's temporary folder.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from totalplace.errors import ConfigError
from totalplace.ingest import FileReport, ingest_files
from totalplace.ingest.issues import ERROR_PRECEDENCE
from totalplace.workspace import Workspace

DATA = Path(__file__).resolve().parent / "data"
PUBLISHER = "Test Council"
HEADER = b"Payment Date,Supplier Name,Amount\n"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")


def ingest(
    ws: Workspace,
    *paths: Path,
    publisher: str | None = PUBLISHER,
    profile: Path | None = None,
) -> list[FileReport]:
    report = ingest_files(ws, list(paths), publisher=publisher, profile_path=profile)
    for f in report.files:
        if f.status == "loaded":
            check_balanced(ws, f)
    return report.files


def ingest_one(
    ws: Workspace, name: str, publisher: str | None = PUBLISHER, profile: Path | None = None
) -> FileReport:
    files = ingest(ws, DATA / name, publisher=publisher, profile=profile)
    assert len(files) == 1
    return files[0]


def check_balanced(ws: Workspace, f: FileReport) -> None:
    """What holds for every loaded file: the counts and pence agree with the views."""
    assert f.rows_read == f.rows_loaded + f.rows_quarantined + f.rows_blank
    with ws.connect() as con:
        n_spend, pence_spend = con.execute(
            "SELECT count(*), coalesce(sum(amount_pence), 0) FROM spend WHERE file_id = ?",
            [f.sha256],
        ).fetchone() or (None, None)
        n_quar, pence_quar = con.execute(
            "SELECT count(*), coalesce(sum(amount_pence), 0) FROM quarantine WHERE file_id = ?",
            [f.sha256],
        ).fetchone() or (None, None)
        reasons = con.execute(
            "SELECT DISTINCT reason FROM quarantine WHERE file_id = ?", [f.sha256]
        ).fetchall()
    assert (n_spend, pence_spend) == (f.rows_loaded, f.amount_loaded_pence)
    # the quarantine keeps the publisher's own total lines too, whose pence are
    # not quarantined money
    assert (n_quar, pence_quar) == (
        f.rows_quarantined,
        f.amount_quarantined_pence + f.amount_publisher_total_pence,
    )
    assert {r[0] for r in reasons} <= set(ERROR_PRECEDENCE)


Rows = list[tuple[Any, ...]]


def spend_rows(
    ws: Workspace, cols: str = "source_line, payment_date, amount_pence, supplier_name"
) -> Rows:
    with ws.connect() as con:
        return con.sql(f"SELECT {cols} FROM spend ORDER BY file_id, source_line").fetchall()


def quarantine_rows(ws: Workspace, cols: str = "source_line, reason, amount_pence") -> Rows:
    with ws.connect() as con:
        return con.sql(f"SELECT {cols} FROM quarantine ORDER BY file_id, source_line").fetchall()


def file_row(ws: Workspace, cols: str = "encoding, delimiter, header_line") -> tuple[Any, ...]:
    with ws.connect() as con:
        rows = con.sql(f"SELECT {cols} FROM files").fetchall()
    assert len(rows) == 1
    return rows[0]


def counts(f: FileReport) -> tuple[int, int, int, int]:
    return f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_blank


def issue_lines(f: FileReport) -> list[tuple[object, object]]:
    return [(i["line"], i["slug"]) for i in f.issues]


# -- encodings and line endings -------------------------------------------------------


def test_bom_is_dropped_before_the_headers_are_mapped(ws: Workspace) -> None:
    f = ingest_one(ws, "bom.csv")
    assert f.status == "loaded"
    assert f.column_map == {
        "payment_date": "Payment Date (synonym)",
        "amount": "Amount (synonym)",
        "supplier_name": "Supplier Name (synonym)",
    }
    assert counts(f) == (5, 5, 0, 0)
    assert f.amount_loaded_pence == 10000 + 20050 + 30025 + 40000 + 75
    assert file_row(ws) == ("utf-8-sig", ",", 1)
    assert spend_rows(ws) == [
        (2, date(2010, 11, 5), 10000, "Acme Ltd"),
        (3, date(2010, 11, 6), 20050, "Beta Ltd"),
        (4, date(2010, 11, 7), 30025, "Gamma Ltd"),
        (5, date(2010, 11, 8), 40000, "Delta Ltd"),
        (6, date(2010, 11, 9), 75, "Epsilon Ltd"),
    ]


def test_cr_only_line_endings_count_as_lines(ws: Workspace) -> None:
    assert b"\n" not in (DATA / "cr-only-line-endings.csv").read_bytes()
    f = ingest_one(ws, "cr-only-line-endings.csv")
    assert counts(f) == (5, 4, 1, 0)
    assert f.amount_loaded_pence == 50100 + 50200 + 50400 + 50555
    assert f.issue_counts == {"unparseable-amount": 1}
    assert spend_rows(ws) == [
        (2, date(2010, 10, 1), 50100, "Acme Ltd"),
        (3, date(2010, 10, 2), 50200, "Beta Ltd"),
        (5, date(2010, 10, 4), 50400, "Delta Ltd"),
        (6, date(2010, 10, 5), 50555, "Epsilon Ltd"),
    ]
    assert quarantine_rows(ws, "source_line, reason, raw_record") == [
        (4, "unparseable-amount", "03/10/2010,Gamma Ltd,TBC")
    ]


def test_crlf_line_endings_leave_no_carriage_returns_in_values(ws: Workspace) -> None:
    assert (DATA / "crlf-line-endings.csv").read_bytes().count(b"\r\n") == 6
    f = ingest_one(ws, "crlf-line-endings.csv")
    assert counts(f) == (5, 5, 0, 0)
    assert f.amount_loaded_pence == 100000 + 200000 + 300000 + 400001 + 500099
    assert spend_rows(ws) == [
        (2, date(2010, 12, 1), 100000, "Acme Ltd"),
        (3, date(2010, 12, 2), 200000, "Beta Ltd"),
        (4, date(2010, 12, 3), 300000, "Gamma Ltd"),
        (5, date(2010, 12, 4), 400001, "Delta Ltd"),
        (6, date(2010, 12, 5), 500099, "Epsilon Ltd"),
    ]


def test_cp1252_byte_in_the_last_row_decodes_the_whole_file_as_cp1252(ws: Workspace) -> None:
    raw = (DATA / "cp1252-late-byte.csv").read_bytes()
    assert raw.splitlines()[-1] == b"05/11/2010,Caf\xe9 Ltd,\xa31000.00"
    assert all(b < 0x80 for line in raw.splitlines()[:-1] for b in line)
    f = ingest_one(ws, "cp1252-late-byte.csv")
    assert counts(f) == (5, 5, 0, 0)
    assert f.amount_loaded_pence == 60000 + 70000 + 80000 + 90000 + 100000
    assert file_row(ws, "encoding") == ("cp1252",)
    assert spend_rows(ws)[-1] == (6, date(2010, 11, 5), 100000, "Café Ltd")


def test_cp1252_byte_far_past_the_sniffed_head_is_still_decoded(
    ws: Workspace, tmp_path: Path
) -> None:
    # 10,000 ASCII rows (about 350 KB, more than the 256 KB read for sniffing)
    rows = b"".join(b"01/11/2010,Supplier %05d Ltd,1.00\n" % i for i in range(10_000))
    path = tmp_path / "big-cp1252.csv"
    path.write_bytes(HEADER + rows + "02/11/2010,Café Ltd,£1000.00\n".encode("cp1252"))
    assert path.stat().st_size > 256 * 1024
    [f] = ingest(ws, path)
    assert counts(f) == (10_001, 10_001, 0, 0)
    assert f.amount_loaded_pence == 10_000 * 100 + 100000
    with ws.connect() as con:
        last = con.sql(
            "SELECT source_line, supplier_name, amount_pence FROM spend WHERE source_line > 10001"
        ).fetchall()
    assert last == [(10002, "Café Ltd", 100000)]


# -- layout: preamble, delimiters --------------------------------------------------------


def test_preamble_lines_above_the_header_keep_physical_line_numbers(ws: Workspace) -> None:
    f = ingest_one(ws, "preamble-lines.csv")
    assert file_row(ws) == ("utf-8", ",", 4)
    assert counts(f) == (6, 4, 2, 0)  # the title lines are not records
    assert f.amount_loaded_pence == 60000 + 70000 + 80000 + 100000
    assert f.amount_quarantined_pence == 90000  # the missing amount counts nothing
    assert f.issue_counts == {"missing-amount": 1, "unparseable-date": 1}
    assert issue_lines(f) == [(7, "missing-amount"), (9, "unparseable-date")]
    assert [r[0] for r in spend_rows(ws)] == [5, 6, 8, 10]
    assert quarantine_rows(ws) == [(7, "missing-amount", None), (9, "unparseable-date", 90000)]


def test_semicolon_delimited_file_keeps_commas_inside_values(ws: Workspace) -> None:
    f = ingest_one(ws, "semicolon-delimited.csv")
    assert file_row(ws) == ("utf-8", ";", 1)
    assert counts(f) == (4, 4, 0, 0)
    assert f.amount_loaded_pence == 123456 + 50000 + 200000 + 75025
    assert spend_rows(ws, "source_line, amount_pence, supplier_name, purpose") == [
        (2, 123456, "Acme Ltd", "Roads, bridges and paths"),
        (3, 50000, "Beta, Gamma & Co", "Consultancy"),
        (4, 200000, "Delta Ltd", "Care; residential"),
        (5, 75025, "Epsilon Ltd", "Books"),
    ]


def test_tab_delimited_tsv(ws: Workspace) -> None:
    f = ingest_one(ws, "tab-delimited.tsv")
    assert file_row(ws) == ("utf-8", "\t", 1)
    assert counts(f) == (4, 4, 0, 0)
    assert f.amount_loaded_pence == 150000 + 60040 + 70000 + 80060
    assert spend_rows(ws, "source_line, amount_pence, supplier_name, purpose") == [
        (2, 150000, "Acme, Ltd", "Roads, bridges"),
        (3, 60040, "Beta Ltd", "IT"),
        (4, 70000, "Gamma Ltd", "Care"),
        (5, 80060, "Delta Ltd", "Parks"),
    ]


# -- money -----------------------------------------------------------------------------


def test_money_formats_parse_to_exact_pence(ws: Workspace) -> None:
    f = ingest_one(ws, "money-formats.csv")
    assert counts(f) == (11, 9, 2, 0)
    expected = [
        (2, 123450, "Pound Sign Ltd", []),  # "£1,234.50"
        (3, 161623, "Trailing Space Ltd", []),  # "1616.23 "
        (4, -100000, "Parentheses Ltd", ["negative-amount"]),  # "(1,000.00)"
        (5, -4500, "Leading Minus Ltd", ["negative-amount"]),  # "-45"
        (6, -4500, "Trailing Minus Ltd", ["negative-amount"]),  # "45-"
        (7, 0, "Sub Penny Down Ltd", ["sub-penny-amount"]),  # 0.005: half a penny to even 0
        (8, 2, "Sub Penny Up Ltd", ["sub-penny-amount"]),  # 0.015: 1.5p to even 2p
        (11, -1230, "Credit Note Ltd", ["negative-amount"]),  # "12.30CR"
        (12, 100000000, "Millions Ltd", []),  # "£1,000,000.00"
    ]
    assert spend_rows(ws, "source_line, amount_pence, supplier_name, warnings") == expected
    assert f.amount_loaded_pence == sum(r[1] for r in expected) == 100174845
    assert quarantine_rows(ws) == [
        (9, "missing-amount", None),
        (10, "unparseable-amount", None),
    ]
    assert f.amount_quarantined_pence == 0
    assert f.issue_counts == {
        "missing-amount": 1,
        "negative-amount": 4,
        "sub-penny-amount": 2,
        "unparseable-amount": 1,
    }
    by_line = {i["line"]: i for i in f.issues}
    assert by_line[10]["value"] == "TBC"
    assert by_line[10]["field"] == "Amount"
    assert by_line[10]["message"] == 'amount "TBC" in column "Amount" is not a money value'
    assert by_line[9]["message"] == 'amount column "Amount" is blank'


# -- dates and periods -------------------------------------------------------------------


def test_date_formats(ws: Workspace) -> None:
    f = ingest_one(ws, "date-formats.csv")
    assert counts(f) == (10, 8, 2, 0)
    cols = "source_line, payment_date, period_start, period_end, date_precision"
    assert spend_rows(ws, cols) == [
        (2, date(2010, 11, 5), date(2010, 11, 5), date(2010, 11, 5), "day"),  # ISO
        (3, date(2010, 11, 6), date(2010, 11, 6), date(2010, 11, 6), "day"),  # dd/mm/yyyy
        (4, date(2010, 11, 7), date(2010, 11, 7), date(2010, 11, 7), "day"),  # dd-Mon-yyyy
        (5, date(2011, 1, 1), date(2011, 1, 1), date(2011, 1, 1), "day"),  # Excel 40544
        (6, date(2010, 11, 8), date(2010, 11, 8), date(2010, 11, 8), "day"),  # ISO + time
        (7, date(2010, 11, 9), date(2010, 11, 9), date(2010, 11, 9), "day"),  # 9 November 2010
        (8, date(2010, 11, 10), date(2010, 11, 10), date(2010, 11, 10), "day"),  # dotted
        (9, date(2010, 11, 11), date(2010, 11, 11), date(2010, 11, 11), "day"),  # 11/11/10
    ]
    assert f.amount_loaded_pence == sum(range(50100, 50900, 100))
    assert quarantine_rows(ws) == [(10, "unparseable-date", 50900), (11, "missing-date", 51000)]
    assert f.amount_quarantined_pence == 50900 + 51000
    assert f.issue_counts == {"missing-date": 1, "unparseable-date": 1}
    assert f.issues[0]["value"] == "31/02/2010"


def test_month_first_dates_are_detected_when_a_day_is_over_12(ws: Workspace) -> None:
    f = ingest_one(ws, "us-date-order.csv")
    assert counts(f) == (4, 4, 0, 0)
    assert spend_rows(ws) == [
        (2, date(2010, 11, 25), 60000, "Acme Ltd"),
        (3, date(2010, 12, 1), 70000, "Beta Ltd"),  # 12/01/2010, not 12 January
        (4, date(2011, 1, 2), 80000, "Gamma Ltd"),
        (5, date(2011, 2, 28), 90000, "Delta Ltd"),
    ]


def test_period_codes_load_with_start_end_and_a_warning(ws: Workspace) -> None:
    f = ingest_one(ws, "period-codes.csv")
    assert f.column_map["period"] == "Period (synonym)"
    assert "payment_date" not in f.column_map
    assert counts(f) == (6, 6, 0, 0)
    assert f.amount_loaded_pence == 510000
    assert f.issue_counts == {"period-date": 6}
    cols = "source_line, payment_date, period_start, period_end, date_precision, warnings"
    assert spend_rows(ws, cols) == [
        (2, None, date(2010, 9, 1), date(2010, 9, 30), "month", ["period-date"]),
        (3, None, date(2011, 1, 1), date(2011, 1, 31), "month", ["period-date"]),
        (4, None, date(2010, 7, 1), date(2010, 9, 30), "range", ["period-date"]),
        (5, None, date(2010, 10, 1), date(2010, 12, 31), "quarter", ["period-date"]),
        (6, None, date(2011, 1, 1), date(2011, 1, 31), "month", ["period-date"]),
        # bare P04 takes the workspace's year 2010-11: July 2010
        (7, None, date(2010, 7, 1), date(2010, 7, 31), "period", ["period-date"]),
    ]


def test_four_weekly_periods_from_a_profile(ws: Workspace) -> None:
    f = ingest_one(
        ws, "four-weekly-periods.csv", publisher=None, profile=DATA / "four-weekly-periods.toml"
    )
    assert f.status == "loaded"
    assert f.publisher == "Four Weekly Trust"
    assert counts(f) == (13, 13, 0, 0)
    assert f.amount_loaded_pence == sum(n * 10000 for n in range(1, 14))
    rows = spend_rows(ws, "source_line, period_start, period_end, date_precision, paying_body")
    assert rows[0] == (2, date(2013, 4, 1), date(2013, 4, 28), "period", "Four Weekly Trust")
    assert rows[1] == (3, date(2013, 4, 29), date(2013, 5, 26), "period", "Four Weekly Trust")
    assert rows[-1] == (14, date(2014, 3, 3), date(2014, 3, 31), "period", "Four Weekly Trust")
    for (_, _, end, _, _), (_, start, _, _, _) in pairwise(rows):
        assert (start - end).days == 1
    assert [(e - s).days + 1 for _, s, e, _, _ in rows] == [28] * 12 + [29]


def test_profile_is_found_by_the_publisher_name(ws: Workspace) -> None:
    shutil.copyfile(DATA / "four-weekly-periods.toml", ws.profiles_dir / "trust.toml")
    f = ingest_one(ws, "four-weekly-periods.csv", publisher="FOUR WEEKLY TRUST")
    assert f.status == "loaded"
    rows = spend_rows(ws, "source_line, period_start, period_end")
    assert rows[-1] == (14, date(2014, 3, 3), date(2014, 3, 31))


def test_profile_date_order_forces_month_first(ws: Workspace, tmp_path: Path) -> None:
    profile = tmp_path / "us.toml"
    profile.write_text('publisher = "Test Council"\ndate_order = "mdy"\n', encoding="utf-8")
    f = ingest_one(ws, "bom.csv", profile=profile)
    assert counts(f) == (5, 5, 0, 0)
    # 05/11/2010 .. 09/11/2010 are 11 May .. 11 September
    assert [r[1] for r in spend_rows(ws)] == [date(2010, m, 11) for m in range(5, 10)]


@pytest.mark.parametrize(
    ("name", "profile_text"),
    [
        ("four-weekly-periods.csv", '[periods]\ncalendar = "four-weekly"\nyear = 2013\n'),
        ("four-weekly-periods.csv", '[periods]\ncalendar = "four-weekly"\nyear = "13-14"\n'),
        ("preamble-lines.csv", 'header_line = "4"\n'),
        ("preamble-lines.csv", 'delimiter = ";;"\n'),
    ],
    ids=["year-int", "year-short", "header-line-text", "delimiter-two-chars"],
)
def test_malformed_profile_values_are_reported_not_raised(
    ws: Workspace, tmp_path: Path, name: str, profile_text: str
) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text('publisher = "Test Council"\n' + profile_text, encoding="utf-8")
    try:
        f = ingest_one(ws, name, profile=profile)
    except ConfigError:
        return  # as for a bad calendar: the profile is refused with its path
    assert f.status == "failed"
    assert f.message


# -- records: footers, truncation, quoted line breaks, blank lines --------------------------


def test_footer_total_and_copyright_lines_are_quarantined(ws: Workspace) -> None:
    f = ingest_one(ws, "footer-total.csv")
    assert counts(f) == (5, 3, 2, 0)
    # a supplier called "Copyright ..." on a dated row is a real payee
    assert spend_rows(ws) == [
        (2, date(2010, 11, 1), 60000, "Acme Ltd"),
        (3, date(2010, 11, 2), 70000, "Copyright Licensing Agency"),
        (4, date(2010, 11, 3), 80000, "Beta Ltd"),
    ]
    assert quarantine_rows(ws, "source_line, reason, amount_pence, raw_record") == [
        (5, "publisher-total", 210000, ",Grand Total,2100.00"),
        (6, "footer-text", None, "© Copyright Example Council 2010"),
    ]
    assert f.amount_loaded_pence == 210000
    # the total is kept, never counted, and is not quarantined money
    assert f.amount_quarantined_pence == 0
    assert f.amount_publisher_total_pence == 210000
    assert f.details["publisher_total"]["matches"] is True
    assert f.issue_counts == {"footer-text": 1, "publisher-total": 1}


def test_footer_rows_with_every_field_are_caught_too(ws: Workspace, tmp_path: Path) -> None:
    # every line has three fields, so the fast reader takes this file
    path = tmp_path / "footer-fast.csv"
    path.write_bytes(HEADER + b"01/11/2010,Acme Ltd,600.00\nTOTAL:,,600.00\nEnd of report,,\n")
    [f] = ingest(ws, path)
    assert counts(f) == (3, 1, 2, 0)
    assert quarantine_rows(ws, "source_line, reason, amount_pence, raw_record") == [
        (3, "publisher-total", 60000, "TOTAL:,,600.00"),
        (4, "footer-text", None, "End of report,,"),
    ]
    assert (f.amount_quarantined_pence, f.amount_publisher_total_pence) == (0, 60000)


def test_truncated_last_record_is_quarantined(ws: Workspace) -> None:
    assert not (DATA / "truncated-last-record.csv").read_bytes().endswith(b"\n")
    f = ingest_one(ws, "truncated-last-record.csv")
    assert counts(f) == (4, 3, 1, 0)
    assert f.amount_loaded_pence == 60000 + 70000 + 80000
    assert quarantine_rows(ws, "source_line, reason, raw_record") == [
        (5, "truncated-record", "04/11/2010,Delta Lt")
    ]
    assert f.issues == [
        {
            "file": str(DATA / "truncated-last-record.csv"),
            "line": 5,
            "slug": "truncated-record",
            "severity": "error",
            "field": None,
            "value": "2 of 3",
            "message": "record has fewer fields than the header (2 of 3)",
        }
    ]


def test_quoted_line_break_is_one_record_and_later_lines_stay_physical(ws: Workspace) -> None:
    f = ingest_one(ws, "quoted-newline.csv")
    assert counts(f) == (4, 3, 1, 0)  # 7 data lines, 4 records
    assert spend_rows(ws, "source_line, source_lines, amount_pence, supplier_name, purpose") == [
        (2, 2, 60000, "Acme Ltd", "Road repairs\nphase two"),
        (4, 1, 70000, "Beta Ltd", "Books"),
        (5, 3, 80000, "Gamma\nTrading\nLtd", "Care"),
    ]
    assert quarantine_rows(ws) == [(8, "missing-amount", None)]


def test_blank_lines_and_empty_records_are_counted_as_blank(ws: Workspace) -> None:
    f = ingest_one(ws, "blank-lines.csv")
    # lines 3 (empty), 5 (",,"), 6 (spaces), 8 (",,,") and 9 (empty) are blank
    assert counts(f) == (8, 3, 0, 5)
    assert f.amount_loaded_pence == 210000
    assert [r[0] for r in spend_rows(ws)] == [2, 4, 7]
    assert f.issue_counts == {}


# -- workbooks and archives ------------------------------------------------------------------


def test_xlsx_with_date_cells_and_raw_serial_numbers(ws: Workspace, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(["Payment Date", "Supplier Name", "Amount"])
    sheet.append([datetime(2010, 11, 5), "Acme Ltd", 1234.5])
    sheet.append([date(2010, 11, 6), "Beta Ltd", 600])
    sheet.append([40544, "Serial Ltd", 700.25])  # a raw serial: 2011-01-01
    sheet.append([40545.0, "Float Serial Ltd", "£800.00"])  # 2011-01-02, amount as text
    sheet.append([datetime(2010, 11, 9, 13, 45), "Timed Ltd", 0.1])
    sheet.append(["10/11/2010", "Text Date Ltd", -50.5])
    sheet.append([None, None, None])
    sheet.append(["Grand Total", None, 3384.35])
    path = tmp_path / "xlsx-serial-dates.xlsx"
    wb.save(path)

    [f] = ingest(ws, path)
    assert f.status == "loaded"
    assert file_row(ws, "encoding") == ("xlsx",)
    assert counts(f) == (8, 6, 1, 1)
    assert spend_rows(ws) == [
        (2, date(2010, 11, 5), 123450, "Acme Ltd"),
        (3, date(2010, 11, 6), 60000, "Beta Ltd"),
        (4, date(2011, 1, 1), 70025, "Serial Ltd"),
        (5, date(2011, 1, 2), 80000, "Float Serial Ltd"),
        (6, date(2010, 11, 9), 10, "Timed Ltd"),
        (7, date(2010, 11, 10), -5050, "Text Date Ltd"),
    ]
    assert f.amount_loaded_pence == 123450 + 60000 + 70025 + 80000 + 10 - 5050
    assert quarantine_rows(ws) == [(9, "publisher-total", 338435)]
    assert (f.amount_quarantined_pence, f.amount_publisher_total_pence) == (0, 338435)
    assert f.issue_counts == {"publisher-total": 1, "negative-amount": 1}


def test_zip_of_csvs_ingests_every_member(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "zip-of-csvs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.csv", HEADER + b"01/11/2010,Acme Ltd,600.00\n02/11/2010,Beta Ltd,700.00\n")
        zf.writestr(
            "sub/b.csv",
            HEADER + b"03/11/2010,Gamma Ltd,800.00\n04/11/2010,Delta Ltd,TBC\n"
            b"05/11/2010,Epsilon Ltd,900.00\n",
        )
        zf.writestr("__MACOSX/._a.csv", b"\x00\x05\x16\x07 resource fork")
        zf.writestr("notes.md", b"# not data\n")

    a, b = ingest(ws, path)
    assert (a.path, a.status) == (f"{path}!a.csv", "loaded")
    assert (b.path, b.status) == (f"{path}!sub/b.csv", "loaded")
    assert (counts(a), a.amount_loaded_pence) == ((2, 2, 0, 0), 130000)
    assert (counts(b), b.amount_loaded_pence) == ((3, 2, 1, 0), 170000)
    assert [(i["file"], i["line"], i["slug"]) for i in b.issues] == [
        (f"{path}!sub/b.csv", 3, "unparseable-amount")
    ]
    with ws.connect() as con:
        assert con.sql("SELECT path FROM files ORDER BY path").fetchall() == [
            (f"{path}!a.csv",),
            (f"{path}!sub/b.csv",),
        ]
        assert con.sql("SELECT count(*), sum(amount_pence) FROM spend").fetchall() == [(4, 300000)]
    # the extracted members are cleaned away
    assert [p.name for p in ws.tmp_dir.iterdir() if p.is_file()] == []


# -- files that cannot be mapped --------------------------------------------------------------


def test_unmappable_headers_fail_with_candidates_and_a_profile_hint(ws: Workspace) -> None:
    f = ingest_one(ws, "unmappable-headers.csv")
    assert f.status == "failed"
    assert "cannot map required role(s): amount." in f.message
    # "Cost Centre Ref" holds codes under a cost-centre header: the service code
    assert "Unmapped columns that could fill them: 'Cost'." in f.message
    assert "service_code='Cost Centre Ref (header word)'" in f.message
    assert "profile" in f.message
    assert 'amount = "Cost"' in f.message
    assert counts(f) == (0, 0, 0, 0)
    with ws.connect() as con:
        assert con.sql("SELECT count(*) FROM files").fetchall() == [(0,)]


def test_no_paying_body_and_no_publisher_fails(ws: Workspace) -> None:
    f = ingest_one(ws, "no-paying-body.csv", publisher=None)
    assert f.status == "failed"
    assert "no paying body" in f.message
    assert "--publisher" in f.message
    with ws.connect() as con:
        assert con.sql("SELECT count(*) FROM files").fetchall() == [(0,)]


def test_publisher_fills_the_paying_body(ws: Workspace) -> None:
    f = ingest_one(ws, "no-paying-body.csv", publisher="Gateshead Council")
    assert f.status == "loaded"
    assert f.publisher == "Gateshead Council"
    assert {r[0] for r in spend_rows(ws, "paying_body")} == {"Gateshead Council"}


# -- payees -----------------------------------------------------------------------------------


def test_redacted_and_personal_payees_are_loaded_with_warnings(ws: Workspace) -> None:
    f = ingest_one(ws, "redacted-and-personal.csv")
    assert counts(f) == (7, 7, 0, 0)
    assert f.amount_loaded_pence == sum(range(60000, 120001, 10000))
    assert spend_rows(ws, "source_line, supplier_name, warnings") == [
        (2, "Acme Ltd", []),
        (3, "REDACTED", ["redacted-supplier"]),
        (4, "Personal Data - Withheld", ["redacted-supplier"]),
        (5, "Mr J Smith", ["personal-supplier"]),
        (6, "Jones, A", ["personal-supplier"]),
        (7, None, ["missing-supplier"]),
        (8, "Smith, Jones & Co", []),
    ]
    assert f.issue_counts == {
        "missing-supplier": 1,
        "personal-supplier": 2,
        "redacted-supplier": 2,
    }
    assert all(i["severity"] == "warning" for i in f.issues)


# -- several files --------------------------------------------------------------------------


def test_header_drift_between_months_of_one_publisher(ws: Workspace) -> None:
    a, b = ingest(ws, DATA / "header-drift-a.csv", DATA / "header-drift-b.csv", publisher=None)
    assert (a.status, b.status) == ("loaded", "loaded")
    assert a.column_map["amount"] == "Amount (synonym)"
    assert b.column_map["amount"] == "Net Amount (synonym)"
    assert a.publisher == b.publisher == "Test Council"  # from the Body Name column
    assert (a.amount_loaded_pence, b.amount_loaded_pence) == (400000, 405000)
    with ws.connect() as con:
        assert con.sql(
            "SELECT paying_body, count(*), sum(amount_pence) FROM spend GROUP BY ALL"
        ).fetchall() == [("Test Council", 10, 805000)]


def test_same_file_twice_is_a_duplicate_and_loads_nothing(ws: Workspace, tmp_path: Path) -> None:
    [first] = ingest(ws, DATA / "bom.csv")
    assert first.status == "loaded"
    [again] = ingest(ws, DATA / "bom.csv")
    assert again.status == "duplicate"
    assert again.sha256 == first.sha256
    assert counts(again) == (0, 0, 0, 0)
    # same bytes under another name, in the same run as a new file
    copy = tmp_path / "renamed.csv"
    shutil.copyfile(DATA / "bom.csv", copy)
    statuses = [f.status for f in ingest(ws, copy, DATA / "crlf-line-endings.csv")]
    assert statuses == ["duplicate", "loaded"]
    with ws.connect() as con:
        assert con.sql("SELECT count(*) FROM files").fetchall() == [(2,)]
        assert con.sql("SELECT count(*) FROM spend").fetchall() == [(10,)]


def test_a_failed_file_does_not_stop_the_others(ws: Workspace) -> None:
    files = ingest(ws, DATA / "unmappable-headers.csv", DATA / "bom.csv", DATA / "missing.csv")
    assert [f.status for f in files] == ["failed", "loaded", "failed"]
    assert files[2].message == "no such file"


# -- stray carriage returns (known bugs) ----------------------------------------------------

FILLER = b"".join(b"01/11/2010,Filler %02d Ltd,1.00\n" % i for i in range(2, 42))  # lines 2-41


def test_stray_carriage_return_near_the_top_does_not_raise(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "stray-cr-top.csv"
    path.write_bytes(HEADER + b"01/11/2010,Acme\rLtd,600.00\n02/11/2010,Beta Ltd,700.00\n")
    [f] = ingest(ws, path)
    assert f.status in ("loaded", "failed")


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_stray_carriage_return_inside_a_field_is_not_a_line_break(
    ws: Workspace, tmp_path: Path, newline: bytes
) -> None:
    # the stray CR is on line 42, past the 40 lines the sniffer reads
    text = HEADER + FILLER + b"02/11/2010,Acme\rLtd,600.00\n03/11/2010,Beta Ltd,700.00\n"
    path = tmp_path / "stray-cr.csv"
    path.write_bytes(text.replace(b"\n", newline))
    [f] = ingest(ws, path)
    assert f.rows_read == 42  # physical lines 2-43
    assert f.amount_loaded_pence + f.amount_quarantined_pence == 40 * 100 + 60000 + 70000
    assert spend_rows(ws)[-1] == (43, date(2010, 11, 3), 70000, "Beta Ltd")


def test_quoted_crlf_in_an_lf_file_is_one_line_break(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "quoted-crlf.csv"
    path.write_bytes(HEADER + b'01/11/2010,"Acme\r\nLtd",600.00\n02/11/2010,Beta Ltd,700.00\n')
    [f] = ingest(ws, path)
    assert counts(f) == (2, 2, 0, 0)
    rows = spend_rows(ws, "source_line, source_lines, amount_pence, supplier_name")
    assert [r[:3] for r in rows] == [(2, 2, 60000), (4, 1, 70000)]
    assert rows[0][3] in ("Acme\r\nLtd", "Acme\nLtd")
