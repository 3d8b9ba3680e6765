"""The barriers register: each command, the history that is only ever
appended to, status moves that are checked, owners named through the
organisation registry, the asks by department, and a workshop's CSV that is
imported whole or not at all."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.culture import (
    add_barrier,
    asks_by_department,
    asks_markdown,
    import_csv,
    read_register,
    update_barrier,
)
from totalplace.culture.barriers import register_path
from totalplace.errors import ConfigError
from totalplace.workspace import Workspace

runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", ["E99999901"], "2010-11", name="Northmoor")


def _cli(*args: str) -> Any:
    return runner.invoke(app, list(args))


def _add(ws: Workspace, **fields: str) -> str:
    base = {"title": "Pooled budget blocked", "type": "ring-fence", "owner": "Department of Health"}
    return add_barrier(ws, {**base, **fields}, "tester").id


def test_add_and_list_json_give_the_register(ws: Workspace) -> None:
    r = _cli(
        "barriers",
        str(ws.root),
        "add",
        "--title",
        "Two inspection regimes",
        "--type",
        "performance-regime",
        "--owner",
        "Department of Health",
        "--impact-pounds",
        "1,250,000.50",
        "--ask",
        "One inspection for the pooled service",
        "--partners",
        "Northmoor PCT,City Council",
        "--theme",
        "Adult social care",
        "--json",
    )
    assert r.exit_code == 0, r.stdout
    added = json.loads(r.stdout)["barrier"]
    assert added["id"] == "B1"
    assert added["impact_pence"] == 125_000_050
    assert added["theme"] == "adult_social_care" and added["theme_label"] == "Adult social care"
    assert added["partners"] == ["Northmoor PCT", "City Council"]
    listed = json.loads(_cli("barriers", str(ws.root), "list", "--json").stdout)
    assert [b["id"] for b in listed["barriers"]] == ["B1"]
    assert listed["barriers"][0]["status"] == "raised"
    assert listed["barriers"][0]["history"][0]["to"] == "raised"


def test_owner_is_the_registry_department_whatever_name_is_typed(ws: Workspace) -> None:
    a = add_barrier(ws, {"title": "a", "type": "legislation", "owner": "DH"}, "t")
    b = add_barrier(ws, {"title": "b", "type": "legislation", "owner": "Department of Health"}, "t")
    c = add_barrier(ws, {"title": "c", "type": "culture", "owner": "Northmoor Partnership"}, "t")
    assert a.owner.body_id == b.owner.body_id == "dept-dh"
    assert a.owner.name == "Department of Health and Social Care" and a.owner.central
    assert (c.owner.body_id, c.owner.shown) == ("", "Northmoor Partnership")


def test_a_status_change_appends_to_the_history_and_never_rewrites_it(ws: Workspace) -> None:
    bid = _add(ws)
    first = read_register(ws.root)[0].history
    r = _cli(
        "barriers",
        str(ws.root),
        "update",
        bid,
        "--status",
        "escalated",
        "--note",
        "to the ministerial group",
        "--who",
        "chief.exec",
        "--json",
    )
    assert r.exit_code == 0, r.stdout
    update_barrier(ws, bid, "minister", "resolved", "ring-fence lifted")
    history = read_register(ws.root)[0].history
    assert history[: len(first)] == first  # the earlier entries are as they were
    moves = [(c.who, c.before, c.after, c.note) for c in history]
    assert moves == [
        ("tester", "", "raised", ""),
        ("chief.exec", "raised", "escalated", "to the ministerial group"),
        ("minister", "escalated", "resolved", "ring-fence lifted"),
    ]


def test_an_illegal_status_move_is_refused_naming_the_allowed_ones(ws: Workspace) -> None:
    bid = _add(ws)
    update_barrier(ws, bid, "t", "resolved")
    before = register_path(ws.root).read_bytes()
    r = _cli("barriers", str(ws.root), "update", bid, "--status", "escalated", "--json")
    assert r.exit_code == 2
    message = json.loads(r.stdout)["error"]["message"]
    assert "from resolved it can go to raised" in message and "not escalated" in message
    assert register_path(ws.root).read_bytes() == before


def test_a_field_change_is_kept_with_its_old_value(ws: Workspace) -> None:
    bid = _add(ws, impact_pounds="1000")
    update_barrier(ws, bid, "t", raw={"impact_pounds": "2500", "ask": "Lift it"})
    changes = {c.field: (c.before, c.after) for c in read_register(ws.root)[0].history[1:]}
    assert changes == {"impact_pence": ("100000", "250000"), "ask": ("", "Lift it")}


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--type", "red-tape", "not a type of barrier"),
        ("--impact-pounds", "12.345", "fractions of a penny"),
        ("--impact-pounds", "-5", "not an amount"),
        ("--theme", "helth", "did you mean health"),
    ],
)
def test_add_refuses_a_bad_value_naming_the_option(
    ws: Workspace, option: str, value: str, says: str
) -> None:
    args = ["--title", "t", "--type", "culture", "--owner", "Home Office", option, value]
    r = _cli("barriers", str(ws.root), "add", *args, "--json")
    assert r.exit_code == 2
    message = json.loads(r.stdout)["error"]["message"]
    assert message.startswith(option) and says in message
    assert not register_path(ws.root).exists()


def test_list_filters_by_status_and_type(ws: Workspace) -> None:
    _add(ws)
    other = _add(ws, type="data-sharing")
    update_barrier(ws, other, "t", "agreed")
    got = json.loads(_cli("barriers", str(ws.root), "list", "--status", "agreed", "--json").stdout)
    assert [b["id"] for b in got["barriers"]] == [other]
    got = json.loads(
        _cli("barriers", str(ws.root), "list", "--type", "ring-fence", "--json").stdout
    )
    assert [b["id"] for b in got["barriers"]] == ["B1"]


def test_asks_group_by_department_and_add_only_known_impacts(ws: Workspace) -> None:
    _add(ws, owner="DH", ask="Pool it", impact_pounds="300000")
    _add(ws, owner="Department of Health", ask="One target", impact_pounds="200000")
    _add(ws, owner="Department of Health", ask="Guidance")  # impact not known
    _add(ws, owner="Home Office", ask="Share data", impact_pounds="50000")
    dropped = _add(ws, owner="Home Office", ask="Old ask", impact_pounds="999999")
    update_barrier(ws, dropped, "t", "dropped")
    _add(ws, owner="Northmoor City Council")  # no ask
    got = json.loads(_cli("barriers", str(ws.root), "asks", "--json").stdout)
    groups = {g["department"]: g for g in got["asks"]}
    assert list(groups) == ["Department of Health and Social Care", "Home Office"]
    dh = groups["Department of Health and Social Care"]
    assert (dh["pence"], len(dh["asks"]), dh["asks_without_figure"]) == (50_000_000, 3, 1)
    assert groups["Home Office"]["pence"] == 5_000_000
    assert got["pence"] == 55_000_000


def test_asks_markdown_escapes_markup_in_what_people_typed(ws: Workspace) -> None:
    _add(ws, title="**urgent** <b>", ask="Remove [the] rule")
    text = asks_markdown(asks_by_department(read_register(ws.root)), "Northmoor")
    assert "\\*\\*urgent\\*\\* \\<b\\>" in text and "Remove \\[the\\] rule" in text
    md = _cli("barriers", str(ws.root), "asks", "--markdown")
    assert md.exit_code == 0 and md.stdout.startswith("# Asks of central government from Northmoor")


def test_export_escapes_formulas_and_import_round_trips_unchanged(
    ws: Workspace, tmp_path: Path
) -> None:
    _add(ws, title='=HYPERLINK("http://x")', ask="+1 more target", impact_pounds="1234.5")
    path = tmp_path / "register.csv"
    r = _cli("barriers", str(ws.root), "export", str(path), "--json")
    assert json.loads(r.stdout) == {"file": str(path), "barriers": 1}
    row = next(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    assert row["title"] == '\'=HYPERLINK("http://x")' and row["ask"] == "'+1 more target"
    before = register_path(ws.root).read_bytes()
    result = import_csv(ws, path, "t")
    assert (result.added, result.changed, result.unchanged) == ([], [], 1)
    assert register_path(ws.root).read_bytes() == before


def test_import_adds_new_rows_and_changes_rows_with_an_id(ws: Workspace, tmp_path: Path) -> None:
    _add(ws)
    path = tmp_path / "workshop.csv"
    path.write_text(
        "id,title,type,owner,status,note,impact_pounds\n"
        "B1,Pooled budget blocked,ring-fence,Department of Health,escalated,workshop,\n"
        ",Two targets for one service,performance-regime,Home Office,,,40000\n",
        encoding="utf-8",
    )
    r = _cli("barriers", str(ws.root), "import", str(path), "--who", "workshop", "--json")
    assert json.loads(r.stdout) == {
        "file": str(path),
        "added": ["B2"],
        "changed": ["B1"],
        "unchanged": 0,
    }
    b1, b2 = read_register(ws.root)
    assert (b1.status, b1.history[-1].who, b1.history[-1].note) == (
        "escalated",
        "workshop",
        "workshop",
    )
    assert (b2.status, b2.impact_pence, b2.owner.body_id) == (
        "raised",
        4_000_000,
        "dept-home-office",
    )


def test_import_refuses_a_bad_row_with_file_row_and_field_and_changes_nothing(
    ws: Workspace, tmp_path: Path
) -> None:
    _add(ws)
    before = register_path(ws.root).read_bytes()
    path = tmp_path / "sticky-notes.csv"
    path.write_text(
        "id,title,type,owner,status\n"
        ",Good row,culture,Home Office,\n"
        ",Bad type,red tape,Home Office,\n"
        "B1,Pooled budget blocked,ring-fence,Department of Health,resolved\n"
        "B1,Pooled budget blocked,ring-fence,Department of Health,escalated\n",
        encoding="utf-8",
    )
    r = _cli("barriers", str(ws.root), "import", str(path), "--json")
    assert r.exit_code == 2
    message = json.loads(r.stdout)["error"]["message"]
    assert str(path) in message and "nothing imported" in message
    assert "row 3, field type: 'red tape' is not a type" in message
    assert "row 5, field status: B1 is resolved; from resolved it can go to raised, not " in message
    assert register_path(ws.root).read_bytes() == before
    with pytest.raises(ConfigError, match="row 1: unknown column 'tittle'"):
        bad = tmp_path / "typo.csv"
        bad.write_text("tittle,type\nx,culture\n", encoding="utf-8")
        import_csv(ws, bad, "t")


def test_import_refuses_an_unknown_id(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("id,title,type,owner\nB9,x,culture,Home Office\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="row 2, field id: no barrier B9"):
        import_csv(ws, path, "t")
    assert not register_path(ws.root).exists()


def test_two_writers_at_once_both_land(ws: Workspace) -> None:
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            add_barrier(ws, {"title": f"t{i}", "type": "capacity", "owner": "Home Office"}, "t")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(b.id for b in read_register(ws.root)) == ["B1", "B2", "B3", "B4"]


def test_list_in_a_missing_workspace_uses_the_error_shape(tmp_path: Path) -> None:
    r = _cli("barriers", str(tmp_path / "nowhere"), "list", "--json")
    assert r.exit_code == 2 and list(json.loads(r.stdout)) == ["error"]


def test_the_demo_raises_barriers_at_several_statuses_with_decisions(ws: Workspace) -> None:
    from totalplace.count.cube import ORGS_DIR
    from totalplace.culture import read_decisions
    from totalplace.culture.demo import add_demo_culture
    from totalplace.demo import write_demo_bodies

    write_demo_bodies(ws.root / ORGS_DIR)
    add_demo_culture(ws)
    barriers = read_register(ws.root)
    assert {b.status for b in barriers} >= {"raised", "agreed", "escalated", "resolved"}
    assert {b.effect for b in barriers} == {"helps", "hinders"}
    city = next(b for b in barriers if b.type == "capacity")
    assert city.owner.body_id == "demo-northmoor-city"  # the workspace's own bodies
    assert [d.barrier for d in read_decisions(ws.root)] == ["", "B1", "B5"]


def test_commands_adding_at_once_from_separate_processes_all_land(ws: Workspace) -> None:
    import subprocess
    import sys

    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "totalplace",
                "barriers",
                str(ws.root),
                "add",
                "--title",
                f"t{i}",
                "--type",
                "capacity",
                "--owner",
                "Home Office",
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    ids = sorted(json.loads(out)["barrier"]["id"] for out, _ in outs)
    assert ids == ["B1", "B2", "B3"]
    assert sorted(b.title for b in read_register(ws.root)) == ["t0", "t1", "t2"]


def test_opportunity_ids_must_be_in_the_register_once_one_is_written(ws: Workspace) -> None:
    add_barrier(ws, {"title": "a", "type": "culture", "owner": "DH", "opportunities": "X-1"}, "t")
    (ws.root / "reports").mkdir()
    (ws.root / "reports" / "opportunities.csv").write_text(
        "id,kind\nback_office-1a2b,back_office\nshared_supplier-9f,shared_supplier\n",
        encoding="utf-8",
    )
    b = add_barrier(
        ws,
        {"title": "b", "type": "culture", "owner": "DH", "opportunities": "back_office-1a2b"},
        "t",
    )
    assert b.opportunities == ("back_office-1a2b",)
    with pytest.raises(
        ConfigError,
        match="--opportunities: 'back_office-1a2c' is not in the "
        "opportunity register; did you mean back_office-1a2b",
    ):
        add_barrier(
            ws,
            {"title": "c", "type": "culture", "owner": "DH", "opportunities": "back_office-1a2c"},
            "t",
        )
