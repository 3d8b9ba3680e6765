"""The Total Place count: one cube of all public money in a place.

Outturn is the control total.  The top-down count (regional lines apportioned
by key, councils' and joint bodies' own Revenue Outturn) gives every line; for
a council whose own transactions are in the workspace, its outturn (less
housing benefit, which has its own line) is split by those transactions into
themes and prevention tiers, and what they cannot see (pay, payments under
£500, months not covered) is a residual line, "not in transaction data".
Part-year coverage is reported, never annualised.

    total = bottom_up + top_down - transfers_eliminated

``bottom_up`` is the transaction-split part; ``top_down`` is every outturn
and apportioned line, residuals included.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from totalplace.classify.taxonomy import PASS_THROUGH, theme_for_cofog, theme_for_outturn_line
from totalplace.count.topdown import TopDownLine, TopDownResult, topdown
from totalplace.count.transactions import TransactionGroup, Transactions, load_transactions
from totalplace.count.transfers import Transfer, classify_transfers
from totalplace.errors import ConfigError
from totalplace.orgs import Body, org_registry
from totalplace.reference.places import Place, Registry, registry, resolve_place
from totalplace.workspace import Workspace

RESIDUAL = "not in transaction data"
RESIDUAL_WHY = "pay, payments under £500, benefits and months not covered by the transactions"
OUTTURN_THEME_FALLBACK = {
    "housing_benefit": "housing_benefit_rent_allowances",
    "other_items": "central_services",
}


@dataclass(frozen=True)
class CountLine:
    agency: str
    agency_type: str
    funder: str
    theme: str
    function: str
    tier: str
    capital_revenue: str
    method: str  # transactions, outturn or apportioned
    part: str  # bottom_up or top_down
    gross_net: str
    grade: str
    pence: int
    source: str  # where the figure comes from: rows, a workbook cell, a key
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "flags": list(self.flags)}


@dataclass(frozen=True)
class Coverage:
    agency: str
    first: str
    last: str
    months: int
    months_list: tuple[str, ...]
    transactions_pence: int
    control_pence: int


@dataclass
class PlaceCount:
    place: Place
    year: str
    engine: str
    population: int
    lines: list[CountLine] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    pass_through: list[CountLine] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def _sum(self, part: str) -> int:
        return sum(x.pence for x in self.lines if x.part == part)

    @property
    def bottom_up_pence(self) -> int:
        return self._sum("bottom_up")

    @property
    def top_down_pence(self) -> int:
        return self._sum("top_down")

    @property
    def transfers_eliminated_pence(self) -> int:
        return sum(t.pence for t in self.transfers if t.eliminated)

    @property
    def total_pence(self) -> int:
        return self.bottom_up_pence + self.top_down_pence - self.transfers_eliminated_pence

    @property
    def pass_through_pence(self) -> int:
        return sum(x.pence for x in self.pass_through)

    def by(self, attr: str) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for line in self.lines:
            out[str(getattr(line, attr))] += line.pence
        for t in self.transfers:
            if t.eliminated:
                out[str(getattr(t, attr, "transfers eliminated"))] -= t.pence
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "place": {"spec": self.place.spec, "name": self.place.name},
            "year": self.year,
            "engine": self.engine,
            "population": self.population,
            "total_pence": self.total_pence,
            "per_head_pence": round(self.total_pence / self.population) if self.population else 0,
            "bottom_up_pence": self.bottom_up_pence,
            "top_down_pence": self.top_down_pence,
            "transfers_eliminated_pence": self.transfers_eliminated_pence,
            "pass_through_pence": self.pass_through_pence,
            "by_agency": self.by("agency"),
            "by_theme": self.by("theme"),
            "by_method": self.by("method"),
            "coverage": [asdict(c) for c in self.coverage],
            "transfers": [t.to_dict() for t in self.transfers],
            "pass_through": [x.to_dict() for x in self.pass_through],
            "notes": list(self.notes),
            "lines": [x.to_dict() for x in self.lines],
        }


def _outturn_theme(line: str) -> str:
    return theme_for_outturn_line(OUTTURN_THEME_FALLBACK.get(line, line))


def _agency(line: TopDownLine) -> str:
    return line.programme.split(":")[0] if line.method == "outturn" else line.department


def _topdown_line(line: TopDownLine) -> CountLine:
    if line.method == "outturn":
        theme = _outturn_theme(line.subfunction)
        funder = "own income and grants (see the outturn's financing lines)"
        gross_net = "net (Revenue Outturn net current expenditure)"
    else:
        theme = theme_for_cofog(line.function, line.subfunction)
        funder = line.department
        gross_net = "as published (HM Treasury, accruals)"
    return CountLine(
        agency=_agency(line),
        agency_type=line.body_type,
        funder=funder,
        theme=theme,
        function=line.function,
        tier="not known",
        capital_revenue="capital" if line.capital_current == "capital" else "revenue",
        method=line.method,
        part="top_down",
        gross_net=gross_net,
        grade=line.grade,
        pence=line.place_pence,
        source=f"{line.source}; key {line.key}, share {line.key_share}",
        flags=line.flags,
    )


def _payers(reg: Registry, tx: Transactions) -> dict[str, str]:
    """Payer name as in the rows -> the council's E-code, where it is one."""
    out: dict[str, str] = {}
    for name in {g.paying_body for g in tx.groups}:
        try:
            authority = reg.find(name)
        except ConfigError:
            continue
        if authority.ecode:
            out[name] = authority.ecode
    return out


