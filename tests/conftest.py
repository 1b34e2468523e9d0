"""Fixtures shared by every test: instances over temp data dirs, servers, no leaked actors;
and the names of the artifacts a run leaves (the jobs page screenshot) in its summary."""

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pykka
import pytest

import loadmaster
from loadmaster.instance import Instance

ADMIN_PASSWORD = "test-admin-password"
#: Files tests leave for people to look at (git-ignored; CI keeps the directory).
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
_STARTED = pytest.StashKey[float]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = time.time()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    # Here, not in the test: under xdist a worker's output never reaches the terminal.
    started = config.stash.get(_STARTED, 0.0)
    if ARTIFACTS.is_dir():
        for path in sorted(ARTIFACTS.iterdir()):
            if path.stat().st_mtime >= started:
                terminalreporter.write_line(f"test artifact: {path}")


def basic(username: str, password: str) -> str:
    """Return a Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


ADMIN_AUTH = basic("HDB_ADMIN", ADMIN_PASSWORD)


def run_job(instance: Instance, **body: Any) -> dict[str, Any]:
    """Submit a job operation, check HarperDB's answer, wait for the end; return the record."""
    answer = instance.operation(dict(body))
    assert answer["message"] == f"Starting job with id {answer['job_id']}"
    assert answer["message"].split(" ")[4] == answer["job_id"]
    record = instance.wait_for_job(answer["job_id"], timeout=60)
    assert record is not None
    return record


@pytest.fixture(autouse=True)
def _no_leaked_actors() -> Iterator[None]:
    yield
    leaked = pykka.ActorRegistry.get_all()
    pykka.ActorRegistry.stop_all()
    assert leaked == [], f"actors left running: {leaked}"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def instance(data_dir: Path) -> Iterator[Instance]:
    with loadmaster.open(data_dir, admin_password=ADMIN_PASSWORD) as db:
        yield db
