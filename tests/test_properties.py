"""Properties of the ingest that hold for any input (hypothesis).

* amounts written in any publisher's style come back as exact pence;
* dates written in any supported format come back as the same day;
* a damaged CSV never crashes the ingest, and whatever is loaded balances:
  every record is loaded, quarantined or blank, the views hold exactly what
  the report says, and every physical line is accounted for once.

Ingest costs a tenth of a second or more per file, so the ingest properties
batch many values into one file per example and run few examples; runs are
derandomised so CI is reproducible.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise

import pytest
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from totalplace.ingest import FileReport, ingest_files
from totalplace.ingest.dates import DateValue, PeriodRules, infer_order, parse_one
from totalplace.ingest.issues import ERROR_PRECEDENCE, ISSUE_TYPES, Severity
from totalplace.workspace import Workspace

PUBLISHER = "Test Council"
INGEST_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
)
PURE_SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None)


def new_workspace(factory: pytest.TempPathFactory) -> Workspace:
    return Workspace.create(factory.mktemp("ws") / "ws", ["E08000025"], "2010-11")


def ingest_bytes(
    factory: pytest.TempPathFactory, data: bytes, name: str = "f.csv"
) -> tuple[Workspace, FileReport]:
    ws = new_workspace(factory)
    path = factory.mktemp("src") / name
    path.write_bytes(data)
    report = ingest_files(ws, [path], publisher=PUBLISHER)
    assert len(report.files) == 1
    return ws, report.files[0]


# -- amounts ---------------------------------------------------------------------------------

PENCE = st.integers(min_value=-(10**11), max_value=10**11)  # -£1bn .. £1bn


@st.composite
def publisher_amount(draw: st.DrawFn, pence: int) -> str:
    """``pence`` written the way some publisher writes money."""
    pounds = abs(Decimal(pence).scaleb(-2))
    if draw(st.booleans()) and pence % 100 == 0:
        digits = f"{pounds:.0f}"  # 1234
    elif draw(st.booleans()) and pence % 10 == 0:
        digits = f"{pounds:.1f}"  # 1234.5
    else:
        digits = f"{pounds:.2f}"
    if draw(st.booleans()):
        whole, _, frac = digits.partition(".")
        digits = f"{int(whole):,}" + (f".{frac}" if frac else "")
    pound = "£" if draw(st.booleans()) else ""
    if pence < 0:
        style = draw(st.sampled_from(["-£x", "£-x", "(x)", "x-", "xCR", "x CR"]))
        body = {
            "-£x": f"-{pound}{digits}",
            "£-x": f"{pound}-{digits}",
            "(x)": f"({pound}{digits})",
            "x-": f"{pound}{digits}-",
            "xCR": f"{pound}{digits}CR",
            "x CR": f"{pound}{digits} CR",
        }[style]
    else:
        body = f"{pound}{digits}"
    lead = draw(st.sampled_from(["", "", " "]))
    trail = draw(st.sampled_from(["", "", " ", "  "]))
    return f"{lead}{body}{trail}"


@st.composite
def amount_files(draw: st.DrawFn) -> tuple[bytes, list[int], list[str]]:
    """A CSV of 1-30 payments, in a random encoding, line ending and quoting."""
    pence = draw(st.lists(PENCE, min_size=1, max_size=30))
    written = [draw(publisher_amount(p)) for p in pence]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline, quoting=quoting)
    writer.writerow(["Payment Date", "Supplier Name", "Amount"])
    for i, text in enumerate(written):
        writer.writerow([f"{i % 28 + 1:02d}/11/2010", f"Supplier {i} Ltd", text])
    return out.getvalue().encode(encoding), pence, written


@INGEST_SETTINGS
@given(case=amount_files())
@example(case=(b"Payment Date,Supplier Name,Amount\n01/11/2010,A,(0.00)\n", [0], ["(0.00)"]))
@example(
    case=(
        b'Payment Date,Supplier Name,Amount\n01/11/2010,A,"-1,000,000,000.00"\n'
        b'02/11/2010,B,"\xc2\xa31,000,000,000.00 "\n03/11/2010,C,999999999.99\n',
        [-(10**11), 10**11, 99999999999],
        ["-1,000,000,000.00", "£1,000,000,000.00 ", "999999999.99"],
    )
)
def test_amounts_in_publisher_styles_are_exact_pence(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[bytes, list[int], list[str]]
) -> None:
    data, pence, written = case
    ws, f = ingest_bytes(tmp_path_factory, data)
    assert f.status == "loaded", f.message
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (len(pence), len(pence), 0), f.issues
    assert f.amount_loaded_pence == sum(pence)
    with ws.connect() as con:
        rows = con.sql(
            "SELECT source_line, amount_pence, warnings FROM spend ORDER BY source_line"
        ).fetchall()
    assert [(line, p) for line, p, _ in rows] == [(i + 2, p) for i, p in enumerate(pence)], written
    for (_, p, warnings), text in zip(rows, written, strict=True):
        assert ("negative-amount" in warnings) == (p < 0), text
        assert "sub-penny-amount" not in warnings, text


@st.composite
def sub_penny_amounts(draw: st.DrawFn) -> Decimal:
    """Whole pence plus a fraction of a penny written with 3 to 8 decimals."""
    whole = draw(st.integers(-(10**9), 10**9))
    digits = draw(st.integers(3, 8))
    frac = draw(st.integers(1, 10 ** (digits - 2) - 1))
    sign = -1 if whole < 0 else 1
    return Decimal(whole).scaleb(-2) + sign * Decimal(frac).scaleb(-digits)


@INGEST_SETTINGS
@given(values=st.lists(sub_penny_amounts(), min_size=1, max_size=30))
def test_sub_penny_amounts_round_half_to_even(
    tmp_path_factory: pytest.TempPathFactory, values: list[Decimal]
) -> None:
    body = "".join(f"01/11/2010,S{i},{v}\n" for i, v in enumerate(values))
    ws, f = ingest_bytes(tmp_path_factory, b"Payment Date,Supplier Name,Amount\n" + body.encode())
    assert f.rows_loaded == len(values), f.issues
    expected = [int((v * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)) for v in values]
    with ws.connect() as con:
        got = con.sql("SELECT amount_pence, warnings FROM spend ORDER BY source_line").fetchall()
    assert [p for p, _ in got] == expected, values
    assert all("sub-penny-amount" in w for _, w in got)


# -- dates -----------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(1995, 1, 1), max_value=date(2035, 12, 31))
EXCEL_EPOCH = date(1899, 12, 30)


def _formats(d: date) -> dict[str, tuple[str, str]]:
    """Each format's text for ``d`` and the order it needs."""
    mon = calendar.month_abbr[d.month]
    return {
        "iso": (d.isoformat(), "dmy"),
        "iso-time": (f"{d.isoformat()} 00:00:00", "dmy"),
        "dd/mm/yyyy": (f"{d:%d/%m/%Y}", "dmy"),
        "d/m/yyyy": (f"{d.day}/{d.month}/{d.year}", "dmy"),
        "dd-mm-yyyy": (f"{d:%d-%m-%Y}", "dmy"),
        "dd.mm.yyyy": (f"{d:%d.%m.%Y}", "dmy"),
        "dd/mm/yy": (f"{d:%d/%m/%y}", "dmy"),
        "mm/dd/yyyy": (f"{d:%m/%d/%Y}", "mdy"),
        "dd-Mon-yyyy": (f"{d.day:02d}-{mon}-{d.year}", "dmy"),
        "d-MON-yy": (f"{d.day}-{mon.upper()}-{d:%y}", "dmy"),
        "d Month yyyy": (f"{d.day} {calendar.month_name[d.month]} {d.year}", "dmy"),
        "excel": (str((d - EXCEL_EPOCH).days), "dmy"),
        "excel-float": (f"{(d - EXCEL_EPOCH).days}.0", "dmy"),
    }


