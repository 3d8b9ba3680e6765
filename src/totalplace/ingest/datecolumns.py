"""Which column dates the rows: a day date wins over a period code.

Publishers that give both a payment day and a period code sometimes head the
code "Date" and the day something no synonym names ("Posted On").  The day is
the better fact (the period is kept as published), so a column whose sampled
values are all day dates takes the payment date from a column of codes.
"""

from __future__ import annotations

from dataclasses import replace

from totalplace.ingest.dates import parse_values
from totalplace.ingest.roles import ColumnMap

MIN_DAY_SAMPLE = 2  # sampled values a column needs before it is taken as day dates


def with_day_dates(cmap: ColumnMap, sample: list[list[str]]) -> ColumnMap:
    """Day dates win, also when the headers hide them: if no mapped date column
    holds day dates (the column headed "Date" holds ``201304``) and an unmapped
    column's sampled values are all day dates, that column becomes the payment
    date and the period column keeps the codes.  Where several columns hold day
    dates, the leftmost is taken and the others named in the mapping decisions.
    Bare numbers (Excel serials) are not taken: identifiers look the same."""
    mapped = [i for r in ("payment_date", "period") if (i := cmap.index(r)) is not None]
    if not mapped or (cmap.index("payment_date") is not None and cmap.index("period") is not None):
        return cmap

    def values(i: int) -> list[str]:
        return [row[i].strip() for row in sample if i < len(row) and row[i].strip()]

    def days(i: int) -> bool:
        vals = values(i)
        if len(vals) < MIN_DAY_SAMPLE or any(v.replace(".", "").isdigit() for v in vals):
            return False
        parsed = parse_values(vals)
        return all(p is not None and p.precision == "day" for p in parsed.values())

    def periods(i: int) -> bool:
        parsed = parse_values(values(i))
        return bool(parsed) and all(p is not None and p.is_period for p in parsed.values())

    if not periods(mapped[0]) or any(days(i) for i in mapped):
        return cmap
    used = {i for i, _, _ in cmap.roles.values()}
    found = [i for i in range(len(cmap.headers)) if i not in used and days(i)]
    if not found:
        return cmap
    day, codes = found[0], mapped[0]
    why = f"day dates beside the periods in {cmap.headers[codes]!r}"
    roles = dict(cmap.roles)
    was = roles.get("payment_date") or roles["period"]
    roles["period"] = (codes, cmap.headers[codes], was[2])
    roles["payment_date"] = (day, cmap.headers[day], why)
    decisions = dict(cmap.decisions)
    decisions["payment_date"] = {
        "column": cmap.headers[day],
        "why": why + ": day dates win over period codes",
        "also_day_dates": [cmap.headers[i] for i in found[1:]],
    }
    return replace(cmap, roles=roles, decisions=decisions)
