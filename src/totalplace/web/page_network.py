"""The Network page: when the workspace is a member of a network of places
(``totalplace network add``), the network's places side by side, as
``totalplace network compare`` gives them: money (and per head where the
population is known) by theme, the prevention split, the barriers that recur
across places and the shared learning, each table downloadable as CSV.

The network is the one named in the workspace's ``network.toml``; its other
members' figures are read from their own ``reports/count.json``, as the
command reads them.  A workspace in no network gets a page saying how to join.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.errors import TotalPlaceError
from totalplace.web import templates
from totalplace.web.site import ApiError, Site, Viewer, csv_response
from totalplace.web.templates import script_json

PAGE = """{% extends "base.html" %}
{% block main %}
{% if not d %}
<p class="notice" role="status">{{ why }}</p>
{% else %}
<p>{{ d.network }}: {{ d.members|length }} places sharing method version
{{ d.method_version }} (SHA-256 {{ d.method_hash[:12] }}). Every figure is the place's own
count. <a href="/api/network">JSON</a></p>
{% for m in d.members if m.note %}<p class="notice" role="status">{{ m.name }}: {{ m.note }}</p>
{% endfor %}
<h2>Money by theme</h2>
<div id="theme-chart" class="chart" role="figure" aria-label="Bar chart of each place's
money by theme; the table below gives the same figures"></div>
<table>
<caption>Money by theme in each place{% if per_head %} (per head in brackets){% endif %}</caption>
<thead><tr><th scope="col">Theme</th>{% for m in counted %}
<th scope="col" class="money">{{ m.name }}</th>{% endfor %}</tr></thead>
<tbody>
<tr><th scope="row">Total</th>{% for m in counted %}<td class="money">{{ money(m.total_pence) }}
{% if m.per_head_pence is not none %}({{ money(m.per_head_pence) }}){% endif %}</td>
{% endfor %}</tr>
{% for t in d.themes %}<tr><th scope="row">{{ t.label }}</th>{% for m in counted %}
<td class="money">{{ money(m.by_theme_pence.get(t.theme, 0)) }}
{% if m.by_theme_per_head_pence.get(t.theme) is not none %}
({{ money(m.by_theme_per_head_pence[t.theme]) }}){% endif %}</td>{% endfor %}</tr>
{% endfor %}
<tr><th scope="row">Prevention share</th>{% for m in counted %}
<td class="money">{{ net_share(m.prevention.prevention_share) }}</td>{% endfor %}</tr>
</tbody></table>
<p class="download"><a href="/network/themes.csv">Download (CSV)</a></p>
<h2>Barriers that recur across places</h2>
{% if d.recurring_barriers %}
<table><caption>Barriers of one type on one theme raised in two or more places</caption>
<thead><tr><th scope="col">Type</th><th scope="col">Theme</th><th scope="col">Places</th>
<th scope="col">Barriers</th><th scope="col" class="money">Money affected</th></tr></thead>
<tbody>{% for g in d.recurring_barriers %}<tr><td>{{ g.type_label }}</td>
<td>{{ g.theme_label }}</td><td>{{ g.places|join(", ") }}</td>
<td>{% for b in g.barriers %}{{ b.place }}: {{ b.title }} ({{ b.status }})
{%- if not loop.last %}; {% endif %}{% endfor %}</td>
<td class="money">{{ money(g.impact_pence) if g.impact_known else "not known" }}</td></tr>
{% endfor %}</tbody></table>
<p class="download"><a href="/network/barriers.csv">Download (CSV)</a></p>
{% else %}<p>No barrier of the same type and theme is raised in two places yet.</p>{% endif %}
<h2>Shared learning</h2>
{% if lessons %}
<table><caption>What a place tried, and what happened</caption>
<thead><tr><th scope="col">When</th><th scope="col">Place</th><th scope="col">Tried</th>
<th scope="col">Happened</th><th scope="col">Case</th></tr></thead>
<tbody>{% for e in lessons %}<tr><td>{{ e.date }}</td><td>{{ e.place }}</td>
<td>{{ e.tried }}</td><td>{{ e.happened }}</td><td>{{ e.case }}</td></tr>{% endfor %}
</tbody></table>
{% else %}<p>Nothing written down yet: <code>totalplace network learn NET add</code>.</p>
{% endif %}
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/network.js"></script>
{% endif %}
{% endblock %}
"""

NETWORK_JS = """'use strict';
(function () {
  var el = document.getElementById('chart-data');
  if (!el || !window.Plotly || !document.getElementById('theme-chart')) { return; }
  var d = JSON.parse(el.textContent);
  if (!d.themes.length) { return; }
  var labels = d.themes.map(function (t) { return t.label; }).reverse();
  Plotly.newPlot('theme-chart', d.places.map(function (p) {
    return {type: 'bar', orientation: 'h', name: p.name, y: labels,
      x: d.themes.map(function (t) { return (p.by_theme[t.theme] || 0) / 100; }).reverse(),
      hovertemplate: p.name + '<br>%{y}: £%{x:,.0f}<extra></extra>'};
  }), {barmode: 'group', margin: {l: 260, r: 20, t: 10, b: 40},
    height: Math.max(240, 80 + 26 * labels.length * Math.max(1, d.places.length) / 1.5),
    xaxis: {tickprefix: '£', separatethousands: true}, legend: {orientation: 'h'}},
  {displaylogo: false, responsive: true});
})();
"""

templates.register("network.html", PAGE)
templates.script("network.js", NETWORK_JS)


def _net_share(value: str | None) -> str:
    return "not known" if value is None else f"{float(value) * 100:.1f}%"


templates.env.globals.update(net_share=_net_share)


def network_of(root: Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]], str]:
    """The comparison of the workspace's network and its learning log, or
    None and the reason (in no network, or the network cannot be read)."""
    from totalplace.method import MEMBER_FILE
    from totalplace.tomlfile import read_toml

    member = root / MEMBER_FILE
    if not member.is_file():
        return (
            None,
            [],
            "This workspace is in no network of places. Join one with: totalplace network "
            f"add NET {root} (see the README, 'A network of places').",
        )
    try:
        from totalplace.network import open_network
        from totalplace.network.compare import comparison
        from totalplace.network.learning import read_log

        path = Path(str(read_toml(member, "network membership").get("network_path", "")))
        net = open_network(path)
        return comparison(net), [x.to_dict() for x in read_log(net)], ""
    except TotalPlaceError as exc:
        return None, [], f"The workspace's network cannot be read: {exc}"


def _data(site: Site) -> dict[str, Any]:
    data, lessons, why = network_of(site.root)
    if data is None:
        raise ApiError(404, "NoNetwork", why)
    return {**data, "lessons": lessons}


def add_routes(app: FastAPI, site: Site) -> None:
    # here rather than on import, so the navigation bar follows the order of app.PAGES
    templates.nav("Network", "/network")

    @app.get("/api/network", summary="The workspace's network of places, side by side")
    def api_network(user: Viewer) -> dict[str, Any]:
        return _data(site)

    @app.get("/network/{table}.csv", include_in_schema=False)
    def network_csv(table: str, user: Viewer) -> Response:
        d = _data(site)
        counted = [m for m in d["members"] if m.get("counted")]
        if table == "themes":
            header = ["theme", *(f"{m['name']} (pence)" for m in counted)]
            header += [f"{m['name']} per head (pence)" for m in counted]
            rows = [
                [
                    t["label"],
                    *(m["by_theme_pence"].get(t["theme"], 0) for m in counted),
                    *(m["by_theme_per_head_pence"].get(t["theme"], "") for m in counted),
                ]
                for t in d["themes"]
            ]
            return csv_response("network-themes.csv", header, rows)
        if table == "barriers":
            rows = [
                [g["type_label"], g["theme_label"], "; ".join(g["places"]), b["place"],
                 b["title"], b["status"], b["owner"], b["ask"]]
                for g in d["recurring_barriers"]
                for b in g["barriers"]
            ]  # fmt: skip
            header = ["type", "theme", "places", "place", "title", "status", "owner", "ask"]
            return csv_response("network-barriers.csv", header, rows)
        raise ApiError(404, "NotFound", f"no table {table}.csv; one of: themes, barriers")

    @app.get("/network", response_class=HTMLResponse, include_in_schema=False)
    def network_page(request: Request) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        _, context = who
        data, lessons, why = network_of(site.root)
        if data is None:
            return site.page("network.html", title="Network of places", d=None, why=why, **context)
        counted = [m for m in data["members"] if m.get("counted")]
        chart = {
            "themes": [{"theme": t["theme"], "label": t["label"]} for t in data["themes"]],
            "places": [{"name": m["name"], "by_theme": m["by_theme_pence"]} for m in counted],
        }
        return site.page(
            "network.html",
            title=f"Network of places: {data['network']}",
            d=data,
            counted=counted,
            per_head=any(m["per_head_pence"] is not None for m in counted),
            lessons=lessons,
            chart_json=script_json(chart),
            **context,
        )
