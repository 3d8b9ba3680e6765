"""360Giving grants data, read as the standard defines it, every row loaded
or refused with a reason.

Two forms of the standard are read (https://standard.threesixtygiving.org):

* **JSON**: a package ``{"grants": [...]}``, each grant with ``amountAwarded``,
  ``currency``, ``awardDate``, ``recipientOrganization`` and
  ``fundingOrganization`` (lists of organisations with ``id`` and ``name``),
  and ``beneficiaryLocation`` (places with a ``geoCode``).
* **CSV** (or a spreadsheet saved as CSV) with the standard's column titles:
  "Amount Awarded", "Currency", "Award Date", "Funding Org:Name",
  "Recipient Org:Name", "Beneficiary Location:Geographic Code" and so on.
  A title may carry a number for a second item ("Beneficiary Location:1:
  Geographic Code"); titles are compared ignoring case and spaces.  GrantNav's
  added columns "Recipient District Geographic Code" and "Recipient Ward
  Geographic Code" are read as the recipient's location.

Amounts are read as exact decimals (JSON numbers are never turned into
floats) and kept as whole pence; an amount with a fraction of a penny is
refused rather than rounded.  Only pounds sterling are summed: a grant in
another currency is refused, with its currency named, since no rate is
published with it.

**Aggregated files.**  A file with "Award Year" and no "Award Date" (grants
summed by funder, year and area, as some published extracts are) is read as
one row per group; its "Identifier" column, when it is a whole number, is the
number of grants in the group, otherwise each row counts as one grant.

**Place.**  A grant is in the place it benefits: its beneficiary locations'
codes; a file that names no beneficiary location for a grant places it by
the recipient's location codes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from totalplace.errors import SourceError

__all__ = ["Grant", "GrantsFile", "Refused", "read_grants"]

CURRENCY = "GBP"
_NUMBERED = re.compile(r":\s*\d+\s*:")
_SPACES = re.compile(r"\s+")
_WHOLE = re.compile(r"^\s*\d+(\.0*)?\s*$")


@dataclass(frozen=True)
class Grant:
    row: int  # the grant's position in the file: its JSON index + 1, or the CSV line
    id: str
    title: str
    description: str
    amount_pence: int
    award_date: str  # ISO date, or the award year for an aggregated row
    funder_id: str
    funder: str
    recipient_id: str
    recipient: str
    programme: str
    beneficiary_codes: tuple[str, ...]
    recipient_codes: tuple[str, ...]
    grants: int = 1  # grants this row stands for (an aggregated file's groups)

    @property
    def place_codes(self) -> tuple[str, ...]:
        """Where the grant is counted: where it benefits, else where the recipient is."""
        return self.beneficiary_codes or self.recipient_codes

    @property
    def text(self) -> str:
        """What the grant is for, in the funder's words."""
        return " ".join(x for x in (self.title, self.description) if x)


@dataclass(frozen=True)
class Refused:
    row: int
    field: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass
class GrantsFile:
    path: str
    form: str  # "json", "csv" or "csv (aggregated)"
    grants: list[Grant] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    # amounts written from a floating-point sum, read as the nearest penny
    rounded: int = 0

    @property
    def rows(self) -> int:
        return len(self.grants) + len(self.refused)


def read_grants(path: Path) -> GrantsFile:
    """Every grant of a 360Giving JSON or CSV file, or the reason it is refused."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(str(path), f"cannot be read ({exc.strerror or exc})") from exc
    if raw.startswith(b"\x1f\x8b"):
        import gzip

        raw = gzip.decompress(raw)
    text = _decode(str(path), raw)
    if text.lstrip().startswith(("{", "[")):
        return _read_json(str(path), text)
    return _read_csv(str(path), text)


def _decode(path: str, raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceError(path, "is neither UTF-8 nor Windows-1252 text: save it as UTF-8")


# -- money and dates ------------------------------------------------------------------------


def _pence(value: Any) -> tuple[int | None, str, bool]:
    """Whole pence from an amount, or None and why not; and whether a
    floating-point artefact was rounded away (see :func:`_float_artefact`)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "no amount awarded", False
    if isinstance(value, bool):
        return None, f"amount awarded is {value!r}, not a number", False
    text = str(value).strip().replace(",", "").removeprefix("£")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None, f"amount awarded {value!r} is not a number", False
    if not amount.is_finite():
        return None, f"amount awarded {value!r} is not a number", False
    if amount < 0:
        return None, f"amount awarded {value!r} is negative: an award is never below nothing", False
    pence = amount * 100
    if pence == pence.to_integral_value():
        return int(pence), "", False
    if _float_artefact(amount):
        return int(pence.to_integral_value()), "", True
    why = f"amount awarded {value!r} has a fraction of a penny: give it in pounds and pence"
    return None, why, False


