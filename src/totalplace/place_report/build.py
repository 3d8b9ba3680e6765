"""Write the place's report: HTML always, and a PDF of it when asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from totalplace.errors import ConfigError
from totalplace.place_report.gather import gather
from totalplace.place_report.html import SECTIONS, render_html, summary_rows
from totalplace.workspace import atomic_write

PARTS = ("benchmark", "opportunities", "cases", "barriers")


def check_outputs(html_out: Path, pdf_out: Path | None) -> None:
    """Refuse an HTML and a PDF given the same name: the printing would
    overwrite the page it prints."""
    if pdf_out is not None and pdf_out.resolve() == html_out.resolve():
        raise ConfigError(f"--html and --pdf are the same file ({html_out}): give two names")


def write_printed(
    html_out: Path, pdf_out: Path | None, render: Callable[[dict[str, int] | None], str]
) -> int | None:
    """Write a report's HTML (``render(None)``) and, given ``pdf_out``, print it
    to PDF with its contents numbered (``render`` given each section's page);
    the PDF's pages, or None when no PDF was asked for."""
    check_outputs(html_out, pdf_out)
    html_out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(html_out, render(None))
    if pdf_out is None:
        return None
    from totalplace.place_report.pdf import print_pdf

    return print_pdf(html_out, pdf_out, render)


def files_written(
    html_out: Path, pdf_out: Path | None, pages: int | None, sections: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    """What a report command says it wrote: the HTML, the PDF (None when not
    asked for) and its pages, and the report's sections in order."""
    return {
        "html": str(html_out),
        "pdf": str(pdf_out) if pdf_out is not None else None,
        "pages": pages,
        "sections": [{"id": a, "heading": h} for a, h in sections],
    }


def write_report(root: Path, html_out: Path, pdf_out: Path | None = None) -> dict[str, Any]:
    """Write the report of the workspace at ``root`` and say what it holds:
    the files written, the PDF's pages, the summary's figures by their key in
    count.json, and each optional part present or why it is absent."""
    check_outputs(html_out, pdf_out)
    report = gather(root)
    pages = write_printed(html_out, pdf_out, lambda at: render_html(report, pages=at))
    s = report["count"]["summary"]
    return {
        "place": s["place"],
        "year": s["year"],
        **files_written(html_out, pdf_out, pages, SECTIONS),
        "summary": {key: pence for key, _, pence in summary_rows(s, report["count"]["overview"])},
        "themes": len(report["count"]["themes"]),
        "parts": {
            name: {"available": report[name]["available"], "reason": report[name]["reason"]}
            for name in PARTS
        },
    }
