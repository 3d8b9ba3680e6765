"""The Total Place report of a place, as a partnership would publish it: HTML
that opens anywhere and, through Chromium's printing, a PDF for A4."""

from totalplace.place_report.build import write_report
from totalplace.place_report.gather import gather
from totalplace.place_report.html import SECTIONS, render_html

__all__ = ["SECTIONS", "gather", "render_html", "write_report"]
