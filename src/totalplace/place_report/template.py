"""The report's page: its print styles (A4, rows that never split, headings
that repeat on each page) and its Jinja template, escaped as it renders.

The page's opening (``PAGE_START``: title and styles) and its contents page
(``CONTENTS``: each section linked, with its page in the PDF) are shared with
the network's comparison report, so the two are printed alike."""

CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm; }
* { box-sizing: border-box; }
body { font-family: Helvetica, Arial, sans-serif; font-size: 10.5pt; line-height: 1.4;
  color: #1a1a1a; margin: 0 auto; max-width: 178mm; }
h1 { font-size: 24pt; margin: 0 0 4mm; color: #0b3d5c; }
h2 { font-size: 16pt; color: #0b3d5c; border-bottom: 2px solid #0b3d5c; padding-bottom: 1mm;
  break-before: page; break-after: avoid; }
h3 { font-size: 12.5pt; color: #0b3d5c; break-after: avoid; margin-top: 6mm; }
.cover { min-height: 230mm; display: flex; flex-direction: column; justify-content: center; }
.cover .sub { font-size: 14pt; color: #444; }
nav.contents ol { font-size: 12pt; line-height: 2; }
nav.contents a { color: #0b3d5c; text-decoration: none; display: flex; gap: 3mm;
  border-bottom: 1px dotted #999; }
nav.contents .pg { margin-left: auto; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 5mm; font-size: 9pt; }
thead { display: table-header-group; }
tr, figure, .keep { break-inside: avoid; page-break-inside: avoid; }
th, td { border-bottom: 1px solid #ccc; padding: 1.2mm 1.5mm; text-align: left;
  vertical-align: top; overflow-wrap: break-word; hyphens: auto; }
th { background: #e8eef2; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.date { white-space: nowrap; }
caption { text-align: left; font-weight: bold; padding-bottom: 1mm; }
figure { margin: 3mm 0; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 9pt; color: #444; }
.absent { background: #f6f2e6; border-left: 4px solid #c9a227; padding: 2mm 3mm; }
.headline { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 3mm; margin: 4mm 0; }
.headline div { border: 1px solid #0b3d5c; padding: 2mm; break-inside: avoid; }
.headline b { display: block; font-size: 15pt; color: #0b3d5c; }
.small { font-size: 8.5pt; color: #444; }
table.fixed { table-layout: fixed; }
table.fixed td { overflow-wrap: anywhere; }
"""

PAGE_START = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }}</title>
<style>{{ css }}</style></head>
<body>
"""

# The contents page: ``sections`` as (anchor, heading), ``pages`` each
# anchor's page in the printed PDF (empty until the first printing).
CONTENTS = r"""<nav class="contents" id="contents"><h2 style="break-before: page">Contents</h2><ol>
{% for anchor, heading in sections %}<li><a href="#{{ anchor }}"><span>{{ heading }}</span>
<span class="pg" data-anchor="{{ anchor }}">{{ pages.get(anchor, "") }}</span></a></li>
{% endfor %}</ol></nav>
"""

TEMPLATE = (
    PAGE_START
    + r"""<section class="cover">
<h1>Total Place: {{ place }}</h1>
<p class="sub">The public money in the place, {{ year }}: the count, the opportunities and
what stands in the way</p>
<p>Published by the partnership on {{ today }} from the workspace's count of
{{ s.year }}.</p>
</section>
"""
    + CONTENTS
    + r"""

<h2 id="summary">Summary</h2>
<p>Public bodies spent <b>{{ m(s.total_pence) }}</b> in {{ place }} in {{ year }}:
{% if s.population %}<b>{{ p(s.per_head_pence) }}</b> for each of its
{{ "{:,}".format(s.population) }} residents.{% else %}the count holds no population for the
place, so no figure per head is given.{% endif %}
The largest themes were {{ top_themes }}.</p>
<div class="headline">
{% for key, label, pence in headline %}<div>{{ label }}<b data-count-key="{{ key }}"
 data-pence="{{ pence }}">{{ p(pence) if s.population or key != "per_head_pence"
 else "no population" }}</b></div>
{% endfor %}</div>
<table><caption>The count in figures (each from the count's report, count.json)</caption>
<thead><tr><th>Figure</th><th>Key in count.json</th><th class="num">Amount</th></tr></thead>
<tbody>{% for key, label, pence in summary_rows %}<tr><td>{{ label }}</td><td><code>{{ key
}}</code></td><td class="num" data-count-key="{{ key }}" data-pence="{{ pence }}">{{ p(pence)
}}</td></tr>{% endfor %}</tbody></table>

<h2 id="count">The count</h2>
<h3>Where the money comes from and goes</h3>
{{ fig(sankey, "Flows from funder to agency to theme; funders and agencies under "
 ~ pct(small_share) ~ " of the total are drawn together as one", "flows") }}
<table id="flows"><caption>Flows from funder to agency, and from agency to theme</caption>
<thead><tr><th>From</th><th>To</th><th class="num">Amount</th></tr></thead>
<tbody>{% for f in o.flows %}<tr><td>{{ f.source }}</td><td>{{ f.target }}</td>
<td class="num">{{ p(f.pence) }}</td></tr>{% endfor %}</tbody></table>
<h3>Spending by theme and agency</h3>
{{ fig(treemap, "Each box is an agency's spending on a theme, in proportion to its size",
 "cells") }}
<table id="cells"><caption>Spending by theme and agency</caption>
<thead><tr><th>Theme</th><th>Agency</th><th class="num">Amount</th></tr></thead>
<tbody>{% for c in cells %}<tr><td>{{ c.theme_label }}</td><td>{{ c.agency }}</td>
<td class="num">{{ p(c.pence) }}</td></tr>{% endfor %}</tbody></table>
<h3>Spending by theme, and per head</h3>
{{ fig(theme_bars, "Spending by theme", "by-theme") }}
<table id="by-theme"><caption>Spending by theme</caption>
<thead><tr><th>Theme</th><th class="num">Current</th><th class="num">Capital</th>
<th class="num">Total</th><th class="num">Per head</th></tr></thead><tbody>
{% for t in s.by_theme %}<tr><td>{{ t.label }}</td><td class="num">{{ p(t.current_pence) }}</td>
<td class="num">{{ p(t.capital_pence) }}</td><td class="num">{{ p(t.pence) }}</td>
<td class="num">{{ ph(t.pence) }}</td></tr>{% endfor %}</tbody></table>
<h3>Method and confidence</h3>
<table><caption>How each part of the count was found</caption>
<thead><tr><th>Method</th><th class="num">Amount</th><th class="num">Share</th></tr></thead>
<tbody>{% for x in s.by_method %}<tr><td>{{ x.label }}</td><td class="num">{{ p(x.pence) }}</td>
<td class="num">{{ pct(x.share) }}</td></tr>{% endfor %}</tbody></table>
{{ fig(grade_bars, "Spending by confidence grade", "grades") }}
<table id="grades"><caption>Confidence grades</caption>
<thead><tr><th>Grade</th><th class="num">Amount</th></tr></thead>
<tbody>{% for g in o.by_grade %}<tr><td>{{ g.label }}</td><td class="num">{{ p(g.pence) }}</td>
</tr>{% endfor %}</tbody></table>

<h2 id="themes">Themes in depth</h2>
{% for t in themes %}{% set v = t.view %}
<h3 id="theme-{{ t.theme }}">{{ t.label }}: {{ p(v.pence) }}</h3>
<p>{{ t.agencies }} {{ "agency" if t.agencies == 1 else "agencies" }}{% if
v.from_payments_pence %}; {{ p(v.from_payments_pence) }} from the bodies' own payments{% endif
%}{% if v.transfers_eliminated_pence %}; {{ p(v.transfers_eliminated_pence) }} of transfers
between the place's bodies taken out so it is counted once{% endif %}.</p>
{% set h = t.per_head %}{% if h.available %}<table class="keep"><caption>{{ t.label }} per
head, from the top-down count of {{ h.year }} (the same method for all three)</caption><thead><tr>
<th class="num">{{ place }}</th><th class="num">{{ h.region }}</th><th class="num">England</th>
</tr></thead><tbody><tr><td class="num">{{ p(h.place_pence) }}</td>
<td class="num">{{ p(h.region_pence) }}</td><td class="num">{{ p(h.england_pence) }}</td></tr>
</tbody></table>{% else %}<p class="small">No comparison per head with England: {{ h.reason
}}.</p>{% endif %}
<table class="keep"><caption>{{ t.label }} by agency</caption>
<thead><tr><th>Agency</th><th>Method</th><th class="num">Amount</th><th class="num">Share</th>
</tr></thead><tbody>{% for a in v.agencies %}<tr><td>{{ a.agency }}</td>
<td>{{ a.methods | join(", ") }}</td><td class="num">{{ p(a.pence) }}</td>
<td class="num">{{ pct(a.share) }}</td></tr>{% endfor %}</tbody></table>
{% if v.tiers %}<table class="keep"><caption>{{ t.label }} by prevention tier</caption>
<thead><tr><th>Tier</th><th class="num">Amount</th><th class="num">Share</th></tr></thead>
<tbody>{% for x in v.tiers %}<tr><td>{{ x.label }}</td><td class="num">{{ p(x.pence) }}</td>
<td class="num">{{ pct(x.share) }}</td></tr>{% endfor %}</tbody></table>{% endif %}
{% endfor %}

<h2 id="benchmarks">Benchmarks</h2>
{% if not bench.available %}<p class="absent">{{ bench.reason }}</p>{% else %}
<p>{{ bench.place.name }} beside its {{ bench.neighbours | length }} nearest neighbours
({{ bench.neighbours_source }}), spending of {{ bench.spend_year }} from the published
outturn. {{ bench.notes | join(" ") }}</p>
<table><caption>Spending per head beside the neighbours' median</caption>
<thead><tr><th>Line of outturn</th><th class="num">{{ bench.place.name }}</th>
<th class="num">Neighbours' median</th></tr></thead><tbody>
{% for x in bench.lines %}<tr><td>{{ x.line.replace("_", " ").capitalize() }}</td>
<td class="num">{{ p(x.per_head_pence) }}</td>
<td class="num">{{ p(x.neighbours_median_pence) }}</td></tr>{% endfor %}</tbody></table>
<table><caption>Outcomes</caption><thead><tr><th>Indicator</th><th>Year</th>
<th class="num">{{ bench.place.name }}</th><th class="num">England</th><th>Against England</th>
</tr></thead><tbody>{% for x in bench.outcomes %}<tr><td>{{ x.label }}</td><td>{{ x.year }}</td>
<td class="num">{{ x.value if x.value is not none else "" }}</td>
<td class="num">{{ x.england_value if x.england_value is not none else "" }}</td>
<td>{{ x.status or "not tested" }}</td></tr>{% endfor %}</tbody></table>{% endif %}

<h2 id="opportunities">Opportunities</h2>
{% if not opp.available %}<p class="absent">{{ opp.reason }}</p>{% else %}
<p>Each opportunity's money at stake is worked out by the assumption its description states.
Kinds overlap (a supplier shared by several agencies may also be a theme's duplication), so the
amounts are not to be added into one saving. Source: {{ opp.source }}.</p>
{{ fig(opp_bars, "Money at stake by opportunity", "opportunities-table") }}
<table id="opportunities-table" class="fixed"><caption>The opportunities register</caption>
<colgroup><col style="width: 41%"><col style="width: 20%"><col style="width: 14%">
<col style="width: 10%"><col style="width: 15%"></colgroup>
<thead><tr><th>Opportunity</th><th>Agencies</th><th>Confidence</th><th>Status</th>
<th class="num">At stake</th></tr></thead><tbody>{% for x in opp.register %}<tr>
<td>{{ x.description }}<br><span class="small">{{ x.id }}; evidence: {{ x.evidence }}</span></td>
<td>{{ x.agencies }}</td><td>{{ x.confidence }}</td><td>{{ x.status }}</td>
<td class="num">{{ p(x.value_pence) }}</td></tr>{% endfor %}</tbody></table>
{% if opp.left_out and opp.left_out.count %}<p>Left out, each worth under
{{ p(opp.left_out.under_pounds * 100) }} (the register's floor): {{ opp.left_out.count }}
items, {{ p(opp.left_out.value_pence) }} in all.</p>{% endif %}{% endif %}

<h2 id="cases">Business cases</h2>
{% if not cases.available %}<p class="absent">{{ cases.reason }}</p>{% else %}
{% for c in cases.cases %}<h3>{{ c.title or c.file }}</h3>
{% if c.get("error") %}<p class="absent">{{ c.file }} cannot be appraised: {{ c.error }}</p>
{% else %}
<p>{{ c.facts }} (from {{ c.file }}).</p>
{% for tab in (c.headline, c.inputs) %}<table><caption>{{ tab.caption }}</caption><thead><tr>
{% for col in tab.columns %}<th{% if loop.index0 in tab.num_cols %} class="num"{% endif %}>{{ col
}}</th>{% endfor %}</tr></thead><tbody>{% for row in tab.rows %}<tr>{% for cell in row %}
<td{% if cell.num %} class="num"{% endif %}{% if cell.get("span") %}
 colspan="{{ cell.span }}"{% endif %}>{{ cell.text }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>{% endfor %}
{% endif %}{% endfor %}{% endif %}

<h2 id="barriers">Barriers and asks</h2>
{% if not bar.available %}<p class="absent">{{ bar.reason }}</p>{% else %}
{% if bar.asks %}{{ fig(ask_bars, "Money at stake in the open asks, by department", "asks") }}
<table id="asks"><caption>Asks of government, by department</caption>
<thead><tr><th>Department</th><th>Ask</th><th>Status</th><th class="num">At stake</th></tr>
</thead><tbody>{% for g in bar.asks %}{% for a in g.asks %}<tr><td>{{ g.department }}</td>
<td>{{ a.ask }} <span class="small">({{ a.id }}: {{ a.title }})</span></td><td>{{ a.status }}</td>
<td class="num">{{ p(a.impact_pence) }}</td></tr>{% endfor %}{% endfor %}</tbody></table>
{% endif %}
<table><caption>The barriers register</caption><thead><tr><th>Barrier</th><th>Type</th>
<th>Owner</th><th>Status</th><th class="num">Impact</th></tr></thead><tbody>
{% for b in bar.barriers %}<tr><td>{{ b.id }}: {{ b.title }}{% if b.effect != "hinders" %}
({{ b.effect }}){% endif %}</td><td>{{ b.type }}</td><td>{{ b.owner }}</td><td>{{ b.status }}</td>
<td class="num">{{ p(b.impact_pence) }}</td></tr>{% endfor %}</tbody></table>
{% if bar.decisions %}<table><caption>Decisions of the partnership</caption><thead><tr>
<th>Date</th><th>Decision</th><th>By</th></tr></thead><tbody>{% for d in bar.decisions %}<tr>
<td class="date">{{ d.date }}</td><td>{{ d.what }}</td><td>{{ d.by }}</td></tr>{% endfor %}
</tbody></table>
{% endif %}{% endif %}

<h2 id="method">Data sources and method</h2>
<p>The count adds what each public body in the place spent in {{ year }}: a body's own payments
over £500 where it publishes them (method "transactions"), and otherwise its published outturn
shared to the place by a key such as population (the key and its year are on every line of the
appendix). Payments between the place's own bodies are taken out so no pound is counted twice
({{ p(s.transfers_eliminated_pence) }} this year). Each line has a confidence grade from A (the
body's own payments or outturn) to D (apportioned by a proxy).</p>
<p>{{ o.quality.bodies_with_payments }} bodies' payments were read, {{
o.quality.bodies_full_year }} of them for the full year;
{{ pct(o.quality.classified_share) }} of their payments by value were classified to a theme.</p>
{% if notes %}<ul>{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% if coverage %}<table><caption>The bodies' payments files read (count.json, "coverage")
</caption><thead><tr><th>Body</th><th>From</th><th>To</th><th class="num">Months</th>
<th class="num">Payments</th></tr></thead><tbody>{% for c in coverage %}<tr><td>{{ c.agency }}</td>
<td class="date">{{ c.first }}</td><td class="date">{{ c.last }}</td>
<td class="num">{{ c.months }}</td><td class="num">{{ p(c.transactions_pence) }}</td></tr>
{% endfor %}</tbody></table>{% endif %}

<h2 id="appendix">Appendix: the count's lines</h2>
<p class="small">Every figure in this report is a sum of these lines (count.json, "lines").</p>
<table class="fixed"><colgroup><col style="width: 19%"><col style="width: 13%">
<col style="width: 12%"><col style="width: 7%"><col style="width: 22%"><col style="width: 13%">
<col style="width: 14%"></colgroup><thead><tr><th>Agency</th><th>Theme</th><th>Method</th>
<th>Grade</th><th>Source</th><th>Key (year)</th><th class="num">Amount</th></tr></thead><tbody>
{% for x in lines %}<tr><td>{{ x.agency }}</td><td>{{ tl(x.theme) }}</td><td>{{ x.method }}</td>
<td>{{ x.grade }}</td><td class="small">{{ x.source }}</td><td class="small">{{ x.key }}{% if
x.key_year %} ({{ x.key_year }}){% endif %}</td><td class="num">{{ p(x.pence) }}</td></tr>
{% endfor %}</tbody></table>
</body></html>
"""
)
