"""The theme pages: every theme with its total, one theme's agencies (each
linking to its drill-down), prevention tiers, transfers and pass-through,
per head beside England and the region, and payees for analysts only.

The demo workspace has an analyst and a viewer, so every client logs in;
per head is tested on a hand-made count of a real authority with the
national figures replaced by a small table (working them out takes a
minute)."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.demo import run_demo, write_demo_bodies
from totalplace.demo_data import CITY
from totalplace.ingest import ingest_files
from totalplace.money import display_pounds as pounds
from totalplace.orgs.resolve import ORGS_DIR
from totalplace.reference.places import Place
from totalplace.report.run import count_workspace
from totalplace.web import page_theme
from totalplace.web.users import add_user
from totalplace.workspace import Workspace

from .web import client_for

with warnings.catch_warnings():  # see test_web_api.py
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
MARKUP = "<script>alert(1)</script>"
GATESHEAD = "E08000037"


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    _, ws = run_demo(tmp_path_factory.mktemp("theme") / "demo")
    count_workspace(ws)
    add_user(ws.root, "ann", "analyst", PASSWORD)
    add_user(ws.root, "vic", "viewer", PASSWORD)
    return ws


@pytest.fixture(scope="module")
def count_json(demo_ws: Workspace) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((demo_ws.root / "reports" / "count.json").read_text())
    return data


def _client(root: Path, name: str | None, require_login: bool = True) -> TestClient:
    return client_for(root, name, require_login)


@pytest.fixture(scope="module")
def analyst(demo_ws: Workspace) -> TestClient:
    return _client(demo_ws.root, "ann")


@pytest.fixture(scope="module")
def viewer(demo_ws: Workspace) -> TestClient:
    return _client(demo_ws.root, "vic")


@pytest.fixture(scope="module")
def with_transfers(count_json: dict[str, Any]) -> str:
    """A theme of the demo some of whose payments go to a body the count
    counts itself (a transfer it takes out)."""
    return str(next(t["theme"] for t in count_json["transfers"] if t["eliminated"]))


def _error(response: Any, status: int, type_: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and sorted(body["error"]) == ["message", "type"]
    assert body["error"]["type"] == type_
    return str(body["error"]["message"])


def test_themes_are_listed_with_the_counts_totals_and_link_to_their_pages(
    viewer: TestClient, count_json: dict[str, Any]
) -> None:
    listed = viewer.get("/api/themes", params={"limit": 100}).json()
    assert {t["theme"]: t["pence"] for t in listed["themes"]} == count_json["by_theme"]
    assert listed["total"] == len(count_json["by_theme"])
    assert [t["pence"] for t in listed["themes"]] == sorted(
        (t["pence"] for t in listed["themes"]), reverse=True
    )
    paged = viewer.get("/api/themes", params={"limit": 2, "offset": 1}).json()["themes"]
    assert paged == listed["themes"][1:3]
    html = viewer.get("/themes").text
    assert '<a href="/themes/children_and_families">Children and families</a>' in html
    assert viewer.get("/themes.csv").text.startswith("theme,pence,agencies")


def test_a_themes_agencies_and_tiers_add_up_to_its_lines_and_transfers_reconcile(
    viewer: TestClient, count_json: dict[str, Any], with_transfers: str
) -> None:
    """Guards the theme page against figures of its own: the agencies and
    the tiers each add up to the theme's lines, and the lines less the
    transfers it shows as taken out are the count's figure for the theme."""
    theme = with_transfers
    lines = [x for x in count_json["lines"] if x["theme"] == theme]
    got = viewer.get(f"/api/themes/{theme}").json()
    assert got["lines_pence"] == sum(x["pence"] for x in lines)
    assert sum(a["pence"] for a in got["agencies"]) == got["lines_pence"]
    assert sum(t["pence"] for t in got["tiers"]) == got["lines_pence"]
    assert got["agencies_total"] == len({x["agency"] for x in lines})
    assert got["transfers_eliminated_pence"] > 0
    assert got["lines_pence"] - got["transfers_eliminated_pence"] == count_json["by_theme"][theme]
    assert got["pence"] == count_json["by_theme"][theme]
    assert all(t["label"] and "_" not in t["label"] for t in got["tiers"])
    assert got["per_head"]["available"] is False and got["per_head"]["reason"]
    first = viewer.get(f"/api/themes/{theme}", params={"limit": 1, "offset": 1}).json()
    assert first["agencies"] == got["agencies"][1:2]
    html = viewer.get(f"/themes/{theme}").text
    assert pounds(count_json["by_theme"][theme]) in html
    assert "Taken out of the count?" in html and "Prevention and crisis" in html
    assert 'id="agency-chart"' in html and 'id="tier-chart"' in html
    assert html.count("Download as CSV") >= 3


