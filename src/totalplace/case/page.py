"""A business case as one HTML page: the same page for ``totalplace case FILE --html``
and for the dashboard's Cases page.

:func:`render_body` writes the sections of :func:`totalplace.case.view.case_view`
with Jinja2 autoescape on (titles, agency names and assumptions come from a
user's file), each chart's place beside the table of the same figures;
:func:`write_case_page` wraps them in a page that carries Plotly.js and its
drawing script inside itself, so the file can be e-mailed and opened offline
without fetching anything.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from totalplace.case.charts import _script_json
from totalplace.case.gainshare import GainShare
from totalplace.case.montecarlo import Appraisal
from totalplace.case.view import case_view
from totalplace.errors import ConfigError
from totalplace.workspace import atomic_write

__all__ = ["DRAW_JS", "render_body", "standalone_page", "write_case_page"]

BODY = """<p>{{ view.facts }}. File: {{ view.file }}.</p>
{% for s in view.sections %}
<section aria-labelledby="case-{{ s.id }}">
<h2 id="case-{{ s.id }}">{{ s.heading }}</h2>
{% for p in s.paragraphs %}<p>{{ p }}</p>
{% endfor %}
{% if s.bullets %}<ul>{% for i in s.bullets %}<li>{{ i }}</li>{% endfor %}</ul>{% endif %}
<div class="pair">
{% if s.chart %}<div id="case-chart-{{ s.chart }}" class="chart" role="figure"{%
 if s.wide %} style="flex-basis: 100%"{% endif %}
 aria-label="{{ s.chart_label }}; the table beside it holds the same figures"></div>{% endif %}
{% if s.tables %}<div class="case-tables" style="flex: 1 1 420px; min-width: 0">
{% for t in s.tables %}
<div style="overflow-x: auto; max-width: 100%" tabindex="0" role="region"
 aria-label="{{ t.caption }}">
<table id="case-table-{{ t.id }}">
<caption>{{ t.caption }}</caption>
<thead><tr>{% for c in t.columns %}<th scope="col"{% if loop.index0 in t.num_cols
 %} class="money" style="white-space: nowrap"{% endif %}>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in t.rows %}<tr>{% for c in row %}<td{% if c.num
 %} class="money" style="white-space: nowrap"{% endif %}{%
 if c.span %} colspan="{{ c.span }}"{% endif %}>{{ c.text }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
</div>
{% if csv_base %}<p class="download"><a href="{{ csv_base }}/{{ t.id }}.csv">{{ t.caption }}
 (CSV)</a></p>{% endif %}
{% endfor %}
</div>{% endif %}
</div>
</section>
{% endfor %}
"""

# Draws every chart of the page from its JSON block; shared by the file that
# ``case --html`` writes (inline there) and the dashboard (served as a file).
DRAW_JS = """'use strict';
(function () {
  var el = document.getElementById('case-figures');
  if (!el || !window.Plotly) { return; }
  var charts = JSON.parse(el.textContent);
  Object.keys(charts).forEach(function (name) {
    var div = document.getElementById('case-chart-' + name);
    if (div) {
      Plotly.newPlot(div, charts[name].data, charts[name].layout,
                     {responsive: true, displaylogo: false});
    }
  });
})();
"""

_STYLE = """body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 80rem;
       padding: 0 1rem; color: #1b1b1b; }
table { border-collapse: collapse; margin: 0.5rem 0; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left;
         vertical-align: top; }
td.money, th.money { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pair { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
.chart { flex: 1 1 600px; min-height: 460px; }
.case-tables { flex: 1 1 420px; min-width: 0; }
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def render_body(view: dict[str, Any], csv_base: str = "") -> Markup:
    """The page's sections as HTML (every value escaped); with ``csv_base`` each
    table links to ``{csv_base}/{table id}.csv``."""
    return Markup(_env.from_string(BODY).render(view=view, csv_base=csv_base))


def standalone_page(view: dict[str, Any]) -> str:
    """The whole page in one file: Plotly.js, the figures and the drawing script
    inside it, nothing fetched from anywhere."""
    from plotly.offline import get_plotlyjs

    plotly_js = get_plotlyjs()
    if "</script" in plotly_js.lower():  # would end the inline element early
        raise RuntimeError("the installed Plotly.js cannot be inlined in a script element")
    heading = html.escape(view["title"])
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title>
<style>
{_STYLE}</style>
<script>{plotly_js}</script>
</head>
<body>
<main>
<h1>{heading}</h1>
{render_body(view)}
</main>
<script type="application/json" id="case-figures">{_script_json(view["figures"])}</script>
<script>
{DRAW_JS}</script>
</body>
</html>
"""


def write_case_page(
    path: Path, appraisal: Appraisal, split: GainShare | None = None, split_error: str = ""
) -> None:
    """Write the case's page to ``path``: one HTML file that needs no network."""
    if not path.parent.is_dir():
        raise ConfigError(f"{path.parent} is not a folder: create it or write the page elsewhere")
    atomic_write(path, standalone_page(case_view(appraisal, split, split_error)))
