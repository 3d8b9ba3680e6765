"""The count is honest about classification and about money too large: each
agency's figure says how much of it rules, the model or nothing classified; a
service the outturn funds is never £0.0m because its payments went
unclassified; payments above a council's whole outturn are warned about.

The synthetic council is Manchester in 2012-13, whose Revenue Outturn the
package ships, with a hand-written classification so that each test fixes
exactly which payments are classified and how."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.count.councils import LEVY_BODY
from totalplace.count.cube import RESIDUAL, build_count
from totalplace.count.over_outturn import OVER_OUTTURN
from totalplace.count.place_count import PlaceCount
from totalplace.count.services import (
    OUTTURN_BASIS,
    OVER_SERVICE,
    PLACED_PRO_RATA,
    RESIDUAL_METHOD,
    service_themes,
)
from totalplace.count.topdown import topdown
from totalplace.count.trace import trace
from totalplace.ingest.pipeline import ingest_files
from totalplace.money import millions, pounds
from totalplace.reference.outturn import outturn
from totalplace.reference.places import resolve_place
from totalplace.render import render_count
from totalplace.report.count_workbook import write_count_workbook
from totalplace.report.export import write_exports
from totalplace.workspace import CLASSIFIED_NAME, Workspace

COUNCIL = "Manchester City Council"
ECODE = "E4203"
YEAR = "2012-13"
# supplier -> (amount in pounds, theme or None for unclassified, how it was classified)
PAYMENTS: dict[str, tuple[str, str | None, str | None]] = {
    "Foster Families Ltd": ("5000.00", "children_and_families", "rule"),
    "Road Surfacing Ltd": ("3000.00", "environment_and_transport", "rule"),
    "Care Homes Ltd": ("120000.00", None, None),  # adult social care, no rule knows it
    "Home Support Ltd": ("80000.00", None, None),
}


def _council(
    root: Path,
    payments: dict[str, tuple[str, str | None, str | None]],
    with_method: bool = True,
    files: int = 1,
) -> Workspace:
    """A workspace for Manchester, its payments loaded from ``files`` CSV files
    and classified as ``payments`` says (no classification rule involved)."""
    ws = Workspace.create(root / "ws", ["E08000003"], YEAR)
    paths = []
    for n in range(files):
        path = root / f"spend-{n}.csv"
        lines = ["Payment Date,Amount,Supplier Name"]
        lines += [f"2012-06-0{n + 1},{amount},{name}" for name, (amount, _, _) in payments.items()]
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    report = ingest_files(ws, paths, publisher=COUNCIL)
    assert report.ok, [f.message for f in report.files]
    with ws.connect() as con:
        rows = con.execute("SELECT file_id, source_line, supplier_name FROM spend").fetchall()
    assert len(rows) == len(payments) * files
    columns: dict[str, list[object]] = {
        "file_id": [r[0] for r in rows],
        "source_line": [r[1] for r in rows],
        "rule_id": [f"test.{r[2]}" if payments[r[2]][2] == "rule" else None for r in rows],
        "theme": [payments[r[2]][1] for r in rows],
        "tier": [None for _ in rows],
        "pass_through": [False for _ in rows],
        "catch_all": [False for _ in rows],
    }
    if with_method:
        columns["method"] = [payments[r[2]][2] for r in rows]
        columns["confidence"] = [0.7 if payments[r[2]][2] == "model" else None for r in rows]
    types = {"source_line": pa.int64(), "pass_through": pa.bool_(), "catch_all": pa.bool_()}
    types |= {"confidence": pa.float64()}
    pq.write_table(
        pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in columns.items()}),
        ws.root / CLASSIFIED_NAME,
    )
    return ws


def _outturn(line: str) -> int:
    td = topdown(resolve_place("E08000003"), YEAR)
    return sum(x.place_pence for x in td.lines if x.body == ECODE and x.subfunction == line)


def _rendered(count: PlaceCount) -> str:
    buf = io.StringIO()
    render_count(count, Console(file=buf, width=250, markup=False))
    return buf.getvalue()


def _services(count: PlaceCount) -> dict[str, int]:
    """The council's lines summed by the outturn service they count against."""
    out: dict[str, int] = {}
    for x in count.lines:
        if x.agency == COUNCIL:
            out[x.service] = out.get(x.service, 0) + x.pence
    return out


