"""Public bodies and the resolution of supplier names to them."""

from totalplace.orgs.normalise import normalise
from totalplace.orgs.registry import KINDS, Body, OrgRegistry, org_registry
from totalplace.orgs.resolve import (
    ACCEPT,
    REVIEW,
    Evaluation,
    Resolution,
    evaluate,
    resolve_names,
    resolve_workspace,
)

__all__ = [
    "ACCEPT",
    "KINDS",
    "REVIEW",
    "Body",
    "Evaluation",
    "OrgRegistry",
    "Resolution",
    "evaluate",
    "normalise",
    "org_registry",
    "resolve_names",
    "resolve_workspace",
]
