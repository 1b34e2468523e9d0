"""Who is calling: the Authorization header (Basic or Bearer), else body credentials.

The header is checked before the body is read (see :mod:`.body`), so the body's size limit
can depend on it. Password checks never hold the event loop or a thread while they wait:
the throttle's delay is awaited, and at most a few scrypt hashes run at once on worker
threads (``CLEAN_SLOTS`` for users without recent failures, ``THROTTLED_SLOTS`` for the
others, so a flood of wrong passwords for one user queues behind its own slot and bounds the
CPU it burns, while everyone else's logins go ahead; within each, attempts from addresses
without recent failures go first). Attempts with the same credentials as one being checked
wait for its answer instead of hashing again.

The two token operations authenticate differently: ``create_authentication_tokens`` checks
the credentials in its own body (no header needed), and ``refresh_operation_token`` is
authenticated by its refresh token, sent in the body or as a Bearer token.
"""

import asyncio
import base64
import binascii
from dataclasses import dataclass

import msgspec
from starlette.concurrency import run_in_threadpool

from loadmaster.auth.users import INVALID_CREDENTIALS, UserStore
from loadmaster.errors import AuthenticationError, InvalidRequestError
from loadmaster.models import User
from loadmaster.operations.schema import (
    CreateAuthenticationTokens,
    Operation,
    RefreshOperationToken,
)
from loadmaster.server.slots import PrioritySlots

MUST_LOGIN = "Must login"
#: The body credentials of ``create_authentication_tokens``, in HarperDB's order of checks.
_TOKEN_FIELDS = ("username", "password")
_NOTHING = (None, "")
#: Password hashes run at once for users without recent failures, and for the others.
CLEAN_SLOTS = 2
THROTTLED_SLOTS = 1


@dataclass(frozen=True, slots=True)
class HeaderCaller:
    """What the ``Authorization`` header says about the caller."""

    #: The caller, when the header's credentials are valid.
    user: User | None = None
    #: Why the header's credentials were refused, when they were.
    error: AuthenticationError | None = None
    #: A Bearer value (also a refresh token for ``refresh_operation_token``).
    bearer: str | None = None


NO_HEADER = HeaderCaller()


class Credentials:
    """Checks the credentials of requests against one user store."""

    def __init__(self, users: UserStore) -> None:
        self._users = users
        self._clean = PrioritySlots(CLEAN_SLOTS)
        self._throttled = PrioritySlots(THROTTLED_SLOTS)
        # Credentials being checked now -> done when that check is.
        self._checking: dict[tuple[str, str], asyncio.Future[None]] = {}

    def cached(self, authorization: str | None) -> User | None:
        """Return the caller of a Basic header whose credentials are cached, else None.

        Cheap and non-blocking; anything else is left to :meth:`header`.
        """
        if not authorization or authorization[:6].lower() != "basic ":
            return None
        try:
            username, password = _basic(authorization[6:].strip())
        except AuthenticationError:
            return None
        return self._users.cached(username, password)

    async def header(self, authorization: str | None, client: str | None) -> HeaderCaller:
        """Check the ``Authorization`` header (no body needed)."""
        user = self.cached(authorization)
        if user is not None:
            return HeaderCaller(user=user)
        if not authorization:
            return NO_HEADER
        scheme, _, value = authorization.strip().partition(" ")
        scheme, value = scheme.lower(), value.strip()
        try:
            if scheme == "basic":
                return HeaderCaller(user=await self.login(*_basic(value), client))
            if scheme == "bearer":
                return HeaderCaller(user=self._users.authenticate_token(value), bearer=value)
        except AuthenticationError as exc:
            return HeaderCaller(error=exc, bearer=value if scheme == "bearer" else None)
        return NO_HEADER

    async def header_user(self, authorization: str | None, client: str | None) -> User:
        """Return the caller named by the ``Authorization`` header alone (routes whose body
        is data, not an operation).

        Raises:
            AuthenticationError: ``Must login`` without a header, or its refusal.
        """
        return await self.plain(await self.header(authorization, client), None, client)

    async def login(self, username: str, password: str, client: str | None) -> User:
        """Check a user name and password, waiting (not refusing) while they are throttled.

        Raises:
            AuthenticationError: Unknown user, wrong password, or an inactive user.
        """
        users = self._users
        user = users.known(username, password)
        if user is not None:
            return user
        throttle = users.throttle
        keys = throttle.keys(username, client)
        await throttle.pause(throttle.delay(keys))
        same = (username, password)
        first = self._checking.get(same)
        if first is not None:
            # The same credentials are being hashed already (a flood repeating one guess):
            # wait for that answer, then this one is answered from the caches, unhashed.
            await asyncio.shield(first)
            user = users.known(username, password)
            if user is not None:
                return user
        done = asyncio.get_running_loop().create_future()
        self._checking.setdefault(same, done)
        try:
            slots = self._throttled if throttle.throttled(username) else self._clean
            # An address that keeps failing waits behind everyone else.
            failures = throttle.failures(("addr", client)) if client else 0
            async with slots.slot(failures):
                return await run_in_threadpool(users.check, username, password, keys)
        finally:
            if self._checking.get(same) is done:
                del self._checking[same]
            done.set_result(None)

    async def plain(
        self, header: HeaderCaller, body: tuple[str, str] | None, client: str | None
    ) -> User:
        """Return the caller of an ordinary request: the header decides when it has
        credentials, else the body's ``username`` and ``password``.

        Raises:
            AuthenticationError: ``Must login`` without credentials, or as :meth:`login`.
        """
        if header.user is not None:
            return header.user
        if header.error is not None:
            raise header.error
        if body is not None:
            return await self.login(*body, client)
        raise AuthenticationError(MUST_LOGIN)

    async def caller(
        self, op: Operation, header: HeaderCaller, client: str | None
    ) -> tuple[Operation, User]:
        """Authenticate an operation; return it (a Bearer refresh token moved into its body)
        and its caller.

        Raises:
            AuthenticationError: ``invalid credentials`` for wrong body credentials of
                ``create_authentication_tokens``, ``invalid token`` for a bad refresh token,
                else as :meth:`plain`.
        """
        if isinstance(op, CreateAuthenticationTokens):
            if op.username in _NOTHING and op.password in _NOTHING:
                # Nothing usable in the body: the header decides (``Must login`` without one);
                # HarperDB validates two empty strings only once the header has let it in.
                user = await self.plain(header, None, client)
                if op.username is None and op.password is None:
                    return op, user
            empty = [
                f"'{f}' is not allowed to be empty" for f in _TOKEN_FIELDS if getattr(op, f) == ""
            ]
            if empty:
                raise InvalidRequestError(". ".join(empty))
            if not isinstance(op.username, str) or not isinstance(op.password, str):
                raise AuthenticationError(INVALID_CREDENTIALS)
            try:
                return op, await self.login(op.username, op.password, client)
            except AuthenticationError as exc:
                raise AuthenticationError(INVALID_CREDENTIALS) from exc
        if isinstance(op, RefreshOperationToken):
            if op.refresh_token is None and header.bearer is not None:
                op = msgspec.structs.replace(op, refresh_token=header.bearer)
            if isinstance(op.refresh_token, str) and op.refresh_token:
                return op, self._users.refresh_token_user(op.refresh_token)
            return op, await self.plain(header, None, client)
        credentials = None
        if isinstance(op.username, str) and isinstance(op.password, str):
            credentials = (op.username, op.password)
        return op, await self.plain(header, credentials, client)


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthenticationError("Invalid character") from exc
    username, sep, password = decoded.partition(":")
    if not sep:
        raise AuthenticationError("Login failed")
    return username, password
