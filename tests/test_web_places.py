"""The Places page: every English authority's top-down count for a year, a
map of England drawn from the shipped 2013 boundaries (authorities merged
since drawn as their districts dissolved into one) and a sortable table,
with nothing fetched from any other server.

Most tests count with a stand-in for ``topdown_all`` (one line per current
authority, known figures) so they run in a second; one runs the real count."""

from __future__ import annotations

import json
import re
import sys
import types
import warnings
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from totalplace.reference.places import boundaries_lad13, registry
from totalplace.report.boundaries import _arcs, _area, _polygons, _Rings, england_geojson
from totalplace.web import page_places
from totalplace.web.app import create_app
from totalplace.web.page_places import GEOJSON_PATH
from totalplace.workspace import Workspace

with warnings.catch_warnings():  # see test_web_api.py
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

YEAR = "2012-13"
MANCHESTER = "E08000003"
# Authorities made since 2013 from several districts, and how many each.
MERGED = {
    "E06000058": 3, "E06000059": 5, "E06000060": 4, "E06000061": 4, "E06000062": 3,
    "E06000063": 3, "E06000064": 3, "E06000065": 7, "E06000066": 5, "E07000244": 2,
    "E07000245": 2,
}  # fmt: skip


def _current() -> list[Any]:
    return sorted(
        (a for a in registry().authorities(current_only=True) if a.lowest_tier),
        key=lambda a: a.gss,
    )


def _stand_in(year: str) -> dict[str, Any]:
    """``topdown --all --json``'s shape with known figures: authority n spends
    £(n + 1) million, so the places add up to England by construction."""
    places = []
    for n, a in enumerate(_current()):
        total = (n + 1) * 100_000_000
        population = registry().population(a.gss, 2012)[0]
        places.append(
            {"gss": a.gss, "name": a.nice_name, "kind": a.kind, "region": a.region,
             "total_pence": total, "current_pence": total, "capital_pence": 0,
             "population": population, "per_head_pence": round(total / population),
             "by_theme": {"health": total}}
        )  # fmt: skip
    return {
        "year": year,
        "england_total_pence": sum(p["total_pence"] for p in places),
        "places": places,
        "counties": [],
    }


@pytest.fixture
def national(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("totalplace.count.national")
    fake.topdown_all = _stand_in  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "totalplace.count.national", fake)
    monkeypatch.setattr(page_places, "_years", {})


def _client(tmp_path: Path, place: str = MANCHESTER, login: bool = False) -> TestClient:
    ws = Workspace.create(tmp_path / "ws", [place], YEAR)
    return TestClient(create_app(ws.root, login), raise_server_exceptions=False)


def _chart(html: str) -> dict[str, Any]:
    block = html.split('<script id="chart-data" type="application/json">', 1)[1]
    data: dict[str, Any] = json.loads(block.split("</script>", 1)[0])
    return data


def test_the_table_adds_up_to_englands_total(tmp_path: Path, national: None) -> None:
    client = _client(tmp_path)
    got = client.get("/api/places", params={"year": YEAR}).json()
    assert got["total"] == len(got["places"]) == len(_current()) == 296
    assert sum(p["total_pence"] for p in got["places"]) == got["england_total_pence"]
    html = client.get("/places", params={"year": YEAR}).text
    assert html.count("<tr data-name=") + html.count('<tr class="ours"') == 296
    # opened sorted by name, as the Authority heading's aria-sort says
    names = re.findall(r'<tr(?: class="ours")? data-name="([^"]*)"', html)
    assert names == sorted(names, key=str.casefold) and names[0] == "Adur"
    assert '<th scope="col" aria-sort="ascending"><button type="button" data-key="name">' in html
    rows = client.get("/places.csv", params={"year": YEAR}).text.strip().splitlines()
    assert len(rows) == 297
    assert sum(int(r.split(",")[-5]) for r in rows[1:]) == got["england_total_pence"]


def test_the_real_count_of_every_authority_adds_up_to_england(tmp_path: Path) -> None:
    page_places._years.clear()
    got = _client(tmp_path).get("/api/places", params={"year": YEAR}).json()
    assert len(got["places"]) == 296 and not got["not_drawn"]
    assert sum(p["total_pence"] for p in got["places"]) == got["england_total_pence"] > 0
    mine = [p for p in got["places"] if p["ours"]]
    assert [p["gss"] for p in mine] == [MANCHESTER]


def test_the_map_draws_every_current_authority(tmp_path: Path, national: None) -> None:
    features = england_geojson()["features"]
    assert {f["id"] for f in features} == {a.gss for a in _current()}
    dissolved = {f["id"]: len(f["properties"]["lad13"]) for f in features
                 if f["properties"]["drawn"] == "dissolved"}  # fmt: skip
    assert dissolved == MERGED
    got = _client(tmp_path).get("/api/places", params={"year": YEAR}).json()
    assert got["not_drawn"] == []
    assert {p["drawn"] for p in got["places"]} == {"same", "dissolved"}


