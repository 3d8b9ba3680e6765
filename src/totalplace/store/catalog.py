"""The catalog's tables: the commit point of the store.

``files`` is the current state (one row per committed source file), which
every count and report reads; ``attempts`` every try, failed ones too, with
a failed file's typed reason (``details``), and every input ingest did not
read (a sheet with no payments, a zip member or a link) with the reason;
``history`` every load, replacement and removal, never updated or deleted;
``swaps`` the replacements committed whose Parquet is not yet renamed into
place; ``table_files`` each committed table file's size and checksum.  A
source is named to ``remove`` by its path, its file name or a hash prefix
(:func:`find_source`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from totalplace.errors import WorkspaceError

CATALOG_NAME = "catalog.duckdb"
HISTORY_ACTIONS = ("loaded", "replaced", "removed")
# A SHA-256 prefix must be this long to name a source: short ones match by chance.
MIN_HASH_PREFIX = 6
_HEX = re.compile(r"[0-9a-fA-F]+")
# The columns of ``files``, in order: a rebuilt catalog row has each of them.
FILE_COLUMNS = (
    "file_id",
    "path",
    "publisher",
    "ingested_at",
    "encoding",
    "delimiter",
    "header_line",
    "column_map",
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "rows_blank",
    "amount_loaded_pence",
    "amount_quarantined_pence",
    "issue_counts",
    "warnings",
    "details",
)

CATALOG_DDL = [
    """CREATE TABLE IF NOT EXISTS files (
        file_id VARCHAR PRIMARY KEY,
        path VARCHAR NOT NULL,
        publisher VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL,
        encoding VARCHAR,
        delimiter VARCHAR,
        header_line INTEGER,
        column_map VARCHAR,
        rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        rows_blank BIGINT NOT NULL,
        amount_loaded_pence BIGINT NOT NULL,
        amount_quarantined_pence BIGINT NOT NULL,
        issue_counts VARCHAR NOT NULL,
        warnings VARCHAR,
        details VARCHAR
    )""",
    # catalogs made before file-level warnings and details were kept
    "ALTER TABLE files ADD COLUMN IF NOT EXISTS warnings VARCHAR",
    "ALTER TABLE files ADD COLUMN IF NOT EXISTS details VARCHAR",
    """CREATE TABLE IF NOT EXISTS attempts (
        attempted_at TIMESTAMP NOT NULL,
        path VARCHAR NOT NULL,
        file_id VARCHAR,
        status VARCHAR NOT NULL,
        message VARCHAR
    )""",
    # catalogs made before a failure's typed reason was kept with its attempt
    "ALTER TABLE attempts ADD COLUMN IF NOT EXISTS details VARCHAR",
    # One row per change to the store: 'loaded', 'replaced' (with what it was
    # before) and 'removed' (what was taken out). Never updated or deleted.
    """CREATE TABLE IF NOT EXISTS history (
        changed_at TIMESTAMP NOT NULL,
        action VARCHAR NOT NULL,
        file_id VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        publisher VARCHAR,
        column_map VARCHAR,
        details VARCHAR,
        rows_loaded BIGINT,
        amount_loaded_pence BIGINT,
        previous_path VARCHAR,
        previous_publisher VARCHAR,
        previous_column_map VARCHAR,
        previous_rows_loaded BIGINT,
        previous_amount_loaded_pence BIGINT
    )""",
    # Catalogs made before the history was kept: each file's load, dated when it was.
    """INSERT INTO history (changed_at, action, file_id, path, publisher, column_map, details,
                           rows_loaded, amount_loaded_pence)
       SELECT ingested_at, 'loaded', file_id, path, publisher, column_map, details,
              rows_loaded, amount_loaded_pence
       FROM files WHERE file_id NOT IN (SELECT file_id FROM history)""",
    # Replacements committed whose new Parquet is not yet renamed into place.
    "CREATE TABLE IF NOT EXISTS swaps (file_id VARCHAR PRIMARY KEY)",
    # Each committed table file's size and SHA-256, taken when it was written:
    # ``check`` compares sizes every time and checksums with --verify.
    """CREATE TABLE IF NOT EXISTS table_files (
        file_id VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL,
        bytes BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL,
        PRIMARY KEY (file_id, table_name)
    )""",
]


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Make the catalog's tables, or bring an older catalog's up to date."""
    for ddl in CATALOG_DDL:
        con.execute(ddl)


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the catalog has every table and column this code writes, so a
    reader need not open it for writing to bring it up to date."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if not {"files", "attempts", "history", "swaps", "table_files"} <= tables:
        return False
    columns = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'files'"
        ).fetchall()
    }
    attempts = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'attempts'"
        ).fetchall()
    }
    return set(FILE_COLUMNS) <= columns and "details" in attempts


