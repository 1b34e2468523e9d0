"""SELECT through the embedded API: keys, row order, WHERE semantics, ORDER BY, paging,
aggregates, joins and functions, replaying the sql spec's examples (§3-§9)."""

import math
from typing import Any

import msgspec

from loadmaster.instance import Instance
from tests.sql.conftest import answer, ids, where

SEARCH_PROBLEM = (
    500,
    {"error": "There was a problem performing this search. Please check the logs and try again."},
)


def test_star_expands_in_describe_order_with_nulls(dogs: Instance) -> None:
    [row] = answer(dogs, "SELECT * FROM sqlp.dog WHERE id = 2")
    assert list(row)[:3] == ["id", "__createdtime__", "__updatedtime__"]
    assert row["notes"] is None
    assert row["adorable"] is None
    [row] = answer(dogs, "SELECT age, * FROM sqlp.dog WHERE id = 2")
    assert list(row)[:5] == ["age", "id", "__createdtime__", "__updatedtime__", "dog_name"]
    assert list(row).count("age") == 1
    [row] = answer(dogs, "SELECT *, dog_name AS dname FROM sqlp.dog WHERE id = 2")
    assert list(row)[:2] == ["dname", "id"]


def test_result_keys(dogs: Instance) -> None:
    cases: dict[str, Any] = {
        "SELECT d.id, d.dog_name nm, id AS dog_id FROM sqlp.dog d WHERE id = 1": [
            {"id": 1, "nm": "Harper", "dog_id": 1}
        ],
        "SELECT COUNT(*), count(id), Sum(id), AVG(age), MAX(id), MIN(dog_name) FROM sqlp.dog": [
            {
                "COUNT(*)": 7,
                "COUNT(id)": 7,
                "SUM(id)": 225,
                "AVG(age)": 4.428571428571429,
                "MAX(id)": 200,
                "MIN(dog_name)": None,
            }
        ],
        "SELECT COUNT(owner_id) FROM sqlp.dog": [{"COUNT(owner_id)": 6}],
        "SELECT AVG(d.age) FROM sqlp.dog d": [{"AVG(d.age)": 4.428571428571429}],
        "SELECT id, age * 2 FROM sqlp.dog WHERE id = 1": [{"id": 1, "undefined": 10}],
        'SELECT "dog_name" FROM sqlp.dog WHERE id = 3': [{"undefined": "dog_name"}],
        "SELECT UPPER(dog_name), upper(dog_name) AS u FROM sqlp.dog WHERE id = 1": [
            {"UPPER(dog_name)": "HARPER", "u": "HARPER"}
        ],
        "SELECT Round(weight_lbs) FROM sqlp.dog WHERE id = 1": [{"ROUND(weight_lbs)": 55}],
        "SELECT Date_Add(1585699200000, 1, 'days') FROM sqlp.dog WHERE id = 1": [
            {'DATE_ADD(1585699200000,1,"days")': 1585785600000}
        ],
        "SELECT NOSUCHFN(id) FROM sqlp.dog WHERE id = 1": [{"(id)": 1}],
        "SELECT 2 + 2": [{"2 + 2": 4}],
        "SELECT 1, 1 + 1, 10 / 4, 7 % 3, -5, 'hello'": [
            {"1": 1, "1 + 1": 2, "10 / 4": 2.5, "7 % 3": 1, "-5": -5, "'hello'": "hello"}
        ],
        "SELECT NULL AS n, true AS t, false AS f": [{"t": True, "f": False}],
        "SELECT 1 + 1 AS two": [{"two": 2}],
        "SELECT id, info->lang AS lang FROM sqlp.dog WHERE info->lang = 'en'": [
            {"id": 1, "lang": "en"}
        ],
    }
    assert {sql: answer(dogs, sql) for sql in cases} == cases


def test_row_order_without_order_by(dogs: Instance) -> None:
    assert ids(answer(dogs, "SELECT id FROM sqlp.dog")) == [1, 2, 3, 4, 5, 10, 200]
    assert ids(answer(dogs, "SELECT * FROM sqlp.strs"), "code") == [
        "9",
        "10",
        "011",
        "C",
        "a",
        "aa",
        "b",
    ]
    assert ids(answer(dogs, "SELECT * FROM sqlp.nums")) == [0, 2, 3, 10, -1, 1.5, 4294967296]
    assert ids(answer(dogs, "SELECT code FROM sqlp.strs WHERE code = '10'"), "code") == ["10"]
    listed = answer(dogs, "SELECT code FROM sqlp.strs WHERE code IN ('b', 'a', '10', 'aa')")
    assert ids(listed, "code") == ["b", "a", "aa"]  # '10' became the number 10 (§3.2)