def _without_files(tmp_path: Path) -> PlaceCount:
    return build_count(Workspace.create(tmp_path / "empty", ["E08000003"], YEAR))


def test_unclassified_adult_social_care_is_not_shown_as_zero(tmp_path: Path) -> None:
    ws = _council(tmp_path, PAYMENTS)
    count = build_count(ws)
    council = [x for x in count.lines if x.agency == COUNCIL]
    # Changed when outturn became the control total service by service: the
    # service keeps its outturn, not its theme's one line.  The unclassified
    # payments are shared among the services pro rata to what each service's
    # payments leave unexplained, so adult social care's share of them is a
    # line of its own and the rest of its outturn is the line from outturn.
    care = [x for x in council if x.service == "adult_social_care"]
    assert sum(x.pence for x in care) == _outturn("adult_social_care") != 0
    (line,) = [x for x in care if x.theme == "adult_social_care"]
    shared = [x for x in care if x.theme == "unclassified"]
    assert shared and all(PLACED_PRO_RATA in x.flags for x in shared)
    assert line.pence == _outturn("adult_social_care") - sum(x.pence for x in shared) > 0
    assert line.basis == OUTTURN_BASIS and line.method == RESIDUAL_METHOD
    assert "its unclassified payments come to £200,000.00 (2 rows)" in " ".join(line.flags)
    # children's care has a classified payment: it stays counted from its payments
    assert not [x for x in council if x.theme == "children_and_families" and x.basis]
    # the council's total is its outturn, whatever the transactions split
    td = topdown(resolve_place("E08000003"), YEAR)
    # (a levy the council paid to a body the count does not bring in is that
    # body's line, under the council's E-code for its financing: not the council's)
    own = sum(x.place_pence for x in td.lines if x.body == ECODE and x.subfunction not in LEVY_BODY)
    assert sum(x.pence for x in council) == own
    assert count.total_pence == td.total_pence
    # each service keeps its outturn to the penny, and no theme is "not in transaction data"
    assert _services(count) == _services(_without_files(tmp_path))
    assert RESIDUAL not in count.by("theme") and RESIDUAL not in count.to_dict()["by_theme"]
    from_outturn = sum(x.pence for x in council if x.basis)
    (cov,) = count.coverage
    assert cov.outturn_services_pence == from_outturn
    write_exports(tmp_path / "exports", count)
    with (tmp_path / "exports" / "lines.csv").open() as f:
        exported = [
            r
            for r in csv.DictReader(f)
            if r["theme"] == "adult_social_care" and r["agency"] == COUNCIL
        ]
    assert [(r["basis"], r["amount_pence"]) for r in exported] == [(OUTTURN_BASIS, str(line.pence))]
    text = _rendered(count)
    shown = f"{COUNCIL}: adult_social_care {millions(line.pence)} counted from its {OUTTURN_BASIS}"
    assert shown in text
    listed = count.to_dict()["services_from_outturn"]
    assert {"theme": "adult_social_care", "basis": OUTTURN_BASIS} in [
        {"theme": x["theme"], "basis": x["basis"]} for x in listed
    ]
    assert all(x["agency"] == COUNCIL for x in listed)


def test_unclassified_payments_never_move_money_between_services(tmp_path: Path) -> None:
    """£200m of unclassified payments used to come off one residual for the
    whole council (and, with the services taken from the outturn, drove it
    below zero).  Now they are shared among the services by what each
    service's outturn leaves unexplained: every service keeps its outturn and
    the council's lines still add up to its outturn."""
    payments = dict(PAYMENTS) | {"Care Homes Ltd": ("200000000.00", None, None)}
    count = build_count(_council(tmp_path, payments))
    council = [x for x in count.lines if x.agency == COUNCIL]
    assert _services(count) == _services(_without_files(tmp_path))
    shared = [x for x in council if x.theme == "unclassified"]
    assert sum(x.pence for x in shared) == 20_008_000_000  # with Home Support Ltd
    assert len({x.service for x in shared}) > 1
    td = topdown(resolve_place("E08000003"), YEAR)
    own = sum(x.place_pence for x in td.lines if x.body == ECODE and x.subfunction not in LEVY_BODY)
    assert sum(x.pence for x in council) == own


