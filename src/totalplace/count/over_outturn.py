"""The check that a council's payments are not more than all it spends.

A council's payments over £500 are part of its spending (pay, small
payments and benefits are not in them), so its loaded payments in the year,
every one (capital and pass-through too), should come to less than its whole
Revenue Outturn, housing benefit included.  When they come to more, the
likelier cause is a wrong load (the same file twice, an identifier read as
the amount, capital in the revenue files) than real spending; the outturn is
net of fees and charges, so payments funded by such income can also lift
them.  The count still uses the outturn as its control total; it warns.
"""

from __future__ import annotations

from collections.abc import Sequence

from totalplace.count.place_count import CountWarning
from totalplace.count.topdown import TopDownLine
from totalplace.count.transactions import TransactionGroup
from totalplace.money import pounds

OVER_OUTTURN = "transactions-exceed-outturn"
CAUSES = (
    "duplicate files, an amount column mapped to the wrong field (an identifier read as "
    "money), capital payments included, or payments funded by income the outturn nets off"
)


def over_outturn(
    year: str,
    agency: str,
    payer: str,
    outturn: Sequence[TopDownLine],
    groups: Sequence[TransactionGroup],
) -> CountWarning | None:
    """A warning when ``payer``'s payments ``groups`` in ``year`` exceed the
    council's outturn lines ``outturn``; None when they do not."""
    paid = sum(g.pence for g in groups)
    whole = sum(x.place_pence for x in outturn)
    if paid <= whole:
        return None
    return CountWarning(
        OVER_OUTTURN,
        agency,
        f"{agency}: its loaded transactions in {year} come to {pounds(paid)}, more than its "
        f"whole Revenue Outturn of {pounds(whole)}; check for {CAUSES} "
        f"(payer {payer!r} in the spend files)",
        transactions_pence=paid,
        outturn_pence=whole,
    )
