"""The limits ingest enforces on one file, declared once with their defaults.

A file beyond a limit fails on its own (a :class:`LimitExceeded`, recorded in
the catalog like any failed file) and the ingest goes on with the next file;
the message names the limit, what the file held and the ``ingest`` option
that raises it.  The defaults sit well above anything a spend file holds (the
longest line among the shared real files is a few kilobytes, the widest
header under a hundred columns) and well below what would exhaust memory:
a 16 MiB line or a 10,000-column header used to take the command down.

Amounts and dates have fixed bounds, not limits to raise: an amount beyond
plus or minus £10 trillion (:data:`MAX_AMOUNT_POUNDS`) or a date outside the
years 1900 to 2100 is quarantined with a typed issue (``amount-out-of-range``,
``date-out-of-range``), never loaded and never a crash.

Each limit can also be set for a workspace in the ``[ingest]`` table of its
``totalplace.toml`` (:class:`totalplace.config.IngestSettings`, which declares
the range each may take); the command-line option, when given, wins
(:func:`chosen`).

The limits in force are carried by a context variable set once per ingest
(:func:`applied`), so the readers deep in a zip or a workbook see the same
values without every function in between passing them on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, fields

from totalplace.config import INGEST_MAXIMA, IngestSettings, archive_bytes
from totalplace.errors import ConfigError, SourceError

# No public body pays £10 trillion in one line; beyond this a value is a
# mis-read column or a corrupted cell, and such values would overflow sums.
MAX_AMOUNT_POUNDS = 10**13
MAX_AMOUNT_PENCE = MAX_AMOUNT_POUNDS * 100
# What the store's 64-bit integer pence can hold: a file's sums are checked against it.
MAX_STORED_PENCE = 2**63 - 1
# Dates outside these years are not payments of the period studied.
YEAR_MIN, YEAR_MAX = 1900, 2100


@dataclass(frozen=True)
class Limit:
    """One limit: its default, the ``ingest`` option that raises it and what it bounds."""

    name: str
    default: int
    option: str
    unit: str
    help: str


LIMITS: dict[str, Limit] = {
    limit.name: limit
    for limit in (
        Limit(
            "max_line_bytes",
            1024 * 1024,
            "--max-line-bytes",
            "bytes",
            "The longest physical line of a text file (after conversion to UTF-8).",
        ),
        Limit(
            "max_columns",
            1000,
            "--max-columns",
            "columns",
            "The most columns a header line (or a workbook row) may hold.",
        ),
        Limit(
            "max_sheet_rows",
            1_048_576,
            "--max-sheet-rows",
            "rows",
            "The most rows one workbook sheet may hold (Excel's own maximum by default).",
        ),
    )
}


@dataclass(frozen=True)
class IngestLimits:
    """The limits one ingest runs under; each defaults to :data:`LIMITS`."""

    max_line_bytes: int = LIMITS["max_line_bytes"].default
    max_columns: int = LIMITS["max_columns"].default
    max_sheet_rows: int = LIMITS["max_sheet_rows"].default

    def __post_init__(self) -> None:
        for f in fields(self):
            value, top = getattr(self, f.name), INGEST_MAXIMA[f.name]
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
                raise ConfigError(
                    f"{f.name} ({LIMITS[f.name].option}) must be a whole number from 1 to "
                    f"{top:,}; got {value!r}"
                )


def archive_option(text: str) -> int:
    """``--max-archive-size`` in bytes, in the same range as ``max_archive_size``
    in the ``[ingest]`` table (1 byte to 1 TiB)."""
    try:
        return archive_bytes(text)
    except ValueError as exc:
        raise ConfigError(f"--max-archive-size {text!r}: {exc}") from exc


def chosen(settings: IngestSettings, **given: int | None) -> IngestLimits:
    """The limits an ingest runs under: each from its option when given (``given``,
    by limit name), else from the workspace's ``[ingest]`` table, else its default."""
    values: dict[str, int] = {}
    for name in LIMITS:
        value = given.get(name)
        if value is None:
            value = getattr(settings, name)
        if value is not None:
            values[name] = value
    return IngestLimits(**values)


class LimitExceeded(SourceError):
    """A file beyond one of the ingest limits: it fails alone, with the limit named."""

    def __init__(self, path: str, name: str, found: str, value: int) -> None:
        limit = LIMITS[name]
        super().__init__(
            path,
            f"{found}, over the limit of {value:,} {limit.unit} ({name}). If the file is "
            f"genuine, ingest it again with {limit.option} N to raise the limit.",
        )
        self.limit = name
        self.value = value


def failure_details(exc: SourceError) -> dict[str, object]:
    """The typed reason a file failed, for its report's ``details.failure``:
    the error's type, and for a limit the limit's name, value and option."""
    found: dict[str, object] = {"error": type(exc).__name__}
    if isinstance(exc, LimitExceeded):
        limit = LIMITS[exc.limit]
        found.update(limit=limit.name, value=exc.value, option=limit.option)
    return found


_CURRENT: ContextVar[IngestLimits] = ContextVar("ingest_limits", default=IngestLimits())  # noqa: B039


def current() -> IngestLimits:
    """The limits of the ingest running in this thread (the defaults outside one)."""
    return _CURRENT.get()


@contextlib.contextmanager
def applied(limits: IngestLimits) -> Iterator[IngestLimits]:
    """Run the block under ``limits``; the previous limits come back after it."""
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)
