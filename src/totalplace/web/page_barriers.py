"""The Barriers page: the register of what helps and hinders joint working,
with filters; the asks of central government by department (chart, table
and CSV); and the partnership's decisions.

Anyone who may see the dashboard reads all of it (a barrier names bodies and
sums of money, never a person's payment).  Forms to raise a barrier, move one
to another status and record a decision are shown to, and accepted from,
analysts and admins only.  Every form carries the CSRF token of the session
(as the log-out form does); a dashboard that needs no login (one analyst on
this machine) has no session, so its forms carry a token from a cookie set
with the page instead, as the login form does.  Each change goes through
:mod:`totalplace.culture`, so its checks and its history are the command's.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
import secrets
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from totalplace.classify.taxonomy import default_taxonomy, theme_label
from totalplace.culture.asks import asks_by_department
from totalplace.culture.barriers import (
    TRANSITIONS,
    add_barrier,
    read_register,
    select,
    update_barrier,
    with_count,
)
from totalplace.culture.decisions import add_decision, read_decisions
from totalplace.culture.fields import EFFECTS, STATUSES, TYPES
from totalplace.culture.workshop import COLUMNS, csv_row
from totalplace.errors import TotalPlaceError
from totalplace.report.count_file import NoCount, read_count
from totalplace.web import templates
from totalplace.web.access import same_token
from totalplace.web.site import ApiError, Site, Viewer, csv_response
from totalplace.web.templates import script_json
from totalplace.web.users import User

# The forms' token when no one logs in (no session to hold one).
FORM_CSRF_COOKIE = "tp_form_csrf"
# The fields of the form that raises a barrier, as the command's options.
ADD_FIELDS = (
    "title", "type", "effect", "owner", "theme", "impact_pounds", "ask", "partners",
    "description", "evidence", "lines", "opportunities",
)  # fmt: skip

PAGE = """{% extends "base.html" %}
{% block main %}
<style>
table.register { width: 100%; table-layout: fixed; }
table.register td, table.register th { overflow-wrap: break-word; vertical-align: top; }
table.register td.money { overflow-wrap: normal; white-space: nowrap; }
#asks-chart { min-height: 200px; }
form.move label, form.move select, form.move input, form.move button { display: block; }
</style>
<p>What helps and what hinders local and central partners working together, the asks of
central government, and the partnership's decisions. The same register as
<code>totalplace barriers DIR list</code>; <a href="/api/barriers">JSON</a>.</p>
{% if message %}<p class="error" role="alert">{{ message }}</p>{% endif %}

<h2>Register</h2>
<form method="get" action="/barriers" aria-label="Filter the register">
<label for="f-status">Status</label>
<select id="f-status" name="status"><option value="">any</option>
{% for s in statuses %}<option value="{{ s }}"{% if s == f.status %} selected{% endif %}>{{ s }}
</option>{% endfor %}</select>
<label for="f-type">Type</label>
<select id="f-type" name="type"><option value="">any</option>
{% for slug, label in types.items() %}<option value="{{ slug }}"{% if slug == f.type %}
 selected{% endif %}>{{ label }}</option>{% endfor %}</select>
<label for="f-theme">Theme</label>
<select id="f-theme" name="theme"><option value="">any</option>
{% for id, label in themes %}<option value="{{ id }}"{% if id == f.theme %} selected{% endif %}>
{{ label }}</option>{% endfor %}</select>
<button type="submit">Filter</button>
</form>
{% if barriers %}
<table class="register">
<caption>Barriers and enablers ({{ barriers|length }}{% if filtered %} of {{ total }}{% endif
 %})</caption>
