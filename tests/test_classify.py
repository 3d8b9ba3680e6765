"""Classification rules: precedence, match kinds, portable regexes, overrides, coverage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from totalplace.classify import (
    PASS_THROUGH,
    classify_workspace,
    coverage,
    default_taxonomy,
    load_rules,
    regex_problem,
    theme_for_cofog,
    theme_for_outturn_line,
)
from totalplace.classify.query import run_classification
from totalplace.classify.rules import RuleSet, merge_rule_files
from totalplace.cli import app
from totalplace.errors import ConfigError
from totalplace.ingest import ingest_files
from totalplace.workspace import Workspace

HEADER = "Payment Date,Amount,Supplier Name,Service,Expense Type,Department,Purpose,Service Code"
# line 2..7 of the file; amounts in pounds
RECORDS = [
    "2011-01-05,100.00,ACME CARE LTD,Adult Social Care,Residential Care,Adults,Care home fees,AS01",
    "2011-01-06,-50.00,HMRC,Payroll,Tax,Corporate,PAYE deductions,CO01",
    "2011-01-07,200.00,Road Co,Highways,Resurfacing,Place,Pothole repairs,HW02",
    "2011-01-08,300.00,Drug Project,Public Health,Grants,Health,Drug and alcohol service,PH07",
    "2011-01-09,400.00,Books Ltd,Libraries,Stock,Culture,New books,LB01",
    "2011-01-10,25.00,Caf\u00e9 Rouge,Catering,Food,Corporate,Lunch,CO02",
]


def _workspace(root: Path, records: list[str] = RECORDS) -> Workspace:
    ws = Workspace.create(root / "ws", ["E08000025"], "2010-11")
    src = root / "spend.csv"
    src.write_text("\n".join([HEADER, *records]) + "\n", encoding="utf-8")
    report = ingest_files(ws, [src], publisher="Test Council")
    assert report.ok
    return ws


def _rules(text: str) -> RuleSet:
    return merge_rule_files([("test.toml", text, False)], default_taxonomy())


def _rule_by_line(ws: Workspace, rules: RuleSet, engine: str = "duckdb") -> dict[int, str | None]:
    path = run_classification(ws, rules, engine)
    rows = duckdb.sql(f"SELECT source_line, rule_id FROM '{path}'").fetchall()
    return dict(rows)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return _workspace(tmp_path)


def test_higher_precedence_wins_whatever_the_file_order(ws: Workspace, engine: str) -> None:
    low = """[[rule]]
id = "a.low"
precedence = 10
theme = "adult_social_care"
match.service = "Adult Social Care"
"""
    high = """[[rule]]
id = "z.high"
precedence = 20
theme = "older_people"
match.expense_type = "Residential Care"
"""
    for text in (low + high, high + low):
        assert _rule_by_line(ws, _rules(text), engine)[2] == "z.high"


def test_equal_precedence_is_ordered_by_id(ws: Workspace) -> None:
    text = """[[rule]]
id = "b.second"
precedence = 10
theme = "older_people"
match.expense_type = "Residential Care"

[[rule]]
id = "a.first"
precedence = 10
theme = "adult_social_care"
match.service = "Adult Social Care"
"""
    rules = _rules(text)
    assert [r.id for r in rules.rules] == ["a.first", "b.second"]
    assert _rule_by_line(ws, rules)[2] == "a.first"


def test_two_rules_with_the_same_conditions_and_precedence_are_refused() -> None:
    rule = """[[rule]]
id = "{id}"
precedence = 10
theme = "health"
match.service = "Public Health"
"""
    with pytest.raises(ConfigError, match=r"test.toml: rule 'x.two' .* same precedence"):
        _rules(rule.format(id="x.one") + rule.format(id="x.two"))


@pytest.mark.parametrize(
    ("field", "spec", "line"),
    [
        ("service", '"Highways"', 4),
        ("service", '{ prefix = "High" }', 4),
        ("service", '{ regex = "^Lib.*s$" }', 6),
        ("department", '["Place", "Nowhere"]', 4),
        ("department", '{ prefix = ["Cult", "Nowhere"] }', 6),
        ("department", '{ regex = "^(He|Hx)alth" }', 5),
        ("expense_type", '"Resurfacing"', 4),
        ("expense_type", '{ prefix = "Gra" }', 5),
        ("expense_type", '{ regex = "\\\\d|^Sto" }', 6),
        ("service_code", '"PH07"', 5),
        ("service_code", '{ prefix = "LB" }', 6),
        ("service_code", '{ regex = "^HW\\\\d{2}$" }', 4),
        ("supplier_name", '"Road Co"', 4),
        ("supplier_name", '{ prefix = "Books" }', 6),
        ("supplier_name", '{ regex = "Caf\\\\x{e9}" }', 7),
        ("purpose", '"New books"', 6),
        ("purpose", '{ prefix = "Drug" }', 5),
        ("purpose", '{ regex = "repair" }', 4),
    ],
)
def test_each_match_kind_on_each_field(ws: Workspace, field: str, spec: str, line: int) -> None:
    rules = _rules(
        f"""[[rule]]
