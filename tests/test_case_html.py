"""totalplace case FILE --html: one page with the headline, assumptions, matrix, gain
share, Monte Carlo and tornado, each chart beside its table, nothing fetched."""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import tomli_w
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.money import display_pounds

from .test_case_engine import HAND_CASE

runner = CliRunner()
WESTMINSTER = Path(
    str(resources.files("totalplace").joinpath("data/cases/westminster_family_recovery.toml"))
)
MINUS = "\u2212"
ATTACK = "</script><script>alert(1)</script>"


class Tables(HTMLParser):
    """The page as a browser reads it: each table's cells by the table's id, the
    scripts, and every element's attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._table = ""
        self._cell: list[str] | None = None
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "table":
            self._table = found.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "script":
            self.scripts.append((found, ""))
            self._script = True

    def handle_data(self, data: str) -> None:
        if self._script:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = ""
        elif tag == "script":
            self._script = False

    def figures(self) -> dict[str, dict[str, object]]:
        [data] = [text for attrs, text in self.scripts if attrs.get("id") == "case-figures"]
        found: dict[str, dict[str, object]] = json.loads(data)
        return found

    def row(self, table: str, first: str) -> list[str]:
        [found] = [r for r in self.tables[f"case-table-{table}"] if r and r[0] == first]
        return found


def parse(text: str) -> Tables:
    page = Tables()
    page.feed(text)
    page.close()
    return page


def _html(tmp_path: Path, case: Path, *args: str) -> tuple[Tables, str, dict[str, object]]:
    target = tmp_path / "case.html"
    out = runner.invoke(app, ["case", str(case), "--html", str(target), *args])
    assert out.exit_code == 0, out.output
    data = json.loads(runner.invoke(app, ["case", str(case), "--json", *args]).stdout)
    raw = target.read_text(encoding="utf-8")
    return parse(raw), raw, data


def test_headline_figures_are_those_of_case_json(tmp_path: Path) -> None:
    page, _, data = _html(tmp_path, WESTMINSTER, "--draws", "2000")
    fiscal = data["fiscal"]
    assert isinstance(fiscal, dict)
    assert page.row("headline", "Net present value (NPV)")[1:] == [
        display_pounds(int(data["npv_pence"])),  # type: ignore[call-overload]
        display_pounds(fiscal["npv_pence"]),
    ]
    assert page.row("headline", "PV costs")[1] == display_pounds(data["pv_costs_pence"])  # type: ignore[arg-type]
    bcr = page.row("headline", "Benefit-cost ratio (BCR)")[1]
    assert bcr == f"{data['bcr']:.2f}"
    roi = page.row("headline", "Net return on investment")[1]
    assert roi == f"{data['roi']:.2f}".replace("-", MINUS)
    assert page.row("headline", "Payback")[1] == "not within the period"
    assert data["payback_years"] is None
    mc = data["monte_carlo"]
    assert isinstance(mc, dict)
    assert page.row("monte-carlo", "NPV, P50 (the median)")[1] == display_pounds(
        mc["npv_p50_pence"]
    )
    # the matrix: each agency's PV costs and benefits as --json gives them
    by_agency = data["by_agency"]
    assert isinstance(by_agency, dict)
    for name, line in by_agency.items():
        row = page.row("agencies", name)
        assert row[2:4] == [
            display_pounds(line["costs_pence"]),
            display_pounds(line["benefits_pence"]),
        ]


def test_negative_amounts_show_the_minus_sign_not_a_hyphen(tmp_path: Path) -> None:
    page, raw, data = _html(tmp_path, WESTMINSTER, "--draws", "500")
    assert int(data["npv_pence"]) < 0  # type: ignore[call-overload]
    npv = page.row("headline", "Net present value (NPV)")[1]
    assert npv.startswith(f"{MINUS}£")
    body = raw[raw.index("<main>") : raw.index("</main>")]
    assert "-£" not in body and f"{MINUS}£" in body
    figures = page.figures()
    waterfall = figures["waterfall"]["data"][0]  # type: ignore[index]
    assert waterfall["text"][-1].startswith(f"{MINUS}£")
    ticks = figures["waterfall"]["layout"]["yaxis"]["ticktext"]  # type: ignore[index]
    assert any(t.startswith(f"{MINUS}£") for t in ticks)
    assert not any("-" in t for t in ticks)


def test_tornado_bars_are_named_in_words_not_by_field(tmp_path: Path) -> None:
    page, _, data = _html(tmp_path, WESTMINSTER, "--draws", "0")
    tornado = data["tornado"]
    assert isinstance(tornado, list)
    fields = [bar["param"] for bar in tornado]
    assert "outcomes[0].change" in fields
    bars = page.figures()["tornado"]["data"][0]["y"]  # type: ignore[index]
    names = [label.replace("<br>", " ") for label in bars]
    assert "Care proceedings avoided: share of those at risk who change" in names
    assert (
        "Cost of family recovery teams (Westminster City Council), as a multiple of the estimate"
        in names
    )
    assert not set(fields) & set(names)
    table = [r[0] for r in page.tables["case-table-tornado"][1:]]
    assert sorted(table) == sorted(names)


def test_page_has_every_part_and_fetches_nothing(tmp_path: Path) -> None:
    page, raw, _ = _html(tmp_path, WESTMINSTER, "--draws", "500")
    for table in ("headline", "inputs", "optimism", "agencies", "by-year", "tornado", "npv-runs"):
        assert f"case-table-{table}" in page.tables
    assert set(page.figures()) == {"waterfall", "flows", "histogram", "tornado"}
    # each chart has a div to draw in
    divs = {a.get("id") for t, a in page.tags if t == "div"}
    assert {f"case-chart-{n}" for n in page.figures()} <= divs
    # the histogram marks P10, P50 and P90
    notes = page.figures()["histogram"]["layout"]["annotations"]  # type: ignore[index]
    assert [n["text"].split()[0] for n in notes] == ["P10", "P50", "P90"]
    # the optimism-bias caveat and the case's own assumptions
    assert "Optimism bias:" in raw and "could not be checked" in raw
    assert "a quarter avoid them (range 10% to 40%)" in raw
    # the gain share says why no split works when the savings fall short
    assert "No split leaves every partner whole" in raw
    for tag, attrs in page.tags:
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    assert len(page.scripts) == 3  # Plotly.js, the figures, the lines that draw them


def test_feasible_gain_share_is_a_table_by_partner_and_year(tmp_path: Path) -> None:
    raw_case = copy.deepcopy(HAND_CASE)
    raw_case["unit_costs"]["T1"]["fiscal"] = 20_000  # the savings now cover the investment
    case = tmp_path / "hand.toml"
    case.write_text(tomli_w.dumps(raw_case), encoding="utf-8")
    page, _, data = _html(tmp_path, case, "--draws", "0", "--partners", "Council,NHS")
    split = data["gain_share"]
    assert isinstance(split, dict) and split["feasible"]
    for partner, row in split["contributions"].items():
        cells = page.row("gain-share", partner)
        assert cells[1:-2] == [display_pounds(v) for v in row]


def test_names_from_the_case_file_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    raw_case = copy.deepcopy(HAND_CASE)
    raw_case["case"]["title"] = ATTACK
    raw_case["case"]["assumptions"] = ['<img src=x onerror="alert(2)"> & co']
    raw_case["outcomes"][0]["name"] = "<b>admissions</b>"
    raw_case["outcomes"][0]["change"] = {"low": 0.3, "base": 0.5, "high": 0.7}
    case = tmp_path / "hand.toml"
    case.write_text(tomli_w.dumps(raw_case), encoding="utf-8")
    page, raw, _ = _html(tmp_path, case, "--draws", "0")
    assert "<script>alert(1)" not in raw
    assert [t for t, _ in page.tags if t == "img"] == []
    assert raw.lower().count("</script") == 3
    assert "&lt;img src=x" in raw
    assert "<b>admissions" not in raw
    # Plotly reads <b> in a label as markup: the tornado's bar names it as text
    [label] = page.figures()["tornado"]["data"][0]["y"]  # type: ignore[index]
    assert label.startswith("&lt;b&gt;admissions&lt;/b&gt;:")


def test_a_page_for_a_missing_folder_exits_2_naming_it(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "case.html"
    out = runner.invoke(app, ["case", str(WESTMINSTER), "--draws", "0", "--html", str(target)])
    assert out.exit_code == 2
    assert f"{target.parent} is not a folder" in out.stderr
    assert not target.exists()
