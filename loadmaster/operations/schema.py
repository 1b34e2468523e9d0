"""The Operations API wire contract: one msgspec Struct per operation, tagged on ``operation``.

Fields are wire names. Types are deliberately lenient where HarperDB answers a wrong or missing
value with its own wording (the handlers check those and raise with the exact text); unknown
keys such as a client-sent ``hdb_user`` or ``bypass_auth`` are ignored.
"""

from typing import Any

import msgspec

from loadmaster.names import database_of


class Operation(msgspec.Struct, tag_field="operation", frozen=True, kw_only=True):
    """Base of every Operations API request body; ``operation`` selects the subclass."""

    #: Body credentials (passport-local); used only when no Authorization header is sent.
    username: Any = None
    password: Any = None
    #: Job control, read by job operations only (msgspec Structs cannot share a mixin).
    job_key: Any = None
    timeout: Any = None
    notify_url: Any = None


class DatabaseOp(Operation, frozen=True):
    """An operation naming a database as ``database`` or ``schema`` (default ``data``)."""

    database: Any = None
    schema: Any = None

    @property
    def db(self) -> str:
        """Return the database by HarperDB's rule: ``database``, else ``schema``, else ``data``."""
        return database_of(self.database, self.schema)


class TableOp(DatabaseOp, frozen=True):
    """An operation on one table."""

    table: Any = None


# --- databases, tables, attributes -------------------------------------------------------------


class CreateDatabase(DatabaseOp, tag="create_database", frozen=True):
    """Create a database."""


class CreateSchema(DatabaseOp, tag="create_schema", frozen=True):
    """Create a database (the older name)."""


class DropDatabase(DatabaseOp, tag="drop_database", frozen=True):
    """Drop a database and all its tables."""


class DropSchema(DatabaseOp, tag="drop_schema", frozen=True):
    """Drop a database (the older name)."""


class CreateTable(TableOp, tag="create_table", frozen=True):
    """Create a table with a primary key and, optionally, typed attributes."""

    hash_attribute: Any = None
    primary_key: Any = None
    attributes: Any = None
    audit: Any = None


class DropTable(TableOp, tag="drop_table", frozen=True):
    """Drop a table."""


class CreateAttribute(TableOp, tag="create_attribute", frozen=True):
    """Add an attribute to a table."""

    attribute: Any = None


class DropAttribute(TableOp, tag="drop_attribute", frozen=True):
    """Remove an attribute and its values from a table."""

    attribute: Any = None


class DescribeAll(Operation, tag="describe_all", frozen=True):
    """Describe every user database and its tables."""


class DescribeDatabase(DatabaseOp, tag="describe_database", frozen=True):
    """Describe one database's tables."""


class DescribeSchema(DatabaseOp, tag="describe_schema", frozen=True):
    """Describe one database's tables (the older name)."""


class DescribeTable(TableOp, tag="describe_table", frozen=True):
    """Describe one table."""


# --- records ---------------------------------------------------------------------------------


class Insert(TableOp, tag="insert", frozen=True):
    """Insert records; existing primary keys are skipped."""

    records: Any = None


class Update(TableOp, tag="update", frozen=True):
    """Update records by primary key; missing ones are skipped."""

    records: Any = None


class Upsert(TableOp, tag="upsert", frozen=True):
    """Insert or update records."""

    records: Any = None


class Delete(TableOp, tag="delete", frozen=True):
    """Delete records by primary key (``ids`` or ``hash_values``)."""

    ids: Any = None
    hash_values: Any = None


class SearchById(TableOp, tag="search_by_id", frozen=True):
    """Read records by primary key."""

    ids: Any = None
    hash_values: Any = None
    get_attributes: Any = None


class SearchByHash(TableOp, tag="search_by_hash", frozen=True):
    """Read records by primary key (the older name)."""

    ids: Any = None
    hash_values: Any = None
    get_attributes: Any = None


class SearchByValue(TableOp, tag="search_by_value", frozen=True):
    """Read records whose attribute matches a value, with ``*`` wildcards."""

    search_attribute: Any = None
    search_value: Any = None
    get_attributes: Any = None
    limit: Any = None
    offset: Any = None
    reverse: Any = None
    desc: Any = None


class SearchByConditions(TableOp, tag="search_by_conditions", frozen=True):
    """Read records matching a list of conditions joined by ``and`` / ``or``."""

    conditions: Any = None
    operator: Any = "and"
    get_attributes: Any = None
    limit: Any = None
    offset: Any = None
    sort: Any = None
    reverse: Any = None
    desc: Any = None


# --- jobs ------------------------------------------------------------------------------------


class LoadOp(TableOp, frozen=True):
    """A load into one table: its action, what to do with faulty rows, and the dry run."""

    action: Any = None
    #: ``continue`` (HarperDB's result), ``skip`` faulty rows, or ``abort`` at the first.
    on_error: Any = None
    #: With ``skip``: end the job ERROR once more rows than this were rejected.
    max_errors: Any = None
    #: Read and check the whole source, write nothing.
    validate_only: Any = None


class CsvDataLoad(LoadOp, tag="csv_data_load", frozen=True):
    """Load CSV text from the body into a table, as a job."""

    data: Any = None


class CsvFileLoad(LoadOp, tag="csv_file_load", frozen=True):
    """Load a CSV file from the server's disk into a table, as a job."""

    file_path: Any = None
    #: The file's text encoding (loadmaster's addition; gzip and zstd are recognised).
    encoding: Any = None


class CsvUrlLoad(LoadOp, tag="csv_url_load", frozen=True):
    """Load a CSV file from a URL into a table, as a job."""

    csv_url: Any = None
    passthrough_headers: Any = None
    encoding: Any = None


