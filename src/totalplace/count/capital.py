"""Capital and council-housing (HRA) payments, kept out of the revenue split.

A council's Revenue Outturn (net current expenditure) is its General Fund
revenue spending: it holds neither capital spending nor the Housing Revenue
Account (council housing, financed by council rents).  Its payments over
£500 hold all three, so before payments split the outturn, the count takes
out:

* **capital** payments: by the file's capital/revenue column where the row
  has one (``capital_revenue`` "C" or starting "cap"); where it has none, by rules
  on the expense type (capital, construction, building works, works to land
  and buildings, property acquisitions, infrastructure) and works
  contractors' names (construction, civil engineering, builders,
  contractors), marked as estimates;
* **council housing** payments: by rules on the service or expense type
  (Housing Revenue Account, HRA, council dwellings), marked as estimates.

They are shown as their own lines (``set_apart`` in the count), not added to
the place's total: the count's capital is HM Treasury's regional capital
lines, apportioned, and council housing is financed by rents, outside net
current expenditure.  Each council's council-housing payments are set against
its HRA expenditure (the RS workbooks' memorandum columns, from 2012-13; see
:mod:`totalplace.count.apart_against`); capital payments have nothing to be
set against, since councils' capital outturn is not shipped.

The rows are the count's own spend rows
(:func:`totalplace.count.transactions.spend_rows`), so a payment set apart
has exactly the payer, theme, tier and payee fields of the cell it is taken
out of.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import ibis
import ibis.expr.types as ir

from totalplace.count.transactions import (
    GROUP,
    TransactionGroup,
    in_revenue_lines,
    open_spend_rows,
    read_parts,
)
from totalplace.workspace import Workspace

CAPITAL_COLUMN = "capital (the file's capital/revenue column)"
CAPITAL_RULE = "capital (estimate: expense type or works contractor)"
HRA_RULE = "council housing, Housing Revenue Account (estimate: service or expense type)"
KINDS = (CAPITAL_COLUMN, CAPITAL_RULE, HRA_RULE)
# Rules, tried on lower-cased text.  An HRA row is council housing whether
# capital or revenue, so the HRA rule is tried on revenue rows first.
HRA_PATTERN = r"housing revenue account|\bh\.?r\.?a\b|council dwelling|council hous"
CAPITAL_EXPENSE = (
    r"capital|construction|building works|works and associated costs|works to (land|build)"
    r"|acquisition|land purchase|purchase of (land|property|buildings)|infrastructure|\binfra\b"
)
WORKS_CONTRACTOR = r"construction|civil engineering|\bbuilders?\b|\bcontractors?\b"
NOT_IN_REFERENCE = (
    "these payments are shown, not counted: capital is in the regional capital lines, "
    "apportioned (no councils' capital outturn is shipped to set it against); council "
    "housing, financed by rents, is outside net current expenditure and is set against the "
    "council's Housing Revenue Account"
)
LABELS_SCHEMA = ibis.schema(
    {
        "file_id": "string",
        "source_line": "int64",
        "service": "string",
        "department": "string",
        "expense_type": "string",
        "capital_revenue": "string",
    }
)


@dataclass(frozen=True)
class ApartGroup:
    """Payments of one cell of the count set apart as capital or council housing."""

    group: TransactionGroup  # the cell's fields, with these payments' pence and rows
    kind: str  # one of KINDS


def _text(column: ir.StringValue) -> ir.StringValue:
    return column.fill_null("").lower()


def set_apart_kind(rows: ir.Table) -> ir.StringValue:
    """Which of KINDS a revenue row of the spend table is, or null: the rules above.
    ``rows`` has the spend rows' ``capital`` and ``supplier_name`` and the
    labels ``service``, ``department``, ``expense_type`` and ``capital_revenue``."""
    labels = _text(rows.service) + " " + _text(rows.department) + " " + _text(rows.expense_type)
    column = _text(rows.capital_revenue).strip()
    no_column = column == ""
    return ibis.cases(
        # "C" is capital in files that code the column C/R (the spend rows read "cap..." only)
        ((column == "c") | column.startswith("cap"), ibis.literal(CAPITAL_COLUMN)),
        (labels.re_search(HRA_PATTERN), ibis.literal(HRA_RULE)),
        (
            no_column
            & (
                _text(rows.expense_type).re_search(CAPITAL_EXPENSE)
                | _text(rows.supplier_name).re_search(WORKS_CONTRACTOR)
            ),
            ibis.literal(CAPITAL_RULE),
        ),
        else_=ibis.null("string"),
    )


def load_set_apart(ws: Workspace, year: str, engine: str = "duckdb") -> list[ApartGroup]:
    """The year's revenue payments (not pass-through) that the rules set apart
    as capital or council housing, summed by the count's cells."""
    with open_spend_rows(ws, year, engine) as spend:
        if spend is None:
            return []
        table = spend.table.filter(in_revenue_lines(spend.table))
        paths = [ws.table_path("rows", i) for i in _file_ids(ws)]
        labels = spend.backend.read_parquet(paths, "tp_row_labels", LABELS_SCHEMA)
        joined = table.join(labels, ["file_id", "source_line"])
        kinded = joined.mutate(kind=set_apart_kind(joined))
        kinded = kinded.filter(kinded.kind.notnull())
        summed = kinded.group_by([*GROUP, "kind"]).aggregate(
            pence=kinded.amount_pence.sum(), rows=kinded.count()
        )
        spend.backend.write_parquet(summed, spend.work / "apart")
        cells = read_parts(spend.work / "apart").to_pylist()
    out = [
        ApartGroup(
            TransactionGroup.from_cell(c, pence=int(c["pence"] or 0), rows=int(c["rows"])),
            c["kind"],
        )
        for c in cells
    ]
    return sorted(out, key=lambda a: (a.kind, a.group.paying_body, a.group.theme, -a.group.pence))


def _file_ids(ws: Workspace) -> list[str]:
    with ws.catalog(read_only=True) as cat:
        return [r[0] for r in cat.execute("SELECT file_id FROM files ORDER BY file_id").fetchall()]


def _key(g: TransactionGroup) -> TransactionGroup:
    return replace(g, pence=0, rows=0)


def take_out(
    groups: list[TransactionGroup], apart: list[ApartGroup]
) -> tuple[list[TransactionGroup], list[ApartGroup]]:
    """``groups`` (one payer's cells) less the payments ``apart`` sets apart,
    and the set-apart payments (the column's capital too) of that payer."""
    less: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    mine = [a for a in apart if a.group.paying_body in {g.paying_body for g in groups}]
    for a in mine:
        cell = less[_key(a.group)]
        cell[0] += a.group.pence
        cell[1] += a.group.rows
    kept: list[TransactionGroup] = []
    shown: list[ApartGroup] = list(mine)
    for g in groups:
        if g.capital:
            shown.append(ApartGroup(g, CAPITAL_COLUMN))
            continue
        pence, rows = less.get(_key(g), (0, 0))
        if rows >= g.rows and pence == g.pence:
            continue
        kept.append(replace(g, pence=g.pence - pence, rows=g.rows - rows))
    return kept, shown
