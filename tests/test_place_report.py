"""totalplace report: the place's report on the demo's Northmoor, as HTML always
and as PDF when Chromium is installed.  The rendering checks load the HTML in
Chromium at the printable width of A4 and save what they see under
test-artifacts/report/."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.demo import run_demo
from totalplace.place_report import SECTIONS
from totalplace.place_report.pdf import anchor_pages, find_chromium, page_count
from totalplace.report.run import count_workspace

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "report"
# A4 is 210 mm wide; the report's page margins are 16 mm each side, so its text
# is 178 mm wide: 673 CSS pixels at 96 to the inch.
A4_TEXT_PX = 673
CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium installed (apt-get install chromium): PDF not checked"
)
runner = CliRunner()
# Script run in the page: every element whose right edge is past the page's width.
WIDER_THAN_PAGE = (
    "() => [...document.querySelectorAll('body *')]"
    ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
    ".map(e => e.tagName + ': ' + (e.textContent || '').slice(0, 40))"
)


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, ws = run_demo(tmp_path_factory.mktemp("report") / "demo")
    count_workspace(ws)
    return ws.root


@pytest.fixture(scope="module")
def written(counted: Path) -> tuple[Path, dict[str, Any]]:
    html = counted / "reports" / "report.html"
    result = runner.invoke(app, ["report", str(counted), "--html", str(html), "--json"])
    assert result.exit_code == 0, result.output
    return html, json.loads(result.stdout)


def test_summary_figures_are_the_count_jsons_own(
    counted: Path, written: tuple[Path, dict[str, Any]]
) -> None:
    html, done = written
    count = json.loads((counted / "reports" / "count.json").read_text())
    text = html.read_text(encoding="utf-8")
    shown = re.findall(r'data-count-key="(\w+)"\s+data-pence="(-?\d+)"', text)
    assert len(shown) >= 7
    for key, pence in shown:
        assert int(pence) == int(count[key]), key
    assert done["summary"] == {k: int(count[k]) for k in done["summary"]}
    assert done["summary"]["total_pence"] == count["total_pence"] > 0


def test_report_is_self_contained_with_every_section_in_its_contents(
    written: tuple[Path, dict[str, Any]],
) -> None:
    html, done = written
    text = html.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert not re.search(r'\b(src|href)="(https?:)?//', text), "the report fetches nothing"
    for anchor, heading in SECTIONS:
        assert re.search(f'<a href="#{anchor}"><span>{heading}</span>', text.replace("&#39;", "'"))
        assert f'id="{anchor}"' in text
    assert [s["id"] for s in done["sections"]] == [a for a, _ in SECTIONS]
    # the demo raises barriers and writes cases, so those parts are in the report, and
    # the opportunities register is built from the count though none was written
    assert done["parts"]["barriers"]["available"] and done["parts"]["cases"]["available"]
    assert done["parts"]["opportunities"]["available"]
    assert text.split('id="opportunities-table"', 1)[1].count("<tr>") > 1
    # nor national figures per head for its themes, and each theme says so
    themes = text.split('id="themes"', 1)[1].split('id="benchmarks"', 1)[0]
    assert themes.count("No comparison per head with England") == done["themes"] > 0
    # a synthetic place has no published outturn to benchmark against, and says so
    assert not done["parts"]["benchmark"]["available"]
    assert "no benchmark" in done["parts"]["benchmark"]["reason"]


def test_every_count_line_is_in_the_appendix_with_its_source(
    counted: Path, written: tuple[Path, dict[str, Any]]
) -> None:
    html, _ = written
    count = json.loads((counted / "reports" / "count.json").read_text())
    appendix = html.read_text(encoding="utf-8").split('id="appendix"', 1)[1]
    rows = appendix.count("<tr>") - 1  # less the heading row
    assert rows == len(count["lines"])
    for line in count["lines"]:
        assert line["source"].replace("'", "&#39;") in appendix


def test_a_workspace_without_a_count_fails_in_the_error_shape(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path), "--html", str(tmp_path / "r.html"),
                                 "--json"])  # fmt: skip
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "NoCount" and "totalplace count" in error["message"]
    assert not (tmp_path / "r.html").exists()


def png_colours(png: bytes) -> int:
    """How many different byte values a PNG's pixel data holds: a blank
    (one-colour) picture has a handful whatever the row filters, a drawn chart
    dozens."""
    pos, data = 8, b""
    while pos < len(png):
        (size,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            data += png[pos + 8 : pos + 8 + size]
        pos += 12 + size
    return len(set(zlib.decompress(data)))


def render_at_a4(
    html: Path, folder: Path, sections: tuple[str, ...], wider: str = WIDER_THAN_PAGE
) -> int:
    """Load ``html`` in Chromium at A4's text width as printed; assert nothing
    is wider than the page (by the script ``wider``) and no chart is blank or
    squashed, saving each chart (chart-N.png), the top of the report and each
    of ``sections`` (report-ANCHOR.png) in ``folder``.  The number of charts."""
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": A4_TEXT_PX, "height": 1100})
        page.emulate_media(media="print")
        page.goto(html.as_uri())
        wide = page.evaluate(wider)
        assert wide == [], f"wider than A4's text: {wide[:5]}"
        charts = page.locator("figure.chart svg")
        for i in range(charts.count()):
            chart = charts.nth(i)
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 20
            shot = chart.screenshot(path=str(folder / f"chart-{i + 1}.png"))
            assert png_colours(shot) > 16, f"chart {i + 1} is blank"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(folder / "report-top.png"))
        for anchor in sections:
            page.locator(f"#{anchor}").scroll_into_view_if_needed()
            page.screenshot(path=str(folder / f"report-{anchor}.png"))
        drawn = charts.count()
        browser.close()
    return drawn


@needs_chromium
def test_report_renders_at_a4_width_with_no_empty_chart_and_no_overflow(
    written: tuple[Path, dict[str, Any]],
) -> None:
    html, _ = written
    assert render_at_a4(html, ARTIFACTS, ("summary", "barriers")) >= 4


@needs_chromium
def test_pdf_has_pages_numbered_a_linked_contents_and_bookmarks(counted: Path) -> None:
    html, pdf = counted / "reports" / "r.html", counted / "reports" / "report.pdf"
    result = runner.invoke(app, ["report", str(counted), "--html", str(html), "--pdf", str(pdf),
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert done["pages"] == page_count(data) >= len(SECTIONS) + 2  # cover, contents, sections
    assert b"/Outlines" in data, "bookmarks from the headings"
    assert len(re.findall(rb"/Subtype\s*/Link", data)) >= len(SECTIONS), "contents links"
    # the contents give each section's page, the page Chromium put it on
    numbers = dict(re.findall(r'class="pg" data-anchor="([\w-]+)">(\d+)<', html.read_text()))
    at = anchor_pages(data)
    assert {a: int(n) for a, n in numbers.items()} == {a: at[a] for a, _ in SECTIONS}
    assert at["summary"] >= 3 and at["appendix"] < done["pages"] + 1
    assert re.search(rb"/MediaBox\s*\[\s*0\s+0\s+59[45]\.\d+\s+841\.\d+", data), "A4 portrait"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(data)
    pdf_pages_as_images(pdf, min(done["pages"], 6), ARTIFACTS)


def pdf_pages_as_images(pdf: Path, pages: int, folder: Path) -> None:
    """The PDF's first pages as Chromium's own PDF viewer draws them, saved as
    test artefacts in ``folder`` (pdf-page-N.png, the page beside the viewer's
    thumbnails): what a reader opening the file sees.  The viewer turns a page
    on the right arrow key."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 900, "height": 1250})
        page.goto(pdf.as_uri(), timeout=60_000)
        page.wait_for_timeout(2000)  # the viewer draws after the load event
        page.mouse.click(600, 600)
        shots = []
        for n in range(1, pages + 1):
            if n > 1:
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(800)
            shots.append(page.screenshot(path=str(folder / f"pdf-page-{n}.png")))
        browser.close()
    assert len(set(shots)) == pages, "the viewer showed the same page twice"


