"""360Giving grants read as the standard defines them: every row loaded or
refused with a reason, money exact, and a place's grants per funder and theme."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SHARED_DATA
from totalplace.cli import app
from totalplace.errors import SourceError
from totalplace.ingest.giving360 import read_grants
from totalplace.report.grants import UNCLASSIFIED, summarise

GRANTS = SHARED_DATA / "grants"
TRAFFORD = "E08000009"

CSV_HEADER = (
    "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,"
    "Recipient Org:Name,Beneficiary Location:0:Geographic Code,"
    "Beneficiary Location:1:Geographic Code,Funding Org:Identifier,Funding Org:Name,"
    "Grant Programme:Title\n"
)


def _grant(**over: object) -> dict[str, object]:
    g: dict[str, object] = {
        "id": "360G-x-1",
        "title": "Youth club",
        "description": "Weekly sessions for young carers",
        "currency": "GBP",
        "amountAwarded": 1500.25,
        "awardDate": "2019-04-01",
        "recipientOrganization": [{"id": "GB-CHC-1", "name": "Helping Hands"}],
        "fundingOrganization": [{"id": "GB-LAE-TRF", "name": "Trafford Council"}],
        "beneficiaryLocation": [{"name": "Trafford", "geoCode": TRAFFORD}],
    }
    g.update(over)
    return g


def test_json_amounts_are_exact_pence_never_floats(tmp_path: Path) -> None:
    """Guards money against binary floats: 0.1 + 0.2 awarded as two grants is
    30p exactly, and 1500.25 is 150,025 pence."""
    path = tmp_path / "grants.json"
    grants = [_grant(amountAwarded=0.1), _grant(id="2", amountAwarded=0.2), _grant(id="3")]
    path.write_text(json.dumps({"grants": grants}))
    got = read_grants(path)
    assert got.form == "json" and not got.refused
    assert [g.amount_pence for g in got.grants] == [10, 20, 150_025]
    assert got.grants[0].beneficiary_codes == (TRAFFORD,)
    assert got.grants[0].funder == "Trafford Council"


def test_every_row_is_loaded_or_refused_with_its_reason(tmp_path: Path) -> None:
    """Guards against rows silently dropped or summed wrongly: a dollar grant, a
    missing amount, a fraction of a penny, a negative award, no funder and a
    bad date are each refused naming the field, and the rest load."""
    path = tmp_path / "grants.json"
    bad = [
        _grant(currency="USD"),
        _grant(amountAwarded=None),
        _grant(amountAwarded=Decimal("10.005")),
        _grant(amountAwarded=-5),
        _grant(fundingOrganization=[]),
        _grant(awardDate="01/04/2019"),
    ]
    path.write_text(json.dumps({"grants": [_grant(), *bad]}, default=str))
    got = read_grants(path)
    assert got.rows == 7 and len(got.grants) == 1
    fields = [(r.row, r.field) for r in got.refused]
    assert fields == [
        (2, "currency"), (3, "amountAwarded"), (4, "amountAwarded"),
        (5, "amountAwarded"), (6, "fundingOrganization"), (7, "awardDate"),
    ]  # fmt: skip
    reasons = " | ".join(r.reason for r in got.refused)
    for words in ("USD", "no amount", "fraction of a penny", "negative", "funding", "date"):
        assert words in reasons


def test_csv_with_the_standards_titles_and_numbered_locations(tmp_path: Path) -> None:
    """Guards the CSV form: titles as the standard writes them (any case and
    spacing, numbered second items), a quoted description spanning lines
    reported at its first line, and both beneficiary codes kept."""
    path = tmp_path / "grants.csv"
    path.write_text(
        CSV_HEADER.replace("Funding Org:Name", "funding org : name")
        + '360G-a,Club,"Sessions\nfor carers",GBP,"1,000.50",2020-01-02,GB-1,Hands,'
        "E08000009,E05000001,GB-LAE-TRF,Trafford Council,Small grants\n"
        "360G-b,Club,x,GBP,abc,2020-01-02,GB-1,Hands,E08000009,,GB-LAE-TRF,Trafford Council,\n"
    )
    got = read_grants(path)
    assert [g.amount_pence for g in got.grants] == [100_050]
    assert got.grants[0].beneficiary_codes == ("E08000009", "E05000001")
    assert got.grants[0].programme == "Small grants"
    assert [(r.row, r.field) for r in got.refused] == [(4, "amountAwarded")]


def test_csv_without_the_standards_amount_title_is_refused_as_a_file(tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    path.write_text("Supplier,Amount,Date\nA,1,2020-01-01\n")
    with pytest.raises(SourceError, match="Amount Awarded"):
        read_grants(path)


def test_aggregated_file_counts_grants_per_group_and_reads_float_sums(tmp_path: Path) -> None:
    """Guards an aggregated extract: its Identifier is the number of grants in
    the group, the recipient's district places it, and a sum written from
    binary floats (2553893.8699999996) is read as the penny it was, while a
    genuine third of a penny is refused."""
    path = tmp_path / "agg.csv"
    path.write_text(
        ",Funding Org:Name,Award Year,Recipient District Geographic Code,"
        "Recipient Ward Geographic Code,Amount Awarded,Identifier\n"
        "0,Trust A,2016,E08000009,E05000820,2553893.8699999996,7\n"
        "1,Trust A,2016,E08000003,E05000700,10.333,1\n"
    )
    got = read_grants(path)
    assert got.form == "csv (aggregated)"
    assert [(g.amount_pence, g.grants, g.place_codes) for g in got.grants] == [
        (255_389_387, 7, ("E08000009", "E05000820"))
    ]
    assert got.rounded == 1 and [r.row for r in got.refused] == [3]
    summary = summarise([got], TRAFFORD)
    assert summary["grants"] == 7 and summary["by_theme"] == {
        UNCLASSIFIED: {"grants": 7, "pence": 255_389_387}
    }
    # counted per authority, never per ward
    assert summarise([got])["by_place"] == {
        TRAFFORD: {"grants": 7, "pence": 255_389_387, "funders": 1, "funding_streams": 1}
    }


def test_a_places_grants_by_funder_and_theme(tmp_path: Path) -> None:
    """Guards the summary: grants outside the place are left out and counted,
    themes come from the grant's words (young carers: children and families),
    funding streams are funders' programmes."""
    path = tmp_path / "grants.json"
    grants = [
        _grant(grantProgramme=[{"title": "Small grants"}]),
        _grant(id="2", title="Allotment", description="Tools", amountAwarded=100),
        _grant(id="3", beneficiaryLocation=[{"geoCode": "E08000003"}]),
    ]
    path.write_text(json.dumps({"grants": grants}))
    s = summarise([read_grants(path)], TRAFFORD)
    assert s["grants"] == 2 and s["outside_place"] == 1 and s["pence"] == 160_025
    assert s["funders"] == 1 and s["funding_streams"] == 2
    assert s["by_theme"]["children_and_families"] == {"grants": 1, "pence": 150_025}


