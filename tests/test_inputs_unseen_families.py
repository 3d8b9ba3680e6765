"""The family view's inputs as councils export them: an agency's contacts file and a
resident survey with their own headers, encodings, date forms and blank rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from totalplace.cli import app as cli
from totalplace.demo import DEMO_PLACE, DEMO_YEAR
from totalplace.errors import SourceError
from totalplace.families.events import FamilyData, load_events, people_dir
from totalplace.families.voice import read_voice
from totalplace.workspace import Workspace

KEY = b"k" * 32
CLUSTERS = pa.table(
    {
        "source": ["police", "police", "health_ae", "schools"],
        "record_id": ["P1", "P2", "A1", "S1"],
        "person_id": ["1", "2", "1", "3"],
    }
)
HOMES = pa.table({"person_id": ["1", "2", "3"], "household_id": ["h1", "h1", "h2"]})


def _load(path: Path) -> FamilyData:
    return load_events(path, CLUSTERS, HOMES, KEY)


def _days(data: FamilyData) -> list[dt.date]:
    return sorted(e.date for e in data.events)


def test_an_agency_export_with_its_own_headers_and_uk_dates_is_read_day_first(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(
        "\ufeffSource,Client ID,Date of Contact,Agency Name,Type of Contact,Unit Cost Code\r\n"
        "police,P1,03/04/2021,Police,Arrest,CR7.0\r\n"
        "police,P2,03-Apr-2021,Police,Arrest,cr7.0\r\n"
        "Health_AE,A1,2021-04-03,A&E,Attendance,HE4.0\r\n"
        ",,,,,\r\n"
        "\r\n".encode()
    )
    data = _load(path)
    assert _days(data) == [dt.date(2021, 4, 3)] * 3  # 3 April, never 4 March
    assert data.unlinked_events == 0 and {e.code for e in data.events} == {"CR7.0", "HE4.0"}
    assert {e.agency for e in data.events} == {"Police", "A&E"}


def test_a_windows_1252_export_with_semicolons_and_no_source_column_is_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(
        b"Client ID;Event Date (dd/mm/yyyy);Service;Unit cost code;Notes\r\n"
        b"P1;01/02/2011;Police;CR7.0;caution \xa3 paid\r\n"
        b"S1;12/01/2011;Schools;CR7.0;\r\n"
    )
    data = _load(path)
    assert _days(data) == [dt.date(2011, 1, 12), dt.date(2011, 2, 1)]
    assert data.ignored_columns == ("Notes",)


def test_month_first_dates_are_read_month_first_only_when_the_file_says_so(
    tmp_path: Path,
) -> None:
    said = tmp_path / "said.csv"
    said.write_text("record_id,Date (mm/dd/yyyy),unit_cost_code\nP1,02/01/2011,CR7.0\n")
    assert _days(_load(said)) == [dt.date(2011, 2, 1)]
    shown = tmp_path / "shown.csv"
    shown.write_text("record_id,date,unit_cost_code\nP1,02/01/2011,CR7.0\nP2,02/13/2011,CR7.0\n")
    assert _days(_load(shown)) == [dt.date(2011, 2, 1), dt.date(2011, 2, 13)]


def test_a_date_column_under_an_unknown_header_is_found_by_its_values(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("source,record_id,When,unit_cost_code\npolice,P1,03/04/2021,CR7.0\n")
    assert _days(_load(path)) == [dt.date(2021, 4, 3)]


def test_a_title_line_above_the_header_is_passed_over_and_rows_keep_their_numbers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "Police contacts 2010-11,,\nrecord_id,date,unit_cost_code\nP1,01/04/2010,CR7.0\n"
        "P2,2010-04-31,CR7.0\n"
    )
    with pytest.raises(SourceError, match=r"row 4, date: '2010-04-31' is not a day"):
        _load(path)


def test_a_semicolon_export_under_a_title_with_a_comma_in_it_is_read(tmp_path: Path) -> None:
    """The separator is the one most lines use, not the title line's."""
    path = tmp_path / "events.csv"
    path.write_text(
        "Contacts from the case system, April 2010\n"
        "Client ID;Event Date;Unit cost code\nP1;01/04/2010;CR7.0\nS1;02/04/2010;CR7.0\n"
    )
    assert _days(_load(path)) == [dt.date(2010, 4, 1), dt.date(2010, 4, 2)]


def test_excels_unicode_text_export_is_read_with_spreadsheet_row_numbers(tmp_path: Path) -> None:
    # Excel's "Unicode Text": UTF-16 with its mark, tabs; a note in quotes over two lines
    path = tmp_path / "events.csv"
    text = (
        "record_id\tdate\tunit_cost_code\tNotes\r\n"
        'P1\t01/04/2010\tCR7.0\t"seen at home\r\nsecond visit \u00a3 paid"\r\n'
        "P2\t2010-04-31\tCR7.0\t\r\n"
    )
    path.write_bytes(text.encode("utf-16"))
    with pytest.raises(SourceError, match=r"row 3, date: '2010-04-31' is not a day"):
        _load(path)


