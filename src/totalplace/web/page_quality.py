"""Data quality: how far the count can be trusted, file by file and body by
body.

Every figure here is one the workspace already holds, never worked out again:
the ingest report is :func:`totalplace.ingest.pipeline.workspace_report`, the
same function ``totalplace check`` prints; months covered, the share of
payments classified and the service control totals are those the count wrote
in ``count.json``; the largest unclassified labels are those ``totalplace
classify`` found (``classify_report.json``).  Nothing on this page names a
supplier, so any logged-in user may see it: labels are service and expense
type, bodies are public bodies, files are named by their file name.
"""

# No ``from __future__ import annotations``: FastAPI reads the route
# annotations at run time.
import json
from collections import defaultdict
from pathlib import PurePath
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from totalplace.classify import REPORT_NAME
from totalplace.classify.taxonomy import theme_label
from totalplace.count.gross import months_of_year
from totalplace.count.over_outturn import OVER_OUTTURN
from totalplace.count.services import RESIDUAL_METHOD, RESIDUAL_WHY
from totalplace.ingest.issues import FILE_WARNINGS, ISSUE_TYPES
from totalplace.ingest.pipeline import workspace_report
from totalplace.report.count_file import NoCount, read_count
from totalplace.web import templates
from totalplace.web.site import Limit, Offset, Site, Viewer, csv_response
from totalplace.web.templates import script_json

# The canonical fields a column can be read as, in words.
FIELD_LABELS = {
    "amount": "Amount", "payment_date": "Payment date", "period": "Period",
    "supplier_name": "Supplier name", "paying_body": "Paying body", "service": "Service",
    "service_detail": "Service detail", "department": "Department",
    "expense_type": "Expense type", "transaction_id": "Transaction number",
    "capital_revenue": "Capital or revenue", "purpose": "Purpose",
    "proclass_label": "ProClass label", "supplier_id": "Supplier identifier",
}  # fmt: skip
# How a column was chosen, in words (details["mapping"][field]["how"]).
HOW_LABELS = {
    "profile": "the publisher's profile names it",
    "synonym": "its header is a known name for the field",
    "near match": "its header is close to a known name for the field",
    "header word": "a word in its header, and its values fit",
    "values": "its values fit the field (no header names it)",
}
FILES_PER_PAGE = 200
# File warnings whose message quotes whole lines of the file.
QUOTES_LINES = frozenset({"mixed-encoding"})
# Kinds of payment the count sets apart from a council's revenue split.
SET_APART_LABELS = {
    "capital": "Capital payments",
    "revenue (HRA)": "Council housing (Housing Revenue Account)",
}


def _label(code: str) -> str:
    return code.replace("_", " ").replace("-", " ").capitalize()


def _issue(slug: str, n: int) -> dict[str, Any]:
    known = ISSUE_TYPES.get(slug)
    return {
        "slug": slug,
        "label": _label(slug),
        "rows": n,
        "quarantined": bool(known and known.severity == "error"),
        "help": known.help if known else "",
    }


def _mapping(path: str, details: dict[str, object]) -> list[dict[str, Any]]:
    mapping = details.get("mapping")
    if not isinstance(mapping, dict):
        return []
    return [
        {
            "file": PurePath(path).name,
            "field": field,
            "field_label": FIELD_LABELS.get(field, _label(field)),
            "column": str(d.get("column", "")),
            "how": str(d.get("how", "")),
            "how_label": HOW_LABELS.get(str(d.get("how", "")), str(d.get("how", ""))),
            "confidence": d.get("confidence"),
            "values": str(d.get("values", "")),
            "why": str(d.get("why", "")),
            # columns considered and turned down, each with the reason
            "rejected": [r for r in d.get("rejected", []) if isinstance(r, dict)],
        }
        for field, d in mapping.items()
        if isinstance(d, dict)
    ]


def _for_viewer(warning: dict[str, str]) -> dict[str, str]:
    """A file warning a viewer may read: one that quotes whole lines of the
    file (which hold supplier names, some of them people) says what it found
    without them."""
    if warning["slug"] not in QUOTES_LINES:
        return warning
    known = FILE_WARNINGS.get(warning["slug"])
    return {
        "slug": warning["slug"],
        "message": (known.help if known else _label(warning["slug"]))
        + " (the lines it quotes are shown to analysts)",
    }


