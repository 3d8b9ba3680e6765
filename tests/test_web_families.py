"""The Families and Journeys pages: aggregates for all, one family for caseworkers, logged."""

from __future__ import annotations

import warnings
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from tests.web import PASSWORD, client_for, error_type
from totalplace.demo import DEMO_PLACE, DEMO_YEAR
from totalplace.families.audit import read_audit
from totalplace.families.events import LINKED_DIR, people_dir
from totalplace.families.place import write_synthetic
from totalplace.families.privacy import KEY_FILE
from totalplace.families.synth import ground_truth_clusters
from totalplace.web.app import create_app
from totalplace.web.users import User, add_user
from totalplace.workspace import Workspace

with warnings.catch_warnings():  # see test_web_api.py
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace.create(tmp_path_factory.mktemp("fam") / "ws", DEMO_PLACE, DEMO_YEAR)
    place = write_synthetic(ws.root, people=1500)
    clusters, homes = ground_truth_clusters(place)  # a perfect linkage stands in for Splink's
    linked = people_dir(ws.root) / LINKED_DIR
    linked.mkdir(parents=True)
    pacsv.write_csv(clusters, linked / "clusters.csv")
    pacsv.write_csv(homes, linked / "households.csv")
    (people_dir(ws.root) / "voice").mkdir(exist_ok=True)
    rows = ["question,response,theme"] + [
        f"Q1,The waiting list for a council home is far too long ({i}),Housing" for i in range(12)
    ]
    (people_dir(ws.root) / "voice" / "survey.csv").write_text("\n".join(rows) + "\n")
    for name, role in (("vic", "viewer"), ("ann", "analyst"), ("cara", "caseworker")):
        add_user(ws.root, name, role, PASSWORD)
    return ws


def _a_family(ws: Workspace) -> str:
    client = client_for(ws.root, "cara")
    html = client.get("/families").text
    return html.split('href="/families/F-', 1)[1].split('"', 1)[0].join(["F-", ""])


def test_caseworker_ranks_above_analyst_and_below_admin() -> None:
    cara = User("cara", "caseworker")
    assert cara.may("analyst") and cara.may("caseworker") and not cara.may("admin")
    assert not User("ann", "analyst").may("caseworker")
    assert User("root", "admin").may("caseworker")


def test_viewer_sees_the_aggregates_page_with_small_counts_withheld(ws: Workspace) -> None:
    client = client_for(ws.root, "vic")
    page = client.get("/families")
    assert page.status_code == 200
    assert "Westminster" in page.text and "/static/families.js" in page.text
    assert 'href="/families/F-' not in page.text  # no family's record is linked for a viewer
    data = client.get("/api/families").json()
    threshold = data["disclosure_threshold"]
    for row in data["by_agency_year"]["rows"]:
        assert row["families"] is None or row["families"] == 0 or row["families"] >= threshold
    assert "most_expensive" not in data
    assert data["westminster"]["likely_care_proceedings"] is None  # 40 - 35 = 5 < 10
    assert "£3,255,000.00" not in page.text


def test_journeys_of_all_families_are_the_families_pages_journeys_part(ws: Workspace) -> None:
    client = client_for(ws.root, "vic")
    moved = client.get("/journeys", follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"] == "/families#journeys"
    page = client.get("/journeys")
    assert page.status_code == 200 and '<h2 id="journeys">Journeys</h2>' in page.text


def test_caseworker_sees_westminster_exact(ws: Workspace) -> None:
    page = client_for(ws.root, "cara").get("/families")
    assert page.status_code == 200 and "£3,255,000.00" in page.text


def test_every_chart_has_a_csv_beside_it(ws: Workspace) -> None:
    client = client_for(ws.root, "vic")
    for name in ("agency_year", "sankey", "paths", "voice"):
        response = client.get(f"/families/{name}.csv")
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "text/csv"
        ), name
    voice = client.get("/families/voice.csv").text
    assert "Housing,12," in voice and "waiting list" not in voice  # counts, not free text


def test_what_residents_wrote_is_for_caseworkers_alone(ws: Workspace) -> None:
    for name in ("vic", "ann"):
        client = client_for(ws.root, name)
        for path in ("/families", "/api/families", "/families/voice.csv"):
            assert "waiting list" not in client.get(path).text, (name, path)
    cara = client_for(ws.root, "cara")
    themes = cara.get("/api/families").json()["voice"]["themes"]
    assert any("waiting list" in q for t in themes for q in t["quotes"])
    assert "waiting list" in cara.get("/families").text


def test_the_caseworkers_list_of_families_is_logged_one_line_a_family(ws: Workspace) -> None:
    before = len(read_audit(ws.root))
    page = client_for(ws.root, "cara").get("/families").text
    listed = [part.split('"', 1)[0] for part in page.split('href="/families/F-')[1:]]
    logged = read_audit(ws.root)[before:]
    assert len(logged) == len(listed) == 20
    assert {e["subject"] for e in logged} == {f"F-{x}" for x in listed}
    assert all(e["user"] == "cara" and e["page"] == "/families" for e in logged)
    before = len(read_audit(ws.root))
    client_for(ws.root, "vic").get("/families")
    assert len(read_audit(ws.root)) == before  # a viewer sees no family: nothing to log


