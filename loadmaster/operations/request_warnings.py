"""Warnings about a request: the fields it sent that its operation does not know.

msgspec ignores unknown keys, so ``"acton": "upsert"`` would silently load with the default
action. When a body is decoded (:mod:`.dispatch`), its keys are compared with the wire names
of its operation's Struct, whichever operation it is; a job operation answers the texts as
``warnings`` and records them on its job.

The warnings of the operation last decoded in this context are kept beside it (a
``ContextVar`` holding the operation itself): decoding and running a request happen in one
call chain on one thread, HTTP and embedded alike, and :func:`warnings_for` only answers for
that very operation object, so a Struct built any other way has none.
"""

from collections.abc import Iterable
from contextvars import ContextVar
from functools import cache

from loadmaster.operations.schema import Operation

_LAST: ContextVar[tuple[Operation, tuple[str, ...]] | None] = ContextVar(
    "loadmaster_request_warnings", default=None
)


@cache
def _known(op_type: type[Operation]) -> frozenset[str]:
    tag_field = op_type.__struct_config__.tag_field
    return frozenset((*op_type.__struct_encode_fields__, *([tag_field] if tag_field else [])))


def unknown_field_warnings(op_type: type[Operation], keys: Iterable[object]) -> tuple[str, ...]:
    """Return ``unknown field '<k>' ignored`` for each key the operation does not know."""
    known = _known(op_type)
    return tuple(f"unknown field '{key}' ignored" for key in keys if key not in known)


def note_keys(op: Operation, keys: Iterable[object]) -> None:
    """Remember the warnings of an operation decoded from a body with these keys."""
    _LAST.set((op, unknown_field_warnings(type(op), keys)))


def warnings_for(op: Operation) -> list[str]:
    """Return the warnings about the request ``op`` was decoded from (none if not decoded)."""
    last = _LAST.get()
    if last is None or last[0] is not op:
        return []
    return list(last[1])
