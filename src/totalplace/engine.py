"""DuckDB connections made one way everywhere.

DuckDB draws its own progress bar on stdout for long queries, which would
corrupt ``--json`` output; every connection turns it off.
"""

from __future__ import annotations

import duckdb


def connect(
    database: str = ":memory:", read_only: bool = False, temp_directory: str | None = None
) -> duckdb.DuckDBPyConnection:
    config: dict[str, str | bool | int | float | list[str]] = (
        {"temp_directory": temp_directory} if temp_directory else {}
    )
    con = duckdb.connect(database, read_only=read_only, config=config)
    con.execute("SET enable_progress_bar = false")
    return con
