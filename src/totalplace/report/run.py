"""Run the count on a workspace: classify and resolve first where that has not
been done, count, and write the reports beside the data.

It lives in ``report`` because it writes the reports: the count itself
(:mod:`totalplace.count`) never imports ``report``, so the reports read the
count and never the reverse."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from totalplace.classify import classify_workspace
from totalplace.count.cube import build_count
from totalplace.count.place_count import PlaceCount
from totalplace.method import method_version
from totalplace.orgs.resolve import resolve_workspace
from totalplace.report.count_workbook import write_count_workbook
from totalplace.report.export import write_exports
from totalplace.workspace import Workspace, atomic_write

REPORTS = "reports"


def count_workspace(
    ws: Workspace, engine: str = "duckdb", gross: Sequence[str] = ()
) -> tuple[PlaceCount, list[Path]]:
    """The place's count, with the reports written under ``DIR/reports``:
    ``count.json``, ``count.xlsx`` and ``count/`` (CSV, Parquet and a Fiscal
    Data Package).  Classification and supplier resolution run first, so the
    count always reflects the current rules, bodies and files.  Runs under the
    workspace's writer lock: no ingest or removal changes the files mid-count.

    A store whose table files are missing, cut short or not the ones committed
    is refused before anything is classified or counted (WorkspaceError naming
    the files and the repair), as the command line refuses it: a count over a
    lost file would be short without saying so."""
    with ws.writing():
        ws.require_intact()
        return _count(ws, engine, gross)


def _count(ws: Workspace, engine: str, gross: Sequence[str]) -> tuple[PlaceCount, list[Path]]:
    if ws.committed_ids():  # with no spend files, the count is top down alone
        classify_workspace(ws, engine)
        resolve_workspace(ws)
    count = build_count(ws, engine, gross)  # gross: bodies counted from their payments
    folder = ws.root / REPORTS
    folder.mkdir(exist_ok=True)
    # the method the count followed (taxonomy, keys, rules, scenarios), so counts
    # of places in a network can be seen to be comparable
    data = {**count.to_dict(), "method_version": method_version(ws.root)}
    atomic_write(folder / "count.json", json.dumps(data, indent=2) + "\n")
    write_count_workbook(folder / "count.xlsx", count, ws)
    paths = [folder / "count.json", folder / "count.xlsx"]
    paths += write_exports(folder / "count", count)
    return count, paths
