"""The Total Place count: its invariant, outturn as control total, transfers,
trace, exports, and Manchester 2010-11 from the council's own transactions."""

from __future__ import annotations

import json
from pathlib import Path

import frictionless
import openpyxl
import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.count.councils import HOUSING_BENEFIT, LEVIES
from totalplace.count.cube import RESIDUAL
from totalplace.count.funding import FUNDERS
from totalplace.count.place_count import PlaceCount
from totalplace.count.services import RESIDUAL_METHOD
from totalplace.count.trace import trace
from totalplace.count.transactions import TransactionGroup
from totalplace.count.transfers import ELIMINATED, NETTED, OUTSIDE, TOP_DOWN, classify_transfers
from totalplace.demo import run_demo
from totalplace.ingest.pipeline import ingest_files
from totalplace.orgs import Body, OrgRegistry
from totalplace.reference.outturn import outturn
from totalplace.report.run import count_workspace
from totalplace.workspace import Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, PlaceCount]:
    _, ws = run_demo(tmp_path_factory.mktemp("demo") / "demo")
    count, _ = count_workspace(ws)
    return ws, count


def _invariant(count: PlaceCount) -> None:
    lines = sum(x.pence for x in count.lines)
    assert count.bottom_up_pence + count.top_down_pence == lines
    assert count.total_pence == lines - count.transfers_eliminated_pence
    assert sum(count.by("agency").values()) == count.total_pence
    assert sum(count.by("theme").values()) == count.total_pence


def test_demo_counts_every_body_from_its_own_payments_and_removes_transfers(
    demo: tuple[Workspace, PlaceCount],
) -> None:
    ws, count = demo
    _invariant(count)
    assert count.top_down_pence == 0  # a fictional place has no regional lines
    with ws.connect() as con:
        found = con.execute(
            "SELECT count(*) FROM spend WHERE period_start BETWEEN '2010-04-01' AND '2011-03-31'"
        ).fetchone()
    assert found and found[0] > 0
    eliminated = [t for t in count.transfers if t.eliminated]
    assert eliminated and all(t.reason == ELIMINATED for t in eliminated)
    # payments to NHS providers are never eliminated: the count holds commissioners
    assert not [t for t in eliminated if t.payee_kind == "nhs_provider"]
    assert count.transfers_eliminated_pence == sum(t.pence for t in eliminated) > 0


def test_transaction_lines_carry_their_themes_function(
    demo: tuple[Workspace, PlaceCount],
) -> None:
    from totalplace.classify.taxonomy import function_for_theme

    _, count = demo
    lines = [x for x in count.lines if x.method == "transactions"]
    assert {x.function for x in lines if x.theme == "health"} == {"7. Health"}
    assert {x.function for x in lines if x.theme == "crime_and_community_safety"} == {
        "3. Public order and safety"
    }
    assert all(x.function == function_for_theme(x.theme) for x in lines)


def test_transfer_rules() -> None:
    def body(id_: str, kind: str, area: tuple[str, ...], ecode: str | None = None) -> Body:
        codes = (("ecode", ecode),) if ecode else ()
        return Body(id_, id_.title(), kind, codes, area, None, None, None, None, (), "test")

    orgs = OrgRegistry(
        [
            body("pct", "nhs_commissioner", ("E1",)),
            body("police", "police", ("E1",), ecode="E6042"),
            body("trust", "nhs_provider", ("E1",)),
            body("far", "council", ("E9",)),
        ]
    )

    def group(payee: str, pence: int) -> TransactionGroup:
        return TransactionGroup("Payer", "health", "targeted", False, False, payee, "x", pence, 1)

    capital = TransactionGroup("Payer", "health", "targeted", False, True, "pct", "x", 50, 1)
    transfers = classify_transfers(
        [group("pct", 100), group("police", 200), group("trust", 300), group("far", 400), capital],
        {"Payer": "Payer Council"},
        orgs,
        net_ecodes=frozenset({"E6042"}),
        gross_ids=frozenset({"pct"}),
        serves_place=lambda b: "E1" in b.area_gss,
    )
    reasons = {t.payee_id: (t.eliminated, t.reason) for t in transfers}
    assert [t.pence for t in transfers if t.payee_id == "pct"] == [100]  # not the capital 50
    assert reasons == {
        "pct": (True, ELIMINATED),
        "police": (False, NETTED),
        "trust": (False, TOP_DOWN),
        "far": (False, OUTSIDE),
    }


