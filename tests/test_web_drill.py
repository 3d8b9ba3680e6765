"""The drill-down page and its rows: every row of a cell is listed once over
all pages whatever the order, a filter keeps exactly the rows it names, a
viewer sees how the cell was counted but never a supplier, and a supplier
named like markup shows as text.

The demo workspace here has two users (an analyst and a viewer), so every
client logs in; no browser runs these (see tests/browser)."""

from __future__ import annotations

import csv as csv_module
import io
import json
import re
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.count.trace import Cells
from totalplace.demo import run_demo, write_demo_bodies
from totalplace.demo_data import CITY
from totalplace.ingest import ingest_files
from totalplace.money import display_pounds as pounds
from totalplace.orgs.resolve import ORGS_DIR
from totalplace.reference.places import Place
from totalplace.report.run import count_workspace
from totalplace.web import page_drill
from totalplace.web.app import create_app
from totalplace.web.users import add_user
from totalplace.workspace import Workspace

from .web import client_for

with warnings.catch_warnings():  # see test_web_api.py
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
MARKUP = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    _, ws = run_demo(tmp_path_factory.mktemp("drill") / "demo")
    count_workspace(ws)
    add_user(ws.root, "ann", "analyst", PASSWORD)
    add_user(ws.root, "vic", "viewer", PASSWORD)
    return ws


def _client(ws: Workspace, name: str | None) -> TestClient:
    return client_for(ws.root, name, require_login=True)


@pytest.fixture(scope="module")
def analyst(demo_ws: Workspace) -> TestClient:
    return _client(demo_ws, "ann")


@pytest.fixture(scope="module")
def viewer(demo_ws: Workspace) -> TestClient:
    return _client(demo_ws, "vic")


@pytest.fixture(scope="module")
def biggest(demo_ws: Workspace) -> tuple[str, str, int]:
    """The demo's largest cell from payments: agency, theme and pence."""
    data = json.loads((demo_ws.root / "reports" / "count.json").read_text())
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for x in data["lines"]:
        if x["method"] == "transactions":
            cells[(x["agency"], x["theme"])] += x["pence"]
    agency, theme = max(cells, key=lambda k: cells[k])
    return agency, theme, cells[(agency, theme)]