id = "t.rule"
precedence = 1
theme = "health"
match.{field} = {spec}
"""
    )
    matched = {k for k, v in _rule_by_line(ws, rules).items() if v == "t.rule"}
    assert matched == {line}


def test_ignore_case_lower_cases_the_field(ws: Workspace, engine: str) -> None:
    rules = _rules(
        """[[rule]]
id = "t.case"
precedence = 1
theme = "health"
ignore_case = true
match.service = { regex = "^public" }
match.purpose = "drug and alcohol service"
"""
    )
    assert [k for k, v in _rule_by_line(ws, rules, engine).items() if v] == [5]
    with pytest.raises(ConfigError, match="write the pattern in lower case"):
        _rules(
            '[[rule]]\nid="x"\nprecedence=1\ntheme="health"\n'
            'ignore_case=true\nmatch.service={ regex = "^Public" }\n'
        )


@pytest.mark.parametrize(
    ("pattern", "advice"),
    [
        ("drug(?=s)", "lookahead"),
        ("(?<!un)paid", "lookahead and lookbehind"),
        (r"(a)\1", "backreferences"),
        ("a*+", "possessive"),
        ("a{2}+", "possessive"),
        ("(?i)drug", "ignore_case"),
        ("(?P<x>a)", "named groups"),
        ("(?>a)", "atomic"),
        (r"\bdrug", r"\(\^\|\[\^a-z0-9\]\)"),
        (r"a\sb", r"\[ \\t\]"),
        (r"\p{L}", "list the characters"),
        ("[[:alpha:]]", "nested classes"),
        ("[a-z&&[^e]]", "intersection on Java only"),
        ("a{,3}", r"escape it as \\\{"),
        (r"\u00e9", r"\\x\{HHHH\}"),
        ("(", "not a valid regular expression"),
    ],
)
def test_non_portable_regexes_are_refused_with_advice(pattern: str, advice: str) -> None:
    problem = regex_problem(pattern)
    assert problem is not None
    assert re.search(advice, problem), problem
    text = (
        '[[rule]]\nid = "x.bad"\nprecedence = 1\ntheme = "health"\n'
        f"match.service = {{ regex = {json.dumps(pattern)} }}\n"
    )
    with pytest.raises(ConfigError, match=r"test.toml: rule 'x.bad': match.service regex"):
        _rules(text)


@pytest.mark.parametrize(
    "pattern", ["^drug|alcohol$", r"\d{2,}", "[^a-z]+?", r"\x41\.", r"(?:a|b)*c", r"\Ahome\z"]
)
def test_portable_regexes_are_accepted(pattern: str) -> None:
    assert regex_problem(pattern) is None


def test_workspace_rules_override_shipped_rules_by_id(ws: Workspace) -> None:
    shipped = load_rules()
    hmrc = next(r for r in shipped.rules if r.id == "generic.pass-through.hmrc")
    assert hmrc.pass_through
    (ws.root / "rules").mkdir()
    (ws.root / "rules" / "local.toml").write_text(
        """publisher = "Test Council"

[[rule]]
id = "generic.pass-through.hmrc"
precedence = 1000
theme = "corporate_and_back_office"
note = "Here HMRC is paid for a service, not tax."
match.supplier_name = "HMRC"

