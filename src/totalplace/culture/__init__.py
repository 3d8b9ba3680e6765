"""The culture process: the barriers register, the asks of central government
and the partnership's log of decisions."""

from totalplace.culture.asks import asks_by_department, asks_markdown
from totalplace.culture.barriers import (
    TRANSITIONS,
    Barrier,
    add_barrier,
    read_register,
    select,
    update_barrier,
)
from totalplace.culture.decisions import Decision, add_decision, read_decisions
from totalplace.culture.fields import STATUSES, TYPES
from totalplace.culture.workshop import ImportResult, export_csv, import_csv

__all__ = [
    "STATUSES",
    "TRANSITIONS",
    "TYPES",
    "Barrier",
    "Decision",
    "ImportResult",
    "add_barrier",
    "add_decision",
    "asks_by_department",
    "asks_markdown",
    "export_csv",
    "import_csv",
    "read_decisions",
    "read_register",
    "select",
    "update_barrier",
]
