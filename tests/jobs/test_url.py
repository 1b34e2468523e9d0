"""csv_url_load against a real HTTP server on 127.0.0.1: success, and every way it fails."""

from typing import Any

import pytest

from loadmaster.errors import LoadmasterError
from loadmaster.jobs.csv_load import BATCH_ROWS
from loadmaster.jobs.parallel_load import BATCH_ROWS as PARALLEL_BATCH_ROWS
from loadmaster.jobs.url import load_csv_url, shown_url, validate_url_load
from loadmaster.storage import Store
from tests.remote_fixtures import HttpSource, make_job, refused_port

CSV = (
    b'id,name,meta,zip\n1,"two\nlines","{""a"": [1, 2]}",007\n'
    b'2,"quote "" here","[1, {""b"": null}]",17\n'
)

# The servers on 127.0.0.1 and the store are fixtures shared by the URL and S3 tests.
pytest_plugins = ["tests.remote_fixtures"]


def rows(store: Store, table: str = "t") -> list[dict[str, Any]]:
    found = [
        {k: v for k, v in r.items() if not k.startswith("__")}
        for r in store.table("data", table).scan()
    ]
    return sorted(found, key=lambda r: r["id"])


@pytest.fixture
def store(job_store: Store) -> Store:
    job_store.create_table("data", "t", "id")
    return job_store


def load(store: Store, url: str, headers: dict[str, Any] | None = None, **settings: Any) -> str:
    job = make_job(store, **settings)
    return load_csv_url(job, url, headers=headers, db="data", table="t", action="insert")


def failure(store: Store, url: str, **settings: Any) -> str:
    with pytest.raises(LoadmasterError) as caught:
        load(store, url, **settings)
    return caught.value.message


@pytest.mark.parametrize(
    ("table", "csv_url", "action", "problems"),
    [
        ("t", "http://example.com/a.csv", "insert", []),
        ("t", "https://example.com/a.csv?x=1#f", "upsert", []),
        (None, None, "insert", ["'table' is required", "'csv_url' is required"]),
        ("t", "not a url", "insert", ["'csv_url' must be a valid url"]),
        ("t", "example.com/a.csv", "insert", ["'csv_url' must be a valid url"]),
        ("t", 5, "insert", ["'csv_url' must be a string"]),
        ("t", "", "insert", ["'csv_url' is not allowed to be empty"]),
        ("t", "http://x/a", "merge", ["'action' must be one of [insert, update, upsert]"]),
        ("t", "http://x/a", None, ["'action' must be one of [insert, update, upsert]"]),
    ],
)
def test_validate_url_load(table: Any, csv_url: Any, action: Any, problems: list[str]) -> None:
    assert validate_url_load(table, csv_url, action) == problems


def test_validate_passthrough_headers_must_be_an_object() -> None:
    assert validate_url_load("t", "http://x/a", "insert", ["h"]) == [
        "'passthrough_headers' must be of type object"
    ]
    assert validate_url_load("t", "http://x/a", "insert", {"X-A": "1"}) == []


def test_loads_quoted_newlines_and_json_cells_with_charset(
    store: Store, http_source: HttpSource
) -> None:
    url = http_source.add("/a.csv", CSV, content_type="text/csv; charset=utf-8")
    job = make_job(store)
    message = load_csv_url(job, url, headers=None, db="data", table="t", action="insert")
    assert message == "successfully loaded 2 of 2 records"
    assert rows(store) == [
        {"id": 1, "name": "two\nlines", "meta": {"a": [1, 2]}, "zip": "007"},
        {"id": 2, "name": 'quote " here', "meta": [1, {"b": None}], "zip": 17},
    ]
    assert job.counters["bytes_total"] == len(CSV)
    assert job.counters["bytes_read"] == len(CSV)
    assert job.counters["processed"] == 2


@pytest.mark.parametrize(
    "content_type",
    ["text/csv", "application/octet-stream", "text/plain", "application/vnd.ms-excel"],
)
def test_accepts_harperdb_content_types(
    store: Store, http_source: HttpSource, content_type: str
) -> None:
    url = http_source.add("/a.csv", b"id\n1\n", content_type=content_type)
    assert load(store, url) == "successfully loaded 1 of 1 records"


def test_passthrough_headers_are_sent(store: Store, http_source: HttpSource) -> None:
    url = http_source.add("/a.csv", b"id\n1\n")
    load(store, url, headers={"Authorization": "Bearer abc", "X-Count": 3})
    assert http_source.received[-1]["Authorization"] == "Bearer abc"
    assert http_source.received[-1]["X-Count"] == "3"


