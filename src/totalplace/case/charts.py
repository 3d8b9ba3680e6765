"""The charts a partner wants from a case, as Plotly figures and one self-contained HTML file.

Four charts: the waterfall from costs to net present value, who pays for whose
saving (a Sankey), the Monte Carlo NPV histogram and the tornado.  Figures are
plain dicts of Plotly's JSON schema, so a dashboard can draw the same ones.

The HTML file inlines Plotly.js from the installed ``plotly`` package and refers
to nothing outside itself, so it can be e-mailed and opened offline.  Labels and
titles come from users' files, so they are escaped twice over: as text for
Plotly (which otherwise reads ``<b>``, ``<br>`` and ``<a href>`` in labels), and
as JSON inside a script element with ``<``, ``>`` and ``&`` written as ``\\u003c``
and so on, so no label can close the element.

Money is exact in hover text (to the penny) and shown in whole pounds on bars and
axes; amounts travel as pounds (pence / 100) because a chart needs numbers, and
the exact pence ride along as text.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from totalplace.errors import ConfigError
from totalplace.money import pounds
from totalplace.workspace import atomic_write

__all__ = ["figures", "write_case_html"]

Figure = dict[str, object]

NET = "Net present value"
_INCREASE, _DECREASE, _TOTAL = "#2e7d32", "#c62828", "#1f4e79"
_PAYER, _BENEFICIARY = "#1f4e79", "#2e7d32"


def figures(
    *,
    title: str,
    waterfall: list[tuple[str, int]],
    flows: list[tuple[str, str, int]],
    npv_samples: Sequence[float] | None,
    tornado: list[tuple[str, int, int]] | None,
) -> list[dict[str, object]]:
    """The case's charts as Plotly figure dicts (``data`` and ``layout``), JSON-ready.

    The waterfall's steps add up to the NPV, its last bar, which is also the base
    the tornado's bars swing around.  A chart with nothing to show is left out:
    flows of zero, no samples, no tornado.  ``title`` names the case in each chart.
    """
    npv = sum(pence for _, pence in waterfall)
    charts = [_waterfall(title, waterfall, npv)]
    if any(pence for _, _, pence in flows):
        charts.append(_flows(title, flows))
    if npv_samples is not None:
        charts.append(_histogram(title, npv_samples))
    if tornado:
        charts.append(_tornado(title, tornado, npv))
    return charts


def write_case_html(
    path: Path,
    *,
    title: str,
    waterfall: list[tuple[str, int]],
    flows: list[tuple[str, str, int]],
    npv_samples: Sequence[float] | None = None,
    tornado: list[tuple[str, int, int]] | None = None,
) -> None:
    """Write the charts to ``path``: one HTML file with Plotly.js inside, no network needed."""
    if not path.parent.is_dir():
        raise ConfigError(f"{path.parent} is not a folder: create it or write the charts elsewhere")
    charts = figures(
        title=title, waterfall=waterfall, flows=flows, npv_samples=npv_samples, tornado=tornado
    )
    atomic_write(path, _page(title, charts))


def _script_json(value: object) -> str:
    """JSON that is safe inside a ``<script>`` element whatever strings it holds."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    # These characters only occur inside JSON strings, where the escapes mean the same.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(title: str, charts: list[dict[str, object]]) -> str:
    from plotly.offline import get_plotlyjs

    plotly_js = get_plotlyjs()
    if "</script" in plotly_js.lower():  # would end the inline element early
        raise RuntimeError("the installed Plotly.js cannot be inlined in a script element")
    heading = html.escape(title)
    divs = "\n".join(f'<div class="chart" id="chart-{i}"></div>' for i in range(len(charts)))
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }}
.chart {{ height: 34rem; margin-bottom: 2.5rem; }}
</style>
<script>{plotly_js}</script>
</head>
<body>
<h1>{heading}</h1>
{divs}
<script type="application/json" id="case-figures">{_script_json(charts)}</script>
<script>
(function () {{
  var charts = JSON.parse(document.getElementById("case-figures").textContent);
  charts.forEach(function (figure, i) {{
    Plotly.newPlot("chart-" + i, figure.data, figure.layout,
                   {{responsive: true, displaylogo: false}});
  }});
}})();
</script>
</body>
</html>
"""


def _text(label: str) -> str:
    """A user's label as Plotly text: shown as written, never read as markup."""
    return html.escape(label, quote=False)


def _whole_pounds(pence: int) -> str:
    """``-£1,235`` from -123450: half-even to the pound, for bars and markers."""
    whole, rest = divmod(abs(pence), 100)
    if rest > 50 or (rest == 50 and whole % 2):
        whole += 1
    return f"{'-' if pence < 0 and whole else ''}£{whole:,}"


def _layout(chart: str, case_title: str, **extra: object) -> dict[str, object]:
    return {
        "title": {"text": f"{_text(case_title)}: {chart}"},
        "separators": ".,",
        "margin": {"t": 80, "l": 60, "r": 40, "b": 60},
        **extra,
    }


def _waterfall(case_title: str, steps: list[tuple[str, int]], npv: int) -> Figure:
    labels = [_text(label) for label, _ in steps] + [NET]
    pence = [p for _, p in steps] + [npv]
    trace = {
        "type": "waterfall",
        "name": NET,
        "orientation": "v",
        "measure": ["relative"] * len(steps) + ["total"],
        "x": labels,
        "y": [p / 100 for p in pence],
        "text": [_whole_pounds(p) for p in pence],
        "textposition": "outside",
        "hovertext": [pounds(p) for p in pence],
        "hovertemplate": "%{x}: %{hovertext}<extra></extra>",
        "increasing": {"marker": {"color": _INCREASE}},
        "decreasing": {"marker": {"color": _DECREASE}},
        "totals": {"marker": {"color": _TOTAL}},
        "connector": {"line": {"color": "#888888"}},
    }
    layout = _layout(
        "costs and savings to net present value (PV)",
        case_title,
        yaxis={"title": {"text": "Present value"}, **_axis()},
        showlegend=False,
    )
    return {"data": [trace], "layout": layout}


