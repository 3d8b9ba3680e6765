"""Agencies' contacts with people as priced events, joined to linked people and families.

A workspace's person-level data lives in its ``people/`` folder:
``events.csv`` (one row a contact: ``source, record_id, date, unit_cost_code``
and optionally ``agency`` and ``event_type``), and the linkage that
``totalplace link EXTRACT... --out DIR/people/linked`` writes there
(``clusters.csv``: which person each agency record is; ``households.csv``:
which family each person is in).

Each event is priced at its unit cost's fiscal value (the cost to the public
purse) from the Unit Cost Database, restated from the cost's own price year
to one price year for all (2014-15 by default, the database's) with the
shipped GDP deflators, and rounded to the penny once, per event, half up.
People and families are known from then on only by pseudonyms
(:mod:`totalplace.families.privacy`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from totalplace.errors import ConfigError, SourceError
from totalplace.families.privacy import pseudonym, workspace_key
from totalplace.families.synth import AGENCIES
from totalplace.reference.unit_costs import unit_costs, uprate

PEOPLE_DIR = "people"
EVENTS_FILE = "events.csv"
LINKED_DIR = "linked"
DEFAULT_PRICE_YEAR = "2014-15"
EVENT_COLUMNS = ("source", "record_id", "date", "unit_cost_code")


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


def _dates(column: pa.ChunkedArray, path: Path) -> list[dt.date]:
    out = []
    for line, text in enumerate(column.to_pylist(), start=2):
        try:
            out.append(dt.date.fromisoformat(str(text).strip()))
        except ValueError:
            raise SourceError(
                str(path), f"row {line}, date: {text!r} is not a date; write it as 2012-03-31"
            ) from None
    return out


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
    a code with no fiscal value is counted by code and priced at nought; an
    unknown code is refused (ConfigError naming it and close codes)."""
    table = _read_csv(events_path, EVENT_COLUMNS)
    prices = _prices(price_year, extra_costs)
    known = unit_costs(extra_costs)
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

    sources = [str(s) for s in table.column("source").to_pylist()]
    records = [str(r) for r in table.column("record_id").to_pylist()]
    codes = [str(c).strip() for c in table.column("unit_cost_code").to_pylist()]
    dates = _dates(table.column("date"), events_path)
    agencies = (
        table.column("agency").to_pylist()
        if "agency" in table.column_names
        else [None] * len(codes)
    )
    kinds = (
        table.column("event_type").to_pylist()
        if "event_type" in table.column_names
        else [None] * len(codes)
    )
    data = FamilyData([], price_year)
    for line, code in enumerate(codes, start=2):
        if code not in known:
            from totalplace.reference.unit_costs import nearest

            close = ", ".join(c.code for c in nearest(code, known))
            raise ConfigError(
                f"{events_path}: row {line}, unit_cost_code: no unit cost {code!r}"
                + (f"; did you mean {close}?" if close else "; see `totalplace unit-costs`")
            )
    for i, code in enumerate(codes):
        person = person_of.get((sources[i], records[i]))
        if person is None:
            data.unlinked_events += 1
            continue
        if code not in prices:
            data.unpriced_codes[code] = data.unpriced_codes.get(code, 0) + 1
        family = home_of.get(person, f"alone:{person}")
        data.events.append(
            Event(
                person=name("person", person),
                family=name("family", family),
                agency=str(agencies[i] or AGENCIES.get(sources[i], sources[i])),
                event_type=str(kinds[i] or known[code].description),
                code=code,
                date=dates[i],
                year=financial_year(dates[i]),
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
