"""Search conditions: their public Structs and how each one matches a record or an index run.

Comparison rules: numbers (int and float) compare numerically, strings as strings (code point
order), booleans as booleans; values of different kinds never match ``equals`` or a range. NaN
equals NaN (as HarperDB's index does) and never falls in a range. A record that lacks the
attribute matches nothing but ``not_equal`` and ``equals`` null. ``starts_with``,
``contains`` and ``ends_with`` match string values only.
"""

from collections.abc import Callable, Mapping
from typing import Any, Literal

import msgspec

from loadmaster.errors import InvalidRequestError
from loadmaster.storage.indexing import MISSING, is_truncated
from loadmaster.storage.keys import MAX_KEY_SIZE, NAN_KEY, STR_TAG, encode_key, key_kind
from loadmaster.storage.reads import IndexRange

__all__ = ["CONDITION_TYPES", "Condition", "ConditionGroup", "Leaf", "compile_leaf"]

CONDITION_TYPES = frozenset(
    {
        "equals",
        "contains",
        "starts_with",
        "ends_with",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "between",
        "not_equal",
    }
)
# Lower ranks are tried first when several conditions of an "and" can use the index.
_RANK = {"equals": 0, "starts_with": 1, "between": 2, "contains": 4, "ends_with": 4}
_RANGE_RANK = 3

Predicate = Callable[[Mapping[str, Any]], bool]


class Condition(msgspec.Struct, frozen=True, kw_only=True):
    """Match records whose ``attribute`` compares to ``value`` as ``type`` says.

    ``type`` is one of ``equals``, ``contains``, ``starts_with``, ``ends_with``,
    ``greater_than``, ``greater_than_equal``, ``less_than``, ``less_than_equal``, ``between``
    (``value`` is ``[low, high]``, inclusive) and ``not_equal``.
    """

    attribute: str
    type: str
    value: Any


class ConditionGroup(msgspec.Struct, frozen=True, kw_only=True):
    """Combine conditions (or groups) with ``and`` / ``or``."""

    operator: Literal["and", "or"] = "and"
    conditions: list["Condition | ConditionGroup"] = msgspec.field(default_factory=list)


def _key_of(value: Any) -> bytes | None:
    if value is MISSING or isinstance(value, dict | list | tuple):
        return None
    try:
        return encode_key(value)
    except (TypeError, ValueError):
        return None


def _kind_end(kind: int) -> bytes:
    return bytes([0x22 if kind == 0x20 else kind + 1])


def _kind_start(kind: int) -> bytes:
    return bytes([kind])


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


class Leaf:
    """One compiled condition: a record predicate and, where possible, an index run."""

    __slots__ = ("attribute", "predicate", "rank", "run")

    def __init__(
        self,
        attribute: str,
        predicate: Predicate,
        run: IndexRange | None,
        rank: int,
    ) -> None:
        self.attribute = attribute
        self.predicate = predicate
        self.run = run
        self.rank = rank


def _equals_predicate(attribute: str, value: Any) -> Predicate:
    if type(value) is str:
        return lambda r: r.get(attribute, MISSING).__class__ is str and r[attribute] == value
    target = _key_of(value)
    if target is None:
        return lambda r: r.get(attribute, MISSING) == value
    return lambda r: _key_of(r.get(attribute, MISSING)) == target


def _range_predicate(
    attribute: str, low: bytes | None, low_open: bool, high: bytes | None, high_open: bool
) -> Predicate:
    kind = key_kind(low if low is not None else high)  # type: ignore[arg-type]

    def match(record: Mapping[str, Any]) -> bool:
        key = _key_of(record.get(attribute, MISSING))
        if key is None or key_kind(key) != kind or key == NAN_KEY:
            return False
        if low is not None and (key <= low if low_open else key < low):
            return False
        return not (high is not None and (key >= high if high_open else key > high))

    return match


def _trunc(prefix: bytes, key: bytes) -> bytes:
    return (prefix + key)[:MAX_KEY_SIZE]