def test_where_semantics(dogs: Instance) -> None:
    cases = {
        "age = 5": [1, 5],
        "5 = age": [1, 5],
        "owner_id = NULL": [],
        "age != 5": [2, 3, 4, 10, 200],
        "age <> 5": [2, 3, 4, 10, 200],
        "owner_id != 1": [1, 5, 10, 200],
        "weight_lbs < 35": [3, 4, 200],
        "age BETWEEN 3 AND 5": [1, 2, 3, 5],
        "age NOT BETWEEN 3 AND 5": [4, 10, 200],
        "id NOT IN (1,2,3)": [4, 5, 10, 200],
        "dog_name LIKE 'ha%'": [1],
        "dog_name LIKE 'S_m'": [3],
        "birth LIKE '%'": [3, 5, 10],
        "dog_name REGEXP '^[A-H]'": [1, 4],
        "notes IS NULL": [2, 3, 4, 5, 10, 200],
        "notes IS NOT NULL": [1],
        "UPPER(dog_name) = 'SAM'": [3],
        "age * 2 > 10": [10, 200],
        "age = breed_id": [],
        "dog_name = 'kato'": [],
        "adorable = true": [1, 3, 4, 5, 200],
        "birth > '2019-06-01'": [5],
        "(age = 5 OR age = 7) AND NOT (id = 1)": [5, 200],
    }
    found = {w: where(dogs, w) for w in cases}
    assert found == cases


def test_two_phase_where_quirks(dogs: Instance) -> None:
    cases = {
        "id = '3'": [],
        "id IN ('1','2','3')": [1, 2, 3],
        "age = '5'": [],
        "age > '4'": [],
        "age > '4' OR id = -99": [1, 5, 10, 200],
        "age BETWEEN '3' AND '5'": [1, 2, 3, 5],
        "NOT (age = 5)": [],
        "NOT (age = 5) OR id = -1": [2, 3, 4, 10, 200],
        "adorable = 'false'": [10],
    }
    found = {w: where(dogs, w) for w in cases}
    assert found == cases
    strs = answer(dogs, "SELECT code FROM sqlp.strs WHERE code IN ('9','10')")
    assert strs == []
    assert ids(answer(dogs, "SELECT code FROM sqlp.strs WHERE code > 5"), "code") == [
        "9",
        "10",
        "011",
    ]


def test_order_limit_offset_top_distinct(dogs: Instance) -> None:
    cases = {
        "SELECT id FROM sqlp.dog ORDER BY age DESC, id": [200, 10, 1, 5, 3, 2, 4],
        "SELECT id FROM sqlp.dog ORDER BY adorable DESC, id": [1, 3, 4, 5, 200, 2, 10],
        "SELECT id, age FROM sqlp.dog ORDER BY 2, 1": [4, 2, 3, 1, 5, 10, 200],
        "SELECT age AS a, id FROM sqlp.dog ORDER BY a DESC, id LIMIT 2": [200, 10],
        "SELECT id FROM sqlp.dog LIMIT 2 OFFSET 3": [4, 5],
        "SELECT TOP 2 id FROM sqlp.dog": [1, 2],
        "SELECT id FROM sqlp.dog WHERE id > 3 LIMIT 0": [4, 5, 10, 200],
        "SELECT id FROM sqlp.dog LIMIT 5 OFFSET 100": [],
        "SELECT code AS id FROM sqlp.strs ORDER BY code": ["011", "10", "9", "C", "a", "aa", "b"],
    }
    assert {sql: ids(answer(dogs, sql)) for sql in cases} == cases
    distinct = answer(dogs, "SELECT DISTINCT dog_name FROM sqlp.dog")
    assert [r["dog_name"] for r in distinct] == ["Harper", "Penny", "Sam", "Billy", "Kato", "Rosco"]
    assert answer(dogs, "SELECT id FROM sqlp.dog ORDER BY nosuch") == (
        500,
        {"error": "unknown column nosuch"},
    )


