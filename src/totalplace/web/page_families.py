"""The Families and Journeys pages: the place's families as aggregates for
everyone allowed the dashboard, and one family's record for caseworkers.

``/families`` shows what :func:`totalplace.families.place.families_report`
gives: families and their cost by agency and year, the families known to three
or more agencies, Westminster's illustration, the commonest paths, a Sankey of
the order families meet the agencies, and what residents said beside the
money.  Every count of families under the workspace's disclosure threshold is
withheld there for every role, with secondary suppression, since the page is
for sharing.

``/families/{id}`` (one family's agencies and cost by year) and
``/journeys/{id}`` (its timeline) are person-level: a caseworker (or admin)
only, and each view is written to the workspace's audit log before the page is
sent.  So is ``/families`` when it lists the most expensive families for a
caseworker: one line for each family listed.  What residents said (free text)
is shown to caseworkers alone, redacted; every other role sees the counts.
Families are named by pseudonym only; the key that makes them never leaves the
workspace.  A person-level file that is refused is named, but its rows are not
quoted on a page: the message of a refused ``events.csv`` holds agencies'
record ids, which only ``totalplace families DIR`` on the server shows.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
import threading
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from totalplace.errors import SourceError, TotalPlaceError
from totalplace.families.audit import record_view, record_views
from totalplace.families.events import (
    DEFAULT_PRICE_YEAR,
    EVENTS_FILE,
    LINKED_DIR,
    FamilyData,
    load_workspace,
    people_dir,
)
from totalplace.families.journeys import timeline
from totalplace.families.place import families_report
from totalplace.families.view import families, most_expensive, profile, westminster
from totalplace.web import templates
from totalplace.web.site import ApiError, Site, Viewer, _viewer, csv_response
from totalplace.web.templates import script_json
from totalplace.web.users import User

PERSON_LEVEL = "caseworker"
TOP_FAMILIES = 20


def _forbidden(user: User) -> ApiError:
    return ApiError(
        403,
        "Forbidden",
        f"{user.name} is {'an' if user.role[0] in 'aeiou' else 'a'} {user.role}: one family's "
        "record is for caseworkers; ask an admin for the caseworker role",
    )


def _said(exc: TotalPlaceError, root: Path) -> str:
    """An error about the person-level files, fit for any role: a refused
    file's rows (record ids, dates) stay on the server."""
    if isinstance(exc, SourceError):
        name = Path(exc.path).relative_to(root) if exc.path.startswith(str(root)) else exc.path
        return (
            f"{name}: refused; run `totalplace families DIR` on the server to see which rows "
            "and why"
        )
    return str(exc).replace(str(root) + "/", "")


def _caseworker(user: Annotated[User, Depends(_viewer)]) -> User:
    if not user.may(PERSON_LEVEL):
        raise _forbidden(user)
    return user


Caseworker = Annotated[User, Depends(_caseworker)]


