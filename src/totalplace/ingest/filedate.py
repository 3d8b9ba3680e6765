"""The month or quarter a file says it covers, from its name or its title lines.

Publishers name a month's file ``spend-2013-04.csv``, ``April 2013.csv``,
``201304.csv`` or ``Apr13.csv``, a quarter's ``2013_Q1.csv`` or
``Q1 2013-14.csv``, and often repeat it in a title above the header
("Payments over £500, April 2013").  That month is a check on the dates: a
file named April whose rows are mostly dated July has been read (or published)
three months off, and ingest says so.  A file with no date column at all takes
its period from the name, when the name and title give exactly one.

Quarters are financial quarters (Q1 is April to June), as in period values; a
quarter written with a bare year (``2013_Q1``) may also be the calendar quarter,
and a name like ``2010-11`` may be November 2010 or the financial year 2010-11,
so the check accepts rows in any span the words can mean.  A day date in a title
(``run on 5 Jan 2013``) names no month.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

import duckdb

from totalplace.errors import SourceError
from totalplace.ingest.dates import MONTHS, PeriodReading
from totalplace.ingest.roles import ColumnMap

Span = tuple[date, date]
FINANCIAL_YEAR_START = 4  # April
# share of a file's rows that must lie in the month it names
MOST = 0.5
# a month's name on a quarter's file: the named month holds at least this share
QUARTER_NAMED_BY_FIRST_MONTH = 0.2

_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"((?:19|20)\d{2})"
_SEP = r"[\s_\-.,']*"
_SUFFIX = re.compile(r"\.(csv|txt|tsv|xlsx|xlsm|xls|zip)$", re.IGNORECASE)
# quarters first; their text is blanked before months are looked for
_Q_FIRST = re.compile(
    rf"(?<![a-z])q(?:uarter|tr)?[\s_\-.]*([1-4]){_SEP}{_YEAR}(?:[-/_](\d{{2}}))?(?!\d)"
)
_Q_LAST = re.compile(
    rf"(?<!\d){_YEAR}(?:[-/_](\d{{2}}))?{_SEP}q(?:uarter|tr)?[\s_\-.]*([1-4])(?!\d)"
)
# "apr-jun-2016", "April to June 2016", "Oct_Dec_2014": a run of months
_MON_RANGE = re.compile(
    rf"(?<![a-z])({_MONTH_WORD})(?:{_SEP}(\d{{4}}))?\s*(?:[\-_\u2013]|\bto\b)+\s*"
    rf"({_MONTH_WORD}){_SEP}(\d{{4}})(?!\d)"
)
_MON_Y = re.compile(
    rf"(\d{{1,2}}(?:st|nd|rd|th)?[\s\-/]+)?(?<![a-z])({_MONTH_WORD}){_SEP}(\d{{4}}|\d{{2}})(?!\d)"
)
# "2013-04", "2013_04"; not "2013 1" (a year and a page number); "04-2013" not
# after a letter ("v2-2013" is a version)
_Y_M = re.compile(rf"(?<!\d){_YEAR}[-_./](0?[1-9]|1[0-2])(?!\d)(?![-_./]\d)")
_M_Y = re.compile(rf"(?<![a-z0-9])(0?[1-9]|1[0-2])[-_./]{_YEAR}(?![a-z0-9])")
_YYYYMM = re.compile(rf"(?<!\d){_YEAR}(0[1-9]|1[0-2])(?!\d)")


@dataclass(frozen=True)
class NamedPeriod:
    """A month or quarter named by a file: its span and where it was read."""

    start: date
    end: date
    precision: str  # "month", "quarter" or "range" (a run of months)
    label: str  # "April 2013", "Q1 2013-14 (April to June 2013)"
    where: str  # "file name" or "title line"
    text: str  # the words that named it
    others: tuple[Span, ...] = ()  # other spans the same words may mean
    code_like: bool = False  # written as YYYYPP, which is itself ambiguous

    def spans(self) -> tuple[Span, ...]:
        return ((self.start, self.end), *self.others)

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "from": self.where, "text": self.text}


def _month(y: int, m: int) -> Span:
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def month_label(start: date, end: date) -> str:
    first = f"{calendar.month_name[start.month]} {start.year}"
    if (start.year, start.month) == (end.year, end.month):
        return first
    return f"{first} to {calendar.month_name[end.month]} {end.year}"


def _financial_quarter(fy: int, q: int) -> Span:
    m = FINANCIAL_YEAR_START + 3 * (q - 1)
    y, m = fy + (m - 1) // 12, (m - 1) % 12 + 1
    start = _month(y, m)[0]
    m_end = m + 2
    y_end, m_end = y + (m_end - 1) // 12, (m_end - 1) % 12 + 1
    return start, _month(y_end, m_end)[1]


def _quarter(where: str, text: str, q: int, y: int, yy: str | None) -> NamedPeriod | None:
    if yy is not None and int(yy) != (y + 1) % 100:
        return None  # "2013-15" is no financial year
    start, end = _financial_quarter(y, q)
    label = f"Q{q} {y}-{(y + 1) % 100:02d} ({month_label(start, end)})"
    # a bare year may mean the calendar quarter: Q1 2013 = January to March 2013
    others = () if yy else ((date(y, 3 * q - 2, 1), _month(y, 3 * q)[1]),)
    return NamedPeriod(start, end, "quarter", label, where, text, others)


def _named_month(where: str, text: str, y: int, m: int, *, code_like: bool = False) -> NamedPeriod:
    start, end = _month(y, m)
    others: tuple[Span, ...] = ()
    if m == (y + 1) % 100:  # "2010-11": November 2010, or the financial year 2010-11
        others = ((date(y, FINANCIAL_YEAR_START, 1), _month(y + 1, FINANCIAL_YEAR_START - 1)[1]),)
    if code_like:  # 201304 may be the financial period 04 of 2013-14
        fm = FINANCIAL_YEAR_START + m - 1
        others = (_month(y + (fm - 1) // 12, (fm - 1) % 12 + 1),)
    return NamedPeriod(start, end, "month", month_label(start, end), where, text, others, code_like)


def _month_range(where: str, text: str, m: re.Match[str]) -> NamedPeriod | None:
    """``apr-jun-2016``: the months from the first to the last, the year written
    once at the end (a run that crosses a year end starts the year before)."""
    end_y, end_m = int(m[4]), MONTHS[m[3]]
    start_m = MONTHS[m[1]]
    start_y = int(m[2]) if m[2] else (end_y if start_m <= end_m else end_y - 1)
    start, end = _month(start_y, start_m)[0], _month(end_y, end_m)[1]
    if not start < end or (end_y - start_y) * 12 + end_m - start_m > 11:
        return None
    months = (end_y - start_y) * 12 + end_m - start_m + 1
    precision = "quarter" if months == 3 else "range"
    return NamedPeriod(start, end, precision, month_label(start, end), where, text)


def _year4(text: str) -> int:
    n = int(text)
    return n if len(text) == 4 else 2000 + n


def periods_in(text: str, where: str) -> list[NamedPeriod]:
    """Every month or quarter ``text`` names (in the order found)."""
    s = text.lower()
    found: list[NamedPeriod] = []
    for rx, order in ((_Q_FIRST, "qy"), (_Q_LAST, "yq")):
        for m in rx.finditer(s):
            q, y, yy = (m[1], m[2], m[3]) if order == "qy" else (m[3], m[1], m[2])
            hit = _quarter(where, text[m.start() : m.end()], int(q), int(y), yy)
            if hit:
                found.append(hit)
            s = s[: m.start()] + " " * (m.end() - m.start()) + s[m.end() :]
    for m in _MON_RANGE.finditer(s):
        hit = _month_range(where, text[m.start() : m.end()], m)
        if hit:
            found.append(hit)
            s = s[: m.start()] + " " * (m.end() - m.start()) + s[m.end() :]
    for m in _MON_Y.finditer(s):
        y = _year4(m[3])
        if m[1] is None and 1990 <= y <= 2100:  # not the month of a day ("5 Jan 2013")
            found.append(_named_month(where, text[m.start(2) : m.end()], y, MONTHS[m[2]]))
    for m in _Y_M.finditer(s):
        found.append(_named_month(where, text[m.start() : m.end()], int(m[1]), int(m[2])))
    for m in _M_Y.finditer(s):
        if not re.search(r"\d[/.\-]$", s[: m.start()]):  # not the month of "12/05/2013"
            found.append(_named_month(where, text[m.start() : m.end()], int(m[2]), int(m[1])))
    for m in _YYYYMM.finditer(s):
        piece = text[m.start() : m.end()]
        found.append(_named_month(where, piece, int(m[1]), int(m[2]), code_like=True))
    return found


def named_periods(display_path: str, head: str, header_line: int) -> list[NamedPeriod]:
    """The months and quarters named by the file's name (each part of
    ``archive.zip!member.csv`` or ``book.xlsx!Sheet``) and by the title lines
    above its header."""
    found: list[NamedPeriod] = []
    for text, where in _stated_texts(display_path, head, header_line):
        found += periods_in(text, where)
    return found


def _stated_texts(display_path: str, head: str, header_line: int) -> list[tuple[str, str]]:
    """(text, where) for each part of the file's name, without its folder and
    suffix, and each title line above its header (the first 300 characters)."""
    names = [
        (_SUFFIX.sub("", part.replace("\\", "/").rsplit("/", 1)[-1]), "file name")
        for part in display_path.split("!")
    ]
    titles = [(line[:300], "title line") for line in head.split("\n")[: max(header_line - 1, 0)]]
    return names + titles


_FINANCIAL_YEAR = re.compile(r"(?<![\d])(?:fy\s*)?((?:19|20)\d{2})[-/_ ](\d{4}|\d{2})(?![\d])")


def financial_year_named(
    display_path: str, head: str, header_line: int
) -> tuple[date, date, str] | None:
    """The one financial year (``2015-16``, ``2015/2016``, ``FY 2015-16``) the
    file's name or title lines give, as (start, end, label): evidence for how
    its YYYYPP codes read when it names no month or quarter."""
    years = set()
    for text, _ in _stated_texts(display_path, head, header_line):
        for m in _FINANCIAL_YEAR.finditer(text.lower()):
            y, second = int(m[1]), m[2]
            if int(second) in (y + 1, (y + 1) % 100):
                years.add(y)
    if len(years) != 1:
        return None
    (y,) = years
    start = date(y, FINANCIAL_YEAR_START, 1)
    end = _month(y + 1, FINANCIAL_YEAR_START - 1)[1]
    return start, end, f"the financial year {y}-{(y + 1) % 100:02d}"


def single_period(found: list[NamedPeriod]) -> NamedPeriod | None:
    """The one month or quarter the name and title lines agree on, if they name
    exactly one (the same month written twice is one)."""
    spans = {(p.start, p.end) for p in found}
    return found[0] if len(spans) == 1 else None


def undated_error(path: str, found: list[NamedPeriod], cmap: ColumnMap) -> SourceError:
    """The failure of a file with no date or period column whose name and
    title lines give no single month or quarter to date its rows by."""
    labels = sorted({p.label for p in found})
    names = f"name {' and '.join(labels)}, not one" if labels else "name no month or quarter"
    columns = ", ".join(repr(h) for h in cmap.unmapped_headers()) or "(none)"
    return SourceError(
        path,
        f"no date or period column, and the file's name and title lines {names}, so its "
        "rows cannot be dated. Add a payment date or period column to the file, or rename "
        "it to name its one month or quarter (e.g. spend-2013-04.csv or spend-2013-Q1.csv), "
        'or map the column that dates the rows in a profile ([columns] payment_date = "...").'
        f" Unmapped columns: {columns}.",
    )


@dataclass(frozen=True)
class DateNotes:
    """File warnings (slug, message) and details about a file's dates."""

    warnings: list[tuple[str, str]]
    details: dict[str, object]


