"""Agencies' contacts with people as priced events, joined to linked people and families.

A workspace's person-level data lives in its ``people/`` folder:
``events.csv`` (one row a contact: ``source, record_id, date, unit_cost_code``
and optionally ``agency`` and ``event_type``), and the linkage that
``totalplace link EXTRACT... --out DIR/people/linked`` writes there
(``clusters.csv``: which person each agency record is; ``households.csv``:
which family each person is in).

``events.csv`` is read as an agency's system exports it
(:mod:`totalplace.ingest.exports`): UTF-8 with or
without Excel's byte-order mark, or Windows-1252; commas, semicolons or tabs;
headers in the agency's own words ("Client ID", "Date of Contact", "Type of
Contact"; :data:`EVENT_HEADERS` lists them, the one place they live).  Dates
are days written 2021-04-03, 03/04/2021 or 03-Apr-2021, read day first as in
the UK unless the header says mm/dd or the file's own values can only be
month first (a second number over 12 and no first number over 12).  With no
``source`` column each record is found in the one extract of the linkage that
holds its id.  Every row is used, counted as unlinked, or refused with its
row, field and what to write instead; a blank row is no contact.

Each event is priced at its unit cost's fiscal value (the cost to the public
purse) from the Unit Cost Database, restated from the cost's own price year
to one price year for all (2014-15 by default, the database's) with the
shipped GDP deflators, and rounded to the penny once, per event, half up.
People and families are known from then on only by pseudonyms
(:mod:`totalplace.families.privacy`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from totalplace.errors import ConfigError, SourceError
from totalplace.families.agencies import AGENCIES
from totalplace.families.privacy import pseudonym, workspace_key
from totalplace.ingest.exports import (
    blank,
    cell_text,
    export_rows,
    header_row,
    overflows,
    problems_text,
    squash_header,
)
from totalplace.reference.unit_costs import UnitCost, unit_costs, uprate

PEOPLE_DIR = "people"
EVENTS_FILE = "events.csv"
LINKED_DIR = "linked"
DEFAULT_PRICE_YEAR = "2014-15"
EVENT_COLUMNS = ("source", "record_id", "date", "unit_cost_code")
# Each column the loader reads and the headers agencies' exports give it,
# compared squashed (lower case, letters and digits only, a bracketed
# qualifier such as "(dd/mm/yyyy)" left out).  ``source`` may be absent.
EVENT_HEADERS: dict[str, tuple[str, ...]] = {
    "source": ("source", "Source system", "Extract", "Extract name", "System"),
    "record_id": (
        "record_id", "Client ID", "Person ID", "Record ID", "Record no", "Record number",
        "Record ref", "Client ref", "Client reference", "Client no", "Client number",
        "Person ref", "Person no", "Individual ID", "Case ID", "Case ref", "Case reference",
        "Subject ID", "ID", "Ref",
    ),
    "date": (
        "date", "Contact date", "Date of contact", "Event date", "Date of event",
        "Activity date", "Date of activity", "Incident date", "Date of incident",
        "Attendance date", "Contact date/time",
    ),
    "agency": (
        "agency", "Agency name", "Service", "Service name", "Organisation",
        "Organisation name", "Provider", "Provider name",
    ),
    "event_type": (
        "event_type", "Type of contact", "Contact type", "Type of event", "Event", "Contact",
        "Activity", "Activity type", "Type of activity", "Type", "Event description",
    ),
    "unit_cost_code": ("unit_cost_code", "Unit cost code", "Cost code", "UCD code", "Code"),
}  # fmt: skip
# What a column of money is headed; the file's own amounts are not used (see _money_column).
_MONEY_WORDS = ("cost", "amount", "price", "value", "spend", "charge", "fee", "gbp")


@dataclass(frozen=True)
class Event:
    person: str  # pseudonym
    family: str  # pseudonym
    agency: str
    event_type: str
    code: str
    date: dt.date
    year: str  # financial year, April to March
    pence: int  # at price_year prices


@dataclass
class FamilyData:
    """Priced events of linked people, oldest first, and what could not be used."""

    events: list[Event]
    price_year: str
    unlinked_events: int = 0
    unpriced_codes: dict[str, int] = field(default_factory=dict)
    # columns of the events file that are not read (a note, an officer's name)
    ignored_columns: tuple[str, ...] = ()


def financial_year(day: dt.date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _read_csv(path: Path, required: tuple[str, ...]) -> pa.Table:
    if not path.exists():
        raise SourceError(str(path), "not found")
    options = pacsv.ConvertOptions(column_types={c: pa.string() for c in required})
    try:
        table = pacsv.read_csv(path, convert_options=options)
    except pa.ArrowInvalid as exc:
        raise SourceError(str(path), f"cannot be read as CSV: {exc}") from exc
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise SourceError(
            str(path), f"has no column {', '.join(missing)}; it needs {', '.join(required)}"
        )
    return table


def unit_pence(code: str, price_year: str, extra: Path | None = None) -> int | None:
    """One event of ``code`` in pence at ``price_year`` prices; None when the
    database gives it no fiscal value."""
    return _prices(price_year, extra).get(code)


def _prices(price_year: str, extra: Path | None) -> dict[str, int]:
    prices = {}
    for code, cost in unit_costs(extra).items():
        if cost.fiscal is None:
            continue
        value = uprate(cost.fiscal, cost.price_year, price_year) * 100
        prices[code] = int(value.quantize(Decimal(1), ROUND_HALF_UP))
    return prices


# -- the events file ------------------------------------------------------------
@dataclass
class _Columns:
    index: dict[str, int]  # role -> column
    order: str  # "dmy" or "mdy"
    ignored: tuple[str, ...]


def _refuse(path: Path, problems: list[str]) -> SourceError:
    return SourceError(
        str(path), problems_text(problems) + ". Correct the file and run the command again"
    )


def _parse_day(text: str, order: str) -> dt.date | None:
    from totalplace.ingest.dates import PeriodRules, parse_one

    value = text.strip()
    if re.match(r"^\d{4}/\d{1,2}/\d{1,2}\b", value):
        value = value.replace("/", "-", 2)
    found = parse_one(value, order, PeriodRules()) if value else None
    return found.start if found is not None and found.precision == "day" else None


def _date_order(header: str, values: Iterable[str]) -> str:
    """Day first, as UK systems write dates, unless the header says mm/dd or the
    values can only be month first."""
    from totalplace.ingest.dates import infer_order

    said = header.lower().replace(" ", "")
    if "mm/dd" in said or "mm-dd" in said:
        return "mdy"
    if "dd/mm" in said or "dd-mm" in said:
        return "dmy"
    return infer_order(values)


def _money_column(header: str, values: list[str]) -> bool:
    """A column of amounts: every value one (a "£" in the header, or a word such
    as cost or amount, and numbers or £ amounts below it)."""
    from totalplace.ingest.infer import is_money

    squashed = squash_header(header)
    named = "£" in header or any(word in squashed for word in _MONEY_WORDS)
    pounds = bool(values) and all(v.startswith("£") for v in values)
    return pounds or (named and bool(values) and all(is_money(v) for v in values))


def _all_days(values: list[str]) -> bool:
    order = _date_order("", values)
    return all(_parse_day(v, order) for v in values)


def _role(header: str) -> str | None:
    squashed = squash_header(header)
    return next(
        (r for r, names in EVENT_HEADERS.items() if squashed in map(squash_header, names)), None
    )


def _is_header(row: list[str]) -> bool:
    """Names the record id and one more column: a title line above does not."""
    roles = {_role(h) for h in row}
    return "record_id" in roles and len(roles - {None}) >= 2


def _columns(
    path: Path, at: int, header: list[str], rows: list[list[str]], codes: set[str]
) -> _Columns:
    """Which column holds each role: by its header, else, for the date and the
    code, the one column whose every value is a day or a unit cost code.
    ``at`` is the header's row."""
    problems = []
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        role = _role(name)
        if role is None:
            continue
        if role in index:
            problems.append(
                f"row {at}: columns {header[index[role]]!r} and {name!r} are both read as "
                f"{role}; rename or remove the one that is not"
            )
        index[role] = i

    def values(i: int) -> list[str]:
        return [r[i].strip() for r in rows[:500] if i < len(r) and r[i].strip()]

    rest = [i for i in range(len(header)) if i not in index.values() and header[i].strip()]
    order = "dmy"
    if "date" not in index:
        dated = [
            i
            for i in rest
            if (v := values(i)) and all(_parse_day(x, _date_order("", v)) for x in v)
        ]
        if len(dated) == 1:
            index["date"] = dated[0]
        elif dated:
            problems.append(
                f"row {at}: no column is headed as the contact's date and "
                f"{' and '.join(repr(header[i]) for i in dated)} all hold dates; "
                "head the contact's date 'date'"
            )
    if "unit_cost_code" not in index:
        coded = [i for i in rest if (v := values(i)) and all(x.casefold() in codes for x in v)]
        if len(coded) == 1:
            index["unit_cost_code"] = coded[0]
    if "date" in index:
        order = _date_order(header[index["date"]], values(index["date"]))
    money = [
        header[i] for i in rest if i not in index.values() and _money_column(header[i], values(i))
    ]
    if money:
        problems.append(
            f"row {at}: column {money[0]!r} holds money, but each contact is priced from its "
            "unit_cost_code at the Unit Cost Database's fiscal value and the file's own "
            "amounts would not be used; remove the column, or give the contact's unit cost "
            "code in unit_cost_code"
        )
    missing = [r for r in ("record_id", "date", "unit_cost_code") if r not in index]
    if missing:
        heads = "; ".join(f"{r} as {' or '.join(map(repr, EVENT_HEADERS[r][:3]))}" for r in missing)
        problems.append(
            f"row {at}: no {' or '.join(missing)} column (headers: "
            f"{', '.join(h for h in header if h.strip())}); head {heads}: the file needs "
            "record_id, date and unit_cost_code, and may have source, agency and event_type"
        )
    if problems:
        raise _refuse(path, problems)
    ignored = tuple(header[i] for i in rest if i not in index.values())
    return _Columns(index, order, ignored)


