"""A workspace is one study's folder: config, Parquet tables, DuckDB catalog, ingest report.

Layout::

    DIR/totalplace.toml        the place, year and sources
    DIR/catalog.duckdb         provenance of every committed file and every attempt
    DIR/tables/rows/<file_id>.parquet        every record of a source file, with its status
    DIR/tables/quarantine/<file_id>.parquet  quarantined records with their raw text
    DIR/tables/issues/<file_id>.parquet      every typed issue
    DIR/staging/<pid>-<random>/  one command's files not yet committed (its own)
    DIR/profiles/*.toml        the user's column-mapping profiles
    DIR/ingest_report.json     the latest ingest report (also `totalplace check`)

The catalog is the commit point: a table file is part of the store once its
``file_id`` is in the ``files`` table, and every reader lists table files from
there.  One command writes at a time (the writer lock, :mod:`.store.locking`);
a command stages its files in its own folder, and nothing is ever deleted
that is not provably debris (:mod:`.store.repair`).  Each table file carries
its source's catalog row in its own metadata and the catalog records its size
and SHA-256 (:mod:`.store.stamp`, :mod:`.store.integrity`), so a missing,
truncated or substituted file is found, and a lost catalog can be rebuilt.
The ``history`` table keeps every load, replacement and removal; ``files`` is
the current state, which every count and report reads.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from totalplace import duck
from totalplace.config import CONFIG_NAME, SourceEntry, WorkspaceConfig
from totalplace.errors import ConfigError, WorkspaceError
from totalplace.schema import ROW_TABLES
from totalplace.store import catalog as cat
from totalplace.store import locking, repair, stamp
from totalplace.store.catalog import CATALOG_NAME, HISTORY_ACTIONS
from totalplace.store.integrity import CatalogState, StoreCheck, check_tables
from totalplace.store.locking import LOCK_NAME
from totalplace.store.repair import RepairReport
from totalplace.store.views import create_views

__all__ = [
    "CATALOG_NAME",
    "CLASSIFIED_NAME",
    "HISTORY_ACTIONS",
    "LOCK_NAME",
    "REPORT_NAME",
    "ROW_TABLES",
    "RemovedSource",
    "Workspace",
    "atomic_write",
]

# How long a second writer waits for the first before saying the workspace is busy,
# unless the environment variable sets another wait for the run (write_wait).
WRITE_WAIT_SECONDS = 30.0
WAIT_VARIABLE = "TOTALPLACE_WAIT"
# A wait longer than a day is a mistake, not patience.
MAX_WAIT_SECONDS = 24 * 3600
# each loaded row's rule and theme, written by classify and rebuilt by count
CLASSIFIED_NAME = "classified.parquet"
REPORT_NAME = "ingest_report.json"
# How many damaged table files an error message names before "and N more".
_NAMED_PROBLEMS = 5
# A check that finds damage reads the catalog again: a writer may have changed
# it (and then the files) meanwhile; after this many changes the finding stands.
_CHECK_TRIES = 5
# How often a command finds the catalog free again while another holds it open.
_CATALOG_RETRY_SECONDS = 0.02
# The catalog's writes, looked up here when called (tests put faults in them).
_insert_file = cat.insert_file
_insert_history = cat.insert_history
_file_summary = cat.file_summary
_now = cat.now


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
        for sub in (*(f"tables/{t}" for t in ROW_TABLES), "profiles"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        ws = cls(root.resolve(), config)
        ws.save_config()
        with ws.catalog() as con:
            cat.create_tables(con)
        return ws

    @classmethod
    def open(cls, root: Path) -> Workspace:
        """Open a workspace and, when no other command is writing to it, finish
        what a crash may have left: renames of a committed replacement are
        completed, debris no committed load owns is removed (see
        :func:`totalplace.store.repair.debris`), and the config's sources are
        rewritten if they differ from the catalog.  While another process holds
        the writer lock nothing is cleaned up.  A missing or unreadable catalog
        beside table files is an error, never an empty workspace."""
        ws = cls._at(root)
        ws._require_catalog()
        for sub in (*(f"tables/{t}" for t in ROW_TABLES), "profiles"):
            (ws.root / sub).mkdir(parents=True, exist_ok=True)
        # a reader opens the catalog read-only unless it is older than this code
        with ws.catalog(read_only=(ws.root / CATALOG_NAME).exists()) as con:
            current = cat.is_current(con)
        if not current:
            with ws.catalog() as con:
                cat.create_tables(con)
        with locking.writer_lock(ws.root, wait=None) as held:
            if held:
                ws._recover()
        return ws

    @classmethod
    def open_intact(cls, root: Path) -> Workspace:
        """Open a workspace for a command that reads its rows (count, classify):
        refused, naming the files and the repair, when a table file is missing,
        cut short or not the one committed (see :meth:`require_intact`)."""
        ws = cls.open(root)
        ws.require_intact()
        return ws

    @classmethod
    def for_repair(cls, root: Path) -> Workspace:
        """The workspace at ``root`` as it is, catalog or none, for ``repair``."""
        return cls._at(root)

    @classmethod
    def _at(cls, root: Path) -> Workspace:
        cfg_path = root / CONFIG_NAME
        if not cfg_path.exists():
            raise WorkspaceError(
                f"{root} is not a workspace (no {CONFIG_NAME}); "
                f"create one with: totalplace init {root} --place GSS --year YYYY-YY"
            )
        return cls(root.resolve(), WorkspaceConfig.from_file(cfg_path))

    def _table_files(self) -> list[Path]:
        return [p for t in ROW_TABLES for p in (self.root / "tables" / t).glob("*.parquet")]

    def _require_catalog(self) -> None:
        """Refuse a workspace whose catalog is missing (beside table files) or
        unreadable: every table file would look like an orphan."""
        if not (self.root / CATALOG_NAME).exists():
            kept = self._table_files()
            if kept:
                raise WorkspaceError(
                    f"{self.root} has no {CATALOG_NAME} but holds {len(kept)} table files: "
                    "the catalog that records what they are is missing. Nothing was changed "
                    f"or deleted. Rebuild it from the table files with: totalplace repair "
                    f"{self.root} --apply (or restore {CATALOG_NAME} from a backup)."
                )
            return
        try:
            duck.connect(str(self.root / CATALOG_NAME), read_only=True).close()
        except duckdb.Error as exc:
            if _busy(exc):
                return  # another command has it open for writing: readable, not corrupt
            raise WorkspaceError(
                f"the catalog {self.root / CATALOG_NAME} cannot be read ({exc}). Nothing was "
                f"changed or deleted. Rebuild it from the table files with: totalplace repair "
                f"{self.root} --apply (the unreadable catalog is kept in set-aside/)."
            ) from exc

    def _recover(self) -> None:
        """Finish committed replacements, remove debris no committed load owns,
        and bring the config's sources in line: only while holding the writer
        lock, when nothing staged can belong to a running command (staging
        folders of live processes are kept whatever happens)."""
        self._require_catalog()
        locking.release_staging(self.root)  # this process's own: nothing of it is in progress
        with self.catalog() as con:
            for (file_id,) in con.execute("SELECT file_id FROM swaps").fetchall():
                self._finish_swap(con, file_id)
            for step in repair.debris(self.root, con):
                if step.action == "remove":
                    repair.remove(self.root, step)
            sources = con.execute("SELECT path, file_id, publisher FROM files").fetchall()
        listed = {(s.path, s.sha256, s.publisher) for s in self.config.sources}
        if listed != set(sources):
            self.refresh_sources()

    @contextlib.contextmanager
    def writing(self, wait: float | None = None) -> Iterator[None]:
        """Hold the writer lock for a whole write (re-entrant in one process).
        A second writer waits up to ``wait`` seconds (by default
        :func:`write_wait`), then fails saying the workspace is busy; it never touches
        what the first is writing.  On taking the lock, what a crashed writer
        left is recovered first; at the end, this process's staged files go."""
        limit = write_wait() if wait is None else wait
        with locking.writer_lock(self.root, wait=limit) as held:
            if not held:
                raise WorkspaceError(
                    f"{self.root} is busy: another totalplace command is writing to it "
                    f"(waited {limit:.0f} s). Run this command again when it has finished, "
                    f"or wait longer with {WAIT_VARIABLE}=SECONDS."
                )
            outermost = locking.lock_depth(self.root) == 1
            if outermost:
                self._recover()
            try:
                yield
            finally:
                if outermost:
                    locking.release_staging(self.root)

    # -- paths ----------------------------------------------------------------
    @property
    def tmp_dir(self) -> Path:
        """This process's staging folder: transcoded sources, Parquet not yet
        committed, DuckDB spill files.  Only this process removes it."""
        return locking.staging_dir(self.root)

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
        """Where a table file waits until the catalog has committed it."""
        return self.root / "tables" / table / f"{file_id}.parquet.new"

    # -- catalog --------------------------------------------------------------
    @contextlib.contextmanager
    def catalog(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the DuckDB catalog.  DuckDB lets one process at a time have the
        file open (a reader blocks a writer and the reverse), and every command
        holds it only for a moment, so a command that finds it held tries again
        for up to :func:`write_wait` seconds rather than failing (or failing a commit)."""
        wait = write_wait()
        deadline = time.monotonic() + wait
        while True:
            try:
                con = duck.connect(str(self.root / CATALOG_NAME), read_only=read_only)
                break
            except duckdb.Error as exc:
                if not _busy(exc):
                    raise WorkspaceError(
                        f"the catalog {self.root / CATALOG_NAME} cannot be read ({exc}). "
                        f"Rebuild it from the table files with: totalplace repair {self.root} "
                        "--apply"
                    ) from exc
                if time.monotonic() >= deadline:
                    raise WorkspaceError(
                        f"cannot open the catalog of {self.root}: {exc}. Another command has "
                        f"held it for {wait:.0f} s; run this one again when it has finished, "
                        f"or wait longer with {WAIT_VARIABLE}=SECONDS."
                    ) from exc
                time.sleep(_CATALOG_RETRY_SECONDS)
        try:
            yield con
        finally:
            con.close()

    def committed_ids(self) -> set[str]:
        with self.catalog(read_only=True) as con:
            return {r[0] for r in con.execute("SELECT file_id FROM files").fetchall()}

    # -- integrity ------------------------------------------------------------
    def check_tables(self, verify: bool = False) -> StoreCheck:
        """Check every committed table file: size and stamp, and with ``verify``
        its SHA-256 (see :mod:`totalplace.store.integrity`)."""
        result = StoreCheck()
        for _ in range(_CHECK_TRIES):
            with self.catalog(read_only=True) as con:
                state = CatalogState.read(con)
            result = check_tables(self.root, state, verify=verify)
            if result.ok:
                return result
            with self.catalog(read_only=True) as con:
                if CatalogState.read(con) == state:
                    return result  # not a write caught half way: the files are damaged
        return result

    def require_intact(self) -> None:
        """Refuse to read a store whose table files fail the quick check, naming
        them and the repair: a count over a missing or substituted file would
        be wrong without saying so."""
        found = self.check_tables()
        if found.ok:
            return
        named = "; ".join(p.message for p in found.problems[:_NAMED_PROBLEMS])
        more = len(found.problems) - _NAMED_PROBLEMS
        raise WorkspaceError(
            f"the store in {self.root} is damaged: {named}"
            + (f"; and {more} more" if more > 0 else "")
            + f". Nothing was counted. See them all with: totalplace check {self.root} --verify; "
            f"set the damaged sources aside with: totalplace repair {self.root} --apply, "
            "then ingest those sources again."
        )

    def repair(self, apply: bool = False, verify: bool = False) -> RepairReport:
        """What ``totalplace repair`` finds (and with ``apply`` does): see
        :mod:`totalplace.store.repair`.  Holds the writer lock throughout."""
        with locking.writer_lock(self.root, wait=write_wait()) as held:
            if not held:
                raise WorkspaceError(
                    f"{self.root} is busy: another totalplace command is writing to it. "
                    f"Run repair again when it has finished, or wait longer with "
                    f"{WAIT_VARIABLE}=SECONDS."
                )
            report = repair.run(self.root, self._finish_swap, apply, verify)
            if apply:
                self.refresh_sources()
            return report

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Read-only analysis connection with views over the committed Parquet:
        ``rows`` (every record), ``spend`` (the loaded ones), ``quarantine``,
        ``issues``, and ``files`` from the catalog.  A store that fails the
        quick check is refused (see :meth:`require_intact`)."""
        self.require_intact()
        con = duck.connect()
        try:
            # ATTACH takes no parameters; the path is the workspace's own, quoted.
            catalog = str(self.root / CATALOG_NAME).replace("'", "''")
            self._attach_catalog(con, catalog)
            # a copy of the catalog's files, so no writer waits on this reader
            con.execute("CREATE TEMP TABLE files AS SELECT * FROM cat.files")
            con.execute("DETACH cat")
            ids = [r[0] for r in con.execute("SELECT file_id FROM files").fetchall()]
            create_views(con, ids, self.table_path)
            yield con
        finally:
            con.close()

    def _attach_catalog(self, con: duckdb.DuckDBPyConnection, catalog: str) -> None:
        """ATTACH the catalog read-only, trying again while a writer holds it."""
        deadline = time.monotonic() + write_wait()
        while True:
            try:
                con.execute(f"ATTACH '{catalog}' AS cat (READ_ONLY)")
                return
            except duckdb.Error as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise WorkspaceError(f"cannot read the catalog of {self.root}: {exc}") from exc
                time.sleep(_CATALOG_RETRY_SECONDS)

    # -- commits --------------------------------------------------------------
    def _place(self, staged: dict[str, Path], file_row: dict[str, Any]) -> dict[str, Any]:
        """Stamp each staged table file with its source's catalog row, take its
        size and SHA-256, and rename it to ``<file_id>.parquet.new`` beside the
        committed files: nothing reads it until the catalog commits it."""
        file_id = str(file_row["file_id"])
        sums: dict[str, tuple[int, str]] = {}
        for table, tmp in staged.items():
            stamp.stamp(tmp, table, file_row)
            sums[table] = stamp.checksum(tmp)
        for table, tmp in staged.items():
            tmp.replace(self.pending_path(table, file_id))
        return sums

    def commit_file(
        self,
        staged: dict[str, Path],
        file_row: dict[str, Any],
        attempt_message: str,
    ) -> None:
        """Put a new file's staged Parquet in place and record it, with its
        'loaded' history row and its table files' sizes and checksums: all or
        nothing, journaled as a replacement is (see :meth:`replace_file`), so a
        crash before the catalog commits leaves only ``.new`` files, which no
        committed load owns."""
        file_id = str(file_row["file_id"])
        done = False
        try:
            sums = self._place(staged, file_row)
            with self.catalog() as con:
                con.execute("BEGIN TRANSACTION")
                _insert_file(con, file_row)
                cat.insert_attempt(con, file_row["path"], file_id, "loaded", attempt_message)
                _insert_history(con, "loaded", file_row, file_row["ingested_at"])
                cat.record_tables(con, file_id, sums)
                con.execute("INSERT OR IGNORE INTO swaps VALUES (?)", [file_id])
                con.execute("COMMIT")
                done = True
                self._finish_swap(con, file_id)
        except BaseException:
            if not done:  # once committed, the Parquet is the store's
                for table in staged:
                    self.pending_path(table, file_id).unlink(missing_ok=True)
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

        1. the staged Parquet is stamped and renamed to ``<file_id>.parquet.new``
           beside the old. A crash here leaves the old version; the next writer
           deletes the ``.new`` files, which no ``swaps`` row names.
        2. one catalog transaction replaces the ``files`` row and the recorded
           sizes and checksums, adds a 'replaced' history row (with the previous
           publisher and mapping) and a ``swaps`` row. This is the commit point:
           before it, the old version stands.
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
        done = False
        try:
            sums = self._place(staged, file_row)
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
                cat.insert_attempt(
                    con, file_row["path"], file_id, "loaded", f"replaced: {attempt_message}"
                )
                _insert_history(con, "replaced", file_row, _now(), previous=old)
                cat.record_tables(con, file_id, sums)
                con.execute("INSERT OR IGNORE INTO swaps VALUES (?)", [file_id])
                con.execute("COMMIT")
                done = True
                self._finish_swap(con, file_id)
        except BaseException:
            if not done:
                for table in ROW_TABLES:
                    self.pending_path(table, file_id).unlink(missing_ok=True)
            raise

    def _finish_swap(self, con: duckdb.DuckDBPyConnection, file_id: str) -> None:
        """Rename a committed file's Parquet into place; safe to repeat, as a
        table already renamed has no ``.new`` left."""
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
            file_id = cat.find_source(con, source, self.root)
            old = _file_summary(con, file_id)
            assert old is not None
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM files WHERE file_id = ?", [file_id])
            con.execute("DELETE FROM swaps WHERE file_id = ?", [file_id])
            con.execute("DELETE FROM table_files WHERE file_id = ?", [file_id])
            _insert_history(con, "removed", old, _now())
            cat.clear_skipped(con, str(old["path"]))
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

    def record_attempt(
        self,
        path: str,
        file_id: str | None,
        status: str,
        message: str,
        details: dict[str, object] | None = None,
    ) -> None:
        """Record a try that committed nothing: a failed file with its typed
        reason (``details``), or an input not read ('skipped') with the reason,
        so ``check`` and the saved report list them as ``ingest`` did."""
        with self.catalog() as con:
            cat.insert_attempt(
                con,
                path,
                file_id,
                status,
                message,
                None if details is None else json.dumps(details),
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


def write_wait() -> float:
    """Seconds a command waits for another's write to finish (and for the
    catalog): ``TOTALPLACE_WAIT`` when set, for a run whose writes are known to
    queue behind a long ingest; else :data:`WRITE_WAIT_SECONDS`."""
    text = os.environ.get(WAIT_VARIABLE, "").strip()
    if not text:
        return WRITE_WAIT_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_WAIT_SECONDS:  # a NaN fails too
        raise ConfigError(
            f"{WAIT_VARIABLE}={text!r} is not a wait: give seconds from 0 to "
            f"{MAX_WAIT_SECONDS:,}, e.g. {WAIT_VARIABLE}=600"
        )
    return value


def _busy(exc: duckdb.Error) -> bool:
    """Whether DuckDB could not open the catalog because another process holds
    it, rather than because the file is not a readable catalog."""
    return "lock" in str(exc).lower()


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def atomic_write(path: Path, text: str) -> None:
    """Write a text file so readers see the old or the new content, never half."""
    _atomic_write(path, text)