def now() -> datetime:
    """UTC without a zone, as ``ingested_at`` is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def insert_file(con: duckdb.DuckDBPyConnection, file_row: dict[str, Any]) -> None:
    cols = ", ".join(file_row)
    marks = ", ".join("?" for _ in file_row)
    con.execute(f"INSERT INTO files ({cols}) VALUES ({marks})", list(file_row.values()))


def insert_attempt(
    con: duckdb.DuckDBPyConnection,
    path: str,
    file_id: str | None,
    status: str,
    message: str,
    details: str | None = None,
) -> None:
    """Record one try at a source: 'loaded', 'failed' (``details``: the typed
    reason as JSON), 'skipped' (an input not read, ``message`` the reason) or
    'restored' by repair.  Columns are named, so older catalogs take it too."""
    con.execute(
        "INSERT INTO attempts (attempted_at, path, file_id, status, message, details) "
        "VALUES (now(), ?, ?, ?, ?, ?)",
        [path, file_id, status, message, details],
    )


def clear_skipped(con: duckdb.DuckDBPyConnection, removed_path: str) -> None:
    """Once nothing from a workbook or zip is left in the store, the inputs of
    it that were not read are no longer reported: a 'removed' attempt follows
    each (in the caller's transaction).  Ingesting it again reports them again."""
    outer = removed_path.partition("!")[0]
    con.execute(
        """INSERT INTO attempts (attempted_at, path, file_id, status, message)
           SELECT DISTINCT now(), path, file_id, 'removed', 'what held it was removed'
           FROM attempts
           WHERE status = 'skipped' AND split_part(path, '!', 1) = $outer
             AND NOT EXISTS (SELECT 1 FROM files WHERE split_part(files.path, '!', 1) = $outer)""",
        {"outer": outer},
    )


def file_summary(con: duckdb.DuckDBPyConnection, file_id: str) -> dict[str, Any] | None:
    """What the history keeps of a committed file."""
    row = con.execute(
        "SELECT file_id, path, publisher, column_map, details, rows_loaded, "
        "amount_loaded_pence FROM files WHERE file_id = ?",
        [file_id],
    ).fetchone()
    keys = ("file_id", "path", "publisher", "column_map", "details", "rows_loaded")
    return None if row is None else dict(zip((*keys, "amount_loaded_pence"), row, strict=True))


def insert_history(
    con: duckdb.DuckDBPyConnection,
    action: str,
    file_row: dict[str, Any],
    at: datetime,
    previous: dict[str, Any] | None = None,
) -> None:
    before = previous or {}
    con.execute(
        "INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            at,
            action,
            file_row["file_id"],
            file_row["path"],
            file_row["publisher"],
            file_row["column_map"],
            file_row["details"],
            file_row["rows_loaded"],
            file_row["amount_loaded_pence"],
            before.get("path"),
            before.get("publisher"),
            before.get("column_map"),
            before.get("rows_loaded"),
            before.get("amount_loaded_pence"),
        ],
    )


def record_tables(
    con: duckdb.DuckDBPyConnection, file_id: str, sums: dict[str, tuple[int, str]]
) -> None:
    """Record each table file's size and SHA-256 (in the caller's transaction)."""
    con.execute("DELETE FROM table_files WHERE file_id = ?", [file_id])
    for table, (size, digest) in sums.items():
        con.execute("INSERT INTO table_files VALUES (?, ?, ?, ?)", [file_id, table, size, digest])


def find_source(con: duckdb.DuckDBPyConnection, source: str, root: Path) -> str:
    """The ``file_id`` of the one committed source ``source`` names."""
    loaded = con.execute(
        "SELECT file_id, path, publisher FROM files ORDER BY ingested_at, path"
    ).fetchall()
    tests = (
        lambda path: path == source,
        lambda path: _resolved(path) == _resolved(source),
        lambda path: source in _names(path),
    )
    matches: list[tuple[str, str, str]] = []
    for test in tests:
        matches = [r for r in loaded if test(r[1])]
        if matches:
            break
    if not matches and len(source) >= MIN_HASH_PREFIX and _HEX.fullmatch(source):
        matches = [r for r in loaded if r[0].startswith(source.lower())]
    if len(matches) == 1:
        return matches[0][0]
    if matches:
        listed = "; ".join(f"{i[:12]} {p} ({pub})" for i, p, pub in matches)
        raise WorkspaceError(
            f"{source!r} matches {len(matches)} loaded sources: {listed}. "
            "Give the full path or a longer SHA-256 prefix."
        )
    raise WorkspaceError(
        f"no loaded source matches {source!r}: give its path as ingested, its file "
        f"name, or at least {MIN_HASH_PREFIX} characters of its SHA-256. "
        f"The loaded sources are listed by: totalplace check {root}"
    )


def _resolved(path: str) -> str:
    """A recorded path (``a.zip!member.csv`` too) made absolute, to compare
    paths written differently."""
    outer, bang, member = path.partition("!")
    return str(Path(outer).expanduser().resolve()) + bang + member


def _names(path: str) -> set[str]:
    """The short names a user may give a source: ``file.csv``, ``a.zip!m.csv``, ``m.csv``."""
    outer, bang, member = path.partition("!")
    names = {Path(outer).name + bang + member}
    if member:
        names.add(Path(member).name)
    return names
