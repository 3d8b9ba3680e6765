"""Ingest of published spend files into a workspace."""

from totalplace.ingest.issues import ISSUE_TYPES, Issue, IssueType, Severity
from totalplace.ingest.pipeline import FileReport, IngestReport, ingest_files, workspace_report

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