def test_aggregates_and_group_by(dogs: Instance) -> None:
    assert answer(dogs, "SELECT COUNT(*) FROM sqlp.empty") == [{"COUNT(*)": 0}]
    assert answer(dogs, "SELECT COUNT(*) AS c, SUM(id) AS s FROM sqlp.empty") == [{"c": 0, "s": 0}]
    assert answer(dogs, "SELECT breed_id, COUNT(*) AS c FROM sqlp.dog GROUP BY breed_id") == [
        {"breed_id": 1, "c": 2},
        {"breed_id": 9, "c": 2},
        {"breed_id": 3, "c": 2},
        {"breed_id": 2, "c": 1},
    ]
    having = "SELECT age, COUNT(*) AS c FROM sqlp.dog GROUP BY age HAVING COUNT(*) > 1"
    assert answer(dogs, having) == [{"age": 5, "c": 2}]
    rounded = (
        "SELECT ROUND(weight_lbs / 10) AS tens, COUNT(*) AS c FROM sqlp.dog "
        "GROUP BY ROUND(weight_lbs / 10) ORDER BY tens"
    )
    assert [r["tens"] for r in answer(dogs, rounded)] == [3, 4, 5, 6]
    assert answer(dogs, "SELECT MODE(age) AS m, COUNT(DISTINCT age) AS d FROM sqlp.dog") == [
        {"m": [5], "d": 6}
    ]
    # mathjs's mad: ages 1,3,4,5,5,6,7 -> deviations from 5 -> median 1; only HarperDB's spellings.
    assert answer(dogs, "SELECT MAD(age) AS m, mad(id) AS i FROM sqlp.dog WHERE id < 4") == [
        {"m": 1, "i": 1}
    ]
    assert answer(dogs, "SELECT MAD(age) FROM sqlp.dog") == [{"MAD(age)": 1}]
    assert answer(dogs, "SELECT MAD(notes) AS m FROM sqlp.dog") == [{"m": None}]
    # alasql's AGGR: an expression over the group's results (alasql's g), where a name reads a
    # grouped column or a select-list aggregate by its key; HarperDB still checks every name
    # against the table's attributes, so such a key must also be an attribute name.
    per_dog = (
        "SELECT breed_id, COUNT(*) AS id, SUM(weight_lbs) AS weight_lbs, "
        "AGGR(weight_lbs / id) AS per_dog FROM sqlp.dog GROUP BY breed_id"
    )
    assert answer(dogs, per_dog) == [
        {"breed_id": 1, "id": 2, "weight_lbs": 95, "per_dog": 47.5},
        {"breed_id": 9, "id": 2, "weight_lbs": 90, "per_dog": 45},
        {"breed_id": 3, "id": 2, "weight_lbs": 75, "per_dog": 37.5},
        {"breed_id": 2, "id": 1, "weight_lbs": 33, "per_dog": 33},
    ]
    tens = "SELECT breed_id, AGGR(breed_id * 10) AS x FROM sqlp.dog GROUP BY breed_id"
    assert [r["x"] for r in answer(dogs, tens)] == [10, 90, 30, 20]
    # Aggregates inside AGGR are computed over the group; its key is named as alasql names it.
    assert answer(dogs, "SELECT AGGR(SUM(age) / COUNT(*)) AS a FROM sqlp.dog") == [{"a": 31 / 7}]
    assert answer(dogs, "SELECT COUNT(*) AS id, AGGR(id + 1) FROM sqlp.dog") == [
        {"id": 7, "AGGR(id + 1)": 8}
    ]
    # A name that is only an alias is an unknown column; one in neither place is undefined.
    assert answer(dogs, "SELECT COUNT(*) AS c, AGGR(c) AS x FROM sqlp.dog") == (
        500,
        {"error": "unknown column c"},
    )
    assert answer(dogs, "SELECT COUNT(*) AS n, AGGR(age) AS x FROM sqlp.dog") == [{"n": 7}]
    assert answer(dogs, "SELECT id FROM sqlp.dog WHERE AGGR(id) > 1") == SEARCH_PROBLEM
    assert answer(dogs, "SELECT VARP(age) AS v, STDEV(id) AS s FROM sqlp.dog WHERE id < 4") == [
        {"v": 2 / 3, "s": 1}
    ]
    errors = {
        "SELECT COUNT(*) FROM sqlp.dog GROUP BY age": "group by column 'age' must be in select",
        "SELECT dog_name, COUNT(*) FROM sqlp.dog GROUP BY age": (
            "select column 'dog_name' must be in group by"
        ),
        "SELECT nosuch, COUNT(*) FROM sqlp.dog GROUP BY nosuch": (
            "unknown column 'nosuch' in group by"
        ),
        "SELECT age AS a, COUNT(*) FROM sqlp.dog GROUP BY a": "unknown column 'a' in group by",
    }
    assert {sql: answer(dogs, sql) for sql in errors} == {
        sql: (500, {"error": text}) for sql, text in errors.items()
    }


