"""The workbook's "Bases" sheet: how the count holds each agency (gross from
its payments, net from its own outturn, or top down as a share of regional
lines), and for each body counted gross the bridge from its payments to its
outturn, so a reader sees which figures can net off against which."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from totalplace.count.place_count import PlaceCount
from totalplace.sheets import append_row, header, pounds


def write_bases(sheet: Worksheet, count: PlaceCount) -> None:
    header(sheet, ["agency", "basis", "£", "how"], [45, 10, 18, 70])
    for b in count.bases:
        append_row(sheet, [b.agency, b.basis, pounds(b.pence), b.how], money=(2,))
    if not count.bridges:
        return
    append_row(sheet, [])
    header(
        sheet,
        [
            "counted gross",
            "months",
            "payments counted £",
            "pass-through £",
            "capital £",
            "net current expenditure £",
            "outturn lines replaced £",
            "added to the count £",
            "grants in its outturn £",
        ],
    )
    for r in count.bridges:
        append_row(
            sheet,
            [
                r.agency,
                r.months,
                pounds(r.payments_pence),
                pounds(r.pass_through_pence),
                pounds(r.capital_pence),
                None if r.outturn_pence is None else pounds(r.outturn_pence),
                pounds(r.replaced_pence),
                pounds(r.difference_pence),
                pounds(sum(r.grants_pence.values())),
            ],
            money=(2, 3, 4, 5, 6, 7, 8),
        )
