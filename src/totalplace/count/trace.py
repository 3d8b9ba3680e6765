"""Drill a cell of the count down to what produced it: the spend rows for
transaction lines, the workbook cell and key for outturn and apportioned ones,
and for a service a council's outturn gives because its payments show none,
that basis and the reason."""

from __future__ import annotations

import contextlib
import difflib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
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
from totalplace.orgs import OrgRegistry, org_registry, resolve_names
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
    cells: Cells | None = None,
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
    ``engine``, so they add up to the transaction lines.

    ``cells``: the workspace's spend rows already open on DuckDB (a server
    keeps one :class:`Cells` for its life), so a cell's rows are read from
    the files once and each page is a query over that cell alone."""
    registry = cells.registry if cells is not None else None
    agency, nearest = agency_in_count(ws, count, agency, registry)
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
    query = query or RowQuery()
    if cells is not None and cells.year == count.year:
        if cells.spend is None:
            return result
        summed, found = cells.page(payer_of, theme, query, limit, offset, seconds)
        paths = cells.paths
    else:
        with ws.catalog(read_only=True) as cat:
            paths = dict(cat.execute("SELECT file_id, path FROM files").fetchall())
        with open_spend_rows(ws, count.year, engine) as spend:
            if spend is None:
                return result
            rows = _rows_behind(ws, spend, payer_of, theme, sorted(paths))
            total, top = _page_exprs(rows, query, limit, offset)
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


def _page_exprs(
    rows: ir.Table, query: RowQuery, limit: int, offset: int
) -> tuple[ir.Table, ir.Table]:
    """The cell's totals (all its rows, and those ``query`` keeps) and the
    page of rows ``query`` asks for, as expressions for any engine."""
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
    return total, top


class QueryTimeLimit(TotalPlaceError):
    """A query ran past the time it was given (the dashboard's limit)."""


@contextlib.contextmanager
def time_limit(backend: Backend | Any, seconds: float | None) -> Iterator[None]:
    """Stop the DuckDB queries run inside after ``seconds`` (QueryTimeLimit),
    so one slow page cannot hold the server.  Spark queries run unlimited:
    a local Spark has no such interrupt.  ``backend`` may also be a DuckDB
    connection itself (a cursor of :class:`Cells`)."""
    con: Any = backend
    if not hasattr(con, "interrupt"):
        con = getattr(getattr(backend, "con", None), "con", None)
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
    ws: Workspace,
    spend: SpendRows,
    payer_of: dict[str, bool],
    theme: str,
    file_ids: list[str],
    registry: OrgRegistry | None = None,
) -> ir.Table:
    """The spend rows the count summed into the transaction lines of these
    payers and ``theme``: the count's cell (:func:`cell_rows`), less what a
    council splitting its outturn sets apart."""
    rows = cell_rows(spend.table, sorted(payer_of), theme)
    splitting = sorted(p for p, split in payer_of.items() if split)
    if splitting:
        rows = without_set_apart(ws, spend, rows, splitting, file_ids, registry)
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
    cells: Cells | None = None,
) -> ThemeSuppliers:
    """Who the place's bodies paid for ``theme``, largest first (net of
    refunds), from the same rows :func:`trace` lists for each of the theme's
    cells, so the payees add up to the theme's lines from payments.  A payee
    resolved to a public body is one payee whatever names its rows use.
    ``cells`` as for :func:`trace`."""
    result = ThemeSuppliers(theme)
    payer_of = _payers([x for x in count.lines if x.theme == theme])
    if not payer_of:
        return result
    if cells is not None and cells.year == count.year:
        if cells.spend is None:
            return result
        summed, found = cells.suppliers(payer_of, theme, limit, offset, seconds)
        registry = cells.registry
    else:
        with ws.catalog(read_only=True) as cat:
            file_ids = [r[0] for r in cat.execute("SELECT file_id FROM files").fetchall()]
        with open_spend_rows(ws, count.year, engine) as spend:
            if spend is None:
                return result
            rows = _rows_behind(ws, spend, payer_of, theme, sorted(file_ids))
            total, top = _supplier_exprs(rows, limit, offset)
            with time_limit(spend.backend, seconds):
                spend.backend.write_parquet(total, spend.work / "total")
                spend.backend.write_parquet(top, spend.work / "top")
            summed = read_parts(spend.work / "total").to_pylist()
            found = read_parts(spend.work / "top").to_pylist()
        registry = org_registry(ws.root / ORGS_DIR)
    if summed:
        result.total, result.pence = int(summed[0]["payees"]), int(summed[0]["pence"])
    found = sorted(found, key=lambda r: (-int(r["pence"]), str(r["payee"])))
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


def _supplier_exprs(rows: ir.Table, limit: int, offset: int) -> tuple[ir.Table, ir.Table]:
    """The number of payees and their total, and one page of them, largest
    first, as expressions for any engine."""
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
    return total, top


