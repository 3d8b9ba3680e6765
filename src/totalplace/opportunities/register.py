"""The opportunity register (in progress): see :mod:`.opportunity` for the type."""

from totalplace.opportunities.opportunity import KINDS, Opportunity

__all__ = ["KINDS", "Opportunity"]
