"""HarperDB's geo functions, with the formulas of Turf.js 6.5 (the release HarperDB pins).

HarperDB wraps each Turf call: a missing argument or a Turf failure gives ``NaN`` for the
measuring functions and ``false`` for the tests, so a bad value never fails the statement;
only ``geoNear`` without a distance and a bad ``geoConvert`` throw (a 500 search problem).
``geoEqual`` is in :mod:`geo_equality`, ``geoContains`` and ``geoCrosses`` in
:mod:`geo_predicates`, ``geoDifference`` in :mod:`geo_difference`.
"""

import math
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

from loadmaster.sql.geo_difference import feature, geo_difference
from loadmaster.sql.geo_equality import boolean_equal
from loadmaster.sql.geo_predicates import contains, intersects
from loadmaster.sql.jsvalues import (
    UNDEF,
    auto_cast_json,
    is_null,
    is_number,
    js_bool,
    js_number,
    js_str,
)

__all__ = ["GEO_FUNCTIONS", "GEO_NAMES"]

_EARTH_METRES = 6371008.8
#: ``@turf/area`` 6.5 keeps its own (equatorial) radius.
_AREA_RADIUS = 6378137
_FACTORS = {
    "meters": _EARTH_METRES, "metres": _EARTH_METRES,
    "kilometers": _EARTH_METRES / 1000, "kilometres": _EARTH_METRES / 1000,
    "miles": _EARTH_METRES / 1609.344, "nauticalmiles": _EARTH_METRES / 1852,
    "feet": _EARTH_METRES * 3.28084, "yards": _EARTH_METRES * 1.0936,
    "inches": _EARTH_METRES * 39.37, "centimeters": _EARTH_METRES * 100,
    "centimetres": _EARTH_METRES * 100, "millimeters": _EARTH_METRES * 1000,
    "millimetres": _EARTH_METRES * 1000, "radians": 1.0, "degrees": 180 / math.pi,
}  # fmt: skip
#: Every geo function HarperDB registers (in this camelCase and in upper and lower case).
GEO_NAMES = frozenset(
    {"geoArea", "geoLength", "geoDifference", "geoDistance", "geoNear", "geoContains",
     "geoEqual", "geoCrosses", "geoConvert", "geoCircle"}
)  # fmt: skip
_SINGLE = {
    "MultiPoint": "Point",
    "MultiLineString": "LineString",
    "MultiPolygon": "Polygon",
}
_CIRCLE_STEPS = 64


class GeoError(ValueError):
    """A geo argument Turf refuses (HarperDB turns most into NaN or false)."""


def _point(value: Any) -> tuple[float, float]:
    value = auto_cast_json(value)
    if isinstance(value, dict):
        geometry = value.get("geometry") if value.get("type") == "Feature" else value
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            value = geometry.get("coordinates")
    if isinstance(value, list) and len(value) >= 2 and not any(isinstance(v, list) for v in value):
        return js_number(value[0]), js_number(value[1])
    raise GeoError("coord must be GeoJSON Point or an Array of numbers")


def _radians(degrees: float) -> float:
    # Turf's degreesToRadians, operation for operation, so results match to the last bit.
    return math.fmod(degrees, 360) * math.pi / 180


def _degrees(radians: float) -> float:
    return math.fmod(radians, 2 * math.pi) * 180 / math.pi


def _factor(units: Any) -> float:
    factor = _FACTORS.get(js_str(units) if js_bool(units) else "kilometers")
    if factor is None:
        raise GeoError(f"{units} units is invalid")
    return factor


def _haversine(a: tuple[float, float], b: tuple[float, float], factor: float) -> float:
    (lon1, lat1), (lon2, lat2) = a, b
    d_lat, d_lon = _radians(lat2 - lat1), _radians(lon2 - lon1)
    h = math.sin(d_lat / 2) ** 2 + math.sin(d_lon / 2) ** 2 * math.cos(_radians(lat1)) * math.cos(
        _radians(lat2)
    )
    return 2 * math.atan2(math.sqrt(h), math.sqrt(1 - h)) * factor


