"""The one exception tree of loadmaster.

Every error a client can see derives from :class:`LoadmasterError` and carries the HTTP status
it is answered with; the server and the embedded API render it as ``{"error": message}`` in
exactly one place each. Messages use HarperDB's wording (spec §1, §3.1, §12).

    LoadmasterError (500)
    ├── InvalidRequestError (400)      bad body, field or value
    │   ├── RolePermissionsError       a role's permission JSON is invalid
    │   ├── InvalidJSONError           the body is not JSON
    │   ├── LoadAbortedError           a load stopped at a faulty row (on_error, max_errors)
    │   ├── MalformedBodyError         the body is JSON but not an object
    │   ├── FetchRefusedError          a server-side fetch would reach a non-public address
    │   └── SqlParseError              SQL text that does not parse
    ├── AuthenticationError (401)      no, wrong or inactive credentials
    ├── PermissionDeniedError (403)    role restrictions; carries the HarperDB body
    │   ├── SystemDatabaseWriteError   a write to the system database
    │   └── TimestampWriteError        SQL write of a timestamp a role lists
    ├── FileOutsideRootsError (403)    a server-side file path outside the file roots
    ├── NotFoundError (404)
    │   ├── DatabaseNotFoundError
    │   └── TableNotFoundError
    ├── ConflictError (409)
    ├── UnsupportedMediaTypeError (415)
    ├── PayloadTooLargeError (413)
    ├── RequestTimeoutError (408)      the body arrived too slowly
    ├── ServerError (500)              an operation failed in a way the client cannot fix
    │   └── SqlError                   a SQL statement failed validation or evaluation
    │       └── EvaluationError        an expression failed while rows were evaluated
    ├── ServiceUnavailableError (503)  an actor did not answer in time
    │   └── ConnectionFailedError      (client) the server cannot be reached
    ├── StorageError (500)             LMDB failed
    ├── LoadError (500)                a streamed load failed after some rows were committed
    ├── JsonArrayError (500)           a JSON import is not well-formed
    ├── WorkerError (500)              the parse worker process died or failed
    ├── JobCancelledError (500)        a job must stop (inside the job only)
    ├── UrlLoadError (502)             a URL source cannot be read
    ├── S3Error (502)                  S3 refused or failed a request
    └── ConfigurationError (500)       a setting is invalid: the server does not start
        └── DataDirectoryInUseError    another loadmaster holds the data directory
"""

from typing import Any


class LoadmasterError(Exception):
    """Raised as the base of every loadmaster error; never raised itself."""

    status_code: int = 500

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code

    def body(self) -> dict[str, Any]:
        """Return the JSON body this error is answered with."""
        return {"error": self.message}


class InvalidRequestError(LoadmasterError):
    """Raised when a request body, field or value is not acceptable."""

    status_code = 400


