"""totalplace link on extracts as an officer might hand them over: a few
records, headers in the agency's own words, columns the tool cannot place.

A handful of records is too few for EM, so the model shipped in
``data/link_model.json`` weighs them; the headers are read through the words
that say whose record a column is ("Client Forename"); what cannot be placed
is said, naming the file and its unused columns.
"""

from __future__ import annotations

import itertools
import json
import re
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from tests.conftest import SHARED_DATA
from totalplace.cli import app
from totalplace.link import link_records
from totalplace.link.columns import IDENTIFIERS, header_role, header_synonyms, map_columns
from totalplace.link.model import SMALL_RECORDS, _comparisons, load_extracts
from totalplace.link.report import scores_against

COUNCIL = """Client No,Client Forename,Client Surname,D.O.B.,Gender,Address Line 1,Town,Post Code
1001,John,Smith,03/04/1980,M,12 High Street,Leeds,LS1 4AB
1002,Mary,Smith,14/11/1982,F,12 High Street,Leeds,LS1 4AB
1003,Ahmed,Khan,01/01/2005,M,3 Mill Lane,Leeds,LS2 7QT
1004,Sarah,Jones,22/07/1990,F,9 Park Road,Leeds,LS6 1AA
"""
SCHOOL = """Pupil Ref,Legal Forename,Legal Surname,Birth Date,Home Postcode,Address
P1,Jon,Smith,1980-04-03,LS1 4AB,12 High St
P2,Ahmad,Khan,2005-01-01,LS2 7QT,3 Mill Lane
P3,Sara,Jones,1990-07-22,LS6 1AA,9 Park Rd
P4,Peter,Brown,1975-02-02,LS9 9ZZ,1 New Road
"""


def _person_of(clusters: pa.Table) -> dict[str, str]:
    return dict(
        zip(
            clusters.column("record_id").to_pylist(),
            clusters.column("person_id").to_pylist(),
            strict=True,
        )
    )


def test_eight_records_link_by_the_shipped_model_and_keep_a_couple_apart(tmp_path: Path) -> None:
    council, school = tmp_path / "council.csv", tmp_path / "school.csv"
    council.write_text(COUNCIL)
    school.write_text(SCHOOL)
    result = link_records({"council": council, "school": school}, tmp_path / "out")
    person = _person_of(result.clusters)
    # a slip in each first name, the dates written two ways, "St" for "Street"
    assert person["1001"] == person["P1"]
    assert person["1003"] == person["P2"]
    assert person["1004"] == person["P3"]
    # husband and wife at one address: one surname, one home, two people
    assert person["1002"] != person["1001"]
    assert len(set(person.values())) == 5
    notes = " ".join(result.details["training_notes"])
    assert "too few to learn from" in notes and "shipped" in notes


def test_agency_headers_are_read_through_the_words_naming_whose_record_it_is(
    tmp_path: Path,
) -> None:
    council = pacsv.read_csv(
        pa.py_buffer(COUNCIL.encode()),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=False, column_types={}),
    )
    council = council.cast(pa.schema([(n, pa.string()) for n in council.column_names]))
    roles = map_columns(council)
    assert roles["first_name"] == "Client Forename"
    assert roles["surname"] == "Client Surname"  # "clients" + "urname" must not win
    assert roles["record_id"] == "Client No"  # no id or ref column: a "No" over unique values
    synonyms = header_synonyms()
    qualifiers = ["client", "clients", "legal", "pupil", "serviceuser"]
    assert header_role("Legal Forename", synonyms, qualifiers) == "first_name"
    assert header_role("ServiceUserSurname", synonyms, qualifiers) == "surname"
    assert header_role("DOB (dd/mm/yyyy)", synonyms, qualifiers) == "dob"
    # someone else's name is not the person's own
    for other in ("Mother Surname", "GP Name", "School Name", "Referrer Forename"):
        assert header_role(other, synonyms, qualifiers) is None, other


def test_a_file_whose_names_cannot_be_placed_says_so_naming_its_columns(tmp_path: Path) -> None:
    police = tmp_path / "police.csv"
    police.write_text(
        "Nominal,Given,Family Nm,Birth Date,Post Code\n"
        "N1,John,Smith,03/04/1980,LS1 4AB\nN2,Mary,Smith,14/11/1982,LS1 4AB\n"
    )
    out = tmp_path / "out"
    got = CliRunner().invoke(app, ["link", str(police), "--out", str(out), "--json"])
    assert got.exit_code == 0, got.output
    (source,) = json.loads(got.output)["sources"]
    assert source["unused_columns"] == ["Nominal", "Given", "Family Nm"]
    warnings = " ".join(source["warnings"])
    assert "no column was read as a name" in warnings and "Family Nm" in warnings
    assert "no column was read as the record id" in warnings
    text = CliRunner().invoke(app, ["link", str(police), "--out", str(out)])
    assert "warning:" in text.output and "Family Nm" in text.output
    assert "no column was read as a name" in (out / "report.html").read_text()


