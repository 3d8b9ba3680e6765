"""The family view: each family's agencies, contacts and cost, and the place's totals.

A family is a household as the linkage found it (people sharing an address and
surname over time); a person the linkage put in no household is a family of
one.  A family's cost in a year is the sum of its events' unit costs that
year, by agency, all at one price year (:mod:`totalplace.families.events`),
so years and agencies add up to the penny.

:func:`aggregates` is what anyone allowed the Families page may see: counts
of families by agency and year with small counts withheld and secondary
suppression (:mod:`totalplace.families.privacy`); costs and contacts of a
withheld cell are withheld with it.  :func:`profile` is one family's record,
for a role with person-level access only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from totalplace.families.events import Event, FamilyData, as_dict
from totalplace.families.privacy import Line, hidden, protect, suppress

# Agencies a family must be known to, to count as known to many (the troubled families test).
MANY_AGENCIES = 3
# Westminster's figures (Total Place pilot, 2010): 40 families with extreme anti-social
# behaviour, 35 of them likely to need care proceedings at £93,000 each.
WESTMINSTER_COST_PENCE = 9_300_000
WESTMINSTER_ASB_A_YEAR = 10
# Unit Cost Database headings: anti-social behaviour (CR1.*), and the child protection
# steps that lead to care proceedings (Section 47 enquiry, Public Law Outline, care order).
ASB_PREFIX = "CR1."
CHILD_PROTECTION = ("SS5.0.7", "SS5.0.8", "SS4.0", "SS4.1")


@dataclass
class Family:
    family: str
    people: set[str] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)
    pence: int = 0
    by_year: dict[str, dict[str, int]] = field(default_factory=dict)  # year -> agency -> pence
    contacts_by_year: dict[str, int] = field(default_factory=dict)

    @property
    def agencies(self) -> list[str]:
        return sorted({e.agency for e in self.events})


def families(events: Iterable[Event]) -> dict[str, Family]:
    """Each family's events and cost by year and agency."""
    found: dict[str, Family] = {}
    for e in events:
        f = found.get(e.family)
        if f is None:
            f = found[e.family] = Family(e.family)
        f.people.add(e.person)
        f.events.append(e)
        f.pence += e.pence
        year = f.by_year.setdefault(e.year, {})
        year[e.agency] = year.get(e.agency, 0) + e.pence
        f.contacts_by_year[e.year] = f.contacts_by_year.get(e.year, 0) + 1
    return found


def profile(f: Family) -> dict[str, Any]:
    """One family's record: people, agencies, contacts and cost by year, and its events."""
    return {
        "family": f.family,
        "people": sorted(f.people),
        "agencies": f.agencies,
        "contacts": len(f.events),
        "pence": f.pence,
        "by_year": {y: dict(sorted(a.items())) for y, a in sorted(f.by_year.items())},
        "contacts_by_year": dict(sorted(f.contacts_by_year.items())),
        "events": [as_dict(e) for e in f.events],
    }


def most_expensive(found: dict[str, Family], n: int = 10) -> list[Family]:
    return sorted(found.values(), key=lambda f: (-f.pence, f.family))[:n]


TOTAL = "(all)"


def _table(
    cells: dict[tuple[str, str], set[str]],
    contacts: dict[tuple[str, str], int],
    pence: dict[tuple[str, str], int],
    threshold: int,
) -> dict[str, Any]:
    """Families, contacts and cost by agency and year, with each agency's and
    each year's contacts and cost.  The margins are cells too (an agency's
    families over all years), and the place's contacts and cost are shown, so
    the margins add to a known grand total: :func:`protect` withholds cells and
    margins together until no small cell can be worked out from the rest."""
    agencies = sorted({a for a, _ in cells})
    years = sorted({y for _, y in cells})
    counts: dict[tuple[str, str], int] = {c: len(v) for c, v in cells.items()}
    for a in agencies:
        counts[(a, TOTAL)] = len(set().union(*(v for (x, _), v in cells.items() if x == a)))
    for y in years:
        counts[(TOTAL, y)] = len(set().union(*(v for (_, x), v in cells.items() if x == y)))
    grand = (TOTAL, TOTAL)
    counts[grand] = len(set().union(*cells.values())) if cells else 0
    lines = [Line(tuple(c for c in cells if c[0] == a), (a, TOTAL)) for a in agencies]
    lines += [Line(tuple(c for c in cells if c[1] == y), (TOTAL, y)) for y in years]
    lines += [Line(tuple((a, TOTAL) for a in agencies), grand)]
    lines += [Line(tuple((TOTAL, y) for y in years), grand)]
    withheld = protect(counts, lines, threshold, fixed=[grand])
    rows = []
    for (agency, year), n in sorted(cells.items()):
        out = (agency, year) in withheld
        rows.append(
            {
                "agency": agency,
                "year": year,
                "families": None if out else len(n),
                "contacts": None if out else contacts[(agency, year)],
                "pence": None if out else pence[(agency, year)],
                "withheld": out,
            }
        )
    totals: dict[str, dict[str, Any]] = {"agency": {}, "year": {}}
    for axis, name, keys in ((0, "agency", agencies), (1, "year", years)):
        for k in keys:
            members = [c for c in cells if c[axis] == k]
            out = ((k, TOTAL) if axis == 0 else (TOTAL, k)) in withheld
            totals[name][k] = {
                "contacts": None if out else sum(contacts[c] for c in members),
                "pence": None if out else sum(pence[c] for c in members),
            }
    return {"rows": rows, "totals": totals}