<colgroup><col style="width: 3.5rem"><col style="width: 22%"><col style="width: 9%">
<col style="width: 9%"><col style="width: 12%"><col style="width: 11%"><col style="width: 18%">
<col></colgroup>
<thead><tr><th scope="col">Id</th><th scope="col">Barrier</th><th scope="col">Type</th>
<th scope="col">Theme</th><th scope="col">Owner</th><th scope="col" class="money">Impact</th>
<th scope="col">Ask of central government</th><th scope="col">Status</th></tr></thead><tbody>
{% for b in barriers %}
<tr id="{{ b.id }}"><td>{{ b.id }}</td>
<td><strong>{{ b.title }}</strong>{% if b.effect == "helps" %} (helps){% endif %}
{% if b.description %}<br>{{ b.description }}{% endif %}
{% if b.partners %}<br><em>Partners:</em> {{ b.partners|join("; ") }}{% endif %}
{% if b.evidence %}<br><em>Evidence:</em> {{ b.evidence }}{% endif %}
{% for l in b.lines %}<br><em>Count line:</em> {{ l.agency }}, {{ bar_theme(l.theme) }}{%
 if l.pence is not none %} ({{ money(l.pence) }} in the count){% endif %}{% endfor %}
{% if b.opportunities %}<br><a href="/opportunities">Opportunities</a>:
 {{ b.opportunities|join(", ") }}{% endif %}</td>
<td>{{ b.type_label }}</td><td>{{ b.theme_label }}</td><td>{{ b.owner_name }}{%
 if b.owner_name != b.owner %} (given as {{ b.owner }}){% endif %}</td>
<td class="money">{% if b.impact_pence is none %}not known{% else %}{{ money(b.impact_pence) }}{%
 endif %}</td><td>{{ b.ask }}</td>
<td><strong>{{ b.status }}</strong>
<details><summary>History ({{ b.history|length }})</summary><ul>
{% for c in b.history %}<li>{{ c.when }} {{ c.who }}: {{ c.field }} {% if c.from %}from
 {{ c.from }} {% endif %}to {{ c.to }}{% if c.note %} ({{ c.note }}){% endif %}</li>{% endfor %}
</ul></details>
{% if may_edit %}<form method="post" action="/barriers/{{ b.id }}/status" class="move">
<input type="hidden" name="csrf_token" value="{{ form_token }}">
<label for="s-{{ b.id }}">Move to</label>
<select id="s-{{ b.id }}" name="status">{% for s in transitions[b.status] %}
<option value="{{ s }}">{{ s }}</option>{% endfor %}</select>
<label for="n-{{ b.id }}">Note</label><input id="n-{{ b.id }}" name="note" size="12">
<button type="submit">Change status</button></form>{% endif %}</td>
</tr>
{% endfor %}
</tbody></table>
{% else %}
<p class="notice" role="status">{% if filtered %}No barrier matches the filter.{% else %}No
 barrier yet: raise one with <code>totalplace barriers DIR add</code>{% if may_edit %} or the
 form below{% endif %}.{% endif %}</p>
{% endif %}
<p class="download"><a href="/barriers/register.csv">Download the register (CSV, the columns
 <code>barriers DIR import</code> reads)</a></p>

<h2>Asks of central government by department</h2>
<p>Open asks (raised, agreed or escalated) grouped by who can grant them, with the money at
stake: the sum of the impacts stated in pounds; an ask without a figure adds nothing.</p>
{% if asks %}
<div class="pair">
<div id="asks-chart" class="chart" role="figure" aria-label="Bar chart of the money at stake
 by department; the table beside it holds the same figures"></div>
<div>
<table>
<caption>Asks by department</caption>
<thead><tr><th scope="col">Department</th><th scope="col" class="money">At stake</th>
<th scope="col" class="money">Asks</th><th scope="col" class="money">Without a figure</th>
<th scope="col">Barriers</th></tr></thead><tbody>
{% for g in asks %}
<tr><td>{{ g.department }}{% if not g.central %} (not central government){% endif %}</td>
<td class="money">{{ money(g.pence) }}</td><td class="money">{{ g.asks|length }}</td>
<td class="money">{{ g.asks_without_figure }}</td>
<td>{% for a in g.asks %}<a href="#{{ a.id }}">{{ a.id }}</a> {% endfor %}</td></tr>
{% endfor %}
</tbody></table>
<p class="download"><a href="/barriers/asks.csv">Download the asks (CSV)</a>;
<code>totalplace barriers DIR asks --markdown</code> writes them as a note.</p>
</div>
</div>
{% else %}
<p class="notice" role="status">No open ask of central government yet.</p>
<p class="download"><a href="/barriers/asks.csv">Download the asks (CSV)</a></p>
{% endif %}

