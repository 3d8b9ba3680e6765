"""Vectorised parsing of one text source in DuckDB, written out as staged Parquet.

Records come from :mod:`totalplace.ingest.records` (DuckDB's CSV reader when
it accounts for every line, a line-by-line reader otherwise); every role's
value is parsed in SQL (:mod:`totalplace.ingest.rowsql`); dates and payee
flags are judged once per distinct value and joined back.  Nothing here loops
over rows in Python.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from totalplace.errors import SourceError
from totalplace.ingest.checks import (
    TOTAL_STATUS,
    last_amount_only_line,
    mark_unlabelled_total,
    publisher_total,
)
from totalplace.ingest.dates import (
    DateValue,
    PeriodReading,
    PeriodRules,
    choose_yyyypp_reading,
    day_code_pairs,
    impossible_time,
    infer_order,
    out_of_range,
    parse_values,
    yyyypp_codes,
)
from totalplace.ingest.dialect import Dialect
from totalplace.ingest.filedate import NamedPeriod
from totalplace.ingest.issues import ISSUE_TYPES
from totalplace.ingest.limits import MAX_STORED_PENCE
from totalplace.ingest.records import load_fast, load_robust, read_lines, repair_joined_fields
from totalplace.ingest.roles import DATE_ROLES, ColumnMap
from totalplace.ingest.rowsql import (
    HALF_EVEN_MACRO,
    MONEY_ROLES,
    TEXT_ROLES,
    classified_sql,
    field,
    issue_value_sql,
    supplier_flags_sql,
    untidy_sql,
    warnings_sql,
)
from totalplace.ingest.separators import POINT, MoneyFormat, column_format

QUARANTINED = "status NOT IN ('loaded', 'blank')"
# what an issue's field and value are read from
ISSUE_COLUMNS = "line_no, text, n, amount_raw, date_raw, period_raw, supplier_name"


@dataclass(frozen=True)
class ImpossibleTimes:
    """Day dates whose time of day no clock shows: the rows, and a few raw values."""

    rows: int
    examples: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"rows": self.rows, "examples": list(self.examples)}


@dataclass(frozen=True)
class ParseResult:
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_blank: int
    amount_loaded_pence: int
    amount_quarantined_pence: int  # real payments only: never a publisher's total
    issue_counts: dict[str, int]
    # every publisher-total line's amount (kept apart so loaded + quarantined +
    # this = the file's amount column), and the comparison with the loaded sum
    amount_publisher_total_pence: int = 0
    publisher_total: dict[str, object] | None = None
    # money columns read with a decimal comma: {header: "decimal comma"}
    money_formats: dict[str, str] = dataclasses.field(default_factory=dict)
    # day dates whose time of day no clock shows: rows and a few raw values
    impossible_times: ImpossibleTimes | None = None


class SourceParser:
    """Parse one prepared text source into staged Parquet files."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.fast = False
        # how YYYYPP codes were read; the label rows take when no column dates them
        self.period_reading: PeriodReading | None = None
        self.file_period: str | None = None
        self.impossible_times: ImpossibleTimes | None = None

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
        named: NamedPeriod | None = None,
        named_year: tuple[date, date, str] | None = None,
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
                con,
                text_path,
                line_delim,
                dialect.delimiter,
                dialect.header_line,
                n_fields,
                display=display_path,
            )
            roles = {role: i for role, (i, _, _) in cmap.roles.items()}
            repair_joined_fields(con, roles, dialect.headers, date_order, rules)
        trimmed = self._untidy_columns(cmap)
        formats = self._money_formats(cmap, trimmed, display_path)
        self._date_map(cmap, date_order, rules, trimmed, named, named_year)
        con.execute(supplier_flags_sql(cmap, trimmed))
        con.execute(HALF_EVEN_MACRO)
        total_line = last_amount_only_line(con, cmap.index("amount"), n_fields)
        self._write_rows(
            classified_sql(
                cmap,
                n_fields,
                dialect.delimiter,
                publisher is not None,
                trimmed,
                self.file_period,
                money_formats=formats,
            ),
            publisher,
            file_id,
            out["rows"],
            cmap,
        )
        con.execute(f"DROP {'VIEW' if self.fast else 'TABLE'} fields")
        con.execute("DROP TABLE IF EXISTS fast_fields")
        if total_line is not None:
            mark_unlabelled_total(con, out["rows"], total_line)
        con.read_parquet(str(out["rows"])).create_view("classified")
        self._quarantined_rows(text_path, line_delim, display_path)
        self._write_quarantine(file_id, out["quarantine"])
        self._write_issues(cmap, file_id, display_path, out["issues"])
        result = self._summary(display_path)
        return replace(
            result,
            money_formats={str(cmap.header(r)): f.label for r, f in formats.items() if f != POINT},
            impossible_times=self.impossible_times,
        )

    def _money_formats(
        self, cmap: ColumnMap, trimmed: frozenset[int], display: str
    ) -> dict[str, MoneyFormat]:
        """Each mapped money column's decimal separator, from all its values
        (see :mod:`totalplace.ingest.separators`)."""
        formats: dict[str, MoneyFormat] = {}
        for role in ("amount", *MONEY_ROLES):
            i = cmap.index(role)
            if i is not None:
                header = cmap.header(role) or role
                formats[role] = column_format(self.con, display, header, field(i, trimmed))
        return formats

    def _untidy_columns(self, cmap: ColumnMap) -> frozenset[int]:
        mapped = sorted({i for i, _, _ in cmap.roles.values()})
        row = self.con.execute(untidy_sql(mapped)).fetchone()
        return frozenset(i for i, hit in zip(mapped, row or (), strict=True) if hit)

    def _date_map(
        self,
        cmap: ColumnMap,
        order: str | None,
        rules: PeriodRules,
        trimmed: frozenset[int],
        named: NamedPeriod | None,
        named_year: tuple[date, date, str] | None = None,
    ) -> None:
        """Each distinct date or period value parsed once.  YYYYPP codes are
        read one way for the whole file, decided from all its values (see
        :func:`choose_yyyypp_reading`); a file with no date column is dated to
        the month or quarter its name gives."""
        counts: dict[str, int] = {}
        cols = [field(i, trimmed) for r in DATE_ROLES if (i := cmap.index(r)) is not None]
        for col in cols:
            for raw, n in self.con.execute(
                f"SELECT {col}, count(*) FROM fields WHERE {col} IS NOT NULL GROUP BY ALL"
            ).fetchall():
                counts[raw] = counts.get(raw, 0) + n
        parsed: dict[str, DateValue | None] = dict(parse_values(counts, order, rules))
        if yyyypp_codes(counts):
            pairs = None
            if len(cols) == 2:
                raw_pairs = self.con.execute(
                    f"SELECT {cols[0]}, {cols[1]}, count(*) FROM fields "
                    f"WHERE {cols[0]} IS NOT NULL AND {cols[1]} IS NOT NULL GROUP BY ALL"
                ).fetchall()
                pairs = day_code_pairs(raw_pairs, parsed)
            in_name = None
            if named is not None and not named.code_like:
                in_name = (named.start, named.end, named.label)
            elif named is None:
                in_name = named_year
            self.period_reading = choose_yyyypp_reading(
                counts, rules, day_pairs=pairs, named=in_name
            )
            if self.period_reading and self.period_reading.reading == "financial":
                financial = replace(rules, yyyypp="financial")
                parsed.update(parse_values(self.period_reading.codes, "dmy", financial))
        if not cols and named is not None:
            self.file_period = f"{named.label} (from the {named.where})"
            parsed[self.file_period] = DateValue(named.start, named.end, named.precision)
        keys = sorted(parsed)
        hits = [parsed[k] for k in keys]
        # values written as dates but dated outside 1900-2100 are quarantined as such
        read_order = order or infer_order(list(counts))
        beyond = [
            h is None and out_of_range(k, read_order, rules)
            for k, h in zip(keys, hits, strict=True)
        ]
        self._note_impossible_times(counts, parsed)
        table = pa.table(
            {
                "raw": pa.array(keys, pa.string()),
                "d_start": pa.array([h.start if h else None for h in hits], pa.date32()),
                "d_end": pa.array([h.end if h else None for h in hits], pa.date32()),
                "prec": pa.array([h.precision if h else None for h in hits], pa.string()),
                "out_of_range": pa.array(beyond, pa.bool_()),
            }
        )
        self.con.register("date_map_arrow", table)
        self.con.execute("CREATE OR REPLACE TEMP TABLE date_map AS SELECT * FROM date_map_arrow")
        self.con.unregister("date_map_arrow")

    def _note_impossible_times(
        self, counts: dict[str, int], parsed: dict[str, DateValue | None]
    ) -> None:
        """Day dates read whose time of day is impossible (``25:99``): the day
        is kept, and the rows are counted for a file warning."""
        bad = sorted(
            raw for raw, v in parsed.items() if v and v.precision == "day" and impossible_time(raw)
        )
        if bad:
            self.impossible_times = ImpossibleTimes(
                sum(counts.get(raw, 0) for raw in bad), tuple(bad[:3])
            )

    def _write_rows(
        self, query: str, publisher: str | None, file_id: str, path: Path, cmap: ColumnMap
    ) -> None:
        """Every record, loaded or not, with its status: classified and written
        in one streaming pass.  Only the roles the file maps are written (the
        workspace's views supply the others as NULL).  No ORDER BY and no kept
        insertion order: ``source_line`` orders rows when wanted, and both
        threads can write."""
        roles = [r for r in TEXT_ROLES if cmap.index(r) is not None]
        money = [
            f"CAST(round({r}_raw * 100) AS BIGINT) AS {r}_pence"
            for r in MONEY_ROLES
            if cmap.index(r) is not None
        ]
        optional = ", ".join(roles + money)
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute(
            f"""COPY (
                SELECT $file_id AS file_id, line_no AS source_line, n_lines AS source_lines,
                       status, paying_body,
                       CASE WHEN date_precision = 'day' THEN period_start END AS payment_date,
                       period_start, period_end, date_precision,
                       amount_pence, warning_bits,
                       amount_raw, date_raw, period_raw, n AS field_count
                       {", " + optional if optional else ""}
                FROM ({query})
            ) TO $path (FORMAT parquet)""",
            {"file_id": file_id, "path": str(path), "publisher": publisher},
        )
        self.con.execute("SET preserve_insertion_order = true")

    def _quarantined_rows(self, text_path: Path, line_delim: str, display: str) -> None:
        """The quarantined records with their raw text, read back from the file
        (a record may span several lines)."""
        con = self.con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE qrows AS SELECT source_line AS line_no, "
            "source_lines AS n_lines, status, amount_pence, amount_raw, date_raw, period_raw, "
            "supplier_name, field_count AS n, CAST(NULL AS VARCHAR) AS text "
            f"FROM classified WHERE {QUARANTINED}"
        )
        bad = con.execute("SELECT count(*) FROM qrows").fetchone()
        if not bad or bad[0] == 0:
            return
        read_lines(con, text_path, line_delim, "all_lines", display=display)
        con.execute(
            """UPDATE qrows SET text = r.raw FROM (
                   SELECT q.line_no, string_agg(l.line, chr(10) ORDER BY l.line_no) AS raw
                   FROM qrows q JOIN all_lines l
                     ON l.line_no BETWEEN q.line_no AND q.line_no + q.n_lines - 1
                   GROUP BY q.line_no) r
               WHERE qrows.line_no = r.line_no"""
        )
        con.execute("DROP TABLE all_lines")

    def _write_quarantine(self, file_id: str, path: Path) -> None:
        self.con.execute(
            """COPY (
                SELECT $file_id AS file_id, line_no AS source_line, n_lines AS source_lines,
                       status AS reason, amount_pence, text AS raw_record
                FROM qrows ORDER BY line_no
            ) TO $path (FORMAT parquet)""",
            {"file_id": file_id, "path": str(path)},
        )

    def _write_issues(self, cmap: ColumnMap, file_id: str, display: str, path: Path) -> None:
        """One issue per quarantined row (its reason) and per warning of a loaded row."""
        con = self.con
        types = pa.table(
            {
                "slug": [t.slug for t in ISSUE_TYPES.values()],
                "severity": [str(t.severity) for t in ISSUE_TYPES.values()],
                "template": [t.template for t in ISSUE_TYPES.values()],
            }
        )
        field_case, value_case = issue_value_sql(cmap)
        con.register("issue_types", types)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE issues AS
            WITH raw AS (
                SELECT status AS slug, {ISSUE_COLUMNS} FROM qrows
                UNION ALL
                SELECT unnest({warnings_sql("warning_bits")}) AS slug, source_line AS line_no,
                       CAST(NULL AS VARCHAR) AS text, field_count AS n, amount_raw, date_raw,
                       period_raw, supplier_name
                FROM classified WHERE status = 'loaded' AND warning_bits > 0
            ), valued AS (
                SELECT line_no, slug, {field_case} AS field, {value_case} AS value
                FROM raw LEFT JOIN (SELECT line_no AS j_line, note AS joined FROM joined_fields)
                     ON j_line = line_no
            )
            SELECT $file_id AS file_id, $path AS file, v.line_no AS line, v.slug,
                   t.severity, v.field, v.value,
                   replace(replace(t.template, '{{value}}', coalesce(v.value, '')),
                           '{{field}}', coalesce(v.field, '')) AS message
            FROM valued v JOIN issue_types t USING (slug)""",
            {"file_id": file_id, "path": display},
        )
        con.unregister("issue_types")
        con.execute(
            "COPY (SELECT * FROM issues ORDER BY line, slug) TO $path (FORMAT parquet)",
            {"path": str(path)},
        )

    def _summary(self, display: str) -> ParseResult:
        row = self.con.execute(
            f"""SELECT count(*),
                      count(*) FILTER (status = 'loaded'),
                      count(*) FILTER ({QUARANTINED}),
                      count(*) FILTER (status = 'blank'),
                      CAST(coalesce(sum(amount_pence) FILTER (status = 'loaded'), 0) AS HUGEINT),
                      CAST(coalesce(sum(amount_pence) FILTER ({QUARANTINED}
                                    AND status <> '{TOTAL_STATUS}'), 0) AS HUGEINT),
                      CAST(coalesce(sum(amount_pence) FILTER (status = '{TOTAL_STATUS}'), 0)
                           AS HUGEINT)
               FROM classified"""
        ).fetchone()
        assert row is not None
        # every amount is within £10^13, but a file of very many could still add
        # up past what the store's 64-bit pence hold: such a file fails whole
        if any(abs(int(x)) > MAX_STORED_PENCE for x in row[4:7]):
            raise SourceError(
                display,
                "the file's amounts add up to more than the store can hold "
                f"({MAX_STORED_PENCE:,} pence); the amount column cannot be money",
            )
        counts = self.con.execute(
            "SELECT slug, count(*) FROM issues GROUP BY slug ORDER BY slug"
        ).fetchall()
        return ParseResult(
            rows_read=int(row[0]),
            rows_loaded=int(row[1]),
            rows_quarantined=int(row[2]),
            rows_blank=int(row[3]),
            amount_loaded_pence=int(row[4]),
            amount_quarantined_pence=int(row[5]),
            issue_counts={str(k): int(v) for k, v in counts},
            amount_publisher_total_pence=int(row[6]),
            publisher_total=publisher_total(self.con),
        )
