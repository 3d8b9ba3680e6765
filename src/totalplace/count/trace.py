"""Drill a cell of the count down to what produced it: the spend rows for
transaction lines, the workbook cell and key for outturn and apportioned ones,
and for a service a council's outturn gives because its payments show none,
that basis and the reason."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from totalplace.count.capital import LABELS_SCHEMA, set_apart_kind
from totalplace.count.cube import levying_bodies
from totalplace.count.funding import MIX_FLAG
from totalplace.count.place_count import PlaceCount
from totalplace.count.transactions import (
    BY_RULES,
    SpendRows,
    cell_rows,
    open_spend_rows,
    read_parts,
)
from totalplace.orgs import org_registry, resolve_names
from totalplace.orgs.resolve import ORGS_DIR
from totalplace.workspace import Workspace

ROW_LIMIT = 50


@dataclass(frozen=True)
class SourceRow:
    path: str
    line: int
    paying_body: str
    supplier: str | None
    date: str | None
    pence: int
    rule_id: str | None
    # rules, model or unclassified (as the count's classification shares say);
    # a row the model classified may still carry the catch-all rule it fell to
    classified_by: str = BY_RULES


@dataclass
class Trace:
    agency: str
    theme: str
    pence: int
    lines: list[dict[str, Any]] = field(default_factory=list)
    rows: list[SourceRow] = field(default_factory=list)
    rows_total: int = 0  # all matching rows, of which ``rows`` shows the largest
    rows_pence: int = 0
    # for lines a council's outturn gives where its payments show nothing: the
    # basis and why, since no spend row stands behind them
    basis: list[str] = field(default_factory=list)
    # when the count has no agency of that name: the nearest names it has
    nearest: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows": [asdict(r) for r in self.rows]}


def trace(
    ws: Workspace,
    count: PlaceCount,
    agency: str,
    theme: str,
    limit: int = ROW_LIMIT,
    engine: str = "duckdb",
) -> Trace:
    """The count's lines for one agency and theme, and for transaction lines
    the spend rows behind them (the ``limit`` largest, with the total of all).

    ``agency`` may be any name or alias the organisation registry knows for
    the body the count names (``Gateshead Council`` finds ``Gateshead
    Metropolitan Borough Council``).  The rows are chosen by the count's own
    definition of a cell (:func:`totalplace.count.transactions.cell_rows`) on
    ``engine``, so they add up to the transaction lines."""
    agency, nearest = agency_in_count(ws, count, agency)
    lines = [x for x in count.lines if x.agency == agency and x.theme == theme]
    result = Trace(agency, theme, sum(x.pence for x in lines), [x.to_dict() for x in lines])
    result.nearest = nearest
    for x in lines:
        if x.basis:
            why = "; ".join(f for f in x.flags if f != MIX_FLAG)
            result.basis.append(f"{x.pence} pence from the {x.basis}: {why}")
    payer_of = {x.payer: bool(x.body) for x in lines if x.method == "transactions" and x.payer}
    payers = sorted(payer_of)
    if not payers:
        return result
    # a council whose payments split its outturn (its lines carry its E-code)
    splitting = sorted(p for p, split in payer_of.items() if split)
    with ws.catalog(read_only=True) as cat:
        paths = dict(cat.execute("SELECT file_id, path FROM files").fetchall())
    with open_spend_rows(ws, count.year, engine) as spend:
        if spend is None:
            return result
        rows = cell_rows(spend.table, payers, theme)
        if splitting:
            rows = _without_set_apart(ws, spend, rows, splitting, sorted(paths))
        total = rows.aggregate(
            rows=rows.count(), pence=rows.amount_pence.sum().fill_null(0).cast("int64")
        )
        size = rows.amount_pence.abs()
        top = rows.order_by([size.desc(), rows.file_id, rows.source_line]).limit(limit)
        top = top.select(
            "file_id",
            "source_line",
            "paying_body",
            "supplier_name",
            date=top.period_start.cast("string"),
            pence=top.amount_pence,
            rule_id=top.rule_id,
            classified_by=top.classified_by,
            size=top.amount_pence.abs(),
        )
        # written by the engine and read back with DuckDB, as the count does
        spend.backend.write_parquet(total, spend.work / "total")
        spend.backend.write_parquet(top, spend.work / "top")
        summed = read_parts(spend.work / "total").to_pylist()
        found = read_parts(spend.work / "top").to_pylist()
    if summed:
        result.rows_total, result.rows_pence = int(summed[0]["rows"]), int(summed[0]["pence"])
    found.sort(key=lambda r: (-int(r["size"]), str(r["file_id"]), int(r["source_line"])))
    result.rows = [
        SourceRow(
            path=str(paths.get(r["file_id"], r["file_id"])),
            line=int(r["source_line"]),
            paying_body=r["paying_body"],
            supplier=r["supplier_name"],
            date=r["date"],
            pence=int(r["pence"]),
            rule_id=r["rule_id"],
            classified_by=r["classified_by"],
        )
        for r in found
    ]
    return result


def _without_set_apart(
    ws: Workspace, spend: SpendRows, rows: ir.Table, splitting: list[str], file_ids: list[str]
) -> ir.Table:
    """``rows`` less what the count takes out of a council's payments before
    they split its outturn: capital and council-housing payments
    (:func:`totalplace.count.capital.set_apart_kind`) and payments to levying
    bodies with an outturn of their own (levies, pass-through)."""
    registry = org_registry(ws.root / ORGS_DIR)
    levying = sorted(levying_bodies(registry))
    paths = [ws.table_path("rows", i) for i in file_ids]
    labels = spend.backend.read_parquet(paths, "tp_trace_labels", LABELS_SCHEMA)
    joined = rows.join(labels, ["file_id", "source_line"])
    kind = set_apart_kind(joined)
    levy = joined.payee_body.isin(levying).fill_null(False) if levying else ibis.literal(False)
    kept = joined.filter(~joined.paying_body.isin(splitting) | (kind.isnull() & ~levy))
    return kept.select(*rows.columns)


def agency_in_count(ws: Workspace, count: PlaceCount, name: str) -> tuple[str, list[str]]:
    """The count's name for the body ``name`` stands for, and, when the count
    has none, the nearest names it does have (to offer instead).

    A name the count uses is taken as it is.  Otherwise the name and the
    count's agencies are resolved with the organisation registry (shipped
    bodies, their aliases and the workspace's own ``orgs/``), and an agency
    of the same body is the one meant; a line's body code counts too."""
    agencies = sorted({x.agency for x in count.lines})
    if name in agencies:
        return name, []
    registry = org_registry(ws.root / ORGS_DIR)
    asked, *theirs = resolve_names([name, *agencies], registry)
    if asked.status == "accepted" and asked.body_id:
        body = registry.get(asked.body_id)
        # an agency named for the body first; a line carrying the body's code
        # only when none is (a levy line carries its payer's code, not its name)
        same = sorted(a for a, r in zip(agencies, theirs, strict=True) if r.body_id == body.id)
        if not same:
            codes = {body.id, *(code for _, code in body.codes)}
            same = sorted({x.agency for x in count.lines if x.body and x.body in codes})
        if len(same) == 1:
            return same[0], []
        if same:  # more than one of the count's agencies is that body: let the user choose
            return name, same
    by_case = {a.casefold(): a for a in agencies}
    if name.casefold() in by_case:
        return by_case[name.casefold()], []
    nearest = difflib.get_close_matches(name, agencies, n=5, cutoff=0.4)
    words = set(name.casefold().split())
    nearest += [a for a in agencies if words & set(a.casefold().split()) and a not in nearest]
    return name, nearest[:5]