@PURE_SETTINGS
@given(d=DAYS, fmt=st.sampled_from(sorted(_formats(date(2000, 1, 1)))))
def test_dates_round_trip(d: date, fmt: str) -> None:
    text, order = _formats(d)[fmt]
    assert parse_one(text, order, PeriodRules()) == DateValue(d, d, "day"), text


@PURE_SETTINGS
@given(days=st.lists(DAYS, min_size=1, max_size=20))
def test_infer_order_never_reads_uk_dates_as_month_first(days: list[date]) -> None:
    uk = [f"{d:%d/%m/%Y}" for d in days]
    assert infer_order(uk) == "dmy"
    us = [f"{d:%m/%d/%Y}" for d in days]
    assert infer_order(us) == ("mdy" if any(d.day > 12 for d in days) else "dmy")


@PURE_SETTINGS
@given(
    fy=st.integers(1995, 2035),
    year_start=st.sampled_from([(4, 1), (4, 6), (1, 1), (7, 1), (10, 1)]),
)
def test_four_weekly_periods_tile_the_financial_year(fy: int, year_start: tuple[int, int]) -> None:
    rules = PeriodRules("four-weekly", f"{fy}-{(fy + 1) % 100:02d}", year_start)
    periods = [parse_one(f"P{n:02d}", "dmy", rules) for n in range(1, 14)]
    spans = [(p.start, p.end) for p in periods if p is not None]
    assert len(spans) == 13
    assert spans[0][0] == date(fy, *year_start)
    assert spans[-1][1] == date(fy + 1, *year_start) - timedelta(days=1)
    for (_, end), (start, _) in pairwise(spans):
        assert start == end + timedelta(days=1)
    lengths = [(e - s).days + 1 for s, e in spans]
    assert lengths[:12] == [28] * 12
    assert lengths[12] in (29, 30)  # 365 or 366 days less 336


