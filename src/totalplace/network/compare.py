"""The network's places side by side: what ``totalplace network compare`` shows.

Every figure is read from a member's own reports, never counted again: its
total, per head and money by theme are its ``reports/count.json`` as
written, so the comparison can be checked against each place's count.  Per
head by theme is the theme's money over the count's population, to the
nearest penny.  The prevention split places each line at its rule's tier, or
its theme's (as the Opportunities page does).  A member whose count was not
made with the network's method is shown, and flagged: its figures are not
comparable until it is counted again.

The common themes are what recurs across places: barriers of the same type
on the same theme raised in two or more places (``barriers.toml``), and
kinds of opportunity found in two or more: each member's register as
``totalplace opportunities`` last wrote it (``reports/opportunities.csv``),
or for the printed report (``build_registers``) built from its count as its
place report lists it, which takes seconds a member.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from totalplace.classify.taxonomy import theme_label
from totalplace.config import WorkspaceConfig
from totalplace.errors import ConfigError
from totalplace.money import display_pounds
from totalplace.network.folder import Member, Network, member_away

__all__ = ["comparison", "render_html"]


def _per_head(pence: int, population: int) -> int | None:
    """Pence per resident, to the nearest penny (halves away from zero); None
    when the count knows no population (a place whose codes are not in the
    population tables), never a misleading zero."""
    if population <= 0:
        return None
    sign = -1 if pence < 0 else 1
    return sign * ((2 * abs(pence) + population) // (2 * population))


def _count(root: Path) -> dict[str, Any] | None:
    path = root / "reports" / "count.json"
    if not path.is_file():
        return None
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the count ({exc}); count it again") from exc


def _prevention(data: dict[str, Any]) -> dict[str, Any]:
    from totalplace.opportunities.prevention import TIERS, tier_split
    from totalplace.opportunities.scenarios import count_of

    split = tier_split(count_of(data))
    by_tier = {t: sum(s.by_tier.get(t, 0) for s in split) for t in TIERS}
    total = sum(by_tier.values())
    prevention = by_tier["universal"] + by_tier["targeted"]
    share = f"{prevention / total:.4f}" if total > 0 else None
    return {"by_tier_pence": by_tier, "prevention_pence": prevention, "prevention_share": share}


def _opportunities(root: Path, data: dict[str, Any], build: bool) -> dict[str, Any]:
    """The member's opportunities register: as its place report lists it
    (``build``), or as ``totalplace opportunities`` last wrote it."""
    if build:
        from totalplace.place_report.gather import opportunities_part

        return opportunities_part(root, data)
    path = root / "reports" / "opportunities.csv"
    if not path.is_file():
        return {"reason": f"no opportunities register yet: run `totalplace opportunities {root}`"}
    with path.open(encoding="utf-8", newline="") as fh:
        return {"source": str(path), "register": list(csv.DictReader(fh))}


def _barriers(root: Path) -> list[dict[str, Any]]:
    from totalplace.culture.barriers import read_register

    return [b.to_dict() for b in read_register(root)]


def _member(net: Network, member: Member, build: bool) -> dict[str, Any]:
    root = member.root(net.root)
    row: dict[str, Any] = {"name": member.name, "path": str(root)}
    away = member_away(net, member)
    if away is not None:
        row.update(place=[], year="", counted=False, note=away)
        return row
    try:
        config = WorkspaceConfig.from_file(root / "totalplace.toml")
        row["place"] = list(config.place)
        row["year"] = config.year
    except (OSError, ConfigError, ValueError):
        row["place"], row["year"] = [], ""
    data = _count(root)
    row["counted"] = data is not None
    if data is None:
        row["note"] = f"not counted yet: totalplace count {root}"
        return row
    stamp = data.get("method_version")
    counted_with = stamp.get("hash") if isinstance(stamp, dict) else None
    row["method_version"] = stamp
    row["counted_with_version"] = _version_of(net, stamp)
    row["comparable"] = counted_with == net.hash
    if not row["comparable"]:
        row["note"] = (
            f"counted with another method than the network's version {net.version}: "
            f"count it again (totalplace count {root}) before comparing"
        )
    population = int(data.get("population", 0))
    by_theme = {str(t): int(p) for t, p in data.get("by_theme", {}).items()}
    row.update(
        {
            "population": population,
            "total_pence": int(data["total_pence"]),
            "per_head_pence": int(data["per_head_pence"]) if population > 0 else None,
            "by_theme_pence": by_theme,
            "by_theme_per_head_pence": {t: _per_head(p, population) for t, p in by_theme.items()},
            "prevention": _prevention(data),
        }
    )
    register = _opportunities(root, data, build)
    opportunities = register.get("register", [])
    row["opportunities"] = {
        "count": len(opportunities),
        "value_pence": sum(int(o.get("value_pence") or 0) for o in opportunities),
        "by_kind": _by_kind(opportunities),
        "source": register.get("source") or register["reason"],
    }
    return row


def _version_of(net: Network, stamp: Any) -> str | None:
    """The network's version a count was made with, known by the method's
    hash: a count made before its place joined carries no version in its stamp
    but is the network's method all the same when the hash is the same."""
    if not isinstance(stamp, dict):
        return None
    for change in reversed(net.changelog):
        if change.hash == stamp.get("hash"):
            return change.version
    return str(stamp["version"]) if stamp.get("version") else None


