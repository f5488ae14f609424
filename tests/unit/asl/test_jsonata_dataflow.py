"""JSONata data flow through states (QL-2..QL-8, ASL-CHOICE-11, ASL-MAP-2, ASL-WAIT, ASL-FAIL).

AWS documentation: "Transforming data with JSONata in Step Functions", "Processing input and
output in Step Functions", and the state pages (Choice, Map, Wait, Fail); cause texts and
field names as observed on AWS (checklist QL-6, QL-7).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from statewise.asl import evaluate
from statewise.asl.decisions import Fail, Invoke, RunIterations, Wait
from statewise.asl.entropy import SeededEntropy
from statewise.asl.errors import StatesError
from statewise.asl.parse import load

from .runner import TaskError, run

FN = "arn:aws:lambda:us-east-1:123456789012:function:f"
PREFIX = "An error occurred while executing the state 'S' (entered at the event id #0). "
QUERY = StatesError.QUERY_EVALUATION_ERROR


def one(body: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A machine of state ``S``; a Choice's rules go to the terminal state ``T``."""
    body = dict(body)
    machine: dict[str, Any] = {"S": body}
    if body["Type"] == "Choice":
        machine["T"] = {"Type": "Succeed"}
    elif body["Type"] not in ("Succeed", "Fail") and "Next" not in body:
        body["End"] = True
    return {"QueryLanguage": "JSONata", "StartAt": "S", "States": machine, **top}


