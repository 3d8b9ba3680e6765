"""Bodies counted gross from their own payments, and transfers between them
eliminated, on a place whose answer the test works out by hand.

The place is Manchester and Trafford in 2012-13 (the package ships both
councils' Revenue Outturn for that year).  Each council pays a year of
synthetic payments, one a month, and Manchester pays Trafford Council for a
shared service every month: counted gross, both councils' outturn lines
(less housing benefit, and levies kept as the levying bodies' spending)
leave the count, their payments come in, and the
payments from one to the other are taken out once."""

from __future__ import annotations

import io
import json
import tomllib
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tomli_w
from rich.console import Console
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.count.councils import LEVY_BODY
from totalplace.count.cube import build_count
from totalplace.count.gross import (
    GROSS,
    NET,
    TOP_DOWN,
    GrossChoice,
    choose_gross,
    months_missing,
    months_of_year,
)
from totalplace.count.topdown import topdown
from totalplace.count.transfers import ELIMINATED
from totalplace.errors import ConfigError
from totalplace.ingest.pipeline import ingest_files
from totalplace.orgs import Body, OrgRegistry
from totalplace.orgs.resolve import resolve_workspace
from totalplace.reference.places import resolve_place
from totalplace.render import render_count
from totalplace.report.count_workbook import write_count_workbook
from totalplace.workspace import CLASSIFIED_NAME, Workspace

YEAR = "2012-13"
PLACE = ["E08000003", "E08000009"]
ECODES = {"Manchester City Council": "E4203", "Trafford Council": "E4209"}
MONTHS = ["2012-04", "2012-05", "2012-06", "2012-07", "2012-08", "2012-09"]
MONTHS += ["2012-10", "2012-11", "2012-12", "2013-01", "2013-02", "2013-03"]
# per month: payer -> [(supplier, pence)]
PAID = {
    "Manchester City Council": [("Foster Families Ltd", 1_000_000), ("Trafford Council", 250_000)],
    "Trafford Council": [("Road Surfacing Ltd", 600_000)],
}


def _place(
    root: Path,
    months: list[str] = MONTHS,
    paid: dict[str, list[tuple[str, int]]] = PAID,
    place: list[str] = PLACE,
) -> Workspace:
    """Both councils' payments (or ``paid``'s) for ``months``, classified by
    hand: every payment is children and families (no rule or model involved)."""
    ws = Workspace.create(root / "ws", place, YEAR)
    for payer, payments in paid.items():
        path = root / f"{payer.split()[0].lower()}.csv"
        lines = ["Payment Date,Amount,Supplier Name"]
        lines += [f"{m}-15,{p / 100:.2f},{s}" for m in months for s, p in payments]
        path.write_text("\n".join(lines) + "\n")
        assert ingest_files(ws, [path], publisher=payer).ok
    with ws.connect() as con:
        rows = con.execute("SELECT file_id, source_line FROM spend").fetchall()
    n = len(rows)
    table = {
        "file_id": pa.array([r[0] for r in rows], pa.string()),
        "source_line": pa.array([r[1] for r in rows], pa.int64()),
        "rule_id": pa.array(["test.rule"] * n, pa.string()),
        "theme": pa.array(["children_and_families"] * n, pa.string()),
        "tier": pa.array([None] * n, pa.string()),
        "pass_through": pa.array([False] * n, pa.bool_()),
        "catch_all": pa.array([False] * n, pa.bool_()),
        "method": pa.array(["rule"] * n, pa.string()),
    }
    pq.write_table(pa.table(table), ws.root / CLASSIFIED_NAME)
    resolve_workspace(ws)
    return ws


def _outturn_less_housing_benefit(ecode: str) -> int:
    """The council's outturn lines its payments replace: all but housing benefit
    and levies to bodies the count does not bring in (those bodies' spending)."""
    td = topdown(resolve_place(",".join(PLACE)), YEAR)
    return sum(
        x.place_pence
        for x in td.lines
        if x.method == "outturn"
        and x.body == ecode
        and x.subfunction != "housing_benefit"
        and x.subfunction not in LEVY_BODY
    )


