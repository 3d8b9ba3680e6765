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
import threading
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.classify.taxonomy import theme_label
from totalplace.count.trace import QueryTimeLimit, ThemeSuppliers, theme_suppliers
from totalplace.report import labels
from totalplace.report.count_file import NoCount, method_label, place_count
from totalplace.report.labels import tier_label
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


def kind_label(kind: str | None) -> str:
    """A kind of public body in words (:func:`totalplace.report.labels.kind_label`);
    nothing for a payee of no known kind."""
    return labels.kind_label(kind) if kind else ""


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


def _theme_lines(data: dict[str, Any], theme: str) -> list[dict[str, Any]]:
    return [x for x in data.get("lines", []) if x.get("theme") == theme]


def themes(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every theme of the count with its total (after transfers between the
    place's bodies are taken out, as the Overview shows it), largest first."""
    agencies: dict[str, set[str]] = defaultdict(set)
    for x in data.get("lines", []):
        agencies[str(x["theme"])].add(str(x["agency"]))
    out = [
        {"theme": t, "label": theme_label(t), "pence": int(p), "agencies": len(agencies[t]),
         "href": f"/themes/{t}"}
        for t, p in data.get("by_theme", {}).items()
    ]  # fmt: skip
    return sorted(out, key=lambda t: (-t["pence"], t["theme"]))


def theme_view(data: dict[str, Any], theme: str) -> dict[str, Any]:
    """What any user may see of a theme: aggregates only (agencies, tiers,
    transfers between public bodies, pass-through), never a payee's name but
    a public body's.  ApiError 404 when the count has no such theme."""
    lines = _theme_lines(data, theme)
    if not lines and theme not in data.get("by_theme", {}):
        known = ", ".join(sorted(data.get("by_theme", {})))
        raise ApiError(404, "NoSuchTheme", f"the count has no theme {theme!r}; its themes: "
                       f"{known or 'none'}")  # fmt: skip
    lines_pence = sum(int(x["pence"]) for x in lines)
    by_agency: dict[str, int] = defaultdict(int)
    methods: dict[str, set[str]] = defaultdict(set)
    for x in lines:
        by_agency[x["agency"]] += int(x["pence"])
        methods[x["agency"]].add(method_label(str(x["method"])))
    agencies = [
        {"agency": a, "pence": p, "methods": sorted(methods[a]), "drill": drill_href(a, theme),
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
        # the Places page's copy, so the server works each year out once
        from totalplace.web.page_places import national_count

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
    from totalplace.errors import TotalPlaceError
    from totalplace.reference.places import registry

    reg = registry()
    units: list[str] = []
    for code in (c.strip() for c in spec.split(",")):
        try:
            units += [u for u in reg.units(code) if u not in units]
        except TotalPlaceError:
            continue
    return units


def per_head(data: dict[str, Any], theme: str) -> dict[str, Any]:
    """The theme per head in the place beside England's and the place's
    region's, all three from the top-down count (the same method, so like is
    compared with like), and the place's own count per head when its
    population is known.  Says why when a figure cannot be given."""
    from totalplace.count.topdown import per_head as pence_per_head
    from totalplace.errors import TotalPlaceError

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
        national = NATIONAL.get(year)
    except (TotalPlaceError, ApiError) as exc:
        why = exc.detail if isinstance(exc, ApiError) else exc
        out["reason"] = f"the national figures for {year} cannot be worked out: {why}"
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
