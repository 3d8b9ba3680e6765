"""What each column's values hold, judged on a sample of the file's data rows.

The mapping (``roles.py``) uses these profiles to check a header against its
values and to find a role's column when no header names it.  A profile holds
shares of the non-blank sampled cells, never a verdict on one cell, so one odd
row does not change a column's reading.

The tests a finance officer can check:

- *money*: the cell reads as an amount by the same grammar ingest uses (``£``,
  commas, spaces, ``GBP``, parentheses, a trailing minus or ``CR``);
- *identifier*: every cell is a bare whole number (no decimal point, sign,
  comma or ``£`` in any sampled row) and the numbers have leading zeros, or
  all have the same five or more digits, or are near-sequential (nine in ten
  distinct and stepping one way, or packed closer than two apart), or their
  median is a million or more.  Such a column is never taken as money: a
  ledger reference summed as pounds is how a £1.75 trillion month happens;
- *day date* and *period*: the cell reads as a date or a period code by the
  ingest's own date reader (``dates.parse_values``);
- *organisation name*: text with a company or public-body word (Ltd, Limited,
  PLC, LLP, CIC, Trust, Council, NHS, University...).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from totalplace.ingest.dates import PeriodRules, parse_values

SAMPLE_ROWS = 500
# Only the shape of a date matters here, not which month it is: bare period
# codes (P01..P13) read with a placeholder year and the calendar that allows 13.
SHAPE_RULES = PeriodRules("four-weekly", "2000-01")
SAMPLE_VALUES = 5
# Values alone never give a role on fewer sampled values than this: a handful
# of rows proves little about a column (a header match needs no minimum).
MIN_VALUES = 10

# The cleaning ``rowsql._amount_sql`` applies before it reads a number, and
# its number pattern (rowsql.NUMBER_RE; a test keeps the two the same: rowsql
# imports the mapping, so this module cannot import rowsql).
NUMBER_RE = r"[-+]?(\d+\.?\d*|\.\d+)"
_MONEY_NOISE = re.compile(r"[£\s\u00a0,]|GBP", re.IGNORECASE)
_MONEY_MARKS = re.compile(r"^\((.*)\)$|^(.*?)(-|CR|cr)$")
_NUMBER = re.compile(f"^(?:{NUMBER_RE})$")
_DIGITS = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"\.\d")
_LETTERS = re.compile(r"[A-Za-z]")
ORG_WORDS = re.compile(
    r"(?i)\b(ltd|limited|plc|llp|cic|inc|trust|council|nhs|university|college|school|"
    r"academy|association|society|charity|foundation|partnership|holdings|hospital|police|"
    r"constabulary|church|sons|t/a)\b"
)
# A total or end-of-report line below the data (as ingest's footer check reads them).
_FOOTER = re.compile(r"(?i)^((grand\s+|sub\s*)?totals?\s*:?|end of (report|file|data)\b.*)$")
_URL = re.compile(r"(?i)^(https?://|www\.)")


def is_money(cell: str) -> bool:
    """Whether ingest would read the cell as an amount."""
    cleaned = _MONEY_NOISE.sub("", cell)
    m = _MONEY_MARKS.match(cleaned)
    if m:
        cleaned = m[1] if m[1] is not None else m[2]
    return bool(_NUMBER.match(cleaned))


@dataclass(frozen=True)
class ColumnProfile:
    """Shares are of the non-blank sampled cells (0 when there are none)."""

    index: int
    header: str
    filled: int  # non-blank cells in the sample
    money: float
    decimals: float  # cells with a decimal point and a digit after it
    whole_numbers: float  # bare digit strings: no sign, comma, point or £
    day_dates: float
    periods: float
    text: float  # cells with a letter
    org_names: float
    distinct: float  # distinct values / non-blank cells
    identifier: str  # why the column looks like identifiers, or ""
    samples: tuple[str, ...]

    @property
    def identifier_like(self) -> bool:
        return bool(self.identifier)

    @property
    def dates(self) -> float:
        return self.day_dates + self.periods


def sample_rows(
    head: str, delimiter: str, header_line: int, limit: int = SAMPLE_ROWS
) -> list[list[str]]:
    """The data rows after the header in the first part of the file.

    The last line of ``head`` may be cut mid-record, so it is dropped unless
    ``head`` ends with a line break."""
    lines = head.split("\n")[header_line:]
    if lines and not head.endswith("\n"):
        lines = lines[:-1]
    rows: list[list[str]] = []
    text = "\n".join(ln.rstrip("\r") for ln in lines)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            if any(c.strip() for c in row) and not _FOOTER.match(_first(row)):
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:  # a stray NUL or quote: profile the rows read so far
        pass
    return rows


def _first(row: Sequence[str]) -> str:
    return next((c.strip() for c in row if c.strip()), "")


def profile_columns(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[ColumnProfile]:
    return [
        profile_column(i, h, [r[i].strip() for r in rows if i < len(r)])
        for i, h in enumerate(headers)
    ]


def profile_column(index: int, header: str, cells: Sequence[str]) -> ColumnProfile:
    values = [c for c in cells if c]
    n = len(values)
    if n == 0:
        return ColumnProfile(index, header, 0, 0, 0, 0, 0, 0, 0, 0, 0, "", ())

    def share(count: int) -> float:
        return count / n

    distinct = list(dict.fromkeys(values))
    parsed = parse_values(distinct, rules=SHAPE_RULES)
    day = {v for v, d in parsed.items() if d is not None and not d.is_period}
    period = {v for v, d in parsed.items() if d is not None and d.is_period}
    return ColumnProfile(
        index=index,
        header=header,
        filled=n,
        money=share(sum(is_money(v) for v in values)),
        decimals=share(sum(bool(_DECIMAL.search(v)) for v in values)),
        whole_numbers=share(sum(bool(_DIGITS.match(v)) for v in values)),
        day_dates=share(sum(v in day for v in values)),
        periods=share(sum(v in period for v in values)),
        text=share(sum(bool(_LETTERS.search(v)) for v in values)),
        org_names=share(sum(bool(ORG_WORDS.search(v)) and not _URL.match(v) for v in values)),
        distinct=len(distinct) / n,
        identifier=identifier_reason(values),
        samples=tuple(distinct[:SAMPLE_VALUES]),
    )


def identifier_reason(values: Sequence[str]) -> str:
    """Why the values read as identifiers rather than amounts ("" if they do not)."""
    if len(values) < 3 or not all(_DIGITS.match(v) for v in values):
        return ""
    if any(len(v) > 1 and v.startswith("0") for v in values):
        return "identifier-like: whole numbers with leading zeros"
    widths = {len(v) for v in values}
    if len(widths) == 1 and min(widths) >= 5 and len(set(values)) >= 3:
        return f"identifier-like: whole numbers, all {min(widths)} digits"
    numbers = [int(v) for v in values]
    distinct = sorted(set(numbers))
    if len(distinct) >= 5 and len(distinct) >= 0.9 * len(numbers) and distinct[-1] >= 1000:
        steps = [b - a for a, b in itertools.pairwise(numbers)]
        one_way = max(sum(s > 0 for s in steps), sum(s < 0 for s in steps)) / len(steps)
        packed = (distinct[-1] - distinct[0] + 1) / len(distinct) < 2
        if one_way >= 0.9 or packed:
            return "identifier-like: whole numbers, near-sequential"
    if statistics.median(numbers) >= 1_000_000:
        return "identifier-like: whole numbers, a million or more"
    return ""


MONEY_ROLES = ("amount", "vat", "irrecoverable_vat")
DATE_ROLES = ("payment_date", "period")
CHECKED_ROLES = (*MONEY_ROLES, *DATE_ROLES, "supplier_name")


def _pct(share: float) -> str:
    return f"{share:.0%}"


def contradiction(role: str, col: ColumnProfile) -> str:
    """Why a column's values rule it out for a role its header names ("" when
    they do not).  Under half the values fitting rules a column out; on fewer
    than ten sampled values (a short file, a footer line or two) only none
    fitting does."""
    if col.filled == 0:
        return ""
    bar = 0.5 if col.filled >= MIN_VALUES else 1 / (col.filled + 1)
    if role in MONEY_ROLES:
        if col.identifier:
            return col.identifier
        if col.money < bar:
            return f"not money: {_pct(col.money)} of values read as amounts"
    elif role in DATE_ROLES:
        if col.dates < bar:
            return f"not dates: {_pct(col.dates)} of values read as dates or periods"
    elif role == "supplier_name" and col.text < bar:
        return f"not names: {_pct(col.text)} of values are words"
    return ""


def fit(
    role: str, col: ColumnProfile, *, worded: bool = False, min_values: int = MIN_VALUES
) -> str:
    """How the values show the column holds the role ("" when they do not).

    Stricter than :func:`contradiction`: used when no synonym names the role.
    With the values alone, money needs pence in some row, dates must not be
    plain numbers (an Excel serial and an amount look alike) and payee names
    must include some with a company or public-body word.  When the header
    holds a word of the role (``worded``: "Total", "Supplier", "Date") the
    header is half the evidence: whole pounds count as money, numbers that
    read as dates as dates, a period as the payment date, and any names as
    payees.  ``min_values`` is lowered only for a draft profile, which the
    user checks."""
    if col.filled < min_values:
        return ""
    if role in MONEY_ROLES:
        if col.money >= 0.9 and not col.identifier and (col.decimals > 0 or worded):
            return f"{_pct(col.money)} amounts, {_pct(col.decimals)} with pence"
    elif role in DATE_ROLES:
        numeric = col.whole_numbers + col.decimals >= 0.5
        wanted = col.day_dates if role == "payment_date" else col.periods
        other = col.periods if role == "payment_date" else col.day_dates
        plain = not numeric or (worded and col.decimals == 0)
        if col.dates >= 0.9 and plain and (wanted >= other or worded):
            return f"{_pct(col.day_dates)} day dates, {_pct(col.periods)} periods"
    elif role == "supplier_name":
        named = col.text >= 0.9 and col.money < 0.1 and col.dates < 0.1
        return (
            f"{_pct(col.text)} names, {_pct(col.org_names)} organisation names"
            if named and (col.org_names >= 0.1 or worded)
            else ""
        )
    return ""


def looks_like_data(cells: Sequence[str]) -> bool:
    """Whether a would-be header line holds data (amounts, dates) rather than
    names: half or more of its non-blank cells read as money or a date."""
    values = [c.strip() for c in cells if c.strip()]
    if not values:
        return False
    parsed = parse_values(values, rules=SHAPE_RULES)
    data = sum(is_money(v) or parsed.get(v) is not None for v in values)
    return data * 2 >= len(values)