def test_redirects_are_followed(store: Store, http_source: HttpSource) -> None:
    target = http_source.add("/a.csv", b"id\n1\n2\n")
    url = http_source.add("/old", status=302, content_type=None, headers={"Location": target})
    assert load(store, url) == "successfully loaded 2 of 2 records"


def test_redirect_loop_fails(store: Store, http_source: HttpSource) -> None:
    url = http_source.url("/loop")
    http_source.add("/loop", status=302, content_type=None, headers={"Location": url})
    assert failure(store, url, max_redirects=3) == (
        f"CSV Load failed from URL: {url}, too many redirects (more than 3)"
    )


@pytest.mark.parametrize(
    ("status", "reason"), [(404, "File not found"), (500, "Internal Server Error")]
)
def test_non_200_status(store: Store, http_source: HttpSource, status: int, reason: str) -> None:
    url = http_source.add("/x.csv", b"oops", status=status, reason=reason)
    assert failure(store, url) == (
        f"CSV Load failed from URL: {url}, status code: {status}, message: {reason}"
    )


def test_wrong_and_missing_content_type(store: Store, http_source: HttpSource) -> None:
    html = http_source.add("/page", b"<html></html>", content_type="text/html; charset=utf-8")
    assert failure(store, html) == (
        f"CSV Load failed from URL: {html}, unsupported content type: text/html; charset=utf-8"
    )
    bare = http_source.add("/bare", b"id\n1\n", content_type=None)
    assert failure(store, bare) == (
        f"CSV Load failed from URL: {bare}, unsupported content type: undefined"
    )


def test_empty_body(store: Store, http_source: HttpSource) -> None:
    url = http_source.add("/empty.csv", b"")
    assert failure(store, url) == f"CSV Load failed from URL: {url}, no csv found at url"


def test_connection_refused(store: Store) -> None:
    port = refused_port()
    url = f"http://127.0.0.1:{port}/a.csv"
    assert failure(store, url) == f"connect ECONNREFUSED 127.0.0.1:{port}"


def test_unsupported_scheme(store: Store) -> None:
    assert failure(store, "ftp://127.0.0.1/a.csv") == (
        "CSV Load failed from URL: ftp://127.0.0.1/a.csv, unsupported protocol: ftp:"
    )


def test_stalled_body_times_out(store: Store, http_source: HttpSource) -> None:
    url = http_source.add("/slow.csv", b"id\n1\n2\n", extra_length=100, mode="stall")
    assert failure(store, url, source_read_timeout=0.5) == (
        f"CSV Load failed from URL: {url}, timed out after 0.5 s waiting for data"
    )
    assert rows(store) == []


def test_stalled_headers_time_out(store: Store, http_source: HttpSource) -> None:
    url = http_source.add("/slow.csv", mode="stall_headers")
    assert failure(store, url, source_read_timeout=0.5) == (
        f"CSV Load failed from URL: {url}, timed out after 0.5 s waiting for data"
    )


@pytest.mark.parametrize(
    ("threshold", "batch_rows"),
    [(-1, BATCH_ROWS), (0, PARALLEL_BATCH_ROWS)],
    ids=["serial", "worker"],
)
def test_cut_mid_body_reports_committed_rows(
    store: Store, http_source: HttpSource, threshold: int, batch_rows: int
) -> None:
    lines = [b"id,name"] + [b"%d,name %d" % (i, i) for i in range(batch_rows + 5000)]
    body = b"\n".join(lines) + b"\n"
    url = http_source.add("/cut.csv", body, extra_length=4096, mode="cut")
    assert failure(store, url, parallel_load_min_bytes=threshold) == (
        f"CSV Load failed from URL: {url}, connection closed after {len(body)} of "
        f"{len(body) + 4096} bytes (after loading {batch_rows} records)"
    )
    assert store.table("data", "t").record_count() == batch_rows


def test_cut_before_a_batch_commits_writes_nothing(store: Store, http_source: HttpSource) -> None:
    url = http_source.add("/cut.csv", b"id\n1\n2\n", extra_length=10, mode="cut")
    assert failure(store, url) == (
        f"CSV Load failed from URL: {url}, connection closed after 7 of 17 bytes"
    )
    assert rows(store) == []


def test_password_in_url_is_masked(store: Store, http_source: HttpSource) -> None:
    url = http_source.url("/missing.csv").replace("//", "//user:s3cret@")
    message = failure(store, url)
    assert "s3cret" not in message
    assert message.startswith("CSV Load failed from URL: http://user:***@127.0.0.1:")
    assert shown_url("http://a.b/c") == "http://a.b/c"
