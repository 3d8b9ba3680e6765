"""The organisation registry and supplier-name resolution (no real data needed)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from totalplace.errors import ConfigError
from totalplace.orgs import KINDS, org_registry, resolve_names
from totalplace.orgs.normalise import is_company, normalise
from totalplace.orgs.registry import LA_SOURCE
from totalplace.orgs.resolve import ACCEPT, REVIEW, Matcher, evaluate
from totalplace.reference.places import registry as place_registry

from .conftest import TEST_DATA

LABELLED = TEST_DATA / "labelled_suppliers.csv"
BODIES_CSV = Path(__file__).resolve().parents[1] / "src/totalplace/data/orgs/public_bodies.csv"
RS_LINES = (
    Path(__file__).resolve().parents[1] / "src/totalplace/reference/data/outturn/rs_lines.parquet"
)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(org_registry())


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("HM Revenue & Customs", "hm revenue and customs"),
        ("H.M. Land Registry", "hm land registry"),
        ("Her Majesty's Courts Service", "hm courts service"),
        ("The Pennine Acute Hospitals", "pennine acute hospitals"),
        ("Bolton Mbc", "bolton metropolitan borough council"),
        ("CITY OF BRADFORD MDC", "city of bradford metropolitan district council"),
        ("Leeds PCT (5N1)", "leeds primary care trust"),
        ("Barnsley Hospital NHS FT", "barnsley hospital nhs foundation trust"),
        ("Univ Hosp Bristol NHS Found Tr", "university hospital bristol nhs foundation trust"),
        ("Acme Ltd", "acme limited"),
        ("MCC Lord Mayor's Office FAD 009422", "mcc lord mayors office fad"),
        ("Stockport MBC (Accts Receiveable)", "stockport metropolitan borough council"),
        ("Greater M/Cr Waste Authority", "greater manchester waste authority"),
        ("North East Lincolnshire Council", "north east lincolnshire council"),
    ],
)
def test_normalise(raw: str, key: str) -> None:
    assert normalise(raw) == key


def test_company_words() -> None:
    assert is_company("Acme Ltd") and is_company("Capita PLC") and is_company("X LLP")
    assert not is_company("Leeds City Council")


def test_every_local_authority_is_a_council_body() -> None:
    reg = org_registry()
    councils = {b.id for b in reg.bodies("council")}
    assert councils == {f"la-{a.gss}" for a in place_registry().authorities()}
    leeds = reg.get("la-E08000035")
    assert leeds.source == LA_SOURCE
    assert leeds.area_gss == ("E08000035",)
    assert reg.by_code("E4704") == leeds  # its MHCLG E-code


def test_shipped_csv_adds_no_local_authority_and_names_every_source() -> None:
    with BODIES_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 300
    assert not [r["id"] for r in rows if r["id"].startswith("la-")]
    assert not [r["id"] for r in rows if not r["source"]]
    assert {r["kind"] for r in rows} <= set(KINDS)
    assert len({r["id"] for r in rows}) == len(rows)


def test_every_shipped_e_code_is_in_the_revenue_outturn() -> None:
    reg = org_registry()
    codes = {
        v for b in reg.bodies() if not b.id.startswith("la-") for k, v in b.codes if "ecode" in k
    }
    known = {r[0] for r in duckdb.sql(f"SELECT DISTINCT ecode FROM '{RS_LINES}'").fetchall()}
    assert len(codes) > 100
    assert codes <= known


def test_every_area_code_is_a_current_authority() -> None:
    places = place_registry()
    current = {a.gss for a in places.authorities(current_only=True)}
    for body in org_registry().bodies():
        if not body.id.startswith("la-"):
            assert set(body.area_gss) <= current, body.id


def test_codes_lookup_and_kinds() -> None:
    reg = org_registry()
    assert reg.by_code("5n1").id == "nhs-5N1"
    assert reg.by_code("E6047").kind == "police"
    assert reg.by_code("E7047").id == "police-west-yorkshire"
    assert reg.get("nhs-5N1").kind == "nhs_commissioner"
    assert reg.get("nhs-RCF").kind == "nhs_provider"
    assert reg.get("agency-dvla").parent_id == "dept-dft"
    with pytest.raises(ConfigError, match="no organisation has the code"):
        reg.by_code("ZZZ")


def test_exact_alias_is_accepted_at_full_confidence(matcher: Matcher) -> None:
    res = matcher.resolve("HM Revenue & Customs")
    assert (res.body_id, res.status, res.confidence, res.method) == (
        "dept-hmrc",
        "accepted",
        1.0,
        "exact",
    )


def test_council_words_around_a_place_name(matcher: Matcher) -> None:
    res = matcher.resolve("Bury Metro")
    assert (res.body_id, res.status, res.method) == ("la-E08000002", "accepted", "council-name")
    assert matcher.resolve("CITY OF BRADFORD BRASS BAND").status == "rejected"
    assert matcher.resolve("Wakefield and District").status == "rejected"


def test_fuzzy_match_of_a_truncated_name_is_accepted(matcher: Matcher) -> None:
    res = matcher.resolve("Greater Manchester Combined Authori")
    assert res.method == "fuzzy"
    assert res.status == "accepted"
    assert res.body_id == "ca-greater-manchester"
    assert res.confidence >= ACCEPT / 100


def test_review_band_is_never_accepted(matcher: Matcher) -> None:
    names = ["Her Majesty's Court Service", "WEST YORKSHIRE PASSENGER TRANSPORT", "London Councils"]
    for res in resolve_names(names, matcher.registry):
        assert res.status == "review", res
        assert res.body_id is not None
    assert matcher.resolve("WEST YORKSHIRE PASSENGER TRANSPORT").candidates == (
        "pta-west-yorkshire",
        "pte-west-yorkshire",
    )


def test_review_confidence_lies_between_the_thresholds(matcher: Matcher) -> None:
    res = matcher.resolve("LEEDS & YORK PTNSHIP NHS FOUNDATION")
    assert res.status == "review"
    assert REVIEW / 100 <= res.confidence < 1.0


def test_company_word_blocks_a_public_body_unless_an_alias_says_so(matcher: Matcher) -> None:
    res = matcher.resolve("Sheffield Teaching Hospitals NHS Foundation Trust Ltd")
    assert (res.status, res.method, res.body_id) == ("rejected", "company", None)
    assert matcher.resolve("Post Office Ltd").body_id == "pc-post-office"


def test_places_in_company_names_are_not_councils(matcher: Matcher) -> None:
    for name in (
        "Yorkshire Water Authority",
        "Manchester Metropolitan University",
        "Leeds City College",
    ):
        assert matcher.resolve(name).status == "rejected", name
    assert matcher.resolve("South Ayrshire Council").status != "accepted"


def test_user_files_add_aliases_and_bodies(tmp_path: Path) -> None:
    assert Matcher(org_registry()).resolve("CBMDC").status == "rejected"
    (tmp_path / "mine.csv").write_text(
        "id,name,kind,aliases,source\n"
        "la-E08000032,,,CBMDC,\n"
        "other-wy-joint-services,West Yorkshire Joint Services,joint_authority,,my notes\n",
        encoding="utf-8",
    )
    reg = org_registry(tmp_path)
    m = Matcher(reg)
    assert (m.resolve("CBMDC").body_id, m.resolve("CBMDC").status) == ("la-E08000032", "accepted")
    assert reg.get("la-E08000032").source == LA_SOURCE  # an alias row keeps the source
    joint = reg.get("other-wy-joint-services")
    assert (joint.kind, joint.source) == ("joint_authority", "my notes")
    assert m.resolve("West Yorkshire Joint Services").body_id == joint.id
    assert "CBMDC" not in org_registry().get("la-E08000032").aliases  # shipped stays as shipped


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("x-1,X,planet,,s", "kind 'planet'"),
        ("x-1,,council,,s", "needs a name and a kind"),
        ("x 1,X,alb,,s", "must be letters, digits"),
    ],
)
def test_bad_user_rows_name_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    (tmp_path / "bad.csv").write_text(f"id,name,kind,aliases,source\n{row}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"bad.csv line 2: .*{message}"):
        org_registry(tmp_path)


def test_labelled_set_precision_and_recall() -> None:
    ev = evaluate(LABELLED)
    assert ev.labelled >= 200
    assert ev.public >= 100 and ev.labelled - ev.public >= 50
    print(
        f"\nlabelled {ev.labelled}, public {ev.public}: precision {ev.precision:.3f} "
        f"(tp {ev.tp}, fp {ev.fp}), recall {ev.recall:.3f} (fn {ev.fn}), review {ev.review}"
    )
    assert ev.precision >= 0.95
    assert ev.tp + ev.fn == ev.public


def test_labelled_ids_are_registry_bodies() -> None:
    reg = org_registry()
    with LABELLED.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["body_id"] != "none":
            reg.get(row["body_id"])
    assert len({r["name"] for r in rows}) == len(rows)
