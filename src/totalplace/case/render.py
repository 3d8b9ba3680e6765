"""Rich tables for a business case (the JSON form is :meth:`Appraisal.to_dict`), for a
console with markup off (see :mod:`totalplace.render`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from totalplace.case.montecarlo import Appraisal
from totalplace.case.view import describe_input
from totalplace.money import pounds


def _ratio(value: float | None) -> str:
    return "n/a (no costs)" if value is None else f"{value:.2f}"


def _years(value: float | None) -> str:
    return "not within the period" if value is None else f"{value:.2f} years"


def render_case(appraisal: Appraisal, console: Console, top: int = 10) -> None:
    res = appraisal.result
    case = res.case
    console.print(
        Text(case.title, style="bold"),
        f"{case.years} years, prices {case.price_year}, discounting {case.discount}",
        sep=": ",
        highlight=False,
    )
    data = res.to_dict()
    fiscal = data["fiscal"]
    assert isinstance(fiscal, dict)
    summary = Table(title="Summary (present values)")
    summary.add_column("")
    summary.add_column("public value", justify="right")
    summary.add_column("fiscal", justify="right")
    summary.add_row("costs", pounds(res.pv_costs), pounds(res.pv_costs))
    summary.add_row("benefits", pounds(res.pv_public), pounds(res.pv_fiscal))
    summary.add_row("NPV", pounds(res.npv), pounds(res.fiscal_npv))
    summary.add_row("benefit-cost ratio", _ratio(res.bcr), _ratio(fiscal["bcr"]))
    summary.add_row("net ROI", _ratio(res.roi), _ratio(fiscal["roi"]))
    summary.add_row("payback", _years(res.payback_years), _years(res.fiscal_payback_years))
    summary.add_row("of which economic", pounds(res.pv_economic), "")
    summary.add_row("of which social", pounds(res.pv_social), "")
    summary.add_row("of which cashable", "", pounds(int(fiscal["pv_cashable_pence"])))
    console.print(summary)
    render_matrix(appraisal, console)
    mc = appraisal.monte_carlo
    if mc is not None:
        console.print(
            f"Monte Carlo, {mc.draws:,} draws (seed {mc.seed}): P(NPV > 0) = "
            f"{mc.p_npv_positive:.1%}; NPV P10 {pounds(mc.npv_pence[0])}, "
            f"P50 {pounds(mc.npv_pence[1])}, P90 {pounds(mc.npv_pence[2])}; "
            f"BCR P10 {_ratio(mc.bcr[0])}, P50 {_ratio(mc.bcr[1])}, P90 {_ratio(mc.bcr[2])}; "
            f"P(fiscal NPV > 0) = {mc.p_fiscal_npv_positive:.1%}",
            highlight=False,
        )
    if appraisal.tornado:
        table = Table(title="Tornado: NPV with each input at its low and high")
        for col, justify in [("input", "left"), ("low", "right"), ("high", "right")]:
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for col in ("NPV at low", "NPV at high", "swing"):
            table.add_column(col, justify="right")
        for bar in appraisal.tornado[:top]:
            table.add_row(
                describe_input(case, bar.param),
                f"{bar.low:g}",
                f"{bar.high:g}",
                pounds(bar.npv_low_pence),
                pounds(bar.npv_high_pence),
                pounds(bar.swing_pence),
            )
        console.print(table)
    for issue in res.issues:
        console.print(
            Text("warning", style="yellow"),
            f"{issue.slug} ({issue.field}): {issue.message}",
            highlight=False,
        )


def render_matrix(appraisal: Appraisal, console: Console) -> None:
    """Who pays and who benefits: each agency's PV costs and fiscal savings, by level."""
    res = appraisal.result
    table = Table(title="Who pays, who benefits (present values, fiscal)")
    for col, justify in [("agency", "left"), ("level", "left")]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for col in ("pays", "benefits", "cashable", "non-cashable", "net"):
        table.add_column(col, justify="right")
    for line in res.agencies.values():
        table.add_row(
            line.name,
            line.level,
            pounds(line.pv_costs),
            pounds(line.pv_fiscal),
            pounds(line.pv_cashable),
            pounds(line.pv_fiscal - line.pv_cashable),
            pounds(line.pv_fiscal - line.pv_costs),
        )
    for level, t in res.level_totals().items():
        table.add_row(
            Text(f"all {level}", style="bold"),
            "",
            pounds(t["costs_pence"]),
            pounds(t["benefits_pence"]),
            "",
            "",
            pounds(t["net_pence"]),
        )
    console.print(table)
    if res.flows:
        flows = Table(title="Whose spending buys whose saving (PV, split by share of costs)")
        flows.add_column("payer")
        flows.add_column("beneficiary")
        flows.add_column("saving", justify="right")
        for payer, beneficiary, pence in res.flows:
            flows.add_row(payer, beneficiary, pounds(pence))
        console.print(flows)


def render_cash_flows(
    cash_flows: Mapping[str, Sequence[int]], labels: Sequence[str], console: Console
) -> None:
    """Each partner's cash flow by year after a gain-share split."""
    table = Table(title="Gain share: each partner's cash flow by year")
    table.add_column("partner")
    for label in labels:
        table.add_column(label, justify="right")
    for partner, flows in cash_flows.items():
        table.add_row(partner, *(pounds(v) for v in flows))
    console.print(table)
