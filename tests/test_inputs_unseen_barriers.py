"""`barriers DIR import` on a workshop's own sheet: its headers, encodings and amounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from totalplace.culture import import_csv, read_register
from totalplace.culture.barriers import register_path
from totalplace.culture.fields import FieldError, parse_pounds, parse_type
from totalplace.demo import DEMO_PLACE, DEMO_YEAR
from totalplace.errors import ConfigError
from totalplace.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", DEMO_PLACE, DEMO_YEAR)


def test_a_workshop_sheet_in_its_own_words_is_imported(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "workshop.csv"
    path.write_bytes(
        b"\xef\xbb\xbfBarrier,Category,Owner / Department,Impact (\xc2\xa3),Description\r\n"
        b'Data cannot be shared,Data Sharing,Ministry of Justice,"\xc2\xa31,234.50",Youth\r\n'
        b"Pooled budget blocked,Ring fence,Department of Health,,\r\n"
        b",,,,\r\n"
    )
    result = import_csv(ws, path, "t")
    assert result.added == ["B1", "B2"]
    b1, b2 = read_register(ws.root)
    assert (b1.type, b1.owner.typed, b1.impact_pence, b1.description) == (
        "data-sharing",
        "Ministry of Justice",
        123_450,
        "Youth",
    )
    assert (b2.type, b2.impact_pence) == ("ring-fence", None)


def test_a_windows_1252_sheet_with_semicolons_is_read(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "workshop.csv"
    path.write_bytes(b"Issue;Type;Owner;Impact\r\nTwo targets;culture;Home Office;\xa340,000\r\n")
    import_csv(ws, path, "t")
    (b1,) = read_register(ws.root)
    assert (b1.title, b1.impact_pence) == ("Two targets", 4_000_000)


def test_amounts_in_thousands_or_written_short_are_whole_pounds(
    ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "workshop.csv"
    path.write_text(
        "title,type,owner,Estimated impact £k\n"
        "A,culture,Home Office,250\n"
        'B,culture,Home Office,"1,250.5"\n'
        "C,culture,Home Office,£1.2m\n"
        "D,culture,Home Office,TBC\n",
        encoding="utf-8",
    )
    import_csv(ws, path, "t")
    pence = [b.impact_pence for b in read_register(ws.root)]
    assert pence == [25_000_000, 125_050_000, 120_000_000, None]


def test_types_written_as_people_write_them() -> None:
    assert [parse_type(t) for t in ("Ring fence", "Data Sharing", "ringfenced", "Performance")] == [
        "ring-fence",
        "data-sharing",
        "ring-fence",
        "performance-regime",
    ]
    with pytest.raises(FieldError, match="'red tape' is not a type of barrier"):
        parse_type("red tape")


def test_pounds_stay_exact() -> None:
    assert parse_pounds("£1,234.50") == 123_450
    assert parse_pounds("£0.1m") == 10_000_000
    with pytest.raises(FieldError, match="fractions of a penny"):
        parse_pounds("1.005")


def test_a_column_import_would_not_read_refuses_the_file(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "workshop.csv"
    path.write_text("Barrier,Category,Owner,Priority\nA,culture,Home Office,High\n")
    with pytest.raises(ConfigError, match=r"row 1: unknown column 'Priority'; rename it"):
        import_csv(ws, path, "t")
    two = tmp_path / "two.csv"
    two.write_text("Barrier,Issue,Category,Owner\nA,B,culture,Home Office\n")
    with pytest.raises(ConfigError, match="columns 'Barrier' and 'Issue' are both read as title"):
        import_csv(ws, two, "t")
    assert not register_path(ws.root).exists()


def test_a_cell_split_by_an_unquoted_comma_is_refused_naming_the_row(
    ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "workshop.csv"
    path.write_text("title,type,owner,impact_pounds\nA,culture,Home Office,1,200\n")
    with pytest.raises(ConfigError, match="row 2: 5 cells under 4 columns"):
        import_csv(ws, path, "t")


def test_a_title_line_above_the_workshops_header_is_passed_over(
    ws: Workspace, tmp_path: Path
) -> None:
    sheet = tmp_path / "workshop.csv"
    sheet.write_text(
        "Barriers raised at the 3 May workshop,,\n"
        "Barrier,Category,Owner / Department\n"
        "Data cannot be shared with schools,Data Sharing,Ministry of Justice\n"
    )
    assert import_csv(ws, sheet, "t").added == ["B1"]
    (b1,) = read_register(ws.root)
    assert (b1.title, b1.type) == ("Data cannot be shared with schools", "data-sharing")
