"""Every real spend file under shared/data/spend ingests, and every pound reconciles.

The reconciliation reads each file independently with Python's csv module and
sums its amount column as Decimal; the ingest's loaded plus quarantined pence,
plus the publisher's own total lines (kept apart: they are not payments), must
equal that sum exactly.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from totalplace.ingest import FileReport, ingest_files
from totalplace.ingest.issues import ERROR_PRECEDENCE
from totalplace.workspace import Workspace

from .conftest import SPEND

# Publishers for folders whose files carry no paying-body column.
PUBLISHERS = {
    "bradford": "City of Bradford Metropolitan District Council",
    "cabinetoffice": "Cabinet Office",
    "darlington": "Darlington Borough Council",
    "gla": "Greater London Authority",
    "networkrail": "Network Rail",
    "newcastle": "Newcastle City Council",
    "northtyneside": "North Tyneside Council",
    "sheffield": "Sheffield City Council",
}
# The amount column of each layout, written down here independently of the
# ingest's synonym registry.
AMOUNT_HEADERS = {
    "Amount",
    "Net Amount",
    "Net amount",
    "Invoiced Value",
    "Invoice Line Value (net of VAT)",
    "Total",
    "Spend",
}
FOLDERS = sorted(p.name for p in SPEND.iterdir() if p.is_dir()) if SPEND.is_dir() else []


def _source_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".zip"))


def _raw_texts(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                yield f"{path}!{name}", z.read(name)
    else:
        yield str(path), path.read_bytes()


def _decimal(text: str) -> Decimal | None:
    s = text.strip().replace("£", "").replace(",", "").replace(" ", "")
    negative = s.startswith("(") and s.endswith(")")
    s = s.strip("()")
    try:
        value = Decimal(s)
    except InvalidOperation:
        return None
    return -value if negative else value


def independent_sum(raw: bytes) -> tuple[int, Decimal]:
    """(records after the header, Decimal sum of parseable amounts)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    col = next(i for i, h in enumerate(header) if h.strip() in AMOUNT_HEADERS)
    total = Decimal(0)
    for row in rows[1:]:
        if len(row) > col and (value := _decimal(row[col])) is not None:
            total += value
    return len(rows) - 1, total


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, FileReport]]:
    if not SPEND.is_dir():
        pytest.skip(f"real spend data not found at {SPEND} (shared/data is not beside the project)")
    ws = Workspace.create(tmp_path_factory.mktemp("real") / "ws", ["E08000025"], "2010-11")
    reports: dict[str, FileReport] = {}
    for folder in FOLDERS:
        rep = ingest_files(ws, _source_files(SPEND / folder), publisher=PUBLISHERS.get(folder))
        reports.update({f.path: f for f in rep.files})
    return ws, reports


def test_all_41_shared_files_are_ingested(
    ingested: tuple[Workspace, dict[str, FileReport]],
) -> None:
    _, reports = ingested
    files = [p for folder in FOLDERS for p in _source_files(SPEND / folder)]
    assert len(files) == 41
    assert len(FOLDERS) == 13
    assert {f.status for f in reports.values()} == {"loaded"}
    assert len(reports) == 41  # the Trafford zip holds one CSV


@pytest.mark.parametrize("folder", FOLDERS)
def test_folder_loads_99_percent_and_reconciles(
    ingested: tuple[Workspace, dict[str, FileReport]], folder: str
) -> None:
    _ws, reports = ingested
    for path in _source_files(SPEND / folder):
        for display, raw in _raw_texts(path):
            rep = reports[display]
            records, expected = independent_sum(raw)
            assert rep.rows_read == records, display
            assert rep.rows_read == rep.rows_loaded + rep.rows_quarantined + rep.rows_blank
            assert rep.rows_loaded >= 0.99 * (rep.rows_read - rep.rows_blank), display
            got = (
                rep.amount_loaded_pence
                + rep.amount_quarantined_pence
                + rep.amount_publisher_total_pence
            )
            assert got == int(expected * 100), display


def test_every_quarantined_row_is_explained(
    ingested: tuple[Workspace, dict[str, FileReport]],
) -> None:
    ws, _ = ingested
    with ws.connect() as con:
        unexplained = con.sql(
            """SELECT q.file_id, q.source_line, q.reason FROM quarantine q
               LEFT JOIN issues i ON i.file_id = q.file_id AND i.line = q.source_line
                                 AND i.slug = q.reason
               WHERE i.slug IS NULL"""
        ).fetchall()
        quarantined = con.sql(
            "SELECT regexp_extract(f.path, '[a-z_]+/[^/]+$'), q.source_line, q.reason "
            "FROM quarantine q JOIN files f USING (file_id) ORDER BY 1, 2"
        ).fetchall()
    assert unexplained == []
    assert {r[2] for r in quarantined} <= set(ERROR_PRECEDENCE)
    # Seen by eye in the files: Network Rail's total and copyright lines, and the
    # record Newcastle's file was cut off in.
    assert quarantined == [
        ("networkrail/2017-01.csv", 1783, "publisher-total"),
        ("networkrail/2017-01.csv", 1784, "footer-text"),
        ("newcastle/2017-04.csv", 3389, "truncated-record"),
    ]