def _float_artefact(amount: Decimal) -> bool:
    """An amount written from a binary floating-point sum (2553893.8699999996):
    17 significant digits, within a millionth of a pound of a whole penny.
    Such a figure was pounds and pence before a program added it up, so it is
    read as the nearest penny; anything else with a fraction is refused."""
    digits = len(amount.as_tuple().digits)
    near = abs(amount - amount.quantize(Decimal("0.01"))) < Decimal("0.000001")
    return digits >= 15 and near


def _award_date(value: Any) -> tuple[str | None, str]:
    text = str(value or "").strip()
    if not text:
        return None, "no award date"
    try:
        return date.fromisoformat(text[:10]).isoformat(), ""
    except ValueError:
        return None, f"award date {text!r} is not a date (the standard asks for YYYY-MM-DD)"


# -- JSON -----------------------------------------------------------------------------------


def _read_json(path: str, text: str) -> GrantsFile:
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise SourceError(path, f"is not valid JSON ({exc})") from exc
    grants = data.get("grants") if isinstance(data, dict) else None
    if not isinstance(grants, list):
        raise SourceError(
            path, 'is not a 360Giving JSON package: expected {"grants": [...]} at the top'
        )
    out = GrantsFile(path, "json")
    for i, g in enumerate(grants, start=1):
        if not isinstance(g, dict):
            out.refused.append(Refused(i, "", "not a grant object"))
            continue
        _add(out, i, _json_fields(g))
    return out


def _orgs(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return [x for x in items if isinstance(x, dict)]


def _codes(places: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(p["geoCode"]).strip() for p in places if p.get("geoCode")))


def _json_fields(g: dict[str, Any]) -> dict[str, Any]:
    funders = _orgs(g.get("fundingOrganization"))
    recipients = _orgs(g.get("recipientOrganization"))
    programmes = _orgs(g.get("grantProgramme"))
    recipient_places = [p for r in recipients for p in _orgs(r.get("location"))]
    return {
        "id": g.get("id"),
        "title": g.get("title"),
        "description": g.get("description"),
        "currency": g.get("currency"),
        "amount": g.get("amountAwarded"),
        "date": g.get("awardDate"),
        "funder_id": funders[0].get("id") if funders else "",
        "funder": funders[0].get("name") if funders else "",
        "recipient_id": recipients[0].get("id") if recipients else "",
        "recipient": recipients[0].get("name") if recipients else "",
        "programme": programmes[0].get("title") if programmes else "",
        "beneficiary_codes": _codes(_orgs(g.get("beneficiaryLocation"))),
        "recipient_codes": _codes(recipient_places),
    }


# -- CSV ------------------------------------------------------------------------------------

# The standard's column titles (normalised) for each field read.
_TITLES = {
    "identifier": "id",
    "title": "title",
    "description": "description",
    "currency": "currency",
    "amount awarded": "amount",
    "award date": "date",
    "award year": "year",
    "funding org:identifier": "funder_id",
    "funding org:name": "funder",
    "recipient org:identifier": "recipient_id",
    "recipient org:name": "recipient",
    "grant programme:title": "programme",
}


def _title(header: str) -> str:
    """A column title as compared: numbered items' numbers dropped, spaces
    collapsed, lower case ("Beneficiary Location:0:Geographic Code" ->
    "beneficiary location:geographic code")."""
    text = _NUMBERED.sub(":", header.strip())
    return _SPACES.sub(" ", re.sub(r"\s*:\s*", ":", text)).lower()


