"""The count's lines as CSV and Parquet, described by a Fiscal Data Package.

``datapackage.json`` is a Tabular Data Package whose one resource is the
lines CSV, with a Table Schema and the Fiscal Data Package ``model``
(measures in GBP, dimensions for agency, funder, theme, function, tier,
capital/revenue, method and grade), so ``frictionless validate`` and
fiscal-data tools can read it.  Amounts are exact: integer pence, and pounds
written with two decimals from the pence.  Text cells that a spreadsheet would
read as a formula (a name from ``orgs/*.csv`` starting with ``=``, ``+``,
``-``, ``@``, a tab or a CR) get a leading apostrophe by the same rule as the
workbooks (:func:`totalplace.sheets.safe_text`); number columns are
never changed, so a negative amount stays a number.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.sheets import safe_text
from totalplace.workspace import atomic_write

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("agency", "string", "The body that spends (or the department, for apportioned lines)"),
    ("agency_type", "string", "Central government, local government, public corporation"),
    ("funder", "string", "Who funds the line, where known"),
    ("theme", "string", "Total Place theme"),
    ("function", "string", "COFOG function"),
    ("tier", "string", "Prevention tier: universal, targeted, acute or crisis"),
    ("capital_revenue", "string", "capital or revenue"),
    ("method", "string", "transactions, outturn or apportioned"),
    ("part", "string", "bottom_up (transaction split) or top_down"),
    ("gross_net", "string", "Whether the figure is gross or net"),
    ("grade", "string", "Confidence grade A (own accounts) to D (proxy key)"),
    ("amount_pence", "integer", "Exact amount in pence"),
    ("amount", "number", "Amount in pounds (amount_pence / 100)"),
    ("source", "string", "Where the figure comes from"),
    ("flags", "string", "Caveats, separated by '; '"),
    (
        "basis",
        "string",
        "Why a line of a council splitting its outturn by its payments comes from its "
        "outturn instead (empty for other lines)",
    ),
)
DIMENSIONS = ("agency", "funder", "theme", "function", "tier", "capital_revenue", "method", "grade")


def _pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}{whole}.{part:02d}"


def _record(line: CountLine) -> dict[str, Any]:
    d = line.to_dict()
    d["amount_pence"] = line.pence
    d["amount"] = _pounds(line.pence)
    d["flags"] = "; ".join(line.flags)
    return {name: d[name] for name, _, _ in COLUMNS}


def _csv_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record as the CSV holds it: text columns safe from formula reading."""
    return {
        name: safe_text(record[name])
        if kind == "string" and isinstance(record[name], str)
        else record[name]
        for name, kind, _ in COLUMNS
    }


def descriptor(count: PlaceCount) -> dict[str, Any]:
    name = "".join(c if c.isalnum() else "-" for c in count.place.name.lower()).strip("-")
    return {
        "name": f"total-place-count-{name}-{count.year}",
        "title": f"Total Place count: {count.place.name}, {count.year}",
        "profile": "tabular-data-package",
        "licenses": [{"name": "OGL-UK-3.0", "title": "Open Government Licence v3.0"}],
        "resources": [
            {
                "name": "lines",
                "path": "lines.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [{"name": n, "type": t, "description": d} for n, t, d in COLUMNS],
                },
            }
        ],
        "model": {
            "measures": {
                "amount": {"source": "amount", "currency": "GBP", "factor": 1},
            },
            "dimensions": {
                d: {
                    "attributes": {d: {"source": d}},
                    "primaryKey": d,
                    "dimensionType": "classification",
                }
                for d in DIMENSIONS
            },
        },
        "fiscalPeriod": {
            "start": f"{count.year[:4]}-04-01",
            "end": f"{int(count.year[:4]) + 1}-03-31",
        },
    }


def write_exports(folder: Path, count: PlaceCount) -> list[Path]:
    """``lines.csv``, ``lines.parquet`` and ``datapackage.json`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [_record(x) for x in count.lines]
    buf = io.StringIO()
    # CR LF ends each record (RFC 4180), so a CR inside a name is quoted, not a line break
    writer = csv.DictWriter(buf, [n for n, _, _ in COLUMNS], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(_csv_record(r) for r in records)
    atomic_write(folder / "lines.csv", buf.getvalue())
    table = pa.Table.from_pylist(
        [{**r, "amount": None} for r in records],
        schema=pa.schema(
            [
                (n, pa.int64() if t == "integer" else pa.string())
                for n, t, _ in COLUMNS
                if n != "amount"
            ]
        ),
    )
    tmp = folder / "lines.parquet.tmp"
    pq.write_table(table, tmp)
    tmp.replace(folder / "lines.parquet")
    atomic_write(folder / "datapackage.json", json.dumps(descriptor(count), indent=2) + "\n")
    return [folder / "lines.csv", folder / "lines.parquet", folder / "datapackage.json"]
