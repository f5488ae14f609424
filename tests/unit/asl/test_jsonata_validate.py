"""Definition checks for JSONata expressions and variables (QL-2, QL-4, VAR-1, VAR-5, VAR-7).

AWS refuses at CreateStateMachine/ValidateStateMachineDefinition (observed, recorded
publicly): an expression that does not parse (``INVALID_JSONATA_EXPRESSION`` with the parser's
message, no code) and one reading the context item at the top level or a ``$states`` member
that does not exist there (``UNSUPPORTED_JSONATA_EXPRESSION``), located at the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from statewise.asl.diagnostics import DefinitionError
from statewise.asl.parse import load
from statewise.asl.validate import validate
from statewise.cli import main

INVALID = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED = "UNSUPPORTED_JSONATA_EXPRESSION"
SCHEMA = "SCHEMA_VALIDATION_FAILED"
FN = "arn:aws:lambda:us-east-1:123456789012:function:f"
PROCESSOR = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def jsonata(**states: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states}


def passing(**fields: Any) -> dict[str, Any]:
    return jsonata(Main={"Type": "Pass", "End": True, **fields})


def found(definition: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(d.code, d.message, d.location) for d in validate(definition)]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        pytest.param("a[1,2)", 'Expected "]", got ","', id="expected-token"),
        pytest.param('"unterminated', "String literal must be terminated by a matching quote"),
        pytest.param("1 +", "Unexpected end of expression", id="unexpected-end"),
        pytest.param('{"a":}', 'The symbol "}" cannot be used as a unary operator', id="unary"),
        pytest.param("$x :=", "Unexpected end of expression", id="bind-without-value"),
        pytest.param('$match("a", /abc', "No terminating / in regular expression", id="regex"),
        pytest.param("", "Unexpected end of expression", id="empty"),
    ],
)
def test_ql2_syntax_errors_are_reported_with_their_location(expression: str, message: str) -> None:
    """The six AWS examples, each as ``"Output": "{% <expr> %}"`` at /States/Main/Output."""
    assert found(passing(Output="{% " + expression + " %}")) == [
        (INVALID, message, "/States/Main/Output")
    ]


def test_ql2_syntax_error_located_in_nested_value() -> None:
    assert found(passing(Output={"v": ["x", "{% (1 %}"]})) == [
        (INVALID, 'Expected ")" before end of expression', "/States/Main/Output/v/1")
    ]


def test_ql2_statewise_load_reports_the_syntax_error() -> None:
    with pytest.raises(DefinitionError) as caught:
        load(passing(Output="{% 1 + %}"))
    assert caught.value.message == (
        "Invalid State Machine Definition: 'INVALID_JSONATA_EXPRESSION: Unexpected end of "
        "expression at /States/Main/Output'"
    )


@pytest.mark.parametrize(
    ("output", "name", "where"),
    [
        pytest.param({"v": "{% phone %}"}, "phone", "/v", id="bare-name"),
        pytest.param("{% $count(items) %}", "items", "", id="function-argument"),
        pytest.param("{% $$ %}", "$$", "", id="root"),
        pytest.param("{% $ %}", "$", "", id="context-item"),
        pytest.param("{% order.id %}", "order", "", id="path"),
    ],
)
def test_ql4_top_level_references_are_unsupported(output: Any, name: str, where: str) -> None:
    assert found(passing(Output=output)) == [
        (
            UNSUPPORTED,
            f"Reference to '{name}' at the top level is not supported.",
            "/States/Main/Output" + where,
        )
    ]


@pytest.mark.parametrize(
    "expression",
    [
        pytest.param("$states.input.items[price > 5].name", id="filter-reads-items"),
        pytest.param("$states.input.items.{'n': name}", id="object-step"),
        pytest.param("$map($states.input.items, function($i) { $i.name })", id="lambda"),
        pytest.param("[1, 2, 3][$ > 1]", id="dollar-in-a-filter"),
        pytest.param("$states.input.items^(price).name", id="sort"),
        pytest.param("$states.input.(a + b)", id="block-step"),
        pytest.param("$x", id="variable"),
    ],
)
def test_ql4_inner_context_references_are_fine(expression: str) -> None:
    assert found(passing(Output="{% " + expression + " %}")) == []


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        pytest.param(
            jsonata(
                Main={
                    "Type": "Task",
                    "Resource": FN,
                    "Arguments": "{% $states.errorOutput %}",
                    "End": True,
                }
            ),
            [
                (
                    UNSUPPORTED,
                    "Field '$states.errorOutput' does not exist.",
                    "/States/Main/Arguments",
                )
            ],
            id="QL-4-error-output-only-in-a-catcher",
        ),
        pytest.param(
            passing(Output="{% $states.result %}"),
            [(UNSUPPORTED, "Field '$states.result' does not exist.", "/States/Main/Output")],
            id="QL-4-no-result-in-a-pass",
        ),
        pytest.param(
            jsonata(
                Main={
                    "Type": "Task",
                    "Resource": FN,
                    "Output": "{% $states.result %}",
                    "Assign": {"r": "{% $states.result.x %}"},
                    "Catch": [
                        {
                            "ErrorEquals": ["States.ALL"],
                            "Next": "H",
                            "Output": "{% $states.errorOutput %}",
                            "Assign": {"e": "{% $states.errorOutput.Error %}"},
                        }
                    ],
                    "End": True,
                },
                H={"Type": "Succeed"},
            ),
            [],
            id="QL-4-result-and-error-output-where-they-exist",
        ),
        pytest.param(
            jsonata(
                Main={
                    "Type": "Choice",
                    "Choices": [{"Condition": "{% nope %}", "Next": "H"}],
                    "Default": "H",
                },
                H={"Type": "Succeed"},
            ),
            [
                (
                    UNSUPPORTED,
                    "Reference to 'nope' at the top level is not supported.",
                    "/States/Main/Choices/0/Condition",
                )
            ],
            id="ASL-CHOICE-11-condition-checked",
        ),
        pytest.param(
            jsonata(
                Main={"Type": "Map", "Items": "{% [ %}", "ItemProcessor": PROCESSOR, "End": True}
            ),
            [(INVALID, 'Expected "]" before end of expression', "/States/Main/Items")],
            id="ASL-MAP-2-items-checked",
        ),
        pytest.param(
            {"StartAt": "Main", "States": {"Main": {"Type": "Pass", "Output": "{% ( %}"}}},
            [
                (
                    SCHEMA,
                    "The QueryLanguage is set to 'JSONPath', but field 'Output' is only "
                    "supported for the 'JSONata' QueryLanguage",
                    "/States/Main",
                ),
                (SCHEMA, "Exactly one of these fields is required: [Next, End]", "/States/Main"),
                ("MISSING_END_STATE", "Workflow has no terminal state", "/"),
            ],
            id="DEF-7-jsonpath-state-expressions-not-parsed",
        ),
    ],
)
def test_expression_fields(definition: dict[str, Any], expected: list[Any]) -> None:
    assert found(definition) == expected


@pytest.mark.parametrize(
    ("assign", "message"),
    [
        pytest.param({"states": 1}, "The variable name 'states' is reserved", id="VAR-5-reserved"),
        pytest.param(
            {"x.y": 1},
            "Invalid variable name 'x.y': 1-80 characters, a letter or underscore followed by "
            "letters, digits or underscores",
            id="VAR-5-whole-variables-only",
        ),
        pytest.param(
            {"x" * 81: 1},
            f"Invalid variable name '{'x' * 81}': 1-80 characters, a letter or underscore "
            "followed by letters, digits or underscores",
            id="VAR-5-at-most-80-characters",
        ),
        pytest.param(
            {"1x": 1},
            "Invalid variable name '1x': 1-80 characters, a letter or underscore followed by "
            "letters, digits or underscores",
            id="VAR-5-starts-with-a-letter",
        ),
    ],
)
def test_var5_variable_names(assign: dict[str, Any], message: str) -> None:
    [diagnostic] = validate(passing(Assign=assign))
    assert (diagnostic.code, diagnostic.message) == (SCHEMA, message)


@pytest.mark.parametrize(
    "assign",
    [
        pytest.param({"x": 1, "_y2": 2, "café": 3, "x" * 80: 4}, id="VAR-5-valid-names"),
    ],
)
def test_var5_valid_names(assign: dict[str, Any]) -> None:
    assert found(passing(Assign=assign)) == []


def test_var5_jsonpath_names_drop_the_suffix() -> None:
    body = {"Type": "Pass", "Assign": {"a.$": "$.x", "states.$": "$"}, "End": True}
    definition = {"StartAt": "Main", "States": {"Main": body}}
    [diagnostic] = validate(definition)
    assert diagnostic.location == "/States/Main/Assign/states.$"


def scoped(inner_assign: dict[str, Any], *, distributed: bool = False) -> dict[str, Any]:
    processor: dict[str, Any] = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Assign": inner_assign, "End": True}},
    }
    if distributed:
        processor["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    return jsonata(
        First={"Type": "Pass", "Assign": {"total": 0}, "Next": "M"},
        M={"Type": "Map", "Items": [1], "ItemProcessor": processor, "End": True},
    )


def test_var7_inner_scope_cannot_assign_an_outer_variable() -> None:
    assert found(scoped({"total": "{% 1 %}"})) == [
        (
            SCHEMA,
            "The variable 'total' is assigned in an enclosing scope; a Parallel branch or Map "
            "iteration can read it but not assign it",
            "/States/M/ItemProcessor/States/P/Assign/total",
        )
    ]


@pytest.mark.parametrize(
    "definition",
    [
        pytest.param(scoped({"mine": "{% $total + 1 %}"}), id="VAR-7-own-name-reading-outer"),
        pytest.param(scoped({"total": 1}, distributed=True), id="VAR-7-distributed-is-isolated"),
    ],
)
def test_var7_allowed_assignments(definition: dict[str, Any]) -> None:
    assert found(definition) == []


def test_var7_siblings_may_use_the_same_name() -> None:
    branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"n": 1}, "End": True}}}
    other = {"StartAt": "C", "States": {"C": {"Type": "Pass", "Assign": {"n": 2}, "End": True}}}
    definition = jsonata(P={"Type": "Parallel", "Branches": [branch, other], "End": True})
    assert found(definition) == []


def test_ql2_statewise_validate_prints_jsonata_errors_with_their_location(tmp_path: Path) -> None:
    """``statewise validate`` (DESIGN: every problem with its location and AWS's code)."""
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(passing(Output={"v": "{% 1 + %}", "w": "{% phone %}"})))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}: INVALID_JSONATA_EXPRESSION at /States/Main/Output/v: Unexpected end of "
        "expression",
        f"{path}: UNSUPPORTED_JSONATA_EXPRESSION at /States/Main/Output/w: Reference to 'phone' "
        "at the top level is not supported.",
    ]
