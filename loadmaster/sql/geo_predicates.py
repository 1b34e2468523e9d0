"""Turf.js 6.5's ``booleanDisjoint`` on single geometries (Point, LineString, Polygon), plane
arithmetic on the coordinates as Turf does it; ``geoCrosses`` is its negation.

Each pair is decided as Turf decides it: a point on a line by a zero cross product, a point in
a polygon by ray casting with the boundary counted as inside, lines against lines and polygon
outlines by proper segment intersections (collinear overlaps do not count, as in Turf).
"""

from itertools import pairwise
from typing import Any

__all__ = ["intersects"]

Position = list[Any]


def _on_segment(start: Position, end: Position, pt: Position) -> bool:
    dxc, dyc = pt[0] - start[0], pt[1] - start[1]
    dxl, dyl = end[0] - start[0], end[1] - start[1]
    if dxc * dyl - dyc * dxl != 0:
        return False
    if abs(dxl) >= abs(dyl):
        if dxl > 0:
            return bool(start[0] <= pt[0] <= end[0])
        return bool(end[0] <= pt[0] <= start[0])
    if dyl > 0:
        return bool(start[1] <= pt[1] <= end[1])
    return bool(end[1] <= pt[1] <= start[1])


def _on_line(line: list[Position], pt: Position) -> bool:
    return any(_on_segment(a, b, pt) for a, b in pairwise(line))


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


def _in_polygon(pt: Position, rings: list[list[Position]]) -> bool:
    # booleanPointInPolygon without ignoreBoundary: inside the outer ring, not inside a hole.
    if not _in_ring(pt, rings[0], ignore_boundary=False):
        return False
    return not any(_in_ring(pt, hole, ignore_boundary=True) for hole in rings[1:])


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
