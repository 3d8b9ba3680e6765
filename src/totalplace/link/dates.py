"""Dates of birth as agencies' systems write them, read to ISO dates.

A column's layout is decided from its values, not its header: ISO
(1980-04-03), eight digits (19800403), slashed (03/04/1980, day first as the
UK writes it unless only month first fits), or a month's name (03-Apr-1980).
A value in another layout that cannot be mistaken for any other is read too,
since a column typed by hand mixes them; a value that is no real date is
``None``, and the caller says how many there were.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["SHARE", "date_order", "parse_date", "parse_date_in"]

#: The share of a column's filled values that must show one thing (a layout
#: of date, postcode, NHS number...) for the column to be read as it.
SHARE = 0.8
_SLASHED = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]\d.*)?"
_NAMED = r"(\d{1,2})[ ./-]?([A-Za-z]{3,9})[ ./,-]+(\d{4}|\d{2})(?:[ T]\d.*)?"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def date_order(values: list[str]) -> str | None:
    """The layout of a column of dates: 'dmy', 'mdy', 'ymd' or 'compact' (yyyymmdd), or None.

    Slashed dates are day first (the UK's way) unless some second part is over
    12 and no first part is, which only a month-first column can show; a year
    may be two digits (03/04/80) and a time may follow (Excel's "03/04/1980
    00:00").  'named' is a day, a month's name and a year (03-Apr-1980)."""
    if not values:
        return None
    iso = sum(bool(re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}([ T].*)?", v)) for v in values)
    compact = sum(bool(re.fullmatch(r"(19|20)\d{6}", v)) for v in values)
    slashed = [re.fullmatch(_SLASHED, v) for v in values]
    slashes = [m for m in slashed if m]
    named = sum(bool(re.fullmatch(_NAMED, v)) for v in values)
    n = len(values)
    if iso >= SHARE * n:
        return "ymd"
    if named >= SHARE * n:
        return "named"
    if compact >= SHARE * n:
        # Eight digits could be a number of another kind; most must be real dates.
        # Not all: one slip (19450493) in a column must not lose the column.
        sample = values[:200]
        if sum(parse_date(v, "compact") is not None for v in sample) >= SHARE * len(sample):
            return "compact"
    if len(slashes) >= SHARE * n:
        first_big = any(int(m.group(1)) > 12 for m in slashes)
        second_big = any(int(m.group(2)) > 12 for m in slashes)
        return "mdy" if second_big and not first_big else "dmy"
    return None


def parse_date(text: str, order: str) -> str | None:
    text = text.strip()
    try:
        if order == "ymd":
            y, m, d = (int(p) for p in re.split(r"-", text[:10]))
        elif order == "compact":
            y, m, d = int(text[:4]), int(text[4:6]), int(text[6:8])
        elif order == "named":
            found = re.fullmatch(_NAMED, text)
            if found is None or found.group(2)[:3].lower() not in _MONTHS:
                return None
            d, y = int(found.group(1)), int(found.group(3))
            m = _MONTHS.index(found.group(2)[:3].lower()) + 1
        else:
            found = re.fullmatch(_SLASHED, text)
            if found is None:
                return None
            a, b, y = (int(found.group(i)) for i in (1, 2, 3))
            d, m = (a, b) if order == "dmy" else (b, a)
        if y < 100:  # 03/04/80: a birth year two digits long is past, not to come
            y += 1900 if 2000 + y > dt.date.today().year else 2000
        day = dt.date(y, m, d)
    except ValueError:
        return None
    if not 1880 <= day.year <= dt.date.today().year:
        return None
    return day.isoformat()


def parse_date_in(text: str, order: str) -> str | None:
    """A date in its column's layout, or else in one no other layout can be
    mistaken for (1980-04-03, 03-Apr-1980, 19800403): a column typed by hand
    mixes them.  A slashed date in a column of another layout is day first."""
    found = parse_date(text, order)
    if found is not None:
        return found
    for other in ("ymd", "named", "compact", "dmy"):
        if other != order and (other != "dmy" or order not in ("dmy", "mdy")):
            found = parse_date(text, other)
            if found is not None:
                return found
    return None