def test_known_defects_in_real_files_are_caught(
    ingested: tuple[Workspace, dict[str, FileReport]],
) -> None:
    ws, reports = ingested
    rail = reports[str(SPEND / "networkrail" / "2017-01.csv")]
    assert rail.issue_counts.get("footer-text") == 1  # the copyright line
    assert rail.issue_counts.get("publisher-total") == 1  # the "Grand Total" line
    assert rail.amount_quarantined_pence == 0
    assert rail.amount_publisher_total_pence == 55891874319
    # its Grand Total is £31,649,694.25 more than its 1,781 rows (summed with csv above)
    total = rail.details["publisher_total"]
    assert isinstance(total, dict)
    assert total["matches"] is False
    assert total["difference_pence"] == 55891874319 - rail.amount_loaded_pence
    newcastle = reports[str(SPEND / "newcastle" / "2017-04.csv")]
    assert newcastle.issue_counts.get("truncated-record") == 1
    leeds = reports[str(SPEND / "leeds_raw" / "2010-12.csv")]
    assert leeds.rows_blank == 3
    with ws.connect() as con:
        row = con.sql(
            "SELECT q.source_line, q.raw_record FROM quarantine q JOIN files f USING (file_id) "
            "WHERE f.path LIKE '%newcastle%'"
        ).fetchone()
    assert row == (3389, "Children's Services,Socia")


def test_cp1252_byte_far_into_leeds_file_is_decoded(
    ingested: tuple[Workspace, dict[str, FileReport]],
) -> None:
    ws, _ = ingested
    raw = (SPEND / "leeds_raw" / "2011-01.csv").read_bytes()
    bad = raw.index(next(bytes([b]) for b in raw if b > 0x7F))
    assert bad > 1_900_000
    line = raw[:bad].count(b"\n") + 1
    expected = raw.split(b"\n")[line - 1].decode("cp1252")
    with ws.connect() as con:
        got = con.sql(
            "SELECT supplier_name, service, purpose, expense_type FROM spend s "
            "JOIN files f USING (file_id) WHERE f.path LIKE '%leeds_raw/2011-01.csv' "
            f"AND source_line = {line}"
        ).fetchone()
    assert got is not None
    assert any(v and v in expected and any(ord(c) > 127 for c in v) for v in got)


def test_leeds_rows_keep_their_own_paying_body(
    ingested: tuple[Workspace, dict[str, FileReport]],
) -> None:
    ws, _ = ingested
    with ws.connect() as con:
        bodies = con.sql(
            "SELECT DISTINCT regexp_replace(paying_body, '\\s+', ' ', 'g') "
            "FROM spend s JOIN files f USING (file_id) "
            "WHERE f.path LIKE '%leeds_raw%'"
        ).fetchall()
    assert len(bodies) == 6


def test_periods_are_kept_with_start_and_end(
    ingested: tuple[Workspace, dict[str, FileReport]],
) -> None:
    ws, _ = ingested
    with ws.connect() as con:
        rows = con.sql(
            "SELECT DISTINCT date_precision, period_start, period_end, payment_date FROM spend s "
            "JOIN files f USING (file_id) WHERE f.path LIKE '%darlington%' ORDER BY 2"
        ).fetchall()
    assert [(r[0], str(r[1]), str(r[2]), r[3]) for r in rows] == [
        ("range", "2010-07-01", "2010-09-30", None),
        ("month", "2011-01-01", "2011-01-31", None),
    ]


def test_source_lines_point_at_the_raw_row(
    ingested: tuple[Workspace, dict[str, FileReport]],
) -> None:
    ws, _ = ingested
    path = SPEND / "manchester" / "2011-03.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    with ws.connect() as con:
        sample = con.sql(
            "SELECT source_line, transaction_id, amount_pence FROM spend s "
            "JOIN files f USING (file_id) WHERE f.path LIKE '%manchester/2011-03.csv' "
            "ORDER BY hash(source_line) LIMIT 50"
        ).fetchall()
    assert len(sample) == 50
    for line_no, txn, pence in sample:
        cells = next(csv.reader([lines[line_no - 1]]))
        assert cells[4] == txn
        assert int(Decimal(cells[5]) * 100) == pence
