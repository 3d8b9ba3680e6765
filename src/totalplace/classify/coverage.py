"""How much of each publisher's spending the rules classify.

Coverage counts rows that are spending on services: pass-through rows are
reported beside it but are in neither the numerator nor the denominator.  A
row is classified when a rule gave it a theme and that rule is not a
catch-all.  Value is the sum of absolute amounts, so refunds and credit
notes count as much activity as the payments they reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from rich.console import Console
from rich.table import Table

from totalplace.classify.model import ModelSummary
from totalplace.money import pounds
from totalplace.workspace import Workspace

# What an unclassified row is called in the report: the service (or the
# nearest thing the layout has) and the kind of expense.
LABEL_SQL = """coalesce(nullif(concat_ws(' / ',
        coalesce(s.service, s.service_detail, s.department),
        coalesce(s.expense_type, s.proclass_label, s.purpose)), ''), '(no label)')"""

_ROWS_SQL = f"""
    SELECT f.publisher, abs(s.amount_pence) AS value,
           coalesce(c.pass_through, false) AS pt,
           c.theme IS NOT NULL AND NOT coalesce(c.catch_all, false) AS ok,
           coalesce(c.method = 'model', false) AS by_model,
           {LABEL_SQL} AS label
    FROM spend s
    JOIN files f USING (file_id)
    LEFT JOIN classified c USING (file_id, source_line)
    {{subset}}"""


@dataclass(frozen=True)
class UnclassifiedLabel:
    label: str
    rows: int
    value_pence: int


@dataclass(frozen=True)
class PublisherCoverage:
    publisher: str
    rows: int  # rows that are not pass-through
    value_pence: int  # their absolute value
    classified_rows: int
    classified_value_pence: int
    pass_through_rows: int
    pass_through_value_pence: int
    share_by_value: float | None  # None when the publisher has no such rows
    share_by_rows: float | None
    # Of the classified rows, those the learned fallback classified (method 'model').
    model_rows: int = 0
    model_value_pence: int = 0
    top_unclassified: list[UnclassifiedLabel] = field(default_factory=list)

    @property
    def share_by_rules(self) -> float | None:
        """Share of value classified by rules alone."""
        if not self.value_pence:
            return None
        return (self.classified_value_pence - self.model_value_pence) / self.value_pence


def coverage(
    ws: Workspace,
    classified: Path,
    subset: Mapping[str, int] | None = None,
    top: int = 10,
) -> list[PublisherCoverage]:
    """Coverage per publisher from ``classified`` (see :mod:`engine`).

    ``subset`` limits the count to some rows, as ``file_id -> first source
    line``: a whole file is ``0``, its second half the line after its middle.
    """
    with ws.connect() as con:
        con.read_parquet(str(classified)).create_view("classified")
        where = ""
        if subset is not None:
            con.register(
                "subset",
                pa.table(
                    {
                        "file_id": pa.array(list(subset), pa.string()),
                        "first_line": pa.array(list(subset.values()), pa.int64()),
                    }
                ),
            )
            where = "JOIN subset u ON u.file_id = s.file_id AND s.source_line >= u.first_line"
        con.execute(f"CREATE TEMP VIEW r AS {_ROWS_SQL.format(subset=where)}")
        totals = con.execute(
            """SELECT publisher,
                      count(*) FILTER (NOT pt), coalesce(sum(value) FILTER (NOT pt), 0),
                      count(*) FILTER (NOT pt AND ok),
                      coalesce(sum(value) FILTER (NOT pt AND ok), 0),
                      count(*) FILTER (pt), coalesce(sum(value) FILTER (pt), 0),
                      count(*) FILTER (NOT pt AND ok AND by_model),
                      coalesce(sum(value) FILTER (NOT pt AND ok AND by_model), 0)
               FROM r GROUP BY publisher ORDER BY publisher"""
        ).fetchall()
        missing = con.execute(
            """SELECT publisher, label, count(*) AS n, sum(value) AS v
               FROM r WHERE NOT pt AND NOT ok GROUP BY publisher, label
               QUALIFY row_number() OVER (PARTITION BY publisher ORDER BY v DESC, label) <= ?
               ORDER BY publisher, v DESC, label""",
            [top],
        ).fetchall()
    labels: dict[str, list[UnclassifiedLabel]] = {}
    for publisher, label, n, v in missing:
        labels.setdefault(publisher, []).append(UnclassifiedLabel(label, int(n), int(v)))
    return [
        PublisherCoverage(
            publisher=publisher,
            rows=int(rows),
            value_pence=int(value),
            classified_rows=int(ok_rows),
            classified_value_pence=int(ok_value),
            pass_through_rows=int(pt_rows),
            pass_through_value_pence=int(pt_value),
            share_by_value=int(ok_value) / int(value) if value else None,
            share_by_rows=int(ok_rows) / int(rows) if rows else None,
            model_rows=int(m_rows),
            model_value_pence=int(m_value),
            top_unclassified=labels.get(publisher, []),
        )
        for publisher, rows, value, ok_rows, ok_value, pt_rows, pt_value, m_rows, m_value in totals
    ]


def render_coverage(by_publisher: list[PublisherCoverage], console: Console) -> None:
    """The coverage table and, under it, each publisher's largest unclassified labels
    (for a console with markup off, see :mod:`totalplace.render`)."""
    table = Table(title="Classification coverage")
    for col, justify in [
        ("publisher", "left"),
        ("rows", "right"),
        ("by value", "right"),
        ("of which model", "right"),
        ("by rows", "right"),
        ("pass-through", "right"),
        ("largest unclassified", "left"),
    ]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for p in by_publisher:
        first = p.top_unclassified[0] if p.top_unclassified else None
        table.add_row(
            p.publisher,
            f"{p.rows:,}",
            "" if p.share_by_value is None else f"{p.share_by_value:.1%}",
            f"{p.model_value_pence / p.value_pence:.1%}" if p.value_pence else "",
            "" if p.share_by_rows is None else f"{p.share_by_rows:.1%}",
            pounds(p.pass_through_value_pence),
            f"{first.label} ({pounds(first.value_pence)})" if first else "",
        )
    console.print(table)


def render_model_review(summary: ModelSummary | None, console: Console, top: int = 10) -> None:
    """What the learned fallback classified, and its largest labels to review."""
    if summary is None:
        return
    if not summary.fitted:
        console.print(
            "No model fitted: too few rows classified by rules to learn from; "
            f"{summary.offered_rows:,} rows left unclassified by rules stay so."
        )
        return
    console.print(
        f"Model (trained on {summary.trained_rows:,} rule-classified rows): "
        f"{summary.classified_rows:,} of {summary.offered_rows:,} rows no rule classified "
        f"given a theme at confidence >= {summary.threshold:.2f} "
        f"({pounds(summary.classified_value_pence)}); review them:"
    )
    if not summary.review:
        return
    table = Table(title="Model-classified labels to review (largest first)")
    for col, justify in [
        ("publisher", "left"),
        ("label", "left"),
        ("supplier", "left"),
        ("theme", "left"),
        ("confidence", "right"),
        ("rows", "right"),
        ("value", "right"),
    ]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for m in summary.review[:top]:
        table.add_row(
            m.publisher,
            m.label,
            m.supplier,
            m.theme,
            f"{m.confidence:.2f}",
            f"{m.rows:,}",
            pounds(m.value_pence),
        )
    console.print(table)