[[rule]]
id = "local.highways"
precedence = 200
theme = "environment_and_transport"
match.service = "Highways"
""",
        encoding="utf-8",
    )
    report = classify_workspace(ws)
    rows = dict(
        duckdb.sql(
            f"SELECT source_line, rule_id || '/' || coalesce(theme, '-') || '/' || pass_through "
            f"FROM '{report.classified_path}'"
        ).fetchall()
    )
    assert rows[3] == "generic.pass-through.hmrc/corporate_and_back_office/false"
    assert rows[4] == "local.highways/environment_and_transport/false"
    assert str(ws.root / "rules" / "local.toml") in report.rule_files
    saved = json.loads((ws.root / "classify_report.json").read_text(encoding="utf-8"))
    assert saved["by_publisher"][0]["publisher"] == "Test Council"


def test_a_workspace_rule_can_switch_a_shipped_rule_off(ws: Workspace) -> None:
    (ws.root / "rules").mkdir()
    (ws.root / "rules" / "off.toml").write_text(
        '[[rule]]\nid = "generic.pass-through.hmrc"\nprecedence = 0\nenabled = false\n',
        encoding="utf-8",
    )
    assert "generic.pass-through.hmrc" not in {r.id for r in load_rules(ws.root / "rules").rules}


def test_catch_all_rows_keep_their_rule_but_do_not_count(ws: Workspace, engine: str) -> None:
    rules = _rules(
        """[[rule]]
id = "t.highways"
precedence = 10
theme = "environment_and_transport"
match.service = "Highways"

[[rule]]
id = "t.everything"
precedence = 0
theme = "corporate_and_back_office"
match.publisher = "Test Council"
match.purpose = { regex = ".*" }
"""
    )
    assert [r.catch_all for r in rules.rules] == [False, True]
    path = run_classification(ws, rules, engine)
    by_line = _rule_by_line(ws, rules, engine)
    assert set(by_line.values()) == {"t.highways", "t.everything"}
    (cov,) = coverage(ws, path)
    assert cov.classified_rows == 1
    assert cov.classified_value_pence == 20000
    assert cov.value_pence == 10000 + 5000 + 20000 + 30000 + 40000 + 2500
    assert cov.share_by_value == 20000 / cov.value_pence


def test_pass_through_is_shown_but_left_out_of_the_denominator(ws: Workspace) -> None:
    rules = _rules(
        """[[rule]]
id = "t.tax"
precedence = 1000
pass_through = true
match.supplier_name = "HMRC"

[[rule]]
id = "t.care"
precedence = 10
theme = "adult_social_care"
match.department = "Adults"
"""
    )
    (cov,) = coverage(ws, run_classification(ws, rules))
    assert (cov.pass_through_rows, cov.pass_through_value_pence) == (1, 5000)
    assert cov.rows == 5
    assert cov.value_pence == 10000 + 20000 + 30000 + 40000 + 2500
    assert cov.share_by_rows == 1 / 5
    assert cov.top_unclassified[0].label == "Libraries / Stock"


def test_pass_through_rules_take_no_theme() -> None:
    with pytest.raises(ConfigError, match="a pass-through rule takes no theme"):
        _rules('[[rule]]\nid="x"\nprecedence=1\npass_through=true\ntheme="health"\n')
    with pytest.raises(ConfigError, match="is not in the taxonomy"):
        _rules('[[rule]]\nid="x"\nprecedence=1\ntheme="astrology"\n')


def test_a_workspace_may_add_a_theme(ws: Workspace) -> None:
    rules = _rules(
        """[themes.gangs]
label = "Gangs"
tier = "targeted"

