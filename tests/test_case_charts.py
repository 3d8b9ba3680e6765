"""Case charts: Plotly figures and one self-contained, injection-proof HTML file."""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs_version

from totalplace.case.charts import NET, figures, write_case_html
from totalplace.errors import ConfigError

WATERFALL = [
    ("PV costs", -4_200_000_00),
    ("council savings", 2_500_000_00),
    ("nhs savings", 1_812_345_67),
    ("social value", 123_50),
]
NPV = -4_200_000_00 + 2_500_000_00 + 1_812_345_67 + 123_50  # 112,469.17 pounds
FLOWS = [
    ("council", "council", 1_500_000_00),
    ("council", "nhs", 1_000_000_00),
    ("nhs", "nhs", 812_345_67),
    ("nhs", "police", 0),
]
# Sorted, so the percentiles are worked by hand: numpy's linear rule puts P10 at
# position 0.9 (-3 + 0.9), P50 at 4.5 (between 2 and 3) and P90 at 8.1 (6 + 0.1).
SAMPLES = [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
TORNADO = [
    ("unit cost", 100_000_00, 130_000_00),  # swing 30,000
    ("uptake", -50_000_00, 250_000_00),  # swing 300,000
    ("deadweight", 90_000_00, 95_000_00),  # swing 5,000
]
ATTACK = "</script><script>alert(1)</script>"


class _Page(HTMLParser):
    """What a browser would see: elements, their attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: dict[str, str] = {}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag
        if tag == "script":
            self.scripts.append((dict(attrs), ""))

    def handle_data(self, data: str) -> None:
        if self._open == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._open in ("h1", "title"):
            self.text[self._open] = self.text.get(self._open, "") + data

    def handle_endtag(self, tag: str) -> None:
        self._open = None


def read_page(path: Path) -> tuple[_Page, str]:
    raw = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(raw)
    page.close()
    return page, raw


def embedded_figures(page: _Page) -> list[dict[str, object]]:
    [data] = [text for attrs, text in page.scripts if attrs.get("id") == "case-figures"]
    figs: list[dict[str, object]] = json.loads(data)
    return figs


def write(tmp_path: Path, **kwargs: object) -> Path:
    args: dict[str, object] = {
        "title": "Early help, Wigan",
        "waterfall": WATERFALL,
        "flows": FLOWS,
        "npv_samples": SAMPLES,
        "tornado": TORNADO,
    }
    args.update(kwargs)
    out = tmp_path / "case.html"
    write_case_html(out, **args)  # type: ignore[arg-type]
    return out


def trace(fig: dict[str, object]) -> dict[str, object]:
    data = fig["data"]
    assert isinstance(data, list)
    first: dict[str, object] = data[0]
    return first


def test_file_is_self_contained(tmp_path: Path) -> None:
    page, raw = read_page(write(tmp_path))
    assert f"plotly.js v{get_plotlyjs_version()}" in raw  # the library itself is inside
    assert [tag for tag, _ in page.tags if tag in ("link", "iframe", "img", "object")] == []
    for tag, attrs in page.tags:
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    assert len(page.scripts) == 3  # Plotly.js, the figures, the few lines that draw them
    assert page.text["title"] == "Early help, Wigan"


def test_embedded_figures_are_the_figures_and_valid_plotly(tmp_path: Path) -> None:
    page, _ = read_page(write(tmp_path))
    figs = embedded_figures(page)
    expected = figures(
        title="Early help, Wigan",
        waterfall=WATERFALL,
        flows=FLOWS,
        npv_samples=SAMPLES,
        tornado=TORNADO,
    )
    assert figs == expected
    assert [trace(f)["type"] for f in figs] == ["waterfall", "sankey", "histogram", "bar"]
    for fig in figs:
        go.Figure(fig)  # raises on any property Plotly does not know


def test_waterfall_steps_add_to_the_npv_in_exact_pounds(tmp_path: Path) -> None:
    [fig] = [
        f
        for f in embedded_figures(read_page(write(tmp_path))[0])
        if trace(f)["type"] == "waterfall"
    ]
    bars = trace(fig)
    assert bars["x"] == ["PV costs", "council savings", "nhs savings", "social value", NET]
    assert bars["measure"] == ["relative"] * 4 + ["total"]
    assert bars["y"] == [-4_200_000.0, 2_500_000.0, 1_812_345.67, 123.5, 112_469.17]
    assert bars["hovertext"] == [
        "\u2212£4,200,000.00",
        "£2,500,000.00",
        "£1,812,345.67",
        "£123.50",
        "£112,469.17",
    ]
    # Bar labels are whole pounds, half to even: £123.50 -> £124, £112,469.17 -> £112,469.
    assert bars["text"] == ["\u2212£4,200,000", "£2,500,000", "£1,812,346", "£124", "£112,469"]


def test_flows_sankey_links_payers_to_beneficiaries(tmp_path: Path) -> None:
    figs = embedded_figures(read_page(write(tmp_path))[0])
    sankey = trace(figs[1])
    node = sankey["node"]
    link = sankey["link"]
    assert isinstance(node, dict) and isinstance(link, dict)
    labels = node["label"]
    # The council and the nhs both pay and benefit, so each has a node on either side.
    assert labels == ["council", "nhs", "council", "nhs"]
    assert node["customdata"] == ["pays", "pays", "benefits", "benefits"]
    drawn = [
        (labels[s], node["customdata"][s], labels[t], node["customdata"][t], v, exact)
        for s, t, v, exact in zip(
            link["source"], link["target"], link["value"], link["customdata"], strict=True
        )
    ]
    assert drawn == [
        ("council", "pays", "council", "benefits", 1_500_000.0, "£1,500,000.00"),
        ("council", "pays", "nhs", "benefits", 1_000_000.0, "£1,000,000.00"),
        ("nhs", "pays", "nhs", "benefits", 812_345.67, "£812,345.67"),
    ]  # the zero flow to police draws nothing


def test_negative_flows_are_listed_not_drawn(tmp_path: Path) -> None:
    flows = [("council", "nhs", 500_00), ("council", "police", -123_45)]
    figs = embedded_figures(read_page(write(tmp_path, flows=flows))[0])
    sankey = trace(figs[1])
    link = sankey["link"]
    assert isinstance(link, dict) and link["value"] == [500.0]
    layout = figs[1]["layout"]
    assert isinstance(layout, dict)
    [note] = layout["annotations"]
    assert "council to police: \u2212£123.45" in note["text"]


def test_histogram_marks_percentiles_and_share_above_zero(tmp_path: Path) -> None:
    figs = embedded_figures(read_page(write(tmp_path))[0])
    hist = figs[2]
    assert trace(hist)["x"] == SAMPLES
    layout = hist["layout"]
    assert isinstance(layout, dict)
    assert [s["x0"] for s in layout["shapes"]] == pytest.approx([-2.1, 2.5, 6.1])
    notes = [a["text"] for a in layout["annotations"]]
    assert notes == ["P10 \u2212£2", "P50 £2", "P90 £6"]
    title = layout["title"]["text"].replace("<br>", " ")  # long titles wrap
    assert "10 Monte Carlo runs, 70.0% of them above zero" in title


def test_tornado_sorted_by_swing_around_the_base_npv(tmp_path: Path) -> None:
    figs = embedded_figures(read_page(write(tmp_path))[0])
    low, high = figs[3]["data"]  # type: ignore[misc]
    assert low["y"] == high["y"] == ["uptake", "unit cost", "deadweight"]
    assert low["base"] == high["base"] == NPV / 100
    # Each bar runs from the base NPV to the NPV with that input at its low or high value.
    assert [low["base"] + x for x in low["x"]] == pytest.approx([-50_000.0, 100_000.0, 90_000.0])
    assert [high["base"] + x for x in high["x"]] == pytest.approx([250_000.0, 130_000.0, 95_000.0])
    assert low["hovertext"] == ["\u2212£50,000.00", "£100,000.00", "£90,000.00"]
    assert high["hovertext"] == ["£250,000.00", "£130,000.00", "£95,000.00"]
    layout = figs[3]["layout"]
    assert isinstance(layout, dict)
    assert layout["annotations"][0]["text"] == "Base NPV £112,469"


def test_labels_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    title = 'Case <img src=x onerror="alert(2)"> & co'
    out = write(
        tmp_path,
        title=title,
        waterfall=[(ATTACK, -100), ("<b>bold</b>", 300)],
        flows=[(ATTACK, "nhs", 200)],
        tornado=[(ATTACK, 0, 400)],
    )
    page, raw = read_page(out)
    # No element beyond the page's own: the title is text, the labels stay inside JSON.
    assert len(page.scripts) == 3
    assert [tag for tag, _ in page.tags if tag in ("img", "b")] == []
    assert "<script>alert(1)" not in raw
    assert raw.lower().count("</script") == 3
    assert page.text["h1"] == title and page.text["title"] == title
    # Inside the script element the JSON carries no <, > or & at all, only \u003c and so on.
    [data] = [text for attrs, text in page.scripts if attrs.get("id") == "case-figures"]
    assert not set("<>&") & set(data)
    assert "\\u003c" in data and "\\u0026" in data
    # The labels arrive intact, as Plotly text that shows them literally.
    figs = embedded_figures(page)
    assert trace(figs[0])["x"][:2] == [html.escape(ATTACK, quote=False), "&lt;b&gt;bold&lt;/b&gt;"]
    sankey_nodes = trace(figs[1])["node"]
    assert isinstance(sankey_nodes, dict)
    assert sankey_nodes["label"][0] == html.escape(ATTACK, quote=False)
    assert trace(figs[3])["y"] == [html.escape(ATTACK, quote=False)]


def test_optional_charts_are_left_out_cleanly(tmp_path: Path) -> None:
    page, _ = read_page(write(tmp_path, npv_samples=None, tornado=None, flows=[]))
    figs = embedded_figures(page)
    assert [trace(f)["type"] for f in figs] == ["waterfall"]
    divs = [attrs["id"] for tag, attrs in page.tags if tag == "div"]
    assert divs == ["chart-0"]
    both = figures(title="t", waterfall=WATERFALL, flows=FLOWS, npv_samples=None, tornado=[])
    assert [trace(f)["type"] for f in both] == ["waterfall", "sankey"]


def test_bad_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no NPV samples"):
        figures(title="t", waterfall=WATERFALL, flows=[], npv_samples=[], tornado=None)
    with pytest.raises(ValueError, match="finite"):
        figures(
            title="t", waterfall=WATERFALL, flows=[], npv_samples=[1.0, float("nan")], tornado=None
        )
    with pytest.raises(ConfigError, match="not a folder"):
        write_case_html(
            tmp_path / "missing" / "case.html", title="t", waterfall=WATERFALL, flows=[]
        )
