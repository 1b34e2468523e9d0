"""``geoDifference``: Turf 6.5's ``difference`` as HarperDB calls it.

Turf hands the two geometries' coordinates to polygon-clipping 0.15, which reads Polygon or
MultiPolygon coordinates by their shape (the ``type`` is never looked at), fills each ring by
the non-zero winding rule (rings need not be closed, simple or wound either way), takes a
polygon as its exterior less its holes and a MultiPolygon as the union of its polygons. GEOS
(shapely) does the clipping here; the result is then written as polygon-clipping writes it:
closed rings, exteriors counter-clockwise and holes clockwise, each ring from its smallest
vertex (x, then y), repeated and collinear vertices dropped, polygons and holes ordered by that
vertex. Anything polygon-clipping or Turf would throw on gives ``NaN``, as HarperDB's wrapper
turns every throw into ``NaN``.
"""

import math
from typing import Any

import msgspec

from loadmaster.sql.jsvalues import UNDEF, is_number, js_bool, normalize_number

__all__ = ["geo_difference"]

Point = tuple[float, float]
Ring = list[Point]
_NOT_POLYGONAL = "Input geometry is not a valid Polygon or MultiPolygon"
#: polygon-clipping's epsilon for "collinear" (Number.EPSILON).
_EPSILON = 2.0**-52


def geo_difference(first: Any = UNDEF, second: Any = UNDEF, *_: Any) -> Any:
    """Return ``first`` less ``second`` as a GeoJSON Feature, ``None`` when nothing is left,
    or NaN when either is empty or not polygonal (further arguments are ignored, as in
    JavaScript)."""
    if _empty(first) or _empty(second):
        return math.nan
    subject, clip = _cast(first), _cast(second)
    try:
        polygons = _clip(_polygons(_coordinates(subject)), _polygons(_coordinates(clip)))
    except (ValueError, TypeError, OverflowError):
        return math.nan
    if not polygons:
        return None
    properties = subject.get("properties", UNDEF) if isinstance(subject, dict) else UNDEF
    kind, coordinates = (
        ("Polygon", polygons[0]) if len(polygons) == 1 else ("MultiPolygon", polygons)
    )
    return {
        "type": "Feature",
        "properties": properties if js_bool(properties) else {},
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def _empty(value: Any) -> bool:
    # HarperDB's isEmpty: undefined, null or the empty string.
    return value is None or value is UNDEF or value == ""


def _cast(value: Any) -> Any:
    # HarperDB's autoCastJSON: a string holding JSON becomes the value it holds.
    if not isinstance(value, str):
        return value
    try:
        return msgspec.json.decode(value)
    except msgspec.DecodeError:
        return value


def _coordinates(value: Any) -> Any:
    # Turf's getGeom (a Feature's geometry, else the value itself), then its coordinates.
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict):
        raise TypeError("geojson must be a Feature or Geometry")
    return value.get("coordinates")


def _polygons(coordinates: Any) -> list[list[Ring]]:
    """Read Polygon or MultiPolygon coordinates as polygon-clipping does."""
    if not isinstance(coordinates, list):
        raise ValueError(_NOT_POLYGONAL)
    if _is_polygon(coordinates):
        coordinates = [coordinates]
    polygons = []
    for rings in coordinates:
        if not isinstance(rings, list) or not rings:
            raise ValueError(_NOT_POLYGONAL)
        polygons.append([_ring(ring) for ring in rings])
    return polygons


def _is_polygon(coordinates: list[Any]) -> bool:
    # polygon-clipping: `typeof geom[0][0][0] === 'number'` means one polygon, not several.
    value: Any = coordinates
    for _ in range(3):
        if not isinstance(value, list) or not value:
            return False
        value = value[0]
    return is_number(value)


def _ring(positions: Any) -> Ring:
    """Return a ring's distinct 2D points, without repeats or the closing point."""
    if not isinstance(positions, list) or not positions:
        raise ValueError(_NOT_POLYGONAL)
    ring: Ring = []
    for position in positions:
        if not (isinstance(position, list) and len(position) >= 2):
            raise ValueError(_NOT_POLYGONAL)
        x, y = position[0], position[1]
        if not (is_number(x) and is_number(y)):
            raise ValueError(_NOT_POLYGONAL)
        point = (float(x), float(y))
        if not (math.isfinite(point[0]) and math.isfinite(point[1])):
            raise ValueError("coordinates must be finite")
        if not ring or ring[-1] != point:
            ring.append(point)
    if len(ring) > 1 and ring[-1] == ring[0]:
        ring.pop()
    return ring


