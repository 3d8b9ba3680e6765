"""An Excel workbook of a case: assumptions, by agency and year, the matrix, the summary.

Money is written in pounds (pence / 100, exact) with a pound format.  Text that
a spreadsheet would read as a formula (starting with = + - @, or a tab or
carriage return) is written as text with a leading apostrophe, so a case file
cannot smuggle a formula into someone's workbook.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from totalplace.case.montecarlo import Appraisal
from totalplace.case.params import Param
from totalplace.errors import ConfigError
from totalplace.sheets import append_row as _row
from totalplace.sheets import pounds as _money


def _describe(p: Param) -> str:
    if p.dist is None:
        return "fixed"
    return f"{p.dist} {', '.join(f'{a:g}' for a in p.args)}"


def _assumptions(ws: Worksheet, appraisal: Appraisal) -> None:
    case = appraisal.result.case
    _row(ws, ["Case", case.title])
    _row(ws, ["File", case.path])
    _row(ws, ["Price year", case.price_year])
    _row(ws, ["Appraisal period (years)", case.years])
    _row(ws, ["Discounting", str(case.discount)])
    _row(ws, ["Optimism bias table", f"{case.grades.source} ({case.grades.status})"])
    for note in case.assumptions:
        _row(ws, ["Assumption", note])
    _row(ws, [])
    _row(ws, ["Input", "Base", "Distribution", "Low", "High"])
    for p in case.params():
        low, high = p.low_high()
        _row(ws, [p.id, p.base, _describe(p), low, high])
    _row(ws, [])
    _row(
        ws, ["Unit cost", "Outcome", "Agency", "Fiscal", "Economic", "Social", "Given in", "Source"]
    )
    for uv in case.unit_values.values():
        _row(
            ws,
            [
                uv.code,
                uv.outcome,
                uv.agency,
                uv.fiscal,
                uv.economic,
                uv.social,
                uv.price_year,
                uv.source,
            ],
            money=(3, 4, 5),
        )
    _row(ws, [])
    _row(
        ws,
        ["Outcome", "Unit cost", "Confidence grade", "Optimism bias", "Lag", "Duration", "Notes"],
    )
    for o in case.outcomes:
        ob = case.grades.fraction(o.confidence)
        _row(ws, [o.name, o.unit_cost, o.confidence, ob, o.lag, o.duration, o.notes])
    for issue in case.issues:
        _row(ws, ["Warning", issue.slug, issue.field, issue.message])


def _by_year(ws: Worksheet, appraisal: Appraisal) -> None:
    res = appraisal.result
    labels = [res.case.year_label(t) for t in range(res.case.years)]
    money = tuple(range(2, 2 + len(labels)))
    _row(ws, ["Agency", "Line", *labels])
    _row(ws, ["", "discount factor", *res.discount_factors])
    for line in res.agencies.values():
        rows = [
            ("costs", line.costs),
            ("gross fiscal benefit", line.fiscal),
            ("cashable", line.cashable),
            ("non-cashable", line.non_cashable),
            ("net fiscal benefit", line.net),
        ]
        for label, values in rows:
            _row(ws, [line.name, label, *map(_money, values)], money=money)
    for label, values in [
        ("costs", res.costs),
        ("fiscal benefit", res.fiscal),
        ("economic value", res.economic),
        ("social value", res.social),
        ("public value", res.public),
    ]:
        _row(ws, ["All agencies", label, *map(_money, values)], money=money)


def _matrix(ws: Worksheet, appraisal: Appraisal) -> None:
    res = appraisal.result
    _row(ws, ["Agency", "Level", "Pays (PV)", "Benefits (PV)", "Cashable", "Non-cashable", "Net"])
    for line in res.agencies.values():
        values = [line.pv_costs, line.pv_fiscal, line.pv_cashable]
        values += [line.pv_fiscal - line.pv_cashable, line.pv_fiscal - line.pv_costs]
        _row(ws, [line.name, line.level, *map(_money, values)], money=(2, 3, 4, 5, 6))
    for level, t in res.level_totals().items():
        cells = [_money(t["costs_pence"]), _money(t["benefits_pence"]), None, None]
        _row(ws, [f"All {level}", level, *cells, _money(t["net_pence"])], money=(2, 3, 6))
    _row(ws, [])
    _row(ws, ["Payer", "Beneficiary", "Saving bought (PV, split by share of costs)"])
    for payer, beneficiary, pence in res.flows:
        _row(ws, [payer, beneficiary, _money(pence)], money=(2,))


def _summary(ws: Worksheet, appraisal: Appraisal) -> None:
    res = appraisal.result
    d = res.to_dict()
    fiscal = d["fiscal"]
    assert isinstance(fiscal, dict)
    _row(ws, ["Measure", "Public value", "Fiscal"])
    _row(ws, ["PV costs", _money(res.pv_costs), _money(res.pv_costs)], money=(1, 2))
    _row(ws, ["PV benefits", _money(res.pv_public), _money(res.pv_fiscal)], money=(1, 2))
    _row(ws, ["NPV", _money(res.npv), _money(res.fiscal_npv)], money=(1, 2))
    _row(ws, ["Benefit-cost ratio", res.bcr, fiscal["bcr"]])
    _row(ws, ["Net ROI", res.roi, fiscal["roi"]])
    _row(ws, ["Payback (years)", res.payback_years, res.fiscal_payback_years])
    _row(ws, ["PV economic value", _money(res.pv_economic)], money=(1,))
    _row(ws, ["PV social value", _money(res.pv_social)], money=(1,))
    mc = appraisal.monte_carlo
    if mc is not None:
        _row(ws, [])
        _row(ws, ["Monte Carlo draws", mc.draws])
        _row(ws, ["Seed", mc.seed])
        _row(ws, ["P(NPV > 0)", mc.p_npv_positive])
        for label, pence in zip(("NPV P10", "NPV P50", "NPV P90"), mc.npv_pence, strict=True):
            _row(ws, [label, _money(pence)], money=(1,))
        for label, ratio in zip(("BCR P10", "BCR P50", "BCR P90"), mc.bcr, strict=True):
            _row(ws, [label, ratio])
    if appraisal.tornado:
        _row(ws, [])
        _row(ws, ["Tornado input", "Low", "High", "NPV at low", "NPV at high", "Swing"])
        for bar in appraisal.tornado:
            npvs = [bar.npv_low_pence, bar.npv_high_pence, bar.swing_pence]
            _row(ws, [bar.param, bar.low, bar.high, *map(_money, npvs)], money=(3, 4, 5))


def write_workbook(path: Path, appraisal: Appraisal) -> None:
    """Write the case to ``path`` as .xlsx (assumptions, by agency and year, matrix, summary)."""
    wb = Workbook()
    sheets = [
        ("Summary", _summary),
        ("Assumptions", _assumptions),
        ("By agency and year", _by_year),
        ("Matrix", _matrix),
    ]
    first = wb.active
    assert first is not None
    wb.remove(first)
    for title, fill in sheets:
        fill(wb.create_sheet(title), appraisal)
    try:
        wb.save(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the workbook: {exc.strerror}") from exc
