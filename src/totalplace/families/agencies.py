"""The agencies whose person-level extracts the family view reads, by the
extract's file stem, and each agency's name as people say it.

Both the synthetic place (which writes extracts under these stems) and the
events reader (which names an agency from its extract when the events file
has no agency column) use this one table, so neither depends on the other."""

from __future__ import annotations

__all__ = ["AGENCIES"]

AGENCIES = {
    "childrens_social_care": "Children's social care",
    "adult_social_care": "Adult social care",
    "schools": "Schools",
    "police": "Police",
    "health_ae": "A&E",
    "mental_health": "Mental health",
    "housing": "Housing",
    "benefits": "Benefits",
}
