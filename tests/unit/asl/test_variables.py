"""Workflow variables in both query languages (VAR-1..VAR-9), through the ASL core's decisions.

AWS documentation: "Passing data between states with variables" (Assign, variable scope,
limits, ``$states`` reserved) and the Choice/Catch pages for where Assign applies.
"""

from __future__ import annotations

from typing import Any

import pytest

from statewise.asl.errors import StatesError

from .runner import TaskError, run

FN = "arn:aws:lambda:us-east-1:123456789012:function:f"
DONE = {"Type": "Succeed"}


def chain(language: str, *bodies: dict[str, Any]) -> dict[str, Any]:
    """States S0, S1, ... in order, the last one ending."""
    states: dict[str, Any] = {}
    for i, body in enumerate(bodies):
        body = dict(body)
        if body["Type"] not in ("Choice", "Succeed", "Fail") and "Next" not in body:
            if i + 1 < len(bodies):
                body["Next"] = f"S{i + 1}"
            else:
                body["End"] = True
        states[f"S{i}"] = body
    return {"QueryLanguage": language, "StartAt": "S0", "States": states}


def jsonata(*bodies: dict[str, Any]) -> dict[str, Any]:
    return chain("JSONata", *bodies)


def jsonpath(*bodies: dict[str, Any]) -> dict[str, Any]:
    return chain("JSONPath", *bodies)


def result(payload: Any) -> Any:
    return {"id": 7, "items": [1, 2]}


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        pytest.param(
            jsonata(
                {"Type": "Pass", "Assign": {"a": "{% $states.input.n %}", "b": [1, "{% 2 %}"]}},
                {"Type": "Pass", "Output": "{% {'a': $a, 'b': $b} %}"},
            ),
            {"a": 5, "b": [1, 2]},
            id="VAR-2-jsonata-assign-then-read",
        ),
        pytest.param(
            jsonpath(
                {"Type": "Pass", "Assign": {"a.$": "$.n", "lit": "$.n", "ctx.$": "$$.State.Name"}},
                {"Type": "Pass", "Parameters": {"a.$": "$a", "lit.$": "$lit", "ctx.$": "$ctx"}},
            ),
            {"a": 5, "lit": "$.n", "ctx": "S0"},
            id="VAR-3-jsonpath-assign-paths-and-literals",
        ),
        pytest.param(
            jsonpath(
                {
                    "Type": "Pass",
                    "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"},
                    "Assign": {"d.$": "$.doubled", "e.$": "States.Format('n={}', $.doubled)"},
                },
                {"Type": "Pass", "Parameters": {"d.$": "$d", "e.$": "$e"}},
            ),
            {"d": 10, "e": "n=10"},
            id="VAR-3-jsonpath-dollar-is-the-parameters-output",
        ),
        pytest.param(
            jsonpath(
                {"Type": "Pass", "Result": {"r": 1}, "Assign": {"r.$": "$.r"}},
                {"Type": "Pass", "InputPath": "$r", "ResultPath": "$.v"},
            ),
            {"r": 1, "v": 1},
            id="VAR-2-variable-in-inputpath",
        ),
        pytest.param(
            jsonpath(
                {
                    "Type": "Task",
                    "Resource": FN,
                    "ResultSelector": {"id.$": "$.id"},
                    "Assign": {"id.$": "$.id"},
                    "ResultPath": None,
                },
                {"Type": "Pass", "Parameters": {"id.$": "$id"}},
            ),
            {"id": 7},
            id="VAR-3-jsonpath-task-result-after-result-selector",
        ),
        pytest.param(
            jsonata(
                {
                    "Type": "Task",
                    "Resource": FN,
                    "Assign": {"id": "{% $states.result.id %}"},
                    "Output": "{% $states.input %}",
                },
                {"Type": "Pass", "Output": "{% $id %}"},
            ),
            7,
            id="VAR-3-jsonata-task-result",
        ),
        pytest.param(
            jsonata(
                {"Type": "Pass", "Assign": {"x": 1, "y": 2}},
                {
                    "Type": "Pass",
                    "Assign": {"x": "{% $y %}", "y": "{% $x %}"},
                    "Output": {"seen": "{% [$x, $y] %}"},
                },
                {
                    "Type": "Pass",
                    "Output": {"before": "{% $states.input.seen %}", "after": "{% [$x, $y] %}"},
                },
            ),
            {"before": [1, 2], "after": [2, 1]},
            id="VAR-4-swap-sees-entry-values",
        ),
        pytest.param(
            jsonpath(
                {
                    "Type": "Pass",
                    "Result": {"x": 1, "y": 2},
                    "Assign": {"x.$": "$.x", "y.$": "$.y"},
                },
                {
                    "Type": "Pass",
                    "Assign": {"x.$": "$y", "y.$": "$x"},
                    "Parameters": {"x.$": "$x", "y.$": "$y"},
                },
                {"Type": "Pass", "Parameters": {"before.$": "$", "x.$": "$x", "y.$": "$y"}},
            ),
            {"before": {"x": 1, "y": 2}, "x": 2, "y": 1},
            id="VAR-4-jsonpath-swap",
        ),
        pytest.param(
            jsonata(
                {"Type": "Wait", "Seconds": 1, "Assign": {"w": "{% $states.input.n %}"}},
                {"Type": "Pass", "Output": "{% $w %}"},
            ),
            5,
            id="VAR-1-wait-assigns",
        ),
    ],
)
def test_assign_and_read(definition: dict[str, Any], expected: Any) -> None:
    outcome = run(definition, {"n": 5}, {FN: result})
    assert outcome.failure is None, outcome.failure
    assert outcome.output == expected


