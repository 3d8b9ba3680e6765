"""Dates and periods as publishers write them.

Parsing runs once per *distinct* raw value in a file (a few hundred at most,
however many rows), and the results are joined back to the rows in DuckDB.
A value is either a day (start = end) or a period with a start and an end:
a month (``201009``, ``2011-01``, ``January 2011``), a quarter (``2010-Q3``,
``Q3 2010-11``; quarters are financial quarters, Q1 = April-June), a
period code (``P04`` with the body's year and calendar, monthly or four-weekly),
or a text range (``July 2010-September 2010``).

A six-digit ``YYYYPP`` value such as ``201304`` is read one way for the whole
file: as the calendar month (April 2013) unless the values show a financial
calendar (see :func:`choose_yyyypp_reading`), when it is period 04 of the
financial year starting in 2013 (July 2013).  Publishers close their books in
periods 13 to 16 (year-end adjustments); those are dated to the year's last
month with precision ``adjustment``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from totalplace.ingest.limits import YEAR_MAX, YEAR_MIN

EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_MIN, EXCEL_MAX = 18264, 73050  # 1950-01-01 .. 2099-12-31
MONTHS = {
    name: i
    for i in range(1, 13)
    for name in (calendar.month_name[i].lower(), calendar.month_abbr[i].lower())
}
MONTHS["sept"] = 9


@dataclass(frozen=True)
class DateValue:
    start: date
    end: date
    precision: str  # day, month, quarter, period, range

    @property
    def is_period(self) -> bool:
        return self.precision != "day"


@dataclass(frozen=True)
class PeriodRules:
    """How a publisher numbers its periods (from the mapping profile)."""

    calendar: str = "monthly"  # or "four-weekly"
    year: str | None = None  # financial year such as 2013-14, for bare codes
    year_start: tuple[int, int] = (4, 1)  # month, day
    # how YYYYPP values read: "financial" or "calendar"; None until decided
    # for the file (calendar meanwhile)
    yyyypp: str | None = None


def _year4(y: str) -> int:
    n = int(y)
    return n if len(y) == 4 else (2000 + n if n < 70 else 1900 + n)


def _month_span(y: int, m: int) -> tuple[date, date]:
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def _fy_start(fy: int, rules: PeriodRules) -> date:
    return date(fy, rules.year_start[0], rules.year_start[1])


def _period(fy: int, n: int, rules: PeriodRules) -> DateValue | None:
    start = _fy_start(fy, rules)
    if rules.calendar == "four-weekly":
        if not 1 <= n <= 13:
            return None
        p_start = start + timedelta(days=28 * (n - 1))
        p_end = _fy_start(fy + 1, rules) - timedelta(days=1) if n == 13 else p_start + timedelta(27)
        return DateValue(p_start, p_end, "period")
    if not 1 <= n <= 12:
        return None
    m = (start.month - 1 + n - 1) % 12 + 1
    y = fy + (start.month - 1 + n - 1) // 12
    return DateValue(*_month_span(y, m), "period")


def _quarter(fy: int, q: int, rules: PeriodRules) -> DateValue | None:
    if not 1 <= q <= 4:
        return None
    first = _period(fy, 3 * q - 2, PeriodRules("monthly", None, rules.year_start))
    last = _period(fy, 3 * q, PeriodRules("monthly", None, rules.year_start))
    assert first and last
    return DateValue(first.start, last.end, "quarter")


# values are lower-cased before matching, so "T" and "Z" appear as "t" and "z"
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:z|[+-]\d{2}:?\d{2})?$"
)
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_D_MON_Y = re.compile(r"^(\d{1,2})[\s\-/]+([a-z]{3,9})[\s\-/,]+(\d{2}|\d{4})$")
_YYYYMM = re.compile(r"^(\d{4})(\d{2})$")
_Y_M = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_M_Y = re.compile(r"^(\d{1,2})[-/](\d{4})$")
_MON_Y = re.compile(r"^([a-z]{3,9})[\s\-/,]+(\d{2}|\d{4})$")
_SERIAL = re.compile(r"^(\d{5})(?:\.\d+)?$")  # a fraction is the time of day
_FY = r"(\d{4})(?:[-/](\d{2}|\d{4}))?"
_Q1 = re.compile(rf"^{_FY}[\s\-]*q(?:uarter)?\s*([1-4])$")
_Q2 = re.compile(rf"^q(?:uarter)?\s*([1-4])[\s\-]*{_FY}$")
_P1 = re.compile(rf"^{_FY}[\s\-]*p(?:eriod)?\s*(\d{{1,2}})$")
_P2 = re.compile(rf"^p(?:eriod)?\s*(\d{{1,2}})[\s\-]*{_FY}$")
_P0 = re.compile(r"^p(?:eriod)?\s*(\d{1,2})$")
_RANGE_SEP = re.compile(r"\s*(?:-|\u2013|\bto\b)\s*")


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _fy_of(text: str) -> int:
    return int(text)


def parse_one(raw: str, order: str, rules: PeriodRules) -> DateValue | None:
    """Parse one non-blank value; ``order`` is "dmy" or "mdy".  A value dated
    outside the years 1900 to 2100 (see :func:`out_of_range`) is ``None`` too."""
    value = _unbounded(raw, order, rules)
    return value if value is not None and _within_years(value) else None


def out_of_range(raw: str, order: str, rules: PeriodRules) -> bool:
    """True when ``raw`` is written as a date or period but falls outside the
    years 1900 to 2100 (``Jan 0000``, ``P12 9999``, ``01/01/1850``): not a
    payment of any year studied, and quarantined as such rather than as text
    that is not a date."""
    value = _unbounded(raw, order, rules)
    return value is _BEYOND_CALENDAR or (value is not None and not _within_years(value))


# what a date or period written in a known form parses to when its year is one
# Python's calendar cannot hold (year 0, or a period running past 9999)
_BEYOND_CALENDAR = DateValue(date.min, date.min, "beyond-calendar")


def _within_years(value: DateValue) -> bool:
    return value is not _BEYOND_CALENDAR and (
        value.start.year >= YEAR_MIN and value.end.year <= YEAR_MAX
    )


def _unbounded(raw: str, order: str, rules: PeriodRules) -> DateValue | None:
    s = re.sub(r"\s+", " ", raw.strip().lower())
    try:
        return _simple(s, order, rules) or _range(s, order, rules)
    except (ValueError, OverflowError):
        return _BEYOND_CALENDAR


# ``hh:mm`` or ``hh:mm:ss`` after a day date; hours 0-23, minutes and seconds 0-59
_TIME = re.compile(r"[ t](\d{1,2}):(\d{2})(?::(\d{2}))?")


def impossible_time(raw: str) -> bool:
    """True when a day date carries a time of day no clock shows (``25:99``):
    the date is read, and the file warned that its times are damaged."""
    m = _TIME.search(raw.strip().lower())
    if m is None:
        return False
    return int(m[1]) > 23 or int(m[2]) > 59 or (m[3] is not None and int(m[3]) > 59)


def _range(s: str, order: str, rules: PeriodRules) -> DateValue | None:
    """``July 2010-September 2010``, ``01/07/2010 to 30/09/2010``, ``Jul-Sep 2010``."""
    for sep in _RANGE_SEP.finditer(s):
        left, right = s[: sep.start()], s[sep.end() :]
        second = _simple(right, order, rules)
        if second is None:
            continue
        first = _simple(left, order, rules)
        if first is None and left in MONTHS:
            first = _simple(f"{left} {second.end.year}", order, rules)
            if first and first.start > second.start:
                first = _simple(f"{left} {second.end.year - 1}", order, rules)
        if first and first.start <= second.end:
            return DateValue(first.start, second.end, "range")
    return None


def _simple(s: str, order: str, rules: PeriodRules) -> DateValue | None:
    if m := _ISO.match(s):
        d = _safe(int(m[1]), int(m[2]), int(m[3]))
        return DateValue(d, d, "day") if d else None
    if m := _DMY.match(s):
        a, b, y = int(m[1]), int(m[2]), _year4(m[3])
        d = _safe(y, b, a) if order == "dmy" else _safe(y, a, b)
        return DateValue(d, d, "day") if d else None
    if (m := _D_MON_Y.match(s)) and m[2] in MONTHS:
        d = _safe(_year4(m[3]), MONTHS[m[2]], int(m[1]))
        return DateValue(d, d, "day") if d else None
    if m := _SERIAL.match(s):
        n = int(m[1])
        if EXCEL_MIN <= n <= EXCEL_MAX:
            d = EXCEL_EPOCH + timedelta(days=n)
            return DateValue(d, d, "day")
        return None
    if m := _YYYYMM.match(s):
        return read_yyyypp(int(m[1]), int(m[2]), rules)
    if (m := _Y_M.match(s)) and 1 <= int(m[2]) <= 12:
        return DateValue(*_month_span(int(m[1]), int(m[2])), "month")
    if (m := _M_Y.match(s)) and 1 <= int(m[1]) <= 12:
        return DateValue(*_month_span(int(m[2]), int(m[1])), "month")
    if (m := _MON_Y.match(s)) and m[1] in MONTHS:
        return DateValue(*_month_span(_year4(m[2]), MONTHS[m[1]]), "month")
    if m := _Q1.match(s):
        return _quarter(_fy_of(m[1]), int(m[3]), rules)
    if m := _Q2.match(s):
        return _quarter(_fy_of(m[2]), int(m[1]), rules)
    if m := _P1.match(s):
        return _period(_fy_of(m[1]), int(m[3]), rules)
    if m := _P2.match(s):
        return _period(_fy_of(m[2]), int(m[1]), rules)
    if m := _P0.match(s):
        if rules.year is None:
            return None
        return _period(int(rules.year[:4]), int(m[1]), rules)
    return None


def infer_order(values: Iterable[str]) -> str:
    """UK order (dmy) unless the file proves month-first: some value's second
    number is over 12 and no value's first number is."""
    first_big = second_big = False
    for v in values:
        if m := _DMY.match(v.strip()):
            first_big |= int(m[1]) > 12
            second_big |= int(m[2]) > 12
    return "mdy" if second_big and not first_big else "dmy"


