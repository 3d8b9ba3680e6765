"""The dashboard keeps the count report, the spend rows and its rendered
pages between requests, and shows new figures as soon as the files change:
a re-count or a re-ingest is seen on the next request, with no restart."""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.count.trace import Cells, RowQuery
from totalplace.demo import write_demo_bodies
from totalplace.demo_data import CITY
from totalplace.ingest import ingest_files
from totalplace.money import display_pounds as pounds
from totalplace.orgs.resolve import ORGS_DIR
from totalplace.reference.places import Place
from totalplace.report.run import count_workspace
from totalplace.web import page_drill
from totalplace.web.app import create_app
from totalplace.web.cache import site_cache
from totalplace.workspace import Workspace

with warnings.catch_warnings():  # see test_web_api.py
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

HEADER = "Payment Date,Amount,Supplier Name,Service,Expense Type,Capital or Revenue"
JUNE = "\n".join([HEADER, "2010-06-01,100.00,Nowhere Trading,Xyzzy,Plugh,Revenue",
                  "2010-06-02,250.00,Nowhere Trading,Xyzzy,Plugh,Revenue"])  # fmt: skip
JULY = "\n".join([HEADER, "2010-07-05,1000.00,Nowhere Trading,Xyzzy,Plugh,Revenue"])


def _line(agency: str, pence: int) -> CountLine:
    return CountLine(
        agency=agency, agency_type="department", funder=agency, theme="health",
        function="7. Health", tier="acute", capital_revenue="revenue", method="apportioned",
        part="top_down", gross_net="gross", grade="C", pence=pence, source="a test line",
        key="population", key_year="2010",
    )  # fmt: skip


def _write_count(ws: Workspace, pence: int) -> None:
    """A count report of one line, written as the count writes it: to a new
    file moved over the old one."""
    count = PlaceCount(
        place=Place(spec="E08000037", name="Gateshead", codes=(), units=()),
        year="2010-11",
        engine="duckdb",
        population=1000,
        lines=[_line("Department of Health", pence)],
    )
    data = count.to_dict()
    data["total_pence"] = pence
    data["by_theme"] = {"health": pence}
    (ws.root / "reports").mkdir(exist_ok=True)
    new = ws.root / "reports" / "count.json.new"
    new.write_text(json.dumps(data))
    new.replace(ws.root / "reports" / "count.json")


def test_a_recount_shows_on_every_page_without_a_restart(tmp_path: Path) -> None:
    """Guards the count cache: the report is parsed once while it stays the
    same (the same object is given back), and a new report is read on the
    next request, on the Overview, the theme page, the drill-down and the API."""
    ws = Workspace.create(tmp_path / "ws", ["E08000037"], "2010-11")
    _write_count(ws, 123_456)
    app = create_app(ws.root)
    client = TestClient(app)
    site = app.state.site
    drill = {"agency": "Department of Health", "theme": "health"}
    assert pounds(123_456) in client.get("/").text
    assert pounds(123_456) in client.get("/themes/health").text
    assert pounds(123_456) in client.get("/drill", params=drill).text
    assert client.get("/api/count").json()["total_pence"] == 123_456
    first = site_cache(site).count.data()
    assert site_cache(site).count.data() is first  # read once, not per request

    _write_count(ws, 654_321)
    assert site_cache(site).count.data() is not first
    for path, params in (("/", {}), ("/themes/health", {}), ("/drill", drill)):
        page = client.get(path, params=params).text
        assert pounds(654_321) in page, path
        assert pounds(123_456) not in page, path
    assert client.get("/api/count").json()["total_pence"] == 654_321


def test_a_rewritten_report_of_the_same_size_is_read_again(tmp_path: Path) -> None:
    """Guards the version check against a report rewritten in place, same
    size and inode: its modification time tells it apart."""
    ws = Workspace.create(tmp_path / "ws", ["E08000037"], "2010-11")
    _write_count(ws, 111_111)
    client = TestClient(create_app(ws.root))
    assert client.get("/api/count").json()["total_pence"] == 111_111
    path = ws.root / "reports" / "count.json"
    text = path.read_text().replace("111111", "222222")
    before = path.stat()
    with path.open("r+") as fh:  # in place: the same inode
        fh.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert path.stat().st_ino == before.st_ino and path.stat().st_size == before.st_size
    assert client.get("/api/count").json()["total_pence"] == 222_222


def _cell(ws: Workspace) -> tuple[str, int]:
    lines = json.loads((ws.root / "reports" / "count.json").read_text())["lines"]
    (theme,) = {x["theme"] for x in lines if x["agency"] == CITY}
    pence = sum(x["pence"] for x in lines if x["agency"] == CITY and x["theme"] == theme)
    return theme, pence


