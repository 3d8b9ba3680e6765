"""Every page of the dashboard in Chromium: it loads with no console error, no
failed request and no request to any other host; every chart is drawn; it
fits the screen at 1366x768 and 1920x1080 (photographed at both, under
test-artifacts/screenshots/); and axe-core finds no serious or critical
accessibility violation.

The pages are the navigation bar's (each page module adds itself, so a new
page is covered without a change here) and the deeper pages a chart or a list
leads to: the largest theme's page, the drill-down of the largest cell, the
first business case's page and a real council's Benchmark page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, VIEWPORTS, Browsing, LiveServer, browsing
from tests.browser.pages import CSV_LINKS_JS, DEEP, PAGES, deep_path, slug

ALL_PAGES = [pytest.param(path, id=slug(label)) for label, path in PAGES] + [
    pytest.param(which, id=which) for which in DEEP
]
# Screenshots are named as the tests are: by the page's label in the bar.
NAMES = {path: slug(label) for label, path in PAGES}
# axe-core impacts a page may not have: these keep someone from using it.
BLOCKING = ("serious", "critical")
# The innermost elements that end past the window's right edge (what is cut
# off), named as tag#id.class.
PAST_THE_EDGE_JS = """() => {
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const past = [...document.body.querySelectorAll('*')].filter(
    el => el.getBoundingClientRect().right > window.innerWidth + 1);
  return past.filter(el => !past.some(o => o !== el && el.contains(o)))
    .slice(0, 5).map(el => name(el) + ' to ' + Math.round(el.getBoundingClientRect().right));
}"""
# What fixes a violation the dashboard's pages are prone to.
HINTS = {
    "nested-interactive": "a chart's container with role=\"img\" holds Plotly's mode bar "
    'buttons, which a screen reader then cannot reach: give it role="figure" (its '
    "aria-label stays)",
}


# Chart containers with no table and CSV download link in their section or
# the section after it (a map may have its table below).
UNPAIRED_JS = """() => [...document.querySelectorAll('.chart')].filter(chart => {
  const own = chart.closest('section') || chart.parentElement;
  return ![own, own.nextElementSibling].some(box => box
    && box.querySelector('table')
    && [...box.querySelectorAll('a')].some(a => /csv/i.test(a.textContent)));
}).map(chart => chart.id || chart.className)"""


@dataclass
class Visit:
    """What one visit to a page found; each page is opened once for all the
    tests below (a page with charts costs seconds to load and draw)."""

    path: str
    status: int
    problems: list[str] = field(default_factory=list)
    undrawn: list[str] = field(default_factory=list)
    too_wide: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)
    unpaired: list[str] = field(default_factory=list)
    broken_csv: list[str] = field(default_factory=list)


def _visit(b: Browsing, page: str, path: str) -> Visit:
    """Loaded at 1366x768, then widened to 1920x1080, photographed at each
    size; then checked by axe-core, and its CSV links fetched."""
    from axe_playwright_python.sync_playwright import Axe

    response = b.goto(path)
    visit = Visit(path, response.status if response else 0)
    if visit.status != 200:
        return visit
    visit.undrawn = b.undrawn_charts()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in VIEWPORTS:
        b.page.set_viewport_size({"width": width, "height": height})
        b.page.wait_for_timeout(300)  # Plotly redraws a responsive chart on resize
        b.page.screenshot(
            path=str(SCREENSHOTS / f"{NAMES.get(page, page)}-{width}x{height}.png"),
            full_page=True,
        )
        scroll = b.page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > width:
            past = b.page.evaluate(PAST_THE_EDGE_JS)
            visit.too_wide.append(f"{width}x{height}: {scroll}px wide; past the edge: {past}")
    b.page.wait_for_load_state("networkidle")
    visit.problems = list(b.watch.problems)
    visit.blocking = [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        + (f" ({HINTS[v['id']]})" if v["id"] in HINTS else "")
        for v in Axe().run(b.page).response["violations"]
        if v["impact"] in BLOCKING
    ]
    visit.unpaired = b.page.evaluate(UNPAIRED_JS)
    for href in sorted(set(b.page.eval_on_selector_all("a", CSV_LINKS_JS))):
        got = b.page.request.get(href)
        if got.status != 200 or not got.headers.get("content-type", "").startswith("text/csv"):
            visit.broken_csv.append(f"{href}: {got.status} {got.headers.get('content-type')}")
    return visit


@pytest.fixture(scope="module")
def visit(browser: Any, open_server: LiveServer, demo_dir: Path) -> Callable[[str], Visit]:
    seen: dict[str, Visit] = {}

    def get(page: str) -> Visit:
        if page not in seen:
            path = deep_path(demo_dir / "workspace", page) if page in DEEP else page
            for b in browsing(browser, open_server, VIEWPORTS[0]):
                seen[page] = _visit(b, page, path)
        return seen[page]

    return get


def test_the_navigation_bar_has_the_overview() -> None:
    """The pages below come from the navigation bar: an empty bar would test
    nothing."""
    assert ("Overview", "/") in PAGES


@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_loads_cleanly_draws_every_chart_and_fits_each_screen(
    visit: Callable[[str], Visit], page: str
) -> None:
    """No console error, failed request or request to another host; every
    chart container holds a drawn chart; nothing runs off the side at either
    size (a page wider than the window has a table or chart cut off)."""
    v = visit(page)
    assert v.status == 200, (v.path, v.status)
    assert not v.problems, f"{v.path}:\n" + "\n".join(v.problems)
    assert not v.undrawn, f"{v.path}: chart containers with no chart drawn: {v.undrawn}"
    assert not v.too_wide, f"{v.path} is wider than the screen: {v.too_wide}"


@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_has_no_serious_accessibility_violation(
    visit: Callable[[str], Visit], page: str
) -> None:
    v = visit(page)
    assert v.status == 200, (v.path, v.status)
    assert not v.blocking, f"{v.path}:\n" + "\n".join(v.blocking)


@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_chart_has_a_table_and_every_csv_link_downloads(
    visit: Callable[[str], Visit], page: str
) -> None:
    """Each chart's figures are in a plain table beside it (for a screen
    reader) with a CSV download, and each download link gives CSV."""
    v = visit(page)
    assert v.status == 200, (v.path, v.status)
    assert not v.unpaired, f"{v.path}: charts with no table or CSV link near: {v.unpaired}"
    assert not v.broken_csv, f"{v.path}: CSV links that give no CSV: {v.broken_csv}"
