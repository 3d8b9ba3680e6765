"""The charts a partner wants from a case, as Plotly figures and one self-contained HTML file.

Four charts: the waterfall from costs to net present value, who pays for whose
saving (a Sankey), the Monte Carlo NPV histogram and the tornado.  Figures are
plain dicts of Plotly's JSON schema, so a dashboard can draw the same ones.

:func:`write_case_html` writes the charts alone; ``case --html`` and the
dashboard show them beside their tables in the case's page
(:mod:`totalplace.case.page`).  The HTML file inlines Plotly.js from the
installed ``plotly`` package and refers to nothing outside itself, so it can be
e-mailed and opened offline.  Labels and titles come from users' files, so they
are escaped twice over: as text for Plotly (which otherwise reads ``<b>``,
``<br>`` and ``<a href>`` in labels), and as JSON inside a script element with
``<``, ``>`` and ``&`` written as ``\\u003c`` and so on, so no label can close the
element.

Money is exact in hover text (to the penny) and shown in whole pounds on bars and
axes, a loss with the minus sign U+2212 (axis ticks are written here, as Plotly
would put the sign after the pound sign); amounts travel as pounds (pence / 100)
because a chart needs numbers, and the exact pence ride along as text.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from totalplace.errors import ConfigError
from totalplace.money import display_pounds
from totalplace.workspace import atomic_write

__all__ = ["chart_set", "figures", "whole_pounds", "write_case_html"]

Figure = dict[str, object]

NET = "Net present value"
MINUS = "\u2212"
# A tornado's bar is named by a sentence; longer ones wrap onto a second line.
_WRAP = 44
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
    return list(
        chart_set(
            title=title, waterfall=waterfall, flows=flows, npv_samples=npv_samples, tornado=tornado
        ).values()
    )


def chart_set(
    *,
    title: str,
    waterfall: list[tuple[str, int]],
    flows: list[tuple[str, str, int]],
    npv_samples: Sequence[float] | None,
    tornado: list[tuple[str, int, int]] | None,
) -> dict[str, Figure]:
    """:func:`figures` by name (``waterfall``, ``flows``, ``histogram``, ``tornado``),
    so a page can put each chart beside the table of the same figures."""
    npv = sum(pence for _, pence in waterfall)
    charts = {"waterfall": _waterfall(title, waterfall, npv)}
    if any(pence for _, _, pence in flows):
        charts["flows"] = _flows(title, flows)
    if npv_samples is not None:
        charts["histogram"] = _histogram(title, npv_samples)
    if tornado:
        charts["tornado"] = _tornado(title, tornado, npv)
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


def whole_pounds(pence: int) -> str:
    """``-£1,235`` from -123450, the minus being U+2212 so a loss is never read as a
    dash: half-even to the pound, for bars, markers and axes."""
    whole, rest = divmod(abs(pence), 100)
    if rest > 50 or (rest == 50 and whole % 2):
        whole += 1
    return f"{MINUS if pence < 0 and whole else ''}£{whole:,}"


def _layout(chart: str, case_title: str, **extra: object) -> dict[str, object]:
    return {
        # wrapped and set at the left, so a long case title is never cut off
        "title": {
            "text": _wrapped(f"{_text(case_title)}: {chart}", 70),
            "x": 0.01,
            "xanchor": "left",
        },
        "separators": ".,",
        "margin": {"t": 100, "l": 60, "r": 40, "b": 60},
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
        "text": [whole_pounds(p) for p in pence],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertext": [display_pounds(p) for p in pence],
        "hovertemplate": "%{x}: %{hovertext}<extra></extra>",
        "increasing": {"marker": {"color": _INCREASE}},
        "decreasing": {"marker": {"color": _DECREASE}},
        "totals": {"marker": {"color": _TOTAL}},
        "connector": {"line": {"color": "#888888"}},
    }
    layout = _layout(
        "costs and savings to net present value (PV)",
        case_title,
        yaxis={"title": {"text": "Present value"}, **_money_axis(_running(pence))},
        xaxis={"automargin": True},
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
            "customdata": [display_pounds(p) for _, _, p in drawn],
            "hovertemplate": (
                "%{source.label} pays towards %{target.label}'s saving: %{customdata}"
                "<extra></extra>"
            ),
        },
    }
    annotations = []
    if losses:
        listed = "; ".join(f"{_text(a)} to {_text(b)}: {display_pounds(p)}" for a, b, p in losses)
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
        "hovertemplate": "%{y:,} runs in this bar<extra></extra>",
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
        xaxis={
            "title": {"text": "Net present value"},
            **_money_axis([float(values.min()), float(values.max())]),
        },
        yaxis={"title": {"text": "Runs"}, "automargin": True},
        bargap=0.05,
        showlegend=False,
        # room for a two-line title above the two rows of percentile notes
        margin={"t": 150, "l": 60, "r": 40, "b": 60},
        shapes=shapes,
        annotations=annotations,
    )
    return {"data": [trace], "layout": layout}


def _tornado(case_title: str, bars: list[tuple[str, int, int]], npv: int) -> Figure:
    ordered = sorted(bars, key=lambda bar: (-abs(bar[2] - bar[1]), bar[0]))
    names = [_wrapped(_text(name)) for name, _, _ in ordered]
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
                "hovertext": [display_pounds(e) for e in ends],
                "hovertemplate": f"%{{y}} at its {end} value: NPV %{{hovertext}}<extra></extra>",
            }
        )
    layout = _layout(
        "what moves the NPV most",
        case_title,
        barmode="overlay",
        xaxis={"title": {"text": "Net present value"}, **_money_axis([*lows, *highs, npv], 100)},
        yaxis={"autorange": "reversed", "automargin": True},
        height=max(460, 200 + 48 * len(ordered)),
        margin={"t": 100, "l": 60, "r": 40, "b": 90},
        shapes=[_vertical_line(npv / 100, "solid")],
        annotations=[_marker_note(f"Base NPV {whole_pounds(npv)}", npv / 100, 1.02)],
        # at the foot of the figure, below the axis title rather than over it
        legend={"orientation": "h", "x": 0, "y": 0, "yref": "container", "yanchor": "bottom"},
    )
    return {"data": traces, "layout": layout}


def _running(pence: list[int]) -> list[float]:
    """Pounds at every step of a waterfall (the last bar is the total itself)."""
    tops, total = [], 0
    for p in pence[:-1]:
        total += p
        tops.append(total / 100)
    return [*tops, pence[-1] / 100]


def _money_axis(values: Sequence[float], per_pound: int = 1) -> dict[str, object]:
    """An axis in whole pounds with ticks written here, minus (U+2212) before the
    pound sign rather than Plotly's ``£-200,000``, at round steps (1, 2 or 5 times a power of ten)
    covering zero and every value; labels are given room (automargin)."""
    scaled = [float(v) / per_pound for v in values]
    low, high = min(0.0, *scaled), max(0.0, *scaled)
    raw = max((high - low) / 5, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first, last = math.floor(low / step), math.ceil(high / step)
    ticks = [k * step for k in range(first, last + 1)]
    return {
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [whole_pounds(round(t * 100)) for t in ticks],
        "zeroline": True,
        "automargin": True,
    }


def _wrapped(label: str, width: int = _WRAP) -> str:
    """A long label broken at a space onto lines of about ``width`` characters."""
    lines: list[str] = []
    for word in label.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _float_pounds(value: float) -> str:
    return whole_pounds(round(value * 100))


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
    # set on top of the point, so the note never sits across its own line
    return {
        "text": text,
        "xref": "x",
        "yref": "paper",
        "x": x,
        "y": y,
        "yanchor": "bottom",
        "showarrow": False,
    }