def _real(name: str) -> Path:
    path = GRANTS / name
    if not path.exists():
        pytest.skip(f"real grants data not found at {path} (shared/data is not beside the project)")
    return path


def test_trafford_file_reads_the_same_in_json_and_csv() -> None:
    """The real Trafford file in both forms: all 555 grants load, none refused,
    £1,291,436.54 in each, and a place summary with themes for most of it."""
    as_json = read_grants(_real("trafford_council_voluntary_sector_grants.json"))
    as_csv = read_grants(_real("trafford_council_voluntary_sector_grants.csv"))
    for got in (as_json, as_csv):
        assert len(got.grants) == 555 and not got.refused
        assert sum(g.amount_pence for g in got.grants) == 129_143_654
    s = summarise([as_json], TRAFFORD)
    assert s["grants"] == 555 and s["funding_streams"] == 2
    assert s["classified_pence"] > s["pence"] // 2


def test_real_aggregate_by_district_loads_every_row() -> None:
    got = read_grants(_real("yanoak_360giving_grants_by_funder_year_LAD_ward.csv.gz"))
    assert got.form == "csv (aggregated)" and not got.refused and got.rows == 45_901
    s = summarise([got], TRAFFORD)
    assert s["grants"] > 0 and s["funders"] > 1


def test_grants_command_json_and_error_shape(tmp_path: Path) -> None:
    path = tmp_path / "grants.json"
    path.write_text(json.dumps({"grants": [_grant()]}))
    result = CliRunner().invoke(app, ["grants", str(path), "--place", TRAFFORD, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pence"] == 150_025
    bad = tmp_path / "bad.json"
    bad.write_text('{"rows": []}')
    result = CliRunner().invoke(app, ["grants", str(bad), "--json"])
    assert result.exit_code == 2 and json.loads(result.stdout)["error"]["type"] == "SourceError"
