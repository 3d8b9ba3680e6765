"""Every page of the dashboard in Chromium: it loads with no console error, no
failed request and no request to any other host; every chart is drawn; it
fits the screen at 1366x768 and 1920x1080 (photographed at both, under
test-artifacts/screenshots/); and axe-core finds no serious or critical
accessibility violation.

The pages are the navigation bar's (each page module adds itself, so a new
page is covered without a change here) and the deeper pages a chart leads to:
the largest theme's page and the drill-down of the largest cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS, VIEWPORTS, Browsing
from tests.browser.pages import DEEP, PAGES, deep_path, slug

ALL_PAGES = [pytest.param(path, id=slug(label)) for label, path in PAGES] + [
    pytest.param(which, id=which) for which in DEEP
]
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


def _path(page: str, root: Path) -> str:
    return deep_path(root, page) if page in DEEP else page


def test_the_navigation_bar_has_the_overview() -> None:
    """The pages below come from the navigation bar: an empty bar would test
    nothing."""
    assert ("Overview", "/") in PAGES


@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_loads_cleanly_draws_every_chart_and_fits_each_screen(
    at_desk: Browsing, page: str, demo_dir: Path
) -> None:
    """Loaded at 1366x768 then widened to 1920x1080 and photographed at each:
    nothing runs off the side (a page wider than the window has a table or
    chart cut off)."""
    path = _path(page, demo_dir / "workspace")
    response = at_desk.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    undrawn = at_desk.undrawn_charts()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    too_wide = []
    for width, height in VIEWPORTS:
        at_desk.page.set_viewport_size({"width": width, "height": height})
        at_desk.page.wait_for_timeout(300)  # Plotly redraws a responsive chart on resize
        at_desk.page.screenshot(
            path=str(SCREENSHOTS / f"{slug(page)}-{width}x{height}.png"), full_page=True
        )
        scroll = at_desk.page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > width:
            past = at_desk.page.evaluate(PAST_THE_EDGE_JS)
            too_wide.append(f"{width}x{height}: {scroll}px wide; past the edge: {past}")
    at_desk.page.wait_for_load_state("networkidle")
    assert not at_desk.watch.problems, "\n".join(at_desk.watch.problems)
    assert not undrawn, f"{path}: chart containers with no chart drawn: {undrawn}"
    assert not too_wide, f"{path} is wider than the screen: {too_wide}"


@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_has_no_serious_accessibility_violation(
    at_desk: Browsing, page: str, demo_dir: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    path = _path(page, demo_dir / "workspace")
    response = at_desk.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    at_desk.undrawn_charts()
    found = Axe().run(at_desk.page).response["violations"]
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        + (f" ({HINTS[v['id']]})" if v["id"] in HINTS else "")
        for v in found
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"{path}:\n" + "\n".join(blocking)
