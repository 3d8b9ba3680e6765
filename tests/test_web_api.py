"""The dashboard's API and Overview page on the demo workspace: every route,
one error shape, pages with a cap, and drill-down rows that add up to their
cell.  No login here (loopback, no users); access is in test_web_access.py.

No browser runs these (chromium is not installed yet): they check the HTML
and JSON the server sends, not how a browser draws them."""

from __future__ import annotations

import json
import re
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from totalplace.demo import DEMO_PLACE, DEMO_YEAR
from totalplace.money import display_pounds as pounds
from totalplace.web import app as web_app
from totalplace.web.app import MAX_LIMIT, create_app, plotly_js
from totalplace.workspace import Workspace

from .web import client_for, counted_demo

# Starlette's test client prefers httpx2 and warns when it finds httpx, the
# client FastAPI documents; the warning is about packaging, not our code.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return counted_demo(tmp_path_factory, "web")


@pytest.fixture(scope="module")
def client(demo_ws: Workspace) -> TestClient:
    return client_for(demo_ws.root)


@pytest.fixture(scope="module")
def count_json(demo_ws: Workspace) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((demo_ws.root / "reports" / "count.json").read_text())
    return data


def _is_error(response: Any, status: int, type_: str) -> str:
    """The one error shape: ``{"error": {"type", "message"}}`` and nothing else."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    assert sorted(body["error"]) == ["message", "type"]
    assert body["error"]["type"] == type_
    assert body["error"]["message"]
    return str(body["error"]["message"])


def test_count_gives_the_reports_totals_with_labels_for_people(
    client: TestClient, count_json: dict[str, Any]
) -> None:
    got = client.get("/api/count").json()
    assert got["total_pence"] == count_json["total_pence"]
    assert got["year"] == DEMO_YEAR
    assert {t["id"]: t["pence"] for t in got["by_theme"]} == count_json["by_theme"]
    assert {a["id"]: a["pence"] for a in got["by_agency"]} == count_json["by_agency"]
    assert {s["id"]: s["pence"] for s in got["by_service"]} == count_json["by_service"]
    assert sum(m["pence"] for m in got["by_method"]) == count_json["total_pence"]
    labels = {t["id"]: t["label"] for t in got["by_theme"]}
    assert labels["children_and_families"] == "Children and families"
    assert not any("_" in label for label in labels.values())


def test_lines_are_paged_with_their_total_and_capped(
    client: TestClient, count_json: dict[str, Any]
) -> None:
    lines = count_json["lines"]
    page = client.get("/api/lines", params={"limit": 5, "offset": 3}).json()
    assert page["total"] == len(lines)
    assert [x["pence"] for x in page["lines"]] == [x["pence"] for x in lines[3:8]]
    assert all(x["theme_label"] and "_" not in x["theme_label"] for x in page["lines"])
    _is_error(client.get("/api/lines", params={"limit": MAX_LIMIT + 1}), 422, "InvalidRequest")
    _is_error(client.get("/api/lines", params={"offset": -1}), 422, "InvalidRequest")


def test_cell_rows_page_through_to_the_cells_transactions(
    client: TestClient, count_json: dict[str, Any]
) -> None:
    """Guards the drill-down's promise: the rows listed for a cell, page by
    page, each with its file and line, add up to the cell's lines from
    payments, to the penny, for every such cell of the demo place."""
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for x in count_json["lines"]:
        if x["method"] == "transactions":
            cells[(x["agency"], x["theme"])] += x["pence"]
    assert len(cells) >= 10
    for (agency, theme), pence in cells.items():
        first = client.get(f"/api/cells/{agency}/{theme}/rows", params={"limit": 1}).json()
        assert first["transactions_pence"] == pence
        assert first["rows_pence"] == pence, (agency, theme)
    agency, theme = max(cells, key=lambda k: cells[k])
    seen, offset, total = 0, 0, None
    while total is None or offset < total:
        page = client.get(
            f"/api/cells/{agency}/{theme}/rows", params={"limit": 97, "offset": offset}
        ).json()
        total = page["total"]
        assert page["rows"], offset
        for row in page["rows"]:
            assert row["file"] and row["line"] > 0 and row["supplier"] is not None
            seen += row["pence"]
        offset += len(page["rows"])
    assert total > 97  # more than one page was read
    assert seen == cells[(agency, theme)]


def test_unknown_cell_is_not_found_in_the_error_shape(client: TestClient) -> None:
    message = _is_error(
        client.get("/api/cells/Northmoor City Council/no_such_theme/rows"), 404, "NoSuchCell"
    )
    assert "no_such_theme" in message


def test_every_error_has_one_shape(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    _is_error(client.get("/no/such/page"), 404, "NotFound")
    _is_error(client.post("/api/count"), 405, "MethodNotAllowed")
    _is_error(client.get("/api/cells/a/b/rows", params={"limit": "ten"}), 422, "InvalidRequest")
    _is_error(
        client.get("/api/cells/a/b/rows", params={"limit": 1000, "offset": 19_500}),
        422,
        "InvalidRequest",
    )

    def broken(data: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("secret detail /home/someone")

    monkeypatch.setattr(web_app, "summary", broken)
    message = _is_error(client.get("/api/count"), 500, "InternalError")
    assert "secret detail" not in message  # a fault's detail stays in the server's log


def test_a_workspace_with_no_count_says_so_on_the_page_and_in_the_api(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", DEMO_PLACE, DEMO_YEAR)
    client = TestClient(create_app(ws.root))
    message = _is_error(client.get("/api/count"), 404, "NoCount")
    assert "totalplace count" in message
    _is_error(client.get("/api/lines"), 404, "NoCount")
    page = client.get("/")
    assert page.status_code == 200
    assert "no count has been run" in page.text and "totalplace count" in page.text


def test_overview_draws_with_plotly_from_this_server_only(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    addresses = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert "/static/plotly.min.js" in addresses
    # this server's paths, a place on the same page (the skip link), or the
    # empty icon written into the page (so the browser asks for no favicon)
    assert all(a.startswith(("/", "#")) or a == "data:," for a in addresses), addresses
    assert "http://" not in html and "https://" not in html
    assert "script-src 'self'" in page.headers["content-security-policy"]
    served = client.get("/static/plotly.min.js")
    assert served.status_code == 200
    assert served.content == plotly_js().read_bytes()
    assert client.get("/static/overview.js").status_code == 200


def test_overview_shows_totals_and_tables_beside_charts_in_words(
    client: TestClient, count_json: dict[str, Any]
) -> None:
    html = client.get("/").text
    assert f'<span class="figure">{pounds(count_json["total_pence"])}</span>' in html
    assert "<td>Children and families</td>" in html
    assert "<td>From payments (transactions)</td>" in html
    assert 'id="theme-chart"' in html and 'id="cell-chart"' in html
    assert html.count("<table>") >= 3  # the method mix and one beside each chart
    # theme ids appear only inside the chart data and links, never as text a reader sees
    visible = re.sub(r'<script id="chart-data".*?</script>', "", html, flags=re.S)
    visible = re.sub(r"<[^>]*>", " ", visible)
    assert "Children and families" in visible
    assert "children_and_families" not in visible


def test_openapi_describes_every_api_route(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    routes = {
        getattr(r, "path", "")
        for r in client.app.routes  # type: ignore[attr-defined]
    }
    api = {p for p in routes if p.startswith("/api/") and p != "/api/openapi.json"}
    assert {"/api/cells/{agency}/{theme}/rows", "/api/count", "/api/lines", "/api/overview"} <= api
    assert sorted(paths) == sorted(api)


def test_overview_parts_add_up_to_the_count(client: TestClient, count_json: dict[str, Any]) -> None:
    got = client.get("/api/overview").json()
    s, o = got["summary"], got["overview"]
    total = count_json["total_pence"]
    # current and capital, less the transfers eliminated, are the count
    assert o["current_pence"] + o["capital_pence"] - s["transfers_eliminated_pence"] == total
    assert sum(g["pence"] for g in o["by_grade"]) == o["current_pence"] + o["capital_pence"]
    assert sum(t["pence"] for t in o["tiers"]) == o["current_pence"] + o["capital_pence"]
    # what flows out of the funders flows on to the themes
    funded = sum(f["pence"] for f in o["flows"] if f["stage"] == "funder")
    spent = sum(f["pence"] for f in o["flows"] if f["stage"] == "agency")
    assert funded == spent > 0
    # every treemap cell names the drill-down page of that agency and theme
    for c in got["cells"]:
        assert c["href"].startswith("/drill?agency=")
    assert all(c["pence"] * 100 < total for c in o["small_cells"])


def test_overview_tables_download_as_csv(client: TestClient) -> None:
    response = client.get("/overview/cells.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = response.text.splitlines()
    assert rows[0] == "theme,agency,pence"
    assert any(r.startswith("Children and families,") for r in rows[1:])
    _is_error(client.get("/overview/nothing.csv"), 404, "NotFound")


def test_the_navigation_bar_follows_the_order_of_the_pages(client: TestClient) -> None:
    html = client.get("/").text
    nav = html.split('<nav aria-label="Pages">', 1)[1].split("</nav>", 1)[0]
    labels = re.findall(r'<a href="[^"]*"[^>]*>([^<]+)</a>', nav)
    assert labels[0] == "Overview"
    assert labels.index("Themes") < labels.index("Data quality") < labels.index("Places")