def _unplaced(message: str | None, path: str, name: str) -> str | None:
    """A message with the file's full path (its folders on the server) as its name only."""
    return message.replace(path, name) if message and path else message


def ingest_files(site: Site, analyst: bool = True) -> list[dict[str, Any]]:
    """Each file as ``totalplace check --json`` reports it (the same function,
    the same figures), with its issues and mapping labelled for people.  The
    row-level issue list is left out: it is empty in a stored report, and in a
    fresh one it quotes cells, some of them supplier names.  For a viewer
    (``analyst`` false) a warning quoting the file's lines leaves them out."""
    out = []
    for report in workspace_report(site.ws).files:
        f = report.to_dict()
        details = report.details
        counts = report.issue_counts
        warnings = report.warnings if analyst else [_for_viewer(w) for w in report.warnings]
        name = PurePath(report.path).name
        if not analyst:  # where the workspace's files sit on the server is not a viewer's
            f = {**f, "path": name, "message": _unplaced(report.message, report.path, name)}
            warnings = [{**w, "message": _unplaced(w["message"], report.path, name) or ""}
                        for w in warnings]  # fmt: skip
        out.append(
            {
                **{k: v for k, v in f.items() if k not in ("issues", "details")},
                "warnings": warnings,
                "name": name,
                "issues_labelled": [_issue(s, n) for s, n in sorted(counts.items())],
                "warnings_labelled": [
                    {
                        **w,
                        "label": _label(w["slug"]),
                        "help": getattr(FILE_WARNINGS.get(w["slug"]), "help", ""),
                    }
                    for w in warnings
                ],
                "mapping": _mapping(report.path, details),
                "dates": details.get("dates", {}),
                "bodies": details.get("bodies", []),
            }
        )
    return out


def months_grid(data: dict[str, Any]) -> dict[str, Any]:
    """Bodies counted from their payments by the months of the count's year
    their payments cover (the count's own coverage)."""
    year = str(data.get("year", ""))
    months = months_of_year(year) if year[:4].isdigit() else []
    rows = [
        {
            "agency": str(c["agency"]),
            "months": int(c["months"]),
            "covered": [m in set(c.get("months_list", ())) for m in months],
            "first": c.get("first", ""),
            "last": c.get("last", ""),
        }
        for c in data.get("coverage", [])
    ]
    return {"year": year, "months": months, "bodies": rows}


def classification(site: Site, data: dict[str, Any] | None) -> dict[str, Any]:
    """The share of each body's payments (by value) the count placed in a theme
    by rules, by the model, or not at all; and the labels (service and expense
    type) carrying the most unclassified money, as ``totalplace classify``
    found them."""
    bodies = [
        {"agency": agency, **c}
        for agency, c in (data or {}).get("classification", {}).items()
        if isinstance(c, dict)
    ]
    labels: list[dict[str, Any]] = []
    path = site.root / REPORT_NAME
    report: dict[str, Any] = {}
    if path.exists():
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            report = {}
    publishers = []
    for p in report.get("by_publisher", []):
        publishers.append({k: v for k, v in p.items() if k != "top_unclassified"})
        for x in p.get("top_unclassified", []):
            labels.append(
                {"publisher": p["publisher"], "label": x["label"], "rows": int(x["rows"]),
                 "value_pence": int(x["value_pence"])}
            )  # fmt: skip
    labels.sort(key=lambda x: (-x["value_pence"], x["publisher"], x["label"]))
    return {
        "by_body": bodies,
        "by_publisher": publishers,
        "top_unclassified": labels,
        "classified": bool(report),
    }


