"""Unit costs: what one event (an arrest, a week in care, an A&E visit) costs the public purse.

The shipped table is the New Economy (Greater Manchester) Unit Cost Database
v1.4 (March 2015, CC BY 4.0), built by ``scripts/build_unit_costs.py``; its
``SOURCES.md`` says what was normalised.  Each :class:`UnitCost` gives the
fiscal, economic and social value per unit at one ``price_year``: the figures
as the workbook entered them (its "Estimated cost/saving" columns), not the
workbook's uprated view, so any year is one :func:`uprate` away, using the GDP
deflator series the workbook uses (:func:`deflators`).

A user may add costs from a CSV with the same columns (:func:`unit_costs`
with ``extra``).  Only ``code``, ``description``, ``unit``, ``agency``,
``fiscal``, ``economic``, ``social`` and ``price_year`` are required.  A user
code equal to a shipped one is refused unless its ``replace`` column is
``true``: then the user's row is used instead of the shipped one.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation, localcontext
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from totalplace.errors import ConfigError

UNIT_COSTS_FILE = "unit_costs.csv"
DEFLATORS_FILE = "deflators.csv"
# The workbook's three groupings (its Guidance sheet): bold headline lines, subsidiary
# lines, and indented constituent lines from which the line above them is derived.
TIERS = ("headline", "subsidiary", "constituent")
# Level-1 agencies as the workbook spells them -> one spelling.  Keys are compared
# case-insensitively after collapsing spaces; a pair rule moves a level-2 body that the
# crime sheet files at level 1 under the Criminal Justice System, as elsewhere in the book.
AGENCY_SPELLINGS = {
    "local authority": "Local Authority",
    "-": "",
}
AGENCY_DETAIL_SPELLINGS = {
    "local authority": "Local Authority",
    "social services": "Social Services",
    "courts": "Court",
    "-": "",
}
AGENCY_PAIRS = {
    ("Probation", ""): ("Criminal Justice System", "Probation"),
    ("Court", "Legal aid"): ("Criminal Justice System", "Court / Legal aid"),
    ("Prison / Young Offenders Institute", ""): (
        "Criminal Justice System",
        "Prison / Young Offenders Institute",
    ),
    ("Schools", "Department for Education"): ("Department for Education", "Schools"),
}
REQUIRED_COLUMNS = (
    "code",
    "description",
    "unit",
    "agency",
    "fiscal",
    "economic",
    "social",
    "price_year",
)
_YEAR = re.compile(r"(\d{4})[-/](\d{2})")
_ACRONYM = re.compile(r"[A-Z]{2,}")
_TRUE, _FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0", ""})


@dataclass(frozen=True)
class UnitCost:
    """One costed line of the database: £ per unit at ``price_year``."""

    code: str  # the workbook's cost code as printed ("CR1.0"); unique
    outcome: str  # the outcome heading ("ANTI-SOCIAL BEHAVIOUR")
    description: str
    unit: str  # normalised by normalise_unit: "per incident", "per week", "lifetime"...
    agency: str  # level 1, normalised by normalise_agency; "" where the workbook names none
    agency_detail: str  # level 2, normalised; "" if none
    fiscal: Decimal | None  # cost or saving to the public sector; None when not given
    economic: Decimal | None  # earnings and growth
    social: Decimal | None  # wider gains: health, safety, wellbeing
    price_year: str  # "2014-15"
    transfer_payment: bool  # fiscal, but not public value (tax, benefits)
    headline: bool  # already contains constituent costs: do not add them to it
    contains: tuple[str, ...]  # the constituent codes it contains
    notes: str  # the workbook's cell comments and Comment column, whitespace collapsed
    source_ref: str  # "Crime!C3"; a user row gives "file.csv:line"
    user_supplied: bool = False
    theme: str = ""  # the workbook sheet: "Crime", "Health"...
    tier: str = ""  # one of TIERS ("" for a user row that gives none)
    rag: str = ""  # the workbook's confidence rating: G, A or R
    original_source: str = ""  # the publication the figure comes from
    transfer_amount: Decimal | None = None  # the part of fiscal that is a transfer


COLUMNS = tuple(f.name for f in fields(UnitCost))
_MONEY = ("fiscal", "economic", "social", "transfer_amount")
_FLAGS = ("transfer_payment", "headline", "user_supplied")


def normalise_unit(text: str) -> str:
    """'Per person ' -> 'per person', 'Per FTE' -> 'per FTE': one space, lower case but acronyms."""
    words = str(text).split()
    return " ".join(w if _ACRONYM.fullmatch(w) else w.lower() for w in words)


def normalise_agency(level1: str, level2: str = "") -> tuple[str, str]:
    """One spelling for each agency, and the crime sheet's level-1 courts, probation and
    prisons under the Criminal Justice System (see SOURCES.md for the table)."""
    one, two = " ".join(str(level1).split()), " ".join(str(level2).split())
    one = AGENCY_SPELLINGS.get(one.lower(), one)
    two = AGENCY_DETAIL_SPELLINGS.get(two.lower(), two)
    return AGENCY_PAIRS.get((one, two), (one, two))


def financial_year(text: str) -> str:
    """'2014/15' or '2014-15' -> '2014-15'; ConfigError for anything else."""
    match = _YEAR.fullmatch(str(text).strip())
    if match is None or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ConfigError(f"{text!r} is not a financial year; write it as 2014-15")
    return f"{match.group(1)}-{match.group(2)}"


def _resource(name: str) -> Any:
    return files("totalplace.reference").joinpath("data", "unit_costs", name)


def _decimal(text: str, where: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        value = Decimal(text.strip().replace(",", "").lstrip("£"))
    except InvalidOperation:
        raise ConfigError(f"{where}: {text!r} is not an amount") from None
    if not value.is_finite():
        raise ConfigError(f"{where}: {text!r} is not an amount")
    return value


def _flag(text: str, where: str) -> bool:
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise ConfigError(f"{where}: {text!r} is not true or false")


def _from_row(row: Mapping[str, str], where: str, user: bool) -> UnitCost:
    def text(name: str) -> str:
        return " ".join((row.get(name) or "").split())

    code = text("code")
    if not code:
        raise ConfigError(f"{where}: no code")
    money = {name: _decimal(row.get(name) or "", f"{where}, {name}") for name in _MONEY}
    if all(money[name] is None for name in ("fiscal", "economic", "social")):
        raise ConfigError(f"{where}: {code} gives no fiscal, economic or social value")
    flags = {name: _flag(row.get(name) or "", f"{where}, {name}") for name in _FLAGS}
    contains = tuple(text("contains").replace(";", " ").split())
    if money["transfer_amount"] is not None:
        flags["transfer_payment"] = True
    elif flags["transfer_payment"]:
        money["transfer_amount"] = money["fiscal"]
    tier = text("tier")
    if tier and tier not in TIERS:
        raise ConfigError(f"{where}: tier {tier!r} is not one of {', '.join(TIERS)}")
    agency, detail = normalise_agency(text("agency"), text("agency_detail"))
    return UnitCost(
        code=code,
        outcome=text("outcome"),
        description=text("description"),
        unit=normalise_unit(text("unit")),
        agency=agency,
        agency_detail=detail,
        fiscal=money["fiscal"],
        economic=money["economic"],
        social=money["social"],
        price_year=financial_year(text("price_year")),
        transfer_payment=flags["transfer_payment"],
        headline=flags["headline"] or bool(contains),
        contains=contains,
        notes=text("notes"),
        source_ref=text("source_ref") if not user else where,
        user_supplied=user,
        theme=text("theme"),
        tier=tier,
        rag=text("rag"),
        original_source=text("original_source"),
        transfer_amount=money["transfer_amount"],
    )


def _rows(handle: Iterable[str], name: str, required: Iterable[str]) -> list[dict[str, str]]:
    reader = csv.DictReader(handle)
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigError(f"{name}: missing column(s) {', '.join(missing)}")
    return list(reader)


@cache
def _shipped() -> dict[str, UnitCost]:
    with _resource(UNIT_COSTS_FILE).open(encoding="utf-8", newline="") as handle:
        rows = _rows(handle, UNIT_COSTS_FILE, COLUMNS)
    table: dict[str, UnitCost] = {}
    for line, row in enumerate(rows, start=2):
        cost = _from_row(row, f"{UNIT_COSTS_FILE}:{line}", user=False)
        table[cost.code] = cost
    return table


def _user_rows(path: Path, shipped: Mapping[str, UnitCost]) -> list[UnitCost]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = _rows(handle, str(path), REQUIRED_COLUMNS)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read unit costs: {exc}") from exc
    seen: set[str] = set()
    out: list[UnitCost] = []
    for line, row in enumerate(rows, start=2):
        where = f"{path.name}:{line}"
        cost = _from_row(row, where, user=True)
        if cost.code in seen:
            raise ConfigError(f"{where}: code {cost.code} appears twice in {path}")
        seen.add(cost.code)
        if cost.code in shipped and not _flag(row.get("replace") or "", f"{where}, replace"):
            raise ConfigError(
                f"{where}: {cost.code} is a shipped unit cost ({shipped[cost.code].description}); "
                "give your cost a new code, or set its replace column to true to use yours instead"
            )
        out.append(cost)
    return out


def unit_costs(extra: Path | None = None) -> dict[str, UnitCost]:
    """Every shipped unit cost by code, in workbook order, plus a user's CSV if given."""
    table = dict(_shipped())
    if extra is None:
        return table
    for cost in _user_rows(Path(extra), table):
        table[cost.code] = cost
    for cost in table.values():
        unknown = [c for c in cost.contains if c not in table]
        if unknown:
            raise ConfigError(f"{cost.source_ref}: {cost.code} contains unknown {unknown}")
    return table


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w&.]+", text.casefold()) if w]


