"""The network report's Jinja template: the place report's page opening and
contents page (:mod:`totalplace.place_report.template`), then the
comparison's sections.  Every member figure in the summary and the appendix
carries the member (``data-member``), its key in the member's count.json
(``data-count-key``) and its pence (``data-pence``), so it can be checked."""

from totalplace.place_report.template import CONTENTS, PAGE_START

TEMPLATE = (
    PAGE_START
    + r"""<section class="cover">
<h1>{{ d.network }}</h1>
<p class="sub">The places of the network side by side, {{ years }}: the count per head by theme,
prevention, opportunities, and the barriers they share</p>
<p>Published by the network on {{ today }} from its members' counts, made with the network's
method version {{ d.method_version }}.</p>
</section>
"""
    + CONTENTS
    + r"""
<h2 id="summary">Summary</h2>
<p>The network has {{ d.members | length }} member{{ "" if d.members | length == 1 else "s" }}
sharing one method (version {{ d.method_version }}, SHA-256 {{ d.method_hash[:12] }}); {{
counted | length }} {{ "has" if counted | length == 1 else "have" }} a count. Every figure is
the place's own count (its <code>reports/count.json</code>), never counted again here.</p>
{% for m in d.members if m.get("note") %}<p class="absent">{{ m.name }}: {{ m.note }}</p>
{% endfor %}{% for c in d.get("cautions", []) %}<p class="absent">Note: {{ c }}.</p>
{% endfor %}
<table><caption>The members</caption><thead><tr><th>Place</th><th>Year</th><th>Method version</th>
<th class="num">Population</th><th class="num">Total</th><th class="num">Per head</th></tr>
</thead><tbody>{% for x in counted %}<tr><td>{{ x.name }}</td><td>{{ x.year }}</td>
<td>{{ x.get("counted_with_version") or "another method" }}{% if not x.comparable %}
(not the network's){% endif %}</td>
<td class="num">{{ "{:,}".format(x.population) if x.population else "not known" }}</td>
<td class="num" data-member="{{ x.name }}" data-count-key="total_pence"
 data-pence="{{ x.total_pence }}">{{ m(x.total_pence) }}</td>
<td class="num"{% if x.per_head_pence is not none %} data-member="{{ x.name }}"
 data-count-key="per_head_pence" data-pence="{{ x.per_head_pence }}"{% endif %}>{{
 p(x.per_head_pence) if x.per_head_pence is not none else "not known" }}</td></tr>
{% endfor %}</tbody></table>
{% if d.common_themes %}<p>Themes every counted place spends on: {% for t in d.themes if
t.in_every_place %}{{ t.label }}{% if not loop.last %}, {% endif %}{% endfor %}.</p>{% endif %}

<h2 id="themes">Spending by theme, side by side</h2>
{% if r.per_head_known %}<p>Each theme's money over the place's population (from its count), to
the nearest penny. A place whose count holds no population has no figure per head; its money is
in the second table.</p>
{% for c in theme_bars %}{{ fig(c, "Spending per head by theme" ~ ((" (" ~ loop.index ~ " of "
~ loop.length ~ ", all on one scale)") if loop.length > 1 else ""), "per-head") }}
{% endfor %}
<table id="per-head"><caption>Per head by theme</caption><thead><tr>
<th>Theme</th>{% for x in counted %}<th class="num">{{ x.name }}</th>{% endfor %}</tr></thead>
<tbody>{% for t in d.themes %}<tr><td>{{ t.label }}{% if not t.in_every_place %}
<span class="small">(not every place)</span>{% endif %}</td>{% for x in counted %}{% set v =
x.by_theme_per_head_pence.get(t.theme, none if x.per_head_pence is none else 0) %}
<td class="num">{{ p(v) if v is not none else "not known" }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% else %}<p>No member's count holds a population (a place whose codes are not in the shipped
population estimates), so no figure per head can be given: the places' money by theme is
compared instead.</p>
{% for c in theme_bars %}{{ fig(c, "Spending by theme" ~ ((" (" ~ loop.index ~ " of " ~
loop.length ~ ", all on one scale)") if loop.length > 1 else ""), "by-theme") }}
{% endfor %}{% endif %}
<table id="by-theme"><caption>Money by theme</caption><thead><tr><th>Theme</th>
{% for x in counted %}<th class="num">{{ x.name }}</th>{% endfor %}</tr></thead><tbody>
{% for t in d.themes %}<tr><td>{{ t.label }}</td>{% for x in counted %}
<td class="num">{{ p(x.by_theme_pence.get(t.theme, 0)) }}</td>{% endfor %}</tr>{% endfor %}
<tr><th>Total</th>{% for x in counted %}<th class="num">{{ p(x.total_pence) }}</th>{% endfor %}
</tr></tbody></table>

<h2 id="prevention">Prevention and crisis</h2>
<p>Each line of a place's count sits at its rule's prevention tier, or its theme's. The
prevention share is the universal and targeted spending over all three tiers.</p>
{{ fig(tier_bars, "Each place's spending by prevention tier", "tiers") }}
<table id="tiers"><caption>Spending by prevention tier</caption><thead><tr><th>Place</th>
{% for _, label in tiers %}<th class="num">{{ label }}</th>{% endfor %}
<th class="num">Prevention share</th></tr></thead><tbody>{% for x in counted %}<tr>
<td>{{ x.name }}</td>{% for t, _ in tiers %}<td class="num">{{
p(x.prevention.by_tier_pence[t]) }}</td>{% endfor %}
<td class="num">{{ share(x.prevention.prevention_share) }}</td></tr>{% endfor %}
</tbody></table>

<h2 id="opportunities">Opportunities</h2>
<p>Each place's opportunities register, as its own report lists it. Kinds overlap within a
place, so the amounts are not to be added into one saving.</p>
{% if kinds %}{{ fig(kind_bars, "Money at stake by kind of opportunity", "kinds") }}
<table id="kinds"><caption>Opportunities by kind: how many, and the money at stake</caption>
<thead><tr><th>Kind</th>{% for x in counted %}<th class="num">{{ x.name }}</th>{% endfor %}
</tr></thead><tbody>{% for k in kinds %}<tr><td>{{ kl(k) }}</td>{% for x in counted %}{% set
o = x.opportunities.by_kind.get(k) %}<td class="num">{% if o %}{{ o.count }}: {{
p(o.value_pence) }}{% else %}none{% endif %}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
{% if d.recurring_opportunities %}<table><caption>Kinds found in more than one place (the common
themes)</caption><thead><tr><th>Kind</th><th>Places</th><th class="num">At stake</th></tr>
</thead><tbody>{% for o in d.recurring_opportunities %}<tr><td>{{ kl(o.kind) }}</td>
<td>{{ o.places | join(", ") }}</td><td class="num">{{ p(o.value_pence) }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p>No kind of opportunity is found in two places yet.</p>
{% endif %}{% else %}<p class="absent">No member has an opportunities register yet: run
<code>totalplace opportunities DIR</code> in each place.</p>{% endif %}
<p class="small">{% for x in counted %}{{ x.name }}: {{ x.opportunities.source }}{% if not
loop.last %}; {% endif %}{% endfor %}.</p>

<h2 id="barriers">Barriers and asks of government</h2>
<h3>Barriers that recur across places</h3>
{% if d.recurring_barriers %}<p>Barriers of the same type on the same theme raised in two or
more places: the common themes for the reference group in Whitehall.</p>
<table class="fixed"><caption>Recurring barriers</caption><colgroup><col style="width: 17%">
<col style="width: 16%"><col style="width: 15%"><col style="width: 37%"><col style="width: 15%">
</colgroup><thead><tr><th>Type</th><th>Theme</th><th>Places</th><th>Barriers</th>
<th class="num">Money affected</th></tr></thead><tbody>{% for g in d.recurring_barriers %}<tr>
<td>{{ g.type_label }}</td><td>{{ g.theme_label }}</td><td>{{ g.places | join(", ") }}</td>
<td>{% for b in g.barriers %}{{ b.place }}: {{ b.title }} ({{ b.status }}){% if not loop.last
%}; {% endif %}{% endfor %}</td><td class="num">{{ p(g.impact_pence) if g.impact_known
else "not known" }}</td></tr>{% endfor %}</tbody></table>
{% else %}<p class="absent">No barrier of the same type and theme is raised in two places yet.
</p>{% endif %}
<h3>The asks of government, by department</h3>
{% if r.asks %}{{ fig(ask_bars, "Money at stake in the open asks, by department", "asks") }}
<table id="asks" class="fixed"><caption>Open asks of the network's places, by department
</caption><colgroup><col style="width: 22%"><col style="width: 15%"><col style="width: 38%">
<col style="width: 10%"><col style="width: 15%"></colgroup><thead><tr><th>Department</th>
<th>Place</th><th>Ask</th><th>Status</th><th class="num">At stake</th></tr></thead><tbody>
{% for g in r.asks %}{% for a in g.asks %}<tr><td>{{ g.department }}</td><td>{{ a.place }}</td>
<td>{{ a.ask }} <span class="small">({{ a.id }}: {{ a.title }})</span></td><td>{{ a.status }}</td>
<td class="num">{{ p(a.impact_pence) if a.impact_pence is not none else "not known" }}</td></tr>
{% endfor %}{% endfor %}</tbody></table>
{% else %}<p class="absent">No place has an open ask of government yet: raise barriers with
<code>totalplace barriers DIR add ... --ask TEXT</code>.</p>{% endif %}

<h2 id="map">Map of the network</h2>
<p>Each member's authorities, from the boundaries the dashboard's Places page draws, shaded by
spending per head (darker is more); the tables above give the same figures.</p>
{% if map_chart.svg %}{{ fig(map_chart, "The network's places", "per-head" if r.per_head_known
else "by-theme", "above") }}{% else %}<p class="absent">No member can be drawn: none has
authorities on the shipped boundaries (a demo's or other fictional codes are on none).</p>
{% endif %}
{% if missing %}<p>Not on the map: {{ missing | join("; ") }}.</p>{% endif %}

<h2 id="learning">Shared learning</h2>
{% if r.learning %}<table class="fixed"><caption>What a place tried, and what happened
</caption><colgroup><col style="width: 12%"><col style="width: 13%"><col style="width: 30%">
<col style="width: 30%"><col style="width: 15%"></colgroup><thead><tr><th>When</th>
<th>Place</th><th>What was tried</th><th>What happened</th><th>Case</th></tr></thead><tbody>
{% for e in r.learning %}<tr><td class="date">{{ e.date }}</td><td>{{ e.place }}</td>
<td>{{ e.tried }}</td><td>{{ e.happened }}</td><td class="small">{{ e.case }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p class="absent">Nothing written down yet: <code>totalplace
network learn NET add --place NAME --tried TEXT --happened TEXT</code>.</p>{% endif %}

<h2 id="method">Method and sources</h2>
<p>Every place is counted with the network's method: its taxonomy, keys, rules and scenario
definitions, named by a hash stamped on each count. A place counted with another method is
flagged above and its figures are not comparable until it is counted again.</p>
<ul><li>Totals, populations and money by theme: each member's <code>reports/count.json</code>
(keys <code>total_pence</code>, <code>population</code>, <code>by_theme</code>).</li>
<li>Per head: the theme's money over the count's population, to the nearest penny.</li>
<li>Prevention split: the count's lines (<code>lines</code>), each at its tier.</li>
<li>Opportunities: each place's register, as its place report lists it.</li>
<li>Barriers and asks: each place's barriers register (<code>barriers.toml</code>).</li>
<li>Shared learning: the network's learning log.</li></ul>
{% if r.changelog %}<table><caption>The method's versions</caption><thead><tr><th>Version</th>
<th>Date</th><th>By</th><th>Why</th></tr></thead><tbody>{% for c in r.changelog %}<tr>
<td>{{ c.version }}</td><td class="date">{{ c.date }}</td><td>{{ c.by }}</td><td>{{ c.note }}</td>
</tr>{% endfor %}</tbody></table>{% endif %}
<table class="fixed"><caption>The members' counts</caption><colgroup><col style="width: 22%">
<col style="width: 78%"></colgroup><thead><tr><th>Place</th><th>Count file</th></tr></thead>
<tbody>{% for x in d.members %}<tr><td>{{ x.name }}</td><td class="small">{{ x.path
}}/reports/count.json{% if not x.counted %} (not counted yet){% endif %}</td></tr>{% endfor %}
</tbody></table>

<h2 id="appendix">Appendix: each member's count</h2>
<p class="small">Every figure of the report for each place, with its key in the place's
<code>reports/count.json</code>.</p>
{% for x in counted %}<table><caption>{{ x.name }}</caption><thead><tr><th>Figure</th>
<th>Key in count.json</th><th class="num">Amount</th></tr></thead><tbody>
{% for key, label, pence in appendix[x.name] %}<tr><td>{{ label }}</td><td><code>{{ key
}}</code></td><td class="num" data-member="{{ x.name }}" data-count-key="{{ key }}"
 data-pence="{{ pence }}">{{ p(pence) }}</td></tr>{% endfor %}
<tr><td>Residents</td><td><code>population</code></td><td class="num">{{
"{:,}".format(x.population) if x.population else "not known" }}</td></tr>
</tbody></table>{% endfor %}
</body></html>
"""
)