def test_a_merged_authority_is_one_area_with_its_districts_area() -> None:
    """Guards the dissolve: Buckinghamshire (four districts of 2013) is drawn
    as one polygon with no inner borders, not four; and at full resolution
    each merged authority covers exactly its districts' area."""
    features = {f["id"]: f for f in england_geojson()["features"]}
    assert len(features["E06000060"]["geometry"]["coordinates"]) == 1
    assert len(features["E06000060"]["geometry"]["coordinates"][0]) == 1  # no hole
    topology = boundaries_lad13()
    full = _Rings(_arcs(topology))
    geometries = {g["id"]: g for g in topology["objects"]["lad"]["geometries"]}
    for gss in MERGED:
        polygons = [p for c in features[gss]["properties"]["lad13"]
                    for p in _polygons(geometries[c])]  # fmt: skip
        parts = sum(_area(full.ring(refs)) for polygon in polygons for refs in polygon)
        whole = sum(_area(ring) for shape in full.dissolve(polygons) for ring in shape)
        assert whole < 0 and abs(whole - parts) <= abs(parts) * 1e-4, gss
        assert all(r[0] == r[-1] for s in full.dissolve(polygons) for r in s), gss


def test_the_boundaries_are_served_compact_and_cached(tmp_path: Path) -> None:
    client = _client(tmp_path)
    response = client.get(GEOJSON_PATH)
    assert response.status_code == 200
    assert len(response.content) < 1_000_000
    assert "max-age" in response.headers["cache-control"]
    again = client.get(GEOJSON_PATH, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and not again.content
    features = response.json()["features"]
    assert len(features) == 296
    lon, lat = features[0]["geometry"]["coordinates"][0][0][0]
    assert -6.5 < lon < 2 and 49.8 < lat < 56  # England, in degrees


def test_the_workspaces_place_is_marked(tmp_path: Path, national: None) -> None:
    html = _client(tmp_path).get("/places").text
    assert "The workspace's place is marked: Manchester." in html
    assert re.search(r'<tr class="ours" data-name="Manchester"', html)
    assert html.count("(this workspace)") == 1
    assert _chart(html)["ours"] == [MANCHESTER]


def test_a_county_workspace_marks_its_districts(tmp_path: Path, national: None) -> None:
    lancashire = registry().find("Lancashire")
    districts = set(registry().units(lancashire.gss))
    assert len(districts) > 5
    html = _client(tmp_path, place=lancashire.gss).get("/places").text
    assert set(_chart(html)["ours"]) == districts


def test_a_year_the_data_do_not_hold_is_said_plainly(tmp_path: Path) -> None:
    page_places._years.clear()
    client = _client(tmp_path)
    error = client.get("/api/places", params={"year": "2030-31"}).json()["error"]
    assert error["type"] == "ConfigError" and "2030-31" in error["message"]
    page = client.get("/places", params={"year": "2030-31"})
    assert page.status_code == 422 and 'class="notice"' in page.text
    assert "2030-31" in page.text and "places-map" not in page.text


def test_a_bad_year_is_refused_in_the_error_shape(tmp_path: Path, national: None) -> None:
    client = _client(tmp_path)
    response = client.get("/api/places", params={"year": "2012"})
    assert response.status_code == 422
    assert list(response.json()) == ["error"]
    assert "2010-11" in response.json()["error"]["message"]
    assert client.get("/places", params={"year": "2012"}).status_code == 422


def test_the_page_fetches_nothing_from_elsewhere(tmp_path: Path, national: None) -> None:
    """Plotly's map fetches world base layers from its CDN unless told where:
    the page points it at this server, which answers with an empty topology,
    and the map is a plain choropleth with no tile layer."""
    client = _client(tmp_path)
    html = client.get("/places").text
    addresses = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert all(a.startswith(("/", "#", "data:")) for a in addresses), addresses
    assert "http://" not in html and "https://" not in html
    script = client.get("/static/places.js").text
    assert "http" not in script and "topojsonURL" in script
    assert "type: 'choropleth'" in script and "visible: false" in script
    assert "fitbounds: 'locations'" in script
    assert not re.search(r"mapbox|choroplethmap|tile", script, re.IGNORECASE)
    chart = _chart(html)
    assert chart["geojson"] == GEOJSON_PATH and chart["topojson"].startswith("/")
    base = client.get(chart["topojson"] + "world_110m.json")
    assert base.status_code == 200 and base.json()["objects"] == {}
    assert client.get(chart["topojson"] + "..%2Fsecret").status_code == 404


def test_every_places_route_refuses_anonymous_when_login_is_required(
    tmp_path: Path, national: None
) -> None:
    client = _client(tmp_path, login=True)
    for route in ("/api/places", "/places.csv", GEOJSON_PATH, "/static/geo/world_110m.json"):
        response = client.get(route)
        assert response.status_code == 401, route
        assert response.json()["error"]["type"] == "LoginRequired"
    page = client.get("/places", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