[[rule]]
id = "t.gangs"
precedence = 1
theme = "gangs"
match.purpose = "Lunch"
"""
    )
    assert rules.rules[0].tier == "targeted"


def test_shipped_rules_load_and_each_says_why() -> None:
    rules = load_rules()
    assert len(rules.rules) > 50
    assert all(r.note for r in rules.rules)
    assert not any(r.catch_all for r in rules.rules)


def test_every_cofog_line_of_the_regional_data_has_a_theme() -> None:
    path = Path(__file__).resolve().parents[1] / (
        "src/totalplace/reference/data/regional/regional_lines.parquet"
    )
    pairs = duckdb.sql(f"SELECT DISTINCT function, subfunction FROM '{path}'").fetchall()
    themes = {theme_for_cofog(f, s) for f, s in pairs}
    assert themes <= set(default_taxonomy().themes)
    assert theme_for_cofog("10. Social protection", "10.2 Old age") == "older_people"
    assert theme_for_cofog("10. Social protection", "10.4 Family and children") == (
        "children_and_families"
    )
    assert theme_for_cofog("7. Health", None) == "health"
    assert theme_for_cofog("3. Public order and safety", "3.4 Prisons") == "offending"


def test_every_outturn_service_line_has_a_theme() -> None:
    ids = Path(__file__).resolve().parents[1] / (
        "src/totalplace/reference/data/outturn/rs_line_ids.csv"
    )
    service = duckdb.sql(f"SELECT line FROM '{ids}' WHERE kind = 'service'").fetchall()
    assert {theme_for_outturn_line(line) for (line,) in service} <= set(default_taxonomy().themes)
    assert theme_for_outturn_line("children_social_care") == "children_and_families"
    assert theme_for_outturn_line("police") == "crime_and_community_safety"
    assert theme_for_outturn_line("parish_precepts") == PASS_THROUGH
    with pytest.raises(ConfigError, match="has no theme"):
        theme_for_outturn_line("net_current_expenditure")


def test_cli_classify_json(ws: Workspace) -> None:
    result = CliRunner().invoke(app, ["classify", str(ws.root), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (pub,) = data["by_publisher"]
    assert set(pub) >= {"publisher", "share_by_value", "share_by_rows", "top_unclassified"}
    assert pub["pass_through_rows"] == 1  # HMRC, by the shipped rules
    bad = CliRunner().invoke(app, ["classify", str(ws.root), "--engine", "oracle"])
    assert bad.exit_code == 2


# -- standard vocabularies ------------------------------------------------------

VOCAB_HEADER = "Payment Date,Amount,Supplier Name,Service,Expense Type,ProclassCode,ProclassLabel"
# A council no rules file names, whose labels are the standard names alone.
VOCAB_RECORDS = {
    2: ("Court Services", "", "", "", "Acme Ltd"),
    3: ("Non Distributed Costs", "", "", "", "Acme Ltd"),
    4: ("Unit 7", "Rent Allowances", "", "", "Acme Ltd"),
    5: ("Unit 7", "", "171011", "", "Acme Ltd"),
    6: ("Unit 7", "", "", "SOCIAL CARE : Children", "Acme Ltd"),
    7: ("Unit 9", "", "", "", "Bradford Teaching Hospitals NHS Foundation Trust"),
    8: ("Concessionary Fares", "", "", "", "Acme Ltd"),
    9: ("Coroners court services", "", "", "", "Acme Ltd"),
    10: ("CULTURAL & RELATED SERVICES", "", "", "", "Acme Ltd"),
}
VOCAB_EXPECTED = {
    2: ("vocab.sercop-division.court-services.service", "offending"),
    3: ("vocab.sercop-division.non-distributed-costs.service", "corporate_and_back_office"),
    4: ("vocab.cipfa-subjective.housing-benefits.expense_type", "worklessness_and_benefits"),
    5: ("vocab.proclass.education.proclass_code", "education_and_skills"),
    6: ("generic.proclass.childrens-care", "children_and_families"),
    7: ("generic.payee.nhs", "public_health"),
    8: ("vocab.sercop-line.environment-and-transport.service", "environment_and_transport"),
    9: ("vocab.sercop-line.offending.service", "offending"),
    10: ("generic.service.culture", "culture_and_leisure"),
}


def _vocab_workspace(root: Path) -> Workspace:
    ws = Workspace.create(root / "ws", ["E08000025"], "2010-11")
    src = root / "spend.csv"
    lines = [VOCAB_HEADER] + [
        f"2011-01-05,{100 + line}.00,{supplier},{service},{expense},{code},{label}"
        for line, (service, expense, code, label, supplier) in VOCAB_RECORDS.items()
    ]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert ingest_files(ws, [src], publisher="Nowhere District Council").ok
    return ws


def test_standard_service_and_expense_names_classify_a_publisher_with_no_rules(
    tmp_path: Path,
) -> None:
    ws = _vocab_workspace(tmp_path)
    path = run_classification(ws, load_rules())
    got = {
        line: (rule, theme)
        for line, rule, theme in duckdb.sql(
            f"SELECT source_line, rule_id, theme FROM '{path}'"
        ).fetchall()
    }
    assert got == VOCAB_EXPECTED


def test_without_the_vocabularies_those_names_stay_unclassified(tmp_path: Path) -> None:
    """The rows above are classified by the vocabularies, not by service words."""
    ws = _vocab_workspace(tmp_path)
    shipped = load_rules()
    kept = tuple(
        r
        for r in shipped.rules
        if r.source != "data/vocab" and not r.id.startswith(("generic.payee", "generic.proclass"))
    )
    assert len(kept) < len(shipped.rules)
    by_line = _rule_by_line(ws, RuleSet(kept, shipped.taxonomy))
    assert {line for line, rule in by_line.items() if rule is None} == set(range(2, 10))


def test_a_vocabulary_name_matches_whole_not_inside_another_label() -> None:
    from totalplace.classify.vocab import name_pattern

    pattern = re.compile(name_pattern(["Children's and Education Services"]))
    assert pattern.search("children's & education services")
    assert pattern.search("childrens and  education services ")
    assert not pattern.search("children's and education services - capital")
    assert regex_problem(name_pattern(["Net (Surplus) / Deficit", "Children's Services"])) is None


def test_rules_written_for_a_publisher_are_dropped_when_it_is_left_out() -> None:
    shipped = load_rules()
    held = shipped.without_publisher("TRAFFORD COUNCIL")
    assert any(r.id.startswith("trafford.") for r in shipped.rules)
    assert not any(r.id.startswith("trafford.") for r in held.rules)
    assert len(held.rules) == len(shipped.rules) - sum(
        r.id.startswith("trafford.") for r in shipped.rules
    )


def test_classified_rows_say_how_they_were_classified(ws: Workspace) -> None:
    rules = _rules(
        """[[rule]]