def search(text: str, table: Mapping[str, UnitCost]) -> list[UnitCost]:
    """The costs whose code or description holds every word of ``text``,
    ignoring case, in table order ("arrest" finds CR7.0, "Arrest - detained";
    "cr1" every anti-social behaviour cost, CR1.0 to CR1.12). Empty text: all."""
    words = _words(text)
    return [
        cost
        for cost in table.values()
        if all(w in f"{cost.code} {cost.description}".casefold() for w in words)
    ]


def _shared_start(a: str, b: str) -> int:
    """How many leading characters two codes share."""
    pairs = enumerate(zip(a, b, strict=False))
    return next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))


def nearest(text: str, table: Mapping[str, UnitCost], n: int = 5) -> list[UnitCost]:
    """The costs a code that is not in ``table`` most likely meant, best first:
    the same code in other capitals, then codes spelt alike (difflib: "CR1.9"
    finds CR1.0 to CR1.4), then descriptions holding every word of it, then
    descriptions spelt alike, so a description or a word of one given in
    place of the code ("arrest detained") finds its code too."""
    folded = text.strip().casefold()
    codes = list(table)
    found = [c for c in codes if c.casefold() == folded]
    alike = difflib.get_close_matches(text.strip(), codes, n=2 * n)
    # a code sharing the typed one's heading comes first: CR1.9 -> CR1.4 before CR8.9
    found += sorted(alike, key=lambda c: -_shared_start(c.casefold(), folded))
    words = _words(text)
    found += [c.code for c in search(text, table)] if words else []
    described = {cost.description.casefold(): cost.code for cost in table.values()}
    found += [described[d] for d in difflib.get_close_matches(folded, described, n=n)]
    # last, descriptions holding the most of its telling words ("prison place"):
    # longer than three letters and in under a tenth of them ("cost" tells nothing)
    texts = [c.description.casefold() for c in table.values()]
    telling = [w for w in words if len(w) > 3 and sum(w in t for t in texts) < len(texts) / 10]
    costs = zip(table.values(), texts, strict=True)
    hits = {c.code: sum(w in t for w in telling) for c, t in costs}
    found += sorted((c for c in hits if hits[c]), key=lambda c: -hits[c])
    return [table[c] for c in dict.fromkeys(found)][:n]


