"""Fuzzing ingest with corrupted CSV and XLSX bytes: no uncaught exception, no silent loss.

Whatever the bytes (cut short, bytes flipped, NULs, stray quotes, absurd
cells, a workbook's zip or XML damaged), ``ingest_files`` returns a report:
each file is loaded or failed as a whole, never an exception.  A loaded file
loses nothing: every record is loaded, quarantined or blank
(``rows_read = rows_loaded + rows_quarantined + rows_blank``), the store holds
exactly the rows and pence the report gives, and a failed file leaves nothing
in the store.  For a workbook whose cells alone were changed, every data row
of the sheet is a record.

Bounded for CI: 70 examples in all (about a second each, most of it creating
the workspace and DuckDB), derandomised, no example database.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from totalplace.ingest import FileReport, ingest_files
from totalplace.ingest.dates import PeriodRules, impossible_time, out_of_range, parse_one
from totalplace.workspace import Workspace

PUBLISHER = "Fuzz Council"
HEADER = ["Body Name", "Payment Date", "Amount", "Supplier Name", "Expense Type"]
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, unshrunk
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# cells a corrupted or hostile file may hold, beside ordinary ones
AMOUNTS = st.sampled_from(
    [
        "100.00",
        "-25.50",
        "£1,234.56",
        "1.234,56",
        "12,34",
        "(99.99)",
        "45CR",
        "1e5",
        "NaN",
        "100000000000000000",
        "9" * 40,
        "-0.001",
        "",
        "TBC",
        "0x1F",
        "1'234.56",
    ]
)
DATES = st.sampled_from(
    [
        "01/04/2020",
        "2020-04-30",
        "Jan 0000",
        "Q4 9999-00",
        "P12 9999",
        "31/02/2020",
        "01/04/2020 25:99",
        "43922",
        "99999999",
        "",
        "April 2020",
        "0001-01-01",
        "2020-13-45",
    ]
)
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=12
)
NASTY_BYTES = [
    b"\x00",
    b"\r",
    b"\n",
    b'"',
    b",",
    b";",
    b"\xff\xfe",
    b"\xa3",
    b"\xe2\x82",
    b"\t",
    b'""\n"',
]


@st.composite
def rows(draw: st.DrawFn) -> list[list[str]]:
    n = draw(st.integers(1, 12))
    return [
        [
            draw(st.sampled_from([PUBLISHER, "", "Total", "X"])),
            draw(DATES),
            draw(AMOUNTS),
            draw(st.one_of(st.sampled_from(["Acme Ltd", "Mr A Smith", "Redacted"]), TEXT)),
            draw(TEXT),
        ]
        for _ in range(n)
    ]


def _csv_bytes(table: list[list[str]], delimiter: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows([HEADER, *table])
    return buf.getvalue().encode("utf-8", errors="surrogatepass")


def _corrupt(data: bytes, ops: list[tuple[str, float, bytes, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, payload, size in ops:
        pos = int(where * len(out))
        if kind == "flip" and out:
            for i in range(pos, min(pos + size, len(out))):
                out[i] ^= 0xFF
        elif kind == "delete":
            del out[pos : pos + size]
        elif kind == "insert":
            out[pos:pos] = payload * size
        else:  # truncate
            del out[pos:]
    return bytes(out)


CORRUPTIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "delete", "insert", "truncate"]),
        st.floats(0, 1),
        st.sampled_from(NASTY_BYTES),
        st.integers(1, 16),
    ),
    min_size=0,
    max_size=4,
)


def _ingest(
    factory: pytest.TempPathFactory, data: bytes, name: str
) -> tuple[Workspace, list[FileReport]]:
    ws = Workspace.create(factory.mktemp("ws") / "ws", ["E08000025"], "2020-21")
    path = factory.mktemp("src") / name
    path.write_bytes(data)
    report = ingest_files(ws, [path], publisher=PUBLISHER)  # must not raise
    assert report.files
    return ws, report.files


def _nothing_lost(ws: Workspace, files: list[FileReport]) -> None:
    """Each file loaded with every record accounted for, or failed (or skipped,
    a workbook's sheet of notes) with nothing in the store; the store holds
    exactly what the report says."""
    loaded = [f for f in files if f.status == "loaded"]
    for f in files:
        assert f.status in ("loaded", "failed", "skipped"), f
        if f.status != "loaded":
            assert f.message
            continue
        assert f.rows_read == f.rows_loaded + f.rows_quarantined + f.rows_blank
    assert ws.committed_ids() == {f.sha256 for f in loaded}
    if not loaded:
        return  # nothing committed: the store has no tables to hold a lost row
    with ws.connect() as con:
        stored = {
            str(fid): (int(n), int(p or 0))
            for fid, n, p in con.execute(
                "SELECT file_id, count(*), sum(amount_pence) FROM spend GROUP BY 1"
            ).fetchall()
        }
        held = {
            str(fid): int(n)
            for fid, n in con.execute(
                "SELECT file_id, count(*) FROM quarantine GROUP BY 1"
            ).fetchall()
        }
    for f in loaded:
        assert f.sha256 is not None
        assert stored.get(f.sha256, (0, 0)) == (f.rows_loaded, f.amount_loaded_pence)
        assert held.get(f.sha256, 0) == f.rows_quarantined
    assert set(stored) | set(held) <= {f.sha256 for f in loaded}


@FUZZ
@given(table=rows(), delimiter=st.sampled_from([",", ";", "\t"]), ops=CORRUPTIONS)
def test_corrupted_csv_loads_or_fails_whole_and_loses_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    table: list[list[str]],
    delimiter: str,
    ops: list[tuple[str, float, bytes, int]],
) -> None:
    data = _corrupt(_csv_bytes(table, delimiter), ops)
    ws, files = _ingest(tmp_path_factory, data, "spend.csv")
    _nothing_lost(ws, files)


# -- workbooks -------------------------------------------------------------------------------

_ILLEGAL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"}


def _xlsx_bytes(table: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "Spend"
    for row in [HEADER, *table]:
        sheet.append(["".join(ch for ch in c if ch not in _ILLEGAL) for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _damage_part(book: bytes, part: str, ops: list[tuple[str, float, bytes, int]]) -> bytes:
    """The workbook with one XML part's bytes corrupted, re-zipped intact."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, _corrupt(data, ops) if name == part else data)
    return out.getvalue()


@settings(FUZZ, max_examples=30)
@given(
    table=rows(),
    where=st.sampled_from(["none", "zip", "xl/worksheets/sheet1.xml", "xl/workbook.xml"]),
    ops=CORRUPTIONS,
)
def test_corrupted_xlsx_loads_or_fails_whole_and_loses_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    table: list[list[str]],
    where: str,
    ops: list[tuple[str, float, bytes, int]],
) -> None:
    book = _xlsx_bytes(table)
    if where == "zip":
        book = _corrupt(book, ops)
    elif where != "none":
        book = _damage_part(book, where, ops)
    ws, files = _ingest(tmp_path_factory, book, "spend.xlsx")
    _nothing_lost(ws, files)
    if where == "none" or not ops:
        # cells alone changed: every data row of the sheet is a record
        (f,) = files
        if f.status == "loaded":
            assert f.rows_read == len(table)


