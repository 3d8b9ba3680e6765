"""Invest-to-save business cases: costs and savings by agency, discounted on the Green Book.

Read a case with :func:`load_case`, run it with :func:`appraise` (the
deterministic result, a seeded Monte Carlo and a tornado), or use
:func:`result`, :func:`simulate` and :func:`tornado` one at a time.
"""

from totalplace.case.compute import CaseResult, evaluate, result, to_pence
from totalplace.case.discount import discount_factors
from totalplace.case.model import Case, CaseIssue, load_case
from totalplace.case.montecarlo import (
    Appraisal,
    MonteCarloResult,
    TornadoBar,
    appraise,
    simulate,
    tornado,
)
from totalplace.case.params import Param

__all__ = [
    "Appraisal",
    "Case",
    "CaseIssue",
    "CaseResult",
    "MonteCarloResult",
    "Param",
    "TornadoBar",
    "appraise",
    "discount_factors",
    "evaluate",
    "load_case",
    "result",
    "simulate",
    "to_pence",
    "tornado",
]
