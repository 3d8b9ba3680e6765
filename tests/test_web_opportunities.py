"""The Opportunities page and API on the demo place: the register with its
marks, fragmentation, the prevention split and scenarios side by side, each
chart with a table and a CSV; a viewer never sees a supplier's name."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import Any

import pytest

from tests.web import PASSWORD, TestClient, client_for, counted_demo, error_type
from totalplace.money import display_pounds
from totalplace.opportunities.marks import set_mark
from totalplace.web.users import USERS_FILE, add_user
from totalplace.workspace import Workspace

TABLES = ("register", "fragmentation", "prevention", "scenarios")


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = counted_demo(tmp_path_factory, "opp")
    folder = ws.root / "scenarios"
    folder.mkdir()
    (folder / "health.toml").write_text(
        '[scenario]\nname = "Health 2%"\n[[change]]\nkind = "efficiency"\npercent = "2"\n'
        'theme = "health"\n'
    )
    return ws


@pytest.fixture(scope="module")
def client(demo_ws: Workspace) -> TestClient:
    return client_for(demo_ws.root)


@pytest.fixture(scope="module")
def api(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/opportunities")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_api_gives_the_register_largest_first_and_every_analysis(api: dict[str, Any]) -> None:
    items = api["opportunities"]
    assert items and [x["value_pence"] for x in items] == sorted(
        (x["value_pence"] for x in items), reverse=True
    )
    assert {"shared_supplier", "prevention_shift"} <= {x["kind"] for x in items}
    assert api["fragmentation"] and api["prevention"]
    health = next(p for p in api["prevention"] if p["theme"] == "health")
    assert health["shift_pence"] == round(Decimal(health["pence"]) / 100)


def test_scenarios_side_by_side(api: dict[str, Any], client: TestClient) -> None:
    """Guards the comparison: the workspace's scenario and the shipped 1% are
    both worked on the count, and the workspace's is in the register."""
    by_file = {s["file"]: s for s in api["scenarios"]}
    health = by_file["scenarios/health.toml"]
    theme = next(t for t in api["fragmentation"] if t["theme"] == "health")
    assert health["saving_pence"] == round(Decimal(theme["pence"]) * 2 / 100)
    assert by_file["shipped: cumbria_one_percent.toml"]["saving_pence"] > 0
    assert "Health 2%" in client.get("/opportunities").text
    assert "scenario" in {x["kind"] for x in api["opportunities"]}


def test_a_broken_scenario_file_is_named_with_its_error_on_the_page(
    demo_ws: Workspace, client: TestClient
) -> None:
    """A scenario file with a mistake is listed with its file and field, and
    the register says why it cannot be built, instead of the page failing."""
    broken = demo_ws.root / "scenarios" / "broken.toml"
    broken.write_text('[scenario]\nname = "Broken"\n[[change]]\nkind = "x"\n')
    try:
        got = client.get("/api/opportunities").json()
        by_file = {s["file"]: s for s in got["scenarios"]}
        assert "kind is 'x'" in by_file["scenarios/broken.toml"]["error"]
        assert "broken.toml" in got["register_error"]
        page = client.get("/opportunities")
        assert page.status_code == 200 and "Cannot be worked" in page.text
    finally:
        broken.unlink()


def test_page_has_a_table_and_csv_beside_every_chart(client: TestClient) -> None:
    page = client.get("/opportunities")
    assert page.status_code == 200
    html = page.text
    charts = re.findall(r'id="([a-z]+-chart)"', html)
    assert charts == ["register-chart", "hhi-chart", "tier-chart", "scenario-chart"]
    assert html.count("<table>") == 4
    assert "<script>" not in html and '<script src="/static/opportunities.js">' in html
    assert client.get("/static/opportunities.js").status_code == 200
    for name in TABLES:
        assert f'href="/opportunities/{name}.csv"' in html
        got = client.get(f"/opportunities/{name}.csv")
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    missing = client.get("/opportunities/nothing.csv")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFound"


def test_register_csv_and_money_match_the_api(api: dict[str, Any], client: TestClient) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get("/opportunities/register.csv").text)))
    assert [r["id"] for r in rows] == [x["id"] for x in api["opportunities"]]
    first = api["opportunities"][0]
    assert Decimal(rows[0]["value_pounds"]) * 100 == first["value_pence"]
    assert display_pounds(first["value_pence"]) in client.get("/opportunities").text


