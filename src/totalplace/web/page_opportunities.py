"""The Opportunities page: the ranked register with its marks, fragmentation
by theme (agencies, funding streams, HHI, ring-fenced money), the prevention
split by tier with the money a one-point shift moves, and the scenarios side
by side.  Every chart has the same figures in a table beside it and a CSV.

The register is :func:`totalplace.opportunities.register.build_register`'s,
as ``totalplace opportunities DIR`` gives it, kept until the count, the marks,
the assumptions or a scenario file changes.  A viewer sees a shared supplier
item without the supplier's name (names are for analysts).  Scenarios are the
workspace's ``scenarios/*.toml`` and the shipped examples; one that cannot be
read is listed with its error and never stops the page.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.classify.taxonomy import theme_label
from totalplace.errors import TotalPlaceError
from totalplace.report.count_file import COUNT_FILE, NoCount, read_count
from totalplace.report.labels import tier_label
from totalplace.web import templates
from totalplace.web.site import ApiError, Site, Viewer, csv_response
from totalplace.web.templates import script_json

CHART_TOP = 20  # register items drawn in the chart (the table lists them all)
KIND_LABELS = {
    "shared_supplier": "Shared supplier",
    "duplication": "Duplicated activity",
    "back_office": "Back office",
    "fragmentation": "Fragmented funding",
    "prevention_shift": "Prevention shift",
    "scenario": "Scenario",
}
TIERS = ("universal", "targeted", "acute")


def _inputs(root: Path) -> tuple[Any, ...]:
    """What the register is made from: the count, the marks, the assumptions
    and the scenario files, by modification time and size."""
    from totalplace.opportunities.marks import MARKS_FILE
    from totalplace.opportunities.others import SCENARIO_DIR
    from totalplace.opportunities.register import ASSUMPTIONS_FILE
    from totalplace.report.run import REPORTS

    paths = [root / REPORTS / COUNT_FILE, root / MARKS_FILE, root / ASSUMPTIONS_FILE]
    paths += sorted((root / SCENARIO_DIR).glob("*.toml"))
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths if p.exists())


class _Register:
    """The register, built once per change of its inputs (the shared-supplier
    query reads every payment)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._items: list[dict[str, Any]] = []
        self._left_out: dict[str, int] = {}

    def items(self, data: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """The items worth at least the register's floor, and how many were
        left out under it and their total."""
        from totalplace.opportunities.register import register_and_left_out

        key = _inputs(self.site.root)
        with self._lock:
            if key != self._key:
                kept, self._left_out = register_and_left_out(self.site.ws, data)
                self._items = [x.to_dict() for x in kept]
                self._key = key
            return self._items, self._left_out


def _for(user: Any, item: dict[str, Any]) -> dict[str, Any]:
    """An item as ``user`` may see it: a viewer is not shown supplier names."""
    if user.may("analyst") or item["kind"] != "shared_supplier":
        return item
    n = len(item["agencies"])
    return {
        **item,
        "description": f"A supplier paid by {n} agencies of the place (names are shown to "
        "analysts).",
        "evidence": "",
        "details": {},
    }


def _scenarios(root: Path, data: dict[str, Any]) -> list[dict[str, Any]]:
    from totalplace.opportunities.others import SCENARIO_DIR
    from totalplace.opportunities.scenarios import (
        count_of,
        load_scenario,
        run_scenario,
        shipped_scenarios,
    )

    count = count_of(data)
    out: list[dict[str, Any]] = []
    own = sorted((root / SCENARIO_DIR).glob("*.toml")) if (root / SCENARIO_DIR).is_dir() else []
    for path, where in [
        *((p, "workspace") for p in own),
        *((p, "shipped") for p in shipped_scenarios()),
    ]:
        shown = f"{SCENARIO_DIR}/{path.name}" if where == "workspace" else f"shipped: {path.name}"
        try:
            result = run_scenario(count, load_scenario(path))
        except TotalPlaceError as exc:
            out.append({"file": shown, "error": str(exc).replace(str(path), shown)})
            continue
        out.append({**result, "file": shown, "error": None})
    return out


GRANTS_DIR = "grants"
GRANT_SUFFIXES = (".json", ".csv", ".gz")


def _grants(root: Path, spec: str) -> dict[str, Any] | None:
    """The place's grants from the 360Giving files in the workspace's
    ``grants/`` folder, per funder and theme; None without the folder."""
    from totalplace.ingest.giving360 import read_grants
    from totalplace.report.grants import summarise

    folder = root / GRANTS_DIR
    files = sorted(p for p in folder.glob("*") if p.suffix in GRANT_SUFFIXES and p.is_file())
    if not folder.is_dir() or not files:
        return None
    try:
        summary = summarise([read_grants(p) for p in files], spec or None)
    except TotalPlaceError as exc:
        return {"error": str(exc).replace(str(root) + "/", ""), "rows": []}
    rows = [
        {"funder": funder, "theme": theme, "grants": cell["grants"], "pence": cell["pence"]}
        for funder, f in summary["by_funder"].items()
        for theme, cell in f["themes"].items()
    ]
    files_read = [
        {"file": f"{GRANTS_DIR}/{Path(f['path']).name}", "rows": f["rows"],
         "loaded": f["loaded"], "refused": f["refused"]}
        for f in summary["files"]
    ]  # fmt: skip
    return {
        "error": None,
        "grants": summary["grants"],
        "pence": summary["pence"],
        "funders": summary["funders"],
        "funding_streams": summary["funding_streams"],
        "rows": rows,
        "files": files_read,
    }


def opportunities_view(site: Site, register: _Register, user: Any) -> dict[str, Any]:
    """Everything the page shows, as the API gives it."""
    from totalplace.opportunities.fragmentation import fragmentation
    from totalplace.opportunities.prevention import tier_split
    from totalplace.opportunities.scenarios import count_of

    data = read_count(site.root)
    count = count_of(data)
    error = ""
    left_out: dict[str, int] = {}
    try:
        listed, left_out = register.items(data)
        items = [_for(user, x) for x in listed]
    except TotalPlaceError as exc:
        items, error = [], str(exc)
    kinds: dict[str, int] = {}
    for x in items:
        kinds[x["kind"]] = kinds.get(x["kind"], 0) + x["value_pence"]
    return {
        "place": data.get("place", {}),
        "year": data.get("year", ""),
        "population": count.population,
        "opportunities": items,
        "left_out": left_out,
        "register_error": error,
        "by_kind": kinds,
        "fragmentation": [t.to_dict() for t in fragmentation(count)],
        "prevention": [t.to_dict() for t in tier_split(count)],
        "scenarios": _scenarios(site.root, data),
        "grants": _grants(site.root, count.place.spec),
    }


PAGE = """{% extends "base.html" %}
{% block main %}
{% if no_count %}
<p class="notice" role="status">{{ no_count }}</p>
{% else %}
<p>Opportunities the count of {{ v.place.name or v.place.spec }} ({{ v.year }}) points at,
largest first. Each figure is a planning figure from a stated assumption (its description
says which), not a saving found in the data; kinds overlap, so they are not to be added
into one total. Mark an item with
<code>totalplace opportunities DIR --mark ID accepted|rejected|parked --note TEXT</code>.
<a href="/api/opportunities">JSON</a></p>

<h2>Register</h2>
{% if v.register_error %}<p class="error" role="alert">{{ v.register_error }}</p>{% endif %}
{% if v.opportunities %}
<div id="register-chart" class="chart" role="figure" aria-label="Bar chart of the largest
 opportunities by money at stake; the table below holds every item"></div>
<table>
<caption>Opportunity register ({{ v.opportunities|length }} items)</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Kind</th><th scope="col">Description</th>
<th scope="col">Agencies</th><th scope="col" class="money">£ at stake</th>
<th scope="col">Confidence</th><th scope="col">Status</th><th scope="col">Evidence</th></tr>
</thead><tbody>
{% for x in v.opportunities %}
<tr><td>{{ x.id }}</td><td>{{ opp_kind(x.kind) }}</td><td>{{ x.description }}</td>
<td>{{ x.agencies|join("; ") }}</td><td class="money">{{ money(x.value_pence) }}</td>
<td>{{ x.confidence }}</td>
<td>{{ x.status }}{% if x.note %}: {{ x.note }}{% endif %}</td>
<td>{% if x.evidence.startswith("/") %}<a href="{{ x.evidence }}">rows and lines</a>
{% else %}{{ x.evidence }}{% endif %}</td></tr>
{% endfor %}
</tbody></table>
{% else %}
<p class="notice" role="status">No opportunity found in this count.</p>
{% endif %}
{% if v.left_out.count %}<p>Left out, each worth under {{ money(v.left_out.under_pounds * 100) }}
(<code>[register] min_value_pounds</code>): {{ v.left_out.count }} items,
{{ money(v.left_out.value_pence) }} in all.</p>{% endif %}
<p class="download"><a href="/opportunities/register.csv">Download the register (CSV)</a></p>

<h2>Fragmentation by theme</h2>
<p>Agencies and funding streams per theme, and the Herfindahl-Hirschman index (HHI) of the
agencies' shares: 10,000 is one agency; at most 2,500 (not highly concentrated) with three
or more agencies counts as fragmented.</p>
<div id="hhi-chart" class="chart" role="figure" aria-label="Bar chart of each theme's HHI;
 the table beside it holds the same figures"></div>
<table>
<caption>Fragmentation by theme</caption>
<thead><tr><th scope="col">Theme</th><th scope="col" class="money">Spending</th>
<th scope="col" class="money">Agencies</th><th scope="col" class="money">Funding streams</th>
<th scope="col" class="money">HHI</th><th scope="col">Concentration</th>
<th scope="col" class="money">Ring-fenced</th><th scope="col" class="money">Not ring-fenced</th>
<th scope="col" class="money">Not known</th></tr></thead><tbody>
{% for t in v.fragmentation %}
<tr><td>{{ opp_theme(t.theme) }}</td><td class="money">{{ money(t.pence) }}</td>
<td class="money">{{ t.agencies }}</td><td class="money">{{ t.funding_streams }}</td>
<td class="money">{{ "{:,}".format(t.hhi) }}</td><td>{{ t.concentration }}</td>
<td class="money">{{ money(opp_ring(t, "ring-fenced")) }}</td>
<td class="money">{{ money(t.by_ring_fenced.get("not ring-fenced", 0)) }}</td>
<td class="money">{{ money(t.by_ring_fenced.get("not known", 0)) }}</td></tr>
{% endfor %}
</tbody></table>
<p class="download"><a href="/opportunities/fragmentation.csv">Download (CSV)</a></p>

{% if v.grants %}
<h2>Grants to the place (360Giving)</h2>
{% if v.grants.error %}<p class="error" role="alert">{{ v.grants.error }}</p>{% else %}
<p>From the 360Giving files in the workspace's <code>grants/</code> folder:
{{ "{:,}".format(v.grants.grants) }} grants, {{ money(v.grants.pence) }}, from
{{ v.grants.funders }} funders in {{ v.grants.funding_streams }} funding streams
({% for f in v.grants.files %}{{ f.file }}: {{ f.loaded }} of {{ f.rows }} rows loaded,
{{ f.refused }} refused{% if not loop.last %}; {% endif %}{% endfor %}).</p>
<table>
<caption>Grants by funder and theme</caption>
<thead><tr><th scope="col">Funder</th><th scope="col">Theme</th>
<th scope="col" class="money">Grants</th><th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for r in v.grants.rows %}
<tr><td>{{ r.funder }}</td>
<td>{% if r.theme == "unclassified" %}unclassified{% else %}{{ opp_theme(r.theme) }}{% endif %}</td>
<td class="money">{{ "{:,}".format(r.grants) }}</td><td class="money">{{ money(r.pence) }}</td></tr>
{% endfor %}
</tbody></table>
<p class="download"><a href="/opportunities/grants.csv">Download (CSV)</a></p>
{% endif %}
{% endif %}

<h2>Prevention and crisis</h2>
<p>Each theme's spending by prevention tier, and the money a shift of one percentage point
from acute to prevention would move (never more than the theme's acute spending).</p>
<div id="tier-chart" class="chart" role="figure" aria-label="Stacked bar chart of each
 theme's share by tier; the table beside it holds the same figures"></div>
<table>
<caption>Spending by prevention tier</caption>
<thead><tr><th scope="col">Theme</th>
{% for t in tiers %}<th scope="col" class="money">{{ opp_tier(t) }}</th>{% endfor %}
<th scope="col" class="money">Acute share</th>
<th scope="col" class="money">One-point shift moves</th></tr></thead><tbody>
{% for p in v.prevention %}
<tr><td>{{ opp_theme(p.theme) }}</td>
{% for t in tiers %}<td class="money">{{ money(p.by_tier.get(t, 0)) }}</td>{% endfor %}
<td class="money">{{ opp_pct(p.shares.acute) }}</td>
<td class="money">{{ money(p.shift_pence) }}</td></tr>
{% endfor %}
</tbody></table>
<p class="download"><a href="/opportunities/prevention.csv">Download (CSV)</a></p>

<h2>Scenarios side by side</h2>
<p>The workspace's <code>scenarios/*.toml</code> and the shipped examples, as
<code>totalplace scenario DIR FILE...</code> works them.</p>
<div id="scenario-chart" class="chart" role="figure" aria-label="Bar chart of each scenario's
 saving; the table beside it holds the same figures"></div>
<table>
<caption>Scenarios</caption>
<thead><tr><th scope="col">Scenario</th><th scope="col">File</th>
<th scope="col" class="money">Saving</th><th scope="col" class="money">Per head</th>
<th scope="col" class="money">Moved to prevention</th><th scope="col" class="money">Pooled</th>
<th scope="col" class="money">Lines</th><th scope="col">Largest gain</th></tr></thead><tbody>
{% for s in v.scenarios %}
{% if s.error %}
<tr><td>{{ s.file }}</td><td>{{ s.file }}</td>
<td colspan="6" class="error" role="alert">Cannot be worked: {{ s.error }}</td></tr>
{% else %}
<tr><td>{{ s.name }}</td><td>{{ s.file }}</td><td class="money">{{ money(s.saving_pence) }}</td>
<td class="money">{{ money(s.saving_per_head_pence or 0) }}</td>
<td class="money">{{ money(s.moved_pence) }}</td><td class="money">{{ money(s.pooled_pence) }}</td>
<td class="money">{{ "{:,}".format(s.lines_affected) }}</td>
<td>{{ (s.gains_by_agency|list|first) or "" }}</td></tr>
{% endif %}
{% endfor %}
</tbody></table>
<p class="download"><a href="/opportunities/scenarios.csv">Download (CSV)</a></p>
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/opportunities.js"></script>
{% endif %}
{% endblock %}
"""

OPPORTUNITIES_JS = """'use strict';
(function () {
  var el = document.getElementById('chart-data');
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var opts = {displaylogo: false, responsive: true};
  var tall = function (n) { return Math.max(180, 90 + 30 * n); };
  var hbar = function (id, rows, label, key, scale, extra) {
    if (!rows.length || !document.getElementById(id)) { return; }
    var r = rows.slice().reverse();
    Plotly.newPlot(id, [{type: 'bar', orientation: 'h', marker: {color: '#2a7ab0'},
      y: r.map(function (x) { return x[label]; }),
      x: r.map(function (x) { return x[key] / scale; }),
      hovertemplate: '%{y}<br>%{x:,.2f}<extra></extra>'}],
    Object.assign({margin: {l: 300, r: 20, t: 10, b: 40}, height: tall(r.length)}, extra || {}),
    opts);
  };
  hbar('register-chart', d.register, 'label', 'value_pence', 100,
    {xaxis: {tickprefix: '£', separatethousands: true}});
  hbar('hhi-chart', d.hhi, 'label', 'hhi', 1,
    {xaxis: {range: [0, 10000], separatethousands: true},
     shapes: [{type: 'line', x0: 2500, x1: 2500, yref: 'paper', y0: 0, y1: 1,
               line: {dash: 'dot', color: '#d9822b'}}]});
  hbar('scenario-chart', d.scenarios, 'label', 'saving_pence', 100,
    {xaxis: {tickprefix: '£', separatethousands: true}});
  if (d.tiers.length && document.getElementById('tier-chart')) {
    var t = d.tiers.slice().reverse();
    var colours = {universal: '#2a7ab0', targeted: '#8fb8d8', acute: '#d9822b'};
    Plotly.newPlot('tier-chart', d.tier_names.map(function (name) {
      return {type: 'bar', orientation: 'h', name: d.tier_labels[name],
        marker: {color: colours[name]}, y: t.map(function (x) { return x.label; }),
        x: t.map(function (x) { return 100 * Number(x.shares[name]); }),
        hovertemplate: '%{y}<br>' + d.tier_labels[name] + ': %{x:.1f}%<extra></extra>'};
    }), {barmode: 'stack', margin: {l: 300, r: 20, t: 10, b: 40}, height: tall(t.length) + 40,
      xaxis: {ticksuffix: '%', range: [0, 100]}, legend: {orientation: 'h'}}, opts);
  }
})();
"""

templates.register("opportunities.html", PAGE)
templates.script("opportunities.js", OPPORTUNITIES_JS)


def _pct(share: str) -> str:
    return f"{Decimal(share) * 100:.1f}%"


def _ring(t: dict[str, Any], label: str) -> int:
    return sum(p for k, p in t["by_ring_fenced"].items() if k.startswith(label))


# prefixed: the template globals are shared by every page
templates.env.globals.update(
    opp_kind=lambda k: KIND_LABELS.get(k, k),
    opp_pct=_pct,
    opp_ring=_ring,
    opp_theme=theme_label,
    opp_tier=tier_label,
)


def _chart(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "register": [
            {
                "label": f"{KIND_LABELS.get(x['kind'], x['kind'])}: {x['id']}",
                "value_pence": x["value_pence"],
            }
            for x in v["opportunities"][:CHART_TOP]
        ],
        "hhi": [{"label": theme_label(t["theme"]), "hhi": t["hhi"]} for t in v["fragmentation"]],
        "tiers": [
            {"label": theme_label(p["theme"]), "shares": p["shares"]} for p in v["prevention"]
        ],
        "tier_names": list(TIERS),
        "tier_labels": {t: tier_label(t) for t in TIERS},
        "scenarios": [
            {"label": s["name"], "saving_pence": s["saving_pence"]}
            for s in v["scenarios"]
            if not s["error"]
        ],
    }


def add_routes(app: FastAPI, site: Site) -> None:
    # here rather than on import, so the navigation bar follows the order of app.PAGES
    templates.nav("Opportunities", "/opportunities")
    register = _Register(site)

    def view(user: Any) -> dict[str, Any]:
        try:
            return opportunities_view(site, register, user)
        except NoCount as exc:
            raise ApiError(404, "NoCount", str(exc)) from exc
        except TotalPlaceError as exc:
            raise ApiError(422, type(exc).__name__, str(exc)) from exc

    @app.get(
        "/api/opportunities",
        summary="The opportunity register (largest first, with marks), fragmentation by "
        "theme, the prevention split and the scenarios side by side",
    )
    def api_opportunities(user: Viewer) -> dict[str, Any]:
        return view(user)

    @app.get("/opportunities/{name}.csv", include_in_schema=False)
    def opportunities_csv(name: str, user: Viewer) -> Response:
        v = view(user)
        if name == "register":
            header = ["id", "kind", "description", "agencies", "value_pounds", "confidence",
                      "status", "note", "evidence"]  # fmt: skip
            rows = [
                [x["id"], x["kind"], x["description"], "; ".join(x["agencies"]),
                 Decimal(x["value_pence"]) / 100, x["confidence"], x["status"], x["note"],
                 x["evidence"]]
                for x in v["opportunities"]
            ]  # fmt: skip
        elif name == "fragmentation":
            header = ["theme", "pounds", "agencies", "funding_streams", "hhi",
                      "concentration", "ring_fenced_pounds", "not_ring_fenced_pounds",
                      "not_known_pounds"]  # fmt: skip
            rows = [
                [theme_label(t["theme"]), Decimal(t["pence"]) / 100, t["agencies"],
                 t["funding_streams"], t["hhi"], t["concentration"],
                 Decimal(_ring(t, "ring-fenced")) / 100,
                 Decimal(t["by_ring_fenced"].get("not ring-fenced", 0)) / 100,
                 Decimal(t["by_ring_fenced"].get("not known", 0)) / 100]
                for t in v["fragmentation"]
            ]  # fmt: skip
        elif name == "prevention":
            header = ["theme", *(f"{t}_pounds" for t in TIERS), "acute_share",
                      "one_point_shift_pounds"]  # fmt: skip
            rows = [
                [theme_label(p["theme"]), *(Decimal(p["by_tier"].get(t, 0)) / 100 for t in TIERS),
                 p["shares"]["acute"], Decimal(p["shift_pence"]) / 100]
                for p in v["prevention"]
            ]  # fmt: skip
        elif name == "grants" and v["grants"] and not v["grants"]["error"]:
            header = ["funder", "theme", "grants", "pounds"]
            rows = [
                [r["funder"], r["theme"], r["grants"], Decimal(r["pence"]) / 100]
                for r in v["grants"]["rows"]
            ]
        elif name == "scenarios":
            header = ["scenario", "file", "saving_pounds", "saving_per_head_pounds",
                      "moved_pounds", "pooled_pounds", "lines_affected", "error"]  # fmt: skip
            rows = [
                [s.get("name", ""), s["file"], *(
                    Decimal(s[k] or 0) / 100 if not s["error"] else ""
                    for k in ("saving_pence", "saving_per_head_pence", "moved_pence",
                              "pooled_pence")
                ), s.get("lines_affected", ""), s["error"] or ""]
                for s in v["scenarios"]
            ]  # fmt: skip
        else:
            raise ApiError(
                404, "NotFound",
                f"no table {name}.csv; one of: register, fragmentation, prevention, scenarios"
                + (", grants" if v["grants"] else ""),
            )  # fmt: skip
        return csv_response(f"opportunities-{name}.csv", header, rows)

    @app.get("/opportunities", response_class=HTMLResponse, include_in_schema=False)
    def opportunities_page(request: Request) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        user, context = who
        try:
            v = opportunities_view(site, register, user)
        except NoCount as exc:
            return site.page("opportunities.html", title="Opportunities", no_count=str(exc),
                             v=None, tiers=TIERS, **context)  # fmt: skip
        return site.page(
            "opportunities.html",
            title="Opportunities",
            no_count="",
            v=v,
            tiers=TIERS,
            chart_json=script_json(_chart(v)),
            **context,
        )
