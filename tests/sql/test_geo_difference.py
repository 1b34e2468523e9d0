"""``geoDifference``: Turf 6.5's ``difference`` (polygon-clipping 0.15), through SQL embedded and
over real HTTP, with the exact coordinates polygon-clipping writes."""

import math
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

from loadmaster.instance import Instance
from loadmaster.sql.geo_rings import Rounder
from tests.conftest import ADMIN_AUTH
from tests.sql.conftest import answer


def _polygon(*rings: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def _square(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def _feature(kind: str, coordinates: Any, properties: Any = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {} if properties is None else properties,
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def _text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def differences(instance: Instance, pairs: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    """Return ``geoDifference`` of each pair, given as JSON text, in one statement."""
    items = ", ".join(
        f"geoDifference('{_text(a)}', '{_text(b)}') AS {name}" for name, (a, b) in pairs.items()
    )
    [row] = answer(instance, f"SELECT {items}")
    return dict(row)


UNIT = _square(0, 0, 1, 1)
#: (0,0)-(2,2) less (1,1)-(3,3), as polygon-clipping writes it: counter-clockwise from (0,0).
L_SHAPE = _feature("Polygon", [[[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2], [0, 0]]])
FAR = _polygon(_square(5, 5, 6, 6))


def test_shapes_left_over(instance: Instance) -> None:
    found = differences(
        instance,
        {
            # The corner of an overlapping square bitten off: an L.
            "l_shape": (_polygon(_square(0, 0, 2, 2)), _polygon(_square(1, 1, 3, 3))),
            # An inner square becomes a hole: clockwise, also from its smallest vertex.
            "holed": (_polygon(_square(0, 0, 4, 4)), _polygon(_square(1, 1, 2, 2))),
            # A band across the middle cuts two pieces, ordered by their smallest vertex.
            "cut": (_polygon(_square(0, 0, 3, 1)), _polygon(_square(1, -1, 2, 2))),
            "nothing": (_polygon(UNIT), _polygon(_square(-1, -1, 2, 2))),
            # A hole touching the exterior at (4,2) is traced from there, and listed first.
            "touching": (
                _polygon(_square(0, 0, 4, 4)),
                {
                    "type": "MultiPolygon",
                    "coordinates": [[_square(1, 1, 2, 2)], [[[4, 2], [3, 1], [3, 3], [4, 2]]]],
                },
            ),
            # No overlap: the first polygon, written the way polygon-clipping writes it.
            "apart": (_polygon([[1, 1], [0, 1], [0, 0], [1, 0], [1, 1]]), FAR),
        },
    )
    assert found == {
        "l_shape": L_SHAPE,
        "holed": _feature(
            "Polygon",
            [
                [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]],
                [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]],
            ],
        ),
        "cut": _feature(
            "MultiPolygon",
            [
                [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
                [[[2, 0], [3, 0], [3, 1], [2, 1], [2, 0]]],
            ],
        ),
        "nothing": None,
        "touching": _feature(
            "Polygon",
            [
                [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]],
                [[4, 2], [3, 1], [3, 3], [4, 2]],
                [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]],
            ],
        ),
        "apart": _feature("Polygon", [UNIT]),
    }
    # JavaScript ignores arguments beyond the two.
    [row] = answer(
        instance, f"SELECT geoDifference('{_text(_polygon(UNIT))}', '{_text(FAR)}', 1) AS d"
    )
    assert row == {"d": _feature("Polygon", [UNIT])}
    # A vertex made where edges cross is computed (by GEOS); inputs' vertices are kept exactly.
    [row] = answer(
        instance,
        f"SELECT geoDifference('{_text(_polygon([[0, 0], [3, 0], [0, 3]]))}', "
        f"'{_text(_polygon(_square(0.5, -1, 4, 0.5)))}') AS d",
    )
    assert row["d"]["geometry"]["coordinates"] == [
        [[0, 0], [0.5, 0], [0.5, 0.5], [2.5, 0.5], [0, 3], [0, 0]]
    ]


def test_inputs_read_as_polygon_clipping_reads_them(instance: Instance) -> None:
    named = {"type": "Feature", "properties": {"name": "lot"}, "geometry": _polygon(UNIT)}
    unnamed = {"type": "Feature", "properties": None, "geometry": _polygon(UNIT)}
    found = differences(
        instance,
        {
            "named": (named, FAR),
            "unnamed": (unnamed, FAR),
            "bare": ({**_polygon(UNIT), "properties": {"kept": True}}, FAR),
            "by_feature": (_polygon(_square(0, 0, 2, 1)), {**named, "properties": {"x": 1}}),
            # Not closed and run clockwise: read as the same square.
            "unclosed_cw": (_polygon([[0, 0], [0, 1], [1, 1], [1, 0]]), FAR),
            # Collinear and repeated vertices are dropped; a third coordinate too.
            "collinear": (
                _polygon([[0, 0, 7], [1, 0, 7], [1, 0], [2, 0], [2, 2], [0, 2], [0, 1], [0, 0]]),
                FAR,
            ),
            # A MultiPolygon's polygons are unioned (these two overlap) before the clip.
            "multi": (
                {
                    "type": "MultiPolygon",
                    "coordinates": [
                        [_square(0, 0, 2, 2)],
                        [_square(1, 1, 3, 3)],
                        [FAR["coordinates"][0]],
                    ],
                },
                FAR,
            ),
            # A bow tie fills both loops (non-zero winding): two triangles meeting at (1,1).
            "bow_tie": (_polygon([[0, 0], [2, 2], [2, 0], [0, 2]]), FAR),
            # One ring round a square and then round an inner one: wound the same way the inner
            # square winds twice and is filled, wound back it winds to zero and is a hole.
            "wound_twice": (_polygon([*_square(0, 0, 4, 4), *_square(1, 1, 3, 3)]), FAR),
            "wound_back": (_polygon([*_square(0, 0, 4, 4), *_square(1, 1, 3, 3)[::-1]]), FAR),
            # A hole that sticks out of its exterior takes away only what it covers.
            "hole_out": (_polygon(_square(0, 0, 2, 2), _square(1, 1, 3, 3)), FAR),
            # polygon-clipping snaps a coordinate a float's width from one it has seen onto it:
            # the clip's edge is then the subject's, and nothing is bitten off.
            "snapped": (
                _polygon([[0, 0], [2, 0], [2, 0.3], [0, 0.3]]),
                _polygon([[0, 0.29999999999999993], [2, 0.3], [2, 1], [0, 1]]),
            ),
            # The type is never read, only the shape of the coordinates.
            "untyped": ({"coordinates": [UNIT]}, {"type": "LineString", "coordinates": [UNIT]}),
        },
    )
    square = _feature("Polygon", [UNIT])
    assert found == {
        "named": _feature("Polygon", [UNIT], {"name": "lot"}),
        "unnamed": square,
        "bare": _feature("Polygon", [UNIT], {"kept": True}),
        "by_feature": _feature("Polygon", [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]]),
        "unclosed_cw": square,
        "collinear": _feature("Polygon", [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]),
        "multi": _feature(
            "Polygon", [[[0, 0], [2, 0], [2, 1], [3, 1], [3, 3], [1, 3], [1, 2], [0, 2], [0, 0]]]
        ),
        "bow_tie": _feature(
            "MultiPolygon",
            [[[[0, 0], [1, 1], [0, 2], [0, 0]]], [[[1, 1], [2, 0], [2, 2], [1, 1]]]],
        ),
        "wound_twice": _feature("Polygon", [_square(0, 0, 4, 4)]),
        "wound_back": _feature(
            "Polygon", [_square(0, 0, 4, 4), [[1, 1], [1, 3], [3, 3], [3, 1], [1, 1]]]
        ),
        "hole_out": L_SHAPE,
        "snapped": _feature("Polygon", [[[0, 0], [2, 0], [2, 0.3], [0, 0.3], [0, 0]]]),
        "untyped": None,
    }


