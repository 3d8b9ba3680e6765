"""Vectorised parsing of one text source in DuckDB: lines -> records -> fields -> rows.

DuckDB reads the file one physical line per row (its CSV sniffer fails on some
real files, so no sniffing is asked of it), which keeps blank lines and gives
every line its number.  Lines are joined into records where a quoted field
holds a line break, records are split into fields with one regular expression,
and every role's value is parsed with SQL.  Dates are parsed once per distinct
value in Python and joined back.  Nothing here loops over rows in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from totalplace.ingest.dates import PeriodRules, parse_values
from totalplace.ingest.dialect import Dialect
from totalplace.ingest.issues import ERROR_PRECEDENCE, ISSUE_TYPES
from totalplace.ingest.roles import ColumnMap

# Roles stored as text columns of the canonical spend table.
TEXT_ROLES = (
    "paying_body_id",
    "supplier_name",
    "supplier_id",
    "company_number",
    "charity_number",
    "vat_number",
    "department",
    "service",
    "service_detail",
    "service_code",
    "expense_type",
    "expense_code",
    "transaction_id",
    "sercop_code",
    "bvacop_code",
    "proclass_code",
    "proclass_label",
    "capital_revenue",
    "purpose",
)
MONEY_ROLES = ("vat", "irrecoverable_vat")

REDACTED_RE = r"(?i)redacted|withheld|personal (data|information)|data protection|not disclosed"
PERSONAL_RE = r"(?i)^(mr|mrs|ms|miss|mx|dr)\.?\s+\S|^[a-z'\-]+,\s*[a-z]\.?(\s*[a-z]\.?)?$"
FOOTER_CELL_RE = r"(?i)^(grand\s+|sub\s*)?totals?\s*:?$"
# A cell that opens like a copyright or end-of-report note; such a row is a
# footer only when it has no usable date (suppliers such as "Copyright
# Licensing Agency" are real payees).
FOOTER_NOTE_RE = r"(?i)^\s*(©|\(c\)\s|copyright\b|end of (report|file|data)\b)"


# n / d rounded half to even, for integers (pence from finer units).
HALF_EVEN_MACRO = """CREATE OR REPLACE TEMP MACRO half_even(n, d) AS
    sign(n) * (abs(n) // d + CASE WHEN abs(n) % d * 2 > d
                                   OR (abs(n) % d * 2 = d AND (abs(n) // d) % 2 = 1)
                              THEN 1 ELSE 0 END)"""


@dataclass(frozen=True)
class ParseResult:
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_blank: int
    amount_loaded_pence: int
    amount_quarantined_pence: int
    issue_counts: dict[str, int]


def _field(role_index: int | None) -> str:
    """SQL for the trimmed text of a field (NULL when the column is absent)."""
    if role_index is None:
        return "CAST(NULL AS VARCHAR)"
    return f"nullif(trim(f[{role_index + 1}]), '')"


def _lit(text: str) -> str:
    """A SQL string literal (regular expressions and header names are constants
    of this module or of the file's header, never row data)."""
    return "'" + text.replace("'", "''") + "'"


class SourceParser:
    """Parse one prepared text source into staged Parquet files."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    # -- records ----------------------------------------------------------------
    def _load_lines(self, text_path: Path, line_delim: str, header_line: int) -> None:
        con = self.con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_lines AS SELECT line FROM read_csv($path, "
            "auto_detect=false, header=false, delim=$d, quote='', escape='', "
            "columns={'line': 'VARCHAR'}, strict_mode=false, max_line_size=16777216)",
            {"path": str(text_path), "d": line_delim},
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE lines AS SELECT rowid + 1 AS line_no, "
            "coalesce(rtrim(line, chr(13)), '') AS line FROM raw_lines WHERE rowid + 1 > $h",
            {"h": header_line},
        )
        con.execute("DROP TABLE raw_lines")

    def _assemble_records(self, n_fields: int, delim: str) -> None:
        """Join physical lines into records where quotes hold line breaks.

        A merged record is kept only when it has the header's field count;
        otherwise its lines stay separate records (a stray quote must not
        swallow the rest of the file).
        """
        con = self.con
        odd = con.execute(
            "SELECT count(*) FROM lines "
            "WHERE (length(line) - length(replace(line, '\"', ''))) % 2 = 1"
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
        split = self._split_sql("text", delim)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE records AS
            SELECT line_no, n_lines, text FROM merged
            WHERE n_lines = 1 OR len({split}) = {n_fields}
            UNION ALL
            SELECT g.line_no, 1, g.line FROM grouped g JOIN merged m USING (rec)
            WHERE m.n_lines > 1 AND len({split.replace("text", "m.text")}) <> {n_fields}"""
        )
        con.execute("DROP TABLE grouped; DROP TABLE merged")

    @staticmethod
    def _split_sql(col: str, delim: str) -> str:
        d = re.escape(delim)
        pattern = f'{d}("(?:[^"]|"")*"[^{d}]*|[^{d}]*)'
        dl = delim.replace("'", "''")
        return (
            f"(CASE WHEN position('\"' IN {col}) = 0 THEN string_split({col}, '{dl}') "
            f"ELSE list_transform(regexp_extract_all('{dl}' || {col}, '{pattern}', 1), "
            "x -> CASE WHEN length(x) >= 2 AND x[1] = '\"' AND x[-1] = '\"' "
            "THEN replace(x[2:-2], '\"\"', '\"') ELSE x END) END)"
        )

    # -- dates ------------------------------------------------------------------
    def _date_map(self, cmap: ColumnMap, order: str | None, rules: PeriodRules) -> None:
        values: set[str] = set()
        for role in ("payment_date", "period"):
            idx = cmap.index(role)
            if idx is not None:
                rows = self.con.execute(
                    f"SELECT DISTINCT {_field(idx)} FROM fields WHERE {_field(idx)} IS NOT NULL"
                ).fetchall()
                values.update(r[0] for r in rows)
        parsed = parse_values(values, order, rules)
        keys = sorted(parsed)
        hits = [parsed[k] for k in keys]
        table = pa.table(
            {
                "raw": pa.array(keys, pa.string()),
                "d_start": pa.array([h.start if h else None for h in hits], pa.date32()),
                "d_end": pa.array([h.end if h else None for h in hits], pa.date32()),
                "prec": pa.array([h.precision if h else None for h in hits], pa.string()),
            }
        )
        self.con.register("date_map_arrow", table)
        self.con.execute("CREATE OR REPLACE TEMP TABLE date_map AS SELECT * FROM date_map_arrow")
        self.con.unregister("date_map_arrow")

    # -- the whole file -----------------------------------------------------------
    def parse(
        self,
        *,
        text_path: Path,
        line_delim: str,
        dialect: Dialect,
        cmap: ColumnMap,
        file_id: str,
        display_path: str,
        publisher: str | None,
        date_order: str | None,
        rules: PeriodRules,
        out: dict[str, Path],
    ) -> ParseResult:
        con = self.con
        n_fields = len(dialect.headers)
        self._load_lines(text_path, line_delim, dialect.header_line)
        self._assemble_records(n_fields, dialect.delimiter)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE fields AS SELECT line_no, n_lines, text, "
            f"{self._split_sql('text', dialect.delimiter)} AS f FROM records"
        )
        con.execute("DROP TABLE records; DROP TABLE lines")
        self._date_map(cmap, date_order, rules)
        con.execute(HALF_EVEN_MACRO)
        con.execute(self._parsed_sql(cmap, n_fields), {"publisher": publisher})
        self._write_outputs(cmap, file_id, display_path, out)
        return self._summary()

    def _parsed_sql(self, cmap: ColumnMap, n_fields: int) -> str:
        amount = _field(cmap.index("amount"))
        date_raw = _field(cmap.index("payment_date"))
        period_raw = _field(cmap.index("period"))
        body = _field(cmap.index("paying_body"))
        clean = rf"regexp_replace(coalesce({amount}, ''), '[£\s\x{{00A0}},]|GBP', '', 'gi')"
        text_cols = ",\n".join(f"{_field(cmap.index(r))} AS {r}" for r in TEXT_ROLES)
        money_cols = ",\n".join(
            f"TRY_CAST(regexp_replace(coalesce({_field(cmap.index(r))}, ''), '[£\\s,]', '', 'g') "
            f"AS DECIMAL(18, 2)) AS {r}_raw"
            for r in MONEY_ROLES
        )
        return f"""
        CREATE OR REPLACE TEMP TABLE parsed AS
        WITH base AS (
            SELECT line_no, n_lines, text, f, len(f) AS n,
                   len(list_filter(f, x -> trim(x) <> '')) = 0 AS is_blank,
                   {amount} AS amount_raw,
                   {clean} AS a0,
                   {date_raw} AS date_raw,
                   {period_raw} AS period_raw,
                   coalesce({body}, $publisher,
                            (SELECT mode({body}) FROM fields)) AS paying_body,
                   {text_cols},
                   {money_cols}
            FROM fields
        ), money AS (
            SELECT *,
                   (a0 LIKE '(%)' OR a0 LIKE '%-' OR upper(a0) LIKE '%CR') AS neg_marked,
                   regexp_replace(a0, '^\\((.*)\\)$|^(.*?)(-|CR|cr)$', '\\1\\2') AS a1
            FROM base
        ), num AS (
            SELECT *,
                   regexp_full_match(a1, '[-+]?(\\d+\\.?\\d*|\\.\\d+)') AS amount_ok,
                   CASE WHEN neg_marked THEN -1 ELSE 1 END AS sgn
            FROM money
        ), scaled AS (
            -- Pounds as an integer count of 1/10,000ths: DECIMAL(18, 4) parses
            -- fast; longer fractions or huge values take the exact slow path.
            SELECT *,
                   CASE WHEN amount_ok AND abs(TRY_CAST(a1 AS DECIMAL(18, 4))) < 1000000000
                             AND NOT regexp_matches(a1, '\\.\\d{5}')
                        THEN CAST(TRY_CAST(a1 AS DECIMAL(18, 4)) * 10000 AS BIGINT) * sgn
                   END AS n4
            FROM num
        ), pence AS (
            SELECT *,
                   coalesce(
                       half_even(n4, 100),
                       CASE WHEN amount_ok AND n4 IS NULL THEN CAST(half_even(
                           CAST(TRY_CAST(a1 AS DECIMAL(38, 10)) * 10000000000 AS HUGEINT) * sgn,
                           100000000) AS BIGINT) END
                   ) AS amount_pence,
                   coalesce(
                       n4 % 100 <> 0,
                       CASE WHEN amount_ok AND n4 IS NULL THEN
                           TRY_CAST(a1 AS DECIMAL(38, 10)) * 100
                               <> floor(TRY_CAST(a1 AS DECIMAL(38, 10)) * 100) END
                   ) AS sub_penny
            FROM scaled
        ), dated AS (
            SELECT p.*,
                   coalesce(dd.d_start, pd.d_start) AS period_start,
                   coalesce(dd.d_end, pd.d_end) AS period_end,
                   coalesce(dd.prec, pd.prec) AS date_precision
            FROM pence p
            LEFT JOIN date_map dd ON dd.raw = p.date_raw
            LEFT JOIN date_map pd ON pd.raw = p.period_raw
        )
        SELECT *,
            NOT is_blank AND (
                regexp_matches(coalesce(trim(list_filter(f, x -> trim(x) <> '')[1]), ''),
                               {_lit(FOOTER_CELL_RE)})
                OR (period_start IS NULL
                    AND len(list_filter(f, x -> regexp_matches(x, {_lit(FOOTER_NOTE_RE)}))) > 0)
            ) AS e_footer,
            NOT is_blank AND n < {n_fields} AS e_truncated,
            NOT is_blank AND n > {n_fields}
                AND len(list_filter(f[{n_fields + 1}:], x -> trim(x) <> '')) > 0 AS e_extra,
            amount_raw IS NULL AS e_missing_amount,
            amount_raw IS NOT NULL AND amount_pence IS NULL AS e_bad_amount,
            date_raw IS NULL AND period_raw IS NULL AS e_missing_date,
            (date_raw IS NOT NULL OR period_raw IS NOT NULL) AND period_start IS NULL AS e_bad_date
        FROM dated
        """

    def _write_outputs(
        self, cmap: ColumnMap, file_id: str, display_path: str, out: dict[str, Path]
    ) -> None:
        con = self.con
        checks = {
            "footer-text": ("e_footer", "text", None),
            "truncated-record": ("e_truncated", f"n || ' of {len(cmap.headers)}'", None),
            "extra-fields": ("e_extra", f"n || ' for {len(cmap.headers)}'", None),
            "missing-amount": ("e_missing_amount", "amount_raw", "amount"),
            "unparseable-amount": ("e_bad_amount", "amount_raw", "amount"),
            "missing-date": ("e_missing_date", "date_raw", "payment_date"),
            "unparseable-date": ("e_bad_date", "coalesce(date_raw, period_raw)", "payment_date"),
        }
        assert list(checks) == ERROR_PRECEDENCE
        reason = "CASE " + " ".join(f"WHEN {c} THEN '{s}'" for s, (c, _, _) in checks.items())
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE classified AS SELECT *, "
            f"CASE WHEN is_blank THEN 'blank' ELSE {reason} ELSE 'loaded' END END AS status "
            "FROM parsed"
        )
        con.execute("DROP TABLE parsed; DROP TABLE fields")
        warnings = {
            "negative-amount": ("amount_pence < 0", "amount_raw", "amount"),
            "sub-penny-amount": ("sub_penny", "amount_raw", "amount"),
            "period-date": (
                "date_precision <> 'day'",
                "coalesce(date_raw, period_raw)",
                "payment_date",
            ),
            "redacted-supplier": (
                f"regexp_matches(coalesce(supplier_name, ''), {_lit(REDACTED_RE)})",
                "supplier_name",
                "supplier_name",
            ),
            "personal-supplier": (
                f"NOT regexp_matches(coalesce(supplier_name, ''), {_lit(REDACTED_RE)}) AND "
                f"regexp_matches(coalesce(supplier_name, ''), {_lit(PERSONAL_RE)})",
                "supplier_name",
                "supplier_name",
            ),
            "missing-supplier": ("supplier_name IS NULL", "supplier_name", "supplier_name"),
        }
        issue_selects = [
            self._issue_select(slug, f"status = '{slug}'", value, role, cmap)
            for slug, (_, value, role) in checks.items()
        ]
        for slug, (cond, value, role) in warnings.items():
            issue_selects.append(
                self._issue_select(slug, f"status = 'loaded' AND ({cond})", value, role, cmap)
            )
        warn_list = (
            "list_filter(["
            + ", ".join(
                f"CASE WHEN {cond} THEN '{slug}' END" for slug, (cond, _, _) in warnings.items()
            )
            + "], x -> x IS NOT NULL)"
        )
        text_cols = ", ".join(TEXT_ROLES)
        con.execute(
            f"""COPY (
                SELECT $file_id AS file_id, line_no AS source_line, n_lines AS source_lines,
                       paying_body, paying_body_id,
                       CASE WHEN date_precision = 'day' THEN period_start END AS payment_date,
                       period_start, period_end, date_precision,
                       amount_pence,
                       CAST(round(vat_raw * 100) AS BIGINT) AS vat_pence,
                       CAST(round(irrecoverable_vat_raw * 100) AS BIGINT)
                           AS irrecoverable_vat_pence,
                       {text_cols},
                       {warn_list} AS warnings
                FROM classified WHERE status = 'loaded' ORDER BY line_no
            ) TO $path (FORMAT parquet)""",
            {"file_id": file_id, "path": str(out["spend"])},
        )
        con.execute(
            """COPY (
                SELECT $file_id AS file_id, line_no AS source_line, n_lines AS source_lines,
                       status AS reason, amount_pence, text AS raw_record
                FROM classified WHERE status NOT IN ('loaded', 'blank') ORDER BY line_no
            ) TO $path (FORMAT parquet)""",
            {"file_id": file_id, "path": str(out["quarantine"])},
        )
        types = pa.table(
            {
                "slug": [t.slug for t in ISSUE_TYPES.values()],
                "severity": [str(t.severity) for t in ISSUE_TYPES.values()],
                "template": [t.template for t in ISSUE_TYPES.values()],
            }
        )
        con.register("issue_types", types)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE issues AS SELECT $file_id AS file_id, $path AS file, "
            "i.line, i.slug, t.severity, i.field, i.value, "
            "replace(replace(t.template, '{value}', coalesce(i.value, '')), '{field}', "
            "coalesce(i.field, '')) AS message "
            f"FROM ({' UNION ALL '.join(issue_selects)}) i JOIN issue_types t USING (slug)",
            {"file_id": file_id, "path": display_path},
        )
        con.unregister("issue_types")
        con.execute(
            "COPY (SELECT * FROM issues ORDER BY line, slug) TO $path (FORMAT parquet)",
            {"path": str(out["issues"])},
        )

    @staticmethod
    def _issue_select(slug: str, cond: str, value: str, role: str | None, cmap: ColumnMap) -> str:
        header = cmap.header(role) if role else None
        if role == "payment_date" and header is None:
            header = cmap.header("period")
        field = "NULL" if header is None else _lit(header)
        return (
            f"SELECT line_no AS line, '{slug}' AS slug, CAST({field} AS VARCHAR) AS field, "
            f"CAST({value} AS VARCHAR) AS value FROM classified WHERE {cond}"
        )

    def _summary(self) -> ParseResult:
        row = self.con.execute(
            """SELECT count(*),
                      count(*) FILTER (status = 'loaded'),
                      count(*) FILTER (status NOT IN ('loaded', 'blank')),
                      count(*) FILTER (status = 'blank'),
                      coalesce(sum(amount_pence) FILTER (status = 'loaded'), 0),
                      coalesce(sum(amount_pence) FILTER (status NOT IN ('loaded', 'blank')), 0)
               FROM classified"""
        ).fetchone()
        assert row is not None
        counts = dict(
            self.con.execute(
                "SELECT slug, count(*) FROM issues GROUP BY slug ORDER BY slug"
            ).fetchall()
        )
        return ParseResult(
            rows_read=int(row[0]),
            rows_loaded=int(row[1]),
            rows_quarantined=int(row[2]),
            rows_blank=int(row[3]),
            amount_loaded_pence=int(row[4]),
            amount_quarantined_pence=int(row[5]),
            issue_counts={str(k): int(v) for k, v in counts.items()},
        )
