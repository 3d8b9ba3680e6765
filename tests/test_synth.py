"""The synthetic place: seeded, with ground truth, realistic slips and priced events."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from totalplace.errors import ConfigError
from totalplace.families.synth import (
    AGENCIES,
    EVENT_TYPES,
    generate,
    ground_truth_clusters,
)
from totalplace.link.columns import _nhs_valid
from totalplace.reference.unit_costs import unit_costs


@pytest.fixture(scope="module")
def place():  # type: ignore[no-untyped-def]
    return generate(1500, seed=3)


def test_same_seed_same_place_other_seed_other_place(place) -> None:  # type: ignore[no-untyped-def]
    again = generate(1500, seed=3)
    assert again.events.equals(place.events)
    assert all(again.extracts[s].equals(t) for s, t in place.extracts.items())
    assert not generate(1500, seed=4).events.equals(place.events)


def test_every_agency_has_an_extract_and_every_record_its_truth(place) -> None:  # type: ignore[no-untyped-def]
    assert set(place.extracts) == set(AGENCIES)
    assert place.truth.num_rows == place.records
    for source, table in place.extracts.items():
        assert table.num_rows > 0, source
        ids = table.column(0)
        truth = place.truth.filter(pc.equal(place.truth.column("source"), source))
        assert sorted(ids.to_pylist()) == sorted(truth.column("record_id").to_pylist())


def test_every_event_belongs_to_a_record_and_has_a_known_unit_cost(place) -> None:  # type: ignore[no-untyped-def]
    records = set(zip(place.truth.column("source").to_pylist(),
                      place.truth.column("record_id").to_pylist(), strict=True))  # fmt: skip
    events = zip(place.events.column("source").to_pylist(),
                 place.events.column("record_id").to_pylist(), strict=True)  # fmt: skip
    assert all(e in records for e in events)
    codes = set(place.events.column("unit_cost_code").to_pylist())
    assert codes <= set(unit_costs())
    assert {e.code for e in EVENT_TYPES} <= set(unit_costs())


def test_a_person_appears_differently_in_different_agencies(place) -> None:  # type: ignore[no-untyped-def]
    """The slips a linkage must see through are there: people held by more than one
    agency, some registered twice by one, some whose names differ between records."""
    t = place.truth
    people = t.column("person_id").to_pylist()
    sources = t.column("source").to_pylist()
    seen: dict[int, set[str]] = {}
    twice = 0
    pairs: set[tuple[int, str]] = set()
    for p, s in zip(people, sources, strict=True):
        seen.setdefault(p, set()).add(s)
        twice += (p, s) in pairs
        pairs.add((p, s))
    assert sum(len(v) >= 3 for v in seen.values()) > 100
    assert twice > 10
    nhs = place.extracts["health_ae"].column("NHS Number").drop_null().to_pylist()
    assert nhs and all(_nhs_valid(n) for n in nhs)
    forenames: dict[int, set[str]] = {}
    for source, table in place.extracts.items():
        truth = t.filter(pc.equal(t.column("source"), source))
        for p, name in zip(truth.column("person_id").to_pylist(), table.column(1).to_pylist(),
                           strict=True):  # fmt: skip
            forenames.setdefault(p, set()).add(name)
    assert sum(len(v) > 1 for v in forenames.values()) > 20


def test_day_and_month_swapped_in_a_few_dates_of_birth(place) -> None:  # type: ignore[no-untyped-def]
    police = place.extracts["police"]
    assert all(
        len(d) == 10 and d[4] == "-" for d in police.column("Birth Date").drop_null().to_pylist()
    )
    other = place.extracts["health_ae"].column("Date of Birth").drop_null().to_pylist()
    assert all(d[2] == "/" for d in other)


def test_extracts_write_as_csv_with_events_and_truth(place, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    written = place.write(tmp_path)
    assert set(written) == {*AGENCIES, "events", "truth"}
    events = pacsv.read_csv(written["events"])
    assert events.num_rows == place.events.num_rows
    assert {"source", "record_id", "date", "agency", "event_type", "unit_cost_code"} <= set(
        events.column_names
    )


def test_ground_truth_is_in_the_linkage_shape(place) -> None:  # type: ignore[no-untyped-def]
    clusters, homes = ground_truth_clusters(place)
    assert clusters.column_names == ["source", "record_id", "person_id", "match_probability"]
    assert set(homes.column_names) == {"person_id", "household_id"}
    assert homes.num_rows == len(set(clusters.column("person_id").to_pylist()))


def test_agencies_can_be_chosen_and_unknown_ones_are_refused() -> None:
    few = generate(300, seed=1, agencies=("police", "schools"))
    assert set(few.extracts) == {"police", "schools"}
    assert set(few.events.column("source").to_pylist()) <= {"police", "schools"}
    with pytest.raises(ConfigError, match="unknown agency 'gp'"):
        generate(300, agencies=("gp",))
    with pytest.raises(ConfigError, match="unknown scenario"):
        generate(300, scenario="birmingham")
