"""The opportunity register: every opportunity the count points at, with the
money at stake, ranked largest first.

The money at stake is a planning figure from a stated assumption, never a
saving found in the data.  The assumptions ship in
``totalplace/data/opportunities.toml``; a workspace changes any of them in
``DIR/opportunity_assumptions.toml`` (same tables and names).  Each
description says how its figure was worked.

* ``shared_supplier``: a supplier paid by several agencies; value = the
  joint-procurement saving share (5%) of their combined spend with it.
  Confidence high when every agency's files spell it the same (capitals
  aside) and each paid it at least three times; medium when it was matched
  across spellings or from fewer payments.
* ``duplication``: a theme bought by three or more agencies each spending a
  material share of it; value = the alignment saving share (2%) of their
  combined spend on it.  Confidence medium from the agencies' own payments
  or outturn, low when any of it is a regional line shared out by a key.
* ``back_office``: an agency whose back office is a larger share of its
  total than the median agency's; value = the sharing share (25%) of its
  spend above the median share.  Confidence as for duplication.
* ``fragmentation``, ``prevention_shift``, ``scenario``: from
  :mod:`totalplace.opportunities.others` when it is installed.

Evidence is a dashboard route to the rows or lines behind the figure.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from totalplace.classify.taxonomy import theme_label
from totalplace.count.place_count import PlaceCount
from totalplace.errors import ConfigError
from totalplace.money import pounds
from totalplace.opportunities.duplication import (
    BACK_OFFICE,
    FUNCTION_LABELS,
    back_office,
    theme_spend,
)
from totalplace.opportunities.marks import read_marks
from totalplace.opportunities.opportunity import KINDS, Opportunity
from totalplace.opportunities.suppliers import SharedSupplier, shared_suppliers
from totalplace.tomlfile import read_toml
from totalplace.workspace import Workspace, atomic_write

__all__ = [
    "KINDS",
    "Opportunity",
    "build_register",
    "load_assumptions",
    "register_and_left_out",
    "with_marks",
    "write_register",
]

ASSUMPTIONS_FILE = "opportunity_assumptions.toml"
CSV_NAME = "opportunities.csv"
XLSX_NAME = "opportunities.xlsx"
CSV_COLUMNS = (
    "id", "kind", "description", "agencies", "value_pence", "value_pounds",
    "confidence", "evidence", "status", "note",
)  # fmt: skip


@dataclass(frozen=True)
class Assumptions:
    supplier_saving: Decimal
    supplier_min_agencies: int
    supplier_top: int
    material_share: Decimal
    duplication_min_agencies: int
    duplication_saving: Decimal
    count_apportioned: bool
    back_office_saving: Decimal
    min_value_pounds: int

    def to_dict(self) -> dict[str, str | int]:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in self.__dict__.items()}


# (table, name) in the TOML -> field of Assumptions, and whether it is a share
# (True), a whole number (False) or true/false (None)
_FIELDS: dict[tuple[str, str], tuple[str, bool | None]] = {
    ("shared_supplier", "saving_share"): ("supplier_saving", True),
    ("shared_supplier", "min_agencies"): ("supplier_min_agencies", False),
    ("shared_supplier", "top"): ("supplier_top", False),
    ("duplication", "material_share"): ("material_share", True),
    ("duplication", "min_agencies"): ("duplication_min_agencies", False),
    ("duplication", "saving_share"): ("duplication_saving", True),
    ("duplication", "count_apportioned"): ("count_apportioned", None),
    ("back_office", "saving_share"): ("back_office_saving", True),
    ("register", "min_value_pounds"): ("min_value_pounds", False),
}


def load_assumptions(root: Path | None = None) -> Assumptions:
    """The shipped assumptions, with any the workspace's file changes."""
    shipped = resources.files("totalplace") / "data" / "opportunities.toml"
    values: dict[str, Any] = {}
    sources = [(Path(str(shipped)), read_toml(Path(str(shipped)), "opportunity assumptions"))]
    if root is not None and (root / ASSUMPTIONS_FILE).exists():
        path = root / ASSUMPTIONS_FILE
        sources.append((path, read_toml(path, "opportunity assumptions")))
    for path, data in sources:
        for table, raw in data.items():
            if not isinstance(raw, dict) or not all((table, n) in _FIELDS for n in raw):
                known = ", ".join(sorted({f"[{t}] {n}" for t, n in _FIELDS}))
                raise ConfigError(f"{path}: [{table}] is not an assumption here; known: {known}")
            for name, value in raw.items():
                field, share = _FIELDS[(table, name)]
                values[field] = _value(path, table, name, value, share)
    return Assumptions(**values)


def _value(path: Path, table: str, name: str, value: Any, share: bool | None) -> Decimal | int:
    where = f"{path}: [{table}] {name}"
    if share is None:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} is {value!r}: give true or false")
        return value
    if share:
        try:
            got = Decimal(str(value))
        except InvalidOperation:
            got = Decimal(-1)
        if isinstance(value, bool) or not Decimal(0) <= got <= Decimal(1):
            raise ConfigError(f'{where} is {value!r}: give a share from "0" to "1", e.g. "0.05"')
        return got
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where} is {value!r}: give a whole number of at least 1")
    return value


