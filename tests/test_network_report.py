"""totalplace network compare --html/--pdf: the network's comparison as a
printed report, on a two-member network whose counts the test writes (Leeds
with a population, Bradford without; no count runs here).  The rendering
checks load the HTML in Chromium at the printable width of A4 and save what
they see, and the PDF's first pages, under test-artifacts/network-report/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.test_network import BRADFORD, LEEDS, _workspace, _write_count
from tests.test_place_report import needs_chromium, pdf_pages_as_images, render_at_a4
from totalplace.cli import app
from totalplace.money import display_pounds
from totalplace.network import add_member, init_network, open_network
from totalplace.network.learning import add_lesson
from totalplace.network.report import NO_PER_HEAD, SECTIONS, SHADES
from totalplace.place_report.pdf import anchor_pages, page_count
from totalplace.workspace import Workspace

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "network-report"
runner = CliRunner()
# The place report's check (every element whose right edge is past the page's
# width) less what is drawn inside a clip (the map's enlarged part, cut at its
# frame by design): a clipped shape reports its whole size, not what is seen.
WIDER_THAN_PAGE = (
    "() => [...document.querySelectorAll('body *')]"
    ".filter(e => !e.closest('[clip-path]'))"
    ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
    ".map(e => e.tagName + ': ' + (e.textContent || '').slice(0, 40))"
)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Leeds and Bradford, each with a count, a barrier of the same type and
    theme (so it recurs) with an ask of the same department, and a lesson."""
    from totalplace.culture import add_barrier

    tmp = tmp_path_factory.mktemp("network-report")
    leeds = _workspace(tmp / "leeds", LEEDS, "Leeds")
    bradford = _workspace(tmp / "bradford", BRADFORD, "Bradford")
    net = init_network(tmp / "net", "Test network", leeds)
    add_member(net, leeds, "Leeds")
    add_member(net, bradford, "Bradford")
    _write_count(
        leeds,
        {"adult_social_care": 30_000_000_00, "health": 12_000_000_00, "offending": 99_99},
        750_000,
    )
    _write_count(bradford, {"adult_social_care": 20_000_000_00, "health": 5_000_000_00}, 0)
    fields = {"title": "Care grant ring-fence", "type": "ring-fence", "theme": "adult_social_care",
              "owner": "Department of Health", "ask": "Pool the care grants"}  # fmt: skip
    add_barrier(Workspace.open(leeds), {**fields, "impact_pounds": "250000"}, "tester")
    add_barrier(Workspace.open(bradford), fields, "tester")  # no money given
    root: Path = net.root
    add_lesson(open_network(root), "Leeds", "Pooled budget", "Agreed in March", "tester")
    return root


def _compare(network: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["network", "compare", str(network), *args, "--json"])
    assert result.exit_code == 0, result.output
    done: dict[str, Any] = json.loads(result.stdout)
    return done


@pytest.fixture(scope="module")
def written(network: Path) -> tuple[Path, dict[str, Any]]:
    html = network.parent / "out" / "report.html"
    return html, _compare(network, "--html", str(html))


def test_every_member_figure_is_its_count_jsons_own(
    network: Path, written: tuple[Path, dict[str, Any]]
) -> None:
    html, done = written
    text = html.read_text(encoding="utf-8")
    shown = re.findall(
        r'data-member="([^"]+)"\s+data-count-key="([\w.]+)"\s+data-pence="(-?\d+)"', text
    )
    paths = {m["name"]: Path(m["path"]) for m in done["members"]}
    counts = {n: json.loads((p / "reports" / "count.json").read_text()) for n, p in paths.items()}
    for member, key, pence in shown:
        figure: Any = counts[member]
        for part in key.split("."):  # by_theme.health is count.json's by_theme["health"]
            figure = figure[part]
        assert int(pence) == int(figure), (member, key)
    # every theme of each member is in its appendix, and its total and per head in the summary
    keys = {(m, k) for m, k, _ in shown}
    for name, count in counts.items():
        assert {(name, f"by_theme.{t}") for t in count["by_theme"]} <= keys
        assert (name, "total_pence") in keys
    assert ("Leeds", "per_head_pence") in keys and ("Bradford", "per_head_pence") not in keys
    # --json prints the comparison's figures and the files written
    assert done["written"]["html"] == str(html) and done["written"]["pdf"] is None
    leeds = next(m for m in done["members"] if m["name"] == "Leeds")
    assert leeds["by_theme_per_head_pence"]["adult_social_care"] == 4000  # £30m / 750,000