<h2 id="decisions">Decisions</h2>
{% if decisions %}
<table>
<caption>The partnership's decisions ({{ decisions|length }})</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Date</th><th scope="col">What was decided</th>
<th scope="col">By</th><th scope="col">Barrier</th></tr></thead><tbody>
{% for d in decisions %}
<tr><td>{{ d.id }}</td><td style="white-space: nowrap">{{ d.date }}</td><td>{{ d.what }}</td>
<td>{{ d.by|join("; ") }}</td>
<td>{% if d.barrier %}<a href="#{{ d.barrier }}">{{ d.barrier }}</a>{% endif %}</td></tr>
{% endfor %}
</tbody></table>
{% else %}
<p class="notice" role="status">No decision recorded yet.</p>
{% endif %}
<p class="download"><a href="/barriers/decisions.csv">Download the decisions (CSV)</a></p>

{% if may_edit %}
<h2>Raise a barrier</h2>
<form method="post" action="/barriers/add">
<input type="hidden" name="csrf_token" value="{{ form_token }}">
<p><label for="a-title">Title</label><br><input id="a-title" name="title" size="60" required></p>
<p><label for="a-type">Type</label><br><select id="a-type" name="type">
{% for slug, label in types.items() %}<option value="{{ slug }}">{{ label }}</option>{% endfor %}
</select>
<label for="a-effect">Effect</label> <select id="a-effect" name="effect">
{% for e in effects %}<option value="{{ e }}">{{ e }}</option>{% endfor %}</select></p>
<p><label for="a-owner">Owner (local body or central department)</label><br>
<input id="a-owner" name="owner" size="60" required></p>
<p><label for="a-theme">Theme</label><br><select id="a-theme" name="theme">
<option value="">none</option>
{% for id, label in themes %}<option value="{{ id }}">{{ label }}</option>{% endfor %}
</select></p>
<p><label for="a-impact">Impact in pounds, where known</label><br>
<input id="a-impact" name="impact_pounds" inputmode="decimal"></p>
<p><label for="a-ask">Ask of central government</label><br>
<textarea id="a-ask" name="ask" rows="2" cols="60"></textarea></p>
<p><label for="a-partners">Partners affected (separated by semicolons)</label><br>
<input id="a-partners" name="partners" size="60"></p>
<p><label for="a-description">Description</label><br>
<textarea id="a-description" name="description" rows="3" cols="60"></textarea></p>
<p><label for="a-evidence">Evidence</label><br>
<textarea id="a-evidence" name="evidence" rows="2" cols="60"></textarea></p>
<p><button type="submit">Raise the barrier</button></p>
</form>

<h2>Record a decision</h2>
<form method="post" action="/decisions/add">
<input type="hidden" name="csrf_token" value="{{ form_token }}">
<p><label for="d-what">What was decided</label><br>
<textarea id="d-what" name="what" rows="2" cols="60" required></textarea></p>
<p><label for="d-by">By (partners, separated by semicolons)</label><br>
<input id="d-by" name="by" size="60" required></p>
<p><label for="d-date">Date</label><br><input id="d-date" name="date" type="date">
<label for="d-barrier">Barrier</label> <select id="d-barrier" name="barrier">
<option value="">none</option>
{% for b in all_ids %}<option value="{{ b }}">{{ b }}</option>{% endfor %}</select></p>
<p><button type="submit">Record the decision</button></p>
</form>
{% endif %}
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/barriers.js"></script>
{% endblock %}
"""

BARRIERS_JS = """'use strict';
(function () {
  var el = document.getElementById('chart-data');
  if (!el || !window.Plotly || !document.getElementById('asks-chart')) { return; }
  var d = JSON.parse(el.textContent);
  if (!d.asks.length) { return; }
  var r = d.asks.slice().reverse();
  Plotly.newPlot('asks-chart', [{type: 'bar', orientation: 'h', marker: {color: '#2a7ab0'},
    y: r.map(function (x) { return x.label; }),
    x: r.map(function (x) { return x.pence / 100; }),
    hovertemplate: '%{y}<br>£%{x:,.2f}<extra></extra>'}],
  {margin: {l: 300, r: 20, t: 10, b: 40}, height: Math.max(180, 90 + 30 * r.length),
   xaxis: {tickprefix: '£', separatethousands: true}},
  {displaylogo: false, responsive: true});
})();
"""

templates.register("barriers.html", PAGE)
templates.script("barriers.js", BARRIERS_JS)
templates.env.globals.update(bar_theme=theme_label)  # prefixed: globals are shared


def _count(site: Site) -> dict[str, Any] | None:
    try:
        return read_count(site.root)
    except NoCount:
        return None


def barriers_view(
    site: Site, status: str | None = None, type_: str | None = None, theme: str | None = None
) -> dict[str, Any]:
    """Everything the page shows, as the API gives it."""
    register = read_register(site.root)
    chosen = [b for b in select(register, status, type_) if not theme or b.theme == theme]
    items = with_count([b.to_dict() for b in chosen], _count(site))
    groups = asks_by_department(register)
    return {
        "barriers": items,
        "total": len(register),
        "asks": groups,
        "asks_pence": sum(g["pence"] for g in groups),
        "decisions": [d.to_dict() for d in read_decisions(site.root)],
        "all_ids": [b.id for b in register],
    }


def _form_token(site: Site, request: Request) -> tuple[str, str]:
    """The token the page's forms carry, and a new cookie value to set ("" if
    none): the session's own, or, with no login, one kept in a cookie."""
    session = site.session_of(request)
    if session is not None:
        return session.csrf, ""
    if site.login_required():
        return "", ""
    token = request.cookies.get(FORM_CSRF_COOKIE)
    return (token, "") if token else (secrets.token_urlsafe(32), "new")


