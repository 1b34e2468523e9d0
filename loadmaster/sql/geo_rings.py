"""How polygon-clipping 0.15 rounds points and writes a clipped result, applied to polygons
clipped elsewhere.

It first snaps every x (and every y) within a float's width of one it has already seen onto
that one, for the input's points and for those it makes.

polygon-clipping traces each output ring from the first edge its sweep meets: from the ring's
smallest vertex (lowest x, then y) along its lower edge, so that exteriors run
counter-clockwise and holes, written the other way round, clockwise. Where the ring being
traced touches another at a vertex (a hole touching its exterior), it turns as sharply left as
it can and cuts the other off as a ring of its own, which starts at that vertex and is listed
first. It drops the vertices where a ring goes exactly straight on, and lists the polygons and
each polygon's holes in the order it traced them.
"""

import math
from bisect import bisect_left, insort
from collections import defaultdict
from fractions import Fraction
from itertools import pairwise
from typing import Any

from loadmaster.sql.jsvalues import normalize_number

__all__ = ["Point", "Ring", "Rounder", "written"]

Point = tuple[float, float]
Ring = list[Point]
_EPSILON = 2.0**-52
#: Shewchuk's error bound: a float orientation larger than this times its terms is exact.
_ERROR_BOUND = (3 + 16 * 2.0**-53) * 2.0**-53


class Rounder:
    """polygon-clipping's rounder: each x (and each y) it meets that is equal, as its ``cmp``
    compares floats, to one it has kept (0 to begin with) becomes that one; others are kept."""

    def __init__(self) -> None:
        self._kept: list[Any] = [None, None]  # per axis, the kept values sorted (numpy)

    def rounded(self, polygons: list[list[Ring]]) -> list[list[Ring]]:
        """Return the polygons with every point rounded in order and repeats dropped."""
        points = [point for polygon in polygons for ring in polygon for point in ring]
        xs = self._round(0, [x for x, _ in points])
        ys = self._round(1, [y for _, y in points])
        rounded = iter(zip(xs, ys, strict=True))
        return [
            [distinct([next(rounded) for _ in ring]) for ring in polygon] for polygon in polygons
        ]

    def _round(self, axis: int, values: list[float]) -> list[float]:
        # Only values in a run of sorted values each close to the next can be snapped, so the
        # rounder is replayed in order within those runs alone (most values are in none).
        import numpy  # loaded by then: the clipping that rounds imported it

        kept = self._kept[axis]
        if kept is None:
            kept = numpy.zeros(1)
        ordered = numpy.unique(numpy.concatenate([numpy.asarray(values, dtype=float), kept]))
        low, high = ordered[:-1], ordered[1:]
        near_zero = (abs(low) < _EPSILON) & (abs(high) < _EPSILON)
        close = near_zero | ((low - high) * (low - high) < _EPSILON * _EPSILON * low * high)
        if not close.any():
            self._kept[axis] = ordered
            return values
        in_run = numpy.zeros(len(ordered), dtype=bool)
        in_run[:-1] |= close
        in_run[1:] |= close
        run = numpy.concatenate([numpy.zeros(1, dtype=int), numpy.cumsum(~close)])
        run_of = dict(zip(ordered[in_run].tolist(), run[in_run].tolist(), strict=True))
        runs: dict[int, list[float]] = defaultdict(list)
        for value in kept[numpy.isin(kept, ordered[in_run])].tolist():
            runs[run_of[value]].append(value)
        result = [v if v not in run_of else _snap(runs[run_of[v]], v) for v in values]
        stayed = [v for run in runs.values() for v in run]
        self._kept[axis] = numpy.sort(numpy.concatenate([ordered[~in_run], stayed]))
        return result


def _close(a: float, b: float) -> bool:
    # polygon-clipping's cmp(a, b) === 0.
    if -_EPSILON < a < _EPSILON and -_EPSILON < b < _EPSILON:
        return True
    difference = a - b
    return difference * difference < _EPSILON * _EPSILON * a * b


def _snap(kept: list[float], value: float) -> float:
    # CoordRounder.round: the kept value just below, else just above, if close; else keep it.
    index = bisect_left(kept, value)
    if index < len(kept) and kept[index] == value:
        return value
    if index > 0 and _close(value, kept[index - 1]):
        return kept[index - 1]
    if index < len(kept) and _close(value, kept[index]):
        return kept[index]
    insort(kept, value)
    return value


def distinct(points: Ring) -> Ring:
    """Return a ring's points without repeats or the closing point."""
    ring = [point for i, point in enumerate(points) if i == 0 or point != points[i - 1]]
    if len(ring) > 1 and ring[-1] == ring[0]:
        ring.pop()
    return ring


