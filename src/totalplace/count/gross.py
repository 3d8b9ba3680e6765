"""Bodies counted gross from their own payments, the bridge to their outturn,
and which bodies the count holds gross, net or top down.

A study may choose to count a body **gross**: from its own payments in the
year instead of its Revenue Outturn (net current expenditure, after fees,
charges and some grants are netted off) or a share of HM Treasury's regional
lines.  Only a payment to a body counted gross can be eliminated as a
transfer: the payee spends the money again and it would count twice.  Three
rules keep the count whole:

* every month of the financial year, April to March, has payments of the
  body loaded: part of a year would be counted as if it were the whole;
* the body serves no more than the place (its outturn is the place's whole,
  not a population share): its payments are then all the place's;
* the body's outturn lines (less housing benefit, which its payments do not
  show, and levies the count keeps as the levying bodies' spending) leave the
  count and its payments take their place.  A body the count
  holds only inside its funding department's regional lines (an NHS
  commissioner, a central body), or a council in a year the count apportions
  local government instead of taking outturn, cannot be counted gross: its
  spending is already inside those lines and would count twice.

Beside each body counted gross the count shows the bridge: its payments in
the year against its net current expenditure, and the grants its outturn's
financing shows.  Payments over £500 leave out pay and small payments, and
outturn is net of income, so the two differ by design; the bridge says by how
much.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from typing import Any

from totalplace.classify.taxonomy import PASS_THROUGH
from totalplace.count.transactions import TransactionGroup
from totalplace.errors import ConfigError
from totalplace.orgs import Body, OrgRegistry, resolve_names
from totalplace.reference.outturn import outturn, years
from totalplace.reference.places import Registry
from totalplace.reference.places import registry as place_registry

GROSS = "gross"
NET = "net"
TOP_DOWN = "top down"
HOUSING_BENEFIT = "housing_benefit"
NET_CURRENT_EXPENDITURE = "net_current_expenditure"
# Grants that fund a council's net current expenditure, from its outturn's
# financing (RS signs them negative); fees and charges are not published there.
GRANT_LINES = ("specific_grants_inside_aef", "specific_grants_outside_aef", "area_based_grant")


@dataclass(frozen=True)
class Basis:
    """How the count holds one agency: gross from its payments, net from its
    own outturn, or top down as a share of regional lines."""

    agency: str
    basis: str  # GROSS, NET or TOP_DOWN
    pence: int
    how: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Bridge:
    """A body counted gross: its payments against its outturn."""

    agency: str
    body_id: str
    payers: tuple[str, ...]  # the payer names in the spend rows
    months: int
    payments_pence: int  # revenue payments in the year, not pass-through: what is counted
    pass_through_pence: int
    capital_pence: int
    outturn_pence: int | None  # net current expenditure for the year, when shipped
    replaced_pence: int  # its outturn lines the payments replace in the count
    grants_pence: Mapping[str, int] = field(default_factory=dict)

    @property
    def difference_pence(self) -> int:
        """What counting the body gross adds to the count (negative: takes away)."""
        return self.payments_pence - self.replaced_pence

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "payers": list(self.payers),
            "grants_pence": dict(self.grants_pence),
            "difference_pence": self.difference_pence,
            "note": (
                "payments over £500 leave out pay and small payments; outturn is net "
                "of fees, charges and grants; the two differ by design"
            ),
        }


@dataclass(frozen=True)
class GrossChoice:
    """A body the study counts gross, with the payer names its rows carry."""

    body: Body
    payers: tuple[str, ...]
    ecode: str | None


def find_body(name: str, orgs: OrgRegistry) -> Body:
    """The body ``name`` means: a registry id, a code (GSS, E-code, ODS) or
    any name or alias the registry knows."""
    text = name.strip()
    for lookup in (orgs.get, orgs.by_code):
        try:
            return lookup(text)
        except ConfigError:
            pass
    (found,) = resolve_names([text], orgs)
    if found.status == "accepted" and found.body_id is not None:
        return orgs.get(found.body_id)
    if found.candidates:
        names = "; ".join(orgs.get(c).name for c in found.candidates)
        raise ConfigError(
            f"--gross {name!r} is not one body for sure; it may be: {names}. "
            "Give the body's full name or its code."
        )
    hint = "add it in DIR/orgs/*.csv or give a name the registry knows"
    with suppress(ConfigError):  # a place's name: its council is the likely meaning
        hint = f"did you mean {orgs.by_code(place_registry().find(text).gss).name!r}?"
    raise ConfigError(
        f"--gross {name!r}: no public body of that name or code is in the organisation "
        f"registry; {hint}"
    )


def months_of_year(year: str) -> list[str]:
    """The months of financial year ``year`` ("2010-11"), April to March."""
    start = int(year[:4])
    return [f"{start + (m > 12)}-{(m - 1) % 12 + 1:02d}" for m in range(4, 16)]


def months_missing(year: str, months: Iterable[str]) -> list[str]:
    have = set(months)
    return [m for m in months_of_year(year) if m not in have]


def choose_gross(
    bodies: Sequence[Body],
    payer_names: Iterable[str],
    months: Mapping[str, Sequence[str]],
    year: str,
    orgs: OrgRegistry,
    outturn_bodies: frozenset[str],
    within_place: Callable[[Body], bool],
    has_topdown: bool,
) -> dict[str, GrossChoice]:
    """The payer names (as in the rows) of each body to count gross, checked.

    ``months``: payer name -> months with rows in the year; ``outturn_bodies``:
    E-codes of the bodies whose own outturn the count holds; ``within_place``:
    whether a body serves no more than the place; ``has_topdown``: whether
    the count has regional lines at all.  Raises
    ConfigError naming the body and what to do when a rule is broken."""
    if not bodies:
        return {}
    resolved = {r.name: r.body_id for r in resolve_names(sorted(payer_names), orgs)}
    out: dict[str, GrossChoice] = {}
    for body in bodies:
        payers = tuple(n for n, body_id in sorted(resolved.items()) if body_id == body.id)
        if not payers:
            unknown = [n for n, body_id in sorted(resolved.items()) if body_id is None]
            if unknown:
                # the likely case: its files name it in a way the registry does not know
                names = ", ".join(repr(n) for n in unknown[:5])
                raise ConfigError(
                    f"{body.name} cannot be counted gross for {year}: no loaded row of that "
                    f"year is paid by a name the registry knows as it; the rows are paid by "
                    f"{names}. If that is {body.name}, add the name as its alias: a CSV in "
                    f"DIR/orgs/ with the header id,name,kind,aliases,source and the row "
                    f"{body.id},,,{unknown[0]},  (aliases separated by |), then count again"
                )
            raise ConfigError(
                f"{body.name} cannot be counted gross for {year}: none of the loaded spend "
                "rows in that year are its payments; ingest its files for the whole year"
            )
        missing = months_missing(year, (m for p in payers for m in months.get(p, ())))
        if missing:
            raise ConfigError(
                f"{body.name} cannot be counted gross for {year}: its loaded files do not "
                f"cover the full year; months missing: {', '.join(missing)}. Ingest those "
                "months' files, or count it without --gross (from its outturn)"
            )
        ecode = body.code("ecode")
        if has_topdown and (ecode is None or ecode not in outturn_bodies):
            raise ConfigError(
                f"{body.name} cannot be counted gross for {year}: the count holds it inside "
                "its funding department's regional lines (no outturn of its own that year), "
                "so its payments would count its spending twice"
            )
        if not within_place(body):
            raise ConfigError(
                f"{body.name} cannot be counted gross: it serves more than the place, so "
                "only a population share of its outturn is the place's, not all its payments"
            )
        choice = GrossChoice(body, payers, ecode)
        out |= dict.fromkeys(payers, choice)
    return out


def within(reg: Registry, units: Iterable[str]) -> Callable[[Body], bool]:
    """Whether a body serves no more than the place whose units are ``units``
    (its area, as current lowest-tier authorities, is inside the place)."""
    place = frozenset(units)

    def within_place(body: Body) -> bool:
        if not body.area_gss:
            return False  # a national body serves everywhere
        covered: set[str] = set()
        for code in body.area_gss:
            try:
                covered.update(reg.units(code))
            except ConfigError:
                covered.add(code)
        return covered <= place

    return within_place


def bridge(
    agency: str,
    choice: GrossChoice,
    year: str,
    groups: Sequence[TransactionGroup],
    replaced_pence: int,
    months: int,
) -> Bridge:
    """The bridge for one body counted gross (``groups``: its payments in the
    year), with its outturn where the package ships that year's."""

    def passing(g: TransactionGroup) -> bool:
        return g.pass_through or g.theme == PASS_THROUGH

    whole: int | None = None
    grants: dict[str, int] = {}
    if choice.ecode and year in years():
        for line in outturn(year, ecode=choice.ecode):
            if line.line == NET_CURRENT_EXPENDITURE:
                whole = line.pence
            elif line.line in GRANT_LINES and line.pence:
                grants[line.line] = -line.pence  # financing is signed negative
    return Bridge(
        agency,
        choice.body.id,
        choice.payers,
        months,
        sum(g.pence for g in groups if not g.capital and not passing(g)),
        sum(g.pence for g in groups if not g.capital and passing(g)),
        sum(g.pence for g in groups if g.capital),
        whole,
        replaced_pence,
        grants,
    )


def bases(lines: Iterable[Any], gross_agencies: Iterable[str]) -> list[Basis]:
    """Each agency in the count's ``lines`` with how it is counted, largest first."""
    gross = set(gross_agencies)
    pence: dict[str, int] = {}
    methods: dict[str, set[str]] = {}
    for line in lines:
        pence[line.agency] = pence.get(line.agency, 0) + line.pence
        methods.setdefault(line.agency, set()).add(line.method)
    out = []
    for agency, total in pence.items():
        if agency in gross:
            basis, how = GROSS, "its own payments in the year, a full year of files"
            if "outturn" in methods[agency]:
                how += "; housing benefit from its outturn"
        elif "outturn" in methods[agency]:
            basis, how = NET, "its own Revenue Outturn, net current expenditure"
            if "transactions" in methods[agency]:
                how += ", split by its payments"
        elif "transactions" in methods[agency]:
            basis, how = GROSS, "its own payments (no regional lines for the place)"
        else:
            basis, how = TOP_DOWN, "a share of HM Treasury's regional lines, by key"
        out.append(Basis(agency, basis, total, how))
    return sorted(out, key=lambda b: (-b.pence, b.agency))
