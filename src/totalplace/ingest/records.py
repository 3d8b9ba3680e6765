"""From a text file to a ``fields`` table: one row per record, one column per header cell.

Two ways, same result (``line_no``, ``n_lines``, ``n``, ``extra``, ``text``,
``repaired``, ``c1`` .. ``cN``):

* **fast**: DuckDB's own parallel CSV reader with the dialect given (never
  sniffed: its sniffer fails on some real files) and strict mode on.  It is
  used only when it returns exactly one record per physical line after the
  header, so ``line_no`` is simply ``header_line + rowid + 1``.  ``text`` is
  NULL here; raw lines are read back only for rows that need them.
* **robust**: for anything else (blank lines, quoted line breaks, short or
  long records, stray quotes).  DuckDB reads the file one physical line per
  row, lines are joined where quotes span them, and records are split with one
  regular expression.  Every physical line is accounted for.  A record one
  field short because two dated or money fields ran together is mended when
  exactly one split fits (:func:`repair_joined_fields`); ``joined_fields``
  notes each repair, or which fields seem joined when several splits fit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from totalplace.ingest import limits
from totalplace.ingest.dates import PeriodRules, infer_order, parse_one

FAST_MAX_LINE = 2 * 1024 * 1024  # longer lines fall back to the robust reader
_LINE_SIZE_ERROR = re.compile(
    r"CSV Error on Line: (\d+).*Maximum line size of \d+ bytes exceeded\. Actual Size:\s*(\d+)",
    re.DOTALL,
)


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
                "max": min(FAST_MAX_LINE, limits.current().max_line_bytes),
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
        f"1 AS n_lines, {n_fields} AS n, false AS extra, CAST(NULL AS VARCHAR) AS text, "
        f"false AS repaired, {cols} FROM fast_fields"
    )
    no_joined_fields(con)  # every record has the header's field count
    return True


def read_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    line_delim: str,
    table: str = "lines",
    *,
    display: str,
) -> None:
    """Every physical line of the file with its 1-based number (blank lines too).
    A line over the ``max_line_bytes`` limit fails the file (``display``) with
    the limit named: one bad line fails its file, and memory stays bounded."""
    most = limits.current().max_line_bytes
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_lines AS SELECT line FROM read_csv($path, "
            "auto_detect=false, header=false, delim=$d, quote='', escape='', "
            "columns={'line': 'VARCHAR'}, strict_mode=false, max_line_size=$max)",
            {"path": str(path), "d": line_delim, "max": most},
        )
    except duckdb.InvalidInputException as exc:
        if "Maximum line size" not in str(exc):
            raise
        found = _LINE_SIZE_ERROR.search(str(exc))
        said = f"line {int(found[1]):,} is {int(found[2]):,} bytes" if found else "a line is longer"
        raise limits.LimitExceeded(display, "max_line_bytes", said, most) from None
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
    *,
    display: str,
) -> None:
    read_lines(con, path, line_delim, "all_lines", display=display)
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
        f"len(list_filter(f[{n_fields + 1}:], x -> trim(x) <> '')) > 0 AS extra, text, "
        f"false AS repaired, {cols} "
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


# Roles whose values have a strict shape, so a split of two run-together fields
# can be checked: a date or period, or a money value.
DATE_KIND_ROLES = ("payment_date", "period")
MONEY_KIND_ROLES = ("amount", "vat", "irrecoverable_vat")
_MONEY = re.compile(r"^\(?-?£?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\)?-?$")
# Only a few records are ever short; more than this and the file is not one
# with a stray joined field, so none is tried.
MAX_REPAIRS_TRIED = 10_000


def no_joined_fields(con: duckdb.DuckDBPyConnection) -> None:
    """An empty ``joined_fields`` table (line_no, note): what the issues read."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE joined_fields (line_no BIGINT, note VARCHAR, "
        "repaired BOOLEAN)"
    )


@dataclass(frozen=True)
class _Column:
    """What the well-formed records show of a typed column's values."""

    kind: str  # "date" or "money"
    shapes: frozenset[str]  # dates: digits written as 9 ("99/99/9999")
    decimals: frozenset[int]  # money: how many decimal places values have


def _decimals(text: str) -> int:
    digits = re.search(r"\.(\d*)", text)
    return len(digits.group(1)) if digits else 0


