"""A network as a reviewer tries it on real places: a county member, members
counted for different years or covering each other, a count made before its
place joined, a member folder moved away, a member not counted yet.  Counts
are written by the test (as in test_network.py); no count runs here."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.test_network import BRADFORD, LEEDS, _workspace, _write_count
from totalplace.cli import app
from totalplace.network import add_member, init_network, open_network
from totalplace.network.compare import comparison
from totalplace.network.report import _map
from totalplace.report.boundaries import map_codes
from totalplace.workspace import Workspace

runner = CliRunner()
LANCASHIRE = "E10000017"  # a county: not itself on the district boundaries
NORTH_YORKSHIRE_COUNTY = "E10000023"  # abolished in 2023; a unitary covers it now


def test_a_county_member_is_drawn_as_its_districts_on_the_map() -> None:
    drawn, not_drawn = map_codes([LANCASHIRE], "2010-11")
    assert len(drawn) == 12 and not not_drawn  # Lancashire's twelve districts
    assert map_codes([NORTH_YORKSHIRE_COUNTY], "2010-11") == (["E06000065"], [])
    member = {"name": "Lancashire", "place": [LANCASHIRE], "year": "2010-11",
              "per_head_pence": 865_096}  # fmt: skip
    chart, missing = _map({"counted": [member]})
    assert missing == []
    assert chart.svg.count("Lancashire: £8,650.96 per head</title>") == 12 * 2  # map and inset


def test_a_count_made_before_joining_shows_the_networks_version(tmp_path: Path) -> None:
    leeds = _workspace(tmp_path / "leeds", LEEDS, "Leeds")
    _write_count(leeds, {"health": 100_00}, 10)  # stamped with no network yet
    net = init_network(tmp_path / "net", "Test network", leeds)
    add_member(net, leeds, "Leeds")
    [row] = comparison(open_network(net.root))["members"]
    assert row["method_version"]["version"] is None
    assert row["counted_with_version"] == "1" and row["comparable"]


def test_members_of_different_years_and_overlapping_areas_are_cautioned(tmp_path: Path) -> None:
    leeds = _workspace(tmp_path / "leeds", LEEDS, "Leeds")
    later = tmp_path / "bradford"
    Workspace.create(later, [BRADFORD], "2017-18", name="Bradford")
    shutil.copytree(leeds / "rules", later / "rules")
    both = tmp_path / "both"
    Workspace.create(both, [LEEDS, BRADFORD], "2010-11", name="Both")
    shutil.copytree(leeds / "rules", both / "rules")
    net = init_network(tmp_path / "net", "Test network", leeds)
    for root, name in ((leeds, "Leeds"), (later, "Bradford"), (both, "Both")):
        add_member(net, root, name)
        _write_count(root, {"health": 100_00}, 10)
    cautions = comparison(open_network(net.root))["cautions"]
    assert any("different years (2010-11: Leeds, Both; 2017-18: Bradford)" in c for c in cautions)
    assert any(c.startswith("Both covers Leeds: that money is in both counts") for c in cautions)
    assert any(c.startswith("Both covers Bradford: that money") for c in cautions)
    result = runner.invoke(app, ["network", "compare", str(net.root)])
    assert "note: the members are counted for different years" in result.output


def test_a_moved_member_and_an_uncounted_one_say_what_to_do(tmp_path: Path) -> None:
    leeds = _workspace(tmp_path / "leeds", LEEDS, "Leeds")
    bradford = _workspace(tmp_path / "bradford", BRADFORD, "Bradford")
    net = init_network(tmp_path / "net", "Test network", leeds)
    add_member(net, leeds, "Leeds")
    add_member(net, bradford, "Bradford")
    leeds.rename(tmp_path / "elsewhere")
    rows = {m["name"]: m for m in comparison(open_network(net.root))["members"]}
    assert rows["Leeds"]["note"].startswith(f"no workspace at {leeds} (moved or deleted")
    assert "network.toml" in rows["Leeds"]["note"]
    assert rows["Bradford"]["note"] == f"not counted yet: totalplace count {bradford}"
    status = runner.invoke(app, ["network", "status", str(net.root)])
    assert status.exit_code == 0
    out = " ".join(status.output.split())
    assert f"Leeds: no workspace at {leeds} (moved or deleted)" in out
    assert f"Bradford: follows the method, not counted yet: totalplace count {bradford}" in out


def test_a_member_that_cannot_be_counted_does_not_stop_a_proposal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bradford for 2018-19 (no regional lines, no --gross) cannot be counted:
    the proposal still shows the others, and names Bradford with why; a member
    moved away is named too, and the change cannot be adopted until it is back."""
    from totalplace.errors import ConfigError
    from totalplace.network import propose as proposing

    leeds = _workspace(tmp_path / "leeds", LEEDS, "Leeds")
    bradford = _workspace(tmp_path / "bradford", BRADFORD, "Bradford")
    gone = _workspace(tmp_path / "gone", "E08000033", "Calderdale")
    net = init_network(tmp_path / "net", "Test network", leeds)
    for root, name in ((leeds, "Leeds"), (bradford, "Bradford"), (gone, "Calderdale")):
        add_member(net, root, name)
    _write_count(leeds, {"health": 100_00}, 10)
    shutil.rmtree(gone)

    def count(root: Path, engine: str) -> dict[str, Any]:
        if "bradford" in str(root):
            raise ConfigError("no regional spending for 2018-19; years run 2004-05 to 2017-18")
        return {"total_pence": 90_00, "per_head_pence": 9_00, "by_theme": {"health": 90_00}}

    monkeypatch.setattr(proposing, "_count", count)
    proposal = tmp_path / "proposal"
    shutil.copytree(net.method_dir, proposal)
    (proposal / "rules" / "example.toml").write_text(
        (leeds / "rules" / "example.toml").read_text().replace("adult_social_care", "health")
    )
    network = open_network(net.root)
    result = proposing.propose(network, proposal)
    assert [m["name"] for m in result["members"]] == ["Leeds"]
    assert result["members"][0]["total"]["difference_pence"] == -10_00
    reasons = {m["name"]: m["reason"] for m in result["skipped"]}
    assert reasons["Bradford"].startswith("no regional spending for 2018-19")
    assert reasons["Calderdale"].startswith(f"no workspace at {gone} (moved or deleted)")
    with pytest.raises(ConfigError, match=r"cannot give the method to Calderdale \(no workspace"):
        proposing.adopt(network, proposal, "care is health", "tester")
    assert open_network(net.root).version == "1"


