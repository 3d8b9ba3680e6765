"""The count as ``totalplace count`` wrote it (``DIR/reports/count.json``),
read for the dashboard, the place's report and the commands that work from a
count, with labels a finance officer would write.

Nothing here counts: every figure is one the count's report holds, so a
page, the place's report and the workbook cannot disagree.  A missing report is
said plainly (:class:`NoCount`), never shown as a place that spends nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

from totalplace.classify.taxonomy import theme_label
from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.errors import TotalPlaceError
from totalplace.reference.places import Place
from totalplace.report.labels import method_label as method_label  # read with the rest here
from totalplace.report.run import REPORTS

COUNT_FILE = "count.json"


class NoCount(TotalPlaceError):
    """The workspace holds no count report yet."""


def count_path(root: Path) -> Path:
    return root / REPORTS / COUNT_FILE


def read_count(root: Path) -> dict[str, Any]:
    """The count report as ``totalplace count`` wrote it."""
    path = count_path(root)
    if not path.exists():
        raise NoCount(
            f"no count has been run in this workspace ({path} does not exist): "
            f"run `totalplace count {root}` and reload"
        )
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NoCount(
            f"{path} cannot be read ({exc}): run `totalplace count {root}` again"
        ) from exc
    return data


def _parts(by: dict[str, int], label: Any = None) -> list[dict[str, Any]]:
    return [
        {"id": key, "label": label(key) if label else key, "pence": int(pence)}
        for key, pence in by.items()
    ]


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """The aggregates any role may see: totals, and pence by theme, agency,
    service and method.  No transaction row and no supplier name is here."""
    total = int(data.get("total_pence", 0))
    by_method = {str(k): int(v) for k, v in data.get("by_method", {}).items()}
    return {
        "place": data.get("place", {}).get("name", ""),
        "year": data.get("year", ""),
        "population": int(data.get("population", 0)),
        "total_pence": total,
        "per_head_pence": int(data.get("per_head_pence", 0)),
        "bottom_up_pence": int(data.get("bottom_up_pence", 0)),
        "top_down_pence": int(data.get("top_down_pence", 0)),
        "transfers_eliminated_pence": int(data.get("transfers_eliminated_pence", 0)),
        "pass_through_pence": int(data.get("pass_through_pence", 0)),
        "by_theme": _parts(data.get("by_theme", {}), theme_label),
        "by_agency": _parts(data.get("by_agency", {})),
        "by_service": _parts(data.get("by_service", {}), theme_label),
        "by_method": [
            {**p, "share": round(p["pence"] / total, 4) if total > 0 else None}
            for p in _parts(by_method, method_label)
        ],
    }


def cells(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Pence by theme and agency (the treemap's cells), largest first."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for line in data.get("lines", []):
        out[(str(line["theme"]), str(line["agency"]))] += int(line["pence"])
    return [
        {"theme": t, "theme_label": theme_label(t), "agency": a, "pence": p}
        for (t, a), p in sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def place_count(data: dict[str, Any]) -> PlaceCount:
    """The count's lines as :class:`PlaceCount`, enough for
    :func:`totalplace.count.trace.trace` to find a cell's rows by the same
    lines the report shows (it reads the lines and the year, nothing else)."""
    place = data.get("place", {})
    lines = [
        CountLine(**{**line, "flags": tuple(line.get("flags", ()))})
        for line in data.get("lines", [])
    ]
    return PlaceCount(
        place=Place(
            spec=str(place.get("spec", "")),
            name=str(place.get("name", "")),
            codes=(),
            units=(),
            as_was=tuple(place.get("as_was", ())),
        ),
        year=str(data.get("year", "")),
        engine=str(data.get("engine", "duckdb")),
        population=int(data.get("population", 0)),
        lines=lines,
    )


# What each confidence grade on a line means (CountLine.grade).
GRADE_LABELS = {
    "A": "A: the body's own payments or outturn",
    "B": "B: outturn shared by population, or themes from the model",
    "C": "C: apportioned by residents, or set apart by a rule",
    "D": "D: apportioned by a proxy",
}
# Cells below this share of the place's total are listed under the treemap,
# which cannot label them legibly.
SMALL_SHARE = Fraction(1, 100)


def _sum_by(lines: list[dict[str, Any]], *keys: str) -> dict[tuple[str, ...], int]:
    out: dict[tuple[str, ...], int] = defaultdict(int)
    for line in lines:
        out[tuple(str(line.get(k, "")) for k in keys)] += int(line["pence"])
    return out


def overview(data: dict[str, Any]) -> dict[str, Any]:
    """Everything the Overview page shows, as aggregates any role may see:
    current and capital apart, the confidence grades, the flows from funder
    to agency to theme, the prevention split by theme, and the cells too
    small for the treemap to label.  Every part sums to the count's total."""
    lines = [x for x in data.get("lines", []) if int(x["pence"]) != 0]
    total = int(data.get("total_pence", 0))
    kind = _sum_by(lines, "capital_revenue")
    grades = _sum_by(lines, "grade")
    tiers = _sum_by(lines, "theme", "tier")
    flows_in = _sum_by(lines, "funder", "agency")
    flows_out = _sum_by(lines, "agency", "theme")
    all_cells = cells(data)
    small = [
        c for c in all_cells if total > 0 and c["pence"] > 0 and c["pence"] < total * SMALL_SHARE
    ]
    coverage = data.get("coverage", [])
    classification = data.get("classification", {})
    classified = sum(int(c.get("total_pence", 0)) for c in classification.values())
    unclassified = sum(int(c.get("unclassified_pence", 0)) for c in classification.values())
    return {
        "current_pence": sum(p for (k,), p in kind.items() if k != "capital"),
        "capital_pence": kind.get(("capital",), 0),
        "set_apart_pence": int(data.get("set_apart_pence", 0)),
        "by_grade": [
            {"id": g, "label": GRADE_LABELS.get(g, g), "pence": p}
            for (g,), p in sorted(grades.items())
        ],
        "tiers": [
            {"theme": t, "theme_label": theme_label(t), "tier": tier, "pence": p}
            for (t, tier), p in sorted(tiers.items())
        ],
        "flows": [
            {"source": f, "target": a, "stage": "funder", "pence": p}
            for (f, a), p in sorted(flows_in.items(), key=lambda kv: -kv[1])
            if p > 0
        ]
        + [
            {"source": a, "target": theme_label(t), "stage": "agency", "pence": p}
            for (a, t), p in sorted(flows_out.items(), key=lambda kv: -kv[1])
            if p > 0
        ],
        "small_cells": small,
        "quality": {
            "bodies_with_payments": len(coverage),
            "bodies_full_year": sum(1 for c in coverage if int(c.get("months", 0)) >= 12),
            "classified_pence": classified - unclassified,
            "payments_pence": classified,
            "warnings": len(data.get("warnings", [])),
        },
    }
