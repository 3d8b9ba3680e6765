"""A whole count worked out by hand, on a place that exists only in this test.

Synthshire is one unitary council with its own fire authority.  Its count
holds, with nothing read from ../shared/data:

* one regional line apportioned to it: health, £10,000.00;
* the council's own outturn: children's social care £5,000.00 and housing
  benefit £2,000.00, counted net and split by its payments;
* the fire authority's outturn, £3,000.00, replaced because the study counts
  the fire authority gross from a full year of its payments: £500.00;
* the council's payments: £1,200.00 to a foster carer, £100.00 to itself (an
  internal recharge: no transfer) and £300.00 to the fire authority for a
  shared service; the last is eliminated, since the fire authority spends it
  again.

    total = £10,000 + (£5,000 + £2,000) + £500 - £300 = £17,200.00

The count is built from these parts through :func:`totalplace.count.cube.assemble`,
the same assembly every real count goes through; only the registries, the
top-down lines and the summed transactions are made by hand."""

from __future__ import annotations

from datetime import date

import pytest

from totalplace.count.cube import assemble
from totalplace.count.gross import GROSS, NET, TOP_DOWN, months_of_year
from totalplace.count.place_count import PlaceCount
from totalplace.count.topdown import TopDownLine, TopDownResult
from totalplace.count.transactions import PayerCoverage, TransactionGroup, Transactions
from totalplace.count.transfers import ELIMINATED
from totalplace.orgs import Body, OrgRegistry
from totalplace.reference.places import Authority, Place, Registry

YEAR = "2012-13"
GSS = "E06999999"
COUNCIL = "Synthshire Council"
FIRE = "Synthshire Fire Authority"
COUNCIL_ECODE, FIRE_ECODE = "E9999", "E9998"


def _authority() -> Authority:
    return Authority(
        gss=GSS,
        ecode=COUNCIL_ECODE,
        ons_code=None,
        name=COUNCIL,
        nice_name="Synthshire",
        kind="unitary",
        region="North East",
        parent_gss=None,
        current=True,
        successor_gss=(),
        former_gss=(),
        start_date=None,
        end_date=None,
        aliases=(),
    )


def _body(body_id: str, name: str, kind: str, ecode: str) -> Body:
    codes = (("ecode", ecode),)
    return Body(body_id, name, kind, codes, (GSS,), None, None, None, None, (), "test")


def _line(
    department: str, subfunction: str, pence: int, body: str = "", name: str = ""
) -> TopDownLine:
    """A top-down line; with ``body``, the outturn line of the body ``name``."""
    outturn = bool(body)
    return TopDownLine(
        region="North East",
        department=department,
        programme=f"{name}: {subfunction}" if outturn else department,
        function="7. Health" if not outturn else "10. Social protection",
        subfunction=subfunction,
        body_type="local government" if outturn else "central government",
        capital_current="current",
        source="by hand",
        region_pence=pence,
        place_pence=pence,
        key="outturn" if outturn else "population",
        key_share="1.000000",
        method="outturn" if outturn else "apportioned",
        grade="A",
        flags=(),
        body=body,
        key_share_parts=(1, 1),
    )


def _group(payer: str, theme: str, payee: str | None, pence: int) -> TransactionGroup:
    kind = {"fire-synthshire": "fire", "la-synthshire": "council"}.get(payee or "")
    return TransactionGroup(payer, theme, "targeted", False, False, payee, kind, pence, 12)


@pytest.fixture(scope="module")
def count() -> PlaceCount:
    place = Place(spec=GSS, name="Synthshire", codes=(GSS,), units=(GSS,))
    reg = Registry([_authority()], {"synthshire council": GSS}, {GSS: {2012: 100}}, {}, {}, {})
    fire = _body("fire-synthshire", FIRE, "fire", FIRE_ECODE)
    orgs = OrgRegistry([_body("la-synthshire", COUNCIL, "council", COUNCIL_ECODE), fire])
    td = TopDownResult(place, YEAR, current_only=False, population=100)
    td.lines = [
        _line("Department of Health", "7.1 Medical services", 1_000_000),
        _line("Local government", "children_social_care", 500_000, COUNCIL_ECODE, COUNCIL),
        _line("Local government", "housing_benefit", 200_000, COUNCIL_ECODE, COUNCIL),
        _line("Fire and rescue", "fire", 300_000, FIRE_ECODE, FIRE),
    ]
    year = months_of_year(YEAR)
    tx = Transactions(
        groups=(
            _group(COUNCIL, "children_and_families", None, 120_000),
            _group(COUNCIL, "children_and_families", "la-synthshire", 10_000),
            _group(COUNCIL, "children_and_families", "fire-synthshire", 30_000),
            _group(FIRE, "crime_and_community_safety", None, 50_000),
        ),
        coverage={
            COUNCIL: PayerCoverage(COUNCIL, date(2012, 4, 1), date(2013, 3, 31), tuple(year)),
            FIRE: PayerCoverage(FIRE, date(2012, 4, 1), date(2013, 3, 31), tuple(year)),
        },
        outside_year_rows=0,
    )
    return assemble(place, YEAR, "duckdb", td, tx, reg, orgs, [fire])


def test_synthetic_place_total_is_worked_out_by_hand(count: PlaceCount) -> None:
    assert count.total_pence == 1_000_000 + 500_000 + 200_000 + 50_000 - 30_000 == 1_720_000
    assert count.transfers_eliminated_pence == 30_000
    lines = sum(x.pence for x in count.lines)
    assert count.bottom_up_pence + count.top_down_pence == lines == 1_750_000
    assert sum(count.by("agency").values()) == count.total_pence


def test_synthetic_place_each_body_is_counted_on_its_basis(count: PlaceCount) -> None:
    bases = {b.agency: (b.basis, b.pence) for b in count.bases}
    assert bases == {
        "Department of Health": (TOP_DOWN, 1_000_000),
        COUNCIL: (NET, 700_000),  # its outturn: the payments split it, never add to it
        FIRE: (GROSS, 50_000),  # its payments, not its £3,000 outturn
    }
    (bridge,) = count.bridges
    assert (bridge.payments_pence, bridge.replaced_pence, bridge.months) == (50_000, 300_000, 12)


def test_synthetic_place_payment_to_a_body_counted_gross_is_eliminated_once(
    count: PlaceCount,
) -> None:
    (transfer,) = count.transfers  # the council's payment to itself is no transfer
    assert (transfer.agency, transfer.payee, transfer.pence) == (COUNCIL, FIRE, 30_000)
    assert transfer.eliminated and transfer.reason == ELIMINATED
    # the council's payments split its children's social care outturn: in its lines
    council = [x for x in count.lines if x.agency == COUNCIL and x.method == "transactions"]
    assert sum(x.pence for x in council) == 160_000
