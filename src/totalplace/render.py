"""Rich tables for the command line (the JSON forms are the objects' to_dict).

These and the other ``render_*`` functions print data as plain strings, for a
console with markup off (the command line's are), so square brackets in names
print as written."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from totalplace.money import millions, pounds

if TYPE_CHECKING:
    from totalplace.count.national import NationalCount
    from totalplace.count.place_count import Coverage, PlaceCount
    from totalplace.count.topdown import TopDownResult


def _shares(
    title: str,
    attr: str,
    parts: dict[str, int],
    total: int,
    top: int,
    beside: dict[str, list[str]] | None = None,
    beside_columns: tuple[str, ...] = (),
) -> Table:
    """The largest ``top`` parts with their share of ``total``, the rest summed;
    ``beside`` adds cells under ``beside_columns`` to the parts it names."""
    table = Table(title=title)
    table.add_column(attr)
    table.add_column("£m", justify="right")
    table.add_column("share", justify="right")
    extra = beside_columns if beside else ()
    for column in extra:
        table.add_column(column, justify="right")
    blank = [""] * len(extra)
    for name, pence in list(parts.items())[:top]:
        share = pence / total if total else 0.0
        cells = (beside or {}).get(name, blank) if extra else []
        table.add_row(name, millions(pence), f"{share:.1%}", *cells)
    if len(parts) > top:
        rest = sum(list(parts.values())[top:])
        table.add_row(f"{len(parts) - top} others", millions(rest), "", *blank)
    return table


def render_topdown(result: TopDownResult, console: Console, top: int = 15) -> None:
    data = result.to_dict()
    place = result.place
    console.print(
        Text(place.name, style="bold"),
        f"({len(place.units)} authorities), {result.year}"
        f"{', current spending only' if result.current_only else ''}",
        highlight=False,
    )
    for note in place.as_was:  # an authority named as it was in the year
        console.print(note, highlight=False)
    summary = Table(show_header=False)
    summary.add_column(justify="left")
    summary.add_column(justify="right")
    for label, key in [
        ("total", "total_pence"),
        ("current", "current_pence"),
        ("capital", "capital_pence"),
        ("per head", "per_head_pence"),
    ]:
        value = data[key]
        assert isinstance(value, int)
        summary.add_row(label, pounds(value) if key == "per_head_pence" else millions(value))
    summary.add_row("population", f"{result.population:,}")
    console.print(summary)
    for title, attr in [("by department", "department"), ("by function", "function")]:
        console.print(_shares(title, attr, result.by(attr), result.total_pence, top))
    outturn = sum(result.outturn_by_kind.values())
    regional = sum(result.regional_replaced.values())
    if outturn or regional:
        console.print(
            f"Local government on the council-outturn basis: {millions(outturn)}, against "
            f"{millions(regional)} of regional (CRA) lines it replaced.",
            highlight=False,
        )
    flags = sorted({f for line in result.lines for f in line.flags})
    if flags:
        console.print(Text("estimates:", style="bold"), "; ".join(flags), highlight=False)
    console.print(
        f"Non-identifiable spending (defence, debt interest...) is not apportioned: "
        f"{millions(result.non_identifiable_pence)} nationally.",
        highlight=False,
    )


def _classified(count: PlaceCount) -> dict[str, list[str]]:
    """Beside each agency counted from its payments: how much of them (by value,
    revenue and not pass-through) rules, the model or nothing classified."""
    out: dict[str, list[str]] = {}
    for c in count.classification:
        cells = []
        for pence in (c.rules_pence, c.model_pence, c.unclassified_pence):
            share = c.share(pence)
            if pence == 0:
                cells.append("none")  # not £0.0m, which could hide a few thousand pounds
            else:
                cells.append(millions(pence) + (f" ({share:.1%})" if share is not None else ""))
        out[c.agency] = cells
    return out


def _coverage_text(count: PlaceCount, c: Coverage) -> str:
    """What an agency counted from its payments covers, and how its figure is
    made: a council splitting its outturn keeps each service's outturn, its
    payments placed in the service and the rest as the service's own line
    ('outturn less payments'); a body counted gross is its payments."""
    from totalplace.count.services import RESIDUAL_METHOD, RESIDUAL_WHY

    seen = f"{c.agency}: transactions {c.first} to {c.last} ({c.months} of 12 months)"
    if not c.control_pence:
        own = millions(c.transactions_pence)
        return f"{seen} counted from its own payments, {own} (not annualised)"
    rest = sum(x.pence for x in count.lines if x.agency == c.agency and x.method == RESIDUAL_METHOD)
    kept = c.outturn_services_pence
    return (
        f"{seen}: each service keeps its outturn, {millions(c.control_pence)} in all; "
        f"{millions(c.transactions_pence)} of payments are placed in its services and "
        f"{millions(rest)} is each service's outturn less payments ({RESIDUAL_WHY})"
        + (f", of which {millions(kept)} is services with no classified payments" if kept else "")
        + " (not annualised)"
    )


def _set_apart(count: PlaceCount) -> Table:
    """Capital and council-housing payments kept out of a council's revenue
    split, by agency and kind: shown beside the count, not added to it."""
    table = Table(title="set apart: capital and council housing (not counted)")
    for column in ("agency", "kind", "grade"):
        table.add_column(column)
    table.add_column("£m", justify="right")
    summed: dict[tuple[str, str, str], int] = defaultdict(int)
    for x in count.set_apart:
        summed[(x.agency, x.flags[0] if x.flags else x.service, x.grade)] += x.pence
    for (agency, kind, grade), pence in sorted(summed.items()):
        table.add_row(agency, kind, grade, millions(pence))
    if len(summed) > 1:
        table.add_row("all set apart", "", "", millions(sum(summed.values())))
    return table


def render_count(count: PlaceCount, console: Console, top: int = 15) -> None:
    # the count's modules (Ibis, the taxonomy) load here, not for render_topdown
    from totalplace.classify.taxonomy import theme_label
    from totalplace.count.capital import NOT_IN_REFERENCE
    from totalplace.count.funding import MIX_FLAG
    from totalplace.count.services import RESIDUAL_METHOD

    place = count.place
    console.print(
        Text(place.name, style="bold"),
        f"{count.year}: the Total Place count",
        sep=", ",
        highlight=False,
    )
    summary = Table(show_header=False)
    summary.add_column(justify="left")
    summary.add_column(justify="right")
    for label, pence in [
        ("total", count.total_pence),
        ("bottom up: transactions", count.bottom_up_pence),
        ("top down: outturn, outturn less payments, apportioned", count.top_down_pence),
        ("transfers eliminated", count.transfers_eliminated_pence),
        ("pass-through (shown, not counted)", count.pass_through_pence),
    ]:
        summary.add_row(label, millions(pence))
    if count.set_apart:
        apart = sum(x.pence for x in count.set_apart)
        summary.add_row("capital and council housing set apart (not counted)", millions(apart))
    if count.population:
        summary.add_row("per head", pounds(round(count.total_pence / count.population)))
    summary.add_row("population", f"{count.population:,}" if count.population else "not known")
    console.print(summary)
    console.print(
        "total = bottom up + top down - transfers eliminated. A council's outturn by service "
        "is the control total: its payments split each service, and what they do not show is "
        f"the service's own line, '{RESIDUAL_METHOD}'.",
        highlight=False,
    )
    total = count.total_pence
    columns = ("classified by rules", "by the model", "unclassified")
    beside = _classified(count)
    console.print(_shares("by agency", "agency", count.by("agency"), total, top, beside, columns))
    by_theme = {theme_label(t): pence for t, pence in count.by("theme").items()}
    console.print(_shares("by theme", "theme", by_theme, total, top))
    for x in count.lines:
        if x.basis:
            reason = next((f for f in x.flags if f != MIX_FLAG), "")
            console.print(
                f"{x.agency}: {x.theme} {millions(x.pence)} counted from its {x.basis}; {reason}",
                highlight=False,
            )
    for c in count.coverage:
        console.print(_coverage_text(count, c), highlight=False)
    for r in count.bridges:  # bodies the study counts gross: their payments against outturn
        whole = "not shipped" if r.outturn_pence is None else millions(r.outturn_pence)
        console.print(
            f"{r.agency}: counted gross, {millions(r.payments_pence)} of payments over "
            f"{r.months} months in place of {millions(r.replaced_pence)} of outturn lines "
            f"(net current expenditure {whole})",
            highlight=False,
        )
    for basis in ("gross", "net"):  # the rest are shares of regional lines
        named = [b.agency for b in count.bases if b.basis == basis]
        if named:
            console.print(f"counted {basis}: {', '.join(named)}", highlight=False)
    if count.set_apart:
        console.print(_set_apart(count))
        console.print(f"set apart, not counted: {NOT_IN_REFERENCE}", highlight=False)
        for a in count.set_apart_against:  # beside the council's HRA, or nothing shipped
            held = "nothing shipped" if a.reference_pence is None else millions(a.reference_pence)
            share = "" if a.share is None else f", {a.share:.1%} of it"
            console.print(
                f"{a.agency}: {a.kind} payments {millions(a.payments_pence)} set against "
                f"{a.reference}: {held}{share}; {a.note}",
                highlight=False,
            )
    for note in count.notes:
        console.print(f"note: {note}", highlight=False)
    for w in count.warnings:
        warning = Text("warning:", style="bold red")
        console.print(warning, f"{w.message} [{w.slug}]", highlight=False)


def render_national(result: NationalCount, console: Console) -> None:
    """Every authority's top-down count, largest per head first, and the check
    that they add up to England."""
    table = Table(title=f"Top-down count of every English authority, {result.year}")
    for column in ("authority", "GSS", "kind", "population", "total", "per head"):
        table.add_column(
            column, justify="left" if column in ("authority", "GSS", "kind") else "right"
        )
    for p in sorted(result.places, key=lambda p: (-p.per_head_pence, p.gss)):
        table.add_row(
            p.name,
            p.gss,
            p.kind,
            f"{p.population:,}",
            millions(p.total_pence),
            pounds(p.per_head_pence),
        )
    console.print(table)
    same = "equal" if result.places_sum_pence == result.england_total_pence else "NOT equal"
    console.print(
        f"{len(result.places)} authorities add up to {millions(result.places_sum_pence)}; "
        f"England's identifiable spending {millions(result.england_total_pence)} "
        f"({same} to the penny). Counties are their districts' sums (--json lists them).",
        highlight=False,
    )
