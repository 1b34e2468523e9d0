"""Run a SELECT: validate against the schema, read through the prefetch, join, filter, group,
order, page and shape rows with alasql's keys (§3-§8)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from loadmaster.errors import SqlError
from loadmaster.sql import nodes as n
from loadmaster.sql.access import SECRET_FIELDS, SYSTEM, Access
from loadmaster.sql.aggregates import hashable
from loadmaster.sql.expressions import Compiler, Fn, truth
from loadmaster.sql.functions import is_aggregate
from loadmaster.sql.grouping import check_group_by, group_results, groups
from loadmaster.sql.joins import JoinStep, join_rows
from loadmaster.sql.jsvalues import UNDEF, fast_order_keys, order_key
from loadmaster.sql.naming import item_key
from loadmaster.sql.plan import Prefetch, normalize_where, plan_reads
from loadmaster.sql.scope import Scope, Source
from loadmaster.storage import Store, Table

__all__ = ["SelectPlan", "open_sources", "prepare_select"]

Row = tuple[Any, ...]


@dataclass
class _Output:
    key: str
    fn: Fn
    plain: tuple[int, str] | None = None


@dataclass
class SelectPlan:
    """A validated, permission-checked SELECT; :meth:`rows` runs it (streamed when it can)."""

    keys: list[str]
    run: Callable[[], "Rows"] = field(repr=False)
    #: When each row is a stored record shaped (by ``shape``) to ``keys``, no renames: the
    #: records, filtered and paged, unshaped.
    records: Callable[[], "Rows"] | None = field(default=None, repr=False)
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None, repr=False)

    def rows(self) -> Iterator[dict[str, Any]]:
        """Yield the result rows."""
        return self.run()[0]

    def counted(self) -> "Rows":
        """Return the result rows and, when known before they are read, how many there are."""
        return self.run()


#: Result rows, and their number when it is known up front.
Rows = tuple[Iterator[dict[str, Any]], int | None]


def _empty() -> Rows:
    return iter(()), 0


def open_sources(refs: tuple[n.TableRef, ...], store: Store) -> list[Table]:
    """Open a statement's tables (404 for a missing database or table)."""
    return [store.table(str(ref.database), ref.name) for ref in refs]


def _contains_aggregate(node: n.Expr) -> bool:
    if isinstance(node, n.Func):
        return is_aggregate(node.name) or any(_contains_aggregate(a) for a in node.args)
    return any(_contains_aggregate(c) for c in n.children(node))


def _outputs(
    stmt: n.Select, scope: Scope | None, compiler: Compiler, joined: bool
) -> tuple[list[_Output], bool]:
    """Compile the select list; return the outputs and whether a ``*`` expanded to nothing."""
    explicit: list[_Output] = []
    starred: list[_Output] = []
    empty_star = False
    for item in stmt.items:
        if isinstance(item.expr, n.Star):
            if scope is None:
                raise SqlError("unknown column *")
            expanded = scope.star(item.expr.qualifier)
            empty_star = empty_star or not expanded
            for index, name in expanded:
                starred.append(_Output(name, _reader(index, name), (index, name)))
            continue
        fn = compiler.compile(item.expr)
        plain = None
        if isinstance(item.expr, n.Column) and scope is not None:
            plain = scope.resolve(item.expr)
        explicit.append(_Output(item_key(item, scope is not None), fn, plain))
    taken = {o.plain for o in explicit if o.plain is not None}
    outputs = explicit + [o for o in starred if o.plain not in taken]
    if joined:
        counts: dict[str, int] = {}
        for out in outputs:
            seen = counts.get(out.key, 0)
            counts[out.key] = seen + 1
            if seen and out.plain is not None:
                out.key = f"{out.key}{seen}"
    return outputs, empty_star


def _reader(index: int, name: str) -> Fn:
    def read(r: Row) -> Any:
        record = r[index]
        return None if record is None else record.get(name)

    return read


def _record_shape(outputs: list[_Output]) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """Return a function shaping a record directly when every output is a plain column."""
    if not all(o.plain is not None and o.plain[0] == 0 for o in outputs):
        return None
    keys = tuple(o.key for o in outputs)
    names = tuple(o.plain[1] for o in outputs if o.plain is not None)

    # The hot loop of a big SELECT or SQL export: a plain comprehension is the fastest form.
    if keys == names:

        def same(record: dict[str, Any]) -> dict[str, Any]:
            get = record.get
            return {name: get(name) for name in names}

        return same
    pairs = tuple(zip(keys, names, strict=True))

    def renamed(record: dict[str, Any]) -> dict[str, Any]:
        get = record.get
        return {key: get(name) for key, name in pairs}

    return renamed


