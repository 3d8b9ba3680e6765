"""File formats as they arrive: mixed line ends, workbooks with many sheets,
float cells, and DOS code pages.  Each synthetic file is written into the
test's temporary folder and named after the defect it guards against.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from totalplace.ingest import FileReport, ingest_files
from totalplace.workspace import Workspace

from .test_formats import HEADER, PUBLISHER, check_balanced, counts, spend_rows

ROWS = [
    b"01/11/2010,Acme Ltd,600.00",
    b"02/11/2010,Beta Ltd,700.00",
    b"03/11/2010,Gamma Ltd,800.00",
    b"04/11/2010,Delta Ltd,900.00",
    b"05/11/2010,Epsilon Ltd,1000.00",
]
ALL_PENCE = 60000 + 70000 + 80000 + 90000 + 100000


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")


def ingest(ws: Workspace, *paths: Path) -> list[FileReport]:
    report = ingest_files(ws, list(paths), publisher=PUBLISHER)
    for f in report.files:
        if f.status == "loaded":
            check_balanced(ws, f)
    return report.files


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def lines_and_suppliers(ws: Workspace) -> list[tuple[int, str]]:
    return [(r[0], r[3]) for r in spend_rows(ws)]


SUPPLIERS = ["Acme Ltd", "Beta Ltd", "Gamma Ltd", "Delta Ltd", "Epsilon Ltd"]


# -- line ends, decided line by line ----------------------------------------------------


def test_cr_only_file_with_one_stray_crlf_reads_as_its_lines(ws: Workspace, tmp_path: Path) -> None:
    # every line ends in CR except the third, which ends in CR LF
    header = HEADER.rstrip(b"\n")
    data = header + b"\r" + ROWS[0] + b"\r" + ROWS[1] + b"\r\n" + b"\r".join(ROWS[2:]) + b"\r"
    [f] = ingest(ws, write(tmp_path, "cr-only-one-crlf.csv", data))
    assert f.status == "loaded", f.message
    assert counts(f) == (5, 5, 0, 0)
    assert f.amount_loaded_pence == ALL_PENCE
    assert lines_and_suppliers(ws) == list(zip(range(2, 7), SUPPLIERS, strict=True))


def test_lf_file_with_lone_crs_ending_some_lines_reads_as_its_lines(
    ws: Workspace, tmp_path: Path
) -> None:
    # lines 3 and 5 end in a lone CR: two months pasted together from two systems
    data = HEADER + ROWS[0] + b"\n" + ROWS[1] + b"\r" + ROWS[2] + b"\n"
    data += ROWS[3] + b"\r" + ROWS[4] + b"\n"
    [f] = ingest(ws, write(tmp_path, "lf-with-cr-line-ends.csv", data))
    assert counts(f) == (5, 5, 0, 0)
    assert f.amount_loaded_pence == ALL_PENCE
    assert lines_and_suppliers(ws) == list(zip(range(2, 7), SUPPLIERS, strict=True))
    assert f.details["line_ends"] == {"lf": 4, "crlf": 0, "cr": 2, "cr_inside_records": 0}


def test_crlf_file_with_lone_cr_line_ends_reads_as_its_lines(ws: Workspace, tmp_path: Path) -> None:
    data = HEADER.replace(b"\n", b"\r\n") + ROWS[0] + b"\r" + ROWS[1] + b"\r\n"
    data += ROWS[2] + b"\r\n" + ROWS[3] + b"\r" + ROWS[4] + b"\r\n"
    [f] = ingest(ws, write(tmp_path, "crlf-with-cr-line-ends.csv", data))
    assert counts(f) == (5, 5, 0, 0)
    assert lines_and_suppliers(ws) == list(zip(range(2, 7), SUPPLIERS, strict=True))


def test_lone_cr_inside_a_field_of_a_mixed_file_keeps_the_record_whole(
    ws: Workspace, tmp_path: Path
) -> None:
    # line 3 ends in a lone CR (a line end); "Gamma\rLtd" holds a CR typed in a field
    data = HEADER + ROWS[0] + b"\n" + ROWS[1] + b"\r" + b"03/11/2010,Gamma\rLtd,800.00\n"
    data += b"\n".join(ROWS[3:]) + b"\n"
    [f] = ingest(ws, write(tmp_path, "mixed-cr-in-field.csv", data))
    assert counts(f) == (5, 5, 0, 0)
    assert f.amount_loaded_pence == ALL_PENCE
    assert lines_and_suppliers(ws)[2] == (4, "Gamma Ltd")
    assert f.details["line_ends"]["cr_inside_records"] == 1  # type: ignore[index]


def test_quoted_crlf_in_a_cr_only_file_stays_one_record(ws: Workspace, tmp_path: Path) -> None:
    header = HEADER.rstrip(b"\n")
    data = header + b"\r" + b'01/11/2010,"Acme\r\nLtd",600.00\r' + b"\r".join(ROWS[1:]) + b"\r"
    [f] = ingest(ws, write(tmp_path, "cr-only-quoted-crlf.csv", data))
    assert counts(f) == (5, 5, 0, 0)
    rows = spend_rows(ws, "source_line, source_lines, amount_pence, supplier_name")
    assert rows[0] == (2, 2, 60000, "Acme\nLtd")
    assert [r[0] for r in rows[1:]] == [4, 5, 6, 7]


def test_quoted_lone_cr_in_an_lf_file_is_one_record_of_two_lines(
    ws: Workspace, tmp_path: Path
) -> None:
    data = HEADER + b'01/11/2010,"Acme\rLtd",600.00\n' + b"\n".join(ROWS[1:]) + b"\n"
    [f] = ingest(ws, write(tmp_path, "lf-quoted-cr.csv", data))
    assert counts(f) == (5, 5, 0, 0)
    assert f.amount_loaded_pence == ALL_PENCE
    rows = spend_rows(ws, "source_line, source_lines, supplier_name")
    assert rows[0] == (2, 2, "Acme\nLtd")
    assert rows[1][0] == 4


def test_line_ends_split_across_read_chunks(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from totalplace.ingest import sources

    monkeypatch.setattr(sources, "CHUNK", 7)  # every CR LF and lone CR lands on a chunk edge
    data = HEADER + ROWS[0] + b"\r\n" + ROWS[1] + b"\r" + b"03/11/2010,Gamma\rLtd,800.00\n"
    data += ROWS[3] + b"\r\n" + ROWS[4] + b"\r"
    [f] = ingest(ws, write(tmp_path, "chunk-edges.csv", data))
    assert counts(f) == (5, 5, 0, 0)
    assert lines_and_suppliers(ws) == list(zip(range(2, 7), SUPPLIERS, strict=True))
    assert spend_rows(ws)[0][1] == date(2010, 11, 1)


# -- workbooks: every sheet of payments -------------------------------------------------

WB_HEADER = ["Payment Date", "Supplier Name", "Amount"]


def year_workbook(path: Path) -> Path:
    """A year's workbook as published: notes first, a sheet per month (one with a
    title row), a pivot table, a chart and an empty sheet."""
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    wb = openpyxl.Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["Payments over £500 published under the Transparency Code"])
    notes.append(["Contact: finance@example.gov.uk"])
    april = wb.create_sheet("April")
    april.append(WB_HEADER)
    april.append([date(2010, 4, 1), "Acme Ltd", 600.0])
    april.append([date(2010, 4, 2), "Beta Ltd", 1041.4099999999999])
    may = wb.create_sheet("May 2010")
    may.append(["Spend over £500, May 2010"])
    may.append(WB_HEADER)
    may.append([date(2010, 5, 3), "Gamma Ltd", 800])
    may.append([date(2010, 5, 4), "Delta Ltd", "£900.00"])
    pivot = wb.create_sheet("Pivot")
    # a pivot whose header holds known column names: loading it would count twice
    pivot.append(["Supplier Name", "Service Area", "Sum of Amount"])
    pivot.append(["Acme Ltd", "Highways", 600])
    pivot.append(["Grand Total", None, 600])
    summary = wb.create_sheet("Summary")
    summary.append(["Row Labels", "Total"])
    summary.append(["April", 1641.41])
    chart = wb.create_chartsheet("Chart")
    bars = BarChart()
    bars.add_data(Reference(pivot, min_col=2, min_row=1, max_row=3))
    chart.add_chart(bars)
    wb.create_sheet("Empty")
    header_only = wb.create_sheet("June")
    header_only.append(WB_HEADER)
    wb.save(path)
    return path


def test_every_payment_sheet_of_a_workbook_is_loaded_not_just_the_first(
    ws: Workspace, tmp_path: Path
) -> None:
    book = year_workbook(tmp_path / "book.xlsx")
    report = ingest_files(ws, [book], publisher=PUBLISHER)
    assert report.ok
    got = {Path(f.path).name: (f.status, f.message) for f in report.files}
    assert [Path(f.path).name for f in report.files] == [
        "book.xlsx!Notes",
        "book.xlsx!April",
        "book.xlsx!May 2010",
        "book.xlsx!Pivot",
        "book.xlsx!Summary",
        "book.xlsx!Chart",
        "book.xlsx!Empty",
        "book.xlsx!June",
    ]
    assert got["book.xlsx!April"][0] == got["book.xlsx!May 2010"][0] == "loaded"
    assert got["book.xlsx!Notes"][0] == got["book.xlsx!Pivot"][0] == "skipped"
    assert got["book.xlsx!Pivot"][1].startswith("a pivot table")
    assert got["book.xlsx!Summary"][0] == "skipped"
    assert got["book.xlsx!Chart"] == ("skipped", "a chart sheet: no rows")
    assert got["book.xlsx!Empty"] == ("skipped", "an empty sheet")
    assert got["book.xlsx!June"] == ("skipped", "a header row (row 1) but no rows below it")
    april, may = (f for f in report.files if f.status == "loaded")
    assert (april.rows_loaded, april.amount_loaded_pence) == (2, 60000 + 104141)
    assert (may.rows_loaded, may.amount_loaded_pence) == (2, 80000 + 90000)
    assert april.details["sheet"] == "April"
    with ws.connect() as con:
        assert con.sql("SELECT path FROM files ORDER BY path").fetchall() == [
            (f"{book}!April",),
            (f"{book}!May 2010",),
        ]
        # May's header is row 2 under a title row: its payments are rows 3 and 4
        assert con.sql(
            "SELECT source_line FROM spend WHERE file_id = ? ORDER BY 1", params=[may.sha256]
        ).fetchall() == [(3,), (4,)]


def test_reingesting_a_workbook_skips_the_sheets_already_loaded(
    ws: Workspace, tmp_path: Path
) -> None:
    import hashlib

    book = year_workbook(tmp_path / "book.xlsx")
    first = ingest_files(ws, [book], publisher=PUBLISHER).files
    again = ingest_files(ws, [book], publisher=PUBLISHER).files
    loaded = [f for f in first if f.status == "loaded"]
    assert [f.status for f in again if f.sha256 in {x.sha256 for x in loaded}] == [
        "duplicate",
        "duplicate",
    ]
    ids = [f.sha256 for f in first]
    assert len(set(ids)) == len(ids)  # every sheet its own id
    raw = book.read_bytes()
    # the first sheet with rows keeps the workbook's own hash (what was loaded
    # before sheets were read one by one); others hash the bytes and their name
    assert ids[0] == hashlib.sha256(raw).hexdigest()
    assert loaded[0].sha256 == hashlib.sha256(raw + b"!April").hexdigest()
    with ws.connect() as con:
        assert con.sql("SELECT count(*) FROM spend").fetchall() == [(4,)]


def test_workbook_with_no_payment_sheet_fails_instead_of_loading_nothing(
    ws: Workspace, tmp_path: Path
) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(["Ref", "Cost"])
    sheet.append(["A1", 600])
    wb.create_sheet("Notes").append(["Published monthly"])
    path = tmp_path / "no-header.xlsx"
    wb.save(path)
    report = ingest_files(ws, [path], publisher=PUBLISHER)
    assert not report.ok
    assert [f.status for f in report.files] == ["failed", "skipped"]
    assert "header" in report.files[0].message


def test_xlsm_workbook_is_read_like_xlsx(ws: Workspace, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "Data"
    sheet.append(WB_HEADER)
    sheet.append([date(2010, 11, 1), "Acme Ltd", 600.5])
    path = tmp_path / "macro-book.xlsm"
    wb.save(path)
    [f] = ingest(ws, path)
    assert (f.path, f.status, f.amount_loaded_pence) == (f"{path}!Data", "loaded", 60050)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1041.4099999999999, "1041.41"),
        (0.1 + 0.2, "0.3"),
        (1234.5, "1234.5"),
        (-50.5, "-50.5"),
        (123456789.01, "123456789.01"),
        (1e-7, "0.0000001"),
        (40545.0, "40545"),
    ],
)
def test_float_cells_are_written_as_the_decimal_excel_holds(value: float, text: str) -> None:
    from totalplace.ingest.workbooks import float_text

    assert float_text(value) == text


def test_skipped_sheets_show_in_the_ingest_table_and_json(ws: Workspace, tmp_path: Path) -> None:
    import io
    import json

    from rich.console import Console

    from totalplace.cli import render_report

    report = ingest_files(ws, [year_workbook(tmp_path / "book.xlsx")], publisher=PUBLISHER)
    out = io.StringIO()
    render_report(report, Console(file=out, width=250))
    text = out.getvalue()
    assert "skipped" in text and "a chart sheet: no rows" in text
    assert "6 sheet(s) skipped (no payments)" in text
    statuses = [f["status"] for f in json.loads(json.dumps(report.to_dict()))["files"]]
    assert statuses.count("skipped") == 6


# -- legacy code pages -------------------------------------------------------------------


def file_encoding(ws: Workspace) -> str:
    with ws.connect() as con:
        rows = con.sql("SELECT encoding FROM files").fetchall()
    assert len(rows) == 1
    return str(rows[0][0])


def test_pound_sign_in_a_dos_code_page_is_read_as_pounds_with_a_warning(
    ws: Workspace, tmp_path: Path
) -> None:
    text = (
        "Payment Date,Supplier Name,Amount\n"
        '01/11/2010,Café Ltd,"£1,234.50"\n'
        "02/11/2010,Müller GmbH,£ 600.00\n"
    )
    raw = text.encode("cp850")
    assert b"\x9c1" in raw and b"\xa3" not in raw  # "£" is 0x9C in cp850
    [f] = ingest(ws, write(tmp_path, "dos-cp850.csv", raw))
    assert f.status == "loaded", f.message
    assert counts(f) == (2, 2, 0, 0)
    assert f.amount_loaded_pence == 123450 + 60000
    assert [r[3] for r in spend_rows(ws)] == ["Café Ltd", "Müller GmbH"]
    assert file_encoding(ws) == "cp850"
    assert [w["slug"] for w in f.warnings] == ["currency-sign-guessed"]
    enc = f.details["encoding"]
    assert isinstance(enc, dict)
    assert (enc["encoding"], enc["0x9c_before_digits"], enc["0xa3_before_digits"]) == (
        "cp850",
        2,
        0,
    )
    assert "9c 31 2c 32" in enc["currency_sign_bytes"]  # the raw bytes of "£1,2"
    # provenance is the original bytes
    import hashlib

    assert f.sha256 == hashlib.sha256(raw).hexdigest()


def test_cp1252_pound_sign_is_not_guessed_even_beside_an_oe_byte(
    ws: Workspace, tmp_path: Path
) -> None:
    # 0x9C is "œ" in a name, 0xA3 is "£" before the amounts: plain cp1252
    text = "Payment Date,Supplier Name,Amount\n01/11/2010,Cœur Ltd,£600.00\n"
    raw = text.encode("cp1252")
    assert b"\x9c" in raw and b"\xa36" in raw
    [f] = ingest(ws, write(tmp_path, "cp1252-oe.csv", raw))
    assert f.amount_loaded_pence == 60000
    assert file_encoding(ws) == "cp1252"
    assert spend_rows(ws)[0][3] == "Cœur Ltd"
    assert f.warnings == []
    assert f.details["encoding"]["encoding"] == "cp1252"  # type: ignore[index]


def test_dos_byte_before_amounts_does_not_win_when_the_cp1252_sign_is_there_too(
    tmp_path: Path,
) -> None:
    from totalplace.ingest.codepages import choose

    path = write(tmp_path, "both.csv", b"x,\xa3600.00\ny,\x9c700.00\n")
    choice = choose(path)
    assert (choice.encoding, choice.guessed_sign) == ("cp1252", False)


def test_currency_sign_split_across_read_chunks_is_counted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from totalplace.ingest import codepages

    data = b"ab\x9c 1cd\x9c2e\x9c"  # three 0x9C, two before digits
    path = write(tmp_path, "edges.csv", data)
    for size in range(1, len(data) + 1):
        monkeypatch.setattr(codepages, "CHUNK", size)
        ev = codepages.gather(path)
        assert ev.before_digits[codepages.DOS_POUND] == 2, size
        assert int(ev.high_bytes[0x9C]) == 3
        assert ev.first_hex[codepages.DOS_POUND].endswith("(at byte 2)")


def test_dos_page_with_accented_capitals_is_cp850_not_cp437(tmp_path: Path) -> None:
    from totalplace.ingest.codepages import choose

    # 0xB5 is "Á" in cp850 but a box-drawing piece in cp437
    path = write(tmp_path, "dos.csv", "ÁLVAREZ SA,£600.00\n".encode("cp850"))
    choice = choose(path)
    assert choice.encoding == "cp850"
    assert choice.details["implausible"] == {"cp850": 0, "cp437": 1}


def test_workbook_inside_a_zip_is_read_sheet_by_sheet(ws: Workspace, tmp_path: Path) -> None:
    import zipfile

    book = year_workbook(tmp_path / "book.xlsx")
    archive = tmp_path / "year.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(book, "2010/book.xlsx")
    report = ingest_files(ws, [archive], publisher=PUBLISHER)
    loaded = [f.path for f in report.files if f.status == "loaded"]
    assert loaded == [f"{archive}!2010/book.xlsx!April", f"{archive}!2010/book.xlsx!May 2010"]
    assert report.ok
    assert [p.name for p in ws.tmp_dir.iterdir() if p.is_file()] == []  # nothing left behind