def test_grants_in_the_workspace_are_shown_for_the_place(
    demo_ws: Workspace, client: TestClient
) -> None:
    """A 360Giving file in DIR/grants is summarised for the count's place: the
    grant to Northmoor is shown by funder and theme, the one elsewhere is not,
    and the table downloads; without the folder the section is absent."""
    assert "Grants to the place" not in client.get("/opportunities").text
    folder = demo_ws.root / "grants"
    folder.mkdir()
    grant = {
        "id": "360G-1", "title": "Youth club for young carers", "currency": "GBP",
        "amountAwarded": 1200.5, "awardDate": "2010-06-01",
        "fundingOrganization": [{"id": "GB-CHC-1", "name": "Northmoor Trust"}],
        "recipientOrganization": [{"id": "GB-CHC-2", "name": "Carers Together"}],
        "beneficiaryLocation": [{"geoCode": "E99999901"}],
    }  # fmt: skip
    away = {**grant, "id": "360G-2", "beneficiaryLocation": [{"geoCode": "E08000003"}]}
    (folder / "trust.json").write_text(json.dumps({"grants": [grant, away]}))
    try:
        got = client.get("/api/opportunities").json()["grants"]
        assert (got["grants"], got["pence"], got["funders"]) == (1, 120_050, 1)
        assert got["rows"] == [{"funder": "Northmoor Trust", "theme": "children_and_families",
                                "grants": 1, "pence": 120_050}]  # fmt: skip
        html = client.get("/opportunities").text
        assert "Grants to the place" in html and display_pounds(120_050) in html
        rows = list(csv.reader(io.StringIO(client.get("/opportunities/grants.csv").text)))
        assert rows[1] == ["Northmoor Trust", "children_and_families", "1", "1200.5"]
    finally:
        (folder / "trust.json").unlink()
        folder.rmdir()


def test_a_mark_shows_on_the_page(demo_ws: Workspace, client: TestClient) -> None:
    first = client.get("/api/opportunities").json()["opportunities"][0]
    set_mark(demo_ws, first["id"], "parked", "ask the CFO")
    again = client.get("/api/opportunities").json()["opportunities"]
    assert {x["id"]: x["status"] for x in again}[first["id"]] == "parked"
    assert "parked: ask the CFO" in client.get("/opportunities").text


def test_viewer_sees_no_supplier_name(demo_ws: Workspace, api: dict[str, Any]) -> None:
    names = {
        n
        for x in api["opportunities"]
        if x["kind"] == "shared_supplier"
        for n in [x["details"].get("name", "")]
        if len(n) > 4
    }
    assert names
    add_user(demo_ws.root, "vic", "viewer", PASSWORD)
    try:
        client = client_for(demo_ws.root, "vic")
        texts = [client.get("/opportunities").text, client.get("/api/opportunities").text]
        texts.append(client.get("/opportunities/register.csv").text)
        for text in texts:
            unescaped = text.replace("&amp;", "&").replace("&#39;", "'")
            assert not [n for n in names if n in unescaped]
    finally:
        (demo_ws.root / USERS_FILE).unlink(missing_ok=True)


def test_a_workspace_with_no_count_says_so(tmp_path: Any) -> None:
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], "2010-11")
    client = client_for(ws.root)
    page = client.get("/opportunities")
    assert page.status_code == 200 and "no count has been run" in page.text
    got = client.get("/api/opportunities")
    assert error_type(got, 404) == "NoCount"


def test_items_under_the_floor_are_said_on_the_page_and_in_the_api(
    demo_ws: Workspace, client: TestClient, api: dict[str, Any]
) -> None:
    values = sorted(x["value_pence"] for x in api["opportunities"])
    floor = values[len(values) // 2] // 100 + 1
    below = [v for v in values if v < floor * 100]
    path = demo_ws.root / "opportunity_assumptions.toml"
    path.write_text(f"[register]\nmin_value_pounds = {floor}\n", encoding="utf-8")
    try:
        got = client.get("/api/opportunities").json()
        assert len(got["opportunities"]) == len(values) - len(below)
        assert got["left_out"] == {
            "under_pounds": floor,
            "count": len(below),
            "value_pence": sum(below),
        }
        page = client.get("/opportunities").text
        assert f"Left out, each worth under {display_pounds(floor * 100)}" in page
    finally:
        path.unlink()
    assert client.get("/api/opportunities").json()["left_out"]["count"] == api["left_out"]["count"]
