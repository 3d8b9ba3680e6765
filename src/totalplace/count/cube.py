"""The Total Place count: one cube of all public money in a place.

Outturn by service is the control total.  The top-down count (regional lines
apportioned by key, councils' and joint bodies' own Revenue Outturn) gives
every line; for a council whose own transactions are in the workspace, each
service of its outturn (less housing benefit, which has its own line) keeps
its figure and is split by the payments placed in it into themes and
prevention tiers; what they cannot see (pay, payments under £500, months not
covered) is a line of the service's own theme (see
:mod:`totalplace.count.services`).  Capital and council-housing payments are
set apart first (:mod:`totalplace.count.capital`), and payments to levying
bodies are pass-through.  Part-year coverage is reported, never annualised.

    total = bottom_up + top_down - transfers_eliminated

``bottom_up`` is the transaction-split part; ``top_down`` is every outturn
and apportioned line, the services' residual lines included.

Beside each agency counted from its payments, the count says how much of
them rules, the model or nothing classified; it warns when a council's
payments in the year come to more than its net current expenditure (see
:mod:`totalplace.count.over_outturn`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace

from totalplace.classify.taxonomy import (
    PASS_THROUGH,
    function_for_theme,
)
from totalplace.count.capital import (
    CAPITAL_COLUMN,
    NOT_IN_REFERENCE,
    ApartGroup,
    load_set_apart,
    take_out,
)
from totalplace.count.councils import LEVY_BODY, has_outturn
from totalplace.count.funding import MIX_FLAG
from totalplace.count.gross import GrossChoice, bases, bridge, choose_gross, find_body, within
from totalplace.count.over_outturn import net_current_expenditure, over_outturn
from totalplace.count.place_count import Classification, CountLine, Coverage, PlaceCount
from totalplace.count.services import (
    PLACED_PRO_RATA,
    Part,
    outturn_services,
    place_payments,
    residual_lines,
)
from totalplace.count.topdown import (
    TopDownLine,
    TopDownResult,
    line_theme,
    outturn_theme,
    topdown,
)
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
from totalplace.money import pounds
from totalplace.orgs import Body, OrgRegistry, org_registry, resolve_names
from totalplace.reference.places import Place, Registry, registry, resolve_place
from totalplace.reference.regional import years as regional_years
from totalplace.workspace import Workspace

ORGS_DIR = "orgs"  # a workspace's own bodies and aliases
# What a service's residual line holds (its theme is the service's own; its
# method is services.RESIDUAL_METHOD).
RESIDUAL = "not in transaction data"


def _agency(line: TopDownLine) -> str:
    return line.programme.split(":")[0] if line.method == "outturn" else line.department


def _topdown_line(line: TopDownLine) -> CountLine:
    theme = line_theme(line)
    if line.method == "outturn":
        funder = "financing mix (estimate)"
        gross_net = "net (Revenue Outturn net current expenditure)"
    else:
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
        service=theme,
        key=line.key,
        key_year=line.key_year,
        source_basis=line.basis,
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


def build_count(ws: Workspace, engine: str = "duckdb", gross: Sequence[str] = ()) -> PlaceCount:
    """Count the workspace's place for its year; ``gross`` (with the study's
    ``gross`` setting) names bodies to count gross from their own payments."""
    cfg = ws.config
    reg = registry()
    orgs = org_registry(ws.root / ORGS_DIR)
    wanted = [find_body(name, orgs) for name in dict.fromkeys([*cfg.gross, *gross])]
    tx = load_transactions(ws, cfg.year, engine)
    try:
        place = resolve_place(",".join(cfg.place), cfg.year)
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
        return assemble(place, cfg.year, engine, td, tx, reg, orgs, wanted)
    shipped = regional_years()
    if cfg.year in shipped:
        td = topdown(place, cfg.year, reg=reg)
    elif wanted:  # a year with no regional lines: the bodies counted gross are the count
        td = TopDownResult(place, cfg.year, current_only=False, population=0)
        td.population = sum(reg.population(u, int(cfg.year[:4]))[0] for u in place.units)
        td.notes.append(
            f"no regional lines for {cfg.year} (they run {shipped[0]} to {shipped[-1]}): "
            "the count holds only the bodies counted from their payments"
        )
    else:
        raise ConfigError(
            f"no regional spending for {cfg.year}; years run {shipped[0]} to {shipped[-1]}. "
            "To count a body from a full year of its own payments, use --gross BODY"
        )
    # capital and council housing are set apart only where a council's outturn is split
    apart = load_set_apart(ws, cfg.year, engine) if tx.groups and has_outturn(cfg.year) else []
    return assemble(place, cfg.year, engine, td, tx, reg, orgs, wanted, apart)


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
    gross_bodies: Sequence[Body] = (),
    apart: Sequence[ApartGroup] = (),
) -> PlaceCount:
    count = PlaceCount(place, year, engine, td.population, notes=list(td.notes))
    count.local_government_basis = td.basis_report()
    payers = _payers(reg, tx)
    groups: dict[str, list[TransactionGroup]] = defaultdict(list)
    for g in tx.groups:
        groups[g.paying_body].append(g)
    chosen = choose_gross(
        gross_bodies,
        groups,
        {name: cov.months for name, cov in tx.coverage.items()},
        year,
        orgs,
        frozenset(x.body for x in td.lines if x.method == "outturn"),
        within(reg, place.units),
        bool(td.lines),
    )
    split: dict[str, str] = {}  # ecode -> payer name, for councils whose transactions split outturn
    for name, ecode in payers.items():
        if name in chosen:
            continue  # counted gross from its payments, not split
        own = [x for x in td.lines if x.method == "outturn" and x.body == ecode]
        # the whole council is in the place: its share is exactly one, in integers
        if own and all(x.key_share_parts[0] == x.key_share_parts[1] for x in own):
            split[ecode] = name
        elif own:
            count.notes.append(
                f"{name}: covers more than the place, so its transactions cannot split its "
                "outturn (it is shared by population)"
            )
    serves = _serves(reg, frozenset(place.units))
    gross: dict[str, Body] = {name: choice.body for name, choice in chosen.items()}
    if not td.lines:
        gross |= _gross_bodies(sorted(set(groups) - set(split.values()) - set(gross)), orgs, serves)
    gross_ecodes = {c.ecode for c in chosen.values() if c.ecode}
    replaced: dict[str, list[TopDownLine]] = defaultdict(list)  # by gross payments
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
            and line.subfunction not in LEVY_BODY  # a levy kept is another body's spending
        ):
            controlled[line.body].append(line)
        elif (
            line.method == "outturn"
            and line.body in gross_ecodes
            and line.subfunction != "housing_benefit"
            and line.subfunction not in LEVY_BODY
        ):
            replaced[line.body].append(line)
        else:
            count.lines.append(_topdown_line(line))
    for ecode, lines in sorted(controlled.items()):
        paid = _levies_as_pass_through(count, split[ecode], groups[split[ecode]], orgs)
        paid, shown = take_out(paid, list(apart))
        _set_apart_lines(count, split[ecode], _agency(lines[0]), ecode, shown)
        _split_outturn(count, split[ecode], lines, paid, tx)
    for name, ecode in sorted(payers.items()):
        whole = net_current_expenditure(year, ecode)
        split_lines = controlled.get(ecode, [])
        agency = _agency(split_lines[0]) if split_lines else name
        if whole is not None and (found := over_outturn(year, agency, name, whole, groups[name])):
            count.warnings.append(found)
    agencies = {name: _agency(controlled[e][0]) for e, name in split.items() if controlled[e]}
    for name, body in sorted(gross.items()):
        own = replaced.get(chosen[name].ecode or "", []) if name in chosen else []
        agencies[name] = _agency(own[0]) if own else body.name
        _gross_lines(count, name, agencies[name], body, groups[name], tx)
    _bridges(count, chosen, agencies, replaced, groups, tx)
    count.bases = bases(count.lines, {agencies[name] for name in gross})
    count.transfers = classify_transfers(
        tx.groups,
        agencies,
        orgs,
        net_ecodes=frozenset(
            x.body for x in td.lines if x.method == "outturn" and x.body not in gross_ecodes
        ),
        gross_ids=frozenset(body.id for body in gross.values()),
        serves_place=serves,
        gross_payers={name: body.id for name, body in gross.items()},
        top_down=bool(td.lines),
    )
    if tx.outside_year_rows:
        count.notes.append(f"{tx.outside_year_rows:,} loaded rows fall outside {year}: not counted")
    return count


# Bodies a council pays levies to: a payment to one that has its own Revenue
# Outturn (an E-code) is a levy, which the council's outturn has taken out.
LEVYING_KINDS = ("passenger_transport", "waste_authority", "combined_authority", "joint_authority")


def levying_bodies(orgs: OrgRegistry) -> frozenset[str]:
    """The bodies a council's payment to is a levy: one of LEVYING_KINDS with an
    outturn of its own.  The count and trace both take levies from here."""
    return frozenset(b.id for k in LEVYING_KINDS for b in orgs.bodies(k) if b.code("ecode"))


def _levies_as_pass_through(
    count: PlaceCount, payer: str, groups: list[TransactionGroup], orgs: OrgRegistry
) -> list[TransactionGroup]:
    """A council's payment cells with its payments to levying bodies marked
    pass-through (a transport levy booked as a contribution to provisions is
    still a levy)."""
    levies = levying_bodies(orgs)
    levying = {g.payee_body for g in groups if g.payee_body in levies and not g.pass_through}
    if not levying:
        return groups
    moved = [g for g in groups if g.payee_body in levying and not g.capital and not g.pass_through]
    names = ", ".join(sorted(orgs.get(b).name for b in levying))
    count.notes.append(
        f"{payer}: {pounds(sum(g.pence for g in moved))} paid to {names} counted as levies "
        "(pass-through), whatever the payments' lines say: the council's outturn has its levies "
        "taken out and the bodies' own spending is counted"
    )
    return [replace(g, pass_through=True) if g in moved else g for g in groups]


def _set_apart_lines(
    count: PlaceCount, payer: str, agency: str, body: str, shown: list[ApartGroup]
) -> None:
    """A council's capital and council-housing payments as lines of their own,
    shown beside the count and not added to it."""
    by: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for a in shown:
        cell = by[(a.kind, a.group.theme, a.group.tier)]
        cell[0] += a.group.pence
        cell[1] += a.group.rows
    for (kind, theme, tier), (pence, rows) in sorted(by.items()):
        count.set_apart.append(
            CountLine(
                agency=agency,
                agency_type="local government",
                funder="not known",
                theme=theme,
                function=function_for_theme(theme),
                tier=tier,
                capital_revenue="revenue (HRA)" if kind.startswith("council") else "capital",
                method="transactions",
                part="set_apart",
                gross_net="gross (payments)",
                grade="A" if kind == CAPITAL_COLUMN else "C",
                pence=pence,
                source=f"spend rows of {payer} in {count.year}: {rows:,} rows",
                payer=payer,
                flags=(kind, NOT_IN_REFERENCE),
                body=body,
                service="capital" if kind.startswith("capital") else "housing_revenue_account",
            )
        )
    if shown:
        total = sum(a.group.pence for a in shown)
        count.notes.append(
            f"{payer}: {pounds(total)} of payments are capital or council housing, set apart "
            f"from the revenue split: {NOT_IN_REFERENCE}"
        )


def _passing(g: TransactionGroup) -> bool:
    return g.pass_through or g.theme == PASS_THROUGH


def _transaction_lines(
    count: PlaceCount,
    payer: str,
    agency: str,
    agency_type: str,
    groups: list[TransactionGroup],
    body: str = "",
    parts: list[Part] | None = None,
) -> int:
    """Bottom-up lines of one payer's revenue payments by theme and tier (pass-through
    shown apart); returns what they add up to.  ``parts`` places a council's
    revenue payments in its outturn services (see :mod:`totalplace.count.services`);
    without it each payment's service is its theme."""
    capital = sum(g.pence for g in groups if g.capital)
    if capital:
        count.notes.append(
            f"{payer}: {capital} pence of capital payments not used "
            "(capital comes from the regional lines)"
        )
    Cell = tuple[str, str, bool, str, str, bool]  # theme, tier, passing, by, service, shared
    by_cell: dict[Cell, list[int]] = defaultdict(lambda: [0, 0])
    rows_of: dict[str, int] = defaultdict(int)  # not pass-through, by classified_by
    if parts is None:
        revenue = [g for g in groups if not g.capital and not _passing(g)]
        parts = [Part(g, g.theme, g.pence, False) for g in revenue]
    for g in groups:
        if not g.capital and _passing(g):
            cell = by_cell[(g.theme, g.tier, True, g.classified_by, g.theme, False)]
            cell[0] += g.pence
            cell[1] += g.rows
        elif not g.capital:
            rows_of[g.classified_by] += g.rows
    for p in parts:
        g = p.group
        cell = by_cell[(g.theme, g.tier, False, g.classified_by, p.service, p.estimated)]
        cell[0] += p.pence
        cell[1] += 0 if p.estimated and p.pence != g.pence else g.rows
    spent = 0
    by: dict[str, int] = defaultdict(int)
    for key, (pence, rows) in sorted(by_cell.items()):
        theme, tier, passing, classified_by, service, shared = key
        # themes the model gave are an estimate a rule would not need: graded lower
        model = classified_by == BY_MODEL
        about = f"{rows:,} rows" if rows or not shared else "a share of its rows"
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
            grade="B" if model or shared else "A",
            pence=pence,
            source=f"spend rows of {payer} in {count.year}: {about}"
            + (", themes from the model" if model else ""),
            payer=payer,
            flags=((MIX_FLAG,) if body else ()) + ((PLACED_PRO_RATA,) if shared else ()),
            body=body,
            service=service,
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
                sum(rows_of.values()),
            )
        )
    return spent


