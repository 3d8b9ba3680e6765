"""What the dashboard shows, read from the count ``totalplace count`` wrote
(``DIR/reports/count.json``), with labels a finance officer would write.

The dashboard never counts: every figure here is one the count's report
holds, so the page and the workbook cannot disagree.  A missing report is
said plainly (:class:`NoCount`), never shown as a place that spends nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from totalplace.classify.taxonomy import theme_label
from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.errors import TotalPlaceError
from totalplace.reference.places import Place
from totalplace.report.run import REPORTS

COUNT_FILE = "count.json"

# How the count reached each line, in words (CountLine.method).
METHOD_LABELS = {
    "transactions": "From payments (transactions)",
    "outturn": "From published outturn",
    "apportioned": "Apportioned by a key",
}


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


def method_label(method: str) -> str:
    return METHOD_LABELS.get(method, method.replace("_", " ").capitalize())


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