def _cautions(members: list[dict[str, Any]]) -> list[str]:
    """What a reader must know before setting the places' figures side by
    side: members counted for different years (each figure is its own year's
    money, not adjusted for prices), and members whose areas overlap (a
    combined area holding a member's authorities counts that money too)."""
    from totalplace.errors import TotalPlaceError
    from totalplace.reference.places import registry

    out = []
    counted = [m for m in members if m.get("counted")]
    years = sorted({str(m.get("year", "")) for m in counted} - {""})
    if len(years) > 1:
        which = "; ".join(
            f"{y}: " + ", ".join(m["name"] for m in counted if m.get("year") == y) for y in years
        )
        out.append(
            f"the members are counted for different years ({which}): each figure is its own "
            "year's money, not adjusted for prices or population change, so compare them "
            "with care, or count every member for one year"
        )
    reg = registry()
    units: dict[str, set[str]] = {}
    for m in counted:
        found: set[str] = set()
        for code in m.get("place", []):
            try:
                found |= set(reg.units_in_year(code, m.get("year") or None)[0])
            except TotalPlaceError:
                found.add(code)
        units[m["name"]] = found
    names = list(units)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            shared = units[a] & units[b]
            if not shared:
                continue
            if shared == units[b]:
                what = f"{a} covers {b}"
            elif shared == units[a]:
                what = f"{b} covers {a}"
            else:
                n = len(shared)
                what = f"{a} and {b} share {n} authorit{'y' if n == 1 else 'ies'}"
            out.append(
                f"{what}: that money is in both counts, so a sum across the places "
                "(the money at stake in the kinds found in more than one) counts it twice"
            )
    return out


def _by_kind(opportunities: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "value_pence": 0})
    for o in opportunities:
        kind = o.get("kind", "") or "other"
        out[kind]["count"] += 1
        out[kind]["value_pence"] += int(o.get("value_pence") or 0)
    return dict(sorted(out.items()))


