"""The place count's data: its lines, coverage and totals, with the views a
report needs (by agency, theme, funder, ring-fencing)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from totalplace.count.apart_against import ApartAgainst, set_against
from totalplace.count.apportion import largest_remainder
from totalplace.count.funding import RING_FENCED, funding_mix
from totalplace.count.gross import Basis, Bridge
from totalplace.count.transfers import Transfer
from totalplace.reference.places import Place


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
    body: str = ""  # RS E-code of the body whose outturn this line is (or splits)
    # why a line of a council splitting its outturn is not from its payments
    # (services.OUTTURN_BASIS), with the reason in the flags; "" otherwise
    basis: str = ""
    # the outturn service (its theme) a council's line counts against: its
    # payments and the rest of that service's outturn; other lines: their theme
    service: str = ""
    # the apportionment key of a top-down line ("outturn" for a body's own
    # outturn), and the year of the data the key is built from
    key: str = ""
    key_year: str = ""
    # where a top-down line's figure comes from: "council outturn" or
    # "regional (CRA)" (topdown.BASIS_OUTTURN, BASIS_REGIONAL); "" otherwise
    source_basis: str = ""
    # a transaction line's paying body as its spend files name it: trace finds
    # the line's rows by it ("" for lines not from payments)
    payer: str = ""

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
    # services its outturn funds that its classified payments do not show,
    # counted from the outturn and so not in the residual
    outturn_services_pence: int = 0


@dataclass(frozen=True)
class Classification:
    """How an agency's payments got their themes, by value.

    The basis is the one its transaction lines use: its revenue payments in
    the year that are not pass-through, signed (refunds net off), which is
    what splits a council's outturn.  Shares are of that total, so rules,
    model and unclassified add up to 1 when it is positive.
    """

    agency: str
    rules_pence: int  # themes from the classification rules
    model_pence: int  # themes from the learned model, for rows no rule matched
    unclassified_pence: int  # no theme (or a catch-all rule's)
    rows: int

    @property
    def total_pence(self) -> int:
        return self.rules_pence + self.model_pence + self.unclassified_pence

    def share(self, pence: int) -> float | None:
        """``pence`` as a share of the total; None when the total is not
        positive (a share of nothing, or of net refunds, means nothing)."""
        return pence / self.total_pence if self.total_pence > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "basis": "revenue payments in the year, not pass-through, by value",
            "total_pence": self.total_pence,
            "rows": self.rows,
            **{
                f"{name}_{what}": value
                for name, pence in (
                    ("rules", self.rules_pence),
                    ("model", self.model_pence),
                    ("unclassified", self.unclassified_pence),
                )
                for what, value in (("pence", pence), ("share", _places(self.share(pence))))
            },
        }


def _places(share: float | None) -> float | None:
    """A share to 4 places, as the JSON and the workbook give it."""
    return None if share is None else round(share, 4)


@dataclass(frozen=True)
class CountWarning:
    """Something in the count a reader must check before trusting a figure."""

    slug: str
    agency: str
    message: str
    transactions_pence: int = 0  # the figures the message compares, where it compares two
    outturn_pence: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PlaceCount:
    place: Place
    year: str
    engine: str
    population: int
    lines: list[CountLine] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    pass_through: list[CountLine] = field(default_factory=list)
    # a council's capital and council-housing payments, kept out of its revenue
    # split and shown, not counted (see count/capital.py)
    set_apart: list[CountLine] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    classification: list[Classification] = field(default_factory=list)
    warnings: list[CountWarning] = field(default_factory=list)
    # how each agency is counted (gross, net or top down), and for each body
    # counted gross from its payments, the bridge to its outturn
    bases: list[Basis] = field(default_factory=list)
    bridges: list[Bridge] = field(default_factory=list)
    # local government on one basis: the outturn counted and the regional (CRA)
    # lines it replaced, with the difference (topdown.TopDownResult.basis_report)
    local_government_basis: dict[str, Any] = field(default_factory=dict)

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

    @property
    def set_apart_against(self) -> list[ApartAgainst]:
        """Each council's payments set apart, beside its Housing Revenue Account
        (council housing) or the capital outturn the reference data lacks."""
        months = {c.agency: c.months for c in self.coverage}
        return set_against(self.set_apart, self.year, months)

    def by(self, attr: str) -> dict[str, int]:
        """Pence by a dimension; ``funder`` splits a body's outturn lines pro rata
        to its financing mix (an estimate, flagged on the lines)."""
        out: dict[str, int] = defaultdict(int)
        by_mix = attr in ("funder", "ring_fenced")
        for line in self.lines:
            mix = funding_mix(self.year, line.body) if by_mix and line.body else {}
            if mix:
                for funder, pence in largest_remainder(line.pence, mix).items():
                    out[funder if attr == "funder" else RING_FENCED[funder]] += pence
            elif attr == "ring_fenced":
                out["not known"] += line.pence
            else:
                out[str(getattr(line, attr))] += line.pence
        for t in self.transfers:
            if t.eliminated:
                out[str(getattr(t, attr, "transfers eliminated"))] -= t.pence
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "place": {
                "spec": self.place.spec,
                "name": self.place.name,
                "as_was": list(self.place.as_was),
            },
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
            "by_funder": self.by("funder"),
            "by_ring_fenced": self.by("ring_fenced"),
            "by_method": self.by("method"),
            "by_service": self.by("service"),
            "classification": {c.agency: c.to_dict() for c in self.classification},
            "warnings": [w.to_dict() for w in self.warnings],
            # lines of councils splitting their outturn that come from the outturn
            # instead, with the reason: listed apart, as --json leaves "lines" out
            "services_from_outturn": [x.to_dict() for x in self.lines if x.basis],
            "coverage": [asdict(c) for c in self.coverage],
            "bases": [b.to_dict() for b in self.bases],
            "gross_bridges": [b.to_dict() for b in self.bridges],
            "transfers": [t.to_dict() for t in self.transfers],
            "pass_through": [x.to_dict() for x in self.pass_through],
            "set_apart_pence": sum(x.pence for x in self.set_apart),
            "set_apart": [x.to_dict() for x in self.set_apart],
            "set_apart_against": [x.to_dict() for x in self.set_apart_against],
            "notes": list(self.notes),
            "local_government_basis": self.local_government_basis,
            "lines": [x.to_dict() for x in self.lines],
        }
