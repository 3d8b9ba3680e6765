"""The figures of a place's report, each taken from where the dashboard and the
other commands take it, never worked out again here.

The count is the workspace's ``reports/count.json`` read through the
functions the dashboard's pages show it with (:mod:`totalplace.report.figures`:
the Overview's ``overview_data``, the theme pages' ``themes``, ``theme_view``
and ``per_head``), so the report, the dashboard and the workbook cannot
disagree.  The other parts are read when the workspace has them and
said to be absent, with the command that makes them, when it does not: the
opportunities register (as ``totalplace opportunities`` builds it), the business cases
(``cases/*.toml``, appraised as ``totalplace case`` appraises them), the
benchmark (for a place that is one current council), and the barriers
register and decisions log.
"""

from __future__ import annotations

import csv
import statistics
import time
from pathlib import Path
from typing import Any

from totalplace.errors import TotalPlaceError

CASES_DIR = "cases"
OPPORTUNITIES_CSV = "opportunities.csv"


def _part(available: bool, reason: str = "", **figures: Any) -> dict[str, Any]:
    return {"available": available, "reason": reason, **figures}


# England's and the region's figures per head are worked out once per year in
# the background (about a minute); a report waits for them this long at most.
NATIONAL_WAIT_SECONDS = 300


def _per_head(data: dict[str, Any], theme: str, deadline: float) -> dict[str, Any]:
    """The theme page's per head beside England and the region, waiting while
    the national figures are still being worked out."""
    from totalplace.report.figures import per_head

    found = per_head(data, theme)
    while found.get("pending") and time.monotonic() < deadline:
        time.sleep(1)
        found = per_head(data, theme)
    return found


def count_part(data: dict[str, Any]) -> dict[str, Any]:
    """The Overview's figures and every theme's deep dive."""
    from totalplace.report.figures import overview_data, theme_view, themes

    d = overview_data(data)
    deadline = time.monotonic() + NATIONAL_WAIT_SECONDS
    return {
        "summary": d["summary"],
        "overview": d["overview"],
        "cells": d["cells"],
        "themes": [
            {
                **t,
                "view": theme_view(data, t["theme"]),
                "per_head": _per_head(data, t["theme"], deadline),
            }
            for t in themes(data)
        ],
    }


def benchmark_part(data: dict[str, Any]) -> dict[str, Any]:
    """Spend per head beside the nearest neighbours, and outcome indicators, for
    a place that is one current council; otherwise why there is none."""
    from totalplace.report.benchmark import benchmark

    place = data.get("place", {})
    spec = str(place.get("spec", ""))
    try:
        found = benchmark(spec, str(data.get("year", "")), with_themes=False)
    except TotalPlaceError as exc:
        return _part(False, f"no benchmark for {place.get('name') or spec}: {exc}")
    near = {n["gss"] for n in found["neighbours"]}
    rows = [h for h in found["per_head"] if h["year"] == found["spend_year"]]
    own = {h["line"]: h for h in rows if h["comparator"] == found["place"]["gss"]}
    lines = []
    for line, h in sorted(own.items()):
        theirs = [
            int(x["per_head_pence"]) for x in rows
            if x["line"] == line and x["comparator"] in near and x["per_head_pence"] is not None
        ]  # fmt: skip
        lines.append(
            {
                "line": line,
                "per_head_pence": h["per_head_pence"],
                "neighbours_median_pence": int(statistics.median(theirs)) if theirs else None,
                "neighbours": len(theirs),
            }
        )
    outcomes = []
    for o in found["outcomes"]:
        mine = next((p for p in o.get("points", []) if p.get("role") == "place"), None)
        outcomes.append(
            {
                "label": o["label"],
                "year": o.get("outcome_year"),
                "value": mine.get("value") if mine else None,
                "status": mine.get("status") if mine else "no figure",
                "england_value": o.get("england_value"),
            }
        )
    return _part(
        True,
        place=found["place"],
        spend_year=found["spend_year"],
        notes=found["notes"],
        neighbours=found["neighbours"],
        neighbours_source=found["neighbours_source"],
        lines=lines,
        outcomes=outcomes,
    )


