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

A service the council's outturn funds and its classified payments do not
show at all is counted from its outturn, with the reason (see
:mod:`totalplace.count.services`); the residual is what is left after it.
Beside each agency counted from its payments, the count says how much of
them rules, the model or nothing classified; it warns when a council's
payments in the year come to more than its net current expenditure (see
:mod:`totalplace.count.over_outturn`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from totalplace.classify.taxonomy import (
    PASS_THROUGH,
    function_for_theme,
    theme_for_cofog,
    theme_for_outturn_line,
)
from totalplace.count.funding import MIX_FLAG
from totalplace.count.over_outturn import net_current_expenditure, over_outturn
from totalplace.count.place_count import Classification, CountLine, Coverage, PlaceCount
from totalplace.count.services import unseen_services
from totalplace.count.topdown import TopDownLine, TopDownResult, topdown
from totalplace.count.transactions import (
    BY_MODEL,
    BY_RULES,
    UNCLASSIFIED,
    TransactionGroup,
    Transactions,
    load_transactions,
)
from totalplace.count.transfers import classify_transfers
from totalplace.errors import ConfigError
from totalplace.orgs import Body, OrgRegistry, org_registry, resolve_names
from totalplace.reference.places import Place, Registry, registry, resolve_place
from totalplace.workspace import Workspace

ORGS_DIR = "orgs"  # a workspace's own bodies and aliases
RESIDUAL = "not in transaction data"
RESIDUAL_WHY = "pay, payments under £500, benefits and months not covered by the transactions"
OUTTURN_THEME_FALLBACK = {
    "housing_benefit": "housing_benefit_rent_allowances",
    "other_items": "central_services",
}


def _outturn_theme(line: str) -> str:
    return theme_for_outturn_line(OUTTURN_THEME_FALLBACK.get(line, line))


def _agency(line: TopDownLine) -> str:
    return line.programme.split(":")[0] if line.method == "outturn" else line.department


def _topdown_line(line: TopDownLine) -> CountLine:
    if line.method == "outturn":
        theme = _outturn_theme(line.subfunction)
        funder = "financing mix (estimate)"
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
        flags=(*line.flags, MIX_FLAG) if line.method == "outturn" else line.flags,
        body=line.body,
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
    reg = registry()
    orgs = org_registry(ws.root / ORGS_DIR)
    tx = load_transactions(ws, cfg.year, engine)
    try:
        place = resolve_place(",".join(cfg.place))
    except ConfigError:
        # A place outside the registry (the demo's, or a new authority): no
        # top-down lines, so its bodies are counted from their own transactions.
        place = Place(
            spec=",".join(cfg.place),
            name=cfg.name or ",".join(cfg.place),
            codes=tuple(cfg.place),
            units=tuple(cfg.place),
        )
        td = TopDownResult(place, cfg.year, current_only=False, population=0)
        td.notes.append(
            f"{place.spec} is not in the place registry: no top-down lines; "
            "bodies serving it are counted from their own transactions"
        )
        return assemble(place, cfg.year, engine, td, tx, reg, orgs)
    return assemble(place, cfg.year, engine, topdown(place, cfg.year, reg=reg), tx, reg, orgs)


def _serves(reg: Registry, units: frozenset[str]) -> Callable[[Body], bool]:
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

    return serves_place


def _gross_bodies(
    payers: list[str], orgs: OrgRegistry, serves: Callable[[Body], bool]
) -> dict[str, Body]:
    """Payers counted from their own gross transactions: public bodies serving
    the place (never NHS providers: the count holds commissioners)."""
    out: dict[str, Body] = {}
    for r in resolve_names(payers, orgs):
        if r.status != "accepted" or r.body_id is None:
            continue
        body = orgs.get(r.body_id)
        if body.kind != "nhs_provider" and serves(body):
            out[r.name] = body
    return out


def assemble(
    place: Place,
    year: str,
    engine: str,
    td: TopDownResult,
    tx: Transactions,
    reg: Registry,
    orgs: OrgRegistry,
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
    serves = _serves(reg, frozenset(place.units))
    gross: dict[str, Body] = {}
    if not td.lines:
        gross = _gross_bodies(sorted(set(groups) - set(split.values())), orgs, serves)
    for name in sorted(set(groups) - set(split.values()) - set(gross)):
        rows = sum(g.rows for g in groups[name])
        if name in payers and not any(x.body == payers[name] for x in td.lines):
            count.notes.append(f"{name}: {rows:,} rows not used: outside the place")
            continue
        count.notes.append(
            f"{name}: {rows:,} rows not used: not a council or "
            "joint body whose own outturn this count holds (an arm's-length body's money is "
            "in its council's outturn; other bodies are counted top down)"
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
    for name, ecode in sorted(payers.items()):
        whole = net_current_expenditure(year, ecode)
        split_lines = controlled.get(ecode, [])
        agency = _agency(split_lines[0]) if split_lines else name
        if whole is not None and (found := over_outturn(year, agency, name, whole, groups[name])):
            count.warnings.append(found)
    for name, body in sorted(gross.items()):
        _gross_lines(count, name, body, groups[name], tx)
    agencies = {name: _agency(controlled[e][0]) for e, name in split.items() if controlled[e]}
    agencies |= {name: body.name for name, body in gross.items()}
    count.transfers = classify_transfers(
        tx.groups,
        agencies,
        orgs,
        net_ecodes=frozenset(x.body for x in td.lines if x.method == "outturn"),
        gross_ids=frozenset(body.id for body in gross.values()),
        serves_place=serves,
    )
    if tx.outside_year_rows:
        count.notes.append(f"{tx.outside_year_rows:,} loaded rows fall outside {year}: not counted")
    return count


def _transaction_lines(
    count: PlaceCount,
    payer: str,
    agency: str,
    agency_type: str,
    groups: list[TransactionGroup],
    body: str = "",
) -> int:
    """Bottom-up lines of one payer's revenue payments by theme and tier (pass-through
    shown apart); returns what they add up to."""
    capital = sum(g.pence for g in groups if g.capital)
    if capital:
        count.notes.append(
            f"{payer}: {capital} pence of capital payments not used "
            "(capital comes from the regional lines)"
        )
    by_cell: dict[tuple[str, str, bool, str], list[int]] = defaultdict(lambda: [0, 0])
    for g in groups:
        if not g.capital:
            passing = g.pass_through or g.theme == PASS_THROUGH
            cell = by_cell[(g.theme, g.tier, passing, g.classified_by)]
            cell[0] += g.pence
            cell[1] += g.rows
    spent = 0
    by: dict[str, int] = defaultdict(int)
    for (theme, tier, passing, classified_by), (pence, rows) in sorted(by_cell.items()):
        # themes the model gave are an estimate a rule would not need: graded lower
        model = classified_by == BY_MODEL
        line = CountLine(
            agency=agency,
            agency_type=agency_type,
            funder="own financing mix (estimate)",
            theme=theme,
            function=function_for_theme(theme),
            tier=tier,
            capital_revenue="revenue",
            method="transactions",
            part="bottom_up",
            gross_net="gross (payments)",
            grade="B" if model else "A",
            pence=pence,
            source=f"spend rows of {payer} in {count.year}: {rows:,} rows"
            + (", themes from the model" if model else ""),
            flags=(MIX_FLAG,) if body else (),
            body=body,
        )
        if passing:
            count.pass_through.append(line)
        else:
            count.lines.append(line)
            spent += pence
            by[classified_by] += pence
    if by_cell:
        count.classification.append(
            Classification(
                agency,
                by[BY_RULES],
                by[BY_MODEL],
                by[UNCLASSIFIED],
                sum(n for (_, _, passing, _), (_, n) in by_cell.items() if not passing),
            )
        )
    return spent


def _gross_lines(
    count: PlaceCount, payer: str, body: Body, groups: list[TransactionGroup], tx: Transactions
) -> None:
    spent = _transaction_lines(count, payer, body.name, body.kind, groups)
    cov = tx.coverage.get(payer)
    if cov is not None:
        count.coverage.append(
            Coverage(
                body.name,
                cov.first.isoformat(),
                cov.last.isoformat(),
                len(cov.months),
                cov.months,
                spent,
                0,
            )
        )


def _split_outturn(
    count: PlaceCount,
    payer: str,
    lines: list[TopDownLine],
    groups: list[TransactionGroup],
    tx: Transactions,
) -> None:
    agency = _agency(lines[0])
    control = sum(x.place_pence for x in lines)
    body = lines[0].body
    spent = _transaction_lines(count, payer, agency, "local government", groups, body)
    theme_of = {x.subfunction: _outturn_theme(x.subfunction) for x in lines}
    kept = unseen_services(theme_of, lines, groups)
    count.lines.extend(service.line(agency, body, count.year) for service in kept)
    from_outturn = sum(s.pence for s in kept)
    over: tuple[str, ...] = ()
    if spent > control:
        over = ("transactions exceed the outturn",)
    elif spent + from_outturn > control:
        # the residual goes negative only because of the services from outturn
        over = (
            "transactions and the services counted from the outturn exceed it: the "
            "unclassified payments may hold those services' spending",
        )
    less = f" less services counted from their outturn {from_outturn} pence" if kept else ""
    count.lines.append(
        CountLine(
            agency=agency,
            agency_type="local government",
            funder="council financing mix (estimate)",
            theme=RESIDUAL,
            function="not known",
            tier="not known",
            capital_revenue="revenue",
            method="outturn",
            part="top_down",
            gross_net="net (outturn less transactions)",
            grade="B",
            pence=control - from_outturn - spent,
            source=f"outturn control {control} pence{less} less transactions {spent} pence",
            flags=(RESIDUAL_WHY, MIX_FLAG, *over),
            body=body,
        )
    )
    cov = tx.coverage.get(payer)
    if cov is not None:
        count.coverage.append(
            Coverage(
                agency,
                cov.first.isoformat(),
                cov.last.isoformat(),
                len(cov.months),
                cov.months,
                spent,
                control,
                from_outturn,
            )
        )
