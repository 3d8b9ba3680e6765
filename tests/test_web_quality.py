"""The Data quality page and its API: every figure is one the workspace
already holds (the ingest report ``totalplace check`` prints, the count's
coverage, classification and service control totals, the classify report),
shown without supplier names, behind the login when one is required."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from tests.test_count_honesty import COUNCIL, PAYMENTS, _council, _services
from tests.web import PASSWORD, client_for, counted_demo
from totalplace.classify import REPORT_NAME, ClassifyReport, coverage
from totalplace.cli import app as cli
from totalplace.count.cube import build_count
from totalplace.count.gross import Bridge
from totalplace.count.over_outturn import OVER_OUTTURN
from totalplace.count.place_count import CountLine, CountWarning, PlaceCount
from totalplace.demo import DEMO_PLACE, DEMO_YEAR
from totalplace.ingest.pipeline import ingest_files
from totalplace.money import display_pounds
from totalplace.reference.places import Place
from totalplace.web.app import create_app
from totalplace.web.users import USERS_FILE, add_user
from totalplace.workspace import CLASSIFIED_NAME, Workspace

with warnings.catch_warnings():  # see test_web_api.py
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ROUTES = [
    "/api/quality", "/quality/files.csv", "/quality/mapping.csv", "/quality/months.csv",
    "/quality/classification.csv", "/quality/unclassified.csv", "/quality/reconciliation.csv",
]  # fmt: skip
# The figures `check --json` gives for each file, which the page must repeat.
CHECK_FIELDS = (
    "path", "status", "publisher", "message", "rows_read", "rows_loaded", "rows_quarantined",
    "rows_blank", "amount_loaded_pence", "amount_quarantined_pence",
    "amount_publisher_total_pence", "issue_counts", "column_map", "warnings",
)  # fmt: skip


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return counted_demo(tmp_path_factory, "quality")


@pytest.fixture(scope="module")
def client(demo_ws: Workspace) -> TestClient:
    return client_for(demo_ws.root)


@pytest.fixture(scope="module")
def count_json(demo_ws: Workspace) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((demo_ws.root / "reports" / "count.json").read_text())
    return data


def _check_json(root: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["check", str(root), "--json"])
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _manchester(root: Path) -> Workspace:
    """Manchester's council splitting its outturn by four payments, two of them
    unclassified, with the count and the classify report written as
    ``totalplace count`` writes them (the classification is hand-made, so the
    count is built without classifying again)."""
    ws = _council(root, PAYMENTS)
    count = build_count(ws)
    (ws.root / "reports").mkdir()
    (ws.root / "reports" / "count.json").write_text(json.dumps(count.to_dict()))
    path = ws.root / CLASSIFIED_NAME
    report = ClassifyReport("duckdb", 0, [], str(path), coverage(ws, path))
    (ws.root / REPORT_NAME).write_text(json.dumps(report.to_dict()))
    return ws


def test_file_figures_are_those_check_prints(client: TestClient, demo_ws: Workspace) -> None:
    """Guards 'never re-derive': the page's files, figure for figure, are what
    `totalplace check --json` prints for the same workspace."""
    checked = _check_json(demo_ws.root)["files"]
    got = client.get("/api/quality").json()
    assert got["files_total"] == len(checked) == 7
    assert [{k: f[k] for k in CHECK_FIELDS} for f in got["files"]] == [
        {k: f[k] for k in CHECK_FIELDS} for f in checked
    ]
    for page, check in zip(got["files"], checked, strict=True):
        mapped = {m["field"]: m["column"] for m in page["mapping"]}
        assert mapped == {k: v["column"] for k, v in check["details"]["mapping"].items()}
        assert sum(i["rows"] for i in page["issues_labelled"]) == sum(
            check["issue_counts"].values()
        )
    html = client.get("/quality").text
    for f in checked:
        assert Path(f["path"]).name in html
        assert display_pounds(f["amount_loaded_pence"]) in html
    assert "Missing amount: 2" in html and "quarantined" in html
    # what the amount column's values were found to be, as ingest wrote it
    assert "100% amounts, 100% with pence" in html and "built-in method" not in html


def test_files_are_paged_and_the_csv_holds_every_file(client: TestClient) -> None:
    page = client.get("/api/quality", params={"limit": 2, "offset": 3}).json()
    everything = client.get("/api/quality").json()["files"]
    assert [f["path"] for f in page["files"]] == [f["path"] for f in everything[3:5]]
    assert client.get("/api/quality", params={"limit": 5000}).status_code == 422
    csv_lines = client.get("/quality/files.csv").text.strip().splitlines()
    assert len(csv_lines) == 1 + len(everything)


def test_months_covered_are_the_counts_coverage(
    client: TestClient, count_json: dict[str, Any]
) -> None:
    grid = client.get("/api/quality").json()["months"]
    assert grid["months"][0] == "2010-04" and grid["months"][-1] == "2011-03"
    want = {c["agency"]: c["months_list"] for c in count_json["coverage"]}
    got = {
        b["agency"]: [m for m, c in zip(grid["months"], b["covered"], strict=True) if c]
        for b in grid["bodies"]
    }
    assert got == want
    # the demo's city council loaded April and May only: the grid says so
    assert got["Northmoor City Council"] == ["2010-04", "2010-05"]
    csv_text = client.get("/quality/months.csv").text
    assert "Northmoor City Council,1,1,0,0,0,0,0,0,0,0,0,0,2" in csv_text


def test_classification_by_body_is_the_counts(
    client: TestClient, count_json: dict[str, Any]
) -> None:
    by_body = client.get("/api/quality").json()["classification"]["by_body"]
    assert {b["agency"]: b["unclassified_pence"] for b in by_body} == {
        a: c["unclassified_pence"] for a, c in count_json["classification"].items()
    }
    assert {b["agency"]: b["rules_share"] for b in by_body} == {
        a: c["rules_share"] for a, c in count_json["classification"].items()
    }


def test_each_service_keeps_its_outturn_split_into_payments_and_residual(
    tmp_path: Path,
) -> None:
    """The reconciliation lists, for the council splitting its outturn, each
    service's outturn (its lines in the count, to the penny), the payments
    placed in it and the residual; payments add up to the payments counted
    and the outturn to the count's control total."""
    ws = _manchester(tmp_path)
    data = json.loads((ws.root / "reports" / "count.json").read_text())
    client = TestClient(create_app(ws.root), raise_server_exceptions=False)
    recon = client.get("/api/quality").json()["reconciliation"]
    services = [s for s in recon["services"] if s["agency"] == COUNCIL]
    assert len(services) >= 5
    for s in services:
        assert s["outturn_pence"] == s["payments_pence"] + s["residual_pence"]
    (cover,) = [c for c in data["coverage"] if c["agency"] == COUNCIL]
    assert sum(s["outturn_pence"] for s in services) == cover["control_pence"] > 0
    assert sum(s["payments_pence"] for s in services) == cover["transactions_pence"] == 20_800_000
    # housing benefit keeps its own outturn line, outside the split (no payments show it)
    whole = _services(build_count(ws))
    assert {s["service"]: s["outturn_pence"] for s in services} == {
        k: v for k, v in whole.items() if k != "worklessness_and_benefits"
    }
    assert recon["outside_split"] == [
        {"agency": COUNCIL, "service": "worklessness_and_benefits",
         "service_label": "Worklessness and benefits", "pence": whole["worklessness_and_benefits"]}
    ]  # fmt: skip
    html = client.get("/quality").text
    assert "Adult social care" in html and "adult_social_care<" not in html
    assert client.get("/quality/reconciliation.csv").text.count(COUNCIL) == len(services)


