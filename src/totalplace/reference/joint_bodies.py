"""Joint bodies that file their own Revenue Outturn: police, fire, transport,
waste, combined and park authorities, and the GLA.

Councils pay these bodies levies (inside their net current expenditure) or
precepts (outside it); the bodies' own outturn says what was spent.  Each
body's area is the current authorities it serves, so its spending can be
shared to a place.  The table is hand-curated (see data/joint_bodies/SOURCE.md).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

KINDS = ("police", "fire", "transport", "waste", "combined", "park", "gla")


@dataclass(frozen=True)
class JointBody:
    ecode: str
    name: str
    kind: str
    members: tuple[str, ...]  # GSS codes of the authorities it serves (upper tier allowed)
    note: str


@cache
def joint_bodies() -> dict[str, JointBody]:
    """Joint bodies by RS E-code."""
    text = (
        resources.files("totalplace.reference")
        .joinpath("data/joint_bodies/joint_bodies.csv")
        .read_text(encoding="utf-8")
    )
    out: dict[str, JointBody] = {}
    for row in csv.DictReader(text.splitlines()):
        kind = row["kind"]
        if kind not in KINDS:
            raise ValueError(f"joint_bodies.csv: {row['ecode']} has unknown kind {kind!r}")
        out[row["ecode"]] = JointBody(
            ecode=row["ecode"],
            name=row["name"],
            kind=kind,
            members=tuple(row["members"].split(";")),
            note=row["note"],
        )
    return out
