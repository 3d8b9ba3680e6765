"""Exception tree.

Exceptions are for configuration and programming faults; problems in the data
are typed issues (see :mod:`totalplace.ingest.issues`), never exceptions.
Every message says what to do next.
"""

from __future__ import annotations


class TotalPlaceError(Exception):
    """Base class for every error raised on purpose by totalplace."""


class WorkspaceError(TotalPlaceError):
    """A workspace folder is missing, malformed or belongs to another study."""


class ConfigError(TotalPlaceError):
    """A configuration value or file (workspace, profile) is invalid."""


class SourceError(TotalPlaceError):
    """A source file cannot be ingested as a whole (unreadable, unmappable)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message


class MappingError(SourceError):
    """The columns of a source file cannot be mapped to canonical roles with confidence."""
