"""The Benchmark page and /api/benchmark on a workspace for Trafford: the page
loads with each chart's table and CSV link, the API gives the command's
figures, CSV downloads, errors in the one shape, anonymous refused when a
login is required."""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from totalplace.web.app import create_app
from totalplace.workspace import Workspace

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

TRAFFORD = "E08000009"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Workspace.create(tmp_path_factory.mktemp("bench") / "ws", [TRAFFORD], "2017-18").root


@pytest.fixture(scope="module")
def client(root: Path) -> TestClient:
    return TestClient(create_app(root), raise_server_exceptions=False)


def test_benchmark_page_loads_with_tables_beside_charts_and_csv_links(client: TestClient) -> None:
    page = client.get("/benchmark?indicator=obese_reception")
    assert page.status_code == 200, page.text
    html = page.text
    for chart in ("perhead-chart", "quadrant-chart", "funnel-chart", "map-chart"):
        assert f'id="{chart}"' in html
    assert html.count("<table>") >= 4
    for link in (
        "/benchmark/per_head.csv",
        "/benchmark/outcomes.csv?indicator=obese_reception",
        "/benchmark/funnel.csv?indicator=obese_reception",
        "/benchmark/breaks.csv",
    ):
        assert f'href="{link}"' in html, link  # fmt: skip
    assert "Trafford (this council)" in html
    # the map is drawn from the boundaries this server serves, nothing fetched elsewhere
    assert "/static/england-authorities.geojson" in html
    assert 'id="trend-chart"' in html and "Neighbours' median" in html
    assert 'href="/benchmark/trend.csv?indicator=obese_reception"' in html
    assert '<script src="/static/benchmark.js"></script>' in html
    assert "<script>" not in html  # no inline script: the security policy refuses them
    assert client.get("/static/benchmark.js").status_code == 200
    assert 'href="/benchmark"' in client.get("/benchmark").text  # in the navigation bar


def test_survey_indicator_says_why_it_has_no_funnel(client: TestClient) -> None:
    html = client.get("/benchmark?indicator=active_adults").text
    assert "no funnel: a survey&#39;s sample size is not in the extract" in html
    assert 'id="funnel-chart"' not in html


def test_api_gives_the_benchmark_for_the_workspace_place(client: TestClient) -> None:
    data = client.get("/api/benchmark?indicator=preventable_mortality").json()
    assert data["place"]["gss"] == TRAFFORD
    assert [o["id"] for o in data["outcomes"]] == ["preventable_mortality"]
    mine = next(p for p in data["outcomes"][0]["points"] if p["gss"] == TRAFFORD)
    assert mine["status"] and mine["denominator"] > 100_000
    assert {b["line"] for b in data["breaks"]} >= {"public_health", "police"}


def test_csv_download_holds_the_per_head_table(client: TestClient) -> None:
    response = client.get("/benchmark/per_head.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["comparator"] for r in rows} >= {TRAFFORD, "region", "england"}


def test_unknown_indicator_and_table_are_errors_in_the_one_shape(client: TestClient) -> None:
    bad = client.get("/api/benchmark?indicator=nope")
    assert bad.status_code == 422
    assert bad.json()["error"]["type"] == "InvalidRequest"
    missing = client.get("/benchmark/secrets.csv")
    assert missing.status_code == 404
    assert list(missing.json()) == ["error"]


def test_anonymous_is_refused_when_login_is_required(root: Path) -> None:
    guarded = TestClient(create_app(root, require_login=True), raise_server_exceptions=False)
    assert guarded.get("/api/benchmark").status_code == 401
    assert guarded.get("/benchmark/per_head.csv").status_code == 401
    page = guarded.get("/benchmark", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"


def test_a_place_not_in_the_register_gets_a_notice_and_another_council_can_be_chosen(
    tmp_path: Path,
) -> None:
    root = Workspace.create(tmp_path / "ws", ["E99999901"], "2017-18").root
    client = TestClient(create_app(root), raise_server_exceptions=False)
    page = client.get("/benchmark")
    assert page.status_code == 200
    assert 'class="notice"' in page.text and "/benchmark?place=NAME" in page.text
    chosen = client.get("/benchmark?place=Stockport&indicator=obese_year6")
    assert chosen.status_code == 200
    assert "Stockport (this council)" in chosen.text
    assert 'href="/benchmark/per_head.csv?place=Stockport"' in chosen.text
    assert client.get("/api/benchmark").status_code == 422


def test_neighbours_named_in_the_address_are_compared_and_kept_in_links(
    client: TestClient,
) -> None:
    html = client.get("/benchmark?neighbours=Stockport,Warrington").text
    assert "given (Stockport, Warrington)" in html
    assert 'href="/benchmark/per_head.csv?neighbours=Stockport%2CWarrington"' in html
    assert '<input type="hidden" name="neighbours" value="Stockport,Warrington">' in html


def test_benchmark_comes_after_overview_in_the_navigation_bar(client: TestClient) -> None:
    html = client.get("/benchmark").text
    assert html.index('href="/"') < html.index('href="/benchmark"')


def test_a_county_shows_its_districts_mean_where_none_is_published(client: TestClient) -> None:
    html = client.get("/benchmark?place=Kent&indicator=obese_reception").text
    assert "Kent (this council)" in html and "(districts' mean)" in html
