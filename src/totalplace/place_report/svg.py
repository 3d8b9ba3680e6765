"""The report's charts as static SVG, drawn here from the report's own figures.

A published report is read on paper and in a PDF viewer, where no script
runs; so every chart is a picture made before printing, and the table beside
it carries the same figures.  The drawing is written here rather than through
a charting library's image export because that export needs a browser even to
write the HTML, and the report's HTML must build on a machine without one.
Each chart takes (label, pence) pairs, draws only positive amounts (a bar or
box cannot be below nothing; the table beside it shows negatives) and says so
in its caption when any were left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from totalplace.money import millions

# Colours that stay distinct when printed in greys (from ColorBrewer's Dark2
# and Set2, readable against white).
PALETTE = (
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
    "#1f78b4", "#666666", "#b2df8a", "#fb9a99", "#cab2d6",
)  # fmt: skip
WIDTH = 640  # the SVG's own units; it is scaled to the page's width when printed
FONT = 'font-family="Helvetica, Arial, sans-serif"'


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG and how many items were not drawn (zero or negative)."""

    svg: str
    left_out: int = 0


def _text(x: float, y: float, text: str, size: int = 11, anchor: str = "start",
          fill: str = "#222") -> str:  # fmt: skip
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}" {FONT}>{escape(text)}</text>'
    )


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"


def _svg(height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart-svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def bars(title: str, items: list[tuple[str, int]], colour: str = PALETTE[0]) -> Chart:
    """Horizontal bars, largest first, each labelled with its amount in millions."""
    shown = sorted(((k, p) for k, p in items if p > 0), key=lambda kv: -kv[1])
    left_out = len(items) - len(shown)
    if not shown:
        return Chart("", left_out)
    row, label_w = 22, 220
    top = max(p for _, p in shown)
    span = WIDTH - label_w - 90
    body = []
    for i, (label, pence) in enumerate(shown):
        y = 8 + i * row
        w = max(span * pence / top, 1.0)
        body.append(_text(label_w - 6, y + 14, _clip(label, 34), anchor="end"))
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
            f'fill="{colour}"><title>{escape(label)}: {millions(pence)}</title></rect>'
        )
        body.append(_text(label_w + w + 4, y + 14, millions(pence), size=10))
    return Chart(_svg(16 + len(shown) * row, title, body), left_out)


def _worst(row: list[float], short: float) -> float:
    """The most elongated box's ratio of long side to short in a row laid along
    a side of length ``short``."""
    s = sum(row)
    return max(max(short * short * a / (s * s), (s * s) / (short * short * a)) for a in row)


def _squarify(
    values: list[float], x: float, y: float, w: float, h: float
) -> list[tuple[float, ...]]:
    """Boxes for ``values`` (largest first) filling the rectangle, laid out row by
    row so each box stays as near square as it can (Bruls, Huizing and van Wijk's
    squarified treemap); areas are in proportion to the values."""
    out: list[tuple[float, ...]] = []
    total = sum(values)
    if total <= 0:
        return out
    scale = w * h / total
    areas = [v * scale for v in values]
    i = 0
    while i < len(areas):
        short = min(w, h)
        rowed = [areas[i]]
        j = i + 1

        while j < len(areas) and _worst([*rowed, areas[j]], short) <= _worst(rowed, short):
            rowed.append(areas[j])
            j += 1
        s = sum(rowed)
        if w >= h:  # a column on the left
            cw = s / h
            cy = y
            for a in rowed:
                out.append((x, cy, cw, a / cw))
                cy += a / cw
            x, w = x + cw, w - cw
        else:  # a row along the top
            rh = s / w
            cx = x
            for a in rowed:
                out.append((cx, y, a / rh, rh))
                cx += a / rh
            y, h = y + rh, h - rh
        i = j
    return out


