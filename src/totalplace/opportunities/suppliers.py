"""Shared suppliers: one supplier paid by two or more of the place's agencies,
the first place to look for joint procurement.

A supplier is the same under two names when the organisation matcher gives
them one key (:func:`totalplace.orgs.normalise`: "ACME LTD" and "Acme
Limited" are both "acme limited").  The payments are the count's own: the
rows behind its transaction lines (:func:`totalplace.count.transactions.cell_rows`
for every theme, less what a council splitting its outturn sets apart), so a
supplier's spend is part of the cells the count shows.  Payments to a public
body are transfers between bodies, not purchases, and a name withheld or
redacted says nothing about who was paid: neither is a supplier here.  The
spend files carry no contract or purchase-order number as a column the
ingest recognises, so payments are counted, not contracts.

Price dispersion is measured per supplier and expense type over the positive
payments (a refund or credit note is not a price):

* coefficient of variation = population standard deviation / mean: 0 when
  every payment is the same amount, 1 when the typical distance from the
  mean is as large as the mean itself;
* interquartile ratio = upper quartile / lower quartile, each interpolated
  between payments as Excel's QUARTILE.INC does: 1 when the middle half of
  the payments are the same amount, 3 when the upper quartile is three times
  the lower.

A wide spread for one supplier and expense type is a question to ask (do the
agencies pay different rates for the same thing?), not a finding.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from totalplace.count.place_count import PlaceCount
from totalplace.count.trace import without_set_apart
from totalplace.count.transactions import in_revenue_lines, open_spend_rows, read_parts
from totalplace.ingest.rowsql import REDACTED_RE
from totalplace.orgs import normalise
from totalplace.schema import WARNING_SLUGS
from totalplace.workspace import Workspace

KEYS_SCHEMA = ibis.schema({"name": "string", "key": "string"})
# the fields of a payment the analysis reads, once its rows are chosen
ROWS_SCHEMA = ibis.schema(
    {
        "paying_body": "string",
        "supplier_name": "string",
        "expense_type": "string",
        "theme": "string",
        "amount_pence": "int64",
    }
)
AGENCIES_SCHEMA = ibis.schema({"paying_body": "string", "agency": "string"})
LABELS_SCHEMA = ibis.schema(
    {"file_id": "string", "source_line": "int64", "expense_type": "string", "warning_bits": "int64"}
)
# Rows the ingest found paid to a person or under a name withheld: who was
# paid is not known (or not to be shown), so no two such rows are one supplier.
UNNAMED_BITS = sum(
    1 << WARNING_SLUGS.index(s)
    for s in ("redacted-supplier", "personal-supplier", "missing-supplier")
)
_REDACTED = re.compile(REDACTED_RE.removeprefix("(?i)"), re.IGNORECASE)


@dataclass(frozen=True)
class AgencySpend:
    agency: str
    pence: int  # net of refunds
    payments: int


@dataclass(frozen=True)
class Dispersion:
    """How far one supplier's prices for one expense type spread."""

    expense_type: str  # "" where the files give none
    payments: int  # positive payments measured
    mean_pence: int
    cv: Decimal | None  # coefficient of variation; None for fewer than two payments
    iqr_ratio: Decimal | None  # upper / lower quartile; None when the lower is not positive
    agencies: int  # how many agencies paid it for this expense type