class ImportFromS3(LoadOp, tag="import_from_s3", frozen=True):
    """Load a CSV or JSON object from S3 into a table, as a job."""

    s3: Any = None
    encoding: Any = None


class JsonDataLoad(LoadOp, tag="json_data_load", frozen=True):
    """Load JSON from the body (NDJSON or array text, or an array of objects), as a job."""

    data: Any = None


class JsonFileLoad(LoadOp, tag="json_file_load", frozen=True):
    """Load an NDJSON or JSON-array file from the server's disk into a table, as a job."""

    file_path: Any = None
    encoding: Any = None


class JsonUrlLoad(LoadOp, tag="json_url_load", frozen=True):
    """Load an NDJSON or JSON-array file from a URL into a table, as a job."""

    json_url: Any = None
    passthrough_headers: Any = None
    encoding: Any = None


class DeleteRecordsBefore(TableOp, tag="delete_records_before", frozen=True):
    """Delete records created before a date, as a job."""

    date: Any = None


class DeleteFilesBefore(TableOp, tag="delete_files_before", frozen=True):
    """Delete records created before a date, as a job (the older name)."""

    date: Any = None


class ExportLocal(Operation, tag="export_local", frozen=True):
    """Export a search result to a file on the server, as a job."""

    format: Any = None
    path: Any = None
    filename: Any = None
    search_operation: Any = None
    #: ``gzip`` compresses the file (``.gz`` added); loadmaster's addition.
    compress: Any = None


class ExportToS3(Operation, tag="export_to_s3", frozen=True):
    """Export a search result to an S3 object, as a job."""

    format: Any = None
    s3: Any = None
    search_operation: Any = None
    compress: Any = None


class GetJob(Operation, tag="get_job", frozen=True):
    """Read one job record by id; with ``wait``, once it has finished or the wait is over."""

    id: Any = msgspec.field(default=msgspec.UNSET)
    wait: Any = None


class CancelJob(Operation, tag="cancel_job", frozen=True):
    """Stop a queued or running job at its next batch boundary."""

    id: Any = None


class DeleteJob(Operation, tag="delete_job", frozen=True):
    """Delete a finished job's record."""

    id: Any = None


class SearchJobs(Operation, tag="search_jobs", frozen=True):
    """List jobs by status, type, user, database, table and creation time, a page at a time."""

    status: Any = None
    type: Any = None
    user: Any = None
    database: Any = None
    table: Any = None
    from_date: Any = None
    to_date: Any = None
    limit: Any = None
    next: Any = None
    order: Any = None


class GetJobErrors(Operation, tag="get_job_errors", frozen=True):
    """Page through the faulty rows a load job found, in line order."""

    id: Any = msgspec.field(default=msgspec.UNSET)
    offset: Any = None
    limit: Any = None


class SearchJobsByStartDate(Operation, tag="search_jobs_by_start_date", frozen=True):
    """List the jobs started strictly between two ISO-8601 dates."""

    from_date: Any = None
    to_date: Any = None


# --- audit log, configuration, system information ---------------------------------------------


class ReadAuditLog(TableOp, tag="read_audit_log", frozen=True):
    """Read a table's audit log by time range, by user name or by primary key."""

    search_type: Any = None
    search_values: Any = None
    limit: Any = None


class DeleteAuditLogsBefore(TableOp, tag="delete_audit_logs_before", frozen=True):
    """Delete a table's audit log entries older than a timestamp, as a job."""

    timestamp: Any = None


class GetConfiguration(Operation, tag="get_configuration", frozen=True):
    """Return the server's configuration (never its secrets)."""


class SystemInformation(Operation, tag="system_information", frozen=True):
    """Describe the host, the process and the databases (all, or the named ``attributes``)."""

    attributes: Any = None


# --- users, roles and tokens -------------------------------------------------------------------
# ``username`` and ``password`` (inherited) name the user being added or altered, or, for
# create_authentication_tokens, the credentials to exchange for tokens.


class AddRole(Operation, tag="add_role", frozen=True):
    """Create a role with a permission object."""

    role: Any = None
    id: Any = None
    permission: Any = None


class AlterRole(Operation, tag="alter_role", frozen=True):
    """Replace a role's permission object (and optionally rename it)."""

    id: Any = None
    role: Any = None
    permission: Any = None


class DropRole(Operation, tag="drop_role", frozen=True):
    """Delete a role no active user holds."""

    id: Any = None


class ListRoles(Operation, tag="list_roles", frozen=True):
    """List every role."""


class AddUser(Operation, tag="add_user", frozen=True):
    """Create a user with a role (by role name) and a password."""

    role: Any = None
    active: Any = None


class AlterUser(Operation, tag="alter_user", frozen=True):
    """Change a user's password, role or active flag."""

    role: Any = None
    active: Any = None


class DropUser(Operation, tag="drop_user", frozen=True):
    """Delete a user."""


class ListUsers(Operation, tag="list_users", frozen=True):
    """List every user with their role (never a password)."""


class UserInfo(Operation, tag="user_info", frozen=True):
    """Describe the calling user and their role."""


class CreateAuthenticationTokens(Operation, tag="create_authentication_tokens", frozen=True):
    """Exchange a username and password for an operation token and a refresh token."""


class RefreshOperationToken(Operation, tag="refresh_operation_token", frozen=True):
    """Exchange a refresh token (in the body or as Bearer) for a new operation token."""

    refresh_token: Any = None


# --- SQL ---------------------------------------------------------------------------------------


class Sql(Operation, tag="sql", frozen=True):
    """Run one SQL statement (SELECT, INSERT, UPDATE or DELETE)."""

    sql: Any = None