def states(first: str, **bodies: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": first, "States": bodies}


def echo(payload: Any) -> Any:
    return {"echo": payload}


TASKS = {FN: echo}


@pytest.mark.parametrize(
    ("body", "input", "expected"),
    [
        pytest.param({"Type": "Pass"}, {"a": 1}, {"a": 1}, id="QL-5-pass-without-output"),
        pytest.param(
            {"Type": "Pass", "Output": {"x": "{% $states.input.a %}", "lit": "$.a", "n": [1]}},
            {"a": 1},
            {"x": 1, "lit": "$.a", "n": [1]},
            id="QL-2-template-and-literals",
        ),
        pytest.param(
            {"Type": "Pass", "Output": {"a": {"b": ["{% $states.input.a %}", {"c": "{% 2 %}"}]}}},
            {"a": 1},
            {"a": {"b": [1, {"c": 2}]}},
            id="QL-2-expressions-at-any-depth",
        ),
        pytest.param(
            {"Type": "Pass", "Output": "{% $states.input.a * 10 %}"},
            {"a": 1},
            10,
            id="QL-2-output-as-one-expression",
        ),
        pytest.param(
            {"Type": "Pass", "Output": {"v": "{% $lookup($states.input, 'bar') %}"}},
            {"bar": None},
            {"v": None},
            id="QL-6-null-keeps-its-key",
        ),
        pytest.param({"Type": "Succeed", "Output": "{% 'done' %}"}, {}, "done", id="succeed"),
        pytest.param({"Type": "Task", "Resource": FN}, {"a": 1}, {"echo": {"a": 1}}, id="QL-5-t"),
        pytest.param(
            {
                "Type": "Task",
                "Resource": FN,
                "Arguments": {"FunctionName": "f", "Payload": "{% $states.input.a %}"},
                "Output": "{% $states.result.echo.Payload + $states.input.a %}",
            },
            {"a": 1},
            2,
            id="QL-3-arguments-and-output-over-result",
        ),
        pytest.param(
            {
                "Type": "Parallel",
                "Arguments": {"v": "{% $states.input.a %}"},
                "Branches": [
                    {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
                    {
                        "StartAt": "B2",
                        "States": {
                            "B2": {"Type": "Pass", "Output": "{% $states.input.v %}", "End": True}
                        },
                    },
                ],
                "Output": {"all": "{% $states.result %}"},
            },
            {"a": 1},
            {"all": [{"v": 1}, 1]},
            id="QL-3-parallel-arguments",
        ),
    ],
)
def test_data_flow(body: dict[str, Any], input: Any, expected: Any) -> None:
    outcome = run(one(body), input, TASKS)
    assert outcome.failure is None
    assert outcome.output == expected


@pytest.mark.parametrize(
    ("body", "input", "location", "expression"),
    [
        pytest.param(
            {"Type": "Pass", "Output": {"v": "{% $states.input.missing %}"}},
            {},
            "Output/v",
            "$states.input.missing",
            id="QL-6-output-member",
        ),
        pytest.param(
            {"Type": "Pass", "Output": "{% $doesNotExist %}"},
            {},
            "Output",
            "$doesNotExist",
            id="QL-6-whole-output",
        ),
        pytest.param(
            {"Type": "Pass", "Output": {"values": ["{% $nothing %}", 1]}},
            {},
            "Output/values[0]",
            "$nothing",
            id="QL-6-array-element",
        ),
        pytest.param(
            {"Type": "Pass", "Output": {"a": {"b": [[1, "{% $nothing %}"]]}}},
            {},
            "Output/a/b[0][1]",
            "$nothing",
            id="QL-6-nested-array",
        ),
        pytest.param(
            {"Type": "Pass", "Assign": {"x": {"y": "{% $nothing %}"}}},
            {},
            "Assign/x/y",
            "$nothing",
            id="QL-6-assign",
        ),
        pytest.param(
            {"Type": "Task", "Resource": FN, "Arguments": {"FunctionName": "{% $nothing %}"}},
            {},
            "Arguments/FunctionName",
            "$nothing",
            id="QL-6-arguments",
        ),
        pytest.param(
            {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% false %}", "Next": "T"},
                    {"Condition": "{% $nothing %}", "Next": "T"},
                ],
                "Default": "T",
            },
            {},
            "Choices[1]/Condition",
            "$nothing",
            id="QL-6-condition-fails-instead-of-default",
        ),
        pytest.param(
            {
                "Type": "Choice",
                "Choices": [{"Condition": "{% true %}", "Next": "T", "Assign": {"x": "{% $n %}"}}],
            },
            {},
            "Choices[0]/Assign/x",
            "$n",
            id="QL-6-rule-assign",
        ),
        pytest.param(
            {"Type": "Wait", "Seconds": "{% $nothing %}"},
            {},
            "Seconds",
            "$nothing",
            id="QL-6-wait-seconds",
        ),
    ],
)
def test_ql6_undefined_fails_with_the_field_named(
    body: dict[str, Any], input: Any, location: str, expression: str
) -> None:
    outcome = run(one(body), input, TASKS)
    assert outcome.failure is not None
    assert outcome.failure.error == QUERY
    assert outcome.failure.cause == (
        f"{PREFIX}The JSONata expression '{expression}' specified for the field '{location}' "
        "returned nothing (undefined)."
    )
    # QL-8: the EvaluationFailed event comes first, naming the field and the state.
    [evaluation] = outcome.evaluations
    assert (evaluation.error, evaluation.location, evaluation.state) == (QUERY, location, "S")
    assert evaluation.cause == outcome.failure.cause


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        pytest.param(
            {"Type": "Pass", "Output": {"r": "{% $eval('1+1') %}"}},
            "The JSONata expression '$eval('1+1')' specified for the field 'Output/r' threw an "
            "error during evaluation. T1006: Attempted to invoke a non-function",
            id="QL-7-threw-coded",
        ),
        pytest.param(
            {"Type": "Pass", "Output": {"a": "{% 1 %}", "r": "{% $partition(1, 1) %}"}},
            "The JSONata expression '$partition(1, 1)' specified for the field 'Output/r' threw "
            "an error during evaluation: The first argument of $partition must be an array",
            id="QL-7-threw-uncoded-names-the-right-field",
        ),
        pytest.param(
            {
                "Type": "Map",
                "Items": "{% {'foo': 'bar'} %}",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            },
            "The JSONata expression '{'foo': 'bar'}' specified for the field 'Items' returned an "
            "unexpected result type. Expected 'array', but was 'object' for value: "
            '{"foo":"bar"}',
            id="ASL-MAP-2-items-not-an-array",
        ),
        pytest.param(
            {
                "Type": "Map",
                "Items": "{% 1 %}",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            },
            "The JSONata expression '1' specified for the field 'Items' returned an unexpected "
            "result type. Expected 'array', but was 'number' for value: 1",
            id="ASL-MAP-2-items-a-number",
        ),
        pytest.param(
            {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            },
            "Map state input must be an array but was: 1",
            id="ASL-MAP-2-input-not-an-array",
        ),
        pytest.param(
            {"Type": "Choice", "Choices": [{"Condition": "{% 'yes' %}", "Next": "T"}]},
            "The JSONata expression ''yes'' specified for the field 'Choices[0]/Condition' "
            "returned an unexpected result type. Expected 'boolean', but was 'string' for "
            'value: "yes"',
            id="ASL-CHOICE-11-condition-must-be-boolean",
        ),
        pytest.param(
            {"Type": "Fail", "Error": "{% 42 %}"},
            "The JSONata expression '42' specified for the field 'Error' returned an unexpected "
            "result type. Expected 'string', but was 'number' for value: 42",
            id="ASL-FAIL-1-error-must-be-a-string",
        ),
        pytest.param(
            {"Type": "Wait", "Seconds": "{% -1 %}"},
            "The JSONata expression '-1' specified for the field 'Seconds' returned an out of "
            "range value. Expected a value between 0 and 2147483647, but was -1",
            id="ASL-WAIT-1-seconds-not-negative",
        ),
        pytest.param(
            {"Type": "Wait", "Timestamp": "{% 'soon' %}"},
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
            'format string: "soon"',
            id="ASL-WAIT-3-timestamp-expression",
        ),
    ],
)
def test_ql7_errors_and_wrong_types(body: dict[str, Any], cause: str) -> None:
    outcome = run(one(body), 1, TASKS)
    assert outcome.failure is not None
    assert (outcome.failure.error, outcome.failure.cause) == (QUERY, PREFIX + cause)


