"""England's current lowest-tier authorities drawn from the shipped boundaries
of the 326 districts of 2013 (``boundaries_lad13.json``), as GeoJSON: for the
dashboard's Places page and for the maps of the printed reports.

An authority made since 2013 from several districts (Buckinghamshire, Dorset,
North Yorkshire, ...) is drawn as its predecessors' polygons dissolved into
one: the borders they shared are dropped, so it reads as one area, as it now
is.  Nothing is fetched from anywhere: no base map, no tiles.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from itertools import pairwise
from typing import Any

from totalplace.reference.places import boundaries_lad13, registry

__all__ = ["EMPTY_TOPOLOGY", "england_geojson", "map_codes"]

# An empty TopoJSON topology: what a Plotly map is given for the world base
# layers (coasts, countries) it would otherwise fetch from a CDN even when they
# are hidden, so a map opens offline and draws nothing but the authorities.
EMPTY_TOPOLOGY = b'{"type":"Topology","objects":{},"arcs":[]}'

# How far (in the boundaries' grid, about 50 to 70 metres a step) a simplified
# border may stray from the published one: 3 steps is under half a pixel when
# England fills a 1080-pixel-high screen, and keeps the map under 1 MB.
SIMPLIFY_STEPS = 3
# Degrees kept in each coordinate: 0.001 degrees is about 70 to 110 metres.
DECIMALS = 3
Point = tuple[int, int]


def _arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """The topology's arcs as absolute grid points (TopoJSON stores each step
    from the one before)."""
    out = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x, y))
        out.append(points)
    return out


def _simplify(points: list[Point], steps: int) -> list[Point]:
    """Douglas-Peucker: drop points within ``steps`` of the line between the
    points kept.  An arc's two ends are always kept, so two areas sharing a
    border keep sharing it exactly, with no gap or overlap between them."""
    n = len(points)
    if n < 3:
        return points
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    limit = steps * steps
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a], points[b]
        dx, dy = x2 - x1, y2 - y1
        length = dx * dx + dy * dy
        far, at = -1.0, -1
        for i in range(a + 1, b):
            px, py = points[i]
            if length == 0:
                d = float((px - x1) ** 2 + (py - y1) ** 2)
            else:
                cross = (px - x1) * dy - (py - y1) * dx
                d = cross * cross / length
            if d > far:
                far, at = d, i
        if far > limit:
            keep[at] = True
            stack += [(a, at), (at, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _area(ring: list[Point]) -> float:
    """Twice the signed area; negative for a clockwise ring (an outer ring
    here, as in the source and as the map's renderer expects)."""
    return float(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)))


def _inside(point: Point, ring: list[Point]) -> bool:
    x, y = point
    found = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            found = not found
    return found


class _Rings:
    """Rings of points from arc references (``i`` an arc, ``~i`` it reversed)."""

    def __init__(self, arcs: list[list[Point]]) -> None:
        self.arcs = arcs

    def arc(self, ref: int) -> list[Point]:
        return self.arcs[ref] if ref >= 0 else self.arcs[~ref][::-1]

    def ring(self, refs: list[int]) -> list[Point]:
        out: list[Point] = []
        for ref in refs:
            points = self.arc(ref)
            out.extend(points if not out else points[1:])
        return out

    def dissolve(self, polygons: list[list[list[int]]]) -> list[list[list[Point]]]:
        """The polygons as one area: an arc run along once each way (by the
        areas either side of it) is an inner border and is dropped; the arcs
        left are joined end to end into rings.
        Outer rings run clockwise and holes the other way, as in the source,
        so each hole goes to the outer ring around it."""
        net: dict[int, int] = defaultdict(int)  # runs of each arc forwards less backwards
        for polygon in polygons:
            for refs in polygon:
                for ref in refs:
                    net[ref if ref >= 0 else ~ref] += 1 if ref >= 0 else -1
        starts: dict[Point, list[int]] = defaultdict(list)
        for arc, n in sorted(net.items()):
            ref = arc if n > 0 else ~arc
            starts[self.arc(ref)[0]].extend([ref] * abs(n))
        rings: list[list[Point]] = []
        while any(starts.values()):
            start = next(p for p, refs in starts.items() if refs)
            refs = [starts[start].pop()]
            end = self.arc(refs[-1])[-1]
            while end != start and starts.get(end):
                refs.append(starts[end].pop())
                end = self.arc(refs[-1])[-1]
            rings.append(self.ring(refs))
        outer = [r for r in rings if _area(r) < 0]
        out: list[list[list[Point]]] = [[r] for r in outer]
        for hole in (r for r in rings if _area(r) >= 0):
            around = [i for i, r in enumerate(outer) if _inside(hole[0], r)]
            if around:
                out[min(around, key=lambda i: -_area(outer[i]))].append(hole)
        return out


