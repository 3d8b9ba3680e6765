"""The Benchmark page: the workspace's council beside its neighbours, its region
and England, spend per head by service (cash, real terms, per client) over the
years with breaks in series marked, and spend against outcome for one
indicator at a time: a quadrant (neighbours marked) and a funnel plot whose
limits come from each authority's denominator.

Every figure is :func:`totalplace.report.benchmark.benchmark`'s, as
``totalplace benchmark --json`` prints it; all are public aggregates, so any
logged-in user may see them.  Spend per head by theme needs the top-down count
of every authority, which takes a while, so it is asked for with
``?themes=true``.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.classify.taxonomy import theme_label
from totalplace.count.benchmark import line_label
from totalplace.errors import TotalPlaceError
from totalplace.reference.outcomes import INDICATORS
from totalplace.report.benchmark_files import tables
from totalplace.web import templates
from totalplace.web.page_places import GEOJSON_PATH, TOPOJSON_PATH
from totalplace.web.site import ApiError, Site, Viewer, csv_response
from totalplace.web.templates import script_json

DEFAULT_INDICATOR = "obese_reception"
COMPARATORS = ("neighbours", "region", "england")

BENCHMARK = """{% extends "base.html" %}
{% block main %}
{% if problem %}
<p class="notice" role="status">{{ problem }}</p>
{% else %}
<p>{{ b.place.name }} ({{ b.place.gss }}), {{ b.place.region }}: spending from Revenue Outturn
{{ b.spend_year }}{% for n in b.notes %}; {{ n }}{% endfor %}. Neighbours:
{{ b.neighbours_source }}{% if b.neighbours %} ({{ b.neighbours | map(attribute="name") |
join(", ") }}){% endif %}. Real terms at {{ b.prices }} prices (HM Treasury GDP deflators).</p>
<form method="get" action="/benchmark">
<label for="indicator">Outcome indicator</label>
<select id="indicator" name="indicator">
{% for i in indicators %}<option value="{{ i.id }}"{% if i.id == chosen %} selected{% endif
%}>{{ i.label }}</option>{% endfor %}
</select>
{% if place %}<input type="hidden" name="place" value="{{ place }}">{% endif %}
{% if neighbours %}<input type="hidden" name="neighbours" value="{{ neighbours }}">{% endif %}
<button type="submit">Show</button>
</form>
<section aria-labelledby="perhead">
<h2 id="perhead">Spend per head by service, {{ b.spend_year }}</h2>
<div class="pair">
<div id="perhead-chart" class="chart" role="figure" aria-label="Bar chart of spend per head by
 service for the council and its comparators; the table beside it holds the same figures"></div>
