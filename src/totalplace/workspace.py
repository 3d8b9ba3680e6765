"""A workspace is one study's folder: config, Parquet tables, DuckDB catalog, ingest report.

Layout::

    DIR/totalplace.toml        the place, year and sources
    DIR/catalog.duckdb         provenance of every committed file and every attempt
    DIR/tables/rows/<file_id>.parquet        every record of a source file, with its status
    DIR/tables/quarantine/<file_id>.parquet  quarantined records with their raw text
    DIR/tables/issues/<file_id>.parquet      every typed issue
    DIR/profiles/*.toml        the user's column-mapping profiles
    DIR/ingest_report.json     the latest ingest report (also `totalplace check`)

The catalog is the commit point: a Parquet file whose ``file_id`` is not in the
``files`` table was left by an interrupted ingest (or removal) and is removed on
next open, so an interrupted ingest leaves the store as it was before that file.
The ``history`` table keeps every load, replacement and removal; ``files`` is the
current state, which every count and report reads.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from totalplace import duck
from totalplace.config import CONFIG_NAME, SourceEntry, WorkspaceConfig
from totalplace.errors import WorkspaceError
from totalplace.ingest.rowsql import MONEY_ROLES, TEXT_ROLES, warnings_sql

CATALOG_NAME = "catalog.duckdb"
# Held (flock) by the one command writing to the workspace; readers never take it
# for long and never clean up while another process holds it.
LOCK_NAME = ".lock"
# How long a second writer waits for the first before saying the workspace is busy.
WRITE_WAIT_SECONDS = 30.0
# Workspace roots whose writer lock this process holds, with its depth (re-entrant).
_HELD: dict[Path, int] = {}
# each loaded row's rule and theme, written by classify and rebuilt by count
CLASSIFIED_NAME = "classified.parquet"
REPORT_NAME = "ingest_report.json"
ROW_TABLES = ("rows", "quarantine", "issues")
# Columns a file may leave out of its Parquet because its layout has no such role.
CANONICAL_COLUMNS = {
    "rows": {
        **dict.fromkeys(TEXT_ROLES, "VARCHAR"),
        **{f"{r}_pence": "BIGINT" for r in MONEY_ROLES},
    }
}

_CATALOG_DDL = [
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
]
HISTORY_ACTIONS = ("loaded", "replaced", "removed")
# A SHA-256 prefix must be this long to name a source: short ones match by chance.
MIN_HASH_PREFIX = 6
_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(frozen=True)
class RemovedSource:
    """What ``remove`` took out of the store."""

    file_id: str
    path: str
    publisher: str
    rows_loaded: int
    amount_loaded_pence: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: WorkspaceConfig

    # -- creation and opening -------------------------------------------------
    @classmethod
    def create(cls, root: Path, place: Sequence[str], year: str, name: str = "") -> Workspace:
        """Create a workspace, or return the existing one if it is the same study."""
        config = WorkspaceConfig(place=list(place), year=year, name=name)
        cfg_path = root / CONFIG_NAME
        if cfg_path.exists():
            existing = WorkspaceConfig.from_file(cfg_path)
            if not existing.same_study(config):
                raise WorkspaceError(
                    f"{root} already holds a workspace for place {','.join(existing.place)} "
                    f"and year {existing.year}; choose another folder or open that one."
                )
            return cls.open(root)
        if root.exists() and any(root.iterdir()):
            raise WorkspaceError(
                f"{root} is not empty and holds no {CONFIG_NAME}; "
                "choose an empty or new folder for the workspace."
            )
        for sub in (*(f"tables/{t}" for t in ROW_TABLES), "profiles", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        ws = cls(root.resolve(), config)
        ws.save_config()
        with ws.catalog() as con:
            for ddl in _CATALOG_DDL:
                con.execute(ddl)
        return ws

    @classmethod
    def open(cls, root: Path) -> Workspace:
        """Open a workspace and, when no other command is writing to it, finish
        what a crash may have left: renames of a committed replacement are
        completed, Parquet the catalog does not list is removed, and the
        config's sources are rewritten if they differ from the catalog.  While
        another process holds the writer lock nothing is cleaned up: its staged
        files are not orphans.  A missing catalog beside table files is an
        error, never an empty workspace whose files are all orphans."""
        cfg_path = root / CONFIG_NAME
        if not cfg_path.exists():
            raise WorkspaceError(
                f"{root} is not a workspace (no {CONFIG_NAME}); "
                f"create one with: totalplace init {root} --place GSS --year YYYY-YY"
            )
        ws = cls(root.resolve(), WorkspaceConfig.from_file(cfg_path))
        if not (ws.root / CATALOG_NAME).exists():
            kept = [p for t in ROW_TABLES for p in (ws.root / "tables" / t).glob("*.parquet")]
            if kept:
                raise WorkspaceError(
                    f"{ws.root} has no {CATALOG_NAME} but holds {len(kept)} table files: the "
                    "catalog that records what they are is missing. Nothing was changed or "
                    f"deleted; restore {CATALOG_NAME} from a backup, or move the tables "
                    "folder aside and ingest the files again."
                )
        for sub in (*(f"tables/{t}" for t in ROW_TABLES), "profiles", "tmp"):
            (ws.root / sub).mkdir(parents=True, exist_ok=True)
        with ws.catalog() as con:
            for ddl in _CATALOG_DDL:
                con.execute(ddl)
        with ws._lock(wait=None) as held:
            if held:
                ws._recover()
        return ws

    def _recover(self) -> None:
        """Finish committed replacements, remove what no committed load owns,
        and bring the config's sources in line: only while holding the writer
        lock, when nothing staged can belong to a running command."""
        with self.catalog() as con:
            for (file_id,) in con.execute("SELECT file_id FROM swaps").fetchall():
                self._finish_swap(con, file_id)
            sources = con.execute("SELECT path, file_id, publisher FROM files").fetchall()
        self._remove_orphans({r[1] for r in sources})
        listed = {(s.path, s.sha256, s.publisher) for s in self.config.sources}
        if listed != set(sources):
            self.refresh_sources()

    @contextlib.contextmanager
    def writing(self, wait: float | None = None) -> Iterator[None]:
        """Hold the writer lock for a whole write (re-entrant in one process).
        A second writer waits up to ``wait`` seconds (WRITE_WAIT_SECONDS by
        default), then fails saying the workspace is busy; it never touches
        what the first is writing.  On taking the lock, what a crashed writer
        left is recovered first."""
        limit = WRITE_WAIT_SECONDS if wait is None else wait
        with self._lock(wait=limit) as held:
            if not held:
                raise WorkspaceError(
                    f"{self.root} is busy: another totalplace command is writing to it "
                    f"(waited {limit:.0f} s). Run this command again when it has finished."
                )
            if _HELD[self.root] == 1:
                self._recover()
            yield

    @contextlib.contextmanager
    def _lock(self, wait: float | None) -> Iterator[bool]:
        """The writer lock: yields True when held (taken here, or already by this
        process), False when another process holds it past ``wait`` seconds
        (``None``: do not wait, and report False while this process holds it
        too, so that a reader inside a write cleans nothing up)."""
        if self.root in _HELD:
            if wait is None:
                yield False
                return
            _HELD[self.root] += 1
            try:
                yield True
            finally:
                _HELD[self.root] -= 1
            return
        fh = (self.root / LOCK_NAME).open("a+")
        try:
            deadline = time.monotonic() + (wait or 0.0)
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.05)
            _HELD[self.root] = 1
            try:
                yield True
            finally:
                del _HELD[self.root]
                fcntl.flock(fh, fcntl.LOCK_UN)
        finally:
            fh.close()

    # -- paths ----------------------------------------------------------------
    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    @property
    def report_path(self) -> Path:
        return self.root / REPORT_NAME

    def table_path(self, table: str, file_id: str) -> Path:
        return self.root / "tables" / table / f"{file_id}.parquet"

    def save_config(self) -> None:
        _atomic_write(self.root / CONFIG_NAME, self.config.to_toml())

    def pending_path(self, table: str, file_id: str) -> Path:
        """Where a replacement's Parquet waits until the catalog has committed it."""
        return self.root / "tables" / table / f"{file_id}.parquet.new"

    def _remove_orphans(self, committed: set[str]) -> None:
        """Remove Parquet the catalog does not list, and replacements that never
        committed (run after committed swaps are finished, so none is waiting)."""
        for table in ROW_TABLES:
            for p in (self.root / "tables" / table).glob("*.parquet*"):
                if p.name.split(".", 1)[0] not in committed or p.name.endswith((".tmp", ".new")):
                    p.unlink(missing_ok=True)
        for p in self.tmp_dir.glob("*"):
            if p.is_file():
                p.unlink(missing_ok=True)

    # -- catalog --------------------------------------------------------------
    @contextlib.contextmanager
    def catalog(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the DuckDB catalog (one writer at a time; DuckDB locks the file)."""
        try:
            con = duck.connect(str(self.root / CATALOG_NAME), read_only=read_only)
        except duckdb.IOException as exc:
            raise WorkspaceError(
                f"cannot open the catalog of {self.root}: {exc}. "
                "Is another totalplace command using this workspace?"
            ) from exc
        try:
            yield con
        finally:
            con.close()

    def committed_ids(self) -> set[str]:
        with self.catalog(read_only=True) as con:
            return {r[0] for r in con.execute("SELECT file_id FROM files").fetchall()}

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Read-only analysis connection with views over the committed Parquet:
        ``rows`` (every record), ``spend`` (the loaded ones), ``quarantine``,
        ``issues``, and ``files`` from the catalog."""
        con = duck.connect()
        try:
            # ATTACH takes no parameters; the path is the workspace's own, quoted.
            catalog = str(self.root / CATALOG_NAME).replace("'", "''")
            con.execute(f"ATTACH '{catalog}' AS cat (READ_ONLY)")
            con.execute("CREATE TEMP VIEW files AS SELECT * FROM cat.files")
            ids = [r[0] for r in con.execute("SELECT file_id FROM cat.files").fetchall()]
            for table in ROW_TABLES:
                paths = [str(self.table_path(table, i)) for i in ids]
                if paths:
                    con.read_parquet(paths, union_by_name=True).create_view(f"{table}_files")
                    con.execute(_complete_view(con, table))
            if ids:
                con.execute(
                    f"CREATE TEMP VIEW spend AS SELECT * EXCLUDE (warning_bits), "
                    f"{warnings_sql('warning_bits')} AS warnings "
                    "FROM rows WHERE status = 'loaded'"
                )
            yield con
        finally:
            con.close()

    def commit_file(
        self,
        staged: dict[str, Path],
        file_row: dict[str, Any],
        attempt_message: str,
    ) -> None:
        """Move a file's staged Parquet into place and record it, with its
        'loaded' history row: all or nothing."""
        file_id = str(file_row["file_id"])
        placed: list[Path] = []
        done = False
        try:
            for table, tmp in staged.items():
                dest = self.table_path(table, file_id)
                tmp.replace(dest)
                placed.append(dest)
            with self.catalog() as con:
                con.execute("BEGIN TRANSACTION")
                _insert_file(con, file_row)
                con.execute(
                    "INSERT INTO attempts VALUES (now(), ?, ?, 'loaded', ?)",
                    [file_row["path"], file_id, attempt_message],
                )
                _insert_history(con, "loaded", file_row, file_row["ingested_at"])
                con.execute("COMMIT")
                done = True
        except BaseException:
            if not done:  # once committed, the Parquet is the store's
                for p in placed:
                    p.unlink(missing_ok=True)
            raise

    def replace_file(
        self,
        staged: dict[str, Path],
        file_row: dict[str, Any],
        attempt_message: str,
    ) -> None:
        """Put a new reading of a committed file in place of the old one, so that
        a crash at any point leaves one version complete, never a mix.

        Old and new share a ``file_id`` and so a Parquet name, which stays the
        same: every reader (classify, count, trace, ``connect``) finds a file's
        Parquet from its ``file_id`` alone, so rather than versioned names the
        swap is journaled in the catalog. In order:

        1. the staged Parquet is renamed to ``<file_id>.parquet.new`` beside the
           old. A crash here leaves the old version; the next open deletes the
           ``.new`` files.
        2. one catalog transaction replaces the ``files`` row, adds a 'replaced'
           history row (with the previous publisher and mapping) and a ``swaps``
           row. This is the commit point: before it, the old version stands.
        3. each ``.new`` is renamed over the old (a rename replaces a file whole),
           then the ``swaps`` row is deleted. A crash part-way leaves the row, and
           the next open finishes the renames before anything reads the store.

        The classification (``classified.parquet``) is deleted first: it holds
        the old rows' themes under the same ``file_id``; classify and count
        rebuild it."""
        file_id = str(file_row["file_id"])
        if set(staged) != set(ROW_TABLES):
            raise ValueError(f"a replacement needs every table staged: {sorted(ROW_TABLES)}")
        self._drop_classification()
        placed: list[Path] = []
        done = False
        try:
            for table, tmp in staged.items():
                dest = self.pending_path(table, file_id)
                tmp.replace(dest)
                placed.append(dest)
            with self.catalog() as con:
                old = _file_summary(con, file_id)
                if old is None:
                    raise WorkspaceError(
                        f"{file_row['path']} is not in the store, so nothing to replace; "
                        "ingest it without --replace."
                    )
                con.execute("BEGIN TRANSACTION")
                con.execute("DELETE FROM files WHERE file_id = ?", [file_id])
                _insert_file(con, file_row)
                con.execute(
                    "INSERT INTO attempts VALUES (now(), ?, ?, 'loaded', ?)",
                    [file_row["path"], file_id, f"replaced: {attempt_message}"],
                )
                _insert_history(con, "replaced", file_row, _now(), previous=old)
                con.execute("INSERT OR IGNORE INTO swaps VALUES (?)", [file_id])
                con.execute("COMMIT")
                done = True
                self._finish_swap(con, file_id)
        except BaseException:
            if not done:
                for p in placed:
                    p.unlink(missing_ok=True)
            raise

    def _finish_swap(self, con: duckdb.DuckDBPyConnection, file_id: str) -> None:
        """Rename a committed replacement's Parquet into place; safe to repeat,
        as a table already renamed has no ``.new`` left."""
        for table in ROW_TABLES:
            new = self.pending_path(table, file_id)
            if new.exists():
                new.replace(self.table_path(table, file_id))
        con.execute("DELETE FROM swaps WHERE file_id = ?", [file_id])

    def remove_source(self, source: str) -> RemovedSource:
        """Take one committed source out of the store, all or nothing.

        ``source`` is the path as ingested, the same path written another way,
        its file name when no other source has it, or at least six characters
        of its SHA-256. In order, and why a crash at any point is safe:

        1. the classification (``classified.parquet``) is deleted: it is derived
           from the rows and classify and count rebuild it, so losing it early
           costs a rebuild, never a wrong figure.
        2. one catalog transaction deletes the ``files`` row (and any unfinished
           swap) and adds a 'removed' history row with what was taken out. This
           is the commit point: before it nothing has changed, and after it no
           reader sees the source, as every reader lists Parquet from the catalog.
        3. the source's Parquet is deleted. A crash before or during this leaves
           Parquet the catalog no longer lists, which the next open deletes, as
           after an interrupted ingest.
        4. the config's sources are rewritten from the catalog (the next open
           rewrites them if a crash came first); the ingest report, which the
           ingest package builds, is rewritten by its ``remove_source``.
        """
        self._drop_classification()
        with self.catalog() as con:
            file_id = self._find_source(con, source)
            old = _file_summary(con, file_id)
            assert old is not None
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM files WHERE file_id = ?", [file_id])
            con.execute("DELETE FROM swaps WHERE file_id = ?", [file_id])
            _insert_history(con, "removed", old, _now())
            con.execute("COMMIT")
        for table in ROW_TABLES:
            self.table_path(table, file_id).unlink(missing_ok=True)
            self.pending_path(table, file_id).unlink(missing_ok=True)
        self.refresh_sources()
        return RemovedSource(
            file_id=file_id,
            path=str(old["path"]),
            publisher=str(old["publisher"]),
            rows_loaded=int(old["rows_loaded"]),
            amount_loaded_pence=int(old["amount_loaded_pence"]),
        )

    def _find_source(self, con: duckdb.DuckDBPyConnection, source: str) -> str:
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
            f"The loaded sources are listed by: totalplace check {self.root}"
        )

    def _drop_classification(self) -> None:
        (self.root / CLASSIFIED_NAME).unlink(missing_ok=True)

    def history(self) -> list[dict[str, Any]]:
        """Every load, replacement and removal, oldest first; the mapping and
        details decoded from JSON."""
        with self.catalog(read_only=True) as con:
            cur = con.execute("SELECT * FROM history ORDER BY changed_at, rowid")
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for row in rows:
            row["changed_at"] = row["changed_at"].isoformat(sep=" ", timespec="seconds")
            for key in ("column_map", "details", "previous_column_map"):
                row[key] = json.loads(row[key]) if row[key] else None
        return rows

    def record_attempt(self, path: str, file_id: str | None, status: str, message: str) -> None:
        with self.catalog() as con:
            con.execute(
                "INSERT INTO attempts VALUES (now(), ?, ?, ?, ?)", [path, file_id, status, message]
            )

    def refresh_sources(self) -> None:
        """Rewrite the ``sources`` list of the config from the catalog."""
        with self.catalog(read_only=True) as con:
            rows = con.execute(
                "SELECT path, file_id, publisher FROM files ORDER BY ingested_at, path"
            ).fetchall()
        self.config.sources[:] = [
            SourceEntry(path=p, sha256=h, publisher=pub) for p, h, pub in rows
        ]
        self.save_config()