class _Families:
    """The workspace's linked, priced events, read again when a file changes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._data: FamilyData | None = None

    def data(self) -> FamilyData:
        folder = people_dir(self.root)
        linked = folder / LINKED_DIR
        paths = [folder / EVENTS_FILE, linked / "clusters.csv", linked / "households.csv"]
        key = tuple((str(p), p.stat().st_mtime_ns) for p in paths if p.exists())
        with self._lock:
            if key == self._key and self._data is not None:
                return self._data
        try:
            data = load_workspace(self.root, DEFAULT_PRICE_YEAR)
        except TotalPlaceError as exc:
            raise ApiError(404, "NoFamilies", _said(exc, self.root)) from exc
        with self._lock:
            self._key, self._data = key, data
        return data


PAGE = """{% extends "base.html" %}
{% block main %}
{% if error %}
<p class="notice" role="status">{{ error }}</p>
{% else %}
<p>Families known to the place's agencies, from the agencies' own person-level records
linked into people and households. Each contact is priced at its Unit Cost Database cost
to the public purse, at {{ r.price_year }} prices. A count of fewer than
{{ r.disclosure_threshold }} families is withheld, with a second figure where a total would
reveal it. <a href="/api/families">JSON</a></p>
<p><span class="figure">{{ "{:,}".format(r.families) }}</span> families,
{{ "{:,}".format(r.contacts) }} contacts, <span class="figure">{{ money(r.pence) }}</span>.
Known to three or more agencies: {{ people(r.known_to_three_or_more,
r.disclosure_threshold) }} families, {{ fam_money(r.known_to_three_or_more_pence) }}.</p>
{% if r.linkage %}{% set k = r.linkage %}<details id="linkage"><summary>How the people were
linked: {{ people(k.records, r.disclosure_threshold) }} records into
{{ people(k.people, r.disclosure_threshold) }} people, at match probability {{ k.threshold }}
({{ k.engine }}){% if k.training_notes or k.sources|selectattr("warnings")|list %}, with
warnings{% endif %}</summary>
<ul>{% for x in k.training_notes %}<li>{{ x }}</li>{% endfor %}
{% for src in k.sources %}<li>{{ src.source }}: {{ people(src.rows, r.disclosure_threshold) }}
rows; columns read: {% for role, col in src.columns.items() %}{{ role }} = {{ col }}{% if not
loop.last %}, {% endif %}{% endfor %}{% for w in src.warnings %}<br><strong>Warning:</strong>
{{ w }}{% endfor %}</li>{% endfor %}</ul>
<p>Refused: {{ people(k.refused, r.disclosure_threshold) }} records (no name and no date of
birth, or no record id). The linkage's own report is <code>people/linked/report.html</code>
in the workspace.</p></details>{% endif %}
<section>
<h2>Cost by agency and year</h2>
<div class="pair">
<div id="cost-chart" class="chart" role="figure" aria-label="Stacked bar chart of the cost
 of contacts by year and agency; the table beside it holds the same figures"></div>
<div class="scroll" tabindex="0" role="region" aria-label="Cost by agency and year, table, scrolls">
<table>
<caption>Families, contacts and cost by agency and year</caption>
<thead><tr><th scope="col">Agency</th><th scope="col">Year</th>
<th scope="col" class="money">Families</th><th scope="col" class="money">Contacts</th>
<th scope="col" class="money">Cost</th></tr></thead><tbody>
{% for x in r.by_agency_year.rows %}
<tr><td>{{ x.agency }}</td><td>{{ x.year }}</td>
<td class="money">{{ people(x.families, r.disclosure_threshold) }}</td>
<td class="money">{{ fam_count(x.contacts) }}</td>
<td class="money">{{ fam_money(x.pence) }}</td></tr>
{% endfor %}
</tbody></table></div>
</div>
<p class="download"><a href="/families/agency_year.csv">Download (CSV)</a></p>
</section>
<h2>Families by number of agencies</h2>
<table><caption>Families by how many agencies know them</caption>
<thead><tr><th scope="col">Agencies</th><th scope="col" class="money">Families</th></tr></thead>
<tbody>{% for k, n in r.known_to_agencies.items() %}
<tr><td>{{ k }}</td><td class="money">{{ people(n, r.disclosure_threshold) }}</td></tr>
{% endfor %}</tbody></table>
<h2>Westminster's illustration</h2>
{% set w = r.westminster %}
<p>Westminster found 40 families with extreme anti-social behaviour, 35 of them likely to
need care proceedings at £93,000 each. Over this place: families with
{{ w.asb_incidents_a_year }} or more anti-social behaviour incidents in one year:
<strong>{{ people(w.families_extreme_asb, r.disclosure_threshold) }}</strong>; of them with a
child protection enquiry or proceedings: <strong>{{ people(w.likely_care_proceedings,
r.disclosure_threshold) }}</strong>, at {{ money(w.cost_each_pence) }} each:
<strong>{{ fam_money(w.cost_pence) }}</strong>.</p>
<section>
<h2 id="journeys">Journeys</h2>
<p>The order families meet the agencies (each agency at its first contact, first
{{ steps }} steps). Links of fewer than {{ r.disclosure_threshold }} families are left
out ({{ r.sankey.withheld_links }} links, {{ people(r.sankey.withheld_families,
r.disclosure_threshold) }} family steps).</p>
<div class="pair">
<div id="sankey-chart" class="chart" role="figure" aria-label="Sankey diagram of the order
 families meet the agencies; the table beside it holds the same figures"></div>
