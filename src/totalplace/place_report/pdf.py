"""The report printed to PDF by Chromium (through Playwright), as a browser
prints it for A4: the same HTML, so the PDF cannot differ from it, with the
page number and page count in every page's footer and the PDF's bookmarks made
from the section headings.  Chromium is the system's (Debian's ``chromium``):
nothing is downloaded."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from totalplace.errors import ConfigError
from totalplace.workspace import atomic_write

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FOOTER = (
    '<div style="font-size:8px;width:100%;margin:0 16mm;color:#555;'
    'font-family:Helvetica,Arial,sans-serif;display:flex;justify-content:space-between">'
    '<span class="title"></span><span>Page <span class="pageNumber"></span> of '
    '<span class="totalPages"></span></span></div>'
)
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_PAGES = re.compile(rb"/Type\s*/Pages(?![a-zA-Z])")
_OBJ = re.compile(rb"(?m)^(\d+) 0 obj\s*(.*?)endobj", re.S)


def find_chromium() -> str | None:
    """The system's Chromium, or None when none is installed."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def page_count(pdf: bytes) -> int:
    """Pages in a PDF Chromium wrote (its page objects are not compressed)."""
    return len(_PAGE.findall(pdf))


def anchor_pages(pdf: bytes) -> dict[str, int]:
    """The page (from 1) each anchor of the HTML landed on, from the named
    destinations Chromium writes for them; empty when the PDF does not have them
    in the plain form Chromium writes, so the contents then go without numbers."""
    objects = {int(m[1]): m[2] for m in _OBJ.finditer(pdf)}
    catalog = next((v for v in objects.values() if b"/Type /Catalog" in v), b"")
    root, dests = re.search(rb"/Pages (\d+) 0 R", catalog), re.search(rb"/Dests (\d+) 0 R", catalog)
    if root is None or dests is None:
        return {}
    order: list[int] = []
    todo = [int(root[1])]
    while todo:  # the page tree, depth first, keeps the pages in their order
        n = todo.pop()
        body = objects.get(n, b"")
        kids = re.search(rb"/Kids\s*\[([^\]]*)\]", body)
        if _PAGES.search(body) and kids:
            todo.extend(reversed([int(k) for k in re.findall(rb"(\d+) 0 R", kids[1])]))
        else:
            order.append(n)
    number = {n: i + 1 for i, n in enumerate(order)}
    found = re.findall(rb"/([\w.-]+)\s*\[(\d+) 0 R", objects.get(int(dests[1]), b""))
    return {name.decode(): number[int(ref)] for name, ref in found if int(ref) in number}


def _print(page: Any, html: Path) -> bytes:
    page.goto(html.resolve().as_uri(), wait_until="load")
    pdf: bytes = page.pdf(
        format="A4",
        print_background=True,
        prefer_css_page_size=True,
        display_header_footer=True,
        header_template="<span></span>",
        footer_template=FOOTER,
        outline=True,
        tagged=True,
    )
    return pdf


def print_pdf(
    html: Path, out: Path, numbered: Callable[[dict[str, int]], str] | None = None
) -> int:
    """Print ``html`` to ``out`` as A4 portrait; the number of pages.  With
    ``numbered`` (the HTML again, given each anchor's page), the HTML is written
    again with its contents' page numbers and printed a second time; the
    contents page keeps its length, so no section moves."""
    chromium = find_chromium()
    if chromium is None:
        raise ConfigError(
            "no Chromium to print the PDF with: install it (apt-get install chromium) "
            "or leave out --pdf; the HTML is written without it"
        )
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        raise ConfigError(
            "printing the PDF needs Playwright: pip install playwright (its browsers are "
            "not needed; the system's Chromium is used), or leave out --pdf"
        ) from exc

    def run() -> bytes:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium)
            try:
                page = browser.new_page()
                pdf = _print(page, html)
                pages = anchor_pages(pdf) if numbered is not None else {}
                if numbered is not None and pages:
                    atomic_write(html, numbered(pages))
                    pdf = _print(page, html)
            finally:
                browser.close()
        return pdf

    # Playwright's synchronous API refuses a thread that already runs an
    # asyncio loop (a web server's, or another Playwright session's), so the
    # printing has a thread of its own.
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pdf = pool.submit(run).result()
    except Error as exc:
        raise ConfigError(f"Chromium ({chromium}) could not print {html}: {exc}") from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    return page_count(pdf)