<table>
<caption>Spend per head (cash){% if clients %}; per client where a client count exists{% endif
%}</caption>
<thead><tr><th scope="col">Service</th>{% for c in columns %}<th scope="col" class="money">{{
c.name }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in service_rows %}
<tr><td>{{ row.label }}</td>{% for v in row.cells %}<td class="money">{% if v is none %}—{%
else %}{{ money(v) }}{% endif %}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
</div>
<p class="download"><a href="/benchmark/per_head.csv{{ pq }}">Download spend per head (CSV)</a></p>
</section>
<section aria-labelledby="years">
<h2 id="years">Total service expenditure per head over the years</h2>
<table>
<thead><tr><th scope="col">Year</th><th scope="col" class="money">{{ b.place.name }} cash</th>
<th scope="col" class="money">Real terms</th><th scope="col" class="money">England real
terms</th><th scope="col">Break in series</th></tr></thead>
<tbody>
{% for t in years_rows %}
<tr><td>{{ t.year }}</td><td class="money">{{ money(t.cash) }}</td>
<td class="money">{% if t.real is none %}—{% else %}{{ money(t.real) }}{% endif %}</td>
<td class="money">{% if t.england is none %}—{% else %}{{ money(t.england) }}{% endif %}</td>
<td>{{ t.breaks | join("; ") }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
{% if b.themes %}
<section aria-labelledby="themes">
<h2 id="themes">Spend per head by theme (top-down count)</h2>
<table>
<thead><tr><th scope="col">Theme</th><th scope="col">Comparator</th>
<th scope="col" class="money">Per head</th></tr></thead>
<tbody>
{% for t in b.themes %}<tr><td>{{ theme_label(t.theme) }}</td><td>{{ t.name }}</td>
<td class="money">{% if t.per_head_pence is none %}—{% else %}{{ money(t.per_head_pence) }}{%
endif %}</td></tr>{% endfor %}
</tbody>
</table>
<p class="download"><a href="/benchmark/themes.csv?themes=true{{ pa }}">Download (CSV)</a></p>
</section>
{% else %}
<p><a href="/benchmark?indicator={{ chosen }}&amp;themes=true{{ pa }}">Add spend per head by
theme</a>
(counts every authority top down: slow).</p>
{% endif %}
<section aria-labelledby="quadrant">
<h2 id="quadrant">{{ o.label }} against spend per head on {{ line_label(o.line) | lower }}</h2>
<p>Outcome {{ o.outcome_year or "not published" }}, spending {{ o.spend_year }}; England
{{ o.england_value if o.england_value is not none else "not in the extract" }}{% if
o.england_per_head_pence is not none %} at {{ money(o.england_per_head_pence) }} per head{%
endif %}; {{ "higher" if o.higher_is_better else "lower" }} is better.</p>
<div class="pair">
<div id="quadrant-chart" class="chart" role="figure" aria-label="Scatter chart of the outcome
 against spend per head for every authority, neighbours marked; the table beside it lists the
 council and its neighbours"></div>
<table>
<caption>The council and its neighbours</caption>
<thead><tr><th scope="col">Authority</th><th scope="col" class="money">Per head</th>
<th scope="col" class="money">Outcome</th><th scope="col" class="money">Denominator</th>
<th scope="col">Against the funnel</th></tr></thead>
<tbody>
{% for p in near_points %}
<tr><td>{{ p.name }}{% if p.role == "place" %} (this council){% endif %}</td>
<td class="money">{% if p.per_head_pence is none %}—{% else %}{{ money(p.per_head_pence) }}{%
endif %}{% if p.spend_of and p.spend_of != p.name %} ({{ p.spend_of }}){% endif %}</td>
<td class="money">{{ p.value }}{% if p.derived %} (districts' mean){% endif %}</td>
<td class="money">{% if p.denominator %}{{ "{:,}".format(p.denominator) }}{% else %}—{% endif
%}</td><td>{{ p.status or "—" }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
<p class="download"><a href="/benchmark/outcomes.csv?indicator={{ chosen }}{{ pa }}">Download every
authority's values (CSV)</a></p>
</section>
<section aria-labelledby="map">
<h2 id="map">{{ o.label }} across England, {{ o.outcome_year or "" }}</h2>
<div class="pair">
<div id="map-chart" class="chart" role="figure" aria-label="Map of England shaded by the
 indicator, the council and its neighbours outlined; the table beside it lists them"></div>
<table>
<caption>The council, its neighbours and England</caption>
<thead><tr><th scope="col">Authority</th><th scope="col" class="money">Outcome</th></tr></thead>
<tbody>
{% for p in near_points %}<tr><td>{{ p.name }}</td><td class="money">{{ p.value }}{% if
p.derived %} (districts' mean){% endif %}</td></tr>
{% endfor %}
<tr><td>England</td><td class="money">{{ o.england_value if o.england_value is not none else
"—" }}</td></tr>
</tbody>
</table>
</div>
<p class="download"><a href="/benchmark/outcomes.csv?indicator={{ chosen }}{{ pa }}">Download
every authority's value (CSV)</a></p>
</section>
<section aria-labelledby="funnel">
<h2 id="funnel">Funnel plot</h2>
{% if o.funnel %}
<p>Limits at 95% and 99.8% around England's value, from each authority's denominator
({{ o.denominator_basis }}): outside them, chance alone is unlikely to explain the difference.</p>
<div class="pair">
<div id="funnel-chart" class="chart" role="figure" aria-label="Funnel plot: each authority's value
 against its denominator, with control limits; the table beside it holds the limits"></div>
<table>
<caption>Control limits by denominator</caption>
<thead><tr><th scope="col" class="money">Denominator</th><th scope="col" class="money">99.8%
low</th><th scope="col" class="money">95% low</th><th scope="col" class="money">95% high</th>
<th scope="col" class="money">99.8% high</th></tr></thead>
<tbody>
{% for f in funnel_rows %}<tr><td class="money">{{ "{:,}".format(f.denominator) }}</td>
<td class="money">{{ "%.2f" | format(f.lower998) }}</td>
<td class="money">{{ "%.2f" | format(f.lower95) }}</td>
<td class="money">{{ "%.2f" | format(f.upper95) }}</td>
<td class="money">{{ "%.2f" | format(f.upper998) }}</td></tr>{% endfor %}
</tbody>
</table>
</div>
<p class="download"><a href="/benchmark/funnel.csv?indicator={{ chosen }}{{ pa }}">Download the
limits (CSV)</a></p>
{% else %}
<p>{{ o.funnel_note }}.</p>
{% endif %}
</section>
<section aria-labelledby="trend">
<h2 id="trend">{{ o.label }} over the years</h2>
{% if trend_rows %}
<div class="pair">
<div id="trend-chart" class="chart" role="figure" aria-label="Line chart of the indicator over the
 years for the council, its neighbours and England; the table beside it holds the figures"></div>
<table>
<caption>{{ b.place.name }}, its neighbours' median and England</caption>
<thead><tr><th scope="col">Year</th><th scope="col">Period</th>
<th scope="col" class="money">{{ b.place.name }}</th>
<th scope="col" class="money">Neighbours' median</th>
<th scope="col" class="money">England</th></tr></thead>
<tbody>
{% for t in trend_rows %}<tr><td>{{ t.year }}</td><td>{{ t.period }}</td>
<td class="money">{{ t.place if t.place is not none else "—" }}</td>
<td class="money">{{ t.neighbours if t.neighbours is not none else "—" }}</td>
<td class="money">{{ t.england if t.england is not none else "—" }}</td></tr>{% endfor %}
</tbody>
</table>
</div>
<p class="download"><a href="/benchmark/trend.csv?indicator={{ chosen }}{{ pa }}">Download the
trend (CSV)</a></p>
{% else %}
<p>No year of this indicator is published for {{ b.place.name }} or England.</p>
{% endif %}
</section>
<section aria-labelledby="breaks">
<h2 id="breaks">Breaks in series</h2>
<table>
<thead><tr><th scope="col">Line</th><th scope="col">From</th><th scope="col">What moved</th>
<th scope="col">Source</th></tr></thead>
<tbody>
{% for x in b.breaks %}<tr><td>{{ line_label(x.line) }}</td><td>{{ x.year }}</td>
<td>{{ x.what }}</td><td>{{ x.source }}</td></tr>{% endfor %}
</tbody>
</table>
<p class="download"><a href="/benchmark/breaks.csv{{ pq }}">Download (CSV)</a></p>
</section>
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/benchmark.js"></script>
{% endif %}
{% endblock %}
"""

# Draws the three charts from the page's JSON block; amounts come in pence and
# are shown in pounds, negatives with the minus sign U+2212.
BENCHMARK_JS = """'use strict';
(function () {
  var el = document.getElementById('chart-data');
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var cfg = {displaylogo: false, responsive: true};
  var gbp = function (p) {
    var s = '£' + Math.abs(p / 100).toLocaleString('en-GB', {maximumFractionDigits: 0});
    return p < 0 ? '\\u2212' + s : s;
  };
  Plotly.newPlot('perhead-chart', d.bars.map(function (b) {
    return {type: 'bar', orientation: 'h', name: b.name, y: b.labels,
            x: b.pence.map(function (p) { return p / 100; }),
            text: b.pence.map(gbp), hoverinfo: 'y+text+name', textposition: 'none'};
  }), {barmode: 'group', height: 640, margin: {l: 220, r: 20, t: 10, b: 40},
       xaxis: {tickprefix: '£', separatethousands: true}}, cfg);
  var roles = [['other', 6, '#9aa5b1', 'Other authorities'], ['neighbour', 10, '#1f77b4',
               'Neighbours'], ['place', 15, '#d62728', d.place]];
  Plotly.newPlot('quadrant-chart', roles.map(function (r) {
    var pts = d.points.filter(function (p) {
      return p.role === r[0] && p.per_head_pence !== null;
    });
    return {type: 'scatter', mode: 'markers', name: r[3], marker: {size: r[1], color: r[2]},
            x: pts.map(function (p) { return p.per_head_pence / 100; }),
            y: pts.map(function (p) { return p.value; }),
            text: pts.map(function (p) {
              var whose = p.spend_of === p.name ? '' : ' (' + p.spend_of + ' spending)';
              return p.name + ': ' + gbp(p.per_head_pence) + whose;
            }),
            hoverinfo: 'text+y'};
  }), {margin: {t: 10}, xaxis: {tickprefix: '£', title: {text: 'Spend per head'}},
       yaxis: {title: {text: d.label}},
       shapes: [d.england_x === null ? null : {type: 'line', xref: 'x', yref: 'paper',
                  x0: d.england_x, x1: d.england_x, y0: 0, y1: 1, line: {dash: 'dot'}},
                d.england_y === null ? null : {type: 'line', xref: 'paper', yref: 'y',
                  x0: 0, x1: 1, y0: d.england_y, y1: d.england_y, line: {dash: 'dot'}}]
         .filter(function (s) { return s !== null; })}, cfg);
  if (document.getElementById('map-chart')) {
    fetch(d.geojson).then(function (r) { return r.json(); }).then(function (geo) {
      var drawn = d.points.filter(function (p) { return p.value !== null; });
      var ringed = d.points.filter(function (p) { return p.role !== 'other'; });
      Plotly.newPlot('map-chart', [{
        type: 'choropleth', geojson: geo, featureidkey: 'id', locationmode: 'geojson-id',
        locations: drawn.map(function (p) { return p.gss; }),
        z: drawn.map(function (p) { return p.value; }),
        text: drawn.map(function (p) { return p.name + ': ' + p.value; }), hoverinfo: 'text',
        colorscale: 'Viridis', reversescale: !d.higher_is_better,
        marker: {line: {width: 0.3, color: '#ffffff'}}, colorbar: {title: {text: d.label}}
      }, {
        type: 'choropleth', geojson: geo, featureidkey: 'id', locationmode: 'geojson-id',
        locations: ringed.map(function (p) { return p.gss; }),
        z: ringed.map(function () { return 1; }), showscale: false, hoverinfo: 'skip',
        colorscale: [[0, 'rgba(0,0,0,0)'], [1, 'rgba(0,0,0,0)']],
        marker: {line: {width: 2, color: '#d62728'}}
      }], {geo: {visible: false, fitbounds: 'locations', projection: {type: 'mercator'}},
           margin: {l: 0, r: 0, t: 0, b: 0}, height: 560},
      {displaylogo: false, responsive: true, topojsonURL: d.topojson});
    });
  }
  if (d.trend.length && document.getElementById('trend-chart')) {
    var names = [];
    d.trend.forEach(function (t) { if (names.indexOf(t.name) < 0) { names.push(t.name); } });
    Plotly.newPlot('trend-chart', names.map(function (n) {
      var pts = d.trend.filter(function (t) { return t.name === n; });
      var role = pts[0].role;
      return {type: 'scatter', mode: 'lines+markers', name: n,
              x: pts.map(function (t) { return t.year; }),
              y: pts.map(function (t) { return t.value; }),
              line: {width: role === 'place' ? 4 : role === 'england' ? 3 : 1,
                     dash: role === 'england' ? 'dash' : 'solid'},
              opacity: role === 'neighbour' ? 0.5 : 1};
    }), {margin: {t: 10}, yaxis: {title: {text: d.label}}}, cfg);
  }
  if (d.funnel.length && document.getElementById('funnel-chart')) {
    var xs = d.funnel.map(function (f) { return f.denominator; });
    var lines = [['lower998', 'dash', '99.8% limits', true], ['lower95', 'dot', '95% limits', true],
                 ['upper95', 'dot', '95% limits', false],
                 ['upper998', 'dash', '99.8% limits', false]].map(function (k) {
      return {type: 'scatter', mode: 'lines', name: k[2], legendgroup: k[2], showlegend: k[3],
              line: {dash: k[1], color: '#555'}, hoverinfo: 'y',
              x: xs, y: d.funnel.map(function (f) { return f[k[0]]; })};
    });
    roles.forEach(function (r) {
      var pts = d.points.filter(function (p) { return p.role === r[0] && p.denominator; });
      lines.push({type: 'scatter', mode: 'markers', name: r[3],
                  marker: {size: r[1], color: r[2]},
                  x: pts.map(function (p) { return p.denominator; }),
                  y: pts.map(function (p) { return p.value; }),
                  text: pts.map(function (p) { return p.name; }), hoverinfo: 'text+x+y'});
    });
    Plotly.newPlot('funnel-chart', lines, {margin: {t: 10},
      xaxis: {type: 'log', title: {text: 'Denominator'}}, yaxis: {title: {text: d.label}}}, cfg);
  }
})();
"""

templates.register("benchmark.html", BENCHMARK)
templates.script("benchmark.js", BENCHMARK_JS)


@lru_cache(maxsize=8)
def _benchmark(
    place: str, year: str, indicator: str, themes: bool, neighbours: tuple[str, ...]
) -> dict[str, Any]:
    """One benchmark, kept: the same request a second time is not worked out again."""
    from totalplace.report.benchmark import benchmark

    data = benchmark(place, year, neighbours, indicators=(indicator,), with_themes=themes)
    return data


def _data(
    site: Site, indicator: str, themes: bool, place: str | None = None, neighbours: str = ""
) -> dict[str, Any]:
    known = {i.id for i in INDICATORS}
    if indicator not in known:
        raise ApiError(422, "InvalidRequest", f"unknown outcome indicator {indicator!r}; one of: "
                       f"{', '.join(sorted(known))}")  # fmt: skip
    config = site.ws.config
    try:
        near = tuple(n.strip() for n in neighbours.split(",") if n.strip())
        return _benchmark(place or config.place[0], config.year, indicator, themes, near)
    except TotalPlaceError as exc:
        raise ApiError(422, type(exc).__name__, str(exc)) from exc


def _trend_rows(o: dict[str, Any]) -> list[dict[str, Any]]:
    """By year: the council's value, its neighbours' median and England's."""
    from statistics import median

    by_year: dict[str, dict[str, Any]] = {}
    for t in o["trend"]:
        row = by_year.setdefault(
            t["year"],
            {"year": t["year"], "period": t["period"], "place": None, "england": None, "near": []},
        )
        if t["role"] == "place":
            row["place"], row["period"] = t["value"], t["period"]
        elif t["role"] == "england":
            row["england"] = t["value"]
        else:
            row["near"].append(t["value"])
    rows = [by_year[y] for y in sorted(by_year)]
    for row in rows:
        near = row.pop("near")
        row["neighbours"] = round(median(near), 2) if near else None
    return rows


def _view(b: dict[str, Any]) -> dict[str, Any]:
    """The page's tables and chart data from a benchmark."""
    place = b["place"]["gss"]
    year = b["spend_year"]
    rows = [r for r in b["per_head"] if r["year"] == year]
    keys = [place, *COMPARATORS]
    columns = [{"key": k, "name": next((r["name"] for r in rows if r["comparator"] == k), k)}
               for k in keys if any(r["comparator"] == k for r in rows)]  # fmt: skip
    lines = list(dict.fromkeys(r["line"] for r in rows))
    service_rows = []
    for line in lines:
        mine = {r["comparator"]: r for r in rows if r["line"] == line}
        service_rows.append(
            {
                "label": line_label(line),
                "cells": [
                    mine[c["key"]]["per_head_pence"] if c["key"] in mine else None for c in columns
                ],
            }
        )
        client = next((r for r in mine.values() if r["client"]), None)
        if client is not None:
            service_rows.append(
                {
                    "label": f"{line_label(line)} per client ({client['client']})",
                    "cells": [
                        mine[c["key"]]["per_client_pence"] if c["key"] in mine else None
                        for c in columns
                    ],
                }
            )
    total = b["total_line"]
    england = {r["year"]: r for r in b["per_head"] if r["comparator"] == "england"
               and r["line"] == total}  # fmt: skip
    years_rows = [
        {"year": r["year"], "cash": r["per_head_pence"], "real": r["real_per_head_pence"],
         "england": england.get(r["year"], {}).get("real_per_head_pence"), "breaks": r["breaks"]}
        for r in b["per_head"] if r["comparator"] == place and r["line"] == total
    ]  # fmt: skip
    drawn = [ln for ln in lines if ln != b["total_line"]]  # the total would dwarf the rest
    bars = [{"name": c["name"], "labels": [line_label(ln) for ln in drawn],
             "pence": [next((r["per_head_pence"] or 0 for r in rows if r["line"] == ln and
                             r["comparator"] == c["key"]), 0) for ln in drawn]}
            for c in columns]  # fmt: skip
    o = b["outcomes"][0]
    chart = {"bars": bars, "points": o["points"], "funnel": o["funnel"], "label": o["label"],
             "trend": o["trend"], "place": b["place"]["name"], "geojson": GEOJSON_PATH,
             "topojson": TOPOJSON_PATH, "higher_is_better": o["higher_is_better"],
             "england_x": None if o["england_per_head_pence"] is None
             else o["england_per_head_pence"] / 100, "england_y": o["england_value"]}  # fmt: skip
    return {
        "columns": columns, "service_rows": service_rows, "years_rows": years_rows,
        "trend_rows": _trend_rows(o),
        "clients": any(r["client"] for r in rows), "o": o,
        "near_points": [p for p in o["points"] if p["role"] != "other"],
        "funnel_rows": o["funnel"][:: max(1, len(o["funnel"]) // 12)],
        "chart_json": script_json(chart),
    }  # fmt: skip


IndicatorQ = Annotated[str, Query(description="An outcome indicator id.")]
ThemesQ = Annotated[bool, Query(description="Add spend per head by theme (slow).")]
NeighboursQ = Annotated[
    str, Query(description="Comma-separated councils to compare with instead of the nearest.")
]
PlaceQ = Annotated[
    str | None, Query(description="A council (GSS code or name); default the workspace's.")
]


def add_routes(app: FastAPI, site: Site) -> None:
    # in the navigation bar in the order of the app's PAGES, not of imports
    templates.nav("Benchmark", "/benchmark")

    @app.get("/benchmark", response_class=HTMLResponse, include_in_schema=False)
    def benchmark_page(
        request: Request,
        indicator: IndicatorQ = DEFAULT_INDICATOR,
        themes: ThemesQ = False,
        place: PlaceQ = None,
        neighbours: NeighboursQ = "",
    ) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        _, context = who
        kept = {k: v for k, v in (("place", place), ("neighbours", neighbours)) if v}
        page: dict[str, Any] = {
            "title": "Benchmark",
            "indicators": INDICATORS,
            "chosen": indicator,
            "line_label": line_label,
            "theme_label": theme_label,
            "place": place,
            "pq": f"?{urlencode(kept)}" if kept else "",
            "pa": f"&{urlencode(kept)}" if kept else "",
            "neighbours": neighbours,
        }
        try:
            b = _data(site, indicator, themes, place, neighbours)
        except ApiError as exc:
            # a notice on the page, as the Overview says there is no count yet
            problem = f"{exc.detail}. Choose an English council: /benchmark?place=NAME"
            return site.page("benchmark.html", problem=problem, **page, **context)
        page["title"] = f"Benchmark: {b['place']['name']}"
        return site.page("benchmark.html", b=b, **_view(b), **page, **context)

    @app.get("/api/benchmark", summary="Spend per head against neighbours, and against outcome")
    def api_benchmark(
        user: Viewer,
        indicator: IndicatorQ = DEFAULT_INDICATOR,
        themes: ThemesQ = False,
        place: PlaceQ = None,
        neighbours: NeighboursQ = "",
    ) -> dict[str, Any]:
        return _data(site, indicator, themes, place, neighbours)

    @app.get("/benchmark/{name}.csv", include_in_schema=False)
    def benchmark_csv(
        name: str, user: Viewer, indicator: IndicatorQ = DEFAULT_INDICATOR,
        themes: ThemesQ = False, place: PlaceQ = None, neighbours: NeighboursQ = "",
    ) -> Response:  # fmt: skip
        found = tables(_data(site, indicator, themes, place, neighbours)).get(f"{name}.csv")
        if found is None:
            raise ApiError(404, "NotFound", f"no table {name}.csv; one of: per_head, themes, "
                           "outcomes, funnel, trend, breaks")  # fmt: skip
        columns, rows = found
        return csv_response(f"benchmark-{name}.csv", list(columns), rows)
