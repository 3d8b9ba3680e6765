"""From a chart to the rows behind it, in Chromium: clicking a cell of the
Overview's treemap opens the drill-down of that agency and theme, and the
rows listed there, over all their pages, add up to the cell's payments to
the penny."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import Browsing
from tests.browser.pages import ROW_AMOUNTS_JS, drill_path, pence, transaction_cells
from totalplace.classify.taxonomy import theme_label
from totalplace.money import display_pounds

# The treemap's leaves (an agency within a theme) with their label and their
# theme's label, largest first; each leaf is marked data-leaf="<rank>".
LEAVES_JS = """() => {
  const out = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    if (!gd.data || !gd.data.some(t => t.type === 'treemap')) { continue; }
    for (const el of gd.querySelectorAll('g.slice')) {
      const node = el.__data__;
      if (!node || (node.children && node.children.length) || !node.parent) { continue; }
      const r = el.getBoundingClientRect();
      out.push({el: el, label: node.data.data.label, parent: node.parent.data.data.label,
                area: r.width * r.height});
    }
  }
  out.sort((a, b) => b.area - a.area);
  out.forEach((leaf, rank) => { leaf.el.dataset.leaf = String(rank); delete leaf.el; });
  return out;
}"""
PAGE_ROWS = 1000


def test_a_treemap_cell_opens_its_rows_and_they_add_up_to_the_cell(
    at_desk: Browsing, demo_dir: Path
) -> None:
    cells = transaction_cells(demo_dir / "workspace")
    at_desk.goto("/")
    assert not at_desk.undrawn_charts()
    leaves = at_desk.page.evaluate(LEAVES_JS)
    assert leaves, "the Overview has no treemap with cells to click"
    leaf = leaves[0]
    target = at_desk.page.locator('[data-leaf="0"]')
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box is not None
    at_desk.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    at_desk.page.wait_for_url("**/drill?**", timeout=10_000)
    query = parse_qs(urlsplit(at_desk.page.url).query)
    agency, theme = query["agency"][0], query["theme"][0]
    # the page opened is the cell clicked
    assert (agency, theme_label(theme)) == (leaf["label"], leaf["parent"])
    assert (agency, theme) in cells, "the largest cell has rows from payments"
    cell = cells[(agency, theme)]
    assert display_pounds(cell) in at_desk.page.locator("main").inner_text()

    summed, listed, offset = 0, 0, 0
    while True:
        at_desk.goto(drill_path(agency, theme, limit=PAGE_ROWS, offset=offset))
        amounts = at_desk.page.evaluate(ROW_AMOUNTS_JS)
        assert amounts is not None, "the drill-down has no table of rows with amount and line"
        if not amounts:
            break
        values = [pence(a) for a in amounts]
        assert None not in values, amounts[:5]
        summed += sum(v for v in values if v is not None)
        listed += len(values)
        if len(values) < PAGE_ROWS:
            break
        offset += PAGE_ROWS
    assert listed > 100  # more rows than one default page
    assert summed == cell, f"{listed} rows add up to {summed}, the cell's payments to {cell}"
    assert not at_desk.watch.problems, "\n".join(at_desk.watch.problems)