# Cells a server keeps in memory at once, and pages of them it remembers;
# the least recently used go first.
KEEP_CELLS = 32
# Rows of cells kept in memory at once (about 100 bytes each): past this the
# least recently used cells are let go, the one just read always kept.
KEEP_ROWS = 20_000_000
KEEP_PAGES = 512
CellKey = tuple[tuple[tuple[str, bool], ...], str]


class Cells:
    """The workspace's spend rows of one year open on DuckDB for as long as
    the caller keeps them (the dashboard: until the files change), so that a
    drill-down does per request only what depends on the request.

    Each cell (payers and theme) is read from the row files once, by the
    count's own definition (:func:`_rows_behind`, through ``cell_rows``),
    into a table in memory; a page of it is then a query over that cell
    alone, run on a connection of the asking thread's own, and the same page
    asked for again is answered from memory.  The files are not rewritten
    under an open ``Cells``: whoever keeps one opens a new one when the
    workspace's files change (see :mod:`totalplace.web.cache`)."""

    def __init__(self, ws: Workspace, year: str, registry: OrgRegistry | None = None) -> None:
        self.ws, self.year = ws, year
        self._given_registry = registry
        self._opened: tuple[OrgRegistry, dict[str, str], SpendRows | None] | None = None
        self._stack = contextlib.ExitStack()
        # the engine's own connection: one thread at a time
        self._build = threading.RLock()
        self._lock = threading.Lock()  # the dictionaries below
        self._tables: OrderedDict[CellKey, tuple[str, ibis.Schema]] = OrderedDict()
        self._sizes: dict[str, int] = {}  # rows in each cell's table
        # cells being read from the files, one at a time, by a thread of their own
        self._jobs: dict[CellKey, Future[tuple[str, ibis.Schema]]] = {}
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cells")
        self._pages: OrderedDict[tuple[Any, ...], tuple[list[Any], list[Any]]] = OrderedDict()
        self._local = threading.local()
        self._made = 0

    def _open(self) -> tuple[OrgRegistry, dict[str, str], SpendRows | None]:
        """The registry, the files and the engine, opened on first use (a
        page that shows no rows opens nothing)."""
        if self._opened is None:
            with self._build:
                if self._opened is None:
                    registry = self._given_registry or org_registry(self.ws.root / ORGS_DIR)
                    with self.ws.catalog(read_only=True) as cat:
                        paths = dict(cat.execute("SELECT file_id, path FROM files").fetchall())
                    spend = self._stack.enter_context(open_spend_rows(self.ws, self.year, "duckdb"))
                    self._opened = (registry, paths, spend)
        return self._opened

    @property
    def registry(self) -> OrgRegistry:
        return self._given_registry or self._open()[0]

    @property
    def paths(self) -> dict[str, str]:
        """file id -> the source file's path, for every file of the workspace."""
        return self._open()[1]

    @property
    def spend(self) -> SpendRows | None:
        return self._open()[2]

    def close(self) -> None:
        self._reader.shutdown(wait=True)
        self._stack.close()

    def _cursor(self) -> Any:
        """This thread's own connection to the engine's database (DuckDB's
        connections are not shared between threads)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            assert self.spend is not None
            backend: Any = self.spend.backend
            cur = self._local.cursor = backend.con.con.cursor()
        return cur

    def _cell(
        self, payer_of: dict[str, bool], theme: str, seconds: float | None = None
    ) -> tuple[str, ibis.Schema]:
        """The table holding the cell's rows, read from the files the first
        time.  The reading goes on in the background: a request waits for it
        at most ``seconds`` (then QueryTimeLimit, and a later request finds
        the cell read), and requests for a cell being read share the one read."""
        key: CellKey = (tuple(sorted(payer_of.items())), theme)
        with self._lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
            job = self._jobs.get(key)
            if job is None:
                job = self._jobs[key] = self._reader.submit(self._read_cell, key, payer_of, theme)
        try:
            return job.result(timeout=seconds)
        except FutureTimeout:
            raise QueryTimeLimit(
                f"the cell's rows are still being read from the files after {seconds:g} s "
                "(once: every later page is read from memory): reload in a moment"
            ) from None

    def _read_cell(
        self, key: CellKey, payer_of: dict[str, bool], theme: str
    ) -> tuple[str, ibis.Schema]:
        try:
            return self._read(key, payer_of, theme)
        finally:
            with self._lock:
                self._jobs.pop(key, None)  # done, or failed: the next request tries again

    def _read(self, key: CellKey, payer_of: dict[str, bool], theme: str) -> tuple[str, ibis.Schema]:
        with self._build:
            with self._lock:
                if key in self._tables:  # another thread read it while this one waited
                    return self._tables[key]
            assert self.spend is not None
            ids = sorted(self.paths)
            rows = _rows_behind(self.ws, self.spend, payer_of, theme, ids, self.registry)
            backend: Any = self.spend.backend
            con = backend.con
            self._made += 1
            name = f"tp_cell_{self._made}"
            # not a temporary table: the threads' own connections must see it
            con.raw_sql(f'CREATE TABLE "{name}" AS {con.compile(rows)}')
            size = con.con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            with self._lock:
                self._tables[key] = (name, rows.schema())
                self._sizes[name] = int(size)
                dropped = []
                while len(self._tables) > 1 and (
                    len(self._tables) > KEEP_CELLS or sum(self._sizes.values()) > KEEP_ROWS
                ):
                    old = self._tables.popitem(last=False)[1][0]
                    self._sizes.pop(old, None)
                    dropped.append(old)
            for old in dropped:
                con.raw_sql(f'DROP TABLE IF EXISTS "{old}"')
            return name, rows.schema()

    def _run(
        self, what: tuple[Any, ...], exprs: tuple[ir.Table, ir.Table], seconds: float | None
    ) -> tuple[list[Any], list[Any]]:
        cur = self._cursor()
        with time_limit(cur, seconds):
            summed = cur.execute(self._sql(exprs[0])).to_arrow_table()
            found = cur.execute(self._sql(exprs[1])).to_arrow_table()
        out = (summed.to_pylist(), found.to_pylist())
        with self._lock:
            self._pages[what] = out
            while len(self._pages) > KEEP_PAGES:
                self._pages.popitem(last=False)
        return out

    @staticmethod
    def _sql(expr: ir.Table) -> str:
        """A query over a cell's table in DuckDB's SQL (the expression names
        the table only, so no connection is needed to write it)."""
        return str(ibis.to_sql(expr, dialect="duckdb"))

    def _remembered(self, what: tuple[Any, ...]) -> tuple[list[Any], list[Any]] | None:
        with self._lock:
            out = self._pages.get(what)
            if out is not None:
                self._pages.move_to_end(what)
            return out

    def page(
        self,
        payer_of: dict[str, bool],
        theme: str,
        query: RowQuery,
        limit: int,
        offset: int,
        seconds: float | None = None,
    ) -> tuple[list[Any], list[Any]]:
        """The cell's totals and one page of its rows, as :func:`trace` reads them."""
        what = ("rows", tuple(sorted(payer_of.items())), theme, query, limit, offset)
        out = self._remembered(what)
        if out is None:
            out = self._retry(
                what,
                lambda cell: _page_exprs(cell, query, limit, offset),
                seconds,
                payer_of,
                theme,
            )
        return out

    def suppliers(
        self,
        payer_of: dict[str, bool],
        theme: str,
        limit: int,
        offset: int,
        seconds: float | None = None,
    ) -> tuple[list[Any], list[Any]]:
        """The theme's payees, as :func:`theme_suppliers` reads them."""
        what = ("payees", tuple(sorted(payer_of.items())), theme, limit, offset)
        out = self._remembered(what)
        if out is None:
            out = self._retry(
                what, lambda cell: _supplier_exprs(cell, limit, offset), seconds, payer_of, theme
            )
        return out

    def _retry(
        self,
        what: tuple[Any, ...],
        exprs: Callable[[ir.Table], tuple[ir.Table, ir.Table]],
        seconds: float | None,
        payer_of: dict[str, bool],
        theme: str,
    ) -> tuple[list[Any], list[Any]]:
        import duckdb

        for attempt in (1, 2):
            name, schema = self._cell(payer_of, theme, seconds)
            try:
                return self._run(what, exprs(ibis.table(schema, name=name)), seconds)
            except duckdb.CatalogException:
                # the cell was let go (more than KEEP_CELLS or KEEP_ROWS)
                # between finding it and reading it: read it again, once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


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


