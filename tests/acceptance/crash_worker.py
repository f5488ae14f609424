"""The crash-safety worker: starts the workload's executions on a SQLite file and runs them.

    python tests/acceptance/crash_worker.py DB [--executions 1000] [--invocations LOG]

It may be killed (SIGKILL) at any moment and started again on the same file: starts are
idempotent by name (API-16), so a restarted worker starts only what is missing and then runs
the engine until every execution has closed. The definitions, inputs, functions and expected
outputs live here so that the test builds its reference run from the very same ones.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

import orjson

from statewise import arns
from statewise.engine.local import LocalTaskRunner, TaskError
from statewise.engine.scheduler import Engine
from statewise.errors import ExecutionAlreadyExists
from statewise.store.sqlite import SqliteStore

FN = "arn:aws:lambda:us-east-1:123456789012:function:work"
RETRY = [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 3}]


def _work_task(step: str, nxt: str | None = None, **extra: Any) -> dict[str, Any]:
    """A Task calling ``work`` with a Retry with backoff for its deliberate first failures."""
    task: dict[str, Any] = {
        "Type": "Task",
        "Resource": FN,
        "Parameters": {
            "id.$": "$.id",
            "value.$": "$.value",
            "flaky.$": "$.flaky",
            "step": step,
        },
        "Retry": RETRY,
        **extra,
    }
    task.update({"Next": nxt} if nxt else {"End": True})
    return task


# Four machines: a sequence, a Parallel, a Map with MaxConcurrency and a Map of Parallels.
# State names are unique across each machine (ASL requires it), so a history's branch is
# known by its first state's name.
DEFINITIONS: dict[str, dict[str, Any]] = {
    "sequence": {
        "StartAt": "Seq.Start",
        "States": {
            "Seq.Start": {
                "Type": "Pass",
                "Result": True,
                "ResultPath": "$.started",
                "Next": "Seq.Wait",
            },
            "Seq.Wait": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Seq.Work"},
            "Seq.Work": _work_task("seq", "Seq.Check", ResultPath="$.work"),
            "Seq.Check": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.work.value", "NumericGreaterThan": 1000, "Next": "Seq.Big"}
                ],
                "Default": "Seq.Small",
            },
            "Seq.Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": True},
            "Seq.Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
        },
    },
    "parallel": {
        "StartAt": "Par",
        "States": {
            "Par": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Par.A.Wait",
                        "States": {
                            "Par.A.Wait": {
                                "Type": "Wait",
                                "SecondsPath": "$.wait",
                                "Next": "Par.A.Work",
                            },
                            "Par.A.Work": _work_task("a"),
                        },
                    },
                    {
                        "StartAt": "Par.B.Work",
                        "States": {
                            "Par.B.Work": _work_task("b", "Par.B.Pass"),
                            "Par.B.Pass": {"Type": "Pass", "End": True},
                        },
                    },
                    {
                        "StartAt": "Par.C.Wait",
                        "States": {"Par.C.Wait": {"Type": "Wait", "Seconds": 1, "End": True}},
                    },
                ],
                "ResultSelector": {"a.$": "$[0].value", "b.$": "$[1].value", "c.$": "$[2].id"},
                "ResultPath": "$.par",
                "Next": "Par.Done",
            },
            "Par.Done": {"Type": "Pass", "End": True},
        },
    },
    "map": {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemSelector": {
                    "id.$": "$.id",
                    "value.$": "$$.Map.Item.Value.v",
                    "flaky.$": "$$.Map.Item.Value.f",
                    "wait.$": "$$.Map.Item.Value.w",
                    "index.$": "$$.Map.Item.Index",
                },
                "ItemProcessor": {
                    "StartAt": "Map.Wait",
                    "States": {
                        "Map.Wait": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Map.Work"},
                        "Map.Work": _work_task("map"),
                    },
                },
                "ResultPath": "$.results",
                "Next": "Map.Count",
            },
            "Map.Count": {
                "Type": "Pass",
                "Parameters": {"id.$": "$.id", "count.$": "States.ArrayLength($.results)"},
                "ResultPath": "$.summary",
                "End": True,
            },
        },
    },
    "nested": {
        "StartAt": "Nest",
        "States": {
            "Nest": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {
                    "id.$": "$.id",
                    "value.$": "$$.Map.Item.Value.v",
                    "flaky.$": "$$.Map.Item.Value.f",
                    "wait.$": "$$.Map.Item.Value.w",
                },
                "ItemProcessor": {
                    "StartAt": "Nest.Par",
                    "States": {
                        "Nest.Par": {
                            "Type": "Parallel",
                            "Branches": [
                                {"StartAt": "Nest.X", "States": {"Nest.X": _work_task("nest")}},
                                {
                                    "StartAt": "Nest.Y",
                                    "States": {
                                        "Nest.Y": {
                                            "Type": "Wait",
                                            "SecondsPath": "$.wait",
                                            "Next": "Nest.Z",
                                        },
                                        "Nest.Z": {
                                            "Type": "Pass",
                                            "OutputPath": "$.wait",
                                            "End": True,
                                        },
                                    },
                                },
                            ],
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    },
}
MACHINES = list(DEFINITIONS)
# A few "map" executions are the long tail (eight 2-second waits, two at a time), so the
# workload outlives the test's kills.
LONG_TAIL = 25


def machine_arn(machine: str) -> str:
    return arns.state_machine(f"crash-{machine}")


def execution_name(index: int) -> str:
    return f"e{index:04d}"


def execution_arn(index: int) -> str:
    return arns.execution(f"crash-{machine_of(index)}", execution_name(index))


def machine_of(index: int) -> str:
    return MACHINES[index % len(MACHINES)]


def flaky(index: int) -> int:
    """How many attempts fail before one succeeds: 0, 1 or (rarely) 2."""
    return 2 if index % 10 == 3 else index % 2


def execution_input(index: int) -> dict[str, Any]:
    """The input of execution ``index``: waits of 0-2 s, some tasks failing at first."""
    data: dict[str, Any] = {
        "id": index,
        "value": index * 3,
        "wait": index % 3,
        "flaky": flaky(index),
    }
    if machine_of(index) in ("map", "nested"):
        count = 8 if index < LONG_TAIL * len(MACHINES) and machine_of(index) == "map" else 3
        data["items"] = [
            {
                "v": index * 10 + k,
                "f": flaky(index + k),
                "w": 2 if count == 8 else (index + k) % 3,
            }
            for k in range(count)
        ]
    return data


def input_text(index: int) -> str:
    return orjson.dumps(execution_input(index)).decode()


def expected_output(index: int) -> Any:
    """What execution ``index`` must end with, worked out by hand from the definitions."""
    return output_of(machine_of(index), index, execution_input(index))


def output_of(machine: str, index: int, data: dict[str, Any]) -> Any:
    """What an execution of ``machine`` with input ``data`` ends with."""
    match machine:
        case "sequence":
            value = data["value"] * 2
            return {
                **data,
                "started": True,
                "work": {"id": index, "step": "seq", "value": value},
                "size": "big" if value > 1000 else "small",
            }
        case "parallel":
            return {**data, "par": {"a": data["value"] * 2, "b": data["value"] * 2, "c": index}}
        case "map":
            results = [
                {"id": index, "step": "map", "value": item["v"] * 2} for item in data["items"]
            ]
            return {**data, "results": results, "summary": {"id": index, "count": len(results)}}
        case _:
            return [
                [{"id": index, "step": "nest", "value": item["v"] * 2}, item["w"]]
                for item in data["items"]
            ]


_invocations_fd: int | None = None
# How long each call takes in the worker (0 in the reference run, on virtual time): long
# enough that a kill usually finds task attempts running, whose outcome it loses.
_task_seconds = 0.0


async def work(event: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Doubles ``value``; fails with ``Flaky`` while the retry count is below ``flaky``.

    Deterministic in (input, RetryCount), so an attempt run again after a kill (tasks are
    at-least-once) has the same outcome as the first run of it.
    """
    retry = context["State"]["RetryCount"]
    if _invocations_fd is not None:
        # One unbuffered write per call: a SIGKILL loses nothing already written.
        line = f"{context['Execution']['Id']}|{event['step']}|{event['value']}|{retry}\n"
        os.write(_invocations_fd, line.encode())
    if _task_seconds:
        await asyncio.sleep(_task_seconds)
    if retry < event["flaky"]:
        raise TaskError("Flaky", f"attempt {retry + 1} of {event['step']} fails on purpose")
    return {"id": event["id"], "step": event["step"], "value": event["value"] * 2}


