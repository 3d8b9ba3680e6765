"""Outcome indicators by English authority, and funnel-plot control limits.

The indicators (:data:`INDICATORS`) are published extracts of Public Health
England's Fingertips (obesity, activity, depression, smoking, preventable
mortality, healthy life expectancy) and of DWP, DfE, ONS and Defra tables
(poverty, schools, recycling).  ``scripts/build_outcomes.py`` reads them into
``reference/data/outcomes/outcomes.csv``: one row per indicator, authority
(current GSS code, or E92000001 for England) and period, with the financial
year the period falls in, so an outcome can be set beside the same year's
spending.

Funnel plots (:func:`funnel_limits`) follow Public Health England's method
(Spiegelhalter, *Funnel plots for comparing institutional performance*,
Statistics in Medicine 2005; PHE Technical Guide: Funnel plots): the target is
England's value and the limits depend only on the authority's denominator, so
a small authority is not flagged for a difference chance alone explains.
Proportions take the normal approximation to the binomial,
p0 +/- z * sqrt(p0 (1 - p0) / n); rates per 100,000 take Poisson limits on the
expected count E = rate0 x n / 100,000 by Byar's approximation,
lower E (1 - 1/(9E) - z/(3 sqrt E))^3 and upper
(E + 1)(1 - 1/(9(E + 1)) + z/(3 sqrt(E + 1)))^3,
turned back into a rate.  z is 1.959964 for 95% and 3.090232 for 99.8%.
Survey indicators (Active Lives, the Annual Population Survey) publish no
sample size in these extracts, so they get no funnel: a limit computed from
the population would be far too narrow.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from totalplace.errors import ConfigError

OUTCOMES_FILE = "outcomes.csv"
ENGLAND = "E92000001"
# Two-sided standard normal quantiles of PHE's two funnel limits.
Z = {"95": 1.959964, "99.8": 3.090232}
# How a denominator is made from the shipped population and age shares.
DENOMINATORS: Mapping[str, str] = {
    "population": "all residents (mid-year estimate)",
    "year_of_age": "one year of age among children: residents under 16 / 16",
    "two_years_of_age": "two years of age among children: 2 x residents under 16 / 16",
    "under16": "residents under 16",
    "adults": "residents aged 18 and over: all residents less 18/16 of the under-16s",
    "working_age": "residents aged 16 to 64: all residents less the under-16s and the 65+",
    "survey": "a survey: its sample size is not in the extract, so no funnel",
    "none": "not a share or rate of people (years, tonnes): no funnel",
}


@dataclass(frozen=True, slots=True)
class Indicator:
    """An outcome indicator: where it is read from, what it measures and how to judge it."""

    id: str
    label: str
    source: str  # path under shared/data/outcomes
    match: str  # the source's `indicator` text starts with this
    kind: str  # "proportion" (percent), "rate" (per 100,000) or "value"
    higher_is_better: bool
    denominator: str  # a key of DENOMINATORS
    line: str  # the RS service line whose spending it is set against
    sex: str = ""  # the source's `unit` or `inequality` value kept, where split by sex

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "label": self.label, "kind": self.kind,
            "higher_is_better": self.higher_is_better, "denominator": self.denominator,
            "denominator_basis": DENOMINATORS[self.denominator], "line": self.line,
        }  # fmt: skip


_H, _P, _C = "health/", "poverty/", "climate/"
INDICATORS: tuple[Indicator, ...] = (
    Indicator("obese_reception", "Children aged 4-5 who are obese (%)", _H + "obese_reception.csv",
              "Reception prevalence of obesity", "proportion", False, "year_of_age",
              "public_health"),
    Indicator("obese_year6", "Children aged 10-11 who are obese (%)", _H + "obese_year6.csv",
              "Year 6 prevalence of obesity", "proportion", False, "year_of_age",
              "public_health"),
    Indicator("depression", "Adults with depression, GP registers (%)",
              _H + "adults_depression.csv", "Depression", "proportion", False, "adults",
              "public_health"),
    Indicator("preventable_mortality", "Deaths under 75 from preventable causes per 100,000",
              _H + "mortality_rate.csv", "Under 75 mortality rate", "rate", False, "population",
              "public_health", "Persons"),
    Indicator("active_adults", "Physically active adults (%)", _H + "active_adults.csv",
              "Percentage of physically active adults", "proportion", True, "survey",
              "public_health"),
    Indicator("inactive_adults", "Physically inactive adults (%)", _H + "inactive_adults.csv",
              "Percentage of physically inactive adults", "proportion", False, "survey",
              "public_health"),
    Indicator("overweight_adults", "Adults overweight or obese (%)", _H + "overweight_adult.csv",
              "Percentage of adults", "proportion", False, "survey", "public_health"),
    Indicator("smoking_manual", "Smokers among adults in routine and manual jobs (%)",
              _H + "adults_smoking_manual.csv", "Smoking prevalence", "proportion", False,
              "survey", "public_health"),
    Indicator("dental_decay", "5-year-olds with visible dental decay (%)",
              _H + "children_dental_decay.csv", "Percentage of 5 year olds", "proportion", False,
              "survey", "public_health"),
    Indicator("active_children", "Physically active children (%)", _H + "active_children.csv",
              "Percentage of physically active children", "proportion", True, "survey",
              "public_health"),
    Indicator("healthy_life_expectancy_female", "Healthy life expectancy at birth, women (years)",
              _H + "healthy_life_expectancy.csv", "Healthy life expectancy", "value", True,
              "none", "public_health", "Female"),
    Indicator("healthy_life_expectancy_male", "Healthy life expectancy at birth, men (years)",
              _H + "healthy_life_expectancy.csv", "Healthy life expectancy", "value", True,
              "none", "public_health", "Male"),
    Indicator("children_low_income", "Children under 16 in relative low income families (%)",
              _P + "children_poverty.csv", "Children in relative low income", "proportion",
              False, "under16", "children_social_care"),
    Indicator("claimants", "Claimants, share of residents aged 16-64 (%)",
              _P + "claimant_count.csv", "Claimants as a proportion", "proportion", False,
              "working_age", "central_services"),
    Indicator("universal_credit", "People on Universal Credit, share of residents aged 16-64 (%)",
              _P + "universal_credit.csv", "People on Universal Credit as a proportion",
              "proportion", False, "working_age", "central_services"),
    Indicator("employment_rate", "Employment rate, aged 16-64 (%)", _P + "employment_rate.csv",
              "Employment rate", "proportion", True, "survey", "planning"),
    Indicator("ks2_expected", "Pupils at the expected standard at key stage 2 (%)",
              _P + "expected_standard_ks2.csv", "Pupils reaching the expected standard",
              "proportion", True, "year_of_age", "education"),
    Indicator("neet", "16-17 year olds not in education, employment or training (%)",
              _P + "neet.csv", "16 to 17 year olds not in education", "proportion", False,
              "two_years_of_age", "education"),
    Indicator("fuel_poverty", "Households in fuel poverty, low income high cost (%)",
              _P + "fuel_poverty.csv", "Fuel poverty (low income, high cost", "proportion",
              False, "survey", "housing"),
    Indicator("recycling", "Household waste reused, recycled or composted (%)",
              _C + "household_waste_recycling.csv", "Household waste sent for reuse",
              "proportion", True, "none", "environmental"),
    Indicator("walking_cycling", "Adults walking or cycling five times a week (%)",
              _C + "adults_walking_or_cycling.csv", "Proportion of adults who do any walking",
              "proportion", True, "survey", "highways_transport"),
)  # fmt: skip
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


def indicator(ident: str) -> Indicator:
    """The indicator with this id, or a ConfigError listing the ids."""
    for found in INDICATORS:
        if found.id == ident:
            return found
    raise ConfigError(
        f"unknown outcome indicator {ident!r}; one of: {', '.join(i.id for i in INDICATORS)}"
    )


def _fy(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def financial_year_of(period: str) -> str | None:
    """The financial year (April to March) a published period mostly falls in.

    "2017/18" and "2017-18" are that year; a calendar year 2017 is 2017-18 (nine
    of its months); a span "2010 - 12" is its middle year's; a month "April 2021"
    and a twelve-month span ending in it ("Jan 2017-Dec 2017") are the financial
    year holding that month; a date "2021-06-30" likewise.  A pooled span of
    financial years ("2018/19 - 22/23") and anything else gives None.
    """
    text = period.strip()
    if m := re.fullmatch(r"(\d{4})[/-](\d{2})", text):
        start = int(m.group(1))
        return _fy(start) if (start + 1) % 100 == int(m.group(2)) else None
    if re.fullmatch(r"\d{4}", text):
        return _fy(int(text))
    if m := re.fullmatch(r"(\d{4}) - (\d{2})", text):
        return _fy(int(m.group(1)) + 1)
    month_year = r"([A-Za-z]{3})[a-z]* (\d{4})"
    if m := (re.fullmatch(month_year, text) or re.fullmatch(rf".*-{month_year}", text)):
        month = _MONTHS.get(m.group(1).lower())
        if month is None:
            return None
        year = int(m.group(2))
        return _fy(year if month >= 4 else year - 1)
    if m := re.fullmatch(r"(\d{4})-(\d{2})-\d{2}", text):
        year, month = int(m.group(1)), int(m.group(2))
        return _fy(year if month >= 4 else year - 1)
    return None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One published value: an indicator for an authority (or England) in a period."""

    indicator: str
    gss: str
    period: str
    year: str  # financial year, from :func:`financial_year_of`
    value: float


