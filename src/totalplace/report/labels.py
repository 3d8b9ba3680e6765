"""How the count's methods and prevention tiers read in a report: in words a
finance officer uses, never the ids the code keys them by."""

from __future__ import annotations

from totalplace.count.services import RESIDUAL_METHOD

METHOD_LABELS = {
    "transactions": "From payments (transactions)",
    "outturn": "From published outturn",
    "apportioned": "Apportioned by a key",
    RESIDUAL_METHOD: "Outturn less payments (the rest of a service's outturn)",
}

# the taxonomy's prevention tiers (data/taxonomy.toml) as its comment defines
# them, and the tier of a line whose rows no rule gave one
TIER_LABELS = {
    "universal": "Universal (open to everyone)",
    "targeted": "Targeted (people at risk)",
    "acute": "Acute (crisis and treatment)",
    "not known": "Tier not known",
}


def _words(key: str) -> str:
    return key.replace("_", " ").strip().capitalize() or "(none)"


def method_label(method: str) -> str:
    """How a line's figure was reached, in words."""
    return METHOD_LABELS.get(method, _words(method))


def tier_label(tier: str) -> str:
    """A prevention tier in words (a workspace's own tier: its id in words)."""
    return TIER_LABELS.get(tier, _words(tier))