def _clip(subject: list[list[Ring]], clip: list[list[Ring]]) -> list[Any]:
    import shapely  # only a statement that clips pays for loading GEOS

    try:
        result = shapely.difference(_region(shapely, subject), _region(shapely, clip))
    except shapely.errors.ShapelyError as exc:
        raise ValueError(str(exc)) from exc
    return _written(shapely.get_parts(result))


def _region(shapely: Any, polygons: list[list[Ring]]) -> Any:
    """Return the area polygon-clipping reads: each polygon its exterior less its holes, the
    polygons unioned."""
    parts = [_polygon_region(shapely, rings) for rings in polygons]
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _polygon_region(shapely: Any, rings: list[Ring]) -> Any:
    exterior = rings[0]
    holes = [hole for hole in rings[1:] if len(hole) >= 3]
    if len(exterior) < 3:
        return shapely.Polygon()
    polygon = shapely.Polygon(exterior, holes)
    if shapely.is_valid(polygon):
        return polygon
    area = _filled(shapely, exterior)
    if holes:
        area = shapely.difference(area, shapely.union_all([_filled(shapely, h) for h in holes]))
    return area


def _filled(shapely: Any, ring: Ring) -> Any:
    """Return the area a ring encloses by the non-zero winding rule, also when it crosses
    itself."""
    polygon = shapely.Polygon(ring)
    if shapely.is_valid(polygon):
        return polygon
    # GEOS's "structure" repair of a lone ring buffers it by zero run both ways and unions the
    # two: what winds either way round is kept, what winds to zero is not.
    return shapely.make_valid(polygon, method="structure", keep_collapsed=False)


def _written(parts: Any) -> list[Any]:
    """Write GEOS's polygons as polygon-clipping writes its output."""
    polygons = []
    for part in parts:
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        exterior = _ring_out(part.exterior.coords, counter_clockwise=True)
        if exterior is None:
            continue
        holes = [_ring_out(hole.coords, counter_clockwise=False) for hole in part.interiors]
        polygons.append([exterior, *sorted((h for h in holes if h is not None), key=_order)])
    polygons.sort(key=lambda rings: _order(rings[0]))
    return [
        [[[normalize_number(v) for v in p] for p in ring] for ring in rings] for rings in polygons
    ]


def _ring_out(coords: Any, counter_clockwise: bool) -> Ring | None:
    """Return a ring closed, wound as asked, from its smallest vertex, without repeated or
    collinear vertices; None when nothing of it is left."""
    points: Ring = []
    for x, y in coords:
        if not points or points[-1] != (x, y):
            points.append((float(x), float(y)))
    if len(points) > 1 and points[-1] == points[0]:
        points.pop()
    if len(points) < 3:
        return None
    if (_signed_area(points) > 0) != counter_clockwise:
        points.reverse()
    start = points.index(min(points))
    points = points[start:] + points[:start]
    kept = [points[0]]  # the smallest vertex is never collinear with its neighbours
    for index, point in enumerate(points[1:], start=1):
        following = points[(index + 1) % len(points)]
        if not _collinear(kept[-1], point, following):
            kept.append(point)
    if len(kept) < 3:
        return None
    kept.append(kept[0])
    return kept


def _signed_area(points: Ring) -> float:
    return sum(
        x0 * y1 - x1 * y0
        for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True)
    )


def _collinear(before: Point, point: Point, after: Point) -> bool:
    # polygon-clipping's compareVectorAngles(point, before, after) === 0.
    cross = (before[0] - point[0]) * (after[1] - point[1]) - (before[1] - point[1]) * (
        after[0] - point[0]
    )
    return -_EPSILON < cross < _EPSILON


def _order(ring: Ring) -> tuple[float, float, float]:
    # By the starting (smallest) vertex; rings starting at the same vertex by their first edge.
    (x, y), (x1, y1) = ring[0], ring[1]
    return x, y, math.atan2(y1 - y, x1 - x)
