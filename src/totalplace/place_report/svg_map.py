"""A map of England's authorities as a static SVG picture, for the printed
reports: every current lowest-tier authority drawn from the shipped
boundaries (:func:`totalplace.report.boundaries.england_geojson`, the
Places page's map) in pale grey, and the ones asked for filled in their
colour, with a key beside the map.

The longitude is scaled by the cosine of England's middle latitude so the
country keeps its shape (an equirectangular projection, close enough at this
size); points are rounded to a tenth of the picture's unit and repeats
dropped, which keeps the picture to a few hundred kilobytes without moving a
border by more than a hairline.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from totalplace.place_report.svg import FONT, WIDTH, Chart, _svg, _text

MAP_WIDTH = 380  # of the picture's WIDTH; the key takes the rest
BORDER = "#ffffff"
LAND = "#dcdcdc"


Box = tuple[float, float, float, float]  # west, south, east, north


def _bounds(features: list[dict[str, Any]]) -> Box:
    lons, lats = [], []
    for f in features:
        for polygon in f["geometry"]["coordinates"]:
            for lon, lat in polygon[0]:
                lons.append(lon)
                lats.append(lat)
    return min(lons), min(lats), max(lons), max(lats)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _path(feature: dict[str, Any], at: Any) -> str:
    """The authority's outline as one SVG path (holes cut out by the even-odd rule)."""
    parts = []
    for polygon in feature["geometry"]["coordinates"]:
        for ring in polygon:
            points: list[tuple[float, float]] = []
            for lon, lat in ring:
                p = at(lon, lat)
                if not points or p != points[-1]:
                    points.append(p)
            if len(points) >= 3:
                parts.append("M" + "L".join(f"{x:g} {y:g}" for x, y in points) + "Z")
    return "".join(parts)


def england_map(
    title: str, filled: dict[str, str], key: list[tuple[str, str]], names: dict[str, str]
) -> Chart:
    """England with the authorities in ``filled`` (GSS code -> colour) filled,
    each named (``names``: GSS code -> the words of its tooltip), and a key of
    (colour, words) beside it.  No picture when no code in ``filled`` is on the
    shipped boundaries."""
    from totalplace.report.boundaries import england_geojson

    features = england_geojson()["features"]
    members = [f for f in features if f["id"] in filled]
    if not members:
        return Chart("", len(filled))
    box = _bounds(features)
    stretch = math.cos(math.radians((box[1] + box[3]) / 2))
    scale = MAP_WIDTH / ((box[2] - box[0]) * stretch)
    height = (box[3] - box[1]) * scale
    body = _panel(features, filled, names, box, (0.0, 0.0, scale), 0.3)
    # beside the key, the members' part of England drawn larger, so a small
    # authority can be seen; its frame is drawn on the whole map
    west, south, east, north = _bounds(members)
    pad = max(east - west, north - south) * 0.25 + 0.05
    near = (west - pad, south - pad, east + pad, north + pad)
    inset_w, inset_h = WIDTH - MAP_WIDTH - 20, height * 0.55
    zoom = min(inset_w / ((near[2] - near[0]) * stretch), inset_h / (near[3] - near[1]))
    ox, oy = float(MAP_WIDTH + 20), height - inset_h
    body.append(f'<clipPath id="inset"><rect x="{ox}" y="{oy:.1f}" width="{inset_w}" '
                f'height="{inset_h:.1f}"/></clipPath><g clip-path="url(#inset)">')  # fmt: skip
    shifted = (ox - (near[0] - box[0]) * stretch * zoom, oy - (box[3] - near[3]) * zoom, zoom)
    around = [f for f in features if _overlaps(_bounds([f]), near)]
    body += _panel(around, filled, names, box, shifted, 0.8)
    body.append("</g>")
    body.append(f'<rect x="{ox}" y="{oy:.1f}" width="{inset_w}" height="{inset_h:.1f}" '
                'fill="none" stroke="#555" stroke-width="0.8"/>')  # fmt: skip
    fx, fy = (near[0] - box[0]) * stretch * scale, (box[3] - near[3]) * scale
    fw, fh = (near[2] - near[0]) * stretch * scale, (near[3] - near[1]) * scale
    body.append(f'<rect x="{fx:.1f}" y="{fy:.1f}" width="{fw:.1f}" height="{fh:.1f}" '
                'fill="none" stroke="#555" stroke-width="0.8"/>')  # fmt: skip
    y = 14.0
    for colour, words in key:
        body.append(f'<rect x="{MAP_WIDTH + 20}" y="{y:.1f}" width="14" height="14" '
                    f'fill="{colour}" stroke="#222" stroke-width="0.5"/>')  # fmt: skip
        lines = _wrap(words, (WIDTH - MAP_WIDTH - 44) // 6)
        for n, line in enumerate(lines):
            body.append(_text(MAP_WIDTH + 40, y + 11 + 14 * n, line, size=11))
        y += 14 * len(lines) + 10
    body.append(f'<text x="0" y="{height + 14:.0f}" font-size="9" fill="#555" {FONT}>'
                "Boundaries: the shipped districts of 2013, merged where authorities "
                "have merged since</text>")  # fmt: skip
    return Chart(_svg(height + 20, title, body))


def _panel(
    features: list[dict[str, Any]],
    filled: dict[str, str],
    names: dict[str, str],
    box: Box,
    at: tuple[float, float, float],
    line: float,
) -> list[str]:
    """The authorities drawn with England's ``box`` at offset (x, y) and
    ``scale`` units a degree of latitude: the others in grey, then those
    filled, so no grey border runs over them."""
    west, north = box[0], box[3]
    stretch = math.cos(math.radians((box[1] + box[3]) / 2))
    x0, y0, scale = at

    def point(lon: float, lat: float) -> tuple[float, float]:
        # to half a unit: a hairline at the printed size
        x = x0 + (lon - west) * stretch * scale
        y = y0 + (north - lat) * scale
        return (round(x * 2) / 2, round(y * 2) / 2)

    out = []
    for f in features:
        if f["id"] not in filled:
            out.append(f'<path d="{_path(f, point)}" fill="{LAND}" stroke="{BORDER}" '
                       f'stroke-width="{line}" fill-rule="evenodd"/>')  # fmt: skip
    for f in features:
        colour = filled.get(f["id"])
        if colour is not None:
            name = names.get(f["id"], f["properties"]["name"])
            out.append(f'<path d="{_path(f, point)}" fill="{colour}" stroke="#222" '
                       f'stroke-width="{line * 2}" fill-rule="evenodd"><title>{escape(name)}'
                       "</title></path>")  # fmt: skip
    return out


def _wrap(words: str, chars: int) -> list[str]:
    lines: list[str] = []
    for word in words.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]
