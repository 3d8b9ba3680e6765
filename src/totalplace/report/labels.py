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

# the two halves of the count (CountLine.part)
PART_LABELS = {
    "bottom_up": "Bottom up (from payments)",
    "top_down": "Top down (outturn or apportioned)",
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


def part_label(part: str) -> str:
    """Which half of the count a line is in, in words."""
    return PART_LABELS.get(part, _words(part))


def tier_label(tier: str) -> str:
    """A prevention tier in words (a workspace's own tier: its id in words)."""
    return TIER_LABELS.get(tier, _words(tier))


# the organisation registry's kinds of public body (orgs/registry.py KINDS)
KIND_LABELS = {
    "council": "Council",
    "nhs_commissioner": "NHS commissioner",
    "nhs_provider": "NHS provider",
    "police": "Police",
    "fire": "Fire and rescue",
    "combined_authority": "Combined authority",
    "joint_authority": "Joint authority",
    "passenger_transport": "Passenger transport",
    "waste_authority": "Waste authority",
    "national_park": "National park",
    "central_department": "Central government department",
    "executive_agency": "Executive agency",
    "alb": "Arm's-length body",
    "public_corporation": "Public corporation",
    "other_public": "Other public body",
}


def kind_label(kind: str) -> str:
    """A kind of public body in words ("nhs_provider" -> "NHS provider")."""
    return KIND_LABELS.get(kind, _words(kind))
