"""The count report as the dashboard reads it: one definition, in
:mod:`totalplace.report.count_file`, so the terminal, the place's report and
the pages read the same figures.  Named here for the pages' imports."""

from totalplace.report.count_file import (
    COUNT_FILE,
    GRADE_LABELS,
    SMALL_SHARE,
    NoCount,
    cells,
    count_path,
    method_label,
    overview,
    place_count,
    read_count,
    summary,
)

__all__ = [
    "COUNT_FILE",
    "GRADE_LABELS",
    "SMALL_SHARE",
    "NoCount",
    "cells",
    "count_path",
    "method_label",
    "overview",
    "place_count",
    "read_count",
    "summary",
]
