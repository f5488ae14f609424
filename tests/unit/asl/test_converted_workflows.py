"""Whole workflows written in JSONPath and converted to JSONata give the same outputs.

Each conversion follows AWS's documented mapping (QL-3, QL-11; "Converting from JSONPath to
JSONata"): InputPath/Parameters → Arguments, ResultSelector/ResultPath/OutputPath → Output,
``$$`` → ``$states.context``, States.Format → ``&``, States.ArrayLength → ``$count``,
States.JsonMerge → ``$merge``, States.MathAdd → ``+``, IsPresent → ``$exists``, ItemsPath →
Items, SecondsPath → Seconds. Every pair runs through the ASL core (``runner``) and through the
engine (``LocalEnvironment``, virtual time, in-memory store).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from statewise.engine.local import TaskError as LocalTaskError
from statewise.testing import LocalEnvironment

from .runner import TaskError, run

ACCOUNT = "arn:aws:lambda:us-east-1:123456789012:function:"


class Boom(Exception):
    """What a workflow's function raises to fail its task: error ``Boom``."""


Functions = dict[str, Callable[[Any], Any]]


def order_functions() -> Functions:
    def price(payload: Any) -> Any:
        return {"total": sum(i["qty"] * i["price"] for i in payload["items"]), "noise": 1}

    return {"price": price}


def flaky_functions() -> Functions:
    calls = {"n": 0}

    def flaky(payload: Any) -> Any:
        calls["n"] += 1
        if calls["n"] < 3:
            raise Boom(f"attempt {calls['n']}")
        return {"ok": payload["id"]}

    def broken(payload: Any) -> Any:
        raise Boom("always")

    return {"flaky": flaky, "broken": broken}


def no_functions() -> Functions:
    return {}


ORDER_JSONPATH = {
    "StartAt": "Price",
    "States": {
        "Price": {
            "Type": "Task",
            "Resource": ACCOUNT + "price",
            "Parameters": {"items.$": "$.order.items"},
            "ResultSelector": {"total.$": "$.total"},
            "ResultPath": "$.priced",
            "Next": "Big?",
        },
        "Big?": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.priced.total", "IsPresent": True},
                        {"Variable": "$.priced.total", "NumericGreaterThan": 100},
                    ],
                    "Next": "Big",
                }
            ],
            "Default": "Small",
        },
        "Big": {
            "Type": "Pass",
            "Parameters": {
                "message.$": "States.Format('Order {} costs {}', $.order.id, $.priced.total)",
                "lines.$": "States.ArrayLength($.order.items)",
                "by.$": "$$.Execution.Name",
            },
            "End": True,
        },
        "Small": {"Type": "Pass", "OutputPath": "$.priced", "End": True},
    },
}
ORDER_JSONATA = {
    "QueryLanguage": "JSONata",
    "StartAt": "Price",
    "States": {
        "Price": {
            "Type": "Task",
            "Resource": ACCOUNT + "price",
            "Arguments": {"items": "{% $states.input.order.items %}"},
            "Output": "{% $merge([$states.input, {'priced': {'total': $states.result.total}}]) %}",
            "Next": "Big?",
        },
        "Big?": {
            "Type": "Choice",
            "Choices": [
                {
                    "Condition": "{% $exists($states.input.priced.total) and "
                    "$states.input.priced.total > 100 %}",
                    "Next": "Big",
                }
            ],
            "Default": "Small",
        },
        "Big": {
            "Type": "Pass",
            "Output": {
                "message": "{% 'Order ' & $states.input.order.id & ' costs ' & "
                "$states.input.priced.total %}",
                "lines": "{% $count($states.input.order.items) %}",
                "by": "{% $states.context.Execution.Name %}",
            },
            "End": True,
        },
        "Small": {"Type": "Pass", "Output": "{% $states.input.priced %}", "End": True},
    },
}

