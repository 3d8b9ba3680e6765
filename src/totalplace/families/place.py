"""A workspace's families: its person-level folder, and the report built from it.

``people/`` in a workspace holds ``extracts/`` (each agency's person-level
extract), ``events.csv`` (their contacts), ``linked/`` (what ``totalplace
link`` made of the extracts) and ``voice/`` (survey and consultation CSVs).
:func:`families_report` is what ``totalplace families DIR`` prints: the
place's aggregates with disclosure control and, only when asked for, the most
expensive families' profiles under their pseudonyms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from totalplace.families.events import (
    DEFAULT_PRICE_YEAR,
    EVENTS_FILE,
    LINKED_DIR,
    FamilyData,
    load_workspace,
    people_dir,
)
from totalplace.families.journeys import common_paths, sankey
from totalplace.families.synth import SyntheticPlace, generate
from totalplace.families.view import aggregates, families, most_expensive, profile, westminster
from totalplace.families.voice import VOICE_DIR, read_folder, voice_by_theme

EXTRACTS_DIR = "extracts"
TOP_FAMILIES = 10


def write_synthetic(
    root: Path, people: int = 2000, seed: int = 16, scenario: str | None = "westminster"
) -> SyntheticPlace:
    """A synthetic place's extracts, events and truth in ``root/people/``."""
    place = generate(people, seed=seed, scenario=scenario)
    folder = people_dir(root)
    written = place.write(folder / EXTRACTS_DIR)
    written["events"].replace(folder / EVENTS_FILE)
    written["truth"].replace(folder / "truth.csv")
    return place


def link_workspace(root: Path, engine: str = "duckdb", threshold: float = 0.9) -> Any:
    """Link the extracts in ``people/extracts`` into ``people/linked`` (Splink)."""
    from totalplace.link import link_records

    folder = people_dir(root)
    frames: dict[str, Any] = {p.stem: p for p in sorted((folder / EXTRACTS_DIR).glob("*.csv"))}
    return link_records(frames, folder / LINKED_DIR, engine=engine, threshold=threshold)


def _voice(root: Path, threshold: int) -> dict[str, Any]:
    from totalplace.classify.taxonomy import default_taxonomy, theme_label
    from totalplace.web.reports import NoCount, read_count

    try:
        money = {k: int(v) for k, v in read_count(root).get("by_theme", {}).items()}
    except NoCount:  # no count yet: what residents said is shown without the money
        money = {}
    labels = {t: theme_label(t) for t in default_taxonomy().themes}
    return voice_by_theme(read_folder(people_dir(root) / VOICE_DIR), threshold, money, labels)


def families_report(
    root: Path,
    threshold: int,
    price_year: str = DEFAULT_PRICE_YEAR,
    person_level: bool = False,
    top: int = TOP_FAMILIES,
    data: FamilyData | None = None,
) -> dict[str, Any]:
    """Everything ``totalplace families`` shows.  ``person_level`` adds the ``top``
    most expensive families' profiles (pseudonyms, agencies, cost by year)."""
    data = data or load_workspace(root, price_year)
    report: dict[str, Any] = {
        **aggregates(data, threshold),
        "westminster": westminster(data, threshold),
        "common_paths": common_paths(data.events, threshold),
        "sankey": sankey(data.events, threshold),
        "voice": _voice(root, threshold),
    }
    if person_level:
        found = most_expensive(families(data.events), top)
        report["most_expensive"] = [
            {k: v for k, v in profile(f).items() if k != "events"} for f in found
        ]
    return report