def _measure(fn: Callable[..., float], required: int) -> Callable[..., Any]:
    """Wrap a measuring function as HarperDB does: a missing value or a Turf error is NaN."""

    def call(*args: Any) -> Any:
        if len(args) < required or any(is_null(a) for a in args[:required]):
            return math.nan
        try:
            return fn(*args)
        except (GeoError, TypeError, KeyError, IndexError, AttributeError, ZeroDivisionError):
            return math.nan

    return call


def _distance(a: Any, b: Any, units: Any = UNDEF) -> float:
    return _haversine(_point(a), _point(b), _factor(units))


def _near(a: Any = UNDEF, b: Any = UNDEF, distance: Any = UNDEF, units: Any = UNDEF) -> Any:
    if is_null(a) or is_null(b):
        return False
    if is_null(distance):
        raise GeoError("distance is required")
    limit = js_number(distance)
    if math.isnan(limit):
        raise GeoError("distance must be a number")
    try:
        return _distance(a, b, units) <= limit
    except GeoError:
        return False


def _geometries(value: Any) -> Iterator[dict[str, Any]]:
    """Yield the single geometries of GeoJSON (Turf's flattenEach, null geometries skipped)."""
    if not isinstance(value, dict):
        raise GeoError("Unknown Geometry Type")
    kind = value.get("type")
    if kind == "FeatureCollection":
        for feature in value["features"]:
            yield from _geometries(feature)
    elif kind == "Feature":
        if value.get("geometry") is not None:
            yield from _geometries(value["geometry"])
    elif kind == "GeometryCollection":
        for geometry in value["geometries"]:
            yield from _geometries(geometry)
    elif kind in _SINGLE:
        for part in value["coordinates"]:
            yield {"type": _SINGLE[kind], "coordinates": part}
    elif kind in ("Point", "LineString", "Polygon"):
        yield value
    else:
        raise GeoError("Unknown Geometry Type")


def _ring_area(ring: list[Any]) -> float:
    # @turf/area 6.5's ringArea (Chamberlain & Duquette), index for index.
    size = len(ring)
    if size <= 2:
        return 0.0
    total = 0.0
    for i in range(size):
        lower, middle, upper = i, (i + 1) % size, (i + 2) % size
        total += (ring[upper][0] * math.pi / 180 - ring[lower][0] * math.pi / 180) * math.sin(
            ring[middle][1] * math.pi / 180
        )
    return total * _AREA_RADIUS * _AREA_RADIUS / 2


def _area(value: Any) -> float:
    total = 0.0
    for geometry in _geometries(auto_cast_json(value)):
        rings = geometry.get("coordinates") if geometry["type"] == "Polygon" else None
        if rings:
            total += abs(_ring_area(rings[0])) - sum(abs(_ring_area(r)) for r in rings[1:])
    return total


def _length(value: Any, units: Any = UNDEF) -> float:
    factor = _factor(units)
    total = 0.0
    for geometry in _geometries(auto_cast_json(value)):
        if geometry["type"] == "Point":
            continue
        lines = (
            geometry["coordinates"] if geometry["type"] == "Polygon" else [geometry["coordinates"]]
        )
        for line in lines:
            points = [_point(p) for p in line]
            total += sum(_haversine(a, b, factor) for a, b in pairwise(points))
    return total


def _circle(center: Any, radius: Any, units: Any = UNDEF) -> Any:
    center = auto_cast_json(center)
    lon, lat = (_radians(c) for c in _point(center))
    distance = js_number(radius) / _factor(units)
    ring: list[list[float]] = []
    for step in range(_CIRCLE_STEPS):
        bearing = _radians(step * -360 / _CIRCLE_STEPS)
        lat2 = math.asin(
            math.sin(lat) * math.cos(distance)
            + math.cos(lat) * math.sin(distance) * math.cos(bearing)
        )
        lon2 = lon + math.atan2(
            math.sin(bearing) * math.sin(distance) * math.cos(lat),
            math.cos(distance) - math.sin(lat) * math.sin(lat2),
        )
        ring.append([_degrees(lon2), _degrees(lat2)])
    ring.append(ring[0])
    properties = UNDEF
    if isinstance(center, dict) and center.get("type") == "Feature":
        properties = center.get("properties") or UNDEF
    return feature("Polygon", [ring], properties)


