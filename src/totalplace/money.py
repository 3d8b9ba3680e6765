"""Money is integer pence at rest; these only format it for people."""

from __future__ import annotations


def pounds(pence: int) -> str:
    """``-£1,234.50`` from -123450."""
    sign = "-" if pence < 0 else ""
    whole, p = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{p:02d}"


def display_pounds(pence: int) -> str:
    """As :func:`pounds`, with the minus sign (U+2212) in place of the
    hyphen, as pages and charts show it, so a negative is never read as a dash."""
    return pounds(pence).replace("-", "\u2212", 1)


def millions(pence: int) -> str:
    """``£1,234.5m``: for totals, rounded to the nearest £100,000."""
    sign = "-" if pence < 0 else ""
    tenths = (abs(pence) + 5_000_000) // 10_000_000
    return f"{sign}£{tenths // 10:,}.{tenths % 10}m"