def test_a_member_inside_a_combined_member_keeps_its_own_shade_on_the_map() -> None:
    both = {"name": "Both", "place": [LEEDS, BRADFORD], "year": "2010-11",
            "per_head_pence": 900_00}  # fmt: skip
    leeds = {"name": "Leeds", "place": [LEEDS], "year": "2010-11", "per_head_pence": 800_00}
    for order in ([both, leeds], [leeds, both]):
        chart, missing = _map({"counted": order})
        assert missing == []
        # Leeds is drawn as Leeds (map and inset), not under the combined area's shade
        assert chart.svg.count("<title>Leeds: £800.00 per head</title>") == 2
        assert (
            chart.svg.count(
                "<title>Both: £900.00 per head (1 of its 2 authorities shaded as its own; "
                "the rest shaded as Leeds)</title>"
            )
            == 2
        )


def test_spending_by_theme_is_drawn_in_charts_that_fit_a_page() -> None:
    """Six places and nineteen themes (as the Yorkshire check had) drew one
    chart two pages tall: a page left blank before it, a theme cut in two."""
    from totalplace.network.report import PAGE_OF_BARS, charts, theme_parts

    themes = [{"theme": f"t{n}", "label": f"Theme {n}"} for n in range(19)]
    parts = theme_parts(themes, 6)
    assert [t for part in parts for t in part] == themes and len(parts) == 3
    member = {"name": "A", "by_theme_per_head_pence": {f"t{n}": 100 for n in range(19)},
              "prevention": {"by_tier_pence": {"universal": 1, "targeted": 1, "acute": 1}},
              "opportunities": {"by_kind": {}}}  # fmt: skip
    counted = [{**member, "name": name} for name in "ABCDEF"]
    report = {"counted": counted, "per_head_known": True, "asks": [],
              "comparison": {"themes": themes}}  # fmt: skip
    for chart in charts(report)["theme_bars"]:
        height = float(chart.svg.split('viewBox="0 0 640 ')[1].split('"')[0])
        assert height <= PAGE_OF_BARS


def test_the_charts_of_one_set_of_themes_share_one_scale() -> None:
    """Split across pages, a bar of 100 is as long in the first chart as in
    the last, where the largest figure (400) is."""
    from totalplace.network.report import charts

    themes = [{"theme": f"t{n}", "label": f"Theme {n}"} for n in range(19)]
    per_head = {f"t{n}": 100 for n in range(18)} | {"t18": 400}
    member = {"name": "A", "by_theme_per_head_pence": per_head,
              "prevention": {"by_tier_pence": {"universal": 1, "targeted": 1, "acute": 1}},
              "opportunities": {"by_kind": {}}}  # fmt: skip
    counted = [{**member, "name": name} for name in "ABCDEF"]
    report = {"counted": counted, "per_head_known": True, "asks": [],
              "comparison": {"themes": themes}}  # fmt: skip
    bars = charts(report)["theme_bars"]
    assert len(bars) > 1
    widths = [
        sorted({float(w) for w in re.findall(r'<rect x="200" y="[\d.]+" width="([\d.]+)"', c.svg)})
        for c in bars
    ]
    assert len(widths[0]) == 1 and widths[-1] == sorted([widths[0][0], 4 * widths[0][0]])


def test_the_map_page_draws_each_authority_once_as_its_smallest_member() -> None:
    from totalplace.network.compare import _map_html

    both = {"name": "Both", "counted": True, "place": [LEEDS, BRADFORD], "year": "2010-11",
            "per_head_pence": 900_00}  # fmt: skip
    leeds = {"name": "Leeds", "counted": True, "place": [LEEDS], "year": "2010-11",
             "per_head_pence": 800_00}  # fmt: skip
    county = {"name": "Lancashire", "counted": True, "place": [LANCASHIRE], "year": "2010-11",
              "per_head_pence": 865_096}  # fmt: skip
    page, missing = _map_html({"members": [both, leeds, county]})
    assert missing == []
    [locations] = re.findall(r'"locations":\[([^\]]*)\]', page)
    assert locations.count(LEEDS) == 1 and locations.count(BRADFORD) == 1
    # (the page's script writes £ as \u00a3)
    assert "900.00 per head (the rest of its area shown as Leeds)" in page
    assert page.count("8,650.96 per head") == 12  # Lancashire's twelve districts