def test_trace_rows_add_up_to_the_cell(demo: tuple[Workspace, PlaceCount]) -> None:
    ws, count = demo
    line = max((x for x in count.lines if x.method == "transactions"), key=lambda x: x.pence)
    cell = trace(ws, count, line.agency, line.theme, limit=5)
    assert cell.rows_pence == cell.pence
    assert cell.rows_total > 0 and len(cell.rows) == min(5, cell.rows_total)
    assert cell.rows == sorted(cell.rows, key=lambda r: -abs(r.pence))


def test_exports_validate_and_resist_formula_injection(
    demo: tuple[Workspace, PlaceCount],
) -> None:
    ws, _ = demo
    folder = ws.root / "reports"
    report = frictionless.validate(str(folder / "count" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    package = json.loads((folder / "count" / "datapackage.json").read_text())
    assert package["model"]["measures"]["amount"]["currency"] == "GBP"
    book = openpyxl.load_workbook(folder / "count.xlsx")
    assert {"Summary", "By agency", "By theme", "Transfers", "Pass-through"} <= set(book.sheetnames)
    assert {"Reconciliation", "Ingest issues", "Provenance"} <= set(book.sheetnames)
    cells = [c for row in book["Ingest issues"].iter_rows() for c in row if c.value is not None]
    assert cells and all(
        c.data_type == "s" and not str(c.value).startswith("=")
        for c in cells
        if isinstance(c.value, str)
    )


def test_a_supplier_name_cannot_become_a_formula(tmp_path: Path) -> None:
    from totalplace.sheets import append_row

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    append_row(sheet, ['=HYPERLINK("http://x","click")', "+1", "@SUM(A1)", "ok"])
    book.save(tmp_path / "x.xlsx")
    row = next(openpyxl.load_workbook(tmp_path / "x.xlsx").active.iter_rows(values_only=True))
    assert row == ('\'=HYPERLINK("http://x","click")', "'+1", "'@SUM(A1)", "ok")


def test_count_command_json(demo: tuple[Workspace, PlaceCount]) -> None:
    ws, count = demo
    result = CliRunner().invoke(app, ["count", str(ws.root), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("total_pence", "bottom_up_pence", "top_down_pence"):
        assert isinstance(data[key], int)
    for key in ("transfers_eliminated_pence", "pass_through_pence"):
        assert isinstance(data[key], int)
    assert data["total_pence"] == (
        data["bottom_up_pence"] + data["top_down_pence"] - data["transfers_eliminated_pence"]
    )
    assert data["total_pence"] == count.total_pence
    assert set(data["by_agency"]) == set(count.by("agency"))


def test_trace_command_fails_for_an_unknown_cell(demo: tuple[Workspace, PlaceCount]) -> None:
    ws, count = demo
    result = CliRunner().invoke(
        app, ["trace", str(ws.root), "--agency", "Nobody", "--theme", "health"]
    )
    assert result.exit_code == 1
    # the message says which agencies the theme does have
    health = sorted({x.agency for x in count.lines if x.theme == "health"})
    assert health and "agencies with theme health: " + ", ".join(health) in result.stderr
    assert "┃" not in result.stdout  # no empty table
    as_json = CliRunner().invoke(
        app, ["trace", str(ws.root), "--agency", "Nobody", "--theme", "health", "--json"]
    )
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["lines"] == []


@pytest.fixture(scope="module")
def manchester(
    manchester_counted: tuple[Workspace, PlaceCount],
) -> tuple[Workspace, PlaceCount]:
    """The council's twelve files counted for 2010-11, built once in
    tests/conftest.py for this module and tests/test_count_honesty.py."""
    return manchester_counted


def test_manchester_2010_11_transactions_split_the_council_outturn(
    manchester: tuple[Workspace, PlaceCount],
) -> None:
    from totalplace.count.topdown import topdown
    from totalplace.reference.places import resolve_place

    ws, count = manchester
    _invariant(count)
    # outturn is the control: splitting it changes nothing in the total
    assert count.total_pence == topdown(resolve_place("E08000003"), "2010-11").total_pence
    rs = {r.line: r.pence for r in outturn("2010-11") if r.authority.startswith("Manchester")}
    control = (
        rs["net_current_expenditure"]
        - sum(rs[x] for x in LEVIES)
        - sum(rs[x] for x in HOUSING_BENEFIT)
    )
    (cov,) = count.coverage
    assert cov.control_pence == control
    assert cov.months_list == ("2010-12", "2011-01", "2011-02", "2011-03")  # never annualised
    # bottom up = the year's revenue payments that are not pass-through, summed independently
    classified = str(ws.root / "classified.parquet")
    with ws.connect() as con:
        row = con.execute(
            "SELECT sum(s.amount_pence) FROM spend s LEFT JOIN read_parquet($c) c "
            "ON c.file_id = s.file_id AND c.source_line = s.source_line "
            "WHERE s.period_start BETWEEN '2010-04-01' AND '2011-03-31' "
            "AND NOT coalesce(c.pass_through, false)",
            {"c": classified},
        ).fetchone()
        every = con.execute(
            "SELECT sum(amount_pence) FROM spend "
            "WHERE period_start BETWEEN '2010-04-01' AND '2011-03-31'"
        ).fetchone()
    assert row is not None and every is not None
    # Changed when capital and council-housing payments were kept out of the
    # revenue split: bottom up is what is left of those payments after the
    # capital and HRA rows (53% of them) and the levy booked as a provision;
    # every payment of the year is bottom up, pass-through or set apart.
    assert count.bottom_up_pence == cov.transactions_pence
    set_apart = sum(x.pence for x in count.set_apart)
    assert 0.5 < set_apart / row[0] < 0.56
    assert count.bottom_up_pence + set_apart + count.pass_through_pence == every[0]
    # Changed when outturn became the control service by service: there is no
    # one "not in transaction data" line; each service has its own residual line
    # (of the service's theme, method RESIDUAL_METHOD) and together they are the
    # control less the payments.  Services the payments do not show are counted
    # from their outturn (education: Manchester's schools pay their own bills).
    assert RESIDUAL not in count.by("theme")
    residuals = [x for x in count.lines if x.method == RESIDUAL_METHOD]
    assert sum(x.pence for x in residuals) == control - count.bottom_up_pence
    assert [x.theme for x in count.lines if x.basis] == ["education_and_skills"]


def test_council_lines_are_funded_pro_rata_to_the_councils_financing(
    manchester: tuple[Workspace, PlaceCount],
) -> None:
    _, count = manchester
    funders = count.by("funder")
    assert sum(funders.values()) == count.total_pence
    rs = {r.line: r.pence for r in outturn("2010-11") if r.authority.startswith("Manchester")}
    council_tax = rs["council_tax_requirement"]
    grants = -sum(rs[x] for x in FUNDERS["specific grants (government departments)"])
    formula = -sum(rs[x] for x in FUNDERS["formula grant (DCLG)"])
    own = [x for x in count.lines if x.agency == "Manchester City Council"]
    alone = PlaceCount(count.place, count.year, count.engine, count.population, lines=own)
    split = alone.by("funder")
    total = sum(x.pence for x in own)
    mix = {"council tax and precepts (local taxpayers)": council_tax}
    mix |= {"specific grants (government departments)": grants, "formula grant (DCLG)": formula}
    assert set(split) == set(mix) and sum(split.values()) == total
    for funder, weight in mix.items():
        assert abs(split[funder] - total * weight / sum(mix.values())) <= len(own)
    assert "Department of Health" in funders  # top-down lines keep their department
    fenced = alone.by("ring_fenced")
    assert (
        fenced["ring-fenced (specific grants, estimate)"]
        == split["specific grants (government departments)"]
    )
    assert sum(count.by("ring_fenced").values()) == count.total_pence
    assert count.notes and any("outside 2010-11" in n for n in count.notes)


def test_every_engine_gives_the_same_count(engine: str, demo: tuple[Workspace, PlaceCount]) -> None:
    """The count's queries run on each engine (the ``engine`` fixture: DuckDB,
    and Spark when it is installed) and give the demo's count to the penny:
    the same transaction groups, months covered and rows outside the year."""
    from totalplace.count.cube import build_count
    from totalplace.count.transactions import load_transactions

    ws, count = demo
    on_duckdb = load_transactions(ws, "2010-11", "duckdb")
    on_engine = load_transactions(ws, "2010-11", engine)
    assert on_engine.groups == on_duckdb.groups
    assert on_engine.coverage == on_duckdb.coverage
    assert on_engine.outside_year_rows == on_duckdb.outside_year_rows
    counted = build_count(ws, engine)
    assert counted.engine == engine
    assert counted.to_dict() | {"engine": "duckdb"} == count.to_dict()


def test_a_workspace_without_spend_files_counts_top_down(tmp_path: Path) -> None:
    from totalplace.count.topdown import topdown
    from totalplace.reference.places import resolve_place

    ws = Workspace.create(tmp_path / "ws", ["E10000016"], "2012-13")  # Kent, no files
    count, reports = count_workspace(ws)
    assert count.bottom_up_pence == 0 and count.transfers == []
    assert count.total_pence == topdown(resolve_place("E10000016"), "2012-13").total_pence
    assert all(p.exists() for p in reports)


def test_count_runs_when_no_name_resolves_to_a_public_body(tmp_path: Path) -> None:
    """Then the resolved names file holds no body at all (its body_id column all
    empty), which must not break the transactions' join."""
    ws = Workspace.create(tmp_path / "ws", ["E08000003"], "2010-11")
    src = tmp_path / "spend.csv"
    src.write_text("Payment Date,Amount,Supplier Name\n2010-12-01,100.00,Acme Trading Ltd\n")
    assert ingest_files(ws, [src], publisher="Zzyzx Holdings").ok
    count, _ = count_workspace(ws)
    assert count.total_pence > 0
    assert any("Zzyzx Holdings" in note and "1 rows not used" in note for note in count.notes)
    import pyarrow as pa
    import pyarrow.parquet as pq

    from totalplace.orgs.resolve import RESOLVED_NAME

    schema = pq.read_schema(ws.root / RESOLVED_NAME)
    assert schema.field("body_id").type == schema.field("kind").type == pa.string()


def test_engine_reads_a_column_of_another_type_under_its_own_name(tmp_path: Path) -> None:
    """A column cast to the declared type keeps its name (an all-empty column
    is stored as integers by Arrow, and declared as text)."""
    import ibis
    import pyarrow as pa
    import pyarrow.parquet as pq

    from totalplace.backends import open_backend

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"name": ["a"], "body_id": pa.array([None], pa.int32())}), path)
    backend = open_backend("duckdb")
    try:
        table = backend.read_parquet(
            [path], "t", ibis.schema({"name": "string", "body_id": "string"})
        )
        assert table.columns == ("name", "body_id")
        assert table.to_pyarrow().to_pylist() == [{"name": "a", "body_id": None}]
    finally:
        backend.close()