<div class="scroll" tabindex="0" role="region" aria-label="Agency to agency, table, scrolls">
<table><caption>Families moving from one agency to the next</caption>
<thead><tr><th scope="col">From</th><th scope="col">To</th>
<th scope="col" class="money">Families</th></tr></thead><tbody>
{% for x in r.sankey.links %}<tr><td>{{ x.from }}</td><td>{{ x.to }}</td>
<td class="money">{{ "{:,}".format(x.families) }}</td></tr>{% endfor %}
</tbody></table></div>
</div>
<p class="download"><a href="/families/sankey.csv">Download (CSV)</a></p>
</section>
<table><caption>Commonest paths (touchpoints in this order, not necessarily back to
back)</caption>
<thead><tr><th scope="col">Path</th><th scope="col" class="money">Families</th></tr></thead>
<tbody>{% for p in r.common_paths %}<tr><td>{{ p.path|join(" → ") }}</td>
<td class="money">{{ "{:,}".format(p.families) }}</td></tr>{% endfor %}</tbody></table>
<p class="download"><a href="/families/paths.csv">Download (CSV)</a></p>
<h2>What residents said</h2>
{% if not r.voice.themes %}
<p class="notice" role="status">No survey or consultation yet: put a CSV (question,
response, and optionally theme and area) in the workspace's <code>people/voice/</code>
folder.</p>
{% else %}
{% if not top %}<p>What residents wrote is for caseworkers: it is free text and may name
someone. Here, the number of responses on each theme.</p>{% endif %}
<table><caption>Responses and quotes per theme, beside the count's spending</caption>
<thead><tr><th scope="col">Theme</th><th scope="col" class="money">Responses</th>
<th scope="col" class="money">Spending</th><th scope="col">Quotes</th></tr></thead><tbody>
{% for t in r.voice.themes %}<tr><td>{{ t.theme }}</td>
<td class="money">{{ people(t.responses, r.disclosure_threshold) }}</td>
<td class="money">{{ fam_money(t.pence) }}</td>
<td>{% for q in t.quotes %}<q>{{ q }}</q>{% if not loop.last %}<br>{% endif %}{% endfor %}
</td></tr>{% endfor %}
</tbody></table>
<p class="download"><a href="/families/voice.csv">Download (CSV)</a></p>
{% endif %}
{% if top %}
<h2>Most expensive families (caseworkers)</h2>
<table><caption>The {{ top|length }} most expensive families</caption>
<thead><tr><th scope="col">Family</th><th scope="col" class="money">People</th>
<th scope="col">Agencies</th><th scope="col" class="money">Cost</th>
<th scope="col">Journey</th></tr></thead><tbody>
{% for f in top %}<tr><td><a href="/families/{{ f.family }}">{{ f.family }}</a></td>
<td class="money">{{ f.people|length }}</td><td>{{ f.agencies|join(", ") }}</td>
<td class="money">{{ money(f.pence) }}</td>
<td><a href="/journeys/{{ f.family }}">timeline</a></td></tr>{% endfor %}
</tbody></table>
{% endif %}
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/families.js"></script>
{% endif %}
{% endblock %}
"""

ONE = """{% extends "base.html" %}
{% block main %}
{% if error %}
<p class="error" role="alert">{{ error }}</p>
{% else %}
<p><a href="/families">All families</a> · <a href="/journeys/{{ f.family }}">Journey</a> ·
<a href="/api/families/{{ f.family }}">JSON</a>. Person-level: this view is logged.</p>
<p>{{ f.people|length }} people ({% for p in f.people %}<a href="/journeys/{{ p }}">{{ p
}}</a>{% if not loop.last %}, {% endif %}{% endfor %}), known to
{{ f.agencies|length }} agencies, {{ "{:,}".format(f.contacts) }} contacts,
<span class="figure">{{ money(f.pence) }}</span> at {{ price_year }} prices.</p>
<section>
<div class="pair">
<div id="family-chart" class="chart" role="figure" aria-label="Stacked bar chart of the
 family's cost by year and agency; the table beside it holds the same figures"></div>
