"""The network's comparison as a printed report, in the place report's style
and through its machinery (:mod:`totalplace.place_report`: its page
and contents, its SVG charts, its two-pass Chromium PDF): what a network of
places would publish side by side.

Every figure is :func:`totalplace.network.compare.comparison`'s, which reads
each member's own ``reports/count.json``; the appendix lists, for each
member, every figure with its key in that file, so each can be checked
against the member's count.  The asks of government are each member's open
asks (as the place's report groups them) put together by department.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from totalplace.classify.taxonomy import theme_label
from totalplace.network.compare import comparison
from totalplace.network.folder import Network
from totalplace.network.report_template import TEMPLATE
from totalplace.opportunities.prevention import TIERS
from totalplace.place_report import svg
from totalplace.place_report.html import WRITERS, percent, pounds
from totalplace.place_report.svg_map import england_map
from totalplace.place_report.template import CSS
from totalplace.report.labels import tier_label

__all__ = ["SECTIONS", "gather", "render_html", "write_network_report"]

SECTIONS = (
    ("summary", "Summary"),
    ("themes", "Spending by theme, side by side"),
    ("prevention", "Prevention and crisis"),
    ("opportunities", "Opportunities"),
    ("barriers", "Barriers and asks of government"),
    ("map", "Map of the network"),
    ("learning", "Shared learning"),
    ("method", "Method and sources"),
    ("appendix", "Appendix: each member's count"),
)

# Shades of one blue, lightest for the least per head (ColorBrewer's Blues).
SHADES = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_PER_HEAD = "#e6ab02"


def _asks(net: Network) -> list[dict[str, Any]]:
    """Every member's open asks of government, grouped by department across
    the network (central government first, then by money at stake), each ask
    with its place."""
    from totalplace.culture import asks_by_department, read_register

    groups: dict[str, dict[str, Any]] = {}
    for member in net.members:
        for g in asks_by_department(read_register(member.root(net.root))):
            key = g["owner_id"] or g["department"].casefold()
            group = groups.setdefault(
                key,
                {"department": g["department"], "central": g["central"], "pence": 0,
                 "asks_without_figure": 0, "places": [], "asks": []},
            )  # fmt: skip
            group["pence"] += g["pence"]
            group["asks_without_figure"] += g["asks_without_figure"]
            group["places"] = sorted({*group["places"], member.name})
            group["asks"] += [{**a, "place": member.name} for a in g["asks"]]
    return sorted(groups.values(), key=lambda g: (not g["central"], -g["pence"], g["department"]))


def _appendix(member: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(key in count.json, what it is, the figure) for every figure of the
    member the report shows; a theme's key is ``by_theme.THEME``."""
    rows = [("total_pence", "Total public spending in the place", member["total_pence"])]
    if member["per_head_pence"] is not None:
        rows.append(("per_head_pence", "Per resident", member["per_head_pence"]))
    themes = sorted(member["by_theme_pence"].items(), key=lambda kv: (-kv[1], kv[0]))
    rows += [(f"by_theme.{t}", theme_label(t), p) for t, p in themes]
    return rows