@cache
def outcomes() -> tuple[Outcome, ...]:
    """Every shipped outcome value."""
    ref = files("totalplace.reference").joinpath("data", "outcomes", OUTCOMES_FILE)
    rows = csv.DictReader(io.StringIO(ref.read_text(encoding="utf-8")))
    return tuple(
        Outcome(r["indicator"], r["gss"], r["period"], r["year"], float(r["value"])) for r in rows
    )


def values(ident: str) -> list[Outcome]:
    """The shipped values of one indicator, oldest first."""
    indicator(ident)
    return sorted((o for o in outcomes() if o.indicator == ident), key=lambda o: (o.year, o.gss))


def nearest_year(ident: str, year: str) -> str | None:
    """The indicator's financial year nearest to ``year`` (the later on a tie)."""
    years = {o.year for o in values(ident)}
    if not years:
        return None
    return min(years, key=lambda y: (abs(int(y[:4]) - int(year[:4])), -int(y[:4])))


@dataclass(frozen=True, slots=True)
class Limits:
    """Funnel-plot control limits at one denominator, in the indicator's units."""

    denominator: int
    lower95: float
    upper95: float
    lower998: float
    upper998: float


def _proportion(p0: float, n: int, z: float) -> tuple[float, float]:
    half = z * math.sqrt(p0 * (1 - p0) / n)
    return max(0.0, p0 - half), min(1.0, p0 + half)