def test_the_largest_unclassified_labels_are_the_classify_reports(tmp_path: Path) -> None:
    ws = _manchester(tmp_path)
    client = TestClient(create_app(ws.root), raise_server_exceptions=False)
    got = client.get("/api/quality").json()["classification"]
    # two payments no rule knows, £120,000 and £80,000, under one (empty) label
    assert got["top_unclassified"] == [
        {"publisher": COUNCIL, "label": "(no label)", "rows": 2, "value_pence": 20_000_000}
    ]
    (body,) = got["by_body"]
    assert body["unclassified_pence"] == 20_000_000
    html = client.get("/quality").text
    assert "£200,000.00" in html and "(no label)" in html


def test_a_failed_file_is_listed_with_its_reason(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", DEMO_PLACE, DEMO_YEAR)
    good = tmp_path / "good.csv"
    good.write_text("Payment Date,Amount,Supplier Name\n2010-06-01,1000.00,Acme Ltd\n")
    bad = tmp_path / "no-money.csv"
    bad.write_text("Payment Date,Supplier Name\n2010-06-01,Acme Ltd\n")
    ingest_files(ws, [good, bad], publisher="Northmoor City Council")
    checked = _check_json(ws.root)["files"]
    client = TestClient(create_app(ws.root), raise_server_exceptions=False)
    got = client.get("/api/quality").json()
    assert [(f["path"], f["status"], f["message"]) for f in got["files"]] == [
        (f["path"], f["status"], f["message"]) for f in checked
    ]
    (failed,) = [f for f in got["files"] if f["status"] == "failed"]
    assert failed["name"] == "no-money.csv" and failed["message"]
    html = client.get("/quality").text
    assert "no-money.csv" in html and "failed" in html
    # no count yet: said plainly, and the ingest report is still shown
    assert got["no_count"] and "totalplace count" in got["no_count"]
    assert "no count has been run" in html and "good.csv" in html


def test_viewer_sees_the_page_and_no_supplier_name(demo_ws: Workspace) -> None:
    with demo_ws.connect() as con:
        suppliers = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT supplier_name FROM spend WHERE supplier_name IS NOT NULL"
            ).fetchall()
        }
    bodies = {f["publisher"] for f in _check_json(demo_ws.root)["files"]}
    private = {s for s in suppliers if s not in bodies and len(s) > 4}
    assert len(private) > 50
    add_user(demo_ws.root, "vic", "viewer", PASSWORD)
    try:
        client = client_for(demo_ws.root, "vic", require_login=False)
        page = client.get("/quality")
        assert page.status_code == 200 and "vic (viewer)" in page.text
        texts = [page.text] + [client.get(r).text for r in ROUTES]
        for text in texts:
            unescaped = text.replace("&amp;", "&").replace("&#39;", "'")
            shown = [s for s in private if s in unescaped]
            assert not shown, shown[:5]
    finally:
        (demo_ws.root / USERS_FILE).unlink(missing_ok=True)


