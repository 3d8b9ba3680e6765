"""Who may see what on the dashboard: logins, roles, CSRF, escaping and the
refusal to serve an open address with no users.

The workspace here holds a count report written from hand-made lines (no
rows need ingesting to test access), with an agency named like markup."""

from __future__ import annotations

import json
import re
import stat
import warnings
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from totalplace.cli import app as cli
from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.demo import DEMO_PLACE, DEMO_YEAR
from totalplace.errors import ConfigError
from totalplace.reference.places import Place
from totalplace.web.access import LOGIN_CSRF_COOKIE, SESSION_COOKIE, is_loopback, refuse_open_bind
from totalplace.web.app import create_app
from totalplace.web.site import Site
from totalplace.web.templates import env as template_env
from totalplace.web.users import User, add_user, check_password, list_users
from totalplace.workspace import Workspace

with warnings.catch_warnings():  # see test_web_api.py
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

MARKUP = "<script>alert(1)</script>"
PASSWORD = "correct horse battery"
render_people = template_env.globals["people"]
API_ROUTES = ["/api/count", "/api/lines", "/api/cells/Council/health/rows", "/api/openapi.json"]


def _line(agency: str, theme: str, pence: int) -> CountLine:
    return CountLine(
        agency=agency, agency_type="council", funder="own financing mix (estimate)",
        theme=theme, function="7. Health", tier="acute", capital_revenue="revenue",
        method="transactions", part="bottom_up", gross_net="gross (payments)", grade="A",
        pence=pence, source=f"spend rows of {agency}", payer=agency,
    )  # fmt: skip


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", DEMO_PLACE, DEMO_YEAR)
    count = PlaceCount(
        place=Place(spec="demo", name="Northmoor", codes=(), units=()),
        year=DEMO_YEAR,
        engine="duckdb",
        population=1000,
        lines=[_line("Council", "health", 500_000), _line(MARKUP, "adult_social_care", 300)],
    )
    (ws.root / "reports").mkdir()
    (ws.root / "reports" / "count.json").write_text(json.dumps(count.to_dict()))
    return ws


def _client(ws: Workspace, require_login: bool = True) -> TestClient:
    return TestClient(create_app(ws.root, require_login), raise_server_exceptions=False)


