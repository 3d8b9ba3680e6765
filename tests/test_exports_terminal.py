"""Names print on the terminal as written: no ``:x:``-style emoji codes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from totalplace import cli
from totalplace.cli import app

runner = CliRunner()
NAME = ":x: Council :thumbs_up:"


def test_emoji_codes_in_a_name_print_literally(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["init", str(ws), "--place", "E08000025", "--year", "2010-11"])
    assert result.exit_code == 0, result.output
    src = tmp_path / "spend.csv"
    src.write_text(
        "Payment Date,Amount,Supplier Name\n2010-04-01,100.00,:smile: Ltd\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["ingest", str(ws), str(src), "--publisher", NAME])
    assert result.exit_code == 0, result.output
    assert NAME in result.stdout
    assert "\u274c" not in result.stdout and "\U0001f44d" not in result.stdout


def test_every_console_has_emoji_codes_off() -> None:
    assert cli.out._emoji is False
    assert cli.err._emoji is False
