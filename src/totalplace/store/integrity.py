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
    kind: str  # missing, truncated, grown, substituted, changed
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
    # committed files whose renames into place a writer is finishing (or, after
    # a crash, the next writer will finish): not damage
    pending: list[str] = field(default_factory=list)

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
            "pending": self.pending,
        }


@dataclass(frozen=True)
class CatalogState:
    """What the catalog says of the table files, read in one go, so the check
    can run with the catalog closed (a writer never waits on a check) and be
    compared with the catalog afterwards."""

    files: tuple[tuple[str, str], ...]  # (file_id, source path)
    recorded: tuple[tuple[str, str, int, str], ...]  # (file_id, table, bytes, sha256)
    swapping: frozenset[str]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> CatalogState:
        return cls(
            files=tuple(
                (str(f), str(p))
                for f, p in con.execute(
                    "SELECT file_id, path FROM files ORDER BY ingested_at, path"
                ).fetchall()
            ),
            recorded=tuple(
                (str(f), str(t), int(b), str(h))
                for f, t, b, h in con.execute(
                    "SELECT file_id, table_name, bytes, sha256 FROM table_files ORDER BY 1, 2"
                ).fetchall()
            ),
            swapping=frozenset(r[0] for r in con.execute("SELECT file_id FROM swaps").fetchall()),
        )


def check_tables(root: Path, state: CatalogState, verify: bool = False) -> StoreCheck:
    """Check every committed table file against the catalog's ``state``: sizes
    and stamps always, SHA-256 with ``verify``."""
    recorded = {(f, t): (b, h) for f, t, b, h in state.recorded}
    result = StoreCheck(root=str(root), files=len(state.files), verified=verify)
    for file_id, source in state.files:
        if file_id in state.swapping:
            result.tables += len(ROW_TABLES)
            result.pending.append(file_id)
            continue
        for table in ROW_TABLES:
            result.tables += 1
            want = recorded.get((file_id, table))
            found = _check_one(root, file_id, source, table, want)
            if found is None and verify and want is not None:
                found = _check_sum(root, file_id, source, table, want)
            if want is None:
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
