"""The client commands as real subprocesses against a real server, with and without a TTY."""

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadmaster.instance import Instance
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_PASSWORD
from tests.remote_fixtures import refused_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def env_for(server: BackgroundServer, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LOADMASTER_URL": server.url,
        "LOADMASTER_USER": "HDB_ADMIN",
        "LOADMASTER_PASSWORD": ADMIN_PASSWORD,
        **extra,
    }


def cli(
    server: BackgroundServer, *args: str, stdin: bytes | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadmaster", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=env_for(server, **env),
        timeout=120,
        check=False,
    )


@pytest.fixture
def dog(instance: Instance) -> Instance:
    instance.operation(
        {"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"}
    )
    return instance


@pytest.fixture
def dogs_csv(tmp_path: Path) -> Path:
    path = tmp_path / "dogs.csv"
    path.write_text("id,name\n" + "".join(f"{i},dog{i}\n" for i in range(5000)))
    return path


def test_version(server: BackgroundServer) -> None:
    done = cli(server, "--version")
    assert (done.returncode, done.stdout.strip()) == (0, "loadmaster 0.1.0")


def test_load_a_file_without_a_tty(server: BackgroundServer, dog: Instance, dogs_csv: Path) -> None:
    done = cli(server, "load", str(dogs_csv), "--table", "dev.dog")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "successfully loaded 5000 of 5000 records\n"
    # Plain progress lines on stderr, the last one with the final counters.
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("dev.dog: COMPLETE, 5,000 rows, 100.0%, "), done.stderr
    assert last.endswith(", 0 rejected")


def test_load_stdin_as_json_output(server: BackgroundServer, dog: Instance) -> None:
    done = cli(
        server,
        "load",
        "-",
        "--table",
        "dev.dog",
        "--format",
        "csv",
        "--json",
        "--action",
        "upsert",
        stdin=b"id,name\n1,Penny\n2,Kato\n",
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["status"] == "COMPLETE"
    assert record["message"] == "successfully loaded 2 of 2 records"
    assert record["type"] == "csv_upload_load"

    shown = cli(server, "job", record["id"], "--json")
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["id"] == record["id"]
    table = cli(server, "job", record["id"])
    assert "successfully loaded 2 of 2 records" in table.stdout


def test_load_a_local_file_with_on_error_and_validate_only(
    server: BackgroundServer, dog: Instance, tmp_path: Path
) -> None:
    path = tmp_path / "dogs.ndjson"
    path.write_bytes(b'{"id":1}\n{"id":\n{"id":3}\n')
    dry = cli(server, "load", str(path), "--table", "dev.dog", "--validate-only")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == "validated 3 records, 1 with errors"
    done = cli(server, "load", str(path), "--table", "dev.dog", "--on-error", "abort")
    assert done.returncode == 1
    assert "Load aborted at line 2: not valid JSON; 1 records were already loaded" in done.stderr
    skip = cli(server, "load", str(path), "--table", "dev.dog", "--on-error", "skip", "--json")
    assert skip.returncode == 0, skip.stderr
    record = json.loads(skip.stdout)
    # Line 1 was loaded by the aborted run: the insert skips it (counted, as HarperDB does).
    assert (record["message"], record["rejected"]) == ("successfully loaded 1 of 2 records", 1)
    assert record["type"] == "json_upload_load"


def test_no_wait_prints_the_job_id_and_job_wait_follows_it(
    server: BackgroundServer, dog: Instance, dogs_csv: Path
) -> None:
    started = cli(server, "load", str(dogs_csv), "--table", "dev.dog", "--no-wait")
    assert started.returncode == 0, started.stderr
    job_id = started.stdout.strip()
    assert len(job_id) == 36
    waited = cli(server, "job", job_id, "--wait")
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout == "successfully loaded 5000 of 5000 records\n"


def test_a_failed_job_exits_1_with_its_message(server: BackgroundServer, dog: Instance) -> None:
    url = f"http://127.0.0.1:{refused_port()}/dogs.csv"
    done = cli(server, "load", url, "--table", "dev.dog")
    assert done.returncode == 1
    assert "failed: " in done.stderr
    assert "ECONNREFUSED" in done.stderr


def test_refusals_usage_and_connection_errors(server: BackgroundServer, dog: Instance) -> None:
    refused = cli(server, "job", "x", LOADMASTER_PASSWORD="wrong")
    assert (refused.returncode, refused.stderr) == (1, "loadmaster: Login failed (401)\n")
    usage = cli(server, "load", "dogs.csv")
    assert usage.returncode == 2
    assert "--table" in usage.stderr
    bad_table = cli(server, "load", "dogs.csv", "--table", ".dog")
    assert bad_table.returncode == 2
    nowhere = cli(server, "job", "x", LOADMASTER_URL=f"http://127.0.0.1:{refused_port()}")
    assert nowhere.returncode == 2
    assert nowhere.stderr.startswith("loadmaster: cannot reach")
    missing = cli(server, "load", "/nonexistent.csv", "--table", "dev.dog")
    assert (missing.returncode, missing.stderr.splitlines()[-1]) == (
        1,
        "loadmaster: cannot read /nonexistent.csv: No such file or directory (400)",
    )


def test_flags_override_the_environment(server: BackgroundServer, dog: Instance) -> None:
    done = cli(server, "--password", ADMIN_PASSWORD, "job", "x", LOADMASTER_PASSWORD="wrong")
    assert done.returncode == 1
    assert "Job x not found" in done.stderr


def test_export_to_a_server_path(server: BackgroundServer, dog: Instance, tmp_path: Path) -> None:
    cli(server, "load", "-", "--table", "dev.dog", stdin=b"id,name\n1,Penny\n")
    target = tmp_path / "out.json"
    done = cli(server, "export", "--table", "dev.dog", "--to", str(target))
    assert done.returncode == 0, done.stderr
    assert [d["name"] for d in json.loads(target.read_text())] == ["Penny"]
    usage = cli(server, "export", "--to", str(target))
    assert usage.returncode == 2


def test_load_on_a_tty_draws_a_live_bar(
    server: BackgroundServer, dog: Instance, dogs_csv: Path
) -> None:
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "loadmaster", "load", str(dogs_csv), "--table", "dev.dog"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env_for(server, TERM="xterm-256color", COLUMNS="120"),
    )
    os.close(child)
    screen = b""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], deadline - time.monotonic())
            if not ready:
                break
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            screen += data
        assert process.wait(30) == 0, screen
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    text = screen.decode(errors="replace")
    assert "\x1b[" in text  # a terminal gets escape sequences: colours and redraws
    assert "━" in text  # rich's bar
    assert "dev.dog" in text
    assert "100%" in text
    assert "successfully loaded 5000 of 5000 records" in text


