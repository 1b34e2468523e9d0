"""Records shared by the layers: job records and the identity of a caller."""

import enum
from typing import Any

import msgspec


class JobStatus(enum.StrEnum):
    """The four states of a job (spec §2.2); only these four exist."""

    CREATED = "CREATED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETE = "COMPLETE"
    ERROR = "ERROR"


FINISHED = frozenset({JobStatus.COMPLETE, JobStatus.ERROR})


class Role(msgspec.Struct, frozen=True, kw_only=True):
    """A role: its name, id and HarperDB permission object."""

    role: str
    id: str
    permission: dict[str, Any]

    @property
    def super_user(self) -> bool:
        """Tell whether this role may do everything."""
        return bool(self.permission.get("super_user"))


class User(msgspec.Struct, frozen=True, kw_only=True):
    """An authenticated caller, as attached to every operation (never holds a password)."""

    username: str
    active: bool = True
    role: Role | None = None

    @property
    def super_user(self) -> bool:
        """Tell whether the caller's role is a super user role."""
        return self.role is not None and self.role.super_user


SUPER_ROLE = Role(role="super_user", id="super_user", permission={"super_user": True})
#: The identity of embedded callers that pass none: the process itself, trusted fully.
EMBEDDED_USER = User(username="HDB_ADMIN", role=SUPER_ROLE)