@dataclass(frozen=True)
class _Row:
    line: int
    source: str | None  # None: found from the linkage by the record id
    record: str
    date: dt.date
    code: str
    agency: str
    kind: str


def read_events(path: Path, known: Mapping[str, UnitCost]) -> tuple[list[_Row], tuple[str, ...]]:
    """Every contact of an events file with its row, and the columns not read;
    SourceError naming the file, and each bad row and field, if any is bad."""
    if not path.exists():
        raise SourceError(str(path), "not found")
    rows = export_rows(path)
    start = header_row(rows, _is_header)
    if start is None:
        raise SourceError(str(path), "is empty; it needs record_id, date and unit_cost_code")
    header, body = rows[start], rows[start + 1 :]
    by_fold = {c.casefold(): c for c in known}
    cols = _columns(path, start + 1, header, body, set(by_fold))
    out: list[_Row] = []
    problems: list[str] = []
    days: dict[str, dt.date | None] = {}

    def cell(row: list[str], role: str) -> str:
        return cell_text(row, cols.index.get(role))

    for line, row in enumerate(body, start=start + 2):
        if blank(row):
            continue
        if overflows(row, header):
            problems.append(f"row {line}: {len(row)} cells under {len(header)} headers")
            continue
        record, text, typed = cell(row, "record_id"), cell(row, "date"), cell(row, "unit_cost_code")
        if text not in days:
            days[text] = _parse_day(text, cols.order)
        day, code = days[text], by_fold.get(typed.casefold())
        if not record:
            problems.append(f"row {line}, record_id: empty; give the agency's id for the person")
        if day is None:
            first = "month first (mm/dd/yyyy)" if cols.order == "mdy" else "day first (dd/mm/yyyy)"
            problems.append(
                f"row {line}, date: {text!r} is not a day; write it as 2012-03-31, or "
                f"31/03/2012 (this file's dates are read {first})"
            )
        if code is None:
            problems.append(f"row {line}, unit_cost_code: {_unknown_code(typed, known)}")
        if record and day is not None and code is not None:
            source = cell(row, "source") if "source" in cols.index else None
            out.append(
                _Row(line, source, record, day, code, cell(row, "agency"), cell(row, "event_type"))
            )
    if problems:
        raise _refuse(path, problems)
    return out, cols.ignored


