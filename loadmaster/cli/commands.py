"""The client commands: load, export, jobs, job, cancel, sql.

Each talks to a server through :class:`loadmaster.Client`. Exit codes: 0 when it worked (a
job ended COMPLETE), 1 when the server refused it or the job ended ERROR (the message on
stderr), 2 for usage and connection errors.
"""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table

from loadmaster.cli.progress import Reporter, reporter
from loadmaster.client import Client, Job
from loadmaster.errors import ConnectionFailedError, LoadmasterError

__all__ = ["USAGE", "add_commands", "add_connection", "run_command"]

OK, FAILED, USAGE = 0, 1, 2
DEFAULT_URL = "http://127.0.0.1:9925"
Command = Callable[[Client, argparse.Namespace], int]


def add_connection(
    parser: argparse.ArgumentParser, *, user: bool = True, top: bool = False
) -> None:
    """Add --url, --user, --password and --token (before or after the command's name)."""
    default = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--url", default=default, help=f"server URL (LOADMASTER_URL, default {DEFAULT_URL})"
    )
    if user:
        group.add_argument("--user", default=default, help="user name (LOADMASTER_USER)")
    group.add_argument("--password", default=default, help="password (LOADMASTER_PASSWORD)")
    group.add_argument("--token", default=default, help="operation token (LOADMASTER_TOKEN)")


def _table_name(value: str) -> tuple[str, str]:
    database, dot, table = value.rpartition(".")
    if not table or (dot and not database):
        raise argparse.ArgumentTypeError(f"not a [database.]table: {value!r}")
    return (database or "data"), table


def add_commands(commands: "argparse._SubParsersAction[Any]") -> None:
    """Add the client commands to the ``loadmaster`` parser."""
    load = commands.add_parser("load", help="load a file, stdin, a URL or an S3 object")
    load.add_argument("source", help="a local file, - for stdin, http(s)://, s3://, server:/path")
    load.add_argument("--table", required=True, type=_table_name, help="[database.]table")
    load.add_argument("--action", default="insert", choices=("insert", "update", "upsert"))
    load.add_argument("--encoding", help="utf-8 (default), utf-8-sig, utf-16, latin-1, cp1252")
    load.add_argument("--format", choices=("csv", "ndjson"), help="default: by the suffix")
    load.add_argument(
        "--on-error",
        choices=("continue", "skip", "abort"),
        help="faulty rows: load what can be (default), skip them, or abort at the first",
    )
    load.add_argument(
        "--max-errors", type=int, help="with --on-error skip: fail once more rows were skipped"
    )
    load.add_argument(
        "--validate-only", action="store_true", help="check the whole source, write nothing"
    )
    load.add_argument("--no-wait", action="store_true", help="print the job id and return")
    load.add_argument("--json", action="store_true", help="print the final record as JSON")
    load.set_defaults(command_run=_load)

    export = commands.add_parser("export", help="export a table (or a SQL query) to a file or S3")
    export.add_argument("--table", type=_table_name, help="[database.]table")
    export.add_argument("--sql", help="export the rows of this SELECT instead")
    export.add_argument("--format", default="json", choices=("json", "csv", "ndjson"))
    export.add_argument("--to", required=True, help="a path on the server, or s3://bucket/key")
    export.add_argument("--no-wait", action="store_true")
    export.add_argument("--json", action="store_true")
    export.set_defaults(command_run=_export)

    jobs = commands.add_parser("jobs", help="list jobs, newest first")
    jobs.add_argument("--status", action="append", help="CREATED, IN_PROGRESS, COMPLETE, ERROR")
    jobs.add_argument("--type", action="append", help="a job type, e.g. csv_file_load")
    jobs.add_argument("--user", dest="owner", help="only this user's jobs")
    jobs.add_argument("--limit", type=int, default=20)
    jobs.add_argument("--json", action="store_true")
    jobs.set_defaults(command_run=_jobs)

    job = commands.add_parser("job", help="show one job")
    job.add_argument("id")
    job.add_argument("--wait", action="store_true", help="wait until it ends, with progress")
    job.add_argument("--json", action="store_true")
    job.set_defaults(command_run=_job)

    cancel = commands.add_parser("cancel", help="cancel a queued or running job")
    cancel.add_argument("id")
    cancel.set_defaults(command_run=_cancel)

    sql = commands.add_parser("sql", help="run one SQL statement")
    sql.add_argument("statement")
    sql.add_argument("--json", action="store_true")
    sql.set_defaults(command_run=_sql)

    for parser in (load, export, job, cancel, sql):
        add_connection(parser)
    # `jobs --user` filters (connect as another user with `loadmaster --user X jobs`).
    add_connection(jobs, user=False)


