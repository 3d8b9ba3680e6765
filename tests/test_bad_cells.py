"""A bad cell or a file beyond a limit fails one row or one file, never the command.

Each file here once took the whole ingest down with a traceback (exit 1, no
JSON, later files never tried, no attempt recorded).  Now a bad cell is a
quarantined row with a typed issue, a file beyond a limit fails alone with the
limit named, and a fault in totalplace itself exits 3 asking for a report.
"""

from __future__ import annotations

import json
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.ingest.limits import LIMITS, MAX_AMOUNT_PENCE
from totalplace.workspace import Workspace

runner = CliRunner()
H = "Body Name,Payment Date,Amount,Supplier Name"
GOOD_ROW = "X,02/04/2020,5.00,Beta Ltd"


def _init(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["init", str(ws), "--place", "E08000025", "--year", "2020-21"])
    assert result.exit_code == 0, result.output
    return ws


def _ingest(ws: Path, *files: Path, extra: tuple[str, ...] = ()) -> tuple[int, dict[str, dict]]:
    result = runner.invoke(
        app, ["ingest", str(ws), *map(str, files), "--publisher", "X", "--json", *extra]
    )
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    return result.exit_code, {Path(f["path"].split("!")[0]).name: f for f in report["files"]}


def _csv(tmp_path: Path, name: str, *rows: str, header: str = H) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows, GOOD_ROW]) + "\n", encoding="utf-8")
    return path


# -- bad cells: the row is quarantined with a typed issue --------------------------------


@pytest.mark.parametrize(
    "amount",
    ["100000000000000000", "-100000000000000000.00", "1" + "0" * 40, "10000000000000.01"],
)
def test_amount_beyond_ten_trillion_is_quarantined_not_a_crash(tmp_path: Path, amount: str) -> None:
    ws = _init(tmp_path)
    src = _csv(tmp_path, "big.csv", f'X,01/04/2020,"{amount}",Acme Ltd')
    code, files = _ingest(ws, src)
    f = files["big.csv"]
    assert (code, f["status"], f["rows_loaded"], f["rows_quarantined"]) == (0, "loaded", 1, 1)
    assert f["issue_counts"] == {"amount-out-of-range": 1}
    assert f["amount_loaded_pence"] == 500
    (issue,) = f["issues"]
    assert (issue["line"], issue["field"], issue["value"]) == (2, "Amount", amount)


