"""Planning and running searches over one table.

A plan is a tree of compiled conditions. Each node has a record predicate (the final word on a
match) and may produce *candidates*: the primary keys of every record that can match,
read from the index (or from the primary db for conditions on the primary key), in index
order. ``and`` drives from its cheapest condition by HarperDB's estimates (whose index order
is then the order of the results), trying the others with the best count so far as a cap, so a
poor condition costs no more than the best one; ``or`` is the union of its children's
candidates in condition order. When no candidates can be had, the table is scanned.
"""

from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Any, Literal

import lmdb

from loadmaster.errors import InvalidRequestError
from loadmaster.storage.catalog import Catalog, TableState
from loadmaster.storage.codec import decode_records
from loadmaster.storage.conditions import Condition, ConditionGroup, Predicate, compile_leaf
from loadmaster.storage.indexing import MISSING
from loadmaster.storage.keys import encode_key
from loadmaster.storage.reads import IndexRange, get_many, scan_primary, table_state, walk_range

__all__ = [
    "check_paging",
    "plan_search",
    "run_search",
    "single_leaf",
    "sort_key",
    "wildcard_condition",
]

Counter = Callable[[int], None]


_NEVER = float("inf")
#: HarperDB's estimates of how many records a condition matches, as shares of the table (plus
#: one); ``equals`` counts its index entries, and the rest are never cheaper than a full scan.
_SHARE = {
    "starts_with": 0.05,
    "between": 0.1,
    "greater_than": 0.3,
    "greater_than_equal": 0.3,
    "less_than": 0.3,
    "less_than_equal": 0.3,
}


class _Node:
    predicate: Predicate
    indexed: bool

    def candidates(
        self, txn: "lmdb.Transaction[bytes]", state: TableState, cap: int | None
    ) -> list[bytes] | None:
        raise NotImplementedError

    def estimate(self, txn: "lmdb.Transaction[bytes]", state: TableState, total: int) -> float:
        raise NotImplementedError


class _LeafNode(_Node):
    def __init__(self, condition: Condition, state: TableState) -> None:
        attribute = condition.attribute
        self.type = condition.type
        self.primary = attribute == state.meta.primary_key
        attr = state.attrs.get(attribute)
        prefix: bytes | None = None
        if self.primary:
            prefix = b""
        elif attr is not None and attr.indexed:
            prefix = state.prefixes[attribute]
        #: The key prefix of the attribute's index entries (``b""``: the primary db's keys).
        self.prefix = prefix
        self.leaf = compile_leaf(condition, prefix)
        self.never = False
        if (
            attr is None
            and not self.primary
            and condition.type != "not_equal"
            and not _is_null_equals(condition)
        ):
            # No record has ever had this attribute: nothing can match.
            self.leaf.run = IndexRange(b"", b"")
            self.never = True
        self.predicate = self.leaf.predicate
        self.indexed = self.leaf.run is not None

    def estimate(self, txn: "lmdb.Transaction[bytes]", state: TableState, total: int) -> float:
        run = self.leaf.run
        if run is None:
            return _NEVER
        if self.never or run.stop == run.start:
            return 0
        if run.exact:
            if self.primary:
                return 1
            cursor = txn.cursor(state.index)
            return cursor.count() if cursor.set_key(run.start) else 0
        share = _SHARE.get(self.type)
        return _NEVER if share is None else share * total + 1

    def candidates(
        self, txn: "lmdb.Transaction[bytes]", state: TableState, cap: int | None
    ) -> list[bytes] | None:
        run = self.leaf.run
        if run is None:
            return None
        if self.primary:
            return walk_range(txn, state.primary, run, dup_values=False, cap=cap)
        # In index order: by value, then by primary key (HarperDB's order of results).
        return walk_range(txn, state.index, run, dup_values=True, cap=cap)


def _is_null_equals(condition: Condition) -> bool:
    return condition.type == "equals" and condition.value is None