def parse_values(
    values: Iterable[str], order: str | None = None, rules: PeriodRules | None = None
) -> dict[str, DateValue | None]:
    """Parse distinct raw values; ``None`` marks an unparseable value."""
    vals = [v for v in values if v is not None and v.strip()]
    use_order = order or infer_order(vals)
    use_rules = rules or PeriodRules()
    return {v: parse_one(v, use_order, use_rules) for v in vals}


def parse_year_start(text: str) -> tuple[int, int]:
    m = re.match(r"^(\d{2})-(\d{2})$", text)
    if not m or _safe(2001, int(m[1]), int(m[2])) is None:
        raise ValueError(f'year_start "{text}" must be MM-DD, e.g. 04-01')
    return int(m[1]), int(m[2])


# -- YYYYPP codes: calendar month or financial period -------------------------------

ADJUSTMENT_PERIODS = range(13, 17)  # year-end adjustment periods some ledgers use
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class PeriodReading:
    """How a file's YYYYPP values were read, and the evidence that decided it."""

    reading: str  # "financial" or "calendar"
    why: str
    codes: tuple[str, ...]  # the distinct YYYYPP values, sorted

    def to_dict(self) -> dict[str, object]:
        return {"period_reading": self.reading, "why": self.why, "yyyypp_values": len(self.codes)}