def _poisson(expected: float, z: float) -> tuple[float, float]:
    """Byar's approximation to the exact Poisson limits of an expected count."""
    e = expected
    lower = e * (1 - 1 / (9 * e) - z / (3 * math.sqrt(e))) ** 3 if e > 0 else 0.0
    f = e + 1
    upper = f * (1 - 1 / (9 * f) + z / (3 * math.sqrt(f))) ** 3
    return max(0.0, lower), upper


def funnel_limits(kind: str, target: float, denominator: int) -> Limits:
    """Control limits around ``target`` (England's value) for an authority of
    ``denominator`` people: percent for a proportion, per 100,000 for a rate."""
    if denominator <= 0:
        raise ConfigError(f"a funnel limit needs a denominator above zero, not {denominator}")
    found: list[float] = []
    for z in (Z["95"], Z["99.8"]):
        if kind == "proportion":
            low, high = _proportion(target / 100, denominator, z)
            found += [low * 100, high * 100]
        elif kind == "rate":
            low, high = _poisson(target * denominator / 100_000, z)
            found += [low * 100_000 / denominator, high * 100_000 / denominator]
        else:
            raise ConfigError(f"no funnel for a {kind!r} indicator: only proportions and rates")
    return Limits(denominator, *found)


def judge(value: float, limits: Limits, higher_is_better: bool) -> str:
    """Where a value lies against the limits: 'within', or better/worse at 95% or 99.8%."""
    if limits.lower95 <= value <= limits.upper95:
        return "within"
    high = value > limits.upper95
    level = "99.8%" if (value > limits.upper998 or value < limits.lower998) else "95%"
    better = high == higher_is_better
    return f"{'better' if better else 'worse'} ({level})"