def _bridges(
    count: PlaceCount,
    chosen: dict[str, GrossChoice],
    agencies: dict[str, str],
    replaced: dict[str, list[TopDownLine]],
    groups: dict[str, list[TransactionGroup]],
    tx: Transactions,
) -> None:
    """The bridge from payments to outturn of each body the study counts gross."""
    for choice in {c.body.id: c for c in chosen.values()}.values():
        own = replaced.get(choice.ecode or "", [])
        months = {m for p in choice.payers for m in tx.coverage[p].months}
        count.bridges.append(
            bridge(
                agencies[choice.payers[0]],
                choice,
                count.year,
                [g for p in choice.payers for g in groups[p]],
                sum(x.place_pence for x in own),
                len(months),
            )
        )


def _gross_lines(
    count: PlaceCount,
    payer: str,
    agency: str,
    body: Body,
    groups: list[TransactionGroup],
    tx: Transactions,
) -> None:
    spent = _transaction_lines(count, payer, agency, body.kind, groups)
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
    """A council's outturn (less housing benefit) service by service: each
    service keeps its outturn figure, its payments split it and the rest is the
    service's own residual line (see :mod:`totalplace.count.services`)."""
    agency = _agency(lines[0])
    control = sum(x.place_pence for x in lines)
    body = lines[0].body
    theme_of = {x.subfunction: outturn_theme(x.subfunction) for x in lines}
    services = outturn_services(lines, theme_of)
    revenue = [g for g in groups if not g.capital and not _passing(g)]
    parts = place_payments(services, revenue)
    spent = _transaction_lines(count, payer, agency, "local government", groups, body, parts)
    residuals = residual_lines(services, parts, agency, body, count.year)
    count.lines.extend(residuals)
    from_outturn = sum(x.pence for x in residuals if x.basis)
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