def test_fuzz_helpers_cover_what_they_claim(tmp_path: Path) -> None:
    """The corruption ops do what the fuzz relies on (a test of the test)."""
    assert _corrupt(b"abcdef", [("truncate", 0.5, b"", 1)]) == b"abc"
    assert _corrupt(b"abc", [("insert", 0.0, b"\x00", 2)]) == b"\x00\x00abc"
    assert _corrupt(b"\x00", [("flip", 0.0, b"", 1)]) == b"\xff"
    assert zipfile.is_zipfile(io.BytesIO(_xlsx_bytes([["a", "b", "1", "c", "d"]])))


# -- the date reader on its own: no value makes it raise -------------------------------------

DATE_PIECES = st.sampled_from(
    [
        "0",
        "00",
        "0000",
        "9999",
        "99999",
        "1",
        "12",
        "13",
        "31",
        "2020",
        "/",
        "-",
        ".",
        " ",
        ":",
        "q",
        "Q4",
        "p",
        "P12",
        "jan",
        "sept",
        "to",
        "t",
        "z",
        "+",
        "25:99",
        "fy",
        "period",
    ]
)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@example(pieces=["jan", " ", "0000"], order="dmy")
@example(pieces=["Q4", " ", "9999", "-", "00"], order="dmy")
@example(pieces=["P12", " ", "9999"], order="dmy")
@given(pieces=st.lists(DATE_PIECES, min_size=1, max_size=8), order=st.sampled_from(["dmy", "mdy"]))
def test_date_reader_never_raises_and_never_dates_outside_1900_to_2100(
    pieces: list[str], order: str
) -> None:
    """Years 0 and 9999 in period forms raised ValueError or OverflowError."""
    raw = "".join(pieces)
    rules = PeriodRules(year="2020-21")
    value = parse_one(raw, order, rules)
    if value is not None:
        assert value.start.year >= 1900 and value.end.year <= 2100
        assert not out_of_range(raw, order, rules)
    impossible_time(raw)
