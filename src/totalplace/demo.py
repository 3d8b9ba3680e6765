"""``make demo``: a synthetic place, ingested into a fresh workspace.

The demo's files come from :mod:`totalplace.demo_data` (deterministic, from a
seed); the place codes are well-formed but fictional, so the demo never
pretends to describe a real authority.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from totalplace.demo_data import POLICE_PROFILE_NAME, write_demo_sources
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
    return IngestReport(reports), ws
