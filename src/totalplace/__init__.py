"""totalplace: count all the public money flowing into a place, and trace every pound."""

from typing import TYPE_CHECKING

from totalplace.errors import (
    ConfigError,
    MappingError,
    SourceError,
    TotalPlaceError,
    WorkspaceError,
)

if TYPE_CHECKING:
    from totalplace.config import WorkspaceConfig
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

# Everything else imports on first use: ingest (pyarrow, the readers), the
# analyses (Ibis, numpy, the reference tables) and the workspace are heavier
# than a command-line start should pay for, and a command needing none of them
# (topdown, --help) should not wait for them.
_LAZY = {
    "WorkspaceConfig": "totalplace.config",
    "ISSUE_TYPES": "totalplace.ingest",
    "FileReport": "totalplace.ingest",
    "IngestReport": "totalplace.ingest",
    "Issue": "totalplace.ingest",
    "IssueType": "totalplace.ingest",
    "Severity": "totalplace.ingest",
    "ingest_files": "totalplace.ingest",
    "workspace_report": "totalplace.ingest",
    "Workspace": "totalplace.workspace",
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