FUNCTIONS = {"work": work}


async def _start(engine: Engine, index: int) -> str:
    machine = machine_of(index)
    try:
        record = await engine.start_execution(
            state_machine_arn=machine_arn(machine),
            name=execution_name(index),
            definition=orjson.dumps(DEFINITIONS[machine]).decode(),
            input_text=input_text(index),
        )
    except ExecutionAlreadyExists:
        return execution_arn(index)  # finished before an earlier kill
    return record.arn


async def run(path: str, executions: int) -> None:
    store = SqliteStore(path)  # synchronous=FULL: each commit is durable when it returns
    await store.open()
    engine = Engine(store, LocalTaskRunner(FUNCTIONS))
    await engine.start()
    print("running", flush=True)
    started = await asyncio.gather(*(_start(engine, i) for i in range(executions)))
    print("started", flush=True)
    await asyncio.gather(*(engine.wait_for(arn) for arn in started))
    await engine.stop()
    await store.close()
    print("done", flush=True)


def main() -> None:
    global _invocations_fd, _task_seconds
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db")
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--invocations", default=None, help="append one line per task call")
    parser.add_argument("--task-seconds", type=float, default=0.1)
    args = parser.parse_args()
    _task_seconds = args.task_seconds
    if args.invocations:
        _invocations_fd = os.open(args.invocations, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    asyncio.run(run(args.db, args.executions))
    sys.exit(0)


if __name__ == "__main__":
    main()
