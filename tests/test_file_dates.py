"""Dates and periods never silently shifted: day dates win over period codes,
YYYYPP codes are read in the calendar the values show, a file's dates are
checked against the month its name gives, and a file without dates takes its
month from its name or fails saying so.

Every file is small, synthetic and written by the test; expected dates are
worked out by hand (financial years start on 1 April: period 04 of 2013-14 is
July 2013, period 12 is March 2014).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from totalplace.ingest import FileReport, ingest_files
from totalplace.ingest.datecolumns import with_day_dates
from totalplace.ingest.filedate import named_periods, single_period
from totalplace.ingest.pipeline import workspace_report
from totalplace.ingest.roles import ColumnMap
from totalplace.workspace import Workspace

PUBLISHER = "Test Council"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E08000025"], "2013-14")


def ingest_text(
    ws: Workspace, tmp_path: Path, name: str, text: str, profile: Path | None = None
) -> FileReport:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    [f] = ingest_files(ws, [path], publisher=PUBLISHER, profile_path=profile).files
    return f


def rows(ws: Workspace) -> list[tuple[Any, ...]]:
    with ws.connect() as con:
        return con.sql(
            "SELECT source_line, payment_date, period_start, period_end, date_precision, "
            "date_raw, period_raw FROM spend ORDER BY source_line"
        ).fetchall()


def slugs(f: FileReport) -> list[str]:
    return [w["slug"] for w in f.warnings]


def dates_details(f: FileReport) -> dict[str, Any]:
    found = f.details.get("dates", {})
    assert isinstance(found, dict)
    return found


# -- day dates win ---------------------------------------------------------------------


def test_day_date_wins_over_period_code(ws: Workspace, tmp_path: Path) -> None:
    f = ingest_text(
        ws,
        tmp_path,
        "payments.csv",
        "Payment Date,Period,Supplier Name,Amount\n"
        "15/07/2013,201304,Acme Ltd,100.00\n"
        "16/07/2013,201304,Beta Ltd,200.00\n",
    )
    assert f.status == "loaded"
    d15, d16 = date(2013, 7, 15), date(2013, 7, 16)
    assert rows(ws) == [
        (2, d15, d15, d15, "day", "15/07/2013", "201304"),
        (3, d16, d16, d16, "day", "16/07/2013", "201304"),
    ]
    assert "period-date" not in f.issue_counts


def test_day_dates_in_the_period_column_win_over_codes_in_the_date_column(
    ws: Workspace, tmp_path: Path
) -> None:
    # the columns' headers are the wrong way round: the days used to be
    # ignored and every row dated to the calendar month April 2013
    f = ingest_text(
        ws,
        tmp_path,
        "payments.csv",
        "Payment Date,Period,Supplier Name,Amount\n"
        "201304,15/07/2013,Acme Ltd,100.00\n"
        "201304,16/07/2013,Beta Ltd,200.00\n",
    )
    assert f.status == "loaded"
    d15, d16 = date(2013, 7, 15), date(2013, 7, 16)
    assert rows(ws) == [
        (2, d15, d15, d15, "day", "201304", "15/07/2013"),
        (3, d16, d16, d16, "day", "201304", "16/07/2013"),
    ]


def test_day_dates_under_an_unknown_header_win_over_codes_under_date(
    ws: Workspace, tmp_path: Path
) -> None:
    # "Date" holds the period code and "Posted On" the days: the rows used to
    # be dated to the calendar month April 2013 and the days ignored
    f = ingest_text(
        ws,
        tmp_path,
        "payments.csv",
        "Date,Posted On,Supplier Name,Amount\n"
        "201304,15/07/2013,Acme Ltd,100.00\n"
        "201304,16/07/2013,Beta Ltd,200.00\n",
    )
    assert f.status == "loaded"
    assert f.column_map["payment_date"].startswith("Posted On (day dates beside the periods")
    assert f.column_map["period"].startswith("Date ")
    d15, d16 = date(2013, 7, 15), date(2013, 7, 16)
    assert rows(ws) == [
        (2, d15, d15, d15, "day", "15/07/2013", "201304"),
        (3, d16, d16, d16, "day", "16/07/2013", "201304"),
    ]
    # and the days show the codes are financial periods (201304 = July 2013)
    assert dates_details(f)["period_reading"] == "financial"


# -- YYYYPP: calendar month or financial period ------------------------------------------


def test_yyyypp_with_period_13_is_read_as_financial_periods(ws: Workspace, tmp_path: Path) -> None:
    f = ingest_text(
        ws,
        tmp_path,
        "ledger.csv",
        "Period,Supplier Name,Amount\n"
        "201304,Acme Ltd,100.00\n"
        "201312,Beta Ltd,200.00\n"
        "201313,Gamma Ltd,300.00\n"
        "201314,Delta Ltd,400.00\n",
    )
    assert f.status == "loaded"
    assert rows(ws) == [
        (2, None, date(2013, 7, 1), date(2013, 7, 31), "period", None, "201304"),
        (3, None, date(2014, 3, 1), date(2014, 3, 31), "period", None, "201312"),
        (4, None, date(2014, 3, 1), date(2014, 3, 31), "adjustment", None, "201313"),
        (5, None, date(2014, 3, 1), date(2014, 3, 31), "adjustment", None, "201314"),
    ]
    found = dates_details(f)
    assert found["period_reading"] == "financial"
    assert "201313 and 201314 are periods 13 and 14" in found["why"]
    assert found["adjustment_rows"] == 2
    assert slugs(f) == ["financial-periods", "adjustment-periods"]
    assert f.issue_counts["period-date"] == 4


def test_yyyypp_whose_payment_days_fall_in_the_financial_period_is_read_financial(
    ws: Workspace, tmp_path: Path
) -> None:
    # rows without a payment day take the period; the days show which reading
    f = ingest_text(
        ws,
        tmp_path,
        "ledger.csv",
        "Payment Date,Period,Supplier Name,Amount\n"
        "15/07/2013,201304,Acme Ltd,100.00\n"
        "20/07/2013,201304,Beta Ltd,200.00\n"
        ",201304,Gamma Ltd,300.00\n",
    )
    assert f.status == "loaded"
    assert rows(ws)[2] == (4, None, date(2013, 7, 1), date(2013, 7, 31), "period", None, "201304")
    found = dates_details(f)
    assert found["period_reading"] == "financial"
    assert found["why"].startswith("2 of 2 rows are paid in the financial period")
    assert "financial-periods" in slugs(f)


def test_yyyypp_in_a_file_named_for_the_financial_month_is_read_financial(
    ws: Workspace, tmp_path: Path
) -> None:
    f = ingest_text(
        ws,
        tmp_path,
        "spend July 2013.csv",
        "Period,Supplier Name,Amount\n201304,Acme Ltd,100.00\n201304,Beta Ltd,200.00\n",
    )
    assert [r[2:4] for r in rows(ws)] == [(date(2013, 7, 1), date(2013, 7, 31))] * 2
    found = dates_details(f)
    assert found["period_reading"] == "financial"
    assert "July 2013" in found["why"]
    assert slugs(f) == ["financial-periods"]  # and no warning that the month differs


YEAR_OF_CODES = "Period,Supplier Name,Amount\n" + "".join(
    f"2015{m:02d},Supplier {m} Ltd,100.00\n" for m in range(1, 13)
)


def test_yyyypp_in_a_file_named_for_a_financial_year_is_read_financial(
    ws: Workspace, tmp_path: Path
) -> None:
    # 201501..201512 in "fire-2015-16.csv": as calendar months January to March
    # 2015 fall before the year the file names; as financial periods all fall in it
    f = ingest_text(ws, tmp_path, "fire-2015-16.csv", YEAR_OF_CODES)
    spans = [r[2:4] for r in rows(ws)]
    assert min(s for s, _ in spans) == date(2015, 4, 1)
    assert max(e for _, e in spans) == date(2016, 3, 31)
    found = dates_details(f)
    assert found["period_reading"] == "financial"
    assert "2015-16" in found["why"]


def test_yyyypp_in_a_file_named_for_the_year_its_calendar_months_fill_stays_calendar(
    ws: Workspace, tmp_path: Path
) -> None:
    # 201504..201603: calendar months fill 2015-16 exactly; financial periods would not
    text = "Period,Supplier Name,Amount\n" + "".join(
        f"{2015 + (m < 4)}{m:02d},Supplier {m} Ltd,100.00\n" for m in range(1, 13)
    )
    f = ingest_text(ws, tmp_path, "fire-2015-16.csv", text)
    assert dates_details(f)["period_reading"] == "calendar"
    assert min(r[2] for r in rows(ws)) == date(2015, 4, 1)


def test_yyyypp_without_evidence_stays_calendar_months(ws: Workspace, tmp_path: Path) -> None:
    f = ingest_text(
        ws,
        tmp_path,
        "ledger.csv",
        "Period,Supplier Name,Amount\n201304,Acme Ltd,100.00\n201305,Beta Ltd,200.00\n",
    )
    assert [r[2:5] for r in rows(ws)] == [
        (date(2013, 4, 1), date(2013, 4, 30), "month"),
        (date(2013, 5, 1), date(2013, 5, 31), "month"),
    ]
    assert dates_details(f)["period_reading"] == "calendar"
    assert slugs(f) == []


@pytest.mark.parametrize(
    ("setting", "start"), [("financial", date(2013, 7, 1)), ("calendar", date(2013, 4, 1))]
)
def test_profile_sets_how_yyyypp_reads_whatever_the_values_show(
    ws: Workspace, tmp_path: Path, setting: str, start: date
) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(f'[periods]\nyyyypp = "{setting}"\n', encoding="utf-8")
    # the payment days point to the financial reading; the profile decides
    f = ingest_text(
        ws,
        tmp_path,
        "ledger.csv",
        "Payment Date,Period,Supplier Name,Amount\n"
        "15/07/2013,201304,Acme Ltd,100.00\n"
        ",201304,Beta Ltd,200.00\n",
        profile,
    )
    assert rows(ws)[1][2] == start
    assert dates_details(f)["why"] == f'the profile sets [periods] yyyypp = "{setting}"'


# -- the month the file names ------------------------------------------------------------

JULY_ROWS = "".join(f"{d:02d}/07/2013,Supplier {d} Ltd,100.00\n" for d in range(1, 7))


def test_file_named_april_with_july_dates_warns_naming_both(ws: Workspace, tmp_path: Path) -> None:
    text = "Payment Date,Supplier Name,Amount\n" + JULY_ROWS + "30/04/2013,Acme Ltd,5.00\n"
    f = ingest_text(ws, tmp_path, "spend-2013-04.csv", text)
    assert f.status == "loaded"
    assert slugs(f) == ["dates-outside-named-month"]
    message = f.warnings[0]["message"]
    assert "April 2013" in message and "July 2013" in message and "86%" in message
    found = dates_details(f)
    assert (found["rows_in_named_period"], found["rows_dated"]) == (1, 7)
    # kept in the catalog, so check shows it
    [stored] = workspace_report(ws).files
    assert stored.warnings == f.warnings


def test_title_line_naming_april_above_july_dates_warns(ws: Workspace, tmp_path: Path) -> None:
    text = "Payments over 500 pounds: April 2013\n\nPayment Date,Supplier Name,Amount\n" + JULY_ROWS
    f = ingest_text(ws, tmp_path, "payments.csv", text)
    assert slugs(f) == ["dates-outside-named-month"]
    message = f.warnings[0]["message"]
    assert message.startswith("the title line ('April 2013') says April 2013")
    assert "100% of rows are dated July 2013" in message


def test_file_whose_dates_match_its_name_does_not_warn(ws: Workspace, tmp_path: Path) -> None:
    f = ingest_text(
        ws, tmp_path, "spend Jul13.csv", "Payment Date,Supplier Name,Amount\n" + JULY_ROWS
    )
    assert slugs(f) == []
    assert dates_details(f)["rows_in_named_period"] == 6


def test_quarter_file_named_by_its_first_month_does_not_warn(ws: Workspace, tmp_path: Path) -> None:
    text = "Payment Date,Supplier Name,Amount\n" + "".join(
        f"15/{m:02d}/2011,Supplier {m} Ltd,100.00\n" for m in (1, 2, 3)
    )
    f = ingest_text(ws, tmp_path, "2011-01.csv", text)
    assert slugs(f) == []
    assert dates_details(f)["named_month_opens_quarter"] == "January 2011 to March 2011"


def test_file_named_for_a_quarter_with_dates_a_quarter_late_warns(
    ws: Workspace, tmp_path: Path
) -> None:
    # Q1 2013-14 is April to June 2013; every row is dated July
    f = ingest_text(
        ws, tmp_path, "Q1 2013-14.csv", "Payment Date,Supplier Name,Amount\n" + JULY_ROWS
    )
    assert slugs(f) == ["dates-outside-named-month"]
    assert "Q1 2013-14 (April 2013 to June 2013)" in f.warnings[0]["message"]


def test_file_named_for_a_run_of_months_with_dates_across_it_does_not_warn(
    ws: Workspace, tmp_path: Path
) -> None:
    # "apr-jun-2016" was read as June 2016 alone, and a quarter's file warned
    text = "Payment Date,Supplier Name,Amount\n" + "".join(
        f"15/{m:02d}/2016,Supplier {m} Ltd,100.00\n" for m in (4, 4, 5, 6)
    )
    f = ingest_text(ws, tmp_path, "expenditure-over-500-apr-jun-2016.csv", text)
    assert slugs(f) == []
    assert dates_details(f)["rows_in_named_period"] == 4


# -- no date column at all ---------------------------------------------------------------

TOTALS = "Supplier Name,Amount\nAcme Ltd,1000.00\nBeta Ltd,2000.00\n"


def test_monthly_totals_without_date_take_month_from_file_name(
    ws: Workspace, tmp_path: Path
) -> None:
    f = ingest_text(ws, tmp_path, "supplier-totals-2013-04.csv", TOTALS)
    assert f.status == "loaded"
    label = "April 2013 (from the file name)"
    assert rows(ws) == [
        (2, None, date(2013, 4, 1), date(2013, 4, 30), "month", None, label),
        (3, None, date(2013, 4, 1), date(2013, 4, 30), "month", None, label),
    ]
    assert f.issue_counts == {"period-date": 2}
    assert slugs(f) == ["period-from-file-name"]
    assert "every row is dated to April 2013" in f.warnings[0]["message"]


def test_quarterly_totals_without_date_take_quarter_from_title_line(
    ws: Workspace, tmp_path: Path
) -> None:
    f = ingest_text(ws, tmp_path, "supplier-totals.csv", "Spend in Q2 2013-14\n" + TOTALS)
    assert f.status == "loaded"
    assert {r[2:5] for r in rows(ws)} == {(date(2013, 7, 1), date(2013, 9, 30), "quarter")}
    assert slugs(f) == ["period-from-file-name"]


def test_no_date_and_no_month_in_name_fails_saying_so(ws: Workspace, tmp_path: Path) -> None:
    f = ingest_text(ws, tmp_path, "supplier-totals.csv", TOTALS)
    assert f.status == "failed"
    assert "no date or period column" in f.message
    assert "title lines name no month or quarter" in f.message
    assert "rename it" in f.message and "profile" in f.message


def test_no_date_and_two_months_in_name_and_title_fails_naming_both(
    ws: Workspace, tmp_path: Path
) -> None:
    f = ingest_text(ws, tmp_path, "totals-2013-04.csv", "Spend for May 2013\n" + TOTALS)
    assert f.status == "failed"
    assert "name April 2013 and May 2013, not one" in f.message


# -- what names a month ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("spend-2013-04.csv", date(2013, 4, 1), date(2013, 4, 30)),
        ("April 2013.csv", date(2013, 4, 1), date(2013, 4, 30)),
        ("201304.csv", date(2013, 4, 1), date(2013, 4, 30)),
        ("Apr13.csv", date(2013, 4, 1), date(2013, 4, 30)),
        ("spend_04_2013.csv", date(2013, 4, 1), date(2013, 4, 30)),
        ("2013_Q1.csv", date(2013, 4, 1), date(2013, 6, 30)),
        ("Q1 2013-14.csv", date(2013, 4, 1), date(2013, 6, 30)),
        ("wakefield/2021-Q4.csv", date(2022, 1, 1), date(2022, 3, 31)),
        ("book.xlsx!Sept 2010", date(2010, 9, 1), date(2010, 9, 30)),
        # a run of months names the whole run, not its last month
        ("expenditure-over-500-apr-jun-2016.csv", date(2016, 4, 1), date(2016, 6, 30)),
        ("SpendOver500_Oct_Dec_2014.csv", date(2014, 10, 1), date(2014, 12, 31)),
        ("Payments April to June 2016.csv", date(2016, 4, 1), date(2016, 6, 30)),
        ("spend nov-jan 2014.csv", date(2013, 11, 1), date(2014, 1, 31)),
    ],
)
def test_names_that_give_a_month_or_quarter(name: str, start: date, end: date) -> None:
    found = single_period(named_periods(name, "", 1))
    assert found is not None
    assert (found.start, found.end) == (start, end)


@pytest.mark.parametrize(
    "name",
    [
        "supplier_spend_2024-25.csv",  # a financial year
        "gla/2013-P01.csv",  # a four-weekly period, not a month
        "payments.csv",
        "run 2013-04-12.csv",  # a day
        "Spend report v2 2013.csv",  # a version and a year
        "Top 10 2013.csv",
        "Payments 2013 1 of 3.csv",  # a year and a part number
    ],
)
def test_names_that_give_no_month(name: str) -> None:
    assert named_periods(name, "", 1) == []


def test_a_day_in_a_title_line_names_no_month() -> None:
    head = "Report run on 5 Jan 2013 at 12/05/2013\nDate,Amount\n"
    assert named_periods("payments.csv", head, 2) == []


def test_identifiers_and_days_beside_days_are_never_taken_as_the_payment_date() -> None:
    headers = ("Date", "Transaction", "Posted On", "Amount")
    codes_first = ColumnMap(
        {"payment_date": (0, "Date", "synonym"), "amount": (3, "Amount", "synonym")}, headers
    )
    # five-digit identifiers read like Excel serial days; they are not taken
    ids = [["201304", "41470", "", "1.00"], ["201304", "41471", "", "2.00"]]
    assert with_day_dates(codes_first, ids) is codes_first
    # a mapped column of days already wins; nothing is moved
    days_first = ColumnMap(
        {"payment_date": (2, "Posted On", "synonym"), "amount": (3, "Amount", "synonym")}, headers
    )
    both = [["201304", "1", "15/07/2013", "1.00"], ["201304", "2", "16/07/2013", "2.00"]]
    assert with_day_dates(days_first, both) is days_first
