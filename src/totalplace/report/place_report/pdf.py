"""The report printed to PDF by Chromium (through Playwright), as a browser
prints it for A4: the same HTML, so the PDF cannot differ from it, with the
page number and page count in every page's footer and the PDF's bookmarks made
from the section headings.  Chromium is the system's (Debian's ``chromium``):
nothing is downloaded."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from totalplace.errors import ConfigError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FOOTER = (
    '<div style="font-size:8px;width:100%;margin:0 16mm;color:#555;'
    'font-family:Helvetica,Arial,sans-serif;display:flex;justify-content:space-between">'
    '<span class="title"></span><span>Page <span class="pageNumber"></span> of '
    '<span class="totalPages"></span></span></div>'
)
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


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


def print_pdf(html: Path, out: Path) -> int:
    """Print ``html`` to ``out`` as A4 portrait; the number of pages."""
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
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium)
            try:
                page = browser.new_page()
                page.goto(html.resolve().as_uri(), wait_until="load")
                pdf = page.pdf(
                    format="A4",
                    print_background=True,
                    prefer_css_page_size=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=FOOTER,
                    outline=True,
                    tagged=True,
                )
            finally:
                browser.close()
    except Error as exc:
        raise ConfigError(f"Chromium ({chromium}) could not print {html}: {exc}") from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    return page_count(pdf)