def test_each_agency_links_to_its_drill_down_which_adds_up(
    analyst: TestClient, with_transfers: str
) -> None:
    got = analyst.get(f"/api/themes/{with_transfers}").json()
    for agency in got["agencies"]:
        page = analyst.get(agency["drill"])
        assert page.status_code == 200, agency["drill"]
        assert pounds(agency["pence"]) in page.text and "They agree." in page.text
        assert (
            agency["drill"].replace("&", "&amp;") in analyst.get(f"/themes/{with_transfers}").text
        )


def test_payees_page_through_to_the_themes_lines_from_payments(
    analyst: TestClient, with_transfers: str
) -> None:
    """Guards the payees against a definition of their own: summed over every
    page they are the theme's lines from payments, largest first."""
    theme, seen, total = with_transfers, [], None
    while total is None or len(seen) < total:
        page = analyst.get(
            f"/api/themes/{theme}/suppliers", params={"limit": 2, "offset": len(seen)}
        ).json()
        total = page["total"]
        assert page["suppliers"]
        seen += page["suppliers"]
    assert total > 2
    assert sum(s["pence"] for s in seen) == page["from_payments_pence"] == page["suppliers_pence"]
    assert [s["pence"] for s in seen] == sorted((s["pence"] for s in seen), reverse=True)
    assert seen[0]["name"] in analyst.get(f"/themes/{theme}").text


def test_a_viewer_never_sees_a_payees_name(
    analyst: TestClient, viewer: TestClient, count_json: dict[str, Any]
) -> None:
    """Guards the viewer's limit: a payee that is no public body (a company,
    a redaction) named on the analyst's theme page is on none of the
    viewer's pages or answers, and the payees' routes refuse the viewer."""
    names: set[str] = set()
    for theme in count_json["by_theme"]:
        found = analyst.get(f"/api/themes/{theme}/suppliers", params={"limit": 1000}).json()
        names |= {s["name"] for s in found["suppliers"] if s["body_id"] is None}
    assert "REDACTED PERSONAL DATA" in names or len(names) > 3
    for theme in count_json["by_theme"]:
        answers = [
            viewer.get(f"/themes/{theme}").text,
            viewer.get(f"/api/themes/{theme}").text,
            viewer.get(f"/themes/{theme}/transfers.csv").text,
            viewer.get(f"/themes/{theme}/agencies.csv").text,
        ]
        assert "You are a viewer" in answers[0]
        for name in names:
            assert all(name not in a for a in answers), (theme, name)
        _error(viewer.get(f"/api/themes/{theme}/suppliers"), 403, "Forbidden")
        _error(viewer.get(f"/themes/{theme}/suppliers.csv"), 403, "Forbidden")
    assert not any(name in viewer.get("/api/themes").text for name in names)


def test_every_theme_route_refuses_an_anonymous_request(demo_ws: Workspace) -> None:
    anonymous = _client(demo_ws.root, None)
    for route in [
        "/api/themes",
        "/api/themes/health",
        "/api/themes/health/suppliers",
        "/themes.csv",
        "/themes/health/agencies.csv",
        "/themes/health/suppliers.csv",
    ]:
        _error(anonymous.get(route), 401, "LoginRequired")
    for page in ["/themes", "/themes/health"]:
        got = anonymous.get(page, follow_redirects=False)
        assert got.status_code == 303 and got.headers["location"] == "/login"


def test_an_unknown_theme_is_not_found(viewer: TestClient) -> None:
    assert "no_such_theme" in _error(viewer.get("/api/themes/no_such_theme"), 404, "NoSuchTheme")
    assert viewer.get("/themes/no_such_theme").status_code == 404
    _error(viewer.get("/themes/health/colours.csv"), 404, "NotFound")


