"""Users, roles and tokens: add, alter, drop and list them; exchange credentials for tokens.

Field checks are worded as HarperDB's validate.js rules word them (several problems joined by
``,``); user and role management is for super users only, ``user_info`` and the token
operations for everyone.
"""

from typing import Any

from loadmaster.auth import accounts
from loadmaster.auth.tokens import INVALID_TOKEN
from loadmaster.auth.users import INVALID_CREDENTIALS
from loadmaster.errors import (
    AuthenticationError,
    InvalidRequestError,
    RequestSchemaError,
    ServerError,
)
from loadmaster.operations import schema as s
from loadmaster.operations.access import EVERYONE
from loadmaster.operations.handler_context import Context
from loadmaster.operations.table import operation

_ROLE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _raise(problems: list[str]) -> None:
    if problems:
        raise InvalidRequestError(",".join(problems))


def _valid_role_name(value: Any) -> bool:
    return isinstance(value, str) and value != "" and set(value) <= _ROLE_NAME_CHARS


# --- roles -----------------------------------------------------------------------------------


@operation(s.AddRole, super_user="addRole")
def add_role(op: s.AddRole, ctx: Context) -> dict[str, Any]:
    """Create a role; answer with its record."""
    return accounts.add_role(ctx.users, op.role, op.permission, op.id)


@operation(s.AlterRole, super_user="alterRole")
def alter_role(op: s.AlterRole, ctx: Context) -> dict[str, Any]:
    """Replace a role's permissions; answer with its record."""
    return accounts.alter_role(ctx.users, op.id, op.role, op.permission)


@operation(s.DropRole, super_user="dropRole")
def drop_role(op: s.DropRole, ctx: Context) -> dict[str, str]:
    """Delete a role that no active user holds."""
    if _blank(op.id):
        raise RequestSchemaError("Id can't be blank")
    return {"message": accounts.drop_role(ctx.users, op.id)}


@operation(s.ListRoles, super_user="listRoles")
def list_roles(_op: s.ListRoles, ctx: Context) -> list[dict[str, Any]]:
    """List every role."""
    return accounts.list_roles(ctx.users)


# --- users -----------------------------------------------------------------------------------


@operation(s.AddUser, super_user="addUser")
def add_user(op: s.AddUser, ctx: Context) -> dict[str, str]:
    """Create a user with a role (given by name)."""
    problems: list[str] = []
    if _blank(op.username):
        problems.append("Username can't be blank")
    elif not isinstance(op.username, str):
        problems.append("Username is invalid")
    elif op.username == "system":
        problems.append("Username You cannot create tables within the system schema")
    if _blank(op.password):
        problems.append("Password can't be blank")
    elif not isinstance(op.password, str):
        problems.append("Password is invalid")
    if _blank(op.role):
        problems.append("Role can't be blank")
    elif not _valid_role_name(op.role):
        problems.append("Role is invalid")
    if op.active is None:
        problems.append("Active can't be blank")
    elif not isinstance(op.active, bool):
        problems.append("Active must be a boolean")
    _raise(problems)
    message = accounts.add_user(ctx.users, op.username, op.password, op.role, active=op.active)
    return {"message": message}


@operation(s.AlterUser, super_user="alterUser")
def alter_user(op: s.AlterUser, ctx: Context) -> dict[str, Any]:
    """Change a user's password, role or active flag."""
    if _blank(op.username) or not isinstance(op.username, str):
        raise InvalidRequestError("username is required")
    # HarperDB answers these two with a 500 (ops-more §9).
    if op.password in (None, "") and op.role in (None, "") and op.active is None:
        raise ServerError("nothing to update, must supply active, role or password to update")
    if op.password is not None and (not isinstance(op.password, str) or not op.password.strip()):
        raise InvalidRequestError("password cannot be an empty string")
    if op.active is not None and not isinstance(op.active, bool):
        raise InvalidRequestError("active must be true or false")
    if op.role == "":
        raise ServerError("If role is specified, it cannot be empty.")
    role = None if op.role is None else str(op.role)
    return accounts.alter_user(
        ctx.users, op.username, password=op.password, role=role, active=op.active
    )


@operation(s.DropUser, super_user="dropUser")
def drop_user(op: s.DropUser, ctx: Context) -> dict[str, str]:
    """Delete a user."""
    if _blank(op.username) or not isinstance(op.username, str):
        raise InvalidRequestError("Username can't be blank")
    return {"message": accounts.drop_user(ctx.users, op.username)}


@operation(s.ListUsers, super_user="listUsersExternal")
def list_users(_op: s.ListUsers, ctx: Context) -> list[dict[str, Any]]:
    """List every user and their role; never a password."""
    return accounts.list_users(ctx.users)


@operation(s.UserInfo, access=EVERYONE)
def user_info(_op: s.UserInfo, ctx: Context) -> dict[str, Any]:
    """Describe the calling user and their role."""
    return accounts.user_info(ctx.users, ctx.user)


# --- tokens ----------------------------------------------------------------------------------


@operation(s.CreateAuthenticationTokens, access=EVERYONE)
def create_authentication_tokens(op: s.CreateAuthenticationTokens, ctx: Context) -> dict[str, str]:
    """Exchange credentials for an operation and a refresh token.

    With ``username`` and ``password`` in the body those are checked; without them the tokens
    are for the caller.
    """
    user = ctx.user
    if op.username is not None or op.password is not None:
        if not isinstance(op.username, str) or not isinstance(op.password, str):
            raise AuthenticationError(INVALID_CREDENTIALS)
        try:
            user = ctx.users.authenticate(op.username, op.password)
        except AuthenticationError as exc:
            raise AuthenticationError(INVALID_CREDENTIALS) from exc
    settings = ctx.settings
    return ctx.users.issue_tokens(user, settings.operation_token_ttl, settings.refresh_token_ttl)


@operation(s.RefreshOperationToken, access=EVERYONE)
def refresh_operation_token(op: s.RefreshOperationToken, ctx: Context) -> dict[str, str]:
    """Exchange a refresh token for a new operation token."""
    token = op.refresh_token
    if token is None or token == "":
        raise InvalidRequestError("'refresh_token' is required")
    if not isinstance(token, str):
        raise AuthenticationError(INVALID_TOKEN)
    return ctx.users.refresh(token, ctx.settings.operation_token_ttl)