def date_notes(
    con: duckdb.DuckDBPyConnection,
    reading: PeriodReading | None,
    named: NamedPeriod | None,
    *,
    undated: bool,
) -> DateNotes:
    """What a file's dates say, read from the ``classified`` rows: how YYYYPP
    codes were read, year-end adjustment rows, and whether the rows lie in the
    month the file names."""
    warnings: list[tuple[str, str]] = []
    details: dict[str, object] = {}
    if reading is not None:
        details.update(reading.to_dict())
        if reading.reading == "financial":
            warnings.append(
                (
                    "financial-periods",
                    f"period codes such as {reading.codes[0]} are read as financial periods "
                    f"(01 = April): {reading.why}",
                )
            )
        adjust = con.execute(
            "SELECT count(*) FROM classified WHERE status = 'loaded' "
            "AND date_precision = 'adjustment'"
        ).fetchone()
        if adjust and adjust[0]:
            details["adjustment_rows"] = int(adjust[0])
            warnings.append(
                (
                    "adjustment-periods",
                    f"{adjust[0]:,} rows are in year-end adjustment periods (13 and above) and "
                    "are dated to the last month of their financial year",
                )
            )
    if named is None:
        return DateNotes(warnings, details)
    details["named_period"] = named.to_dict()
    if undated:
        details["period_from"] = named.where
        warnings.append(
            (
                "period-from-file-name",
                f"no date or period column: every row is dated to {named.label}, which the "
                f"{named.where} names ({named.text!r})",
            )
        )
        return DateNotes(warnings, details)
    mismatch = _mismatch(con, named, details)
    if mismatch:
        warnings.append(("dates-outside-named-month", mismatch))
    return DateNotes(warnings, details)