def test_payments_over_a_services_outturn_leave_it_at_its_outturn(tmp_path: Path) -> None:
    """Payments are gross and the outturn net of fees and grants, so a service's
    payments can come to more than its outturn: the service still counts its
    outturn, with a negative line that says why, and no other service pays."""
    roads = _outturn("highways_transport") + _outturn("environmental")
    over = f"{(roads + 100_000_000) / 100:.2f}"
    payments = dict(PAYMENTS) | {"Road Surfacing Ltd": (over, "environment_and_transport", "rule")}
    count = build_count(_council(tmp_path, payments))
    assert _services(count) == _services(_without_files(tmp_path))
    (line,) = [
        x
        for x in count.lines
        if x.agency == COUNCIL and x.service == "environment_and_transport" and x.pence < 0
    ]
    assert line.method == RESIDUAL_METHOD and OVER_SERVICE in line.flags
    assert line.pence == -100_000_000 - sum(
        x.pence
        for x in count.lines
        if x.service == "environment_and_transport" and PLACED_PRO_RATA in x.flags
    )


def test_payment_themes_are_placed_in_the_service_of_their_sercop_division(
    tmp_path: Path,
) -> None:
    """Older people's care counts against adult social care, not as a service
    the outturn does not have; the care line keeps what its payments leave."""
    payments = {"Elder Care Ltd": ("9000.00", "older_people", "rule")}
    count = build_count(_council(tmp_path, payments))
    (paid,) = [x for x in count.lines if x.theme == "older_people" and x.agency == COUNCIL]
    assert paid.service == "adult_social_care" and paid.pence == 900_000
    (rest,) = [x for x in count.lines if x.theme == "adult_social_care" and x.agency == COUNCIL]
    assert rest.pence == _outturn("adult_social_care") - 900_000 and not rest.basis


def test_older_peoples_care_payments_count_as_adult_social_care(tmp_path: Path) -> None:
    """A service is taken from its outturn only when no classified payment has a
    theme of its SeRCOP division: older people's care is adult social care."""
    payments = dict(PAYMENTS) | {"Elder Care Ltd": ("9000.00", "older_people", "rule")}
    count = build_count(_council(tmp_path, payments))
    assert not [x for x in count.lines if x.basis and x.theme == "adult_social_care"]
    assert {"adult_social_care", "older_people", "learning_disability"} <= service_themes(
        "adult_social_care"
    )
    # before 2011-12 "social_care" held children's care too
    assert "children_and_families" in service_themes("adult_social_care", ["social_care"])
    assert "children_and_families" not in service_themes("adult_social_care")


def test_trace_says_a_service_from_outturn_comes_from_outturn_and_why(tmp_path: Path) -> None:
    ws = _council(tmp_path, PAYMENTS)
    count = build_count(ws)
    cell = trace(ws, count, COUNCIL, "adult_social_care")
    # the unclassified payments' share placed in the service is a line of theme
    # "unclassified" (traced there): this cell is the rest of the service's outturn
    assert _services(count)["adult_social_care"] == _outturn("adult_social_care")
    (line,) = [x for x in count.lines if x.agency == COUNCIL and x.theme == "adult_social_care"]
    assert cell.rows_total == 0 and cell.pence == line.pence
    (why,) = cell.basis
    assert why.startswith(f"{cell.pence} pence from the {OUTTURN_BASIS}: ")
    assert "unclassified payments come to £200,000.00" in why
    result = CliRunner().invoke(
        app, ["trace", str(ws.root), "--agency", COUNCIL, "--theme", "adult_social_care"]
    )
    assert result.exit_code == 0, result.output
    assert " ".join(result.stdout.split()).count(f"from the {OUTTURN_BASIS}: none of") == 1