MAP_JSONPATH = {
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.users",
            "ItemSelector": {"index.$": "$$.Map.Item.Index", "name.$": "$$.Map.Item.Value.name"},
            "ItemProcessor": {
                "StartAt": "Greet",
                "States": {
                    "Greet": {
                        "Type": "Pass",
                        "Parameters": {
                            "greeting.$": "States.Format('{}: hello {}', $.index, $.name)"
                        },
                        "OutputPath": "$.greeting",
                        "End": True,
                    }
                },
            },
            "ResultPath": "$.greetings",
            "Next": "Count",
        },
        "Count": {
            "Type": "Pass",
            "Parameters": {
                "count.$": "States.ArrayLength($.greetings)",
                "all.$": "$.greetings",
                "merged.$": "States.JsonMerge($.defaults, $.overrides, false)",
            },
            "End": True,
        },
    },
}
MAP_JSONATA = {
    "QueryLanguage": "JSONata",
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "Items": "{% $states.input.users %}",
            "ItemSelector": {
                "index": "{% $states.context.Map.Item.Index %}",
                "name": "{% $states.context.Map.Item.Value.name %}",
            },
            "ItemProcessor": {
                "StartAt": "Greet",
                "States": {
                    "Greet": {
                        "Type": "Pass",
                        "Output": "{% $states.input.index & ': hello ' & $states.input.name %}",
                        "End": True,
                    }
                },
            },
            "Output": "{% $merge([$states.input, {'greetings': $states.result}]) %}",
            "Next": "Count",
        },
        "Count": {
            "Type": "Pass",
            "Output": {
                "count": "{% $count($states.input.greetings) %}",
                "all": "{% $states.input.greetings %}",
                "merged": "{% $merge([$states.input.defaults, $states.input.overrides]) %}",
            },
            "End": True,
        },
    },
}

RETRY_JSONPATH = {
    "StartAt": "Flaky",
    "States": {
        "Flaky": {
            "Type": "Task",
            "Resource": ACCOUNT + "flaky",
            "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 3}],
            "ResultPath": "$.flaky",
            "Next": "Broken",
        },
        "Broken": {
            "Type": "Task",
            "Resource": ACCOUNT + "broken",
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handle"}],
            "End": True,
        },
        "Handle": {
            "Type": "Pass",
            "Parameters": {"ok.$": "$.flaky.ok", "error.$": "$.error.Error"},
            "End": True,
        },
    },
}
RETRY_JSONATA = {
    "QueryLanguage": "JSONata",
    "StartAt": "Flaky",
    "States": {
        "Flaky": {
            "Type": "Task",
            "Resource": ACCOUNT + "flaky",
            "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 3}],
            "Output": "{% $merge([$states.input, {'flaky': $states.result}]) %}",
            "Next": "Broken",
        },
        "Broken": {
            "Type": "Task",
            "Resource": ACCOUNT + "broken",
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Output": "{% $merge([$states.input, {'error': $states.errorOutput}]) %}",
                    "Next": "Handle",
                }
            ],
            "End": True,
        },
        "Handle": {
            "Type": "Pass",
            "Output": {
                "ok": "{% $states.input.flaky.ok %}",
                "error": "{% $states.input.error.Error %}",
            },
            "End": True,
        },
    },
}

PARALLEL_JSONPATH = {
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "Parameters": {"n.$": "$.n"},
            "Branches": [
                {
                    "StartAt": "Add",
                    "States": {
                        "Add": {
                            "Type": "Pass",
                            "Parameters": {"sum.$": "States.MathAdd($.n, 1)"},
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "Wait",
                    "States": {
                        "Wait": {"Type": "Wait", "SecondsPath": "$.n", "Next": "Same"},
                        "Same": {"Type": "Pass", "End": True},
                    },
                },
            ],
            "ResultSelector": {"sum.$": "$[0].sum", "same.$": "$[1].n"},
            "End": True,
        }
    },
}
PARALLEL_JSONATA = {
    "QueryLanguage": "JSONata",
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "Arguments": {"n": "{% $states.input.n %}"},
            "Branches": [
                {
                    "StartAt": "Add",
                    "States": {
                        "Add": {
                            "Type": "Pass",
                            "Output": {"sum": "{% $states.input.n + 1 %}"},
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "Wait",
                    "States": {
                        "Wait": {
                            "Type": "Wait",
                            "Seconds": "{% $states.input.n %}",
                            "Next": "Same",
                        },
                        "Same": {"Type": "Pass", "End": True},
                    },
                },
            ],
            "Output": {
                "sum": "{% $states.result[0].sum %}",
                "same": "{% $states.result[1].n %}",
            },
            "End": True,
        }
    },
}