def test_amount_of_exactly_ten_trillion_is_money(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    src = _csv(tmp_path, "edge.csv", "X,01/04/2020,10000000000000.00,Acme Ltd")
    _, files = _ingest(ws, src, extra=("--accept-large",))
    f = files["edge.csv"]
    assert (f["rows_loaded"], f["amount_loaded_pence"]) == (2, MAX_AMOUNT_PENCE + 500)


def test_amounts_adding_up_past_what_the_store_holds_fail_the_file_not_the_command(
    tmp_path: Path,
) -> None:
    ws = _init(tmp_path)
    # 10,000 payments of £9.99 trillion: each in range, together past 2^63 - 1 pence
    rows = [f"X,01/04/2020,9990000000000.00,Payee {i}" for i in range(10_000)]
    huge = _csv(tmp_path, "huge.csv", *rows)
    good = _csv(tmp_path, "good.csv")
    code, files = _ingest(ws, huge, good, extra=("--accept-large",))
    assert code == 1
    assert files["huge.csv"]["status"] == "failed"
    assert "add up to more than the store can hold" in files["huge.csv"]["message"]
    assert files["good.csv"]["status"] == "loaded"


@pytest.mark.parametrize(
    "value", ["Jan 0000", "Q4 9999-00", "P12 9999", "01/01/1850", "2150-06-30", "0001-01-01"]
)
def test_date_outside_1900_to_2100_is_quarantined_not_a_crash(tmp_path: Path, value: str) -> None:
    ws = _init(tmp_path)
    src = _csv(tmp_path, "years.csv", f"X,{value},10.00,Acme Ltd")
    code, files = _ingest(ws, src)
    f = files["years.csv"]
    assert (code, f["rows_loaded"], f["rows_quarantined"]) == (0, 1, 1)
    assert f["issue_counts"] == {"date-out-of-range": 1}
    assert f["issues"][0]["value"] == value


def test_years_1900_and_2100_are_inside_the_range(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    src = _csv(tmp_path, "edges.csv", "X,01/01/1900,1.00,A", "X,31/12/2100,2.00,B")
    _, files = _ingest(ws, src)
    assert files["edges.csv"]["rows_loaded"] == 3


def test_impossible_time_of_day_is_warned_and_the_day_kept(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    src = _csv(
        tmp_path, "times.csv", "X,01/04/2020 25:99,10.00,Acme Ltd", "X,2020-04-03 23:59,1.00,B"
    )
    _, files = _ingest(ws, src)
    f = files["times.csv"]
    assert f["rows_loaded"] == 3
    assert [w["slug"] for w in f["warnings"]] == ["impossible-time"]
    assert f["details"]["impossible_times"] == {"rows": 1, "examples": ["01/04/2020 25:99"]}
    with Workspace.open(ws).connect() as con:
        days = con.execute("SELECT min(payment_date) FROM spend").fetchone()
    assert str(days[0]) == "2020-04-01"


# -- whole files: fail alone, with a typed reason and the limit named ---------------------


def test_nul_in_a_header_fails_the_file_and_the_next_file_loads(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    bad = _csv(
        tmp_path, "nul.csv", "X,01/04/2020,10.00,Acme", header=H.replace(" Date", "\x00 Date")
    )
    good = _csv(tmp_path, "good.csv")
    code, files = _ingest(ws, bad, good)
    assert code == 1
    assert files["nul.csv"]["status"] == "failed"
    assert "NUL byte" in files["nul.csv"]["message"]
    assert files["nul.csv"]["details"]["failure"] == {"error": "SourceError"}
    assert files["good.csv"]["status"] == "loaded"
    # the attempt is recorded: check lists the failed file beside the loaded one
    check = json.loads(runner.invoke(app, ["check", str(ws), "--json"]).stdout)
    assert {Path(f["path"]).name: f["status"] for f in check["files"]} == {
        "nul.csv": "failed",
        "good.csv": "loaded",
    }


def test_line_over_the_size_limit_fails_the_file_naming_the_limit(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    long = _csv(tmp_path, "long.csv", "X,01/04/2020,10.00," + "A" * 3 * 1024 * 1024)
    good = _csv(tmp_path, "good.csv")
    code, files = _ingest(ws, long, good)
    assert code == 1
    message = files["long.csv"]["message"]
    assert files["long.csv"]["status"] == "failed"
    assert "line 2 is 3,145,747 bytes" in message
    assert "max_line_bytes" in message and "--max-line-bytes" in message
    assert files["good.csv"]["status"] == "loaded"


def test_max_line_bytes_raises_and_lowers_the_line_limit(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    src = _csv(tmp_path, "wide.csv", "X,01/04/2020,10.00," + "A" * 5000)
    _, files = _ingest(ws, src, extra=("--max-line-bytes", "1000"))
    assert files["wide.csv"]["status"] == "failed"
    assert "over the limit of 1,000 bytes" in files["wide.csv"]["message"]
    _, files = _ingest(ws, src, extra=("--max-line-bytes", "10000"))
    assert files["wide.csv"]["status"] == "loaded"


def test_ten_thousand_columns_are_refused_quickly(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    header = H + "," + ",".join(f"Extra {i}" for i in range(10_000))
    wide = _csv(tmp_path, "wide.csv", "X,01/04/2020,10.00,Acme" + "," * 10_000, header=header)
    started = time.monotonic()
    code, files = _ingest(ws, wide)
    assert time.monotonic() - started < 30  # it ran out of memory after 103 s
    assert code == 1
    message = files["wide.csv"]["message"]
    assert "has 10,004 columns, over the limit of 1,000 columns (max_columns)" in message
    assert files["wide.csv"]["details"]["failure"] == {
        "error": "LimitExceeded",
        "limit": "max_columns",
        "value": 1000,
        "option": "--max-columns",
    }


def test_max_columns_raises_and_lowers_the_column_limit(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    header = H + "," + ",".join(f"Extra {i}" for i in range(26))
    src = _csv(tmp_path, "thirty.csv", "X,01/04/2020,10.00,Acme" + "," * 26, header=header)
    _, files = _ingest(ws, src, extra=("--max-columns", "20"))
    assert "has 30 columns, over the limit of 20 columns" in files["thirty.csv"]["message"]
    _, files = _ingest(ws, src, extra=("--max-columns", "30"))
    assert files["thirty.csv"]["status"] == "loaded"


# -- workbooks ---------------------------------------------------------------------------


def _workbook(path: Path, rows: int = 5, notes_first: bool = True) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    if notes_first:
        ws.title = "Notes"
        ws.append(["These are notes about the data"])
        ws = wb.create_sheet("Spend")
    else:
        ws.title = "Spend"
    ws.append(H.split(","))
    for i in range(rows):
        ws.append(["X", "01/04/2020", 10.5 + i, f"Acme {i}"])
    wb.save(path)
    return path


def _rewrite(src: Path, dest: Path, change: dict[str, object]) -> Path:
    """Copy a workbook, passing each XML part through ``change[name]`` (bytes -> bytes)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            for pattern, fn in change.items():
                if re.fullmatch(pattern, name):
                    data = fn(data)  # type: ignore[operator]
            zout.writestr(name, data)
    return dest


def test_workbook_with_a_doctype_is_refused_unread(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    base = _workbook(tmp_path / "base.xlsx")
    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
    bad = _rewrite(base, tmp_path / "dtd.xlsx", {r"xl/worksheets/sheet2\.xml": lambda d: dtd + d})
    good = _csv(tmp_path, "good.csv")
    code, files = _ingest(ws, bad, good)
    assert code == 1
    assert files["dtd.xlsx"]["status"] == "failed"
    assert "declares a DOCTYPE" in files["dtd.xlsx"]["message"]
    assert files["good.csv"]["status"] == "loaded"


@pytest.mark.parametrize(
    "dimension",
    [b"", b'<dimension ref="A1"/>', b'<dimension ref="A1:B2"/>'],
    ids=["none", "A1", "A1:B2"],
)
def test_workbook_without_a_true_dimension_reads_every_row_of_the_right_sheet(
    tmp_path: Path, dimension: bytes
) -> None:
    """Streaming writers leave out <dimension>; some write it wrong.  openpyxl's
    read-only mode trusted it: the payments sheet read as one row, so the notes
    sheet was read instead and the workbook failed."""
    ws = _init(tmp_path)
    base = _workbook(tmp_path / "base.xlsx")
    fix = {r"xl/worksheets/sheet\d\.xml": lambda d: re.sub(rb"<dimension[^>]*/>", dimension, d)}
    book = _rewrite(base, tmp_path / "streamed.xlsx", fix)
    code, files = _ingest(ws, book)
    report = json.loads(runner.invoke(app, ["check", str(ws), "--json"]).stdout)
    loaded = [f for f in report["files"] if f["status"] == "loaded"]
    assert code == 0
    assert [f["path"].split("!")[1] for f in loaded] == ["Spend"]
    assert (loaded[0]["rows_loaded"], loaded[0]["amount_loaded_pence"]) == (5, 6250)
    assert files


def test_workbook_sheet_over_the_row_limit_fails_naming_the_limit(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    book = _workbook(tmp_path / "rows.xlsx", rows=20, notes_first=False)
    code, files = _ingest(ws, book, extra=("--max-sheet-rows", "10"))
    assert code == 1
    message = files["rows.xlsx"]["message"]
    assert "more than 10 rows" in message and "--max-sheet-rows" in message
    _, files = _ingest(ws, book)
    assert files["rows.xlsx"]["status"] == "loaded"


# -- every bad file in one command: each fails or quarantines alone ----------------------


def test_one_command_over_every_bad_file_ends_with_the_json_report(tmp_path: Path) -> None:
    ws = _init(tmp_path)
    files = [
        _csv(tmp_path, "a-big.csv", "X,01/04/2020,100000000000000000,Acme"),
        _csv(tmp_path, "b-year.csv", "X,P12 9999,10.00,Acme"),
        _csv(
            tmp_path, "c-nul.csv", "X,01/04/2020,1.00,A", header=H.replace("Amount", "Am\x00ount")
        ),
        _csv(tmp_path, "d-long.csv", "X,01/04/2020,1.00," + "B" * 2_000_000),
        _csv(tmp_path, "e-good.csv", "X,03/04/2020,7.00,Gamma"),
    ]
    code, report = _ingest(ws, *files)
    assert code == 1
    assert {name: f["status"] for name, f in report.items()} == {
        "a-big.csv": "loaded",
        "b-year.csv": "loaded",
        "c-nul.csv": "failed",
        "d-long.csv": "failed",
        "e-good.csv": "loaded",
    }
    for f in report.values():
        assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] + f["rows_blank"]
    saved = json.loads((ws / "ingest_report.json").read_text())
    assert len(saved["files"]) == 5


# -- a fault in totalplace itself ---------------------------------------------------------


def test_an_uncaught_exception_exits_3_asking_for_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _init(tmp_path)
    src = _csv(tmp_path, "good.csv")

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("injected fault")

    # the command imports ingest_files when it runs, from the pipeline
    monkeypatch.setattr("totalplace.ingest.pipeline.ingest_files", broken)
    result = runner.invoke(app, ["ingest", str(ws), str(src), "--json"])
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "InternalError"
    assert "ZeroDivisionError: injected fault" in error["message"]
    assert "please report it" in error["message"]
    plain = runner.invoke(app, ["ingest", str(ws), str(src)])
    assert plain.exit_code == 3
    assert "internal error" in plain.output


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_every_limit_is_documented_with_its_option(name: str) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Limits", 1)[1]
    row = next(line for line in table.splitlines() if line.startswith(f"| `{name}` |"))
    assert f"`ingest {LIMITS[name].option} N`" in row


def test_workbook_row_with_a_value_past_the_column_limit_fails_the_workbook(
    tmp_path: Path,
) -> None:
    ws = _init(tmp_path)
    path = _workbook(tmp_path / "wide.xlsx", notes_first=False)
    wb = openpyxl.load_workbook(path)
    sheet = wb["Spend"]
    sheet.cell(row=3, column=1500, value="stray")
    wb.save(path)
    code, files = _ingest(ws, path)
    assert code == 1
    message = files["wide.xlsx"]["message"]
    assert "row 3 has a value in column 1,500, over the limit of 1,000 columns" in message
    assert "--max-columns" in message