def test_sql_prints_rows_as_a_table_or_json(server: BackgroundServer, dog: Instance) -> None:
    dog.operation(
        {
            "operation": "insert",
            "database": "dev",
            "table": "dog",
            "records": [{"id": 1, "name": "Penny"}, {"id": 2, "name": "Kato"}],
        }
    )
    as_json = cli(server, "sql", "SELECT id, name FROM dev.dog ORDER BY id", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [{"id": 1, "name": "Penny"}, {"id": 2, "name": "Kato"}]
    table = cli(server, "sql", "SELECT id, name FROM dev.dog ORDER BY id")
    assert table.returncode == 0
    assert "Penny" in table.stdout
    assert "Kato" in table.stdout
    bad = cli(server, "sql", "SELEKT nonsense")
    assert bad.returncode == 1
    assert "(400)" in bad.stderr


def test_jobs_lists_a_page_with_filters(server: BackgroundServer, dog: Instance) -> None:
    # Each run of the command costs a second or more: few runs, each checking several flags
    # (the client's jobs() test covers the filters one by one).
    loaded = dog.operation(
        {"operation": "csv_data_load", "database": "dev", "table": "dog", "data": "id\n1\n"}
    )["job_id"]
    failed = dog.operation(
        {
            "operation": "csv_url_load",
            "database": "dev",
            "table": "dog",
            "csv_url": f"http://127.0.0.1:{refused_port()}/dogs.csv",
        }
    )["job_id"]
    for job_id in (loaded, failed):
        assert dog.wait_for_job(job_id, timeout=30) is not None

    newest = cli(
        server, "jobs", "--status", "ERROR", "--status", "COMPLETE", "--limit", "1", "--json"
    )
    assert newest.returncode == 0, newest.stderr
    (only,) = json.loads(newest.stdout)
    assert (only["id"], only["status"], only["type"]) == (failed, "ERROR", "csv_url_load")

    table = cli(server, "jobs", "--type", "csv_data_load", "--user", "HDB_ADMIN", COLUMNS="200")
    assert table.returncode == 0, table.stderr
    assert loaded in table.stdout
    assert "successfully loaded 1 of 1 records" in table.stdout
    assert failed not in table.stdout

    bad = cli(server, "jobs", "--status", "DONE")
    assert (bad.returncode, bad.stderr) == (1, "loadmaster: Unknown job status 'DONE' (400)\n")


def test_cancel_ends_a_running_job_that_job_wait_follows(
    quick_stop_server: BackgroundServer, quick_stop_instance: Instance, stalled_url: str
) -> None:
    job_id = quick_stop_instance.operation(
        {"operation": "csv_url_load", "database": "dev", "table": "dog", "csv_url": stalled_url}
    )["job_id"]
    waiting = subprocess.Popen(
        [sys.executable, "-m", "loadmaster", "job", job_id, "--wait"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(quick_stop_server),
    )
    try:
        cancelled = cli(quick_stop_server, "cancel", job_id)
        assert (cancelled.returncode, cancelled.stdout) == (0, f"Cancelling job {job_id}\n")
        out, err = waiting.communicate(timeout=60)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.communicate()
    assert waiting.returncode == 1, (out, err)
    assert "Job was cancelled by HDB_ADMIN" in err
    record = quick_stop_instance.jobs.get(job_id)
    assert record is not None
    assert (record["status"], record["cancelled"], record["cancelled_by"]) == (
        "ERROR",
        True,
        "HDB_ADMIN",
    )

    again = cli(quick_stop_server, "cancel", job_id)
    assert (again.returncode, again.stderr) == (
        1,
        f"loadmaster: Job {job_id} has already finished (409)\n",
    )