def _now() -> datetime:
    """UTC without a zone, as ``ingested_at`` is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def _insert_file(con: duckdb.DuckDBPyConnection, file_row: dict[str, Any]) -> None:
    cols = ", ".join(file_row)
    marks = ", ".join("?" for _ in file_row)
    con.execute(f"INSERT INTO files ({cols}) VALUES ({marks})", list(file_row.values()))


def _file_summary(con: duckdb.DuckDBPyConnection, file_id: str) -> dict[str, Any] | None:
    """What the history keeps of a committed file."""
    row = con.execute(
        "SELECT file_id, path, publisher, column_map, details, rows_loaded, "
        "amount_loaded_pence FROM files WHERE file_id = ?",
        [file_id],
    ).fetchone()
    keys = ("file_id", "path", "publisher", "column_map", "details", "rows_loaded")
    return None if row is None else dict(zip((*keys, "amount_loaded_pence"), row, strict=True))


def _insert_history(
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


def _complete_view(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A view of ``<table>_files`` with every canonical column, NULL where no
    file has it (a file stores only the roles its publisher fills)."""
    have = {r[0] for r in con.execute(f"DESCRIBE {table}_files").fetchall()}
    wanted = CANONICAL_COLUMNS.get(table, {})
    extra = "".join(f", CAST(NULL AS {t}) AS {c}" for c, t in wanted.items() if c not in have)
    return f"CREATE TEMP VIEW {table} AS SELECT *{extra} FROM {table}_files"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def atomic_write(path: Path, text: str) -> None:
    """Write a text file so readers see the old or the new content, never half."""
    _atomic_write(path, text)