id = "t.tax"
precedence = 1000
pass_through = true
match.supplier_name = "HMRC"

[[rule]]
id = "t.roads"
precedence = 10
theme = "environment_and_transport"
match.service = "Highways"
"""
    )
    path = run_classification(ws, rules)
    rows = duckdb.sql(
        f"SELECT source_line, theme, pass_through, method, confidence FROM '{path}'"
    ).fetchall()
    for _line, theme, pass_through, method, confidence in rows:
        if theme is not None or pass_through:
            assert (method, confidence) == ("rule", 1.0)
        else:
            assert (method, confidence) == (None, None)
    assert {r[3] for r in rows} == {"rule", None}


def _publisher_workspace(root: Path, publisher: str) -> Workspace:
    """The vocabulary records above, published by ``publisher``."""
    ws = Workspace.create(root / "ws", ["E08000025"], "2010-11")
    src = root / "spend.csv"
    lines = [VOCAB_HEADER] + [
        f"2011-01-05,{100 + line}.00,{supplier},{service},{expense},{code},{label}"
        for line, (service, expense, code, label, supplier) in VOCAB_RECORDS.items()
    ]
    lines.append("2011-01-05,99.00,Acme Ltd,Unit 9,Vehicle parts,,")
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert ingest_files(ws, [src], publisher=publisher).ok
    return ws


def test_a_police_forces_unlabelled_spending_is_community_safety(tmp_path: Path) -> None:
    """A police force no rule was written for: what its labels do not place is
    the cost of policing, not unclassified and not a council's theme."""
    ws = _publisher_workspace(tmp_path, "Thames Valley Police")
    got = {
        line: (rule, theme)
        for line, rule, theme in duckdb.sql(
            f"SELECT source_line, rule_id, theme FROM '{run_classification(ws, load_rules())}'"
        ).fetchall()
    }
    police = ("generic.publisher.police-fire", "crime_and_community_safety")
    assert got[11] == police  # "Unit 9 / Vehicle parts": no label places it
    assert got[7] == police  # its payment to an NHS trust is not the council's public health
    assert got[4] == police  # nor is an expense name a council would call benefits
    # service labels still place the money more finely
    assert got[2] == VOCAB_EXPECTED[2]
    assert got[9] == VOCAB_EXPECTED[9]


def test_an_nhs_commissioners_payment_to_a_trust_is_health_not_public_health(
    tmp_path: Path,
) -> None:
    ws = _publisher_workspace(tmp_path, "NHS Manchester")
    by_line = _rule_by_line(ws, load_rules())
    assert by_line[7] == "generic.publisher.nhs"
    assert by_line[11] == "generic.publisher.nhs"
    # the same row from a council is the council's public health commissioning
    assert VOCAB_EXPECTED[7] == ("generic.payee.nhs", "public_health")