def without_set_apart(
    ws: Workspace,
    spend: SpendRows,
    rows: ir.Table,
    splitting: list[str],
    file_ids: list[str],
    registry: OrgRegistry | None = None,
) -> ir.Table:
    """``rows`` less what the count takes out of a council's payments before
    they split its outturn: capital and council-housing payments
    (:func:`totalplace.count.capital.set_apart_kind`) and payments to levying
    bodies with an outturn of their own (levies, pass-through)."""
    registry = registry or org_registry(ws.root / ORGS_DIR)
    levying = sorted(levying_bodies(registry))
    paths = [ws.table_path("rows", i) for i in file_ids]
    labels = spend.backend.read_parquet(paths, "tp_trace_labels", LABELS_SCHEMA)
    joined = rows.join(labels, ["file_id", "source_line"])
    kind = set_apart_kind(joined)
    levy = joined.payee_body.isin(levying).fill_null(False) if levying else ibis.literal(False)
    kept = joined.filter(~joined.paying_body.isin(splitting) | (kind.isnull() & ~levy))
    return kept.select(*rows.columns)


def agency_in_count(
    ws: Workspace, count: PlaceCount, name: str, registry: OrgRegistry | None = None
) -> tuple[str, list[str]]:
    """The count's name for the body ``name`` stands for, and, when the count
    has none, the nearest names it does have (to offer instead).

    A name the count uses is taken as it is.  Otherwise the name and the
    count's agencies are resolved with the organisation registry (shipped
    bodies, their aliases and the workspace's own ``orgs/``), and an agency
    of the same body is the one meant; a line's body code counts too."""
    agencies = sorted({x.agency for x in count.lines})
    if name in agencies:
        return name, []
    registry = registry or org_registry(ws.root / ORGS_DIR)
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
