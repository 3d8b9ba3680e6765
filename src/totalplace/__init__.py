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

# The analyses import on first use (Ibis, numpy and the reference tables are
# heavier than a command-line start should pay for).
_LAZY = {
    "topdown": "totalplace.count.topdown",
    "resolve_place": "totalplace.reference.places",
    "classify_workspace": "totalplace.classify",
    "org_registry": "totalplace.orgs",
    "resolve_names": "totalplace.orgs",
    "count_workspace": "totalplace.report.run",
    "build_count": "totalplace.count.cube",
    "PlaceCount": "totalplace.count.place_count",
    "trace": "totalplace.count.trace",
    "load_case": "totalplace.case",
    "appraise": "totalplace.case",
    "gain_share": "totalplace.case.partners",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'totalplace' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "ISSUE_TYPES",
    "ConfigError",
    "FileReport",
    "IngestReport",
    "Issue",
    "IssueType",
    "MappingError",
    "PlaceCount",
    "Severity",
    "SourceError",
    "TotalPlaceError",
    "Workspace",
    "WorkspaceConfig",
    "WorkspaceError",
    "appraise",
    "build_count",
    "classify_workspace",
    "count_workspace",
    "gain_share",
    "ingest_files",
    "load_case",
    "org_registry",
    "resolve_names",
    "resolve_place",
    "topdown",
    "trace",
    "workspace_report",
]