def _code_kind(title: str) -> str | None:
    if not title.endswith("geographic code"):
        return None
    if title.startswith("beneficiary location"):
        return "beneficiary_codes"
    if title.startswith("recipient"):
        return "recipient_codes"
    return None


def _read_csv(path: str, text: str) -> GrantsFile:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise SourceError(path, "is empty: a 360Giving CSV starts with the standard's titles")
    titles = [_title(h) for h in header]
    fields = {f: i for i, t in reversed(list(enumerate(titles))) if (f := _TITLES.get(t))}
    codes: dict[str, list[int]] = {"beneficiary_codes": [], "recipient_codes": []}
    for i, t in enumerate(titles):
        if kind := _code_kind(t):
            codes[kind].append(i)
    missing = [t for t, f in (("Amount Awarded", "amount"), ("Funding Org:Name", "funder"))
               if f not in fields]  # fmt: skip
    if missing:
        raise SourceError(
            path,
            f"has no {' or '.join(repr(m) for m in missing)} column: a 360Giving CSV uses the "
            "standard's column titles (https://standard.threesixtygiving.org); "
            f"its columns are {', '.join(header[:12])}",
        )
    aggregated = "year" in fields and "date" not in fields
    out = GrantsFile(path, "csv (aggregated)" if aggregated else "csv")
    for line, cells in _numbered(reader):
        if not any(c.strip() for c in cells):
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            i = fields.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        row: dict[str, Any] = {name: cell(name) for name in fields}
        for kind, cols in codes.items():
            row[kind] = tuple(
                dict.fromkeys(cells[i].strip() for i in cols if i < len(cells) and cells[i].strip())
            )
        if aggregated:
            row["date"] = row.pop("year", "")
            ident = str(row.get("id", ""))
            row["grants"] = int(Decimal(ident)) if _WHOLE.match(ident or "") else 1
        _add(out, line, row, aggregated)
    return out


def _numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each record with its first line in the file: a quoted field may span
    lines, so the record's line is where it starts, not a count of records."""
    last = reader.line_num  # the header's last line
    for cells in reader:
        yield last + 1, cells
        last = reader.line_num


# -- both -----------------------------------------------------------------------------------


def _str(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _add(out: GrantsFile, row: int, f: dict[str, Any], aggregated: bool = False) -> None:
    currency = _str(f.get("currency")) or CURRENCY
    if currency.upper() != CURRENCY:
        reason = f"currency {currency}: only pounds sterling (GBP) are summed; no rate is given"
        out.refused.append(Refused(row, "currency", reason))
        return
    pence, why, rounded = _pence(f.get("amount"))
    if pence is None:
        out.refused.append(Refused(row, "amountAwarded", why))
        return
    if not _str(f.get("funder")):
        out.refused.append(Refused(row, "fundingOrganization", "no funding organisation name"))
        return
    if aggregated:
        year = _str(f.get("date"))
        if not re.fullmatch(r"\d{4}(\.0)?", year):
            out.refused.append(Refused(row, "Award Year", f"award year {year!r} is not a year"))
            return
        when = year[:4]
    else:
        day, why = _award_date(f.get("date"))
        if day is None:
            out.refused.append(Refused(row, "awardDate", why))
            return
        when = day
    out.rounded += rounded
    out.grants.append(
        Grant(
            row=row,
            id=_str(f.get("id")),
            title=_str(f.get("title")),
            description=_str(f.get("description")),
            amount_pence=pence,
            award_date=when,
            funder_id=_str(f.get("funder_id")),
            funder=_str(f.get("funder")),
            recipient_id=_str(f.get("recipient_id")),
            recipient=_str(f.get("recipient")),
            programme=_str(f.get("programme")),
            beneficiary_codes=tuple(f.get("beneficiary_codes", ())),
            recipient_codes=tuple(f.get("recipient_codes", ())),
            grants=int(f.get("grants", 1)),
        )
    )
