"""Turf.js 6.5's ``booleanDisjoint`` and ``booleanContains``: plane arithmetic on the
coordinates, as Turf does it (HarperDB's ``geoCrosses`` is ``!booleanDisjoint``, its
``geoContains`` is ``booleanContains``).

Each pair is decided as Turf decides it: a point on a line by a zero cross product, a point in
a polygon by ray casting (the boundary counted as inside unless Turf ignores it), lines against
lines and polygon outlines by proper segment intersections (collinear overlaps do not count).
"""

from itertools import pairwise
from typing import Any

from loadmaster.sql.aggregates import hashable

__all__ = ["NotSupportedError", "contains", "intersects"]

Position = list[Any]


class NotSupportedError(ValueError):
    """A pair of geometry types Turf's booleanContains refuses (HarperDB answers false)."""


def _within(low: Any, value: Any, high: Any, open_low: bool, open_high: bool) -> bool:
    above = low < value if open_low else low <= value
    below = value < high if open_high else value <= high
    return bool(above and below)


def _on_segment(
    start: Position, end: Position, pt: Position, open_start: bool = False, open_end: bool = False
) -> bool:
    # isPointOnLineSegment; an open end excludes that vertex (ignoreEndVertices).
    dxc, dyc = pt[0] - start[0], pt[1] - start[1]
    dxl, dyl = end[0] - start[0], end[1] - start[1]
    if dxc * dyl - dyc * dxl != 0:
        return False
    axis = 0 if abs(dxl) >= abs(dyl) else 1
    if (dxl if axis == 0 else dyl) > 0:
        return _within(start[axis], pt[axis], end[axis], open_start, open_end)
    return _within(end[axis], pt[axis], start[axis], open_end, open_start)


def _on_line(line: list[Position], pt: Position, ignore_end_vertices: bool = False) -> bool:
    last = len(line) - 2
    return any(
        _on_segment(a, b, pt, ignore_end_vertices and i == 0, ignore_end_vertices and i == last)
        for i, (a, b) in enumerate(pairwise(line))
    )


def _in_ring(pt: Position, ring: list[Position], ignore_boundary: bool) -> bool:
    if ring[0][0] == ring[-1][0] and ring[0][1] == ring[-1][1]:
        ring = ring[:-1]
    inside = False
    x, y = pt[0], pt[1]
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi, xj, yj = ring[i][0], ring[i][1], ring[j][0], ring[j][1]
        j = i
        on_boundary = (
            y * (xi - xj) + yi * (xj - x) + yj * (x - xi) == 0
            and (xi - x) * (xj - x) <= 0
            and (yi - y) * (yj - y) <= 0
        )
        if on_boundary:
            return not ignore_boundary
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
    return inside


def _in_polygon(pt: Position, rings: list[list[Position]], ignore_boundary: bool = False) -> bool:
    # booleanPointInPolygon: inside the outer ring and not inside a hole.
    if not _in_ring(pt, rings[0], ignore_boundary):
        return False
    return not any(_in_ring(pt, hole, not ignore_boundary) for hole in rings[1:])


def _segments_cross(a: tuple[Position, Position], b: tuple[Position, Position]) -> bool:
    (x1, y1), (x2, y2) = a[0][:2], a[1][:2]
    (x3, y3), (x4, y4) = b[0][:2], b[1][:2]
    denominator = (y4 - y3) * (x2 - x1) - (x4 - x3) * (y2 - y1)
    if denominator == 0:
        return False
    u_a = ((x4 - x3) * (y1 - y3) - (y4 - y3) * (x1 - x3)) / denominator
    u_b = ((x2 - x1) * (y1 - y3) - (y2 - y1) * (x1 - x3)) / denominator
    return bool(0 <= u_a <= 1 and 0 <= u_b <= 1)


def _lines_cross(first: list[list[Position]], second: list[list[Position]]) -> bool:
    segments = [s for line in second for s in pairwise(line)]
    return any(_segments_cross(a, b) for line in first for a in pairwise(line) for b in segments)


def _line_meets_polygon(rings: list[list[Position]], line: list[Position]) -> bool:
    return any(_in_polygon(p, rings) for p in line) or _lines_cross([line], rings)


def _polygons_meet(first: list[list[Position]], second: list[list[Position]]) -> bool:
    return (
        any(_in_polygon(p, second) for p in first[0])
        or any(_in_polygon(p, first) for p in second[0])
        or _lines_cross(first, second)
    )