@pytest.mark.parametrize(
    ("language", "n", "assigned"),
    [
        pytest.param("JSONata", 5, {"rule": "big"}, id="VAR-6-matched-rule-assign-jsonata"),
        pytest.param("JSONata", 0, {"state": "default"}, id="VAR-6-default-assign-jsonata"),
        pytest.param("JSONPath", 5, {"rule": "big"}, id="VAR-6-matched-rule-assign-jsonpath"),
        pytest.param("JSONPath", 0, {"state": "default"}, id="VAR-6-default-assign-jsonpath"),
    ],
)
def test_var6_choice_assign_precedence(language: str, n: int, assigned: dict[str, Any]) -> None:
    rule: dict[str, Any] = {"Next": "Done", "Assign": {"rule": "big"}}
    if language == "JSONata":
        rule["Condition"] = "{% $states.input.n > 3 %}"
    else:
        rule.update(Variable="$.n", NumericGreaterThan=3)
    definition = {
        "QueryLanguage": language,
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [rule],
                "Default": "Done",
                "Assign": {"state": "default"},
            },
            "Done": DONE,
        },
    }
    outcome = run(definition, {"n": n})
    assert outcome.variables == assigned


@pytest.mark.parametrize("language", ["JSONata", "JSONPath"])
def test_var6_only_the_catchers_assign_runs(language: str) -> None:
    def boom(payload: Any) -> Any:
        raise TaskError("Boom", "cause")

    catcher: dict[str, Any] = {"ErrorEquals": ["States.ALL"], "Next": "Done"}
    if language == "JSONata":
        catcher["Assign"] = {"error": "{% $states.errorOutput.Error %}"}
        state_assign: dict[str, Any] = {"ok": "{% true %}"}
    else:
        catcher["Assign"] = {"error.$": "$.Error"}
        state_assign = {"ok": True}
    definition = {
        "QueryLanguage": language,
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FN,
                "Assign": state_assign,
                "Catch": [catcher],
                "End": True,
            },
            "Done": DONE,
        },
    }
    outcome = run(definition, {}, {FN: boom})
    assert outcome.variables == {"error": "Boom"}


def branches(*assigns: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "StartAt": f"B{i}",
            "States": {
                f"B{i}": {"Type": "Pass", "Assign": a, "Next": f"R{i}"},
                f"R{i}": {"Type": "Pass", "Output": "{% [$outer, $mine] %}", "End": True},
            },
        }
        for i, a in enumerate(assigns)
    ]


def test_var7_branches_read_outer_write_their_own_and_are_isolated() -> None:
    definition = jsonata(
        {"Type": "Pass", "Assign": {"outer": "o"}},
        {
            "Type": "Parallel",
            "Branches": branches({"mine": "{% 'a' & $outer %}"}, {"mine": "b"}),
        },
        {"Type": "Pass", "Output": {"results": "{% $states.input %}", "mine": "{% $mine %}"}},
    )
    outcome = run(definition, {})
    assert outcome.failure is not None  # VAR-7: ``$mine`` left with its branch
    assert "'$mine' specified for the field 'Output/mine' returned nothing" in str(
        outcome.failure.cause
    )
    assert ("B0", {"mine": "ao"}) in outcome.assigned
    assert outcome.variables == {"outer": "o"}