@PURE_SETTINGS
@given(fy=st.integers(1995, 2035), q=st.integers(1, 4))
def test_quarters_are_three_months_of_the_financial_year(fy: int, q: int) -> None:
    got = parse_one(f"Q{q} {fy}-{(fy + 1) % 100:02d}", "dmy", PeriodRules())
    assert got is not None
    first_month = (3 + 3 * (q - 1)) % 12 + 1  # Q1 April, Q2 July, Q3 October, Q4 January
    year = fy if q < 4 else fy + 1
    last_month = first_month + 2
    assert got == DateValue(
        date(year, first_month, 1),
        date(year, last_month, calendar.monthrange(year, last_month)[1]),
        "quarter",
    )


# -- damaged files ---------------------------------------------------------------------------

HEADER = "Body Name,Payment Date,Supplier Name,Amount,Description"
SAFE_BYTES = [b'"', b",", b"\n", b"\n\n", b" ", b"\t", b";", b"\xe9", b"\xa3", b"\xff", b"\x81"]
SAFE_BYTES += ["é".encode(), "\u2028".encode(), "\u0085".encode()]
CR_BYTES = [b"\r", b"\r\n", b"\r\r"]


@st.composite
def valid_csv(draw: st.DrawFn) -> bytes:
    n = draw(st.integers(10, 20))
    lines = [HEADER]
    for i in range(n):
        pence = draw(st.integers(-(10**7), 10**7))
        amount = f"{Decimal(pence).scaleb(-2):.2f}"
        supplier = draw(st.sampled_from([f"Supplier {i} Ltd", f'"Supplier {i}, Ltd"']))
        lines.append(f"{PUBLISHER},{i % 28 + 1:02d}/11/2010,{supplier},{amount},Item {i}")
    return ("\n".join(lines) + "\n").encode()


def _corruption(payloads: list[bytes]) -> st.SearchStrategy[tuple[str, float, bytes, int]]:
    return st.tuples(
        st.sampled_from(["delete", "insert", "insert", "truncate"]),
        st.floats(0, 1),
        st.sampled_from(payloads),
        st.integers(1, 8),
    )