def _unknown_code(typed: str, known: Mapping[str, UnitCost]) -> str:
    from totalplace.reference.unit_costs import nearest

    if not typed:
        return "empty; give the Unit Cost Database code (`totalplace unit-costs` lists them)"
    close = ", ".join(c.code for c in nearest(typed, known))
    return f"no unit cost {typed!r}" + (
        f"; did you mean {close}?" if close else "; see `totalplace unit-costs`"
    )


def _sources(rows: list[_Row], clusters: pa.Table, path: Path) -> Callable[[_Row], str | None]:
    """How a row's source is named as the linkage names it: the same name in
    any capitals and punctuation, or, with no source column, the one extract
    that holds the record id.  A source the linkage has never heard of, or an
    id two extracts hold, is refused: its contacts would otherwise be lost."""
    linked = [str(s) for s in clusters.column("source").to_pylist()]
    by_name = {squash_header(s): s for s in linked}
    holders: dict[str, set[str]] = {}
    for s, r in zip(linked, clusters.column("record_id").to_pylist(), strict=True):
        holders.setdefault(str(r), set()).add(s)
    problems = []
    strangers: dict[str, list[int]] = {}
    for row in rows:
        if row.source is None:
            if len(holders.get(row.record, ())) > 1:
                problems.append(
                    f"row {row.line}, record_id: {row.record!r} is in the extracts "
                    f"{', '.join(sorted(holders[row.record]))}; add a source column naming it"
                )
        elif squash_header(row.source) not in by_name:
            strangers.setdefault(row.source, []).append(row.line)
    for name, lines in strangers.items():
        where = ", ".join(map(str, lines[:5])) + (
            f" and {len(lines) - 5} more" if len(lines) > 5 else ""
        )
        problems.append(
            f"row {where}, source: no extract {name!r} was linked (linked: "
            f"{', '.join(sorted(set(linked))) or 'none'}); write the extract's file name "
            "without .csv, or link that extract"
        )
    if problems:
        raise _refuse(path, problems)

    def source(row: _Row) -> str | None:
        if row.source is None:
            found = holders.get(row.record)
            return next(iter(found)) if found else None
        return by_name[squash_header(row.source)]

    return source


