"""File-level money checks: the publisher's own total, and money too large to be true.

**The publisher's total.**  A record whose first non-blank cell says "Total",
"Grand Total", "Sub total" (and the like) is the publisher's own total (status
``publisher-total``, found in SQL by :mod:`totalplace.ingest.rowsql`).  So is
an unlabelled last record that holds only an amount, every other cell blank,
when that amount equals the sum of the loaded rows above it to the penny; such
a record can only be recognised once the rows above are classified, so it is
re-marked here after the rows are written.  Total lines are kept in quarantine
with their raw text but their money is not quarantined money.  The figure
compared with the loaded sum is the last "Grand Total" line when there is one,
else the only total line, else the sum of the sub totals.

**Large money.**  A single payment over £1bn, or a file whose loaded payments
by one council in one financial year exceed that council's whole net current
expenditure for the year (Revenue Outturn), is far more likely a mis-mapped
column or a misplaced decimal point than a real payment; the file fails unless
the user says it is real (``--accept-large``).  A paying body is checked only
when its name is a council's name or name variant in the place registry and the
outturn has that council and year; any other body is not checked, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from totalplace.errors import ConfigError
from totalplace.money import pounds

TOTAL_STATUS = "publisher-total"
# £1bn in pence: larger than any single payment a spend file has a reason to hold.
LARGE_PAYMENT_PENCE = 1_000_000_000 * 100
# How far back from the last record to look for the last non-blank one.
TAIL_RECORDS = 1000
OUTTURN_LINE = "net_current_expenditure"
MAX_BODIES_CHECKED = 20
GRAND_RE = re.compile(r"(?i)grand\s*total|overall\s*total")


def last_amount_only_line(
    con: duckdb.DuckDBPyConnection, amount_index: int | None, n_fields: int
) -> int | None:
    """The line of the last non-blank record when it holds only an amount (a
    candidate unlabelled total), else None.  Reads only the file's tail."""
    if amount_index is None:
        return None
    top = con.execute("SELECT max(line_no) FROM fields").fetchone()
    if not top or top[0] is None:
        return None
    cols = ", ".join(f"c{i}" for i in range(1, n_fields + 1))
    tail = con.execute(
        f"SELECT line_no, extra, {cols} FROM fields WHERE line_no > $from ORDER BY line_no DESC",
        {"from": int(top[0]) - TAIL_RECORDS},
    ).fetchall()
    for line_no, extra, *cells in tail:
        filled = [i for i, c in enumerate(cells) if c is not None and c.strip()]
        if not filled and not extra:
            continue  # blank: look further up
        return int(line_no) if filled == [amount_index] and not extra else None
    return None


def mark_unlabelled_total(con: duckdb.DuckDBPyConnection, rows_path: Path, line: int) -> bool:
    """Re-mark ``line`` in the written rows as the publisher's total when its
    amount equals, to the penny, the sum of the loaded rows above it, or of
    every payment above it (a publisher's total also counts the rows we
    quarantine; the comparison then shows them as the difference)."""
    row = con.execute(
        "SELECT (SELECT amount_pence FROM read_parquet($p) WHERE source_line = $l), "
        "(SELECT [CAST(sum(amount_pence) FILTER (status = 'loaded') AS HUGEINT), "
        "         CAST(sum(amount_pence) FILTER (status <> $s) AS HUGEINT)] "
        " FROM read_parquet($p) WHERE source_line < $l AND status <> 'blank')",
        {"p": str(rows_path), "l": line, "s": TOTAL_STATUS},
    ).fetchone()
    if row is None or row[0] is None or row[1][0] is None or int(row[0]) not in row[1]:
        return False
    staged = rows_path.with_name(rows_path.name + ".total")
    con.execute(
        "COPY (SELECT * REPLACE ("
        "  CASE WHEN source_line = $l THEN $s ELSE status END AS status,"
        "  CASE WHEN source_line = $l THEN CAST(0 AS UTINYINT) ELSE warning_bits END"
        "    AS warning_bits)"
        " FROM read_parquet($p)) TO $out (FORMAT parquet)",
        {"p": str(rows_path), "l": line, "s": TOTAL_STATUS, "out": str(staged)},
    )
    staged.replace(rows_path)
    return True


def publisher_total(con: duckdb.DuckDBPyConnection) -> dict[str, object] | None:
    """The publisher's total compared with the loaded sum, or None when the
    file has no total line.  Reads ``qrows`` (quarantined rows with their raw
    text) and ``classified``."""
    totals = con.execute(
        "SELECT line_no, amount_pence, text FROM qrows WHERE status = $s ORDER BY line_no",
        {"s": TOTAL_STATUS},
    ).fetchall()
    if not totals:
        return None
    grand = [t for t in totals if GRAND_RE.search(t[2] or "")]
    if grand:
        used = [grand[-1]]
    elif len(totals) == 1:
        used = totals
    else:
        used = [t for t in totals if t[1] is not None]
    pence = sum(int(t[1] or 0) for t in used)
    sums = con.execute(
        "SELECT CAST(coalesce(sum(amount_pence) FILTER (status = 'loaded'), 0) AS HUGEINT), "
        "CAST(coalesce(sum(amount_pence) FILTER (status NOT IN ('loaded', 'blank', $s)), 0) "
        "AS HUGEINT) FROM classified",
        {"s": TOTAL_STATUS},
    ).fetchone()
    loaded_pence, quarantined_pence = (int(sums[0]), int(sums[1])) if sums else (0, 0)
    return {
        "pence": pence,
        "loaded_pence": loaded_pence,
        "quarantined_pence": quarantined_pence,
        "matches": pence == loaded_pence,
        "difference_pence": pence - loaded_pence,
        "lines": [int(t[0]) for t in used],
        "total_lines": [int(t[0]) for t in totals],
        "all_lines_pence": sum(int(t[1] or 0) for t in totals),
    }