def _error(response: Any, status: int, type_: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and sorted(body["error"]) == ["message", "type"]
    assert body["error"]["type"] == type_
    return str(body["error"]["message"])


def _all_rows(client: TestClient, agency: str, theme: str, **params: Any) -> list[dict[str, Any]]:
    """Every row the API lists for the cell, page by page (97 at a time)."""
    rows: list[dict[str, Any]] = []
    total = None
    while total is None or len(rows) < total:
        page = client.get(
            f"/api/cells/{agency}/{theme}/rows",
            params={**params, "limit": 97, "offset": len(rows)},
        )
        assert page.status_code == 200, page.text
        total = page.json()["total"]
        assert page.json()["rows"], len(rows)
        rows += page.json()["rows"]
    return rows


@pytest.mark.parametrize(
    "sort,order", [("amount", "desc"), ("date", "asc"), ("supplier", "desc"), ("file", "asc")]
)
def test_rows_over_all_pages_add_up_to_the_cell_in_every_order(
    analyst: TestClient, biggest: tuple[str, str, int], sort: str, order: str
) -> None:
    """Guards paging a sorted list: each row appears on exactly one page
    (ties broken by file and line), so the pages add up to the cell."""
    agency, theme, pence = biggest
    rows = _all_rows(analyst, agency, theme, sort=sort, order=order)
    assert len(rows) > 97  # more than one page was read
    assert len({(r["file"], r["line"]) for r in rows}) == len(rows)
    assert sum(r["pence"] for r in rows) == pence


def test_sorting_lists_rows_in_the_order_asked(
    analyst: TestClient, biggest: tuple[str, str, int]
) -> None:
    agency, theme, _ = biggest
    by_date = [r["date"] for r in _all_rows(analyst, agency, theme, sort="date", order="asc")]
    assert by_date == sorted(by_date) and by_date[0] < by_date[-1]
    names = [
        (r["supplier"] or "").lower()
        for r in _all_rows(analyst, agency, theme, sort="supplier", order="desc")
    ]
    assert names == sorted(names, reverse=True) and names[0] != names[-1]
    sizes = [abs(r["pence"]) for r in _all_rows(analyst, agency, theme, sort="amount", order="asc")]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    default = analyst.get(f"/api/cells/{agency}/{theme}/rows", params={"limit": 5}).json()
    assert default["sort"] == "amount" and default["order"] == "desc"
    assert [abs(r["pence"]) for r in default["rows"]] == sorted(sizes, reverse=True)[:5]


def test_a_filter_keeps_exactly_the_rows_it_names_and_the_cell_stays_whole(
    analyst: TestClient, biggest: tuple[str, str, int]
) -> None:
    """Guards the filter against dropping or keeping the wrong rows: the
    supplier and date filter's rows are the cell's rows that match, found
    here in Python, and the cell's own total is still reported beside them."""
    agency, theme, pence = biggest
    every = _all_rows(analyst, agency, theme)
    word = next(r["supplier"] for r in every if r["supplier"]).split()[0].upper()
    start, end = "2010-06-01", "2010-09-30"
    expected = {
        (r["file"], r["line"])
        for r in every
        if word.lower() in (r["supplier"] or "").lower() and start <= r["date"] <= end
    }
    assert 0 < len(expected) < len(every)
    params = {"supplier": word, "date_from": start, "date_to": end}
    kept = _all_rows(analyst, agency, theme, **params)
    assert {(r["file"], r["line"]) for r in kept} == expected
    first = analyst.get(f"/api/cells/{agency}/{theme}/rows", params={**params, "limit": 1}).json()
    assert first["total"] == len(expected)
    assert first["matched_pence"] == sum(r["pence"] for r in kept)
    assert (first["cell_rows"], first["rows_pence"]) == (len(every), pence)
    message = _error(
        analyst.get(
            f"/api/cells/{agency}/{theme}/rows", params={"date_from": end, "date_to": start}
        ),
        422,
        "InvalidRequest",
    )
    assert "before" in message
    _error(
        analyst.get(f"/api/cells/{agency}/{theme}/rows", params={"sort": "colour"}),
        422,
        "InvalidRequest",
    )


def test_the_page_shows_the_cells_rows_adding_up_and_pages_through_them(
    analyst: TestClient, biggest: tuple[str, str, int]
) -> None:
    agency, theme, pence = biggest
    page = analyst.get("/drill", params={"agency": agency, "theme": theme, "limit": 10})
    assert page.status_code == 200
    html = page.text
    assert "They agree." in html
    assert html.count(pounds(pence)) >= 3  # the cell, its rows and its lines from payments
    body = re.search(r"<tbody>\s*(<tr><td>\d{4}-\d\d-\d\d.*?)</tbody>", html, re.S)
    assert body is not None and body.group(1).count("<tr>") == 10
    assert 'rel="next"' in html and 'rel="prev"' not in html
    assert 'aria-sort="descending"' in html  # the amount column, largest first
    following = analyst.get(
        "/drill", params={"agency": agency, "theme": theme, "limit": 10, "offset": 10}
    )
    assert 'rel="prev"' in following.text and "Rows 11 to 20 of" in following.text
    csv = analyst.get("/drill/rows.csv", params={"agency": agency, "theme": theme})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    table = list(csv_module.DictReader(io.StringIO(csv.text)))
    assert len(table) == int(csv.headers["x-rows-matched"])
    assert sum(int(r["pence"]) for r in table) == pence


def test_an_unknown_agency_page_offers_the_nearest(analyst: TestClient) -> None:
    page = analyst.get("/drill", params={"agency": "Northmoor City", "theme": "no_such_theme"})
    assert page.status_code == 404
    assert "The count has no line for Northmoor City" in page.text


def test_a_viewer_sees_how_the_cell_was_counted_but_no_supplier(
    analyst: TestClient, viewer: TestClient, biggest: tuple[str, str, int]
) -> None:
    """Guards the viewer's limit on the page: the analyst's page for the
    cell names a supplier; the viewer's page for the same cell does not, and
    the rows' routes refuse the viewer."""
    agency, theme, pence = biggest
    supplier = analyst.get(f"/api/cells/{agency}/{theme}/rows", params={"limit": 1}).json()["rows"][
        0
    ]["supplier"]
    params = {"agency": agency, "theme": theme}
    assert supplier in analyst.get("/drill", params=params).text
    page = viewer.get("/drill", params=params)
    assert page.status_code == 200
    assert supplier not in page.text
    assert "You are a viewer" in page.text and pounds(pence) in page.text
    assert _error(viewer.get("/drill/rows.csv", params=params), 403, "Forbidden")
    assert _error(viewer.get(f"/api/cells/{agency}/{theme}/rows"), 403, "Forbidden")


def test_every_route_refuses_an_anonymous_request(
    demo_ws: Workspace, biggest: tuple[str, str, int]
) -> None:
    agency, theme, _ = biggest
    anonymous = _client(demo_ws, None)
    params = {"agency": agency, "theme": theme}
    _error(anonymous.get(f"/api/cells/{agency}/{theme}/rows"), 401, "LoginRequired")
    _error(anonymous.get("/drill/rows.csv", params=params), 401, "LoginRequired")
    page = anonymous.get("/drill", params=params, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"


SHOP_CSV = "\n".join(
    [
        "Payment Date,Amount,Supplier Name,Service,Expense Type,Capital or Revenue",
        f"2010-06-01,100.00,{MARKUP},Xyzzy,Plugh,Revenue",
        "2010-06-02,250.00,Nowhere Trading,Xyzzy,Plugh,Revenue",
    ]
)


def test_a_supplier_named_like_markup_shows_as_text(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", ["E99999901", "E99999902"], "2010-11")
    write_demo_bodies(ws.root / ORGS_DIR)
    src = tmp_path / "city.csv"
    src.write_text(SHOP_CSV + "\n", encoding="utf-8")
    assert ingest_files(ws, [src], publisher=CITY).ok
    count_workspace(ws)
    lines = json.loads((ws.root / "reports" / "count.json").read_text())["lines"]
    (theme,) = {x["theme"] for x in lines if x["agency"] == CITY}  # the model's, or unclassified
    client = TestClient(create_app(ws.root), raise_server_exceptions=False)
    page = client.get("/drill", params={"agency": CITY, "theme": theme})
    assert page.status_code == 200, page.text
    assert MARKUP not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "They agree." in page.text and pounds(35_000) in page.text


def test_an_apportioned_line_shows_its_key_year_and_share_to_a_viewer(tmp_path: Path) -> None:
    """Guards the drill-down of a cell with no rows: a line shared out from
    a regional figure shows its key, the key's year and where the figure and
    the place's share come from, to any user (they are aggregates)."""
    ws = Workspace.create(tmp_path / "ws", ["E08000037"], "2010-11")
    source = "CRA 2012 DH line 42; key population, share 0.012345"
    line = CountLine(
        agency="Department of Health", agency_type="department", funder="Department of Health",
        theme="health", function="7. Health", tier="acute", capital_revenue="revenue",
        method="apportioned", part="top_down", gross_net="gross", grade="C", pence=123_456,
        source=source, flags=("key from the 2011 census",), key="population", key_year="2010",
    )  # fmt: skip
    count = PlaceCount(
        place=Place(spec="E08000037", name="Gateshead", codes=(), units=()),
        year="2010-11",
        engine="duckdb",
        population=1000,
        lines=[line],
    )
    (ws.root / "reports").mkdir()
    (ws.root / "reports" / "count.json").write_text(json.dumps(count.to_dict()))
    add_user(ws.root, "vic", "viewer", PASSWORD)
    page = _client(ws, "vic").get(
        "/drill", params={"agency": "Department of Health", "theme": "health"}
    )
    assert page.status_code == 200, page.text
    html = page.text
    assert "<td>Apportioned by a key</td>" in html
    assert "<td>Residents (mid-year population)</td>" in html  # the key in words
    assert "<td>2010</td>" in html and "share 0.012345" in html
    assert "key from the 2011 census" in html and pounds(123_456) in html
    assert "They agree." not in html  # no rows stand behind an apportioned line


def test_a_query_past_its_time_limit_is_stopped_and_said(
    demo_ws: Workspace, biggest: tuple[str, str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards the time limit: a query that would run for hours (stood in for
    the rows' query the server's kept engine runs) is interrupted after the
    limit, and the API and the page say so instead of holding the server.
    A server of its own, so no page of the cell is already kept."""

    def endless(expr: Any) -> str:
        return "SELECT count(*) AS rows FROM range(10000000000000)"

    monkeypatch.setattr(Cells, "_sql", staticmethod(endless))
    monkeypatch.setattr(page_drill, "QUERY_SECONDS", 0.5)
    analyst = _client(demo_ws, "ann")
    agency, theme, pence = biggest
    started = time.monotonic()
    message = _error(analyst.get(f"/api/cells/{agency}/{theme}/rows"), 503, "QueryTimeLimit")
    assert "0.5 s" in message
    page = analyst.get("/drill", params={"agency": agency, "theme": theme})
    assert page.status_code == 503
    assert "cannot be listed" in page.text and pounds(pence) in page.text  # the lines still show
    assert time.monotonic() - started < 30


def test_every_apportionment_key_is_named_in_words() -> None:
    """Guards against a key added to the count showing as its id on the page."""
    from totalplace.count.keys import KEYS

    assert set(KEYS) <= set(page_drill.KEY_LABELS)
    assert all("_" not in label for label in page_drill.KEY_LABELS.values())