def treemap(title: str, cells: list[tuple[str, str, int]], theme_names: dict[str, str]) -> Chart:
    """Boxes for (theme, agency, pence): a box per theme, split by agency, each
    labelled where it is large enough to read."""
    shown = [(t, a, p) for t, a, p in cells if p > 0]
    left_out = len(cells) - len(shown)
    if not shown:
        return Chart("", left_out)
    by_theme: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for t, a, p in shown:
        by_theme[t].append((a, p))
    order = sorted(by_theme, key=lambda t: -sum(p for _, p in by_theme[t]))
    height = 380
    boxes = _squarify([sum(p for _, p in by_theme[t]) for t in order], 0, 0, WIDTH, height)
    body = []
    for n, (theme, (x, y, w, h)) in enumerate(zip(order, boxes, strict=True)):
        colour = PALETTE[n % len(PALETTE)]
        parts = sorted(by_theme[theme], key=lambda kv: -kv[1])
        inner = _squarify([float(p) for _, p in parts], x, y + 16, w, max(h - 16, 1))
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                    f'fill="{colour}" stroke="#fff" stroke-width="2"/>')  # fmt: skip
        if w > 40 and h > 16:
            body.append(_text(x + 4, y + 12, _clip(theme_names.get(theme, theme), int(w / 6.5)),
                              size=10, fill="#fff"))  # fmt: skip
        for (agency, pence), (ax, ay, aw, ah) in zip(parts, inner, strict=True):
            body.append(
                f'<rect x="{ax:.1f}" y="{ay:.1f}" width="{aw:.1f}" height="{ah:.1f}" '
                f'fill="{colour}" fill-opacity="0.75" stroke="#fff" stroke-width="0.8">'
                f"<title>{escape(agency)}: {millions(pence)}</title></rect>"
            )
            if aw > 60 and ah > 26:
                body.append(_text(ax + 3, ay + 12, _clip(agency, int(aw / 5.5)), 9, fill="#fff"))
                body.append(_text(ax + 3, ay + 23, millions(pence), 9, fill="#fff"))
    return Chart(_svg(height, title, body), left_out)


def sankey(title: str, flows: list[tuple[str, str, int]], columns: list[list[str]]) -> Chart:
    """Bands from each node of one column to the next (funder to agency to theme),
    each as wide as the money it carries; a node is as tall as the larger of the
    money into it and out of it."""
    shown = [(s, t, p) for s, t, p in flows if p > 0]
    left_out = len(flows) - len(shown)
    if not shown:
        return Chart("", left_out)
    into: dict[tuple[int, str], int] = defaultdict(int)
    out_of: dict[tuple[int, str], int] = defaultdict(int)
    col_of: dict[str, int] = {}
    for c, names in enumerate(columns):
        for name in names:
            col_of.setdefault(f"{c}:{name}", c)
    links = []
    for s, t, p in shown:
        cs = next(
            (c for c in range(len(columns) - 1) if s in columns[c] and t in columns[c + 1]), 0
        )
        links.append((cs, s, t, p))
        out_of[(cs, s)] += p
        into[(cs + 1, t)] += p
    height, gap, node_w = 420, 6, 12
    size: dict[tuple[int, str], int] = {}
    for c, names in enumerate(columns):
        for name in names:
            v = max(into.get((c, name), 0), out_of.get((c, name), 0))
            if v > 0:
                size[(c, name)] = v
    scale = min(
        (height - gap * (sum(1 for k in size if k[0] == c) - 1))
        / max(sum(v for k, v in size.items() if k[0] == c), 1)
        for c in range(len(columns))
    )
    xs = [10 + c * (WIDTH - 20 - node_w) / max(len(columns) - 1, 1) for c in range(len(columns))]
    pos: dict[tuple[int, str], float] = {}
    body = []
    for c, names in enumerate(columns):
        y = 0.0
        for name in sorted((n for n in names if (c, n) in size), key=lambda n: -size[(c, n)]):
            h = size[(c, name)] * scale
            pos[(c, name)] = y
            body.append(
                f'<rect x="{xs[c]:.1f}" y="{y:.1f}" width="{node_w}" '
                f'height="{max(h, 1):.1f}" fill="{PALETTE[c % len(PALETTE)]}"/>'
            )
            if h >= 9:
                anchor, tx = ("start", xs[c] + node_w + 3) if c < len(columns) - 1 else (
                    "end", xs[c] - 3)  # fmt: skip
                body.append(_text(tx, y + min(h / 2 + 3, 12), _clip(name, 30), 9, anchor))
            y += h + gap
    used_out: dict[tuple[int, str], float] = defaultdict(float)
    used_in: dict[tuple[int, str], float] = defaultdict(float)
    bands = []
    for cs, s, t, p in sorted(links, key=lambda x: -x[3]):
        h = p * scale
        y0 = pos[(cs, s)] + used_out[(cs, s)]
        y1 = pos[(cs + 1, t)] + used_in[(cs + 1, t)]
        used_out[(cs, s)] += h
        used_in[(cs + 1, t)] += h
        x0, x1 = xs[cs] + node_w, xs[cs + 1]
        mid = (x0 + x1) / 2
        bands.append(
            f'<path d="M{x0:.1f},{y0 + h / 2:.1f} C{mid:.1f},{y0 + h / 2:.1f} '
            f'{mid:.1f},{y1 + h / 2:.1f} {x1:.1f},{y1 + h / 2:.1f}" fill="none" '
            f'stroke="{PALETTE[(cs + 3) % len(PALETTE)]}" stroke-opacity="0.35" '
            f'stroke-width="{max(h, 0.8):.1f}"><title>{escape(s)} to {escape(t)}: '
            f"{millions(p)}</title></path>"
        )
    return Chart(_svg(height + 4, title, bands + body), left_out)


