"""Optimism bias by the confidence grade of the evidence (rules as data).

The shipped table (``data/optimism_bias.toml``) names its source and says it
is an assumption where the source's figures could not be confirmed; a case
file may override any grade in its own ``[optimism_bias]`` table.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Grade:
    grade: int
    fraction: Decimal
    evidence: str


@dataclass(frozen=True)
class GradeTable:
    source: str
    status: str  # "assumption" or "confirmed"
    grades: dict[int, Grade]

    def fraction(self, grade: int) -> Decimal:
        return self.grades[grade].fraction

    def with_overrides(self, overrides: dict[int, Decimal]) -> GradeTable:
        grades = dict(self.grades)
        for grade, fraction in overrides.items():
            old = grades.get(grade)
            grades[grade] = Grade(grade, fraction, old.evidence if old else "set in the case file")
        return GradeTable(f"{self.source}; overridden in the case file", "case file", grades)


@cache
def default_grades() -> GradeTable:
    raw = tomllib.loads(
        resources.files("totalplace")
        .joinpath("data/optimism_bias.toml")
        .read_text(encoding="utf-8")
    )
    grades = {
        int(key): Grade(int(key), Decimal(str(spec["fraction"])), str(spec["evidence"]))
        for key, spec in raw["grades"].items()
    }
    return GradeTable(str(raw["source"]), str(raw["status"]), grades)