def _shape(outputs: list[_Output], outer: bool) -> Callable[[Row], dict[str, Any]]:
    pairs = [(o.key, o.fn) for o in outputs]

    def shape(row: Row) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, fn in pairs:
            value = fn(row)
            if value is UNDEF:
                if not outer:
                    continue
                value = None
            out[key] = value
        return out

    return shape


def _order_fns(stmt: n.Select, compiler: Compiler, outputs: list[_Output]) -> list[Fn]:
    fns: list[Fn] = []
    for item in stmt.order_by:
        node = item.expr
        if isinstance(node, n.Literal) and type(node.value) is int:
            if not 1 <= node.value <= len(outputs):
                raise SqlError(f"unknown column {node.value}")
            fns.append(outputs[node.value - 1].fn)
            continue
        fns.append(compiler.compile(node))
    return fns


def _check_order_aliases(stmt: n.Select, outputs: list[_Output], scope: Scope | None) -> None:
    """Refuse ORDER BY a name that is no column and two select items' alias."""
    for item in stmt.order_by:
        node = item.expr
        if not isinstance(node, n.Column) or node.qualifier is not None:
            continue
        if scope is not None and scope.find(node) is not None:
            continue
        if sum(1 for o in outputs if o.key == node.name) > 1:
            raise SqlError(f"ambiguous column reference {node.name} in order by")


def _sorted(rows: list[Row], fns: list[Fn], stmt: n.Select) -> list[Row]:
    for fn, item in reversed(list(zip(fns, stmt.order_by, strict=True))):
        values = [fn(r) for r in rows]
        keys = fast_order_keys(values)
        if keys is None:
            keys = [order_key(v) for v in values]
        order = sorted(range(len(rows)), key=keys.__getitem__, reverse=item.descending)
        rows = [rows[i] for i in order]
    return rows


def _page(stmt: n.Select) -> tuple[int, int | None]:
    offset = stmt.offset or 0
    # HarperDB treats LIMIT 0 as no limit (copied: clients see it).
    limit = stmt.limit if stmt.limit else None
    return offset, None if limit is None else offset + limit


def _sources(stmt: n.Select, tables: list[Table], access: Access) -> list[Source]:
    sources = []
    for ref, table in zip(stmt.tables, tables, strict=True):
        names = tuple(
            a for a in table.attribute_names() if ref.database != SYSTEM or a not in SECRET_FIELDS
        )
        star = tuple(a for a in access.star(table) if a in names)
        sources.append(Source(ref, names, table.primary_key, star))
    return sources


