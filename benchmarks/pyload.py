"""Fallback load generator when wrk is unavailable: sequential keep-alive POSTs for a while.

Run as ``python -m benchmarks.pyload '<json args>'``, pinned to one CPU by the caller. Prints one
JSON line: requests per second, p50/p99 latency in ms, and the count of non-200 answers.
"""

import http.client
import json
import os
import sys
import time

from benchmarks.report import percentile

_MAX_REQUESTS = 1_000_000


def main() -> None:
    """Load the server for the given seconds and print the result."""
    args = json.loads(sys.argv[1])
    if hasattr(os, "sched_setaffinity") and args["cpu"] in os.sched_getaffinity(0):
        # Keep the client off the server's core, as wrk is with taskset.
        os.sched_setaffinity(0, {args["cpu"]})
    conn = http.client.HTTPConnection("127.0.0.1", args["port"], timeout=30)
    body = args["body"].encode()
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    end = start + args["seconds"]
    while time.perf_counter() < end and len(latencies) < _MAX_REQUESTS:
        t0 = time.perf_counter()
        conn.request("POST", "/", body=body, headers=args["headers"])
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - t0) * 1e3)
        errors += response.status != 200
    elapsed = time.perf_counter() - start
    conn.close()
    print(
        json.dumps(
            {
                "rps": len(latencies) / elapsed,
                "p50_ms": percentile(latencies, 50),
                "p99_ms": percentile(latencies, 99),
                "errors": errors,
            }
        )
    )


if __name__ == "__main__":
    main()
