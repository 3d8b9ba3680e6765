"""Dates and periods as publishers write them: parse_one, infer_order, parse_values.

Every expected value here is worked out by hand from the calendar (financial
years start on 1 April unless the rules say otherwise).
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from totalplace.ingest.dates import (
    DateValue,
    PeriodRules,
    choose_yyyypp_reading,
    infer_order,
    parse_one,
    parse_values,
    parse_year_start,
)

MONTHLY = PeriodRules()
MONTHLY_2010 = PeriodRules("monthly", "2010-11")
FOUR_WEEKLY_2013 = PeriodRules("four-weekly", "2013-14")


def day(y: int, m: int, d: int) -> DateValue:
    return DateValue(date(y, m, d), date(y, m, d), "day")


def span(start: date, end: date, precision: str) -> DateValue:
    return DateValue(start, end, precision)


# -- single days ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2010-11-05", day(2010, 11, 5)),
        ("2010-11-05 00:00:00", day(2010, 11, 5)),
        ("2010-11-05 13:45:10.123", day(2010, 11, 5)),
        ("05/11/2010", day(2010, 11, 5)),
        ("5/11/2010", day(2010, 11, 5)),
        ("05-11-2010", day(2010, 11, 5)),
        ("05.11.2010", day(2010, 11, 5)),
        ("05/11/10", day(2010, 11, 5)),
        ("05/11/2010 09:30", day(2010, 11, 5)),
        ("05-Nov-2010", day(2010, 11, 5)),
        ("5-Nov-10", day(2010, 11, 5)),
        ("5 November 2010", day(2010, 11, 5)),
        ("05 Sept 2010", day(2010, 9, 5)),
        ("  05/11/2010  ", day(2010, 11, 5)),
        ("29/02/2012", day(2012, 2, 29)),
        # Excel serials: day 0 is 1899-12-30
        ("40544", day(2011, 1, 1)),
        ("40544.0", day(2011, 1, 1)),
        ("18264", day(1950, 1, 1)),
        ("73050", day(2099, 12, 31)),
    ],
)
def test_days_in_uk_order(raw: str, expected: DateValue) -> None:
    assert parse_one(raw, "dmy", MONTHLY) == expected
    assert not expected.is_period


def test_two_digit_years_pivot_at_70() -> None:
    assert parse_one("01/01/69", "dmy", MONTHLY) == day(2069, 1, 1)
    assert parse_one("01/01/70", "dmy", MONTHLY) == day(1970, 1, 1)


def test_month_first_order_reads_the_first_number_as_the_month() -> None:
    assert parse_one("11/25/2010", "mdy", MONTHLY) == day(2010, 11, 25)
    assert parse_one("12/01/2010", "mdy", MONTHLY) == day(2010, 12, 1)
    assert parse_one("12/01/2010", "dmy", MONTHLY) == day(2010, 1, 12)
    # ISO and named months do not depend on the order
    assert parse_one("2010-11-05", "mdy", MONTHLY) == day(2010, 11, 5)
    assert parse_one("05-Nov-2010", "mdy", MONTHLY) == day(2010, 11, 5)


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/2010",  # no 31 February
        "29/02/2011",  # not a leap year
        "2010-02-30",
        "2010-13-01",
        "00/11/2010",
        "31-Foo-2010",  # not a month name
        "11/25/2010",  # month 25 in UK order
        "10000",  # serial before 1950
        "73051",  # serial after 2099
        "201013",  # month 13
        "2010-13",
        "13/2010",
        "2010",  # a bare year is neither a day nor a period
        "TBC",
        "",
    ],
)
def test_invalid_values_are_none(raw: str) -> None:
    assert parse_one(raw, "dmy", MONTHLY) is None


@pytest.mark.parametrize("raw", ["2010-11-05T10:30:00", "2010-11-05T10:30:00Z"])
def test_iso_timestamp_with_t_separator(raw: str) -> None:
    assert parse_one(raw, "dmy", MONTHLY) == day(2010, 11, 5)


# -- months, quarters, ranges ----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("201009", span(date(2010, 9, 1), date(2010, 9, 30), "month")),
        ("2011-01", span(date(2011, 1, 1), date(2011, 1, 31), "month")),
        ("2012/2", span(date(2012, 2, 1), date(2012, 2, 29), "month")),
        ("02/2011", span(date(2011, 2, 1), date(2011, 2, 28), "month")),
        ("January 2011", span(date(2011, 1, 1), date(2011, 1, 31), "month")),
        ("Sept 2010", span(date(2010, 9, 1), date(2010, 9, 30), "month")),
        ("Nov-10", span(date(2010, 11, 1), date(2010, 11, 30), "month")),
    ],
)
def test_months(raw: str, expected: DateValue) -> None:
    assert parse_one(raw, "dmy", MONTHLY) == expected
    assert expected.is_period


@pytest.mark.parametrize(
    ("raw", "expected_start", "expected_end"),
    [
        # financial quarters: Q1 = April-June of the year the financial year starts
        ("Q1 2010-11", date(2010, 4, 1), date(2010, 6, 30)),
        ("Q2 2010/11", date(2010, 7, 1), date(2010, 9, 30)),
        ("Q3 2010-11", date(2010, 10, 1), date(2010, 12, 31)),
        ("Q4 2010-11", date(2011, 1, 1), date(2011, 3, 31)),
        ("2010-Q3", date(2010, 10, 1), date(2010, 12, 31)),
        ("2010/11 Q2", date(2010, 7, 1), date(2010, 9, 30)),
        ("Quarter 3 2010", date(2010, 10, 1), date(2010, 12, 31)),
    ],
)
def test_financial_quarters(raw: str, expected_start: date, expected_end: date) -> None:
    assert parse_one(raw, "dmy", MONTHLY) == span(expected_start, expected_end, "quarter")


def test_quarters_follow_the_year_start() -> None:
    calendar_year = PeriodRules(year_start=(1, 1))
    assert parse_one("Q1 2010", "dmy", calendar_year) == span(
        date(2010, 1, 1), date(2010, 3, 31), "quarter"
    )
    # a quarter is always three calendar months, even for a four-weekly body
    assert parse_one("Q4 2013-14", "dmy", FOUR_WEEKLY_2013) == span(
        date(2014, 1, 1), date(2014, 3, 31), "quarter"
    )


@pytest.mark.parametrize("raw", ["Q0 2010-11", "Q5 2010", "Quarter 5 2010"])
def test_quarters_out_of_range_are_none(raw: str) -> None:
    assert parse_one(raw, "dmy", MONTHLY) is None


@pytest.mark.parametrize(
    ("raw", "expected_start", "expected_end"),
    [
        ("July 2010-September 2010", date(2010, 7, 1), date(2010, 9, 30)),
        ("July 2010 \u2013 September 2010", date(2010, 7, 1), date(2010, 9, 30)),
        ("jul 2010 to sep 2010", date(2010, 7, 1), date(2010, 9, 30)),
        ("01/07/2010 to 30/09/2010", date(2010, 7, 1), date(2010, 9, 30)),
        ("Jan-Mar 2011", date(2011, 1, 1), date(2011, 3, 31)),
        # a bare month later in the year than the end belongs to the year before
        ("Dec-Feb 2011", date(2010, 12, 1), date(2011, 2, 28)),
    ],
)
def test_ranges(raw: str, expected_start: date, expected_end: date) -> None:
    assert parse_one(raw, "dmy", MONTHLY) == span(expected_start, expected_end, "range")


def test_a_range_that_ends_before_it_starts_is_none() -> None:
    assert parse_one("September 2010 - July 2010", "dmy", MONTHLY) is None


# -- period codes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected_start", "expected_end"),
    [
        ("P01", date(2010, 4, 1), date(2010, 4, 30)),
        ("P4", date(2010, 7, 1), date(2010, 7, 31)),
        ("Period 9", date(2010, 12, 1), date(2010, 12, 31)),
        ("P10", date(2011, 1, 1), date(2011, 1, 31)),
        ("P12", date(2011, 3, 1), date(2011, 3, 31)),
        # a year in the code wins over the rules' year
        ("2012-13 P11", date(2013, 2, 1), date(2013, 2, 28)),
        ("P11 2011/12", date(2012, 2, 1), date(2012, 2, 29)),
    ],
)
def test_monthly_period_codes(raw: str, expected_start: date, expected_end: date) -> None:
    assert parse_one(raw, "dmy", MONTHLY_2010) == span(expected_start, expected_end, "period")


@pytest.mark.parametrize("raw", ["P00", "P13", "P14"])
def test_monthly_calendar_has_twelve_periods(raw: str) -> None:
    assert parse_one(raw, "dmy", MONTHLY_2010) is None


def test_bare_period_code_needs_a_year() -> None:
    assert parse_one("P04", "dmy", PeriodRules()) is None
    assert parse_one("2010-11 P04", "dmy", PeriodRules()) == span(
        date(2010, 7, 1), date(2010, 7, 31), "period"
    )


@pytest.mark.parametrize(
    ("n", "expected_start", "expected_end"),
    [
        (1, date(2013, 4, 1), date(2013, 4, 28)),
        (2, date(2013, 4, 29), date(2013, 5, 26)),
        (4, date(2013, 6, 24), date(2013, 7, 21)),
        (10, date(2013, 12, 9), date(2014, 1, 5)),
        (11, date(2014, 1, 6), date(2014, 2, 2)),
        (12, date(2014, 2, 3), date(2014, 3, 2)),
        # 12 x 28 = 336 days; P13 runs from day 337 to the end of the year (29 days)
        (13, date(2014, 3, 3), date(2014, 3, 31)),
    ],
)
def test_four_weekly_periods(n: int, expected_start: date, expected_end: date) -> None:
    expected = span(expected_start, expected_end, "period")
    assert parse_one(f"P{n:02d}", "dmy", FOUR_WEEKLY_2013) == expected
    assert parse_one(f"P{n}", "dmy", FOUR_WEEKLY_2013) == expected
    assert parse_one(f"2013-14 P{n}", "dmy", PeriodRules("four-weekly")) == expected


def test_four_weekly_periods_tile_the_year_and_p13_absorbs_the_remainder() -> None:
    periods = [parse_one(f"P{n}", "dmy", FOUR_WEEKLY_2013) for n in range(1, 14)]
    assert all(p is not None for p in periods)
    spans = [(p.start, p.end) for p in periods if p is not None]
    assert spans[0][0] == date(2013, 4, 1)
    assert spans[-1][1] == date(2014, 3, 31)
    for (_, end), (start, _) in pairwise(spans):
        assert (start - end).days == 1
    assert [(e - s).days + 1 for s, e in spans] == [28] * 12 + [29]


def test_four_weekly_p13_in_a_leap_year_and_with_another_year_start() -> None:
    # 2015-04-01 + 336 days = 2016-03-02; 2016 is a leap year, so P13 has 30 days
    assert parse_one("P13", "dmy", PeriodRules("four-weekly", "2015-16")) == span(
        date(2016, 3, 2), date(2016, 3, 31), "period"
    )
    # the tax year from 6 April: P13 ends on 5 April
    tax_year = PeriodRules("four-weekly", "2013-14", (4, 6))
    assert parse_one("P01", "dmy", tax_year) == span(date(2013, 4, 6), date(2013, 5, 3), "period")
    assert parse_one("P13", "dmy", tax_year) == span(date(2014, 3, 8), date(2014, 4, 5), "period")


@pytest.mark.parametrize("raw", ["P00", "P14", "P99"])
def test_four_weekly_calendar_has_thirteen_periods(raw: str) -> None:
    assert parse_one(raw, "dmy", FOUR_WEEKLY_2013) is None


# -- order inference and parse_values ---------------------------------------------------


def test_infer_order() -> None:
    assert infer_order([]) == "dmy"
    assert infer_order(["05/11/2010", "06/11/2010"]) == "dmy"  # ambiguous: UK
    assert infer_order(["11/25/2010", "12/01/2010"]) == "mdy"  # day 25 second
    assert infer_order([" 11/25/2010 "]) == "mdy"
    assert infer_order(["25/11/2010", "12/01/2010"]) == "dmy"
    # big numbers in both places prove nothing: UK order
    assert infer_order(["25/11/2010", "11/25/2010"]) == "dmy"
    # values that are not d/m/y do not vote
    assert infer_order(["2010-11-25", "40544", "Q3 2010-11", "12/01/2010"]) == "dmy"


def test_parse_values_infers_the_order_from_all_values() -> None:
    got = parse_values(["11/25/2010", "12/01/2010", "", "   "])
    assert got == {"11/25/2010": day(2010, 11, 25), "12/01/2010": day(2010, 12, 1)}


def test_parse_values_with_a_given_order_and_rules() -> None:
    got = parse_values(["12/01/2010", "P13", "TBC"], order="dmy", rules=FOUR_WEEKLY_2013)
    assert got == {
        "12/01/2010": day(2010, 1, 12),
        "P13": span(date(2014, 3, 3), date(2014, 3, 31), "period"),
        "TBC": None,
    }


def test_parse_values_in_mixed_order_leaves_month_first_values_unparsed() -> None:
    got = parse_values(["25/11/2010", "11/26/2010"])
    assert got == {"25/11/2010": day(2010, 11, 25), "11/26/2010": None}


def test_parse_year_start() -> None:
    assert parse_year_start("04-01") == (4, 1)
    assert parse_year_start("04-06") == (4, 6)
    for bad in ("4-1", "13-01", "02-30", "April"):
        with pytest.raises(ValueError, match="MM-DD"):
            parse_year_start(bad)


# -- YYYYPP codes: calendar month or financial period -----------------------------------

FINANCIAL = PeriodRules(yyyypp="financial")


def test_yyyypp_reads_as_a_calendar_month_until_the_file_is_shown_financial() -> None:
    assert parse_one("201304", "dmy", MONTHLY) == span(date(2013, 4, 1), date(2013, 4, 30), "month")
    assert parse_one("201313", "dmy", MONTHLY) is None


@pytest.mark.parametrize(
    ("raw", "expected_start", "expected_end", "precision"),
    [
        ("201301", date(2013, 4, 1), date(2013, 4, 30), "period"),
        ("201304", date(2013, 7, 1), date(2013, 7, 31), "period"),
        ("201309", date(2013, 12, 1), date(2013, 12, 31), "period"),
        ("201310", date(2014, 1, 1), date(2014, 1, 31), "period"),
        ("201312", date(2014, 3, 1), date(2014, 3, 31), "period"),
        ("201313", date(2014, 3, 1), date(2014, 3, 31), "adjustment"),
        ("201316", date(2014, 3, 1), date(2014, 3, 31), "adjustment"),
    ],
)
def test_yyyypp_in_the_financial_reading(
    raw: str, expected_start: date, expected_end: date, precision: str
) -> None:
    assert parse_one(raw, "dmy", FINANCIAL) == span(expected_start, expected_end, precision)


@pytest.mark.parametrize("raw", ["201300", "201317", "189904"])
def test_yyyypp_outside_the_periods_is_none_in_either_reading(raw: str) -> None:
    assert parse_one(raw, "dmy", FINANCIAL) is None
    assert parse_one(raw, "dmy", MONTHLY) is None


def test_four_weekly_yyyypp_has_thirteen_periods_then_adjustments() -> None:
    four_weekly = PeriodRules("four-weekly", yyyypp="financial")
    assert parse_one("201313", "dmy", four_weekly) == span(
        date(2014, 3, 3), date(2014, 3, 31), "period"
    )
    assert parse_one("201314", "dmy", four_weekly) == span(
        date(2014, 3, 1), date(2014, 3, 31), "adjustment"
    )


def test_reading_is_financial_when_any_period_is_13_or_above() -> None:
    reading = choose_yyyypp_reading({"201304": 5, "201313": 1}, MONTHLY)
    assert reading is not None
    assert (reading.reading, reading.codes) == ("financial", ("201304", "201313"))
    assert reading.why == "value 201313 is period 13, which only a financial calendar has"


def test_reading_follows_the_payment_days_of_the_same_rows() -> None:
    july = {(date(2013, 7, 15), "201304"): 3, (date(2013, 4, 2), "201304"): 1}
    reading = choose_yyyypp_reading({"201304": 4}, MONTHLY, day_pairs=july)
    assert reading is not None and reading.reading == "financial"
    april = {(date(2013, 4, 15), "201304"): 3}
    reading = choose_yyyypp_reading({"201304": 3}, MONTHLY, day_pairs=april)
    assert reading is not None and reading.reading == "calendar"


def test_reading_follows_a_named_month_only_one_reading_matches() -> None:
    july = (date(2013, 7, 1), date(2013, 7, 31), "July 2013")
    reading = choose_yyyypp_reading({"201304": 4}, MONTHLY, named=july)
    assert reading is not None and reading.reading == "financial"
    # codes for both April and July: the calendar reading matches too
    reading = choose_yyyypp_reading({"201304": 4, "201307": 4}, MONTHLY, named=july)
    assert reading is not None and reading.reading == "calendar"


def test_no_yyyypp_values_no_reading() -> None:
    assert choose_yyyypp_reading({"2013-04": 2, "15/07/2013": 1}, MONTHLY) is None


def test_a_profile_forces_the_reading() -> None:
    forced = PeriodRules(yyyypp="calendar")
    reading = choose_yyyypp_reading({"201313": 1}, forced)
    assert reading is not None and reading.reading == "calendar"