def _mismatch(
    con: duckdb.DuckDBPyConnection, named: NamedPeriod, details: dict[str, object]
) -> str | None:
    """A message when over half the loaded rows lie outside every span the
    name may mean (a month's name on a quarter's file: the quarter it opens)."""
    groups = [
        (start, end, int(n))
        for start, end, n in con.execute(
            """SELECT date_trunc('month', period_start)::DATE, period_end, count(*)
               FROM classified WHERE status = 'loaded' AND period_start IS NOT NULL
               GROUP BY ALL"""
        ).fetchall()
    ]
    total = sum(n for _, _, n in groups)
    if total == 0:
        return None

    def outside(spans: list[Span]) -> dict[date, int]:
        months: dict[date, int] = {}
        for s, e, n in groups:
            if not any(s <= span[1] and e >= span[0] for span in spans):
                months[s] = months.get(s, 0) + n
        return months

    spans = list(named.spans())
    out = outside(spans)
    in_month = total - sum(outside([(named.start, named.end)]).values())
    if named.precision == "month" and in_month >= QUARTER_NAMED_BY_FIRST_MONTH * total:
        opened = (named.start, _month(*_add_months(named.start, 2))[1])
        wider = outside([*spans, opened])
        if sum(wider.values()) * 2 <= total < sum(out.values()) * 2:
            details["named_month_opens_quarter"] = month_label(*opened)
        out = wider
    n_out = sum(out.values())
    details["rows_in_named_period"] = total - n_out
    details["rows_dated"] = total
    if n_out <= MOST * total:
        return None
    top = max(out, key=lambda k: out[k])
    share = round(100 * n_out / total)
    what = f"{named.where} ({named.text!r})"
    if len(out) == 1:
        return (
            f"the {what} says {named.label} but {share}% of rows are dated {month_label(top, top)}"
        )
    return (
        f"the {what} says {named.label} but {share}% of rows are dated outside it, "
        f"most in {month_label(top, top)} ({out[top]:,} of {total:,} rows)"
    )


def _add_months(d: date, n: int) -> tuple[int, int]:
    m = d.month - 1 + n
    return d.year + m // 12, m % 12 + 1
