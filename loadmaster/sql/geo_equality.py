"""``geoEqual``: Turf 6.5's ``booleanEqual``, as HarperDB calls it.

Turf first removes redundant coordinates (``@turf/clean-coords``: repeated points and points on
the straight segment between their neighbours), then compares with ``geojson-equality`` at a
precision of 6 decimals: a line equals its reverse, a polygon ring equals the same ring started
at another vertex or run the other way, holes and the parts of a Multi geometry match in any
order, and Features compare their ``id``, ``properties`` and ``bbox`` too.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["boolean_equal"]

Position = list[Any]
_PRECISION = Decimal("1e-6")


class _UnsupportedError(ValueError):
    """A value ``clean-coords`` refuses (HarperDB's wrapper answers false)."""


def _fixed(value: Any) -> str:
    # JavaScript's toFixed(6): the exact binary value rounded half away from zero.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _UnsupportedError("coordinates must be numbers")
    return str(Decimal(value).quantize(_PRECISION, rounding=ROUND_HALF_UP))


def _point_key(coord: Any) -> tuple[str, ...]:
    if not isinstance(coord, list):
        raise _UnsupportedError("a position must be a list")
    return tuple(map(_fixed, coord))


def _same_coord(first: Position, second: Position) -> bool:
    return len(first) == len(second) and all(
        _fixed(a) == _fixed(b) for a, b in zip(first, second, strict=True)
    )


def _on_segment(start: Position, end: Position, point: Position) -> bool:
    dxc, dyc = point[0] - start[0], point[1] - start[1]
    dxl, dyl = end[0] - start[0], end[1] - start[1]
    if dxc * dyl - dyc * dxl != 0:
        return False
    axis = 0 if abs(dxl) >= abs(dyl) else 1
    low, high = (start[axis], end[axis]) if (dxl, dyl)[axis] > 0 else (end[axis], start[axis])
    return bool(low <= point[axis] <= high)


def _clean_line(points: list[Position]) -> list[Position]:
    """``@turf/clean-coords``' cleanLine."""
    if len(points) == 2 and points[0][:2] != points[1][:2]:
        return points
    kept = [points[0]]
    for point in points[1:-1]:
        if point[:2] == kept[-1][:2]:
            continue
        kept.append(point)
        if len(kept) > 2 and _on_segment(kept[-3], kept[-1], kept[-2]):
            del kept[-2]
    kept.append(points[-1])
    if points[0][:2] == points[-1][:2] and len(kept) < 4:
        raise _UnsupportedError("invalid polygon")
    if len(kept) >= 3 and _on_segment(kept[-3], kept[-1], kept[-2]):
        del kept[-2]
    return kept


def _clean(geometry: dict[str, Any]) -> dict[str, Any]:
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if not isinstance(coordinates, list):
        raise _UnsupportedError("no coordinates")
    if kind == "Point":
        return geometry
    if kind == "LineString":
        cleaned: list[Any] = _clean_line(coordinates)
    elif kind in ("MultiLineString", "Polygon"):
        cleaned = [_clean_line(line) for line in coordinates]
    elif kind == "MultiPolygon":
        cleaned = [[_clean_line(ring) for ring in polygon] for polygon in coordinates]
    elif kind == "MultiPoint":
        seen: set[str] = set()
        cleaned = []
        for coord in coordinates:
            key = "-".join(map(str, coord))
            if key not in seen:
                seen.add(key)
                cleaned.append(coord)
    else:
        raise _UnsupportedError(f"{kind} geometry not supported")
    return {"type": kind, "coordinates": cleaned}


def _start_at(path: list[Position], first: Position) -> list[Position] | None:
    # geojson-equality's fixStartIndex: the closed ring turned to start where ``first`` is.
    for index, coord in enumerate(path):
        if _same_coord(coord, first):
            return path[index:] + path[1 : index + 1]
    return None


def _same_path(first: list[Position], second: list[Position]) -> bool:
    return all(_same_coord(a, b) for a, b in zip(first, second, strict=False))


def _same_line(first: list[Position], second: list[Position], at: int, *, ring: bool) -> bool:
    if len(first) != len(second):
        return False
    if ring and not _same_coord(first[0], second[0]):
        turned = _start_at(second, first[0])
        if turned is None:
            return False
        second = turned
    if _same_coord(first[at], second[at]):
        return _same_path(first, second)
    if _same_coord(first[at], second[len(second) - (1 + at)]):
        return _same_path(first[::-1], second)
    return False


def _same_polygon(first: list[Any], second: list[Any]) -> bool:
    if not _same_line(first[0], second[0], 1, ring=True):
        return False
    return all(any(_same_line(h1, h2, 1, ring=True) for h2 in second[1:]) for h1 in first[1:])


def _compare(first: dict[str, Any], second: dict[str, Any]) -> bool:
    kind = first.get("type")
    if kind != second.get("type"):
        return False
    one, two = first.get("coordinates"), second.get("coordinates")
    if kind == "Feature":
        return (
            first.get("id") == second.get("id")
            and first.get("properties") == second.get("properties")
            and _same_bbox(first.get("bbox"), second.get("bbox"))
            and _compare(first["geometry"], second["geometry"])
        )
    if not isinstance(one, list) or not isinstance(two, list) or len(one) != len(two):
        return False
    if kind == "Point":
        return _same_coord(one, two)
    if kind == "LineString":
        return _same_line(one, two, 0, ring=False)
    if kind == "Polygon":
        return _same_polygon(one, two)
    if kind == "MultiPoint":
        # Each point must match some point of the other: a set lookup, not a pairwise search.
        others = {_point_key(coord) for coord in two}
        return all(_point_key(coord) in others for coord in one)
    if isinstance(kind, str) and kind.startswith("Multi"):
        part = kind.removeprefix("Multi")
        return all(
            any(
                _compare({"type": part, "coordinates": a}, {"type": part, "coordinates": b})
                for b in two
            )
            for a in one
        )
    return False


def _same_bbox(first: Any, second: Any) -> bool:
    if first is None and second is None:
        return True
    return isinstance(first, list) and isinstance(second, list) and _same_coord(first, second)


def _cleaned(value: dict[str, Any]) -> dict[str, Any]:
    if value.get("type") != "Feature":
        return _clean(value)
    geometry = value.get("geometry")
    if not isinstance(geometry, dict):
        raise _UnsupportedError("a Feature without a geometry")
    return {**value, "geometry": _clean(geometry)}


def boolean_equal(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Turf's booleanEqual of two GeoJSON Features or Geometries.

    Raises:
        ValueError: a value Turf refuses (HarperDB answers false).
    """
    kinds = [
        (v.get("geometry") or {}).get("type") if v.get("type") == "Feature" else v.get("type")
        for v in (first, second)
    ]
    if kinds[0] != kinds[1]:
        return False
    return _compare(_cleaned(first), _cleaned(second))
