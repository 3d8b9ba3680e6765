"""The Overview page: the place's total and per head, how each pound was
counted, and the count by theme and by theme and agency, each chart with the
same figures in a table beside it."""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
from collections import defaultdict

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.classify.taxonomy import theme_label
from totalplace.web import templates
from totalplace.web.reports import NoCount, cells, read_count, summary
from totalplace.web.site import Site
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
<p>Counted from payments and published outturn ({{ money(s.bottom_up_pence) }}) and apportioned
from national and regional figures ({{ money(s.top_down_pence) }}), less
{{ money(s.transfers_eliminated_pence) }} of transfers between the place's own bodies;
{{ money(s.pass_through_pence) }} passed through to other bodies is shown in the count, not
added. Current and capital spending are not separated on this page yet.</p>
</section>
<section aria-labelledby="mix">
<h2 id="mix">How each pound was counted</h2>
<table>
<thead><tr><th scope="col">Method</th><th scope="col" class="money">Amount</th>
<th scope="col" class="money">Share</th></tr></thead>
<tbody>
{% for m in s.by_method %}
<tr><td>{{ m.label }}</td><td class="money">{{ money(m.pence) }}</td>
<td class="money">{{ share(m.share) }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
<section aria-labelledby="themes">
<h2 id="themes">By theme</h2>
<div class="pair">
<div id="theme-chart" class="chart" role="img" aria-label="Bar chart of the count by theme;
 the table beside it holds the same figures"></div>
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
</section>
<section aria-labelledby="cells">
<h2 id="cells">By theme and agency</h2>
<div class="pair">
<div id="cell-chart" class="chart" role="img" aria-label="Treemap of the count by theme and
 agency; the table beside it holds the same figures"></div>
<table>
<caption>The count by theme and agency</caption>
<thead><tr><th scope="col">Theme</th><th scope="col">Agency</th>
<th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for c in cells %}
<tr><td>{{ c.theme_label }}</td><td>{{ c.agency }}</td>
<td class="money">{{ money(c.pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
{% if negative %}
<p>Not in the treemap (a treemap cannot draw a net refund):
{% for c in negative %}{{ c.theme_label }} / {{ c.agency }} {{ money(c.pence) }}{% if not
 loop.last %}; {% endif %}{% endfor %}.</p>
{% endif %}
</section>
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/overview.js"></script>
{% endif %}
{% endblock %}
"""

# Draws the two charts from the page's JSON block; labels come from the
# server already in words, amounts in pounds.
OVERVIEW_JS = """'use strict';
(function () {
  var el = document.getElementById('chart-data');
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var gbp = function (p) {
    return '£' + (p / 100).toLocaleString('en-GB', {maximumFractionDigits: 0});
  };
  var themes = d.by_theme.slice().reverse();
  Plotly.newPlot('theme-chart', [{
    type: 'bar', orientation: 'h',
    y: themes.map(function (t) { return t.label; }),
    x: themes.map(function (t) { return t.pence / 100; }),
    text: themes.map(function (t) { return gbp(t.pence); }),
    hoverinfo: 'y+text', textposition: 'none'
  }], {margin: {l: 260, r: 20, t: 10, b: 40}, xaxis: {tickprefix: '£', separatethousands: true}},
  {displaylogo: false, responsive: true});
  var ids = [], labels = [], parents = [], values = [];
  d.treemap.forEach(function (c) {
    ids.push(c.id); labels.push(c.label); parents.push(c.parent); values.push(c.pence / 100);
  });
  Plotly.newPlot('cell-chart', [{
    type: 'treemap', ids: ids, labels: labels, parents: parents, values: values,
    branchvalues: 'total', hovertemplate: '%{label}<br>£%{value:,.0f}<extra></extra>'
  }], {margin: {l: 0, r: 0, t: 10, b: 0}}, {displaylogo: false, responsive: true});
})();
"""


templates.register("overview.html", OVERVIEW)
templates.script("overview.js", OVERVIEW_JS)
templates.nav("Overview", "/")


def add_routes(app: FastAPI, site: Site) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        _, context = who
        try:
            data = read_count(site.root)
        except NoCount as exc:
            return site.page("overview.html", title="Overview", no_count=str(exc), **context)
        s = summary(data)
        all_cells = cells(data)
        shown = [c for c in all_cells if c["pence"] > 0]
        by_theme: dict[str, int] = defaultdict(int)
        for c in shown:
            by_theme[c["theme"]] += c["pence"]
        treemap = [
            {"id": f"t:{t}", "label": theme_label(t), "parent": "", "pence": p}
            for t, p in by_theme.items()
        ] + [
            {"id": f"t:{c['theme']}/a:{c['agency']}", "label": c["agency"],
             "parent": f"t:{c['theme']}", "pence": c["pence"]}
            for c in shown
        ]  # fmt: skip
        chart = {"by_theme": [t for t in s["by_theme"] if t["pence"] > 0], "treemap": treemap}
        return site.page(
            "overview.html",
            title=f"Overview: {s['place']}",
            s=s,
            cells=all_cells,
            negative=[c for c in all_cells if c["pence"] <= 0],
            chart_json=script_json(chart),
            **context,
        )
