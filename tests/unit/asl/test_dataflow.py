"""The JSONPath data flow through whole workflows (IO-1..IO-5, PATH-4..PATH-7, ASL-PASS)."""

from __future__ import annotations

from typing import Any

import pytest

from statewise.asl.errors import StatesError

from .runner import run


def machine(*states: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A definition chaining the given states with Next, the last one ending."""
    names = [name for name, _ in states]
    built: dict[str, Any] = {}
    for i, (name, body) in enumerate(states):
        body = dict(body)
        if body["Type"] not in ("Choice", "Succeed", "Fail") and "Next" not in body:
            if i + 1 < len(states):
                body["Next"] = names[i + 1]
            else:
                body["End"] = True
        built[name] = body
    return {"StartAt": names[0], "States": built}


def one(body: dict[str, Any]) -> dict[str, Any]:
    return machine(("S", body))


def test_io1_full_task_data_flow() -> None:
    """IO-1: InputPath -> Parameters -> task -> ResultSelector -> ResultPath -> OutputPath."""
    definition = one(
        {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:calc",
            "InputPath": "$.library",
            "Parameters": {"static": "v", "title.$": "$.book.title", "name.$": "$$.State.Name"},
            "ResultSelector": {"total.$": "$.payload.total", "fixed": 1},
            "ResultPath": "$.taskresult",
            "OutputPath": "$.taskresult",
        }
    )
    seen: list[Any] = []

    def calc(payload: Any) -> Any:
        seen.append(payload)
        return {"payload": {"total": 99, "noise": True}}

    outcome = run(
        definition,
        {"library": {"book": {"title": "T"}}, "other": 1},
        {"arn:aws:lambda:us-east-1:123456789012:function:calc": calc},
    )
    assert seen == [{"static": "v", "title": "T", "name": "S"}]
    assert outcome.failure is None
    assert outcome.output == {"total": 99, "fixed": 1}


@pytest.mark.parametrize(
    ("body", "input", "expected"),
    [
        pytest.param({"Type": "Pass"}, {"a": 1}, {"a": 1}, id="IO-2-defaults-pass-through"),
        pytest.param(
            {"Type": "Pass", "Result": {"x": 1}}, {"a": 1}, {"x": 1}, id="ASL-PASS-2-result"
        ),
        pytest.param(
            {"Type": "Pass", "Result": {"x.$": "$.a"}},
            {"a": 1},
            {"x.$": "$.a"},
            id="ASL-PASS-2-result-is-static",
        ),
        pytest.param(
            {"Type": "Pass", "Result": "r", "ResultPath": "$.r"},
            {"a": 1},
            {"a": 1, "r": "r"},
            id="IO-4-resultpath-adds-member",
        ),
        pytest.param(
            {"Type": "Pass", "Result": "r", "ResultPath": "$.a.b.c"},
            {"a": {"keep": 1}},
            {"a": {"keep": 1, "b": {"c": "r"}}},
            id="IO-4-resultpath-creates-parents-and-merges",
        ),
        pytest.param(
            {"Type": "Pass", "Result": "r", "ResultPath": None},
            {"a": 1},
            {"a": 1},
            id="IO-3-resultpath-null-discards",
        ),
        pytest.param({"Type": "Pass", "InputPath": None}, {"a": 1}, {}, id="IO-3-inputpath-null"),
        pytest.param({"Type": "Pass", "OutputPath": None}, {"a": 1}, {}, id="IO-3-outputpath-null"),
        pytest.param(
            {"Type": "Pass", "InputPath": "$.a", "ResultPath": "$.copy"},
            {"a": {"v": 1}},
            {"a": {"v": 1}, "copy": {"v": 1}},
            id="IO-1-resultpath-merges-into-raw-input",
        ),
        pytest.param(
            {
                "Type": "Pass",
                "Parameters": {"list": [{"x.$": "$.a"}, "lit", {"n": {"y.$": "$.b"}}]},
            },
            {"a": 1, "b": 2},
            {"list": [{"x": 1}, "lit", {"n": {"y": 2}}]},
            id="PATH-4-nested-objects-in-arrays",
        ),
        pytest.param(
            {"Type": "Pass", "Parameters": {"plain": "$.a", "sel.$": "$.a"}},
            {"a": 5},
            {"plain": "$.a", "sel": 5},
            id="PATH-4-path-without-dollar-key-is-literal",
        ),
        pytest.param(
            {"Type": "Pass", "Parameters": {"f.$": "States.Format('Hi {}', $.name)"}},
            {"name": "Ann"},
            {"f": "Hi Ann"},
            id="FN-0-intrinsic-in-parameters",
        ),
        pytest.param(
            {"Type": "Pass", "Parameters": {"all.$": "$.items[*].v"}},
            {"items": [{"v": 1}, {"v": 2}]},
            {"all": [1, 2]},
            id="PATH-1-indefinite-path-in-template",
        ),
        pytest.param(
            {"Type": "Pass", "Parameters": {"v.$": "$order.id"}},
            {},
            {"v": 7},
            id="VAR-2-variable-in-template",
        ),
        pytest.param(
            {"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"},
            {"a": {"b": 3}},
            3,
            id="ASL-SUCCEED-1-paths",
        ),
        pytest.param(
            {"Type": "Wait", "Seconds": 5, "InputPath": "$.a", "End": True},
            {"a": [1]},
            [1],
            id="ASL-WAIT-1-inputpath",
        ),
    ],
)
def test_single_state(body: dict[str, Any], input: Any, expected: Any) -> None:
    outcome = run(one(body), input, variables={"order": {"id": 7}})
    assert outcome.failure is None, outcome.failure
    assert outcome.output == expected


@pytest.mark.parametrize(
    ("body", "input", "error", "cause_part"),
    [
        pytest.param(
            {"Type": "Pass", "Parameters": {"value.$": "$.no_such"}},
            {"a": 1},
            StatesError.RUNTIME,
            "The JSONPath '$.no_such' specified for the field 'value.$' could not be found in "
            "the input '{\"a\":1}'",
            id="PATH-5-missing-template-path-is-runtime",
        ),
        pytest.param(
            {"Type": "Pass", "InputPath": "$.x"},
            {"a": 1},
            StatesError.RUNTIME,
            "Invalid path '$.x' : No results for path: $['x']",
            id="PATH-6-missing-inputpath",
        ),
        pytest.param(
            {"Type": "Pass", "OutputPath": "$.x.y"},
            {"x": {}},
            StatesError.RUNTIME,
            "Invalid path '$.x.y' : No results for path: $['x']['y']",
            id="PATH-6-missing-outputpath",
        ),
        pytest.param(
            {"Type": "Pass", "Result": 1, "ResultPath": "$.a.b"},
            {"a": 5},
            StatesError.RESULT_PATH_MATCH_FAILURE,
            "Unable to apply ResultPath '$.a.b'",
            id="ERR-11-resultpath-through-number",
        ),
        pytest.param(
            {"Type": "Pass", "Result": 1, "ResultPath": "$.a"},
            "text",
            StatesError.RESULT_PATH_MATCH_FAILURE,
            "Unable to apply ResultPath '$.a'",
            id="ERR-11-resultpath-into-string",
        ),
        pytest.param(
            {"Type": "Pass", "Parameters": {"v.$": "$$.Nope"}},
            {},
            StatesError.RUNTIME,
            "The JSONPath '$$.Nope' specified for the field 'v.$' could not be found",
            id="PATH-5-missing-context-path",
        ),
        pytest.param(
            {"Type": "Pass", "Parameters": {"v.$": "States.ArrayGetItem($.l, 5)"}},
            {"l": [1]},
            StatesError.RUNTIME,
            "Invalid arguments in States.ArrayGetItem",
            id="FN-0-intrinsic-failure-is-runtime-as-observed-not-ERR-9-IntrinsicFailure",
        ),
    ],
)
def test_runtime_failures(body: dict[str, Any], input: Any, error: str, cause_part: str) -> None:
    outcome = run(one(body), input)
    assert outcome.failure is not None
    assert outcome.failure.error == error
    cause = outcome.failure.cause or ""
    assert cause.startswith("An error occurred while executing the state 'S' (entered at the event")
    assert cause_part in cause


def test_path7_prefix_names_inner_state() -> None:
    """PATH-7: a failure in a branch names the inner state in its cause."""
    definition = one(
        {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Pass", "InputPath": "$.x", "End": True}},
                }
            ],
        }
    )
    outcome = run(definition, {})
    assert outcome.failure is not None
    assert outcome.failure.error == StatesError.RUNTIME
    assert "executing the state 'Inner'" in (outcome.failure.cause or "")


FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def test_parallel_results_in_branch_order_and_same_input() -> None:
    """ASL-PAR-2: every branch gets the same input; results are in Branches order."""
    definition = one(
        {
            "Type": "Parallel",
            "Parameters": {"n.$": "$.n"},
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": True}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
            ],
            "ResultPath": "$.out",
        }
    )
    outcome = run(definition, {"n": 1, "keep": True})
    assert outcome.output == {"n": 1, "keep": True, "out": ["a", {"n": 1}]}


def test_parallel_fails_with_branch_error_and_is_caught() -> None:
    """ASL-PAR-3: the Parallel fails with the branch's own error, which Catch matches."""
    definition = machine(
        (
            "P",
            {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "ok", "States": {"ok": {"Type": "Pass", "End": True}}},
                    {
                        "StartAt": "boom",
                        "States": {"boom": {"Type": "Fail", "Error": "Custom", "Cause": "why"}},
                    },
                ],
                "Catch": [{"ErrorEquals": ["Custom"], "ResultPath": "$.err", "Next": "After"}],
                "Next": "After",
            },
        ),
        ("After", {"Type": "Pass"}),
    )
    outcome = run(definition, {"in": 1})
    assert outcome.failure is None
    assert outcome.output == {"in": 1, "err": {"Error": "Custom", "Cause": "why"}}


