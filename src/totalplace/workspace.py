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
``files`` table was left by an interrupted ingest and is removed on next open,
so an interrupted ingest leaves the store as it was before that file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from totalplace import engine
from totalplace.config import CONFIG_NAME, SourceEntry, WorkspaceConfig
from totalplace.errors import WorkspaceError
from totalplace.ingest.rowsql import MONEY_ROLES, TEXT_ROLES, warnings_sql

CATALOG_NAME = "catalog.duckdb"
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
]


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
        cfg_path = root / CONFIG_NAME
        if not cfg_path.exists():
            raise WorkspaceError(
                f"{root} is not a workspace (no {CONFIG_NAME}); "
                f"create one with: totalplace init {root} --place GSS --year YYYY-YY"
            )
        ws = cls(root.resolve(), WorkspaceConfig.from_file(cfg_path))
        for sub in (*(f"tables/{t}" for t in ROW_TABLES), "profiles", "tmp"):
            (ws.root / sub).mkdir(parents=True, exist_ok=True)
        with ws.catalog() as con:
            for ddl in _CATALOG_DDL:
                con.execute(ddl)
            committed = {r[0] for r in con.execute("SELECT file_id FROM files").fetchall()}
        ws._remove_orphans(committed)
        return ws

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

    def _remove_orphans(self, committed: set[str]) -> None:
        for table in ROW_TABLES:
            for p in (self.root / "tables" / table).glob("*.parquet*"):
                if p.name.split(".", 1)[0] not in committed or p.name.endswith(".tmp"):
                    p.unlink(missing_ok=True)
        for p in self.tmp_dir.glob("*"):
            if p.is_file():
                p.unlink(missing_ok=True)

    # -- catalog --------------------------------------------------------------
    @contextlib.contextmanager
    def catalog(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the DuckDB catalog (one writer at a time; DuckDB locks the file)."""
        try:
            con = engine.connect(str(self.root / CATALOG_NAME), read_only=read_only)
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
        con = engine.connect()
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
        """Move a file's staged Parquet into place and record it: all or nothing."""
        file_id = str(file_row["file_id"])
        placed: list[Path] = []
        try:
            for table, tmp in staged.items():
                dest = self.table_path(table, file_id)
                tmp.replace(dest)
                placed.append(dest)
            with self.catalog() as con:
                con.execute("BEGIN TRANSACTION")
                cols = ", ".join(file_row)
                marks = ", ".join("?" for _ in file_row)
                con.execute(f"INSERT INTO files ({cols}) VALUES ({marks})", list(file_row.values()))
                con.execute(
                    "INSERT INTO attempts VALUES (now(), ?, ?, 'loaded', ?)",
                    [file_row["path"], file_id, attempt_message],
                )
                con.execute("COMMIT")
        except BaseException:
            for p in placed:
                p.unlink(missing_ok=True)
            raise

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
