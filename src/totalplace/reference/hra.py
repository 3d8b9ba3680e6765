"""Councils' Housing Revenue Account (HRA): what each spends on its own housing.

The HRA is a council's account for the homes it owns, paid for from their
rents; it is outside the General Fund's net current expenditure that the count
takes as a council's control total.  The RS workbooks carry each council's
total HRA income and expenditure as memorandum columns from 2012-13
(``scripts/build_hra.py`` derives ``data/hra/hra.csv``; sources and licence in
``data/hra/SOURCES.md``).  A year the table lacks takes the nearest year it
has, and says so.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

HRA_FILE = "hra.csv"
COLUMNS = (
    "year",
    "ecode",
    "authority",
    "income_pence",
    "expenditure_pence",
    "source_ref",
)


@dataclass(frozen=True)
class HraAccount:
    year: str
    ecode: str
    authority: str
    income_pence: int
    expenditure_pence: int
    source_ref: str  # the expenditure cell, sheet!cell; the sheet names the year


@cache
def _table() -> dict[str, dict[str, HraAccount]]:
    text = files("totalplace").joinpath("reference/data/hra", HRA_FILE).read_text("utf-8")
    out: dict[str, dict[str, HraAccount]] = {}
    for row in csv.DictReader(text.splitlines()):
        account = HraAccount(
            row["year"],
            row["ecode"],
            row["authority"],
            int(row["income_pence"]),
            int(row["expenditure_pence"]),
            row["source_ref"],
        )
        out.setdefault(account.year, {})[account.ecode] = account
    return out


def years() -> list[str]:
    """The financial years the table holds, oldest first."""
    return sorted(_table())


def nearest_year(year: str) -> str | None:
    """The year of the table nearest ``year`` (the earlier on a tie), or None."""
    have = years()
    if not have:
        return None
    return min(have, key=lambda y: (abs(int(y[:4]) - int(year[:4])), y))


def hra_account(year: str, ecode: str) -> HraAccount | None:
    """The council's HRA for ``year`` exactly, or None where not shipped."""
    return _table().get(year, {}).get(ecode)