@dataclass(frozen=True)
class SharedSupplier:
    key: str  # the organisation matcher's key the names share
    name: str  # the name its largest payments use
    names: tuple[str, ...]  # every spelling the agencies' files use
    pence: int  # combined spend, net of refunds
    payments: int
    agencies: tuple[AgencySpend, ...]  # largest first
    dispersion: tuple[Dispersion, ...]  # expense types, most payments first
    # the count's cell (agency, theme) paying it most, and the name used there
    cell: tuple[str, str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for d in data["dispersion"]:
            for k in ("cv", "iqr_ratio"):
                d[k] = None if d[k] is None else str(d[k])
        return data


def supplier_key(name: str | None) -> str:
    """The key two spellings of one supplier share, or "" for a name that
    names nobody (empty, withheld or redacted)."""
    if not name or _REDACTED.search(name):
        return ""
    return normalise(name)


def shared_supplier_expr(
    rows: ir.Table, keys: ir.Table, agencies: ir.Table, min_agencies: int = 2
) -> ir.Table:
    """Spend and payments by supplier key x expense type x agency, for keys
    paid by at least ``min_agencies`` agencies, each with its expense type's
    price dispersion.

    ``rows`` has paying_body, supplier_name, expense_type and amount_pence;
    ``keys`` maps supplier_name to key (names without one are left out);
    ``agencies`` maps paying_body to the count's agency."""
    with_key = rows.join(keys, rows.supplier_name == keys.name).view()
    named = with_key.join(agencies, with_key.paying_body == agencies.paying_body)
    paid = named.select(
        key=named.key,
        agency=named.agency,
        expense_type=named.expense_type.fill_null(""),
        amount=named.amount_pence,
    )
    by_key = paid.group_by("key").aggregate(n_agencies=paid.agency.nunique())
    shared = by_key.filter(by_key.n_agencies >= min_agencies).select("key")
    kept = paid.join(shared, "key")
    spend = kept.group_by(["key", "expense_type", "agency"]).aggregate(
        pence=kept.amount.sum().cast("int64"), payments=kept.count()
    )
    priced = kept.filter(kept.amount > 0)
    spread = priced.group_by(["key", "expense_type"]).aggregate(
        priced=priced.count(),
        mean=priced.amount.mean(),
        sd=priced.amount.std(how="pop"),
        q1=priced.amount.quantile(0.25),
        q3=priced.amount.quantile(0.75),
    )
    out = spend.left_join(
        spread, [spend.key == spread.key, spend.expense_type == spread.expense_type]
    )
    return out.select(
        key=spend.key,
        expense_type=spend.expense_type,
        agency=spend.agency,
        pence=spend.pence,
        payments=spend.payments,
        priced=spread.priced.fill_null(0),
        mean=spread.mean,
        sd=spread.sd,
        q1=spread.q1,
        q3=spread.q3,
    )


def shared_suppliers(
    ws: Workspace, count: PlaceCount, engine: str = "duckdb", min_agencies: int = 2
) -> list[SharedSupplier]:
    """Suppliers paid by ``min_agencies`` or more of the count's agencies, by
    combined spend, largest first."""
    payers = {x.payer: x.agency for x in count.lines if x.method == "transactions" and x.payer}
    if len(set(payers.values())) < min_agencies:
        return []
    splitting = sorted(
        {x.payer for x in count.lines if x.method == "transactions" and x.payer and x.body}
    )
    with ws.catalog(read_only=True) as cat:
        file_ids = sorted(r[0] for r in cat.execute("SELECT file_id FROM files").fetchall())
    with open_spend_rows(ws, count.year, engine) as spend:
        if spend is None:
            return []
        table = spend.table
        rows = table.filter(
            table.paying_body.isin(sorted(payers)),
            in_revenue_lines(table),
            table.payee_body.isnull(),
        )
        if splitting:
            rows = without_set_apart(ws, spend, rows, splitting, file_ids)
        labels = spend.backend.read_parquet(
            [ws.table_path("rows", i) for i in file_ids], "tp_opp_labels", LABELS_SCHEMA
        )
        named = labels.filter((labels.warning_bits.fill_null(0) & UNNAMED_BITS) == 0)
        joined = rows.join(named.drop("warning_bits"), ["file_id", "source_line"])
        # the rows are read three times below (names, suppliers, spellings):
        # written once, so the joins that choose them run once
        spend.backend.write_parquet(joined.select(*ROWS_SCHEMA.names), spend.work / "supplier_rows")
        rows = spend.backend.read_parquet(
            sorted((spend.work / "supplier_rows").glob("*.parquet")), "tp_opp_rows", ROWS_SCHEMA
        )
        spend.backend.write_parquet(
            rows.select("supplier_name").distinct(), spend.work / "supplier_names"
        )
        names = [r["supplier_name"] for r in read_parts(spend.work / "supplier_names").to_pylist()]
        keyed = [(n, k) for n in names if (k := supplier_key(n))]
        keys_path = spend.work / "supplier_keys.parquet"
        pq.write_table(
            pa.table({"name": [n for n, _ in keyed], "key": [k for _, k in keyed]}), keys_path
        )
        agencies_path = spend.work / "agencies.parquet"
        pq.write_table(
            pa.table({"paying_body": list(payers), "agency": list(payers.values())}), agencies_path
        )
        expr = shared_supplier_expr(
            rows,
            spend.backend.read_parquet([keys_path], "tp_opp_keys", KEYS_SCHEMA),
            spend.backend.read_parquet([agencies_path], "tp_opp_agencies", AGENCIES_SCHEMA),
            min_agencies,
        )
        spend.backend.write_parquet(expr, spend.work / "shared")
        found = read_parts(spend.work / "shared").to_pylist()
        # what each spelling was paid, by payer and theme: the name shown, and
        # the count's cell holding most of the supplier's payments (its evidence)
        keys2 = spend.backend.read_parquet([keys_path], "tp_opp_keys2", KEYS_SCHEMA)
        spelled = rows.join(keys2, rows.supplier_name == keys2.name)
        spelled = spelled.group_by(["key", "supplier_name", "paying_body", "theme"]).aggregate(
            pence=spelled.amount_pence.sum().cast("int64")
        )
        spend.backend.write_parquet(spelled, spend.work / "spellings")
        spellings = read_parts(spend.work / "spellings").to_pylist()
    for r in spellings:
        r["agency"] = payers.get(r["paying_body"], r["paying_body"])
    return assemble(found, spellings)


def assemble(found: list[dict[str, Any]], spellings: list[dict[str, Any]]) -> list[SharedSupplier]:
    """The engine's rows (:func:`shared_supplier_expr`) as one
    :class:`SharedSupplier` per key, largest combined spend first."""
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in found:
        by_key[str(r["key"])].append(r)
    names: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cells: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
    for s in spellings:
        key, pence = str(s["key"]), int(s["pence"] or 0)
        if key in by_key:
            names[key][str(s["supplier_name"])] += pence
            if s.get("theme"):
                cells[key].append((pence, str(s["agency"]), str(s["theme"]), s["supplier_name"]))
    out = []
    for key, parts in by_key.items():
        agency: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in parts:
            agency[r["agency"]][0] += int(r["pence"] or 0)
            agency[r["agency"]][1] += int(r["payments"])
            kinds[str(r["expense_type"])].append(r)
        spent = sorted(
            (AgencySpend(a, p, n) for a, (p, n) in agency.items()),
            key=lambda a: (-a.pence, a.agency),
        )
        spread = sorted(
            (_dispersion(t, rs) for t, rs in kinds.items()),
            key=lambda d: (-d.payments, d.expense_type),
        )
        spelt = sorted(((p, n) for n, p in names.get(key, {}).items()), key=lambda s: (-s[0], s[1]))
        top = min(cells.get(key, []), key=lambda c: (-c[0], c[1:]), default=None)
        out.append(
            SharedSupplier(
                key=key,
                name=spelt[0][1] if spelt else key,
                names=tuple(sorted({s for _, s in spelt})),
                pence=sum(a.pence for a in spent),
                payments=sum(a.payments for a in spent),
                agencies=tuple(spent),
                dispersion=tuple(spread),
                cell=top[1:] if top else None,
            )
        )
    out.sort(key=lambda s: (-s.pence, s.key))
    return out


def _dispersion(expense_type: str, rows: list[dict[str, Any]]) -> Dispersion:
    """One expense type's spread, from its agencies' rows (the engine gives
    the same spread on each)."""
    first = rows[0]
    n = int(first["priced"] or 0)
    mean, sd, q1, q3 = first["mean"], first["sd"], first["q1"], first["q3"]
    return Dispersion(
        expense_type=expense_type,
        payments=n,
        mean_pence=round(mean) if mean is not None else 0,
        cv=_ratio(sd, mean) if n >= 2 else None,
        iqr_ratio=_ratio(q3, q1) if n >= 2 and q1 is not None and q1 > 0 else None,
        agencies=len({r["agency"] for r in rows}),
    )


def _ratio(top: float | None, bottom: float | None) -> Decimal | None:
    """A ratio to three places (a measure of spread, not money)."""
    if top is None or bottom is None or bottom <= 0:
        return None
    return Decimal(str(top / bottom)).quantize(Decimal("0.001"))