def test_map_items_path_selector_and_context() -> None:
    """ASL-MAP-3: ItemsPath selects the array; ItemSelector sees $$.Map.Item.Index/Value."""
    definition = one(
        {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "k.$": "$.k"},
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            "ResultPath": "$.results",
        }
    )
    outcome = run(definition, {"items": ["a", "b"], "k": 0})
    assert outcome.output == {
        "items": ["a", "b"],
        "k": 0,
        "results": [{"i": 0, "v": "a", "k": 0}, {"i": 1, "v": "b", "k": 0}],
    }


def test_map_legacy_iterator_and_parameters() -> None:
    """ASL-MAP-1: the older Iterator/Parameters fields behave as ItemProcessor/ItemSelector."""
    definition = one(
        {
            "Type": "Map",
            "Parameters": {"v.$": "$$.Map.Item.Value"},
            "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        }
    )
    assert run(definition, [1, 2]).output == [{"v": 1}, {"v": 2}]


def test_map_empty_array_gives_empty_result() -> None:
    """ASL-MAP-4: an empty input array yields []."""
    definition = one(
        {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        }
    )
    assert run(definition, []).output == []


def test_map_items_not_array_is_runtime() -> None:
    """ASL-MAP-2: ItemsPath must point to an array."""
    definition = one(
        {
            "Type": "Map",
            "ItemsPath": "$.x",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        }
    )
    outcome = run(definition, {"x": {"a": 1}})
    assert outcome.failure is not None
    assert outcome.failure.error == StatesError.RUNTIME
    assert 'Reference path "$.x" must point to array.' in (outcome.failure.cause or "")


def test_retry_counters_per_retrier_then_catch() -> None:
    """RETRY-3: each retrier counts its own attempts; an exhausted match goes to Catch.

    The ASL specification's example: errors A, B, C, B with retrier 1 = [A, B] max 2
    (interval 1, backoff 2) and retrier 2 = [C] interval 5 wait 1, 2 and 5 seconds, then
    the fourth error is caught.
    """
    from .runner import TaskError

    errors = iter(["ErrorA", "ErrorB", "ErrorC", "ErrorB"])

    def flaky(payload: Any) -> Any:
        raise TaskError(next(errors), "c")

    definition = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": FN_ARN,
                "Retry": [
                    {
                        "ErrorEquals": ["ErrorA", "ErrorB"],
                        "IntervalSeconds": 1,
                        "BackoffRate": 2.0,
                        "MaxAttempts": 2,
                    },
                    {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5},
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "Next": "Caught",
            },
        ),
        ("Caught", {"Type": "Pass"}),
    )
    outcome = run(definition, {}, {FN_ARN: flaky})
    assert outcome.retries == [1.0, 2.0, 5.0]
    assert outcome.output == {"Error": "ErrorB", "Cause": "c"}


