"""Leave one publisher out on the real spend files, as benchmarks/classify_lopo.py
measures it: a publisher's own rules removed and its rows kept out of the
model's training, then its coverage by value and its agreement with its own
rules.  The figures are computed here, not written down."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from totalplace.classify.rules import RuleSet
from totalplace.workspace import Workspace

from .conftest import SPEND

ROOT = Path(__file__).resolve().parents[1]


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "classify_lopo", ROOT / "benchmarks" / "classify_lopo.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["classify_lopo"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lopo(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    if not SPEND.is_dir():
        pytest.skip(f"real spend data not found at {SPEND} (shared/data is not beside the project)")
    return _benchmark()


@pytest.fixture(scope="module")
def everything(lopo: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws: Workspace = lopo.ingest_all(SPEND, tmp_path_factory.mktemp("lopo") / "ws")
    return ws


# Two publishers, small enough to keep the test short: Cabinet Office, a
# central department whose labels share little with the councils', and
# Wakefield, whose service codes (CHILDYOU, COMMU...) are its own.
LEFT_OUT = ("Cabinet Office", "Wakefield WMDC")
# Held out with the model (threshold 0.4), as measured on 2026-12-06
# (benchmarks/RESULTS.md), less 0.1 point for the table's rounding:
# (coverage with the model, agreement).  The GLA is the one publisher short
# of 85% coverage (73.1%, from 40.7%), Network Rail had the lowest agreement
# (72.2%, from 13.8%).
FLOORS = {
    "Cabinet Office": (0.986, 0.885),
    "Greater London Authority": (0.730, 0.965),
    "Network Rail": (0.994, 0.721),
    "Wakefield WMDC": (0.965, 0.713),
}
# Held out with the rules alone (every publisher's own rules removed at once;
# no model), as measured on 2026-12-06: pooled coverage by value over the 13
# publishers, pooled agreement on own-rule rows the rules classify, and each
# publisher's coverage.
RULES_POOLED_COVERAGE = 0.771
RULES_POOLED_AGREEMENT = 0.681
RULES_COVERAGE = {
    "Cabinet Office": 0.112,
    "City of Bradford Metropolitan District Council": 0.883,
    "Darlington Borough Council": 0.762,
    "Greater London Authority": 0.695,
    "Leeds City Council": 0.969,
    "Manchester City Council": 0.885,
    "Network Rail": 0.823,
    "Newcastle City Council": 1.0,
    "North Tyneside Council": 0.753,
    "Sheffield City Council": 0.558,
    "The Borough of Calderdale": 1.0,
    "Trafford Council": 0.635,
    "Wakefield WMDC": 0.440,
}


@pytest.fixture(scope="module")
def held(lopo: ModuleType, everything: Workspace) -> dict[str, object]:
    table, _ = lopo.run(everything, lopo.THRESHOLD, [], sorted({*LEFT_OUT, *FLOORS}))
    return {h.publisher: h for h in table}


@pytest.fixture(scope="module")
def rules_alone(lopo: ModuleType, everything: Workspace) -> list:
    """Every publisher held out at once with the rules alone: on its rows only
    the generic rules and vocabularies apply, as when its own are removed."""
    rules = lopo.load_rules()
    with everything.connect() as con:
        publishers = [r[0] for r in con.sql("SELECT DISTINCT publisher FROM files").fetchall()]
    generic = RuleSet(
        tuple(r for r in rules.rules if not any(r.is_for(p) for p in publishers)),
        rules.taxonomy,
        rules.sources,
    )
    out = everything.tmp_dir / "rules-alone"
    out.mkdir(exist_ok=True)
    ref, _ = lopo.classify_rows(everything, rules, dest=out / "reference.parquet")
    held, _ = lopo.classify_rows(everything, generic, dest=out / "generic.parquet")
    with everything.connect() as con:
        return [
            lopo.measure(
                con, p, held, ref, [r.id for r in rules.rules if r.is_for(p)], lopo.THRESHOLD, 0
            )
            for p in sorted(publishers)
        ]


@pytest.mark.slow
@pytest.mark.parametrize("publisher", LEFT_OUT)
def test_a_publisher_left_out_reaches_the_coverage_target_through_the_model(
    lopo: ModuleType, held: dict, publisher: str
) -> None:
    h = held[publisher]
    assert h.by_rules is not None and h.with_model is not None
    # the rules alone fall short; the vocabularies and the model get there
    assert h.by_rules < lopo.COVERAGE_TARGET <= h.with_model


@pytest.mark.slow
@pytest.mark.parametrize("publisher", LEFT_OUT)
def test_a_publisher_left_out_mostly_agrees_with_its_own_rules(
    lopo: ModuleType, held: dict, publisher: str
) -> None:
    """Agreement is below the 90% target for both (benchmarks/RESULTS.md gives
    the figures and why); what holds is that the held-out run classifies most
    of what the publisher's own rules do, and more than half of it the same."""
    h = held[publisher]
    assert h.own_covered is not None and h.own_covered >= lopo.COVERAGE_TARGET
    assert h.agreement is not None and h.agreement > 0.5


@pytest.mark.slow
@pytest.mark.parametrize("publisher", sorted(FLOORS))
def test_held_out_coverage_and_agreement_do_not_fall_below_the_measured_floor(
    held: dict, publisher: str
) -> None:
    coverage, agreement = FLOORS[publisher]
    h = held[publisher]
    assert h.with_model is not None and h.with_model >= coverage
    assert h.agreement is not None and h.agreement >= agreement


@pytest.mark.slow
def test_rules_alone_held_out_do_not_fall_below_the_measured_floor(
    lopo: ModuleType, rules_alone: list
) -> None:
    value = sum(h.value_pence for h in rules_alone)
    pooled = sum((h.by_rules or 0) * h.value_pence for h in rules_alone) / value
    assert pooled >= RULES_POOLED_COVERAGE
    assert lopo.pooled_agreement(rules_alone) >= RULES_POOLED_AGREEMENT
    for h in rules_alone:
        assert (h.by_rules or 0) >= RULES_COVERAGE[h.publisher], h.publisher
