"""Households: the people who live together, from their linked records.

The rule, which a finance officer can check by hand: two people are in one
household when any of their records, in any agency and at any time, gives the
same address (house number and street, normalised) and postcode.  The links
are followed through time, so a family recorded together at one address and
later at another stays one household, and a child recorded with either parent
joins them both.  An address recorded for more than ``MAX_HOUSEHOLD`` people
(a hostel, care home or office used as a correspondence address) joins only
the people there who share a surname, so one building does not make one
household of everyone who passed through it.  A person with no address on any
record is a household of one.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from totalplace.link.columns import Extract

#: More distinct people than this at one address and it is taken for a shared building.
MAX_HOUSEHOLD = 10


class _Components:
    """Union-find over person ids (the standard way to join chains of pairs)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def households(extracts: list[Extract], clusters: pa.Table) -> pa.Table:
    """person_id, household_id for every person in ``clusters``."""
    person = {
        (s, r): p
        for s, r, p in zip(
            clusters.column("source").to_pylist(),
            clusters.column("record_id").to_pylist(),
            clusters.column("person_id").to_pylist(),
            strict=True,
        )
    }
    at: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for extract in extracts:
        t = extract.table
        for rid, address, postcode, surname in zip(
            t.column("record_id").to_pylist(),
            t.column("address").to_pylist(),
            t.column("postcode").to_pylist(),
            t.column("surname").to_pylist(),
            strict=True,
        ):
            pid = person.get((extract.source, rid))
            if pid is None or not address:
                continue
            at[f"{address}|{postcode or ''}"][pid].add(surname or "")
    groups = _Components()
    for pid in sorted(set(person.values())):
        groups.find(pid)
    for people in at.values():
        ids = sorted(people)
        if len(ids) <= MAX_HOUSEHOLD:
            for other in ids[1:]:
                groups.union(ids[0], other)
            continue
        by_surname: dict[str, list[str]] = defaultdict(list)
        for pid in ids:
            for name in people[pid] - {""}:
                by_surname[name].append(pid)
        for members in by_surname.values():
            for other in members[1:]:
                groups.union(members[0], other)
    persons = sorted(groups.parent)
    roots = sorted({groups.find(p) for p in persons})
    number = {r: f"H{i:07d}" for i, r in enumerate(roots, start=1)}
    return pa.table(
        {
            "person_id": pa.array(persons, pa.string()),
            "household_id": pa.array([number[groups.find(p)] for p in persons], pa.string()),
        }
    )