def test_joins_across_databases(dogs: Instance) -> None:
    joined = answer(
        dogs,
        "SELECT d.id, b.name, o.name FROM sqlp.dog d INNER JOIN sqlp.breed b "
        "ON d.breed_id = b.id LEFT JOIN sqlq.owner o ON d.owner_id = o.id WHERE d.age < 5",
    )
    assert joined == [
        {"id": 2, "name": "MUTT", "name1": None},
        {"id": 3, "name": "MUTT", "name1": "Kyle"},
        {"id": 4, "name": "BEAGLE", "name1": "Kyle"},
    ]
    pairs = answer(dogs, "SELECT d.id, b.id FROM sqlp.dog d JOIN sqlp.breed b ON d.breed_id = b.id")
    assert pairs[0] == {"id": 1, "id1": 1}
    left = answer(
        dogs, "SELECT * FROM sqlp.breed b LEFT JOIN sqlp.dog d ON d.breed_id = b.id WHERE b.id = 7"
    )
    assert left[0]["name"] == "POODLE"
    assert left[0]["id1"] is None
    assert left[0]["notes"] is None
    grouped = answer(
        dogs,
        "SELECT b.name, COUNT(*) AS c FROM sqlp.dog d JOIN sqlp.breed b ON d.breed_id = b.id "
        "GROUP BY b.name ORDER BY b.name LIMIT 2 OFFSET 1",
    )
    assert grouped == [{"name": "LABRADOR", "c": 2}, {"name": "MUTT", "c": 2}]
    full = answer(
        dogs, "SELECT b.id FROM sqlp.dog d FULL OUTER JOIN sqlp.breed b ON d.breed_id = b.id"
    )
    assert full[-1] == {"id": 7}


def test_names_and_errors(dogs: Instance) -> None:
    reserved = (
        "SELECT age AS `alter`, * FROM `call`.`aggr` AS `and` WHERE `all` > 3 "
        "ORDER BY `and`.`all` DESC"
    )
    assert [(r["alter"], r["all"]) for r in answer(dogs, reserved)] == [(60, 6), (50, 5), (40, 4)]
    cases = {
        "SELECT * FROM dog": (500, {"error": "schema not defined for table dog"}),
        "SELECT * FROM sqlp.nosuch": (404, {"error": "Table 'sqlp.nosuch' does not exist"}),
        "SELECT * FROM nosuch.dog": (404, {"error": "database 'nosuch' does not exist"}),
        "SELECT d.id FROM sqlp.dog d JOIN sqlp.nosuch n ON d.id = n.id": (
            404,
            {"error": "Table 'sqlp.nosuch' does not exist"},
        ),
        "SELECT nosuch FROM sqlp.dog": (500, {"error": "unknown column nosuch"}),
        "SELECT d.nosuch FROM sqlp.dog d": (500, {"error": "unknown column d.nosuch"}),
        "SELECT info.lang FROM sqlp.dog info": (500, {"error": "unknown column info.lang"}),
        "SELECT id FROM sqlp.dog d JOIN sqlp.breed b ON d.breed_id = b.id": (
            500,
            {"error": "ambiguous column reference id"},
        ),
        "SELECT id FROM sqlp.dog WHERE breed_id IN (SELECT id FROM sqlp.breed)": SEARCH_PROBLEM,
        "SELECT id FROM sqlp.dog WHERE breed_id IN (SELECT id FROM sqlp.breed WHERE size = 'M')": (
            500,
            {"error": "unknown column size"},
        ),
        "SELECT id AS x, age AS x FROM sqlp.dog ORDER BY x": (
            500,
            {"error": "ambiguous column reference x in order by"},
        ),
        "SELECT * FROM sqlp.dog, sqlp.breed": SEARCH_PROBLEM,
        "SELECT SEARCH_JSON('', info) FROM sqlp.dog": SEARCH_PROBLEM,
    }
    assert {sql: answer(dogs, sql) for sql in cases} == cases


