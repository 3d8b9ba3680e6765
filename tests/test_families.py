"""The family view, journeys and resident voice over the synthetic place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from totalplace.errors import SourceError
from totalplace.families.events import Event, FamilyData, load_events, unit_pence
from totalplace.families.journeys import common_paths, path_families, sankey, timeline
from totalplace.families.synth import generate, ground_truth_clusters
from totalplace.families.view import aggregates, families, most_expensive, profile, westminster
from totalplace.families.voice import read_voice, voice_by_theme

KEY = b"k" * 32
PATHWAY = ["Permanent exclusion", "Arrest", "Youth offending"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> FamilyData:
    place = generate(2000, scenario="westminster")
    folder = tmp_path_factory.mktemp("place")
    place.write(folder)
    clusters, homes = ground_truth_clusters(place)
    return load_events(folder / "events.csv", clusters, homes, KEY)


def _event(family: str, agency: str, year: int, pence: int, kind: str = "Arrest") -> Event:
    day = dt.date(year, 6, 1)
    return Event(
        f"P-{family}", family, agency, kind, "CR7.0", day, f"{year}-{(year + 1) % 100:02d}", pence
    )


def test_unit_cost_is_restated_to_the_price_year_with_the_deflators() -> None:
    # A&E attendance HE4.0 is £109 at 2011-12 prices; the deflator index moves
    # from 180.12... (2011-12) to 190.9... (2014-15)
    at_own = unit_pence("HE4.0", "2011-12")
    later = unit_pence("HE4.0", "2014-15")
    assert at_own == 10900
    assert later is not None and later > at_own


def test_every_event_is_priced_and_belongs_to_a_pseudonymous_family(data: FamilyData) -> None:
    assert data.unlinked_events == 0 and data.events
    assert all(e.family.startswith("F-") and e.person.startswith("P-") for e in data.events)
    assert all(isinstance(e.pence, int) and e.pence > 0 for e in data.events)


def test_a_family_cost_by_year_and_agency_adds_to_its_total(data: FamilyData) -> None:
    for f in families(data.events).values():
        assert sum(p for y in f.by_year.values() for p in y.values()) == f.pence
        assert sum(f.contacts_by_year.values()) == len(f.events)


def test_most_expensive_families_come_first_with_their_profile(data: FamilyData) -> None:
    top = most_expensive(families(data.events), 5)
    assert [f.pence for f in top] == sorted((f.pence for f in top), reverse=True)
    one = profile(top[0])
    assert one["pence"] == top[0].pence and len(one["events"]) == one["contacts"]


def test_aggregates_add_up_and_count_families_known_to_three_or_more(data: FamilyData) -> None:
    agg = aggregates(data, 10)
    assert agg["pence"] == sum(e.pence for e in data.events)
    found = families(data.events)
    many = sum(len(f.agencies) >= 3 for f in found.values())
    assert agg["known_to_three_or_more"] == many
    rows = agg["by_agency_year"]["rows"]
    assert sum(r["pence"] for r in rows if r["pence"] is not None) <= agg["pence"]


def test_a_small_agency_year_cell_is_withheld_with_its_cost_and_a_second_cell() -> None:
    events = [_event(f"F-{i}", "Police", 2010, 100) for i in range(3)]
    events += [_event(f"F-{i}", "Police", 2011, 100) for i in range(30)]
    events += [_event(f"F-{i}", "Police", 2012, 100) for i in range(40)]
    agg = aggregates(FamilyData(events, "2014-15"), 10)
    rows = {r["year"]: r for r in agg["by_agency_year"]["rows"]}
    assert rows["2010-11"]["families"] is None and rows["2010-11"]["pence"] is None
    assert rows["2011-12"]["withheld"]  # the next smallest, or 3 = total - 30 - 40
    assert not rows["2012-13"]["withheld"]


def test_westminster_illustration_is_reproduced(data: FamilyData) -> None:
    w = westminster(data, 0)
    assert w["families_extreme_asb"] == 40
    assert w["likely_care_proceedings"] == 35
    assert w["cost_pence"] == 35 * 9_300_000 == 325_500_000


def test_westminster_35_is_withheld_where_40_less_35_would_reveal_5(data: FamilyData) -> None:
    w = westminster(data, 10)
    assert w["families_extreme_asb"] == 40
    assert w["likely_care_proceedings"] is None and w["cost_pence"] is None
    assert westminster(data, 5)["likely_care_proceedings"] == 35


def test_the_exclusion_police_youth_offending_path_is_counted(data: FamilyData) -> None:
    n = path_families(data.events, PATHWAY, 1)
    assert n is not None and n >= 10
    listed = common_paths(data.events, 1, top=100_000)
    assert {"path": PATHWAY, "families": n} in listed
    assert path_families(data.events, PATHWAY, n + 1) is None


def test_the_reverse_path_is_not_the_path(data: FamilyData) -> None:
    assert path_families(data.events, PATHWAY[::-1], 1) in (None, 0)


def test_timeline_is_one_family_in_date_order(data: FamilyData) -> None:
    family = data.events[0].family
    rows = timeline(data.events, family)
    assert rows and all(r["family"] == family for r in rows)
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)


def test_sankey_leaves_out_links_of_few_families() -> None:
    events = [_event(f"F-{i}", "Police", 2010, 1) for i in range(12)]
    events += [_event(f"F-{i}", "Schools", 2011, 1) for i in range(12)]
    events += [_event(f"F-{i}", "Housing", 2012, 1) for i in range(3)]
    s = sankey(events, 10)
    assert s["links"] == [
        {"source": 0, "target": 1, "from": "1. Police", "to": "2. Schools", "families": 12}
    ]
    # how many families the withheld link holds is itself under the threshold: not shown
    assert s["withheld_links"] == 1 and s["withheld_families"] is None


def test_unknown_unit_cost_code_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("source,record_id,date,unit_cost_code\npolice,P1,2011-05-01,CR99\n")
    clusters = pa.table({"source": ["police"], "record_id": ["P1"], "person_id": ["1"]})
    homes = pa.table({"person_id": ["1"], "household_id": ["h"]})
    with pytest.raises(SourceError, match="row 2, unit_cost_code: no unit cost 'CR99'"):
        load_events(path, clusters, homes, KEY)


def test_event_of_a_record_no_linkage_holds_is_counted_not_used(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "source,record_id,date,unit_cost_code\npolice,P1,2011-05-01,CR7.0\npolice,P2,2011-05-02,CR7.0\n"
    )
    clusters = pa.table({"source": ["police"], "record_id": ["P1"], "person_id": ["1"]})
    homes = pa.table({"person_id": ["1"], "household_id": ["h"]})
    data = load_events(path, clusters, homes, KEY)
    assert len(data.events) == 1 and data.unlinked_events == 1


def test_voice_counts_and_quotes_per_theme_beside_the_money(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    rows = ["Question,Response text,Theme,Ward"]
    rows += [
        f"Q1,The buses to the hospital are too few number {i},Transport,North" for i in range(12)
    ]
    rows += ["Q2,Repairs take months to be done properly,Housing,South"] * 3
    path.write_text("\n".join(rows) + "\n")
    responses = read_voice(path)
    out = voice_by_theme(
        responses,
        10,
        {"housing": 500},
        {"housing": "Housing", "transport": "Transport"},
        quotes=True,
    )
    by = {t["theme"]: t for t in out["themes"]}
    assert by["Transport"]["responses"] == 12 and len(by["Transport"]["quotes"]) == 3
    assert by["Housing"]["responses"] is None and by["Housing"]["quotes"] == []
    # an area with fewer than 10 responses in all is not named (it could be a street)
    assert by["Housing"]["pence"] == 500 and by["Housing"]["by_area"] == {"(other areas)": None}


def test_voice_file_without_a_response_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("question,theme\nQ1,Housing\n")
    with pytest.raises(SourceError, match="no response column"):
        read_voice(path)


def test_a_quote_said_many_times_is_shown_once(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    rows = ["question,response,theme"] + ["Q1,Repairs take months to be done properly,Housing"] * 12
    path.write_text("\n".join(rows) + "\n")
    out = voice_by_theme(read_voice(path), 10, {}, {}, quotes=True)
    assert out["themes"][0]["quotes"] == ["Repairs take months to be done properly"]
    assert out["themes"][0]["pence"] is None  # no count theme matched: no money shown


def test_one_small_bucket_of_agencies_known_takes_the_next_smallest_with_it() -> None:
    """The families total is shown: with 3 withheld alone, 93 - 50 - 40 would give it."""
    events = [_event(f"F-a{i}", "Police", 2010, 1) for i in range(50)]
    for agencies, n in ((("Police", "Schools"), 3), (("Police", "Schools", "Housing"), 40)):
        events += [_event(f"F-{n}-{i}", a, 2010, 1) for i in range(n) for a in agencies]
    agg = aggregates(FamilyData(events, "2014-15"), 10)
    assert agg["families"] == 93
    assert agg["known_to_agencies"] == {"1": 50, "2": None, "3": None}
    assert agg["known_to_three_or_more"] is None  # it would be the withheld 40