def test_agency_figure_shows_unclassified_and_model_shares(tmp_path: Path) -> None:
    payments = dict(PAYMENTS) | {"Day Centre Trust": ("2000.00", "adult_social_care", "model")}
    ws = _council(tmp_path, payments)
    count = build_count(ws)
    (c,) = count.classification
    assert (c.agency, c.rules_pence, c.model_pence, c.unclassified_pence) == (
        COUNCIL,
        800_000,
        200_000,
        20_000_000,
    )
    data = json.loads(json.dumps(count.to_dict()))["classification"][COUNCIL]
    assert data["rules_share"] == round(800_000 / 21_000_000, 4)
    assert data["model_share"] == round(200_000 / 21_000_000, 4)
    assert data["unclassified_share"] == round(20_000_000 / 21_000_000, 4)
    assert data["total_pence"] == 21_000_000
    # the model's line is graded below the rules' and says where its theme came from
    (model,) = [x for x in count.lines if x.source.endswith("themes from the model")]
    assert (model.theme, model.grade, model.pence) == ("adult_social_care", "B", 200_000)
    # with a classified payment, adult social care comes from the payments again
    assert not [x for x in count.lines if x.basis and x.theme == "adult_social_care"]
    cell = trace(ws, count, COUNCIL, "adult_social_care")
    assert [(r.supplier, r.classified_by) for r in cell.rows] == [("Day Centre Trust", "model")]
    loose = trace(ws, count, COUNCIL, "unclassified")
    assert {r.classified_by for r in loose.rows} == {"unclassified"} and loose.rows_total == 2
    row = next(r for r in _rendered(count).splitlines() if r.startswith(f"│ {COUNCIL}"))
    assert "£0.0m (3.8%)" in row and "£0.0m (1.0%)" in row and "£0.2m (95.2%)" in row
    write_count_workbook(tmp_path / "count.xlsx", count, ws)
    sheet = openpyxl.load_workbook(tmp_path / "count.xlsx")["By agency"]
    head = [c.value for c in sheet[1]]
    row_of = {r[0].value: [c.value for c in r] for r in sheet.iter_rows(min_row=2)}
    values = dict(zip(head, row_of[COUNCIL], strict=False))
    assert values["unclassified £"] == 200_000 and values["unclassified share"] == 0.9524
    assert values["classified by the model £"] == 2_000


def test_classification_without_method_column_counts_rule_themes_as_rules(
    tmp_path: Path,
) -> None:
    """A classified.parquet written before the model existed has no method column."""
    count = build_count(_council(tmp_path, PAYMENTS, with_method=False))
    (c,) = count.classification
    assert (c.rules_pence, c.model_pence, c.unclassified_pence) == (800_000, 0, 20_000_000)
    row = next(r for r in _rendered(count).splitlines() if r.startswith(f"│ {COUNCIL}"))
    assert "none" in row  # no model share: said, not shown as £0.0m


def test_transactions_over_outturn_warns(tmp_path: Path) -> None:
    """Three files of £450m each (the same payments loaded three times, say)
    against Manchester's 2012-13 net current expenditure of about £1.15bn; each
    file alone is under it, so only the count, seeing all three, can tell."""
    payments = {"Big Payee Ltd": ("450000000.00", "corporate_and_back_office", "rule")}
    ws = _council(tmp_path, payments, files=3)
    count = build_count(ws)
    (nce,) = [r.pence for r in outturn(YEAR, ecode=ECODE) if r.line == "net_current_expenditure"]
    assert nce < 135_000_000_000
    (warning,) = count.warnings
    assert (warning.slug, warning.agency) == (OVER_OUTTURN, COUNCIL)
    assert (warning.transactions_pence, warning.outturn_pence) == (135_000_000_000, nce)
    assert "£1,350,000,000.00" in warning.message and pounds(nce) in warning.message
    assert "duplicate files" in warning.message and "capital" in warning.message
    data = count.to_dict()["warnings"]
    assert data[0]["slug"] == OVER_OUTTURN and data[0]["message"] == warning.message
    assert f"warning: {warning.message}" in " ".join(_rendered(count).split())
    write_count_workbook(tmp_path / "count.xlsx", count, ws)
    summary = openpyxl.load_workbook(tmp_path / "count.xlsx")["Summary"]
    assert [f"Warning ({OVER_OUTTURN})", warning.message] in [
        [c.value for c in r] for r in summary.iter_rows()
    ]