def test_functions(dogs: Instance) -> None:
    [row] = answer(
        dogs,
        "SELECT ROUND(2.567, 1) AS r, CEIL(2.1) AS c, SUBSTRING('abcdef', 2, 3) AS s, "
        "CONCAT('a','b',1) AS k, CAST('12' AS INT) AS i, CAST(3.7 AS STRING) AS t, "
        "COALESCE(NULL, 'x') AS co, 'a' || NULL || 'b' AS cat",
    )
    assert row == {
        "r": 2.6,
        "c": 3,
        "s": "bcd",
        "k": "ab1",
        "i": 12,
        "t": "3.7",
        "co": "x",
        "cat": "ab",
    }
    # alasql's CONVERT takes the type first (T-SQL's order); MySQL's order is a parse error.
    assert answer(dogs, "SELECT CONVERT(INT, '12') AS i, CONVERT(STRING, 2 + 1.5) AS t") == [
        {"i": 12, "t": "3.5"}
    ]
    assert answer(dogs, "SELECT CONVERT('12', INT) AS i")[0] == 400
    [dates] = answer(
        dogs,
        "SELECT DATE(1585699200000) AS d, DATE('2020-04-01T10:00:00-02:00') AS d2, "
        "DATE_ADD(1585699200000, 1, 'days') AS a, DATE_SUB('2020-4-1', 3, 'years') AS s, "
        "DATE_DIFF('2020-04-11','2020-04-01','days') AS dd, EXTRACT(1585699200000, 'year') AS y, "
        "EXTRACT(1585699200000, 'month') AS mo, OFFSET_UTC(1585699200000, -6) AS o, "
        "OFFSET_UTC(1585699200000, 90) AS o2, DATE_FORMAT(1585699200000, 'dddd') AS w, "
        "DATE_FORMAT(1585699200000, 'x') AS x, DATE_FORMAT(1585699200000, 'YYYY-MM-DD HH:mm') AS f",
    )
    assert dates == {
        "d": "2020-04-01T00:00:00.000+0000",
        "d2": "2020-04-01T12:00:00.000+0000",
        "a": 1585785600000,
        "s": 1491004800000,
        "dd": 10,
        "y": "2020",
        "mo": "04",
        "o": "2020-03-31T18:00:00.000-0600",
        "o2": "2020-04-01T01:30:00.000+0130",
        "w": "Wednesday",
        "x": "1585699200000",
        "f": "2020-04-01 00:00",
    }
    [now] = answer(dogs, "SELECT NOW() AS n, CURRENT_DATE() AS d, GETDATE() AS g")
    assert isinstance(now["n"], int)
    assert len(str(now["n"])) == 13
    assert len(now["d"]) == 10


def test_search_json(dogs: Instance) -> None:
    rows = answer(dogs, "SELECT id, SEARCH_JSON('name', keywords) AS k FROM sqlp.dog")
    by_id = {r["id"]: r.get("k") for r in rows}
    assert by_id[1] == ["superhero", "super power", "cape"]
    assert by_id[2] == "garden"
    assert "k" not in rows[2]
    found = answer(
        dogs,
        "SELECT id FROM sqlp.dog WHERE SEARCH_JSON('$[$substring(name, 0, 5) = \"super\"].name', "
        "keywords) IS NOT NULL",
    )
    assert ids(found) == [1]
    assert answer(
        dogs, "SELECT SEARCH_JSON('meta.isbn', info) AS i FROM sqlp.dog WHERE id = 1"
    ) == [{"i": "x1"}]


def test_geo_and_date_parts(dogs: Instance) -> None:
    [row] = answer(
        dogs,
        "SELECT geoDistance('[-104.979127,39.761563]','[-77.035248,38.889475]','miles') AS d, "
        "geoNear('[0,0]', '[0,1]', 200) AS near, YEAR(1585699200000) AS y, "
        "MONTH('2020-04-01') AS m",
    )
    assert row == {"d": 1488.6913067538915, "near": True, "y": 2020, "m": 4}
    # HarperDB turns a value Turf refuses into NaN (JSON null over HTTP) or false, never an error.
    [row] = answer(dogs, "SELECT geoArea('x') AS a, geoDistance('x', '[0,0]') AS d")
    assert math.isnan(row["a"])
    assert math.isnan(row["d"])
    assert answer(
        dogs, "SELECT geoNear('x', '[0,0]', 5) AS n, geoNear('[0,0]', '[0,1]', 111) AS f"
    )[0] == {"n": False, "f": False}
    assert answer(dogs, "SELECT geoNear('[0,0]', '[0,1]') AS n") == SEARCH_PROBLEM
    # Text is read as JSON only from [ to ] or { to } (HarperDB's autoCastJSON): a space
    # around it leaves a string Turf cannot read.
    [row] = answer(dogs, "SELECT geoDistance(' [0,0]', '[0,1]') AS d, geoArea('1') AS a")
    assert math.isnan(row["d"])
    assert math.isnan(row["a"])


