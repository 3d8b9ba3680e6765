"""An attacker's sums: no small count can be worked out from the figures shown beside it.

Each test builds the smallest data that showed a leak, takes the figures a
viewer is given and does the attacker's arithmetic on them."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from totalplace.families.audit import audit_path, read_audit, record_view
from totalplace.families.events import Event, FamilyData
from totalplace.families.journeys import sankey
from totalplace.families.privacy import Line, protect
from totalplace.families.view import aggregates
from totalplace.families.voice import Response, redact, voice_by_theme


def _event(family: str, agency: str, year: int, pence: int = 100) -> Event:
    return Event(
        f"P-{family}", family, agency, "Arrest", "CR7.0", dt.date(year, 6, 1),
        f"{year}-{(year + 1) % 100:02d}", pence,
    )  # fmt: skip


def test_an_agency_of_one_small_year_is_not_the_grand_total_less_the_others() -> None:
    """Youth offending knew 3 families in one year only: its total was withheld,
    but the place's contacts less the other agencies' totals gave it back."""
    events = [_event(f"F-{i}", a, y) for a in ("Police", "Schools") for y in (2010, 2011)
              for i in range(30)]  # fmt: skip
    events += [_event(f"Y-{i}", "Youth offending", 2010, 5000) for i in range(3)]
    agg = aggregates(FamilyData(events, "2014-15"), 10)
    totals = agg["by_agency_year"]["totals"]["agency"]
    assert totals["Youth offending"]["pence"] is None
    shown = [t["pence"] for t in totals.values() if t["pence"] is not None]
    assert agg["pence"] - sum(shown) != 3 * 5000  # the attacker's sum
    years = agg["by_agency_year"]["totals"]["year"]
    cells = {(r["agency"], r["year"]): r["pence"] for r in agg["by_agency_year"]["rows"]}
    # nor from the year's total less the year's other cells
    if years["2010-11"]["pence"] is not None:
        rest = sum(v for (a, y), v in cells.items() if y == "2010-11" and v is not None)
        assert years["2010-11"]["pence"] - rest != 3 * 5000


def test_a_small_sankey_link_is_not_its_step_less_the_links_shown() -> None:
    """Families known to two agencies (54, shown) are the links of the first step:
    with one link of 4 left out, 54 less the links shown was 4."""
    events = []
    for i in range(30):
        events += [_event(f"A{i}", "Police", 2010), _event(f"A{i}", "Schools", 2011)]
    for i in range(20):
        events += [_event(f"B{i}", "Police", 2010), _event(f"B{i}", "Housing", 2011)]
    for i in range(4):
        events += [_event(f"C{i}", "Schools", 2010), _event(f"C{i}", "Housing", 2011)]
    known = aggregates(FamilyData(events, "2014-15"), 10)["known_to_agencies"]
    s = sankey(events, 10)
    assert known["2"] == 54
    assert known["2"] - sum(link["families"] for link in s["links"]) != 4
    assert s["withheld_links"] >= 2


def test_the_families_left_out_of_the_sankey_are_not_a_small_count() -> None:
    events = [_event(f"F-{i}", "Police", 2010) for i in range(12)]
    events += [_event(f"F-{i}", "Schools", 2011) for i in range(12)]
    events += [_event(f"F-{i}", "Housing", 2012) for i in range(3)]
    s = sankey(events, 10)
    assert s["withheld_links"] == 1 and s["withheld_families"] is None  # was 3


def _said(
    theme: str, n: int, area: str = "", text: str = "The buses are far too few here"
) -> list[Response]:
    return [Response("Q1", f"{text} {i}", theme, area, f"s.csv:{i}") for i in range(n)]


def test_a_small_theme_is_not_the_responses_less_the_themes_shown() -> None:
    """15 responses, Transport 12 shown, Housing withheld: 15 - 12 was 3."""
    out = voice_by_theme(_said("Transport", 12) + _said("Housing", 3), 10, {}, {})
    shown = [t["responses"] for t in out["themes"] if t["responses"] is not None]
    assert out["responses"] is None or out["responses"] - sum(shown) != 3


def test_responses_without_an_area_are_not_the_theme_less_its_areas() -> None:
    said = _said("Transport", 12, "North") + _said("Transport", 15, "South")
    said += _said("Transport", 3)  # no area given
    (t,) = voice_by_theme(said, 10, {}, {})["themes"]
    shown = [v for v in t["by_area"].values() if v is not None]
    assert t["responses"] is None or t["responses"] - sum(shown) != 3


def test_an_area_of_few_responses_is_not_named() -> None:
    """An area is what the resident wrote: it may be their street."""
    said = _said("Transport", 20, "North") + _said("Transport", 2, "12 Acacia Road")
    (t,) = voice_by_theme(said, 10, {}, {})["themes"]
    assert "12 Acacia Road" not in t["by_area"] and "(other areas)" in t["by_area"]


def test_quotes_only_when_asked_and_with_identifiers_taken_out() -> None:
    text = "I am Jane Smith of 12 Acacia Road, M1 2AB, ring 07700 900123"
    said = _said("Housing", 12, text=text)
    assert voice_by_theme(said, 10, {}, {})["themes"][0]["quotes"] == []
    quotes = voice_by_theme(said, 10, {}, {}, quotes=True)["themes"][0]["quotes"]
    assert quotes and all("Jane" not in q and "Acacia" not in q and "M1 2AB" not in q
                          and "07700" not in q for q in quotes)  # fmt: skip


@pytest.mark.parametrize(
    "kept",
    [
        "I waited 12 months on the road to recovery",
        "Services stop at 18 and start again at 25 with a new assessment",
        "i am fed up with waiting",
    ],
)
def test_redaction_leaves_plain_words_alone(kept: str) -> None:
    assert redact(kept) == kept


def test_protect_covers_a_lone_row_through_the_margins() -> None:
    t = "total"
    cells = {("A", "y1"): 3, ("B", "y1"): 40, ("B", "y2"): 50, ("C", "y1"): 30,
             ("C", "y2"): 60, ("A", t): 3, ("B", t): 90, ("C", t): 90,
             (t, "y1"): 73, (t, "y2"): 110, (t, t): 183}  # fmt: skip
    lines = [Line((("A", "y1"),), ("A", t)), Line((("B", "y1"), ("B", "y2")), ("B", t)),
             Line((("C", "y1"), ("C", "y2")), ("C", t)),
             Line((("A", "y1"), ("B", "y1"), ("C", "y1")), (t, "y1")),
             Line((("B", "y2"), ("C", "y2")), (t, "y2")),
             Line((("A", t), ("B", t), ("C", t)), (t, t)),
             Line(((t, "y1"), (t, "y2")), (t, t))]  # fmt: skip
    out = protect(cells, lines, 10, fixed=[(t, t)])
    assert {("A", "y1"), ("A", t)} <= out
    assert sum(1 for r in "ABC" if (r, t) in out) >= 2  # not the grand total less the others


def test_an_audit_log_others_can_read_is_made_owner_only(tmp_path: Path) -> None:
    path = audit_path(tmp_path)
    path.write_text("")
    path.chmod(0o666)
    record_view(tmp_path, "cara", "caseworker", "/families/F-1", "F-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [e["subject"] for e in read_audit(tmp_path)] == ["F-1"]


def test_an_audit_log_that_is_a_link_is_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.log"
    elsewhere.write_text("")
    audit_path(tmp_path).symlink_to(elsewhere)
    with pytest.raises(OSError):
        record_view(tmp_path, "cara", "caseworker", "/families/F-1", "F-1")
    assert elsewhere.read_text() == ""