def test_transactions_over_outturn_warns_for_a_council_outside_the_place(
    tmp_path: Path,
) -> None:
    """Salford's payments in a count of Manchester are not used, but a wrong
    load is still worth saying."""
    ws = Workspace.create(tmp_path / "ws", ["E08000003"], YEAR)
    rows = [f"2012-0{m}-01,300000000.00,Big Payee Ltd" for m in range(4, 8)]
    # each month as its own file, as councils publish them
    paths = []
    for n, row in enumerate(rows):
        month = tmp_path / f"salford-{n}.csv"
        month.write_text("Payment Date,Amount,Supplier Name\n" + row + "\n")
        paths.append(month)
    assert ingest_files(ws, paths, publisher="Salford City Council").ok
    pq.write_table(
        pa.table({"file_id": pa.array([], pa.string()), "source_line": pa.array([], pa.int64())}),
        ws.root / CLASSIFIED_NAME,
    )
    count = build_count(ws)
    (warning,) = count.warnings
    assert warning.agency == "Salford City Council"
    assert warning.transactions_pence == 120_000_000_000 > warning.outturn_pence


def test_payments_within_the_outturn_do_not_warn(tmp_path: Path) -> None:
    assert build_count(_council(tmp_path, PAYMENTS)).warnings == []


@pytest.fixture(scope="module")
def manchester(manchester_counted: tuple[Workspace, PlaceCount]) -> PlaceCount:
    """The council's twelve files counted for 2010-11 (tests/conftest.py builds
    it once for this module and tests/test_count.py)."""
    _, count = manchester_counted
    return count


def test_manchester_education_without_payments_comes_from_its_outturn(
    manchester: PlaceCount,
) -> None:
    """Manchester's 2010-11 payments hold nothing its rules call education (its
    schools pay their own bills), so education is its RS line, not a part of
    'not in transaction data'."""
    council = [x for x in manchester.lines if x.agency == COUNCIL]
    # Changed with service control totals: the education service is its RS
    # line; the line from outturn is that less the unclassified payments'
    # share placed in it (£21,661 of payments are unclassified in all)
    assert _services(manchester)["education_and_skills"] == 42_113_400_000
    (education,) = [x for x in council if x.theme == "education_and_skills"]
    assert education.basis == OUTTURN_BASIS
    assert 42_113_400_000 - 2_166_096 <= education.pence < 42_113_400_000
    (cov,) = manchester.coverage
    assert RESIDUAL not in manchester.by("theme")
    assert sum(x.pence for x in council if x.method == RESIDUAL_METHOD) == (
        cov.control_pence - cov.transactions_pence
    )
    (c,) = manchester.classification
    # the shares are of what splits the outturn: the council's transaction lines
    assert c.total_pence == cov.transactions_pence
    assert manchester.warnings == []


def test_manchester_spend_files_never_move_money_between_services(
    manchester: PlaceCount, tmp_path: Path
) -> None:
    """Adding Manchester's 2010-11 spend files once took adult social care
    from £324.5m to £12.9m (its payments showed little care and the rest went
    to 'not in transaction data'); every service now keeps its outturn to the
    penny, split by the payments placed in it."""
    empty = Workspace.create(tmp_path / "empty", ["E08000003"], "2010-11")
    without = build_count(empty)
    assert _services(manchester) == _services(without)
    # RS 2010-11's one social care line, split into children's and adults' care
    services = _services(manchester)
    care = services["adult_social_care"] + services["children_and_families"]
    assert care == 32_446_200_000
    assert manchester.total_pence == without.total_pence
    # payments do split the services: care shows its payments by theme
    adults = {x.theme for x in manchester.lines if x.service == "adult_social_care"}
    assert {"learning_disability", "mental_health"} <= adults


def test_manchester_transport_levy_booked_as_a_provision_is_pass_through(
    manchester: PlaceCount,
) -> None:
    """Manchester paid £2,613,750 to the Greater Manchester Passenger Transport
    Authority under 'Conts to Accnt Provs', which its rule made corporate
    spending; it is a levy, which the council's outturn has taken out, so it
    is pass-through and splits nothing."""
    levy = [
        x
        for x in manchester.pass_through
        if x.agency == COUNCIL and x.theme == "corporate_and_back_office"
    ]
    assert sum(x.pence for x in levy) >= 261_375_000
    assert any("£2,615,605.62 paid to Greater Manchester" in n for n in manchester.notes)
    # (rows a pass-through rule finds carry no theme: only the levy moved here has one)