class _JoinedFieldRepair:
    """Splits of one field into two that parse as the two columns' roles."""

    def __init__(
        self, columns: dict[int, _Column], order: str, rules: PeriodRules, n_fields: int
    ) -> None:
        self.columns = columns
        self.order = order
        self.rules = rules
        self.n_fields = n_fields

    def fits(self, index: int, value: str) -> bool:
        col = self.columns[index]
        text = value.strip()
        if not text:
            return False
        if col.kind == "money":
            return bool(_MONEY.match(text)) and (
                not col.decimals or _decimals(text) in col.decimals
            )
        shape = re.sub(r"\d", "9", text)
        return (not col.shapes or shape in col.shapes) and (
            parse_one(text, self.order, self.rules) is not None
        )

    def splits(self, cells: list[str]) -> list[tuple[int, int]]:
        """(field index, split position) of every split making the record whole."""
        found: list[tuple[int, int]] = []
        for j, value in enumerate(cells):
            if j not in self.columns or j + 1 not in self.columns:
                continue
            for k in range(1, len(value)):
                left, right = value[:k], value[k:]
                whole = [*cells[:j], left, right, *cells[j + 1 :]]
                if not (self.fits(j, left) and self.fits(j + 1, right)):
                    continue
                others = (i for i in self.columns if i not in (j, j + 1))
                if all(not whole[i].strip() or self.fits(i, whole[i]) for i in others):
                    found.append((j, k))
        return found


def repair_joined_fields(
    con: duckdb.DuckDBPyConnection,
    roles: dict[str, int],
    headers: Sequence[str],
    order: str | None,
    rules: PeriodRules,
) -> int:
    """Mend records one field short because two adjacent typed fields ran
    together ("01/04/2013123.45" for a date and an amount).

    A record is mended only when exactly one split of one of its fields gives
    both columns a value of their kind: a date of the shape the column's other
    dates have (so "01/04/20" + "13123.45" does not count where dates are
    dd/mm/yyyy), or an amount with as many decimals as the column's amounts
    have; every other date or amount in the mended record must fit too.  A
    mended record is marked ``repaired`` (a row warning) and the repair noted;
    a short record with several such splits keeps its place in quarantine and
    the note says which fields seem joined.  Returns the records mended.
    """
    no_joined_fields(con)
    n_fields = len(headers)
    kinds = {i: "date" for r, i in roles.items() if r in DATE_KIND_ROLES}
    kinds |= {i: "money" for r, i in roles.items() if r in MONEY_KIND_ROLES}
    if not any(i + 1 in kinds for i in kinds):
        return 0
    cells_sql = ", ".join(f"coalesce(c{i}, '')" for i in range(1, n_fields))
    filled = " OR ".join(f"trim(c{i}) <> ''" for i in range(1, n_fields))
    short = con.execute(
        f"SELECT line_no, [{cells_sql}] FROM fields WHERE n = {n_fields - 1} AND NOT extra "
        f"AND ({filled}) LIMIT {MAX_REPAIRS_TRIED + 1}"
    ).fetchall()
    if not short or len(short) > MAX_REPAIRS_TRIED:
        return 0
    columns: dict[int, _Column] = {}
    samples: list[str] = []
    for i, kind in kinds.items():
        values = [
            str(r[0])
            for r in con.execute(
                f"SELECT DISTINCT trim(c{i + 1}) FROM fields "
                f"WHERE n = {n_fields} AND nullif(trim(c{i + 1}), '') IS NOT NULL LIMIT 2000"
            ).fetchall()
        ]
        if kind == "date":
            samples += values
            shapes = frozenset(re.sub(r"\d", "9", v) for v in values)
            columns[i] = _Column(kind, shapes, frozenset())
        else:
            columns[i] = _Column(kind, frozenset(), frozenset(_decimals(v) for v in values))
    repair = _JoinedFieldRepair(columns, order or infer_order(samples), rules, n_fields)
    notes: list[tuple[int, str, bool]] = []
    mended: list[tuple[int, list[str]]] = []
    for line_no, cells in short:
        found = repair.splits(list(cells))
        if len(found) == 1:
            (j, k) = found[0]
            value = cells[j]
            whole = [*cells[:j], value[:k], value[k:], *cells[j + 1 :]]
            mended.append((int(line_no), whole))
            notes.append(
                (
                    int(line_no),
                    f'"{headers[j]}" and "{headers[j + 1]}" ran together as "{value}": '
                    f'read as "{value[:k]}" and "{value[k:]}"',
                    True,
                )
            )
        elif found:
            pairs = sorted({j for j, _ in found})
            said = "; ".join(
                f'"{headers[j]}" and "{headers[j + 1]}" seem joined in "{cells[j]}" '
                f"({sum(1 for x, _ in found if x == j)} ways to split it)"
                for j in pairs
            )
            notes.append((int(line_no), said, False))
    if notes:
        con.executemany("INSERT INTO joined_fields VALUES (?, ?, ?)", notes)
    if mended:
        sets = ", ".join(f"c{i} = nullif(m.f[{i}], '')" for i in range(1, n_fields + 1))
        con.execute("CREATE OR REPLACE TEMP TABLE mended (line_no BIGINT, f VARCHAR[])")
        con.executemany("INSERT INTO mended VALUES (?, ?)", mended)
        con.execute(
            f"UPDATE fields SET {sets}, n = {n_fields}, repaired = true FROM mended m "
            "WHERE fields.line_no = m.line_no"
        )
        con.execute("DROP TABLE mended")
    return len(mended)
