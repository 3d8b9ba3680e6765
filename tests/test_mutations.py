"""Tests that fail for changes a hand mutation of the count found the suite let
through: each test's docstring names the change it catches.  Every one was
checked by making the change, seeing the test fail, and undoing it."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest

from totalplace.case.montecarlo import Z90, Param
from totalplace.classify import classify_workspace
from totalplace.classify.query import run_classification
from totalplace.classify.rules import merge_rule_files
from totalplace.classify.taxonomy import default_taxonomy
from totalplace.count.cube import assemble, build_count
from totalplace.count.topdown import topdown
from totalplace.count.transactions import PayerCoverage, TransactionGroup, Transactions
from totalplace.count.transfers import NOT_COUNTED, classify_transfers
from totalplace.demo import write_demo_bodies
from totalplace.demo_data import PCT as DEMO_PCT
from totalplace.ingest import ingest_files
from totalplace.money import millions
from totalplace.orgs import Body, OrgRegistry, org_registry, resolve_workspace
from totalplace.orgs.resolve import ORGS_DIR
from totalplace.reference.places import registry, resolve_place
from totalplace.workspace import Workspace

YEAR = "2010-11"


def _body(body_id: str, name: str, kind: str, area: tuple[str, ...] = ()) -> Body:
    return Body(
        id=body_id,
        name=name,
        kind=kind,
        codes=(),
        area_gss=area,
        parent_id=None,
        funding_department=None,
        valid_from=None,
        valid_to=None,
        aliases=(),
        source="test",
    )


def _group(payer: str, payee: str | None, pence: int, theme: str = "health") -> TransactionGroup:
    return TransactionGroup(
        paying_body=payer,
        theme=theme,
        tier="not known",
        pass_through=False,
        capital=False,
        payee_body=payee,
        payee_kind=None,
        pence=pence,
        rows=1,
    )


def test_a_body_paying_itself_is_no_transfer() -> None:
    """Catches: the self-payment skip in transfer elimination removed
    (count/transfers.py, ``if agency == body.name: continue``).  A council's
    internal recharge to itself would be reported, and eliminated when it is
    counted gross, taking its own spending out of the count."""
    council = _body("c1", "Northmoor City Council", "council")
    police = _body("p1", "Northmoor Police", "police")
    orgs = OrgRegistry([council, police])
    groups = [
        _group("Northmoor City Council", "c1", 70_000),  # a recharge to itself
        _group("Northmoor City Council", "p1", 30_000),
    ]
    transfers = classify_transfers(
        groups,
        {"Northmoor City Council": "Northmoor City Council"},
        orgs,
        net_ecodes=frozenset(),
        gross_ids=frozenset({"c1", "p1"}),
        serves_place=lambda _: True,
    )
    assert [(t.payee, t.pence, t.eliminated) for t in transfers] == [
        ("Northmoor Police", 30_000, True)
    ]


@pytest.mark.parametrize(
    ("pence", "shown"),
    [
        (15_000_000, "£0.2m"),  # £150,000: half way rounds up
        (14_999_999, "£0.1m"),
        (19_999_999, "£0.2m"),
        (-19_999_999, "-£0.2m"),
        (123_456_789_012, "£1,234.6m"),
        (0, "£0.0m"),
    ],
)
def test_millions_rounds_to_the_nearest_tenth_never_truncates(pence: int, shown: str) -> None:
    """Catches: ``millions()`` truncating instead of rounding
    (money.py, ``tenths = abs(pence) // 10_000_000``): £199,999.99 would show as
    £0.1m, understating every total in the summaries by up to £100,000."""
    assert millions(pence) == shown


def test_lognormal_draws_centre_on_the_median_not_on_its_logarithm() -> None:
    """Catches: log-normal draws using the median as the mean of the log
    (case/montecarlo.py, ``np.exp(rng.normal(median, sigma))`` instead of
    ``median * np.exp(rng.normal(0, sigma))``): a median of 100 would draw
    around e^100.  The draws' median is the median given and their 90th
    percentile is the one ``low_high`` (the tornado) reports."""
    param = Param("x", 100.0, "lognormal", (100.0, 0.5))
    draws = param.sample(np.random.default_rng(20_100_315), 200_000)
    assert np.median(draws) == pytest.approx(100.0, rel=0.01)
    assert np.quantile(draws, 0.9) == pytest.approx(100.0 * math.exp(Z90 * 0.5), rel=0.01)
    low, high = param.low_high()
    assert np.quantile(draws, 0.1) == pytest.approx(low, rel=0.01)
    assert np.quantile(draws, 0.9) == pytest.approx(high, rel=0.01)


LB_HEADER = "Payment Date,Amount,Supplier Name,Service,Expense Type"
LB_RECORDS = [
    '2011-01-05,100.00,Shine Ltd,"Office\nCleaning",Contract',  # LF inside a quoted field
    '2011-01-06,200.00,Shine Ltd,"Office\r\nCleaning",Contract',
    '2011-01-07,300.00,Shine Ltd,"Office\u2028Cleaning",Contract',  # a Unicode line separator
    "2011-01-08,400.00,Shine Ltd,Office Cleaning,Contract",
    "2011-01-09,500.00,Shine Ltd,Officecleaning,Contract",  # no separator: no match
]


def test_a_line_break_in_a_field_matches_a_regex_as_a_space(tmp_path: Path, engine: str) -> None:
    """Catches: the line-break cleaning before a regex removed
    (classify/query.py, ``col.re_replace(_LINE_BREAKS, " ")`` in ``_Fields``), on
    each engine.  "." in RE2 and in Java stops at a line break (Java's at
    \\u2028 too), so without the cleaning a service written over two lines is
    missed, and DuckDB and Spark disagree on the Unicode separators."""
    ws = Workspace.create(tmp_path / "ws", ["E08000025"], YEAR)
    src = tmp_path / "spend.csv"
    src.write_text("\n".join([LB_HEADER, *LB_RECORDS]) + "\n", encoding="utf-8", newline="")
    assert ingest_files(ws, [src], publisher="Test Council").ok
    rules = merge_rule_files(
        [
            (
                "test.toml",
                '[[rule]]\nid = "t.cleaning"\nprecedence = 1\ntheme = "corporate_and_back_office"\n'
                'ignore_case = true\nmatch.service = { regex = "^office.cleaning$" }\n',
                False,
            )
        ],
        default_taxonomy(),
    )
    path = run_classification(ws, rules, engine)
    matched = dict(duckdb.sql(f"SELECT source_line, rule_id FROM '{path}'").fetchall())
    with ws.connect() as con:
        by_amount = dict(con.execute("SELECT amount_pence, source_line FROM spend").fetchall())
    assert [matched[by_amount[p]] for p in (10_000, 20_000, 30_000, 40_000, 50_000)] == [
        "t.cleaning",
        "t.cleaning",
        "t.cleaning",
        "t.cleaning",
        None,
    ]


TRUST = "Northmoor Hospitals NHS Foundation Trust"
PCT = DEMO_PCT
TRUST_CSV = [
    "Payment Date,Amount,Supplier Name,Service,Expense Type",
    "2010-06-01,5000.00,Drug Supplies Ltd,Pharmacy,Drugs",
    "2010-07-01,7000.00,Agency Nurses Ltd,Wards,Agency staff",
]


def test_an_nhs_provider_is_never_counted_gross_from_its_own_payments(tmp_path: Path) -> None:
    """Catches: NHS providers allowed as gross payers (count/cube.py,
    ``body.kind != "nhs_provider"`` in ``_gross_bodies``).  The count holds a
    place's health money once, as the commissioner's spending; a trust's own
    payments are that money spent again, so they are never lines of the count
    and the commissioner's payments to the trust are never eliminated."""
    ws = Workspace.create(tmp_path / "ws", ["E99999901", "E99999902"], YEAR)
    write_demo_bodies(ws.root / ORGS_DIR)
    trust = tmp_path / "trust.csv"
    trust.write_text("\n".join(TRUST_CSV) + "\n", encoding="utf-8")
    pct = tmp_path / "pct.csv"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Payment Date", "Amount", "Supplier Name", "Service", "Expense Type"])
    writer.writerow(["2010-06-01", "90000.00", TRUST, "Acute Commissioning", "Contract"])
    writer.writerow(["2010-07-01", "1000.00", "Bandage Co", "Community Services", "Supplies"])
    pct.write_text(buf.getvalue(), encoding="utf-8")
    assert ingest_files(ws, [trust], publisher=TRUST).ok
    assert ingest_files(ws, [pct], publisher=PCT).ok
    classify_workspace(ws, model=False)  # the rules alone: quicker, and enough here
    resolve_workspace(ws)
    count = build_count(ws)
    assert TRUST not in {x.agency for x in count.lines}
    assert any(n.startswith(f"{TRUST}: 2 rows not used") for n in count.notes), count.notes
    to_trust = [t for t in count.transfers if t.payee == TRUST]
    assert to_trust and not any(t.eliminated for t in to_trust)
    # a place outside the registry has no top-down lines, so the trust is in no
    # line of the count (it was said to be 'counted top down', which was untrue)
    assert {t.reason for t in to_trust} == {NOT_COUNTED}
    assert count.transfers_eliminated_pence == 0
    # the commissioner's payment to the trust stays in the count, once
    assert sum(x.pence for x in count.lines if x.agency == PCT) == 9_100_000


MANCHESTER = "E08000003"
MANCHESTER_PAYER = "Manchester City Council"


def _split_by_transactions(exact_share: tuple[int, int] | None) -> list[str]:
    """The methods of Manchester's lines in a count whose outturn lines say
    share "1.000000", with the exact share set to ``exact_share``."""
    reg = registry()
    place = resolve_place(MANCHESTER, YEAR)
    td = topdown(place, YEAR, reg=reg)
    ecode = reg.find(MANCHESTER_PAYER).ecode
    own = [x for x in td.lines if x.method == "outturn" and x.body == ecode]
    assert own and all(x.key_share == "1.000000" for x in own)
    if exact_share is not None:
        td.lines = [replace(x, key_share_parts=exact_share) if x in own else x for x in td.lines]
    group = _group(MANCHESTER_PAYER, None, 1_000_000, theme="culture_and_leisure")
    tx = Transactions(
        (group,),
        {
            MANCHESTER_PAYER: PayerCoverage(
                MANCHESTER_PAYER, date(2010, 4, 1), date(2011, 3, 31), ("2010-04",)
            )
        },
        0,
    )
    count = assemble(place, YEAR, "duckdb", td, tx, reg, org_registry())
    return [x.method for x in count.lines if x.method in ("transactions", "outturn")] + [
        n for n in count.notes if n.startswith(MANCHESTER_PAYER)
    ]


def test_a_council_is_split_by_its_payments_only_when_wholly_in_the_place() -> None:
    """Catches: deciding whether a council's payments split its outturn by the
    six-decimal display of its share (``key_share == "1.000000"`` in
    count/cube.py): a council with 999,999 of its 1,000,000 residents in the
    place shows 1.000000 but covers more than the place, so its payments
    cannot split its outturn; the decision compares the exact integers."""
    whole = _split_by_transactions(None)
    assert "transactions" in whole
    nearly = _split_by_transactions((999_999, 1_000_000))
    assert "transactions" not in nearly
    assert any("covers more than the place" in n for n in nearly)
