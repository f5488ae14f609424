"""StartExecution requests/s and StartSyncExecution latency against a real server.

Starts ``statewise serve`` on a free loopback port with a fresh data directory, then drives
StartExecution (unique names, a Standard machine that waits an hour) from two load
generators in turn and prints one JSON object:

- ``python``: threads, one keep-alive HTTP/1.1 connection each. It shares the GIL across its
  threads, so on a small machine it measures itself as much as the server.
- ``wrk`` (when the ``wrk`` binary is on PATH): a C load generator with a Lua script, the
  figure to compare with the target.

Each reports requests/s, latency percentiles in ms and the server's CPU time per request
(user + system, from /proc: steadier than requests/s when other work shares the machine).
Then StartSyncExecution's p50/p99 for a 3-state Express machine, called one at a time.

    python bench/api_start.py [--requests 5000] [--concurrency 32] [--wrk-seconds 10]
        [--wrk-threads 2] [--no-wrk] [--sync-calls 500]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
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
HEADERS = {"Content-Type": "application/x-amz-json-1.0"}
# wrk's script: every request a StartExecution with a name unique across threads and runs
# (the run tag and thread number prefix a per-thread counter); done() prints the figures as
# one JSON line so nothing depends on wrk's text layout.
WRK_SCRIPT = """
local threads = 0
function setup(thread)
  thread:set("number", threads)
  threads = threads + 1
end
function init(args)
  arn = args[1]
  prefix = args[2] .. "-" .. number .. "-"
  count = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
  wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartExecution"
end
function request()
  count = count + 1
  local body = '{"stateMachineArn":"' .. arn .. '","name":"' .. prefix .. count .. '"}'
  return wrk.format(nil, "/", nil, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non_2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


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
            headers={**HEADERS, "X-Amz-Target": f"AWSStepFunctions.{action}"},
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


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux), else None."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    # Fields after the parenthesized command name; utime and stime are the 14th and 15th.
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_cpu(pid: int, requests: int, result: dict[str, Any], before: float | None) -> None:
    after = cpu_seconds(pid)
    if before is not None and after is not None and requests:
        result["server_cpu_us_per_request"] = round((after - before) / requests * 1e6)


def python_load(port: int, pid: int, arn: str, requests: int, concurrency: int) -> dict[str, Any]:
    """StartExecution from ``concurrency`` threads until ``requests`` have been answered."""
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[list[float]] = []

    def worker() -> None:
        connection = Connection(port)
        mine: list[float] = []
        latencies.append(mine)
        while True:
            with lock:
                i = next(counter)
            if i >= requests:
                return
            before = time.perf_counter()
            connection.call("StartExecution", {"stateMachineArn": arn, "name": f"py-{i}"})
            mine.append(time.perf_counter() - before)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    every = [x * 1000 for mine in latencies for x in mine]
    result: dict[str, Any] = {
        "requests": requests,
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(requests / elapsed),
        "p50_ms": round(percentile(every, 0.50), 2),
        "p90_ms": round(percentile(every, 0.90), 2),
        "p99_ms": round(percentile(every, 0.99), 2),
    }
    with_cpu(pid, requests, result, cpu_before)
    return result


def wrk_load(
    wrk: str, port: int, pid: int, arn: str, seconds: int, threads: int, connections: int
) -> dict[str, Any]:
    """StartExecution from wrk for ``seconds``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        cpu_before = cpu_seconds(pid)
        completed = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}/",
                "--",
                arn,
                f"wrk{time.time_ns()}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    if figures["non_2xx"] or figures["socket_errors"]:
        raise RuntimeError(f"wrk saw errors: {figures}")
    requests = figures["requests"]
    result: dict[str, Any] = {
        "threads": threads,
        "connections": connections,
        "seconds": round(figures["duration_us"] / 1e6, 3),
        "requests": requests,
        "requests_per_second": round(requests / (figures["duration_us"] / 1e6)),
        "p50_ms": round(figures["p50_us"] / 1000, 2),
        "p90_ms": round(figures["p90_us"] / 1000, 2),
        "p99_ms": round(figures["p99_us"] / 1000, 2),
        "max_ms": round(figures["max_us"] / 1000, 2),
    }
    with_cpu(pid, requests, result, cpu_before)
    return result


def sync_latency(port: int, arn: str, calls: int) -> dict[str, Any]:
    """StartSyncExecution of the 3-state Express machine, one call at a time."""
    connection = Connection(port)
    latencies = []
    for i in range(calls):
        before = time.perf_counter()
        result = connection.call(
            "StartSyncExecution", {"stateMachineArn": arn, "input": json.dumps({"v": i})}
        )
        latencies.append((time.perf_counter() - before) * 1000)
        if result["status"] != "SUCCEEDED":
            raise RuntimeError(result)
    return {
        "calls": calls,
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
    }


def measure(port: int, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    setup = Connection(port)
    standard = setup.call(
        "CreateStateMachine",
        {"name": "bench-wait", "definition": json.dumps(WAIT), "roleArn": ROLE},
    )["stateMachineArn"]
    express = setup.call(
        "CreateStateMachine",
        {"name": "bench-sync", "definition": json.dumps(THREE), "roleArn": ROLE, "type": "EXPRESS"},
    )["stateMachineArn"]
    result: dict[str, Any] = {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}
    result["python"] = python_load(port, pid, standard, args.requests, args.concurrency)
    wrk = None if args.no_wrk else shutil.which("wrk")
    if wrk is not None:
        result["wrk"] = wrk_load(
            wrk,
            port,
            pid,
            standard,
            args.wrk_seconds,
            args.wrk_threads,
            args.wrk_connections or args.concurrency,
        )
    else:
        result["wrk"] = None
    result["sync"] = sync_latency(port, express, args.sync_calls)
    result["load_after"] = os.getloadavg()[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000, help="Python generator's count")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-connections", type=int, default=0, help="[--concurrency]")
    parser.add_argument("--no-wrk", action="store_true", help="Only the Python generator.")
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
            result = measure(port, server.pid, args)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
