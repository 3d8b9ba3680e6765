"""What a business case's page shows, as data: sections of plain tables and the
Plotly figures, for ``totalplace case FILE --html`` and the dashboard's Cases page
alike (:mod:`totalplace.case.page` writes them as HTML).

Each table cell carries the text shown and the value a CSV download carries.
Money shows as ``-£200,000.00`` with the minus sign U+2212 in tables, whole
pounds on charts.  An input is named in words (``Care proceedings avoided: share
that would have happened anyway (deadweight)``), never by its field in the file.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from totalplace.case.charts import MINUS, chart_set, whole_pounds
from totalplace.case.compute import BASIS
from totalplace.case.gainshare import GainShare
from totalplace.case.model import Case
from totalplace.case.montecarlo import Appraisal
from totalplace.errors import TotalPlaceError
from totalplace.money import display_pounds

__all__ = ["case_view", "describe_input"]

Cell = dict[str, Any]  # {"text": shown, "value": for CSV, "num": right-aligned, "span": columns}
# Bars of the Monte Carlo histogram's table (the chart bins its own).
HISTOGRAM_BINS = 20

_OUTCOME_INPUTS = {
    "baseline": "share of the cohort at risk",
    "change": "share of those at risk who change",
    "deadweight": "share that would have happened anyway (deadweight)",
    "attribution": "share owed to this programme (attribution)",
    "displacement": "share moved elsewhere rather than avoided (displacement)",
    "drop_off": "fall in the effect each year (drop-off)",
    "units": "units avoided per person a year",
}
_FIELD = re.compile(r"^(costs|outcomes)\[(\d+)\]\.(\w+)$")


def describe_input(case: Case, field: str) -> str:
    """An input named in words a finance officer reads, from its field in the file."""
    if field == "cohort.size":
        return "People in the cohort"
    if field == "cohort.engagement":
        return "Share of the cohort who take part"
    found = _FIELD.match(field)
    if found:
        kind, index, key = found.group(1), int(found.group(2)), found.group(3)
        if kind == "costs" and index < len(case.costs) and key == "scale":
            line = case.costs[index]
            return f"Cost of {line.label} ({line.agency}), as a multiple of the estimate"
        if kind == "outcomes" and index < len(case.outcomes) and key in _OUTCOME_INPUTS:
            name = case.outcomes[index].name
            return f"{name[:1].upper()}{name[1:]}: {_OUTCOME_INPUTS[key]}"
    return field


# -- cells ---------------------------------------------------------------------


def _money(pence: int | None) -> Cell:
    if pence is None:
        return _text("")
    return {"text": display_pounds(pence), "value": f"{pence / 100:.2f}", "num": True}


def _whole(pence: int) -> Cell:
    return {"text": whole_pounds(pence), "value": f"{pence / 100:.2f}", "num": True}


def _text(text: str, span: int = 1) -> Cell:
    cell: Cell = {"text": text, "value": text, "num": False}
    if span > 1:
        cell["span"] = span
    return cell


def _ratio(value: float | None) -> Cell:
    if value is None:
        return {"text": "n/a (no costs)", "value": "", "num": True}
    return {"text": _signed(f"{value:.2f}"), "value": value, "num": True}


def _years(value: float | None) -> Cell:
    if value is None:
        return {"text": "not within the period", "value": "", "num": True}
    return {"text": f"{value:.2f} years", "value": value, "num": True}


def _number(value: float) -> Cell:
    return {"text": _signed(f"{value:,.4g}"), "value": value, "num": True}


def _share(value: float) -> Cell:
    return {"text": f"{value:.1%}", "value": round(value, 4), "num": True}


def _signed(text: str) -> str:
    """A negative number with the minus sign (U+2212), as money is shown."""
    return text.replace("-", MINUS, 1) if text.startswith("-") else text


def _table(id_: str, caption: str, columns: list[str], rows: list[list[Cell]]) -> dict[str, Any]:
    # a column of figures has its heading aligned with them, on the right
    nums = [i for i in range(len(columns)) if any(len(r) > i and r[i]["num"] for r in rows)]
    return {"id": id_, "caption": caption, "columns": columns, "rows": rows, "num_cols": nums}


# -- the view ------------------------------------------------------------------


def case_view(
    appraisal: Appraisal, split: GainShare | None = None, split_error: str = ""
) -> dict[str, Any]:
    """Everything the page shows, JSON-ready: ``title``, ``sections`` (each with its
    paragraphs, list, chart name and tables), ``tables`` by id and ``figures`` by name.

    ``split`` is the gain share to show; without one the cash investment is split
    among every agency of the case in proportion to its PV fiscal savings."""
    res = appraisal.result
    case = res.case
    if split is None and not split_error:
        from totalplace.case.partners import gain_share

        try:
            split = gain_share(res)
        except TotalPlaceError as exc:
            split_error = str(exc)
    waterfall, flows, samples, bars = appraisal.chart_inputs()
    named = [(describe_input(case, name), low, high) for name, low, high in bars or []]
    figures = chart_set(
        title=case.title, waterfall=waterfall, flows=flows, npv_samples=samples, tornado=named
    )
    labels = [case.year_label(t) for t in range(case.years)]
    tables = {
        t["id"]: t
        for t in (
            _headline(appraisal),
            _inputs(case),
            _grades(case),
            _unit_costs(case),
            _table(
                "waterfall",
                "Costs and savings to the net present value",
                ["Step", "Present value"],
                [[_text(label), _money(p)] for label, p in waterfall]
                + [[_text("Net present value"), _money(res.npv)]],
            ),
            _who(appraisal),
            _table(
                "flows",
                "Whose spending buys whose saving (PV, split by share of costs)",
                ["Payer", "Beneficiary", "Saving"],
                [[_text(a), _text(b), _money(p)] for a, b, p in res.flows],
            ),
            _by_year(appraisal, labels),
            _gain_share(split, labels),
            *_monte_carlo(appraisal),
            _tornado(appraisal),
        )
        if t is not None
    }
    return {
        "title": case.title,
        "file": case.path,
        "facts": (
            f"{case.years} years from {case.year_label(0)}, at {case.price_year} prices, "
            f"discounted on the {case.discount} schedule"
            if isinstance(case.discount, str)
            else f"{case.years} years from {case.year_label(0)}, at {case.price_year} prices, "
            f"discounted at a flat {float(case.discount):.2%} a year"
        ),
        "sections": _sections(appraisal, tables, figures, split, split_error),
        "tables": tables,
        "figures": figures,
    }


def _headline(appraisal: Appraisal) -> dict[str, Any]:
    res = appraisal.result
    fiscal = res.to_dict()["fiscal"]
    assert isinstance(fiscal, dict)
    payers = [a for a in res.agencies.values() if a.pv_costs]
    savers = sorted(
        (a for a in res.agencies.values() if a.pv_fiscal), key=lambda a: (-a.pv_fiscal, a.name)
    )
    pays = "; ".join(f"{a.name} {display_pounds(a.pv_costs)}" for a in payers) or "nobody"
    saves = "; ".join(f"{a.name} {display_pounds(a.pv_fiscal)}" for a in savers) or "nobody"
    rows = [
        [_text("PV costs"), _money(res.pv_costs), _money(res.pv_costs)],
        [_text("PV benefits"), _money(res.pv_public), _money(res.pv_fiscal)],
        [_text("Net present value (NPV)"), _money(res.npv), _money(res.fiscal_npv)],
        [_text("Benefit-cost ratio (BCR)"), _ratio(res.bcr), _ratio(fiscal["bcr"])],
        [_text("Net return on investment"), _ratio(res.roi), _ratio(fiscal["roi"])],
        [_text("Payback"), _years(res.payback_years), _years(res.fiscal_payback_years)],
        [_text("of which economic value"), _money(res.pv_economic), _text("")],
        [_text("of which social value"), _money(res.pv_social), _text("")],
        [_text("of which cashable"), _text(""), _money(int(fiscal["pv_cashable_pence"]))],
        [_text("Who pays (PV costs)"), _text(pays, 2)],
        [_text("Who benefits (PV fiscal savings)"), _text(saves, 2)],
    ]
    columns = ["Measure", "Public value", "Fiscal"]
    return _table("headline", "Headline (present values)", columns, rows)


def _inputs(case: Case) -> dict[str, Any]:
    rows = []
    for p in case.params():
        low, high = p.low_high()
        how = "fixed" if p.dist is None else f"{p.dist} {', '.join(f'{a:g}' for a in p.args)}"
        rows.append(
            [
                _text(describe_input(case, p.id)),
                _text(p.id),
                _number(p.base),
                _text(how),
                _number(low),
                _number(high),
            ]
        )
    return _table(
        "inputs",
        "Inputs (shares as fractions: 0.25 is 25%)",
        ["Input", "Field in the file", "Base", "Distribution", "Low", "High"],
        rows,
    )


def _grades(case: Case) -> dict[str, Any]:
    used: dict[int, list[str]] = {}
    for o in case.outcomes:
        used.setdefault(o.confidence, []).append(f"saving: {o.name}")
    for line in case.costs:
        if line.confidence:
            used.setdefault(line.confidence, []).append(f"cost: {line.label}")
    rows = [
        [
            _text(str(g.grade)),
            _share(float(g.fraction)),
            _text(g.evidence),
            _text("; ".join(used.get(g.grade, [])) or "not used"),
        ]
        for g in sorted(case.grades.grades.values(), key=lambda g: g.grade)
    ]
    return _table(
        "optimism",
        "Optimism bias by the confidence grade of the evidence",
        ["Grade", "Optimism bias", "Evidence", "Used for"],
        rows,
    )


def _unit_costs(case: Case) -> dict[str, Any]:
    def amount(value: Any) -> Cell:
        return _text("") if value is None else _money(round(value * 100))

    rows = [
        [
            _text(uv.code),
            _text(uv.outcome),
            _text(uv.agency),
            amount(uv.fiscal),
            amount(uv.economic),
            amount(uv.social),
            _text(f"{uv.price_year} ({uv.source})"),
        ]
        for uv in case.unit_values.values()
    ]
    return _table(
        "unit-costs",
        f"Unit costs, at {case.price_year} prices",
        ["Code", "Outcome", "Agency", "Fiscal", "Economic", "Social", "Given in"],
        rows,
    )


def _who(appraisal: Appraisal) -> dict[str, Any]:
    res = appraisal.result
    rows = [
        [
            _text(a.name),
            _text(a.level),
            _money(a.pv_costs),
            _money(a.pv_fiscal),
            _money(a.pv_cashable),
            _money(a.pv_fiscal - a.pv_cashable),
            _money(a.pv_fiscal - a.pv_costs),
        ]
        for a in res.agencies.values()
    ]
    for level, t in res.level_totals().items():
        rows.append(
            [
                _text(f"All {level}"),
                _text(""),
                _money(t["costs_pence"]),
                _money(t["benefits_pence"]),
                _text(""),
                _text(""),
                _money(t["net_pence"]),
            ]
        )
    return _table(
        "agencies",
        "Who pays, who benefits (present values, fiscal)",
        ["Agency", "Level", "Pays", "Benefits", "Cashable", "Non-cashable", "Net"],
        rows,
    )


def _by_year(appraisal: Appraisal, labels: list[str]) -> dict[str, Any]:
    res = appraisal.result
    rows = [[_text(""), _text("discount factor")] + [_number(f) for f in res.discount_factors]]
    for a in res.agencies.values():
        for what, values in (("costs", a.costs), ("benefits", a.fiscal), ("net", a.net)):
            rows.append([_text(a.name), _text(what)] + [_whole(v) for v in values])
    for what, values in (
        ("costs", res.costs),
        ("fiscal benefits", res.fiscal),
        ("economic value", res.economic),
        ("social value", res.social),
        ("public value", res.public),
    ):
        rows.append([_text("All agencies"), _text(what)] + [_whole(v) for v in values])
    return _table(
        "by-year",
        "Costs and benefits by agency and year (cash, not discounted; to the pound, the CSV "
        "to the penny)",
        ["Agency", "Line", *labels],
        rows,
    )


def _gain_share(split: GainShare | None, labels: list[str]) -> dict[str, Any] | None:
    if split is None or not split.feasible:
        return None
    rows = [
        [_text(p)]
        + [_money(v) for v in row]
        + [_money(sum(row)), _money(split.net_position_pence.get(p))]
        for p, row in split.contributions.items()
    ]
    return _table(
        "gain-share",
        "Gain share: what each partner pays towards the cash investment",
        ["Partner", *labels, "Total paid", "Net position (PV)"],
        rows,
    )


def _monte_carlo(appraisal: Appraisal) -> list[dict[str, Any]]:
    mc = appraisal.monte_carlo
    if mc is None:
        return []
    summary = _table(
        "monte-carlo",
        f"Monte Carlo: {mc.draws:,} runs (seed {mc.seed})",
        ["Measure", "Value"],
        [
            [_text("Chance the NPV is above zero"), _share(mc.p_npv_positive)],
            [_text("NPV, P10 (one run in ten is lower)"), _money(mc.npv_pence[0])],
            [_text("NPV, P50 (the median)"), _money(mc.npv_pence[1])],
            [_text("NPV, P90 (one run in ten is higher)"), _money(mc.npv_pence[2])],
            [_text("BCR, P10"), _ratio(mc.bcr[0])],
            [_text("BCR, P50"), _ratio(mc.bcr[1])],
            [_text("BCR, P90"), _ratio(mc.bcr[2])],
            [_text("Chance the fiscal NPV is above zero"), _share(mc.p_fiscal_npv_positive)],
        ],
    )
    counts, edges = np.histogram(mc.npv_samples, bins=HISTOGRAM_BINS)
    bins = [
        [
            _whole(round(float(edges[i]) * 100)),
            _whole(round(float(edges[i + 1]) * 100)),
            {"text": f"{int(n):,}", "value": int(n), "num": True},
        ]
        for i, n in enumerate(counts)
    ]
    spread = _table("npv-runs", "Runs by NPV", ["NPV from", "NPV to", "Runs"], bins)
    return [summary, spread]


def _tornado(appraisal: Appraisal) -> dict[str, Any] | None:
    if not appraisal.tornado:
        return None
    case = appraisal.result.case
    rows = [
        [
            _text(describe_input(case, bar.param)),
            _number(bar.low),
            _number(bar.high),
            _money(bar.npv_low_pence),
            _money(bar.npv_high_pence),
            _money(bar.swing_pence),
        ]
        for bar in appraisal.tornado
    ]
    return _table(
        "tornado",
        "NPV with each uncertain input at its low and its high, the rest at base",
        ["Input", "Low", "High", "NPV at low", "NPV at high", "Swing"],
        rows,
    )


def _caveat(case: Case) -> str:
    grades = case.grades
    top = max((g.fraction for g in grades.grades.values()), default=0)
    text = (
        "Optimism bias: each saving is reduced, and each cost given a confidence grade is "
        "raised, by a percentage set by how strong the evidence behind it is (up to "
        f"{float(top):.0%} for the weakest), following {grades.source}."
    )
    if grades.status == "assumption":
        text += (
            " The percentages are this project's assumption: they could not be checked "
            "against the published table."
        )
    elif grades.status == "case file":
        text += " The case file sets some of the percentages itself."
    return text + (
        " Every figure is an estimate at the case's prices; the Monte Carlo runs and the "
        "tornado show how far it moves with the inputs."
    )


def _sections(
    appraisal: Appraisal,
    tables: dict[str, dict[str, Any]],
    figures: dict[str, Any],
    split: GainShare | None,
    split_error: str,
) -> list[dict[str, Any]]:
    res = appraisal.result
    case = res.case

    def section(id_: str, heading: str, names: list[str], chart: str = "", **extra: Any) -> None:
        found.append(
            {
                "id": id_,
                "heading": heading,
                "tables": [tables[n] for n in names if n in tables],
                "chart": chart if chart in figures else "",
                "paragraphs": extra.get("paragraphs", []),
                "bullets": extra.get("bullets", []),
                "chart_label": extra.get("chart_label", ""),
                # a table too wide to sit beside its chart goes under it
                "wide": extra.get("wide", False),
            }
        )

    found: list[dict[str, Any]] = []
    section("headline", "Headline", ["headline"], paragraphs=[f"Headline basis: {BASIS}."])
    section(
        "assumptions",
        "Assumptions",
        ["inputs", "optimism", "unit-costs"],
        paragraphs=[_caveat(case)],
        bullets=list(case.assumptions) or ["The case file states no assumptions in words."],
    )
    section(
        "waterfall",
        "From costs to the net present value",
        ["waterfall"],
        "waterfall",
        chart_label="Waterfall chart from the PV costs through each saving to the NPV",
    )
    section(
        "agencies",
        "Who pays and who benefits",
        ["agencies", "flows"],
        "flows",
        chart_label="Sankey diagram of whose spending buys whose saving",
        wide=True,
    )
    section("by-year", "By agency and year", ["by-year"])
    if split is not None and split.feasible:
        share_note = [split.method]
    elif split is not None:
        share_note = [f"No split leaves every partner whole: {split.reason}"]
    else:
        share_note = [f"No gain share: {split_error}"]
    section("gain-share", "Gain share", ["gain-share"], paragraphs=share_note)
    mc_note = (
        []
        if appraisal.monte_carlo is not None
        else ["No Monte Carlo runs were made (draws set to 0)."]
    )
    section(
        "monte-carlo",
        "Monte Carlo: how sure the NPV is",
        ["monte-carlo", "npv-runs"],
        "histogram",
        paragraphs=mc_note,
        chart_label="Histogram of the NPV across the runs, with P10, P50 and P90 marked",
    )
    section(
        "tornado",
        "What moves the NPV most",
        ["tornado"],
        "tornado",
        paragraphs=[] if appraisal.tornado else ["No input of the case is uncertain."],
        chart_label="Tornado chart of the NPV with each uncertain input at its low and high",
        wide=True,
    )
    if res.issues:
        section(
            "warnings",
            "Warnings",
            [],
            bullets=[f"{i.slug} ({i.field}): {i.message}" for i in res.issues],
        )
    return found