def test_ql8_query_evaluation_error_is_catchable_by_the_task() -> None:
    """QL-8: a failing Arguments expression goes to the state's Catch; the catcher's Output
    defaults to the error output (QL-5) and reads ``$states.errorOutput``."""
    definition = states(
        "S",
        S={
            "Type": "Task",
            "Resource": FN,
            "Arguments": "{% $nothing %}",
            "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "H"}],
            "End": True,
        },
        H={"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
    )
    outcome = run(definition, {}, TASKS)
    assert outcome.output == "States.QueryEvaluationError"
    assert [e.location for e in outcome.evaluations] == ["Arguments"]


def test_ql8_retrier_sees_query_evaluation_error() -> None:
    definition = one(
        {
            "Type": "Task",
            "Resource": FN,
            "Output": "{% $states.result.nope %}",
            "Retry": [{"ErrorEquals": ["States.QueryEvaluationError"], "MaxAttempts": 2}],
        }
    )
    outcome = run(definition, {}, TASKS)
    assert outcome.retries == [1, 2]
    assert outcome.failure is not None and outcome.failure.error == QUERY


def test_catcher_output_and_error_output() -> None:
    def boom(payload: Any) -> Any:
        raise TaskError("Boom", "it broke")

    definition = states(
        "S",
        S={
            "Type": "Task",
            "Resource": FN,
            "Catch": [
                {
                    "ErrorEquals": ["Boom"],
                    "Next": "H",
                    "Output": {
                        "error": "{% $states.errorOutput.Error %}",
                        "cause": "{% $states.errorOutput.Cause %}",
                        "input": "{% $states.input.a %}",
                    },
                }
            ],
            "End": True,
        },
        H={"Type": "Pass", "End": True},
    )
    outcome = run(definition, {"a": 1}, {FN: boom})
    assert outcome.output == {"error": "Boom", "cause": "it broke", "input": 1}


def test_catcher_without_output_passes_the_error_output() -> None:
    def boom(payload: Any) -> Any:
        raise TaskError("Boom", "it broke")

    definition = states(
        "S",
        S={
            "Type": "Task",
            "Resource": FN,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
            "End": True,
        },
        H={"Type": "Pass", "End": True},
    )
    outcome = run(definition, {"a": 1}, {FN: boom})
    assert outcome.output == {"Error": "Boom", "Cause": "it broke"}


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        pytest.param({"n": 5}, ("Big", {"rule": "big"}), id="ASL-CHOICE-11-first-match-output"),
        pytest.param({"n": 2}, ("Small", {"n": 2}), id="ASL-CHOICE-2-second-rule-no-output"),
        pytest.param({"n": 0}, ("Other", {"default": True}), id="VAR-6-default-uses-state-output"),
    ],
)
def test_choice_rules_outputs(input: Any, expected: tuple[str, Any]) -> None:
    done = {"Type": "Pass", "End": True}
    definition = states(
        "S",
        S={
            "Type": "Choice",
            "Choices": [
                {
                    "Condition": "{% $states.input.n > 3 %}",
                    "Next": "Big",
                    "Output": {"rule": "big"},
                },
                {"Condition": "{% $states.input.n > 1 %}", "Next": "Small"},
            ],
            "Default": "Other",
            "Output": {"default": True},
        },
        Big=done,
        Small=done,
        Other=done,
    )
    outcome = run(definition, input)
    assert (outcome.visited[1], outcome.output) == expected