def read_yyyypp(year: int, pp: int, rules: PeriodRules) -> DateValue | None:
    """``201304`` as April 2013, or as period 04 of 2013-14 when the file's
    reading is financial; periods 13 to 16 only exist in the financial reading."""
    if not 1990 <= year <= 2100:
        return None
    if rules.yyyypp == "financial":
        return financial_period(year, pp, rules)
    if 1 <= pp <= 12:
        return DateValue(*_month_span(year, pp), "month")
    return None


def financial_period(fy: int, pp: int, rules: PeriodRules) -> DateValue | None:
    """Period ``pp`` of the financial year starting in ``fy``: 01 is the year's
    first month (or four weeks); periods beyond the last, up to 16, are year-end
    adjustments, dated to the year's last month."""
    last = 13 if rules.calendar == "four-weekly" else 12
    if 1 <= pp <= last:
        return _period(fy, pp, rules)
    if pp in ADJUSTMENT_PERIODS:
        month = _period(fy, 12, PeriodRules("monthly", None, rules.year_start))
        assert month is not None
        return DateValue(month.start, month.end, "adjustment")
    return None


def yyyypp_codes(values: Iterable[str]) -> list[str]:
    """The distinct values written as YYYYPP (a year 1990-2100, a period 01-16)."""
    codes = set()
    for v in values:
        m = _YYYYMM.match(v.strip())
        if m and 1990 <= int(m[1]) <= 2100 and 1 <= int(m[2]) <= max(ADJUSTMENT_PERIODS):
            codes.add(v.strip())
    return sorted(codes)


def _readings(code: str, rules: PeriodRules) -> tuple[DateValue | None, DateValue | None]:
    y, pp = int(code[:4]), int(code[4:])
    calendar_rules = PeriodRules(rules.calendar, rules.year, rules.year_start, "calendar")
    financial_rules = PeriodRules(rules.calendar, rules.year, rules.year_start, "financial")
    return read_yyyypp(y, pp, calendar_rules), read_yyyypp(y, pp, financial_rules)


