"""Run the count on a workspace: classify and resolve first where that has not
been done, count, and write the reports beside the data."""

from __future__ import annotations

import json
from pathlib import Path

from totalplace.classify import classify_workspace
from totalplace.classify.engine import CLASSIFIED_NAME
from totalplace.count.cube import PlaceCount, build_count
from totalplace.count.transactions import RESOLVED_NAME
from totalplace.orgs.resolve import resolve_workspace
from totalplace.report.count_workbook import write_count_workbook
from totalplace.report.export import write_exports
from totalplace.workspace import Workspace, atomic_write

REPORTS = "reports"


def count_workspace(ws: Workspace, engine: str = "duckdb") -> tuple[PlaceCount, list[Path]]:
    """The place's count, with the reports written under ``DIR/reports``:
    ``count.json``, ``count.xlsx`` and ``count/`` (CSV, Parquet and a Fiscal
    Data Package).  Classification and supplier resolution run first when the
    workspace has none yet (or has newer files than they saw)."""
    newest = _newest_file(ws)
    classified = ws.root / CLASSIFIED_NAME
    if not classified.exists() or classified.stat().st_mtime < newest:
        classify_workspace(ws, engine)
    resolved = ws.root / RESOLVED_NAME
    if not resolved.exists() or resolved.stat().st_mtime < newest:
        resolve_workspace(ws)
    count = build_count(ws, engine)
    folder = ws.root / REPORTS
    folder.mkdir(exist_ok=True)
    atomic_write(folder / "count.json", json.dumps(count.to_dict(), indent=2) + "\n")
    write_count_workbook(folder / "count.xlsx", count, ws)
    paths = [folder / "count.json", folder / "count.xlsx"]
    paths += write_exports(folder / "count", count)
    return count, paths


def _newest_file(ws: Workspace) -> float:
    """When the newest committed table was written (0 for an empty workspace)."""
    tables = ws.root / "tables" / "rows"
    return max((p.stat().st_mtime for p in tables.glob("*.parquet")), default=0.0)