def _line(agency: str, theme: str, tier: str, pence: int) -> CountLine:
    return CountLine(
        agency=agency, agency_type="council", funder="own financing mix (estimate)",
        theme=theme, function="7. Health", tier=tier, capital_revenue="revenue",
        method="outturn", part="bottom_up", gross_net="gross", grade="A",
        pence=pence, source=f"RS outturn of {agency}",
    )  # fmt: skip


@pytest.fixture
def gateshead(tmp_path: Path) -> Workspace:
    """A hand-made count of a real authority, with an agency named like markup."""
    ws = Workspace.create(tmp_path / "ws", [GATESHEAD], "2010-11")
    count = PlaceCount(
        place=Place(spec=GATESHEAD, name="Gateshead", codes=(GATESHEAD,), units=(GATESHEAD,)),
        year="2010-11",
        engine="duckdb",
        population=400,
        lines=[
            _line("Gateshead Council", "health", "acute", 300_000),
            _line(MARKUP, "health", "universal", 100_000),
        ],
    )
    (ws.root / "reports").mkdir()
    (ws.root / "reports" / "count.json").write_text(json.dumps(count.to_dict()))
    return ws


def test_per_head_sits_beside_england_and_the_region(
    gateshead: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards the comparison's sums: the place, its region and England each
    per head from the same national table (worked out in the background:
    the first answer says so)."""
    national = {
        "year": "2010-11",
        "places": [
            {"gss": GATESHEAD, "region": "North East", "population": 200,
             "by_theme": {"health": 100_000}},
            {"gss": "E08000021", "region": "North East", "population": 300,
             "by_theme": {"health": 400_000}},
            {"gss": "E09000001", "region": "London", "population": 500,
             "by_theme": {"health": 1_500_000, "offending": 7}},
        ],
    }  # fmt: skip
    figures = page_theme.NationalFigures()
    monkeypatch.setattr(figures, "compute", lambda year: national)
    monkeypatch.setattr(page_theme, "NATIONAL", figures)
    client = _client(gateshead.root, None, require_login=False)
    got = client.get("/api/themes/health").json()["per_head"]
    for _ in range(100):
        if got["available"]:
            break
        assert got["pending"] and "reload" in got["reason"]
        time.sleep(0.05)
        got = client.get("/api/themes/health").json()["per_head"]
    assert got["available"], got
    assert (got["place_pence"], got["region_pence"], got["england_pence"]) == (500, 1000, 2000)
    assert got["region"] == "North East"
    assert got["count_per_head_pence"] == 1000  # the count's own £4,000 for 400 people
    html = client.get("/themes/health").text
    assert "Its region (North East)" in html and pounds(2000) in html


def test_names_like_markup_show_as_text(gateshead: Workspace, tmp_path: Path) -> None:
    client = _client(gateshead.root, None, require_login=False)
    html = client.get("/themes/health").text
    assert MARKUP not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the table
    assert "\\u003cscript\\u003e" in html  # the chart's data
    # a supplier so named, in a file, among the theme's payees
    ws = Workspace.create(tmp_path / "city", ["E99999901", "E99999902"], "2010-11")
    write_demo_bodies(ws.root / ORGS_DIR)
    src = tmp_path / "city.csv"
    src.write_text(
        "Payment Date,Amount,Supplier Name,Service,Expense Type,Capital or Revenue\n"
        f"2010-06-01,100.00,{MARKUP},Xyzzy,Plugh,Revenue\n",
        encoding="utf-8",
    )
    assert ingest_files(ws, [src], publisher=CITY).ok
    count_workspace(ws)
    lines = json.loads((ws.root / "reports" / "count.json").read_text())["lines"]
    (theme,) = {x["theme"] for x in lines if x["agency"] == CITY}
    page = _client(ws.root, None, require_login=False).get(f"/themes/{theme}").text
    assert MARKUP not in page and "&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page


def test_every_kind_of_public_body_is_named_in_words() -> None:
    """Guards against a transfer's payee kind showing as its registry id."""
    from totalplace.orgs.registry import KINDS
    from totalplace.report.labels import KIND_LABELS

    assert set(KINDS) <= set(KIND_LABELS)
    assert all(page_theme.kind_label(k) == KIND_LABELS[k] for k in KINDS)
    assert all("_" not in page_theme.kind_label(k) for k in KINDS)
