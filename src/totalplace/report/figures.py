"""The figures the dashboard's pages and the printed reports show, read from
the count's report (``reports/count.json``, through
:mod:`totalplace.report.count_file`), so a page, its API, its CSV downloads
and the place's report cannot disagree: the Overview's figures, every theme
with its total, a theme's deep dive, and a theme per head beside England's
and the region's.

Nothing here knows the dashboard's addresses: its pages add their links to
these figures.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from totalplace.classify.taxonomy import theme_label
from totalplace.errors import TotalPlaceError
from totalplace.report import labels
from totalplace.report.count_file import cells, method_label, overview, summary
from totalplace.report.labels import tier_label

__all__ = [
    "NATIONAL",
    "NationalFigures",
    "NoSuchTheme",
    "kind_label",
    "national_count",
    "overview_data",
    "per_head",
    "theme_view",
    "themes",
]


class NoSuchTheme(TotalPlaceError):
    """The count has no theme of that name (the dashboard answers 404)."""


def overview_data(data: dict[str, Any]) -> dict[str, Any]:
    """The Overview's figures, the same for the page, its CSV downloads,
    ``/api/overview`` and the place's report: the summary (each theme current
    and capital apart), the overview (tiers labelled, the share of payments by
    value classified to a theme) and every cell of theme by agency."""
    s = summary(data)
    o = overview(data)
    all_cells = cells(data)
    o["tiers"] = [{**t, "tier_label": tier_label(t["tier"])} for t in o["tiers"]]
    q = o["quality"]
    q["classified_share"] = (
        round(q["classified_pence"] / q["payments_pence"], 4) if q["payments_pence"] else None
    )
    capital: dict[str, int] = defaultdict(int)
    for line in data.get("lines", []):
        if line.get("capital_revenue") == "capital":
            capital[str(line["theme"])] += int(line["pence"])
    s["by_theme"] = [
        {**t, "capital_pence": capital[t["id"]], "current_pence": t["pence"] - capital[t["id"]]}
        for t in s["by_theme"]
    ]
    return {"summary": s, "overview": o, "cells": all_cells}


def kind_label(kind: str | None) -> str:
    """A kind of public body in words (:func:`totalplace.report.labels.kind_label`);
    nothing for a payee of no known kind."""
    return labels.kind_label(kind) if kind else ""


def _theme_lines(data: dict[str, Any], theme: str) -> list[dict[str, Any]]:
    return [x for x in data.get("lines", []) if x.get("theme") == theme]


def themes(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every theme of the count with its total (after transfers between the
    place's bodies are taken out, as the Overview shows it), largest first."""
    agencies: dict[str, set[str]] = defaultdict(set)
    for x in data.get("lines", []):
        agencies[str(x["theme"])].add(str(x["agency"]))
    out = [
        {"theme": t, "label": theme_label(t), "pence": int(p), "agencies": len(agencies[t])}
        for t, p in data.get("by_theme", {}).items()
    ]
    return sorted(out, key=lambda t: (-t["pence"], t["theme"]))


def theme_view(data: dict[str, Any], theme: str) -> dict[str, Any]:
    """What any user may see of a theme: aggregates only (agencies, tiers,
    transfers between public bodies, pass-through), never a payee's name but
    a public body's.  NoSuchTheme when the count has no such theme."""
    lines = _theme_lines(data, theme)
    if not lines and theme not in data.get("by_theme", {}):
        known = ", ".join(sorted(data.get("by_theme", {})))
        raise NoSuchTheme(f"the count has no theme {theme!r}; its themes: {known or 'none'}")
    lines_pence = sum(int(x["pence"]) for x in lines)
    by_agency: dict[str, int] = defaultdict(int)
    methods: dict[str, set[str]] = defaultdict(set)
    for x in lines:
        by_agency[x["agency"]] += int(x["pence"])
        methods[x["agency"]].add(method_label(str(x["method"])))
    agencies = [
        {"agency": a, "pence": p, "methods": sorted(methods[a]),
         "share": round(p / lines_pence, 4) if lines_pence > 0 else None}
        for a, p in sorted(by_agency.items(), key=lambda kv: (-kv[1], kv[0]))
    ]  # fmt: skip
    by_tier: dict[str, int] = defaultdict(int)
    for x in lines:
        by_tier[str(x["tier"])] += int(x["pence"])
    tiers = [
        {"tier": t, "label": tier_label(t), "pence": p,
         "share": round(p / lines_pence, 4) if lines_pence > 0 else None}
        for t, p in sorted(by_tier.items(), key=lambda kv: _tier_order(kv[0]))
    ]  # fmt: skip
    transfers = [
        {"agency": t["agency"], "payee": t["payee"],
         "payee_kind": kind_label(t.get("payee_kind")),
         "pence": int(t["pence"]), "rows": int(t.get("rows", 0)),
         "eliminated": bool(t["eliminated"]), "reason": t.get("reason", "")}
        for t in data.get("transfers", []) if t.get("theme") == theme
    ]  # fmt: skip
    transfers.sort(key=lambda t: (not t["eliminated"], -t["pence"], t["agency"], t["payee"]))
    passing = [
        {"agency": x["agency"], "pence": int(x["pence"]), "source": x.get("source", "")}
        for x in data.get("pass_through", [])
        if x.get("theme") == theme
    ]
    eliminated = sum(t["pence"] for t in transfers if t["eliminated"])
    return {
        "theme": theme,
        "label": theme_label(theme),
        # the theme in the count, as the Overview shows it
        "pence": int(data.get("by_theme", {}).get(theme, lines_pence - eliminated)),
        "lines_pence": lines_pence,
        "transfers_eliminated_pence": eliminated,
        "transfers_kept_pence": sum(t["pence"] for t in transfers if not t["eliminated"]),
        "pass_through_pence": sum(p["pence"] for p in passing),
        "all_pass_through_pence": int(data.get("pass_through_pence", 0)),
        "from_payments_pence": sum(int(x["pence"]) for x in lines if x["method"] == "transactions"),
        "agencies": agencies,
        "tiers": tiers,
        "transfers": transfers,
        "pass_through": passing,
    }


