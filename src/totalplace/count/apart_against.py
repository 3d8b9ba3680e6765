"""Payments set apart as council housing or capital, beside the accounts they
belong to.

A council's payments to its council housing belong to its Housing Revenue
Account (HRA), which the RS workbooks give as a memorandum from 2012-13
(:mod:`totalplace.reference.hra`): the payments set apart are shown beside
the council's HRA expenditure, with the share of it they cover, so a reader
can see whether the rules found about what the account spends or far more
(rules catching General Fund housing) or far less (an arm's-length body paying
for the repairs).  A year the table lacks is compared with the nearest year it
has, and the line says which.  The HRA is a revenue account: works on council
homes paid from capital are among the payments the rules find but not in the
account, so a share above the months the files cover points to them.

Capital payments have no such account in the reference data: councils'
capital outturn is not shipped, so they are shown with no figure to set them
against, and the count's capital is HM Treasury's regional capital lines,
apportioned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from totalplace.reference.hra import hra_account, nearest_year

HRA = "council housing"
CAPITAL = "capital"
HRA_REFERENCE = "Housing Revenue Account expenditure (Revenue Outturn Summary, memorandum)"
NO_CAPITAL_OUTTURN = (
    "no councils' capital outturn is shipped: capital payments are shown with nothing to set "
    "them against; the count's capital is HM Treasury's regional capital lines, apportioned"
)


class _ApartLine(Protocol):
    @property
    def agency(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def pence(self) -> int: ...


@dataclass(frozen=True)
class ApartAgainst:
    """One council's payments of one kind set apart, and the account figure
    they are set against (None where the reference data has none)."""

    agency: str
    body: str  # the council's RS E-code
    kind: str  # HRA or CAPITAL
    payments_pence: int
    reference: str
    reference_pence: int | None
    reference_year: str | None
    note: str
    months: int | None = None  # months of the year the council's files cover, where known

    @property
    def share(self) -> float | None:
        """The payments as a share of the account; None without a positive account."""
        if not self.reference_pence or self.reference_pence <= 0:
            return None
        return self.payments_pence / self.reference_pence

    def to_dict(self) -> dict[str, Any]:
        share = self.share
        return {**asdict(self), "share": None if share is None else round(share, 4)}


def _kind(line: _ApartLine) -> str:
    return HRA if line.service == "housing_revenue_account" else CAPITAL


def _hra(agency: str, body: str, pence: int, year: str) -> ApartAgainst:
    near = nearest_year(year)
    account = hra_account(year, body) or (hra_account(near, body) if near else None)
    if account is None:
        return ApartAgainst(
            agency, body, HRA, pence, HRA_REFERENCE, None, None,
            "no Housing Revenue Account is shipped for this council",
        )  # fmt: skip
    if account.expenditure_pence == 0:
        note = (
            f"the council reports no Housing Revenue Account in {account.year}: payments the "
            "rules call council housing are likely General Fund housing or another body's"
        )
    else:
        note = f"HRA expenditure in {account.year}, RS workbook cell {account.source_ref}"
    if account.year != year:
        note += f"; the nearest year shipped to {year}"
    return ApartAgainst(
        agency, body, HRA, pence, HRA_REFERENCE, account.expenditure_pence, account.year, note
    )


def set_against(
    lines: Iterable[_ApartLine], year: str, months: Mapping[str, int] | None = None
) -> list[ApartAgainst]:
    """For each council and kind, the payments set apart and the account they
    belong to: council housing against the HRA, capital against nothing shipped.
    ``months`` (agency -> months of the year its files cover) is said beside a
    share, which is never annualised: payments over eight months set against a
    year's account cover eight months of it at most."""
    summed: dict[tuple[str, str, str], int] = defaultdict(int)
    for line in lines:
        summed[(line.agency, line.body, _kind(line))] += line.pence
    out = []
    for (agency, body, kind), pence in sorted(summed.items()):
        if kind == HRA:
            row = _hra(agency, body, pence, year)
        else:
            row = ApartAgainst(
                agency, body, CAPITAL, pence, "capital outturn", None, None, NO_CAPITAL_OUTTURN
            )
        covered = (months or {}).get(agency)
        if covered is not None:
            note = f"{row.note}; payments over {covered} of the year's 12 months, not annualised"
            row = replace(row, months=covered, note=note)
        out.append(row)
    return out
