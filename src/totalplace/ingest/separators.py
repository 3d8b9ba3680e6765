"""Decimal and thousands separators of a money column, decided from its values.

Publishers write money the way their software's locale does: ``1,234.56``
(UK), ``1.234,56`` or ``1 234,56`` (continental Europe, also with a no-break
or narrow no-break space), ``1'234.56`` (Swiss), ``12,34`` in a semicolon
file.  One rule reads every column, decided once per column from all its
values:

* a value that can only be read one way is *evidence*: ``1.234,56``,
  ``12,34``, ``1.234.567`` and ``0,5`` have a decimal comma; ``1,234.56``,
  ``12.34``, ``1,234,567`` and ``0.5`` have a decimal point (a separator
  followed by one, two or four and more digits is never a thousands
  separator, and thousands come in groups of three);
* a column with evidence of decimal commas and none of decimal points is read
  with a decimal comma (``.``, spaces and apostrophes between digit groups are
  thousands separators); any other column keeps the decimal point, so files
  written the UK way read exactly as before;
* a column with evidence of both fails the file, naming the column, a value
  of each kind and its line: no single reading is right for all its rows.

Values such as ``1,234`` or ``1.234`` are ambiguous on their own and follow
the column's reading.  Currency signs, minus signs, brackets and ``CR`` are
ignored when the evidence is gathered (the amount parser reads them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from totalplace.errors import SourceError

# spaces publishers put between digit groups: space, no-break, narrow no-break, thin
_SPACES = " \u00a0\u202f\u2009"
_APOSTROPHES = "'\u2019"  # apostrophe and right single quote
# the same, as RE2 escapes, to sit inside a SQL string literal
_SPACES_SQL = r" \x{00A0}\x{202F}\x{2009}"
_APOSTROPHES_SQL = r"\x{0027}\x{2019}"
# a value's digits and separators, without signs, currency or brackets around them
_CORE = re.compile(r"^[^0-9]+|[^0-9]+$")

# Values that can only mean a decimal comma...
COMMA_EVIDENCE = re.compile(
    rf"\d{{1,3}}([.{_SPACES}{_APOSTROPHES}]\d{{3}})+,\d+"  # 1.234,56  1 234,5
    r"|\d+,(\d{1,2}|\d{4,})"  # 12,34  1,5  1,23456
    r"|\d{4,},\d+|0,\d+"  # 1234,567  0,123
    r"|\d{1,3}(\.\d{3}){2,}"  # 1.234.567
)
# ...and values that can only mean a decimal point.
POINT_EVIDENCE = re.compile(
    rf"\d{{1,3}}([,{_SPACES}{_APOSTROPHES}]\d{{3}})+\.\d+"  # 1,234.56  1'234.56
    r"|\d+\.(\d{1,2}|\d{4,})"  # 12.34  1.5  1.23456
    r"|\d{4,}\.\d+|0\.\d+"  # 1234.567  0.123
    r"|\d{1,3}(,\d{3}){2,}"  # 1,234,567
)


@dataclass(frozen=True)
class MoneyFormat:
    """How a column writes money: its decimal separator (``.`` or ``,``)."""

    decimal: str = "."

    @property
    def label(self) -> str:
        return "decimal comma" if self.decimal == "," else "decimal point"

    def clean_sql(self, col: str) -> str:
        """SQL giving the value as digits with a ``.`` decimal point (sign
        markers kept for the amount parser): currency, spaces and thousands
        separators removed."""
        if self.decimal == ".":
            drop = rf"[£\s{_SPACES_SQL}{_APOSTROPHES_SQL},]|GBP"
            return f"regexp_replace(coalesce({col}, ''), '{drop}', '', 'gi')"
        drop = rf"[£€\s{_SPACES_SQL}{_APOSTROPHES_SQL}.]|GBP|EUR"
        return f"replace(regexp_replace(coalesce({col}, ''), '{drop}', '', 'gi'), ',', '.')"


POINT = MoneyFormat(".")
COMMA = MoneyFormat(",")


def column_format(
    con: duckdb.DuckDBPyConnection, display: str, header: str, expr: str
) -> MoneyFormat:
    """The money format of one column of ``fields`` (``expr`` is its SQL), decided
    from all its values; a :class:`SourceError` when they disagree.

    Only a value holding a comma, or two dots, can show a decimal comma, so
    those are looked at first (a UK file without thousands commas costs one
    cheap scan); the whole column is looked at again only when some value
    does show one.  Values are grouped by their shape (every digit written as
    9), so the evidence is judged once per shape, a few dozen in all."""
    candidates = "contains(v, ',') OR v LIKE '%.%.%'"
    comma, _ = _evidence(con, expr, candidates)
    if not comma:
        return POINT
    comma, point = _evidence(con, expr, "contains(v, ',') OR contains(v, '.')")
    if not point:
        return COMMA
    n_comma, (_, line_comma, ex_comma) = sum(x[0] for x in comma), min(comma, key=lambda x: x[1])
    n_point, (_, line_point, ex_point) = sum(x[0] for x in point), min(point, key=lambda x: x[1])
    raise SourceError(
        display,
        f'column "{header}" mixes decimal separators: {n_comma:,} value(s) such as '
        f'"{ex_comma}" (line {line_comma}) can only be read with a decimal comma and '
        f'{n_point:,} such as "{ex_point}" (line {line_point}) only with a decimal point, '
        "so no one reading is right for every row. Correct the values in a copy of the "
        "file (one separator for the whole column) and ingest that.",
    )


Evidence = list[tuple[int, int, str]]  # (rows, first line, first value) per shape


def _evidence(con: duckdb.DuckDBPyConnection, expr: str, where: str) -> tuple[Evidence, Evidence]:
    """The shapes among the values ``where`` holds that show a decimal comma,
    and those that show a decimal point."""
    shapes = con.execute(
        f"""SELECT shape, sum(n), min(line_no), arg_min(v, line_no)
            FROM (SELECT translate(v, '0123456789', '9999999999') AS shape, v,
                         count(*) AS n, min(line_no) AS line_no
                  FROM (SELECT line_no, {expr} AS v FROM fields)
                  WHERE v IS NOT NULL AND ({where})
                  GROUP BY v)
            GROUP BY shape"""
    ).fetchall()
    comma: Evidence = []
    point: Evidence = []
    for shape, n, line, value in shapes:
        core = _CORE.sub("", str(shape))
        if COMMA_EVIDENCE.fullmatch(core):
            comma.append((int(n), int(line), str(value)))
        elif POINT_EVIDENCE.fullmatch(core):
            point.append((int(n), int(line), str(value)))
    return comma, point
