"""``make demo``: a synthetic place, ingested into a fresh workspace.

The demo's files come from :mod:`totalplace.demo_data` (deterministic, from a
seed); the place codes are well-formed but fictional, so the demo never
pretends to describe a real authority.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from totalplace.classify import RULES_DIR
from totalplace.count.cube import ORGS_DIR
from totalplace.culture.demo import add_demo_culture
from totalplace.demo_data import (
    CITY,
    FIRE,
    PCT,
    POLICE,
    POLICE_PROFILE_NAME,
    VALLEY,
    write_demo_sources,
)
from totalplace.errors import WorkspaceError
from totalplace.ingest.pipeline import IngestReport, ingest_files
from totalplace.workspace import Workspace

DEMO_PLACE = ["E99999901", "E99999902"]
DEMO_YEAR = "2010-11"
MARKER = ".totalplace-demo"


def run_demo(directory: Path) -> tuple[IngestReport, Workspace]:
    """Recreate ``directory`` with demo sources and a workspace, and ingest them."""
    if directory.exists():
        if not (directory / MARKER).exists():
            raise WorkspaceError(
                f"{directory} exists and is not a demo folder; give another folder to "
                "`totalplace demo`."
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("made by totalplace demo; safe to delete\n")
    sources = write_demo_sources(directory / "sources")
    ws = Workspace.create(directory / "workspace", DEMO_PLACE, DEMO_YEAR, name="Northmoor (demo)")
    # A profile saved in the workspace is found by its publisher's name.
    shutil.copy(directory / "sources" / POLICE_PROFILE_NAME, ws.profiles_dir)
    reports = []
    for src in sources:
        reports.extend(ingest_files(ws, [src.path], src.publisher).files)
    write_demo_bodies(ws.root / ORGS_DIR)
    write_demo_rules(ws.root / RULES_DIR)
    write_demo_cases(ws.root / "cases")
    write_demo_people(ws.root)
    add_demo_culture(ws)  # after the bodies: owners are named through them
    return IngestReport(reports), ws


# Residents of the demo's synthetic person-level place (Westminster's 40 families planted).
DEMO_PEOPLE = 1000


def write_demo_people(root: Path) -> None:
    """The agencies' person-level extracts and contacts in ``people/``; `totalplace
    demo` links them with Splink after the count, for the Families page."""
    from totalplace.families.place import write_synthetic

    write_synthetic(root, people=DEMO_PEOPLE)


DEMO_RULES = {
    "northmoor-fire.toml": (
        FIRE,
        [
            ("fire.operations", "crime_and_community_safety", "expense_type",
             ["Breathing Apparatus", "Fleet Maintenance", "Training", "Operational Equipment"]),
            ("fire.premises", "corporate_and_back_office", "expense_type",
             ["Premises Repairs", "Energy", "Business Rates"]),
        ],
    ),
    "northmoor-police.toml": (
        POLICE,
        [
            ("police.operations", "crime_and_community_safety", "service",
             ["Operational Policing", "Estates"]),
            ("police.custody", "offending", "service", ["Custody and Criminal Justice"]),
        ],
    ),
    "northmoor-pct.toml": (
        PCT,
        [
            ("pct.health", "health", "service",
             ["Acute Commissioning", "Primary Care", "Community Services"]),
            ("pct.mental-health", "mental_health", "service", ["Mental Health"]),
        ],
    ),
}  # fmt: skip


def write_demo_cases(folder: Path) -> list[Path]:
    """The worked business cases shipped with the package, in the folder the
    dashboard's Cases page lists, so the demo shows a case the way a user adds one."""
    from importlib import resources

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    shipped = resources.files("totalplace").joinpath("data/cases")
    for source in sorted(shipped.iterdir(), key=lambda item: item.name):
        if source.name.endswith(".toml"):
            path = folder / source.name
            path.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
            written.append(path)
    return written


def write_demo_rules(folder: Path) -> list[Path]:
    """Classification rules for the demo's police, fire and PCT labels, which the
    shipped rules (written from real councils' files) do not know: the way a
    user adds rules for a new publisher."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (publisher, rules) in DEMO_RULES.items():
        text = [f"# Demo rules for {publisher}.", f"publisher = {json.dumps(publisher)}", ""]
        for rule_id, theme, field, values in rules:
            text += [
                "[[rule]]",
                f'id = "northmoor.{rule_id}"',
                "precedence = 500",
                f'theme = "{theme}"',
                f"match.{field} = {json.dumps(values)}",
                "",
            ]
        path = folder / name
        path.write_text("\n".join(text), encoding="utf-8")
        written.append(path)
    return written


def write_demo_bodies(folder: Path) -> Path:
    """Northmoor's public bodies, as a user adds bodies the registry lacks: the
    count uses them to know who serves the place and which payments are transfers."""
    area = ";".join(DEMO_PLACE)
    rows = [
        ("demo-northmoor-city", CITY, "council", "E99999901", ""),
        ("demo-northmoor-valley", VALLEY, "council", "E99999902", ""),
        ("demo-northmoor-pct", PCT, "nhs_commissioner", area, "dept-dh"),
        ("demo-northmoor-police", POLICE, "police", area, "dept-home-office"),
        ("demo-northmoor-fire", FIRE, "fire", area, "dept-dclg"),
        (
            "demo-northmoor-hospitals",
            "Northmoor Hospitals NHS Foundation Trust",
            "nhs_provider",
            area,
            "dept-dh",
        ),
        (
            "demo-northmoor-community",
            "Northmoor Community Health NHS Trust",
            "nhs_provider",
            area,
            "dept-dh",
        ),
    ]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "name", "kind", "area_gss", "funding_department", "source"])
    for row in rows:
        writer.writerow([*row, "totalplace demo (fictional)"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "northmoor.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path