def test_a_file_with_a_header_and_no_rows_links_the_others(tmp_path: Path) -> None:
    empty, council = tmp_path / "empty.csv", tmp_path / "council.csv"
    empty.write_text(COUNCIL.splitlines()[0] + "\n")
    council.write_text(COUNCIL)
    result = link_records({"empty": empty, "council": council}, tmp_path / "out")
    assert result.clusters.num_rows == 4
    sources = {s["source"]: s for s in result.details["sources"]}
    assert sources["empty"]["rows"] == 0


def test_the_shipped_model_weighs_every_level_any_set_of_fields_makes() -> None:
    shipped = json.loads(
        resources.files("totalplace").joinpath("data", "link_model.json").read_text("utf-8")
    )["comparisons"]
    fields = ("first_name", "surname", "dob", "sex", "address", "postcode", "nhs_number")
    checked = 0
    for k in range(1, len(fields) + 1):
        for chosen in itertools.combinations(fields, k):
            columns = {
                c: pa.array(["x" if c in chosen else None], pa.string())
                for c in (
                    "first_name",
                    "surname",
                    "dob",
                    "sex",
                    "address",
                    "postcode",
                    *IDENTIFIERS,
                )
            }
            for comparison in _comparisons(pa.table(columns), tf=False):
                spec = comparison.get_comparison("duckdb")
                name = spec.output_column_name
                for level in spec._comparison_levels_excluding_null:
                    assert level.label_for_charts in shipped[name], (chosen, name, level)
                    checked += 1
    assert checked > 500


def _febrl_sample(entities: int) -> pa.Table:
    path = SHARED_DATA / "linkage" / "febrl" / "dataset1.csv"
    if not path.exists():
        pytest.skip(f"FEBRL data not found at {path} (../shared/data is absent)")
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={}))
    table = table.rename_columns([c.strip() for c in table.column_names])
    table = pa.table(
        {
            c: [None if v is None else str(v).strip() for v in table[c].to_pylist()]
            for c in table.column_names
        }
    )
    ids = table.column("rec_id").to_pylist()
    keep = {str(n) for n in range(entities)}
    chosen = [re.match(r"rec-(\d+)-", i).group(1) in keep for i in ids]  # type: ignore[union-attr]
    return table.filter(pa.array(chosen))


def test_a_small_febrl_sample_links_with_the_model_learned_elsewhere(tmp_path: Path) -> None:
    sample = _febrl_sample(60)
    assert 0 < sample.num_rows < SMALL_RECORDS
    result = link_records({"febrl": sample}, tmp_path, id_column="rec_id")
    assert "shipped" in " ".join(result.details["training_notes"])
    scores = scores_against(result, lambda record_id: re.sub(r"-(org|dup-\d+)$", "", record_id))
    assert scores["f1"] >= 0.95, scores


def test_dates_of_birth_as_officers_write_them_and_the_ones_that_are_not_dates(
    tmp_path: Path,
) -> None:
    """Two-digit years, Excel's time after the date and month names are read;
    a value that is no date is left blank and said, not dropped without a word."""
    council = tmp_path / "council.csv"
    council.write_text(
        "Client ID,Forename,Surname,DOB,Postcode\n"
        "C1,John,Smith,03/04/80,LS1 4AB\nC2,Mary,Jones,14/11/1982 00:00,LS2 7QT\n"
        "C3,Ahmed,Khan,01-Jan-2005,LS3 1AA\nC4,Sarah,Brown,31/02/1990,LS6 1AA\n"
    )
    result = link_records({"council": council}, tmp_path / "out")
    (source,) = result.details["sources"]
    assert any("1 of 4 filled values are not real dates" in w for w in source["warnings"])
    (extract,) = load_extracts({"council": council})
    assert extract.table.column("dob").to_pylist() == [
        "1980-04-03",
        "1982-11-14",
        "2005-01-01",
        None,
    ]


def test_a_full_name_with_a_title_is_split_without_it(tmp_path: Path) -> None:
    council = tmp_path / "council.csv"
    council.write_text(
        'Client ID,Name,DOB\nC1,Mr John Smith,03/04/1980\nC2,"Jones, Mrs. Mary",14/11/1982\n'
        "C3,Sarah Brown,22/07/1990\n"
    )
    (extract,) = load_extracts({"council": council})
    assert extract.table.column("first_name").to_pylist() == ["john", "mary", "sarah"]
    assert extract.table.column("surname").to_pylist() == ["smith", "jones", "brown"]