def total_lines_pence(details: dict[str, object]) -> int:
    """Every total line's pence, from a file's stored details (0 without a total)."""
    total = details.get("publisher_total")
    return int(total.get("all_lines_pence", 0)) if isinstance(total, dict) else 0


def total_message(total: dict[str, object]) -> str:
    """One sentence on the publisher's total, for the report."""
    pence, loaded = int(str(total["pence"])), int(str(total["loaded_pence"]))
    lines = ", ".join(str(n) for n in total["lines"])  # type: ignore[attr-defined]
    if total["matches"]:
        return f"publisher's total matches: {pounds(pence)} (line {lines}) = the loaded sum"
    diff = pence - loaded
    why = ""
    if diff and diff == total.get("quarantined_pence"):
        why = ", the quarantined payments"
    return (
        f"publisher's total {pounds(pence)} (line {lines}) differs from the loaded sum "
        f"{pounds(loaded)} by {pounds(diff)}{why}"
    )


@dataclass(frozen=True)
class LargeMoney:
    """A reason the file's money looks too large to be true."""

    message: str


def large_payments(con: duckdb.DuckDBPyConnection, amount_header: str | None) -> list[LargeMoney]:
    """Loaded payments over £1bn (the first five), each naming line, value and column."""
    rows = con.execute(
        "SELECT source_line, amount_raw, amount_pence FROM classified "
        "WHERE status = 'loaded' AND abs(amount_pence) > $limit ORDER BY source_line LIMIT 5",
        {"limit": LARGE_PAYMENT_PENCE},
    ).fetchall()
    return [
        LargeMoney(
            f'line {line}: amount "{raw}" in column "{amount_header}" is {pounds(int(pence))}, '
            f"over the {pounds(LARGE_PAYMENT_PENCE)} no single payment plausibly reaches"
        )
        for line, raw, pence in rows
    ]


@dataclass(frozen=True)
class BodyYear:
    """A paying body's loaded payments dated in one financial year."""

    body: str
    year: str  # financial year, "2010-11"
    pence: int
    largest_line: int  # the line of its largest payment, and that amount as published
    largest_raw: str


def body_year_totals(con: duckdb.DuckDBPyConnection) -> list[BodyYear]:
    """Each paying body's loaded payments by financial year, largest total first."""
    rows = con.execute(
        """SELECT paying_body, fy, CAST(sum(amount_pence) AS HUGEINT) AS pence,
                  arg_max(source_line, abs(amount_pence)), arg_max(amount_raw, abs(amount_pence))
           FROM (
               SELECT paying_body, amount_pence, source_line, amount_raw,
                      year(period_start) - CASE WHEN month(period_start) < 4 THEN 1 ELSE 0 END
                          AS fy
               FROM classified
               WHERE status = 'loaded' AND paying_body IS NOT NULL
                     AND period_start IS NOT NULL)
           GROUP BY paying_body, fy ORDER BY pence DESC"""
    ).fetchall()
    return [
        BodyYear(str(b), f"{int(y)}-{(int(y) + 1) % 100:02d}", int(p), int(line), str(raw))
        for b, y, p, line, raw in rows
    ]


@cache
def _outturn_by_ecode(year: str) -> dict[str, tuple[str, int]]:
    """E-code -> (authority as published, net current expenditure in pence) for one year."""
    import pyarrow.compute as pc

    from totalplace.reference.outturn import lines_table

    table = lines_table()
    wanted = pc.and_(pc.equal(table["year"], year), pc.equal(table["line"], OUTTURN_LINE))
    rows = table.filter(wanted).select(["ecode", "authority", "pence"]).to_pylist()
    return {r["ecode"]: (r["authority"], int(r["pence"])) for r in rows if r["pence"] > 0}


def over_outturn(totals: list[BodyYear], amount_header: str | None) -> list[LargeMoney]:
    """Body-years whose loaded payments exceed the council's whole net current
    expenditure for the year.  A total below every council's outturn that year
    cannot exceed any, so only larger ones are looked up by name, and only the
    largest few (a file has a handful of paying bodies)."""
    from totalplace.reference.places import registry

    found: list[LargeMoney] = []
    for t in totals[:MAX_BODIES_CHECKED]:
        outturns = _outturn_by_ecode(t.year)
        if not outturns or t.pence <= min(p for _, p in outturns.values()):
            continue
        try:
            authority = registry().find(t.body)
        except ConfigError:
            continue  # not a council's name: not checked
        hit = outturns.get(authority.ecode or "")
        if hit is None or t.pence <= hit[1]:
            continue
        found.append(
            LargeMoney(
                f'payments by "{t.body}" dated {t.year} in column "{amount_header}" total '
                f"{pounds(t.pence)}, more than {authority.name}'s whole net current "
                f"expenditure for {t.year} ({pounds(hit[1])}, Revenue Outturn); the largest "
                f'is "{t.largest_raw}" on line {t.largest_line}'
            )
        )
    return found
