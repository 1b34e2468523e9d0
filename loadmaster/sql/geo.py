"""HarperDB's geo functions that are plain spherical arithmetic (Turf.js's formulas)."""

import math
from typing import Any

import msgspec

from loadmaster.sql.jsvalues import UNDEF

__all__ = ["GEO_FUNCTIONS", "GEO_NAMES"]

_EARTH_METRES = 6371008.8
_FACTORS = {
    "meters": _EARTH_METRES, "metres": _EARTH_METRES,
    "kilometers": _EARTH_METRES / 1000, "kilometres": _EARTH_METRES / 1000,
    "miles": _EARTH_METRES / 1609.344, "nauticalmiles": _EARTH_METRES / 1852,
    "feet": _EARTH_METRES * 3.28084, "yards": _EARTH_METRES * 1.0936,
    "inches": _EARTH_METRES * 39.37, "centimeters": _EARTH_METRES * 100,
    "millimeters": _EARTH_METRES * 1000, "radians": 1.0, "degrees": 180 / math.pi,
}  # fmt: skip
#: Every geo function HarperDB registers (in this camelCase and in upper and lower case).
GEO_NAMES = frozenset(
    {"geoArea", "geoLength", "geoDifference", "geoDistance", "geoNear", "geoContains",
     "geoEqual", "geoCrosses", "geoConvert", "geoCircle"}
)  # fmt: skip


class GeoError(ValueError):
    """A geo argument that is not a point, or a unit Turf does not know."""


def _point(value: Any) -> tuple[float, float]:
    if isinstance(value, str):
        try:
            value = msgspec.json.decode(value)
        except msgspec.DecodeError as exc:
            raise GeoError(value) from exc
    if isinstance(value, dict):
        value = (value.get("geometry") or value).get("coordinates")
    if (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(v, int | float) for v in value[:2])
    ):
        return float(value[0]), float(value[1])
    raise GeoError(repr(value))


def _radians(degrees: float) -> float:
    # Turf's degreesToRadians, operation for operation, so results match to the last bit.
    return math.fmod(degrees, 360) * math.pi / 180


def _distance(a: Any, b: Any, units: Any = "kilometers") -> float:
    (lon1, lat1), (lon2, lat2) = _point(a), _point(b)
    factor = _FACTORS.get(str(units))
    if factor is None:
        raise GeoError(f"{units} units is invalid")
    d_lat, d_lon = _radians(lat2 - lat1), _radians(lon2 - lon1)
    h = math.sin(d_lat / 2) ** 2 + math.sin(d_lon / 2) ** 2 * math.cos(_radians(lat1)) * math.cos(
        _radians(lat2)
    )
    return 2 * math.atan2(math.sqrt(h), math.sqrt(1 - h)) * factor


def _near(a: Any, b: Any, distance: Any, units: Any = "kilometers") -> Any:
    if not isinstance(distance, int | float):
        return UNDEF
    return _distance(a, b, units) <= distance


def _unsupported(*_: Any) -> Any:
    raise GeoError("this geo function is not available")


GEO_FUNCTIONS: dict[str, Any] = dict.fromkeys(GEO_NAMES, _unsupported) | {
    "geoDistance": _distance,
    "geoNear": _near,
}
