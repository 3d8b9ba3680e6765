"""totalplace: count all the public money flowing into a place, and trace every pound."""

from totalplace.config import WorkspaceConfig
from totalplace.errors import (
    ConfigError,
    MappingError,
    SourceError,
    TotalPlaceError,
    WorkspaceError,
)
from totalplace.ingest import (
    ISSUE_TYPES,
    FileReport,
    IngestReport,
    Issue,
    IssueType,
    Severity,
    ingest_files,
    workspace_report,
)
from totalplace.workspace import Workspace

__all__ = [
    "ISSUE_TYPES",
    "ConfigError",
    "FileReport",
    "IngestReport",
    "Issue",
    "IssueType",
    "MappingError",
    "Severity",
    "SourceError",
    "TotalPlaceError",
    "Workspace",
    "WorkspaceConfig",
    "WorkspaceError",
    "ingest_files",
    "workspace_report",
]