@pytest.fixture(scope="module")
def full_year(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return _place(tmp_path_factory.mktemp("gross"))


def test_payments_between_two_councils_counted_gross_are_eliminated(full_year: Workspace) -> None:
    ws = full_year
    net = build_count(ws)
    count = build_count(ws, gross=["Manchester City Council", "Trafford Council"])
    manchester = 12 * (1_000_000 + 250_000)
    trafford = 12 * 600_000
    replaced = sum(_outturn_less_housing_benefit(e) for e in ECODES.values())
    # worked by hand: the net count less both outturns (housing benefit stays),
    # plus both councils' payments, less Manchester's payments to Trafford once
    assert count.total_pence == net.total_pence - replaced + manchester + trafford - 12 * 250_000
    eliminated = [t for t in count.transfers if t.eliminated]
    assert [(t.payee_id, t.pence, t.reason) for t in eliminated] == [
        ("la-E08000009", 12 * 250_000, ELIMINATED)
    ]
    assert count.transfers_eliminated_pence == 12 * 250_000
    # counted net, Manchester's payment to Trafford is Trafford's income: never eliminated
    assert net.transfers_eliminated_pence == 0


def test_the_count_says_which_bodies_are_gross_net_or_top_down(full_year: Workspace) -> None:
    ws = full_year
    count = build_count(ws, gross=["Trafford Council"])
    basis = {b.agency: b.basis for b in count.bases}
    gross = [a for a, b in basis.items() if b == GROSS]
    assert len(gross) == 1 and "Trafford" in gross[0]
    assert any("Manchester" in a and b == NET for a, b in basis.items())
    assert TOP_DOWN in basis.values()
    assert sum(b.pence for b in count.bases) == sum(x.pence for x in count.lines)
    (bridge,) = count.bridges
    assert bridge.payments_pence == 12 * 600_000
    assert bridge.months == 12
    assert bridge.replaced_pence == _outturn_less_housing_benefit("E4209")
    assert bridge.outturn_pence is not None and bridge.outturn_pence > bridge.replaced_pence
    data = count.to_dict()
    assert data["gross_bridges"][0]["difference_pence"] == bridge.difference_pence
    assert {b["basis"] for b in data["bases"]} == {GROSS, NET, TOP_DOWN}


def test_a_body_without_a_full_year_of_files_is_refused_naming_the_months(
    tmp_path: Path,
) -> None:
    ws = _place(tmp_path, [m for m in MONTHS if m not in ("2012-05", "2013-03")])
    with pytest.raises(ConfigError, match=r"months missing: 2012-05, 2013-03"):
        build_count(ws, gross=["Trafford Council"])
    result = CliRunner().invoke(
        app, ["count", str(ws.root), "--gross", "Trafford Council", "--json"]
    )
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError" and "2012-05, 2013-03" in error["message"]


def test_gross_setting_in_the_study_file_counts_the_body_gross(tmp_path: Path) -> None:
    ws = _place(tmp_path)
    path = ws.root / "totalplace.toml"
    study = tomllib.loads(path.read_text())
    path.write_text(tomli_w.dumps({**study, "gross": ["E4209"]}))  # Trafford's E-code
    count = build_count(Workspace.open(ws.root))
    assert [b.body_id for b in count.bridges] == ["la-E08000009"]


def test_a_body_without_payments_or_unknown_cannot_be_counted_gross(
    full_year: Workspace,
) -> None:
    ws = full_year
    with pytest.raises(ConfigError, match="none of the loaded spend rows"):
        build_count(ws, gross=["Stockport Council"])
    with pytest.raises(ConfigError, match="no public body"):
        build_count(ws, gross=["Zzyzx Holdings Authority"])
    with pytest.raises(ConfigError, match="did you mean 'Trafford"):
        build_count(ws, gross=["Trafford"])


def test_months_missing_runs_april_to_march() -> None:
    assert months_missing("2010-11", []) == [
        "2010-04", "2010-05", "2010-06", "2010-07", "2010-08", "2010-09",
        "2010-10", "2010-11", "2010-12", "2011-01", "2011-02", "2011-03",
    ]  # fmt: skip
    assert months_missing("2010-11", ["2010-04", "2011-03", "2011-04"])[-1] == "2011-02"


def test_workbook_shows_each_agency_basis_and_the_bridge(
    full_year: Workspace, tmp_path: Path
) -> None:
    count = build_count(full_year, gross=["Trafford Council"])
    write_count_workbook(tmp_path / "count.xlsx", count, full_year)
    sheet = openpyxl.load_workbook(tmp_path / "count.xlsx")["Bases"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert {r[1] for r in rows[1:] if r and r[1] in (GROSS, NET, TOP_DOWN)} == {
        GROSS,
        NET,
        TOP_DOWN,
    }
    (bridge_row,) = [r for r in rows if r[0] and "Trafford" in str(r[0]) and r[1] == 12]
    assert bridge_row[2] == Decimal(12 * 600_000) / 100


def _choose(outturn_bodies: frozenset[str], within_place: bool) -> dict[str, GrossChoice]:
    """A fire authority with a full year of payments, chosen to count gross."""
    codes = (("ecode", "E6199"),)
    area = ("E08000003", "E08000009")
    fire = Body("fire-x", "X Fire Authority", "fire", codes, area, None, None, None, None, (), "t")
    months = {fire.name: months_of_year(YEAR)}
    return choose_gross(
        [fire],
        months,
        months,
        YEAR,
        OrgRegistry([fire]),
        outturn_bodies,
        lambda body: within_place,
        has_topdown=True,
    )


def test_a_body_serving_more_than_the_place_cannot_be_counted_gross() -> None:
    with pytest.raises(ConfigError, match="serves more than the place"):
        _choose(frozenset({"E6199"}), within_place=False)
    # inside its department's regional lines: its payments would count it twice
    with pytest.raises(ConfigError, match="regional lines"):
        _choose(frozenset(), within_place=True)
    assert _choose(frozenset({"E6199"}), within_place=True)["X Fire Authority"].ecode == "E6199"


def test_terminal_count_names_the_bodies_counted_gross(full_year: Workspace) -> None:
    count = build_count(full_year, gross=["Trafford Council"])
    buf = io.StringIO()
    render_count(count, Console(file=buf, width=250, markup=False))
    shown = buf.getvalue()
    (bridge,) = count.bridges
    assert f"counted gross: {bridge.agency}" in shown
    assert f"{bridge.agency}: counted gross, £0.1m of payments over 12 months" in shown


def test_a_year_without_regional_lines_counts_only_the_bodies_counted_gross(
    tmp_path: Path,
) -> None:
    ws = Workspace.create(tmp_path / "ws", ["E08000009"], "2024-25")
    path = tmp_path / "trafford.csv"
    months = months_of_year("2024-25")
    path.write_text("Payment Date,Amount,Supplier Name\n" + "".join(
        f"{m}-10,1000.00,Road Surfacing Ltd\n" for m in months
    ))  # fmt: skip
    assert ingest_files(ws, [path], publisher="Trafford Council").ok
    with ws.connect() as con:
        rows = con.execute("SELECT file_id, source_line FROM spend").fetchall()
    table = {
        "file_id": pa.array([r[0] for r in rows], pa.string()),
        "source_line": pa.array([r[1] for r in rows], pa.int64()),
        "theme": pa.array(["environment_and_transport"] * len(rows), pa.string()),
    }
    pq.write_table(pa.table(table), ws.root / CLASSIFIED_NAME)
    resolve_workspace(ws)
    with pytest.raises(ConfigError, match="use --gross BODY"):
        build_count(ws)
    count = build_count(ws, gross=["Trafford Council"])
    assert count.total_pence == 12 * 100_000 and count.top_down_pence == 0
    assert any("no regional lines for 2024-25" in note for note in count.notes)
    assert count.population > 0


def test_a_body_whose_files_name_it_unknown_is_told_the_alias_to_add(tmp_path: Path) -> None:
    """Wakefield's files name it 'Wakefield WMDC', a name the registry does not
    know: the error names the rows' payer and the alias row that fixes it, and
    with that row in DIR/orgs/ the body is counted gross."""
    paid = {"TMBC Payments": [("Road Surfacing Ltd", 600_000)]}
    ws = _place(tmp_path, paid=paid, place=["E08000009"])
    with pytest.raises(ConfigError) as refused:
        build_count(ws, gross=["Trafford Council"])
    message = str(refused.value)
    assert "the rows are paid by 'TMBC Payments'" in message
    assert "la-E08000009,,,TMBC Payments," in message
    (ws.root / "orgs").mkdir(exist_ok=True)
    (ws.root / "orgs" / "aliases.csv").write_text(
        "id,name,kind,aliases,source\nla-E08000009,,,TMBC Payments,\n"
    )
    count = build_count(Workspace.open(ws.root), gross=["Trafford Council"])
    assert [b.body_id for b in count.bridges] == ["la-E08000009"]