class RolePermissionsError(InvalidRequestError):
    """Raised when a role's permission JSON is invalid; the body lists every problem."""

    def __init__(self, message: str, main: list[str], tables: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.main_permissions = main
        self.schema_permissions = tables

    def body(self) -> dict[str, Any]:
        """Return the error plus ``main_permissions`` and ``schema_permissions``."""
        return {
            "error": self.message,
            "main_permissions": self.main_permissions,
            "schema_permissions": self.schema_permissions,
        }


class InvalidJSONError(InvalidRequestError):
    """Raised when the request body is not valid JSON."""


class LoadAbortedError(InvalidRequestError):
    """Raised when a load stops at a faulty row: ``on_error: abort``, or ``max_errors`` passed.

    The message names the line and the fault; the load adds how many records it had loaded.
    """


class MalformedBodyError(InvalidRequestError):
    """Raised when the JSON body is not an object (answered in Fastify's envelope, spec §12.1)."""

    content_type = "application/json; charset=utf-8"

    def body(self) -> dict[str, Any]:
        """Return the ``statusCode`` / ``error`` / ``message`` envelope HarperDB uses here."""
        return {"statusCode": 400, "error": "Bad Request", "message": self.message}


class FetchRefusedError(InvalidRequestError):
    """Raised when a server-side fetch for a caller who is not a super user would reach a
    loopback, private, link-local, multicast or unspecified address."""


class AuthenticationError(LoadmasterError):
    """Raised when credentials are missing, wrong, or belong to an inactive user."""

    status_code = 401


class PermissionDeniedError(LoadmasterError):
    """Raised when the caller's role does not allow the operation (HarperDB's 403 body)."""

    status_code = 403
    GENERIC = (
        "This operation is not authorized due to role restrictions and/or invalid database items"
    )

    def __init__(
        self,
        unauthorized_access: list[Any] | None = None,
        invalid_schema_items: list[str] | None = None,
    ) -> None:
        super().__init__(self.GENERIC)
        self.unauthorized_access = list(unauthorized_access or [])
        self.invalid_schema_items = list(invalid_schema_items or [])

    @classmethod
    def restricted(cls, internal_name: str) -> "PermissionDeniedError":
        """Build the refusal of a super-user-only operation, named as HarperDB names it."""
        return cls([f"Operation '{internal_name}' is restricted to 'super_user' roles"])

    def body(self) -> dict[str, Any]:
        """Return HarperDB's permission-failure object."""
        return {
            "error": self.message,
            "unauthorized_access": self.unauthorized_access,
            "invalid_schema_items": self.invalid_schema_items,
        }


class FileOutsideRootsError(LoadmasterError):
    """Raised when a server-side file path resolves outside the caller's file roots."""

    status_code = 403

    def __init__(self, path: str) -> None:
        super().__init__(f"File path '{path}' is outside the allowed file roots")


class NotFoundError(LoadmasterError):
    """Raised when a named thing (user, role, record source) does not exist."""

    status_code = 404


class DatabaseNotFoundError(NotFoundError):
    """Raised when a database does not exist."""

    def __init__(self, database: str, *, status_code: int | None = None) -> None:
        super().__init__(f"database '{database}' does not exist", status_code=status_code)
        self.database = database


class TableNotFoundError(NotFoundError):
    """Raised when a table does not exist in an existing database."""

    def __init__(self, database: str, table: str, *, status_code: int | None = None) -> None:
        super().__init__(f"Table '{database}.{table}' does not exist", status_code=status_code)
        self.database = database
        self.table = table


class ConflictError(LoadmasterError):
    """Raised when a user or role to create already exists, or a role is still in use."""

    status_code = 409


class UnsupportedMediaTypeError(LoadmasterError):
    """Raised when a request's content type is not JSON."""

    status_code = 415


class PayloadTooLargeError(LoadmasterError):
    """Raised when a request body exceeds the configured limit."""

    status_code = 413


class ServerError(LoadmasterError):
    """Raised when an operation fails for a reason the client cannot fix by changing input."""

    status_code = 500


class ServiceUnavailableError(LoadmasterError):
    """Raised when an actor is dead or does not answer within its timeout."""

    status_code = 503


class StorageError(LoadmasterError):
    """Raised when LMDB fails (wrapped with ``from exc``)."""

    status_code = 500


class RequestTimeoutError(LoadmasterError):
    """Raised when a request body arrives too slowly or takes too long (the connection closes)."""

    status_code = 408


class ConfigurationError(LoadmasterError):
    """Raised at start-up when a setting is invalid or unusable; nothing was created yet."""

    status_code = 500


class DataDirectoryInUseError(ConfigurationError):
    """Raised at start-up when another loadmaster process holds the data directory's lock."""


class SystemDatabaseWriteError(PermissionDeniedError):
    """Raised when a write would update or remove anything of the ``system`` database (403)."""

    TEXT = (
        "The 'system' database, tables and records are used internally by HarperDB "
        "and cannot be updated or removed."
    )

    def __init__(self) -> None:
        super().__init__()
        self.message = self.TEXT

    def body(self) -> dict[str, Any]:
        """Return the plain error envelope (not the permission object)."""
        return {"error": self.message}


class RequestSchemaError(MalformedBodyError):
    """Raised when a request fails HarperDB's route schema (400 in Fastify's envelope)."""


class ConnectionFailedError(ServiceUnavailableError):
    """Raised by the client when the server cannot be reached or the connection breaks."""


class UploadInterruptedError(InvalidRequestError):
    """Raised in an upload's job when the client went away before the body was complete."""


class SqlParseError(InvalidRequestError):
    """Raised when the text of a ``sql`` operation does not parse (HarperDB's 400 excerpt)."""

    status_code = 400


class SqlError(ServerError):
    """Raised when a SQL statement fails validation or evaluation (HarperDB answers 500)."""

    status_code = 500


#: HarperDB's answer when a SQL search cannot be run or fails while it runs (sql §16).
SEARCH_PROBLEM = "There was a problem performing this search. Please check the logs and try again."


class EvaluationError(SqlError):
    """Raised when a SQL expression fails while rows are evaluated (alasql would throw)."""

    def __init__(self) -> None:
        super().__init__(SEARCH_PROBLEM)


class TimestampWriteError(PermissionDeniedError):
    """Raised when a role that lists a timestamp attribute writes it through SQL (403)."""

    TEXT = (
        "Internal timestamp attributes - '__createdtime_' and '__updatedtime__' - cannot be "
        "inserted to or updated by HDB users."
    )

    def __init__(self) -> None:
        super().__init__()
        self.message = self.TEXT

    def body(self) -> dict[str, Any]:
        """Return the plain error envelope (not the permission object)."""
        return {"error": self.message}


class WorkerError(LoadmasterError):
    """Raised when the parse worker process dies or fails."""


class LoadError(LoadmasterError):
    """Raised when a streamed load fails after some rows were already committed."""


class UrlLoadError(LoadmasterError):
    """Raised when a URL source cannot be read (the job ends ERROR with this message)."""

    status_code = 502


class S3Error(LoadmasterError):
    """Raised when S3 refuses or fails a request (the job ends ERROR with AWS's message)."""

    status_code = 502


class JobCancelledError(LoadmasterError):
    """Raised inside a job when the server is shutting down and the job must stop."""


class JsonArrayError(LoadmasterError):
    """Raised when a JSON import is not a well-formed top-level array of objects."""
