"""One opportunity of the register: what it is, who it involves, the money at
stake and where the evidence is.

An opportunity's ``id`` is made from its kind and the thing it is about (a
supplier's matching key, a theme, an agency, a scenario's name), never from
its figures, so a mark put on it survives a re-count that changes the money.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = (
    "shared_supplier",
    "duplication",
    "back_office",
    "fragmentation",
    "prevention_shift",
    "scenario",
)
# "open" until someone marks it; the other three are the marks a user can give.
STATUSES = ("open", "accepted", "rejected", "parked")
CONFIDENCES = ("high", "medium", "low")

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def opportunity_id(kind: str, subject: str) -> str:
    """A short id a person can type, stable for the same kind and subject:
    the kind's initials, the subject's first words, and a hash of the whole
    subject so two subjects that start alike never share an id."""
    initials = "".join(w[0] for w in kind.split("_"))
    words = _NOT_WORD.sub("-", subject.lower()).strip("-")[:32].strip("-")
    digest = hashlib.sha256(f"{kind}\0{subject}".encode()).hexdigest()[:6]
    return f"{initials}-{words}-{digest}" if words else f"{initials}-{digest}"


@dataclass(frozen=True)
class Opportunity:
    kind: str  # one of KINDS
    subject: str  # what it is about (supplier key, theme, agency, scenario): makes the id
    description: str  # what it is and how value_pence is computed, in words
    agencies: tuple[str, ...]
    value_pence: int  # money at stake, by the documented assumption in the description
    confidence: str  # one of CONFIDENCES
    evidence: str  # a dashboard route or a command that lists the rows or lines
    details: dict[str, Any] = field(default_factory=dict)  # the analysis's own figures
    status: str = "open"  # one of STATUSES, from the workspace's marks
    note: str = ""

    @property
    def id(self) -> str:
        return opportunity_id(self.kind, self.subject)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["agencies"] = list(self.agencies)
        return {"id": self.id, **data}