SQUARE = '{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}'
HOLED = (
    '{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":'
    "[[[0,0],[2,0],[2,2],[0,2],[0,0]],[[0.5,0.5],[1,0.5],[1,1],[0.5,1],[0.5,0.5]]]}}"
)
LINE = '{"type":"LineString","coordinates":[[0,0],[0,1],[1,1]]}'


def test_geo_area_length_circle_convert(dogs: Instance) -> None:
    # Turf 6.5's area: a spherical excess on a 6378137 m sphere, holes subtracted.
    [row] = answer(
        dogs,
        f"SELECT geoArea('{SQUARE}') AS sq, geoArea('{HOLED}') AS holed, "
        'geoArea(\'{"type":"Point","coordinates":[0,0]}\') AS point',
    )
    # One degree by one degree at the equator: R^2 * d_lon * (sin(lat2) - sin(lat1)).
    one = 6378137**2 * math.pi / 180 * math.sin(math.pi / 180)
    assert math.isclose(row["sq"], one, rel_tol=1e-12)
    outer = '{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]]]}'
    hole = '{"type":"Polygon","coordinates":[[[0.5,0.5],[1,0.5],[1,1],[0.5,1],[0.5,0.5]]]}'
    [parts] = answer(dogs, f"SELECT geoArea('{outer}') AS o, geoArea('{hole}') AS h")
    assert math.isclose(row["holed"], parts["o"] - parts["h"], rel_tol=1e-12)
    assert row["point"] == 0
    # Turf throws on a collection without its list (HarperDB: NaN); a null geometry adds 0.
    [row] = answer(
        dogs,
        'SELECT geoArea(\'{"type":"FeatureCollection"}\') AS fc, '
        'geoArea(\'{"type":"Feature","geometry":null}\') AS f',
    )
    assert math.isnan(row["fc"])
    assert row["f"] == 0
    # Length: haversine per segment on Turf's 6371008.8 m earth, kilometers by default.
    [row] = answer(dogs, f"SELECT geoLength('{LINE}') AS km, geoLength('{LINE}', 'miles') AS mi")
    degree_km = 6371.0088 * math.pi / 180
    along = 2 * math.asin(math.sin(math.pi / 360) * math.cos(math.pi / 180)) * 6371.0088
    assert math.isclose(row["km"], degree_km + along, rel_tol=1e-12)
    assert math.isclose(row["mi"], row["km"] * 1000 / 1609.344, rel_tol=1e-12)
    [row] = answer(dogs, "SELECT geoCircle('[0,0]', 10) AS c")
    assert list(row["c"]) == ["type", "properties", "geometry"]
    ring = row["c"]["geometry"]["coordinates"][0]
    assert len(ring) == 65
    assert ring[0] == ring[-1]
    assert ring[0][0] == 0
    assert math.isclose(ring[0][1], 10 / degree_km, rel_tol=1e-9)
    # Every point of the circle is 10 km from the centre.
    [far] = answer(dogs, f"SELECT geoDistance('[0,0]', '{ring[17]}') AS d")
    assert math.isclose(far["d"], 10, rel_tol=1e-9)
    assert answer(
        dogs,
        "SELECT geoConvert('[-104.979127,39.761563]','point','{\"name\":\"HQ\"}') AS p, "
        "geoConvert('[[0,0],[1,1]]','lineString') AS l",
    ) == [
        {
            "p": {
                "type": "Feature",
                "properties": '{"name":"HQ"}',
                "geometry": {"type": "Point", "coordinates": [-104.979127, 39.761563]},
            },
            "l": {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            },
        }
    ]
    for bad in (
        "'[1]','point'",
        "'[[0,0],[1,1],[0,1]]','polygon'",
        "'[0,0]','circle'",
        "'', 'point'",
    ):
        assert answer(dogs, f"SELECT geoConvert({bad}) AS c") == SEARCH_PROBLEM
    # A polygon less itself leaves nothing: null (more in tests/sql/test_geo_difference.py).
    assert answer(dogs, f"SELECT geoDifference('{SQUARE}', '{SQUARE}') AS x") == [{"x": None}]


