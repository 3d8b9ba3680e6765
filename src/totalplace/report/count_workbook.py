"""The count as an Excel workbook a finance officer would accept: summary,
charts, by agency, by theme, the prevention tiers by theme, every line with its
source, transfers, pass-through, the capital and council-housing payments set
apart, reconciliation and coverage, ingest issues and provenance.

Themes, methods and tiers are written in words (the taxonomy's labels), money
as pounds with a pound format and shares as numbers with a percentage format,
so the sheets can be charted and summed as they stand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from totalplace.classify.taxonomy import default_taxonomy, theme_label
from totalplace.count.capital import NOT_IN_REFERENCE
from totalplace.count.funding import MIX_FLAG
from totalplace.count.place_count import PlaceCount
from totalplace.report.charts import Chart, Table, write_charts
from totalplace.report.gross_sheet import write_bases
from totalplace.report.labels import kind_label, method_label, part_label, tier_label
from totalplace.sheets import Cell, append_row, header, pounds
from totalplace.workspace import Workspace

ISSUE_LIMIT = 20_000  # rows of the issues sheet; the rest are counted, not listed
# what a sheet with no rows means, said in its first row
EMPTY = {
    "Transfers": "no payments between the place's bodies",
    "Pass-through": "no payments passed on (precepts, levies, grants paid on)",
    "Reconciliation": "no agency counted from its payments",
    "Bases": "no agency in the count",
}


def write_count_workbook(path: Path, count: PlaceCount, ws: Workspace) -> None:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    _summary(summary, count)
    charts = book.create_sheet("Charts")
    agencies = _by_agency(book.create_sheet("By agency"), count)
    themes = _by(book.create_sheet("By theme"), count, "theme", theme_label)
    _by(book.create_sheet("By funder"), count, "funder", str)
    _by(book.create_sheet("By method"), count, "method", method_label)
    tiers = _tiers_by_theme(book.create_sheet("Prevention by theme"), count)
    write_charts(
        charts,
        [
            Chart("Spending by theme", themes),
            Chart("Spending by agency", agencies),
            Chart("Prevention and crisis: each theme by tier", tiers, stacked=True),
        ],
    )
    _lines(book.create_sheet("Lines"), count)
    _transfers(book.create_sheet("Transfers"), count)
    passing = book.create_sheet("Pass-through")
    header(passing, ["agency", "theme", "£", "source"], [40, 20, 18, 60])
    for x in count.pass_through:
        row: list[Cell] = [x.agency, theme_label(x.theme), pounds(x.pence), x.source]
        append_row(passing, row, money=(2,))
    _set_apart(book.create_sheet("Set apart"), count)
    _coverage(book.create_sheet("Reconciliation"), count)
    write_bases(book.create_sheet("Bases"), count)  # gross, net or top down
    _issues(book.create_sheet("Ingest issues"), ws)
    _provenance(book.create_sheet("Provenance"), ws)
    for sheet in book.worksheets:
        if sheet.max_row == 1:  # a header alone would read as a table left blank
            append_row(sheet, [EMPTY.get(sheet.title, "none")])
    tmp = path.with_name(path.name + ".tmp")
    book.save(tmp)
    tmp.replace(path)


CLASSIFIED_COLUMNS = [
    "payments counted £",
    "classified by rules £",
    "by rules share",
    "classified by the model £",
    "by model share",
    "unclassified £",
    "unclassified share",
]


def _by(sheet: Worksheet, count: PlaceCount, attr: str, label: Callable[[str], str]) -> Table:
    """The count by one dimension, each key in words, with its share of the
    total (largest first, as ``PlaceCount.by`` orders them)."""
    header(sheet, [attr, "£", "share"], [60, 18, 10])
    total = count.total_pence or 1
    found = count.by(attr)
    for key, pence in found.items():
        append_row(sheet, [label(key), pounds(pence), round(pence / total, 4)], (1,), (2,))
    return Table(sheet, 1, len(found), 1, 2, 2)


def _tiers_by_theme(sheet: Worksheet, count: PlaceCount) -> Table:
    """Each theme's lines split by prevention tier (universal, targeted,
    acute), then the transfers between the place's bodies eliminated from the
    theme, so each row adds up to the theme's figure on "By theme". The chart
    stacks the tiers alone: an eliminated transfer carries no tier."""
    order = list(default_taxonomy().tiers)
    split: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in count.lines:
        split[line.theme][line.tier] += line.pence
        if line.tier not in order:
            order.append(line.tier)
    eliminated: dict[str, int] = defaultdict(int)
    for t in count.transfers:
        if t.eliminated:
            eliminated[t.theme] -= t.pence
    names = ["theme", *(f"{tier_label(t)} £" for t in order)]
    header(sheet, [*names, "transfers eliminated £", "£"], [60] + [22] * (len(order) + 2))
    themes = count.by("theme")
    money = tuple(range(1, len(order) + 3))
    for theme, pence in themes.items():
        tiers: list[Cell] = [pounds(split[theme][t]) for t in order]
        row = [theme_label(theme), *tiers, pounds(eliminated[theme]), pounds(pence)]
        append_row(sheet, row, money=money)
    return Table(sheet, 1, len(themes), 1, 2, 1 + len(order))


def _by_agency(sheet: Worksheet, count: PlaceCount) -> Table:
    """Each agency's figure and, for one counted from its payments, how those
    payments got their themes: by value of its revenue payments in the year that
    are not pass-through (what its transaction lines add up to)."""
    header(sheet, ["agency", "£", "share", *CLASSIFIED_COLUMNS], [60, 18, 10] + [16] * 7)
    total = count.total_pence or 1
    known = {c.agency: c for c in count.classification}
    found = count.by("agency")
    for key, pence in found.items():
        row: list[Cell] = [key, pounds(pence), round(pence / total, 4)]
        if (c := known.get(key)) is not None:
            row.append(pounds(c.total_pence))
            for part in (c.rules_pence, c.model_pence, c.unclassified_pence):
                share = c.share(part)
                row += [pounds(part), None if share is None else round(share, 4)]
        append_row(sheet, row, money=(1, 3, 4, 6, 8), share=(2, 5, 7, 9))
    return Table(sheet, 1, len(found), 1, 2, 2)


def _summary(sheet: Worksheet, count: PlaceCount) -> None:
    header(sheet, ["item", "value"], [48, 24])
    rows: list[tuple[str, object]] = [
        ("Place", count.place.name),
        ("Authorities", ", ".join(count.place.units)),
        ("Year", count.year),
        ("Residents", count.population),
    ]
    for label, value in rows:
        append_row(sheet, [label, str(value) if not isinstance(value, int) else value])
    money = [
        ("Total", count.total_pence),
        ("Bottom up (transactions)", count.bottom_up_pence),
        ("Top down (outturn, outturn less payments, apportioned)", count.top_down_pence),
        ("Transfers eliminated", count.transfers_eliminated_pence),
        ("Pass-through (shown, not counted)", count.pass_through_pence),
        (
            "Capital and council housing set apart (shown, not counted)",
            sum(x.pence for x in count.set_apart),
        ),
    ]
    for label, pence in money:
        append_row(sheet, [label, pounds(pence)], money=(1,))
    per_head = round(count.total_pence / count.population) if count.population else 0
    append_row(sheet, ["Per head", pounds(per_head)], money=(1,))
    append_row(sheet, ["Check: total = bottom up + top down - transfers eliminated", "holds"])
    for w in count.warnings:
        append_row(sheet, [f"Warning ({w.slug})", w.message])
    for x in count.lines:
        if x.basis:
            reason = "; ".join(f for f in x.flags if f != MIX_FLAG)
            what = f"{x.agency}: {theme_label(x.theme)} counted from its {x.basis}; {reason}"
            append_row(sheet, [what, pounds(x.pence)], money=(1,))
    _basis_rows(sheet, count)
    for note in count.notes:
        append_row(sheet, ["Note", note])


def _basis_rows(sheet: Worksheet, count: PlaceCount) -> None:
    """Local government on one basis: where councils' outturn replaced the
    regional (CRA) local-government lines, both figures and the difference, so a
    reader can see what the choice of basis moves."""
    found = count.local_government_basis
    if not found:
        return
    append_row(sheet, ["Local government basis", str(found.get("basis", ""))])
    outturn = found.get("outturn_pence")
    if not found.get("regional_replaced_pence") and not outturn:
        return
    for label, name in (
        ("Local government: council outturn counted", "outturn_pence"),
        ("Local government: regional (CRA) lines it replaced", "regional_replaced_pence"),
        ("Local government: outturn less regional", "difference_pence"),
    ):
        append_row(sheet, [label, pounds(int(found.get(name) or 0))], money=(1,))


def _lines(sheet: Worksheet, count: PlaceCount) -> None:
    cols = [
        "agency",
        "agency type",
        "funder",
        "theme",
        "function",
        "tier",
        "capital/revenue",
        "method",
        "part",
        "gross/net",
        "grade",
        "£",
        "source",
        "flags",
        "basis",
        "key",
        "key year",
        "source basis",
    ]
    widths = [36, 18, 30, 24, 28, 14, 12, 12, 10, 24, 6, 18, 60, 40, 40, 22, 8, 16]
    header(sheet, cols, widths)
    for x in count.lines:
        append_row(
            sheet,
            [
                x.agency,
                kind_label(x.agency_type),
                x.funder,
                theme_label(x.theme),
                x.function,
                tier_label(x.tier),
                x.capital_revenue,
                method_label(x.method),
                part_label(x.part),
                x.gross_net,
                x.grade,
                pounds(x.pence),
                x.source,
                "; ".join(x.flags),
                x.basis,
                x.key,
                x.key_year,
                x.source_basis,
            ],
            money=(11,),
        )


def _transfers(sheet: Worksheet, count: PlaceCount) -> None:
    header(
        sheet,
        ["payer", "payee", "payee kind", "theme", "£", "rows", "eliminated", "why"],
        [30, 40, 18, 22, 18, 8, 10, 70],
    )
    for t in count.transfers:
        append_row(
            sheet,
            [
                t.agency,
                t.payee,
                kind_label(t.payee_kind),
                theme_label(t.theme),
                pounds(t.pence),
                t.rows,
                "yes" if t.eliminated else "no",
                t.reason,
            ],
            money=(4,),
        )


def _set_apart(sheet: Worksheet, count: PlaceCount) -> None:
    """A council's capital and council-housing payments, kept out of the split
    of its revenue outturn: each line with its kind and source, and why none of
    it is in the total."""
    header(
        sheet,
        ["agency", "kind", "theme", "tier", "capital/revenue", "grade", "£", "source"],
        [36, 60, 24, 14, 16, 6, 18, 60],
    )
    for x in count.set_apart:
        kind = x.flags[0] if x.flags else theme_label(x.service)
        theme = theme_label(x.theme)
        row: list[Cell] = [x.agency, kind, theme, tier_label(x.tier), x.capital_revenue, x.grade]
        append_row(sheet, [*row, pounds(x.pence), x.source], money=(6,))
    if not count.set_apart:
        append_row(sheet, ["no payments set apart as capital or council housing"])
    if count.set_apart_against:  # each council's payments beside the account they belong to
        names = ["agency", "set apart as", "payments £", "set against", "year", "£", "share"]
        header(sheet, [*names, "note"])
        for a in count.set_apart_against:
            ref = None if a.reference_pence is None else pounds(a.reference_pence)
            cells: list[Cell] = [a.agency, a.kind, pounds(a.payments_pence), a.reference]
            cells += [a.reference_year or "not shipped", ref, a.share, a.note]
            append_row(sheet, cells, money=(2, 5), share=(6,))
    append_row(sheet, ["Not counted", NOT_IN_REFERENCE])


def _coverage(sheet: Worksheet, count: PlaceCount) -> None:
    header(
        sheet,
        [
            "agency",
            "first",
            "last",
            "months",
            "transactions £",
            "outturn control £",
            "share",
            "services from outturn £",
        ],
        [30, 12, 12, 8, 18, 18, 8, 22],
    )
    for c in count.coverage:
        share = round(c.transactions_pence / c.control_pence, 4) if c.control_pence else None
        append_row(
            sheet,
            [
                c.agency,
                c.first,
                c.last,
                c.months,
                pounds(c.transactions_pence),
                pounds(c.control_pence),
                share,
                pounds(c.outturn_services_pence),
            ],
            money=(4, 5, 7),
            share=(6,),
        )


def _issues(sheet: Worksheet, ws: Workspace) -> None:
    header(sheet, ["file", "line", "slug", "severity", "field", "value", "message"])
    if not ws.committed_ids():
        append_row(sheet, ["no spend files ingested"])
        return
    with ws.connect() as con:
        total = con.execute("SELECT count(*) FROM issues").fetchone()
        rows = con.execute(
            "SELECT file, line, slug, severity, field, value, message FROM issues "
            "ORDER BY file, line, slug LIMIT $n",
            {"n": ISSUE_LIMIT},
        ).fetchall()
    for r in rows:
        append_row(sheet, [None if v is None else (v if isinstance(v, int) else str(v)) for v in r])
    if total and total[0] > ISSUE_LIMIT:
        append_row(sheet, [f"... and {total[0] - ISSUE_LIMIT:,} more: see the ingest report"])


def _provenance(sheet: Worksheet, ws: Workspace) -> None:
    cols = [
        "file_id",
        "path",
        "publisher",
        "ingested_at",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "amount_loaded_pence",
    ]
    header(sheet, cols, [20, 60, 30, 22, 10, 10, 10, 18])
    if not ws.committed_ids():
        append_row(sheet, ["no spend files ingested: the count is top down alone"])
        return
    with ws.connect() as con:
        found = con.execute(f"SELECT {', '.join(cols)} FROM files ORDER BY path").fetchall()
    for r in found:
        values: list[Cell] = [str(v) if not isinstance(v, int) else v for v in r]
        values[-1] = pounds(int(r[-1] or 0))
        append_row(sheet, values, money=(7,))
