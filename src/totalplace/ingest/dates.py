"""Dates and periods as publishers write them.

Parsing runs once per *distinct* raw value in a file (a few hundred at most,
however many rows), and the results are joined back to the rows in DuckDB.
A value is either a day (start = end) or a period with a start and an end:
a month (``201009``, ``2011-01``, ``January 2011``), a quarter (``2010-Q3``,
``Q3 2010-11``; quarters are financial quarters, Q1 = April-June), a
period code (``P04`` with the body's year and calendar, monthly or four-weekly),
or a text range (``July 2010-September 2010``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

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
    """Parse one non-blank value; ``order`` is "dmy" or "mdy"."""
    s = re.sub(r"\s+", " ", raw.strip().lower())
    return _simple(s, order, rules) or _range(s, order, rules)


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
    if (m := _YYYYMM.match(s)) and 1 <= int(m[2]) <= 12 and 1990 <= int(m[1]) <= 2100:
        return DateValue(*_month_span(int(m[1]), int(m[2])), "month")
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