def test_what_turf_cannot_clip_is_nan(instance: Instance) -> None:
    square = _text(_polygon(UNIT))
    for first, second in (
        ("NULL", f"'{square}'"),
        (f"'{square}'", "NULL"),
        ("''", f"'{square}'"),
        (f"'{square}'", "''"),
        (f"'{square}'", ""),
        ('\'{"type":"Point","coordinates":[0,0]}\'', f"'{square}'"),
        (f"'{square}'", '\'{"type":"LineString","coordinates":[[0,0],[1,1]]}\''),
        ("'garbage'", f"'{square}'"),
        (f"' {square}'", f"'{square}'"),  # HarperDB casts only text from { to } (or [ to ])
        ("'null'", f"'{square}'"),
        ('\'{"type":"Feature","properties":{},"geometry":null}\'', f"'{square}'"),
        ('\'{"type":"Polygon","coordinates":[[[0,0],[1,"a"],[1,1]]]}\'', f"'{square}'"),
        ('\'{"type":"Polygon","coordinates":[[]]}\'', f"'{square}'"),
        ("'[[[0,0],[1,0],[1,1]]]'", f"'{square}'"),  # bare coordinates are not a geometry
    ):
        arguments = f"{first}, {second}" if second else first
        [row] = answer(instance, f"SELECT geoDifference({arguments}) AS d")
        assert math.isnan(row["d"]), (first, second, row)