class _GroupNode(_Node):
    def __init__(self, operator: str, children: list[_Node]) -> None:
        if operator not in ("and", "or"):
            raise InvalidRequestError(f"Invalid operator '{operator}': use 'and' or 'or'")
        self.operator = operator
        self.children = children
        predicates = [c.predicate for c in children]
        if len(predicates) == 1:
            self.predicate = predicates[0]
        elif operator == "and":
            self.predicate = lambda r: all(p(r) for p in predicates)
        else:
            self.predicate = lambda r: any(p(r) for p in predicates)
        if operator == "and":
            self.indexed = any(c.indexed for c in children)
        else:
            self.indexed = bool(children) and all(c.indexed for c in children)

    def estimate(self, txn: "lmdb.Transaction[bytes]", state: TableState, total: int) -> float:
        if not self.indexed:
            return _NEVER
        estimates = [c.estimate(txn, state, total) for c in self.children if c.indexed]
        return min(estimates) if self.operator == "and" else sum(estimates)

    def candidates(
        self, txn: "lmdb.Transaction[bytes]", state: TableState, cap: int | None
    ) -> list[bytes] | None:
        if not self.indexed:
            return None
        if self.operator == "or":
            # The union in condition order, each record once (as HarperDB answers an or).
            seen: set[bytes] = set()
            union: list[bytes] = []
            for child in self.children:
                found = child.candidates(txn, state, cap)
                if found is None:
                    return None
                for key in found:
                    if key not in seen:
                        seen.add(key)
                        union.append(key)
                if cap is not None and len(union) > cap:
                    return None
            return union
        # The cheapest condition drives (its index order is the order of the results); the
        # others only filter, each walked up to the size of what is left.
        total = txn.stat(state.primary)["entries"]
        indexed = [c for c in self.children if c.indexed]
        estimates = {id(c): c.estimate(txn, state, total) for c in indexed}
        best: list[bytes] | None = None
        for child in sorted(indexed, key=lambda c: estimates[id(c)]):
            limit = cap if best is None else len(best)
            found = child.candidates(txn, state, limit)
            if found is None:
                continue
            if best is None:
                best = found
            else:
                kept = set(found)
                best = [k for k in best if k in kept]
            if not best:
                break
        return best


def single_leaf(plan: _Node) -> _LeafNode | None:
    """Return the one condition a plan holds (inside groups of one), or None."""
    while isinstance(plan, _GroupNode) and len(plan.children) == 1:
        plan = plan.children[0]
    return plan if isinstance(plan, _LeafNode) else None


def _compile(node: Condition | ConditionGroup, state: TableState) -> _Node:
    if isinstance(node, ConditionGroup):
        return _GroupNode(node.operator, [_compile(c, state) for c in node.conditions])
    if isinstance(node, Condition):
        return _LeafNode(node, state)
    raise InvalidRequestError("conditions must be Condition or ConditionGroup objects")


def plan_search(
    state: TableState,
    conditions: Sequence[Condition | ConditionGroup],
    operator: Literal["and", "or"],
) -> _Node:
    """Compile conditions into a plan (raises 400 for malformed conditions)."""
    return _compile(ConditionGroup(operator=operator, conditions=list(conditions)), state)


def sort_key(value: Any) -> bytes:
    """Order any stored value: missing first, then by key order, containers last."""
    if value is MISSING:
        return b""
    if isinstance(value, dict | list | tuple):
        return b"\xff"
    try:
        return encode_key(value)
    except (TypeError, ValueError):
        return b"\xff"


def _index_order(
    txn: "lmdb.Transaction[bytes]", state: TableState, attribute: str, descending: bool
) -> list[bytes]:
    """Return the primary keys of the records that have ``attribute``, in its index order."""
    prefix = state.prefixes[attribute]
    number = int.from_bytes(prefix, "big")
    stop = None if number == 0xFFFF else (number + 1).to_bytes(2, "big")
    keys = walk_range(txn, state.index, IndexRange(prefix, stop), dup_values=True, cap=None)
    assert keys is not None  # noqa: S101 - no cap, so never refused
    return keys[::-1] if descending else keys


