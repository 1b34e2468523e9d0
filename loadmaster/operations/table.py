"""The table of operations: one place to declare each (its Struct, handler and access), and
the operation types they decode into."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from loadmaster.operations import schema
from loadmaster.operations.access import Access, Restricted, SuperUser

if TYPE_CHECKING:
    from loadmaster.operations.handler_context import Context

OpT = TypeVar("OpT", bound=schema.Operation)
Handler = Callable[[Any, "Context"], Any]


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """How one operation is run: its handler and who may call it."""

    name: str
    type: type[schema.Operation]
    handler: Handler
    #: How a caller who is not a super user is checked (super users may run everything).
    access: Access


OPERATIONS: dict[str, OperationSpec] = {}


def tag_of(op_type: type[schema.Operation]) -> str:
    """Return the wire name of an operation type."""
    tag = op_type.__struct_config__.tag
    assert isinstance(tag, str)  # noqa: S101 - every concrete operation sets its tag
    return tag


def operation(
    op_type: type[OpT], *, super_user: str | None = None, access: Access | None = None
) -> Callable[[Callable[[OpT, "Context"], Any]], Callable[[OpT, "Context"], Any]]:
    """Register the decorated function as the handler of ``op_type``.

    Args:
        op_type: The operation's Struct.
        super_user: HarperDB's internal name of the operation when only super users may call
            it (it appears in the 403 body).
        access: How other callers are checked; with neither this nor ``super_user`` the
            operation is for super users only (it fails closed).

    Raises:
        ValueError: The operation already has a handler.
    """

    def register(func: Callable[[OpT, "Context"], Any]) -> Callable[[OpT, "Context"], Any]:
        name = tag_of(op_type)
        if name in OPERATIONS:
            raise ValueError(f"operation {name!r} already has a handler")
        if access is not None:
            checked: Access = access
        elif super_user is not None:
            checked = SuperUser(super_user)
        else:
            checked = Restricted(name)
        OPERATIONS[name] = OperationSpec(name, op_type, func, checked)
        return func

    return register


def operation_types() -> tuple[type[schema.Operation], ...]:
    """Return every concrete operation Struct declared in the schema."""
    found: list[type[schema.Operation]] = []
    pending: list[type[schema.Operation]] = [schema.Operation]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            tag = sub.__struct_config__.tag
            # Intermediate bases get their class name as a default tag; real ones are snake_case.
            if isinstance(tag, str) and tag != sub.__name__:
                found.append(sub)
    return tuple(sorted(found, key=tag_of))
