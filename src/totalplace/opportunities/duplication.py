"""Duplicated activity and back office: several agencies buying the same theme
for the same people, and each body running its own finance, HR, ICT, estates
and fleet.

Both read the count's lines as the count shows them (by agency and theme,
before transfers between the place's bodies are taken out), never the rows
afresh, except to split a body's back office paid from its own payments into
its functions, which reads the rows behind those lines.

* **Duplication.**  For each theme, every agency's spend, its share of the
  theme and its spend per head of the place's population.  A theme is a
  candidate when three or more agencies each spend at least the material
  share of it (5% unless the workspace's assumptions say otherwise): three
  bodies each buying a real part of one service for one population.  An
  agency whose spend on the theme is all a national line shared out by a key
  (DWP's benefits, say) is shown but not counted towards the three unless
  the assumptions say so: that is a national programme, not a local body's
  activity.  The back office is left to its own measure below, and money not
  classified to a theme says nothing about what was bought.
* **Back office.**  Each agency's corporate and back-office theme as a share
  of its total, against the median share of the count's agencies with any
  spend (the middle value; the mean of the two middle ones for an even
  number).  Spend above the median share is the amount by which the body's
  back office is larger than the typical body's would be at its size.  Only
  agencies counted from their own payments or outturn are compared: a
  department whose every line is a regional total shared out by a key has a
  COFOG function ("general public services") there, not an office.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import ibis
import ibis.expr.types as ir

from totalplace.classify.taxonomy import PASS_THROUGH
from totalplace.count.place_count import CountLine, PlaceCount
from totalplace.count.trace import without_set_apart
from totalplace.count.transactions import UNCLASSIFIED, cell_rows, open_spend_rows, read_parts
from totalplace.workspace import Workspace

BACK_OFFICE = "corporate_and_back_office"
MIN_AGENCIES = 3
MATERIAL_SHARE = Decimal("0.05")
SHARE_PLACES = Decimal("0.0001")

# The back office's functions, read from a payment's own labels: what the
# service line says first (service detail, service, department), and only when
# it names none of them, what was bought (Proclass category, expense type).
# The first function whose words appear wins; "other" is the rest of the
# theme (democratic core, tax collection, corporate management...).
_W = r"(^|[^a-z])"  # a word starts here (short words like "it" and "hr" only as words)
_E = r"([^a-z]|$)"  # and ends here
FUNCTIONS: tuple[tuple[str, str], ...] = (
    ("finance", r"financ|accountan|audit|treasury|revenues|payroll|insurance|pension|banking"),
    ("hr", rf"human resources|{_W}hr{_E}|personnel|recruit|workforce|occupational health"),
    ("ict", rf"{_W}ict{_E}|{_W}it{_E}|information tech|computer|software|telephon|digital|network"),
    ("estates", rf"estate|property|facilit|premises|building|accommodation|{_W}rents?{_E}|"
                rf"{_W}rates{_E}|utilit|energy|cleaning"),
    ("fleet", r"fleet|vehicle|fuel|car lease|lease car|car hire|transport manag"),
)  # fmt: skip
FUNCTION_LABELS = {
    "finance": "Finance",
    "hr": "HR",
    "ict": "ICT",
    "estates": "Estates",
    "fleet": "Fleet",
    "other": "Other back office",
}
SERVICE_FIELDS = ("service_detail", "service", "department")
BOUGHT_FIELDS = ("proclass_label", "expense_type")
LABELS_SCHEMA = ibis.schema(
    {"file_id": "string", "source_line": "int64"}
    | dict.fromkeys((*SERVICE_FIELDS, *BOUGHT_FIELDS), "string")
)


@dataclass(frozen=True)
class AgencyOnTheme:
    agency: str
    pence: int
    share: Decimal  # of the theme's spend in the place
    per_head_pence: int
    apportioned: bool  # all of it is regional lines shared out by a key


@dataclass(frozen=True)
class ThemeSpend:
    theme: str
    pence: int
    per_head_pence: int
    agencies: tuple[AgencyOnTheme, ...]  # largest first
    material: tuple[str, ...]  # agencies spending at least the material share
    candidate: bool  # MIN_AGENCIES or more material agencies

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


@dataclass(frozen=True)
class BackOffice:
    agency: str
    total_pence: int
    pence: int  # its corporate and back-office theme
    share: Decimal
    median_share: Decimal  # of the count's agencies with any spend
    above_median_pence: int  # pence beyond the median share of its total; 0 at or below
    # finance, hr, ict, estates, fleet, other: from its payments where the count has them
    functions: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Shares as exact decimal text for JSON."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, Decimal):
            out[k] = str(v)
        elif isinstance(v, list | tuple):
            out[k] = [_plain(x) if isinstance(x, dict) else x for x in v]
        else:
            out[k] = v
    return out


def _share(part: int, whole: int) -> Decimal:
    if whole <= 0:
        return Decimal(0)
    return (Decimal(part) / Decimal(whole)).quantize(SHARE_PLACES, ROUND_HALF_EVEN)


def _per_head(pence: int, population: int) -> int:
    if population <= 0:
        return 0
    return int((Decimal(pence) / population).quantize(Decimal(1), ROUND_HALF_EVEN))


def theme_spend(
    count: PlaceCount,
    material_share: Decimal = MATERIAL_SHARE,
    min_agencies: int = MIN_AGENCIES,
    count_apportioned: bool = False,
) -> list[ThemeSpend]:
    """Every theme's agencies, with spend per head, largest theme first."""
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    own: set[tuple[str, str]] = set()
    for x in count.lines:
        if x.theme in (UNCLASSIFIED, PASS_THROUGH):
            continue
        cells[x.theme][x.agency] += x.pence
        if x.method != "apportioned":
            own.add((x.theme, x.agency))
    out = []
    for theme, by_agency in cells.items():
        total = sum(by_agency.values())
        agencies = sorted(
            (
                AgencyOnTheme(
                    agency=a,
                    pence=p,
                    share=_share(p, total),
                    per_head_pence=_per_head(p, count.population),
                    apportioned=(theme, a) not in own,
                )
                for a, p in by_agency.items()
            ),
            key=lambda a: (-a.pence, a.agency),
        )
        counted = [a for a in agencies if count_apportioned or not a.apportioned]
        material = tuple(a.agency for a in counted if a.pence > 0 and a.share >= material_share)
        out.append(
            ThemeSpend(
                theme=theme,
                pence=total,
                per_head_pence=_per_head(total, count.population),
                agencies=tuple(agencies),
                material=material,
                candidate=theme != BACK_OFFICE and len(material) >= min_agencies,
            )
        )
    out.sort(key=lambda t: (-t.pence, t.theme))
    return out


