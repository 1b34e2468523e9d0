"""Which permissions each operation needs from a caller who is not a super user.

Fails closed: an operation that is neither restricted to super users, nor a table operation
listed here, nor one of the few open to every user is refused as super-user-only. A new
operation that every user may call must be added to :data:`OPEN_TO_ALL`; a new table operation
to :func:`_table_needs`.
"""

from typing import Any

from loadmaster.auth import permissions
from loadmaster.errors import NotFoundError, PermissionDeniedError
from loadmaster.models import User
from loadmaster.operations import schema as s
from loadmaster.operations.registry import tag_of
from loadmaster.storage import Store

#: Operations every user with a role may call; they touch no table (or filter what they show).
OPEN_TO_ALL: frozenset[type[s.Operation]] = frozenset(
    {
        s.DescribeAll,
        s.DescribeDatabase,
        s.DescribeSchema,
        s.GetJob,
        # Job control: each shows and acts on the caller's own jobs only (super users: all).
        s.CancelJob,
        s.DeleteJob,
        s.SearchJobs,
        s.UserInfo,
        s.CreateAuthenticationTokens,
        s.RefreshOperationToken,
    }
)
_READS = (s.SearchById, s.SearchByHash, s.SearchByValue, s.SearchByConditions, s.DescribeTable)
_LOADS = (s.CsvDataLoad, s.CsvFileLoad, s.CsvUrlLoad, s.ImportFromS3)
_WRITES: dict[type[s.Operation], str] = {s.Insert: "insert", s.Update: "update", s.Upsert: "upsert"}


def check_operation(op: s.Operation, user: User, store: Store, super_user_name: str | None) -> None:
    """Refuse the operation unless the (non-super) caller's role allows it.

    Args:
        op: The decoded operation.
        user: The caller; must have a role and not be a super user.
        store: The store, to learn a table's primary key and attributes.
        super_user_name: HarperDB's internal name when the operation is super-user-only.

    Raises:
        PermissionDeniedError: The role does not allow it (HarperDB's 403 body).
    """
    if super_user_name is not None:
        db = op.db if isinstance(op, s.DatabaseOp) else ""
        if permissions.structure_allows(user, super_user_name, db):
            return
        raise PermissionDeniedError.restricted(super_user_name)
    if isinstance(op, s.DescribeDatabase | s.DescribeSchema):
        if not permissions.database_visible(user, op.db):
            raise permissions.database_missing(op.db)
        return
    if type(op) in OPEN_TO_ALL:
        return
    if not isinstance(op, s.TableOp):
        raise PermissionDeniedError.restricted(tag_of(type(op)))
    needs = _table_needs(op)
    if op.table is None or op.table == "":
        return  # the handler answers 400 "'table' is required" before touching anything
    db, name = op.db, str(op.table)
    permissions.check_table(user, db, name, needs)
    try:
        table = store.table(db, name)
    except NotFoundError:
        return  # the handler answers with the not-found error HarperDB gives for this operation
    rules = permissions.table_rules(user, table)
    if rules is None:
        return
    action = _WRITES.get(type(op))
    if action is not None:
        rules.check(_record_attributes(op), permissions.WRITE_NEEDS[action])
    elif isinstance(op, _READS):
        rules.check(_read_attributes(op), ("read",))


def _table_needs(op: s.TableOp) -> tuple[str, ...]:
    if isinstance(op, _READS):
        return ("read",)
    action = _WRITES.get(type(op))
    if action is not None:
        return permissions.WRITE_NEEDS[action]
    if isinstance(op, s.Delete):
        return ("delete",)
    if isinstance(op, _LOADS):
        # Spec §8: an explicit insert or update needs only that; upsert and no action need both.
        if op.action in ("insert", "update"):
            return (op.action,)
        return ("insert", "update")
    raise PermissionDeniedError.restricted(tag_of(type(op)))


def _record_attributes(op: s.Operation) -> list[str]:
    records = getattr(op, "records", None)
    if not isinstance(records, list):
        return []
    names: dict[str, None] = {}
    for record in records:
        if isinstance(record, dict):
            names.update(dict.fromkeys(record))
    return [n for n in names if n not in permissions.TIMESTAMPS]


def _read_attributes(op: s.Operation) -> list[str]:
    names: dict[str, None] = {}
    wanted = getattr(op, "get_attributes", None)
    if isinstance(wanted, list):
        names.update(dict.fromkeys(a for a in wanted if isinstance(a, str) and a != "*"))
    attribute = getattr(op, "search_attribute", None)
    if isinstance(attribute, str):
        names[attribute] = None
    _condition_attributes(getattr(op, "conditions", None), names)
    return list(names)


def _condition_attributes(conditions: Any, names: dict[str, None]) -> None:
    # Searching on an attribute reveals its values, so conditions need read like projections.
    if not isinstance(conditions, list):
        return
    for item in conditions:
        if not isinstance(item, dict):
            continue
        if "conditions" in item:
            _condition_attributes(item["conditions"], names)
        elif isinstance(item.get("search_attribute"), str):
            names[item["search_attribute"]] = None
