"""The check that a council's payments are not more than all it spends.

A council's payments over £500 are a part of its spending (pay, small
payments and benefits are not in them), so its loaded payments in the year,
every one (capital and pass-through too), should come to less than its net
current expenditure for the year in Revenue Outturn: the same measure the
ingest's check on each file uses.  When they come to more, across all its
files, the likelier cause is a wrong load (the same payments in two files, an
identifier read as the amount, capital in the revenue files) than real
spending; the outturn is net of fees and charges, so payments funded by such
income can lift them too.  The count keeps the outturn as its control total
and warns, naming both figures.
"""

from __future__ import annotations

from collections.abc import Sequence

from totalplace.count.place_count import CountWarning
from totalplace.count.transactions import TransactionGroup
from totalplace.money import pounds
from totalplace.reference.outturn import outturn, years

OVER_OUTTURN = "transactions-exceed-outturn"
OUTTURN_LINE = "net_current_expenditure"
CAUSES = (
    "duplicate files, an amount column mapped to the wrong field (an identifier read as "
    "money), capital payments included, or payments funded by income the outturn nets off"
)


def net_current_expenditure(year: str, ecode: str) -> int | None:
    """The council's net current expenditure for ``year`` in pence, or None
    when the outturn has no such council or year (then nothing is checked)."""
    if year not in years():
        return None
    found = [r.pence for r in outturn(year, ecode=ecode) if r.line == OUTTURN_LINE]
    return found[0] if len(found) == 1 else None


def over_outturn(
    year: str,
    agency: str,
    payer: str,
    whole: int,
    groups: Sequence[TransactionGroup],
) -> CountWarning | None:
    """A warning when ``payer``'s payments ``groups`` in ``year`` come to more
    than ``whole``, the council's net current expenditure; None otherwise."""
    paid = sum(g.pence for g in groups)
    if paid <= whole:
        return None
    return CountWarning(
        OVER_OUTTURN,
        agency,
        f"{agency}: its loaded transactions in {year} come to {pounds(paid)}, more than its "
        f"whole net current expenditure in Revenue Outturn, {pounds(whole)}; check for "
        f"{CAUSES} (payer {payer!r} in the spend files)",
        transactions_pence=paid,
        outturn_pence=whole,
    )