def test_a_viewer_is_not_shown_where_the_files_sit_on_the_server(demo_ws: Workspace) -> None:
    folders = {str(Path(f["path"]).parent) for f in _check_json(demo_ws.root)["files"]}
    assert folders and all(len(d) > 1 for d in folders)
    add_user(demo_ws.root, "val", "viewer", PASSWORD)
    add_user(demo_ws.root, "ann", "analyst", PASSWORD)
    try:
        for name, sees in (("val", False), ("ann", True)):
            client = client_for(demo_ws.root, name, require_login=False)
            texts = [client.get(r).text for r in ("/quality", "/api/quality", ROUTES[1])]
            assert all(r for r in texts)
            shown = {d for d in folders if any(d in t for t in texts)}
            assert bool(shown) is sees, (name, shown)
    finally:
        (demo_ws.root / USERS_FILE).unlink(missing_ok=True)


def test_every_quality_route_refuses_anonymous_when_login_is_required(
    demo_ws: Workspace,
) -> None:
    client = TestClient(create_app(demo_ws.root, require_login=True))
    for route in ROUTES:
        response = client.get(route)
        assert response.status_code == 401, route
        assert response.json()["error"]["type"] == "LoginRequired"
    page = client.get("/quality", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"


def test_the_page_fetches_nothing_from_elsewhere(client: TestClient) -> None:
    html = client.get("/quality").text
    assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    assert "https://" not in html and "http://" not in html
    script = client.get("/static/quality.js").text
    assert "http" not in script and "Plotly.newPlot" in script
    assert 'href="/quality" aria-current="page"' in html


def test_bodies_counted_gross_and_payments_over_outturn_are_shown(tmp_path: Path) -> None:
    """A body counted gross shows its payments against its outturn, a
    council whose payments exceed its whole outturn is named with both
    figures, and capital payments set apart are listed, as the count reported
    them."""
    bridge = Bridge(
        agency="Northmoor Fire and Rescue Authority", body_id="demo-fire", payers=("Fire",),
        months=12, payments_pence=59_300_000, pass_through_pence=0, capital_pence=0,
        outturn_pence=61_000_000, replaced_pence=61_000_000,
    )  # fmt: skip
    warning = CountWarning(
        OVER_OUTTURN, "Northmoor City Council", "Northmoor City Council: its loaded "
        "transactions come to £9.00, more than its whole net current expenditure, £8.00",
        transactions_pence=900, outturn_pence=800,
    )  # fmt: skip
    capital = CountLine(
        agency="Northmoor City Council", agency_type="council", funder="not known",
        theme="housing_and_regeneration", function="6. Housing", tier="universal",
        capital_revenue="capital", method="transactions", part="set_apart",
        gross_net="gross (payments)", grade="C", pence=4_200_000, source="spend rows",
        flags=("these payments are shown, not counted",),
    )  # fmt: skip
    count = PlaceCount(
        place=Place(spec="demo", name="Northmoor", codes=(), units=()),
        year=DEMO_YEAR, engine="duckdb", population=0, bridges=[bridge], warnings=[warning],
        set_apart=[capital],
    )  # fmt: skip
    ws = Workspace.create(tmp_path / "ws", DEMO_PLACE, DEMO_YEAR)
    (ws.root / "reports").mkdir()
    (ws.root / "reports" / "count.json").write_text(json.dumps(count.to_dict()))
    client = TestClient(create_app(ws.root), raise_server_exceptions=False)
    recon = client.get("/api/quality").json()["reconciliation"]
    (gross,) = recon["gross"]
    assert gross["payments_pence"] == 59_300_000 and gross["outturn_pence"] == 61_000_000
    assert gross["difference_pence"] == -1_700_000
    (over,) = recon["over_outturn"]
    assert (over["transactions_pence"], over["outturn_pence"]) == (900, 800)
    # capital payments kept out of the split are shown beside it, not added
    assert recon["set_apart"] == [
        {"agency": "Northmoor City Council", "kind": "capital", "kind_label": "Capital payments",
         "pence": 4_200_000, "why": "these payments are shown, not counted"}
    ]  # fmt: skip
    html = client.get("/quality").text
    assert "\u2212£17,000.00" in html and "more than its whole net current expenditure" in html
    assert 'Capital payments</td><td class="money">£42,000.00' in html


def test_a_warning_quoting_the_files_lines_is_shown_to_analysts_only(tmp_path: Path) -> None:
    """A file mixing two encodings is warned of with its first line in each,
    supplier names and all: a viewer reads what was found, not the lines."""
    ws = Workspace.create(tmp_path / "ws", DEMO_PLACE, DEMO_YEAR)
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(
        b"Payment Date,Amount,Supplier Name\n"
        + "2010-06-01,100.00,Café Rouge Ltd\n".encode()
        + "2010-06-02,200.00,Crème Brûlée Ltd\n".encode("cp1252")
    )
    ingest_files(ws, [mixed], publisher="Northmoor City Council")
    add_user(ws.root, "vic", "viewer", PASSWORD)
    add_user(ws.root, "ann", "analyst", PASSWORD)
    for name, shown in (("ann", True), ("vic", False)):
        client = client_for(ws.root, name, require_login=False)
        (f,) = client.get("/api/quality").json()["files"]
        assert [w["slug"] for w in f["warnings"]] == ["mixed-encoding"]
        texts = [json.dumps(f), client.get("/quality").text, client.get("/quality/files.csv").text]
        for text in texts:
            assert ("Rouge Ltd" in text) is shown, (name, text[:300])
        if not shown:
            assert "shown to analysts" in f["warnings"][0]["message"]
