"""Gain share for a case: who funds the investment, under the partners' own limits.

The constraints a partnership states: which agencies are at the table, whether
only cashable savings count, and how much each partner can put in a year
(a TOML file of pounds by year, for example ``"Council" = [2_000_000, 1_000_000]``;
a year not listed has no limit).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

from totalplace.case.compute import CaseResult
from totalplace.case.gainshare import GainShare, propose_split
from totalplace.errors import ConfigError
from totalplace.tomlfile import read_toml

NO_LIMIT = 10**18  # pence: more than any public budget


def read_cash_limits(path: Path, agencies: list[str], years: int) -> dict[str, list[int]]:
    """Yearly cash limits in pence by agency from a TOML file of pounds by year."""
    raw = read_toml(path, "cash limits")
    limits: dict[str, list[int]] = {}
    for agency, values in raw.items():
        if agency not in agencies:
            raise ConfigError(
                f"{path}: {agency!r} is not an agency of the case; agencies are "
                f"{', '.join(agencies)}"
            )
        if not isinstance(values, list) or len(values) > years:
            raise ConfigError(
                f"{path}: {agency}: give a list of at most {years} yearly amounts in pounds"
            )
        pence = []
        for i, value in enumerate(values):
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                raise ConfigError(f"{path}: {agency}[{i}]: {value!r} is not an amount") from None
            if isinstance(value, bool) or amount < 0:
                raise ConfigError(f"{path}: {agency}[{i}]: a limit must be zero or more pounds")
            pence.append(int((amount * 100).quantize(Decimal(1), ROUND_HALF_EVEN)))
        limits[agency] = pence + [NO_LIMIT] * (years - len(pence))
    return limits


def gain_share(
    result: CaseResult,
    *,
    partners: list[str] | None = None,
    cashable_only: bool = False,
    cash_limits: Path | None = None,
) -> GainShare:
    """Propose how the partners at the table fund the case's cash investment."""
    names = partners or list(result.agencies)
    unknown = [n for n in names if n not in result.agencies]
    if unknown:
        raise ConfigError(
            f"partners {', '.join(unknown)} are not agencies of the case; agencies are "
            f"{', '.join(result.agencies)}"
        )
    investment, savings = result.gain_share_inputs(cashable_only)
    limits = (
        read_cash_limits(cash_limits, list(result.agencies), len(investment))
        if cash_limits is not None
        else None
    )
    return propose_split(
        investment,
        savings,
        partners=names,
        cash_limits=limits,
        discount_factors=result.discount_factors,
    )
