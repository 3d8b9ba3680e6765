"""The benchmark written to a reports folder: CSV tables, one HTML page of
charts (with plotly.min.js beside it, so it opens with no network) and a
workbook ``benchmark.xlsx``, all from the dict :func:`totalplace.report.
benchmark.benchmark` returns, so the files, the command's ``--json`` and the
dashboard show the same figures."""

from __future__ import annotations

import csv
import io
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from totalplace.count.benchmark import line_label
from totalplace.money import display_pounds

FOLDER = "benchmark"
PER_HEAD_COLUMNS = (
    "comparator",
    "name",
    "year",
    "line",
    "pence",
    "population",
    "per_head_pence",
    "real_per_head_pence",
    "client",
    "clients",
    "per_client_pence",
    "real_per_client_pence",
    "breaks",
)
POINT_COLUMNS = (
    "indicator",
    "outcome_year",
    "spend_year",
    "gss",
    "name",
    "role",
    "value",
    "per_head_pence",
    "spend_of",
    "denominator",
    "status",
)
FUNNEL_COLUMNS = ("indicator", "denominator", "lower998", "lower95", "upper95", "upper998")
TREND_COLUMNS = ("indicator", "gss", "name", "role", "year", "period", "value")


def tables(data: dict[str, Any]) -> dict[str, tuple[tuple[str, ...], list[list[Any]]]]:
    """Each table of the benchmark: file name -> (columns, rows)."""
    per_head = [
        [r[c] if c != "breaks" else "; ".join(r[c]) for c in PER_HEAD_COLUMNS]
        for r in data["per_head"]
    ]
    themes = [
        [
            r[c]
            for c in (
                "comparator",
                "name",
                "year",
                "theme",
                "pence",
                "population",
                "per_head_pence",
            )
        ]
        for r in data["themes"]
    ]
    points, funnel, trend = [], [], []
    for o in data["outcomes"]:
        for p in o["points"]:
            extra = {
                "indicator": o["id"],
                "outcome_year": o["outcome_year"],
                "spend_year": o["spend_year"],
            }
            points.append([{**p, **extra}[c] for c in POINT_COLUMNS])
        funnel += [[o["id"], *(f[c] for c in FUNNEL_COLUMNS[1:])] for f in o["funnel"]]
        trend += [[o["id"], *(t[c] for c in TREND_COLUMNS[1:])] for t in o["trend"]]
    breaks = [[b["line"], b["year"], b["what"], b["source"]] for b in data["breaks"]]
    return {
        "per_head.csv": (PER_HEAD_COLUMNS, per_head),
        "themes.csv": (
            ("comparator", "name", "year", "theme", "pence", "population", "per_head_pence"),
            themes,
        ),
        "outcomes.csv": (POINT_COLUMNS, points),
        "funnel.csv": (FUNNEL_COLUMNS, funnel),
        "trend.csv": (TREND_COLUMNS, trend),
        "breaks.csv": (("line", "year", "what", "source"), breaks),
    }


def csv_text(columns: tuple[str, ...], rows: list[list[Any]]) -> str:
    from totalplace.sheets import safe_text

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_text(v) if isinstance(v, str) else v for v in row])
    return out.getvalue()


