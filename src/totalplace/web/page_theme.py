"""Theme deep dive: one theme of the count across the place's agencies.

``/themes`` lists the themes with their totals; ``/themes/{theme}`` shows
every agency spending on the theme (each linking to its drill-down), the
split by prevention tier, the transfers between the place's bodies and the
pass-through on the theme, its figure per head beside England's and the
region's, and for analysts the payees the theme's money went to.

Every figure but the payees is read from the count's report, as the
Overview's are, so the pages cannot disagree.  The payees are summed from the
rows :func:`totalplace.count.trace.trace` lists for each of the theme's
cells (:func:`totalplace.count.trace.theme_suppliers`), so they add up to the
theme's lines from payments; they carry names (some of them people), so
viewers never see them.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.classify.taxonomy import theme_label
from totalplace.count.trace import QueryTimeLimit, ThemeSuppliers, theme_suppliers
from totalplace.report import figures
from totalplace.report.count_file import NoCount, place_count
from totalplace.report.figures import NATIONAL, NoSuchTheme
from totalplace.report.figures import NationalFigures as NationalFigures  # the page's too
from totalplace.report.figures import kind_label as kind_label  # the page's too
from totalplace.web import templates
from totalplace.web.cache import site_cache
from totalplace.web.page_drill import QUERY_SECONDS, drill_href
from totalplace.web.site import (
    MAX_DEPTH,
    Analyst,
    ApiError,
    Limit,
    Offset,
    Site,
    Viewer,
    check_depth,
    csv_response,
)
from totalplace.web.templates import script_json
from totalplace.web.users import User

# Payees the theme page lists; the API pages through the rest.
PAGE_SUPPLIERS = 20


def _suppliers(
    site: Site, data: dict[str, Any], theme: str, limit: int, offset: int = 0
) -> ThemeSuppliers:
    """The theme's payees, or 503 QueryTimeLimit when the query runs too long."""
    cache = site_cache(site)
    count = cache.count.derived("place_count", place_count)
    try:
        # the spend rows stay open while the files do not change
        return theme_suppliers(site.ws, count, theme, limit, offset, seconds=QUERY_SECONDS,
                               cells=cache.spend.cells(count.year))  # fmt: skip
    except QueryTimeLimit as exc:
        raise ApiError(503, "QueryTimeLimit", str(exc)) from exc


