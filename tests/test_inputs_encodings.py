"""UTF-16 files are read, and a file mixing UTF-8 and cp1252 reads every line
right with a warning; each file here is written by the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from totalplace.ingest import FileReport, ingest_files
from totalplace.workspace import Workspace

PUBLISHER = "Test Council"
TEXT = (
    "Payment Date,Supplier Name,Amount\r\n"
    "01/11/2010,Café Ltd,£600.00\r\n"
    "02/11/2010,Crème Brûlée plc,£1\u00a0234.50\r\n"
    "03/11/2010,Acme Ltd,700.00\r\n"
)
ROWS = [
    (2, 60000, "Café Ltd"),
    (3, 123450, "Crème Brûlée plc"),
    (4, 70000, "Acme Ltd"),
]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")


def ingest(ws: Workspace, path: Path) -> FileReport:
    [f] = ingest_files(ws, [path], publisher=PUBLISHER).files
    return f


def rows(ws: Workspace) -> list[tuple[int, int, str]]:
    with ws.connect() as con:
        return con.sql(
            "SELECT source_line, amount_pence, supplier_name FROM spend ORDER BY source_line"
        ).fetchall()


def encoding(ws: Workspace) -> str:
    with ws.connect() as con:
        row = con.sql("SELECT encoding FROM files").fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("utf-16", "utf-16"),  # with a byte-order mark, in the machine's order
        ("utf-16-be-bom", "utf-16"),
        ("utf-16-le", "utf-16-le"),  # no byte-order mark: found by the NULs
        ("utf-16-be", "utf-16-be"),
    ],
)
def test_utf16_file_is_read_not_refused_for_want_of_a_header(
    ws: Workspace, tmp_path: Path, codec: str, expected: str
) -> None:
    if codec == "utf-16-be-bom":
        data = "\ufeff".encode("utf-16-be") + TEXT.encode("utf-16-be")
    else:
        data = TEXT.encode(codec)
    path = tmp_path / f"{codec}.csv"
    path.write_bytes(data)
    f = ingest(ws, path)
    assert f.status == "loaded", f.message
    assert (f.rows_read, f.rows_loaded, f.amount_loaded_pence) == (3, 3, 60000 + 123450 + 70000)
    assert rows(ws) == ROWS
    assert encoding(ws) == expected
    assert f.details["encoding"]["encoding"] == expected  # type: ignore[index]
    import hashlib

    assert f.sha256 == hashlib.sha256(data).hexdigest()  # the hash of the bytes published
    assert [p.name for p in ws.tmp_dir.iterdir() if not p.name.startswith(".")] == []


def test_mixed_utf8_and_cp1252_lines_read_right_with_a_warning(
    ws: Workspace, tmp_path: Path
) -> None:
    lines = TEXT.split("\r\n")
    # the header and first row in UTF-8, the second row saved later in cp1252
    data = (
        "\r\n".join(lines[:2]).encode("utf-8")
        + b"\r\n"
        + lines[2].encode("cp1252")
        + b"\r\n"
        + lines[3].encode("utf-8")
        + b"\r\n"
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    f = ingest(ws, path)
    assert f.status == "loaded", f.message
    assert rows(ws) == ROWS
    assert [w["slug"] for w in f.warnings] == ["mixed-encoding"]
    assert "1 line(s) with accents or signs are UTF-8" in f.warnings[0]["message"]
    assert "and 1 are cp1252" in f.warnings[0]["message"]
    assert encoding(ws) == "utf-8+cp1252"
    mixed = f.details["encoding"]["mixed"]  # type: ignore[index]
    assert (mixed["utf8_lines"], mixed["other_lines"]) == (1, 1)


def test_mixed_encodings_with_lone_cr_line_ends(ws: Workspace, tmp_path: Path) -> None:
    lines = TEXT.split("\r\n")
    data = lines[0].encode() + b"\r" + lines[1].encode("cp1252") + b"\r" + lines[2].encode("utf-8")
    data += b"\r" + lines[3].encode() + b"\r"
    path = tmp_path / "mixed-cr.csv"
    path.write_bytes(data)
    f = ingest(ws, path)
    assert f.status == "loaded", f.message
    assert rows(ws) == ROWS
    assert [w["slug"] for w in f.warnings] == ["mixed-encoding"]


def test_plain_cp1252_file_is_not_called_mixed(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "cp1252.csv"
    path.write_bytes(TEXT.encode("cp1252"))
    f = ingest(ws, path)
    assert rows(ws) == ROWS
    assert f.warnings == []
    assert encoding(ws) == "cp1252"


def test_utf8_file_with_a_stray_nul_is_not_taken_for_utf16(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(TEXT.encode("utf-8").replace(b"Acme", b"Ac\x00e"))
    f = ingest(ws, path)
    assert encoding(ws) == "utf-8"
    assert f.rows_read == 3
