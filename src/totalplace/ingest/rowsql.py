"""The SQL that turns a ``fields`` table into classified rows.

The query streams straight into the file's Parquet (no intermediate table),
which keeps both time and memory close to a plain CSV-to-Parquet copy.

One query reads every role's value, parses the amount to exact pence, joins
the dates (parsed once per distinct value), flags errors and warnings and
gives each record its status: ``loaded``, ``blank`` or the slug of its first
error.  Constants here (regular expressions, header names) are quoted with
:func:`lit`; row data never enters SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping

from totalplace.ingest.issues import ERROR_PRECEDENCE
from totalplace.ingest.limits import MAX_AMOUNT_POUNDS
from totalplace.ingest.roles import ColumnMap
from totalplace.ingest.separators import POINT, MoneyFormat

# The canonical columns are the schema's (parse.py reads them from here too).
from totalplace.schema import MONEY_ROLES as MONEY_ROLES
from totalplace.schema import TEXT_ROLES as TEXT_ROLES
from totalplace.schema import WARNING_SLUGS
from totalplace.schema import warnings_sql as warnings_sql

REDACTED_RE = r"(?i)redact|withheld|personal (data|information)|data protection|not disclosed"
PERSONAL_RE = r"(?i)^(mr|mrs|ms|miss|mx|dr)\.?\s+\S|^[a-z'\-]+,\s*[a-z]\.?(\s*[a-z]\.?)?$"
# ...unless the name says it is a firm ("Dr Foster Ltd", "Mr Blackcab Taxis Ltd")
FIRM_RE = (
    r"(?i)\b(ltd|limited|plc|llp|inc|co|company|partners(hip)?|associates|services|"
    r"surgery|practice|group|trust|t/a)\b"
)
# A record whose first non-empty cell is "Total", "Grand Total", "Sub total" (and
# the like) is the publisher's own total, not a payment; a record with a cell
# opening like a copyright or end-of-report note and no usable date is a footer
# (suppliers such as "Copyright Licensing Agency" are real payees).
TOTAL_CELL_RE = (
    r"(?i)^(grand|sub|overall|report|page|month(ly)?|file)?[\s-]*totals?"
    r"(\s*:.*|\s+(for|of)\s.*)?$"
)
FOOTER_NOTE_RE = r"(?i)(^|[,;|\t\"])\s*(©|\(c\)\s|copyright\b|end of (report|file|data)\b)"
NUMBER_RE = r"[-+]?(\d+\.?\d*|\.\d+)"
PLAIN_RE = r"-?\d+(\.\d{0,4})?"  # cast directly, without cleaning

# Error flags in order of precedence: the first that holds is the row's reason.
ERROR_FLAGS = [
    ("publisher-total", "e_total"),
    ("footer-text", "e_footer"),
    ("truncated-record", "e_truncated"),
    ("extra-fields", "e_extra"),
    ("missing-amount", "e_missing_amount"),
    ("amount-out-of-range", "e_amount_range"),
    ("unparseable-amount", "e_bad_amount"),
    ("missing-date", "e_missing_date"),
    ("date-out-of-range", "e_date_range"),
    ("unparseable-date", "e_bad_date"),
]
assert [slug for slug, _ in ERROR_FLAGS] == ERROR_PRECEDENCE

# Day dates win: a day in the period column (the two columns swapped) dates the
# row when the date column holds only a period; otherwise the date column does.
DAY_IN_PERIOD_COLUMN = "pd.prec = 'day' AND dd.prec IS DISTINCT FROM 'day'"

# Warning slug -> condition on a classified row (the row is loaded and flagged).
WARNINGS = {
    "negative-amount": "amount_pence < 0",
    "sub-penny-amount": "sub_penny",
    "period-date": "date_precision <> 'day'",
    "redacted-supplier": "s_redacted",
    "personal-supplier": "s_personal",
    "missing-supplier": "supplier_name IS NULL",
    "joined-fields-repaired": "repaired",
}


# The stored bit of each warning is its place in the schema's list.
assert tuple(WARNINGS) == WARNING_SLUGS


# n / d rounded half to even, for integers (pence from finer units).
HALF_EVEN_MACRO = """CREATE OR REPLACE TEMP MACRO half_even(n, d) AS
    sign(n) * (abs(n) // d + CASE WHEN abs(n) % d * 2 > d
                                   OR (abs(n) % d * 2 = d AND (abs(n) // d) % 2 = 1)
                              THEN 1 ELSE 0 END)"""


def lit(text: str) -> str:
    """A SQL string literal for a constant of this package or a header name."""
    return "'" + text.replace("'", "''") + "'"


def field(role_index: int | None, trimmed: frozenset[int] | None = None) -> str:
    """SQL for the text of a field, NULL when blank or when the column is absent.

    ``trimmed`` holds the 0-based columns that have values with leading or
    trailing whitespace (see :func:`untidy_columns`); others skip the trim,
    which is one of the dearest string functions on millions of rows.
    """
    if role_index is None:
        return "CAST(NULL AS VARCHAR)"
    col = f"c{role_index + 1}"
    if trimmed is None or role_index in trimmed:
        return f"nullif(trim({col}), '')"
    return f"nullif({col}, '')"


def untidy_sql(columns: list[int]) -> str:
    """One scan telling which columns hold values with surrounding whitespace."""
    checks = [
        f"bool_or(c{i + 1} LIKE ' %' OR c{i + 1} LIKE '% ' OR c{i + 1} LIKE '\t%' "
        f"OR c{i + 1} LIKE '%\t' OR c{i + 1} LIKE '\u00a0%' OR c{i + 1} LIKE '%\u00a0')"
        for i in columns
    ]
    return f"SELECT {', '.join(checks)} FROM fields"


def supplier_flags_sql(cmap: ColumnMap, trimmed: frozenset[int]) -> str:
    """Redacted and personal-looking payees, judged once per distinct name."""
    supplier = field(cmap.index("supplier_name"), trimmed)
    return f"""CREATE OR REPLACE TEMP TABLE supplier_flags AS
        SELECT name,
               regexp_matches(name, {lit(REDACTED_RE)}) AS s_redacted,
               NOT regexp_matches(name, {lit(REDACTED_RE)})
                   AND regexp_matches(name, {lit(PERSONAL_RE)})
                   AND NOT regexp_matches(name, {lit(FIRM_RE)}) AS s_personal
        FROM (SELECT DISTINCT {supplier} AS name FROM fields) WHERE name IS NOT NULL"""


def _amount_sql(amount: str, fmt: MoneyFormat = POINT) -> str:
    """CTEs from ``base`` to ``pence``: exact integer pence, half-even.  With a
    decimal comma (see :mod:`totalplace.ingest.separators`) only whole numbers
    take the direct cast.  Beyond plus or minus £10^13 a value has no pence
    and is flagged ``amount_out_of_range``."""
    clean = fmt.clean_sql("amount_raw")
    plain_re = PLAIN_RE if fmt.decimal == "." else r"-?\d+"
    return f"""
        money AS (
            -- Most amounts are plain numbers and cast directly; the rest are
            -- cleaned of £, commas, spaces, parentheses and CR/minus suffixes.
            SELECT *,
                   CASE WHEN plain IS NULL THEN {clean} END AS a0
            FROM (SELECT *, CASE WHEN abs(plain0) < 1000000000 THEN plain0 END AS plain
                  FROM (SELECT *, CASE WHEN length(amount_raw) < 16
                                            AND regexp_full_match(amount_raw, {lit(plain_re)})
                                       THEN TRY_CAST(amount_raw AS DECIMAL(18, 4)) END AS plain0
                        FROM base))
        ), num AS (
            SELECT *,
                   -- "(-45)" and "-45-" stay negative: a marker never flips a minus
                   CASE WHEN plain IS NOT NULL THEN NULL
                        WHEN (a0 LIKE '(%)' OR a0 LIKE '%-' OR upper(a0) LIKE '%CR')
                             AND a1 NOT LIKE '-%' THEN -1
                        ELSE 1 END AS sgn
            FROM (SELECT *, CASE WHEN plain IS NULL
                                 THEN regexp_replace(a0, '^\\((.*)\\)$|^(.*?)(-|CR|cr)$', '\\1\\2')
                            END AS a1
                  FROM money)
        ), scaled AS (
            -- pounds as an integer count of 1/10,000ths
            SELECT *,
                   CASE WHEN plain IS NOT NULL THEN CAST(plain * 10000 AS BIGINT)
                        WHEN regexp_full_match(a1, {lit(NUMBER_RE)})
                             AND abs(TRY_CAST(a1 AS DECIMAL(18, 4))) < 1000000000
                             AND NOT regexp_matches(a1, '\\.\\d{{5}}')
                        THEN CAST(TRY_CAST(a1 AS DECIMAL(18, 4)) * 10000 AS BIGINT) * sgn
                   END AS n4,
                   plain IS NULL AND regexp_full_match(a1, {lit(NUMBER_RE)}) AS long_ok
            FROM num
        ), pence AS (
            -- huge values and fractions finer than 1/10,000 take the exact slow path;
            -- a number beyond the range (or too long to cast) gets no pence
            SELECT *,
                   coalesce(
                       half_even(n4, 100),
                       CASE WHEN long_ok AND n4 IS NULL AND abs(big) <= {MAX_AMOUNT_POUNDS}
                       THEN CAST(half_even(CAST(big * 10000000000 AS HUGEINT) * sgn,
                                           100000000) AS BIGINT) END
                   ) AS amount_pence,
                   coalesce(long_ok AND n4 IS NULL
                            AND (big IS NULL OR abs(big) > {MAX_AMOUNT_POUNDS}), false)
                       AS amount_out_of_range,
                   coalesce(
                       n4 % 100 <> 0,
                       CASE WHEN long_ok AND n4 IS NULL AND abs(big) <= {MAX_AMOUNT_POUNDS}
                       THEN big * 100 <> floor(big * 100) END
                   ) AS sub_penny
            FROM (SELECT *, CASE WHEN long_ok AND n4 IS NULL
                                 THEN TRY_CAST(a1 AS DECIMAL(38, 10)) END AS big
                  FROM scaled)
        )"""


def classified_sql(
    cmap: ColumnMap,
    n_fields: int,
    delimiter: str,
    publisher_known: bool,
    trimmed: frozenset[int],
    file_period: str | None = None,
    money_formats: Mapping[str, MoneyFormat] | None = None,
) -> str:
    """SELECT every record with its parsed values and ``status`` (parameter ``$publisher``).

    ``file_period`` labels the month or quarter a file without any date column
    takes from its name or title lines (see :mod:`totalplace.ingest.filedate`):
    every record is dated to it, as if a period column held it.  ``money_formats``
    gives the money roles written with a decimal comma (others read as today)."""
    formats = money_formats or {}

    def role(name: str) -> str:
        return field(cmap.index(name), trimmed)

    date_raw, period_raw = role("payment_date"), role("period")
    if file_period is not None and date_raw == period_raw == field(None):
        period_raw = lit(file_period)
    body, supplier = role("paying_body"), role("supplier_name")
    text_cols = ",\n".join(f"{role(r)} AS {r}" for r in TEXT_ROLES)
    money_cols = ",\n".join(
        f"TRY_CAST({formats[r].clean_sql(role(r))} AS DECIMAL(18, 2)) AS {r}_raw"
        if r in formats and formats[r] != POINT
        else f"TRY_CAST(regexp_replace(coalesce({role(r)}, ''), '[£\\s,]', '', 'g') "
        f"AS DECIMAL(18, 2)) AS {r}_raw"
        for r in MONEY_ROLES
    )
    cells = [f"c{i}" for i in range(1, n_fields + 1)]
    # Empty cells are NULL, so the first non-NULL cell is usually the first
    # non-blank one; only a whitespace-only cell needs the slower search.
    first_raw = "coalesce(" + ", ".join(cells) + ")"
    first_trimmed = "coalesce(" + ", ".join(f"nullif(trim({c}), '')" for c in cells) + ")"
    first_cell = (
        "CASE WHEN first_raw IS NULL THEN NULL "
        f"WHEN trim(first_raw) <> '' THEN trim(first_raw) ELSE {first_trimmed} END"
    )
    # Most records start with a printable ASCII character, which trim() keeps:
    # they are not blank and their first cell is that cell, so the trimming
    # (and its copy of every string) is left to the few that do not.
    plain_start = "ascii(first_raw) BETWEEN 33 AND 126"
    # the record as text for the footer-note check: raw from the robust
    # reader, rebuilt from the cells after the fast one
    text = (
        f"coalesce(text, concat_ws({lit(delimiter)}, "
        + ", ".join(f"coalesce({c}, '')" for c in cells)
        + "))"
    )
    body_default = (
        ""
        if publisher_known or body.startswith("CAST(NULL")
        else (f", (SELECT mode({body}) FROM fields)")
    )
    reason = "CASE " + " ".join(f"WHEN {flag} THEN '{slug}'" for slug, flag in ERROR_FLAGS)
    bits = " + ".join(
        f"CASE WHEN {cond} THEN {1 << i} ELSE 0 END" for i, cond in enumerate(WARNINGS.values())
    )
    return f"""
        WITH cells AS (
            SELECT fields.*, {first_raw} AS first_raw,
                   CASE WHEN {DAY_IN_PERIOD_COLUMN} THEN pd.d_start
                        ELSE coalesce(dd.d_start, pd.d_start) END AS period_start,
                   CASE WHEN {DAY_IN_PERIOD_COLUMN} THEN pd.d_end
                        ELSE coalesce(dd.d_end, pd.d_end) END AS period_end,
                   CASE WHEN {DAY_IN_PERIOD_COLUMN} THEN pd.prec
                        ELSE coalesce(dd.prec, pd.prec) END AS date_precision,
                   coalesce(sf.s_redacted, false) AS s_redacted,
                   coalesce(sf.s_personal, false) AS s_personal,
                   coalesce(dd.out_of_range, false) OR coalesce(pd.out_of_range, false)
                       AS date_out_of_range
            FROM fields
            LEFT JOIN date_map dd ON dd.raw = {date_raw}
            LEFT JOIN date_map pd ON pd.raw = {period_raw}
            LEFT JOIN supplier_flags sf ON sf.name = {supplier}
        ), base AS (
            SELECT line_no, n_lines, text, n, extra, repaired,
                   period_start, period_end, date_precision, s_redacted, s_personal,
                   date_out_of_range,
                   CASE WHEN first_raw IS NULL THEN true
                        WHEN {plain_start} THEN false
                        ELSE ({first_cell}) IS NULL END AS is_blank,
                   CASE WHEN first_raw IS NULL THEN false
                        WHEN {plain_start} AND NOT first_raw ILIKE '%total%' THEN false
                        ELSE coalesce(lower({first_cell}) LIKE '%total%'
                             AND regexp_matches({first_cell}, {lit(TOTAL_CELL_RE)}), false)
                   END AS e_total,
                   CASE WHEN period_start IS NULL AND first_raw IS NOT NULL
                           THEN coalesce(regexp_matches({text}, {lit(FOOTER_NOTE_RE)}), false)
                           ELSE false END AS e_footer,
                   {role("amount")} AS amount_raw,
                   {date_raw} AS date_raw,
                   {period_raw} AS period_raw,
                   coalesce({body}, $publisher{body_default}) AS paying_body,
                   {text_cols},
                   {money_cols}
            FROM cells
        ), {_amount_sql("amount_raw", formats.get("amount", POINT)).strip()}, flagged AS (
            SELECT *,
                NOT is_blank AND n < {n_fields} AS e_truncated,
                NOT is_blank AND extra AS e_extra,
                amount_raw IS NULL AS e_missing_amount,
                amount_out_of_range AS e_amount_range,
                amount_raw IS NOT NULL AND amount_pence IS NULL AS e_bad_amount,
                date_raw IS NULL AND period_raw IS NULL AS e_missing_date,
                period_start IS NULL AND date_out_of_range AS e_date_range,
                (date_raw IS NOT NULL OR period_raw IS NOT NULL)
                    AND period_start IS NULL AS e_bad_date
            FROM pence
        ), statused AS (
            SELECT *,
                   CASE WHEN is_blank THEN 'blank' ELSE {reason} ELSE 'loaded' END END AS status
            FROM flagged
        )
        SELECT *,
               CAST(CASE WHEN status = 'loaded' THEN {bits} ELSE 0 END AS UTINYINT)
                   AS warning_bits
        FROM statused
        """


def issue_value_sql(cmap: ColumnMap) -> tuple[str, str]:
    """SQL CASE expressions giving an issue's field (header) and raw value by slug."""
    headers = {
        "amount": cmap.header("amount"),
        "date": cmap.header("payment_date") or cmap.header("period"),
        "supplier": cmap.header("supplier_name"),
    }
    n = len(cmap.headers)
    by_slug: dict[str, tuple[str | None, str]] = {
        "publisher-total": (headers["amount"], "amount_raw"),
        "footer-text": (None, "text"),
        "truncated-record": (None, f"n || ' of {n}' || coalesce('; ' || joined, '')"),
        "extra-fields": (None, f"n || ' for {n}'"),
        "missing-amount": (headers["amount"], "amount_raw"),
        "amount-out-of-range": (headers["amount"], "amount_raw"),
        "unparseable-amount": (headers["amount"], "amount_raw"),
        "missing-date": (headers["date"], "coalesce(date_raw, period_raw)"),
        "date-out-of-range": (headers["date"], "coalesce(date_raw, period_raw)"),
        "unparseable-date": (headers["date"], "coalesce(date_raw, period_raw)"),
        "negative-amount": (headers["amount"], "amount_raw"),
        "sub-penny-amount": (headers["amount"], "amount_raw"),
        "period-date": (headers["date"], "coalesce(date_raw, period_raw)"),
        "redacted-supplier": (headers["supplier"], "supplier_name"),
        "personal-supplier": (headers["supplier"], "supplier_name"),
        "missing-supplier": (headers["supplier"], "supplier_name"),
        "joined-fields-repaired": (None, "joined"),
    }
    field_case = (
        "CASE slug "
        + " ".join(f"WHEN '{s}' THEN {lit(h) if h else 'NULL'}" for s, (h, _) in by_slug.items())
        + " END"
    )
    value_case = (
        "CASE slug "
        + " ".join(f"WHEN '{s}' THEN CAST({v} AS VARCHAR)" for s, (_, v) in by_slug.items())
        + " END"
    )
    return field_case, value_case