def written(polygons: list[list[Ring]]) -> list[Any]:
    """Return MultiPolygon coordinates as polygon-clipping writes them, given valid polygons
    (each its exterior, then its holes, as open rings of distinct points)."""
    rings: list[Ring] = []
    roles: list[tuple[int, bool]] = []  # (which polygon, whether its exterior)
    for number, polygon in enumerate(polygons):
        for index, ring in enumerate(polygon):
            if len(ring) >= 3:
                rings.append(ring)
                roles.append((number, index == 0))
    found: dict[int, list[Any]] = {}  # in the order polygon-clipping composes them
    for ring_id, points in _traced(rings):
        number, exterior = roles[ring_id]
        slot = found.setdefault(number, [None])
        kept = _turning(points)
        if kept is not None and exterior:
            slot[0] = kept
        elif kept is not None:
            slot.append(kept[::-1])  # holes are written the other way round
    return [
        [[[normalize_number(x), normalize_number(y)] for x, y in ring] for ring in slot]
        for slot in found.values()
        if slot[0] is not None
    ]


def _traced(rings: list[Ring]) -> list[tuple[int, Ring]]:
    """Trace closed rings as polygon-clipping's ``RingOut.factory`` does.

    Each walk starts at the left end of the first edge not yet traced in sweep order (the
    lowest edge at the smallest vertex) and, where rings touch, turns as sharply left as it
    can; coming back to such a point it cuts the loop off as a ring of its own, which starts
    there and is listed before the ring it was cut from. Each ring is returned with the index
    of the ring its first edge came from.
    """
    edges = [(r, p, q) for r, ring in enumerate(rings) for p, q in pairwise([*ring, ring[0]])]
    ends: dict[Point, list[int]] = defaultdict(list)
    for number, (_, p, q) in enumerate(edges):
        ends[p].append(number)
        ends[q].append(number)
    traced = [False] * len(edges)
    steps = 4 * len(edges)  # a walk takes each edge once (twice at worst): never loop forever
    found: list[tuple[int, Ring]] = []

    def close(path: list[tuple[Point, int]]) -> None:
        for _, edge in path:
            traced[edge] = True
        found.append((edges[path[0][1]][0], [point for point, _ in path]))

    for first in sorted(range(len(edges)), key=lambda e: _sweep_order(edges[e])):
        if traced[first]:
            continue
        start, point = sorted(edges[first][1:])
        path, edge, before = [(start, first)], first, start
        crossings: list[tuple[Point, int]] = []
        while True:
            path.append((point, edge))
            if point == start:
                break
            while True:
                free = [e for e in ends[point] if e != edge and not traced[e]]
                if len(free) == 1:
                    edge = free[0]
                    break
                if not free:
                    raise ValueError("Unable to complete output ring")
                seen = [i for i, (at, _) in enumerate(crossings) if at == point]
                if not seen:
                    crossings.append((point, len(path)))
                    edge = min(free, key=lambda e: _clockwise(before, point, _far(edges[e], point)))
                    break
                cut = crossings[seen[0]][1]
                del crossings[seen[0] :]
                loop = path[cut:]
                del path[cut:]
                close([(_far(edges[loop[0][1]], loop[0][0]), loop[0][1]), *loop][::-1])
            before, point = point, _far(edges[edge], point)
            steps -= 1
            if steps < 0:
                raise ValueError("Unable to complete output ring")
        close(path)
    return found


def _sweep_order(edge: tuple[int, Point, Point]) -> tuple[Point, float]:
    # By the left end (x, then y), then from the lowest edge up.
    left, right = sorted(edge[1:])
    return left, math.atan2(right[1] - left[1], right[0] - left[0])


def _far(edge: tuple[int, Point, Point], near: Point) -> Point:
    return edge[2] if edge[1] == near else edge[1]


def _clockwise(before: Point, point: Point, after: Point) -> float:
    """Return the clockwise angle from the way back to ``before`` to the way on to ``after``."""
    bx, by, ax, ay = (
        before[0] - point[0],
        before[1] - point[1],
        after[0] - point[0],
        after[1] - point[1],
    )
    return -math.atan2(bx * ay - by * ax, bx * ax + by * ay) % math.tau


def _turning(points: Ring) -> Ring | None:
    """Drop the vertices where a closed ring goes straight on, as polygon-clipping's
    ``RingOut.getGeom`` does (its start too, if straight); None when none is left."""
    before, kept = points[0], [points[0]]
    for point, after in pairwise(points[1:]):
        if _turns(point, before, after):
            kept.append(point)
            before = point
    if len(kept) < 3:
        return None
    if not _turns(kept[0], before, kept[1]):
        kept.pop(0)
    return [*kept, kept[0]]


def _turns(point: Point, before: Point, after: Point) -> bool:
    """Tell whether three points are not on one line, exactly (robust-predicates' orient2d,
    which polygon-clipping asks)."""
    left = (point[1] - after[1]) * (before[0] - after[0])
    right = (point[0] - after[0]) * (before[1] - after[1])
    if abs(left - right) > _ERROR_BOUND * abs(left + right):
        return True
    (px, py), (bx, by), (ax, ay) = ((Fraction(x), Fraction(y)) for x, y in (point, before, after))
    return (py - ay) * (bx - ax) != (px - ax) * (by - ay)