async def _form(site: Site, request: Request) -> tuple[User, dict[str, str]]:
    """The form's fields once its sender is known, its CSRF token matches and
    their role may change the register."""
    user = site.current_user(request)
    form = await request.form()
    session = site.session_of(request)
    expected = session.csrf if session else None
    if session is None and not site.login_required():
        expected = request.cookies.get(FORM_CSRF_COOKIE)
    if not same_token(form.get("csrf_token"), expected):
        raise ApiError(403, "CsrfRefused", "the form's CSRF token does not match your "
                       "session: reload the page and send the form again")  # fmt: skip
    if not user.may("analyst"):
        raise ApiError(
            403, "Forbidden",
            f"{user.name} is a viewer: viewers read the register; ask an admin for the "
            "analyst role to change it",
        )  # fmt: skip
    fields = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    return user, fields


def _chart(v: dict[str, Any]) -> dict[str, Any]:
    return {"asks": [{"label": g["department"], "pence": g["pence"]} for g in v["asks"]]}


def add_routes(app: FastAPI, site: Site) -> None:
    # here rather than on import, so the navigation bar follows the order of app.PAGES
    templates.nav("Barriers", "/barriers")
    themes = [(t.id, t.label) for t in default_taxonomy().themes.values()]

    def view(status: str | None, type_: str | None, theme: str | None) -> dict[str, Any]:
        try:
            return barriers_view(site, status or None, type_ or None, theme or None)
        except TotalPlaceError as exc:
            raise ApiError(422, type(exc).__name__, str(exc)) from exc

    def page(
        request: Request, message: str = "", status_code: int = 200, **filters: str
    ) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        user, context = who
        f = {k: filters.get(k, "") for k in ("status", "type", "theme")}
        try:
            v = barriers_view(site, f["status"] or None, f["type"] or None, f["theme"] or None)
        except TotalPlaceError as exc:
            message, status_code = str(exc), 422
            v = barriers_view(site)
            f = {"status": "", "type": "", "theme": ""}
        token, new = _form_token(site, request)
        response = site.page(
            "barriers.html", status_code, title="Barriers and decisions", message=message,
            barriers=v["barriers"], total=v["total"], filtered=any(f.values()), f=f,
            asks=v["asks"], decisions=v["decisions"], all_ids=v["all_ids"],
            may_edit=user.may("analyst"), form_token=token, statuses=STATUSES, types=TYPES,
            effects=EFFECTS, themes=themes, transitions=TRANSITIONS,
            chart_json=script_json(_chart(v)), **context,
        )  # fmt: skip
        if new:
            response.set_cookie(
                FORM_CSRF_COOKIE, token, max_age=8 * 3600, httponly=True, samesite="strict"
            )
        return response

    @app.get("/barriers", response_class=HTMLResponse, include_in_schema=False)
    def barriers_page(
        request: Request, status: str = "", type: str = "", theme: str = ""
    ) -> Response:
        return page(request, status=status, type=type, theme=theme)

    @app.post("/barriers/add", include_in_schema=False)
    async def barriers_add(request: Request) -> Response:
        user, fields = await _form(site, request)
        raw = {k: fields[k] for k in ADD_FIELDS if fields.get(k, "").strip()}
        try:
            barrier = add_barrier(site.ws, raw, user.name)
        except TotalPlaceError as exc:
            return page(request, _plain(exc), 422)
        return RedirectResponse(f"/barriers#{barrier.id}", 303)

    @app.post("/barriers/{barrier_id}/status", include_in_schema=False)
    async def barriers_status(barrier_id: str, request: Request) -> Response:
        user, fields = await _form(site, request)
        try:
            barrier = update_barrier(
                site.ws, barrier_id, user.name, fields.get("status", ""), fields.get("note", "")
            )
        except TotalPlaceError as exc:
            return page(request, _plain(exc), 422)
        return RedirectResponse(f"/barriers#{barrier.id}", 303)

    @app.post("/decisions/add", include_in_schema=False)
    async def decisions_add(request: Request) -> Response:
        user, fields = await _form(site, request)
        try:
            add_decision(
                site.ws, fields.get("what", ""), fields.get("by", ""), user.name,
                fields.get("date") or None, fields.get("barrier") or None,
            )  # fmt: skip
        except TotalPlaceError as exc:
            return page(request, _plain(exc), 422)
        return RedirectResponse("/barriers#decisions", 303)

    @app.get("/api/barriers", summary="The barriers register, with each barrier's history")
    def api_barriers(
        user: Viewer,
        status: str | None = Query(None, description="Only barriers at this status."),
        type: str | None = Query(None, description="Only barriers of this type."),
        theme: str | None = Query(None, description="Only barriers on this theme (its id)."),
    ) -> dict[str, Any]:
        return {"barriers": view(status, type, theme)["barriers"]}

    @app.get("/api/barriers/asks", summary="Open asks of central government by department")
    def api_asks(user: Viewer) -> dict[str, Any]:
        v = view(None, None, None)
        return {"asks": v["asks"], "pence": v["asks_pence"]}

    @app.get("/api/decisions", summary="The partnership's decisions, in the order taken")
    def api_decisions(user: Viewer) -> dict[str, Any]:
        return {"decisions": view(None, None, None)["decisions"]}

    @app.get("/barriers/{name}.csv", include_in_schema=False)
    def barriers_csv(name: str, user: Viewer) -> Response:
        if name == "register":
            rows = [csv_row(b) for b in read_register(site.root)]
            return csv_response("barriers.csv", list(COLUMNS), rows)  # csv_row escapes already
        v = view(None, None, None)
        if name == "asks":
            header = ["department", "central", "id", "title", "ask", "status", "type",
                      "theme", "impact_pounds"]  # fmt: skip
            out = [
                [g["department"], "yes" if g["central"] else "no", a["id"], a["title"], a["ask"],
                 a["status"], a["type_label"], a["theme_label"],
                 "" if a["impact_pence"] is None else Decimal(a["impact_pence"]) / 100]
                for g in v["asks"] for a in g["asks"]
            ]  # fmt: skip
            return csv_response("asks.csv", header, out)
        if name == "decisions":
            header = ["id", "date", "what", "by", "barrier", "recorded", "recorded_by"]
            out = [
                [d["id"], d["date"], d["what"], "; ".join(d["by"]), d["barrier"], d["recorded"],
                 d["recorded_by"]]
                for d in v["decisions"]
            ]  # fmt: skip
            return csv_response("decisions.csv", header, out)
        raise ApiError(404, "NotFound", f"no table {name}.csv; one of: register, asks, decisions")


def _plain(exc: TotalPlaceError) -> str:
    """A command's error as the form's: its options are the form's fields."""
    return str(exc).replace("--impact-pounds", "Impact").replace("--", "")
