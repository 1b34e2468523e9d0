"""The client follows a job's server-sent events (the contract of ``GET /jobs/<id>/events``).

The server's events route is another issue's; this serves the documented stream from a plain
HTTP server on 127.0.0.1, so the client's side of the contract is tested on its own.
"""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec
import pytest

import loadmaster

RUNNING = {"id": "j1", "status": "IN_PROGRESS", "type": "csv_file_load", "processed": 10}
DONE = {**RUNNING, "status": "COMPLETE", "processed": 20, "message": "successfully loaded 20"}


class _Events(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/jobs/j1/events":
            self.send_response(404)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": "Job nope not found"}')
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        for event, record in (("progress", RUNNING), ("progress", {**RUNNING, "processed": 15})):
            self.wfile.write(f"event: {event}\ndata: ".encode() + msgspec.json.encode(record))
            self.wfile.write(b"\n\n: a comment line\n\n")
        self.wfile.write(b"event: done\ndata: " + msgspec.json.encode(DONE) + b"\n\n")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def events_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Events)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_wait_follows_progress_events_to_the_end(events_url: str) -> None:
    seen: list[int | None] = []
    with loadmaster.Client(events_url, user="u", password="p") as client:
        job = client.wait("j1", timeout=10, on_progress=lambda j: seen.append(j.processed))
    assert seen == [10, 15]
    assert (job.status, job.processed, job.message) == ("COMPLETE", 20, DONE["message"])


def test_a_job_the_caller_cannot_see_is_not_found(events_url: str) -> None:
    with loadmaster.Client(events_url) as client, pytest.raises(loadmaster.NotFoundError) as err:
        client.wait("nope", timeout=10)
    assert err.value.message == "Job nope not found"