def _recurring_barriers(net: Network) -> list[dict[str, Any]]:
    """Barriers of one type on one theme raised in two or more places."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for member in net.members:
        root = member.root(net.root)
        for b in _barriers(root):
            if b.get("effect", "hinders") != "hinders":
                continue
            groups[(b["type"], b.get("theme", ""))].append({"place": member.name, **b})
    out = []
    for (kind, theme), items in groups.items():
        places = sorted({i["place"] for i in items})
        if len(places) < 2:
            continue
        impact = [i["impact_pence"] for i in items if i.get("impact_pence") is not None]
        out.append(
            {
                "type": kind,
                "type_label": items[0].get("type_label", kind),
                "theme": theme,
                "theme_label": theme_label(theme) if theme else "(any theme)",
                "places": places,
                "barriers": [
                    {
                        "place": i["place"],
                        "id": i["id"],
                        "title": i["title"],
                        "owner": i.get("owner_name", ""),
                        "status": i.get("status", ""),
                        "ask": i.get("ask", ""),
                    }
                    for i in items
                ],
                "impact_pence": sum(impact),
                "impact_known": len(impact),
            }
        )
    out.sort(key=lambda g: (-len(g["places"]), -g["impact_pence"], g["type"], g["theme"]))
    return out


def _recurring_opportunities(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kinds: dict[str, dict[str, int]] = defaultdict(dict)
    for m in members:
        for kind, figures in m.get("opportunities", {}).get("by_kind", {}).items():
            kinds[kind][m["name"]] = figures["value_pence"]
    out: list[dict[str, Any]] = [
        {"kind": k, "places": sorted(v), "value_pence": sum(v.values())}
        for k, v in kinds.items()
        if len(v) >= 2
    ]
    out.sort(key=lambda r: (-len(r["places"]), -r["value_pence"], r["kind"]))
    return out


def comparison(net: Network, build_registers: bool = False) -> dict[str, Any]:
    """The members side by side, and what recurs across them; with
    ``build_registers``, each member's opportunities as its place report
    lists them (built from its count), else as last written."""
    members = [_member(net, m, build_registers) for m in net.members]
    themes: set[str] = set()
    for m in members:
        themes |= set(m.get("by_theme_pence", {}))
    counted = [m for m in members if m.get("counted")]
    # a theme every counted member spends on: the ones to compare first
    common = sorted(
        (t for t in themes if all(t in m["by_theme_pence"] for m in counted)),
        key=lambda t: -sum(m["by_theme_pence"][t] for m in counted),
    )
    return {
        "network": net.name,
        "method_version": net.version,
        "method_hash": net.hash,
        "members": members,
        "themes": [
            {"theme": t, "label": theme_label(t), "in_every_place": t in common}
            for t in sorted(themes, key=lambda t: (t not in common, theme_label(t)))
        ],
        "common_themes": common,
        "recurring_barriers": _recurring_barriers(net),
        "recurring_opportunities": _recurring_opportunities(members),
        "cautions": _cautions(members),
    }


# -- HTML ---------------------------------------------------------------------------------


def _map_html(data: dict[str, Any]) -> tuple[str, list[str]]:
    """The comparison map (per head, the members' authorities shaded) as a
    Plotly figure with its script inline (no network needed to open the file),
    and the members whose codes are not on the shipped boundaries."""
    import plotly.graph_objects as go

    from totalplace.report.boundaries import england_geojson, map_codes

    features = {f["id"]: f for f in england_geojson()["features"]}
    locations, values, names, missing = [], [], [], []
    counted = [m for m in data["members"] if m.get("counted")]
    # a county or a combined place is drawn as its authorities; an authority
    # in two members (a combined area and one of its places) as the smaller's
    drawn = {
        m["name"]: map_codes(m.get("place", []), m.get("year"))[0]
        if m.get("per_head_pence") is not None
        else []
        for m in counted
    }
    drawn_by: dict[str, str] = {}
    for m in sorted(counted, key=lambda m: len(drawn[m["name"]])):
        for code in drawn[m["name"]]:
            drawn_by.setdefault(code, m["name"])
    for m in counted:
        codes = drawn[m["name"]]
        if not codes:
            missing.append(m["name"])
        words = f"{m['name']}: {display_pounds(m['per_head_pence'])} per head" if codes else ""
        under = sorted({drawn_by[c] for c in codes} - {m["name"]})
        if under:
            words += f" (the rest of its area shown as {', '.join(under)})"
        for code in codes:
            if drawn_by[code] == m["name"]:
                locations.append(code)
                values.append(m["per_head_pence"] / 100)
                names.append(words)
    if not locations:
        return "", missing
    geo = {"type": "FeatureCollection", "features": [features[c] for c in locations]}
    fig = go.Figure(
        go.Choropleth(
            geojson=geo,
            locations=locations,
            z=values,
            featureidkey="id",
            text=names,
            hoverinfo="text",
            colorscale="Blues",
            colorbar={"title": "Per head", "tickprefix": "£", "tickformat": ",.0f"},
        )
    )
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=480)
    # Plotly fetches world base layers from its CDN even when they are hidden;
    # empty ones given in the page keep the file working offline (as the
    # Places page serves them empty).
    from totalplace.report.boundaries import EMPTY_TOPOLOGY

    empty = EMPTY_TOPOLOGY.decode()
    assets = (
        "<script>window.PlotlyGeoAssets = {topojson: "
        f'{{"world_110m": {empty}, "world_50m": {empty}}}}};</script>\n'
    )
    return assets + str(fig.to_html(full_html=False, include_plotlyjs=True)), missing


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ d.network }}: the network's places compared</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #8a4b00; }
</style></head><body>
<h1>{{ d.network }}: the network's places compared</h1>
<p>Method version {{ d.method_version }} (SHA-256 {{ d.method_hash[:12] }}).
Every figure is the place's own count (<code>reports/count.json</code>).</p>
{% for m in d.members if m.note %}<p class="note">{{ m.name }}: {{ m.note }}</p>{% endfor %}
{% for c in d.cautions %}<p class="note">Note: {{ c }}.</p>{% endfor %}
<h2>Spending per head</h2>
<table><tr><th>Place</th><th>Year</th><th>Population</th><th>Total</th><th>Per head</th>
<th>Prevention share</th><th>Opportunities</th></tr>
{% for m in d.members if m.counted %}<tr><td>{{ m.name }}</td><td>{{ m.year }}</td>
<td class="n">{{ "{:,}".format(m.population) }}</td><td class="n">{{ money(m.total_pence) }}</td>
<td class="n">{{ money(m.per_head_pence) }}</td>
<td class="n">{{ share(m.prevention.prevention_share) }}</td>
<td class="n">{{ m.opportunities.count }} ({{ money(m.opportunities.value_pence) }})</td></tr>
{% endfor %}</table>
<h2>Per head by theme</h2>
<table><tr><th>Theme</th>{% for m in d.members if m.counted %}<th>{{ m.name }}</th>{% endfor %}</tr>
{% for t in d.themes %}<tr><td>{{ t.label }}{% if not t.in_every_place %} (not every place)
{% endif %}</td>{% for m in d.members if m.counted %}<td class="n">
{{ money(m.by_theme_per_head_pence.get(t.theme, none if m.per_head_pence is none else 0)) }}
</td>{% endfor %}</tr>{% endfor %}
</table>
<h2>Money by theme</h2>
<table><tr><th>Theme</th>{% for m in d.members if m.counted %}<th>{{ m.name }}</th>{% endfor %}</tr>
{% for t in d.themes %}<tr><td>{{ t.label }}</td>{% for m in d.members if m.counted %}
<td class="n">{{ money(m.by_theme_pence.get(t.theme, 0)) }}</td>{% endfor %}</tr>{% endfor %}
</table>
<h2>Map: per head</h2>
<p>Each member's authorities shaded by its spending per head, from the shipped
boundaries; the table above gives the same figures.</p>
{% if map_html %}{{ map_html|safe }}{% else %}<p>No member can be drawn: none has
authorities on the shipped boundaries and a population (fictional codes have neither).</p>
{% endif %}{% if missing %}<p class="note">Not on the map (codes not on the shipped
boundaries, or no population): {{ missing|join(", ") }}.</p>{% endif %}
<h2>Barriers that recur across places</h2>
{% if d.recurring_barriers %}<table><tr><th>Type</th><th>Theme</th><th>Places</th>
<th>Barriers</th><th>Money affected (where known)</th></tr>
{% for g in d.recurring_barriers %}<tr><td>{{ g.type_label }}</td><td>{{ g.theme_label }}</td>
<td>{{ g.places|join(", ") }}</td><td>{% for b in g.barriers %}{{ b.place }}: {{ b.title }}
({{ b.status }}){%- if not loop.last %}; {% endif %}{% endfor %}</td>
<td class="n">{{ money(g.impact_pence) if g.impact_known else "not known" }}</td></tr>
{% endfor %}</table>
{% else %}<p>No barrier of the same type and theme is raised in two places yet.</p>{% endif %}
<h2>Opportunities found in more than one place</h2>
{% if d.recurring_opportunities %}<table><tr><th>Kind</th><th>Places</th><th>Value</th></tr>
{% for o in d.recurring_opportunities %}<tr><td>{{ o.kind }}</td><td>{{ o.places|join(", ") }}
</td><td class="n">{{ money(o.value_pence) }}</td></tr>{% endfor %}</table>
{% else %}<p>No kind of opportunity is found in two places yet.</p>{% endif %}
{% if learning %}<h2>Shared learning</h2><table><tr><th>When</th><th>Place</th>
<th>What was tried</th><th>What happened</th><th>Case</th></tr>
{% for e in learning %}<tr><td>{{ e.date }}</td><td>{{ e.place }}</td><td>{{ e.tried }}</td>
<td>{{ e.happened }}</td><td>{{ e.case }}</td></tr>{% endfor %}</table>{% endif %}
</body></html>
"""


def _share(value: str | None) -> str:
    return "not known" if value is None else f"{float(value) * 100:.1f}%"


def _money(pence: int | None) -> str:
    return "not known" if pence is None else display_pounds(pence)


def render_html(data: dict[str, Any], learning: list[dict[str, Any]]) -> str:
    """The comparison as one self-contained HTML page (tables and the map)."""
    from jinja2 import Environment

    map_html, missing = _map_html(data)
    env = Environment(autoescape=True)
    template = env.from_string(TEMPLATE)
    return template.render(
        d=data,
        learning=learning,
        map_html=map_html,
        missing=missing,
        money=_money,
        share=_share,
    )
