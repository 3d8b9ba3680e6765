"""The Overview page: the place's total and per head, current and capital
apart, how each pound was counted and how sure the count is of it, the flow
from funder to agency to theme, the count by theme and agency (a treemap whose
cells open the rows behind them), the prevention split, and a summary of the
data's quality.  Every chart has the same figures in a table beside it and a
CSV download, so a reader who cannot see the chart, or who distrusts it, has
the numbers.

Current and capital spending are added together only where the page says so
(the total, the treemap and the theme chart, which shows the two apart in
its bars); budgets are never on this page, only spending.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.classify.taxonomy import theme_label
from totalplace.report import figures
from totalplace.report.count_file import NoCount
from totalplace.report.labels import TIER_LABELS, tier_label
from totalplace.web import templates
from totalplace.web.cache import site_cache
from totalplace.web.site import ApiError, Site, Viewer, csv_response
from totalplace.web.templates import script_json

OVERVIEW = """{% extends "base.html" %}
{% block main %}
{% if no_count %}
<p class="notice" role="status">{{ no_count }}</p>
{% else %}
<section aria-labelledby="total">
<h2 id="total">{{ s.place }}, {{ s.year }}</h2>
<p><span class="figure">{{ money(s.total_pence) }}</span> in the place{% if s.population %}, for
{{ "{:,}".format(s.population) }} people:
<span class="figure">{{ money(s.per_head_pence) }}</span> per head.{% else %}; its population
is not known (a place not in the shipped population estimates), so no figure per head.{% endif %}
</p>
<table>
<caption>The total, current and capital apart</caption>
<thead><tr><th scope="col">Part</th><th scope="col" class="money">Amount</th>
{% if s.population %}<th scope="col" class="money">Per head</th>{% endif %}</tr></thead>
<tbody>
<tr><td>Current (revenue) spending</td><td class="money">{{ money(o.current_pence) }}</td>
{% if s.population %}<td class="money">{{ money(o.current_pence // s.population) }}</td>
{% endif %}</tr>
<tr><td>Capital spending</td><td class="money">{{ money(o.capital_pence) }}</td>
{% if s.population %}<td class="money">{{ money(o.capital_pence // s.population) }}</td>
{% endif %}</tr>
<tr><td>Less transfers between the place's own bodies</td>
<td class="money">{{ money(-s.transfers_eliminated_pence) }}</td>
{% if s.population %}<td></td>{% endif %}</tr>
<tr><th scope="row">The count (current and capital together)</th>
<td class="money">{{ money(s.total_pence) }}</td>
{% if s.population %}<td class="money">{{ money(s.per_head_pence) }}</td>{% endif %}</tr>
</tbody>
</table>
<p>Counted from payments and published outturn ({{ money(s.bottom_up_pence) }}) and apportioned
from national and regional figures ({{ money(s.top_down_pence) }});
{{ money(s.pass_through_pence) }} passed through to other bodies is shown in the count, not
added{% if o.set_apart_pence %}, and {{ money(o.set_apart_pence) }} of capital and council
housing payments is set apart from the revenue split{% endif %}.</p>
</section>

<section aria-labelledby="mix">
<h2 id="mix">How each pound was counted, and how sure the count is</h2>
<div class="pair">
<table>
<caption>By method</caption>
<thead><tr><th scope="col">Method</th><th scope="col" class="money">Amount</th>
<th scope="col" class="money">Share</th></tr></thead>
<tbody>
{% for m in s.by_method %}
<tr><td>{{ m.label }}</td><td class="money">{{ money(m.pence) }}</td>
<td class="money">{{ share(m.share) }}</td></tr>
{% endfor %}
</tbody>
</table>
<table>
<caption>By confidence grade</caption>
<thead><tr><th scope="col">Grade</th><th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for g in o.by_grade %}
<tr><td>{{ g.label }}</td><td class="money">{{ money(g.pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
<p class="download"><a href="/overview/methods.csv">Download the methods (CSV)</a> ·
<a href="/overview/grades.csv">the grades (CSV)</a></p>
</section>

<section aria-labelledby="flows">
<h2 id="flows">From funder to agency to theme</h2>
<div class="pair">
<div id="flow-chart" class="chart" role="figure" aria-label="Sankey diagram of the money from
 funder to agency and from agency to theme; the table beside it holds the same figures"></div>
<div class="scroll" tabindex="0" role="region" aria-label="Table, scrolls">
<table>
<caption>The flows (current and capital together)</caption>
<thead><tr><th scope="col">From</th><th scope="col">To</th>
<th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for f in o.flows %}
<tr><td>{{ f.source }}</td><td>{{ f.target }}</td><td class="money">{{ money(f.pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
</div>
<p class="download"><a href="/overview/flows.csv">Download the flows (CSV)</a></p>
</section>

<section aria-labelledby="themes">
<h2 id="themes">By theme</h2>
<div class="pair">
<div id="theme-chart" class="chart" role="figure" aria-label="Bar chart of the count by theme,
 current and capital apart; the table beside it holds the same figures"></div>
<table>
<caption>The count by theme</caption>
<thead><tr><th scope="col">Theme</th><th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for t in s.by_theme %}
<tr><td>{{ t.label }}</td><td class="money">{{ money(t.pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
<p class="download"><a href="/overview/themes.csv">Download the themes (CSV)</a></p>
</section>

<section aria-labelledby="cells">
<h2 id="cells">By theme and agency</h2>
<p>Current and capital together. Select a cell to see the rows behind it.</p>
<div class="pair">
<div id="cell-chart" class="chart" role="figure" aria-label="Treemap of the count by theme and
 agency; the table beside it holds the same figures"></div>
<div class="scroll" tabindex="0" role="region" aria-label="Table, scrolls">
<table>
<caption>The count by theme and agency</caption>
<thead><tr><th scope="col">Theme</th><th scope="col">Agency</th>
<th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for c in cells %}
<tr><td>{{ c.theme_label }}</td><td><a href="{{ c.href }}">{{ c.agency }}</a></td>
<td class="money">{{ money(c.pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
</div>
{% if o.small_cells %}
<p>Too small to label in the treemap (under 1% of the count each):
{% for c in o.small_cells %}<a href="{{ c.href }}">{{ c.theme_label }} / {{ c.agency }}</a>
{{ money(c.pence) }}{% if not loop.last %}; {% endif %}{% endfor %}.</p>
{% endif %}
{% if negative %}
<p>Not in the treemap (a treemap cannot draw a net refund):
{% for c in negative %}{{ c.theme_label }} / {{ c.agency }} {{ money(c.pence) }}{% if not
 loop.last %}; {% endif %}{% endfor %}.</p>
{% endif %}
<p class="download"><a href="/overview/cells.csv">Download the cells (CSV)</a></p>
</section>

<section aria-labelledby="tiers">
<h2 id="tiers">Prevention and crisis, by theme</h2>
<div class="pair">
<div id="tier-chart" class="chart" role="figure" aria-label="Stacked bar chart of each theme's
 spending by prevention tier; the table beside it holds the same figures"></div>
<div class="scroll" tabindex="0" role="region" aria-label="Table, scrolls">
<table>
<caption>Each theme by prevention tier</caption>
<thead><tr><th scope="col">Theme</th><th scope="col">Tier</th>
<th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for t in o.tiers %}
<tr><td>{{ t.theme_label }}</td><td>{{ t.tier_label }}</td>
<td class="money">{{ money(t.pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
</div>
<p class="download"><a href="/overview/tiers.csv">Download the tiers (CSV)</a></p>
</section>

<section aria-labelledby="quality">
<h2 id="quality">The data behind it</h2>
<p>{{ o.quality.bodies_with_payments }} bodies' payments are in the count,
{{ o.quality.bodies_full_year }} of them for a full year.
{% if o.quality.payments_pence %}{{ share(o.quality.classified_share) }} of their payments by value
are classified to a theme.{% endif %}
{{ o.quality.warnings }} warning{{ "" if o.quality.warnings == 1 else "s" }} from the count.
{% if quality_page %}<a href="/quality">The data quality page</a> has the detail.{% endif %}</p>
</section>
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/overview.js"></script>
{% endif %}
{% endblock %}
"""

# Draws the page's charts from its JSON block; labels come from the server
# already in words, amounts in pounds.  A treemap cell opens its rows.
OVERVIEW_JS = """'use strict';
(function () {
  var el = document.getElementById('chart-data');
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var config = {displaylogo: false, responsive: true};
  var gbp = function (p) {
    var s = '£' + Math.abs(p / 100).toLocaleString('en-GB', {maximumFractionDigits: 0});
    return p < 0 ? '\\u2212' + s : s;
  };
  var themes = d.by_theme.slice().reverse();
  var bar = function (name, key) {
    return {
      type: 'bar', orientation: 'h', name: name,
      y: themes.map(function (t) { return t.label; }),
      x: themes.map(function (t) { return t[key] / 100; }),
      text: themes.map(function (t) { return gbp(t[key]); }),
      hoverinfo: 'y+name+text', textposition: 'none'
    };
  };
  Plotly.newPlot('theme-chart', [bar('Current', 'current_pence'), bar('Capital', 'capital_pence')],
    {barmode: 'stack', margin: {l: 20, r: 20, t: 10, b: 40},
     yaxis: {automargin: true}, xaxis: {tickprefix: '£', separatethousands: true},
     legend: {orientation: 'h'}}, config);

  var ids = [], labels = [], parents = [], values = [], links = [];
  d.treemap.forEach(function (c) {
    ids.push(c.id); labels.push(c.label); parents.push(c.parent); values.push(c.pence / 100);
    links.push(c.href || '');
  });
  var cellChart = document.getElementById('cell-chart');
  Plotly.newPlot(cellChart, [{
    type: 'treemap', ids: ids, labels: labels, parents: parents, values: values,
    customdata: links, branchvalues: 'total',
    hovertemplate: '%{label}<br>£%{value:,.0f}<extra></extra>'
  }], {margin: {l: 0, r: 0, t: 10, b: 0}}, config);
  cellChart.on('plotly_click', function (ev) {
    var p = ev && ev.points && ev.points[0];
    if (p && p.customdata) { window.location.href = p.customdata; return false; }
    return true;
  });

  var nodes = [], index = {};
  var node = function (key, label) {
    if (!(key in index)) { index[key] = nodes.length; nodes.push(label); }
    return index[key];
  };
  var src = [], dst = [], val = [];
  d.flows.forEach(function (f) {
    var from = f.stage === 'funder' ? 'f:' + f.source : 'a:' + f.source;
    var to = f.stage === 'funder' ? 'a:' + f.target : 't:' + f.target;
    src.push(node(from, f.source)); dst.push(node(to, f.target)); val.push(f.pence / 100);
  });
  Plotly.newPlot('flow-chart', [{
    type: 'sankey', arrangement: 'snap',
    node: {label: nodes, pad: 12, thickness: 14},
    link: {source: src, target: dst, value: val,
           hovertemplate: '%{source.label} to %{target.label}<br>£%{value:,.0f}<extra></extra>'}
  }], {margin: {l: 10, r: 10, t: 10, b: 10}}, config);

  var tierNames = d.tier_order;
  var tierThemes = d.tier_themes.slice().reverse();
  Plotly.newPlot('tier-chart', tierNames.map(function (tier) {
    return {
      type: 'bar', orientation: 'h', name: d.tier_labels[tier],
      y: tierThemes.map(function (t) { return t.label; }),
      x: tierThemes.map(function (t) { return (t.tiers[tier] || 0) / 100; }),
      text: tierThemes.map(function (t) { return gbp(t.tiers[tier] || 0); }),
      hoverinfo: 'y+name+text', textposition: 'none'
    };
  }), {barmode: 'stack', margin: {l: 20, r: 20, t: 10, b: 40}, yaxis: {automargin: true},
       xaxis: {tickprefix: '£', separatethousands: true}, legend: {orientation: 'h'}}, config);
})();
"""

templates.register("overview.html", OVERVIEW)
templates.script("overview.js", OVERVIEW_JS)
templates.nav("Overview", "/")


def drill_href(agency: str, theme: str) -> str:
    """The drill-down page of one cell of the count."""
    return "/drill?" + urlencode({"agency": agency, "theme": theme})


def overview_data(data: dict[str, Any]) -> dict[str, Any]:
    """The page's figures (:func:`totalplace.report.figures.overview_data`),
    each cell with its drill-down's address; the same for the page, its CSV
    downloads and ``/api/overview``."""
    d = figures.overview_data(data)
    d["cells"] = [{**c, "href": drill_href(c["agency"], c["theme"])} for c in d["cells"]]
    o = d["overview"]
    o["small_cells"] = [
        {**c, "href": drill_href(c["agency"], c["theme"])} for c in o["small_cells"]
    ]
    return d


def _chart(d: dict[str, Any]) -> dict[str, Any]:
    s, o, all_cells = d["summary"], d["overview"], d["cells"]
    shown = [c for c in all_cells if c["pence"] > 0]
    by_theme: dict[str, int] = defaultdict(int)
    for c in shown:
        by_theme[c["theme"]] += c["pence"]
    treemap = [
        {"id": f"t:{t}", "label": theme_label(t), "parent": "", "pence": p}
        for t, p in by_theme.items()
    ] + [
        {"id": f"t:{c['theme']}/a:{c['agency']}", "label": c["agency"],
         "parent": f"t:{c['theme']}", "pence": c["pence"], "href": c["href"]}
        for c in shown
    ]  # fmt: skip
    tier_themes: dict[str, dict[str, int]] = defaultdict(dict)
    for t in o["tiers"]:
        if t["pence"] > 0:
            tier_themes[t["theme"]][t["tier"]] = t["pence"]
    order = [t for t in TIER_LABELS if any(t in v for v in tier_themes.values())]
    return {
        "by_theme": [t for t in s["by_theme"] if t["pence"] > 0],
        "treemap": treemap,
        "flows": o["flows"],
        "tier_order": order,
        "tier_labels": {t: tier_label(t) for t in order},
        "tier_themes": [
            {"label": theme_label(t), "tiers": v}
            for t, v in sorted(tier_themes.items(), key=lambda kv: -sum(kv[1].values()))
        ],
    }


# The overview's tables as CSV: name -> (header, rows from the page's figures).
_TABLES: dict[str, tuple[list[str], Any]] = {
    "methods": (["method", "pence"], lambda d: [[m["label"], m["pence"]]
                                                for m in d["summary"]["by_method"]]),
    "grades": (["grade", "pence"], lambda d: [[g["label"], g["pence"]]
                                              for g in d["overview"]["by_grade"]]),
    "flows": (["from", "to", "pence"], lambda d: [[f["source"], f["target"], f["pence"]]
                                                  for f in d["overview"]["flows"]]),
    "themes": (["theme", "current_pence", "capital_pence", "pence"],
               lambda d: [[t["label"], t["current_pence"], t["capital_pence"], t["pence"]]
                          for t in d["summary"]["by_theme"]]),
    "cells": (["theme", "agency", "pence"], lambda d: [[c["theme_label"], c["agency"], c["pence"]]
                                                       for c in d["cells"]]),
    "tiers": (["theme", "tier", "pence"], lambda d: [[t["theme_label"], t["tier_label"], t["pence"]]
                                                     for t in d["overview"]["tiers"]]),
}  # fmt: skip


def add_routes(app: FastAPI, site: Site) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview_page(request: Request) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        _, context = who
        cache = site_cache(site)

        def make() -> tuple[Response, bool]:
            try:
                # worked out once per version of the count
                d = cache.count.derived("overview", overview_data)
            except NoCount as exc:
                return site.page(
                    "overview.html", title="Overview", no_count=str(exc), **context
                ), False
            return site.page(
                "overview.html",
                title=f"Overview: {d['summary']['place']}",
                s=d["summary"],
                o=d["overview"],
                cells=d["cells"],
                negative=[c for c in d["cells"] if c["pence"] <= 0],
                chart_json=script_json(_chart(d)),
                quality_page=any(path == "/quality" for _, path in templates.NAV),
                **context,
            ), True

        # rendered once per version of the count and person asking
        return cache.page(request, context, make)

    @app.get("/api/overview", summary="Everything the Overview page shows (aggregates)")
    def api_overview(user: Viewer) -> dict[str, Any]:
        return overview_data(site.count_data())

    @app.get("/overview/{table}.csv", include_in_schema=False)
    def overview_csv(table: str, user: Viewer) -> Response:
        if table not in _TABLES:
            raise ApiError(404, "NotFound", f"no table {table!r}: one of {', '.join(_TABLES)}")
        header, rows = _TABLES[table]
        return csv_response(f"overview-{table}.csv", header, rows(overview_data(site.count_data())))