def load_events(
    events_path: Path,
    clusters: pa.Table,
    households: pa.Table,
    key: bytes,
    price_year: str = DEFAULT_PRICE_YEAR,
    extra_costs: Path | None = None,
) -> FamilyData:
    """The events of ``events_path`` that belong to a linked person, priced and
    pseudonymised.  An event whose record no linkage holds is counted, not used;
    a code with no fiscal value is counted by code and priced at nought; a bad
    row (an unknown code, a date that is not a day, an empty id, a source the
    linkage does not know) refuses the file naming every such row and field."""
    prices = _prices(price_year, extra_costs)
    known = unit_costs(extra_costs)
    rows, ignored = read_events(events_path, known)
    source_of = _sources(rows, clusters, events_path)
    person_of = {
        (s, r): str(p)
        for s, r, p in zip(
            clusters.column("source").to_pylist(),
            clusters.column("record_id").to_pylist(),
            clusters.column("person_id").to_pylist(),
            strict=True,
        )
    }
    home_of = {
        str(p): str(h)
        for p, h in zip(
            households.column("person_id").to_pylist(),
            households.column("household_id").to_pylist(),
            strict=True,
        )
    }
    names: dict[tuple[str, str], str] = {}

    def name(kind: str, value: str) -> str:
        if (kind, value) not in names:
            names[(kind, value)] = pseudonym(key, kind, value)
        return names[(kind, value)]

    data = FamilyData([], price_year, ignored_columns=ignored)
    for row in rows:
        source = source_of(row)
        person = person_of.get((source, row.record)) if source is not None else None
        if source is None or person is None:
            data.unlinked_events += 1
            continue
        code = row.code
        if code not in prices:
            data.unpriced_codes[code] = data.unpriced_codes.get(code, 0) + 1
        family = home_of.get(person, f"alone:{person}")
        data.events.append(
            Event(
                person=name("person", person),
                family=name("family", family),
                agency=row.agency or AGENCIES.get(source, source),
                event_type=row.kind or known[code].description,
                code=code,
                date=row.date,
                year=financial_year(row.date),
                pence=prices.get(code, 0),
            )
        )
    data.events.sort(key=lambda e: (e.date, e.family, e.person, e.agency))
    return data


def people_dir(root: Path) -> Path:
    return root / PEOPLE_DIR


def load_workspace(root: Path, price_year: str = DEFAULT_PRICE_YEAR) -> FamilyData:
    """The workspace's person-level events, linked, priced and pseudonymised."""
    folder = people_dir(root)
    linked = folder / LINKED_DIR
    events = folder / EVENTS_FILE
    if not events.exists():
        raise ConfigError(
            f"{events}: no events yet; put the agencies' contacts there (source, record_id, "
            "date, unit_cost_code) or run `totalplace synth-people DIR` for a synthetic place"
        )
    if not (linked / "clusters.csv").exists():
        raise ConfigError(
            f"{linked / 'clusters.csv'}: no linkage yet; run `totalplace link "
            f"{folder}/extracts/*.csv --out {linked}`"
        )
    clusters = _read_csv(linked / "clusters.csv", ("source", "record_id", "person_id"))
    homes = linked / "households.csv"
    households = (
        _read_csv(homes, ("person_id", "household_id"))
        if homes.exists()
        else pa.table({"person_id": pa.array([], pa.string()), "household_id": []})
    )
    return load_events(events, clusters, households, workspace_key(root), price_year)


def as_dict(event: Event) -> dict[str, Any]:
    return {
        "person": event.person,
        "family": event.family,
        "agency": event.agency,
        "event_type": event.event_type,
        "unit_cost_code": event.code,
        "date": event.date.isoformat(),
        "year": event.year,
        "pence": event.pence,
    }


__all__ = ["Event", "FamilyData", "load_events", "load_workspace"]
