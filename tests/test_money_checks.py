"""Money is never silently absurd: publisher's totals, £1bn payments, totals over
a council's outturn, and two fields run together.

Each test writes a small synthetic spend file into its temporary folder; the
figures expected are worked out by hand from the lines written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from totalplace.ingest import FileReport, ingest_files
from totalplace.ingest.pipeline import workspace_report
from totalplace.workspace import Workspace

PUBLISHER = "Test Council"
HEADER = "Payment Date,Supplier Name,Amount\n"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")


def ingest_text(
    ws: Workspace,
    tmp_path: Path,
    text: str,
    *,
    name: str = "spend.csv",
    publisher: str | None = PUBLISHER,
    accept_large: bool = False,
) -> FileReport:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    report = ingest_files(ws, [path], publisher=publisher, accept_large=accept_large)
    [f] = report.files
    return f


def quarantine(ws: Workspace) -> list[tuple[int, str, int | None, str]]:
    with ws.connect() as con:
        rows = con.sql(
            "SELECT source_line, reason, amount_pence, raw_record FROM quarantine "
            "ORDER BY source_line"
        ).fetchall()
    return [(int(r[0]), str(r[1]), r[2], str(r[3])) for r in rows]


def warning_slugs(f: FileReport) -> list[str]:
    return [w["slug"] for w in f.warnings]


# -- the publisher's own total ---------------------------------------------------------------


def test_grand_total_row_is_not_quarantined_money(ws: Workspace, tmp_path: Path) -> None:
    f = ingest_text(
        ws,
        tmp_path,
        HEADER + "01/11/2010,Acme Ltd,600.00\n02/11/2010,Beta Ltd,700.00\n"
        "03/11/2010,Gamma Ltd,TBC\n,Grand Total,1300.00\n"
        "© Copyright Example Council 2010\n",
    )
    assert f.status == "loaded"
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_blank) == (5, 2, 3, 0)
    assert f.amount_loaded_pence == 130000
    # only the unparseable payment's money is quarantined money (it has none)
    assert f.amount_quarantined_pence == 0
    assert f.amount_publisher_total_pence == 130000
    assert quarantine(ws) == [
        (4, "unparseable-amount", None, "03/11/2010,Gamma Ltd,TBC"),
        (5, "publisher-total", 130000, ",Grand Total,1300.00"),
        (6, "footer-text", None, "© Copyright Example Council 2010"),
    ]
    assert f.details["publisher_total"] == {
        "pence": 130000,
        "loaded_pence": 130000,
        "matches": True,
        "difference_pence": 0,
        "quarantined_pence": 0,
        "lines": [5],
        "total_lines": [5],
        "all_lines_pence": 130000,
    }
    assert "publisher-total-differs" not in warning_slugs(f)
    # the catalog keeps the figure: check shows it as ingest did
    [stored] = workspace_report(ws).files
    assert stored.amount_publisher_total_pence == 130000
    assert stored.amount_quarantined_pence == 0


@pytest.mark.parametrize(
    "tail",
    [",,\n", "\n\n"],  # every line with three fields (fast reader), or blank lines (robust)
    ids=["fast", "robust"],
)
def test_unlabelled_last_row_equal_to_sum_is_publisher_total(
    ws: Workspace, tmp_path: Path, tail: str
) -> None:
    f = ingest_text(
        ws,
        tmp_path,
        HEADER + "01/11/2010,Acme Ltd,600.00\n02/11/2010,Beta Ltd,700.00\n"
        "03/11/2010,Gamma Ltd,-50.25\n,,1249.75\n" + tail,
    )
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (4 + tail.count("\n"), 3, 1)
    assert f.amount_loaded_pence == 124975
    assert f.amount_quarantined_pence == 0
    assert f.amount_publisher_total_pence == 124975
    assert quarantine(ws) == [(5, "publisher-total", 124975, ",,1249.75")]
    assert f.issue_counts.get("publisher-total") == 1
    assert "missing-date" not in f.issue_counts
    total = f.details["publisher_total"]
    assert isinstance(total, dict)
    assert total["matches"] is True


def test_unlabelled_last_row_that_is_not_the_sum_stays_a_payment(
    ws: Workspace, tmp_path: Path
) -> None:
    # an amount with no date is a payment that cannot be dated, not a total
    f = ingest_text(
        ws, tmp_path, HEADER + "01/11/2010,Acme Ltd,600.00\n02/11/2010,Beta Ltd,700.00\n,,900.00\n"
    )
    assert quarantine(ws) == [(4, "missing-date", 90000, ",,900.00")]
    assert f.amount_quarantined_pence == 90000
    assert f.amount_publisher_total_pence == 0
    assert "publisher_total" not in f.details


def test_publisher_total_that_differs_is_reported_with_difference(
    ws: Workspace, tmp_path: Path
) -> None:
    f = ingest_text(
        ws,
        tmp_path,
        HEADER + "01/11/2010,Acme Ltd,600.00\n02/11/2010,Beta Ltd,700.00\n"
        "Sub total,,1300.00\n03/11/2010,Gamma Ltd,250.00\nTotal:,,1600.00\n",
    )
    assert f.rows_loaded == 3
    assert f.amount_loaded_pence == 155000
    assert f.amount_quarantined_pence == 0
    assert f.amount_publisher_total_pence == 130000 + 160000
    # no grand total: the sum of the total lines is compared
    total = f.details["publisher_total"]
    assert isinstance(total, dict)
    assert (total["pence"], total["loaded_pence"], total["matches"]) == (290000, 155000, False)
    assert total["difference_pence"] == 290000 - 155000
    [warning] = [w for w in f.warnings if w["slug"] == "publisher-total-differs"]
    assert "differs from the loaded sum £1,550.00 by £1,350.00" in warning["message"]


def test_grand_total_is_compared_not_the_sub_totals(ws: Workspace, tmp_path: Path) -> None:
    f = ingest_text(
        ws,
        tmp_path,
        HEADER + "01/11/2010,Acme Ltd,600.00\n01/11/2010,Acme Ltd,50.00\nSub-total,,650.00\n"
        "02/11/2010,Beta Ltd,700.00\n02/11/2010,Beta Ltd,30.00\nSubtotal,,730.00\n"
        "Grand Total,,1380.01\n",
    )
    total = f.details["publisher_total"]
    assert isinstance(total, dict)
    assert total["lines"] == [8]
    assert total["total_lines"] == [4, 7, 8]
    assert total["difference_pence"] == 1
    assert f.amount_publisher_total_pence == 65000 + 73000 + 138001


# -- money too large to be true --------------------------------------------------------------


def test_payment_over_1bn_fails_without_accept_large(ws: Workspace, tmp_path: Path) -> None:
    f = ingest_text(
        ws,
        tmp_path,
        HEADER + "01/11/2010,Acme Ltd,600.00\n02/11/2010,Beta Ltd,1500000000.00\n",
        publisher="Network Rail",
    )
    assert f.status == "failed"
    assert 'line 3: amount "1500000000.00" in column "Amount"' in f.message
    assert "£1,500,000,000.00" in f.message
    assert "--accept-large" in f.message
    with ws.connect() as con:
        assert con.sql("SELECT count(*) FROM files").fetchone() == (0,)


def test_payment_just_under_1bn_loads(ws: Workspace, tmp_path: Path) -> None:
    f = ingest_text(
        ws, tmp_path, HEADER + "01/11/2010,Beta Ltd,999999999.99\n", publisher="Network Rail"
    )
    assert f.status == "loaded"
    assert "accept_large" not in f.details


def test_accept_large_is_recorded_on_file(ws: Workspace, tmp_path: Path) -> None:
    f = ingest_text(
        ws,
        tmp_path,
        HEADER + '01/11/2010,Acme Ltd,600.00\n02/11/2010,Beta Ltd,"-1,500,000,000.00"\n',
        publisher="Network Rail",
        accept_large=True,
    )
    assert f.status == "loaded"
    assert f.amount_loaded_pence == 60000 - 150_000_000_000
    assert f.details["accept_large"] is True
    assert warning_slugs(f) == ["large-amount-accepted"]
    [stored] = workspace_report(ws).files
    assert stored.details["accept_large"] is True
    assert "line 3" in stored.warnings[0]["message"]


def test_file_total_over_council_outturn_fails(ws: Workspace, tmp_path: Path) -> None:
    # Darlington's net current expenditure for 2010-11 was £211.0m (RS 2010-11);
    # two payments under £1bn each add up to more in that year.
    text = HEADER + "01/07/2010,Acme Ltd,150000000.00\n02/07/2010,Beta Ltd,70000000.00\n"
    f = ingest_text(ws, tmp_path, text, publisher="Darlington Borough Council")
    assert f.status == "failed"
    assert '"Darlington Borough Council" dated 2010-11' in f.message
    assert "£220,000,000.00" in f.message
    assert "net current expenditure for 2010-11 (£211,000,000.00" in f.message
    assert 'the largest is "150000000.00" on line 2' in f.message
    assert "--accept-large" in f.message
    # the same money paid by a body the registry does not know is not checked
    other = ingest_text(ws, tmp_path, text, name="other.csv", publisher="Darlington Trust")
    assert other.status == "loaded"


def test_file_total_under_council_outturn_loads(ws: Workspace, tmp_path: Path) -> None:
    text = HEADER + "01/07/2010,Acme Ltd,150000000.00\n02/07/2010,Beta Ltd,60000000.00\n"
    f = ingest_text(ws, tmp_path, text, publisher="Darlington Borough Council")
    assert f.status == "loaded"


# -- two fields run together -----------------------------------------------------------------

JOINED_HEADER = "Supplier Name,Payment Date,Amount,Reference\n"
JOINED_ROWS = (
    "Acme Ltd,01/04/2013,600.00,A1\nBeta Ltd,02/04/2013,1700.50,A2\n"
    "Gamma Ltd,03/04/2013,-25.10,A3\n"
)


def issues_of(ws: Workspace) -> list[tuple[int, str, str]]:
    with ws.connect() as con:
        rows = con.sql("SELECT line, slug, message FROM issues ORDER BY line, slug").fetchall()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


@pytest.mark.parametrize(
    ("record", "day", "pence"),
    [
        ("Delta Ltd,01/04/2013123.45,A4", "2013-04-01", 12345),
        ('Delta Ltd,"2013-04-011,234.50",A4', "2013-04-01", 123450),
        ("Delta Ltd,15/04/20131,234.50,A4", None, None),  # the comma splits: not joined
    ],
    ids=["dmy-then-amount", "iso-then-amount-with-thousands", "unquoted-comma"],
)
def test_date_and_amount_run_together_is_repaired_with_warning(
    ws: Workspace, tmp_path: Path, record: str, day: str | None, pence: int | None
) -> None:
    rows = JOINED_ROWS
    if record.startswith('Delta Ltd,"2013'):
        rows = rows.replace("01/04/2013", "2013-04-01").replace("02/04/2013", "2013-04-02")
        rows = rows.replace("03/04/2013", "2013-04-03")
    f = ingest_text(ws, tmp_path, JOINED_HEADER + rows + record + "\n")
    if day is None:
        # "15/04/20131" and "234.50": a date that does not parse, never a repair
        assert f.rows_loaded == 3
        assert "joined-fields-repaired" not in f.issue_counts
        return
    assert f.rows_loaded == 4, f.issues
    assert f.rows_quarantined == 0
    assert f.amount_loaded_pence == 60000 + 170050 - 2510 + pence
    with ws.connect() as con:
        got = con.sql(
            "SELECT CAST(payment_date AS VARCHAR), amount_pence, transaction_id, warnings "
            "FROM spend WHERE source_line = 5"
        ).fetchone()
    assert got == (day, pence, "A4", ["joined-fields-repaired"])
    [(line, _, message)] = [i for i in issues_of(ws) if i[1] == "joined-fields-repaired"]
    assert line == 5
    assert '"Payment Date" and "Amount" ran together' in message
    joined = record.split(",", 1)[1].rsplit(",", 1)[0].strip('"')
    assert f'"{joined}"' in message


def test_ambiguous_joined_fields_stay_quarantined_saying_which(
    ws: Workspace, tmp_path: Path
) -> None:
    # whole-pound amounts and VAT: "10020" splits as 1+0020, 10+020, 100+20 or 1002+0
    text = (
        "Payment Date,Supplier Name,Amount,VAT\n"
        "01/04/2013,Acme Ltd,600,120\n02/04/2013,Beta Ltd,1500,300\n"
        "03/04/2013,Gamma Ltd,10020\n"
    )
    f = ingest_text(ws, tmp_path, text)
    assert f.rows_loaded == 2
    # the amount column holds the joined text, read as it stands
    assert quarantine(ws) == [(4, "truncated-record", 1002000, "03/04/2013,Gamma Ltd,10020")]
    [(line, slug, message)] = issues_of(ws)
    assert (line, slug) == (4, "truncated-record")
    assert message == (
        'record has fewer fields than the header (3 of 4; "Amount" and "VAT" seem joined '
        'in "10020" (4 ways to split it))'
    )


def test_short_record_with_no_joined_fields_says_only_the_count(
    ws: Workspace, tmp_path: Path
) -> None:
    f = ingest_text(ws, tmp_path, JOINED_HEADER + JOINED_ROWS + "Delta Ltd,04/04/2013,A4\n")
    assert f.rows_loaded == 3
    [(line, _, message)] = [i for i in issues_of(ws) if i[1] == "truncated-record"]
    assert line == 5
    assert message == "record has fewer fields than the header (3 of 4)"


# -- on the command line ---------------------------------------------------------------------


def test_cli_says_publisher_total_matches_and_takes_accept_large(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from totalplace.cli import app

    runner = CliRunner()
    ws = tmp_path / "ws"
    made = runner.invoke(app, ["init", str(ws), "--place", "E08000025", "--year", "2010-11"])
    assert made.exit_code == 0, made.output
    totalled = tmp_path / "totalled.csv"
    totalled.write_text(
        HEADER + "01/11/2010,Acme Ltd,600.00\n02/11/2010,Beta Ltd,700.00\nTotal,,1300.00\n"
    )
    large = tmp_path / "large.csv"
    large.write_text(HEADER + "01/11/2010,Acme Ltd,2000000000.00\n")
    args = ["ingest", str(ws), str(totalled), str(large), "--publisher", "Network Rail"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "publisher's total matches: £1,300.00 (line 4) = the loaded sum" in result.output
    assert "--accept-large" in result.output
    accepted = runner.invoke(app, [*args, "--accept-large", "--json"])
    assert accepted.exit_code == 0, accepted.output
    [f] = [f for f in json.loads(accepted.stdout)["files"] if f["path"].endswith("large.csv")]
    assert (f["status"], f["details"]["accept_large"]) == ("loaded", True)
    assert f["amount_loaded_pence"] == 200_000_000_000


def test_unlabelled_last_row_equal_to_every_payment_above_is_publisher_total(
    ws: Workspace, tmp_path: Path
) -> None:
    # the publisher's total counts the undated payment we quarantine: it is not
    # counted a second time as quarantined money, and the difference says so
    f = ingest_text(
        ws,
        tmp_path,
        HEADER + "01/11/2010,Acme Ltd,600.00\n,Beta Ltd,700.00\n03/11/2010,Gamma Ltd,100.00\n"
        ",,1400.00\n",
    )
    assert [q[:3] for q in quarantine(ws)] == [
        (3, "missing-date", 70000),
        (5, "publisher-total", 140000),
    ]
    assert f.amount_quarantined_pence == 70000
    total = f.details["publisher_total"]
    assert isinstance(total, dict)
    assert (total["matches"], total["difference_pence"]) == (False, 70000)
    [warning] = f.warnings
    assert warning["message"].endswith("by £700.00, the quarantined payments")


def test_amount_and_date_run_together_is_repaired_too(ws: Workspace, tmp_path: Path) -> None:
    text = (
        "Supplier Name,Amount,Payment Date,Reference\n"
        "Acme Ltd,600.00,01/04/2013,A1\nBeta Ltd,1700.50,02/04/2013,A2\n"
        "Delta Ltd,123.4504/04/2013,A4\n"
    )
    f = ingest_text(ws, tmp_path, text)
    assert (f.rows_loaded, f.rows_quarantined) == (3, 0)
    with ws.connect() as con:
        got = con.sql(
            "SELECT CAST(payment_date AS VARCHAR), amount_pence FROM spend WHERE source_line = 4"
        ).fetchone()
    assert got == ("2013-04-04", 12345)
    assert f.issue_counts == {"joined-fields-repaired": 1}
