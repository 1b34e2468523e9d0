"""Planning and running searches over one table.

A plan is a tree of compiled conditions. Each node has a record predicate (the final word on a
match) and may produce *candidates*: the sorted primary keys of every record that can match,
read from the index (or from the primary db for conditions on the primary key). ``and`` drives
from its most selective indexed conditions, trying them in rank order with the best count so
far as a cap, so a poor condition costs no more than the best one; ``or`` is the union of its
children's candidates. When no candidates can be had, the table is scanned.
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

__all__ = ["check_paging", "plan_search", "run_search", "sort_key", "wildcard_condition"]

Counter = Callable[[int], None]


class _Node:
    predicate: Predicate
    indexed: bool

    def candidates(
        self, txn: "lmdb.Transaction[bytes]", state: TableState, cap: int | None
    ) -> list[bytes] | None:
        raise NotImplementedError

    @property
    def rank(self) -> int:
        return 5


class _LeafNode(_Node):
    def __init__(self, condition: Condition, state: TableState) -> None:
        attribute = condition.attribute
        self.primary = attribute == state.meta.primary_key
        attr = state.attrs.get(attribute)
        prefix: bytes | None = None
        if self.primary:
            prefix = b""
        elif attr is not None and attr.indexed:
            prefix = state.prefixes[attribute]
        self.leaf = compile_leaf(condition, prefix)
        if attr is None and not self.primary and condition.type != "not_equal":
            # No record has ever had this attribute: nothing can match.
            self.leaf.run = IndexRange(b"", b"")
        self.predicate = self.leaf.predicate
        self.indexed = self.leaf.run is not None

    @property
    def rank(self) -> int:
        return self.leaf.rank

    def candidates(
        self, txn: "lmdb.Transaction[bytes]", state: TableState, cap: int | None
    ) -> list[bytes] | None:
        run = self.leaf.run
        if run is None:
            return None
        if self.primary:
            return walk_range(txn, state.primary, run, dup_values=False, cap=cap)
        found = walk_range(txn, state.index, run, dup_values=True, cap=cap)
        if found is not None and not run.exact:
            found.sort()
        return found


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

    @property
    def rank(self) -> int:
        ranks = [c.rank for c in self.children if c.indexed]
        if not ranks:
            return 9
        return min(ranks) if self.operator == "and" else max(ranks) + 1

    def candidates(
        self, txn: "lmdb.Transaction[bytes]", state: TableState, cap: int | None
    ) -> list[bytes] | None:
        if not self.indexed:
            return None
        if self.operator == "or":
            union: set[bytes] = set()
            for child in self.children:
                found = child.candidates(txn, state, cap)
                if found is None:
                    return None
                union.update(found)
                if cap is not None and len(union) > cap:
                    return None
            return sorted(union)
        best: list[bytes] | None = None
        for child in sorted((c for c in self.children if c.indexed), key=lambda c: c.rank):
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


def _matches(
    catalog: Catalog,
    database: str,
    table: str,
    plan: _Node,
    counter: Counter,
) -> Iterator[dict[str, Any]]:
    state = table_state(catalog, database, table)
    candidates: list[bytes] | None = None
    if plan.indexed:
        with catalog.env.read() as txn:
            candidates = plan.candidates(txn, state, None)
    source = (
        scan_primary(catalog, database, table)
        if candidates is None
        else get_many(catalog, database, table, candidates)
    )
    predicate = plan.predicate
    for chunk in source:
        records = decode_records([value for _, value in chunk])
        counter(len(records))
        yield from filter(predicate, records)


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
) -> Iterator[dict[str, Any]]:
    """Yield matching records in primary-key order, or in ``sort`` order when given."""
    matches = _matches(catalog, database, table, plan, counter)
    if sort:
        records = list(matches)
        for attribute, descending in reversed(sort):
            records.sort(key=lambda r: sort_key(r.get(attribute, MISSING)), reverse=descending)
        end = None if limit is None else offset + limit
        yield from records[offset:end]
        return
    end = None if limit is None else offset + limit
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