def _tier_order(tier: str) -> tuple[int, str]:
    """Universal first, through to acute (the taxonomy's order), then the rest."""
    order = ("universal", "targeted", "acute")
    return (order.index(tier) if tier in order else len(order), tier)


class NationalFigures:
    """Every English authority's top-down count by year, worked out once per
    year while the server runs.  It reads all the reference data (about a
    minute on two cores), so it runs in the background: the first page to
    need a year starts it and says so, and later pages use it."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="national")
        self._years: dict[str, Future[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def compute(year: str) -> dict[str, Any]:
        # the copy the Places page keeps too, so each year is worked out once
        return national_count(year)

    def get(self, year: str) -> dict[str, Any] | None:
        """The figures for ``year``, or None while they are being worked out;
        an error the computation raised is raised here."""
        with self._lock:
            job = self._years.get(year)
            if job is None:
                job = self._years[year] = self._pool.submit(self.compute, year)
        if not job.done():
            return None
        return job.result()


NATIONAL = NationalFigures()


def _units(spec: str) -> list[str]:
    """The current English lowest-tier authorities a place's spec names (a
    county stands for its districts); none for a place the registry lacks."""
    from totalplace.reference.places import registry

    reg = registry()
    units: list[str] = []
    for code in (c.strip() for c in spec.split(",")):
        try:
            units += [u for u in reg.units(code) if u not in units]
        except TotalPlaceError:
            continue
    return units


def per_head(
    data: dict[str, Any], theme: str, national_figures: NationalFigures | None = None
) -> dict[str, Any]:
    """The theme per head in the place beside England's and the place's
    region's, all three from the top-down count (the same method, so like is
    compared with like), and the place's own count per head when its
    population is known.  Says why when a figure cannot be given.
    ``national_figures`` are those kept while the program runs (:data:`NATIONAL`)."""
    from totalplace.count.topdown import per_head as pence_per_head

    year = str(data.get("year", ""))
    place = data.get("place", {})
    own_pop = int(data.get("population", 0))
    own = int(data.get("by_theme", {}).get(theme, 0))
    out: dict[str, Any] = {
        "available": False,
        "reason": "",
        "count_per_head_pence": pence_per_head(own, own_pop) if own_pop else None,
    }
    units = _units(str(place.get("spec", "")))
    if not units:
        out["reason"] = (
            f"the place ({place.get('name', '')}) is not an English authority or a group "
            "of them, so the national figures hold nothing to set beside it"
        )
        return out
    try:
        national = (national_figures or NATIONAL).get(year)
    except TotalPlaceError as exc:
        out["reason"] = f"the national figures for {year} cannot be worked out: {exc}"
        return out
    if national is None:
        out["pending"] = True
        out["reason"] = (
            f"England's and the region's figures for {year} are being worked out (about a "
            "minute, once while the server runs): reload the page shortly"
        )
        return out
    places = {p["gss"]: p for p in national.get("places", [])}
    mine = [places[u] for u in units if u in places]
    if not mine:
        out["reason"] = f"the place's authorities are not in the national figures for {year}"
        return out

    def head(group: list[dict[str, Any]]) -> int:
        pence = sum(int(p["by_theme"].get(theme, 0)) for p in group)
        return pence_per_head(pence, sum(int(p["population"]) for p in group))

    regions = sorted({str(p.get("region", "")) for p in mine})
    region = [p for p in places.values() if p.get("region") in regions]
    out.update(
        available=True,
        year=year,
        place_pence=head(mine),
        region=" and ".join(regions),
        region_pence=head(region),
        england_pence=head(list(places.values())),
    )
    return out


_lock = threading.Lock()
# Each year's national count once worked out, for as long as the program runs.
KEPT_YEARS: dict[str, dict[str, Any]] = {}


def national_count(year: str, kept: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``topdown --all`` for ``year``, worked out once per year and kept (in
    ``kept``, :data:`KEPT_YEARS` unless given): it reads every authority's
    reference data, which takes seconds.  A year the reference data do not
    hold raises their TotalPlaceError, and nothing is kept for it."""
    years = KEPT_YEARS if kept is None else kept
    with _lock:
        if year in years:
            return years[year]
        from totalplace.count.national import topdown_all  # loaded when first asked for

        found: dict[str, Any] = topdown_all(year)
        years[year] = found
        return found
