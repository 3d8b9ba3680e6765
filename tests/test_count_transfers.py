"""Transfer reasons a finance officer can check: a body counted gross paying
itself is an internal recharge, taken out once; and in a count with no
top-down lines a payee nobody counts is not 'counted top down'.

Synthshire (see tests/test_synthetic_place.py): its fire authority is counted
gross from a full year of its payments."""

from __future__ import annotations

from datetime import date

from tests.test_synthetic_place import (
    COUNCIL,
    COUNCIL_ECODE,
    FIRE,
    FIRE_ECODE,
    GSS,
    YEAR,
    _authority,
    _body,
    _group,
    _line,
)
from totalplace.count.cube import assemble
from totalplace.count.gross import months_of_year
from totalplace.count.place_count import PlaceCount
from totalplace.count.topdown import TopDownLine, TopDownResult
from totalplace.count.transactions import PayerCoverage, TransactionGroup, Transactions
from totalplace.count.transfers import ELIMINATED, INTERNAL, NOT_COUNTED, TOP_DOWN
from totalplace.orgs import OrgRegistry
from totalplace.reference.places import Place, Registry


def _count(
    lines: list[TopDownLine], groups: tuple[TransactionGroup, ...], gross: bool = True
) -> PlaceCount:
    place = Place(spec=GSS, name="Synthshire", codes=(GSS,), units=(GSS,))
    reg = Registry([_authority()], {"synthshire council": GSS}, {GSS: {2012: 100}}, {}, {}, {})
    fire = _body("fire-synthshire", FIRE, "fire", FIRE_ECODE)
    orgs = OrgRegistry([_body("la-synthshire", COUNCIL, "council", COUNCIL_ECODE), fire])
    td = TopDownResult(place, YEAR, current_only=False, population=100)
    td.lines = lines
    year = tuple(months_of_year(YEAR))
    payers = {g.paying_body for g in groups}
    tx = Transactions(
        groups=groups,
        coverage={p: PayerCoverage(p, date(2012, 4, 1), date(2013, 3, 31), year) for p in payers},
        outside_year_rows=0,
    )
    return assemble(place, YEAR, "duckdb", td, tx, reg, orgs, [fire] if gross else [])


def test_gross_body_paying_itself_is_an_internal_recharge_taken_out_once() -> None:
    # the fire authority's £500 of payments include £50 to itself: its own service
    # spends the £50 again in the other £450, so it is spending once, not twice
    lines = [
        _line("Local government", "children_social_care", 500_000, COUNCIL_ECODE, COUNCIL),
        _line("Fire and rescue", "fire", 300_000, FIRE_ECODE, FIRE),
    ]
    groups = (
        _group(COUNCIL, "children_and_families", None, 120_000),
        _group(FIRE, "crime_and_community_safety", None, 45_000),
        _group(FIRE, "crime_and_community_safety", "fire-synthshire", 5_000),
    )
    count = _count(lines, groups)
    (transfer,) = count.transfers
    assert (transfer.agency, transfer.payee, transfer.pence) == (FIRE, FIRE, 5_000)
    assert transfer.eliminated and transfer.reason == INTERNAL
    assert count.by("agency")[FIRE] == 45_000
    assert count.total_pence == 500_000 + 45_000


def test_council_counted_net_paying_itself_is_still_no_transfer() -> None:
    # its outturn is the control total: a recharge only splits it
    lines = [_line("Local government", "children_social_care", 500_000, COUNCIL_ECODE, COUNCIL)]
    groups = (
        _group(COUNCIL, "children_and_families", None, 120_000),
        _group(COUNCIL, "children_and_families", "la-synthshire", 10_000),
    )
    count = _count(lines, groups, gross=False)
    assert count.transfers == [] and count.total_pence == 500_000


def test_transfer_in_a_year_without_top_down_lines_is_not_said_counted_top_down() -> None:
    # only the fire authority is counted (from its payments); the council, paid £100
    # for a shared service, is in no line of the count, top down or otherwise
    groups = (
        _group(FIRE, "crime_and_community_safety", None, 45_000),
        _group(FIRE, "crime_and_community_safety", "la-synthshire", 10_000),
    )
    count = _count([], groups)
    assert {x.agency for x in count.lines} == {FIRE}
    (transfer,) = count.transfers
    assert (transfer.payee, transfer.pence, transfer.eliminated) == (COUNCIL, 10_000, False)
    assert transfer.reason == NOT_COUNTED and transfer.reason != TOP_DOWN
    assert count.total_pence == 55_000  # the payment stays the fire authority's spending


def test_payment_to_another_gross_body_is_still_eliminated_as_spent_again() -> None:
    lines = [
        _line("Local government", "children_social_care", 500_000, COUNCIL_ECODE, COUNCIL),
        _line("Fire and rescue", "fire", 300_000, FIRE_ECODE, FIRE),
    ]
    groups = (
        _group(COUNCIL, "children_and_families", None, 120_000),
        _group(COUNCIL, "children_and_families", "fire-synthshire", 30_000),
        _group(FIRE, "crime_and_community_safety", None, 50_000),
    )
    (transfer,) = _count(lines, groups).transfers
    assert transfer.eliminated and transfer.reason == ELIMINATED
