"""A council's payments refine its outturn service by service, never destroy it:
capital and council-housing payments are kept out of the revenue split,
levies paid by transaction are pass-through, and every service keeps its
outturn to the penny.

The synthetic council is Manchester in 2012-13, whose Revenue Outturn the
package ships, with a hand-written classification so that each test fixes
exactly which payments have which theme."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.test_count_honesty import _services, _without_files
from totalplace.count.capital import CAPITAL_COLUMN, CAPITAL_RULE, HRA_RULE, NOT_IN_REFERENCE
from totalplace.count.cube import build_count
from totalplace.count.topdown import topdown
from totalplace.ingest.pipeline import ingest_files
from totalplace.orgs.resolve import resolve_workspace
from totalplace.reference.places import resolve_place
from totalplace.workspace import CLASSIFIED_NAME, Workspace

COUNCIL = "Manchester City Council"
YEAR = "2012-13"
# supplier -> (amount, service, expense type, capital/revenue cell or None, theme)
Payment = tuple[str, str, str, str | None, str]


def _council(root: Path, payments: dict[str, Payment]) -> Workspace:
    ws = Workspace.create(root / "ws", ["E08000003"], YEAR)
    column = any(p[3] is not None for p in payments.values())
    head = "Payment Date,Amount,Supplier Name,Service Area,Expenses Type"
    lines = [head + (",Capital or revenue" if column else "")]
    for name, (amount, service, expense, cap, _) in payments.items():
        lines.append(
            f"2012-06-01,{amount},{name},{service},{expense}" + (f",{cap}" if column else "")
        )
    path = root / "spend.csv"
    path.write_text("\n".join(lines) + "\n")
    report = ingest_files(ws, [path], publisher=COUNCIL)
    assert report.ok, [f.message for f in report.files]
    with ws.connect() as con:
        rows = con.execute("SELECT file_id, source_line, supplier_name FROM spend").fetchall()
    assert len(rows) == len(payments)
    theme = [payments[r[2]][4] for r in rows]
    pq.write_table(
        pa.table(
            {
                "file_id": pa.array([r[0] for r in rows], pa.string()),
                "source_line": pa.array([r[1] for r in rows], pa.int64()),
                "rule_id": pa.array([f"test.{r[2]}" for r in rows], pa.string()),
                "theme": pa.array(theme, pa.string()),
                "tier": pa.array([None for _ in rows], pa.string()),
                "pass_through": pa.array([False for _ in rows], pa.bool_()),
                "catch_all": pa.array([False for _ in rows], pa.bool_()),
                "method": pa.array(["rule" for _ in rows], pa.string()),
            }
        ),
        ws.root / CLASSIFIED_NAME,
    )
    return ws


def test_capital_and_council_housing_payments_never_split_revenue(tmp_path: Path) -> None:
    """Building works and the Housing Revenue Account are not General Fund
    revenue spending, which is all the outturn the payments split holds."""
    ws = _council(
        tmp_path,
        {
            "Road Surfacing Ltd": (
                "3000.00",
                "Highways",
                "Building Works",
                None,
                "housing_and_regeneration",
            ),
            "Tenant Repairs Ltd": (
                "4000.00",
                "Housing Revenue Account",
                "Repairs",
                None,
                "housing_and_regeneration",
            ),
            "Foster Families Ltd": (
                "5000.00",
                "Children",
                "Fostering",
                None,
                "children_and_families",
            ),
        },
    )
    count = build_count(ws)
    assert count.bottom_up_pence == 500_000  # the fostering payment alone
    kinds = {x.flags[0]: (x.pence, x.capital_revenue, x.grade) for x in count.set_apart}
    assert kinds == {
        CAPITAL_RULE: (300_000, "capital", "C"),
        HRA_RULE: (400_000, "revenue (HRA)", "C"),
    }
    assert all(NOT_IN_REFERENCE in x.flags for x in count.set_apart)
    data = count.to_dict()
    assert data["set_apart_pence"] == 700_000 and len(data["set_apart"]) == 2
    # shown, not counted: the place's total is unchanged, each service keeps its outturn
    assert count.total_pence == topdown(resolve_place("E08000003"), YEAR).total_pence
    assert _services(count) == _services(_without_files(tmp_path))
    housing = [
        x for x in count.lines if x.agency == COUNCIL and x.service == "housing_and_regeneration"
    ]
    assert [x.method for x in housing] == ["outturn less payments"]


def test_the_files_capital_column_decides_where_the_row_has_one(tmp_path: Path) -> None:
    """Rules are estimates for files with no capital/revenue column: building
    works marked revenue by the file stay revenue; a row marked capital is
    capital on the file's word."""
    ws = _council(
        tmp_path,
        {
            "Road Surfacing Ltd": (
                "3000.00",
                "Highways",
                "Building Works",
                "R",
                "environment_and_transport",
            ),
            "New School Ltd": ("9000.00", "Education", "Fees", "C", "education_and_skills"),
        },
    )
    count = build_count(ws)
    assert count.bottom_up_pence == 300_000
    ((kind, pence, grade),) = [(x.flags[0], x.pence, x.grade) for x in count.set_apart]
    assert (kind, pence, grade) == (CAPITAL_COLUMN, 900_000, "A")
    assert _services(count) == _services(_without_files(tmp_path))