def _error_type(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and body["error"]["message"]
    return str(body["error"]["type"])


def _log_in(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    client.get("/login")
    token = client.cookies.get(LOGIN_CSRF_COOKIE)
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def _session_csrf(client: TestClient) -> str:
    html = client.get("/").text
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_anonymous_is_refused_everywhere_when_login_is_required(ws: Workspace) -> None:
    client = _client(ws)
    for route in API_ROUTES:
        assert _error_type(client.get(route), 401) == "LoginRequired", route
    # every route the app has, whichever page added it: data routes answer 401,
    # pages send the browser to the login form; only the form, the login and
    # the static scripts are open
    open_routes = {"/login", "/static/plotly.min.js", "/static/{name}"}
    for route in client.app.routes:  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        if path in open_routes or "GET" not in getattr(route, "methods", set()):
            continue
        url = re.sub(r"\{[^}]+\}", "x", path)
        response = client.get(url, follow_redirects=False)
        if response.status_code == 303:
            assert response.headers["location"] == "/login", path
        else:
            assert _error_type(response, 401) == "LoginRequired", path
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"


def test_a_small_count_of_people_is_withheld_from_a_viewer_only(ws: Workspace) -> None:
    site = Site(ws.root)
    threshold = site.disclosure_threshold
    assert threshold == 10  # the default
    viewer, analyst = User("vi", "viewer"), User("an", "analyst")
    assert site.people(threshold - 1, viewer) is None
    assert site.people(threshold - 1, analyst) == threshold - 1
    assert site.people(threshold, viewer) == threshold
    assert site.people(0, viewer) == 0  # nobody is nobody
    assert render_people(None, threshold) == "fewer than 10"


def test_no_login_on_loopback_until_a_user_exists(ws: Workspace) -> None:
    client = _client(ws, require_login=False)
    assert client.get("/api/count").status_code == 200
    assert client.get("/api/cells/Council/health/rows").status_code != 401
    add_user(ws.root, "ann", "analyst", PASSWORD)
    assert _error_type(client.get("/api/count"), 401) == "LoginRequired"


def test_login_sets_a_strict_http_only_session_and_logout_ends_it(ws: Workspace) -> None:
    add_user(ws.root, "ann", "analyst", PASSWORD)
    client = _client(ws)
    wrong = _log_in(client, "ann", "not the password")
    assert wrong.status_code == 401 and "do not match" in wrong.text
    right = _log_in(client, "ann")
    assert right.status_code == 303
    cookie = next(c for c in right.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert client.get("/api/count").status_code == 200
    out = client.post("/logout", data={"csrf_token": _session_csrf(client)}, follow_redirects=False)
    assert out.status_code == 303
    assert _error_type(client.get("/api/count"), 401) == "LoginRequired"


def test_a_form_without_its_csrf_token_is_refused(ws: Workspace) -> None:
    add_user(ws.root, "ann", "analyst", PASSWORD)
    client = _client(ws)
    client.get("/login")
    forged = client.post("/login", data={"name": "ann", "password": PASSWORD, "csrf_token": "x"})
    assert _error_type(forged, 403) == "CsrfRefused"
    assert _error_type(client.post("/login", data={"name": "ann", "password": PASSWORD}), 403)
    assert _log_in(client, "ann").status_code == 303
    assert _error_type(client.post("/logout", data={"csrf_token": "guess"}), 403) == "CsrfRefused"
    assert client.get("/api/count").status_code == 200  # still logged in


def test_viewer_sees_totals_but_never_rows_or_payers(ws: Workspace) -> None:
    add_user(ws.root, "vic", "viewer", PASSWORD)
    client = _client(ws)
    assert _log_in(client, "vic").status_code == 303
    assert client.get("/api/count").json()["total_pence"] == 500_300
    assert _error_type(client.get("/api/cells/Council/health/rows"), 403) == "Forbidden"
    lines = client.get("/api/lines").json()["lines"]
    assert lines and all("payer" not in x and "source" not in x for x in lines)


def test_analyst_reaches_the_rows_route(ws: Workspace) -> None:
    add_user(ws.root, "ann", "analyst", PASSWORD)
    client = _client(ws)
    _log_in(client, "ann")
    lines = client.get("/api/lines").json()["lines"]
    assert lines[0]["payer"] == "Council"
    rows = client.get("/api/cells/Council/health/rows")
    assert rows.status_code == 200  # no rows were ingested: none listed, the cell still there
    assert rows.json()["cell_pence"] == 500_000 and rows.json()["rows"] == []


def test_a_name_written_as_markup_renders_as_text(ws: Workspace) -> None:
    html = _client(ws, require_login=False).get("/").text
    assert MARKUP not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    data = html.split('<script id="chart-data" type="application/json">', 1)[1]
    data = data.split("</script>", 1)[0]
    assert "<" not in data and "\\u003cscript\\u003e" in data


def test_an_open_address_is_refused_until_a_user_exists(ws: Workspace) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    assert not is_loopback("dashboard.example")  # a name may resolve anywhere
    with pytest.raises(ConfigError, match="totalplace users add"):
        refuse_open_bind("0.0.0.0", ws.root)
    refuse_open_bind("127.0.0.1", ws.root)
    result = CliRunner().invoke(cli, ["serve", str(ws.root), "--host", "0.0.0.0", "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError" and "totalplace users add" in error["message"]
    add_user(ws.root, "ann", "admin", PASSWORD)
    refuse_open_bind("0.0.0.0", ws.root)


def test_users_add_keeps_a_hash_readable_by_its_owner_alone(ws: Workspace) -> None:
    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["users", "add", str(ws.root), "ann", "--role", "analyst", "--password-stdin", "--json"],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout) == {"user": {"name": "ann", "role": "analyst"}}
    listed = json.loads(runner.invoke(cli, ["users", "list", str(ws.root), "--json"]).stdout)
    assert listed == {"users": [{"name": "ann", "role": "analyst"}]}
    stored = (ws.root / "users.json").read_text()
    assert PASSWORD not in stored and "$argon2" in stored
    assert stat.S_IMODE((ws.root / "users.json").stat().st_mode) == 0o600
    assert check_password(ws.root, "ann", PASSWORD) is not None
    assert check_password(ws.root, "ann", PASSWORD + "x") is None
    assert check_password(ws.root, "bob", PASSWORD) is None


def test_users_add_refuses_a_bad_role_or_short_password(ws: Workspace) -> None:
    runner = CliRunner()
    base = ["users", "add", str(ws.root), "ann", "--password-stdin", "--json"]
    role = runner.invoke(cli, [*base, "--role", "owner"], input=PASSWORD + "\n")
    assert role.exit_code == 2 and "viewer, analyst, admin" in role.stdout
    short = runner.invoke(cli, [*base, "--role", "viewer"], input="short\n")
    assert short.exit_code == 2 and "shorter than" in short.stdout
    assert list_users(ws.root) == []
