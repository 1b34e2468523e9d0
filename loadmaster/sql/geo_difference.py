"""``geoDifference``: Turf 6.5's ``difference`` as HarperDB calls it.

Turf hands the two geometries' coordinates to polygon-clipping 0.15, which reads Polygon or
MultiPolygon coordinates by their shape (the ``type`` is never looked at), fills each ring by
the non-zero winding rule (rings need not be closed, simple or wound either way), takes a
polygon as its exterior less its holes and a MultiPolygon as the union of its polygons. GEOS
(shapely) does the clipping here, and :mod:`geo_rings` writes the result as polygon-clipping
writes it. Anything polygon-clipping or Turf would throw on gives ``NaN``, as HarperDB's
wrapper turns every throw into ``NaN``.
"""

import math
from typing import Any

from loadmaster.sql.geo_rings import Ring, Rounder, written
from loadmaster.sql.jsvalues import UNDEF, auto_cast_json, is_number, js_bool

__all__ = ["feature", "geo_difference"]

_NOT_POLYGONAL = "Input geometry is not a valid Polygon or MultiPolygon"


def geo_difference(first: Any = UNDEF, second: Any = UNDEF, *_: Any) -> Any:
    """Return ``first`` less ``second`` as a GeoJSON Feature, ``None`` when nothing is left,
    or NaN when either is empty or not polygonal (further arguments are ignored, as in
    JavaScript)."""
    if _empty(first) or _empty(second):
        return math.nan
    subject, clip = auto_cast_json(first), auto_cast_json(second)
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
    return feature(kind, coordinates, properties)


def feature(kind: str, coordinates: Any, properties: Any) -> dict[str, Any]:
    """Return a GeoJSON Feature as Turf's ``feature()`` makes it: ``properties`` as given, or
    ``{}`` when falsy (here because :mod:`geo` builds on this module)."""
    return {
        "type": "Feature",
        "properties": properties if js_bool(properties) else {},
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def _empty(value: Any) -> bool:
    # HarperDB's isEmpty: undefined, null or the empty string.
    return value is None or value is UNDEF or value == ""


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
    """Return a ring's 2D points."""
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
        ring.append(point)
    return ring


def _clip(subject: list[list[Ring]], clip: list[list[Ring]]) -> list[Any]:
    import numpy  # only a statement that clips pays for loading GEOS
    import shapely

    # Coordinates near the float limit overflow (in GEOS, in the rounding): that is an answer
    # (or NaN, see _written), not a warning; errstate is per thread, unlike warnings filters.
    with numpy.errstate(all="ignore"):
        rounder = Rounder()
        subject, clip = rounder.rounded(subject), rounder.rounded(clip)
        try:
            result = shapely.difference(_region(shapely, subject), _region(shapely, clip))
        except shapely.errors.ShapelyError as exc:
            raise ValueError(str(exc)) from exc
        return _written(shapely, rounder, shapely.get_parts(result))


def _region(shapely: Any, polygons: list[list[Ring]]) -> Any:
    """Return the area polygon-clipping reads: each polygon its exterior less its holes, the
    polygons unioned."""
    parts = [_polygon_region(shapely, rings) for rings in polygons]
    if len(parts) == 1:
        return parts[0]
    if all(part.geom_type == "Polygon" and not part.is_empty for part in parts):
        apart = shapely.MultiPolygon(parts)
        if shapely.is_valid(apart):
            return apart  # nothing overlaps or touches: nothing to union
    return shapely.union_all(parts)


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


def _written(shapely: Any, rounder: Rounder, parts: Any) -> list[Any]:
    """Return GEOS's polygons as the coordinates polygon-clipping would write."""
    polygons = []
    for part in parts:
        if part.geom_type == "Polygon" and not part.is_empty:
            rings = [shapely.get_coordinates(r).tolist() for r in [part.exterior, *part.interiors]]
            if not all(math.isfinite(v) for ring in rings for point in ring for v in point):
                raise ValueError("the result overflows")
            polygons.append([[(x, y) for x, y in ring] for ring in rings])
    # polygon-clipping rounds the points it makes as it rounds the input's.
    return written(rounder.rounded(polygons))
