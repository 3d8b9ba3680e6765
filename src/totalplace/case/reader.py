"""Reading a case file's values, each check naming the file and the field."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from totalplace.case.definition import MAX_YEARS
from totalplace.case.optimism import GradeTable
from totalplace.case.params import Param, ParamError, parse_param
from totalplace.errors import ConfigError

# No public body's line comes near £10^13 (ingest refuses amounts past it too).
MAX_POUNDS = Decimal(10) ** 13


class CaseReader:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {problem}")

    def table(self, raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table ([{where}])")
        return value

    def text(self, raw: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = raw.get(key, default)
        if value is None:
            raise self.fail(f"{where}.{key}" if where else key, "is required")
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}" if where else key, "must be text in quotes")
        return value

    def whole(
        self,
        raw: dict[str, Any],
        key: str,
        where: str,
        default: int | None,
        lo: int,
        hi: int = MAX_YEARS,
    ) -> int:
        """A whole number of years (every whole number a case holds is one), ``lo`` to ``hi``."""
        value = raw.get(key, default)
        name = f"{where}.{key}"
        if value is None:
            raise self.fail(name, "is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"must be a whole number, not {value!r}")
        if value < lo:
            raise self.fail(name, f"{value} is below {lo}; give a whole number of at least {lo}")
        if value > hi:
            raise self.fail(name, f"{value} is over {hi}; give a whole number up to {hi}")
        return value

    def money(self, value: Any, where: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(where, f"must be an amount in pounds, not {value!r}")
        try:
            amount = Decimal(str(value).replace(",", "").lstrip("£"))
        except InvalidOperation:
            raise self.fail(where, f"{value!r} is not an amount in pounds") from None
        if not amount.is_finite():
            raise self.fail(where, f"{value!r} is not an amount in pounds")
        if abs(amount) > MAX_POUNDS:
            raise self.fail(
                where, f"{value!r} is over £10^13 a line; give the amount in pounds (not pence)"
            )
        return amount

    def fraction(self, value: Any, where: str) -> Decimal:
        amount = self.money(value, where)
        if not Decimal(0) <= amount <= Decimal(1):
            raise self.fail(where, f"{value} is outside 0 to 1; give a fraction (0.25 for 25%)")
        return amount

    def param(
        self, raw: dict[str, Any], key: str, where: str, default: float | None, *, rate: bool
    ) -> Param:
        name = f"{where}.{key}"
        value = raw.get(key, default)
        if value is None:
            raise self.fail(name, "is required")
        try:
            return parse_param(name, value, upper=1.0 if rate else None)
        except ParamError as exc:
            raise self.fail(name, str(exc)) from None

    def grade(self, raw: dict[str, Any], where: str, grades: GradeTable, required: bool) -> int:
        value = raw.get("confidence")
        if value is None and not required:
            return 0
        name = f"{where}.confidence"
        if isinstance(value, bool) or not isinstance(value, int) or value not in grades.grades:
            known = ", ".join(str(g) for g in sorted(grades.grades))
            raise self.fail(name, f"{value!r} is not a confidence grade; use one of {known}")
        return value


def check_year(r: CaseReader, year: str, where: str) -> None:
    head, _, tail = year.partition("-")
    if not (len(head) == 4 and head.isdigit() and tail == f"{(int(head) + 1) % 100:02d}"):
        raise r.fail(where, f"{year!r} is not a financial year; write it like '2014-15'")