VARIABLES_JSONPATH = {
    "StartAt": "Remember",
    "States": {
        "Remember": {
            "Type": "Pass",
            "Assign": {"customer.$": "$.customer", "count": 0},
            "Next": "Loop",
        },
        "Loop": {
            "Type": "Choice",
            "Choices": [{"Variable": "$count", "NumericLessThan": 3, "Next": "Step"}],
            "Default": "Report",
        },
        "Step": {
            "Type": "Pass",
            "Assign": {"count.$": "States.MathAdd($count, 1)"},
            "Next": "Loop",
        },
        "Report": {
            "Type": "Pass",
            "Parameters": {"customer.$": "$customer", "count.$": "$count"},
            "End": True,
        },
    },
}
VARIABLES_JSONATA = {
    "QueryLanguage": "JSONata",
    "StartAt": "Remember",
    "States": {
        "Remember": {
            "Type": "Pass",
            "Assign": {"customer": "{% $states.input.customer %}", "count": 0},
            "Next": "Loop",
        },
        "Loop": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $count < 3 %}", "Next": "Step"}],
            "Default": "Report",
        },
        "Step": {"Type": "Pass", "Assign": {"count": "{% $count + 1 %}"}, "Next": "Loop"},
        "Report": {
            "Type": "Pass",
            "Output": {"customer": "{% $customer %}", "count": "{% $count %}"},
            "End": True,
        },
    },
}

ORDER = {"order": {"id": "o-1", "items": [{"qty": 2, "price": 30}, {"qty": 1, "price": 50}]}}
WORKFLOWS = [
    pytest.param(
        ORDER_JSONPATH,
        ORDER_JSONATA,
        ORDER,
        order_functions,
        {"message": "Order o-1 costs 110", "lines": 2, "by": "e"},
        id="order-choice-format",
    ),
    pytest.param(
        ORDER_JSONPATH,
        ORDER_JSONATA,
        {"order": {"id": "o-2", "items": [{"qty": 1, "price": 5}]}},
        order_functions,
        {"total": 5},
        id="order-default-branch",
    ),
    pytest.param(
        MAP_JSONPATH,
        MAP_JSONATA,
        {
            "users": [{"name": "ann"}, {"name": "bo"}],
            "defaults": {"a": 1, "b": 1},
            "overrides": {"b": 2},
        },
        no_functions,
        {"count": 2, "all": ["0: hello ann", "1: hello bo"], "merged": {"a": 1, "b": 2}},
        id="map-item-selector-merge",
    ),
    pytest.param(
        RETRY_JSONPATH,
        RETRY_JSONATA,
        {"id": 9},
        flaky_functions,
        {"ok": 9, "error": "Boom"},
        id="retry-then-catch",
    ),
    pytest.param(
        PARALLEL_JSONPATH,
        PARALLEL_JSONATA,
        {"n": 2},
        no_functions,
        {"sum": 3, "same": 2},
        id="parallel-wait-math",
    ),
    pytest.param(
        VARIABLES_JSONPATH,
        VARIABLES_JSONATA,
        {"customer": "c-1"},
        no_functions,
        {"customer": "c-1", "count": 3},
        id="variables-loop",
    ),
]


def _core(functions: Functions) -> dict[str, Callable[[Any], Any]]:
    def adapt(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def call(payload: Any) -> Any:
            try:
                return function(payload)
            except Boom as exc:
                raise TaskError("Boom", str(exc)) from None

        return call

    return {ACCOUNT + name: adapt(f) for name, f in functions.items()}


def _engine(functions: Functions) -> dict[str, Callable[[Any], Any]]:
    def adapt(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def call(payload: Any) -> Any:
            try:
                return function(payload)
            except Boom as exc:
                raise LocalTaskError("Boom", str(exc)) from None

        return call

    return {name: adapt(f) for name, f in functions.items()}


@pytest.mark.parametrize(("jsonpath", "jsonata", "input", "functions", "expected"), WORKFLOWS)
def test_same_outputs_through_the_asl_core(
    jsonpath: dict[str, Any],
    jsonata: dict[str, Any],
    input: Any,
    functions: Callable[[], Functions],
    expected: Any,
) -> None:
    old = run(jsonpath, input, _core(functions()))
    new = run(jsonata, input, _core(functions()))
    assert old.failure is None and new.failure is None, (old.failure, new.failure)
    assert old.output == new.output == expected
    assert old.visited == new.visited


@pytest.mark.parametrize(("jsonpath", "jsonata", "input", "functions", "expected"), WORKFLOWS)
async def test_same_outputs_through_the_engine(
    jsonpath: dict[str, Any],
    jsonata: dict[str, Any],
    input: Any,
    functions: Callable[[], Functions],
    expected: Any,
) -> None:
    outputs = []
    for definition in (jsonpath, jsonata):
        async with LocalEnvironment(_engine(functions())) as env:
            result = await env.run(definition, input, name="e")
            assert result.status == "SUCCEEDED", result.execution
            outputs.append((result.output, [s.name for s in result.steps()]))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == expected