def test_retry_then_success_and_max_attempts_zero() -> None:
    """RETRY-1: MaxAttempts 0 never retries; a later success continues normally."""
    from .runner import TaskError

    calls = []

    def once_bad(payload: Any) -> Any:
        calls.append(payload)
        if len(calls) == 1:
            raise TaskError("Transient")
        return "ok"

    definition = one(
        {
            "Type": "Task",
            "Resource": FN_ARN,
            "Retry": [
                {"ErrorEquals": ["Other"], "MaxAttempts": 0},
                {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3},
            ],
        }
    )
    outcome = run(definition, {"a": 1}, {FN_ARN: once_bad})
    assert outcome.output == "ok"
    assert outcome.retries == [3.0]
    assert calls == [{"a": 1}, {"a": 1}], "RETRY-5: a retry reuses the same effective input"


def test_uncaught_task_failure_keeps_error_and_cause() -> None:
    """CATCH-5: with no matching catcher the scope fails with the task's error."""
    from .runner import TaskError

    def bad(payload: Any) -> Any:
        raise TaskError("MyError", "details")

    definition = one(
        {
            "Type": "Task",
            "Resource": FN_ARN,
            "Catch": [{"ErrorEquals": ["Other"], "Next": "S"}],
        }
    )
    outcome = run(definition, {}, {FN_ARN: bad})
    assert outcome.failure is not None
    assert (outcome.failure.error, outcome.failure.cause) == ("MyError", "details")