def reconciliation(data: dict[str, Any]) -> dict[str, Any]:
    """Each council's outturn service by service against the payments the count
    placed in it: the service keeps its outturn, so the residual is the
    outturn less the payments (pay, payments under £500, months not covered).
    Then bodies counted gross (payments against outturn) and the councils whose
    payments come to more than their whole outturn."""
    controlled = {str(c["agency"]) for c in data.get("coverage", []) if c.get("control_pence")}
    services: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"outturn_pence": 0, "payments_pence": 0, "residual_pence": 0}
    )
    outside: dict[tuple[str, str], int] = defaultdict(int)
    for line in data.get("lines", []):
        agency, service = str(line.get("agency", "")), str(line.get("service", ""))
        if agency not in controlled:
            continue
        pence = int(line["pence"])
        if line.get("method") not in ("transactions", RESIDUAL_METHOD):
            # housing benefit: counted from its own outturn line, outside the split
            outside[(agency, service)] += pence
            continue
        cell = services[(agency, service)]
        cell["outturn_pence"] += pence
        cell["payments_pence" if line["method"] == "transactions" else "residual_pence"] += pence
    order = sorted(services.items(), key=lambda kv: (kv[0][0], -kv[1]["outturn_pence"]))
    rows = [
        {"agency": a, "service": s, "service_label": theme_label(s), **v,
         "payments_share": round(v["payments_pence"] / v["outturn_pence"], 4)
         if v["outturn_pence"] > 0 else None}
        for (a, s), v in order
    ]  # fmt: skip
    return {
        "services": rows,
        "outside_split": [
            {"agency": a, "service": s, "service_label": theme_label(s), "pence": p}
            for (a, s), p in sorted(outside.items())
        ],
        "set_apart": set_apart(data),
        "residual_method": RESIDUAL_METHOD,
        "residual_why": RESIDUAL_WHY,
        "gross": [
            {
                k: b.get(k)
                for k in (
                    "agency",
                    "months",
                    "payments_pence",
                    "outturn_pence",
                    "replaced_pence",
                    "difference_pence",
                    "note",
                )
            }
            for b in data.get("gross_bridges", [])
        ],
        "over_outturn": [
            {k: w.get(k) for k in ("agency", "message", "transactions_pence", "outturn_pence")}
            for w in data.get("warnings", [])
            if w.get("slug") == OVER_OUTTURN
        ],
    }


