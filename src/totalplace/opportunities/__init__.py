"""From count to change: opportunities the count points at, ranked by money.

Each analysis reads the count (``reports/count.json``) and, where it needs
payments, the rows the count summed (:mod:`totalplace.count.transactions`);
none re-derives what the count defines.  :mod:`.register` ranks what they
find into one list a partnership can mark accepted, rejected or parked.
"""

from totalplace.opportunities.opportunity import KINDS, STATUSES, Opportunity, opportunity_id

__all__ = ["KINDS", "STATUSES", "Opportunity", "opportunity_id"]
