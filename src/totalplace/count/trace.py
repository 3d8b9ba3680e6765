"""Drill a cell of the count down to what produced it: the spend rows for
transaction lines, the workbook cell and key for outturn and apportioned ones,
and for a service a council's outturn gives because its payments show none,
that basis and the reason."""

from __future__ import annotations

import contextlib
import difflib
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir

from totalplace.backends import Backend
from totalplace.count.capital import LABELS_SCHEMA, set_apart_kind
from totalplace.count.cube import levying_bodies
from totalplace.count.funding import MIX_FLAG
from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.count.transactions import (
    BY_RULES,
    SpendRows,
    cell_rows,
    open_spend_rows,
    read_parts,
)
from totalplace.errors import ConfigError, TotalPlaceError
from totalplace.orgs import org_registry, resolve_names
from totalplace.orgs.resolve import ORGS_DIR
from totalplace.workspace import Workspace

ROW_LIMIT = 50
# How a cell's rows may be listed: by the size of the payment (a refund of
# £5,000 ranks with a payment of £5,000), by date, by supplier or by file and
# line; ties always fall to file and line, so pages never overlap.
ROW_SORTS = ("amount", "date", "supplier", "file")


@dataclass(frozen=True)
class RowQuery:
    """Which of a cell's rows to list, and in what order.  The filter narrows
    the rows listed, never the cell: ``Trace.rows_pence`` stays the cell's
    total and ``Trace.matched_pence`` is what the filter keeps."""

    sort: str = "amount"  # one of ROW_SORTS
    descending: bool = True
    supplier: str = ""  # rows whose supplier name holds this, in any case
    date_from: date | None = None  # rows paid on or after this day
    date_to: date | None = None  # rows paid on or before this day

    def filters(self) -> bool:
        return bool(self.supplier) or self.date_from is not None or self.date_to is not None


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
    rows_total: int = 0  # all the cell's rows, of which ``rows`` shows the largest
    rows_pence: int = 0
    # the rows a RowQuery's filter keeps (all the cell's rows when it has none)
    matched_total: int = 0
    matched_pence: int = 0
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
    query: RowQuery | None = None,
    offset: int = 0,
    seconds: float | None = None,
) -> Trace:
    """The count's lines for one agency and theme, and for transaction lines
    the spend rows behind them (the ``limit`` largest, with the total of all).

    ``query`` filters and orders the rows listed (largest first by default)
    and ``offset`` skips that many of them, so a page of a long cell is read
    from the engine without the rows before it coming back to Python.  With
    ``seconds``, a DuckDB query running longer is stopped (QueryTimeLimit).

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
    payer_of = _payers(lines)
    if not payer_of:
        return result
    with ws.catalog(read_only=True) as cat:
        paths = dict(cat.execute("SELECT file_id, path FROM files").fetchall())
    with open_spend_rows(ws, count.year, engine) as spend:
        if spend is None:
            return result
        rows = _rows_behind(ws, spend, payer_of, theme, sorted(paths))
        query = query or RowQuery()
        kept = _matching(rows, query)
        total = rows.aggregate(
            rows=rows.count(),
            pence=rows.amount_pence.sum().fill_null(0).cast("int64"),
            matched=rows.count(where=kept),
            matched_pence=rows.amount_pence.sum(where=kept).fill_null(0).cast("int64"),
        )
        shown = rows.filter(kept)
        key = _sort_key(shown, query.sort).name("sort_key")
        first = key.desc() if query.descending else key.asc()
        top = shown.order_by([first, shown.file_id, shown.source_line]).limit(limit, offset=offset)
        top = top.select(
            "file_id",
            "source_line",
            "paying_body",
            "supplier_name",
            date=top.period_start.cast("string"),
            pence=top.amount_pence,
            rule_id=top.rule_id,
            classified_by=top.classified_by,
            sort_key=_sort_key(top, query.sort),
        )
        # written by the engine and read back with DuckDB, as the count does
        with time_limit(spend.backend, seconds):
            spend.backend.write_parquet(total, spend.work / "total")
            spend.backend.write_parquet(top, spend.work / "top")
        summed = read_parts(spend.work / "total").to_pylist()
        found = read_parts(spend.work / "top").to_pylist()
    if summed:
        result.rows_total, result.rows_pence = int(summed[0]["rows"]), int(summed[0]["pence"])
        result.matched_total = int(summed[0]["matched"])
        result.matched_pence = int(summed[0]["matched_pence"])
    # the engine's parts come back in any order: put the page in the query's
    # order again (Python's sort is stable, reversed or not, so ties stay in
    # file and line order as the engine chose them)
    found.sort(key=lambda r: (str(r["file_id"]), int(r["source_line"])))
    found.sort(key=lambda r: r["sort_key"], reverse=query.descending)
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


class QueryTimeLimit(TotalPlaceError):
    """A query ran past the time it was given (the dashboard's limit)."""


@contextlib.contextmanager
def time_limit(backend: Backend, seconds: float | None) -> Iterator[None]:
    """Stop the DuckDB queries run inside after ``seconds`` (QueryTimeLimit),
    so one slow page cannot hold the server.  Spark queries run unlimited:
    a local Spark has no such interrupt."""
    con: Any = getattr(getattr(backend, "con", None), "con", None)
    if seconds is None or not hasattr(con, "interrupt"):
        yield
        return
    import duckdb

    # an interrupt landing after the query has finished is harmless: DuckDB
    # clears it when the next query starts
    timer = threading.Timer(seconds, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    except duckdb.InterruptException as exc:
        raise QueryTimeLimit(
            f"the query ran past its {seconds:g} s: narrow it (a filter, a page nearer "
            "the start) or try again when the server is less busy"
        ) from exc
    finally:
        timer.cancel()


def _payers(lines: list[CountLine]) -> dict[str, bool]:
    """The paying bodies (as their spend files name them) of the transaction
    lines given, each with whether its payments split a council's outturn
    (such a line carries the council's E-code)."""
    return {x.payer: bool(x.body) for x in lines if x.method == "transactions" and x.payer}


def _rows_behind(
    ws: Workspace, spend: SpendRows, payer_of: dict[str, bool], theme: str, file_ids: list[str]
) -> ir.Table:
    """The spend rows the count summed into the transaction lines of these
    payers and ``theme``: the count's cell (:func:`cell_rows`), less what a
    council splitting its outturn sets apart."""
    rows = cell_rows(spend.table, sorted(payer_of), theme)
    splitting = sorted(p for p, split in payer_of.items() if split)
    if splitting:
        rows = _without_set_apart(ws, spend, rows, splitting, file_ids)
    return rows


@dataclass(frozen=True)
class ThemeSupplier:
    """One payee of a theme's payments: a public body the registry resolved
    its names to (its rows under every name it is paid as), or else a name."""

    name: str
    body_id: str | None
    pence: int
    rows: int
    payers: int  # how many of the place's paying bodies paid it for the theme


@dataclass
class ThemeSuppliers:
    theme: str
    total: int = 0  # payees in all
    pence: int = 0  # the theme's lines from payments, which the payees add up to
    suppliers: list[ThemeSupplier] = field(default_factory=list)


def theme_suppliers(
    ws: Workspace,
    count: PlaceCount,
    theme: str,
    limit: int = ROW_LIMIT,
    offset: int = 0,
    engine: str = "duckdb",
    seconds: float | None = None,
) -> ThemeSuppliers:
    """Who the place's bodies paid for ``theme``, largest first (net of
    refunds), from the same rows :func:`trace` lists for each of the theme's
    cells, so the payees add up to the theme's lines from payments.  A payee
    resolved to a public body is one payee whatever names its rows use."""
    result = ThemeSuppliers(theme)
    payer_of = _payers([x for x in count.lines if x.theme == theme])
    if not payer_of:
        return result
    with ws.catalog(read_only=True) as cat:
        file_ids = [r[0] for r in cat.execute("SELECT file_id FROM files").fetchall()]
    with open_spend_rows(ws, count.year, engine) as spend:
        if spend is None:
            return result
        rows = _rows_behind(ws, spend, payer_of, theme, sorted(file_ids))
        name = rows.supplier_name.fill_null("")
        keyed = rows.mutate(
            payee=ibis.cases((rows.payee_body.notnull(), "body:" + rows.payee_body), else_=name),
            name=name,
        )
        grouped = keyed.group_by("payee").aggregate(
            name=keyed.name.max(),
            body_id=keyed.payee_body.max(),
            pence=keyed.amount_pence.sum().cast("int64"),
            rows=keyed.count(),
            payers=keyed.paying_body.nunique(),
        )
        total = grouped.aggregate(
            payees=grouped.count(), pence=grouped.pence.sum().fill_null(0).cast("int64")
        )
        top = grouped.order_by([grouped.pence.desc(), grouped.payee]).limit(limit, offset=offset)
        with time_limit(spend.backend, seconds):
            spend.backend.write_parquet(total, spend.work / "total")
            spend.backend.write_parquet(top, spend.work / "top")
        summed = read_parts(spend.work / "total").to_pylist()
        found = read_parts(spend.work / "top").to_pylist()
    if summed:
        result.total, result.pence = int(summed[0]["payees"]), int(summed[0]["pence"])
    found.sort(key=lambda r: (-int(r["pence"]), str(r["payee"])))
    registry = org_registry(ws.root / ORGS_DIR)
    for r in found:
        body, name = r["body_id"], str(r["name"])
        # a body of orgs/ removed since the payees were resolved keeps its rows' name
        with contextlib.suppress(ConfigError):
            name = registry.get(body).name if body else name
        result.suppliers.append(
            ThemeSupplier(
                name=name,
                body_id=body,
                pence=int(r["pence"]),
                rows=int(r["rows"]),
                payers=int(r["payers"]),
            )
        )
    return result


def _matching(rows: ir.Table, query: RowQuery) -> ir.BooleanValue:
    """The rows ``query``'s filter keeps (every row when it has none)."""
    kept: ir.BooleanValue = ibis.literal(True)
    if query.supplier:
        needle = query.supplier.lower()
        kept &= rows.supplier_name.lower().contains(needle).fill_null(False)
    if query.date_from is not None:
        kept &= rows.period_start >= query.date_from
    if query.date_to is not None:
        kept &= rows.period_start <= query.date_to
    return kept


def _sort_key(rows: ir.Table, sort: str) -> ir.Value:
    """The value a row is listed by for ``sort`` (one of ROW_SORTS)."""
    if sort == "amount":
        return rows.amount_pence.abs()
    if sort == "date":
        return rows.period_start.cast("string")  # ISO dates sort as their text
    if sort == "supplier":
        return rows.supplier_name.lower().fill_null("")
    if sort == "file":
        return rows.file_id  # grouped by file, each in line order (the tie-break)
    raise ValueError(f"sort is one of {', '.join(ROW_SORTS)}; got {sort!r}")


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