def set_apart(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Councils' capital and council-housing payments, kept out of the revenue
    split and so out of the reconciliation: shown, by body and kind, with the
    count's reason, never added."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    why: dict[tuple[str, str], str] = {}
    for line in data.get("set_apart", []):
        key = (str(line.get("agency", "")), str(line.get("capital_revenue", "")))
        out[key] += int(line["pence"])
        why.setdefault(key, str((line.get("flags") or [""])[-1]))
    return [
        {"agency": a, "kind": k, "kind_label": SET_APART_LABELS.get(k, _label(k)),
         "pence": p, "why": why[(a, k)]}
        for (a, k), p in sorted(out.items())
    ]  # fmt: skip


def quality(site: Site, analyst: bool = True) -> dict[str, Any]:
    """Everything the page shows, as the API gives it."""
    try:
        data: dict[str, Any] | None = read_count(site.root)
        no_count = ""
    except NoCount as exc:
        data, no_count = None, str(exc)
    files = ingest_files(site, analyst)
    return {
        "files": files,
        "no_count": no_count,
        "year": (data or {}).get("year", ""),
        "months": months_grid(data) if data else None,
        "classification": classification(site, data),
        "reconciliation": reconciliation(data) if data else None,
    }


QUALITY = """{% extends "base.html" %}
{% block main %}
<style>.chart.short { min-height: 0; } table.files { font-size: 0.9rem; }
td.name { overflow-wrap: anywhere; max-width: 12rem; } td.issues { min-width: 15rem; }
td.issues ul { margin: 0; padding-left: 1rem; }</style>
<section aria-labelledby="files">
<h2 id="files">Ingest issues by file</h2>
{% if not q.files %}<p class="notice" role="status">Nothing has been ingested yet: run
<code>totalplace ingest DIR FILE...</code>.</p>{% else %}
<p>Rows loaded are counted; rows quarantined are kept aside and not counted (the
<code>totalplace check</code> report, file by file).
<a class="download" href="/quality/files.csv">Download as CSV</a></p>
<table class="files">
<thead><tr><th scope="col">File</th><th scope="col">Publisher</th><th scope="col">Status</th>
<th scope="col" class="money">Rows read</th><th scope="col" class="money">Loaded</th>
<th scope="col" class="money">Quarantined</th><th scope="col" class="money">Amount loaded</th>
<th scope="col" class="money">Amount quarantined</th><th scope="col">Issues and warnings</th>
</tr></thead>
<tbody>
{% for f in q.files %}
<tr><td class="name">{{ f.name }}</td><td>{{ f.publisher or "" }}</td><td>{{ f.status }}</td>
<td class="money">{{ "{:,}".format(f.rows_read) }}</td>
<td class="money">{{ "{:,}".format(f.rows_loaded) }}</td>
<td class="money">{{ "{:,}".format(f.rows_quarantined) }}</td>
<td class="money">{{ money(f.amount_loaded_pence) }}</td>
<td class="money">{{ money(f.amount_quarantined_pence) }}</td>
<td class="issues">{% if f.message %}{{ f.message }}{% endif %}<ul>
{% for i in f.issues_labelled %}<li title="{{ i.help }}">{{ i.label }}: {{ "{:,}".format(i.rows) }}
 {{ "quarantined" if i.quarantined else "flagged" }}</li>{% endfor %}
{% for w in f.warnings_labelled %}<li>{{ w.label }}: {{ w.message }}</li>{% endfor %}
</ul></td></tr>
{% endfor %}
</tbody>
</table>
{% if more_files %}<p>{{ more_files }} more files: see <code>/api/quality?offset={{ shown }}</code>
or the CSV.</p>{% endif %}
{% endif %}
</section>
<section aria-labelledby="mapping">
<h2 id="mapping">Mapping decisions</h2>
<p>Which column of each file was read as which field, and why.
<a class="download" href="/quality/mapping.csv">Download as CSV</a></p>
<table>
<thead><tr><th scope="col">File</th><th scope="col">Field</th><th scope="col">Column</th>
<th scope="col">Why this column</th><th scope="col" class="money">Confidence</th>
<th scope="col">What its values are</th></tr></thead>
<tbody>
{% for f in q.files %}{% for m in f.mapping %}
<tr><td class="name">{{ m.file }}</td><td>{{ m.field_label }}</td><td>{{ m.column }}</td>
<td>{{ m.how_label }}{% if m.why %} ({{ m.why }}){% endif %}</td>
<td class="money">{{ share(m.confidence) }}</td>
<td>{{ m["values"] }}{% for r in m.rejected %}<br>Not "{{ r.column }}": {{ r.reason }}{% endfor %}
</td></tr>
{% endfor %}{% endfor %}
</tbody>
</table>
</section>
{% if q.no_count %}
<p class="notice" role="status">{{ q.no_count }}</p>
{% else %}
<section aria-labelledby="months">
<h2 id="months">Months covered, {{ q.year }}</h2>
{% if not q.months.bodies %}<p>No body is counted from its payments in this count.</p>{% else %}
<p>Each body counted from its payments, by the months of the year its payments cover; a body
with months missing is counted for the months it has, not scaled up to a year.
<a class="download" href="/quality/months.csv">Download as CSV</a></p>
<div class="pair">
<div id="months-chart" class="chart short" role="figure"
 aria-label="Heatmap of the months each body's payments cover; the table beside it
 holds the same"></div>
<table>
<caption>Months covered by each body's payments</caption>
<thead><tr><th scope="col">Body</th>{% for m in q.months.months %}<th scope="col">{{ m }}</th>
{% endfor %}<th scope="col" class="money">Months</th></tr></thead>
<tbody>
{% for b in q.months.bodies %}
<tr><td>{{ b.agency }}</td>{% for c in b.covered %}<td>{{ "yes" if c else "no" }}</td>
{% endfor %}<td class="money">{{ b.months }} of 12</td></tr>
{% endfor %}
</tbody>
</table>
</div>
{% endif %}
</section>
{% endif %}
<section aria-labelledby="classified">
<h2 id="classified">Classification coverage</h2>
{% if q.classification.by_body %}
<p>Of each body's revenue payments in the year (by value, refunds netted off), the share
given a theme by the rules, by the learned model, or left unclassified.
<a class="download" href="/quality/classification.csv">Download as CSV</a></p>
<div class="pair">
<div id="class-chart" class="chart short" role="figure"
 aria-label="Stacked bars of the share of each body's payments classified by rules,
 by the model and not at all; the table beside it holds
 the same figures"></div>
<table>
<caption>Share of payments classified, by body</caption>
<thead><tr><th scope="col">Body</th><th scope="col" class="money">Payments</th>
<th scope="col" class="money">By rules</th><th scope="col" class="money">By model</th>
<th scope="col" class="money">Unclassified</th>
<th scope="col" class="money">Unclassified amount</th></tr></thead>
<tbody>
{% for b in q.classification.by_body %}
<tr><td>{{ b.agency }}</td><td class="money">{{ money(b.total_pence) }}</td>
<td class="money">{{ share(b.rules_share) }}</td><td class="money">{{ share(b.model_share) }}</td>
<td class="money">{{ share(b.unclassified_share) }}</td>
<td class="money">{{ money(b.unclassified_pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
{% else %}<p>No count of classified payments yet.</p>{% endif %}
<h3>Largest unclassified labels</h3>
{% if q.classification.top_unclassified %}
<p>The service and expense type of payments no rule or model classified, largest first: a
rule for each (<code>DIR/rules/*.toml</code>) classifies them in the next count.
<a class="download" href="/quality/unclassified.csv">Download as CSV</a></p>
<table>
<thead><tr><th scope="col">Publisher</th><th scope="col">Label</th>
<th scope="col" class="money">Rows</th><th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for x in q.classification.top_unclassified %}
<tr><td>{{ x.publisher }}</td><td>{{ x.label }}</td>
<td class="money">{{ "{:,}".format(x.rows) }}</td>
<td class="money">{{ money(x.value_pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
{% elif q.classification.classified %}<p>Every payment is classified.</p>
{% else %}<p>The payments have not been classified yet: run <code>totalplace count DIR</code>.
</p>{% endif %}
</section>
{% if not q.no_count %}
<section aria-labelledby="recon">
<h2 id="recon">Reconciliation against outturn</h2>
{% set r = q.reconciliation %}
{% if r.services %}
<p>Each council's services keep their Revenue Outturn figure; its payments are placed in the
services and the residual is the outturn less the payments ({{ r.residual_why }}). A negative
residual is a service whose payments (gross) exceed its net outturn.
<a class="download" href="/quality/reconciliation.csv">Download as CSV</a></p>
<div class="pair">
<div id="recon-chart" class="chart short" role="figure" aria-label="Bars of each service's outturn
 split into payments and residual; the table beside it holds the same figures"></div>
<table>
<caption>Outturn, payments counted and residual, by service</caption>
<thead><tr><th scope="col">Body</th><th scope="col">Service</th>
<th scope="col" class="money">Outturn</th><th scope="col" class="money">Payments</th>
<th scope="col" class="money">Residual</th></tr></thead>
<tbody>
{% for s in r.services %}
<tr><td>{{ s.agency }}</td><td>{{ s.service_label }}</td>
<td class="money">{{ money(s.outturn_pence) }}</td>
<td class="money">{{ money(s.payments_pence) }}</td>
<td class="money">{{ money(s.residual_pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
</div>
{% for o in r.outside_split %}<p>{{ o.agency }}: {{ o.service_label }}
({{ money(o.pence) }}) is counted from its own outturn line, outside the split: its payments
are not in the spend files.</p>{% endfor %}
{% else %}<p>No council in this count splits its outturn by its payments, so no service has
an outturn control total.</p>{% endif %}
{% if r.gross %}
<h3>Bodies counted gross from their payments</h3>
<table>
<thead><tr><th scope="col">Body</th><th scope="col" class="money">Payments</th>
<th scope="col" class="money">Outturn</th><th scope="col" class="money">Outturn replaced</th>
<th scope="col" class="money">Difference</th></tr></thead>
<tbody>
{% for b in r.gross %}
<tr><td>{{ b.agency }}</td><td class="money">{{ money(b.payments_pence) }}</td>
<td class="money">{{ money(b.outturn_pence) if b.outturn_pence is not none else "not shipped" }}
</td><td class="money">{{ money(b.replaced_pence) }}</td>
<td class="money">{{ money(b.difference_pence) }}</td></tr>
{% endfor %}
</tbody>
</table>
<p>{{ r.gross[0].note }}.</p>
{% endif %}
{% for w in r.over_outturn %}<p class="notice">{{ w.message }}</p>{% endfor %}
{% if r.set_apart %}
<h3>Set apart from the split (shown, not counted)</h3>
<table>
<thead><tr><th scope="col">Body</th><th scope="col">Payments</th>
<th scope="col" class="money">Amount</th></tr></thead>
<tbody>
{% for x in r.set_apart %}
<tr><td>{{ x.agency }}</td><td>{{ x.kind_label }}</td><td class="money">{{ money(x.pence) }}</td>
</tr>
{% endfor %}
</tbody>
</table>
<p>{{ r.set_apart[0].why }}.</p>
{% endif %}
</section>
{% endif %}
<script id="chart-data" type="application/json">{{ chart_json }}</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/quality.js"></script>
{% endblock %}
"""

# Draws the three charts from the page's JSON block; every chart's figures
# are in the table beside it.
QUALITY_JS = """'use strict';
(function () {
  var el = document.getElementById('chart-data');
  if (!el || !window.Plotly) { return; }
  var d = JSON.parse(el.textContent);
  var opts = {displaylogo: false, responsive: true};
  // a chart as tall as its rows need: one body is one short bar, not 420 pixels
  var tall = function (n) { return Math.max(180, 90 + 36 * n); };
  if (d.months && d.months.bodies.length && document.getElementById('months-chart')) {
    var b = d.months.bodies.slice().reverse();
    Plotly.newPlot('months-chart', [{
      type: 'heatmap', x: d.months.months, y: b.map(function (r) { return r.agency; }),
      z: b.map(function (r) { return r.covered.map(function (c) { return c ? 1 : 0; }); }),
      zmin: 0, zmax: 1, showscale: false, xgap: 2, ygap: 2,
      colorscale: [[0, '#f3d2d2'], [1, '#2a7ab0']],
      text: b.map(function (r) {
        return r.covered.map(function (c) { return c ? 'payments loaded' : 'no payments'; });
      }),
      hovertemplate: '%{y}<br>%{x}: %{text}<extra></extra>'
    }], {margin: {l: 260, r: 20, t: 10, b: 60}, xaxis: {type: 'category'},
      height: tall(b.length)}, opts);
  }
  if (d.classification.length && document.getElementById('class-chart')) {
    var c = d.classification.slice().reverse();
    var names = c.map(function (r) { return r.agency; });
    var part = function (key, label, colour) {
      return {type: 'bar', orientation: 'h', name: label, y: names, marker: {color: colour},
        x: c.map(function (r) { return 100 * (r[key] || 0); }),
        hovertemplate: '%{y}<br>' + label + ': %{x:.1f}%<extra></extra>'};
    };
    Plotly.newPlot('class-chart', [part('rules_share', 'By rules', '#2a7ab0'),
      part('model_share', 'By model', '#8fb8d8'),
      part('unclassified_share', 'Unclassified', '#d9822b')],
    {barmode: 'stack', margin: {l: 260, r: 20, t: 10, b: 40}, height: tall(c.length) + 40,
     xaxis: {ticksuffix: '%', range: [0, 100]}, legend: {orientation: 'h'}}, opts);
  }
  if (d.reconciliation.length && document.getElementById('recon-chart')) {
    var s = d.reconciliation.slice().reverse();
    var ys = s.map(function (r) { return r.agency + ': ' + r.label; });
    var bar = function (key, label, colour) {
      return {type: 'bar', orientation: 'h', name: label, y: ys, marker: {color: colour},
        x: s.map(function (r) { return r[key] / 100; }),
        hovertemplate: '%{y}<br>' + label + ': £%{x:,.0f}<extra></extra>'};
    };
    Plotly.newPlot('recon-chart', [bar('payments_pence', 'Payments', '#2a7ab0'),
      bar('residual_pence', 'Residual (outturn less payments)', '#c7c7c7')],
    {barmode: 'relative', margin: {l: 320, r: 20, t: 10, b: 40}, height: tall(s.length) + 40,
     xaxis: {tickprefix: '£', separatethousands: true}, legend: {orientation: 'h'}}, opts);
  }
})();
"""

templates.register("quality.html", QUALITY)
templates.script("quality.js", QUALITY_JS)
templates.nav("Data quality", "/quality")


def _chart(q: dict[str, Any]) -> dict[str, Any]:
    recon = q["reconciliation"] or {"services": []}
    return {
        "months": q["months"],
        "classification": [
            {k: b.get(k) for k in ("agency", "rules_share", "model_share", "unclassified_share")}
            for b in q["classification"]["by_body"]
        ],
        "reconciliation": [
            {
                "agency": s["agency"],
                "label": s["service_label"],
                "payments_pence": s["payments_pence"],
                "residual_pence": s["residual_pence"],
            }
            for s in recon["services"]
        ],
    }


def add_routes(app: FastAPI, site: Site) -> None:
    @app.get("/quality", response_class=HTMLResponse, include_in_schema=False)
    def quality_page(request: Request) -> Response:
        who = site.page_user(request)
        if isinstance(who, Response):
            return who
        user, context = who
        q = quality(site, user.may("analyst"))
        total = len(q["files"])
        q["files"] = q["files"][:FILES_PER_PAGE]
        return site.page(
            "quality.html",
            title="Data quality",
            q=q,
            shown=len(q["files"]),
            more_files=total - len(q["files"]),
            chart_json=script_json(_chart(q)),
            **context,
        )

    @app.get(
        "/api/quality",
        summary="Data quality: ingest issues and mapping by file (paged), months covered, "
        "classification coverage and reconciliation against outturn",
    )
    def api_quality(user: Viewer, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        q = quality(site, user.may("analyst"))
        files = q.pop("files")
        return {
            "files_total": len(files),
            "limit": limit,
            "offset": offset,
            "files": files[offset : offset + limit],
            **q,
        }

    @app.get("/quality/files.csv", include_in_schema=False)
    def files_csv(user: Viewer) -> Response:
        header = ["file", "path", "publisher", "status", "rows_read", "rows_loaded",
                  "rows_quarantined", "rows_blank", "amount_loaded_pence",
                  "amount_quarantined_pence", "issues", "warnings", "message"]  # fmt: skip
        rows = [
            [f["name"], f["path"], f["publisher"] or "", f["status"], f["rows_read"],
             f["rows_loaded"], f["rows_quarantined"], f["rows_blank"],
             f["amount_loaded_pence"], f["amount_quarantined_pence"],
             "; ".join(f"{i['slug']}: {i['rows']}" for i in f["issues_labelled"]),
             "; ".join(w["message"] for w in f["warnings"]), f["message"]]
            for f in ingest_files(site, user.may("analyst"))
        ]  # fmt: skip
        return csv_response("quality-files.csv", header, rows)

    @app.get("/quality/mapping.csv", include_in_schema=False)
    def mapping_csv(user: Viewer) -> Response:
        header = ["file", "field", "column", "how", "confidence", "values"]
        rows = [
            [m["file"], m["field"], m["column"], m["how"], m["confidence"], m["values"]]
            for f in ingest_files(site)
            for m in f["mapping"]
        ]
        return csv_response("quality-mapping.csv", header, rows)

    @app.get("/quality/months.csv", include_in_schema=False)
    def months_csv(user: Viewer) -> Response:
        grid = months_grid(site.count_data())
        header = ["body", *grid["months"], "months"]
        rows = [[b["agency"], *(int(c) for c in b["covered"]), b["months"]] for b in grid["bodies"]]
        return csv_response("quality-months.csv", header, rows)

    @app.get("/quality/classification.csv", include_in_schema=False)
    def classification_csv(user: Viewer) -> Response:
        keys = ["total_pence", "rules_pence", "model_pence", "unclassified_pence",
                "rules_share", "model_share", "unclassified_share"]  # fmt: skip
        by_body = classification(site, site.count_data())["by_body"]
        rows = [[b["agency"], *(b.get(k) for k in keys)] for b in by_body]
        return csv_response("quality-classification.csv", ["body", *keys], rows)

    @app.get("/quality/unclassified.csv", include_in_schema=False)
    def unclassified_csv(user: Viewer) -> Response:
        labels = classification(site, None)["top_unclassified"]
        rows = [[x["publisher"], x["label"], x["rows"], x["value_pence"]] for x in labels]
        return csv_response(
            "quality-unclassified.csv", ["publisher", "label", "rows", "value_pence"], rows
        )

    @app.get("/quality/reconciliation.csv", include_in_schema=False)
    def reconciliation_csv(user: Viewer) -> Response:
        services = reconciliation(site.count_data())["services"]
        header = ["body", "service", "outturn_pence", "payments_pence", "residual_pence"]
        rows = [
            [s["agency"], s["service_label"], s["outturn_pence"], s["payments_pence"],
             s["residual_pence"]]
            for s in services
        ]  # fmt: skip
        return csv_response("quality-reconciliation.csv", header, rows)
