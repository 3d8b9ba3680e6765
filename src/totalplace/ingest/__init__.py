"""Ingest of published spend files into a workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from totalplace.ingest.issues import ISSUE_TYPES, Issue, IssueType, Severity

if TYPE_CHECKING:
    from totalplace.ingest.pipeline import (
        FileReport,
        IngestReport,
        ingest_files,
        workspace_report,
    )

# The pipeline (pyarrow, the readers) loads on first use, so that importing a
# light module of this package (limits, issues) does not pay for it.
_PIPELINE = frozenset({"FileReport", "IngestReport", "ingest_files", "workspace_report"})


def __getattr__(name: str) -> object:
    if name not in _PIPELINE:
        raise AttributeError(f"module 'totalplace.ingest' has no attribute {name!r}")
    from totalplace.ingest import pipeline

    return getattr(pipeline, name)


__all__ = [
    "ISSUE_TYPES",
    "FileReport",
    "IngestReport",
    "Issue",
    "IssueType",
    "Severity",
    "ingest_files",
    "workspace_report",
]