def opportunities_part(root: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The register as ``totalplace opportunities`` lists it: built from this
    count with the workspace's marks, or, where the folder is not a workspace
    with its store, as the command last wrote it (``reports/opportunities.csv``)."""
    from totalplace.opportunities.register import register_and_left_out
    from totalplace.report.run import REPORTS
    from totalplace.workspace import Workspace

    try:
        built = register_and_left_out(Workspace.open(root), data)
    except TotalPlaceError:
        built = None
    if built is not None:
        kept, left_out = built
        items = [{**x.to_dict(), "agencies": ", ".join(x.agencies)} for x in kept]
        return _part(True, source=f"built from the count: totalplace opportunities {root}",
                     register=items, left_out=left_out)  # fmt: skip
    path = root / REPORTS / OPPORTUNITIES_CSV
    if not path.exists():
        return _part(False, f"no opportunities register yet: run `totalplace opportunities {root}`")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [
            {**row, "value_pence": int(row.get("value_pence") or 0)} for row in csv.DictReader(fh)
        ]
    rows.sort(key=lambda r: (-int(r["value_pence"]), str(r.get("id", ""))))
    return _part(True, source=str(path), register=rows)


def cases_part(root: Path) -> dict[str, Any]:
    """Each case file appraised, with its headline and inputs tables; a case that
    cannot be appraised is listed with its error and stops no other."""
    from totalplace.case import appraise
    from totalplace.case.model import parse_case
    from totalplace.case.view import case_view
    from totalplace.tomlfile import read_toml

    folder = root / CASES_DIR
    files = sorted(p for p in folder.glob("*.toml") if p.is_file()) if folder.is_dir() else []
    if not files:
        return _part(False, f"no business cases: put case files (TOML) in {folder}")
    cases = []
    for path in files:
        shown = f"{CASES_DIR}/{path.name}"
        try:
            view = case_view(appraise(parse_case(read_toml(path, "case file"), shown)))
        except TotalPlaceError as exc:
            cases.append({"file": shown, "error": str(exc)})
            continue
        cases.append(
            {
                "file": shown,
                "title": view["title"],
                "facts": view["facts"],
                "headline": view["tables"]["headline"],
                "inputs": view["tables"]["inputs"],
            }
        )
    return _part(True, cases=cases)


def barriers_part(root: Path) -> dict[str, Any]:
    """The barriers register, the asks of central government grouped by
    department with the money at stake, and the partnership's decisions."""
    from totalplace.culture import asks_by_department, read_decisions, read_register

    barriers = read_register(root)
    decisions = read_decisions(root)
    if not barriers and not decisions:
        return _part(False, f"no barriers raised yet: run `totalplace barriers {root} add ...`")
    return _part(
        True,
        barriers=[
            {
                "id": b.id,
                "title": b.title,
                "type": b.type,
                "status": b.status,
                "owner": b.owner.shown,
                "theme": b.theme,
                "effect": b.effect,
                "impact_pence": b.impact_pence,
                "ask": b.ask,
            }
            for b in barriers
        ],
        asks=asks_by_department(barriers),
        decisions=[
            {"id": d.id, "date": d.date, "what": d.what, "by": ", ".join(d.by)} for d in decisions
        ],
    )


def gather(root: Path) -> dict[str, Any]:
    """Every part of the report, read from the workspace at ``root``.
    Raises NoCount (a TotalPlaceError) when the workspace has no count."""
    from totalplace.report.count_file import read_count

    data = read_count(root)
    return {
        "data": data,
        "count": count_part(data),
        "benchmark": benchmark_part(data),
        "opportunities": opportunities_part(root, data),
        "cases": cases_part(root),
        "barriers": barriers_part(root),
    }
