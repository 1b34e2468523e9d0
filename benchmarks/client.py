"""A small keep-alive HTTP/1.1 client for the Operations API (stdlib ``http.client``).

The harness measures the server, so its client is the cheapest one the stdlib offers: one
connection, bodies encoded and decoded with msgspec.
"""

import base64
import http.client
import time
from typing import Any

import msgspec

_ENC = msgspec.json.Encoder()
_DEC = msgspec.json.Decoder()
TERMINAL = ("COMPLETE", "ERROR")


class OperationError(RuntimeError):
    """Raised when the server answers an operation with a non-200 status."""

    def __init__(self, status: int, body: Any) -> None:
        message = body.get("error", body) if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.body = body
        self.message = str(message)


class Client:
    """One keep-alive HTTP/1.1 connection to a server on loopback."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 120.0,
    ) -> None:
        self._conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self._headers = {"Content-Type": "application/json"}
        if user is not None and password is not None:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"

    @property
    def headers(self) -> dict[str, str]:
        """Return the headers sent with every POST (content type, authorization)."""
        return dict(self._headers)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def get(self, path: str) -> int:
        """GET ``path``; return the status."""
        self._conn.request("GET", path)
        response = self._conn.getresponse()
        response.read()
        return response.status

    def post_raw(self, body: bytes) -> tuple[int, bytes]:
        """POST raw bytes to ``/``; return the status and the raw answer."""
        self._conn.request("POST", "/", body=body, headers=self._headers)
        response = self._conn.getresponse()
        return response.status, response.read()

    def call(self, body: dict[str, Any]) -> Any:
        """Run one operation; return the decoded answer.

        Raises:
            OperationError: The server answered with a status other than 200.
        """
        status, raw = self.post_raw(_ENC.encode(body))
        answer = _DEC.decode(raw) if raw else None
        if status != 200:
            raise OperationError(status, answer)
        return answer

    def has_operation(self, name: str) -> bool:
        """Tell whether the server knows an operation (an empty body must not say "not found")."""
        try:
            self.call({"operation": name})
        except OperationError as exc:
            return exc.message != f"Operation '{name}' not found"
        return True

    def submit(self, body: dict[str, Any]) -> str:
        """Submit a job; return its id."""
        answer = self.call(body)
        job_id = answer.get("job_id") if isinstance(answer, dict) else None
        if not isinstance(job_id, str):
            raise RuntimeError(f"no job id in {answer!r}")
        return job_id

    def get_job(self, job_id: str) -> dict[str, Any]:
        """Return the job's record; raise when the server does not know it."""
        found = self.call({"operation": "get_job", "id": job_id})
        if not found:
            raise RuntimeError(f"job {job_id} not found")
        record: dict[str, Any] = found[0]
        return record

    def wait(self, job_id: str, timeout: float, interval: float = 0.02) -> dict[str, Any]:
        """Poll ``get_job`` every ``interval`` seconds until the job ends; return its record."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.get_job(job_id)
            if record.get("status") in TERMINAL:
                return record
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {record.get('status')} after {timeout} s")
            time.sleep(interval)

    def run_job(
        self, body: dict[str, Any], timeout: float, interval: float = 0.02
    ) -> tuple[float, dict[str, Any]]:
        """Submit a job, wait for COMPLETE; return the seconds from submit to end, and the record.

        Raises:
            RuntimeError: The job ended in ERROR.
        """
        wall = time.time()
        start = time.perf_counter()
        job_id = self.submit(body)
        record = self.wait(job_id, timeout, interval)
        polled = time.perf_counter() - start
        if record.get("status") != "COMPLETE":
            raise RuntimeError(f"{body.get('operation')} job failed: {record.get('message')}")
        # The server stamps the end in epoch ms on the same clock: exact, unlike the polling.
        end = record.get("end_datetime")
        if isinstance(end, int | float) and 0 < end / 1000 - wall <= polled:
            return float(end / 1000 - wall), record
        return polled, record