def _month_name(d: date) -> str:
    return f"{calendar.month_name[d.month]} {d.year}"


def _covers(v: DateValue | None, start: date, end: date) -> bool:
    return v is not None and v.start <= end and v.end >= start


def choose_yyyypp_reading(
    counts: Mapping[str, int],
    rules: PeriodRules,
    *,
    day_pairs: Mapping[tuple[date, str], int] | None = None,
    named: tuple[date, date, str] | None = None,
) -> PeriodReading | None:
    """Decide, once per file, how its YYYYPP values read.

    ``counts`` gives the rows holding each distinct date or period value;
    ``day_pairs`` the rows holding each (payment day, YYYYPP code) pair; and
    ``named`` the month the file's name or title lines give (start, end,
    label).  The evidence, strongest first: a profile's ``[periods] yyyypp``;
    any period 13 to 16, which only a financial calendar has; the payment days
    of the same rows, when more than half fall in the financial period their
    code names (or in the calendar month); the month the file names, when more
    than half the rows' codes match it in one reading only.  Without any of
    these the calendar reading stands, as most publishers mean it.
    """
    codes = tuple(yyyypp_codes(counts))
    if not codes:
        return None
    if rules.yyyypp in ("financial", "calendar"):
        why = f'the profile sets [periods] yyyypp = "{rules.yyyypp}"'
        return PeriodReading(rules.yyyypp, why, codes)
    adjustments = [c for c in codes if int(c[4:]) in ADJUSTMENT_PERIODS]
    if adjustments:
        shown = adjustments[:MAX_EXAMPLES]
        numbers = _and([str(int(c[4:])) for c in shown])
        said = (
            f"values {_and(shown)} are periods" if len(shown) > 1 else f"value {shown[0]} is period"
        )
        return PeriodReading(
            "financial", f"{said} {numbers}, which only a financial calendar has", codes
        )
    if day_pairs:
        total = cal = fin = 0
        for (day, code), n in day_pairs.items():
            c, f = _readings(code, rules)
            total += n
            cal += n if _covers(c, day, day) else 0
            fin += n if _covers(f, day, day) else 0
        example = _example(codes[0], rules)
        if fin * 2 > total:
            return PeriodReading(
                "financial",
                f"{fin:,} of {total:,} rows are paid in the financial period their code "
                f"names ({example}), {cal:,} in the calendar month",
                codes,
            )
        if cal * 2 > total:
            return PeriodReading(
                "calendar",
                f"{cal:,} of {total:,} rows are paid in the calendar month their code names",
                codes,
            )
    if named is not None:
        start, end, label = named
        total = sum(counts[c] for c in codes)
        cal = sum(counts[c] for c in codes if _covers(_readings(c, rules)[0], start, end))
        fin = sum(counts[c] for c in codes if _covers(_readings(c, rules)[1], start, end))
        if fin * 2 > total and cal == 0:
            return PeriodReading(
                "financial",
                f"the file names {label}, which only the financial reading of its codes "
                f"matches ({_example(codes[0], rules)})",
                codes,
            )
        # a year's file: every code inside the year in one reading only
        if fin == total and cal < total:
            return PeriodReading(
                "financial",
                f"the file names {label}: every code falls in it when read as a financial "
                f"period, {total - cal:,} of {total:,} rows fall outside it as calendar months "
                f"({_example(codes[0], rules)})",
                codes,
            )
    first = date(int(codes[0][:4]), int(codes[0][4:]), 1)  # periods 13+ returned above
    return PeriodReading(
        "calendar",
        "no period is 13 or above and neither payment dates nor the file's name show a "
        f"financial calendar, so {codes[0]} is read as {_month_name(first)}",
        codes,
    )


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _example(code: str, rules: PeriodRules) -> str:
    f = _readings(code, rules)[1]
    return f"{code} = {_month_name(f.start)}" if f else code


def day_code_pairs(
    raw_pairs: Iterable[tuple[str, str, int]], parsed: Mapping[str, DateValue | None]
) -> dict[tuple[date, str], int]:
    """(payment day, YYYYPP code) -> rows, from rows holding a value in each of
    two date columns (either column may hold the days)."""
    pairs: dict[tuple[date, str], int] = {}
    for a, b, n in raw_pairs:
        for day_raw, code in ((a, b), (b, a)):
            d = parsed.get(day_raw)
            if d is not None and d.precision == "day" and yyyypp_codes([code]):
                key = (d.start, code.strip())
                pairs[key] = pairs.get(key, 0) + n
    return pairs


# -- a day-date column left unmapped beside period codes --------------------------------
