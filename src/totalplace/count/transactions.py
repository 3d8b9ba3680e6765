"""The transaction side of the count, written once with Ibis.

Loaded spend rows of the year, with their classification (theme, prevention
tier, pass-through) and their payee's resolution to a public body, summed by
payer x theme x tier x capital/revenue x payee body.  The query runs on the
engine the caller picks (DuckDB by default, Spark in local mode); only the
aggregate, a few hundred rows, comes back to Python.
"""

from __future__ import annotations

import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from totalplace import duck
from totalplace.backends import Backend, check_engine, open_backend
from totalplace.classify.taxonomy import PASS_THROUGH
from totalplace.errors import ConfigError
from totalplace.workspace import CLASSIFIED_NAME, Workspace

RESOLVED_NAME = "resolved_suppliers.parquet"
UNCLASSIFIED = "unclassified"
# How a row got its theme: by a rule, by the learned model (for rows no rule
# matched), or not at all.  Catch-all rules classify nothing: their rows are
# unclassified whatever the classifier wrote.
BY_RULES = "rules"
BY_MODEL = "model"
CLASSIFIED_BY = (BY_RULES, BY_MODEL, UNCLASSIFIED)

ROWS_SCHEMA = ibis.schema(
    {
        "file_id": "string",
        "source_line": "int64",
        "status": "string",
        "paying_body": "string",
        "period_start": "date",
        "amount_pence": "int64",
        "supplier_name": "string",
        "capital_revenue": "string",
    }
)
CLASSIFIED_SCHEMA = ibis.schema(
    {
        "file_id": "string",
        "source_line": "int64",
        "rule_id": "string",
        "theme": "string",
        "tier": "string",
        "pass_through": "boolean",
        "catch_all": "boolean",
        # 'rule', 'model' or null; absent from files classified before the
        # model existed, where a row with a rule and a theme is the rule's
        "method": "string",
    }
)
RESOLVED_SCHEMA = ibis.schema(
    {"name": "string", "body_id": "string", "kind": "string", "status": "string"}
)
GROUP = (
    "paying_body",
    "theme",
    "tier",
    "pass_through",
    "capital",
    "payee_body",
    "payee_kind",
    "classified_by",
)


@dataclass(frozen=True)
class TransactionGroup:
    paying_body: str
    theme: str
    tier: str
    pass_through: bool
    capital: bool
    payee_body: str | None  # registry id of an accepted public-body payee
    payee_kind: str | None
    pence: int
    rows: int
    classified_by: str = BY_RULES  # one of CLASSIFIED_BY

    @classmethod
    def from_cell(cls, c: dict[str, Any], pence: int, rows: int) -> TransactionGroup:
        """A group from one row of an engine's grouped output."""
        return cls(
            paying_body=c["paying_body"] or "",
            theme=c["theme"],
            tier=c["tier"],
            pass_through=bool(c["pass_through"]),
            capital=bool(c["capital"]),
            payee_body=c["payee_body"],
            payee_kind=c["payee_kind"],
            pence=pence,
            rows=rows,
            classified_by=c["classified_by"],
        )


@dataclass(frozen=True)
class PayerCoverage:
    paying_body: str
    first: date
    last: date
    months: tuple[str, ...]  # "2010-12" ... months with at least one row


@dataclass(frozen=True)
class Transactions:
    groups: tuple[TransactionGroup, ...]
    coverage: dict[str, PayerCoverage]
    outside_year_rows: int


def financial_year(year: str) -> tuple[date, date]:
    start = int(year[:4])
    return date(start, 4, 1), date(start + 1, 3, 31)


def spend_rows(
    rows: ir.Table, classified: ir.Table, resolved: ir.Table, start: date, end: date
) -> ir.Table:
    """Every loaded row of the year, one per spend row, with the fields that
    place it in a cell of the count: payer, theme, tier, pass-through, capital,
    payee body and how it was classified.

    This is the one definition of those fields: the count sums these rows by
    ``GROUP`` and ``trace`` lists them through :func:`cell_rows`, on either
    engine, so the rows behind a cell are the rows the cell was summed from."""
    loaded = rows.filter(
        (rows.status == "loaded") & (rows.period_start >= start) & (rows.period_start <= end)
    )
    accepted = resolved.filter(resolved.status == "accepted")
    with_class = loaded.left_join(
        classified,
        [loaded.file_id == classified.file_id, loaded.source_line == classified.source_line],
    ).view()
    joined = with_class.left_join(accepted, with_class.supplier_name == accepted.name).view()
    theme = ibis.cases(
        (joined.catch_all.fill_null(False), ibis.literal(UNCLASSIFIED)),
        else_=joined.theme.fill_null(UNCLASSIFIED),
    )
    by = ibis.cases(
        (theme == UNCLASSIFIED, ibis.literal(UNCLASSIFIED)),
        (joined.method.fill_null("") == "model", ibis.literal(BY_MODEL)),
        else_=ibis.literal(BY_RULES),
    )
    cap = joined.capital_revenue.lower().fill_null("")
    return joined.select(
        file_id=joined.file_id,
        source_line=joined.source_line,
        supplier_name=joined.supplier_name,
        rule_id=joined.rule_id,
        paying_body=joined.paying_body,
        theme=theme,
        tier=joined.tier.fill_null("not known"),
        pass_through=joined.pass_through.fill_null(False),
        capital=cap.startswith("cap"),
        payee_body=joined.body_id,
        payee_kind=joined.kind,
        classified_by=by,
        amount_pence=joined.amount_pence,
        period_start=joined.period_start,
    )


