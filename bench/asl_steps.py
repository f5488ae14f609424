"""ASL core step rates on one core: prints one JSON line per scenario.

Each scenario drives ``evaluate.enter`` state after state, as the engine does per transition
(a context object per state, the decision's output feeding the next state), with no I/O.

    python bench/asl_steps.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from statewise.asl import evaluate
from statewise.asl.decisions import Advance
from statewise.asl.entropy import SeededEntropy
from statewise.asl.model import StateMachine
from statewise.asl.parse import load


def pass_chain(length: int = 100) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for i in range(length):
        body: dict[str, Any] = {
            "Type": "Pass",
            "InputPath": "$.data",
            "Parameters": {"count.$": "$.count", "name.$": "$.name", "fixed": i},
            "ResultPath": "$.data.last",
        }
        if i + 1 < length:
            body["Next"] = f"S{i + 1}"
        else:
            body["End"] = True
        states[f"S{i}"] = body
    return {"StartAt": "S0", "States": states}


def choice_loop() -> dict[str, Any]:
    return {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": {"i": 0}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.i", "NumericLessThan": 1000, "Next": "Inc"}],
                "Default": "Done",
            },
            "Inc": {
                "Type": "Pass",
                "Parameters": {"i.$": "States.MathAdd($.i, 1)"},
                "Next": "Check",
            },
            "Done": {"Type": "Succeed"},
        },
    }


def wide_template() -> dict[str, Any]:
    parameters: dict[str, Any] = {f"f{i}.$": f"$.fields.k{i}" for i in range(20)}
    parameters.update(
        {
            "greeting.$": "States.Format('Hello {} from {}', $.fields.k0, $.fields.k1)",
            "sum.$": "States.MathAdd($.fields.k2, $.fields.k3)",
            "arr.$": "States.Array($.fields.k4, $.fields.k5)",
            "json.$": "States.JsonToString($.fields)",
            "len.$": "States.ArrayLength($.list)",
        }
    )
    return {
        "StartAt": "T",
        "States": {"T": {"Type": "Pass", "Parameters": parameters, "End": True}},
    }


def jsonata_output_template() -> dict[str, Any]:
    """A JSONata Pass whose Output template holds 10 expressions (issue 8's first case)."""
    output: dict[str, Any] = {f"f{i}": f"{{% $states.input.fields.k{i} %}}" for i in range(6)}
    output.update(
        {
            "greeting": "{% 'Hello ' & $states.input.fields.k0 & ' from ' & $name %}",
            "sum": "{% $states.input.fields.k2 + $states.input.fields.k3 %}",
            "count": "{% $count($states.input.list) %}",
            "upper": "{% $uppercase($name) %}",
        }
    )
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "T",
        "States": {"T": {"Type": "Pass", "Output": output, "End": True}},
    }


def jsonata_choice_filter(length: int = 100) -> dict[str, Any]:
    """JSONata Choice states on a filter over the input's items (issue 8's second case),
    chained so that nearly every step is a Choice."""
    states: dict[str, Any] = {}
    for i in range(length):
        after = f"C{i + 1}" if i + 1 < length else "Done"
        states[f"C{i}"] = {
            "Type": "Choice",
            "Choices": [
                {
                    "Condition": "{% $count($states.input.items[price > 100]) > 2 %}",
                    "Next": after,
                }
            ],
            "Default": after,
        }
    states["Done"] = {"Type": "Succeed"}
    return {"QueryLanguage": "JSONata", "StartAt": "C0", "States": states}


def run(
    machine: StateMachine,
    start_input: Any,
    seconds: float,
    variables: dict[str, Any] | None = None,
) -> tuple[int, float, float]:
    """Step through ``machine`` (restarting at the end) for about ``seconds``; returns the
    steps, the wall-clock seconds and this process's CPU seconds (steadier on a busy host)."""
    entropy = SeededEntropy(1)
    base = {
        "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:m:e", "Name": "e"},
        "StateMachine": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:m"},
    }
    steps = 0
    name: str | None = machine.start_at
    value = start_input
    started = time.perf_counter()
    cpu_started = time.process_time()
    deadline = started + seconds
    while True:
        for _ in range(1000):
            if name is None:
                name, value = machine.start_at, start_input
            state = machine.states[name]
            env = evaluate.Env(
                context={**base, "State": {"Name": name, "EnteredTime": "2026-01-01T00:00:00Z"}},
                variables=variables or {},
                entropy=entropy,
                now=1_767_225_600.0,
            )
            decision = evaluate.enter(state, value, env)
            if not isinstance(decision, Advance):
                raise RuntimeError(f"unexpected decision {decision!r}")
            value, name = decision.output, decision.next
            steps += 1
        now = time.perf_counter()
        if now >= deadline:
            return steps, now - started, time.process_time() - cpu_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    fields = {f"k{i}": i for i in range(20)}
    items = {"items": [{"id": i, "price": i * 20} for i in range(10)]}
    scenarios: list[tuple[str, StateMachine, Any, dict[str, Any]]] = [
        ("pass_chain_100", load(pass_chain()), {"data": {"count": 1, "name": "n"}}, {}),
        ("choice_loop_mathadd", load(choice_loop()), {}, {}),
        (
            "template_20_paths_5_intrinsics",
            load(wide_template()),
            {"fields": fields, "list": [1]},
            {},
        ),
        (
            "jsonata_pass_output_10_expressions",
            load(jsonata_output_template()),
            {"fields": fields, "list": [1, 2, 3]},
            {"name": "statewise"},
        ),
        ("jsonata_choice_filter_chain_100", load(jsonata_choice_filter()), items, {}),
    ]
    for label, machine, start, variables in scenarios:
        steps, elapsed, cpu = run(machine, start, args.seconds, variables)
        print(
            json.dumps(
                {
                    "scenario": label,
                    "steps": steps,
                    "seconds": round(elapsed, 3),
                    "steps_per_second": round(steps / elapsed),
                    "us_per_step": round(elapsed / steps * 1e6, 2),
                    "steps_per_cpu_second": round(steps / cpu),
                }
            )
        )


if __name__ == "__main__":
    main()
