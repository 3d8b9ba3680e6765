"""Services a council's outturn funds and its classified payments do not show.

When a council's transactions split its outturn, a service appears only
through payments classified to it.  If every payment for a service went
unclassified (a new publisher's labels the rules do not know), the service
would show as £0.0m although the outturn says the council spent on it.  So a
service is counted from its outturn instead when both hold:

* the council's Revenue Outturn lines for the service add up to more than
  nothing;
* none of the council's classified revenue payments (by rules or by the
  model; pass-through and capital left out) has a theme of that service.

A payment's theme belongs to an outturn service when the two share a SeRCOP
division: older people's care and learning disability are "Adult social
care", early years sits in "Children's social care" and "Education
services".  Themes a workspace adds have no SeRCOP entries, so they belong
to no outturn service and never hide one.  The service keeps its outturn
amount (the place's share of it, which for a council splitting its own
outturn is all of it); the cube takes that amount out of what the
transactions split, so the council's lines still add up to its outturn
exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from totalplace.classify.taxonomy import PASS_THROUGH, default_taxonomy, function_for_theme
from totalplace.count.funding import MIX_FLAG
from totalplace.count.place_count import CountLine
from totalplace.count.topdown import TopDownLine
from totalplace.count.transactions import UNCLASSIFIED, TransactionGroup
from totalplace.money import pounds

OUTTURN_BASIS = "outturn: no classified transactions for this service"
# Outturn lines whose service spans more SeRCOP divisions than its theme's:
# "social_care" is the combined children's and adults' line before 2011-12.
EXTRA_DIVISIONS = {"social_care": ("Children's social care",)}


@dataclass(frozen=True)
class OutturnService:
    """A service counted from the council's outturn, with why."""

    theme: str
    pence: int
    lines: tuple[str, ...]  # the outturn lines' labels, as the workbook names them
    function: str  # the outturn lines' COFOG function
    reason: str

    def line(self, agency: str, body: str, year: str) -> CountLine:
        """The count's line for this service of council ``agency`` (E-code ``body``)."""
        return CountLine(
            agency=agency,
            agency_type="local government",
            funder="council financing mix (estimate)",
            theme=self.theme,
            function=function_for_theme(self.theme) or self.function,
            tier="not known",
            capital_revenue="revenue",
            method="outturn",
            part="top_down",
            gross_net="net (Revenue Outturn net current expenditure)",
            grade="B",
            pence=self.pence,
            source=f"{OUTTURN_BASIS}: Revenue Outturn {year}, "
            f"{'; '.join(self.lines)} ({self.pence} pence)",
            flags=(self.reason, MIX_FLAG),
            body=body,
            basis=OUTTURN_BASIS,
        )


def _divisions(theme: str) -> set[str]:
    found = default_taxonomy().themes.get(theme)
    return {s.split(":")[0] for s in found.sercop} if found else set()


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


def unseen_services(
    theme_of: dict[str, str], lines: list[TopDownLine], groups: list[TransactionGroup]
) -> list[OutturnService]:
    """The services of ``lines`` (one council's outturn; ``theme_of`` maps an
    outturn line id to its theme) that its classified payments ``groups`` do
    not show, in theme order."""
    by_theme: dict[str, list[TopDownLine]] = defaultdict(list)
    for line in lines:
        theme = theme_of[line.subfunction]
        if theme != PASS_THROUGH:
            by_theme[theme].append(line)
    counted = [g for g in groups if not g.capital and not g.pass_through]
    seen = {g.theme for g in counted if g.theme not in (UNCLASSIFIED, PASS_THROUGH)}
    loose = [g for g in counted if g.theme == UNCLASSIFIED]
    loose_pence, loose_rows = sum(g.pence for g in loose), sum(g.rows for g in loose)
    out: list[OutturnService] = []
    for theme, own in sorted(by_theme.items()):
        pence = sum(x.place_pence for x in own)
        if pence <= 0 or service_themes(theme, [x.subfunction for x in own]) & seen:
            continue
        if loose_rows:
            why = (
                "none of the council's classified payments in the year is for this service; "
                f"its unclassified payments come to {pounds(loose_pence)} ({loose_rows:,} "
                "rows): if they hold this service's spending, rules for their labels would "
                "count it from its payments"
            )
        else:
            why = (
                "none of the council's payments in the year is for this service "
                "(months not covered, or the service paid for by another body)"
            )
        labels = tuple(x.programme.split(": ", 1)[-1] for x in own)
        out.append(OutturnService(theme, pence, labels, own[0].function, why))
    return out