@needs_chromium
def test_a_long_unbroken_key_or_source_does_not_widen_the_page_past_a4(
    counted: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    count = json.loads((counted / "reports" / "count.json").read_text())
    line = count["lines"][0]
    line["key"] = "population_aged_65_and_over_in_households_" * 3
    line["source"] = "https://example.org/" + "a-long-published-file-name-" * 6 + ".csv"
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "count.json").write_text(json.dumps(count))
    html = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(tmp_path), "--html", str(html)])
    assert result.exit_code == 0, result.output
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": A4_TEXT_PX, "height": 1100})
        page.emulate_media(media="print")
        page.goto(html.as_uri())
        wide = page.evaluate(WIDER_THAN_PAGE)
        browser.close()
    assert wide == [], f"wider than A4's text: {wide[:5]}"


def test_pdf_without_chromium_is_refused_in_the_error_shape_after_the_html(
    counted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from totalplace.place_report import pdf as pdf_mod

    monkeypatch.setattr(pdf_mod, "find_chromium", lambda: None)
    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    result = runner.invoke(
        app, ["report", str(counted), "--html", str(html), "--pdf", str(pdf), "--json"]
    )
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ConfigError" and "Chromium" in error["message"]
    assert "leave out --pdf" in error["message"]
    assert html.is_file() and not pdf.exists()


def test_opportunities_under_the_floor_are_said_not_dropped_silently(
    counted: Path, tmp_path: Path
) -> None:
    from totalplace.opportunities.register import build_register
    from totalplace.report.count_file import read_count
    from totalplace.workspace import Workspace

    every = build_register(Workspace.open(counted), read_count(counted), everything=True)
    floor = sorted(x.value_pence for x in every)[len(every) // 2] // 100 + 1
    below = [x for x in every if x.value_pence < floor * 100]
    assert below
    assumptions = counted / "opportunity_assumptions.toml"
    assumptions.write_text(f"[register]\nmin_value_pounds = {floor}\n", encoding="utf-8")
    try:
        html = tmp_path / "report.html"
        result = runner.invoke(app, ["report", str(counted), "--html", str(html)])
        assert result.exit_code == 0, result.output
        text = re.sub(r"\s+", " ", html.read_text(encoding="utf-8"))
    finally:
        assumptions.unlink()
    assert f"(the register's floor): {len(below)} items" in text
    assert not [x.id for x in below if x.id in text]
