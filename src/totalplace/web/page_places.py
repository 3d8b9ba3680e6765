"""Places: every English authority's top-down count for a year, on a map of
England by spending per head and in a table that sorts, with the workspace's
own place marked.

The figures are :func:`totalplace.count.national.topdown_all`, exactly what
``totalplace topdown --all --json`` prints: the lowest-tier authorities add
up to England's total to the penny, and a county is the sum of its districts
(listed apart, never added again).

The map is drawn from the shipped boundaries of the 326 districts of 2013
(``boundaries_lad13.json``), served by this server as GeoJSON: no base map,
no tiles, nothing fetched from anywhere else.  An authority made since 2013
from several districts (Buckinghamshire, Dorset, North Yorkshire, ...) is
drawn as its predecessors' polygons dissolved into one: the borders they
shared are dropped, so it reads as one area, as it now is.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
import hashlib
import json
import re
from functools import cache
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.errors import ConfigError, TotalPlaceError
from totalplace.reference.places import resolve_place
from totalplace.report import figures
from totalplace.report.boundaries import EMPTY_TOPOLOGY, england_geojson
from totalplace.web import templates
from totalplace.web.site import ApiError, Limit, Offset, Site, Viewer, csv_response
from totalplace.web.templates import script_json

GEOJSON_PATH = "/static/england-authorities.geojson"
# Plotly's map asks for its world base layers (coasts, countries) even with the
# base map hidden, from a CDN unless told where: this server answers with an
# empty topology (EMPTY_TOPOLOGY), so nothing is fetched from elsewhere and
# nothing is drawn but the authorities.
TOPOJSON_PATH = "/static/geo/"
# The years' national counts this server keeps: the theme pages' too.
_years = figures.KEPT_YEARS


@cache
def england_geojson_bytes() -> tuple[bytes, str]:
    """The map's GeoJSON as compact bytes, and an ETag for them."""
    body = json.dumps(england_geojson(), separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


# -- the count ----------------------------------------------------------------


def national_count(year: str) -> dict[str, Any]:
    """``topdown --all`` for ``year``, worked out once per year and kept
    (:func:`totalplace.report.figures.national_count`); a year the reference
    data do not hold is a 422 naming its error."""
    try:
        return figures.national_count(year, _years)
    except TotalPlaceError as exc:
        raise ApiError(422, type(exc).__name__, str(exc)) from exc


def _year(site: Site, year: str | None) -> str:
    from totalplace.config import check_year

    text = year or site.ws.config.year
    try:
        return check_year(text)
    except ConfigError as exc:
        raise ApiError(422, "InvalidRequest", f"year: {exc}") from exc


def shade_range(values: list[int]) -> list[int]:
    """The per-head figures the map's shades run between: the 2nd and 98th
    percentiles, so one outlier (the City of London, with few residents and
    much spending) does not leave every other authority the same shade.
    Those beyond take the end shades; their figures are in the table."""
    ordered = sorted(values) or [0]
    low = ordered[int(0.02 * (len(ordered) - 1))]
    high = ordered[round(0.98 * (len(ordered) - 1))]
    return [low, max(high, low + 1)]


def ours(site: Site) -> set[str]:
    """The workspace's place as GSS codes: the codes it was made with and the
    lowest-tier authorities they cover (a county is drawn as its districts)."""
    codes = set(site.ws.config.place)
    try:
        place = resolve_place(",".join(site.ws.config.place), site.ws.config.year)
    except ConfigError:
        return codes  # a place not in the registry (the demo's) marks nothing
    return codes | set(place.codes) | set(place.units)


def places(site: Site, year: str) -> dict[str, Any]:
    """The count of every authority, the workspace's marked, and which of
    them the map draws."""
    data = national_count(year)
    mine = ours(site)
    drawn = {f["id"]: f["properties"]["drawn"] for f in england_geojson()["features"]}
    rows = [
        {**p, "ours": p["gss"] in mine, "drawn": drawn.get(p["gss"], "")} for p in data["places"]
    ]
    counties = [{**c, "ours": c["gss"] in mine} for c in data.get("counties", [])]
    return {
        "year": data["year"],
        "england_total_pence": data["england_total_pence"],
        "england_population": sum(int(p["population"]) for p in rows),
        "places": rows,
        "counties": counties,
        "not_drawn": [p["gss"] for p in rows if not p["drawn"]],
        "geojson": GEOJSON_PATH,
    }


PLACES = """{% extends "base.html" %}
{% block main %}
<style>tr.ours { background: #fff4ce; } th button { font: inherit; font-weight: 700; }</style>
<form method="get" action="/places"><p><label for="year">Financial year</label>
<input id="year" name="year" value="{{ year }}" pattern="[0-9]{4}-[0-9]{2}" size="8">
<button type="submit">Show</button></p></form>
{% if notice %}
<p class="notice" role="status">{{ notice }}</p>
{% else %}
<p>Every English authority's top-down count for {{ d.year }}: HM Treasury's regional spending
shared to each place by the apportionment keys, with councils' own outturn where it is
published. The {{ "{:,}".format(d.places|length) }} authorities add up to England's
{{ money(d.england_total_pence) }}, for {{ "{:,}".format(d.england_population) }} people.
{% if mine %}The workspace's place is marked: {{ mine|join(", ") }}.{% else %}The workspace's
place is not an authority in the register, so none is marked.{% endif %}</p>
<section aria-labelledby="map">
<h2 id="map">Spending per head</h2>
<div class="pair">
<div id="places-map" class="chart" role="figure" aria-label="Map of England's authorities shaded
 by spending per head; the table below holds the same figures"></div>
</div>
<p>Drawn from the 2013 district boundaries; an authority formed since from several districts is
drawn as their areas joined into one.</p>
</section>
<section aria-labelledby="table">
<h2 id="table">Every authority</h2>
<p><a class="download" href="/places.csv?year={{ d.year }}">Download as CSV</a>. Select a
column's heading to sort by it.</p>
<table id="places-table">
<thead><tr>
<th scope="col" aria-sort="ascending"><button type="button" data-key="name">Authority</button></th>
<th scope="col" class="money"><button type="button" data-key="total">Total</button></th>
<th scope="col" class="money"><button type="button" data-key="head">Per head</button></th>
<th scope="col" class="money"><button type="button" data-key="pop">Population</button></th>
</tr></thead>
<tbody>
{% for p in d.places %}
<tr{% if p.ours %} class="ours"{% endif %} data-name="{{ p.name }}" data-total="{{ p.total_pence }}"
 data-head="{{ p.per_head_pence }}" data-pop="{{ p.population }}">
<td>{{ p.name }}{% if p.ours %} <strong>(this workspace)</strong>{% endif %}</td>
<td class="money">{{ money(p.total_pence) }}</td>
<td class="money">{{ money(p.per_head_pence) }}</td>
<td class="money">{{ "{:,}".format(p.population) }}</td></tr>
{% endfor %}
</tbody>
</table>
{% if d.counties %}
<h3>Counties, each the sum of its districts</h3>
<p>Not added to England again: their spending is in their districts' figures above.</p>
<table>
<thead><tr><th scope="col">County</th><th scope="col" class="money">Total</th>
<th scope="col" class="money">Per head</th><th scope="col" class="money">Population</th>
</tr></thead>
<tbody>
{% for c in d.counties %}
<tr{% if c.ours %} class="ours"{% endif %}><td>{{ c.name }}{% if c.ours %}
 <strong>(this workspace)</strong>{% endif %}</td>
<td class="money">{{ money(c.total_pence) }}</td><td class="money">{{ money(c.per_head_pence) }}
</td><td class="money">{{ "{:,}".format(c.population) }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}
</section>
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/places.js"></script>
{% endif %}
{% endblock %}
"""

# Fetches the boundaries from this server, shades each authority by per head
# and outlines the workspace's; the table sorts in place.
PLACES_JS = """'use strict';
(function () {
  var el = document.getElementById('chart-data');
  if (!el) { return; }
  var d = JSON.parse(el.textContent);
  var gbp = function (p) {
    var s = '£' + Math.abs(p / 100).toLocaleString('en-GB', {maximumFractionDigits: 0});
    return p < 0 ? '\\u2212' + s : s;
  };
  if (window.Plotly && document.getElementById('places-map')) {
    fetch(d.geojson).then(function (r) { return r.json(); }).then(function (geo) {
      var traces = [{
        type: 'choropleth', geojson: geo, featureidkey: 'id', locationmode: 'geojson-id',
        locations: d.places.map(function (p) { return p.gss; }),
        z: d.places.map(function (p) { return p.per_head_pence / 100; }),
        text: d.places.map(function (p) { return p.name + '<br>' + gbp(p.per_head_pence) +
          ' per head<br>' + gbp(p.total_pence) + ' in all'; }),
        hoverinfo: 'text', colorscale: 'Blues', reversescale: true,
        zmin: d.range[0] / 100, zmax: d.range[1] / 100,
        marker: {line: {width: 0.3, color: '#ffffff'}},
        colorbar: {title: {text: 'Per head'}, tickprefix: '£', tickformat: ',.0f'}
      }];
      if (d.ours.length) {
        traces.push({
          type: 'choropleth', geojson: geo, featureidkey: 'id', locationmode: 'geojson-id',
          locations: d.ours, z: d.ours.map(function () { return 1; }), showscale: false,
          colorscale: [[0, 'rgba(0,0,0,0)'], [1, 'rgba(0,0,0,0)']], hoverinfo: 'skip',
          marker: {line: {width: 2.5, color: '#d9822b'}}, name: 'This workspace'
        });
      }
      Plotly.newPlot('places-map', traces, {
        geo: {visible: false, fitbounds: 'locations', projection: {type: 'mercator'}},
        margin: {l: 0, r: 0, t: 0, b: 0}, height: 640
      }, {displaylogo: false, responsive: true, topojsonURL: d.topojson});
    });
  }
  var table = document.getElementById('places-table');
  if (!table) { return; }
  table.querySelectorAll('thead button').forEach(function (b) {
    b.addEventListener('click', function () {
      var key = b.getAttribute('data-key');
      var th = b.parentNode;
      var up = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (x, y) {
        var a = x.getAttribute('data-' + key), c = y.getAttribute('data-' + key);
        var r = key === 'name' ? a.localeCompare(c) : Number(a) - Number(c);
        return up ? r : -r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
"""

templates.register("places.html", PLACES)
templates.script("places.js", PLACES_JS)
templates.nav("Places", "/places")


def add_routes(app: FastAPI, site: Site) -> None:
    year_query = Query(None, description="Financial year, YYYY-YY; the workspace's by default.")

    @app.get("/places", response_class=HTMLResponse, include_in_schema=False)
    def places_page(request: Request, year: str | None = None) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        _, context = who
        shown = year or site.ws.config.year
        try:
            d = places(site, _year(site, year))
        except ApiError as exc:
            return site.page(
                "places.html", exc.status_code, title="Places", year=shown,
                notice=str(exc.detail), **context,
            )  # fmt: skip
        # the table opens sorted by name, as its first heading says
        d["places"] = sorted(d["places"], key=lambda p: (str(p["name"]).casefold(), p["gss"]))
        chart = {
            "geojson": d["geojson"],
            "topojson": TOPOJSON_PATH,
            "range": shade_range([p["per_head_pence"] for p in d["places"]]),
            "ours": [p["gss"] for p in d["places"] if p["ours"]],
            "places": [
                {k: p[k] for k in ("gss", "name", "per_head_pence", "total_pence")}
                for p in d["places"]
            ],
        }
        return site.page(
            "places.html",
            title=f"Places, {d['year']}",
            year=d["year"],
            d=d,
            mine=[p["name"] for p in d["places"] + d["counties"] if p["ours"]],
            chart_json=script_json(chart),
            **context,
        )

    @app.get(GEOJSON_PATH, include_in_schema=False)
    def boundaries(request: Request, user: Viewer) -> Response:
        body, etag = england_geojson_bytes()
        # behind the login like every route but the scripts: kept a day, by this browser only
        headers = {"ETag": etag, "Cache-Control": "private, max-age=86400"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/geo+json", headers=headers)

    @app.get(TOPOJSON_PATH + "{name}", include_in_schema=False)
    def base_layers(name: str, user: Viewer) -> Response:
        if not re.fullmatch(r"[a-z-]+_(?:50|110)m\.json", name):
            raise ApiError(404, "NotFound", f"nothing at {TOPOJSON_PATH}{name}")
        return Response(
            EMPTY_TOPOLOGY,
            media_type="application/json",
            headers={"Cache-Control": "private, max-age=86400"},
        )

    @app.get(
        "/api/places",
        summary="Every English authority's top-down count for a year, paged, with counties "
        "as the sums of their districts",
    )
    def api_places(
        user: Viewer, year: str | None = year_query, limit: Limit = 1000, offset: Offset = 0
    ) -> dict[str, Any]:
        d = places(site, _year(site, year))
        rows = d.pop("places")
        return {"total": len(rows), "limit": limit, "offset": offset,
                "places": rows[offset : offset + limit], **d}  # fmt: skip

    @app.get("/places.csv", include_in_schema=False)
    def places_csv(user: Viewer, year: str | None = year_query) -> Response:
        d = places(site, _year(site, year))
        keys = ["gss", "name", "kind", "region", "population", "total_pence",
                "current_pence", "capital_pence", "per_head_pence"]  # fmt: skip
        rows = [[p.get(k) for k in keys] + [p["ours"]] for p in d["places"]]
        return csv_response(f"places-{d['year']}.csv", [*keys, "this_workspace"], rows)