def _geo(kind: str, coordinates: Any) -> str:
    return msgspec.json.encode({"type": kind, "coordinates": coordinates}).decode()


RING = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
HOLE = [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]


def test_geo_crosses_is_not_disjoint(dogs: Instance) -> None:
    # HarperDB's geoCrosses is Turf's !booleanDisjoint: any point in common, boundaries count.
    holed = _geo("Polygon", [RING, HOLE])
    cases = [
        (_geo("Point", [0.5, 0.5]), holed, True),
        (_geo("Point", [2, 2]), holed, False),  # inside the hole
        (_geo("Point", [1, 2]), holed, True),  # on the hole's edge: still the polygon's
        (_geo("Point", [4, 2]), holed, True),  # on the outer boundary
        (_geo("Point", [5, 5]), holed, False),
        (_geo("LineString", [[-1, 2], [0.5, 2]]), holed, True),  # ends inside
        (_geo("LineString", [[-1, -1], [5, -1]]), holed, False),
        (_geo("LineString", [[-1, 2], [5, 2]]), holed, True),  # crosses through, no vertex in
        (_geo("LineString", [[0, 0], [2, 2]]), _geo("LineString", [[0, 2], [2, 0]]), True),
        (_geo("LineString", [[0, 0], [1, 0]]), _geo("LineString", [[0, 1], [1, 1]]), False),
        (_geo("Point", [1, 1]), _geo("LineString", [[0, 0], [2, 2]]), True),
        (_geo("Point", [1, 1]), _geo("Point", [1, 1]), True),
        (_geo("Polygon", [[[3, 3], [6, 3], [6, 6], [3, 6], [3, 3]]]), holed, True),
        (_geo("Polygon", [[[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]]]), holed, False),
        (_geo("MultiPoint", [[9, 9], [0.5, 0.5]]), holed, True),
        ('{"type":"Feature","geometry":' + _geo("Point", [0.5, 0.5]) + "}", holed, True),
        ("[0.5, 0.5]", holed, False),  # a bare position is not GeoJSON for Turf
        ("not json", holed, False),
    ]
    for first, second, expected in cases:
        [row] = answer(dogs, f"SELECT geoCrosses('{first}', '{second}') AS c")
        assert row == {"c": expected}, (first, second)
    [row] = answer(dogs, f"SELECT geoCrosses(NULL, '{holed}') AS c")
    assert row == {"c": False}


def test_geo_contains_as_turf(dogs: Instance) -> None:
    # HarperDB's geoContains is Turf 6.5's booleanContains (Turf's quirks included).
    holed = _geo("Polygon", [RING, HOLE])
    line = _geo("LineString", [[0, 0], [4, 4]])
    cases = [
        (holed, _geo("Point", [0.5, 0.5]), True),
        (holed, _geo("Point", [2, 2]), False),  # in the hole
        (holed, _geo("Point", [0, 2]), False),  # on the boundary: not contained
        (holed, _geo("Point", [1, 2]), False),  # on the hole's edge
        (holed, _geo("Point", [9, 9]), False),
        (holed, _geo("LineString", [[0.5, 0.5], [0.5, 3.5]]), True),
        (holed, _geo("LineString", [[-1, 0.5], [5, 0.5]]), False),  # leaves the bounding box
        (
            holed,
            _geo("Polygon", [[[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8], [0.2, 0.2]]]),
            True,
        ),
        (holed, _geo("Polygon", [[[3, 3], [6, 3], [6, 6], [3, 6], [3, 3]]]), False),
        (line, _geo("Point", [2, 2]), True),
        (line, _geo("Point", [0, 0]), False),  # an end vertex is not inside a line
        (line, _geo("LineString", [[1, 1], [2, 2]]), True),
        (line, _geo("LineString", [[1, 1], [5, 5]]), False),
        (_geo("Point", [1, 1]), _geo("Point", [1, 1]), True),
        (_geo("MultiPoint", [[0, 0], [1, 1]]), _geo("Point", [1, 1]), True),
        # Pairs Turf refuses, and values it cannot read: false.
        (_geo("Point", [1, 1]), holed, False),
        (_geo("MultiPolygon", [[RING]]), _geo("Point", [1, 1]), False),
        (
            '{"type":"Feature","properties":{},"geometry":' + holed + "}",
            _geo("Point", [0.5, 0.5]),
            True,
        ),
        ("not json", _geo("Point", [0.5, 0.5]), False),
    ]
    for first, second, expected in cases:
        [row] = answer(dogs, f"SELECT geoContains('{first}', '{second}') AS c")
        assert row == {"c": expected}, (first, second)
    # A MultiPoint inside: every point strictly inside a polygon; on a line, every point on it
    # and one off its ends; in a MultiPoint, every point one of its points.
    multi = _geo("MultiPoint", [[0, 0], [1, 1], [2, 3]])
    multi_cases = [
        (holed, _geo("MultiPoint", [[0.5, 0.5], [3.5, 3.5]]), True),
        (holed, _geo("MultiPoint", [[0.5, 0.5], [2, 2]]), False),  # one in the hole
        (holed, _geo("MultiPoint", [[0.5, 0.5], [0, 2]]), False),  # one on the boundary
        (line, _geo("MultiPoint", [[0, 0], [1, 1]]), True),  # an end counts beside an inner one
        (line, _geo("MultiPoint", [[0, 0], [4, 4]]), False),  # only the ends
        (line, _geo("MultiPoint", [[1, 1], [1, 2]]), False),  # one off the line
        (multi, _geo("MultiPoint", [[2, 3], [0, 0], [2, 3]]), True),
        (multi, _geo("MultiPoint", [[2, 3], [0, 1]]), False),
        (_geo("Point", [1, 1]), _geo("MultiPoint", [[1, 1]]), False),  # Turf refuses the pair
    ]
    for first, second, expected in multi_cases:
        [row] = answer(dogs, f"SELECT geoContains('{first}', '{second}') AS c")
        assert row == {"c": expected}, (first, second)


