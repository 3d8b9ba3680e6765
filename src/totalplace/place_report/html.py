"""The place's report as one self-contained HTML file: styles inline, charts as
inline SVG pictures, no script and nothing fetched, so it opens the same from
a disk, an email or a web page, and prints to A4 as a council would publish it
(a contents page that links to each section, tables whose rows never split
across a page and whose headings repeat on each page).

Every money figure in the summary carries the key of count.json it comes from
(``data-count-key``) and its pence (``data-pence``), so anyone can check the
summary against the count line by line.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from fractions import Fraction
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from totalplace.classify.taxonomy import theme_label
from totalplace.money import display_pounds, millions
from totalplace.place_report import svg
from totalplace.place_report.template import CSS, TEMPLATE
from totalplace.report.labels import tier_label

# The sections in order: (anchor, heading). The contents page lists these.
SECTIONS = (
    ("summary", "Summary"),
    ("count", "The count"),
    ("themes", "Themes in depth"),
    ("benchmarks", "Benchmarks"),
    ("opportunities", "Opportunities"),
    ("cases", "Business cases"),
    ("barriers", "Barriers and asks"),
    ("method", "Data sources and method"),
    ("appendix", "Appendix: the count's lines"),
)


def pounds(pence: int | None) -> str:
    """Pounds and pence, as the tables show money; nothing for no figure."""
    return "" if pence is None else display_pounds(int(pence))


def in_millions(pence: int) -> str:
    """``£12.3m``, with a true minus sign."""
    return millions(pence).replace("-", "\u2212", 1)


def percent(share: float | None) -> str:
    """``12.3%`` of a share (0.123); nothing for no figure."""
    return "" if share is None else f"{share:.1%}".replace("-", "\u2212", 1)


def figure(chart: svg.Chart, caption: str, table: str, where: str = "below") -> Markup:
    """A chart with its caption, pointing to the table that holds its figures
    (``where`` it is: below the chart, or above)."""
    if not chart.svg:
        return Markup('<p class="absent">Nothing above zero to draw: see the table.</p>')
    n = chart.left_out
    left = {0: "", 1: " 1 zero or negative amount is in the table only."}.get(
        n, f" {n} zero or negative amounts are in the table only."
    )
    return Markup(
        '<figure class="chart">{}<figcaption>{} (figures in the table <a href="#{}">{}</a>).'
        "{}</figcaption></figure>"
    ).format(Markup(chart.svg), caption, table, where, left)


# How the templates write figures: p(pence), m(pence) in millions, pct(share),
# and fig(chart, caption, table id) for a chart with its caption.
WRITERS = {"p": pounds, "m": in_millions, "pct": percent, "fig": figure}


# Funders and agencies below this share of the count are drawn as one node
# ("Other funders", "Other bodies"): a band thinner than a hairline cannot be
# read, and the flows table beside the chart lists each of them.
SMALL_SHARE = Fraction(1, 100)


def _grouped_flows(flows: list[dict[str, Any]], total: int) -> dict[tuple[str, str, str], int]:
    """(stage, from, to) -> pence, with small funders and agencies grouped."""
    size: dict[tuple[str, str], int] = defaultdict(int)
    for f in flows:
        if f["stage"] == "funder":
            size[("funder", f["source"])] += f["pence"]
            size[("agency", f["target"])] += f["pence"]
    small = {key for key, pence in size.items() if total > 0 and pence < total * SMALL_SHARE}

    def named(kind: str, name: str) -> str:
        if (kind, name) not in small:
            return name
        return "Other funders" if kind == "funder" else "Other bodies"

    out: dict[tuple[str, str, str], int] = defaultdict(int)
    for f in flows:
        if f["stage"] == "funder":
            key = ("funder", named("funder", f["source"]), named("agency", f["target"]))
        else:
            key = ("agency", named("agency", f["source"]), f["target"])
        out[key] += f["pence"]
    return out


def _opportunity_label(item: dict[str, Any]) -> str:
    """``Shared supplier: Moorside Construction Ltd``: its kind and what it is
    about (a CSV register has no subject: its description's start then)."""
    kind = str(item.get("kind", "")).replace("_", " ").capitalize()
    subject = str(item.get("subject") or item.get("description", ""))
    if item.get("kind") in ("prevention_shift", "fragmentation"):  # these are about a theme
        subject = theme_label(subject)
    return f"{kind}: {subject}" if kind else subject


def charts(report: dict[str, Any]) -> dict[str, svg.Chart]:
    """The report's pictures, each from the figures of the table beside it."""
    c = report["count"]
    s, o = c["summary"], c["overview"]
    flows = _grouped_flows(o["flows"], int(s["total_pence"]))
    out = {
        "sankey": svg.sankey(
            "Flows from funder to agency to theme",
            [(a, b, p) for (_, a, b), p in flows.items()],
            [
                sorted({a for (stage, a, _) in flows if stage == "funder"}),
                sorted(
                    {b for (stage, _, b) in flows if stage == "funder"}
                    | {a for (stage, a, _) in flows if stage == "agency"}
                ),
                sorted({b for (stage, _, b) in flows if stage == "agency"}),
            ],
        ),
        "treemap": svg.treemap(
            "Spending by theme and agency",
            [(x["theme"], x["agency"], x["pence"]) for x in c["cells"]],
            {x["theme"]: x["theme_label"] for x in c["cells"]},
        ),
        "theme_bars": svg.bars(
            "Spending by theme", [(t["label"], t["pence"]) for t in s["by_theme"]]
        ),
        "grade_bars": svg.bars(
            "Spending by confidence grade",
            [(g["label"], g["pence"]) for g in o["by_grade"]],
            svg.PALETTE[2],
        ),
    }
    opp = report["opportunities"]
    if opp["available"]:
        out["opp_bars"] = svg.bars(
            "Money at stake by opportunity",
            [(_opportunity_label(x), x["value_pence"]) for x in opp["register"][:12]],
            svg.PALETTE[1],
        )
    bar = report["barriers"]
    if bar["available"]:
        out["ask_bars"] = svg.bars(
            "Money at stake in the open asks",
            [(g["department"], g["pence"]) for g in bar["asks"]],
            svg.PALETTE[3],
        )
    return out


def summary_rows(s: dict[str, Any], o: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(key in count.json, label, pence) of every money figure in the summary."""
    return [
        ("total_pence", "Total public spending in the place", s["total_pence"]),
        ("per_head_pence", "Per resident", s["per_head_pence"]),
        ("bottom_up_pence", "Found from the bodies' own payments and outturn (bottom-up)",
         s["bottom_up_pence"]),
        ("top_down_pence", "Shared to the place from national figures (top-down)",
         s["top_down_pence"]),
        ("transfers_eliminated_pence", "Transfers between the place's bodies taken out",
         s["transfers_eliminated_pence"]),
        ("pass_through_pence", "Passed through to other bodies", s["pass_through_pence"]),
        ("set_apart_pence", "Set apart by a rule", o["set_apart_pence"]),
    ]  # fmt: skip


def render_html(
    report: dict[str, Any], today: date | None = None, pages: dict[str, int] | None = None
) -> str:
    """The report's HTML, from the parts :func:`gather` read; ``pages`` (each
    section's page in the printed PDF) numbers the contents."""
    from totalplace.count.topdown import per_head

    env = Environment(autoescape=True, undefined=StrictUndefined)
    c = report["count"]
    s, o = c["summary"], c["overview"]
    pictures = charts(report)
    population = int(s["population"])
    largest = [t["label"] for t in sorted(s["by_theme"], key=lambda t: -t["pence"])[:3]]
    top = (
        ", ".join(largest[:-1]) + (" and " if len(largest) > 1 else "") + largest[-1]
        if largest
        else "none"
    )
    notes = [str(n) for n in report["data"].get("notes", []) if isinstance(n, str)]
    place = s["place"] or report["data"].get("place", {}).get("spec", "")
    return env.from_string(TEMPLATE).render(
        css=Markup(CSS),
        title=f"Total Place: {place} {s['year']}",
        place=place,
        year=s["year"],
        today=(today or date.today()).strftime("%-d %B %Y"),
        sections=SECTIONS,
        pages=pages or {},
        small_share=float(SMALL_SHARE),
        s=s,
        o=o,
        cells=c["cells"],
        themes=c["themes"],
        top_themes=top,
        headline=[
            ("total_pence", "Total public spending", s["total_pence"]),
            ("per_head_pence", "Per resident", s["per_head_pence"]),
            ("transfers_eliminated_pence", "Transfers taken out", s["transfers_eliminated_pence"]),
        ],
        summary_rows=summary_rows(s, o),
        bench=report["benchmark"],
        opp=report["opportunities"],
        cases=report["cases"],
        bar=report["barriers"],
        notes=notes,
        coverage=[
            {**c, "transactions_pence": int(c.get("transactions_pence", 0))}
            for c in report["data"].get("coverage", [])
        ],
        lines=sorted(report["data"].get("lines", []), key=lambda x: (x["agency"], x["theme"])),
        tl=theme_label,
        tier=tier_label,
        ph=lambda pence: pounds(per_head(pence, population)) if population else "",
        **WRITERS,
        **pictures,
    )
