"""A council's outturn split service by service: its payments refine each
service, they never move money between services.

When a council's own transactions are in the workspace, its Revenue Outturn
(less housing benefit, which has its own line) is still its spending: the
payments only say how each service's net spending divides by theme,
prevention tier and supplier.  So the count keeps each outturn **service**
(education, social care, housing, ...) at its outturn figure to the penny,
and within it shows:

* the payments placed in the service (bottom up, from the spend rows);
* the rest of the service's outturn, which the payments do not show (pay,
  payments under £500, months not covered): a line of the service's own
  theme whose method is :data:`RESIDUAL_METHOD`.  When payments placed in a
  service come to more than its net outturn (outturn is net of fees, charges
  and specific grants; payments are gross) this line is negative, and says so.

Services are the council's outturn lines grouped by their theme (highways
and environmental services are both "environment and transport").  A payment
is placed in a service by its theme:

1. a theme that is itself one of the council's service themes goes there;
2. otherwise the service whose SeRCOP divisions share the most of the
   theme's SeRCOP service lines (older people's care is in "Adult social
   care"; youth justice in "Children's social care"), the larger service on
   a tie;
3. payments no rule or model classified, and themes no service of this
   council shares a SeRCOP division with (health, say), are shared among the
   services pro rata to what each service's outturn leaves unexplained by
   its placed payments (an estimate, flagged on the line).

A service with no classified payment at all is counted from its outturn,
with the reason (``basis`` is :data:`OUTTURN_BASIS`): a service is never
£0.0m because its payments went unclassified.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from totalplace.classify.taxonomy import PASS_THROUGH, default_taxonomy, function_for_theme
from totalplace.count.apportion import largest_remainder
from totalplace.count.funding import MIX_FLAG
from totalplace.count.place_count import CountLine
from totalplace.count.topdown import TopDownLine
from totalplace.count.transactions import UNCLASSIFIED, TransactionGroup
from totalplace.money import pounds

OUTTURN_BASIS = "outturn: no classified transactions for this service"
# The method of the line holding what a service's payments do not show.
RESIDUAL_METHOD = "outturn less payments"
RESIDUAL_WHY = "pay, payments under £500 and months not covered by the transactions"
PLACED_PRO_RATA = (
    "service estimated: payments no rule places in one of the council's services, shared "
    "pro rata to what each service's outturn leaves unexplained"
)
OVER_SERVICE = (
    "payments placed in this service exceed its net outturn (payments are gross; outturn is "
    "net of fees, charges and specific grants): the line takes the difference off"
)
# Outturn lines whose service spans more SeRCOP divisions than its theme's:
# "social_care" is the combined children's and adults' line before 2011-12.
EXTRA_DIVISIONS = {"social_care": ("Children's social care",)}


def _sercop(theme: str) -> tuple[str, ...]:
    found = default_taxonomy().themes.get(theme)
    return tuple(found.sercop) if found else ()


def _divisions(theme: str) -> set[str]:
    return {s.split(":")[0] for s in _sercop(theme)}


def service_themes(outturn_theme: str, outturn_lines: Iterable[str] = ()) -> frozenset[str]:
    """The payment themes that belong to the outturn service of ``outturn_theme``
    (whose lines are ``outturn_lines``): the theme itself and every theme
    sharing a SeRCOP division with it."""
    divisions = _divisions(outturn_theme)
    for line in outturn_lines:
        divisions.update(EXTRA_DIVISIONS.get(line, ()))
    return frozenset(
        {outturn_theme}
        | {t for t in default_taxonomy().themes if divisions & _divisions(t) and divisions}
    )


@dataclass(frozen=True)
class Service:
    """One outturn service of a council: its lines, all of one theme."""

    theme: str
    lines: tuple[TopDownLine, ...]

    @property
    def control(self) -> int:
        return sum(x.place_pence for x in self.lines)

    @property
    def divisions(self) -> frozenset[str]:
        found = _divisions(self.theme)
        for x in self.lines:
            found.update(EXTRA_DIVISIONS.get(x.subfunction, ()))
        return frozenset(found)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(x.programme.split(": ", 1)[-1] for x in self.lines)


def outturn_services(
    lines: Iterable[TopDownLine], theme_of: Mapping[str, str]
) -> dict[str, Service]:
    """A council's outturn lines grouped into services by theme (``theme_of``
    maps an outturn line id to its theme); pass-through lines are no service."""
    by_theme: dict[str, list[TopDownLine]] = defaultdict(list)
    for line in lines:
        theme = theme_of[line.subfunction]
        if theme != PASS_THROUGH:
            by_theme[theme].append(line)
    return {theme: Service(theme, tuple(own)) for theme, own in sorted(by_theme.items())}


def service_of_theme(theme: str, services: Mapping[str, Service]) -> str | None:
    """The service a payment of ``theme`` belongs to, or None when no service
    of the council shares a SeRCOP division with it (rules 1 and 2 above)."""
    if theme in services:
        return theme
    if theme in (UNCLASSIFIED, PASS_THROUGH):
        return None
    sercop = _sercop(theme)
    best: tuple[int, int, str] | None = None
    for name, service in services.items():
        shared = sum(1 for s in sercop if s.split(":")[0] in service.divisions)
        if shared and (best is None or (shared, service.control) > best[:2]):
            best = (shared, service.control, name)
    return best[2] if best else None


@dataclass(frozen=True)
class Part:
    """A payment cell placed in a service: all of it, or a pro rata share."""

    group: TransactionGroup
    service: str
    pence: int
    estimated: bool  # shared pro rata (rule 3), not placed by its theme


def place_payments(
    services: Mapping[str, Service], groups: Iterable[TransactionGroup]
) -> list[Part]:
    """Each revenue payment cell (not pass-through) placed in a service."""
    parts: list[Part] = []
    loose: list[TransactionGroup] = []
    for g in groups:
        name = service_of_theme(g.theme, services)
        if name is None:
            loose.append(g)
        else:
            parts.append(Part(g, name, g.pence, False))
    if not loose:
        return parts
    placed: dict[str, int] = defaultdict(int)
    for p in parts:
        placed[p.service] += p.pence
    weights = {n: max(s.control - placed[n], 0) for n, s in services.items()}
    if not any(weights.values()):  # every service's payments fill it: by its outturn instead
        weights = {n: max(s.control, 0) for n, s in services.items()}
    if not any(weights.values()):
        weights = dict.fromkeys(services, 1)
    for g in loose:
        for name, pence in largest_remainder(g.pence, weights).items():
            if pence:
                parts.append(Part(g, name, pence, True))
    return parts


def residual_lines(
    services: Mapping[str, Service],
    parts: Iterable[Part],
    agency: str,
    body: str,
    year: str,
) -> list[CountLine]:
    """For each service, the line of its outturn that its payments do not show."""
    parts = list(parts)
    placed: dict[str, int] = defaultdict(int)
    classified: set[str] = set()
    for p in parts:
        placed[p.service] += p.pence
        if not p.estimated:
            classified.add(p.service)
    loose = {
        (g.theme, g.tier, g.classified_by, g.payee_body, g.pence, g.rows): g
        for g in (p.group for p in parts if p.estimated)
    }
    loose_pence = sum(g.pence for g in loose.values())
    loose_rows = sum(g.rows for g in loose.values())
    out: list[CountLine] = []
    for name, service in services.items():
        control = service.control
        pence = control - placed[name]
        if not pence and name in classified:
            continue
        flags: tuple[str, ...] = (RESIDUAL_WHY,)
        basis = ""
        if name not in classified and control > 0:
            basis = OUTTURN_BASIS
            if loose_rows:
                why = (
                    "none of the council's classified payments in the year is for this "
                    f"service; its unclassified payments come to {pounds(loose_pence)} "
                    f"({loose_rows:,} rows): if they hold this service's spending, rules for "
                    "their labels would count it from its payments"
                )
            else:
                why = (
                    "none of the council's payments in the year is for this service "
                    "(months not covered, or the service paid for by another body)"
                )
            flags = (why,)
        if pence < 0:
            flags = (*flags, OVER_SERVICE)
        less = f" less payments placed in it {placed[name]} pence" if placed[name] else ""
        out.append(
            CountLine(
                agency=agency,
                agency_type="local government",
                funder="council financing mix (estimate)",
                theme=name,
                function=function_for_theme(name) or service.lines[0].function,
                tier="not known",
                capital_revenue="revenue",
                method=RESIDUAL_METHOD,
                part="top_down",
                gross_net="net (service outturn less payments)",
                grade="B",
                pence=pence,
                source=f"Revenue Outturn {year}, {'; '.join(service.labels)} "
                f"({control} pence){less}",
                flags=(*flags, MIX_FLAG),
                body=body,
                basis=basis,
                service=name,
            )
        )
    return out
