"""Northmoor's barriers and decisions for the demo: a few of each kind the
Total Place pilots reported, at different statuses, so the Barriers page,
the asks and the CSV have something to show.  Fictional, like the place."""

from __future__ import annotations

from totalplace.culture.barriers import add_barrier, update_barrier
from totalplace.culture.decisions import add_decision
from totalplace.demo_data import CITY, FIRE, PCT, POLICE, VALLEY
from totalplace.workspace import Workspace

WHO = "demo"
# Each barrier's fields as typed, then its moves: (status, note).
BARRIERS: tuple[tuple[dict[str, str], list[tuple[str, str]]], ...] = (
    (
        {"title": "Intermediate care cannot be pooled under two sets of grant conditions",
         "type": "ring-fence", "owner": "Department of Health", "theme": "adult_social_care",
         "impact_pounds": "1450000", "partners": f"{CITY}; {VALLEY}; {PCT}",
         "ask": "Let the PCT and both councils pool intermediate care money under one set of "
                "conditions with one return",
         "evidence": "Three returns a quarter for one service; the pooled budget review, 2010",
         "lines": f"{PCT}:health; {CITY}:adult_social_care"},
        [("agreed", "the board agrees"), ("escalated", "sent to the ministerial group")],
    ),
    (
        {"title": "Police and schools cannot share early warnings about young people at risk",
         "type": "data-sharing", "owner": "Home Office", "theme": "offending",
         "partners": f"{POLICE}; {VALLEY}",
         "ask": "Confirm in guidance that sharing for early help is lawful"},
        [("agreed", "")],
    ),
    (
        {"title": "Two inspection regimes for one children's service",
         "type": "performance-regime", "owner": "Department for Education",
         "theme": "children_and_families", "impact_pounds": "180000", "partners": CITY,
         "ask": "One joint inspection of the integrated service"},
        [],
    ),
    (
        {"title": "Fire safety visits reach the same older people as the falls service",
         "type": "culture", "effect": "helps", "owner": FIRE, "theme": "older_people",
         "partners": f"{FIRE}; {PCT}",
         "description": "Crews already visit; a referral on to the falls service costs little"},
        [],
    ),
    (
        {"title": "No analyst to keep the count up to date", "type": "capacity", "owner": CITY,
         "partners": f"{CITY}; {PCT}"},
        [("resolved", "an analyst seconded from the PCT")],
    ),
)  # fmt: skip
DECISIONS = (
    ("Set up a Total Place board of the five partners, chaired by the City Council",
     f"{CITY}; {VALLEY}; {PCT}; {POLICE}; {FIRE}", "2010-06-15", None),
    ("Escalate the intermediate care ring-fence to the ministerial group",
     f"{CITY}; {PCT}", "2010-09-01", "B1"),
    ("Second an analyst from the PCT to the count team for six months",
     f"{PCT}; {CITY}", "2010-11-10", "B5"),
)  # fmt: skip


def add_demo_culture(ws: Workspace) -> None:
    """Raise the demo's barriers, move them along, and record its decisions."""
    for fields, moves in BARRIERS:
        barrier = add_barrier(ws, fields, WHO)
        for status, note in moves:
            update_barrier(ws, barrier.id, WHO, status, note)
    for what, by, when, barrier_id in DECISIONS:
        add_decision(ws, what, by, WHO, when, barrier_id)