def aggregates(data: FamilyData, threshold: int) -> dict[str, Any]:
    """The place's figures from person-level data, fit for anyone allowed the Families page."""
    found = families(data.events)
    cells: dict[tuple[str, str], set[str]] = defaultdict(set)
    contacts: dict[tuple[str, str], int] = defaultdict(int)
    pence: dict[tuple[str, str], int] = defaultdict(int)
    for e in data.events:
        cells[(e.agency, e.year)].add(e.family)
        contacts[(e.agency, e.year)] += 1
        pence[(e.agency, e.year)] += e.pence
    known: dict[int, int] = defaultdict(int)
    for f in found.values():
        known[min(len(f.agencies), 5)] += 1
    many = sum(n for k, n in known.items() if k >= MANY_AGENCIES)
    many_pence = sum(f.pence for f in found.values() if len(f.agencies) >= MANY_AGENCIES)
    # the families total is shown, so one bucket withheld takes the next smallest with it
    buckets = {(k, "families"): n for k, n in known.items()}
    out = suppress(buckets, threshold)
    # three or more is a sum of buckets: with any bucket withheld it could be differenced out
    many_out = hidden(many, threshold) or bool(out)
    by_known = {
        ("5 or more" if k == 5 else str(k)): (None if (k, "families") in out else n)
        for k, n in sorted(known.items())
    }
    return {
        "price_year": data.price_year,
        "disclosure_threshold": threshold,
        "families": len(found),
        "people": len({e.person for e in data.events}),
        "contacts": len(data.events),
        "pence": sum(e.pence for e in data.events),
        "known_to_agencies": by_known,
        "known_to_three_or_more": None if many_out else many,
        "known_to_three_or_more_pence": None if many_out else many_pence,
        "by_agency_year": _table(cells, contacts, pence, threshold),
        "unlinked_events": data.unlinked_events,
        "unpriced_codes": dict(sorted(data.unpriced_codes.items())),
        "ignored_columns": list(data.ignored_columns),
    }


def westminster(
    data: FamilyData,
    threshold: int,
    asb_a_year: int = WESTMINSTER_ASB_A_YEAR,
    cost_pence: int = WESTMINSTER_COST_PENCE,
) -> dict[str, Any]:
    """Westminster's illustration over this place: families with extreme
    anti-social behaviour (``asb_a_year`` or more incidents in one financial
    year, from the database's anti-social behaviour costs, CR1.*), and of them
    those with a child protection enquiry or proceedings (likely to need care
    proceedings), each costed at Westminster's £93,000.

    The families with extreme anti-social behaviour but no such step are a
    cell too (their number is the first count less the second): when either
    part is under the threshold, both parts are withheld (secondary
    suppression), so 40 and 35 are shown only where 5 may be.  Pass a
    threshold of 0 for a role with person-level access."""
    asb: dict[tuple[str, str], int] = defaultdict(int)
    protected: set[str] = set()
    for e in data.events:
        if e.code.startswith(ASB_PREFIX):
            asb[(e.family, e.year)] += 1
        if e.code in CHILD_PROTECTION:
            protected.add(e.family)
    extreme = {fam for (fam, _), n in asb.items() if n >= asb_a_year}
    care = extreme & protected
    parts = {("care", "extreme"): len(care), ("other", "extreme"): len(extreme - care)}
    withheld = suppress(parts, threshold)
    care_shown = None if ("care", "extreme") in withheld else len(care)
    return {
        "asb_incidents_a_year": asb_a_year,
        "families_extreme_asb": None if hidden(len(extreme), threshold) else len(extreme),
        "likely_care_proceedings": care_shown,
        "cost_each_pence": cost_pence,
        "cost_pence": None if care_shown is None else len(care) * cost_pence,
    }