def _flows(case_title: str, flows: list[tuple[str, str, int]]) -> Figure:
    drawn = [(a, b, p) for a, b, p in flows if p > 0]
    losses = [(a, b, p) for a, b, p in flows if p < 0]
    payers = list(dict.fromkeys(a for a, _, _ in drawn))
    beneficiaries = list(dict.fromkeys(b for _, b, _ in drawn))
    # An agency can both pay and benefit: it gets a node on each side.
    nodes = [_text(a) for a in payers] + [_text(b) for b in beneficiaries]
    trace = {
        "type": "sankey",
        "arrangement": "snap",
        "valueformat": ",.2f",
        "node": {
            "label": nodes,
            "color": [_PAYER] * len(payers) + [_BENEFICIARY] * len(beneficiaries),
            "customdata": ["pays"] * len(payers) + ["benefits"] * len(beneficiaries),
            "hovertemplate": "%{label} %{customdata}: £%{value:,.2f}<extra></extra>",
            "pad": 18,
        },
        "link": {
            "source": [payers.index(a) for a, _, _ in drawn],
            "target": [len(payers) + beneficiaries.index(b) for _, b, _ in drawn],
            "value": [p / 100 for _, _, p in drawn],
            "customdata": [pounds(p) for _, _, p in drawn],
            "hovertemplate": (
                "%{source.label} pays towards %{target.label}'s saving: %{customdata}"
                "<extra></extra>"
            ),
        },
    }
    annotations = []
    if losses:
        listed = "; ".join(f"{_text(a)} to {_text(b)}: {pounds(p)}" for a, b, p in losses)
        annotations.append(
            {
                "text": f"Not drawn, as they are losses rather than savings: {listed}",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.08,
                "showarrow": False,
                "align": "left",
            }
        )
    layout = _layout("who pays (left) for whose saving (right), PV", case_title)
    layout["annotations"] = annotations
    return {"data": [trace], "layout": layout}


def _histogram(case_title: str, samples: Sequence[float]) -> Figure:
    values = np.asarray(samples, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no NPV samples to chart: pass None to leave the histogram out")
    if not np.isfinite(values).all():
        raise ValueError("NPV samples must be finite numbers of pounds")
    p10, p50, p90 = (float(v) for v in np.percentile(values, [10, 50, 90]))
    above = float(np.mean(values > 0))
    trace = {
        "type": "histogram",
        "name": "NPV",
        "x": [float(v) for v in values],
        "marker": {"color": _TOTAL},
        "hovertemplate": "NPV £%{x}: %{y:,} runs<extra></extra>",
    }
    shapes: list[dict[str, object]] = []
    annotations: list[dict[str, object]] = []
    # Percentile notes sit at different heights so close percentiles stay readable.
    for name, value, dash, height in (
        ("P10", p10, "dot", 1.01),
        ("P50", p50, "dash", 1.06),
        ("P90", p90, "dot", 1.01),
    ):
        shapes.append(_vertical_line(value, dash))
        annotations.append(_marker_note(f"{name} {_float_pounds(value)}", value, height))
    layout = _layout(
        f"NPV across {values.size:,} Monte Carlo runs, {above:.1%} of them above zero",
        case_title,
        xaxis={"title": {"text": "Net present value"}, **_axis()},
        yaxis={"title": {"text": "Runs"}},
        bargap=0.05,
        showlegend=False,
        shapes=shapes,
        annotations=annotations,
    )
    return {"data": [trace], "layout": layout}


def _tornado(case_title: str, bars: list[tuple[str, int, int]], npv: int) -> Figure:
    ordered = sorted(bars, key=lambda bar: (-abs(bar[2] - bar[1]), bar[0]))
    names = [_text(name) for name, _, _ in ordered]
    traces = []
    lows, highs = [low for _, low, _ in ordered], [high for _, _, high in ordered]
    for end, ends, colour in (("low", lows, _DECREASE), ("high", highs, _INCREASE)):
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"Input at its {end} value",
                "y": names,
                "x": [(e - npv) / 100 for e in ends],
                "base": npv / 100,
                "marker": {"color": colour},
                "hovertext": [pounds(e) for e in ends],
                "hovertemplate": f"%{{y}} at its {end} value: NPV %{{hovertext}}<extra></extra>",
            }
        )
    layout = _layout(
        "what moves the NPV most",
        case_title,
        barmode="overlay",
        xaxis={"title": {"text": "Net present value"}, **_axis()},
        yaxis={"autorange": "reversed", "automargin": True},
        shapes=[_vertical_line(npv / 100, "solid")],
        annotations=[_marker_note(f"Base NPV {_whole_pounds(npv)}", npv / 100, 1.02)],
        legend={"orientation": "h", "y": -0.15},
    )
    return {"data": traces, "layout": layout}


def _axis() -> dict[str, object]:
    return {"tickprefix": "£", "tickformat": ",.0f", "zeroline": True}


def _float_pounds(value: float) -> str:
    whole = round(value)
    return f"{'-' if whole < 0 else ''}£{abs(whole):,}"


def _vertical_line(x: float, dash: str) -> dict[str, object]:
    return {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"color": "#333333", "dash": dash, "width": 1.5},
    }


def _marker_note(text: str, x: float, y: float) -> dict[str, object]:
    return {"text": text, "xref": "x", "yref": "paper", "x": x, "y": y, "showarrow": False}
