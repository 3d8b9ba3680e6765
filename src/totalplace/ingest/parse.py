"""Vectorised parsing of one text source in DuckDB: lines -> records -> fields -> rows.

DuckDB reads the file one physical line per row (its CSV sniffer fails on some
real files, so no sniffing is asked of it), which keeps blank lines and gives
every line its number.  Lines are joined into records where a quoted field
holds a line break, records are split into fields with one regular expression,
and every role's value is parsed with SQL.  Dates are parsed once per distinct
value in Python and joined back.  Nothing here loops over rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from totalplace.ingest.dates import PeriodRules, parse_values
from totalplace.ingest.dialect import Dialect
from totalplace.ingest.issues import ERROR_PRECEDENCE, ISSUE_TYPES
from totalplace.ingest.records import load_fast, load_robust, read_lines
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
# A record whose first
# non-empty cell is "Total" or "Grand Total" is a footer; so is one with a
# cell opening like a copyright or end-of-report note and no usable date
# (suppliers such as "Copyright Licensing Agency" are real payees).
FOOTER_CELL_RE = r"(?i)^(grand\s+|sub\s*)?totals?\s*:?$"
FOOTER_NOTE_RE = r"(?i)(^|[,;|\t\"])\s*(©|\(c\)\s|copyright\b|end of (report|file|data)\b)"
# Error flags in order of precedence: the first that holds is the row's reason.
ERROR_FLAGS = [
    ("footer-text", "e_footer"),
    ("truncated-record", "e_truncated"),
    ("extra-fields", "e_extra"),
    ("missing-amount", "e_missing_amount"),
    ("unparseable-amount", "e_bad_amount"),
    ("missing-date", "e_missing_date"),
    ("unparseable-date", "e_bad_date"),
]
assert [slug for slug, _ in ERROR_FLAGS] == ERROR_PRECEDENCE


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
    return f"nullif(trim(c{role_index + 1}), '')"


def _lit(text: str) -> str:
    """A SQL string literal (regular expressions and header names are constants
    of this module or of the file's header, never row data)."""
    return "'" + text.replace("'", "''") + "'"


class SourceParser:
    """Parse one prepared text source into staged Parquet files."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.fast = False

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
        physical_lines: int,
        crlf: bool,
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
        self.fast = load_fast(
            con,
            text_path,
            dialect.delimiter,
            dialect.header_line,
            n_fields,
            data_lines=physical_lines - dialect.header_line,
            crlf=crlf,
        )
        if not self.fast:
            load_robust(
                con, text_path, line_delim, dialect.delimiter, dialect.header_line, n_fields
            )
        self._date_map(cmap, date_order, rules)
        con.execute(HALF_EVEN_MACRO)
        con.execute(self._parsed_sql(cmap, n_fields, dialect.delimiter), {"publisher": publisher})
        self._write_outputs(cmap, file_id, display_path, out, text_path, line_delim)
        return self._summary()

    def _parsed_sql(self, cmap: ColumnMap, n_fields: int, delimiter: str) -> str:
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
        reason = "CASE " + " ".join(f"WHEN {flag} THEN '{slug}'" for slug, flag in ERROR_FLAGS)
        cells = [f"c{i}" for i in range(1, n_fields + 1)]
        first_cell = "coalesce(" + ", ".join(f"nullif(trim({c}), '')" for c in cells) + ")"
        # the record as text, for the footer-note check: raw in the robust
        # reader, rebuilt from the cells in the fast one
        text = (
            "coalesce(text, concat_ws("
            + _lit(delimiter)
            + ", "
            + ", ".join(f"coalesce({c}, '')" for c in cells)
            + "))"
        )
        return f"""
        CREATE OR REPLACE TEMP TABLE classified AS
        WITH cells AS (
            SELECT fields.*, {first_cell} AS first_cell,
                   coalesce(dd.d_start, pd.d_start) AS period_start,
                   coalesce(dd.d_end, pd.d_end) AS period_end,
                   coalesce(dd.prec, pd.prec) AS date_precision
            FROM fields
            LEFT JOIN date_map dd ON dd.raw = {date_raw}
            LEFT JOIN date_map pd ON pd.raw = {period_raw}
        ), base AS (
            SELECT line_no, n_lines, text, n, extra, first_cell,
                   period_start, period_end, date_precision,
                   first_cell IS NULL AS is_blank,
                   first_cell IS NOT NULL AND (
                       regexp_matches(first_cell, {_lit(FOOTER_CELL_RE)})
                       OR CASE WHEN period_start IS NULL
                               THEN regexp_matches({text}, {_lit(FOOTER_NOTE_RE)})
                               ELSE false END
                   ) AS e_footer,
                   {amount} AS amount_raw,
                   {clean} AS a0,
                   {date_raw} AS date_raw,
                   {period_raw} AS period_raw,
                   coalesce({body}, $publisher,
                            (SELECT mode({body}) FROM fields)) AS paying_body,
                   {text_cols},
                   {money_cols}
            FROM cells
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
        ), flagged AS (
            SELECT *,
                NOT is_blank AND n < {n_fields} AS e_truncated,
                NOT is_blank AND extra AS e_extra,
                amount_raw IS NULL AS e_missing_amount,
                amount_raw IS NOT NULL AND amount_pence IS NULL AS e_bad_amount,
                date_raw IS NULL AND period_raw IS NULL AS e_missing_date,
                (date_raw IS NOT NULL OR period_raw IS NOT NULL)
                    AND period_start IS NULL AS e_bad_date
            FROM pence
        )
        SELECT *, CASE WHEN is_blank THEN 'blank' ELSE {reason} ELSE 'loaded' END END AS status
        FROM flagged
        """

    def _write_outputs(
        self,
        cmap: ColumnMap,
        file_id: str,
        display_path: str,
        out: dict[str, Path],
        text_path: Path,
        line_delim: str,
    ) -> None:
        con = self.con
        if self.fast:
            self._fill_raw_text(text_path, line_delim)
        checks = {
            "footer-text": ("e_footer", "text", None),
            "truncated-record": ("e_truncated", f"n || ' of {len(cmap.headers)}'", None),
            "extra-fields": ("e_extra", f"n || ' for {len(cmap.headers)}'", None),
            "missing-amount": ("e_missing_amount", "amount_raw", "amount"),
            "unparseable-amount": ("e_bad_amount", "amount_raw", "amount"),
            "missing-date": ("e_missing_date", "date_raw", "payment_date"),
            "unparseable-date": ("e_bad_date", "coalesce(date_raw, period_raw)", "payment_date"),
        }
        assert [(slug, c[0]) for slug, c in checks.items()] == ERROR_FLAGS
        con.execute("DROP TABLE fields")
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

    def _fill_raw_text(self, text_path: Path, line_delim: str) -> None:
        """The fast reader keeps no raw text: read back the lines of rows that
        need it (quarantined rows), if any."""
        con = self.con
        bad = con.execute(
            "SELECT count(*) FROM classified WHERE status NOT IN ('loaded', 'blank')"
        ).fetchone()
        if not bad or bad[0] == 0:
            return
        read_lines(con, text_path, line_delim, "all_lines")
        con.execute(
            "UPDATE classified SET text = l.line FROM all_lines l "
            "WHERE classified.line_no = l.line_no AND classified.status NOT IN ('loaded', 'blank')"
        )
        con.execute("DROP TABLE all_lines")

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