def in_revenue_lines(table: ir.Table) -> ir.BooleanValue:
    """Whether a row of :func:`spend_rows` is in the count's revenue lines:
    capital payments come from the regional lines, and pass-through payments
    (flagged by a rule, or themed pass-through) are shown apart from the count."""
    passing = table.pass_through | (table.theme == PASS_THROUGH)
    return ~table.capital & ~passing


def cell_rows(table: ir.Table, payers: Sequence[str], theme: str) -> ir.Table:
    """The rows of :func:`spend_rows` behind the count's transaction lines of
    ``payers`` (the spend files' paying-body names for one agency) and ``theme``."""
    return table.filter(
        table.paying_body.isin(list(payers)), table.theme == theme, in_revenue_lines(table)
    )


def transactions_expr(
    rows: ir.Table, classified: ir.Table, resolved: ir.Table, start: date, end: date
) -> ir.Table:
    """Loaded rows of the year, classified and resolved, summed by ``GROUP`` and month."""
    return _by_group_and_month(spend_rows(rows, classified, resolved, start, end))


def _by_group_and_month(table: ir.Table) -> ir.Table:
    shaped = table.mutate(month=table.period_start.strftime("%Y-%m"))
    # by month too, so the months each payer covers come from the same pass
    return shaped.group_by([*GROUP, "month"]).aggregate(
        pence=shaped.amount_pence.sum(),
        rows=shaped.count(),
        first=shaped.period_start.min(),
        last=shaped.period_start.max(),
    )


def _empty_resolved(path: Path) -> None:
    pq.write_table(
        pa.table({c: pa.array([], pa.string()) for c in ("name", "body_id", "kind", "status")}),
        path,
    )


def read_parts(folder: Path) -> pa.Table:
    """The Parquet parts an engine wrote into ``folder``, as one Arrow table."""
    con = duck.connect()
    try:
        return con.read_parquet(
            sorted(str(p) for p in folder.glob("*.parquet"))
        ).fetch_arrow_table()
    finally:
        con.close()


@dataclass(frozen=True)
class SpendRows:
    """The workspace's spend rows of one year on an open engine."""

    backend: Backend
    table: ir.Table  # spend_rows(...)
    work: Path  # a scratch folder for the engine's output
    total_loaded: int


@contextmanager
def open_spend_rows(ws: Workspace, year: str, engine: str = "duckdb") -> Iterator[SpendRows | None]:
    """The year's spend rows (:func:`spend_rows`) on ``engine``, or None when
    the workspace holds no spend files; the engine is closed on leaving."""
    check_engine(engine)  # even with no spend files, an engine this install lacks is an error
    with ws.catalog(read_only=True) as cat:
        files = cat.execute("SELECT file_id, rows_loaded FROM files ORDER BY file_id").fetchall()
    ids = [f[0] for f in files]
    if not ids:
        yield None
        return
    classified = ws.root / CLASSIFIED_NAME
    if not classified.exists():
        raise ConfigError(f"{ws.root} is not classified yet: run `totalplace classify {ws.root}`")
    start, end = financial_year(year)
    work = ws.tmp_dir / f"count-{uuid.uuid4().hex}"
    work.mkdir(parents=True)
    resolved = ws.root / RESOLVED_NAME
    if not resolved.exists():
        resolved = work / "resolved.parquet"
        _empty_resolved(resolved)
    backend = open_backend(engine)
    try:
        rows = backend.read_parquet([ws.table_path("rows", i) for i in ids], "tp_rows", ROWS_SCHEMA)
        table = spend_rows(
            rows,
            backend.read_parquet([classified], "tp_classified", CLASSIFIED_SCHEMA),
            backend.read_parquet([resolved], "tp_resolved", RESOLVED_SCHEMA),
            start,
            end,
        )
        yield SpendRows(backend, table, work, sum(int(f[1]) for f in files))
    finally:
        backend.close()
        shutil.rmtree(work, ignore_errors=True)


def load_transactions(ws: Workspace, year: str, engine: str = "duckdb") -> Transactions:
    """Sum the workspace's transactions of ``year`` on ``engine``."""
    with open_spend_rows(ws, year, engine) as spend:
        if spend is None:
            return Transactions((), {}, 0)  # a count from outturn and regional lines alone
        groups_expr = _by_group_and_month(spend.table)
        # Written by the engine itself and read back with DuckDB: collecting a
        # Spark result through Python goes via pandas.
        spend.backend.write_parquet(groups_expr, spend.work / "groups")
        cells = read_parts(spend.work / "groups").to_pylist()
        total_loaded = spend.total_loaded
    summed: dict[TransactionGroup, list[int]] = defaultdict(lambda: [0, 0])
    months: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in cells:
        cell = TransactionGroup.from_cell(c, pence=0, rows=0)
        summed[cell][0] += int(c["pence"] or 0)
        summed[cell][1] += int(c["rows"])
        months[cell.paying_body].append(c)
    groups = [replace(g, pence=pence, rows=n) for g, (pence, n) in summed.items()]
    groups.sort(
        key=lambda g: (
            g.paying_body,
            g.theme,
            g.tier,
            g.pass_through,
            g.capital,
            g.payee_body or "",
            g.payee_kind or "",
            g.classified_by,
        )
    )
    cov = {
        body: PayerCoverage(
            paying_body=body,
            first=min(m["first"] for m in ms),
            last=max(m["last"] for m in ms),
            months=tuple(sorted({str(m["month"]) for m in ms})),
        )
        for body, ms in months.items()
    }
    in_year = sum(g.rows for g in groups)
    return Transactions(tuple(groups), cov, total_loaded - in_year)