def build_count(ws: Workspace, engine: str = "duckdb") -> PlaceCount:
    """Count the workspace's place for its year."""
    cfg = ws.config
    place = resolve_place(",".join(cfg.place))
    reg = registry()
    td: TopDownResult = topdown(place, cfg.year, reg=reg)
    tx = load_transactions(ws, cfg.year, engine)
    return assemble(place, cfg.year, engine, td, tx, reg)


def assemble(
    place: Place, year: str, engine: str, td: TopDownResult, tx: Transactions, reg: Registry
) -> PlaceCount:
    count = PlaceCount(place, year, engine, td.population, notes=list(td.notes))
    payers = _payers(reg, tx)
    groups: dict[str, list[TransactionGroup]] = defaultdict(list)
    for g in tx.groups:
        groups[g.paying_body].append(g)
    split: dict[str, str] = {}  # ecode -> payer name, for councils whose transactions split outturn
    for name, ecode in payers.items():
        own = [x for x in td.lines if x.method == "outturn" and x.body == ecode]
        if own and all(x.key_share == "1.000000" for x in own):
            split[ecode] = name
        elif own:
            count.notes.append(
                f"{name}: covers more than the place, so its transactions cannot split its "
                "outturn (it is shared by population)"
            )
    for name in sorted(set(groups) - set(split.values())):
        count.notes.append(
            f"{name}: {sum(g.rows for g in groups[name]):,} rows not used: no outturn of "
            "its own in this place's count to split"
        )
    controlled: dict[str, list[TopDownLine]] = defaultdict(list)
    for line in td.lines:
        if (
            line.method == "outturn"
            and line.body in split
            and line.subfunction != "housing_benefit"
        ):
            controlled[line.body].append(line)
        else:
            count.lines.append(_topdown_line(line))
    for ecode, lines in sorted(controlled.items()):
        _split_outturn(count, split[ecode], lines, groups[split[ecode]], tx)
    orgs = org_registry()
    units = frozenset(place.units)

    def serves_place(body: Body) -> bool:
        if not body.area_gss:
            return True  # national bodies serve everywhere
        covered: set[str] = set()
        for code in body.area_gss:
            try:
                covered.update(reg.units(code))
            except ConfigError:
                covered.add(code)
        return bool(covered & units)

    agencies = {
        name: _agency(controlled[ecode][0]) for ecode, name in split.items() if controlled[ecode]
    }
    count.transfers = classify_transfers(
        tx.groups,
        agencies,
        orgs,
        net_ecodes=frozenset(x.body for x in td.lines if x.method == "outturn"),
        gross_ids=frozenset(),  # no body is yet counted from its own gross transactions
        serves_place=serves_place,
    )
    if tx.outside_year_rows:
        count.notes.append(f"{tx.outside_year_rows:,} loaded rows fall outside {year}: not counted")
    return count


def _split_outturn(
    count: PlaceCount,
    payer: str,
    lines: list[TopDownLine],
    groups: list[TransactionGroup],
    tx: Transactions,
) -> None:
    agency = _agency(lines[0])
    control = sum(x.place_pence for x in lines)
    revenue = [g for g in groups if not g.capital]
    capital = sum(g.pence for g in groups if g.capital)
    if capital:
        count.notes.append(
            f"{payer}: {capital} pence of capital payments not used to split revenue outturn "
            "(capital comes from the regional lines)"
        )
    spent = 0
    by_cell: dict[tuple[str, str, bool], int] = defaultdict(int)
    rows: dict[tuple[str, str, bool], int] = defaultdict(int)
    for g in revenue:
        key = (g.theme, g.tier, g.pass_through or g.theme == PASS_THROUGH)
        by_cell[key] += g.pence
        rows[key] += g.rows
    for (theme, tier, passing), pence in sorted(by_cell.items()):
        line = CountLine(
            agency=agency,
            agency_type="local government",
            funder="council financing mix (estimate)",
            theme=theme,
            function="",
            tier=tier,
            capital_revenue="revenue",
            method="transactions",
            part="bottom_up",
            gross_net="gross (payments)",
            grade="A",
            pence=pence,
            source=f"spend rows of {payer} in {count.year}: {rows[(theme, tier, passing)]:,} rows",
        )
        if passing:
            count.pass_through.append(line)
        else:
            count.lines.append(line)
            spent += pence
    count.lines.append(
        CountLine(
            agency=agency,
            agency_type="local government",
            funder="council financing mix (estimate)",
            theme=RESIDUAL,
            function="",
            tier="not known",
            capital_revenue="revenue",
            method="outturn",
            part="top_down",
            gross_net="net (outturn less transactions)",
            grade="B",
            pence=control - spent,
            source=f"outturn control {control} pence less transactions {spent} pence",
            flags=(RESIDUAL_WHY,)
            + (("transactions exceed the outturn",) if spent > control else ()),
        )
    )
    cov = tx.coverage.get(payer)
    if cov is not None:
        count.coverage.append(
            Coverage(
                agency=agency,
                first=cov.first.isoformat(),
                last=cov.last.isoformat(),
                months=len(cov.months),
                months_list=cov.months,
                transactions_pence=spent,
                control_pence=control,
            )
        )