def test_a_refused_events_file_is_named_without_its_rows(ws: Workspace, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "ws"
    shutil.copytree(ws.root, copy)
    events = people_dir(copy) / "events.csv"
    lines = events.read_text(encoding="utf-8").splitlines()
    record = lines[1].split(",")[1].strip('"')
    bad = lines[1].replace(lines[1].split(",")[2], "2011-02-31")
    events.write_text("\n".join([lines[0], bad]) + "\n", encoding="utf-8")
    for name in ("vic", "cara"):
        response = client_for(copy, name).get("/api/families")
        assert error_type(response, 404) == "NoFamilies"
        message = response.json()["error"]["message"]
        assert "events.csv" in message and record not in message and "2011-02-31" not in message
        assert str(copy) not in message


def test_a_theme_written_as_markup_shows_as_text(ws: Workspace, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "ws"
    shutil.copytree(ws.root, copy)
    rows = ["question,response,theme"] + [
        f"Q1,Something long enough to quote {i},<script>alert(1)</script>" for i in range(12)
    ]
    (people_dir(copy) / "voice" / "markup.csv").write_text("\n".join(rows) + "\n")
    page = client_for(copy, "cara").get("/families").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page


def test_one_family_is_refused_to_viewer_and_analyst(ws: Workspace) -> None:
    family = _a_family(ws)
    for name in ("vic", "ann"):
        client = client_for(ws.root, name)
        assert error_type(client.get(f"/api/families/{family}"), 403) == "Forbidden"
        assert error_type(client.get(f"/api/journeys/{family}"), 403) == "Forbidden"
        assert client.get(f"/families/{family}").status_code == 403
        assert client.get(f"/journeys/{family}").status_code == 403
        assert error_type(client.get(f"/families/{family}.csv"), 403) == "Forbidden"


def test_caseworker_sees_one_family_and_each_view_is_logged(ws: Workspace) -> None:
    family = _a_family(ws)
    before = len(read_audit(ws.root))
    client = client_for(ws.root, "cara")
    record = client.get(f"/api/families/{family}").json()
    assert record["family"] == family and record["events"]
    assert client.get(f"/families/{family}").status_code == 200
    journey = client.get(f"/journeys/{family}")
    assert journey.status_code == 200 and "journey-chart" in journey.text
    assert client.get(f"/families/{family}.csv").status_code == 200
    logged = read_audit(ws.root)[before:]
    assert [e["page"] for e in logged] == [
        f"/api/families/{family}",
        f"/families/{family}",
        f"/journeys/{family}",
        f"/families/{family}.csv",
    ]
    assert all(e["user"] == "cara" and e["subject"] == family for e in logged)


def test_unknown_family_is_not_found_and_not_logged(ws: Workspace) -> None:
    before = len(read_audit(ws.root))
    client = client_for(ws.root, "cara")
    assert error_type(client.get("/api/families/F-0000000000000000"), 404) == "NoSuchFamily"
    assert len(read_audit(ws.root)) == before


def test_no_page_or_download_holds_the_key_or_an_agency_record_id(ws: Workspace) -> None:
    key = (ws.root / KEY_FILE).read_text().strip()
    family = _a_family(ws)
    client = client_for(ws.root, "cara")
    texts = [
        client.get("/api/families").text,
        client.get(f"/api/families/{family}").text,
        client.get(f"/families/{family}.csv").text,
        client.get("/families").text,
    ]
    for text in texts:
        assert key not in text
        assert "CSC1" not in text and "HA1" not in text  # agencies' record ids


def test_page_without_person_level_data_says_how_to_add_it(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", DEMO_PLACE, DEMO_YEAR)
    client = TestClient(create_app(ws.root), raise_server_exceptions=False)
    page = client.get("/families")
    assert page.status_code == 200 and "synth-people" in page.text
    assert error_type(client.get("/api/families"), 404) == "NoFamilies"


def test_caseworker_sees_one_person_journey_alone_and_it_is_logged(ws: Workspace) -> None:
    family = _a_family(ws)
    client = client_for(ws.root, "cara")
    person = client.get(f"/api/families/{family}").json()["people"][0]
    journey = client.get(f"/api/journeys/{person}").json()
    assert journey["events"] and all(e["person"] == person for e in journey["events"])
    page = client.get(f"/journeys/{person}")
    assert page.status_code == 200 and "Journey of person" in page.text
    assert read_audit(ws.root)[-1]["subject"] == person
    assert error_type(client_for(ws.root, "ann").get(f"/api/journeys/{person}"), 403) == "Forbidden"


def test_the_page_says_how_the_people_were_linked_without_person_level_detail(
    ws: Workspace,
) -> None:
    """What the linkage did and warned of is on the page for every role, its
    small counts withheld and no server path shown."""
    import json

    summary = people_dir(ws.root) / LINKED_DIR / "summary.json"
    summary.write_text(
        json.dumps(
            {
                "threshold": 0.9,
                "engine": "duckdb",
                "records": 2119,
                "people": 851,
                "households": 402,
                "refused": 3,
                "training_notes": ["EM on pairs sharing dob could not be estimated"],
                "sources": [
                    {
                        "source": "police",
                        "path": "/srv/secret/police.csv",
                        "rows": 600,
                        "columns": {"first_name": "Forename", "dob": "DOB"},
                        "warnings": ["no column was read as the surname; columns not used: Nm"],
                    }
                ],
            }
        )
    )
    try:
        client = client_for(ws.root, "vic")
        page = client.get("/families").text
        data = client.get("/api/families").json()["linkage"]
    finally:
        summary.unlink()
    assert "2,119 records into" in page and "851 people" in page
    assert "no column was read as the surname" in page and "EM on pairs sharing dob" in page
    assert "/srv/secret" not in page and "path" not in data["sources"][0]
    assert data["refused"] is None  # 3 records: under the disclosure threshold
    assert "Refused: fewer than 10 records" in page
