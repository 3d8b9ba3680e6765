"""Duplicated activity and back office on a count made by hand.

Threeshire has 1,000 people and four agencies, A, B, C and D:

* family support: A £600, B £300, C £100 from their own payments, and D £200,
  a national line apportioned by a key (£1,200 in all);
* roads: A alone, £900;
* back office: A £100, B £25, C £4.

So A's total is £1,600, B's £325, C's £104 and D's £200.  Each test works its
figures from these.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import ibis
import pyarrow as pa

from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.opportunities.duplication import (
    BACK_OFFICE,
    back_office,
    function_of,
    median,
    theme_spend,
)
from totalplace.reference.places import Place

FAMILY = "children_and_families"
ROADS = "environment_and_transport"


def _line(agency: str, theme: str, pounds: int, method: str = "transactions") -> CountLine:
    return CountLine(
        agency=agency,
        agency_type="local authority",
        funder="local",
        theme=theme,
        function="",
        tier="targeted",
        capital_revenue="revenue",
        method=method,
        part="bottom_up",
        gross_net="gross",
        grade="A",
        pence=pounds * 100,
        source="rows",
    )


def _count() -> PlaceCount:
    lines = [
        _line("A", FAMILY, 600),
        _line("B", FAMILY, 300),
        _line("C", FAMILY, 100),
        _line("D", FAMILY, 200, method="apportioned"),
        _line("A", ROADS, 900),
        _line("A", BACK_OFFICE, 100),
        _line("B", BACK_OFFICE, 25),
        _line("C", BACK_OFFICE, 4),
    ]
    place = Place(spec="E99", name="Threeshire", codes=(), units=())
    return PlaceCount(place=place, year="2010-11", engine="duckdb", population=1000, lines=lines)


def test_three_agencies_each_over_the_material_share_are_a_duplication_candidate() -> None:
    """Guards against a theme bought by several agencies going unnoticed, and
    against one agency's theme (roads) or the back office being called
    duplication: family support is a candidate, with each agency's share and
    spend per head (A: £600 of £1,200 is 50%; £600 / 1,000 people = 60p)."""
    themes = {t.theme: t for t in theme_spend(_count())}
    family = themes[FAMILY]
    assert family.candidate and family.material == ("A", "B", "C")
    assert [(a.agency, a.share, a.per_head_pence) for a in family.agencies] == [
        ("A", Decimal("0.5000"), 60),
        ("B", Decimal("0.2500"), 30),
        ("D", Decimal("0.1667"), 20),
        ("C", Decimal("0.0833"), 10),
    ]
    assert family.per_head_pence == 120
    assert not themes[ROADS].candidate
    assert not themes[BACK_OFFICE].candidate  # three bodies, but measured as back office


def test_a_national_line_shared_out_by_a_key_is_not_local_duplication() -> None:
    """Guards against DWP-style apportioned lines making a candidate: D's
    16.67% is over the material share but all of it is apportioned, so it
    counts only when the assumption says so."""
    family = {t.theme: t for t in theme_spend(_count())}[FAMILY]
    assert [a.agency for a in family.agencies if a.apportioned] == ["D"]
    assert "D" not in family.material
    counted = {t.theme: t for t in theme_spend(_count(), count_apportioned=True)}[FAMILY]
    assert counted.material == ("A", "B", "D", "C")


def test_an_agency_under_the_material_share_does_not_make_a_candidate() -> None:
    """Guards the threshold: at 10% material, C's 8.33% of family support
    leaves two agencies of their own (D is apportioned), fewer than three."""
    family = {t.theme: t for t in theme_spend(_count(), Decimal("0.10"))}[FAMILY]
    assert family.material == ("A", "B") and not family.candidate


def test_back_office_share_against_the_median_worked_by_hand() -> None:
    """Guards the back-office measure.  Totals: A £1,600, B £325, C £104.
    Shares: A 100/1600 = 6.25%, B 25/325 = 7.69%, C 4/104 = 3.85%; the median
    is A's 6.25%.  B is above it by £25 - 6.25% of £325 = £25 - £20.3125 =
    £4.6875, i.e. 469 pence to the penny; A and C are not above it.  D, all
    apportioned, is not compared."""
    found = {b.agency: b for b in back_office(_count())}
    assert {a: b.share for a, b in found.items()} == {
        "A": Decimal("0.0625"),
        "B": Decimal("0.0769"),
        "C": Decimal("0.0385"),
    }
    assert {b.median_share for b in found.values()} == {Decimal("0.0625")}
    assert {a: b.above_median_pence for a, b in found.items()} == {"A": 0, "B": 469, "C": 0}
    assert next(b.agency for b in back_office(_count())) == "B"


def test_median_of_an_even_number_is_the_mean_of_the_middle_two() -> None:
    assert median([Fraction(1, 10), Fraction(3, 10), Fraction(2, 10), Fraction(4, 10)]) == (
        Fraction(1, 4)
    )
    assert median([]) == 0


def test_back_office_function_reads_the_service_line_before_what_was_bought() -> None:
    """Guards the order: a finance service buying software is finance (the
    service line says whose back office it is); a corporate service buying
    software is ICT; short words match only as words ("hr", not "three")."""
    rows = ibis.memtable(
        pa.table(
            {
                "service_detail": [None, None, None, None, "Fleet Management"],
                "service": [
                    "Corporate Finance",
                    "Corporate Services",
                    "Human Resources",
                    "Three Rivers Hub",
                    None,
                ],
                "department": [None, None, None, None, None],
                "proclass_label": [None, None, None, None, None],
                "expense_type": [
                    "Software licences",
                    "Software licences",
                    "Agency staff",
                    "Catering",
                    "Diesel",
                ],
            }
        )
    )
    con = ibis.duckdb.connect()
    got = con.to_pyarrow(rows.select(f=function_of(rows))).column("f").to_pylist()
    con.disconnect()
    assert got == ["finance", "ict", "hr", "other", "fleet"]
