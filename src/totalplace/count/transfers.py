"""Transfers: payments from one public body in the count to another.

A transfer is eliminated only when the payee is counted from its own gross
payments in this count (a study's ``--gross`` body, or every body of a place
with no regional lines): the payee spends the money again, and the payer's
figure, gross payments or net outturn alike, already holds it as spending, so
it would count twice.  Otherwise it is reported for information:

* the payee is counted from its own Revenue Outturn, which is *net* current
  expenditure, so the payment is already netted off as the payee's income;
* the payee is counted top down by its funding department (NHS trusts,
  central bodies), so nothing of its own spending is in the count to remove;
* the payee does not serve the place;
* in a count with no top-down lines (a year without regional lines, or a
  place outside the registry), the payee is not in the count at all: the
  payment stays the payer's spending.

A body paying itself (an internal recharge between its own services) is no
transfer for a body counted from its net outturn: the outturn is the
control total and the recharge only splits it.  A body counted gross from its
payments is different: the receiving service spends the money again in the
body's other payments, so the recharge would count the same money twice and is
eliminated, with that reason.

For the NHS the count holds commissioners, not providers: a payment to an
NHS provider is never eliminated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from totalplace.classify.taxonomy import PASS_THROUGH
from totalplace.count.transactions import TransactionGroup
from totalplace.errors import ConfigError
from totalplace.orgs import Body, OrgRegistry

NETTED = "payee counted net from its own outturn: the payment is income netted off its spending"
TOP_DOWN = "payee counted top down by its funding department: reported for information"
OUTSIDE = "payee does not serve the place: reported for information"
ELIMINATED = "payee counted gross from its own payments: it spends the money again"
NOT_COUNTED = (
    "payee not in this count (no top-down lines: only bodies counted gross from their "
    "payments are counted): reported for information, the payment stays the payer's spending"
)
INTERNAL = (
    "a body counted gross paying itself (an internal recharge): its own services spend the "
    "money again in its other payments, so it is taken out once"
)


@dataclass(frozen=True)
class Transfer:
    agency: str  # the payer, as named in the count's lines
    payee: str  # the payee body's name
    payee_id: str
    payee_kind: str
    theme: str
    pence: int
    rows: int
    eliminated: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def classify_transfers(
    groups: Iterable[TransactionGroup],
    counted_payers: Mapping[str, str],
    orgs: OrgRegistry,
    *,
    net_ecodes: frozenset[str],
    gross_ids: frozenset[str],
    serves_place: Callable[[Body], bool],
    gross_payers: Mapping[str, str] | None = None,
    top_down: bool = True,
) -> list[Transfer]:
    """Transfers among ``groups`` whose payer is counted (payer name as in the
    rows -> its agency name in the count).  ``net_ecodes``: E-codes of bodies
    counted from their own net outturn; ``gross_ids``: registry ids of bodies
    counted from their own gross transactions; ``gross_payers``: payer name as
    in the rows -> registry id, for the payers counted gross (to find their
    payments to themselves); ``top_down``: whether the count has top-down lines
    (without them a payee not counted gross is not in the count)."""
    gross_payers = gross_payers or {}
    internal: set[tuple[str, str]] = set()  # (agency, payee id) of a gross body paying itself
    summed: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for g in groups:
        # capital payments are not in the count's lines (capital comes from the
        # regional lines), so there is nothing of theirs to eliminate
        if g.payee_body is None or g.pass_through or g.theme == PASS_THROUGH or g.capital:
            continue
        agency = counted_payers.get(g.paying_body)
        if agency is None:
            continue
        if gross_payers.get(g.paying_body) == g.payee_body:
            internal.add((agency, g.payee_body))
        cell = summed[(agency, g.payee_body, g.theme)]
        cell[0] += g.pence
        cell[1] += g.rows
    out: list[Transfer] = []
    for (agency, payee_id, theme), (pence, rows) in sorted(summed.items()):
        try:
            body = orgs.get(payee_id)
        except ConfigError:
            continue
        ecode = body.code("ecode")
        if (agency, payee_id) in internal:
            eliminated, reason = True, INTERNAL
        elif agency == body.name:
            continue  # a body counted net paying itself: its outturn is the control
        elif payee_id in gross_ids:
            eliminated, reason = True, ELIMINATED
        elif ecode is not None and ecode in net_ecodes:
            eliminated, reason = False, NETTED
        elif not serves_place(body):
            eliminated, reason = False, OUTSIDE
        elif top_down:
            eliminated, reason = False, TOP_DOWN
        else:
            eliminated, reason = False, NOT_COUNTED
        out.append(
            Transfer(agency, body.name, payee_id, body.kind, theme, pence, rows, eliminated, reason)
        )
    return out
