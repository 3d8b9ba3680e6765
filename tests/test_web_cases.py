"""The Cases page and API: every case file in the workspace's cases/ folder, its
figures the same as ``totalplace case FILE --json``, a broken file listed with its
error, no address reaching outside the folder, and login enforced."""

from __future__ import annotations

import copy
import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from totalplace.cli import app as cli
from totalplace.demo import DEMO_PLACE, DEMO_YEAR, run_demo
from totalplace.money import display_pounds
from totalplace.web.app import create_app
from totalplace.workspace import Workspace

from .test_case_engine import HAND_CASE
from .test_case_html import MINUS, WESTMINSTER, parse

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

runner = CliRunner()
BROKEN = "outcomes[0].deadweight"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose cases/ folder holds the Westminster case, a hand-made one,
    one with a value out of range and one that is not TOML."""
    ws = Workspace.create(tmp_path_factory.mktemp("cases") / "ws", DEMO_PLACE, DEMO_YEAR)
    folder = ws.root / "cases"
    folder.mkdir()
    shutil.copy(WESTMINSTER, folder / "westminster.toml")
    (folder / "hand.toml").write_text(tomli_w.dumps(HAND_CASE), encoding="utf-8")
    broken = copy.deepcopy(HAND_CASE)
    broken["outcomes"][0]["deadweight"] = 1.5
    (folder / "broken.toml").write_text(tomli_w.dumps(broken), encoding="utf-8")
    (folder / "garbled.toml").write_text("[case\ntitle = 'x'\n", encoding="utf-8")
    return ws.root


@pytest.fixture(scope="module")
def client(root: Path) -> TestClient:
    return TestClient(create_app(root), raise_server_exceptions=False)


def _case_json(path: Path) -> dict[str, Any]:
    out = runner.invoke(cli, ["case", str(path), "--json"])
    assert out.exit_code == 0, out.output
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def _error(response: Any, status: int, type_: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and body["error"]["type"] == type_
    return str(body["error"]["message"])


def test_list_gives_each_cases_headline_as_case_json_does(client: TestClient, root: Path) -> None:
    got = {c["name"]: c for c in client.get("/api/cases").json()["cases"]}
    assert sorted(got) == ["broken", "garbled", "hand", "westminster"]
    for name in ("hand", "westminster"):
        want = _case_json(root / "cases" / f"{name}.toml")
        for key in ("npv_pence", "bcr", "roi", "payback_years"):
            assert got[name][key] == want[key], (name, key)
        assert got[name]["title"] == want["title"] and got[name]["error"] is None
    page = client.get("/cases")
    assert page.status_code == 200
    npv = display_pounds(got["westminster"]["npv_pence"])
    assert npv.startswith(f"{MINUS}£") and npv in page.text
    assert 'href="/cases/westminster"' in page.text


def test_case_page_shows_the_figures_of_case_json(client: TestClient, root: Path) -> None:
    want = _case_json(root / "cases" / "westminster.toml")
    response = client.get("/cases/westminster")
    assert response.status_code == 200, response.text
    page = parse(response.text)
    assert page.row("headline", "Net present value (NPV)")[1:] == [
        display_pounds(want["npv_pence"]),
        display_pounds(want["fiscal"]["npv_pence"]),
    ]
    assert page.row("headline", "Benefit-cost ratio (BCR)")[1] == f"{want['bcr']:.2f}"
    # the same seeded draws as the command: the same percentiles to the penny
    mc = want["monte_carlo"]
    assert page.row("monte-carlo", "NPV, P10 (one run in ten is lower)")[1] == display_pounds(
        mc["npv_p10_pence"]
    )
    api = client.get("/api/cases/westminster").json()
    for key in ("npv_pence", "bcr", "roi", "payback_years", "by_agency", "monte_carlo"):
        assert api[key] == want[key], key
    assert api["tornado"] == want["tornado"]
    assert api["file"] == "cases/westminster.toml"


def test_negative_amounts_show_the_minus_sign(client: TestClient) -> None:
    text = client.get("/cases/westminster").text
    main = text[text.index('<main id="main">') : text.index("</main>")]
    assert f"{MINUS}£" in main and "-£" not in main


def test_tornado_bars_are_the_inputs_described_in_words(client: TestClient) -> None:
    page = parse(client.get("/cases/westminster").text)
    [labels] = [t["y"] for t in page.figures()["tornado"]["data"][:1]]  # type: ignore[index]
    names = [label.replace("<br>", " ") for label in labels]
    assert names[0] == "Care proceedings avoided: share of those at risk who change"
    assert not any("[" in n or n.startswith(("outcomes", "costs", "cohort")) for n in names)
    api = client.get("/api/cases/westminster").json()
    assert api["inputs"]["outcomes[0].change"] == names[0]


def test_a_broken_case_file_shows_its_error_and_the_list_still_works(
    client: TestClient,
) -> None:
    got = {c["name"]: c for c in client.get("/api/cases").json()["cases"]}
    error = got["broken"]["error"]
    assert error["type"] == "ConfigError"
    assert error["message"].startswith(f"cases/broken.toml: {BROKEN}: the value 1.5 is over 1")
    assert got["garbled"]["error"]["message"].startswith("cases/garbled.toml: not valid TOML")
    page = client.get("/cases")
    assert page.status_code == 200
    assert f"cases/broken.toml: {BROKEN}" in page.text and "Westminster family" in page.text
    one = client.get("/cases/broken")
    assert one.status_code == 422 and f"cases/broken.toml: {BROKEN}" in one.text
    message = _error(client.get("/api/cases/broken"), 422, "ConfigError")
    assert message.startswith("cases/broken.toml")


def test_an_address_cannot_reach_outside_the_cases_folder(
    client: TestClient, root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.toml"
    shutil.copy(WESTMINSTER, outside)
    (root / "cases" / "linked.toml").symlink_to(outside)
    try:
        for url in (
            "/api/cases/..%2Fusers",
            "/api/cases/..%2F..%2Fsecret",
            "/api/cases/%2E%2E",
            "/api/cases/westminster.toml",
            "/api/cases/linked",
            "/cases/..%2Fworkspace",
            "/cases/westminster%2F..%2F..%2Fsecret/headline.csv",
        ):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "Westminster family" not in response.text, url
        assert "linked" not in {c["name"] for c in client.get("/api/cases").json()["cases"]}
        assert "NoSuchCase" in client.get("/api/cases/linked").text
    finally:
        (root / "cases" / "linked.toml").unlink()


def test_tables_download_as_csv(client: TestClient) -> None:
    want = client.get("/api/cases/westminster").json()
    response = client.get("/cases/westminster/headline.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "Measure,Public value,Fiscal"
    npv = f"{want['npv_pence'] / 100:.2f}"
    assert f"Net present value (NPV),{npv}," in response.text
    page = client.get("/cases/westminster").text
    assert 'href="/cases/westminster/tornado.csv"' in page
    assert client.get("/cases/westminster/tornado.csv").status_code == 200
    _error(client.get("/cases/westminster/nothing.csv"), 404, "NotFound")


def test_charts_are_drawn_by_a_served_script_not_an_inline_one(client: TestClient) -> None:
    page = parse(client.get("/cases/westminster").text)
    for attrs, text in page.scripts:
        assert attrs.get("src") or attrs.get("type") == "application/json", (attrs, text[:80])
    assert {a.get("src") for a, _ in page.scripts} >= {"/static/case.js", "/static/plotly.min.js"}
    script = client.get("/static/case.js")
    assert script.status_code == 200 and "Plotly.newPlot" in script.text
    assert set(page.figures()) == {"waterfall", "flows", "histogram", "tornado"}


def test_names_from_case_files_are_escaped(root: Path, tmp_path: Path) -> None:
    raw = copy.deepcopy(HAND_CASE)
    raw["case"]["title"] = "<script>alert(1)</script>"
    raw["agencies"] = {"<b>Council</b>": "local", "NHS": {"level": "national"}}
    raw["costs"][0]["agency"] = "<b>Council</b>"
    raw["outcomes"][0]["bearers"][1]["agency"] = "<b>Council</b>"
    folder = tmp_path / "ws"
    Workspace.create(folder, DEMO_PLACE, DEMO_YEAR)
    (folder / "cases").mkdir()
    (folder / "cases" / "x.toml").write_text(tomli_w.dumps(raw), encoding="utf-8")
    client = TestClient(create_app(folder), raise_server_exceptions=False)
    for url in ("/cases", "/cases/x"):
        text = client.get(url).text
        assert "<script>alert(1)" not in text and "<b>Council" not in text
        assert "&lt;script&gt;alert(1)" in text


def test_anonymous_requests_are_refused_when_login_is_required(root: Path) -> None:
    client = TestClient(create_app(root, require_login=True), raise_server_exceptions=False)
    for url in ("/api/cases", "/api/cases/westminster", "/cases/westminster/headline.csv"):
        _error(client.get(url), 401, "LoginRequired")
    for url in ("/cases", "/cases/westminster"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"


def test_demo_workspace_lists_the_shipped_cases(tmp_path: Path) -> None:
    _, ws = run_demo(tmp_path / "demo")
    assert sorted(p.name for p in (ws.root / "cases").iterdir()) == [
        "birmingham_drug_treatment.toml",
        "birmingham_early_intervention.toml",
        "westminster_family_recovery.toml",
    ]
    assert (ws.root / "cases" / "westminster_family_recovery.toml").read_text(
        encoding="utf-8"
    ) == WESTMINSTER.read_text(encoding="utf-8")
    client = TestClient(create_app(ws.root), raise_server_exceptions=False)
    listed = client.get("/api/cases").json()["cases"]
    assert len(listed) == 3 and all(c["error"] is None for c in listed)