def _legend(y: float, names: list[str]) -> tuple[list[str], float]:
    """A row of coloured keys, one per series, wrapped to the chart's width;
    and where the chart goes on below it."""
    body, x = [], 0.0
    for n, name in enumerate(names):
        width = 26 + 6.5 * len(_clip(name, 30))
        if x + width > WIDTH and x > 0:
            x, y = 0.0, y + 18
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="12" height="12" '
                    f'fill="{PALETTE[n % len(PALETTE)]}"/>')  # fmt: skip
        body.append(_text(x + 16, y + 10, _clip(name, 30), size=10))
        x += width
    return body, y + 24


def grouped_bars(
    title: str,
    groups: list[tuple[str, list[int | None]]],
    series: list[str],
    shown_as: Callable[[int], str] = millions,
    top: int | None = None,
) -> Chart:
    """Horizontal bars in groups (a theme), one bar per series (a place) in the
    series' colour, each labelled with its amount as ``shown_as`` writes it;
    all groups on one scale, whose full width is ``top`` (the largest amount
    when not given: charts that split one set of groups give the largest of
    them all, so their bars compare across charts).  An amount not known or
    not above zero has no bar (the table beside it shows it); those not above
    zero are counted as left out (one not known is no amount to leave out)."""
    values = [v for _, vs in groups for v in vs if v is not None]
    drawn = [v for v in values if v > 0]
    left_out = len(values) - len(drawn)
    if not drawn:
        return Chart("", left_out)
    bar, gap, label_w = 14, 10, 200
    top = max(top or 0, *drawn)
    span = WIDTH - label_w - 90
    body, y = _legend(4, series)
    for label, vs in groups:
        body.append(_text(label_w - 6, y + bar * len(vs) / 2 + 4, _clip(label, 31), anchor="end"))
        for n, v in enumerate(vs):
            if v is not None and v > 0:
                w = max(span * v / top, 1.0)
                colour = PALETTE[n % len(PALETTE)]
                body.append(
                    f'<rect x="{label_w}" y="{y + 1}" width="{w:.1f}" height="{bar - 2}" '
                    f'fill="{colour}"><title>{escape(series[n])}, {escape(label)}: '
                    f"{escape(shown_as(v))}</title></rect>"
                )
                body.append(_text(label_w + w + 4, y + bar - 3, shown_as(v), size=9))
            y += bar
        y += gap
    return Chart(_svg(y + 4, title, body), left_out)


def stacked_shares(title: str, rows: list[tuple[str, list[int]]], parts: list[str]) -> Chart:
    """One bar per row (a place) the width of the chart, split into its parts
    (prevention tiers) by their share of the row's total, each share written
    where it fits.  A row whose parts add to nothing above zero has no bar."""
    shown = [(label, vs) for label, vs in rows if sum(v for v in vs if v > 0) > 0]
    left_out = len(rows) - len(shown)
    if not shown:
        return Chart("", left_out)
    row, label_w = 26, 160
    span = WIDTH - label_w - 10
    body, y = _legend(4, parts)
    for label, vs in shown:
        total = sum(v for v in vs if v > 0)
        body.append(_text(label_w - 6, y + 16, _clip(label, 25), anchor="end"))
        x = float(label_w)
        for n, v in enumerate(vs):
            if v <= 0:
                continue
            w = span * v / total
            body.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                f'fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(label)}, '
                f"{escape(parts[n])}: {v / total:.1%}</title></rect>"
            )
            if w > 34:
                body.append(_text(x + w / 2, y + 17, f"{v / total:.0%}", 10, "middle", "#fff"))
            x += w
        y += row
    return Chart(_svg(y + 6, title, body), left_out)