def _polygons(geometry: dict[str, Any]) -> list[list[list[int]]]:
    arcs: list[Any] = geometry.get("arcs", [])
    return [arcs] if geometry["type"] == "Polygon" else arcs


@cache
def england_geojson() -> dict[str, Any]:
    """Every current lowest-tier English authority as a GeoJSON feature whose
    id is its GSS code, drawn from the 2013 districts it covers; what each is
    drawn from is in its properties (``lad13``: the districts; ``drawn``:
    ``same`` or ``dissolved``)."""
    topology = boundaries_lad13()
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    full = _arcs(topology)
    simple = _Rings([_simplify(a, SIMPLIFY_STEPS) for a in full])
    reg = registry()
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for geometry in topology["objects"]["lad"]["geometries"]:
        current, _ = reg.lad13_to_current(str(geometry["id"]))
        for gss in current:
            groups[gss].append(geometry)

    def lonlat(ring: list[Point]) -> list[list[float]]:
        return [[round(x * sx + tx, DECIMALS), round(y * sy + ty, DECIMALS)] for x, y in ring]

    features = []
    for gss, geometries in sorted(groups.items()):
        polygons = [p for g in geometries for p in _polygons(g)]
        drawn = "same" if len(geometries) == 1 else "dissolved"
        shapes: list[list[list[Point]]] = []
        for rings in (simple, _Rings(full)):  # unsimplified if nothing is left
            if drawn == "same":
                shapes = [[rings.ring(refs) for refs in polygon] for polygon in polygons]
            else:
                shapes = rings.dissolve(polygons)
            # a ring simplified to fewer than 4 points (a speck of an island) is dropped
            shapes = [[r for r in s if len(r) >= 4] for s in shapes if len(s[0]) >= 4]
            if shapes:
                break
        features.append(
            {
                "type": "Feature",
                "id": gss,
                "properties": {
                    "name": reg.get(gss).nice_name,
                    "drawn": drawn,
                    "lad13": sorted(str(g["id"]) for g in geometries),
                },
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[lonlat(r) for r in shape] for shape in shapes],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def map_codes(codes: list[str], year: str | None = None) -> tuple[list[str], list[str]]:
    """The features of :func:`england_geojson` that draw a place given by
    ``codes`` (as a workspace's ``place``), and the codes none draws.  A map's
    features are current lowest-tier authorities, so a county (Lancashire,
    E10000017) or a council since abolished (North Yorkshire's county for
    2010-11) is drawn as the authorities now covering it, as the count
    apportions to them; a code the registry does not know (a demo's
    fictional place) is not drawn."""
    from totalplace.errors import TotalPlaceError

    reg = registry()
    drawn = {f["id"] for f in england_geojson()["features"]}
    on_map: list[str] = []
    not_drawn: list[str] = []
    for code in codes:
        try:
            units, _ = reg.units_in_year(code, year)
        except TotalPlaceError:
            units = ()
        found = [u for u in units if u in drawn]
        if not found:
            not_drawn.append(code)
        on_map += [u for u in found if u not in on_map]
    return on_map, not_drawn