def test_points_are_rounded_as_polygon_clipping_rounds_them() -> None:
    # Each x (and y) within a float's width of one already kept snaps onto it, the one below
    # first; 0 is kept from the start; the rounder remembers between calls (input, then result).
    def up(value: float, times: int = 1) -> float:
        for _ in range(times):
            value = math.nextafter(value, math.inf)
        return value

    xs = [1.0, up(1.0), math.nextafter(1.0, 0), 1e-17, -1e-17, up(1.0, 2), up(1.0), 3.0]
    rounder = Rounder()
    [[first]] = rounder.rounded([[[(x, float(y)) for y, x in enumerate(xs)]]])
    assert [x for x, _ in first] == [1.0, 1.0, 1.0, 0.0, 0.0, up(1.0, 2), 1.0, 3.0]
    [[later]] = rounder.rounded([[[(up(1.0, 3), 0.0), (up(3.0), 1.0), (-0.0, 2.0)]]])
    assert later == [(up(1.0, 2), 0.0), (3.0, 1.0), (-0.0, 2.0)]


def test_coordinates_that_overflow_answer(instance: Instance) -> None:
    # Near the float limit GEOS's arithmetic overflows: the statement still answers, no warning.
    huge = _polygon([[0, 0], [1e308, 0], [1e308, 1e308], [0, 1e308]])
    crossing = _polygon([[-1e308, 5], [1e308, 1], [5, 1e308]])
    rows = answer(instance, f"SELECT geoDifference('{_text(huge)}', '{_text(crossing)}') AS d")
    assert isinstance(rows, list)
    assert len(rows) == 1


@pytest.fixture
def http(instance: Instance) -> Iterator[httpx.Client]:
    server = instance.serve("127.0.0.1", 0)
    with httpx.Client(base_url=server.url, headers={"authorization": ADMIN_AUTH}) as client:
        yield client


@pytest.mark.e2e
def test_difference_of_columns_over_http(http: httpx.Client) -> None:
    def post(body: dict[str, Any]) -> Any:
        response = http.post("/", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    post({"operation": "create_table", "database": "geo", "table": "lots", "primary_key": "id"})
    big, corner = _polygon(_square(0, 0, 2, 2)), _polygon(_square(1, 1, 3, 3))
    records = [
        {"id": 1, "a": big, "b": corner},
        {"id": 2, "a": _text(big), "b": big},  # a string holding JSON is cast
        {"id": 3, "a": big},  # b missing: NaN, null on the wire
    ]
    post({"operation": "insert", "database": "geo", "table": "lots", "records": records})
    rows = post({"operation": "sql", "sql": "SELECT id, geoDifference(a, b) AS d FROM geo.lots"})
    assert rows == [{"id": 1, "d": L_SHAPE}, {"id": 2, "d": None}, {"id": 3, "d": None}]
