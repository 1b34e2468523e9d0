"""HarperDB's ``sql`` operation: SELECT, INSERT, UPDATE and DELETE over the storage layer.

:func:`run_sql` parses one statement (sqlglot, in an alasql-like dialect), checks it against
the schema and the caller's role, reads rows through the storage indexes the way HarperDB's
two-phase WHERE does, and answers with HarperDB's rows and messages. :func:`prepare_sql`
does the checks up front and leaves the running to an export job, streamed.
"""

from loadmaster.sql.engine import PreparedSql, is_sql_search, prepare_sql, run_sql
from loadmaster.sql.parse import MISSING_SQL

__all__ = ["MISSING_SQL", "PreparedSql", "is_sql_search", "prepare_sql", "run_sql"]
