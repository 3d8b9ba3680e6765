"""Is every table file the catalog lists there, whole, and the one it recorded?

At commit the catalog records each table file's size and SHA-256, and the
file carries its source's catalog row in its own metadata (:mod:`.stamp`).
The quick check, run by ``check`` every time and by every command that reads
the rows (``count``, ``classify``, ``trace``), compares sizes and reads each
file's stamp (a few bytes at its end): a missing file, one cut short or grown,
and one that names another source are found without reading the data.  The
full check (``check --verify``) also hashes every file and compares the
SHA-256, which finds any change to any byte.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from totalplace.schema import ROW_TABLES
from totalplace.store.stamp import checksum, read_stamp


@dataclass(frozen=True)
class TableProblem:
    """One table file that is not what the catalog recorded."""

    file_id: str
    table: str
    path: str  # relative to the workspace: tables/rows/<file_id>.parquet
    source: str  # the source file's path as ingested
    kind: str  # missing, truncated, grown, substituted, changed, replacing
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class StoreCheck:
    """What checking the table files found."""

    root: str = ""  # the workspace, for the repair command a message gives
    files: int = 0  # committed source files
    tables: int = 0  # their table files
    verified: bool = False  # checksums compared, not sizes alone
    unrecorded: int = 0  # table files committed before sizes were recorded
    problems: list[TableProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def damaged_ids(self) -> list[str]:
        return sorted({p.file_id for p in self.problems})

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "files": self.files,
            "tables": self.tables,
            "verified": self.verified,
            "unrecorded": self.unrecorded,
            "problems": [p.to_dict() for p in self.problems],
        }


def check_tables(root: Path, con: duckdb.DuckDBPyConnection, verify: bool = False) -> StoreCheck:
    """Check every committed table file against the catalog (``con``): sizes
    and stamps always, SHA-256 with ``verify``."""
    files = con.execute("SELECT file_id, path FROM files ORDER BY ingested_at, path").fetchall()
    recorded = {
        (f, t): (int(b), str(h))
        for f, t, b, h in con.execute(
            "SELECT file_id, table_name, bytes, sha256 FROM table_files"
        ).fetchall()
    }
    swapping = {r[0] for r in con.execute("SELECT file_id FROM swaps").fetchall()}
    result = StoreCheck(root=str(root), files=len(files), verified=verify)
    for file_id, source in files:
        for table in ROW_TABLES:
            result.tables += 1
            found = _check_one(root, file_id, str(source), table, recorded.get((file_id, table)))
            if file_id in swapping:
                found = _problem(
                    file_id,
                    table,
                    str(source),
                    "replacing",
                    "a replacement was committed but its files are not yet in place; the next "
                    "command that writes to the workspace finishes it",
                )
            elif found is None and verify and (file_id, table) in recorded:
                found = _check_sum(root, file_id, str(source), table, recorded[file_id, table])
            if (file_id, table) not in recorded:
                result.unrecorded += 1
            if found is not None:
                result.problems.append(found)
    return result


def table_rel(file_id: str, table: str) -> str:
    return f"tables/{table}/{file_id}.parquet"


def _problem(file_id: str, table: str, source: str, kind: str, message: str) -> TableProblem:
    return TableProblem(file_id, table, table_rel(file_id, table), source, kind, message)


def _check_one(
    root: Path, file_id: str, source: str, table: str, want: tuple[int, str] | None
) -> TableProblem | None:
    path = root / table_rel(file_id, table)
    rel = table_rel(file_id, table)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return _problem(
            file_id, table, source, "missing", f"{rel} ({table} of {source}) is missing"
        )
    if want is None:  # committed before sizes were recorded: its presence is all we know
        return None
    stamp = read_stamp(path)
    held = stamp["file"] if stamp else {}
    if stamp and (held.get("file_id") != file_id or stamp.get("table") != table):
        return _problem(
            file_id,
            table,
            source,
            "substituted",
            f"{rel} ({table} of {source}) holds the {stamp.get('table')} of "
            f"{held.get('path')} ({str(held.get('file_id'))[:12]}): another file was put "
            "in its place",
        )
    if size < want[0]:
        return _problem(
            file_id,
            table,
            source,
            "truncated",
            f"{rel} ({table} of {source}) is {size:,} bytes, {want[0] - size:,} fewer than "
            "were committed: it was cut short",
        )
    if size > want[0]:
        return _problem(
            file_id,
            table,
            source,
            "grown",
            f"{rel} ({table} of {source}) is {size:,} bytes, {size - want[0]:,} more than "
            "were committed: something else was written to it",
        )
    if stamp is None:
        return _problem(
            file_id,
            table,
            source,
            "changed",
            f"{rel} ({table} of {source}) has the committed size but is not the committed "
            "Parquet file (its metadata cannot be read)",
        )
    return None


def _check_sum(
    root: Path, file_id: str, source: str, table: str, want: tuple[int, str]
) -> TableProblem | None:
    rel = table_rel(file_id, table)
    _, digest = checksum(root / rel)
    if digest == want[1]:
        return None
    return _problem(
        file_id,
        table,
        source,
        "changed",
        f"{rel} ({table} of {source}) has the committed size but not the committed SHA-256 "
        f"({digest[:12]}, not {want[1][:12]}): its bytes were changed",
    )