def test_report_is_self_contained_with_every_section_in_its_contents(
    written: tuple[Path, dict[str, Any]],
) -> None:
    html, _ = written
    text = html.read_text(encoding="utf-8").replace("&#39;", "'")
    assert "<script" not in text.lower()
    assert not re.search(r'\b(src|href)="(https?:)?//', text), "the report fetches nothing"
    for anchor, heading in SECTIONS:
        assert re.search(f'<a href="#{anchor}"><span>{heading}</span>', text), anchor
        assert f'id="{anchor}"' in text
    # what recurs: the barrier raised in both places, and its ask under its department
    barriers = text.split('id="barriers"', 1)[1].split('id="map"', 1)[0]
    assert "Ring-fenced funding" in barriers or "Ring-fence" in barriers
    assert "Bradford, Leeds" in barriers
    assert barriers.count("Pool the care grants") == 2 and "£250,000.00" in barriers
    assert "Pooled budget" in text.split('id="learning"', 1)[1]
    # Leeds has a population, Bradford none: per head is given for one, and said unknown
    per_head = text.split('id="per-head"', 1)[1].split("</table>", 1)[0]
    assert "£40.00" in per_head and "not known" in per_head


def test_the_map_shades_the_members_from_the_shipped_boundaries(
    network: Path, written: tuple[Path, dict[str, Any]]
) -> None:
    html, _ = written
    section = html.read_text(encoding="utf-8").split('id="map"', 1)[1].split('id="learning"')[0]
    assert '<figure class="chart"><svg' in section
    leeds = json.loads((network.parent / "leeds" / "reports" / "count.json").read_text())
    assert f"Leeds: {display_pounds(leeds['per_head_pence'])} per head" in section  # its key
    assert "Bradford: per head not known" in section
    # one place with a figure per head takes a middle shade; one without, its own colour
    assert f'fill="{SHADES[3]}"' in section and f'fill="{NO_PER_HEAD}"' in section
    assert "Not on the map" not in section and "No member can be drawn" not in section


def test_a_member_with_codes_off_the_boundaries_is_said_not_drawn(tmp_path: Path) -> None:
    first = _workspace(tmp_path / "made-up", "E99999901", "Made up")
    net = init_network(tmp_path / "net", "Fictional network", first)
    add_member(net, first, "Made up")
    _write_count(first, {"health": 100_00}, 0)
    html = tmp_path / "report.html"
    _compare(net.root, "--html", str(html))
    section = html.read_text(encoding="utf-8").split('id="map"', 1)[1]
    assert "No member can be drawn" in section
    assert "Made up (codes E99999901: not on the shipped boundaries)" in section


@pytest.mark.parametrize("given", ["html", "pdf"])
def test_bad_input_fails_in_the_error_shape(tmp_path: Path, given: str) -> None:
    """A folder that is not a network, and --pdf without the --html it prints."""
    (tmp_path / "nothing").mkdir()
    args = ["--html", str(tmp_path / "r.html")] if given == "html" else ["--pdf", "r.pdf"]
    result = runner.invoke(app, ["network", "compare", str(tmp_path / "nothing"), *args, "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert set(error) == {"type", "message"}
    if given == "html":
        assert error["type"] == "WorkspaceError" and "is not a network" in error["message"]
    else:
        assert error["type"] == "ConfigError" and "give --html OUT too" in error["message"]
    assert not (tmp_path / "r.html").exists()


@needs_chromium
def test_report_renders_at_a4_width_with_no_empty_chart_and_no_overflow(
    written: tuple[Path, dict[str, Any]],
) -> None:
    html, _ = written
    # per head by theme, prevention tiers, opportunities by kind, asks, the map
    sections = ("summary", "themes", "barriers", "map")
    assert render_at_a4(html, ARTIFACTS, sections, WIDER_THAN_PAGE) == 5
    assert 'class="absent"' not in html.read_text(encoding="utf-8")  # every part has figures


@needs_chromium
def test_pdf_has_pages_numbered_a_linked_contents_and_bookmarks(network: Path) -> None:
    html, pdf = network.parent / "out" / "r.html", network.parent / "out" / "report.pdf"
    done = _compare(network, "--html", str(html), "--pdf", str(pdf))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = done["written"]["pages"]
    assert pages == page_count(data) >= len(SECTIONS) + 2  # cover, contents, sections
    assert b"/Outlines" in data, "bookmarks from the headings"
    assert len(re.findall(rb"/Subtype\s*/Link", data)) >= len(SECTIONS), "contents links"
    numbers = dict(re.findall(r'class="pg" data-anchor="([\w-]+)">(\d+)<', html.read_text()))
    at = anchor_pages(data)
    assert {a: int(n) for a, n in numbers.items()} == {a: at[a] for a, _ in SECTIONS}
    assert re.search(rb"/MediaBox\s*\[\s*0\s+0\s+59[45]\.\d+\s+841\.\d+", data), "A4 portrait"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(data)
    pdf_pages_as_images(pdf, min(pages, 6), ARTIFACTS)