def corrupt(data: bytes, ops: list[tuple[str, float, bytes, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, payload, size in ops:
        pos = int(where * len(out))
        if kind == "delete":
            del out[pos : pos + size]
        elif kind == "insert":
            out[pos:pos] = payload
        else:
            del out[max(pos, len(out) - 40 * size) :]  # cut somewhere near the end
    return bytes(out)


def physical_lines(data: bytes, cr_inside_records: int = 0) -> int:
    """Lines as the README numbers them: LF, CR LF or a lone CR each end a line,
    except the lone CRs ingest found typed inside a record (read as spaces; at
    most every lone CR); a last line without an end is a line too."""
    crlf = data.count(b"\r\n")
    lone_cr = data.count(b"\r") - crlf
    assert 0 <= cr_inside_records <= lone_cr
    ends = data.count(b"\n") + lone_cr - cr_inside_records
    return ends + (1 if data and not data.endswith((b"\n", b"\r")) else 0)


def check_damaged_file(factory: pytest.TempPathFactory, data: bytes) -> None:
    ws, f = ingest_bytes(factory, data)  # must not raise
    if f.status == "failed":
        assert f.message
        return
    assert f.status == "loaded"
    assert f.rows_read == f.rows_loaded + f.rows_quarantined + f.rows_blank
    with ws.connect() as con:
        [(header_line, details)] = con.sql("SELECT header_line, details FROM files").fetchall()
        spend = con.sql("SELECT source_line, source_lines, amount_pence FROM spend").fetchall()
        quarantine = con.sql(
            "SELECT source_line, source_lines, amount_pence, reason FROM quarantine"
        ).fetchall()
        issues = con.sql("SELECT slug, severity, line FROM issues").fetchall()
    assert len(spend) == f.rows_loaded
    assert len(quarantine) == f.rows_quarantined
    assert sum(r[2] for r in spend) == f.amount_loaded_pence
    assert sum(r[2] or 0 for r in quarantine) == f.amount_quarantined_pence
    assert all(r[2] is not None for r in spend)
    assert {r[3] for r in quarantine} <= set(ERROR_PRECEDENCE)
    # one error issue per quarantined row, carrying its reason and line
    errors = sorted((line, slug) for slug, sev, line in issues if sev == "error")
    assert errors == sorted((r[0], r[3]) for r in quarantine)
    assert all(ISSUE_TYPES[slug].severity == Severity(sev) for slug, sev, _ in issues)
    counted: dict[str, int] = {}
    for slug, _, _ in issues:
        counted[slug] = counted.get(slug, 0) + 1
    assert f.issue_counts == counted
    # every physical line after the header belongs to exactly one record
    records = [(r[0], r[1]) for r in spend + quarantine]
    covered = [line for start, n in records for line in range(start, start + n)]
    assert len(covered) == len(set(covered))
    inside = json.loads(details or "{}").get("line_ends", {}).get("cr_inside_records", 0)
    last = physical_lines(data, inside)
    assert all(header_line < line <= last for line in covered)
    # blank records never span lines: the rest of the lines are blank records
    assert len(covered) + f.rows_blank == last - header_line


@INGEST_SETTINGS
@given(base=valid_csv(), ops=st.lists(_corruption(SAFE_BYTES), min_size=1, max_size=6))
def test_damaged_csv_never_crashes_and_always_balances(
    tmp_path_factory: pytest.TempPathFactory, base: bytes, ops: list[tuple[str, float, bytes, int]]
) -> None:
    check_damaged_file(tmp_path_factory, corrupt(base, ops))


@settings(INGEST_SETTINGS, phases=[Phase.explicit, Phase.generate])  # no shrinking
@given(base=valid_csv(), ops=st.lists(_corruption(CR_BYTES), min_size=1, max_size=3))
@example(
    base=(HEADER + "\n" + f"{PUBLISHER},01/11/2010,Acme Ltd,600.00,Item\n").encode(),
    ops=[("insert", 0.8, b"\r", 1)],
)
def test_damaged_csv_with_stray_carriage_returns(
    tmp_path_factory: pytest.TempPathFactory, base: bytes, ops: list[tuple[str, float, bytes, int]]
) -> None:
    data = corrupt(base, ops)
    if b"\n" not in data:  # a CR-only file: its lines end in CR
        data = data.replace(b"\r", b"\n")
    check_damaged_file(tmp_path_factory, data)
