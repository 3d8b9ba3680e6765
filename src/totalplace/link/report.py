"""The files a linkage leaves behind, and the report a person reads.

clusters.csv, households.csv and refused.csv are the results; model.json is
Splink's trained model (load it to score new records the same way);
report.html shows the parameters, the match weight of each comparison level
(log2 of m over u: how much agreeing at that level moves the odds of a match)
and how many people have how many records.  plotly.min.js is copied beside
the report so it opens with no network.
"""

from __future__ import annotations

import csv
import html
import json
import math
import shutil
from collections import Counter
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.csv as pacsv

if TYPE_CHECKING:
    from totalplace.link.result import LinkResult

#: The linkage's summary beside its results: what the family view says of it.
SUMMARY_FILE = "summary.json"


def match_weights(model: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per comparison level the model trained: comparison, level, m, u and weight."""
    rows: list[dict[str, Any]] = []
    prior = float(model.get("probability_two_random_records_match", 0) or 0)
    if 0 < prior < 1:
        rows.append(
            {
                "comparison": "Prior",
                "level": "two random records match",
                "m": None,
                "u": None,
                "weight": round(math.log2(prior / (1 - prior)), 3),
            }
        )
    for comparison in model.get("comparisons", []):
        name = comparison.get("output_column_name", "")
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = round(math.log2(m / u), 3) if m and u else None
            rows.append(
                {
                    "comparison": name,
                    "level": level.get("label_for_charts", level.get("sql_condition", "")),
                    "m": m,
                    "u": u,
                    "weight": weight,
                }
            )
    return rows


def cluster_sizes(clusters: pa.Table) -> list[dict[str, int]]:
    """How many people have 1, 2, 3... records."""
    per_person = Counter(clusters.column("person_id").to_pylist())
    sizes = Counter(per_person.values())
    return [{"records": k, "people": sizes[k]} for k in sorted(sizes)]


def scores_against(result: LinkResult, entity_of: Callable[[str], str]) -> dict[str, Any]:
    """:func:`pairwise_scores` of a linkage whose record ids name their entity
    (FEBRL's ``rec-223-dup-0`` is entity 223): ``entity_of`` reads it from an id;
    a refused record counts as a person of its own."""
    keys = list(
        zip(
            result.clusters.column("source").to_pylist(),
            result.clusters.column("record_id").to_pylist(),
            strict=True,
        )
    )
    refused = [(r.source, r.record_id) for r in result.refused]
    return pairwise_scores(result.clusters, {k: entity_of(k[1]) for k in keys + refused}, refused)


def pairwise_scores(
    clusters: pa.Table,
    entity: dict[tuple[str, str], str],
    unlinked: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Pairwise precision, recall and F1 of the persons found against known entities.

    A pair is two records; it is predicted when both have one person_id and true
    when both have one entity.  Counted from group sizes (n records make n(n-1)/2
    pairs), so a million records need no list of pairs."""
    people: Counter[str] = Counter()
    truth: Counter[str] = Counter()
    both: Counter[tuple[str, str]] = Counter()
    for s, r, p in zip(
        clusters.column("source").to_pylist(),
        clusters.column("record_id").to_pylist(),
        clusters.column("person_id").to_pylist(),
        strict=True,
    ):
        e = entity[(s, r)]
        people[p] += 1
        truth[e] += 1
        both[(p, e)] += 1
    for i, key in enumerate(unlinked or []):
        e = entity[key]
        people[f"refused-{i}"] += 1
        truth[e] += 1
        both[(f"refused-{i}", e)] += 1

    def pairs(counts: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    predicted, true, correct = pairs(people), pairs(truth), pairs(both)
    precision = correct / predicted if predicted else 1.0
    recall = correct / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "predicted_pairs": predicted,
        "true_pairs": true,
        "correct_pairs": correct,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in r.values())
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_outputs(result: LinkResult, out: Path) -> None:
    """clusters.csv, households.csv, refused.csv, summary.json and report.html in ``out``."""
    pacsv.write_csv(result.clusters, out / "clusters.csv")
    pacsv.write_csv(result.households, out / "households.csv")
    with (out / "refused.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["source", "record_id", "reason"])
        for r in result.refused:
            writer.writerow([r.source, r.record_id, r.reason])
    model = result.details.pop("model_settings", {})
    weights = match_weights(model)
    sizes = cluster_sizes(result.clusters)
    people = result.clusters.column("person_id").to_pylist()
    summary = {
        "threshold": result.details.get("threshold"),
        "engine": result.details.get("engine"),
        "link_type": result.details.get("link_type"),
        "records": result.clusters.num_rows,
        "refused": len(result.refused),
        "people": len(set(people)),
        "households": len(set(result.households.column("household_id").to_pylist())),
        "sources": result.details.get("sources", []),
        "training_notes": result.details.get("training_notes", []),
        "cluster_sizes": sizes,
        "match_weights": weights,
    }
    result.details.update(summary)
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    plotly_js = Path(str(resources.files("plotly").joinpath("package_data", "plotly.min.js")))
    shutil.copyfile(plotly_js, out / "plotly.min.js")
    (out / "report.js").write_text(_SCRIPT, encoding="utf-8")
    data = json.dumps({"weights": weights, "sizes": sizes}).replace("<", "\\u003c")
    sources = [
        {k: s[k] for k in ("source", "rows", "linked", "refused")} for s in summary["sources"]
    ]
    warnings = [
        {"source": s["source"], "warning": w}
        for s in summary["sources"]
        for w in s.get("warnings", [])
    ]
    params = [
        {"setting": k, "value": summary[k]}
        for k in ("threshold", "engine", "link_type", "records", "refused", "people", "households")
    ]
    page = _PAGE.format(
        params=_table(params),
        sources=_table(sources),
        warnings=_table(warnings),
        weights=_table(weights),
        sizes=_table(sizes),
        data=data,
    )
    (out / "report.html").write_text(page, encoding="utf-8")
    result.model_path = out / "model.json"
    result.report_path = out / "report.html"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Linkage report</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}</style>
</head><body>
<h1>Linkage report</h1>
<h2>Parameters</h2>{params}
<h2>Sources</h2>{sources}
<h2>Warnings</h2>{warnings}
<h2>Match weights</h2>
<p>Each bar is log2(m/u): how many times (in powers of two) agreeing at that level
makes a match likelier. Trained with no labels.</p>
<div id="weights" role="figure" aria-label="Match weights chart"></div>
{weights}
<h2>People by number of records</h2>
<div id="sizes" role="figure" aria-label="People by number of records"></div>
{sizes}
<script type="application/json" id="link-data">{data}</script>
<script src="plotly.min.js"></script>
<script src="report.js"></script>
</body></html>
"""

_SCRIPT = """(function () {
  var data = JSON.parse(document.getElementById('link-data').textContent);
  var w = data.weights.filter(function (r) { return r.weight !== null; });
  Plotly.newPlot('weights', [{
    type: 'bar', orientation: 'h',
    y: w.map(function (r) { return r.comparison + ': ' + r.level; }),
    x: w.map(function (r) { return r.weight; }),
    marker: {color: w.map(function (r) { return r.weight < 0 ? '#c0392b' : '#2e86c1'; })}
  }], {height: 24 * w.length + 120, margin: {l: 320}, yaxis: {autorange: 'reversed'},
       xaxis: {title: {text: 'match weight (log2 m/u)'}}});
  Plotly.newPlot('sizes', [{
    type: 'bar', x: data.sizes.map(function (r) { return r.records; }),
    y: data.sizes.map(function (r) { return r.people; })
  }], {xaxis: {title: {text: 'records per person'}}, yaxis: {title: {text: 'people'}}});
})();
"""