def median(values: Iterable[Fraction]) -> Fraction:
    """The middle value, or the mean of the two middle ones."""
    ordered = sorted(values)
    if not ordered:
        return Fraction(0)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def _decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        SHARE_PLACES, ROUND_HALF_EVEN
    )


def back_office(
    count: PlaceCount, ws: Workspace | None = None, engine: str = "duckdb"
) -> list[BackOffice]:
    """Each agency's back office as a share of its total beside the median
    share, largest spend above the median first; with a workspace, split into
    functions from the payments behind its back-office lines."""
    totals: dict[str, int] = defaultdict(int)
    office: dict[str, int] = defaultdict(int)
    own = {x.agency for x in count.lines if x.method != "apportioned"}
    for x in count.lines:
        totals[x.agency] += x.pence
        if x.theme == BACK_OFFICE:
            office[x.agency] += x.pence
    # exact shares for the median and the spend above it; rounded only to show
    shares = {a: Fraction(office[a], t) for a, t in totals.items() if t > 0 and a in own}
    mid = median(shares.values())
    functions = back_office_functions(ws, count, engine) if ws is not None else {}
    out = [
        BackOffice(
            agency=a,
            total_pence=totals[a],
            pence=office[a],
            share=_share(office[a], totals[a]),
            median_share=_decimal(mid),
            above_median_pence=max(0, round(office[a] - mid * totals[a])),
            functions=functions.get(a, {}),
        )
        for a in shares
    ]
    out.sort(key=lambda b: (-b.above_median_pence, -b.pence, b.agency))
    return out


def function_of(labels: ir.Table) -> ir.StringValue:
    """The back-office function a payment's labels name (FUNCTIONS), or "other"."""

    def text(fields: tuple[str, ...]) -> ir.StringValue:
        parts = [labels[f].fill_null("").lower() for f in fields]
        joined = parts[0]
        for p in parts[1:]:
            joined = joined + " | " + p
        return joined

    service, bought = text(SERVICE_FIELDS), text(BOUGHT_FIELDS)
    cases = [(service.re_search(pattern), ibis.literal(name)) for name, pattern in FUNCTIONS]
    cases += [(bought.re_search(pattern), ibis.literal(name)) for name, pattern in FUNCTIONS]
    return ibis.cases(*cases, else_=ibis.literal("other"))


def back_office_functions(
    ws: Workspace, count: PlaceCount, engine: str = "duckdb"
) -> dict[str, dict[str, int]]:
    """Pence by agency and back-office function, from the rows behind the
    count's back-office lines from payments (the lines trace lists)."""
    lines = [x for x in count.lines if x.theme == BACK_OFFICE]
    payers = _payers(lines)
    if not payers:
        return {}
    splitting = sorted(p for p, split in _split(lines).items() if split)
    with ws.catalog(read_only=True) as cat:
        file_ids = sorted(r[0] for r in cat.execute("SELECT file_id FROM files").fetchall())
    with open_spend_rows(ws, count.year, engine) as spend:
        if spend is None:
            return {}
        rows = cell_rows(spend.table, sorted(payers), BACK_OFFICE)
        if splitting:
            rows = without_set_apart(ws, spend, rows, splitting, file_ids)
        labels = spend.backend.read_parquet(
            [ws.table_path("rows", i) for i in file_ids], "tp_office_labels", LABELS_SCHEMA
        )
        joined = rows.join(labels, ["file_id", "source_line"])
        by = joined.mutate(function=function_of(joined))
        summed = by.group_by(["paying_body", "function"]).aggregate(
            pence=by.amount_pence.sum().cast("int64")
        )
        spend.backend.write_parquet(summed, spend.work / "office")
        found = read_parts(spend.work / "office").to_pylist()
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FUNCTION_LABELS, 0))
    for r in found:
        out[payers[r["paying_body"]]][r["function"]] += int(r["pence"] or 0)
    return dict(out)


def _payers(lines: list[CountLine]) -> dict[str, str]:
    """The paying bodies (as the spend files name them) of transaction lines, to their agency."""
    return {x.payer: x.agency for x in lines if x.method == "transactions" and x.payer}


def _split(lines: list[CountLine]) -> dict[str, bool]:
    """Whether each payer's payments split a council's outturn (the line carries its E-code)."""
    return {x.payer: bool(x.body) for x in lines if x.method == "transactions" and x.payer}
