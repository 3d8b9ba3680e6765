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