<table><caption>Cost by year and agency</caption>
<thead><tr><th scope="col">Year</th><th scope="col">Agency</th>
<th scope="col" class="money">Cost</th></tr></thead><tbody>
{% for y, agencies in f.by_year.items() %}{% for a, p in agencies.items() %}
<tr><td>{{ y }}</td><td>{{ a }}</td><td class="money">{{ money(p) }}</td></tr>
{% endfor %}{% endfor %}
</tbody></table>
</div>
<p class="download"><a href="/families/{{ f.family }}.csv">Download the contacts (CSV)</a></p>
</section>
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/families.js"></script>
{% endif %}
{% endblock %}
"""

JOURNEY = """{% extends "base.html" %}
{% block main %}
{% if error %}
<p class="error" role="alert">{{ error }}</p>
{% else %}
<p><a href="/families/{{ family }}">The family's costs</a> · <a
href="/api/journeys/{{ family }}">JSON</a>. Person-level: this view is logged.</p>
<div id="journey-chart" class="chart" role="figure" aria-label="Timeline of the family's
 contacts by agency and date, one colour a person; the table below holds the same events">
</div>
<div class="scroll" tabindex="0" role="region" aria-label="Contacts, table, scrolls">
<table><caption>Contacts in date order</caption>
<thead><tr><th scope="col">Date</th><th scope="col">Person</th><th scope="col">Agency</th>
<th scope="col">Contact</th><th scope="col" class="money">Cost</th></tr></thead><tbody>
{% for e in events %}<tr><td>{{ e.date }}</td><td>{{ e.person }}</td><td>{{ e.agency }}</td>
<td>{{ e.event_type }}</td><td class="money">{{ money(e.pence) }}</td></tr>{% endfor %}
</tbody></table></div>
<p class="download"><a href="/families/{{ family }}.csv">Download (CSV)</a></p>
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/families.js"></script>
{% endif %}
{% endblock %}
"""

FAMILIES_JS = """'use strict';
(function () {
  var el = document.getElementById('chart-data');
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var opts = {displaylogo: false, responsive: true};
  var money = {tickprefix: '£', separatethousands: true};
  var stacked = function (id, cells) {
    if (!document.getElementById(id) || !cells.length) { return; }
    var years = [], agencies = [];
    cells.forEach(function (c) {
      if (years.indexOf(c.year) < 0) { years.push(c.year); }
      if (agencies.indexOf(c.agency) < 0) { agencies.push(c.agency); }
    });
    years.sort();
    Plotly.newPlot(id, agencies.map(function (a) {
      return {type: 'bar', name: a, x: years, y: years.map(function (y) {
        var c = cells.filter(function (x) { return x.year === y && x.agency === a; })[0];
        return c ? c.pence / 100 : 0;
      }), hovertemplate: a + '<br>%{x}: £%{y:,.2f}<extra></extra>'};
    }), {barmode: 'stack', margin: {l: 80, r: 20, t: 10, b: 40}, yaxis: money,
      xaxis: {type: 'category'},
      legend: {orientation: 'h'}}, opts);
  };
  if (d.cells) { stacked('cost-chart', d.cells); }
  if (d.family) { stacked('family-chart', d.family); }
  if (d.sankey && d.sankey.links.length && document.getElementById('sankey-chart')) {
    Plotly.newPlot('sankey-chart', [{type: 'sankey', node: {label: d.sankey.nodes, pad: 12},
      link: {source: d.sankey.links.map(function (l) { return l.source; }),
             target: d.sankey.links.map(function (l) { return l.target; }),
             value: d.sankey.links.map(function (l) { return l.families; })}}],
      {margin: {l: 10, r: 10, t: 10, b: 10}}, opts);
  }
  if (d.journey && document.getElementById('journey-chart')) {
    var people = [];
    d.journey.forEach(function (e) {
      if (people.indexOf(e.person) < 0) { people.push(e.person); }
    });
    Plotly.newPlot('journey-chart', people.map(function (p) {
      var mine = d.journey.filter(function (e) { return e.person === p; });
      return {type: 'scatter', mode: 'markers', name: p, marker: {size: 10},
        x: mine.map(function (e) { return e.date; }),
        y: mine.map(function (e) { return e.agency; }),
        text: mine.map(function (e) { return e.event_type; }),
        hovertemplate: '%{x}<br>%{y}: %{text}<extra></extra>'};
    }), {margin: {l: 160, r: 20, t: 10, b: 40}, legend: {orientation: 'h'}}, opts);
  }
})();
"""

templates.register("families.html", PAGE)
templates.register("family.html", ONE)
templates.register("journey.html", JOURNEY)
templates.script("families.js", FAMILIES_JS)


def _fam_money(pence: int | None) -> str:
    from totalplace.money import display_pounds

    return "withheld" if pence is None else display_pounds(pence)


def _fam_count(n: int | None) -> str:
    return "withheld" if n is None else f"{n:,}"


# prefixed: the template globals are shared by every page
templates.env.globals.update(fam_money=_fam_money, fam_count=_fam_count)


def add_routes(app: FastAPI, site: Site) -> None:
    # here rather than on import, so the navigation bar follows the order of app.PAGES
    templates.nav("Families", "/families")
    store = _Families(site.root)

    def report(user: User) -> dict[str, Any]:
        """The aggregates, with what residents said (redacted) for a role with
        person-level access."""
        data = store.data()
        try:
            return families_report(
                site.root, site.disclosure_threshold, data=data, quotes=user.may(PERSON_LEVEL)
            )
        except TotalPlaceError as exc:
            raise ApiError(422, type(exc).__name__, _said(exc, site.root)) from exc

    def family(family_id: str, user: User, page: str) -> dict[str, Any]:
        """One family's profile (or one person's, for a ``P-`` id: their own
        contacts only); the view is logged before it is returned."""
        events = store.data().events
        if family_id.startswith("P-"):
            events = [replace(e, family=family_id) for e in events if e.person == family_id]
        found = families(events).get(family_id)
        if found is None:
            raise ApiError(
                404, "NoSuchFamily", f"no family or person {family_id!r} in this workspace"
            )
        record_view(site.root, user.name, user.role, page, family_id)
        return profile(found)

    @app.get("/api/families", summary="Families: aggregates with small counts withheld")
    def api_families(user: Viewer) -> dict[str, Any]:
        return report(user)

    @app.get("/api/families/{family_id}", summary="One family's record (caseworkers; logged)")
    def api_family(family_id: str, request: Request, user: Caseworker) -> dict[str, Any]:
        return family(family_id, user, request.url.path)

    @app.get("/api/journeys/{family_id}", summary="One family's timeline (caseworkers; logged)")
    def api_journey(family_id: str, request: Request, user: Caseworker) -> dict[str, Any]:
        f = family(family_id, user, request.url.path)
        return {"family": family_id, "events": f["events"]}

    @app.get("/families/{name}.csv", include_in_schema=False)
    def families_csv(name: str, request: Request, user: Viewer) -> Response:
        if name.startswith("F-"):
            if not user.may(PERSON_LEVEL):
                raise _forbidden(user)
            f = family(name, user, request.url.path)
            cols = ["date", "person", "agency", "event_type", "unit_cost_code", "year", "pence"]
            return csv_response(f"{name}.csv", cols, [[e[c] for c in cols] for e in f["events"]])
        r = report(user)
        if name == "agency_year":
            cols = ["agency", "year", "families", "contacts", "pence"]
            rows = [[x[c] for c in cols] for x in r["by_agency_year"]["rows"]]
        elif name == "sankey":
            cols = ["from", "to", "families"]
            rows = [[x[c] for c in cols] for x in r["sankey"]["links"]]
        elif name == "paths":
            cols = ["path", "families"]
            rows = [[" > ".join(p["path"]), p["families"]] for p in r["common_paths"]]
        elif name == "voice":
            cols = ["theme", "responses", "pence", "quotes"]
            rows = [[t["theme"], t["responses"], t["pence"], " | ".join(t["quotes"])]
                    for t in r["voice"]["themes"]]  # fmt: skip
        else:
            raise ApiError(404, "NotFound", f"no table {name!r}")
        return csv_response(f"families-{name}.csv", cols, rows)

    @app.get("/families", response_class=HTMLResponse, include_in_schema=False)
    def families_page(request: Request) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        user, context = who
        try:
            r = report(user)
        except ApiError as exc:
            return site.page("families.html", title="Families", error=exc.detail, **context)
        top = []
        if user.may(PERSON_LEVEL):
            data = store.data()
            top = [profile(f) for f in most_expensive(families(data.events), TOP_FAMILIES)]
            # each family listed is a person-level view: logged before the page is sent
            subjects = [f["family"] for f in top]
            record_views(site.root, user.name, user.role, request.url.path, subjects)
            # a caseworker sees each family anyway: the illustration exact, not withheld
            r = {**r, "westminster": westminster(data, 0)}
        cells = [x for x in r["by_agency_year"]["rows"] if x["pence"] is not None]
        chart = {"cells": cells, "sankey": r["sankey"]}
        return site.page(
            "families.html",
            title="Families",
            r=r,
            top=top,
            steps=5,
            chart_json=script_json(chart),
            error="",
            **context,
        )

    def person_page(request: Request, family_id: str, name: str, title: str) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        user, context = who
        try:
            if not user.may(PERSON_LEVEL):
                raise _forbidden(user)
            f = family(family_id, user, request.url.path)
        except ApiError as exc:
            return site.page(name, exc.status_code, title=title, error=exc.detail, **context)
        cells = [
            {"year": y, "agency": a, "pence": p}
            for y, agencies in f["by_year"].items()
            for a, p in agencies.items()
        ]
        chart = {"family": cells} if name == "family.html" else {"journey": f["events"]}
        return site.page(
            name,
            title=f"{title} {family_id}",
            f=f,
            family=family_id,
            events=timeline(store.data().events, family_id),
            price_year=DEFAULT_PRICE_YEAR,
            chart_json=script_json(chart),
            error="",
            **context,
        )

    @app.get("/journeys", include_in_schema=False)
    def journeys_page(user: Viewer) -> Response:
        """The journeys of all families are aggregates beside the families' own
        (the common paths, the Sankey): one page, its Journeys part."""
        return RedirectResponse("/families#journeys", status_code=307)

    @app.get("/families/{family_id}", response_class=HTMLResponse, include_in_schema=False)
    def family_page(request: Request, family_id: str) -> Response:
        return person_page(request, family_id, "family.html", "Family")

    @app.get("/journeys/{family_id}", response_class=HTMLResponse, include_in_schema=False)
    def journey_page(request: Request, family_id: str) -> Response:
        whose = "person" if family_id.startswith("P-") else "family"
        return person_page(request, family_id, "journey.html", f"Journey of {whose}")
