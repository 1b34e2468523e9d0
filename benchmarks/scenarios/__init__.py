"""Every scenario, by the name given on the command line, in the order a full run takes them."""

from collections.abc import Callable

from benchmarks.context import Context
from benchmarks.scenarios.audit import csv_file_load_audit
from benchmarks.scenarios.during_load import get_job_during_load
from benchmarks.scenarios.exports import export_local_csv, export_local_json
from benchmarks.scenarios.get_job import get_job
from benchmarks.scenarios.insert import insert
from benchmarks.scenarios.jobs import burst, small_job
from benchmarks.scenarios.loads import csv_file_load, json_file_load, rss
from benchmarks.scenarios.remote import csv_url_load, export_to_s3, import_from_s3
from benchmarks.scenarios.sql import sql

Scenario = Callable[[Context], None]

SCENARIOS: dict[str, Scenario] = {
    "insert": insert,
    "csv_file_load": csv_file_load,
    "json_file_load": json_file_load,
    "csv_file_load_audit": csv_file_load_audit,
    "export_local_json": export_local_json,
    "export_local_csv": export_local_csv,
    "get_job": get_job,
    "small_job": small_job,
    "burst": burst,
    "get_job_during_load": get_job_during_load,
    "csv_url_load": csv_url_load,
    "import_from_s3": import_from_s3,
    "export_to_s3": export_to_s3,
    "sql": sql,
    "rss": rss,
}

__all__ = ["SCENARIOS", "Scenario"]
