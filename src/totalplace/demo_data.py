"""Deterministic synthetic sources for the demo: the fictional place "Northmoor", 2010-11.

Northmoor has two councils (Northmoor City Council and Northmoor Valley Borough
Council) and a primary care trust, a police authority and a fire and rescue
authority.  Each publishes its "spend over £500" file in one of the layouts UK
bodies really use, so the demo exercises the ingest on the awkward cases:

1. ``northmoor-city_2010-04.csv``: the tidy baseline.  UTF-8, LF, ISO dates, a
   ``Body Name`` column (so no ``--publisher``), a few messy rows (``TBC`` and
   blank amounts, blank dates, redacted payees, credits) and a last line cut
   short, with no trailing newline.
2. ``northmoor-city_2010-05.csv``: the same council a month later, with header
   drift (``Net Amount``), cp1252 with its only non-ASCII bytes ("Café", "£")
   in the last 10% of the file (so sniffing the first block is not enough),
   CRLF and dd/mm/yyyy dates.
3. ``northmoor-valley_2010-Q1.csv``: a borough's quarterly file with a title
   preamble above the header, a UTF-8 BOM, dd-Mon-yyyy dates and amounts such as
   ``"£1,234.50"`` with credits in parentheses ``"(1,000.00)"``.
4. ``northmoor-valley_2010-Q2.csv``: the same borough, semicolon-delimited with
   old-Mac CR-only line endings.
5. ``northmoor-pct_2010-11.xlsx``: a workbook with a title row; dates are Excel
   date cells in most rows but raw serial numbers in a few.
6. ``northmoor-police_2010-11.zip``: a zipped CSV dated only by four-weekly
   period codes ``P01``..``P13``; needs the profile ``northmoor-police.toml``.
7. ``northmoor-fire_2010-11.csv``: yyyymm month codes instead of dates and a
   messy tail (a ``Grand Total`` footer, a blank line and an empty ``,,,,`` row).

``expected.json`` records, per file, how many data records were written and the
sum of the valid amounts in pence (footers excluded), for tests to check against.
Everything comes from one ``random.Random(seed)``: the same seed gives
byte-identical files.  Money is integer pence throughout.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl

DEMO_SEED: int = 2010
POLICE_PROFILE_NAME = "northmoor-police.toml"
EXPECTED_NAME = "expected.json"

CITY = "Northmoor City Council"
VALLEY = "Northmoor Valley Borough Council"
PCT = "Northmoor Primary Care Trust"
POLICE = "Northmoor Police Authority"
FIRE = "Northmoor Fire and Rescue Authority"
REDACTED = "REDACTED PERSONAL DATA"

POLICE_PROFILE = """\
publisher = "Northmoor Police Authority"
[columns]
period = "Period"
[periods]
calendar = "four-weekly"
year = "2010-11"
year_start = "04-01"
"""

_FIXED_TIME = (2011, 6, 30, 12, 0, 0)
_APR, _MAR = date(2010, 4, 1), date(2011, 3, 31)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# (area, weight, payees, expense types): area names may repeat.
_Entry = tuple[str, int, tuple[str, ...], tuple[str, ...]]
_Pool = tuple[_Entry, ...]
_TAX: _Entry = ("Corporate", 3, ("HM Revenue & Customs",), ("Income Tax and NIC",))
_PENSION: _Entry = ("Corporate", 2, ("Northmoor Pension Fund",), ("Pension Contributions",))


def _council_pool(other_council: str) -> _Pool:
    return (
        ("Adult Social Care", 30, ("Northmoor Care Homes Ltd", "Pennine Home Care Services Ltd",
         "Ashgrove Nursing Home Ltd", "Heatherbank Supported Living CIC", "Age Concern Northmoor",
         "Mr J Smith", "Mrs A Patel", REDACTED),
         ("Residential Care", "Nursing Care", "Home Care", "Direct Payments", "Day Care")),
        ("Children's Services", 18, ("Brightstart Fostering Ltd", "Moorside Children's Homes Ltd",
         "Northmoor Academy Trust", "Valley Taxis Ltd", "Ms K O'Brien", REDACTED),
         ("Foster Care Allowances", "Residential Placements", "Independent Fostering Agency",
          "School Transport")),
        ("Highways", 14, ("Moorside Construction Ltd", "Pennine Surfacing Ltd",
         "Northern Street Lighting plc", "Harrow & Cole Civil Engineering Ltd",
         "Northmoor Quarries Ltd"),
         ("Road Maintenance", "Street Lighting", "Winter Gritting", "Capital Works")),
        ("Housing", 12, ("Northmoor Homes Ltd", "Valley Housing Association",
         "Castlegate Builders Ltd", "Moorside Construction Ltd", "Mr D Jones"),
         ("Repairs and Maintenance", "Temporary Accommodation", "Disabled Facilities Grants")),
        ("Public Health", 8, ("Northmoor Hospitals NHS Foundation Trust",
         "Northmoor Community Health NHS Trust", "Moorview Pharmacy Ltd", PCT),
         ("Sexual Health Services", "Stop Smoking Services", "Drug and Alcohol Services")),
        ("Corporate", 10, ("Civic IT Solutions Ltd", "Northmoor Office Supplies Ltd",
         "Moorland Energy Ltd", other_council),
         ("ICT Services", "Stationery", "Utilities", "Shared Services")),
        _TAX,
        _PENSION,
        ("Corporate", 1, (POLICE, FIRE), ("Precepts and Levies",)),
    )  # fmt: skip


_PCT_POOL: _Pool = (
    ("Acute Commissioning", 25, ("Northmoor Hospitals NHS Foundation Trust",
     "Pennine Acute Hospitals NHS Trust", "Northmoor Treatment Centre Ltd"),
     ("Healthcare from NHS Trusts", "Healthcare from Independent Sector")),
    ("Mental Health", 10, ("Northmoor Mental Health NHS Foundation Trust", "Moorview Clinic Ltd"),
     ("Mental Health Services",)),
    ("Primary Care", 20, ("Dr R Ahmed & Partners", "Moorside Medical Practice",
     "Moorview Pharmacy Ltd", "Valley Dental Care Ltd"),
     ("GP Services", "Pharmacy Services", "Dental Services")),
    ("Community Services", 10, ("Northmoor Community Health NHS Trust", CITY, VALLEY),
     ("Community Health Services", "Section 75 Pooled Budget")),
    ("Corporate", 5, ("Civic IT Solutions Ltd", "Northmoor Shared Services"),
     ("ICT Services", "Finance Services")),
    _TAX,
    ("Corporate", 2, ("NHS Pensions Agency",), ("Pension Contributions",)),
)  # fmt: skip

_POLICE_POOL: _Pool = (
    ("Operational Policing", 30, ("Northmoor Radio Services Ltd", "Pennine Forensics Ltd",
     "Moorside Vehicle Hire Ltd", "Northmoor Hospitals NHS Foundation Trust"),
     ("Forensic Services", "Communications", "Vehicle Hire", "Medical Examinations")),
    ("Custody and Criminal Justice", 10, ("Custodial Healthcare Ltd",
     "Northmoor Interpreting Services Ltd", "Dr P Green"),
     ("Custody Healthcare", "Interpreters", "Police Surgeons")),
    ("Estates", 12, ("Moorside Construction Ltd", "Castlegate Builders Ltd",
     "Moorland Energy Ltd", CITY), ("Building Works", "Energy", "Business Rates")),
    ("ICT", 10, ("Civic IT Solutions Ltd", "Northmoor Data Systems Ltd"),
     ("Software Licences", "ICT Services")),
    _TAX,
    _PENSION,
)  # fmt: skip

_FIRE_POOL: _Pool = (
    ("Operations", 20, ("Pennine Fire Equipment Ltd", "Northmoor Fleet Services Ltd",
     "Safeguard Breathing Apparatus Ltd"),
     ("Fleet Maintenance", "Operational Equipment", "Breathing Apparatus")),
    ("Estates", 8, ("Castlegate Builders Ltd", "Moorland Energy Ltd", VALLEY),
     ("Premises Repairs", "Energy", "Business Rates")),
    ("Training", 6, ("Northmoor College", "Fire Service Training Ltd"), ("Training",)),
    _TAX,
    ("Corporate", 2, ("Northmoor Pension Fund",), ("Firefighters' Pension Contributions",)),
)  # fmt: skip

_LARGE = frozenset({"HM Revenue & Customs", "Northmoor Pension Fund", "NHS Pensions Agency",
                    POLICE, FIRE, "Northmoor Hospitals NHS Foundation Trust",
                    "Pennine Acute Hospitals NHS Trust",
                    "Northmoor Mental Health NHS Foundation Trust"})  # fmt: skip
# Bands of pence, low (inclusive) to high (exclusive), and their weights.
_BANDS = ((50_000, 100_000), (100_000, 500_000), (500_000, 2_000_000), (2_000_000, 5_000_000),
          (5_000_000, 50_000_000))  # fmt: skip
_BAND_WEIGHTS = (30, 36, 22, 9, 3)
_LARGE_BANDS = ((1_000_000, 10_000_000), (10_000_000, 100_000_000), (100_000_000, 300_000_000))
_LARGE_WEIGHTS = (2, 2, 1)


@dataclass(frozen=True)
class DemoSource:
    path: Path  # file written
    publisher: str | None  # value to pass as --publisher (None when the file names the payer)
    layout: str  # short description of the layout


@dataclass
class _Row:
    day: date | None
    area: str
    supplier: str
    expense: str
    pence: int | None
    amount_text: str | None = None  # written instead of the amount (messy rows)


def _amount(rng: random.Random, large: bool) -> int:
    bands, weights = (_LARGE_BANDS, _LARGE_WEIGHTS) if large else (_BANDS, _BAND_WEIGHTS)
    lo, hi = rng.choices(bands, weights=weights)[0]
    pence = rng.randrange(lo, hi)
    if rng.random() < 0.3:
        pence -= pence % 100  # round pounds, as contract payments often are
    if rng.random() < 0.01:
        pence = -pence  # a credit note
    return pence


def _weekdays(start: date, end: date) -> list[date]:
    days = (start + timedelta(n) for n in range((end - start).days + 1))
    return [d for d in days if d.weekday() < 5]


def _rows(
    rng: random.Random, pool: _Pool, size: tuple[int, int], start: date, end: date
) -> list[_Row]:
    """Between ``size`` rows of payments on weekdays from ``start`` to ``end``, by date."""
    days = _weekdays(start, end)
    rows = []
    weights = [entry[1] for entry in pool]
    for _ in range(rng.randint(*size)):
        area, _w, payees, expenses = rng.choices(pool, weights=weights)[0]
        supplier = rng.choice(payees)
        row = _Row(rng.choice(days), area, supplier, rng.choice(expenses), 0)
        row.pence = _amount(rng, supplier in _LARGE)
        rows.append(row)
    rows.sort(key=lambda r: r.day or date.min)
    return rows


def _mess(rng: random.Random, rows: list[_Row]) -> None:
    """A handful of messy rows: TBC and blank amounts, blank dates, redactions, credits."""
    picks = rng.sample(range(len(rows)), 10)
    for i in picks[:2]:
        rows[i].pence, rows[i].amount_text = None, "TBC"
    for i in picks[2:4]:
        rows[i].pence, rows[i].amount_text = None, ""
    for i in picks[4:6]:
        rows[i].day = None
    for i in picks[6:8]:
        rows[i].supplier = REDACTED
    for i in picks[8:]:
        rows[i].pence = -abs(rows[i].pence or 100_000)


def _plain(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    return f"{sign}{abs(pence) // 100}.{abs(pence) % 100:02d}"


def _pounds(pence: int) -> str:
    text = f"{abs(pence) // 100:,}.{abs(pence) % 100:02d}"
    return f"({text})" if pence < 0 else f"£{text}"


def _amount_text(row: _Row, fmt: str = "plain") -> str:
    if row.amount_text is not None or row.pence is None:
        return row.amount_text or ""
    return _pounds(row.pence) if fmt == "pounds" else _plain(row.pence)


def _day(day: date | None, style: str = "iso") -> str:
    """``iso`` 2010-04-14, ``dmy`` 14/04/2010 or ``dmony`` 14-Apr-2010 (no locale involved)."""
    if day is None:
        return ""
    if style == "dmy":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}" if style == "dmony" else str(day)


def _csv(header: Sequence[str], records: list[list[str]], delim: str = ",", eol: str = "\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delim, lineterminator=eol)
    writer.writerow(header)
    writer.writerows(records)
    return buf.getvalue()


def _expect(rows: list[_Row]) -> dict[str, int]:
    valid = sum(r.pence for r in rows if r.pence is not None and r.amount_text is None)
    return {"data_rows": len(rows), "valid_amount_pence": valid}


def _zip_bytes(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip whose bytes depend only on ``members``: fixed times, modes and platform."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type, info.create_system = zipfile.ZIP_DEFLATED, 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


_Built = tuple[DemoSource, dict[str, int]]
_CITY_HEADER = ["Body Name", "Service Area", "Expenses Type", "Invoice Payment Date",
                "Transaction Number", "Amount", "Supplier Name"]  # fmt: skip


def _city_records(rng: random.Random, rows: list[_Row], fmt_day: str) -> list[list[str]]:
    first = rng.randrange(100_000, 900_000)
    return [
        [CITY, r.area, r.expense, _day(r.day, fmt_day), f"NCC{first + i:07d}", _amount_text(r),
         r.supplier]
        for i, r in enumerate(rows)
    ]  # fmt: skip


def _city_april(rng: random.Random, dest: Path) -> _Built:
    rows = _rows(rng, _council_pool(VALLEY), (850, 950), date(2010, 4, 1), date(2010, 4, 30))
    _mess(rng, rows)
    records = _city_records(rng, rows, "iso")
    last = records[-1]
    cut = ",".join([*last[:4], last[4][:6]])  # an export that stopped mid-row
    path = dest / "northmoor-city_2010-04.csv"
    path.write_bytes((_csv(_CITY_HEADER, records[:-1]) + cut).encode("utf-8"))
    rows[-1].pence, rows[-1].amount_text = None, ""
    layout = "Transparency Code CSV, UTF-8, LF, ISO dates, Body Name column, truncated last line"
    return DemoSource(path, None, layout), _expect(rows)


def _city_may(rng: random.Random, dest: Path) -> _Built:
    rows = _rows(rng, _council_pool(VALLEY), (900, 1000), date(2010, 5, 1), date(2010, 5, 31))
    _mess(rng, rows)
    late = len(rows) - 1 - rng.randrange(len(rows) // 40)
    rows[late].supplier, rows[late].expense = "Café Nero Ltd", "Hospitality"
    rows[-1].expense = "Venue hire (£50 deposit)"
    header = [*_CITY_HEADER[:5], "Net Amount", _CITY_HEADER[6]]
    text = _csv(header, _city_records(rng, rows, "dmy"), eol="\r\n")
    path = dest / "northmoor-city_2010-05.csv"
    path.write_bytes(text.encode("cp1252"))
    layout = "Manchester-style CSV, drifted header (Net Amount), cp1252, CRLF, dd/mm/yyyy"
    return DemoSource(path, None, layout), _expect(rows)


def _valley_q1(rng: random.Random, dest: Path) -> _Built:
    rows = _rows(rng, _council_pool(CITY), (650, 750), date(2010, 4, 1), date(2010, 6, 30))
    _mess(rng, rows)
    header = ["Date", "Directorate", "Service", "Supplier", "Invoice Line Value (net of VAT)",
              "Account"]  # fmt: skip
    records = [
        [_day(r.day, "dmony"), r.area, r.expense, r.supplier, _amount_text(r, "pounds"),
         f"{4000 + 10 * len(r.area) + len(r.expense)}"]
        for r in rows
    ]  # fmt: skip
    preamble = f"{VALLEY}\nPayments over £500, April to June 2010\n\n"
    path = dest / "northmoor-valley_2010-Q1.csv"
    path.write_bytes((preamble + _csv(header, records)).encode("utf-8-sig"))
    layout = "CSV with title preamble, UTF-8 BOM, dd-Mon-yyyy, £1,234.50 and (credits)"
    return DemoSource(path, VALLEY, layout), _expect(rows)


def _valley_q2(rng: random.Random, dest: Path) -> _Built:
    rows = _rows(rng, _council_pool(CITY), (600, 700), date(2010, 7, 1), date(2010, 9, 30))
    header = ["Payment Date", "Supplier", "Service Area", "Expense Type", "Amount"]
    records = [[_day(r.day), r.supplier, r.area, r.expense, _amount_text(r)] for r in rows]
    path = dest / "northmoor-valley_2010-Q2.csv"
    path.write_bytes(_csv(header, records, delim=";", eol="\r").encode("utf-8"))
    layout = "semicolon-delimited CSV, CR-only line endings, ISO dates"
    return DemoSource(path, VALLEY, layout), _expect(rows)


def _xlsx_bytes(rows: list[_Row], rng: random.Random) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Payments"
    ws.append([f"{PCT}: payments over £500, 2010-11"])
    ws.append(["Payment Date", "Supplier Name", "Expense Area", "Expense Type",
               "Transaction Number", "Amount"])  # fmt: skip
    first = rng.randrange(10_000, 90_000)
    for i, r in enumerate(rows, start=3):
        day = r.day or date(2010, 4, 1)
        serial = rng.random() < 0.04  # a few rows pasted as raw serial numbers
        amount = Decimal(r.pence or 0).scaleb(-2)  # exact: pence shifted, never a float sum
        when = (day - date(1899, 12, 30)).days if serial else day
        ws.append([when, r.supplier, r.area, r.expense, f"PCT{first + i:06d}", amount])
        ws.cell(i, 1).number_format = "General" if serial else "dd/mm/yyyy"
        ws.cell(i, 6).number_format = "#,##0.00"
    return _stable_xlsx(wb)


def _stable_xlsx(wb: openpyxl.Workbook) -> bytes:
    """Save ``wb`` with every timestamp fixed, so the same rows give the same bytes."""
    fixed = datetime(*_FIXED_TIME)
    wb.properties.created = wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)  # stamps "modified" with the clock, and the zip entries too
    stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    pattern = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
    with zipfile.ZipFile(buf) as zf:
        members = [(i.filename, zf.read(i.filename)) for i in zf.infolist()]
    return _zip_bytes([(n, pattern.sub(rb"\g<1>" + stamp + rb"\g<2>", d)) for n, d in members])


def _pct(rng: random.Random, dest: Path) -> _Built:
    rows = _rows(rng, _PCT_POOL, (450, 550), _APR, _MAR)
    path = dest / "northmoor-pct_2010-11.xlsx"
    path.write_bytes(_xlsx_bytes(rows, rng))
    layout = "Excel workbook, title row, date cells with a few raw Excel serials"
    return DemoSource(path, PCT, layout), _expect(rows)


def _police(rng: random.Random, dest: Path) -> _Built:
    rows = _rows(rng, _POLICE_POOL, (550, 650), _APR, _APR)
    periods = sorted(rng.randint(1, 13) for _ in rows)
    header = ["Period", "Supplier", "Service", "Expense Type", "Amount"]
    records = [[f"P{p:02d}", r.supplier, r.area, r.expense, _amount_text(r)]
               for p, r in zip(periods, rows, strict=True)]  # fmt: skip
    data = _csv(header, records).encode("utf-8")
    path = dest / "northmoor-police_2010-11.zip"
    path.write_bytes(_zip_bytes([("police_payments_2010-11.csv", data)]))
    layout = f"zipped CSV, four-weekly period codes P01..P13 (profile {POLICE_PROFILE_NAME})"
    return DemoSource(path, POLICE, layout), _expect(rows)


def _fire(rng: random.Random, dest: Path) -> _Built:
    rows = _rows(rng, _FIRE_POOL, (320, 400), _APR, _APR)
    months = sorted(rng.randrange(12) for _ in rows)
    header = ["Payment Date", "Supplier Name", "Expense Type", "Amount", "Transaction Number"]
    first = rng.randrange(1000, 9000)
    records = [
        [f"{2010 + (m + 3) // 12}{(m + 3) % 12 + 1:02d}", r.supplier, r.expense,
         _amount_text(r), f"NFRA/{first + i}"]
        for i, (m, r) in enumerate(zip(months, rows, strict=True))
    ]  # fmt: skip
    expected = _expect(rows)
    tail = f"Grand Total,,,{_plain(expected['valid_amount_pence'])},\n\n,,,,\n"
    path = dest / "northmoor-fire_2010-11.csv"
    path.write_bytes((_csv(header, records) + tail).encode("utf-8"))
    layout = "CSV with yyyymm month codes, Grand Total footer and blank trailing rows"
    return DemoSource(path, FIRE, layout), expected


def write_demo_sources(dest: Path, seed: int = DEMO_SEED) -> list[DemoSource]:
    """Write the demo's sources, profile and ``expected.json`` into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sources: list[DemoSource] = []
    expected: dict[str, dict[str, int]] = {}
    for build in (_city_april, _city_may, _valley_q1, _valley_q2, _pct, _police, _fire):
        source, counts = build(rng, dest)
        sources.append(source)
        expected[source.path.name] = counts
    (dest / POLICE_PROFILE_NAME).write_bytes(POLICE_PROFILE.encode("utf-8"))
    text = json.dumps(expected, indent=2, sort_keys=True) + "\n"
    (dest / EXPECTED_NAME).write_bytes(text.encode("utf-8"))
    return sources
