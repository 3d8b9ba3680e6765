"""The dashboard's pages, as Jinja2 templates with autoescape on: every value
(supplier and agency names are untrusted input) is escaped when rendered, so
a name such as ``<script>`` shows as text.

Chart data goes into the page as JSON inside a ``<script
type="application/json">`` block with ``<``, ``>`` and ``&`` written as
``\\u003c`` and so on, so no value can close the block; the page's own script
is a separate file (:data:`OVERVIEW_JS`) so the content security policy can
refuse every inline script.

Kept in Python rather than as template files so that they ship with the
package wherever it is installed.
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape

from totalplace.money import pounds

BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{{ title }}{% endblock %} · totalplace</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1280px; padding: 0 1rem;
       color: #1b1b1b; }
header { display: flex; justify-content: space-between; align-items: center;
         border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; }
td.money, th.money { text-align: right; font-variant-numeric: tabular-nums; }
.pair { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
.chart { flex: 1 1 600px; min-height: 420px; }
.notice { background: #fff4ce; border: 1px solid #e0c36a; padding: 0.75rem; }
.error { background: #fde7e9; border: 1px solid #d13438; padding: 0.75rem; }
.figure { font-size: 1.6rem; font-weight: 600; }
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
{% if user and login_required %}
<form method="post" action="/logout">
<span>{{ user.name }} ({{ user.role }})</span>
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<button type="submit">Log out</button>
</form>
{% endif %}
</header>
<main>
{% block main %}{% endblock %}
</main>
</body>
</html>
"""

LOGIN = """{% extends "base.html" %}
{% block main %}
{% if message %}<p class="error" role="alert">{{ message }}</p>{% endif %}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<p><label for="name">User name</label><br>
<input id="name" name="name" autocomplete="username" required></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password"
 required></p>
<p><button type="submit">Log in</button></p>
</form>
{% endblock %}
"""

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

env = Environment(
    loader=DictLoader({"base.html": BASE, "login.html": LOGIN, "overview.html": OVERVIEW}),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


env.globals.update(money=pounds, share=_share)


def script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` block: no value can end the block or
    open markup.  Returned as markup-safe so autoescape leaves it alone."""
    from markupsafe import Markup

    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render(name: str, **context: Any) -> str:
    return env.get_template(name).render(**context)
