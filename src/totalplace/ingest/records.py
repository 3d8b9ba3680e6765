"""From a text file to a ``fields`` table: one row per record, one column per header cell.

Two ways, same result (``line_no``, ``n_lines``, ``n``, ``extra``, ``text``,
``c1`` .. ``cN``):

* **fast**: DuckDB's own parallel CSV reader with the dialect given (never
  sniffed: its sniffer fails on some real files) and strict mode on.  It is
  used only when it returns exactly one record per physical line after the
  header, so ``line_no`` is simply ``header_line + rowid + 1``.  ``text`` is
  NULL here; raw lines are read back only for rows that need them.
* **robust**: for anything else (blank lines, quoted line breaks, short or
  long records, stray quotes).  DuckDB reads the file one physical line per
  row, lines are joined where quotes span them, and records are split with one
  regular expression.  Every physical line is accounted for.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

MAX_LINE = 16 * 1024 * 1024
FAST_MAX_LINE = 2 * 1024 * 1024  # longer lines fall back to the robust reader


def _columns_struct(n_fields: int) -> str:
    return "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, n_fields + 1)) + "}"


def load_fast(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    delimiter: str,
    header_line: int,
    n_fields: int,
    data_lines: int,
    crlf: bool,
) -> bool:
    """Try the fast reader; True when it accounts for every physical line."""
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE fast_fields AS SELECT * FROM read_csv($path, "
            "auto_detect=false, header=false, skip=$skip, delim=$delim, quote='\"', "
            f"escape='\"', new_line=$nl, columns={_columns_struct(n_fields)}, "
            "strict_mode=true, max_line_size=$max)",
            {
                "path": str(path),
                "skip": header_line,
                "delim": delimiter,
                "nl": "\\r\\n" if crlf else "\\n",
                "max": FAST_MAX_LINE,
            },
        )
    except duckdb.InterruptException:
        # Ctrl-C while DuckDB reads arrives as a database error: it must stop the
        # ingest, not send the file to the robust reader.
        raise KeyboardInterrupt from None
    except duckdb.Error:
        return False  # malformed somewhere: the robust reader will say where
    got = con.execute("SELECT count(*) FROM fast_fields").fetchone()
    if got is None or got[0] != data_lines:
        con.execute("DROP TABLE fast_fields")
        return False
    cols = ", ".join(f"c{i}" for i in range(1, n_fields + 1))
    # a view: copying millions of rows only to number them costs more than
    # numbering them where they are read (views take no parameters)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW fields AS SELECT rowid + {int(header_line) + 1} AS line_no, "
        f"1 AS n_lines, {n_fields} AS n, false AS extra, CAST(NULL AS VARCHAR) AS text, {cols} "
        "FROM fast_fields"
    )
    return True


def read_lines(
    con: duckdb.DuckDBPyConnection, path: Path, line_delim: str, table: str = "lines"
) -> None:
    """Every physical line of the file with its 1-based number (blank lines too)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE raw_lines AS SELECT line FROM read_csv($path, "
        "auto_detect=false, header=false, delim=$d, quote='', escape='', "
        "columns={'line': 'VARCHAR'}, strict_mode=false, max_line_size=$max)",
        {"path": str(path), "d": line_delim, "max": MAX_LINE},
    )
    # rowid is insertion order, which DuckDB keeps for a file read into a table
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT rowid + 1 AS line_no, "
        "coalesce(rtrim(line, chr(13)), '') AS line FROM raw_lines"
    )
    con.execute("DROP TABLE raw_lines")


def split_sql(col: str, delim: str) -> str:
    """SQL splitting a record's text into a list of unquoted fields."""
    d = re.escape(delim)
    pattern = f'{d}("(?:[^"]|"")*"[^{d}]*|[^{d}]*)'
    dl = delim.replace("'", "''")
    return (
        f"(CASE WHEN position('\"' IN {col}) = 0 THEN string_split({col}, '{dl}') "
        f"ELSE list_transform(regexp_extract_all('{dl}' || {col}, '{pattern}', 1), "
        "x -> CASE WHEN length(x) >= 2 AND x[1] = '\"' AND x[-1] = '\"' "
        "THEN replace(x[2:-2], '\"\"', '\"') ELSE x END) END)"
    )


def load_robust(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    line_delim: str,
    delimiter: str,
    header_line: int,
    n_fields: int,
) -> None:
    read_lines(con, path, line_delim, "all_lines")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lines AS SELECT * FROM all_lines WHERE line_no > $h",
        {"h": header_line},
    )
    con.execute("DROP TABLE all_lines")
    _assemble_records(con, n_fields, delimiter)
    # empty cells are NULL, as DuckDB's CSV reader gives them
    cols = ", ".join(f"nullif(f[{i}], '') AS c{i}" for i in range(1, n_fields + 1))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fields AS SELECT line_no, n_lines, len(f) AS n, "
        f"len(list_filter(f[{n_fields + 1}:], x -> trim(x) <> '')) > 0 AS extra, text, {cols} "
        f"FROM (SELECT line_no, n_lines, text, {split_sql('text', delimiter)} AS f FROM records)"
    )
    con.execute("DROP TABLE records; DROP TABLE lines")


def _assemble_records(con: duckdb.DuckDBPyConnection, n_fields: int, delim: str) -> None:
    """Join physical lines into records where quotes hold line breaks.

    A merged record is kept only when it has the header's field count;
    otherwise its lines stay separate records, so a stray quote cannot
    swallow the rest of the file.
    """
    odd = con.execute(
        "SELECT count(*) FROM lines WHERE (length(line) - length(replace(line, '\"', ''))) % 2 = 1"
    ).fetchone()
    if not odd or odd[0] == 0:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE records AS "
            "SELECT line_no, 1 AS n_lines, line AS text FROM lines"
        )
        return
    con.execute(
        """CREATE OR REPLACE TEMP TABLE grouped AS
        WITH q AS (
            SELECT line_no, line,
                   (length(line) - length(replace(line, '"', ''))) % 2 AS odd FROM lines),
        p AS (
            SELECT *, coalesce(sum(odd) OVER (ORDER BY line_no ROWS BETWEEN UNBOUNDED
                      PRECEDING AND 1 PRECEDING), 0) % 2 AS inside FROM q)
        SELECT line_no, line,
               sum(CASE WHEN inside = 0 THEN 1 ELSE 0 END) OVER (ORDER BY line_no) AS rec
        FROM p"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE merged AS
        SELECT rec, min(line_no) AS line_no, count(*) AS n_lines,
               string_agg(line, chr(10) ORDER BY line_no) AS text
        FROM grouped GROUP BY rec"""
    )
    split = split_sql("text", delim)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE records AS
        SELECT line_no, n_lines, text FROM merged
        WHERE n_lines = 1 OR len({split}) = {n_fields}
        UNION ALL
        SELECT g.line_no, 1, g.line FROM grouped g JOIN merged m USING (rec)
        WHERE m.n_lines > 1 AND len({split.replace("text", "m.text")}) <> {n_fields}"""
    )
    con.execute("DROP TABLE grouped; DROP TABLE merged")