def compile_leaf(condition: Condition, prefix: bytes | None) -> Leaf:
    """Compile a condition.

    Args:
        condition: the condition.
        prefix: the attribute's index key prefix; ``b""`` when the attribute is the primary key
            (runs are then over the primary db); ``None`` when there is no index to use.

    Raises:
        InvalidRequestError: an unknown condition type or a malformed ``between`` value.
    """
    kind_name = condition.type
    attribute = condition.attribute
    value = condition.value
    if kind_name not in CONDITION_TYPES:
        raise InvalidRequestError(f"Invalid search_type '{kind_name}'")
    never: Predicate = lambda _: False  # noqa: E731
    if kind_name == "equals" and value is None:
        # Null is not in the index, and HarperDB counts a missing attribute as null.
        return Leaf(attribute, lambda r: r.get(attribute) is None, None, 9)
    if kind_name in ("equals", "not_equal"):
        equals = _equals_predicate(attribute, value)
        if kind_name == "not_equal":
            return Leaf(attribute, lambda r: not equals(r), None, 9)
        key = _key_of(value)
        if key is None:
            return Leaf(attribute, equals, None, 9)
        run = None if prefix is None else IndexRange(_trunc(prefix, key), exact=True)
        return Leaf(attribute, equals, run, _RANK["equals"])
    if kind_name in ("starts_with", "contains", "ends_with"):
        text = _text(value)
        if kind_name == "starts_with":
            predicate: Predicate = lambda r: (  # noqa: E731
                r.get(attribute).__class__ is str and r[attribute].startswith(text)
            )
        elif kind_name == "contains":
            predicate = lambda r: r.get(attribute).__class__ is str and text in r[attribute]  # noqa: E731
        else:
            predicate = lambda r: r.get(attribute).__class__ is str and r[attribute].endswith(text)  # noqa: E731
        if prefix is None:
            return Leaf(attribute, predicate, None, 9)
        head = prefix + STR_TAG
        needle = text.encode()
        start = len(head)
        if kind_name == "starts_with":
            begin = _trunc(head, needle)
            return Leaf(
                attribute, predicate, IndexRange(begin, _successor(begin)), _RANK[kind_name]
            )
        if kind_name == "contains":
            key_filter = lambda k: is_truncated(k) or needle in k[start:]  # noqa: E731
        else:
            key_filter = lambda k: is_truncated(k) or k.endswith(needle)  # noqa: E731
        run = IndexRange(head, prefix + _kind_end(0x40), key_filter=key_filter)
        return Leaf(attribute, predicate, run, _RANK[kind_name])
    low: bytes | None
    high: bytes | None
    if kind_name == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise InvalidRequestError("'between' needs a value of two items: [low, high]")
        low, high = _key_of(value[0]), _key_of(value[1])
        low_open = high_open = False
        if low is None or high is None or key_kind(low) != key_kind(high) or NAN_KEY in (low, high):
            return Leaf(attribute, never, IndexRange(b"", b""), 0)
    else:
        bound = _key_of(value)
        if bound is None or bound == NAN_KEY:
            return Leaf(attribute, never, IndexRange(b"", b""), 0)
        is_low = kind_name.startswith("greater")
        low, high = (bound, None) if is_low else (None, bound)
        low_open = kind_name == "greater_than"
        high_open = kind_name == "less_than"
    predicate = _range_predicate(attribute, low, low_open, high, high_open)
    if prefix is None:
        return Leaf(attribute, predicate, None, 9)
    kind = key_kind(low if low is not None else high)  # type: ignore[arg-type]
    # A truncated bound's own key may hold values on either side of it, so it stays in the run
    # and the predicate makes the final call; an exact bound's key is left out when open.
    if low is None:
        begin = prefix + _kind_start(kind)
    else:
        begin = _trunc(prefix, low)
        if low_open and not is_truncated(begin):
            begin += b"\x00"
    if high is None:
        end = prefix + _kind_end(kind)
    else:
        end = _trunc(prefix, high)
        if not high_open or is_truncated(end):
            end += b"\x00"
    return Leaf(attribute, predicate, IndexRange(begin, end), _RANK.get(kind_name, _RANGE_RANK))


def _successor(prefix: bytes) -> bytes | None:
    """Return the smallest byte string greater than every string starting with ``prefix``."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])