@pytest.fixture(scope="module")
def june(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A council's two June payments, ingested and counted (the test of the
    time limit reads it; the test of a re-ingest, last, adds to it)."""
    tmp = tmp_path_factory.mktemp("cache")
    ws = Workspace.create(tmp / "ws", ["E99999901", "E99999902"], "2010-11")
    write_demo_bodies(ws.root / ORGS_DIR)
    src = tmp / "city_2010-06.csv"
    src.write_text(JUNE + "\n", encoding="utf-8")
    assert ingest_files(ws, [src], publisher=CITY).ok
    count_workspace(ws)
    return ws


def test_a_cached_cell_query_past_its_time_limit_is_stopped(
    june: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards the time limit on the kept engine: a page's query that would
    run for hours (stood in for here) is interrupted after the limit and
    the API says so, and the next page is answered as usual."""
    ws = june
    theme, _ = _cell(ws)
    client = TestClient(create_app(ws.root), raise_server_exceptions=False)
    monkeypatch.setattr(page_drill, "QUERY_SECONDS", 0.5)
    real = Cells._sql

    def endless(expr: Any) -> str:
        return "SELECT count(*) AS rows FROM range(10000000000000)"

    monkeypatch.setattr(Cells, "_sql", staticmethod(endless))
    started = time.monotonic()
    got = client.get(f"/api/cells/{CITY}/{theme}/rows")
    assert got.status_code == 503, got.text
    assert got.json()["error"]["type"] == "QueryTimeLimit"
    assert "0.5 s" in got.json()["error"]["message"]
    assert time.monotonic() - started < 30
    monkeypatch.setattr(Cells, "_sql", staticmethod(real))
    got = client.get(f"/api/cells/{CITY}/{theme}/rows")
    assert got.status_code == 200 and got.json()["cell_rows"] == 2


def test_a_slow_first_read_of_a_cell_answers_503_and_goes_on_in_the_background(
    june: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards the time limit on reading a cell from the files: a request
    waits at most the limit (503, saying to reload), the reading goes on, and
    a later request finds the cell read instead of starting again."""
    theme, _ = _cell(june)
    monkeypatch.setattr(page_drill, "QUERY_SECONDS", 0.5)
    real = Cells._read
    reads = []

    def slow(self: Cells, *args: Any) -> Any:
        reads.append(args)
        time.sleep(3)  # a read that takes longer than the limit
        return real(self, *args)

    monkeypatch.setattr(Cells, "_read", slow)
    client = TestClient(create_app(june.root), raise_server_exceptions=False)
    address = f"/api/cells/{CITY}/{theme}/rows"
    started = time.monotonic()
    got = client.get(address)
    assert got.status_code == 503, got.text
    assert "still being read" in got.json()["error"]["message"]
    assert time.monotonic() - started < 3
    for _ in range(100):
        got = client.get(address)
        if got.status_code == 200:
            break
        time.sleep(0.1)
    assert got.status_code == 200 and got.json()["cell_rows"] == 2
    assert len(reads) == 1  # read once, however many asked meanwhile


def test_a_cell_let_go_for_memory_is_read_again_the_same(
    june: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards the memory cap: with room for one cell, asking for another
    lets the first go, and the first asked for again is read again from the
    files with the same rows, not an error or an empty page."""
    from totalplace.count import trace as trace_module

    theme, _ = _cell(june)
    monkeypatch.setattr(trace_module, "KEEP_CELLS", 1)
    cells = Cells(june, "2010-11")
    try:
        plain = cells.page({CITY: False}, theme, RowQuery(), 10, 0)
        # the same payer splitting an outturn is another cell (set-apart rows out)
        cells.page({CITY: True}, theme, RowQuery(), 10, 0)
        again = cells.page({CITY: False}, theme, RowQuery(sort="date"), 10, 0)
        assert len(cells._tables) == 1
        assert plain[0] == again[0] and plain[0][0]["rows"] == 2
        assert sorted(r["pence"] for r in plain[1]) == sorted(r["pence"] for r in again[1])
    finally:
        cells.close()


def test_a_reingest_shows_new_rows_in_the_drill_down_without_a_restart(
    june: Workspace, tmp_path: Path
) -> None:
    """Guards the spend-rows cache: the engine and each cell are opened once
    while the files stay the same, and a file ingested, classified and
    counted while the server runs is in the next drill-down's rows."""
    ws = june
    theme, pence = _cell(ws)
    assert pence == 35_000
    app = create_app(ws.root)
    client = TestClient(app)
    cache = site_cache(app.state.site)
    address = f"/api/cells/{CITY}/{theme}/rows"
    got = client.get(address).json()
    assert (got["cell_rows"], got["rows_pence"]) == (2, 35_000)
    cells = cache.spend.cells("2010-11")
    assert client.get(address).json() == got
    assert cache.spend.cells("2010-11") is cells  # opened once, not per request

    july = tmp_path / "city_2010-07.csv"
    july.write_text(JULY + "\n", encoding="utf-8")
    assert ingest_files(ws, [july], publisher=CITY).ok
    count_workspace(ws)
    assert _cell(ws) == (theme, 135_000)
    got = client.get(address).json()
    assert (got["cell_rows"], got["rows_pence"]) == (3, 135_000)
    assert got["transactions_pence"] == 135_000
    assert cache.spend.cells("2010-11") is not cells
    page = client.get("/drill", params={"agency": CITY, "theme": theme}).text
    assert pounds(135_000) in page and "They agree." in page
