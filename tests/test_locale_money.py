"""Money as every locale writes it, each value worked out by hand in pence.

The decimal separator is decided per column from all its values (see
:mod:`totalplace.ingest.separators`): ``12,34`` in a semicolon file used to
load as £1,234, ``1 234,56`` as £123,456.00 and ``1.234,56`` as £1.23.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from totalplace.ingest.pipeline import ingest_files
from totalplace.workspace import Workspace

NBSP, NNBSP = "\u00a0", "\u202f"

# (value as published, pence worked by hand)
CONTINENTAL = [
    ("1.234,56", 123456),
    ("1 234,56", 123456),
    (f"1{NBSP}234,56", 123456),
    (f"1{NNBSP}234,56", 123456),
    ("12,34", 1234),
    ("0,5", 50),
    ("1.234.567,89", 123456789),
    ("-1.234,56", -123456),
    ("(1.234,56)", -123456),
    ("1.234,56-", -123456),
    ("£1.234,56", 123456),
    ("1.234", 123400),  # ambiguous alone: the column's decimal comma makes it thousands
    ("7", 700),
    ("1.234,565", 123456),  # 1234.565 to pence: 123456.5, half-even to 123456
]
SWISS = [
    ("1'234.56", 123456),
    ("1\u2019234.56", 123456),
    ("-1'234.56", -123456),
    ("12.34", 1234),
]
UK = [
    ("£1,234.50", 123450),
    ("1616.23 ", 161623),
    ("(1,000.00)", -100000),
    ("-45", -4500),
    ("45-", -4500),
    ("45CR", -4500),
    ("1,234", 123400),
    ("1,234,567.89", 123456789),
    ("1.234", 123),  # three decimals in a UK column: 123.4 pence, half-even to 123
]


def _workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")


def _write(tmp_path: Path, name: str, delimiter: str, amounts: list[str]) -> Path:
    header = delimiter.join(["Body Name", "Payment Date", "Amount", "Supplier Name"])
    rows = [
        delimiter.join(["X", f"{i % 28 + 1:02d}/04/2010", _quoted(a, delimiter), f"Payee {i}"])
        for i, a in enumerate(amounts)
    ]
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _quoted(value: str, delimiter: str) -> str:
    return f'"{value}"' if delimiter in value else value


def _pence_by_line(ws: Workspace) -> dict[int, int | None]:
    with ws.connect() as con:
        rows = con.execute("SELECT source_line, amount_pence FROM rows ORDER BY 1").fetchall()
    return {int(line): pence for line, pence in rows}


@pytest.mark.parametrize(
    ("name", "delimiter", "cases"),
    [
        ("continental-semicolon.csv", ";", CONTINENTAL),
        ("continental-comma.csv", ",", CONTINENTAL),
        ("swiss.csv", ";", SWISS),
        ("uk.csv", ",", UK),
    ],
)
def test_each_locale_reads_to_the_hand_worked_pence(
    tmp_path: Path, name: str, delimiter: str, cases: list[tuple[str, int]]
) -> None:
    ws = _workspace(tmp_path)
    src = _write(tmp_path, name, delimiter, [v for v, _ in cases])
    (report,) = ingest_files(ws, [src], publisher="X").files
    assert report.status == "loaded", report.message
    assert report.rows_loaded == len(cases)
    expected = {line: pence for line, (_, pence) in enumerate(cases, start=2)}
    assert _pence_by_line(ws) == expected
    comma = cases is CONTINENTAL
    assert ("decimal-commas" in [w["slug"] for w in report.warnings]) is comma
    assert report.details.get("money_format") == ({"Amount": "decimal comma"} if comma else None)


def test_decimal_comma_in_a_semicolon_file_is_pounds_and_pence_not_thousands(
    tmp_path: Path,
) -> None:
    ws = _workspace(tmp_path)
    src = _write(tmp_path, "semi.csv", ";", ["12,34", "5,00", "1.000,01"])
    (report,) = ingest_files(ws, [src], publisher="X").files
    assert report.amount_loaded_pence == 1234 + 500 + 100001
    assert report.issue_counts == {}


def test_column_mixing_decimal_commas_and_points_fails_naming_column_and_examples(
    tmp_path: Path,
) -> None:
    ws = _workspace(tmp_path)
    bad = _write(tmp_path, "mixed.csv", ";", ["10.50", "1.234,56", "3.25"])
    good = _write(tmp_path, "good.csv", ",", ["1.00"])
    reports = ingest_files(ws, [bad, good], publisher="X").files
    assert [r.status for r in reports] == ["failed", "loaded"]
    message = reports[0].message
    assert 'column "Amount" mixes decimal separators' in message
    assert '"1.234,56" (line 3)' in message and '"10.50" (line 2)' in message


def test_vat_column_follows_its_own_decimal_comma(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    src = tmp_path / "vat.csv"
    src.write_text(
        "Body Name;Payment Date;Amount;VAT;Supplier Name\n"
        "X;01/04/2010;1.200,00;200,00;Acme\n"
        "X;02/04/2010;60,00;10,00;Beta\n",
        encoding="utf-8",
    )
    (report,) = ingest_files(ws, [src], publisher="X").files
    assert report.amount_loaded_pence == 126000
    with ws.connect() as con:
        vat = con.execute("SELECT list(vat_pence ORDER BY source_line) FROM rows").fetchone()
    assert vat is not None and vat[0] == [20000, 1000]
