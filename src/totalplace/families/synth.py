"""A synthetic place's person-level extracts, with the truth behind them.

People live in households; over the years some households move, some split
(an adult leaves for an address of their own) and some adults change surname.
Each of eight agencies (children's and adults' social care, schools, police,
A&E, mental health, housing, benefits) holds a record for each person it has
contact with, made from that person's details on the day of the first contact,
so a later move or a new surname shows in one agency and not another.  Records
then carry the slips real extracts carry: typing errors, nicknames, day and
month swapped, fields left blank, a person registered twice.

Every contact is an event with a date, the agency, an event type and the Unit
Cost Database code that prices it (:data:`EVENT_TYPES`).  How often each
happens follows a household's need, drawn so that a few households have most
contacts, as in the troubled families programme's findings.  The same seed
always gives the same place, and generation is vectorised (numpy), so a
million records take seconds.

``truth`` gives, for every record, the person and household it belongs to: it
is for checking a linkage, never an input to one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from totalplace.errors import ConfigError
from totalplace.families.agencies import AGENCIES
from totalplace.families.names import (
    FEMALE,
    MALE,
    NI_PREFIXES,
    NICKNAMES,
    SURNAMES,
    street_pool,
    surname_pool,
    town_pool,
)


@dataclass(frozen=True)
class EventType:
    """One kind of contact: which agency has it, who can have it (ages), how
    often a person of need 1 has it a year, and the unit cost that prices it."""

    key: str
    source: str
    label: str
    code: str
    min_age: int
    max_age: int
    rate: float


EVENT_TYPES = (
    EventType("csc_referral", "childrens_social_care", "Referral", "SS6.2", 0, 17, 0.03),
    EventType(
        "csc_assessment", "childrens_social_care", "Initial assessment", "SS6.3", 0, 17, 0.02
    ),
    EventType(
        "section_47", "childrens_social_care", "Child protection enquiry", "SS5.0.7", 0, 17, 0.006
    ),
    EventType("care_order", "childrens_social_care", "Care proceedings", "SS4.1", 0, 17, 0.0008),
    EventType("youth_offending", "childrens_social_care", "Youth offending", "CR4.0", 10, 17, 0.0),
    EventType("home_care", "adult_social_care", "Home care (week)", "SS11.1", 65, 110, 0.4),
    EventType("mh_day_care", "adult_social_care", "Day care", "HE18.0", 18, 110, 0.02),
    EventType("truancy", "schools", "Persistent truancy (year)", "E&S1.0.1", 5, 16, 0.04),
    EventType("exclusion", "schools", "Permanent exclusion", "E&S2.0.1", 5, 16, 0.003),
    EventType("asb", "police", "Anti-social behaviour", "CR1.0", 10, 110, 0.02),
    EventType("arrest", "police", "Arrest", "CR7.0", 10, 110, 0.01),
    EventType("domestic_abuse", "police", "Domestic abuse incident", "CR2.0.3", 18, 110, 0.006),
    EventType("ae", "health_ae", "A&E attendance", "HE4.0", 0, 110, 0.3),
    EventType("mh_contact", "mental_health", "Mental health contact", "HE16.0", 18, 110, 0.08),
    EventType("camhs", "mental_health", "CAMHS session", "HE12.6", 5, 17, 0.03),
    EventType("homeless", "housing", "Homelessness application", "HO3.0", 18, 110, 0.004),
    EventType("asb_letter", "housing", "ASB warning letter", "CR1.2", 18, 110, 0.006),
    EventType("eviction", "housing", "Eviction", "HO1.0", 18, 110, 0.001),
    EventType("esa_claim", "benefits", "ESA claim", "E&E2.5", 18, 64, 0.02),
    EventType("job_advice", "benefits", "Jobcentre advice", "E&E1.9", 18, 64, 0.05),
)
EVENT_TYPE = {e.key: e for e in EVENT_TYPES}

# The headers each agency's extract uses: different agencies, different systems.
_HEADERS = {
    "childrens_social_care": ("Mosaic ID", "Forename", "Surname", "Date of Birth", "Gender",
                              "Address Line 1", "Town", "Postcode", "NHS Number", "UPN"),
    "adult_social_care": ("Client ID", "First Name", "Surname", "DOB", "Gender",
                          "Address", "Town", "Postcode", "NHS Number", "NI Number"),
    "schools": ("Person Ref", "Forename", "Legal Surname", "DOB", "Sex",
                "Address", "Town", "Postcode", None, "UPN"),
    "police": ("Ref", "First Name", "Last Name", "Birth Date", "Sex",
               "Street", "Town", "Post Code", None, None),
    "health_ae": ("Record ID", "Given Name", "Family Name", "Date of Birth", "Gender",
                  "Home Address", "Town", "Postcode", "NHS Number", None),
    "mental_health": ("Record ID", "Forename", "Surname", "Date of Birth", "Gender",
                      "Address", "Town", "Postcode", "NHS No", None),
    "housing": ("Tenancy Ref", "First Name", "Surname", "DOB", "Gender",
                "Address", "Town", "Postcode", None, "NI Number"),
    "benefits": ("Claim Ref", "First Name", "Surname", "Date of Birth", "Sex",
                 "Address", "Town", "Postcode", None, "NINO"),
}  # fmt: skip
# Share of each agency's records that carry its identifier (NHS number, UPN, NI number).
_ID_SHARE = {
    "childrens_social_care": (0.6, 0.5),
    "adult_social_care": (0.7, 0.4),
    "schools": (0.0, 0.95),
    "health_ae": (0.9, 0.0),
    "mental_health": (0.95, 0.0),
    "housing": (0.0, 0.3),
    "benefits": (0.0, 0.98),
}

_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


@dataclass
class SyntheticPlace:
    """The extracts (source -> table), their events and the truth behind them."""

    extracts: dict[str, pa.Table]
    events: pa.Table  # source, record_id, date, agency, event_type, unit_cost_code
    truth: pa.Table  # source, record_id, person_id, household_id, household_id_now
    people: int
    households: int

    @property
    def records(self) -> int:
        return sum(t.num_rows for t in self.extracts.values())

    def person_of(self) -> dict[tuple[str, str], str]:
        """(source, record_id) -> the person the record truly is: for scoring a linkage."""
        return {
            (s, r): str(p)
            for s, r, p in zip(
                self.truth.column("source").to_pylist(),
                self.truth.column("record_id").to_pylist(),
                self.truth.column("person_id").to_pylist(),
                strict=True,
            )
        }

    def write(self, folder: Path) -> dict[str, Path]:
        """Each extract as ``<source>.csv``, plus ``events.csv`` and ``truth.csv``."""
        folder.mkdir(parents=True, exist_ok=True)
        written = {}
        tables = {**self.extracts, "events": self.events, "truth": self.truth}
        for name, table in tables.items():
            path = folder / f"{name}.csv"
            pacsv.write_csv(table, path)
            written[name] = path
        return written


def _nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Ten-digit NHS numbers with a valid modulus-11 check digit, distinct."""
    stride = 599_999_999 // max(n, 1)
    base = 400_000_000 + np.arange(n) * stride + rng.integers(0, max(stride - 1, 1), n)
    base = rng.permutation(base)
    digits = (base[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    total = (digits * np.arange(10, 1, -1)).sum(axis=1)
    check = 11 - total % 11
    check[check == 11] = 0
    ok = check != 10
    base[~ok] += 1  # a neighbour usually has a valid check digit; the rest are redrawn
    digits = (base[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    check = 11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
    check[check == 11] = 0
    nums: np.ndarray = base.astype(np.int64) * 10 + check
    nums[check == 10] = -1
    return nums


def _upns(rng: np.random.Generator, n: int) -> list[str]:
    """Unique pupil numbers: a check letter and twelve digits (DfE's modulus-23 rule)."""
    body = rng.integers(0, 10, size=(n, 12))
    check = (body * np.arange(2, 14)).sum(axis=1) % 23
    return [_UPN_LETTERS[c] + "".join(map(str, row)) for c, row in zip(check, body, strict=True)]


def _typo(rng: np.random.Generator, text: str) -> str:
    """One slip: a letter dropped, doubled, changed or two letters swapped."""
    if len(text) < 3:
        return text
    i = int(rng.integers(1, len(text) - 1))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2:
        return text[:i] + "aeiourstn"[int(rng.integers(0, 9))] + text[i + 1 :]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def _dob_text(dob: np.ndarray, swap: np.ndarray, form: str) -> np.ndarray:
    """Dates of birth as text; where ``swap``, day and month swapped (when the
    day could be a month and differs from it), as a clerk reading a US form might."""
    year = dob.astype("datetime64[Y]")
    month = dob.astype("datetime64[M]")
    m = (month - year.astype("datetime64[M]")).astype(int)
    d = (dob - month.astype("datetime64[D]")).astype(int)
    swap = swap & (d < 12) & (d != m)
    swapped = year.astype("datetime64[M]") + d
    swapped = swapped.astype("datetime64[D]") + m
    shown = np.where(swap, swapped, dob)
    stamps = pa.array(shown.astype("datetime64[s]"), pa.timestamp("s"))
    return np.array(pc.strftime(stamps, format=form).to_pylist(), dtype=object)


def _households(rng: np.random.Generator, people: int) -> np.ndarray:
    """Each person's household number, households of one to six people."""
    sizes = rng.choice(np.arange(1, 7), size=people, p=[0.28, 0.34, 0.16, 0.14, 0.05, 0.03])
    ends = np.cumsum(sizes)
    count = int(np.searchsorted(ends, people)) + 1
    sizes = sizes[:count]
    sizes[-1] -= int(ends[count - 1]) - people
    return np.repeat(np.arange(count), sizes)


def _extreme_asb_beyond_planted(
    person: np.ndarray, day: np.ndarray, etype: np.ndarray, hh: np.ndarray, planted: np.ndarray
) -> np.ndarray:
    """The anti-social behaviour incidents that would make an unplanted household
    one of the family view's extreme ones (its threshold a financial year, April
    to March), to be dropped: those past the threshold less one in its year."""
    from totalplace.families.view import ASB_PREFIX, WESTMINSTER_ASB_A_YEAR

    asb = np.array([e.code.startswith(ASB_PREFIX) for e in EVENT_TYPES])[etype]
    asb &= ~planted[hh[person]]
    months = (day.astype("datetime64[M]") - np.datetime64("2000-04", "M")).astype(int)
    year = months // 12
    order = np.lexsort((day, year, hh[person], ~asb))
    key = np.stack([~asb[order], hh[person][order], year[order]])
    new_group = np.r_[True, np.any(key[:, 1:] != key[:, :-1], axis=0)]
    start = np.maximum.accumulate(np.where(new_group, np.arange(len(order)), 0))
    rank = np.arange(len(order)) - start
    beyond = np.zeros(len(person), dtype=bool)
    beyond[order] = asb[order] & (rank >= WESTMINSTER_ASB_A_YEAR - 1)
    return beyond


def _surnames(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """Surnames as a place has them: three in ten from the common ones, the
    commonest most often (Smith about one in a hundred), the rest from the long tail."""
    common = len(SURNAMES)
    weights = 1.0 / (np.arange(common) + 10.0)
    head = rng.choice(common, size=n, p=weights / weights.sum())
    tail = common + rng.integers(0, max(1, len(pool) - common), n)
    pick = np.where((rng.random(n) < 0.3) | (len(pool) == common), head, tail)
    return pool[pick]


def generate(
    people: int = 2000,
    seed: int = 16,
    start: str = "2010-04-01",
    years: int = 5,
    agencies: tuple[str, ...] | None = None,
    scenario: str | None = None,
) -> SyntheticPlace:
    """A place of ``people`` residents over ``years`` years from ``start``.

    ``agencies`` limits the extracts to those sources (all eight by default).
    ``scenario="westminster"`` plants 40 families with extreme anti-social
    behaviour, 35 of them with children heading for care proceedings, so the
    family view can reproduce Westminster's figures (:mod:`totalplace.families.view`).
    """
    if people < 10:
        raise ConfigError(f"synthetic place: {people} people is too few; give at least 10")
    chosen = tuple(agencies or AGENCIES)
    unknown = [a for a in chosen if a not in AGENCIES]
    if unknown:
        raise ConfigError(f"unknown agency {unknown[0]!r}; choose from {', '.join(AGENCIES)}")
    if scenario not in (None, "westminster"):
        raise ConfigError(f"unknown scenario {scenario!r}; the one shipped is westminster")
    rng = np.random.default_rng(seed)
    day0 = np.datetime64(start, "D")
    span = int(years * 365.25)
    hh = _households(rng, people)
    n_hh = int(hh[-1]) + 1
    first_of = np.r_[0, np.flatnonzero(np.diff(hh)) + 1]
    size = np.diff(np.r_[first_of, people])
    pos = np.arange(people) - first_of[hh]
    two_adults = rng.random(n_hh) < 0.7
    adult = (pos == 0) | ((pos == 1) & ((size[hh] == 2) | two_adults[hh]))
    age = np.where(adult, rng.integers(18, 90, people), rng.integers(0, 18, people))
    dob = day0 - (age * 365.25).astype(int) - rng.integers(0, 365, people)
    female = rng.random(people) < 0.5
    first = np.where(
        female,
        np.array(FEMALE)[rng.integers(0, len(FEMALE), people)],
        np.array(MALE)[rng.integers(0, len(MALE), people)],
    )
    surnames = np.array(surname_pool(max(0, people // 10)))
    hh_surname = _surnames(rng, surnames, n_hh)
    own_surname = _surnames(rng, surnames, people)
    surname = np.where((pos == 1) & (rng.random(people) < 0.2), own_surname, hh_surname[hh])

    # addresses: one per household, and a second for those that move; about
    # half of a street's 120 numbers are lived in, 15 to a postcode
    streets = np.array(street_pool(-(-(n_hh * 12 // 10 + people // 20) // 60)))
    towns = np.array(town_pool(-(-len(streets) // 150)))

    def addresses(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        street = rng.integers(0, len(streets), n)
        number = rng.integers(1, 121, n)
        line = np.char.add(np.char.add(number.astype(str), " "), streets[street])
        unit = street * 9 + number // 15  # one postcode for each run of 15 numbers
        inward = np.char.add(
            np.char.add(((unit // 400) % 10).astype(str), _LETTERS[(unit // 20) % 20]),
            _LETTERS[unit % 20],
        )
        district = (unit // 4000 + 1).astype(str)
        postcode = np.char.add(np.char.add(np.char.add("NM", district), " "), inward)
        return line, towns[street % len(towns)], postcode

    line0, town0, pc0 = addresses(n_hh)
    moved = rng.random(n_hh) < 0.15
    move_day = day0 + rng.integers(30, span, n_hh)
    line1, town1, pc1 = addresses(n_hh)
    # a split: the second adult of a couple leaves for an address of their own
    leaves = (pos == 1) & adult & (rng.random(people) < 0.05)
    leave_day = day0 + rng.integers(30, span, people)
    line2, town2, pc2 = addresses(people)
    household_now = np.where(leaves, n_hh + np.arange(people), hh)
    # a new surname (marriage): some women change theirs part way through
    renamed = adult & female & (rng.random(people) < 0.04)
    rename_day = day0 + rng.integers(30, span, people)
    new_surname = _surnames(rng, surnames, people)

    # need: most households have little contact, a few a great deal
    need = np.exp(rng.normal(0.0, 1.0, n_hh)) * np.where(rng.random(n_hh) < 0.02, 12.0, 1.0)
    planted = np.zeros(n_hh, dtype=bool)
    care_planted = np.zeros(n_hh, dtype=bool)
    if scenario == "westminster":
        with_children = np.flatnonzero(size >= 3)
        if len(with_children) < 40:
            raise ConfigError("the westminster scenario needs at least 40 families with children")
        pick = rng.choice(with_children, 40, replace=False)
        planted[pick] = True
        care_planted[pick[:35]] = True
        need[pick] = np.maximum(need[pick], 4.0)

    ev_person: list[np.ndarray] = []
    ev_day: list[np.ndarray] = []
    ev_type: list[np.ndarray] = []
    mid_age = age + years / 2
    for i, et in enumerate(EVENT_TYPES):
        if et.source not in chosen or et.rate == 0:
            continue
        ok = np.flatnonzero((mid_age >= et.min_age) & (mid_age <= et.max_age))
        lam = et.rate * years * need[hh[ok]]
        counts = rng.poisson(lam)
        who = np.repeat(ok, counts)
        ev_person.append(who)
        ev_day.append(day0 + rng.integers(0, span, len(who)))
        ev_type.append(np.full(len(who), i))

    def plant(who: np.ndarray, days: np.ndarray, key: str) -> None:
        if EVENT_TYPE[key].source in chosen:
            ev_person.append(who)
            ev_day.append(days)
            ev_type.append(np.full(len(who), EVENT_TYPES.index(EVENT_TYPE[key])))

    # the pathway: a child excluded from school, then known to the police, then the youth
    # offending team, more often the greater the family's need
    teen = np.flatnonzero(~adult & (mid_age >= 11) & (mid_age <= 16))
    path = teen[rng.random(len(teen)) < np.minimum(0.04 * need[hh[teen]], 0.6)]
    d1 = day0 + rng.integers(0, max(span - 400, 1), len(path))
    d2 = d1 + rng.integers(20, 200, len(path))
    d3 = d2 + rng.integers(20, 200, len(path))
    plant(path, d1, "exclusion")
    plant(path, d2, "arrest")
    plant(path, d3, "youth_offending")
    if scenario == "westminster":
        # twelve incidents in the first year for each family, on its first adult
        asb = np.repeat(first_of[planted], 12)
        plant(asb, day0 + rng.integers(0, 365, len(asb)), "asb")
        kids = np.flatnonzero(care_planted[hh] & ~adult)
        first_kid = kids[np.r_[True, np.diff(hh[kids]) != 0]] if len(kids) else kids
        plant(first_kid, day0 + rng.integers(200, 365, len(first_kid)), "section_47")

    person = np.concatenate(ev_person) if ev_person else np.zeros(0, dtype=np.int64)
    day = np.concatenate(ev_day) if ev_day else np.zeros(0, dtype="datetime64[D]")
    etype = np.concatenate(ev_type) if ev_type else np.zeros(0, dtype=np.int64)
    if scenario == "westminster":
        # the five planted families not heading for care have no child protection contact
        protective = [EVENT_TYPES.index(EVENT_TYPE[k]) for k in ("section_47", "care_order")]
        drop = planted[hh[person]] & ~care_planted[hh[person]] & np.isin(etype, protective)
        person, day, etype = person[~drop], day[~drop], etype[~drop]
        # and they are the only families with ten or more incidents in a year, so
        # the family view finds Westminster's 40 and 35 exactly, whatever the seed
        keep = ~_extreme_asb_beyond_planted(person, day, etype, hh, planted)
        person, day, etype = person[keep], day[keep], etype[keep]
    source_of = np.array([chosen.index(e.source) if e.source in chosen else -1
                          for e in EVENT_TYPES])  # fmt: skip
    src = source_of[etype]
    order = np.lexsort((day, person, src))
    person, day, etype, src = person[order], day[order], etype[order], src[order]
    # one record per person per agency, from the first contact; a few registered twice,
    # their later contacts on the second record
    new_group = np.r_[True, (np.diff(src) != 0) | (np.diff(person) != 0)]
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    counts = np.diff(np.r_[starts, len(person)])
    twice = (counts >= 2) & (rng.random(len(starts)) < 0.05)
    split_at = starts + counts // 2
    second = twice[group] & (np.arange(len(person)) >= split_at[group])
    rec_key = group * 2 + second
    new_rec = np.r_[True, np.diff(rec_key) != 0]
    record = np.cumsum(new_rec) - 1
    r_first = np.flatnonzero(new_rec)
    r_person, r_day, r_src = person[r_first], day[r_first], src[r_first]

    extracts: dict[str, pa.Table] = {}
    truth_parts = []
    record_ids = np.empty(len(r_first), dtype=object)
    nhs = _nhs_numbers(rng, people)
    upn = np.array(_upns(rng, people), dtype=object)
    ni = np.char.add(
        np.char.add(np.array(NI_PREFIXES)[rng.integers(0, len(np.array(NI_PREFIXES)), people)],
                    rng.integers(100000, 1000000, people).astype(str)),
        np.array(list("ABCD"))[rng.integers(0, 4, people)],
    )  # fmt: skip
    for s, source in enumerate(chosen):
        rows = np.flatnonzero(r_src == s)
        p, d = r_person[rows], r_day[rows]
        n = len(rows)
        ids = rng.permutation(np.arange(100_000, 100_000 + max(n * 3, 10)))[:n]
        prefix = "".join(w[0] for w in source.split("_")).upper()
        rid = np.char.add(prefix, ids.astype(str))
        record_ids[rows] = rid
        after_move = moved[hh[p]] & (d >= move_day[hh[p]])
        after_leave = leaves[p] & (d >= leave_day[p])
        line = np.where(after_leave, line2[p], np.where(after_move, line1[hh[p]], line0[hh[p]]))
        town = np.where(after_leave, town2[p], np.where(after_move, town1[hh[p]], town0[hh[p]]))
        post = np.where(after_leave, pc2[p], np.where(after_move, pc1[hh[p]], pc0[hh[p]]))
        sur = np.where(renamed[p] & (d >= rename_day[p]), new_surname[p], surname[p])
        fore = first[p].astype(object)
        sur = sur.astype(object)
        line, town, post = line.astype(object), town.astype(object), post.astype(object)
        birth = dob[p]
        # the slips
        for j in np.flatnonzero(rng.random(n) < 0.08):
            fore[j] = NICKNAMES.get(fore[j], fore[j])
        for j in np.flatnonzero(rng.random(n) < 0.03):
            fore[j] = _typo(rng, fore[j])
        for j in np.flatnonzero(rng.random(n) < 0.03):
            sur[j] = _typo(rng, sur[j])
        dob_col = _dob_text(birth, rng.random(n) < 0.02, "%Y-%m-%d" if source == "police"
                            else "%d/%m/%Y")  # fmt: skip
        dob_col[rng.random(n) < 0.02] = None
        post[rng.random(n) < 0.04] = None
        line[rng.random(n) < 0.02] = None
        sex = np.where(female[p], "F", "M").astype(object)
        sex[rng.random(n) < 0.01] = None
        heads = _HEADERS[source]
        cols: dict[str, Any] = {
            heads[0]: rid, heads[1]: fore, heads[2]: sur, heads[3]: dob_col, heads[4]: sex,
            heads[5]: line, heads[6]: town, heads[7]: post,
        }  # fmt: skip
        nhs_share, other_share = _ID_SHARE.get(source, (0.0, 0.0))
        if heads[8]:
            vals = nhs[p].astype(object)
            vals[(rng.random(n) >= nhs_share) | (nhs[p] < 0)] = None
            cols[heads[8]] = [None if v is None else str(v) for v in vals]
        if heads[9]:
            ident = upn[p] if heads[9] == "UPN" else ni[p].astype(object)
            ident = ident.copy()
            ident[rng.random(n) >= other_share] = None
            cols[heads[9]] = ident
        extracts[source] = pa.table({k: pa.array(list(v), pa.string()) for k, v in cols.items()})
        truth_parts.append(
            pa.table({
                "source": pa.array([source] * n, pa.string()),
                "record_id": pa.array(rid.astype(object), pa.string()),
                "person_id": pa.array(p, pa.int64()),
                "household_id": pa.array(hh[p], pa.int64()),
                "household_id_now": pa.array(household_now[p], pa.int64()),
            })
        )  # fmt: skip

    def labels(index: np.ndarray, values: list[str]) -> pa.Array:
        codes = pa.array(index.astype(np.int32))
        return pa.DictionaryArray.from_arrays(codes, pa.array(values)).cast(pa.string())

    events = pa.table({
        "source": labels(src, list(chosen)),
        "record_id": pa.array(record_ids[record], pa.string()),
        "date": pa.array(day.astype("datetime64[D]"), pa.date32()),
        "agency": labels(etype, [AGENCIES[e.source] for e in EVENT_TYPES]),
        "event_type": labels(etype, [e.label for e in EVENT_TYPES]),
        "unit_cost_code": labels(etype, [e.code for e in EVENT_TYPES]),
    })  # fmt: skip
    events = events.sort_by([("date", "ascending"), ("source", "ascending")])
    truth = pa.concat_tables(truth_parts) if truth_parts else pa.table({})
    return SyntheticPlace(extracts, events, truth, people, n_hh + int(leaves.sum()))


def ground_truth_clusters(place: SyntheticPlace) -> tuple[pa.Table, pa.Table]:
    """The truth in the shape a linkage gives (clusters and households), for
    checking a linkage and for tests that need a perfect one."""
    t = place.truth
    pid = pc.cast(t.column("person_id"), pa.string())
    clusters = pa.table({
        "source": t.column("source"), "record_id": t.column("record_id"), "person_id": pid,
        "match_probability": pa.array([1.0] * t.num_rows, pa.float64()),
    })  # fmt: skip
    homes = pa.table(
        {"person_id": pid, "household_id": pc.cast(t.column("household_id"), pa.string())}
    )
    return clusters, homes.group_by(["person_id", "household_id"]).aggregate([])
