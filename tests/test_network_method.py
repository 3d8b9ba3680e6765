"""A method change shown on every member's figures before it is adopted, on
the demo's counted workspace and a copy of it (two members): the members'
reports and rules are never touched by a proposal."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.demo import run_demo
from totalplace.network import method_version, open_network
from totalplace.network.compare import comparison
from totalplace.network.demo import build_demo_network, write_demo_report
from totalplace.network.learning import read_log
from totalplace.network.propose import adopt
from totalplace.place_report.pdf import find_chromium

runner = CliRunner()


def _digests(root: Path) -> dict[str, str]:
    """Every file under the member's reports/ and rules/, by content."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in ("reports", "rules")
        for p in sorted((root / folder).rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def members(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """The demo's two-place network (``demo --network``): Northmoor and Eastmoor."""
    base = tmp_path_factory.mktemp("network")
    _, ws = run_demo(base / "demo")
    net = build_demo_network(base / "demo", ws.root)
    proposal = base / "proposal"
    shutil.copytree(net.method_dir, proposal)
    police = proposal / "rules" / "northmoor-police.toml"
    text = police.read_text(encoding="utf-8")
    police.write_text(text.replace('"offending"', '"crime_and_community_safety"'), "utf-8")
    return net.root, [m.root(net.root) for m in net.members]


@pytest.fixture(scope="module")
def proposed(members: tuple[Path, list[Path]]) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    net, roots = members
    before = {str(r): _digests(r) for r in roots}
    proposal = net.parent.parent / "proposal"
    result = runner.invoke(
        app, ["network", "method", str(net), "--propose", str(proposal), "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), before


def test_count_json_carries_the_networks_method_version(members: tuple[Path, list[Path]]) -> None:
    net, roots = members
    stamp = json.loads((roots[0] / "reports" / "count.json").read_text())["method_version"]
    network = open_network(net)
    assert stamp == {"hash": network.hash, "version": "1", "network": network.name}


def test_demo_network_compares_two_different_places_with_recurring_barriers(
    members: tuple[Path, list[Path]],
) -> None:
    net, roots = members
    data = comparison(open_network(net))
    totals = [m["total_pence"] for m in data["members"]]
    assert all(m["comparable"] for m in data["members"])
    assert totals[0] != totals[1] and min(totals) > 0  # Eastmoor is not Northmoor's copy
    for member, root in zip(data["members"], roots, strict=True):
        count = json.loads((root / "reports" / "count.json").read_text())
        assert member["total_pence"] == count["total_pence"]
        assert member["by_theme_pence"] == count["by_theme"]
    assert any(g["type"] == "ring-fence" for g in data["recurring_barriers"])
    (lesson,) = read_log(open_network(net))
    assert (lesson.place, lesson.case) == ("Eastmoor", "cases/westminster_family_recovery.toml")


def test_demo_network_report_is_written_in_the_networks_folder(
    members: tuple[Path, list[Path]],
) -> None:
    """What ``demo --network`` writes: the comparison report, and its PDF when
    Chromium is installed; the demo's codes are fictional, so the map says so."""
    net, _ = members
    made = write_demo_report(open_network(net))
    html = net / "report.html"
    assert made["html"] == str(html)
    assert made["pdf"] == (str(net / "report.pdf") if find_chromium() else None)
    text = html.read_text(encoding="utf-8")
    assert "Northmoor" in text and "Eastmoor" in text
    assert "No member can be drawn" in text.split('id="map"', 1)[1]
    # both places' registers are built from their counts, so kinds recur across them
    assert made["recurring_opportunities"] > 0 and made["recurring_barriers"] > 0
    assert made["lessons"] == 1


def test_method_change_is_shown_for_every_member_without_changing_their_reports(
    members: tuple[Path, list[Path]], proposed: tuple[dict[str, Any], dict[str, dict[str, str]]]
) -> None:
    net, roots = members
    result, before = proposed
    assert result["files_changed"] == [{"file": "rules/northmoor-police.toml", "change": "differs"}]
    assert [m["name"] for m in result["members"]] == ["Northmoor", "Eastmoor"]
    for member, root in zip(result["members"], roots, strict=True):
        count = json.loads((root / "reports" / "count.json").read_text())
        themes = {r["theme"]: r for r in member["themes"]}
        custody = themes["offending"]
        # before is the member's own count; the custody rule's money moves theme
        assert custody["before_pence"] == count["by_theme"]["offending"]
        assert custody["before_pence"] > 0
        assert custody["difference_pence"] == -custody["before_pence"]
        assert themes["crime_and_community_safety"]["difference_pence"] == custody["before_pence"]
        assert member["total"]["difference_pence"] == 0
        assert member["total"]["before_pence"] == count["total_pence"]
        assert _digests(root) == before[str(root)]  # reports and rules untouched
    assert open_network(net).version == "1"  # nothing adopted


def test_adopting_gives_every_member_the_new_version(
    members: tuple[Path, list[Path]], proposed: tuple[dict[str, Any], dict[str, dict[str, str]]]
) -> None:
    net, roots = members
    proposal = net.parent.parent / "proposal"
    adopted = adopt(open_network(net), proposal, "custody is community safety", "t")
    assert adopted["version"] == "2" and adopted["given_to"] == ["Northmoor", "Eastmoor"]
    after = open_network(net)
    assert [c.version for c in after.changelog] == ["1", "2"]
    for root in roots:
        assert (
            '"crime_and_community_safety"' in (root / "rules" / "northmoor-police.toml").read_text()
        )
        assert method_version(root)["version"] == "2"
        # the report stays the old count, stamped version 1, until counted again
        stamp = json.loads((root / "reports" / "count.json").read_text())["method_version"]
        assert stamp["version"] == "1"
    status = runner.invoke(app, ["network", "status", str(net), "--json"])
    assert not any(m["counted_with_network_method"] for m in json.loads(status.stdout)["members"])