def test_var7_map_iterations_are_isolated_and_the_result_leaves_by_output() -> None:
    definition = jsonata(
        {"Type": "Pass", "Assign": {"factor": 10}},
        {
            "Type": "Map",
            "Items": "{% [1, 2, 3] %}",
            "ItemProcessor": {
                "StartAt": "I",
                "States": {
                    "I": {"Type": "Pass", "Assign": {"item": "{% $states.input %}"}, "Next": "J"},
                    "J": {"Type": "Pass", "Output": "{% $item * $factor %}", "End": True},
                },
            },
            "Assign": {"products": "{% $states.result %}"},
        },
        {"Type": "Pass", "Output": "{% $products %}"},
    )
    outcome = run(definition, {})
    assert outcome.output == [10, 20, 30]
    assert outcome.variables == {"factor": 10, "products": [10, 20, 30]}


def test_var7_catcher_assign_on_a_parallel_writes_the_outer_scope() -> None:
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}}
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [failing],
                "Catch": [
                    {
                        "ErrorEquals": ["E"],
                        "Next": "Done",
                        "Assign": {"failed": "{% $states.errorOutput.Error %}"},
                    }
                ],
                "End": True,
            },
            "Done": DONE,
        },
    }
    assert run(definition, {}).variables == {"failed": "E"}


def test_var7_distributed_map_iterations_see_no_outer_variables() -> None:
    definition = jsonata(
        {"Type": "Pass", "Assign": {"outer": 1}},
        {
            "Type": "Map",
            "Items": [1],
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "I",
                "States": {"I": {"Type": "Pass", "Output": "{% $exists($outer) %}", "End": True}},
            },
        },
    )
    assert run(definition, {}).output == [False]


@pytest.mark.parametrize(
    ("assign", "cause"),
    [
        pytest.param(
            {"big": "{% $pad('', 262144, 'x') %}"},
            "The state 'S0' assigned the variable 'big' with a size exceeding the maximum number "
            "of bytes service limit.",
            id="VAR-8-one-variable-over-256KiB",
        ),
        pytest.param(
            {"a": "{% $pad('', 140000, 'x') %}", "b": "{% $pad('', 140000, 'y') %}"},
            "The state 'S0' assigned variables with a size exceeding the maximum number of "
            "bytes service limit.",
            id="VAR-8-one-assign-over-256KiB",
        ),
    ],
)
def test_var8_size_limits(assign: dict[str, Any], cause: str) -> None:
    outcome = run(jsonata({"Type": "Pass", "Assign": assign}), {})
    failure = outcome.failure
    assert failure is not None
    prefix = "An error occurred while executing the state 'S0' (entered at the event id #0). "
    assert (failure.error, failure.cause) == (StatesError.DATA_LIMIT_EXCEEDED, prefix + cause)


def test_var8_jsonpath_size_limit() -> None:
    big = "x" * 262_144
    outcome = run(jsonpath({"Type": "Pass", "Result": big, "Assign": {"big.$": "$"}}), {})
    assert outcome.failure is not None
    assert outcome.failure.error == StatesError.DATA_LIMIT_EXCEEDED


def test_var9_unassigned_variable_is_a_query_evaluation_error() -> None:
    outcome = run(jsonata({"Type": "Pass", "Output": "{% $never %}"}), {})
    assert outcome.failure is not None
    assert outcome.failure.error == StatesError.QUERY_EVALUATION_ERROR
    assert outcome.failure.cause is not None
    assert outcome.failure.cause.endswith(
        "The JSONata expression '$never' specified for the field 'Output' returned nothing "
        "(undefined)."
    )


def test_var2_jsonpath_missing_variable_is_runtime() -> None:
    """A JSONPath ``$name`` path to a never-assigned variable selects nothing (PATH-5)."""
    outcome = run(jsonpath({"Type": "Pass", "Parameters": {"v.$": "$never"}}), {})
    assert outcome.failure is not None
    assert outcome.failure.error == StatesError.RUNTIME
