"""Function runtime benchmarks through the HTTP API of a real ``statewise serve``.

Prints one JSON line per figure:
- ``invoke_warm``: Invoke round trip of a no-op Python function on a warm worker, p50/p99
  (target p50 < 2 ms), over one keep-alive connection.
- ``invoke_throughput``: invokes per second with 4 concurrent callers (target >= 1,000/s).
- ``cold_start``: the first Invoke of a newly created Python function (target < 300 ms),
  with the worker's Init Duration from its REPORT line.
- ``workflow_20_tasks``: a Standard execution of 20 Task states calling the function, against
  20 Pass states: the per-task overhead of calling a function from a workflow.

Usage: ``python bench/invoke.py [--seconds 3] [--requests 3000]``.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROLE = "arn:aws:iam::123456789012:role/bench"
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
NOOP = "def handler(event, context):\n    return event\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _zip(code: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", code)
    return buffer.getvalue()


def _emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "statewise",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=Config(retries={"max_attempts": 1}),
        )


def _invoker(port: int, name: str) -> Any:
    """A keep-alive connection and a function that makes one Invoke on it.

    A minimal HTTP/1.1 client on a raw socket (as load generators are): http.client costs
    several times the server's own work per request, and on a small machine the callers'
    CPU would otherwise be what the throughput figure measures.
    """
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request = (
        f"POST /2015-03-31/functions/{name}/invocations HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        "Content-Length: 2\r\n\r\n{}"
    ).encode()
    buffer = bytearray()

    def invoke() -> bytes:
        sock.sendall(request)
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            buffer.extend(chunk)
        end = buffer.index(b"\r\n\r\n") + 4
        head = bytes(buffer[:end]).lower()
        if not head.startswith(b"http/1.1 200") or b"x-amz-function-error" in head:
            raise RuntimeError(f"invoke failed: {bytes(buffer)!r}")
        length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
        while len(buffer) < end + length:
            buffer.extend(sock.recv(65536))
        body = bytes(buffer[end : end + length])
        del buffer[: end + length]
        return body

    return invoke


def bench_warm(server: Server, name: str, requests: int) -> None:
    invoke = _invoker(server.port, name)
    for _ in range(200):
        invoke()
    samples = []
    for _ in range(requests):
        began = time.perf_counter()
        invoke()
        samples.append(time.perf_counter() - began)
    samples.sort()
    _emit(
        bench="invoke_warm",
        requests=requests,
        p50_ms=round(samples[len(samples) // 2] * 1000, 3),
        p99_ms=round(samples[int(len(samples) * 0.99)] * 1000, 3),
        mean_ms=round(statistics.fmean(samples) * 1000, 3),
        target_p50_ms=2.0,
    )


def bench_throughput(server: Server, name: str, seconds: float, callers: int = 4) -> None:
    counts = [0] * callers
    stop = time.monotonic() + seconds
    start = threading.Barrier(callers + 1)

    def caller(index: int) -> None:
        invoke = _invoker(server.port, name)
        invoke()
        start.wait()
        while time.monotonic() < stop:
            invoke()
            counts[index] += 1

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    stop = began + seconds
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    _emit(
        bench="invoke_throughput",
        callers=callers,
        seconds=round(elapsed, 2),
        invokes=sum(counts),
        invokes_per_second=round(sum(counts) / elapsed),
        target_per_second=1000,
    )


def bench_cold(server: Server, rounds: int = 5) -> None:
    """The first Invoke of new functions: the whole round trip, and the worker's own Init
    Duration as its REPORT line gives it."""
    lam = server.client("lambda")
    totals, inits = [], []
    for index in range(rounds):
        name = f"cold-{index}"
        lam.create_function(
            FunctionName=name,
            Runtime=RUNTIME,
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": _zip(NOOP)},
        )
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        began = time.perf_counter()
        connection.request(
            "POST",
            f"/2015-03-31/functions/{name}/invocations",
            body=b"{}",
            headers={"X-Amz-Log-Type": "Tail"},
        )
        response = connection.getresponse()
        response.read()
        totals.append(time.perf_counter() - began)
        report = base64.b64decode(response.getheader("X-Amz-Log-Result") or "").decode()
        for part in report.split("\t"):
            if part.startswith("Init Duration: "):
                inits.append(float(part.split()[2]))
        connection.close()
    _emit(
        bench="cold_start",
        rounds=rounds,
        p50_ms=round(statistics.median(totals) * 1000, 1),
        max_ms=round(max(totals) * 1000, 1),
        init_duration_p50_ms=round(statistics.median(inits), 1) if inits else None,
        target_ms=300,
    )


def _execution_seconds(sfn: Any, machine: str) -> float:
    arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.005)
    if described["status"] != "SUCCEEDED":
        raise RuntimeError(f"execution failed: {described}")
    return float((described["stopDate"] - described["startDate"]).total_seconds())


def bench_workflow(server: Server, name: str, tasks: int = 20, runs: int = 5) -> None:
    sfn = server.client("stepfunctions")

    def chain(state: dict[str, Any]) -> str:
        states = {}
        for index in range(tasks):
            states[f"S{index}"] = {**state, "Next": f"S{index + 1}"}
        states[f"S{tasks - 1}"] = {**state, "End": True}
        return json.dumps({"StartAt": "S0", "States": states})

    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": name, "Payload.$": "$"},
        "OutputPath": "$.Payload",
    }
    machines = {}
    for kind, state in (("task", task), ("pass", {"Type": "Pass"})):
        machines[kind] = sfn.create_state_machine(
            name=f"bench-{kind}-{os.getpid()}", definition=chain(state), roleArn=ROLE
        )["stateMachineArn"]
    _execution_seconds(sfn, machines["task"])
    timings = {
        kind: statistics.median(_execution_seconds(sfn, arn) for _ in range(runs))
        for kind, arn in machines.items()
    }
    _emit(
        bench="workflow_20_tasks",
        tasks=tasks,
        runs=runs,
        task_workflow_ms=round(timings["task"] * 1000, 1),
        pass_workflow_ms=round(timings["pass"] * 1000, 1),
        per_task_ms=round(timings["task"] / tasks * 1000, 2),
        per_task_overhead_over_pass_ms=round((timings["task"] - timings["pass"]) / tasks * 1000, 2),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="throughput run length")
    parser.add_argument("--requests", type=int, default=3000, help="warm round trips")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="statewise-bench-") as data:
        server = Server(Path(data))
        try:
            lam = server.client("lambda")
            lam.create_function(
                FunctionName="noop",
                Runtime=RUNTIME,
                Role=ROLE,
                Handler="app.handler",
                Code={"ZipFile": _zip(NOOP)},
            )
            bench_warm(server, "noop", args.requests)
            bench_throughput(server, "noop", args.seconds)
            bench_cold(server)
            bench_workflow(server, "noop")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
