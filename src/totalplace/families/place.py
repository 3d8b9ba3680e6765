"""A workspace's families: its person-level folder, and the report built from it.

``people/`` in a workspace holds ``extracts/`` (each agency's person-level
extract), ``events.csv`` (their contacts), ``linked/`` (what ``totalplace
link`` made of the extracts) and ``voice/`` (survey and consultation CSVs).
:func:`families_report` is what ``totalplace families DIR`` prints: the
place's aggregates with disclosure control and, only when asked for, the most
expensive families' profiles under their pseudonyms.
"""

from __future__ import annotations

import json
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
from totalplace.families.privacy import hidden
from totalplace.families.synth import SyntheticPlace, generate
from totalplace.families.view import aggregates, families, most_expensive, profile, westminster
from totalplace.families.voice import VOICE_DIR, read_folder, voice_by_theme

EXTRACTS_DIR = "extracts"
TOP_FAMILIES = 10


# A resident survey for the synthetic place: (theme as the survey heads it, question,
# what people said).  The themes are the taxonomy's labels, so each sits beside its money.
SURVEY = (
    ("Children and families", "What would help your family most?",
     ("Someone who already knows us, instead of telling our story to five services",
      "Help before things reach crisis point, not after the school excludes him",
      "One plan for the whole family that every service follows")),
    ("Crime and community safety", "How safe do you feel where you live?",
     ("The same few households cause most of the trouble on our street",
      "Police come out but nothing changes for the family causing it",
      "Safe in the day, not after dark near the shops")),
    ("Housing and regeneration", "What would improve your housing?",
     ("Repairs take months and nobody owns the problem",
      "Temporary accommodation moved my children away from their school",
      "We were evicted and then housed by the same council two months later")),
    ("Mental health", "How easy is it to get help with your mental health?",
     ("I waited nine months and ended up in A&E twice in that time",
      "Services stop at 18 and start again at 25 with a new assessment",
      "The crisis team was good; getting any help before crisis was not")),
)  # fmt: skip


def write_survey(folder: Path, seed: int, responses: int) -> Path:
    """A synthetic resident survey CSV (question, response, theme, area), seeded."""
    import csv
    import random

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "resident_survey.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "response", "theme", "area"])
        for _ in range(responses):
            theme, question, said = rng.choice(SURVEY)
            area = rng.choice(("Northmoor", "Eastvale", "Westbrook"))
            writer.writerow([question, rng.choice(said), theme, area])
    return path


def write_synthetic(
    root: Path, people: int = 2000, seed: int = 16, scenario: str | None = "westminster"
) -> SyntheticPlace:
    """A synthetic place's extracts, events, truth and a resident survey in ``root/people/``."""
    place = generate(people, seed=seed, scenario=scenario)
    folder = people_dir(root)
    written = place.write(folder / EXTRACTS_DIR)
    written["events"].replace(folder / EVENTS_FILE)
    written["truth"].replace(folder / "truth.csv")
    write_survey(folder / VOICE_DIR, seed, max(people // 10, 40))
    return place


def link_workspace(root: Path, engine: str = "duckdb", threshold: float = 0.9) -> Any:
    """Link the extracts in ``people/extracts`` into ``people/linked`` (Splink)."""
    from totalplace.link import link_records

    folder = people_dir(root)
    frames: dict[str, Any] = {p.stem: p for p in sorted((folder / EXTRACTS_DIR).glob("*.csv"))}
    return link_records(frames, folder / LINKED_DIR, engine=engine, threshold=threshold)


def _voice(root: Path, threshold: int, quotes: bool = False) -> dict[str, Any]:
    """What residents said per theme beside the count's money; with ``quotes``
    (person-level access only), up to three redacted quotes a theme."""
    from totalplace.classify.taxonomy import default_taxonomy, theme_label
    from totalplace.report.count_file import NoCount, read_count

    try:
        money = {k: int(v) for k, v in read_count(root).get("by_theme", {}).items()}
    except NoCount:  # no count yet: what residents said is shown without the money
        money = {}
    labels = {t: theme_label(t) for t in default_taxonomy().themes}
    responses = read_folder(people_dir(root) / VOICE_DIR)
    return voice_by_theme(responses, threshold, money, labels, quotes=quotes)


def _linkage(root: Path, threshold: int) -> dict[str, Any] | None:
    """How the people were found: the linkage's own summary (``summary.json``,
    as ``totalplace link`` wrote it) less anything person-level: the records,
    people and households linked (a count under the threshold withheld), the
    threshold and engine, each source's name, rows and columns used, and what
    the linkage warned of.  None when the workspace holds no summary."""
    from totalplace.link.report import SUMMARY_FILE

    path = people_dir(root) / LINKED_DIR / SUMMARY_FILE
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None

    def count(n: Any) -> int | None:
        return None if not isinstance(n, int) or hidden(n, threshold) else n

    return {
        "records": count(summary.get("records")),
        "people": count(summary.get("people")),
        "households": count(summary.get("households")),
        "refused": count(summary.get("refused")),
        "threshold": summary.get("threshold"),
        "engine": summary.get("engine"),
        "training_notes": list(summary.get("training_notes", [])),
        "sources": [
            {
                "source": s.get("source"),
                "rows": count(s.get("rows")),
                "columns": s.get("columns", {}),
                "warnings": list(s.get("warnings", [])),
            }
            for s in summary.get("sources", [])
        ],
    }


def families_report(
    root: Path,
    threshold: int,
    price_year: str = DEFAULT_PRICE_YEAR,
    person_level: bool = False,
    top: int = TOP_FAMILIES,
    data: FamilyData | None = None,
    quotes: bool = False,
) -> dict[str, Any]:
    """Everything ``totalplace families`` shows.  ``person_level`` adds the ``top``
    most expensive families' profiles (pseudonyms, agencies, cost by year) and
    what residents wrote; ``quotes`` adds what residents wrote alone (a
    caseworker's dashboard, whose families are listed apart)."""
    data = data or load_workspace(root, price_year)
    report: dict[str, Any] = {
        **aggregates(data, threshold),
        # the data holder asking for families' profiles sees the illustration exact
        "westminster": westminster(data, 0 if person_level else threshold),
        "common_paths": common_paths(data.events, threshold),
        "sankey": sankey(data.events, threshold),
        "voice": _voice(root, threshold, quotes=quotes or person_level),
        "linkage": _linkage(root, threshold),
    }
    if person_level:
        found = most_expensive(families(data.events), top)
        report["most_expensive"] = [
            {k: v for k, v in profile(f).items() if k != "events"} for f in found
        ]
    return report