def _plan_keys(
    catalog: Catalog,
    state: TableState,
    plan: _Node,
    sort: Sequence[tuple[str, bool]] | None,
) -> tuple[list[bytes] | None, str | None]:
    """Return the keys to read (None: scan) and the attribute whose index ordered them, if a
    sort attribute's index drives the search (HarperDB: when it is cheaper than every
    condition, estimated at half the table)."""
    with catalog.env.read() as txn:
        total = txn.stat(state.primary)["entries"]
        estimate = plan.estimate(txn, state, total) if plan.indexed else _NEVER
        if sort:
            attribute, descending = sort[0]
            attr = state.attrs.get(attribute)
            if (
                attr is not None
                and attr.indexed
                and attribute != state.meta.primary_key
                and (total + 1) / 2 < estimate
            ):
                return _index_order(txn, state, attribute, descending), attribute
        return (plan.candidates(txn, state, None) if plan.indexed else None), None


def _matches(
    catalog: Catalog,
    database: str,
    table: str,
    plan: _Node,
    counter: Counter,
    *,
    sort: Sequence[tuple[str, bool]] | None = None,
    reverse: bool = False,
) -> tuple[Iterator[dict[str, Any]], bool]:
    state = table_state(catalog, database, table)
    candidates, sorted_by = _plan_keys(catalog, state, plan, sort)
    if candidates is None:
        source = scan_primary(catalog, database, table, reverse=reverse)
    else:
        if reverse and sorted_by is None:
            candidates = candidates[::-1]
        source = get_many(catalog, database, table, candidates)
    predicate = plan.predicate
    if sorted_by is not None:
        # A record without the sort attribute is not in its index: HarperDB leaves it out.
        inner = predicate
        predicate = lambda r: r.get(sorted_by) is not None and inner(r)  # noqa: E731

    def records() -> Iterator[dict[str, Any]]:
        for chunk in source:
            decoded = decode_records([value for _, value in chunk])
            counter(len(decoded))
            yield from filter(predicate, decoded)

    return records(), sorted_by is not None


def run_search(
    catalog: Catalog,
    database: str,
    table: str,
    plan: _Node,
    *,
    limit: int | None,
    offset: int,
    sort: Sequence[tuple[str, bool]] | None,
    counter: Counter,
    reverse: bool = False,
) -> Iterator[dict[str, Any]]:
    """Yield matching records in HarperDB's order, then ``offset`` and ``limit``.

    The order is the driving index's: the primary key's for a scan, else the cheapest
    condition's (by value, then primary key), backwards with ``reverse``. ``sort`` orders by
    its attributes instead: through the first one's index when that is the cheapest way
    (records without it are then left out, as HarperDB does), else by sorting the matches.
    """
    matches, index_sorted = _matches(
        catalog, database, table, plan, counter, sort=sort, reverse=reverse and not sort
    )
    end = None if limit is None else offset + limit
    if sort and (not index_sorted or len(sort) > 1):
        records = list(matches)
        for attribute, descending in reversed(sort):
            records.sort(key=lambda r: sort_key(r.get(attribute, MISSING)), reverse=descending)
        yield from records[offset:end]
        return
    yield from islice(matches, offset, end)


def check_paging(limit: int | None, offset: int) -> None:
    """Refuse a negative limit or offset with a 400."""
    if limit is not None and (type(limit) is not int or limit < 0):
        raise InvalidRequestError("'limit' must be a non-negative integer")
    if type(offset) is not int or offset < 0:
        raise InvalidRequestError("'offset' must be a non-negative integer")


def wildcard_condition(attribute: str, value: Any) -> Condition | None:
    """Turn a ``search_by_value`` value into a condition; ``None`` means every record."""
    if type(value) is not str or "*" not in value:
        return Condition(attribute=attribute, type="equals", value=value)
    if value.strip("*") == "":
        return None
    starts, ends = value.startswith("*"), value.endswith("*")
    inner = value.strip("*")
    if starts and ends:
        return Condition(attribute=attribute, type="contains", value=inner)
    if ends:
        return Condition(attribute=attribute, type="starts_with", value=value[:-1])
    if starts:
        return Condition(attribute=attribute, type="ends_with", value=value[1:])
    return Condition(attribute=attribute, type="equals", value=value)
