"""A network of places: its method and version, joining, comparison and the
learning log, on workspaces whose counts are written by the test (no count
runs here; counting with a proposed method is in test_network_method.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.errors import ConfigError
from totalplace.method import all_files, method_hash
from totalplace.network import add_member, init_network, method_version, open_network
from totalplace.network.compare import comparison, render_html
from totalplace.network.learning import add_lesson, read_log
from totalplace.workspace import Workspace

runner = CliRunner()

RULE = """publisher = "Example Council"

[[rule]]
id = "example.care"
precedence = 500
theme = "{theme}"
match.service = ["Care"]
"""

# Leeds and Bradford: real codes, on the shipped boundaries
LEEDS, BRADFORD = "E08000035", "E08000032"


def _workspace(root: Path, code: str, name: str, theme: str = "adult_social_care") -> Path:
    Workspace.create(root, [code], "2010-11", name=name)
    (root / "rules").mkdir(exist_ok=True)
    (root / "rules" / "example.toml").write_text(RULE.format(theme=theme), encoding="utf-8")
    return root


def _write_count(
    root: Path, by_theme: dict[str, int], population: int, **extra: Any
) -> dict[str, Any]:
    """A count.json as ``totalplace count`` writes it (the fields compare reads)."""
    total = sum(by_theme.values())
    tiers = ("acute", "universal", "targeted")
    lines = [
        {
            "agency": "Example Council", "agency_type": "council", "funder": "x",
            "theme": theme, "function": "", "tier": tiers[i % 3], "capital_revenue": "revenue",
            "method": "transactions", "part": "bottom_up", "gross_net": "gross",
            "grade": "A", "pence": pence, "source": "test",
        }
        for i, (theme, pence) in enumerate(by_theme.items())
    ]  # fmt: skip
    data = {
        "place": {"spec": "x", "name": root.name, "as_was": []},
        "year": "2010-11",
        "engine": "duckdb",
        "population": population,
        "total_pence": total,
        "per_head_pence": round(total / population) if population else 0,
        "by_theme": by_theme,
        "lines": lines,
        "method_version": method_version(root),
        **extra,
    }
    (root / "reports").mkdir(exist_ok=True)
    (root / "reports" / "count.json").write_text(json.dumps(data), encoding="utf-8")
    return data


@pytest.fixture
def network(tmp_path: Path) -> Path:
    first = _workspace(tmp_path / "leeds", LEEDS, "Leeds")
    init_network(tmp_path / "net", "Test network", first)
    return tmp_path / "net"


def test_same_files_give_the_same_method_hash_and_a_changed_rule_another(tmp_path: Path) -> None:
    a = _workspace(tmp_path / "a", LEEDS, "A")
    b = _workspace(tmp_path / "b", BRADFORD, "B")
    assert method_hash(all_files(a)) == method_hash(all_files(b))
    (b / "rules" / "example.toml").write_text(RULE.format(theme="health"), encoding="utf-8")
    assert method_hash(all_files(a)) != method_hash(all_files(b))
    # the shipped taxonomy is part of the method
    assert any(name.endswith("data/taxonomy.toml") for name in all_files(a))


def test_member_with_a_different_rule_is_refused_naming_the_file(
    network: Path, tmp_path: Path
) -> None:
    other = _workspace(tmp_path / "bradford", BRADFORD, "Bradford", theme="health")
    (other / "scenarios").mkdir()
    (other / "scenarios" / "mine.toml").write_text("# a scenario\n", encoding="utf-8")
    net = open_network(network)
    with pytest.raises(ConfigError) as err:
        add_member(net, other)
    message = str(err.value)
    assert "rules/example.toml (differs)" in message
    assert "scenarios/mine.toml (only in the workspace)" in message
    assert open_network(network).members == []  # not added
    # the command line says the same, in the one error shape
    result = runner.invoke(app, ["network", "add", str(network), str(other), "--json"])
    assert result.exit_code == 2
    assert "rules/example.toml (differs)" in json.loads(result.stdout)["error"]["message"]


def test_take_method_gives_the_member_the_networks_rules(network: Path, tmp_path: Path) -> None:
    other = _workspace(tmp_path / "bradford", BRADFORD, "Bradford", theme="health")
    net = open_network(network)
    add_member(net, other, take_method=True)
    text = (other / "rules" / "example.toml").read_text(encoding="utf-8")
    assert 'theme = "adult_social_care"' in text
    stamp = method_version(other)
    assert stamp == {"hash": net.hash, "version": "1", "network": "Test network"}
    # a rule changed after joining: the hash no longer names the network's version
    (other / "rules" / "example.toml").write_text(RULE.format(theme="x"), encoding="utf-8")
    assert method_version(other)["version"] is None


def test_comparison_figures_equal_each_members_count_json(network: Path, tmp_path: Path) -> None:
    net = open_network(network)
    leeds = tmp_path / "leeds"
    bradford = _workspace(tmp_path / "bradford", BRADFORD, "Bradford")
    add_member(net, leeds, "Leeds")
    add_member(net, bradford, "Bradford")
    counts = {
        "Leeds": _write_count(
            leeds, {"adult_social_care": 30_000_000_00, "health": 99_99}, 750_000
        ),
        "Bradford": _write_count(bradford, {"adult_social_care": 200_000_00}, 0),
    }
    data = comparison(open_network(network))
    for member in data["members"]:
        count = counts[member["name"]]
        assert member["comparable"] is True
        assert member["total_pence"] == count["total_pence"]
        assert member["by_theme_pence"] == count["by_theme"]
    leeds_row = next(m for m in data["members"] if m["name"] == "Leeds")
    assert leeds_row["per_head_pence"] == counts["Leeds"]["per_head_pence"]
    assert leeds_row["by_theme_per_head_pence"]["adult_social_care"] == 4000  # £30m / 750,000
    # the prevention split places each line at its tier
    assert leeds_row["prevention"]["by_tier_pence"] == {
        "universal": 99_99, "targeted": 0, "acute": 30_000_000_00,
    }  # fmt: skip
    # no population: per head is not known, never £0
    bradford_row = next(m for m in data["members"] if m["name"] == "Bradford")
    assert bradford_row["per_head_pence"] is None
    assert data["common_themes"] == ["adult_social_care"]
    # the CLI's --json is the same comparison
    result = runner.invoke(app, ["network", "compare", str(network), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["members"][0]["total_pence"] == counts["Leeds"]["total_pence"]


def test_count_made_with_another_method_is_flagged_not_comparable(
    network: Path, tmp_path: Path
) -> None:
    net = open_network(network)
    add_member(net, tmp_path / "leeds", "Leeds")
    _write_count(tmp_path / "leeds", {"health": 100}, 10, method_version={"hash": "old"})
    (member,) = comparison(open_network(network))["members"]
    assert member["comparable"] is False
    assert "count it again" in member["note"]


def test_barriers_of_one_type_and_theme_in_two_places_recur(network: Path, tmp_path: Path) -> None:
    from totalplace.culture import add_barrier

    net = open_network(network)
    bradford = _workspace(tmp_path / "bradford", BRADFORD, "Bradford")
    add_member(net, tmp_path / "leeds", "Leeds")
    add_member(net, bradford, "Bradford")
    for root, title in ((tmp_path / "leeds", "Care grant ring-fence"), (bradford, "Pooled fund")):
        fields = {"title": title, "type": "ring-fence", "owner": "Department of Health"}
        add_barrier(Workspace.open(root), {**fields, "theme": "adult_social_care"}, "tester")
    only_one = {"title": "Data", "type": "data-sharing", "owner": "Home Office"}
    add_barrier(Workspace.open(bradford), only_one, "tester")
    (group,) = comparison(open_network(network))["recurring_barriers"]
    assert (group["type"], group["theme"]) == ("ring-fence", "adult_social_care")
    assert group["places"] == ["Bradford", "Leeds"]


def test_compare_map_page_has_the_map_and_the_tables(network: Path, tmp_path: Path) -> None:
    net = open_network(network)
    add_member(net, tmp_path / "leeds", "Leeds")
    _write_count(tmp_path / "leeds", {"adult_social_care": 30_000_000_00}, 750_000)
    out = tmp_path / "compare.html"
    result = runner.invoke(app, ["network", "compare", str(network), "--map", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "choropleth" in page and LEEDS in page  # the map, offline, with Leeds on it
    assert "£40.00" in page  # per head of adult social care, as the table shows it
    assert "<script src=" not in page  # plotly inline: opens without a network
    assert "window.PlotlyGeoAssets" in page  # and its base layers, never fetched from a CDN
    html = render_html(comparison(open_network(network)), [])
    assert "Per head by theme" in html


def test_learning_log_appends_and_names_the_case(network: Path, tmp_path: Path) -> None:
    net = open_network(network)
    add_member(net, tmp_path / "leeds", "Leeds")
    case = tmp_path / "leeds" / "cases" / "reablement.toml"
    case.parent.mkdir()
    case.write_text("# a case\n", encoding="utf-8")
    args = ["network", "learn", str(network), "add", "--place", "leeds", "--tried", "Reablement"]
    result = runner.invoke(app, [*args, "--happened", "Fewer admissions", "--case", str(case)])
    assert result.exit_code == 0, result.output
    add_lesson(open_network(network), "Leeds", "Pooled budget", "Agreed in March", "tester")
    log = read_log(open_network(network))
    assert [x.id for x in log] == ["L1", "L2"]
    assert log[0].case == "cases/reablement.toml" and log[0].place == "Leeds"
    listed = runner.invoke(app, ["network", "learn", str(network), "list", "--json"])
    assert [x["tried"] for x in json.loads(listed.stdout)["lessons"]] == [
        "Reablement",
        "Pooled budget",
    ]
    with pytest.raises(ConfigError, match="no member named"):
        add_lesson(open_network(network), "Nowhere", "x", "y", "tester")


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "x.txt").write_text("x")
    result = runner.invoke(app, ["network", "init", str(tmp_path / "net"), "--json"])
    assert result.exit_code == 2
    assert "not empty" in json.loads(result.stdout)["error"]["message"]


def test_network_page_shows_the_places_side_by_side(network: Path, tmp_path: Path) -> None:
    import warnings

    from starlette.exceptions import StarletteDeprecationWarning

    from totalplace.web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from fastapi.testclient import TestClient

    net = open_network(network)
    leeds, bradford = tmp_path / "leeds", _workspace(tmp_path / "bradford", BRADFORD, "Bradford")
    add_member(net, leeds, "Leeds")
    add_member(net, bradford, "Bradford")
    _write_count(leeds, {"adult_social_care": 30_000_000_00}, 750_000)
    _write_count(bradford, {"adult_social_care": 12_345_67}, 0)
    client = TestClient(create_app(leeds), raise_server_exceptions=False)
    page = client.get("/network")
    assert page.status_code == 200, page.text
    assert "£30,000,000.00" in page.text and "(£40.00)" in page.text  # Leeds: money, per head
    assert "£12,345.67" in page.text and "Bradford" in page.text
    assert '<a href="/network"' in page.text  # in the navigation bar
    api = client.get("/api/network").json()
    assert [m["total_pence"] for m in api["members"]] == [30_000_000_00, 12_345_67]
    csv_text = client.get("/network/themes.csv").text
    assert "Adult social care,3000000000,1234567,4000," in csv_text
    assert client.get("/static/network.js").status_code == 200
    # a workspace in no network says how to join, and its API says so in the one error shape
    alone = _workspace(tmp_path / "alone", LEEDS, "Alone")
    other = TestClient(create_app(alone), raise_server_exceptions=False)
    assert "in no network" in other.get("/network").text
    assert other.get("/api/network").json()["error"]["type"] == "NoNetwork"


def test_an_upgrade_that_changes_the_shipped_taxonomy_stops_members_joining(
    network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from totalplace import method

    shipped = method.shipped_files()
    changed = {**shipped, "shipped:data/taxonomy.toml": "0" * 64}
    monkeypatch.setattr(method, "shipped_files", lambda: changed)
    net = open_network(network)
    assert net.to_dict()["method_current"] is False
    with pytest.raises(ConfigError, match="not those method version 1 was recorded with"):
        add_member(net, tmp_path / "leeds", "Leeds")
    # a count made now is stamped with another hash, so it is not the network's version
    assert method_version(tmp_path / "leeds")["hash"] != net.hash


def test_the_network_commands_do_not_load_the_store_at_start_up() -> None:
    """The command line imports the network's commands when it starts: that must
    not load DuckDB or Arrow, which every other command pays for only when used."""
    import subprocess
    import sys

    code = (
        "import sys, totalplace.cli; "
        "print(sorted(m for m in ('duckdb', 'pyarrow', 'totalplace.workspace') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
