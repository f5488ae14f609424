"""Property: evaluating any state on any JSON input yields a decision, never a crash.

Whatever the input, every state of these definitions must end in a decision (possibly a
States.* failure); nothing but statewise's own failure values may come out.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewise.asl import evaluate
from statewise.asl.decisions import (
    Advance,
    Caught,
    Fail,
    Invoke,
    Retry,
    RunBranches,
    RunIterations,
    Wait,
)
from statewise.asl.entropy import SeededEntropy
from statewise.asl.errors import Failure
from statewise.asl.parse import load

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "items", "n", "t", "s"]), inner, max_size=4)
    ),
    max_leaves=12,
)

DEFINITIONS: list[dict[str, Any]] = [
    {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "InputPath": "$.a",
                "Parameters": {
                    "x.$": "$.b",
                    "f.$": "States.Format('{} and {}', $.b, $.n)",
                    "j.$": "States.JsonToString($)",
                    "arr.$": "States.ArrayLength($.items)",
                    "sum.$": "States.MathAdd($.n, 1)",
                    "split.$": "States.StringSplit($.s, ',')",
                    "hash.$": "States.Hash($.s, 'SHA-256')",
                    "ctx.$": "$$.State.Name",
                },
                "ResultPath": "$.a.out",
                "OutputPath": "$.a",
                "End": True,
            }
        },
    },
    {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 3, "Next": "W"},
                    {
                        "And": [
                            {"Variable": "$.s", "IsPresent": True},
                            {"Variable": "$.s", "StringMatches": "a*b"},
                        ],
                        "Next": "W",
                    },
                    {"Variable": "$.t", "TimestampLessThan": "2030-01-01T00:00:00Z", "Next": "W"},
                    {"Not": {"Variable": "$.a", "IsNull": True}, "Next": "F"},
                ],
                "Default": "M",
            },
            "W": {"Type": "Wait", "SecondsPath": "$.n", "Next": "M"},
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                "Next": "T",
            },
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "TimeoutSecondsPath": "$.n",
                "ResultSelector": {"r.$": "$.a"},
                "ResultPath": "$.b.c",
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "F"}],
                "End": True,
            },
            "F": {"Type": "Fail", "ErrorPath": "$.s", "CausePath": "$.a"},
        },
    },
]
MACHINES = [load(d) for d in DEFINITIONS]
DECISIONS = (Advance, Caught, Fail, Invoke, Retry, RunBranches, RunIterations, Wait)


@pytest.mark.parametrize(
    "machine", [pytest.param(m, id=f"definition-{i}") for i, m in enumerate(MACHINES)]
)
@settings(max_examples=150, deadline=None)
@given(value=JSON, result=JSON)
def test_every_state_decides_on_any_input(machine: Any, value: Any, result: Any) -> None:
    env = evaluate.Env(
        context={"State": {"Name": "x"}, "Execution": {"Id": "arn"}},
        entropy=SeededEntropy(3),
    )
    for state in machine.states.values():
        decision = evaluate.enter(state, value, env)
        assert isinstance(decision, DECISIONS)
        if isinstance(decision, Fail):
            assert isinstance(decision.failure, Failure)
            assert decision.failure.error is None or isinstance(decision.failure.error, str)
        if hasattr(state, "result_selector"):
            completed = evaluate.complete(state, value, result, env)
            assert isinstance(completed, DECISIONS)
            failed = evaluate.fail(state, value, Failure("Custom", "c"), env)
            assert isinstance(failed, DECISIONS)
