"""Drill a cell of the count down to what produced it: the spend rows for
transaction lines, the workbook cell and key for outturn and apportioned ones,
and for a service a council's outturn gives because its payments show none,
that basis and the reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow.parquet as pq

from totalplace.count.funding import MIX_FLAG
from totalplace.count.place_count import PlaceCount
from totalplace.count.transactions import BY_MODEL, BY_RULES, UNCLASSIFIED, financial_year
from totalplace.workspace import CLASSIFIED_NAME, Workspace

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

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows": [asdict(r) for r in self.rows]}


def trace(
    ws: Workspace, count: PlaceCount, agency: str, theme: str, limit: int = ROW_LIMIT
) -> Trace:
    """The count's lines for one agency and theme, and for transaction lines
    the spend rows behind them (the ``limit`` largest, with the total of all)."""
    lines = [x for x in count.lines if x.agency == agency and x.theme == theme]
    result = Trace(agency, theme, sum(x.pence for x in lines), [x.to_dict() for x in lines])
    for x in lines:
        if x.basis:
            why = "; ".join(f for f in x.flags if f != MIX_FLAG)
            result.basis.append(f"{x.pence} pence from the {x.basis}: {why}")
    # a transaction line's source names its payer: "spend rows of PAYER in YEAR: N rows"
    marker = f" in {count.year}: "
    payers = sorted(
        {
            x.source.removeprefix("spend rows of ").rsplit(marker, 1)[0]
            for x in lines
            if x.method == "transactions"
        }
    )
    if not payers:
        return result
    start, end = financial_year(count.year)
    theme_sql = "coalesce(CASE WHEN c.catch_all THEN NULL ELSE c.theme END, $unclassified)"
    where = (
        "s.paying_body IN (SELECT unnest($payers)) AND s.period_start BETWEEN $start AND $end "
        f"AND {theme_sql} = $theme AND NOT coalesce(c.pass_through, false) "
        "AND NOT coalesce(lower(s.capital_revenue), '') LIKE 'cap%'"
    )
    params = {
        "payers": payers,
        "start": start,
        "end": end,
        "theme": theme,
        "unclassified": UNCLASSIFIED,
    }
    path = ws.root / CLASSIFIED_NAME
    # files classified before the model existed have no method column
    method = "c.method" if "method" in pq.read_schema(path).names else "NULL"
    by_sql = (
        f"CASE WHEN {theme_sql} = $unclassified THEN $unclassified "
        f"WHEN {method} = 'model' THEN '{BY_MODEL}' ELSE '{BY_RULES}' END"
    )
    classified = str(path).replace("'", "''")
    with ws.connect() as con:
        join = (
            f"FROM spend s JOIN files f USING (file_id) "
            f"LEFT JOIN read_parquet('{classified}') c "
            "ON c.file_id = s.file_id AND c.source_line = s.source_line "
            f"WHERE {where}"
        )
        total = con.execute(
            f"SELECT count(*), coalesce(sum(s.amount_pence), 0) {join}", params
        ).fetchone()
        found = con.execute(
            f"SELECT f.path, s.source_line, s.paying_body, s.supplier_name, "
            f"CAST(s.period_start AS VARCHAR), s.amount_pence, c.rule_id, {by_sql} {join} "
            "ORDER BY abs(s.amount_pence) DESC, f.path, s.source_line LIMIT $limit",
            {**params, "limit": limit},
        ).fetchall()
    result.rows_total, result.rows_pence = (int(total[0]), int(total[1])) if total else (0, 0)
    result.rows = [SourceRow(*r) for r in found]
    return result
