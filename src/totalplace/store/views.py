"""The views every reader of the store queries, over the committed table files.

``rows`` (every record), ``spend`` (the loaded ones, with their warnings as
slugs), ``quarantine`` and ``issues``, each with every canonical column: a
file stores only the roles its publisher fills, and the view adds the others
as NULL, so a query never depends on which files happen to be loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from totalplace.schema import CANONICAL_COLUMNS, ROW_TABLES, warnings_sql


def create_views(
    con: duckdb.DuckDBPyConnection, ids: list[str], table_path: Callable[[str, str], Path]
) -> None:
    """Create the views over the table files of the committed ``ids``."""
    for table in ROW_TABLES:
        paths = [str(table_path(table, i)) for i in ids]
        if paths:
            con.read_parquet(paths, union_by_name=True).create_view(f"{table}_files")
            con.execute(_complete_view(con, table))
    if ids:
        con.execute(
            f"CREATE TEMP VIEW spend AS SELECT * EXCLUDE (warning_bits), "
            f"{warnings_sql('warning_bits')} AS warnings "
            "FROM rows WHERE status = 'loaded'"
        )


def _complete_view(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A view of ``<table>_files`` with every canonical column, NULL where no
    file has it (a file stores only the roles its publisher fills)."""
    have = {r[0] for r in con.execute(f"DESCRIBE {table}_files").fetchall()}
    wanted = CANONICAL_COLUMNS.get(table, {})
    extra = "".join(f", CAST(NULL AS {t}) AS {c}" for c, t in wanted.items() if c not in have)
    return f"CREATE TEMP VIEW {table} AS SELECT *{extra} FROM {table}_files"