def _at(share: Decimal, pence: int) -> int:
    return int((share * pence).quantize(Decimal(1), ROUND_HALF_EVEN))


def _pct(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def _drill(agency: str, theme: str, supplier: str = "") -> str:
    params = {"agency": agency, "theme": theme}
    if supplier:
        params["supplier"] = supplier
    return f"/drill?{urlencode(params)}"


def supplier_items(found: list[SharedSupplier], a: Assumptions) -> list[Opportunity]:
    out = []
    for s in found[: a.supplier_top]:
        value = _at(a.supplier_saving, s.pence)
        paid = "; ".join(f"{x.agency} {pounds(x.pence)} ({x.payments:,})" for x in s.agencies)
        text = (
            f"{s.name} is paid by {len(s.agencies)} agencies: {paid}; {pounds(s.pence)} "
            f"in {s.payments:,} payments. Buying it jointly at {_pct(a.supplier_saving)} "
            f"of the combined spend: {pounds(value)}."
        )
        if len(s.names) > 1:
            text += f" Matched across spellings: {', '.join(s.names)}."
        spread = [d for d in s.dispersion if d.cv is not None and d.agencies >= 2]
        if spread:
            d = max(spread, key=lambda d: (d.cv or 0, d.expense_type))
            text += (
                f" Widest price spread among agencies: {d.expense_type or 'no expense type'}, "
                f"coefficient of variation {d.cv}, interquartile ratio {d.iqr_ratio or 'n/a'} "
                f"over {d.payments:,} payments."
            )
        # the same name but for capitals is the same spelling
        one = len({n.casefold() for n in s.names}) == 1
        same = one and all(x.payments >= 3 for x in s.agencies)
        out.append(
            Opportunity(
                kind="shared_supplier",
                subject=s.key,
                description=text,
                agencies=tuple(x.agency for x in s.agencies),
                value_pence=value,
                confidence="high" if same else "medium",
                evidence=_drill(*s.cell) if s.cell else "",
                details=s.to_dict(),
            )
        )
    return out


def duplication_items(count: PlaceCount, a: Assumptions) -> list[Opportunity]:
    out = []
    themes = theme_spend(count, a.material_share, a.duplication_min_agencies, a.count_apportioned)
    for t in themes:
        if not t.candidate:
            continue
        involved = [x for x in t.agencies if x.agency in t.material]
        combined = sum(x.pence for x in involved)
        value = _at(a.duplication_saving, combined)
        head = count.population > 0
        each = "; ".join(
            f"{x.agency} {pounds(x.pence)} ({_pct(x.share)}"
            + (f", {pounds(x.per_head_pence)} per head)" if head else ")")
            for x in involved
        )
        text = (
            f"{theme_label(t.theme)} is bought by {len(involved)} agencies each spending at "
            f"least {_pct(a.material_share)} of the place's {pounds(t.pence)} on it: {each}. "
            f"Aligning their activity at {_pct(a.duplication_saving)} of their combined "
            f"{pounds(combined)}: {pounds(value)}."
        )
        keyed = any(x.apportioned for x in involved)
        national = [
            x.agency
            for x in t.agencies
            if x.apportioned and x.share >= a.material_share and x.agency not in t.material
        ]
        if national:
            text += f" Not counted, as lines shared out by a key: {', '.join(national)}."
        out.append(
            Opportunity(
                kind="duplication",
                subject=t.theme,
                description=text,
                agencies=tuple(x.agency for x in involved),
                value_pence=value,
                confidence="low" if keyed else "medium",
                evidence=f"/themes/{quote(t.theme)}",
                details=t.to_dict(),
            )
        )
    return out


def back_office_items(
    count: PlaceCount, a: Assumptions, ws: Workspace | None, engine: str
) -> list[Opportunity]:
    keyed = {x.agency for x in count.lines if x.method == "apportioned"}  # some of it
    found = back_office(count, ws, engine)
    out = []
    for b in found:
        if b.above_median_pence <= 0:
            continue
        value = _at(a.back_office_saving, b.above_median_pence)
        text = (
            f"The back office of {b.agency} is {pounds(b.pence)}, {_pct(b.share)} of its "
            f"{pounds(b.total_pence)}, against a median share of {_pct(b.median_share)} "
            f"across the {len(found)} agencies counted from their own payments or outturn: "
            f"{pounds(b.above_median_pence)} above "
            f"it. Sharing services to close {_pct(a.back_office_saving)} of that: "
            f"{pounds(value)}."
        )
        parts = [(FUNCTION_LABELS[f], p) for f, p in b.functions.items() if p]
        if parts:
            paid = sum(p for _, p in parts)
            each = ", ".join(f"{n} {pounds(p)}" for n, p in parts)
            text += f" Of it, {pounds(paid)} from its payments: {each}."
        out.append(
            Opportunity(
                kind="back_office",
                subject=b.agency,
                description=text,
                agencies=(b.agency,),
                value_pence=value,
                confidence="low" if b.agency in keyed else "medium",
                evidence=_drill(b.agency, BACK_OFFICE),
                details=b.to_dict(),
            )
        )
    return out


def other_items(data: dict[str, Any], ws: Workspace) -> list[Opportunity]:
    """Fragmentation, prevention shift and scenario items, when the module
    that finds them is installed."""
    try:
        from totalplace.opportunities import others
    except ImportError:
        return []
    out = []
    for item in others.opportunities(data, ws):
        if isinstance(item, Opportunity):
            out.append(item)
            continue
        d = dict(item)
        out.append(
            Opportunity(
                kind=str(d["kind"]),
                subject=str(d.get("subject") or d.get("id") or d["description"]),
                description=str(d["description"]),
                agencies=tuple(d.get("agencies", ())),
                value_pence=int(d.get("value_pence", 0)),
                confidence=str(d.get("confidence", "low")),
                evidence=str(d.get("evidence", "")),
                details=dict(d.get("details", {})),
            )
        )
    return out


def build_register(
    ws: Workspace, data: dict[str, Any], engine: str = "duckdb", everything: bool = False
) -> list[Opportunity]:
    """Every opportunity worth at least the register's floor (``[register]
    min_value_pounds``), largest value first, with the workspace's marks; with
    ``everything``, those under the floor too (see :func:`register_and_left_out`)."""
    from totalplace.report.count_file import place_count

    count = place_count(data)
    a = load_assumptions(ws.root)
    found = shared_suppliers(ws, count, engine, a.supplier_min_agencies)
    items = [
        *supplier_items(found, a),
        *duplication_items(count, a),
        *back_office_items(count, a, ws, engine),
        *other_items(data, ws),
    ]
    items.sort(key=lambda x: (-x.value_pence, x.kind, x.id))
    if not everything:
        items = _at_floor(items, a)[0]
    return with_marks(ws.root, items)


def register_and_left_out(
    ws: Workspace, data: dict[str, Any], engine: str = "duckdb"
) -> tuple[list[Opportunity], dict[str, int]]:
    """The register as :func:`build_register` gives it, and what its floor left
    out (``under_pounds``, ``count``, ``value_pence``), so whoever shows the
    register can say so: nothing leaves it without a word."""
    return _at_floor(build_register(ws, data, engine, everything=True), load_assumptions(ws.root))


def _at_floor(items: list[Opportunity], a: Assumptions) -> tuple[list[Opportunity], dict[str, int]]:
    floor = a.min_value_pounds * 100
    small = [x for x in items if x.value_pence < floor]
    left_out = {
        "under_pounds": a.min_value_pounds,
        "count": len(small),
        "value_pence": sum(x.value_pence for x in small),
    }
    return [x for x in items if x.value_pence >= floor], left_out


def with_marks(root: Path, items: list[Opportunity]) -> list[Opportunity]:
    """``items`` with the status and note the workspace's marks give them."""
    marks = read_marks(root)
    return [
        replace(x, status=marks[x.id].status, note=marks[x.id].note) if x.id in marks else x
        for x in items
    ]


def by_kind(items: list[Opportunity]) -> dict[str, int]:
    """Money at stake by kind (each kind's own assumption; kinds overlap, so
    the figures are not to be added into one saving)."""
    out: dict[str, int] = defaultdict(int)
    for x in items:
        out[x.kind] += x.value_pence
    return dict(out)


def register_csv(items: list[Opportunity]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for x in items:
        writer.writerow(
            [x.id, x.kind, x.description, "; ".join(x.agencies), x.value_pence,
             f"{Decimal(x.value_pence) / 100:.2f}", x.confidence, x.evidence, x.status, x.note]
        )  # fmt: skip
    return buf.getvalue()


def write_register(root: Path, items: list[Opportunity]) -> list[Path]:
    """The register as CSV and as an "Opportunities" sheet, in DIR/reports."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from totalplace.report.run import REPORTS
    from totalplace.sheets import MONEY_FORMAT

    folder = root / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = folder / CSV_NAME, folder / XLSX_NAME
    atomic_write(csv_path, register_csv(items))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Opportunities"
    heads = ("Id", "Kind", "Description", "Agencies", "Value (£)", "Confidence", "Evidence",
             "Status", "Note")  # fmt: skip
    sheet.append(heads)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for x in items:
        sheet.append(
            [x.id, x.kind.replace("_", " "), x.description, "; ".join(x.agencies),
             Decimal(x.value_pence) / 100, x.confidence, x.evidence, x.status, x.note]
        )  # fmt: skip
        sheet.cell(sheet.max_row, 5).number_format = MONEY_FORMAT
        sheet.cell(sheet.max_row, 3).alignment = Alignment(wrap_text=True, vertical="top")
    if not items:
        sheet.append(["No opportunity found: see the README's section on opportunities."])
    for col, width in zip("ABCDEFGHI", (28, 16, 90, 40, 14, 11, 50, 10, 30), strict=True):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A2"
    tmp = xlsx_path.with_name(xlsx_path.name + ".tmp")
    book.save(tmp)
    tmp.replace(xlsx_path)
    return [csv_path, xlsx_path]