def prepare_select(stmt: n.Select, store: Store, access: Access) -> SelectPlan:
    """Validate and compile a SELECT for a caller.

    Raises:
        SqlError: An unknown or ambiguous column, a GROUP BY problem, or a missing database
            part (500).
        NotFoundError: A missing database or table (404, super users).
        PermissionDeniedError: What the role does not allow (403).
    """
    refs = stmt.tables
    for ref in refs:
        if ref.database is None:
            if not access.super_user:
                return SelectPlan([], _empty)
            raise SqlError(f"schema not defined for table {ref.name}")
    access.check_system(refs, "read")
    check_attributes = access.check_tables(refs, "read")
    tables = [] if access.invalid else open_sources(refs, store)
    scope = Scope(_sources(stmt, tables, access)) if refs and tables else None
    if refs and scope is None:
        access.raise_if_refused()
    where = normalize_where(stmt.where)
    grouped = bool(stmt.group_by) or any(_contains_aggregate(i.expr) for i in stmt.items)
    compiler = Compiler(scope, grouped=grouped)
    if stmt.group_by:
        check_group_by(stmt, scope)
    outputs, empty_star = _outputs(stmt, scope, compiler, bool(stmt.joins))
    aliases = {o.key: o.fn for o in outputs}
    compiler.aliases = aliases
    plain = Compiler(scope)
    where_fn = plain.compile(where) if where is not None else None
    on_fns = [plain.compile(j.on) for j in stmt.joins if j.on is not None]
    group_fns = [plain.compile(g) for g in stmt.group_by]
    having_fn = compiler.compile(stmt.having) if stmt.having is not None else None
    finish = group_results(stmt, [o.key for o in outputs], compiler, group_fns)
    _check_order_aliases(stmt, outputs, scope)
    order_fns = _order_fns(stmt, compiler if grouped else Compiler(scope, aliases=aliases), outputs)
    if scope is not None and check_attributes:
        for table, used in zip(tables, scope.used, strict=True):
            access.check_attributes(table, used, "read")
    access.raise_if_refused()
    if empty_star and not access.super_user:
        return SelectPlan([], _empty)
    if _counts_table(stmt):
        # Only COUNT(*) of a whole table: the table's record count answers it.
        count = tables[0].record_count()
        return SelectPlan(
            [o.key for o in outputs], lambda: (iter([dict.fromkeys(keys_of(outputs), count)]), 1)
        )
    shape = _shape(outputs, any(j.kind != "inner" for j in stmt.joins))
    start, stop = _page(stmt)
    keys = [o.key for o in outputs]

    direct = _record_shape(outputs) if not (stmt.joins or grouped or order_fns) else None

    def matching(read: Prefetch) -> Iterator[dict[str, Any]]:
        records = read.records()
        if where_fn is not None and not read.exact:
            test = where_fn
            records = (r for r in records if truth(test((r,))))
        return records

    def run() -> Rows:
        if scope is None:
            return iter([shape(())]), 1
        reads = plan_reads(where, [j.on for j in stmt.joins if j.on], scope, tables)
        if direct is not None:
            plain_rows: Iterator[dict[str, Any]] = map(direct, matching(reads[0]))
            if stmt.distinct:
                plain_rows = _distinct(plain_rows)
            return _paged(plain_rows, start, stop), _direct_total(stmt, reads[0], where_fn is None)
        steps = [
            _step(join, reads[i + 1], on_fns[i], scope, i + 1) for i, join in enumerate(stmt.joins)
        ]
        rows: Iterator[Row] = join_rows(reads[0].records(), steps)
        if where_fn is not None:
            rows = (r for r in rows if truth(where_fn(r)))
        if grouped:
            rows = iter(groups(rows, group_fns, compiler, not stmt.group_by, finish))
            if having_fn is not None:
                rows = (r for r in rows if truth(having_fn(r)))
        if order_fns:
            rows = iter(_sorted(list(rows), order_fns, stmt))
        shaped: Iterator[dict[str, Any]] = map(shape, rows)
        if stmt.distinct:
            shaped = _distinct(shaped)
        return _paged(shaped, start, stop), None

    renamed = any(o.plain is None or o.plain[1] != o.key for o in outputs)
    if direct is None or stmt.distinct or renamed or scope is None:
        return SelectPlan(keys, run)
    read_scope = scope

    def records() -> Rows:
        [read] = plan_reads(where, [], read_scope, tables)
        return _paged(matching(read), start, stop), _direct_total(stmt, read, where_fn is None)

    return SelectPlan(keys, run, records, direct)


def _direct_total(stmt: n.Select, read: Prefetch, everything: bool) -> int | None:
    """Count the rows of a one-table SELECT without reading them: every record (no WHERE),
    or the prefetched keys when the index answered the WHERE exactly; else None."""
    if stmt.distinct:
        return None
    if everything and read.keys is None:
        found = read.table.record_count()
    elif read.keys is not None and (everything or read.exact):
        found = len(read.keys)
    else:
        return None
    start, stop = _page(stmt)
    return max(0, (found if stop is None else min(found, stop)) - start)


def _paged(
    rows: Iterator[dict[str, Any]], start: int, stop: int | None
) -> Iterator[dict[str, Any]]:
    return rows if start == 0 and stop is None else islice(rows, start, stop)


def keys_of(outputs: list[_Output]) -> list[str]:
    """Return the result keys of the outputs."""
    return [o.key for o in outputs]


def _counts_table(stmt: n.Select) -> bool:
    if stmt.table is None or stmt.joins or stmt.where is not None or stmt.group_by:
        return False
    if stmt.having is not None or stmt.offset:
        return False
    return all(
        isinstance(i.expr, n.Func)
        and i.expr.name.upper() == "COUNT"
        and not i.expr.distinct
        and len(i.expr.args) == 1
        and isinstance(i.expr.args[0], n.Star)
        for i in stmt.items
    )


def _distinct(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    seen: set[Any] = set()
    for row in rows:
        key = tuple((k, hashable(v)) for k, v in row.items())
        if key not in seen:
            seen.add(key)
            yield row


def _step(join: n.Join, read: Prefetch, on: Fn, scope: Scope, position: int) -> JoinStep:
    left_key = right_key = None
    node = join.on
    if isinstance(node, n.Binary) and node.op == "=":
        sides = [node.left, node.right]
        if all(isinstance(s, n.Column) for s in sides):
            found = [scope.find(s) for s in sides if isinstance(s, n.Column)]
            if found[0] is not None and found[1] is not None:
                (i, a), (j, b) = found[0], found[1]
                if j == position and i < position:
                    left_key, right_key = _reader(i, a), _reader(j, b)
                elif i == position and j < position:
                    left_key, right_key = _reader(j, b), _reader(i, a)
    return JoinStep(join.kind, read.records, on, left_key, right_key)
