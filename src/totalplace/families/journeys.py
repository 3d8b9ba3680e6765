"""Journeys: the order in which people meet the agencies, one family at a time and
across the place.

A person's journey is the touchpoints (event types) they had, each at the date
it first happened, in date order.  A **path** is an ordered run of touchpoints,
not necessarily back to back (an A&E visit between a school exclusion and an
arrest does not break "Permanent exclusion → Arrest"); a family follows a path
when one of its people met those touchpoints in that order.  Paths are counted
in families, and a count of families under the disclosure threshold is withheld.

The Sankey is built from each family's agencies in the order it first met them
(an agency met again later is not a new step), for the first few steps; a link
carrying fewer families than the threshold is left out, and the number of
families left out is said.  The links of one step add up to the families known
to that many agencies or more, which the Families page shows: so a step with
one small link left out would give it away as that number less the links
shown, and the step's next smallest link is left out with it
(:func:`totalplace.families.privacy.protect`).  The number of families left
out is itself withheld when it is under the threshold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations, pairwise
from typing import Any

from totalplace.families.events import Event, as_dict
from totalplace.families.privacy import Line, hidden, protect

SANKEY_STEPS = 5
# Paths longer than this are not counted: each person's touchpoints give
# n-choose-k paths, and three already tells the story (exclusion, police, youth offending).
MAX_PATH = 3


def timeline(events: Iterable[Event], subject: str) -> list[dict[str, Any]]:
    """Every event of a family (``F-...``) or a person (``P-...``), oldest first."""
    key = "family" if subject.startswith("F-") else "person"
    return [as_dict(e) for e in events if getattr(e, key) == subject]


def _firsts(events: Iterable[Event]) -> dict[str, list[tuple[str, str]]]:
    """Each person's touchpoints at their first date, in order: person -> [(type, family)]."""
    seen: dict[str, dict[str, tuple[Any, str]]] = defaultdict(dict)
    for e in events:
        if e.event_type not in seen[e.person]:
            seen[e.person][e.event_type] = (e.date, e.family)
    return {
        p: [(t, fam) for t, (_, fam) in sorted(d.items(), key=lambda kv: (kv[1][0], kv[0]))]
        for p, d in seen.items()
    }


def common_paths(
    events: Sequence[Event], threshold: int, length: int = 3, top: int = 20
) -> list[dict[str, Any]]:
    """The paths of ``length`` touchpoints most families follow, most first, with
    the number of families (withheld, and the path left out, below the threshold)."""
    if not 2 <= length <= MAX_PATH:
        raise ValueError(f"paths of 2 to {MAX_PATH} touchpoints are counted, not {length}")
    families: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for touchpoints in _firsts(events).values():
        family = touchpoints[0][1]
        for path in combinations([t for t, _ in touchpoints], length):
            families[path].add(family)
    ranked = sorted(families.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [
        {"path": list(p), "families": len(f)} for p, f in ranked if not hidden(len(f), threshold)
    ][:top]


def path_families(events: Sequence[Event], path: Sequence[str], threshold: int) -> int | None:
    """How many families have a person who met ``path``'s touchpoints in that
    order (None: fewer than the threshold)."""
    found = set()
    for touchpoints in _firsts(events).values():
        order = {t: i for i, (t, _) in enumerate(touchpoints)}
        places = [order.get(t) for t in path]
        if all(p is not None for p in places) and places == sorted(places):  # type: ignore[type-var]
            found.add(touchpoints[0][1])
    return None if hidden(len(found), threshold) else len(found)


def sankey(events: Sequence[Event], threshold: int, steps: int = SANKEY_STEPS) -> dict[str, Any]:
    """Nodes ("1. Police") and links (families moving from one agency to the next)."""
    order: dict[str, list[str]] = defaultdict(list)
    for e in events:
        agencies = order[e.family]
        if e.agency not in agencies:
            agencies.append(e.agency)
    links: dict[tuple[str, str], int] = defaultdict(int)
    for agencies in order.values():
        named = [f"{i}. {a}" for i, a in enumerate(agencies[:steps], start=1)]
        for a, b in pairwise(named):
            links[(a, b)] += 1
    # each step's links add to a published figure (families known to more agencies than that)
    by_step: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for link in links:
        by_step[link[0].split(".")[0]].append(link)
    lines = [Line(tuple(members)) for members in by_step.values()]
    withheld = protect(dict(links), lines, threshold)
    shown = {k: n for k, n in links.items() if k not in withheld}
    left_out = sum(n for k, n in links.items() if k not in shown)
    nodes = sorted({n for k in shown for n in k}, key=lambda s: (int(s.split(".")[0]), s))
    index = {n: i for i, n in enumerate(nodes)}
    return {
        "nodes": nodes,
        "links": [
            {"source": index[a], "target": index[b], "from": a, "to": b, "families": n}
            for (a, b), n in sorted(shown.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "withheld_links": len(links) - len(shown),
        "withheld_families": None if hidden(left_out, threshold) else left_out,
    }