def _check_polygon(rings: Any) -> None:
    for ring in rings:
        if len(ring) < 4:
            raise GeoError("Each LinearRing of a Polygon must have 4 or more Positions.")
        if ring[-1] != ring[0]:
            raise GeoError("First and last Position are not equivalent.")


def _check_point(coordinates: Any) -> None:
    if len(coordinates) < 2:
        raise GeoError("coordinates must be at least 2 numbers long")
    if not (is_number(coordinates[0]) and is_number(coordinates[1])):
        raise GeoError("coordinates must contain numbers")


def _check_line(coordinates: Any) -> None:
    if len(coordinates) < 2:
        raise GeoError("coordinates must be an array of two or more positions")


#: geoConvert's types (HarperDB's GEO_CONVERSION_ENUM): Turf helper → geometry and its check.
_CONVERSIONS: dict[str, tuple[str, Callable[[Any], None] | None]] = {
    "point": ("Point", _check_point),
    "lineString": ("LineString", _check_line),
    "multiLineString": ("MultiLineString", None),
    "multiPoint": ("MultiPoint", None),
    "multiPolygon": ("MultiPolygon", None),
    "polygon": ("Polygon", _check_polygon),
}


def _convert(coordinates: Any = UNDEF, geo_type: Any = UNDEF, properties: Any = UNDEF) -> Any:
    if is_null(coordinates) or (isinstance(coordinates, str | list) and not coordinates):
        raise GeoError("coordinates is required")
    if is_null(geo_type):
        raise GeoError("geo_type is required")
    conversion = _CONVERSIONS.get(geo_type) if isinstance(geo_type, str) else None
    if conversion is None:
        raise GeoError(f"geo_type of {js_str(geo_type)} is invalid")
    kind, check = conversion
    coordinates = auto_cast_json(coordinates)
    if not isinstance(coordinates, list):
        raise GeoError("coordinates must be an Array")
    if check is not None:
        check(coordinates)
    return feature(kind, coordinates, properties)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _testable(first: Any, second: Any) -> bool:
    # HarperDB's guards before a Turf test: both given, no null among plain coordinates.
    values = (first, second)
    if any(is_null(v) for v in values):
        return False
    return not any(isinstance(v, dict) and None in _list(v.get("coordinates")) for v in values)


def _crosses(first: Any = UNDEF, second: Any = UNDEF) -> bool:
    # HarperDB's geoCrosses is Turf's !booleanDisjoint; any failure answers false.
    if not _testable(first, second):
        return False
    try:
        return intersects(
            list(_geometries(auto_cast_json(first))), list(_geometries(auto_cast_json(second)))
        )
    except (GeoError, TypeError, KeyError, IndexError, AttributeError):
        return False


def _geometry(value: Any) -> dict[str, Any]:
    # Turf's getGeom: a Feature's geometry, else the value itself.
    value = auto_cast_json(value)
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict):
        raise GeoError("geojson must be a Feature or Geometry")
    return value


def _contains(first: Any = UNDEF, second: Any = UNDEF) -> bool:
    # HarperDB's geoContains is Turf's booleanContains; a failure (or a pair of types Turf
    # refuses) answers false.
    if not _testable(first, second):
        return False
    try:
        return contains(_geometry(first), _geometry(second))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return False  # GeoError, NotSupportedError, and what Turf would throw on


def _equal(first: Any = UNDEF, second: Any = UNDEF) -> bool:
    # HarperDB's geoEqual is Turf's booleanEqual; any failure answers false.
    if not _testable(first, second):
        return False
    one, two = auto_cast_json(first), auto_cast_json(second)
    if not isinstance(one, dict) or not isinstance(two, dict):
        return False
    try:
        return boolean_equal(one, two)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return False


def _unsupported(*_: Any) -> Any:
    raise GeoError("this geo function is not available")


GEO_FUNCTIONS: dict[str, Any] = dict.fromkeys(GEO_NAMES, _unsupported) | {
    "geoArea": _measure(_area, 1),
    "geoLength": _measure(_length, 1),
    "geoCircle": _measure(_circle, 2),
    "geoDistance": _measure(_distance, 2),
    "geoNear": _near,
    "geoConvert": _convert,
    "geoCrosses": _crosses,
    "geoContains": _contains,
    "geoEqual": _equal,
    "geoDifference": geo_difference,
}
