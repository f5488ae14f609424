"""StartExecution requests/s and StartSyncExecution latency against a real server.

Starts ``statewise serve`` on a free loopback port with a fresh data directory, then drives
it from a concurrent HTTP load generator (one keep-alive connection per thread) and prints
JSON.

    python bench/api_start.py [--requests 5000] [--concurrency 32] [--sync-calls 500]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import httpx

ROLE = "arn:aws:iam::123456789012:role/bench"
WAIT = {
    "StartAt": "W",
    "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}},
}
THREE = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "Next": "B"},
        "B": {"Type": "Pass", "ResultPath": "$.b", "Result": 1, "Next": "C"},
        "C": {"Type": "Succeed"},
    },
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Connection:
    """One keep-alive HTTP/1.1 connection (the load generator uses one per thread)."""

    def __init__(self, port: int) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        self.http.request(
            "POST",
            "/",
            body=json.dumps(body),
            headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": f"AWSStepFunctions.{action}",
            },
        )
        response = self.http.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{action}: {response.status} {data!r}")
        result: dict[str, Any] = json.loads(data)
        return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(port: int, requests: int, concurrency: int, sync_calls: int) -> dict[str, Any]:
    setup = Connection(port)
    standard = setup.call(
        "CreateStateMachine",
        {"name": "bench-wait", "definition": json.dumps(WAIT), "roleArn": ROLE},
    )
    express = setup.call(
        "CreateStateMachine",
        {"name": "bench-sync", "definition": json.dumps(THREE), "roleArn": ROLE, "type": "EXPRESS"},
    )
    counter = itertools.count()
    lock = threading.Lock()

    def worker() -> None:
        connection = Connection(port)
        while True:
            with lock:
                i = next(counter)
            if i >= requests:
                return
            connection.call(
                "StartExecution", {"stateMachineArn": standard["stateMachineArn"], "name": f"e{i}"}
            )

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    start_elapsed = time.perf_counter() - started

    latencies = []
    for i in range(sync_calls):
        before = time.perf_counter()
        result = setup.call(
            "StartSyncExecution",
            {"stateMachineArn": express["stateMachineArn"], "input": json.dumps({"v": i})},
        )
        latencies.append((time.perf_counter() - before) * 1000)
        if result["status"] != "SUCCEEDED":
            raise RuntimeError(result)
    return {
        "start_requests": requests,
        "concurrency": concurrency,
        "start_seconds": round(start_elapsed, 3),
        "starts_per_second": round(requests / start_elapsed),
        "sync_calls": sync_calls,
        "sync_p50_ms": round(statistics.median(latencies), 2),
        "sync_p99_ms": round(percentile(latencies, 0.99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sync-calls", type=int, default=500)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "statewise",
                "serve",
                "--port",
                str(port),
                "--data-dir",
                data_dir,
                "--log-level",
                "warning",
            ],
            env=dict(os.environ),
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(url + "/health", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            result = measure(port, args.requests, args.concurrency, args.sync_calls)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