def test_a_levy_booked_as_anything_else_is_pass_through(tmp_path: Path) -> None:
    """The council's outturn has its levies taken out and the combined
    authority's own spending is counted, so a payment to it is a levy even
    when its lines call it a contribution to provisions and a rule made it
    corporate spending."""
    ws = _council(
        tmp_path,
        {
            "GMCA": (
                "2613750.00",
                "General Fund",
                "Conts to Accnt Provs",
                None,
                "corporate_and_back_office",
            ),
            "Foster Families Ltd": (
                "5000.00",
                "Children",
                "Fostering",
                None,
                "children_and_families",
            ),
        },
    )
    resolve_workspace(ws)
    count = build_count(ws)
    (levy,) = count.pass_through
    assert levy.pence == 261_375_000 and levy.agency == COUNCIL
    assert count.bottom_up_pence == 500_000
    assert not [x for x in count.lines if x.method == "transactions" and x.pence == 261_375_000]
    assert any("counted as levies (pass-through)" in n for n in count.notes)
    assert _services(count) == _services(_without_files(tmp_path))


def test_one_social_care_line_is_split_by_the_nearest_year_with_the_split() -> None:
    """RS 2010-11 has one social care line; labelling all of it adult care put
    £6.4bn of children's care in England under adults.  Manchester's is split
    by its own 2011-12 proportions, flagged; the two lines add back to it."""
    from totalplace.count.councils import _care_shares
    from totalplace.reference.outturn import outturn

    td = topdown(resolve_place("E08000003"), "2010-11")
    care = {
        x.subfunction: x for x in td.lines if x.body == "E4203" and "social_care" in x.subfunction
    }
    assert set(care) == {"children_social_care", "adult_social_care"}
    assert sum(x.place_pence for x in care.values()) == 32_446_200_000
    nearest = {r.line: r.pence for r in outturn("2011-12", ecode="E4203")}
    children = care["children_social_care"].place_pence
    exact = 32_446_200_000 * nearest["children_social_care"]
    exact //= nearest["children_social_care"] + nearest["adult_social_care"]
    assert abs(children - exact) <= 1
    assert all(
        "Revenue Outturn 2011-12, the nearest year" in " ".join(x.flags) for x in care.values()
    )
    # a council with no split of its own in any year takes England's
    shares = _care_shares("2010-11", "E0000")
    assert shares is not None and shares[1].startswith("England's split in Revenue Outturn 2011-12")


def test_levies_to_bodies_the_count_does_not_bring_in_stay_in_the_count() -> None:
    """Wandsworth's 2010-11 levy to the London Pensions Fund Authority (£2.063m)
    was taken out of the council's spending with no body counting it; it is
    now the LPFA's spending in the place.  Manchester's transport and waste
    levies stay out (the Greater Manchester bodies' own outturn is counted) and
    its £96,000 of other levies stay in."""
    from totalplace.count.councils import LEVY_KEPT

    td = topdown(resolve_place("E09000032"), "2010-11")
    (lpfa,) = [x for x in td.lines if x.subfunction == "levy_london_pensions_fund_authority"]
    assert lpfa.programme.startswith("London Pensions Fund Authority: ")
    assert lpfa.place_pence == 206_300_000 and LEVY_KEPT in lpfa.flags
    assert lpfa.department.startswith("Levying bodies")
    mcr = topdown(resolve_place("E08000003"), "2010-11")
    kept = {x.subfunction: x.place_pence for x in mcr.lines if LEVY_KEPT in x.flags}
    assert kept == {"levy_other": 9_600_000}


def test_a_kept_levy_is_its_bodys_spending_not_the_councils_split(tmp_path: Path) -> None:
    """In the count the kept levy is the levying body's line, themed by its
    service; the council's payments never split it."""
    ws = _council(
        tmp_path,
        {
            "Foster Families Ltd": (
                "5000.00",
                "Children",
                "Fostering",
                None,
                "children_and_families",
            )
        },
    )
    count = build_count(ws)
    (levy,) = [x for x in count.lines if x.agency == "Other levying bodies"]
    assert levy.method == "outturn" and levy.theme == "corporate_and_back_office"
    assert levy.pence > 0 and levy.service == levy.theme
    assert count.total_pence == topdown(resolve_place("E08000003"), YEAR).total_pence