def gather(net: Network, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report shows: the comparison (``data``, when already
    made with each member's register built from its count), the learning
    log, the asks."""
    from totalplace.network.learning import read_log

    if data is None:
        data = comparison(net, build_registers=True)
    counted = [m for m in data["members"] if m.get("counted")]
    return {
        "comparison": data,
        "counted": counted,
        "per_head_known": any(m["per_head_pence"] is not None for m in counted),
        "learning": [x.to_dict() for x in read_log(net)],
        "asks": _asks(net),
        "changelog": [c.to_dict() for c in net.changelog],
    }


def _shade(heads: list[int], pence: int) -> str:
    """The shade of one place's per head among the network's (``heads``, in
    order): from the second-lightest (the lightest is too near the grey of
    the places around) to the darkest; a place alone takes a middle shade."""
    if len(heads) == 1:
        return SHADES[3]
    return SHADES[1 + heads.index(pence) * (len(SHADES) - 2) // (len(heads) - 1)]


def _map(report: dict[str, Any]) -> tuple[svg.Chart, list[str]]:
    """The members' authorities shaded by per head (or in one colour where per
    head is not known), and the members that cannot be drawn, with why."""
    from totalplace.errors import TotalPlaceError
    from totalplace.reference.places import registry
    from totalplace.report.boundaries import map_codes

    counted = report["counted"]
    reg = registry()

    def in_registry(code: str) -> bool:
        try:
            reg.get(code)
        except TotalPlaceError:
            return False
        return True

    # the boundaries (a second to draw up) only when some code may be on them
    maybe = any(in_registry(c) for m in counted for c in m.get("place", []))
    heads = sorted({m["per_head_pence"] for m in counted if m["per_head_pence"] is not None})
    filled: dict[str, str] = {}
    names: dict[str, str] = {}
    key: list[tuple[str, str]] = []
    missing = []
    # a county or a combined place is drawn as its authorities
    drawn = {
        m["name"]: map_codes(m.get("place", []), m.get("year")) if maybe else ([], [])
        for m in counted
    }
    drawn_by: dict[str, str] = {}  # each authority: the smallest member holding it
    for m in sorted(counted, key=lambda m: len(drawn[m["name"]][0])):
        for code in drawn[m["name"]][0]:
            drawn_by.setdefault(code, m["name"])
    for m in counted:
        codes, not_drawn = drawn[m["name"]]
        if not codes:
            shown = ", ".join(m.get("place", [])) or "none"
            missing.append(f"{m['name']} (codes {shown}: not on the shipped boundaries)")
            continue
        if not_drawn:
            shown = ", ".join(not_drawn)
            missing.append(f"part of {m['name']} (codes {shown}: not on the shipped boundaries)")
        if m["per_head_pence"] is None:
            colour, words = NO_PER_HEAD, f"{m['name']}: per head not known (no population)"
        else:
            colour = _shade(heads, m["per_head_pence"])
            words = f"{m['name']}: {pounds(m['per_head_pence'])} per head"
        # members that overlap (a combined area and one of its authorities):
        # each authority takes the smaller member's shade, and the key says so
        under = sorted({drawn_by[c] for c in codes} - {m["name"]})
        if under:
            own = sum(1 for c in codes if drawn_by[c] == m["name"])
            words += (
                f" ({own} of its {len(codes)} authorities shaded as its own; the rest "
                f"shaded as {', '.join(under)})"
            )
        key.append((colour, words))
        for code in codes:
            if drawn_by[code] == m["name"]:
                filled[code] = colour
                names[code] = words
    if not filled:
        return svg.Chart(""), missing
    return england_map("The network's places", filled, key, names), missing


# The most of a grouped bar chart's height (in the SVG's units, 640 to the
# page's width) that fits on one A4 page under its heading and caption.
PAGE_OF_BARS = 800


def theme_parts(themes: list[dict[str, Any]], members: int) -> list[list[dict[str, Any]]]:
    """The themes in runs whose chart (a bar a member, as svg.grouped_bars
    draws them: 14 a bar, 10 between themes, about 60 for the key) fits one
    page: one chart of five places and nineteen themes is two pages tall, and
    the printer left a page blank before it and cut a theme's bars in two."""
    per_theme = 14 * members + 10
    at_most = max(1, (PAGE_OF_BARS - 60) // per_theme)
    return [themes[i : i + at_most] for i in range(0, len(themes), at_most)] or [[]]


def charts(report: dict[str, Any]) -> dict[str, Any]:
    """The report's pictures, each from the figures of the table beside it;
    spending by theme in as many charts as fit a page each."""
    counted = report["counted"]
    names = [m["name"] for m in counted]
    themes_all = report["comparison"]["themes"]
    parts = theme_parts(themes_all, len(counted))
    key = "by_theme_per_head_pence" if report["per_head_known"] else "by_theme_pence"
    # every part on the scale of the largest figure of them all, so a bar in
    # one chart compares with a bar in the next
    top = max((v for m in counted for v in m[key].values() if v is not None), default=0)
    by_theme = []
    for themes in parts:
        groups = [(t["label"], [m[key].get(t["theme"]) for m in counted]) for t in themes]
        if report["per_head_known"]:
            chart = svg.grouped_bars("Spending per head by theme", groups, names, pounds, top)
        else:
            chart = svg.grouped_bars("Spending by theme", groups, names, top=top)
        by_theme.append(chart)
    kinds = sorted({k for m in counted for k in m["opportunities"]["by_kind"]})
    empty = {"value_pence": None}
    return {
        "theme_bars": by_theme,
        "tier_bars": svg.stacked_shares(
            "Each place's spending by prevention tier",
            [(m["name"], [m["prevention"]["by_tier_pence"][t] for t in TIERS]) for m in counted],
            [tier_label(t) for t in TIERS],
        ),
        "kind_bars": svg.grouped_bars(
            "Money at stake by kind of opportunity",
            [
                (
                    kind_label(k),
                    [m["opportunities"]["by_kind"].get(k, empty)["value_pence"] for m in counted],
                )
                for k in kinds
            ],
            names,
        ),
        "ask_bars": svg.bars(
            "Money at stake in the open asks, by department",
            [(g["department"], g["pence"]) for g in report["asks"]],
            svg.PALETTE[3],
        ),
    }


def kind_label(kind: str) -> str:
    """A kind of opportunity in words: ``shared_supplier`` is Shared supplier."""
    return kind.replace("_", " ").capitalize()


def _share(value: str | None) -> str:
    return "not known" if value is None else percent(float(value))


def render_html(
    report: dict[str, Any], today: date | None = None, pages: dict[str, int] | None = None
) -> str:
    """The report's HTML; ``pages`` (each section's page in the printed PDF)
    numbers the contents."""
    env = Environment(autoescape=True, undefined=StrictUndefined)
    d = report["comparison"]
    pictures = charts(report)
    map_chart, missing = _map(report)
    years = sorted({str(m.get("year", "")) for m in report["counted"]} - {""})
    return env.from_string(TEMPLATE).render(
        css=Markup(CSS),
        title=f"{d['network']}: the places compared",
        d=d,
        r=report,
        counted=report["counted"],
        years=" and ".join(years) or "not known",
        today=(today or date.today()).strftime("%-d %B %Y"),
        sections=SECTIONS,
        pages=pages or {},
        tiers=[(t, tier_label(t)) for t in TIERS],
        kinds=sorted({k for m in report["counted"] for k in m["opportunities"]["by_kind"]}),
        appendix={m["name"]: _appendix(m) for m in report["counted"]},
        map_chart=map_chart,
        missing=missing,
        share=_share,
        kl=kind_label,
        **WRITERS,
        **pictures,
    )


def write_network_report(
    net: Network, html_out: Path, pdf_out: Path | None = None, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write the network's comparison report and say what it holds: the files
    written, the PDF's pages, and each member's figures.  ``data``: the
    comparison, when already made with ``build_registers``."""
    from totalplace.place_report.build import check_outputs, files_written, write_printed

    check_outputs(html_out, pdf_out)
    report = gather(net, data)
    pages = write_printed(html_out, pdf_out, lambda at: render_html(report, pages=at))
    d = report["comparison"]
    return {
        "network": d["network"],
        "method_version": d["method_version"],
        **files_written(html_out, pdf_out, pages, SECTIONS),
        "members": [
            {
                key: m.get(key)
                for key in (
                    "name",
                    "path",
                    "year",
                    "counted",
                    "comparable",
                    "population",
                    "total_pence",
                    "per_head_pence",
                )
            }
            for m in d["members"]
        ],
        "recurring_barriers": len(d["recurring_barriers"]),
        "recurring_opportunities": len(d["recurring_opportunities"]),
        "lessons": len(report["learning"]),
    }