def test_geo_equal_as_turf(dogs: Instance) -> None:
    # HarperDB's geoEqual is Turf 6.5's booleanEqual: clean-coords, then geojson-equality at
    # 6 decimals (a line equals its reverse, a ring its rotation or reverse, holes any order).
    line = _geo("LineString", [[0, 0], [1, 1], [2, 2], [3, 5]])
    turned = [[4, 0], [4, 4], [0, 4], [0, 0], [4, 0]]
    feature = '{"type":"Feature","properties":{"a":1},"geometry":' + _geo("Point", [1, 2]) + "}"
    cases = [
        (_geo("Point", [1, 2]), _geo("Point", [1.0000001, 2]), True),  # the same at 6 decimals
        (_geo("Point", [1, 2]), _geo("Point", [1.00001, 2]), False),
        (line, _geo("LineString", [[3, 5], [2, 2], [1, 1], [0, 0]]), True),  # reversed
        (line, _geo("LineString", [[0, 0], [3, 5]]), False),  # [2,2] is not on that segment
        (_geo("LineString", [[0, 0], [1, 1], [2, 2]]), _geo("LineString", [[0, 0], [2, 2]]), True),
        (_geo("Polygon", [RING]), _geo("Polygon", [turned]), True),  # another start vertex
        (_geo("Polygon", [RING]), _geo("Polygon", [RING[::-1]]), True),  # the other way round
        (_geo("Polygon", [RING, HOLE]), _geo("Polygon", [RING]), False),
        (_geo("Polygon", [RING, HOLE]), _geo("Polygon", [turned, HOLE[::-1]]), True),
        (
            _geo("MultiPoint", [[0, 0], [1, 1]]),
            _geo("MultiPoint", [[1, 1], [0, 0]]),
            True,
        ),
        (
            _geo("MultiPoint", [[0, 0], [1, 1]]),
            _geo("MultiPoint", [[1, 1], [0, 0.0000001]]),  # the same at 6 decimals
            True,
        ),
        (_geo("MultiPoint", [[0, 0], [1, 1]]), _geo("MultiPoint", [[1, 1], [0, 2]]), False),
        (_geo("Point", [1, 2]), _geo("MultiPoint", [[1, 2]]), False),  # other types
        (feature, feature, True),
        (feature, feature.replace('"a":1', '"a":2'), False),  # properties count
        (feature, _geo("Point", [1, 2]), False),  # a Feature is not its geometry
        ("not json", _geo("Point", [1, 2]), False),
        (_geo("Polygon", [[[0, 0], [1, 1], [0, 0]]]), _geo("Polygon", [RING]), False),
    ]
    for first, second, expected in cases:
        [row] = answer(dogs, f"SELECT geoEqual('{first}', '{second}') AS e")
        assert row == {"e": expected}, (first, second)