def test_events_voice_and_barriers_read_exports_with_one_reader() -> None:
    from totalplace.culture import workshop
    from totalplace.families import events, voice
    from totalplace.ingest import exports

    assert events.export_rows is voice.export_rows is workshop.export_rows is exports.export_rows
    assert exports.squash_header("Date of contact (dd/mm/yyyy)") == "dateofcontact"


def test_a_column_of_money_is_refused_since_the_unit_cost_prices_the_contact(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "source,record_id,date,unit_cost_code,Unit Cost (£)\n"
        'police,P1,2021-04-03,CR7.0,"£1,234.50"\n',
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match=r"row 1: column 'Unit Cost \(£\)' holds money"):
        _load(path)


def test_a_missing_column_names_the_file_the_column_and_the_headers_to_use(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("Client ID,Contact Date,Type of Contact\nP1,03/04/2021,Arrest\n")
    with pytest.raises(SourceError) as caught:
        _load(path)
    message = str(caught.value)
    assert str(path) in message and "row 1: no unit_cost_code column" in message
    assert "'Unit cost code'" in message


def test_every_bad_row_is_named_with_its_spreadsheet_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "source,record_id,date,unit_cost_code\n"
        "police,P1,2021-04-03,CR7.0\n"
        "\n"  # a blank row still counts as a spreadsheet row
        "police,,2021-04-03,CR7.0\n"
        "police,P2,31/31/2021,CR7.0\n"
        "police,P2,2021-04-03,\n"
    )
    with pytest.raises(SourceError) as caught:
        _load(path)
    message = str(caught.value)
    assert "row 4, record_id: empty" in message
    assert "row 5, date: '31/31/2021' is not a day" in message
    assert "row 6, unit_cost_code: empty" in message


def test_a_source_the_linkage_does_not_know_is_refused_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "source,record_id,date,unit_cost_code\nPolce,P1,2021-04-03,CR7.0\nPOLICE,P2,2021-04-03,CR7.0\n"
    )
    with pytest.raises(SourceError, match=r"row 2, source: no extract 'Polce' was linked"):
        _load(path)


def test_two_columns_read_as_the_date_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("record_id,Date,Contact Date,unit_cost_code\nP1,2021-04-03,2021-04-04,CR7.0\n")
    with pytest.raises(SourceError, match="columns 'Date' and 'Contact Date' are both read"):
        _load(path)


def test_families_command_reads_an_officers_export(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", DEMO_PLACE, DEMO_YEAR)
    folder = people_dir(ws.root)
    (folder / "linked").mkdir(parents=True)
    pacsv.write_csv(CLUSTERS, folder / "linked" / "clusters.csv")
    pacsv.write_csv(HOMES, folder / "linked" / "households.csv")
    (folder / "events.csv").write_bytes(
        b"Client ID,Date of Contact,Service,Type of Contact,Unit Cost Code\r\n"
        b"P1,03/04/2021,Police,Arrest,CR7.0\r\n"
        b"S1,03-Apr-2021,Schools,Arrest,CR7.0\r\n"
        b",,,,\r\n"
    )
    out = CliRunner().invoke(cli, ["families", str(ws.root), "--json"])
    assert out.exit_code == 0, out.stdout
    report = json.loads(out.stdout)
    assert report["contacts"] == 2 and report["unlinked_events"] == 0
    assert {r["year"] for r in report["by_agency_year"]["rows"]} == {"2021-22"}


# -- resident voice ------------------------------------------------------------
def test_a_survey_export_with_its_own_headers_a_title_line_and_a_pound_sign_is_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(
        b"Resident survey 2010,,\r\n"
        b"Q,Free text response,Ward\r\n"
        b'What would help?,"I pay \xa31,200 a year and nobody comes",Northmoor\r\n'
        b",,\r\n"
    )
    (said,) = read_voice(path)
    assert said.response == "I pay £1,200 a year and nobody comes"
    assert (said.question, said.area, said.where) == (
        "What would help?",
        "Northmoor",
        "survey.csv:3",
    )


def test_the_response_is_the_text_not_the_response_id(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text(
        "Response ID;Question Text;Response (free text);Category\n"
        "17;Q1;Repairs take months;Housing\n"
    )
    (said,) = read_voice(path)
    assert (said.response, said.theme) == ("Repairs take months", "Housing")


def test_a_response_split_by_an_unquoted_comma_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("question,response,theme\nQ1,I pay £1,200 a year,Housing\n", encoding="utf-8")
    with pytest.raises(SourceError, match="row 2: 4 cells under 3 headers"):
        read_voice(path)


def test_two_response_columns_are_refused_rather_than_one_lost(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("Question,Answer,Comment\nQ1,Yes,Repairs take months\n")
    with pytest.raises(SourceError, match="columns 'Answer' and 'Comment' are both read"):
        read_voice(path)