def _meet(one: dict[str, Any], two: dict[str, Any]) -> bool:
    kinds, a, b = (one["type"], two["type"]), one["coordinates"], two["coordinates"]
    if kinds == ("Point", "Point"):
        return bool(a[0] == b[0] and a[1] == b[1])
    if kinds == ("Point", "LineString"):
        return _on_line(b, a)
    if kinds == ("LineString", "Point"):
        return _on_line(a, b)
    if kinds == ("Point", "Polygon"):
        return _in_polygon(a, b)
    if kinds == ("Polygon", "Point"):
        return _in_polygon(b, a)
    if kinds == ("LineString", "LineString"):
        return _lines_cross([a], [b])
    if kinds == ("LineString", "Polygon"):
        return _line_meets_polygon(b, a)
    if kinds == ("Polygon", "LineString"):
        return _line_meets_polygon(a, b)
    return _polygons_meet(b, a)


def intersects(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> bool:
    """Tell whether any single geometry of ``first`` meets one of ``second`` (not disjoint)."""
    return any(_meet(a, b) for a in first for b in second)


def _bbox(coordinates: Any) -> tuple[Any, Any, Any, Any]:
    points: list[Position] = []

    def collect(value: Any) -> None:
        if value and not isinstance(value[0], list):
            points.append(value)
        else:
            for part in value:
                collect(part)

    collect(coordinates)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _bbox_holds(outer: Any, inner: Any) -> bool:
    # Turf's doBBoxOverlap, which really asks whether the first box holds the second.
    a, b = _bbox(outer), _bbox(inner)
    return bool(a[0] <= b[0] and a[2] >= b[2] and a[1] <= b[1] and a[3] >= b[3])


def _polygon_holds_line(rings: list[list[Position]], line: list[Position]) -> bool:
    # Turf 6.5: true as soon as one segment's midpoint is strictly inside.
    if not _bbox_holds(rings, line):
        return False
    return any(
        _in_polygon([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2], rings, ignore_boundary=True)
        for a, b in pairwise(line)
    )


def _polygon_holds_polygon(outer: list[list[Position]], inner: list[list[Position]]) -> bool:
    if not _bbox_holds(outer, inner):
        return False
    return all(_in_polygon(p, outer) for ring in inner for p in ring)


def _line_holds_line(outer: list[Position], inner: list[Position]) -> bool:
    if not all(_on_line(outer, p) for p in inner):
        return False
    return any(_on_line(outer, p, ignore_end_vertices=True) for p in inner)


def contains(one: dict[str, Any], two: dict[str, Any]) -> bool:
    """Tell whether geometry ``one`` contains ``two`` by Turf's booleanContains.

    Raises:
        NotSupportedError: Turf refuses this pair of types.
    """
    kinds, a, b = (one.get("type"), two.get("type")), one["coordinates"], two["coordinates"]
    if kinds == ("Point", "Point"):
        return bool(a[0] == b[0] and a[1] == b[1])
    if kinds == ("MultiPoint", "Point"):
        return any(p[0] == b[0] and p[1] == b[1] for p in a)
    if kinds == ("LineString", "Point"):
        return _on_line(a, b, ignore_end_vertices=True)
    if kinds == ("LineString", "LineString"):
        return _line_holds_line(a, b)
    if kinds == ("Polygon", "Point"):
        return _in_polygon(b, a, ignore_boundary=True)
    if kinds == ("Polygon", "LineString"):
        return _polygon_holds_line(a, b)
    if kinds == ("Polygon", "Polygon"):
        return _polygon_holds_polygon(a, b)
    if kinds == ("MultiPoint", "MultiPoint"):
        # Turf compares every pair with ===; a set of type-tagged positions answers the same
        # in linear time (a big MultiPoint must not cost n*m).
        held = {(hashable(p[0]), hashable(p[1])) for p in a}
        return all((hashable(q[0]), hashable(q[1])) in held for q in b)
    if kinds == ("LineString", "MultiPoint"):
        # Every point on the line (its ends count), one of them off the ends.
        return all(_on_line(a, q) for q in b) and any(
            _on_line(a, q, ignore_end_vertices=True) for q in b
        )
    if kinds == ("Polygon", "MultiPoint"):
        return all(_in_polygon(q, a, ignore_boundary=True) for q in b)
    raise NotSupportedError(f"{kinds[1]} geometry not supported")
