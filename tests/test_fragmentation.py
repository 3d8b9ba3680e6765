"""Fragmentation on a count made by hand.

Threeshire has 1,000 people; family support is bought by A £600, B £300 and
C £100 (shares 60%, 30%, 10%), roads by A alone (£900), and youth work by
four agencies at £250 each.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.opportunities.fragmentation import concentration, fragmentation, hhi
from totalplace.opportunities.others import opportunities
from totalplace.reference.places import Place
from totalplace.workspace import Workspace

FAMILY = "children_and_families"
ROADS = "environment_and_transport"
YOUTH = "education_and_skills"


def _line(agency: str, theme: str, pounds: int, funder: str = "local") -> CountLine:
    return CountLine(
        agency=agency, agency_type="local authority", funder=funder, theme=theme, function="",
        tier="targeted", capital_revenue="revenue", method="transactions", part="bottom_up",
        gross_net="gross", grade="A", pence=pounds * 100, source="rows",
    )  # fmt: skip


def _count(lines: list[CountLine]) -> PlaceCount:
    place = Place(spec="E99", name="Threeshire", codes=(), units=())
    return PlaceCount(place=place, year="2010-11", engine="duckdb", population=1000, lines=lines)


def test_hhi_of_sixty_thirty_ten_is_four_thousand_six_hundred() -> None:
    """Guards the index against a hand-worked example: 60² + 30² + 10² = 4,600,
    one agency 10,000, four equal agencies 2,500, and a refund (negative
    spend) left out of the shares rather than squared into them."""
    assert hhi([600, 300, 100]) == 4600
    assert hhi([900]) == 10_000
    assert hhi([250, 250, 250, 250]) == 2500
    assert hhi([600, 300, 100, -50]) == 4600
    assert hhi([1, 2]) == Fraction(100 * 100 * 5, 9)  # 33.3² + 66.7², exactly
    assert hhi([]) == 0


def test_concentration_bands_follow_the_merger_guidelines() -> None:
    assert concentration(Fraction(1499)) == "unconcentrated"
    assert concentration(Fraction(2500)) == "moderately concentrated"
    assert concentration(Fraction(2501)) == "highly concentrated"


def test_theme_split_among_many_agencies_is_fragmented_and_one_agency_is_not() -> None:
    """Guards against a theme one agency holds (roads, HHI 10,000) or one held
    mostly by one (family support, 4,600) being called fragmented, while four
    equal agencies with three funding streams (youth, 2,500) are."""
    lines = [
        _line("A", FAMILY, 600), _line("B", FAMILY, 300), _line("C", FAMILY, 100),
        _line("A", ROADS, 900),
        _line("A", YOUTH, 250, "council tax"), _line("B", YOUTH, 250, "council tax"),
        _line("C", YOUTH, 250, "DfE grant"), _line("D", YOUTH, 250, "Home Office grant"),
    ]  # fmt: skip
    found = {t.theme: t for t in fragmentation(_count(lines))}
    assert found[ROADS].hhi == 10_000 and not found[ROADS].fragmented
    assert found[FAMILY].hhi_rounded == 4600 and not found[FAMILY].fragmented
    youth = found[YOUTH]
    assert youth.fragmented and youth.agency_count == 4 and youth.stream_count == 3
    assert youth.to_dict()["effective_agencies"] == "4.0"
    assert youth.funders == {
        "council tax": 50_000,
        "DfE grant": 25_000,
        "Home Office grant": 25_000,
    }
    # the count does not know which of these lines' money is ring-fenced
    assert youth.ring_fenced == {"not known": 100_000}


def test_unclassified_and_pass_through_money_is_no_theme_to_fragment() -> None:
    lines = [_line(a, "unclassified", 100) for a in "ABCD"]
    lines += [_line(a, "pass_through", 100) for a in "ABCD"]
    assert fragmentation(_count(lines)) == []


def test_register_items_for_fragmentation_prevention_and_workspace_scenarios(
    workspace: Workspace,
) -> None:
    """Guards the register's three kinds from this module: youth work split
    four ways is a fragmentation item at 1% of the £750 outside the largest
    agency (£7.50); family support's acute £100 (of £1,000) gives a one-point
    shift of £10; a scenario in DIR/scenarios saving 10% of roads is £90."""
    lines = [
        _line("A", FAMILY, 900), _line("B", FAMILY, 100),
        _line("A", ROADS, 900),
        *(_line(a, YOUTH, 250) for a in "ABCD"),
    ]  # fmt: skip
    lines[1] = replace(lines[1], tier="acute")
    (workspace.root / "scenarios").mkdir()
    (workspace.root / "scenarios" / "roads.toml").write_text(
        '[scenario]\nname = "Roads"\n[[change]]\nkind = "efficiency"\npercent = 10\n'
        'theme = "environment_and_transport"\n'
    )
    items = opportunities(_count(lines).to_dict(), workspace)
    got = {(x.kind, x.subject): x for x in items}
    assert got[("fragmentation", YOUTH)].value_pence == 750
    assert got[("fragmentation", YOUTH)].agencies == ("A", "B", "C", "D")
    assert ("fragmentation", FAMILY) not in got
    assert got[("prevention_shift", FAMILY)].value_pence == 1000
    assert got[("scenario", "roads")].value_pence == 9000
    assert {x.kind for x in items} == {"fragmentation", "prevention_shift", "scenario"}


def test_a_councils_outturn_line_is_split_by_its_financing_mix() -> None:
    """Guards ring-fenced money and funding streams against the count's own
    rule: Manchester's (E4203) 2010-11 financing is specific grants £829.14m,
    formula grant £342.438m and council tax £138.214m, so a line of
    £13,097.92 is £8,291.40 ring-fenced and £4,806.52 not, in three streams."""
    line = replace(_line("Manchester City Council", YOUTH, 0), pence=1_309_792, body="E4203")
    youth = fragmentation(_count([line]))[0]
    assert youth.stream_count == 3
    assert youth.ring_fenced == {
        "ring-fenced (specific grants, estimate)": 829_140,
        "not ring-fenced": 480_652,
    }
    assert sum(youth.funders.values()) == 1_309_792
