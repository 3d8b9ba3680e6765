"""The Barriers page and its API: the register, asks and decisions for anyone
who may see the dashboard; forms for analysts and admins only, each refused
without the session's CSRF token; everything people typed escaped."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from totalplace.culture import add_barrier, read_decisions, read_register
from totalplace.culture.barriers import register_path
from totalplace.errors import ConfigError
from totalplace.web.access import LOGIN_CSRF_COOKIE
from totalplace.web.app import create_app
from totalplace.web.page_barriers import FORM_CSRF_COOKIE
from totalplace.web.users import add_user
from totalplace.workspace import Workspace

with warnings.catch_warnings():  # see test_web_api.py
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

MARKUP = "<script>alert(1)</script>"
PASSWORD = "correct horse battery"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", ["E99999901"], "2010-11", name="Northmoor")
    add_barrier(
        ws,
        {
            "title": "Pooled budget blocked",
            "type": "ring-fence",
            "owner": "DH",
            "impact_pounds": "250000",
            "ask": "Let the partners pool the budgets",
        },
        "tester",
    )
    return ws


def _client(ws: Workspace, require_login: bool = False) -> TestClient:
    return TestClient(create_app(ws.root, require_login), raise_server_exceptions=False)


def _token(client: TestClient) -> str:
    html = client.get("/barriers").text
    return str(html.split('action="/barriers/add">', 1)[1].split('value="', 1)[1].split('"', 1)[0])


def _log_in(client: TestClient, name: str) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={
            "name": name,
            "password": PASSWORD,
            "csrf_token": client.cookies.get(LOGIN_CSRF_COOKIE),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303


def _error_type(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and body["error"]["message"]
    return str(body["error"]["type"])


NEW = {
    "title": "Two targets for one service",
    "type": "performance-regime",
    "owner": "Home Office",
    "impact_pounds": "40000",
}


def test_page_lists_the_register_asks_and_decisions_with_csv_links(ws: Workspace) -> None:
    client = _client(ws)
    html = client.get("/barriers").text
    assert "Pooled budget blocked" in html and "Ring-fenced funding" in html
    assert "Department of Health and Social Care" in html and "£250,000.00" in html
    for link in ("/barriers/register.csv", "/barriers/asks.csv", "/barriers/decisions.csv"):
        assert link in html
        r = client.get(link)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'id="asks-chart"' in html and "<caption>Asks by department</caption>" in html
    assert '<a href="/barriers" aria-current="page">Barriers</a>' in html
    assert client.get("/static/barriers.js").status_code == 200


def test_a_local_analyst_adds_a_barrier_through_the_form(ws: Workspace) -> None:
    client = _client(ws)
    token = _token(client)
    assert client.cookies.get(FORM_CSRF_COOKIE) == token
    r = client.post("/barriers/add", data={**NEW, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/barriers#B2"
    b2 = read_register(ws.root)[1]
    assert (b2.title, b2.impact_pence, b2.history[0].who) == (NEW["title"], 4_000_000, "local")


@pytest.mark.parametrize("token", ["", "forged-token"])
def test_a_form_without_the_right_csrf_token_is_refused(ws: Workspace, token: str) -> None:
    client = _client(ws)
    _token(client)  # the cookie is set; the form sent lacks its token
    before = register_path(ws.root).read_bytes()
    r = client.post("/barriers/add", data={**NEW, "csrf_token": token})
    assert _error_type(r, 403) == "CsrfRefused"
    r = client.post("/barriers/B1/status", data={"status": "agreed", "csrf_token": token})
    assert _error_type(r, 403) == "CsrfRefused"
    assert register_path(ws.root).read_bytes() == before


def test_a_logged_in_analyst_uses_the_sessions_token_not_the_cookie(ws: Workspace) -> None:
    add_user(ws.root, "ana", "analyst", PASSWORD)
    client = _client(ws)
    _log_in(client, "ana")
    token = _token(client)
    r = client.post(
        "/barriers/B1/status",
        data={"status": "escalated", "note": "to ministers", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    last = read_register(ws.root)[0].history[-1]
    assert (last.who, last.before, last.after, last.note) == (
        "ana",
        "raised",
        "escalated",
        "to ministers",
    )
    other = _client(ws)
    _log_in(other, "ana")  # another session: the first session's token is not its own
    r = other.post("/barriers/add", data={**NEW, "csrf_token": token})
    assert _error_type(r, 403) == "CsrfRefused"


def test_a_viewer_reads_the_page_without_forms_and_is_refused_on_them(ws: Workspace) -> None:
    add_user(ws.root, "vera", "viewer", PASSWORD)
    client = _client(ws)
    _log_in(client, "vera")
    html = client.get("/barriers").text
    assert "Pooled budget blocked" in html
    assert 'action="/barriers/add"' not in html and "/status" not in html
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]  # the logout form's
    before = register_path(ws.root).read_bytes()
    r = client.post("/barriers/add", data={**NEW, "csrf_token": token})
    assert _error_type(r, 403) == "Forbidden"
    r = client.post("/decisions/add", data={"what": "x", "by": "A", "csrf_token": token})
    assert _error_type(r, 403) == "Forbidden"
    assert register_path(ws.root).read_bytes() == before and read_decisions(ws.root) == []
    assert _error_type(_client(ws).post("/barriers/add", data=NEW), 401) == "LoginRequired"


def test_an_illegal_move_from_the_form_says_which_moves_are_allowed(ws: Workspace) -> None:
    client = _client(ws)
    token = _token(client)
    client.post("/barriers/B1/status", data={"status": "resolved", "csrf_token": token})
    r = client.post("/barriers/B1/status", data={"status": "escalated", "csrf_token": token})
    assert r.status_code == 422
    assert "from resolved it can go to raised, not escalated" in r.text
    assert [c.after for c in read_register(ws.root)[0].history] == ["raised", "resolved"]


def test_what_people_typed_is_escaped_on_the_page_and_in_csv(ws: Workspace) -> None:
    add_barrier(
        ws,
        {"title": MARKUP, "type": "culture", "owner": MARKUP, "ask": '=HYPERLINK("http://x")'},
        "t",
    )
    client = _client(ws)
    html = client.get("/barriers").text
    assert MARKUP not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\\u003cscript\\u003e" in html  # the chart's data block
    asks = client.get("/barriers/asks.csv").text
    assert "'=HYPERLINK" in asks and ",=HYPERLINK" not in asks
    register = client.get("/barriers/register.csv").text
    assert "'=HYPERLINK" in register


def test_api_gives_register_asks_and_decisions(ws: Workspace) -> None:
    client = _client(ws)
    token = _token(client)
    client.post(
        "/decisions/add",
        data={
            "what": "Pool the budgets",
            "by": "City; PCT",
            "date": "2010-03-01",
            "barrier": "B1",
            "csrf_token": token,
        },
    )
    got = client.get("/api/barriers").json()
    assert [b["id"] for b in got["barriers"]] == ["B1"]
    assert client.get("/api/barriers", params={"status": "dropped"}).json() == {"barriers": []}
    assert _error_type(client.get("/api/barriers", params={"type": "x"}), 422) == "ConfigError"
    asks = client.get("/api/barriers/asks").json()
    assert asks["pence"] == 25_000_000
    assert asks["asks"][0]["department"] == "Department of Health and Social Care"
    decisions = client.get("/api/decisions").json()["decisions"]
    assert [(d["id"], d["by"], d["barrier"]) for d in decisions] == [("D1", ["City", "PCT"], "B1")]
    assert _error_type(client.get("/barriers/nothing.csv"), 404) == "NotFound"


def test_count_lines_show_the_money_the_count_holds_and_an_unknown_agency_is_refused(
    ws: Workspace,
) -> None:
    from totalplace.count.place_count import CountLine, PlaceCount
    from totalplace.reference.places import Place

    line = CountLine(
        agency="Northmoor PCT",
        agency_type="nhs_commissioner",
        funder="Department of Health",
        theme="health",
        function="7. Health",
        tier="acute",
        capital_revenue="revenue",
        method="transactions",
        part="bottom_up",
        gross_net="gross (payments)",
        grade="A",
        pence=500_000,
        source="spend rows",
        payer="Northmoor PCT",
    )
    count = PlaceCount(
        Place(spec="demo", name="Northmoor", codes=(), units=()), "2010-11", "duckdb", 1000, [line]
    )
    (ws.root / "reports").mkdir()
    (ws.root / "reports" / "count.json").write_text(json.dumps(count.to_dict()))
    add_barrier(
        ws,
        {
            "title": "t",
            "type": "culture",
            "owner": "Home Office",
            "lines": "northmoor pct:Health; Northmoor PCT:public_health",
        },
        "t",
    )
    client = _client(ws)
    got = client.get("/api/barriers").json()["barriers"][1]["lines"]
    assert got == [
        {"agency": "Northmoor PCT", "theme": "health", "pence": 500_000},
        {"agency": "Northmoor PCT", "theme": "public_health", "pence": None},
    ]
    assert "Northmoor PCT, Health (£5,000.00 in the count)" in client.get("/barriers").text
    with pytest.raises(
        ConfigError,
        match="--lines: 'Northmor PCT' is no agency of the count; did you mean Northmoor PCT",
    ):
        add_barrier(
            ws,
            {
                "title": "t",
                "type": "culture",
                "owner": "Home Office",
                "lines": "Northmor PCT:health",
            },
            "t",
        )
