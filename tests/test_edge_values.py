"""Edge values found while testing: firms with titles, doubly-marked credits,
numbers DuckDB would accept but a publisher never writes, serials with a time."""

from __future__ import annotations

from pathlib import Path

from totalplace.ingest import ingest_files
from totalplace.ingest.dates import PeriodRules, parse_one
from totalplace.workspace import Workspace

HEADER = "Payment Date,Supplier Name,Amount\n"


def _ingest(ws: Workspace, tmp_path: Path, body: str) -> list[tuple[object, ...]]:
    src = tmp_path / "edge.csv"
    src.write_text(HEADER + body)
    (rep,) = ingest_files(ws, [src], publisher="Edge Council").files
    assert rep.status == "loaded", rep.message
    with ws.connect() as con:
        return con.sql(
            "SELECT source_line, status, amount_pence, warning_bits FROM rows ORDER BY 1"
        ).fetchall()


def test_titled_firms_are_not_private_individuals(workspace: Workspace, tmp_path: Path) -> None:
    body = "2010-04-01,Dr Foster Ltd,10.00\n2010-04-01,Dr A Patel,10.00\n"
    _ingest(workspace, tmp_path, body)
    with workspace.connect() as con:
        flagged = con.sql(
            "SELECT supplier_name FROM spend WHERE list_contains(warnings, 'personal-supplier')"
        ).fetchall()
    assert flagged == [("Dr A Patel",)]


def test_minus_inside_parentheses_stays_negative(workspace: Workspace, tmp_path: Path) -> None:
    rows = _ingest(workspace, tmp_path, '2010-04-01,A,(-45)\n2010-04-01,B,"(1,000.50)"\n')
    assert [r[2] for r in rows] == [-4500, -100050]


def test_underscore_and_exponent_numbers_are_not_money(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = _ingest(workspace, tmp_path, "2010-04-01,A,1_000\n2010-04-01,B,1e3\n")
    assert [(r[1], r[2]) for r in rows] == [
        ("unparseable-amount", None),
        ("unparseable-amount", None),
    ]


def test_excel_serial_with_time_of_day_is_that_day() -> None:
    value = parse_one("40544.5", "dmy", PeriodRules())
    assert value is not None and str(value.start) == "2011-01-01"