def test_catch_resultpath_null_and_default() -> None:
    """CATCH-1/CATCH-2: default ResultPath replaces the input with the error output."""
    from .runner import TaskError

    def bad(payload: Any) -> Any:
        raise TaskError(None, None)

    definition = machine(
        (
            "T",
            {
                "Type": "Task",
                "Resource": FN_ARN,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "End"}],
            },
        ),
        ("End", {"Type": "Pass"}),
    )
    # CATCH-2: a task failed with neither error nor cause gives nulls in the error output.
    assert run(definition, {"in": 1}, {FN_ARN: bad}).output == {"Error": None, "Cause": None}


def test_runtime_error_is_never_caught() -> None:
    """ERR-5/RETRY-6: States.Runtime bypasses Retry and Catch."""
    definition = one(
        {
            "Type": "Task",
            "Resource": FN_ARN,
            "ResultSelector": {"x.$": "$.missing"},
            "Retry": [{"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S"}],
        }
    )
    outcome = run(definition, {}, {FN_ARN: lambda p: {}})
    assert outcome.failure is not None
    assert outcome.failure.error == StatesError.RUNTIME
    assert outcome.retries == []


def test_choice_default_and_no_match() -> None:
    """ASL-CHOICE-2: first match wins; no match and no Default is States.NoChoiceMatched."""
    choice = {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
            {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Medium"},
        ],
    }
    states = {
        "C": choice,
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "Medium": {"Type": "Pass", "Result": "medium", "End": True},
    }
    definition = {"StartAt": "C", "States": states}
    assert run(definition, {"n": 20}).output == "big"
    assert run(definition, {"n": 7}).output == "medium"
    failed = run(definition, {"n": 1})
    assert failed.failure is not None
    assert failed.failure.error == StatesError.NO_CHOICE_MATCHED
    with_default = {"StartAt": "C", "States": {**states, "C": {**choice, "Default": "Big"}}}
    assert run(with_default, {"n": 1}).output == "big"


def test_choice_missing_variable_is_runtime() -> None:
    """ASL-CHOICE-5: a missing Variable path fails the execution."""
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.nope", "StringEquals": "x", "Next": "D"}],
                "Default": "D",
            },
            "D": {"Type": "Succeed"},
        },
    }
    outcome = run(definition, {})
    assert outcome.failure is not None
    assert outcome.failure.error == StatesError.RUNTIME


@pytest.mark.parametrize(
    ("body", "input", "error", "cause"),
    [
        pytest.param({"Type": "Fail"}, {}, None, None, id="ASL-FAIL-2-both-omitted"),
        pytest.param(
            {"Type": "Fail", "Error": "E", "Cause": "C"}, {}, "E", "C", id="ASL-FAIL-1-literals"
        ),
        pytest.param(
            {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"},
            {"e": "Err", "c": "Why"},
            "Err",
            "Why",
            id="ASL-FAIL-1-paths",
        ),
        pytest.param(
            {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('n={}', $.n)"},
            {"e": "Err", "n": 3},
            "Err",
            "n=3",
            id="ASL-FAIL-1-intrinsic-cause",
        ),
    ],
)
def test_fail_state(body: dict[str, Any], input: Any, error: Any, cause: Any) -> None:
    outcome = run(one(body), input)
    assert outcome.failure is not None
    assert (outcome.failure.error, outcome.failure.cause) == (error, cause)


def test_fail_error_path_missing_is_runtime() -> None:
    """ASL-FAIL-2: a missing ErrorPath target is States.Runtime."""
    outcome = run(one({"Type": "Fail", "ErrorPath": "$.x"}), {})
    assert outcome.failure is not None
    assert outcome.failure.error == StatesError.RUNTIME
    assert "The JSONPath '$.x' specified for the field 'ErrorPath' could not be found" in (
        outcome.failure.cause or ""
    )
