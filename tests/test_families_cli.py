"""`totalplace synth-people` and `totalplace families`: thin commands over the family view."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from totalplace.cli import app as cli
from totalplace.demo import DEMO_PLACE, DEMO_YEAR
from totalplace.families.events import LINKED_DIR, people_dir
from totalplace.families.place import write_synthetic
from totalplace.families.synth import ground_truth_clusters
from totalplace.workspace import Workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace.create(tmp_path_factory.mktemp("cli") / "ws", DEMO_PLACE, DEMO_YEAR)
    runner = CliRunner()
    made = runner.invoke(cli, ["synth-people", str(ws.root), "--people", "1500", "--no-link",
                               "--json"])  # fmt: skip
    assert made.exit_code == 0, made.stdout
    assert json.loads(made.stdout)["people"] == 1500
    place = write_synthetic(ws.root, people=1500)  # the same seed: the same place
    clusters, homes = ground_truth_clusters(place)
    linked = people_dir(ws.root) / LINKED_DIR
    linked.mkdir(parents=True)
    pacsv.write_csv(clusters, linked / "clusters.csv")
    pacsv.write_csv(homes, linked / "households.csv")
    return ws


def test_families_json_is_aggregates_without_any_family_unless_asked(ws: Workspace) -> None:
    out = CliRunner().invoke(cli, ["families", str(ws.root), "--json"])
    assert out.exit_code == 0, out.stdout
    report = json.loads(out.stdout)
    assert report["westminster"]["families_extreme_asb"] == 40
    assert report["westminster"]["likely_care_proceedings"] is None  # 40 - 35 = 5 < 10
    assert "most_expensive" not in report and "F-" not in out.stdout
    deeper = json.loads(
        CliRunner()
        .invoke(cli, ["families", str(ws.root), "--json", "--person-level", "--top", "3"])
        .stdout
    )
    assert len(deeper["most_expensive"]) == 3
    assert deeper["most_expensive"][0]["family"].startswith("F-")
    assert deeper["westminster"]["cost_pence"] == 35 * 9_300_000


def test_families_prints_the_westminster_line(ws: Workspace) -> None:
    out = CliRunner().invoke(cli, ["families", str(ws.root), "--person-level"])
    assert out.exit_code == 0, out.stdout
    assert "35 likely to need care proceedings" in out.stdout
    assert "£3,255,000.00" in out.stdout


def test_families_without_a_linkage_says_which_command_makes_it(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", DEMO_PLACE, DEMO_YEAR)
    write_synthetic(ws.root, people=200, scenario=None)
    out = CliRunner().invoke(cli, ["families", str(ws.root), "--json"])
    assert out.exit_code == 2
    error = json.loads(out.stdout)["error"]
    assert error["type"] == "ConfigError" and "totalplace link" in error["message"]


def test_unknown_price_year_is_a_usage_error(ws: Workspace) -> None:
    out = CliRunner().invoke(cli, ["families", str(ws.root), "--json", "--price-year", "1970-71"])
    assert out.exit_code == 2
    assert "no GDP deflator" in json.loads(out.stdout)["error"]["message"]


def test_families_says_what_it_could_not_use(ws: Workspace, tmp_path: Path) -> None:
    """Contacts of records the linkage does not hold, and columns not read,
    are said when the command prints, not only in --json."""
    import shutil

    copy = tmp_path / "ws"
    shutil.copytree(ws.root, copy)
    events = people_dir(copy) / "events.csv"
    lines = events.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ',"Officer"'] + [line + ',"A. Clerk"' for line in lines[1:]]
    lines.append('"police","NOT-LINKED-1",2011-05-01,"Police","Arrest","CR7.0","A. Clerk"')
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["families", str(copy)])
    assert out.exit_code == 0, out.stdout
    assert "contacts naming a record the linkage does not hold: 1;" in out.stdout
    assert "columns of the events file not read: Officer" in out.stdout
    report = json.loads(CliRunner().invoke(cli, ["families", str(copy), "--json"]).stdout)
    assert report["unlinked_events"] == 1 and report["ignored_columns"] == ["Officer"]


def test_quotes_only_with_person_level_access(ws: Workspace) -> None:
    """What residents wrote is free text that may name someone: the command
    gives quotes only to --person-level, as the dashboard gives them only to
    caseworkers; counts for everyone."""
    voice = people_dir(ws.root) / "voice"
    voice.mkdir(exist_ok=True)
    rows = ["question,response,theme"]
    rows += [f"Q1,Repairs take months number {i},Housing" for i in range(12)]
    (voice / "survey.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    try:
        plain = json.loads(CliRunner().invoke(cli, ["families", str(ws.root), "--json"]).stdout)
        deep = json.loads(
            CliRunner().invoke(cli, ["families", str(ws.root), "--json", "--person-level"]).stdout
        )
    finally:
        (voice / "survey.csv").unlink()
    housing = [t for t in plain["voice"]["themes"] if t["theme"] == "Housing"]
    assert housing and housing[0]["responses"] == 12 and not housing[0]["quotes"]
    quoted = next(t for t in deep["voice"]["themes"] if t["theme"] == "Housing")["quotes"]
    assert len(quoted) == 3 and all(q.startswith("Repairs take months") for q in quoted)


def test_families_prints_how_the_people_were_linked(ws: Workspace, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "ws"
    shutil.copytree(ws.root, copy)
    source = {"source": "police", "rows": 600, "columns": {},
              "warnings": ["no column was read as the surname"]}  # fmt: skip
    summary = {"threshold": 0.9, "engine": "duckdb", "records": 2119, "people": 851,
               "households": 402, "refused": 0, "training_notes": [],
               "sources": [source]}  # fmt: skip
    (people_dir(copy) / LINKED_DIR / "summary.json").write_text(json.dumps(summary))
    out = CliRunner().invoke(cli, ["families", str(copy)])
    assert out.exit_code == 0, out.stdout
    assert "linked: 2,119 records into 851 people (match probability 0.9, duckdb)" in out.stdout
    assert "police: no column was read as the surname" in out.stdout