def themes(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every theme of the count with its total, largest first
    (:func:`totalplace.report.figures.themes`), each with its page's address."""
    return [{**t, "href": f"/themes/{t['theme']}"} for t in figures.themes(data)]


def theme_view(data: dict[str, Any], theme: str) -> dict[str, Any]:
    """A theme's aggregates (:func:`totalplace.report.figures.theme_view`),
    each agency with its drill-down's address.  ApiError 404 when the count
    has no such theme."""
    try:
        view = figures.theme_view(data, theme)
    except NoSuchTheme as exc:
        raise ApiError(404, "NoSuchTheme", str(exc)) from exc
    view["agencies"] = [{**a, "drill": drill_href(a["agency"], theme)} for a in view["agencies"]]
    return view


def per_head(data: dict[str, Any], theme: str) -> dict[str, Any]:
    """The theme per head beside England's and the region's
    (:func:`totalplace.report.figures.per_head`), from this server's national
    figures."""
    return figures.per_head(data, theme, NATIONAL)


THEMES = """{% extends "base.html" %}
{% block main %}
{% if no_count %}
<p class="notice" role="status">{{ no_count }}</p>
{% else %}
<table>
<caption>The count by theme (transfers between the place's bodies taken out)</caption>
<thead><tr><th scope="col">Theme</th><th scope="col" class="money">Amount</th>
<th scope="col" class="money">Agencies</th></tr></thead>
<tbody>
{% for t in themes %}
<tr><td><a href="{{ t.href }}">{{ t.label }}</a></td><td class="money">{{ money(t.pence) }}</td>
<td class="money">{{ t.agencies }}</td></tr>
{% endfor %}
</tbody>
</table>
<p class="download"><a href="/themes.csv">Download as CSV</a></p>
{% endif %}
{% endblock %}
"""

THEME = """{% extends "base.html" %}
{% block main %}
{% if notice %}
<p class="notice" role="status">{{ notice }}</p>
<p><a href="/themes">Every theme</a></p>
{% else %}
<p><a href="/themes">Every theme</a> · {{ v.label }} in the count:
<span class="figure">{{ money(v.pence) }}</span></p>
<p>The agencies' lines come to {{ money(v.lines_pence) }}, less {{
money(v.transfers_eliminated_pence) }} of transfers between the place's own bodies (counted
where the receiving body spends them).{% if v.pass_through_pence %} A further {{
money(v.pass_through_pence) }} passed through to other bodies is shown below, not added.{%
endif %}</p>
<section aria-labelledby="agencies">
<h2 id="agencies">Every agency spending on it</h2>
<div class="pair">
<div id="agency-chart" class="chart" role="figure" aria-label="Bar chart of the theme by agency;
 the table beside it holds the same figures"></div>
<table>
<caption>{{ v.label }} by agency (open one for its lines and rows)</caption>
<thead><tr><th scope="col">Agency</th><th scope="col">Counted</th>
<th scope="col" class="money">Amount</th><th scope="col" class="money">Share</th></tr></thead>
<tbody>
{% for a in v.agencies %}
<tr><td><a href="{{ a.drill }}">{{ a.agency }}</a></td><td>{{ a.methods | join("; ") }}</td>
<td class="money">{{ money(a.pence) }}</td><td class="money">{{ share(a.share) }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
<p class="download"><a href="/themes/{{ v.theme }}/agencies.csv">Download as CSV</a></p>
</section>
<section aria-labelledby="tiers">
<h2 id="tiers">Prevention and crisis</h2>
<div class="pair">
<div id="tier-chart" class="chart" role="figure" aria-label="Bar chart of the theme by prevention
 tier; the table beside it holds the same figures"></div>
<table>
<caption>{{ v.label }} by prevention tier</caption>
<thead><tr><th scope="col">Tier</th><th scope="col" class="money">Amount</th>
<th scope="col" class="money">Share</th></tr></thead>
<tbody>
{% for t in v.tiers %}
<tr><td>{{ t.label }}</td><td class="money">{{ money(t.pence) }}</td>
<td class="money">{{ share(t.share) }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
<p class="download"><a href="/themes/{{ v.theme }}/tiers.csv">Download as CSV</a></p>
</section>
<section aria-labelledby="per-head">
<h2 id="per-head">Per head against other places</h2>
{% if ph.available %}
<table>
<caption>{{ v.label }} per head, {{ ph.year }}, top down (national and regional spending shared
out by key, the same method for each)</caption>
<thead><tr><th scope="col">Where</th><th scope="col" class="money">Per head</th></tr></thead>
<tbody>
<tr><td>This place</td><td class="money">{{ money(ph.place_pence) }}</td></tr>
<tr><td>Its region ({{ ph.region }})</td><td class="money">{{ money(ph.region_pence) }}</td></tr>
<tr><td>England</td><td class="money">{{ money(ph.england_pence) }}</td></tr>
</tbody>
</table>
<p>A region's spending is shared among its authorities by keys (population, need, sites), so
a place differs from its region only as far as its keys do: the same figure means the theme
is shared by head of population alone.</p>
{% else %}
<p>Not available: {{ ph.reason }}.</p>
{% endif %}
{% if ph.count_per_head_pence is not none %}<p>This count's own figure per head for the theme:
{{ money(ph.count_per_head_pence) }} (from payments and outturn as well as top down, so not
the same measure as the table).</p>{% endif %}
</section>
<section aria-labelledby="transfers">
<h2 id="transfers">Transfers between public bodies</h2>
{% if v.transfers %}
<table>
<caption>Payments on {{ v.label }} from the place's bodies to other public bodies</caption>
<thead><tr><th scope="col">Paid by</th><th scope="col">Paid to</th><th scope="col">Kind</th>
<th scope="col" class="money">Amount</th><th scope="col">Taken out of the count?</th></tr>
</thead>
<tbody>
{% for t in v.transfers %}
<tr><td>{{ t.agency }}</td><td>{{ t.payee }}</td><td>{{ t.payee_kind }}</td>
<td class="money">{{ money(t.pence) }}</td>
<td>{% if t.eliminated %}Yes{% else %}No{% endif %}: {{ t.reason }}</td></tr>
{% endfor %}
</tbody>
</table>
<p class="download"><a href="/themes/{{ v.theme }}/transfers.csv">Download as CSV</a></p>
{% else %}
<p>No payment on this theme went to another public body the count knows.</p>
{% endif %}
<h3>Passed through</h3>
{% if v.pass_through %}
<table>
<caption>Money on {{ v.label }} passed through to other bodies (not counted)</caption>
<thead><tr><th scope="col">Agency</th><th scope="col">Source</th>
<th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for p in v.pass_through %}
<tr><td>{{ p.agency }}</td><td>{{ p.source }}</td><td class="money">{{ money(p.pence) }}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>None of the place's pass-through ({{ money(v.all_pass_through_pence) }} in all: precepts,
levies, tax paid over) is on this theme.</p>
{% endif %}
</section>
<section aria-labelledby="suppliers">
<h2 id="suppliers">Who was paid</h2>
{% if suppliers_late %}
<p class="notice" role="status">The payees cannot be listed: {{ suppliers_late }}.</p>
{% elif suppliers is none %}
<p class="notice" role="status">You are a viewer: payees' names (some of them people) are for
analysts. Ask an admin for the analyst role to see them.</p>
{% elif suppliers.total %}
<table>
<caption>The {{ suppliers.suppliers | length }} largest of {{ "{:,}".format(suppliers.total) }}
payees of {{ v.label }} from payments (net of refunds), which add up to {{
money(suppliers.pence) }}</caption>
<thead><tr><th scope="col">Payee</th><th scope="col" class="money">Rows</th>
<th scope="col" class="money">Paid by (bodies)</th><th scope="col" class="money">Amount</th>
</tr></thead>
<tbody>
{% for s in suppliers.suppliers %}
<tr><td>{{ s.name or "(no name)" }}</td><td class="money">{{ "{:,}".format(s.rows) }}</td>
<td class="money">{{ s.payers }}</td><td class="money">{{ money(s.pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
<p class="download"><a href="/themes/{{ v.theme }}/suppliers.csv">Download every payee as CSV</a>
</p>
{% else %}
<p>No line of this theme is from payments, so no payee is known.</p>
{% endif %}
</section>
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/theme.js"></script>
{% endif %}
{% endblock %}
"""

# Draws the two bar charts from the page's JSON block; labels come from the
# server already in words.
THEME_JS = """'use strict';
(function () {
  var el = document.getElementById('chart-data');
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var gbp = function (p) {
    var s = '£' + (Math.abs(p) / 100).toLocaleString('en-GB', {maximumFractionDigits: 0});
    return p < 0 ? '\\u2212' + s : s;
  };
  var bars = function (id, items, left) {
    var rows = items.slice().reverse();
    Plotly.newPlot(id, [{
      type: 'bar', orientation: 'h',
      y: rows.map(function (r) { return r.label; }),
      x: rows.map(function (r) { return r.pence / 100; }),
      text: rows.map(function (r) { return gbp(r.pence); }),
      hoverinfo: 'y+text', textposition: 'none'
    }], {margin: {l: left, r: 20, t: 10, b: 40},
         xaxis: {tickprefix: '£', separatethousands: true, automargin: true},
         yaxis: {automargin: true}},
    {displaylogo: false, responsive: true});
  };
  bars('agency-chart', d.agencies, 260);
  bars('tier-chart', d.tiers, 220);
})();
"""

templates.register("themes.html", THEMES)
templates.register("theme.html", THEME)
templates.script("theme.js", THEME_JS)
templates.nav("Themes", "/themes")


def _theme_page(site: Site, request: Request, theme: str) -> Response:
    who = site.page_user(request)
    if isinstance(who, Response):
        return who
    user, context = who

    # rendered once per version of the count and of the spend rows (the
    # payees), and person asking
    return site_cache(site).page(
        request, context, lambda: _theme_html(site, user, context, theme), user.may("analyst")
    )


def _theme_html(
    site: Site, user: User, context: dict[str, Any], theme: str
) -> tuple[Response, bool]:
    """The theme's page, and whether it may be shown again as it is (not
    while the national figures or the payees are still to come)."""
    title = f"Theme: {theme_label(theme)}"
    try:
        data = site_cache(site).count.data()
    except NoCount as exc:
        return site.page("theme.html", title=title, notice=str(exc), **context), False
    try:
        view = theme_view(data, theme)
    except ApiError as exc:
        notice = str(exc.detail)
        return site.page("theme.html", 404, title=title, notice=notice, **context), False
    suppliers, late = None, ""
    if user.may("analyst"):
        try:
            suppliers = _suppliers(site, data, theme, PAGE_SUPPLIERS)
        except ApiError as exc:
            late = str(exc.detail)
    chart = {
        "agencies": [{"label": a["agency"], "pence": a["pence"]} for a in view["agencies"]],
        "tiers": [{"label": t["label"], "pence": t["pence"]} for t in view["tiers"]],
    }
    ph = per_head(data, theme)
    page = site.page(
        "theme.html",
        title=title,
        v=view,
        ph=ph,
        suppliers=suppliers,
        suppliers_late=late,
        chart_json=script_json(chart),
        **context,
    )
    return page, not ph.get("pending") and not late


def add_routes(app: FastAPI, site: Site) -> None:
    @app.get("/themes", response_class=HTMLResponse, include_in_schema=False)
    def themes_page(request: Request) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        _, context = who
        try:
            data = site_cache(site).count.data()
        except NoCount as exc:
            return site.page("themes.html", title="Themes", no_count=str(exc), **context)
        return site.page("themes.html", title="Themes", themes=themes(data), **context)

    @app.get("/themes.csv", include_in_schema=False)
    def themes_csv(user: Viewer) -> Response:
        rows = [[t["label"], t["pence"], t["agencies"]] for t in themes(site.count_data())]
        return csv_response("themes.csv", ["theme", "pence", "agencies"], rows)

    @app.get("/themes/{theme}", response_class=HTMLResponse, include_in_schema=False)
    def theme_page(theme: str, request: Request) -> Response:
        return _theme_page(site, request, theme)

    @app.get("/themes/{theme}/{table}.csv", include_in_schema=False)
    def theme_csv(theme: str, table: str, user: Viewer) -> Response:
        data = site.count_data()
        view = theme_view(data, theme)
        if table == "agencies":
            header = ["agency", "counted", "pence", "share"]
            rows = [[a["agency"], "; ".join(a["methods"]), a["pence"], a["share"]]
                    for a in view["agencies"]]  # fmt: skip
        elif table == "tiers":
            header = ["tier", "pence", "share"]
            rows = [[t["label"], t["pence"], t["share"]] for t in view["tiers"]]
        elif table == "transfers":
            header = ["paid_by", "paid_to", "kind", "pence", "eliminated", "reason"]
            rows = [[t["agency"], t["payee"], t["payee_kind"], t["pence"], t["eliminated"],
                     t["reason"]] for t in view["transfers"]]  # fmt: skip
        elif table == "suppliers":
            Site.analyst_only(user)
            found = _suppliers(site, data, theme, MAX_DEPTH)
            header = ["payee", "rows", "paying_bodies", "pence"]
            rows = [[s.name, s.rows, s.payers, s.pence] for s in found.suppliers]
        else:
            raise ApiError(404, "NotFound", f"no table {table!r}: agencies, tiers, transfers "
                           "or suppliers")  # fmt: skip
        return csv_response(f"{theme}-{table}.csv", header, rows)

    @app.get("/api/themes", summary="The count's themes with their totals, paged")
    def api_themes(user: Viewer, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        check_depth(limit, offset)
        found = themes(site.count_data())
        return {"total": len(found), "limit": limit, "offset": offset,
                "themes": found[offset : offset + limit]}  # fmt: skip

    @app.get(
        "/api/themes/{theme}",
        summary="One theme: its agencies (paged), prevention tiers, transfers, pass-through "
        "and per head against England and the region (no payee names)",
    )
    def api_theme(
        theme: str, user: Viewer, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        check_depth(limit, offset)
        data = site.count_data()
        view = theme_view(data, theme)
        agencies = view.pop("agencies")
        return {
            **view,
            "agencies_total": len(agencies),
            "limit": limit,
            "offset": offset,
            "agencies": agencies[offset : offset + limit],
            "per_head": per_head(data, theme),
        }

    @app.get(
        "/api/themes/{theme}/suppliers",
        summary="Who the theme's payments went to, largest first, paged (analysts)",
    )
    def api_theme_suppliers(
        theme: str, user: Analyst, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        check_depth(limit, offset)
        data = site.count_data()
        view = theme_view(data, theme)  # a 404 for a theme the count lacks
        found = _suppliers(site, data, theme, limit, offset)
        return {
            "theme": theme,
            "theme_label": view["label"],
            "from_payments_pence": view["from_payments_pence"],
            "total": found.total,
            "suppliers_pence": found.pence,
            "limit": limit,
            "offset": offset,
            "suppliers": [
                {"name": s.name, "body_id": s.body_id, "pence": s.pence, "rows": s.rows,
                 "paying_bodies": s.payers}
                for s in found.suppliers
            ],
        }  # fmt: skip