def listing(cost: UnitCost) -> dict[str, Any]:
    """A cost as ``totalplace unit-costs --json`` gives it: pounds per unit as
    exact decimal text ("24.6666666666667"; JSON numbers would round them),
    null where the database gives no value of that kind."""
    return {
        "code": cost.code,
        "description": cost.description,
        "unit": cost.unit,
        "agency": cost.agency,
        **{f"{k}_pounds": _text(getattr(cost, k)) for k in ("fiscal", "economic", "social")},
        "price_year": cost.price_year,
        "source": cost.original_source,
        "source_ref": cost.source_ref,
        "user_supplied": cost.user_supplied,
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _unknown(code: str, known: Mapping[str, UnitCost]) -> ConfigError:
    close = [c.code for c in nearest(code, known)]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return ConfigError(f"no unit cost with code {code!r}{hint}")


def unit_cost(code: str, extra: Path | None = None) -> UnitCost:
    """One unit cost by its code; ConfigError naming the code and close codes if unknown."""
    table = unit_costs(extra)
    if code not in table:
        raise _unknown(code, table)
    return table[code]


@cache
def _deflators() -> dict[str, Decimal]:
    with _resource(DEFLATORS_FILE).open(encoding="utf-8", newline="") as handle:
        rows = _rows(handle, DEFLATORS_FILE, ("year", "index"))
    return {row["year"]: Decimal(row["index"]) for row in rows}


def deflators() -> dict[str, Decimal]:
    """The workbook's GDP deflator index by financial year ("1989-90" = 100), oldest first.

    From HM Treasury's GDP deflators of March 2015 (Budget 2015); 2014-15 onwards are
    forecasts at that date (``forecast`` in deflators.csv).
    """
    return dict(_deflators())


def _index(series: Mapping[str, Decimal], year: str) -> Decimal:
    try:
        key = financial_year(year)
    except ConfigError:
        key = year
    if key not in series:
        covered = sorted(series)
        span = f"{covered[0]} to {covered[-1]}" if covered else "no years"
        raise ConfigError(f"no GDP deflator for {year!r}; the series covers {span}")
    return series[key]


def uprate(
    value: Decimal,
    from_year: str,
    to_year: str,
    series: Mapping[str, Decimal] | None = None,
) -> Decimal:
    """``value`` at ``from_year`` prices restated at ``to_year`` prices: value x index[to] /
    index[from], unrounded (28 significant digits; round to pence at output).

    ``series`` (year -> index, "2021-22" or "2021/22") replaces the shipped deflators,
    e.g. with a later HM Treasury release; a year outside the series in use raises
    ConfigError naming the year and the years covered.
    """
    if isinstance(value, float | bool):
        raise TypeError("uprate takes a Decimal (or int), not a float")
    chosen = _deflators() if series is None else {financial_year(y): i for y, i in series.items()}
    start, end = _index(chosen, from_year), _index(chosen, to_year)
    with localcontext() as ctx:
        ctx.prec = 28
        return Decimal(value) * (Decimal(end) / Decimal(start))


def overlaps(codes: Iterable[str], extra: Path | None = None) -> list[tuple[str, str]]:
    """(headline, constituent) pairs among ``codes``: the headline already contains the
    constituent, so using both counts it twice.  Constituents of constituents count too.
    Pairs come in table order; an unknown code raises ConfigError."""
    table = unit_costs(extra)
    used = list(dict.fromkeys(codes))
    for code in used:
        if code not in table:
            raise _unknown(code, table)
    chosen, order = set(used), {code: i for i, code in enumerate(table)}
    pairs: set[tuple[str, str]] = set()
    for code in used:
        stack, seen = list(table[code].contains), set[str]()
        while stack:
            part = stack.pop()
            if part in seen:
                continue
            seen.add(part)
            if part in chosen:
                pairs.add((code, part))
            stack.extend(table[part].contains)
    return sorted(pairs, key=lambda p: (order[p[0]], order[p[1]]))