def _figures(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """The charts: spend per head by service for the comparators, then a quadrant
    and (where there is one) a funnel per indicator."""
    import plotly.graph_objects as go

    place = data["place"]["gss"]
    year = data["spend_year"]
    figs: list[tuple[str, Any]] = []
    rows = [r for r in data["per_head"] if r["year"] == year and r["per_head_pence"] is not None]
    bars = go.Figure()
    for key in dict.fromkeys(r["comparator"] for r in rows):
        if key not in (place, "neighbours", "region", "england"):
            continue
        mine = [r for r in rows if r["comparator"] == key]
        bars.add_bar(
            name=mine[0]["name"],
            y=[line_label(r["line"]) for r in mine],
            x=[r["per_head_pence"] / 100 for r in mine],
            orientation="h",
        )
    bars.update_layout(
        barmode="group",
        xaxis_tickprefix="£",
        height=700,
        title=f"Spend per head by service, {year} (cash)",
    )
    figs.append(("per-head", bars))
    for o in data["outcomes"]:
        pts = [p for p in o["points"] if p["per_head_pence"] is not None]
        quad = go.Figure()
        roles = (("other", 6, "Other authorities"), ("neighbour", 10, "Neighbours"),
                 ("place", 14, data["place"]["name"]))  # fmt: skip
        for role, size, label in roles:
            mine = [p for p in pts if p["role"] == role]
            quad.add_scatter(
                name=label,
                mode="markers",
                marker={"size": size},
                x=[p["per_head_pence"] / 100 for p in mine],
                y=[p["value"] for p in mine],
                text=[p["name"] for p in mine],
            )
        if o["england_per_head_pence"] is not None:
            quad.add_vline(x=o["england_per_head_pence"] / 100, line_dash="dot")
        if o["england_value"] is not None:
            quad.add_hline(y=o["england_value"], line_dash="dot")
        quad.update_layout(
            title=f"{o['label']} ({o['outcome_year']}) against spend per head "
            f"on {line_label(o['line']).lower()} ({o['spend_year']})",
            xaxis_tickprefix="£",
        )
        figs.append((f"quadrant-{o['id']}", quad))
        if o["trend"]:
            trend = go.Figure()
            for name in dict.fromkeys(t["name"] for t in o["trend"]):
                mine = [t for t in o["trend"] if t["name"] == name]
                width = {"place": 4, "england": 3}.get(mine[0]["role"], 1)
                trend.add_scatter(
                    name=name,
                    mode="lines+markers",
                    x=[t["year"] for t in mine],
                    y=[t["value"] for t in mine],
                    line_width=width,
                )
            trend.update_layout(title=f"{o['label']} over the years")
            figs.append((f"trend-{o['id']}", trend))
        if o["funnel"]:
            fun = go.Figure()
            xs = [f["denominator"] for f in o["funnel"]]
            for key, dash in (
                ("lower998", "dash"),
                ("lower95", "dot"),
                ("upper95", "dot"),
                ("upper998", "dash"),
            ):
                fun.add_scatter(
                    name=key, mode="lines", line_dash=dash, x=xs, y=[f[key] for f in o["funnel"]]
                )
            mine = [p for p in o["points"] if p["denominator"]]
            fun.add_scatter(
                name="authorities",
                mode="markers",
                x=[p["denominator"] for p in mine],
                y=[p["value"] for p in mine],
                text=[p["name"] for p in mine],
            )
            fun.update_layout(
                title=f"{o['label']} ({o['outcome_year']}): funnel plot", xaxis_type="log"
            )
            figs.append((f"funnel-{o['id']}", fun))
    return figs


def html_page(data: dict[str, Any]) -> str:
    """One HTML page holding every chart, each followed by where its table is."""
    from html import escape

    head = (
        f"<h1>Benchmark: {escape(data['place']['name'])}, {escape(data['spend_year'])}</h1>"
        f"<p>Neighbours: {escape(data['neighbours_source'])}. Every chart's figures are in "
        "the CSV files beside this page.</p>"
    )
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Benchmark"
        f"</title><script src='plotly.min.js'></script></head><body>{head}"
    ]
    for name, fig in _figures(data):
        table = (
            "per_head.csv"
            if name == "per-head"
            else ("funnel.csv and outcomes.csv" if name.startswith("funnel") else "outcomes.csv")
        )
        parts.append(
            f"<section id='{name}'>"
            + fig.to_html(full_html=False, include_plotlyjs=False)
            + f"<p>Table: {table}</p></section>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_workbook(path: Path, data: dict[str, Any]) -> None:
    """``benchmark.xlsx``: one sheet per table, money in pounds."""
    from openpyxl import Workbook

    from totalplace.sheets import append_row, header, pounds

    book = Workbook()
    book.remove(book.active)
    for name, (columns, rows) in tables(data).items():
        sheet = book.create_sheet(name.removesuffix(".csv").replace("_", " ").capitalize())
        header(sheet, list(columns), [18] * len(columns))
        money = tuple(i for i, c in enumerate(columns) if c.endswith("pence"))
        for row in rows:
            cells = [
                pounds(v) if i in money and isinstance(v, int) else v for i, v in enumerate(row)
            ]
            append_row(sheet, cells, money=money)
    book.save(path)


def write_benchmark(folder: Path, data: dict[str, Any]) -> list[Path]:
    """The tables, the charts and the workbook under ``folder/benchmark`` and
    ``folder/benchmark.xlsx``; returns the paths written."""
    out = folder / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (columns, rows) in tables(data).items():
        (out / name).write_text(csv_text(columns, rows), encoding="utf-8")
        paths.append(out / name)
    (out / "benchmark.html").write_text(html_page(data), encoding="utf-8")
    plotly_js = resources.files("plotly").joinpath("package_data", "plotly.min.js")
    shutil.copyfile(str(plotly_js), out / "plotly.min.js")
    paths += [out / "benchmark.html", out / "plotly.min.js"]
    write_workbook(folder / "benchmark.xlsx", data)
    paths.append(folder / "benchmark.xlsx")
    return paths


def summary_lines(data: dict[str, Any]) -> list[str]:
    """The terminal's summary: total spend per head beside each comparator, and
    each indicator's value for the place with its funnel judgement."""
    place = data["place"]["gss"]
    lines = []
    for r in data["per_head"]:
        shown = r["comparator"] in (place, "neighbours", "region", "england")
        if shown and r["year"] == data["spend_year"] and r["line"] == data["total_line"]:
            real = r["per_head_pence"]
            lines.append(
                f"{r['name']}: {display_pounds(real) if real is not None else 'n/a'} "
                f"per head (total service expenditure, {r['year']})"
            )
    for o in data["outcomes"]:
        mine = next((p for p in o["points"] if p["gss"] == place), None)
        if mine is None:
            lines.append(f"{o['label']}: no value published for {data['place']['name']}")
            continue
        status = mine["status"] or (o["funnel_note"] or "")
        lines.append(
            f"{o['label']} {o['outcome_year']}: {mine['value']:g} (England "
            f"{o['england_value'] if o['england_value'] is not None else 'n/a'}); "
            f"{status}"
        )
    return lines
