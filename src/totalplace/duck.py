"""DuckDB connections made one way everywhere.

DuckDB draws its own progress bar on stdout for long queries, which would
corrupt ``--json`` output; every connection turns it off.
"""

from __future__ import annotations

import duckdb


def connect(
    database: str = ":memory:",
    read_only: bool = False,
    temp_directory: str | None = None,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection; with ``memory_limit`` it spills to ``temp_directory``
    rather than grow past the limit."""
    config: dict[str, str | bool | int | float | list[str]] = {}
    if temp_directory:
        config["temp_directory"] = temp_directory
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(database, read_only=read_only, config=config)
    con.execute("SET enable_progress_bar = false")
    return con