def run_command(args: argparse.Namespace) -> int:
    """Run a client command; return its exit code."""
    env = os.environ
    url = args.url or env.get("LOADMASTER_URL") or DEFAULT_URL
    token = args.token or env.get("LOADMASTER_TOKEN") or None
    user = args.user or env.get("LOADMASTER_USER") or None
    password = args.password or env.get("LOADMASTER_PASSWORD") or None
    command: Command = args.command_run
    try:
        with Client(url, user=user, password=password, token=token) as client:
            return command(client, args)
    except ConnectionFailedError as exc:
        print(f"loadmaster: {exc.message}", file=sys.stderr)
        return USAGE
    except LoadmasterError as exc:
        print(f"loadmaster: {exc.message} ({exc.status_code})", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        print("loadmaster: interrupted (the job goes on on the server)", file=sys.stderr)
        return FAILED


def _print_json(value: Any) -> None:
    print(msgspec.json.encode(value).decode())


def _finish(
    client: Client,
    job_id: str,
    args: argparse.Namespace,
    label: str,
    progress: Reporter | None = None,
) -> int:
    """Wait for a job with progress; print its end; exit 0 when COMPLETE, else 1."""
    if args.no_wait:
        print(job_id)
        return OK
    if progress is None:
        progress = reporter(label)
    try:
        job = client.wait(job_id, on_progress=progress.job if progress else None)
        if progress is not None:
            progress.job(job)
    finally:
        if progress is not None:
            progress.close()
    return _report(job, args.json)


def _report(job: Job, as_json: bool) -> int:
    if as_json:
        _print_json(job)
    if job.status == "ERROR":
        message = job.message if isinstance(job.message, str) else msgspec.json.encode(job.message)
        print(f"loadmaster: job {job.id} failed: {message!s}", file=sys.stderr)
        return FAILED
    if not as_json:
        print(job.message if isinstance(job.message, str) else _dumps(job.result))
        if job.rejected:
            print(f"{job.rejected:,} rows rejected; see `loadmaster job {job.id} --json`")
    return OK


def _dumps(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _load(client: Client, args: argparse.Namespace) -> int:
    database, table = args.table
    options: dict[str, Any] = {}
    for name in ("encoding", "on_error", "max_errors"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if args.validate_only:
        options["validate_only"] = True
    label = f"{database}.{table}"
    source: Any = sys.stdin.buffer if args.source == "-" else args.source
    progress = None if args.no_wait else reporter(label)
    try:
        job_id = client.load(
            source,
            table,
            database,
            args.action,
            format=args.format,
            on_upload=progress.sent if progress else None,
            **options,
        )
    except BaseException:
        if progress is not None:
            progress.close()
        raise
    return _finish(client, job_id, args, label, progress)


def _export(client: Client, args: argparse.Namespace) -> int:
    if (args.table is None) == (args.sql is None):
        print("loadmaster export: give --table or --sql", file=sys.stderr)
        return USAGE
    database, table = args.table or ("data", "")
    job_id = client.export(table, args.to, args.format, database, sql=args.sql)
    return _finish(client, job_id, args, f"export to {args.to}")


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    Console(soft_wrap=True).print(table)


def _jobs(client: Client, args: argparse.Namespace) -> int:
    filters: dict[str, Any] = {"limit": args.limit}
    for name in ("status", "type"):
        values = getattr(args, name)
        if values:
            filters[name] = values if len(values) > 1 else values[0]
    if args.owner:
        filters["user"] = args.owner
    jobs = client.jobs(**filters)
    if args.json:
        _print_json(jobs)
        return OK
    _table(
        ("id", "type", "status", "user", "processed", "message"),
        [(j.id, j.type, j.status, j.user, j.processed, j.message) for j in jobs],
    )
    return OK


def _job(client: Client, args: argparse.Namespace) -> int:
    if args.wait:
        args.no_wait = False
        return _finish(client, args.id, args, f"job {args.id[:8]}")
    job = client.job(args.id)
    if args.json:
        _print_json(job)
    else:
        fields = msgspec.structs.asdict(job)
        _table(("field", "value"), [(k, v) for k, v in fields.items() if v is not None])
    return FAILED if job.status == "ERROR" else OK


def _cancel(client: Client, args: argparse.Namespace) -> int:
    print(client.cancel(args.id))
    return OK


def _sql(client: Client, args: argparse.Namespace) -> int:
    answer = client.sql(args.statement)
    if args.json or not isinstance(answer, list):
        _print_json(answer)
        return OK
    columns: dict[str, None] = {}
    for row in answer:
        if isinstance(row, dict):
            columns.update(dict.fromkeys(row))
    _table(
        list(columns), [[row.get(c) for c in columns] for row in answer if isinstance(row, dict)]
    )
    return OK