def test_choice_without_match_or_default() -> None:
    definition = one({"Type": "Choice", "Choices": [{"Condition": "{% false %}", "Next": "T"}]})
    outcome = run(definition, {})
    assert outcome.failure is not None
    assert outcome.failure.error == StatesError.NO_CHOICE_MATCHED


def test_map_items_and_item_selector() -> None:
    """ASL-MAP-3: ItemSelector reads ``$states.context.Map.Item`` and the Map's input."""
    definition = one(
        {
            "Type": "Map",
            "Items": "{% $states.input.list %}",
            "ItemSelector": {
                "index": "{% $states.context.Map.Item.Index %}",
                "value": "{% $states.context.Map.Item.Value %}",
                "tag": "{% $states.input.tag %}",
            },
            "ItemProcessor": {
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Output": "{% $states.input %}", "End": True}},
            },
            "Output": {"results": "{% $states.result %}"},
        }
    )
    outcome = run(definition, {"list": ["a", "b"], "tag": "t"})
    assert outcome.output == {
        "results": [{"index": 0, "value": "a", "tag": "t"}, {"index": 1, "value": "b", "tag": "t"}]
    }


def test_map_items_literal_and_input() -> None:
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    items = [1, "{% $states.input.x %}"]
    literal = one({"Type": "Map", "Items": items, "ItemProcessor": processor})
    assert run(literal, {"x": 2}).output == [1, 2]
    from_input = one({"Type": "Map", "ItemProcessor": processor})
    assert run(from_input, [3, 4]).output == [3, 4]


def env() -> evaluate.Env:
    return evaluate.Env(context={}, variables={"t": 30}, entropy=SeededEntropy(1), now=0.0)


@pytest.mark.parametrize(
    ("body", "check"),
    [
        pytest.param(
            {"Type": "Task", "Resource": FN, "TimeoutSeconds": "{% $t %}", "HeartbeatSeconds": 5},
            lambda d: isinstance(d, Invoke) and (d.timeout_seconds, d.heartbeat_seconds) == (30, 5),
            id="QL-3-timeout-seconds-expression",
        ),
        pytest.param(
            {"Type": "Task", "Resource": FN},
            lambda d: (
                isinstance(d, Invoke) and (d.timeout_seconds, d.timeout_set) == (99_999_999, False)
            ),
            id="ASL-TASK-2-default-timeout",
        ),
        pytest.param(
            {"Type": "Wait", "Seconds": "{% $t * 2 %}"},
            lambda d: isinstance(d, Wait) and d.seconds == 60,
            id="QL-3-wait-seconds-expression",
        ),
        pytest.param(
            {"Type": "Wait", "Timestamp": "{% '2030-01-02T03:04:05Z' %}"},
            lambda d: (
                isinstance(d, Wait) and d.timestamp == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
            ),
            id="QL-3-wait-timestamp-expression",
        ),
        pytest.param(
            {"Type": "Wait", "Seconds": 3},
            lambda d: isinstance(d, Wait) and d.seconds == 3,
            id="ASL-WAIT-1-literal-seconds",
        ),
        pytest.param(
            {
                "Type": "Map",
                "Items": [1],
                "MaxConcurrency": "{% $t - 29 %}",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            },
            lambda d: isinstance(d, RunIterations) and d.max_concurrency == 1,
            id="QL-2-max-concurrency-expression",
        ),
        pytest.param(
            {"Type": "Fail", "Error": "{% 'E' & $t %}", "Cause": "{% 'c' %}"},
            lambda d: isinstance(d, Fail) and (d.failure.error, d.failure.cause) == ("E30", "c"),
            id="ASL-FAIL-1-error-and-cause-expressions",
        ),
    ],
)
def test_scalar_fields_as_expressions(body: dict[str, Any], check: Any) -> None:
    machine = load(one(body))
    assert check(evaluate.enter(machine.states["S"], {}, env()))
