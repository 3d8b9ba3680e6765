"""What the browser tests read off the demo's count and off a page: the
dashboard's pages, the cells of the count, supplier names, and money as
pages show it."""

from __future__ import annotations

import json
import re
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from totalplace.web.app import create_app
from totalplace.web.templates import NAV


def _navigation_bar() -> list[tuple[str, str]]:
    """The navigation bar as the app builds it: a page module adds itself
    when imported or when its routes are added, so an app is built (over an
    empty workspace) before the bar is read."""
    from totalplace.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        create_app(Workspace.create(Path(tmp) / "ws", ["E99999901"], "2010-11").root)
    return list(NAV)


# The pages a user reaches from the navigation bar (the tests parametrise over
# it, so a new page is covered as soon as it is in the bar), and the deeper
# pages reached from a chart or a table (filled in from the demo's count).
PAGES: list[tuple[str, str]] = _navigation_bar()
DEEP = ["theme", "drill", "case", "benchmark-council"]
# The demo's place is fictional, so the Benchmark page is also opened for a
# real council (its figures come from the shipped outturn, not the workspace).
BENCHMARK_COUNCIL = "/benchmark?place=E08000025"

# Payees the demo pays that are people, redactions or companies: names a
# viewer must never see (public bodies may appear as transfers' payees).
_PRIVATE = re.compile(r"\b(Ltd|plc|CIC|Limited)\b|^(Mr|Mrs|Ms|Miss|Dr)\b|REDACTED", re.I)
_MONEY = re.compile(r"^([\u2212-])?£([\d,]+)\.(\d\d)$")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def pence(text: str) -> int | None:
    """Pence from an amount as a page shows it (a minus sign U+2212 or a
    hyphen, then ``£1,234.50``), or None when the text is not such an amount."""
    found = _MONEY.match(text.strip())
    if not found:
        return None
    value = int(found.group(2).replace(",", "")) * 100 + int(found.group(3))
    return -value if found.group(1) else value


def count_report(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "reports" / "count.json").read_text())
    return data


def transaction_cells(root: Path) -> dict[tuple[str, str], int]:
    """Pence from payments by (agency, theme): what a cell's rows add up to."""
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for line in count_report(root)["lines"]:
        if line["method"] == "transactions":
            cells[(line["agency"], line["theme"])] += int(line["pence"])
    return dict(cells)


def deep_path(root: Path, which: str) -> str:
    """The theme page of the largest theme, the drill-down of the largest
    cell from payments, the page of the first business case the demo puts
    in its workspace, or a real council's Benchmark page."""
    if which == "benchmark-council":
        return BENCHMARK_COUNCIL
    if which == "case":
        return f"/cases/{min(p.stem for p in (root / 'cases').glob('*.toml'))}"
    agency, theme = max(transaction_cells(root).items(), key=lambda kv: kv[1])[0]
    if which == "theme":
        return f"/themes/{theme}"
    return drill_path(agency, theme)


def private_payees(root: Path, limit: int = 25) -> dict[str, tuple[str, str]]:
    """The demo's largest payees that are companies, people or redactions,
    each with the cell (agency, theme) that pays it most, read from the store
    by the drill-down's own query."""
    from totalplace.count.trace import trace
    from totalplace.report.count_file import place_count, read_count
    from totalplace.workspace import Workspace

    ws = Workspace.open(root)
    count = place_count(read_count(root))
    paid: dict[str, int] = defaultdict(int)
    where: dict[str, tuple[int, tuple[str, str]]] = {}
    for cell in transaction_cells(root):
        for row in trace(ws, count, *cell, limit=40).rows:
            if row.supplier and _PRIVATE.search(row.supplier):
                paid[row.supplier] += row.pence
                if row.pence > where.get(row.supplier, (0, cell))[0]:
                    where[row.supplier] = (row.pence, cell)
    names = sorted(paid, key=lambda s: -paid[s])[:limit]
    return {name: where[name][1] for name in names}


def drill_path(agency: str, theme: str, **extra: object) -> str:
    return "/drill?" + urlencode({"agency": agency, "theme": theme, **extra})


# The rows table of a drill-down: the table whose head names an amount and a
# line; gives the amounts' texts, one a row.
ROW_AMOUNTS_JS = """() => {
  for (const table of document.querySelectorAll('table')) {
    const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
    const amount = heads.findIndex(h => /amount/i.test(h));
    if (amount < 0 || !heads.some(h => /^line$/i.test(h))) { continue; }
    return [...table.querySelectorAll('tbody tr')].map(
      tr => (tr.children[amount] || {textContent: ''}).textContent.trim());
  }
  return null;
}"""
# The addresses of a page's CSV downloads (links whose text says CSV).
CSV_LINKS_JS = "links => links.filter(a => /csv/i.test(a.textContent)).map(a => a.href)"
