"""Public bodies and the resolution of supplier names to them."""

from totalplace.orgs.normalise import normalise
from totalplace.orgs.registry import KINDS, Body, OrgRegistry, org_registry
from totalplace.orgs.resolve import ACCEPT, REVIEW, Resolution, resolve_names

__all__ = [
    "ACCEPT",
    "KINDS",
    "REVIEW",
    "Body",
    "OrgRegistry",
    "Resolution",
    "normalise",
    "org_registry",
    "resolve_names",
]
