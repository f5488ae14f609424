"""Definition validation: AWS's codes, messages and locations (DEF, NAME, PATH, RETRY, API-38)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewise.asl.diagnostics import Code, DefinitionError, Diagnostic
from statewise.asl.validate import validate, validate_text
from statewise.asl.validate_fields import FIELDS, STATE_TYPES

SCHEMA = Code.SCHEMA_VALIDATION_FAILED
TARGET = Code.MISSING_TRANSITION_TARGET
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:work"
INVOKE = "arn:aws:states:::lambda:invoke"
END = {"Type": "Pass", "End": True}

Expected = list[tuple[str, str]]


def machine(states: dict[str, Any], start: str = "A", **top: Any) -> dict[str, Any]:
    return {"StartAt": start, "States": states, **top}


def one(state: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A machine whose only state is ``A``."""
    return machine({"A": state}, **top)


def task(**fields: Any) -> dict[str, Any]:
    return one({"Type": "Task", "Resource": INVOKE, "End": True, **fields})


def pass_(**fields: Any) -> dict[str, Any]:
    return one({"Type": "Pass", "End": True, **fields})


def map_(**fields: Any) -> dict[str, Any]:
    processor = {"StartAt": "P", "States": {"P": END}}
    return one({"Type": "Map", "ItemProcessor": processor, "End": True, **fields})


def choice(*rules: object, **fields: Any) -> dict[str, Any]:
    return machine({"A": {"Type": "Choice", "Choices": list(rules), **fields}, "B": END})


def rule(**fields: Any) -> dict[str, Any]:
    return {"Variable": "$.x", "Next": "B", **fields}


def wait(**fields: Any) -> dict[str, Any]:
    return one({"Type": "Wait", "End": True, **fields})


def fail(**fields: Any) -> dict[str, Any]:
    return one({"Type": "Fail", **fields})


def found(diagnostics: list[Diagnostic]) -> Expected:
    return [(d.code, d.location) for d in diagnostics]


def check(definition: object, expected: Expected, express: bool = False) -> None:
    assert found(validate(definition, express=express)) == expected


# --- valid definitions of every state type (DEF-1..DEF-9) -------------------------------

VALID = [
    pytest.param(one(END), id="smallest"),
    pytest.param(
        one(END, Comment="c", Version="1.0", TimeoutSeconds=60, QueryLanguage="JSONPath"),
        id="DEF-1-every-top-level-field",
    ),
    pytest.param(
        pass_(
            Comment="c",
            InputPath="$.in",
            Parameters={"a.$": "$.x", "b": [{"c.$": "$$.Execution.Id"}], "d": "$not-a-path"},
            Result={"x.$": "not evaluated"},
            ResultPath="$.out",
            OutputPath=None,
            Assign={"v.$": "$.x", "w": 1},
        ),
        id="IO-5-pass",
    ),
    pytest.param(
        task(
            Resource=LAMBDA,
            Parameters={"Payload.$": "$", "Name.$": "States.Format('{}-{}', $.a, $$.State.Name)"},
            ResultSelector={"r.$": "$.Payload"},
            ResultPath="$.result",
            TimeoutSeconds=300,
            HeartbeatSeconds=60,
            Credentials={"RoleArn": "arn:aws:iam::123456789012:role/r"},
            Retry=[
                {"ErrorEquals": ["Custom"], "IntervalSeconds": 2, "MaxAttempts": 0},
                {
                    "ErrorEquals": ["States.ALL"],
                    "BackoffRate": 1.5,
                    "MaxDelaySeconds": 31_622_400,
                    "JitterStrategy": "FULL",
                    "Comment": "c",
                },
            ],
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A", "ResultPath": "$.err"}],
        ),
        id="ASL-TASK-1-task",
    ),
    pytest.param(
        task(
            TimeoutSecondsPath="$.t",
            HeartbeatSecondsPath="$var.h",
            Credentials={"RoleArn.$": "$.r"},
        ),
        id="ASL-TASK-4-path-timeouts",
    ),
    pytest.param(
        choice(
            rule(StringEquals="a"),
            rule(StringMatches="a*"),
            rule(NumericGreaterThanEquals=1.5),
            rule(BooleanEquals=False),
            rule(TimestampLessThan="2016-08-18T17:33:00Z"),
            rule(StringEqualsPath="$$.Execution.Name"),
            rule(NumericLessThanPath="$limit"),
            rule(IsPresent=False),
            {
                "And": [
                    {"Variable": "$.a", "IsNull": True},
                    {"Not": {"Variable": "$.b", "IsString": True}},
                ],
                "Next": "B",
            },
            {"Or": [{"Variable": "$.a[0]", "IsTimestamp": True}], "Next": "B", "Comment": "c"},
            Default="B",
            InputPath="$",
            Assign={"x": 1},
        ),
        id="ASL-CHOICE-3-every-operator-kind",
    ),
    pytest.param(wait(Seconds=0), id="ASL-WAIT-1-seconds"),
    pytest.param(wait(Timestamp="2016-08-18T17:33:00.123+05:30"), id="ASL-WAIT-3-timestamp"),
    pytest.param(wait(SecondsPath="$.s"), id="ASL-WAIT-1-seconds-path"),
    pytest.param(wait(TimestampPath="$$.Execution.StartTime"), id="ASL-WAIT-1-timestamp-path"),
    pytest.param(one({"Type": "Succeed", "OutputPath": "$.x"}), id="ASL-SUCCEED-1"),
    pytest.param(fail(), id="ASL-FAIL-2-no-error-no-cause"),
    pytest.param(fail(Error="E", Cause="C"), id="ASL-FAIL-1-literals"),
    pytest.param(
        fail(ErrorPath="$.error", CausePath="States.Format('cause: {}', $.c)"),
        id="ASL-FAIL-1-paths",
    ),
    pytest.param(
        one(
            {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "B1", "States": {"B1": END}, "Comment": "c"},
                    {"StartAt": "B2", "States": {"B2": {"Type": "Succeed"}}},
                ],
                "ResultSelector": {"all.$": "$"},
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
                "End": True,
            }
        ),
        id="ASL-PAR-1",
    ),
    pytest.param(
        map_(ItemsPath="$.items", ItemSelector={"v.$": "$$.Map.Item.Value"}, MaxConcurrency=1),
        id="ASL-MAP-1-inline",
    ),
    pytest.param(
        one(
            {
                "Type": "Map",
                "Iterator": {"StartAt": "P", "States": {"P": END}},
                "Parameters": {"i.$": "$$.Map.Item.Index"},
                "MaxConcurrencyPath": "$.n",
                "End": True,
            }
        ),
        id="ASL-MAP-1-legacy-iterator",
    ),
    pytest.param(
        one(
            {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": END},
                },
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {
                        "InputType": "CSV",
                        "CSVHeaderLocation": "FIRST_ROW",
                        "MaxItems": 10,
                    },
                    "Parameters": {"Bucket.$": "$.bucket", "Key": "k.csv"},
                },
                "ItemBatcher": {"MaxItemsPerBatch": 10, "BatchInput": {"b.$": "$.x"}},
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": "b", "Prefix": "p"},
                    "WriterConfig": {"OutputType": "JSONL", "Transformation": "FLATTEN"},
                },
                "Label": "my-label",
                "ToleratedFailurePercentage": 12.5,
                "ToleratedFailureCount": 3,
                "MaxConcurrency": 9_223_372_036_854_775_807,
                "End": True,
            }
        ),
        id="ASL-DMAP-1-distributed",
    ),
    pytest.param(
        one(
            {
                "Type": "Task",
                "Resource": INVOKE,
                "Arguments": {"FunctionName": LAMBDA, "Payload": "{% $states.input %}"},
                "Output": "{% $states.result.Payload %}",
                "Assign": {"n": "{% $states.result.n %}"},
                "TimeoutSeconds": "{% $timeout %}",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A", "Output": {"e": 1}}],
                "End": True,
            },
            QueryLanguage="JSONata",
        ),
        id="QL-3-jsonata-task",
    ),
    pytest.param(
        machine(
            {
                "A": {
                    "Type": "Choice",
                    "Choices": [
                        {"Condition": "{% $states.input.x > 1 %}", "Next": "B", "Output": 1}
                    ],
                    "Default": "C",
                },
                "B": {
                    "Type": "Map",
                    "Items": "{% [1, 2] %}",
                    "ItemProcessor": {"StartAt": "P", "States": {"P": END}},
                    "Next": "C",
                },
                "C": {"Type": "Wait", "Seconds": "{% 1 %}", "Next": "D"},
                "D": {"Type": "Pass", "Output": {"x": "{% 1 %}"}, "Next": "E"},
                "E": {"Type": "Fail", "Error": "{% 'E' %}"},
            },
            QueryLanguage="JSONata",
        ),
        id="QL-3-jsonata-choice-map-wait-pass-fail",
    ),
    pytest.param(
        one({"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"v": "{% 1 %}"}, "End": True}),
        id="DEF-7-jsonata-state-in-jsonpath-machine",
    ),
    pytest.param(
        one(
            {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "Output": 1, "End": True}},
                },
                "End": True,
            },
            QueryLanguage="JSONata",
        ),
        id="DEF-7-inner-states-inherit-the-machine-language",
    ),
    pytest.param(
        map_(
            ItemProcessor={
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Next": "Q"}, "Q": {"Type": "Pass", "Next": "P"}},
            }
        ),
        id="DEF-3-missing-end-state-is-checked-at-the-top-level-only",
    ),
    pytest.param(task(Retry=[], Catch=[]), id="RETRY-1-empty-arrays"),
    pytest.param(one({"Type": "Pass", "End": True}, TimeoutSeconds=99_999_999), id="Q-17-max"),
    pytest.param(machine({"x" * 80: END}, start="x" * 80), id="NAME-1-80-characters"),
    pytest.param(
        machine({"Dup Check (1) $x": END}, start="Dup Check (1) $x"), id="DEF-2-name-characters"
    ),
]


@pytest.mark.parametrize("definition", VALID)
def test_valid_definitions_have_no_diagnostics(definition: dict[str, Any]) -> None:
    check(definition, [])


# --- top level (DEF-1, API-38) ------------------------------------------------------------

TOP_LEVEL = [
    pytest.param({}, [(SCHEMA, "/")], id="API-38-empty-object"),
    pytest.param({"StartAt": "A"}, [(SCHEMA, "/")], id="DEF-1-no-states"),
    pytest.param(
        {"States": {"A": END}}, [(SCHEMA, "/"), (TARGET, "/States/A")], id="DEF-1-no-start-at"
    ),
    pytest.param([], [(SCHEMA, "/")], id="DEF-1-not-an-object"),
    pytest.param(None, [(SCHEMA, "/")], id="DEF-1-null"),
    pytest.param(one(END, Coment="typo"), [(SCHEMA, "/")], id="DEF-4-unknown-top-level-field"),
    pytest.param(one(END, Version="2.0"), [(SCHEMA, "/Version")], id="DEF-1-version"),
    pytest.param(one(END, Comment=5), [(SCHEMA, "/Comment")], id="DEF-9-comment-type"),
    pytest.param(
        one(END, TimeoutSeconds=-1), [(SCHEMA, "/TimeoutSeconds")], id="DEF-1-timeout-negative"
    ),
    pytest.param(
        one(END, TimeoutSeconds="5"), [(SCHEMA, "/TimeoutSeconds")], id="DEF-1-timeout-type"
    ),
    pytest.param(
        one(END, TimeoutSeconds=100_000_000), [(SCHEMA, "/TimeoutSeconds")], id="Q-17-timeout-max"
    ),
    pytest.param(
        one(END, QueryLanguage="XPath"), [(SCHEMA, "/QueryLanguage")], id="DEF-1-query-language"
    ),
    pytest.param(
        {"StartAt": 5, "States": {"A": END}},
        [(SCHEMA, "/StartAt"), (TARGET, "/States/A")],
        id="DEF-1-start-at-type",
    ),
    pytest.param({"StartAt": "A", "States": []}, [(SCHEMA, "/States")], id="DEF-1-states-type"),
]


@pytest.mark.parametrize(("definition", "expected"), TOP_LEVEL)
def test_top_level(definition: object, expected: Expected) -> None:
    check(definition, expected)


def test_empty_object_names_both_required_fields_in_aws_order() -> None:
    """API-38: ``{}`` gives ``These fields are required: [States, StartAt]`` at ``/``."""
    assert validate({}) == [Diagnostic(SCHEMA, "These fields are required: [States, StartAt]", "/")]


# --- state types and the fields each allows (DEF-4, IO-5, VAR-1, RETRY-1, CATCH-1) ---------

FIELD_SETS = [
    pytest.param(one({"End": True}), [(SCHEMA, "/States/A")], id="DEF-4-type-required"),
    pytest.param(
        one({"Type": "Bogus", "End": True}), [(SCHEMA, "/States/A/Type")], id="DEF-4-type-enum"
    ),
    pytest.param(one({"Type": 5, "End": True}), [(SCHEMA, "/States/A/Type")], id="DEF-4-type-type"),
    pytest.param(pass_(Foo=1), [(SCHEMA, "/States/A")], id="DEF-4-unknown-field"),
    pytest.param(pass_(TimeoutSeconds=5), [(SCHEMA, "/States/A")], id="DEF-4-timeout-on-pass"),
    pytest.param(map_(TimeoutSeconds=5), [(SCHEMA, "/States/A")], id="DEF-4-timeout-on-map"),
    pytest.param(
        one(
            {
                "Type": "Parallel",
                "TimeoutSeconds": 5,
                "Branches": [{"StartAt": "B", "States": {"B": END}}],
                "End": True,
            }
        ),
        [(SCHEMA, "/States/A")],
        id="DEF-4-timeout-on-parallel",
    ),
    pytest.param(
        wait(Seconds=1, Retry=[{"ErrorEquals": ["States.ALL"]}]),
        [(SCHEMA, "/States/A")],
        id="RETRY-1-not-on-wait",
    ),
    pytest.param(
        pass_(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A"}]),
        [(SCHEMA, "/States/A")],
        id="CATCH-1-not-on-pass",
    ),
    pytest.param(
        pass_(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A"}], QueryLanguage="JSONata"),
        [(SCHEMA, "/States/A")],
        id="CATCH-1-not-on-pass-in-jsonata",
    ),
    pytest.param(task(Result=1), [(SCHEMA, "/States/A")], id="IO-5-result-only-on-pass"),
    pytest.param(
        pass_(ResultSelector={}), [(SCHEMA, "/States/A")], id="IO-5-no-result-selector-on-pass"
    ),
    pytest.param(
        choice(rule(IsNull=True), Parameters={}),
        [(SCHEMA, "/States/A")],
        id="IO-5-no-parameters-on-choice",
    ),
    pytest.param(fail(InputPath="$"), [(SCHEMA, "/States/A")], id="IO-5-fail-has-no-io"),
    pytest.param(
        one({"Type": "Succeed", "Next": "A"}),
        [(SCHEMA, "/States/A")],
        id="DEF-3-no-next-on-succeed",
    ),
    pytest.param(
        one({"Type": "Succeed", "Assign": {}}),
        [(SCHEMA, "/States/A")],
        id="VAR-1-no-assign-on-succeed",
    ),
    pytest.param(fail(Assign={}), [(SCHEMA, "/States/A")], id="VAR-1-no-assign-on-fail"),
    pytest.param(
        choice(rule(IsNull=True), End=True), [(SCHEMA, "/States/A")], id="DEF-3-no-end-on-choice"
    ),
]


@pytest.mark.parametrize(("definition", "expected"), FIELD_SETS)
def test_fields_per_state_type(definition: dict[str, Any], expected: Expected) -> None:
    check(definition, expected)


def test_unsupported_fields_are_named_at_the_state_in_document_order() -> None:
    """DEF-4: ``Field 'X' is not supported`` at ``/States/<name>``, one per field (measured)."""
    definition = pass_(Retry=[{"ErrorEquals": ["States.ALL"]}], TimeoutSeconds=5, Catch=[])
    assert [d.message for d in validate(definition)] == [
        "Field 'Retry' is not supported",
        "Field 'TimeoutSeconds' is not supported",
        "Field 'Catch' is not supported",
    ]


def test_type_enum_message_lists_the_types_in_aws_order() -> None:
    """DEF-4: the Type message lists Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map."""
    [diagnostic] = validate(one({"Type": "Bogus", "End": True}))
    assert diagnostic.message == (
        "The field 'Type' should have one of these values: "
        "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]"
    )


# --- query languages (DEF-7, QL-3) --------------------------------------------------------

JSONATA = {"QueryLanguage": "JSONata"}
LANGUAGES = [
    pytest.param(pass_(Output={}), [(SCHEMA, "/States/A")], id="output-in-jsonpath"),
    pytest.param(task(Arguments={}), [(SCHEMA, "/States/A")], id="arguments-in-jsonpath"),
    pytest.param(map_(Items=[1]), [(SCHEMA, "/States/A")], id="items-in-jsonpath"),
    pytest.param(
        pass_(InputPath="$.a", OutputPath="$.b", ResultPath="$.c", **JSONATA),
        [(SCHEMA, "/States/A")] * 3,
        id="three-jsonpath-fields-in-jsonata",
    ),
    pytest.param(
        one({"Type": "Pass", "QueryLanguage": "JSONPath", "Output": {}, "End": True}, **JSONATA),
        [(SCHEMA, "/States/A")],
        id="downgrade-is-the-whole-answer",
    ),
    pytest.param(
        one(
            {
                "Type": "Map",
                "QueryLanguage": "JSONPath",
                "MaxConcurrency": -1,
                "ItemProcessor": {"StartAt": "P", "States": {"P": END}},
                "End": True,
            },
            **JSONATA,
        ),
        [(SCHEMA, "/States/A"), (SCHEMA, "/States/A/MaxConcurrency")],
        id="downgrade-still-checks-values",
    ),
    pytest.param(
        pass_(QueryLanguage="jsonata", Output=1, InputPath="$"),
        [(SCHEMA, "/States/A"), (SCHEMA, "/States/A/QueryLanguage")],
        id="only-exact-JSONPath-is-jsonpath",
    ),
    pytest.param(
        pass_(InputPath="$", QueryLanguage="jsonpath"),
        [(SCHEMA, "/States/A"), (SCHEMA, "/States/A/QueryLanguage")],
        id="lowercase-jsonpath-is-jsonata",
    ),
    pytest.param(
        one(
            {
                "Type": "Parallel",
                "Branches": [{"QueryLanguage": "JSONata", "StartAt": "B", "States": {"B": END}}],
                "End": True,
            }
        ),
        [(SCHEMA, "/States/A/Branches/0")],
        id="no-query-language-on-a-branch",
    ),
    pytest.param(
        map_(ItemProcessor={"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": END}}),
        [(SCHEMA, "/States/A/ItemProcessor")],
        id="no-query-language-on-a-processor",
    ),
    pytest.param(
        one(
            {
                "Type": "Map",
                "QueryLanguage": "JSONata",
                "ItemProcessor": {
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "Output": 1, "End": True}},
                },
                "End": True,
            }
        ),
        [(SCHEMA, "/States/A/ItemProcessor/States/P")],
        id="a-map-language-does-not-reach-its-states",
    ),
    pytest.param(
        task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "A", "ResultPath": "$.e"}], **JSONATA),
        [(SCHEMA, "/States/A/Catch/0")],
        id="catcher-result-path-in-jsonata",
    ),
    pytest.param(
        choice({"Variable": "$.x", "IsNull": True, "Next": "B"}, **JSONATA),
        [
            (SCHEMA, "/States/A/Choices/0"),
            (SCHEMA, "/States/A/Choices/0"),
            (SCHEMA, "/States/A/Choices/0"),
        ],
        id="jsonpath-rule-in-jsonata",
    ),
    pytest.param(
        task(Credentials={"RoleArn.$": "$.r"}, **JSONATA),
        [(SCHEMA, "/States/A/Credentials"), (SCHEMA, "/States/A/Credentials")],
        id="role-arn-path-in-jsonata",
    ),
    pytest.param(map_(Items={"a": 1}, **JSONATA), [(SCHEMA, "/States/A/Items")], id="items-type"),
]


@pytest.mark.parametrize(("definition", "expected"), LANGUAGES)
def test_query_languages(definition: dict[str, Any], expected: Expected) -> None:
    """DEF-7: measured behaviour of QueryLanguage mixing on AWS."""
    check(definition, expected)


def test_query_language_messages() -> None:
    """DEF-7: AWS's texts for a field of the other language and for a downgrade."""
    assert [d.message for d in validate(pass_(Output=1))] == [
        "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the "
        "'JSONata' QueryLanguage"
    ]
    downgrade = one({"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}, **JSONATA)
    assert [d.message for d in validate(downgrade)] == [
        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
    ]
    assert [d.message for d in validate(pass_(QueryLanguage="x"))] == [
        "Value should be one of the following: [JSONPath, JSONata]"
    ]


# --- transitions, terminal states, reachability (DEF-2, DEF-3) ----------------------------

BRANCH = {"StartAt": "B", "States": {"B": END}}
TRANSITIONS = [
    pytest.param(
        machine({"A": {"Type": "Pass", "Next": "Z"}, "B": END}),
        [(TARGET, "/States/A/Next"), (TARGET, "/States/B")],
        id="next",
    ),
    pytest.param(
        choice(rule(IsNull=True), Default="Z"), [(TARGET, "/States/A/Default")], id="default"
    ),
    pytest.param(
        choice(rule(IsNull=True, Next="Z")),
        [(TARGET, "/States/A/Choices/0/Next"), (TARGET, "/States/B")],
        id="choice-next",
    ),
    pytest.param(
        task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Z"}]),
        [(TARGET, "/States/A/Catch/0/Next")],
        id="catch-next",
    ),
    pytest.param(
        machine({"A": {"Type": "Pass", "Next": "B", "End": True}, "B": END}),
        [(SCHEMA, "/States/A")],
        id="next-and-end",
    ),
    pytest.param(
        machine({"A": {"Type": "Pass"}, "B": END}),
        [(SCHEMA, "/States/A"), (TARGET, "/States/B")],
        id="neither-next-nor-end",
    ),
    pytest.param(
        one({"Type": "Pass", "End": False}),
        [(SCHEMA, "/States/A/End"), (Code.MISSING_END_STATE, "/")],
        id="end-false",
    ),
    pytest.param(
        one({"Type": "Pass", "End": "yes"}),
        [(SCHEMA, "/States/A/End"), (Code.MISSING_END_STATE, "/")],
        id="end-type",
    ),
    pytest.param(
        one({"Type": "Pass", "Next": 5}),
        [(SCHEMA, "/States/A/Next"), (Code.MISSING_END_STATE, "/")],
        id="next-type",
    ),
    pytest.param(
        machine({"A": END}, start="Z"), [(TARGET, "/StartAt"), (TARGET, "/States/A")], id="start-at"
    ),
    pytest.param(
        one(
            {"Type": "Parallel", "Branches": [{"StartAt": "Z", "States": {"B": END}}], "End": True}
        ),
        [(TARGET, "/States/A/Branches/0/StartAt"), (TARGET, "/States/A/Branches/0/States/B")],
        id="branch-start-at",
    ),
    pytest.param(
        one(
            {
                "Type": "Parallel",
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "A"}}}],
                "End": True,
            }
        ),
        [(TARGET, "/States/A/Branches/0/States/B/Next")],
        id="a-branch-cannot-jump-out",
    ),
    pytest.param(
        machine({"A": {"Type": "Parallel", "Branches": [BRANCH], "Next": "B"}}),
        [(TARGET, "/States/A/Next"), (Code.MISSING_END_STATE, "/")],
        id="nothing-jumps-into-a-branch",
    ),
    pytest.param(machine({"A": END, "B": END}), [(TARGET, "/States/B")], id="unreachable"),
    pytest.param(
        one(
            {
                "Type": "Parallel",
                "Branches": [{"StartAt": "B", "States": {"B": END, "G": END}}],
                "End": True,
            }
        ),
        [(TARGET, "/States/A/Branches/0/States/G")],
        id="unreachable-in-a-branch",
    ),
    pytest.param(
        map_(ItemProcessor={"StartAt": "P", "States": {"P": END, "G": END}}),
        [(TARGET, "/States/A/ItemProcessor/States/G")],
        id="unreachable-in-a-processor",
    ),
    pytest.param(
        machine(
            {
                "A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Pass", "Next": "A"},
                "U": {"Type": "Pass", "Next": "A"},
            }
        ),
        [(Code.MISSING_END_STATE, "/")],
        id="no-terminal-state-suppresses-unreachable",
    ),
    pytest.param(
        machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}, "C": END}),
        [(TARGET, "/States/C")],
        id="loop-with-an-unreachable-terminal",
    ),
    pytest.param(
        machine(
            {
                "A": {"Type": "Pass", "Next": "C"},
                "B": {"Type": "Fail"},
                "C": {"Type": "Choice", "Choices": [rule(IsNull=True, Next="A")], "Default": "D"},
                "D": {"Type": "Succeed"},
            }
        ),
        [(TARGET, "/States/B")],
        id="reachability-through-choices-and-default",
    ),
    pytest.param(
        machine(
            {
                "A": {
                    "Type": "Task",
                    "Resource": INVOKE,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                    "End": True,
                },
                "C": END,
            }
        ),
        [],
        id="reachability-through-catch",
    ),
]


@pytest.mark.parametrize(("definition", "expected"), TRANSITIONS)
def test_transitions(definition: dict[str, Any], expected: Expected) -> None:
    check(definition, expected)


def test_transition_messages() -> None:
    """DEF-2/DEF-3: ``Missing 'Next' target: X`` for every kind of target (measured)."""
    definition = machine({"A": {"Type": "Pass", "Next": "Z"}, "U": {"Type": "Pass", "Next": "U"}})
    assert validate(definition) == [
        Diagnostic(TARGET, "Missing 'Next' target: Z", "/States/A/Next"),
        Diagnostic(Code.MISSING_END_STATE, "Workflow has no terminal state", "/"),
    ]
    assert [d.message for d in validate(machine({"A": END, "B/c": END}))] == [
        'State "B/c" is not reachable.'
    ]


# --- names and labels (DEF-2, NAME-1, NAME-3) ---------------------------------------------

LONG = "n" * 81
NAMES = [
    pytest.param(
        machine({LONG: END}, start=LONG),
        [(Code.INVALID_STATE_NAME, f"/States/{LONG}")],
        id="name-too-long",
    ),
    pytest.param(
        machine({"": END}, start=""), [(Code.INVALID_STATE_NAME, "/States/")], id="empty-name"
    ),
    pytest.param(
        machine({"a\nb": END}, start="a\nb"),
        [(Code.INVALID_STATE_NAME, "/States/a\nb")],
        id="control-character",
    ),
    pytest.param(
        machine(
            {
                "A": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "A", "States": {"A": END}}],
                    "End": True,
                }
            }
        ),
        [(Code.DUPLICATE_STATE_NAME, "/States/A/Branches/0/States/A")],
        id="duplicate-with-a-branch",
    ),
    pytest.param(
        one({"Type": "Parallel", "Branches": [BRANCH, BRANCH], "End": True}),
        [(Code.DUPLICATE_STATE_NAME, "/States/A/Branches/1/States/B")],
        id="duplicate-across-branches",
    ),
    pytest.param(map_(Label="x" * 40), [], id="label-40"),
    pytest.param(
        map_(Label="x" * 41), [(Code.INVALID_LABEL_NAME, "/States/A/Label")], id="label-too-long"
    ),
    pytest.param(
        map_(Label="a b"), [(Code.INVALID_LABEL_NAME, "/States/A/Label")], id="label-whitespace"
    ),
    pytest.param(
        map_(Label="a:b"), [(Code.INVALID_LABEL_NAME, "/States/A/Label")], id="label-colon"
    ),
    pytest.param(map_(Label=""), [(Code.INVALID_LABEL_NAME, "/States/A/Label")], id="label-empty"),
    pytest.param(
        machine(
            {
                "A": {"Type": "Map", "Label": "L", "ItemProcessor": BRANCH, "Next": "C"},
                "C": {
                    "Type": "Map",
                    "Label": "L",
                    "ItemProcessor": {"StartAt": "D", "States": {"D": END}},
                    "End": True,
                },
            }
        ),
        [(Code.DUPLICATE_LABEL_NAME, "/States/C/Label")],
        id="label-duplicate",
    ),
]


@pytest.mark.parametrize(("definition", "expected"), NAMES)
def test_names_and_labels(definition: dict[str, Any], expected: Expected) -> None:
    check(definition, expected)


def test_duplicate_name_message() -> None:
    """DEF-2: ``Duplicate State name: X`` (the text AWS answers)."""
    definition = one({"Type": "Parallel", "Branches": [BRANCH, BRANCH], "End": True})
    assert [d.message for d in validate(definition)] == ["Duplicate State name: B"]


# --- field values (DEF-8, Q-17, ASL-*) ----------------------------------------------------

PROCESSOR = {"StartAt": "P", "States": {"P": END}}
VALUES = [
    pytest.param(
        task(TimeoutSeconds=0),
        [(SCHEMA, "/States/A/TimeoutSeconds")],
        id="ASL-TASK-2-timeout-positive",
    ),
    pytest.param(
        task(TimeoutSeconds=100_000_000),
        [(SCHEMA, "/States/A/TimeoutSeconds")],
        id="Q-17-timeout-max",
    ),
    pytest.param(
        task(TimeoutSeconds=5.5), [(SCHEMA, "/States/A/TimeoutSeconds")], id="DEF-8-timeout-integer"
    ),
    pytest.param(
        task(TimeoutSeconds=True),
        [(SCHEMA, "/States/A/TimeoutSeconds")],
        id="DEF-8-bool-is-not-integer",
    ),
    pytest.param(
        task(TimeoutSeconds=10, HeartbeatSeconds=10),
        [(SCHEMA, "/States/A/HeartbeatSeconds")],
        id="ASL-TASK-3-heartbeat-below-timeout",
    ),
    pytest.param(
        task(TimeoutSeconds=1, TimeoutSecondsPath="$.t"),
        [(SCHEMA, "/States/A/TimeoutSeconds")],
        id="ASL-TASK-2-one-of-timeout",
    ),
    pytest.param(
        task(HeartbeatSeconds=1, HeartbeatSecondsPath="$.t"),
        [(SCHEMA, "/States/A/HeartbeatSeconds")],
        id="ASL-TASK-3-one-of-heartbeat",
    ),
    pytest.param(
        task(TimeoutSecondsPath="$.t[*]"),
        [(SCHEMA, "/States/A/TimeoutSecondsPath")],
        id="PATH-2-timeout-path",
    ),
    pytest.param(
        task(TimeoutSeconds="{% 5 %}"),
        [(SCHEMA, "/States/A/TimeoutSeconds")],
        id="QL-2-no-expression-in-jsonpath",
    ),
    pytest.param(
        one({"Type": "Task", "End": True}),
        [(SCHEMA, "/States/A")],
        id="ASL-TASK-1-resource-required",
    ),
    pytest.param(
        task(Resource="my-function"),
        [(Code.INVALID_RESOURCE, "/States/A/Resource")],
        id="DEF-8-invalid-resource",
    ),
    pytest.param(
        task(Resource="arn:aws:lambda"),
        [(Code.INVALID_RESOURCE, "/States/A/Resource")],
        id="DEF-8-short-arn",
    ),
    pytest.param(task(Resource=5), [(SCHEMA, "/States/A/Resource")], id="ASL-TASK-1-resource-type"),
    pytest.param(
        task(Credentials={}), [(SCHEMA, "/States/A/Credentials")], id="ASL-TASK-6-role-required"
    ),
    pytest.param(
        task(Credentials={"RoleArn": 5}),
        [(SCHEMA, "/States/A/Credentials/RoleArn")],
        id="ASL-TASK-6-role-type",
    ),
    pytest.param(
        task(Credentials={"RoleArn.$": "bad"}),
        [(SCHEMA, "/States/A/Credentials/RoleArn.$")],
        id="ASL-TASK-6-role-path",
    ),
    pytest.param(
        task(Credentials={"RoleArn": "r", "Role": 1}),
        [(SCHEMA, "/States/A/Credentials")],
        id="ASL-TASK-6-unknown-field",
    ),
    pytest.param(wait(), [(SCHEMA, "/States/A")], id="ASL-WAIT-1-none"),
    pytest.param(wait(Seconds=1, SecondsPath="$.s"), [(SCHEMA, "/States/A")], id="ASL-WAIT-1-two"),
    pytest.param(wait(Seconds=-1), [(SCHEMA, "/States/A/Seconds")], id="ASL-WAIT-1-negative"),
    pytest.param(wait(Seconds=1.5), [(SCHEMA, "/States/A/Seconds")], id="ASL-WAIT-1-integer"),
    pytest.param(wait(Seconds=100_000_000), [(SCHEMA, "/States/A/Seconds")], id="Q-17-wait-max"),
    pytest.param(
        wait(Timestamp="2016-08-18T17:33:00"),
        [(SCHEMA, "/States/A/Timestamp")],
        id="ASL-WAIT-3-no-zone",
    ),
    pytest.param(
        wait(Timestamp="2016-08-18 17:33:00Z"),
        [(SCHEMA, "/States/A/Timestamp")],
        id="ASL-WAIT-3-space",
    ),
    pytest.param(
        wait(Timestamp="2016-13-18T17:33:00Z"),
        [(SCHEMA, "/States/A/Timestamp")],
        id="ASL-WAIT-3-month",
    ),
    pytest.param(wait(Timestamp=1), [(SCHEMA, "/States/A/Timestamp")], id="ASL-WAIT-3-type"),
    pytest.param(
        wait(TimestampPath="$..t"),
        [(SCHEMA, "/States/A/TimestampPath")],
        id="PATH-2-timestamp-path",
    ),
    pytest.param(
        fail(Error="E", ErrorPath="$.e"),
        [(SCHEMA, "/States/A/Error")],
        id="ASL-FAIL-1-one-of-error",
    ),
    pytest.param(
        fail(Cause="C", CausePath="$.c"),
        [(SCHEMA, "/States/A/Cause")],
        id="ASL-FAIL-1-one-of-cause",
    ),
    pytest.param(
        fail(ErrorPath="States.Array(1)"),
        [(SCHEMA, "/States/A/ErrorPath")],
        id="ASL-FAIL-1-non-string-intrinsic",
    ),
    pytest.param(
        fail(CausePath="$.c[*]"),
        [(SCHEMA, "/States/A/CausePath")],
        id="ASL-FAIL-1-not-a-reference-path",
    ),
    pytest.param(
        fail(ErrorPath="$$.State.Name", CausePath="States.UUID()"),
        [],
        id="ASL-FAIL-1-context-and-uuid",
    ),
    pytest.param(fail(Error=5), [(SCHEMA, "/States/A/Error")], id="ASL-FAIL-1-error-type"),
    pytest.param(
        one({"Type": "Parallel", "End": True}),
        [(SCHEMA, "/States/A")],
        id="ASL-PAR-1-branches-required",
    ),
    pytest.param(
        one({"Type": "Parallel", "Branches": [], "End": True}),
        [(SCHEMA, "/States/A/Branches")],
        id="DEF-5-branches-empty",
    ),
    pytest.param(
        one({"Type": "Parallel", "Branches": {}, "End": True}),
        [(SCHEMA, "/States/A/Branches")],
        id="ASL-PAR-1-branches-type",
    ),
    pytest.param(
        one({"Type": "Parallel", "Branches": [5], "End": True}),
        [(SCHEMA, "/States/A/Branches/0")],
        id="ASL-PAR-1-branch-type",
    ),
    pytest.param(
        one({"Type": "Parallel", "Branches": [{}], "End": True}),
        [(SCHEMA, "/States/A/Branches/0")],
        id="ASL-PAR-1-branch-fields",
    ),
    pytest.param(
        one({"Type": "Map", "End": True}),
        [(SCHEMA, "/States/A")],
        id="ASL-MAP-1-processor-required",
    ),
    pytest.param(
        map_(Iterator=PROCESSOR),
        [
            (Code.DUPLICATE_STATE_NAME, "/States/A/Iterator/States/P"),
            (SCHEMA, "/States/A/ItemProcessor"),
        ],
        id="ASL-MAP-1-processor-or-iterator",
    ),
    pytest.param(
        map_(ItemSelector={}, Parameters={}),
        [(SCHEMA, "/States/A/ItemSelector")],
        id="ASL-MAP-1-selector-or-parameters",
    ),
    pytest.param(
        map_(MaxConcurrency=-1), [(SCHEMA, "/States/A/MaxConcurrency")], id="ASL-MAP-5-negative"
    ),
    pytest.param(
        map_(MaxConcurrency="2"), [(SCHEMA, "/States/A/MaxConcurrency")], id="ASL-MAP-5-type"
    ),
    pytest.param(
        map_(MaxConcurrency=2, MaxConcurrencyPath="$.n"),
        [(SCHEMA, "/States/A/MaxConcurrency")],
        id="ASL-MAP-5-one-of",
    ),
    pytest.param(
        map_(MaxConcurrencyPath="$.n[*]"),
        [(SCHEMA, "/States/A/MaxConcurrencyPath")],
        id="ASL-MAP-5-path",
    ),
    pytest.param(
        map_(ToleratedFailurePercentage=101),
        [(SCHEMA, "/States/A/ToleratedFailurePercentage")],
        id="ASL-MAP-6-percentage-max",
    ),
    pytest.param(
        map_(ToleratedFailurePercentage=-0.5),
        [(SCHEMA, "/States/A/ToleratedFailurePercentage")],
        id="ASL-MAP-6-percentage-min",
    ),
    pytest.param(
        map_(ToleratedFailureCount=-1),
        [(SCHEMA, "/States/A/ToleratedFailureCount")],
        id="ASL-MAP-6-count",
    ),
    pytest.param(
        map_(ToleratedFailureCount=1, ToleratedFailureCountPath="$.c"),
        [(SCHEMA, "/States/A/ToleratedFailureCount")],
        id="ASL-MAP-6-one-of",
    ),
    pytest.param(
        map_(ItemsPath="$.items[*]"), [(SCHEMA, "/States/A/ItemsPath")], id="PATH-2-items-path"
    ),
    pytest.param(
        map_(ItemProcessor={"ProcessorConfig": {"Mode": "PARALLEL"}, **PROCESSOR}),
        [(SCHEMA, "/States/A/ItemProcessor/ProcessorConfig/Mode")],
        id="ASL-MAP-1-mode",
    ),
    pytest.param(
        map_(ItemProcessor={"ProcessorConfig": {"Mode": "DISTRIBUTED"}, **PROCESSOR}),
        [(SCHEMA, "/States/A/ItemProcessor/ProcessorConfig")],
        id="ASL-DMAP-1-execution-type-required",
    ),
    pytest.param(
        map_(
            ItemReader={
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "XML"},
            }
        ),
        [(SCHEMA, "/States/A/ItemReader/ReaderConfig/InputType")],
        id="ASL-DMAP-3-input-type",
    ),
    pytest.param(
        map_(ItemReader={"Parameters": {"Bucket.$": "nope"}}),
        [(SCHEMA, "/States/A/ItemReader/Parameters/Bucket.$")],
        id="PATH-4-reader-parameters",
    ),
    pytest.param(
        map_(ItemBatcher={"MaxItemsPerBatch": 0}),
        [(SCHEMA, "/States/A/ItemBatcher/MaxItemsPerBatch")],
        id="ASL-DMAP-4-batch-size",
    ),
    pytest.param(
        map_(ResultWriter={}), [(SCHEMA, "/States/A/ResultWriter")], id="ASL-DMAP-5-writer-empty"
    ),
    pytest.param(
        map_(ResultWriter={"WriterConfig": {"OutputType": "CSV", "Extra": 1}}),
        [
            (SCHEMA, "/States/A/ResultWriter/WriterConfig"),
            (SCHEMA, "/States/A/ResultWriter/WriterConfig/OutputType"),
        ],
        id="ASL-DMAP-5-writer-config",
    ),
]


@pytest.mark.parametrize(("definition", "expected"), VALUES)
def test_field_values(definition: dict[str, Any], expected: Expected) -> None:
    check(definition, expected)


def test_range_and_type_messages() -> None:
    """DEF-8: AWS words ranges ``Maximum value is N``/``Minimum value is N`` (measured)."""
    assert [d.message for d in validate(wait(Seconds=100_000_000))] == ["Maximum value is 99999999"]
    assert [d.message for d in validate(map_(MaxConcurrency=-1))] == ["Minimum value is 0"]
    assert [d.message for d in validate(wait(Seconds="1"))] == ["Expected value of type [INTEGER]"]
    assert [d.message for d in validate(task(Credentials={}))] == [
        "The field 'RoleArn' is required but was missing"
    ]
    empty = one({"Type": "Parallel", "Branches": [], "End": True})
    assert validate(empty) == [Diagnostic(SCHEMA, "Value cannot be empty", "/States/A/Branches")]


# --- Choice rules (ASL-CHOICE-1/3/11) -----------------------------------------------------

CHOICES = [
    pytest.param(
        machine({"A": {"Type": "Choice", "Default": "B"}, "B": END}),
        [(SCHEMA, "/States/A")],
        id="choices-required",
    ),
    pytest.param(
        choice(), [(SCHEMA, "/States/A/Choices"), (TARGET, "/States/B")], id="choices-empty"
    ),
    pytest.param(
        choice({"Variable": "$.x", "IsNull": True}, Default="B"),
        [(SCHEMA, "/States/A/Choices/0")],
        id="top-rule-needs-next",
    ),
    pytest.param(
        choice({"Not": {"Variable": "$.x", "IsNull": True, "Next": "B"}, "Next": "B"}),
        [(SCHEMA, "/States/A/Choices/0/Not")],
        id="nested-rule-has-no-next",
    ),
    pytest.param(
        choice(rule(IsNull=True, IsString=True)),
        [(SCHEMA, "/States/A/Choices/0")],
        id="one-operator",
    ),
    pytest.param(choice(rule()), [(SCHEMA, "/States/A/Choices/0")], id="no-operator"),
    pytest.param(
        choice({"IsNull": True, "Next": "B"}),
        [(SCHEMA, "/States/A/Choices/0")],
        id="variable-required",
    ),
    pytest.param(
        choice(rule(Variable="x", IsNull=True)),
        [(SCHEMA, "/States/A/Choices/0/Variable")],
        id="variable-path",
    ),
    pytest.param(
        choice({"And": [{"Variable": "$.x", "IsNull": True}], "Variable": "$.y", "Next": "B"}),
        [(SCHEMA, "/States/A/Choices/0")],
        id="no-variable-on-and",
    ),
    pytest.param(
        choice(rule(StringEquals=5)),
        [(SCHEMA, "/States/A/Choices/0/StringEquals")],
        id="string-type",
    ),
    pytest.param(
        choice(rule(NumericEquals="1")),
        [(SCHEMA, "/States/A/Choices/0/NumericEquals")],
        id="number-type",
    ),
    pytest.param(
        choice(rule(NumericEquals=True)),
        [(SCHEMA, "/States/A/Choices/0/NumericEquals")],
        id="bool-is-not-a-number",
    ),
    pytest.param(
        choice(rule(BooleanEquals="true")),
        [(SCHEMA, "/States/A/Choices/0/BooleanEquals")],
        id="boolean-type",
    ),
    pytest.param(
        choice(rule(TimestampEquals="yesterday")),
        [(SCHEMA, "/States/A/Choices/0/TimestampEquals")],
        id="timestamp-value",
    ),
    pytest.param(
        choice(rule(StringEqualsPath="x")),
        [(SCHEMA, "/States/A/Choices/0/StringEqualsPath")],
        id="path-value",
    ),
    pytest.param(
        choice(rule(IsPresent="yes")), [(SCHEMA, "/States/A/Choices/0/IsPresent")], id="is-type"
    ),
    pytest.param(
        choice({"And": [], "Next": "B"}), [(SCHEMA, "/States/A/Choices/0/And")], id="and-empty"
    ),
    pytest.param(
        choice({"Or": {}, "Next": "B"}), [(SCHEMA, "/States/A/Choices/0/Or")], id="or-type"
    ),
    pytest.param(
        choice({"Not": [], "Next": "B"}), [(SCHEMA, "/States/A/Choices/0/Not")], id="not-type"
    ),
    pytest.param(
        choice(5), [(SCHEMA, "/States/A/Choices/0"), (TARGET, "/States/B")], id="rule-type"
    ),
    pytest.param(
        choice(rule(IsNull=True, Output=1)),
        [(SCHEMA, "/States/A/Choices/0")],
        id="output-is-jsonata",
    ),
    pytest.param(
        choice({"Next": "B"}, **JSONATA), [(SCHEMA, "/States/A/Choices/0")], id="condition-required"
    ),
    pytest.param(
        choice({"Condition": "yes", "Next": "B"}, **JSONATA),
        [(SCHEMA, "/States/A/Choices/0/Condition")],
        id="condition-type",
    ),
]


@pytest.mark.parametrize(("definition", "expected"), CHOICES)
def test_choice_rules(definition: dict[str, Any], expected: Expected) -> None:
    check(definition, expected)


# --- paths and payload templates (PATH-1..4, IO-3) ----------------------------------------

PATHS = [
    pytest.param(pass_(InputPath="a"), [(SCHEMA, "/States/A/InputPath")], id="PATH-1-input-path"),
    pytest.param(pass_(InputPath=None, OutputPath=None, ResultPath=None), [], id="IO-3-nulls"),
    pytest.param(
        pass_(OutputPath=5), [(SCHEMA, "/States/A/OutputPath")], id="PATH-1-output-path-type"
    ),
    pytest.param(pass_(InputPath="$$.Execution.Input", OutputPath="$var.x"), [], id="PATH-3-roots"),
    pytest.param(
        pass_(ResultPath="$$.x"),
        [(SCHEMA, "/States/A/ResultPath")],
        id="PATH-3-no-context-in-result-path",
    ),
    pytest.param(
        pass_(ResultPath="$var"),
        [(SCHEMA, "/States/A/ResultPath")],
        id="PATH-3-no-variable-in-result-path",
    ),
    pytest.param(
        pass_(ResultPath="$.a[*]"),
        [(SCHEMA, "/States/A/ResultPath")],
        id="PATH-2-result-path-reference",
    ),
    pytest.param(
        pass_(Parameters={"a.$": 5}), [(SCHEMA, "/States/A/Parameters/a.$")], id="PATH-4-non-string"
    ),
    pytest.param(
        pass_(Parameters={"a.$": "a.b"}),
        [(SCHEMA, "/States/A/Parameters/a.$")],
        id="PATH-4-not-a-path",
    ),
    pytest.param(
        pass_(Parameters={"list": [1, {"deep": {"a.$": "x"}}]}),
        [(SCHEMA, "/States/A/Parameters/list/1/deep/a.$")],
        id="PATH-4-inside-arrays",
    ),
    pytest.param(
        pass_(Parameters={"a.$": "States.Format('{}'"}),
        [(SCHEMA, "/States/A/Parameters/a.$")],
        id="PATH-4-bad-intrinsic",
    ),
    pytest.param(
        pass_(Parameters={"a.$": "States.NoSuchFunction(1)"}),
        [(SCHEMA, "/States/A/Parameters/a.$")],
        id="FN-unknown-intrinsic",
    ),
    pytest.param(
        pass_(Parameters={"a": "$x", "b": "States.Bad("}),
        [],
        id="PATH-4-literals-without-dollar-key",
    ),
    pytest.param(
        pass_(Parameters=[1]), [(SCHEMA, "/States/A/Parameters")], id="PATH-4-template-type"
    ),
    pytest.param(
        task(ResultSelector={"r.$": "Payload"}),
        [(SCHEMA, "/States/A/ResultSelector/r.$")],
        id="PATH-4-result-selector",
    ),
    pytest.param(
        map_(ItemSelector={"v.$": "value"}),
        [(SCHEMA, "/States/A/ItemSelector/v.$")],
        id="PATH-4-item-selector",
    ),
    pytest.param(
        pass_(Assign={"v.$": "nope"}), [(SCHEMA, "/States/A/Assign/v.$")], id="VAR-3-assign"
    ),
    pytest.param(pass_(Assign=[]), [(SCHEMA, "/States/A/Assign")], id="VAR-1-assign-type"),
    pytest.param(
        pass_(Parameters={"a.$": "$.a[?(@.x > 1)]", "b.$": "$..c", "c.$": "$.d[0:2]"}),
        [],
        id="PATH-1-indefinite-paths",
    ),
]


@pytest.mark.parametrize(("definition", "expected"), PATHS)
def test_paths_and_templates(definition: dict[str, Any], expected: Expected) -> None:
    check(definition, expected)


def test_template_message_is_aws_wording() -> None:
    """PATH-4: ``The value for the field 'k.$' must be a valid JSONPath or ...``."""
    assert [d.message for d in validate(pass_(Parameters={"taskToken.$": "token"}))] == [
        "The value for the field 'taskToken.$' must be a valid JSONPath or a valid intrinsic "
        "function call"
    ]


# --- Retry and Catch (RETRY-1, RETRY-4, CATCH-1) -------------------------------------------

ALL = ["States.ALL"]
RETRIES = [
    pytest.param(task(Retry={}), [(SCHEMA, "/States/A/Retry")], id="RETRY-1-array"),
    pytest.param(task(Retry=[5]), [(SCHEMA, "/States/A/Retry/0")], id="RETRY-1-object"),
    pytest.param(
        task(Retry=[{}]), [(SCHEMA, "/States/A/Retry/0")], id="RETRY-1-error-equals-required"
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": []}]),
        [(SCHEMA, "/States/A/Retry/0/ErrorEquals")],
        id="RETRY-1-error-equals-empty",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": [5]}]),
        [(SCHEMA, "/States/A/Retry/0/ErrorEquals/0")],
        id="RETRY-1-error-name-type",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ["States.ALL", "X"]}]),
        [(SCHEMA, "/States/A/Retry/0/ErrorEquals")],
        id="RETRY-4-all-alone",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL}, {"ErrorEquals": ["X"]}]),
        [(SCHEMA, "/States/A/Retry/0/ErrorEquals")],
        id="RETRY-4-all-last",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "IntervalSeconds": 0}]),
        [(SCHEMA, "/States/A/Retry/0/IntervalSeconds")],
        id="RETRY-1-interval-min",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "IntervalSeconds": 100_000_000}]),
        [(SCHEMA, "/States/A/Retry/0/IntervalSeconds")],
        id="Q-17-interval-max",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "MaxAttempts": -1}]),
        [(SCHEMA, "/States/A/Retry/0/MaxAttempts")],
        id="RETRY-1-attempts-min",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "MaxAttempts": 99_999_999}]), [], id="Q-17-attempts-max"
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "MaxAttempts": 100_000_000}]),
        [(SCHEMA, "/States/A/Retry/0/MaxAttempts")],
        id="Q-17-attempts-over",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "BackoffRate": 0.5}]),
        [(SCHEMA, "/States/A/Retry/0/BackoffRate")],
        id="RETRY-1-backoff-min",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "BackoffRate": True}]),
        [(SCHEMA, "/States/A/Retry/0/BackoffRate")],
        id="RETRY-1-backoff-type",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "MaxDelaySeconds": 0}]),
        [(SCHEMA, "/States/A/Retry/0/MaxDelaySeconds")],
        id="RETRY-1-max-delay-min",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "MaxDelaySeconds": 31_622_401}]),
        [(SCHEMA, "/States/A/Retry/0/MaxDelaySeconds")],
        id="RETRY-1-max-delay-max",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "JitterStrategy": "HALF"}]),
        [(SCHEMA, "/States/A/Retry/0/JitterStrategy")],
        id="RETRY-1-jitter",
    ),
    pytest.param(
        task(Retry=[{"ErrorEquals": ALL, "Next": "A"}]),
        [(SCHEMA, "/States/A/Retry/0")],
        id="RETRY-1-unknown-field",
    ),
    pytest.param(task(Catch=[{}]), [(SCHEMA, "/States/A/Catch/0")], id="CATCH-1-required"),
    pytest.param(
        task(Catch=[{"ErrorEquals": ALL}]),
        [(SCHEMA, "/States/A/Catch/0")],
        id="CATCH-1-next-required",
    ),
    pytest.param(
        task(Catch=[{"ErrorEquals": ALL, "Next": "A"}, {"ErrorEquals": ["X"], "Next": "A"}]),
        [(SCHEMA, "/States/A/Catch/0/ErrorEquals")],
        id="RETRY-4-catch-all-last",
    ),
    pytest.param(
        task(Catch=[{"ErrorEquals": ALL, "Next": "A", "ResultPath": "$$.e"}]),
        [(SCHEMA, "/States/A/Catch/0/ResultPath")],
        id="CATCH-1-result-path",
    ),
    pytest.param(
        task(Catch=[{"ErrorEquals": ALL, "Next": "A", "Output": {}}]),
        [(SCHEMA, "/States/A/Catch/0")],
        id="CATCH-1-output-is-jsonata",
    ),
    pytest.param(
        task(
            Catch=[
                {"ErrorEquals": ALL, "Next": "A", "ResultPath": None, "Assign": {"e.$": "$.Error"}}
            ]
        ),
        [],
        id="CATCH-1-result-path-null-and-assign",
    ),
]


@pytest.mark.parametrize(("definition", "expected"), RETRIES)
def test_retry_and_catch(definition: dict[str, Any], expected: Expected) -> None:
    check(definition, expected)


# --- Express machines (DEF-6) -------------------------------------------------------------

EXPRESS = [
    pytest.param(
        "arn:aws:states:::states:startExecution.sync", "'.sync' service integration", id="sync"
    ),
    pytest.param(
        "arn:aws:states:::states:startExecution.sync:2", "'.sync' service integration", id="sync-2"
    ),
    pytest.param(
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "'.waitForTaskToken' service integration",
        id="callback",
    ),
    pytest.param(
        "arn:aws:states:us-east-1:123456789012:activity:work", "Activity ARN", id="activity"
    ),
]


@pytest.mark.parametrize(("resource", "what"), EXPRESS)
def test_express_rejects_sync_callbacks_and_activities(resource: str, what: str) -> None:
    assert validate(task(Resource=resource), express=True) == [
        Diagnostic(SCHEMA, f"Express state machine does not support {what}", "/States/A/Resource")
    ]
    assert validate(task(Resource=resource)) == []


def test_express_rules_apply_inside_branches_and_express_children() -> None:
    """DEF-6 inside a Parallel of an Express machine, and in a Distributed Map's EXPRESS child."""
    sync = {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "End": True}
    parallel = one(
        {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": sync}}], "End": True}
    )
    check(parallel, [(SCHEMA, "/States/A/Branches/0/States/B/Resource")], express=True)
    config = {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}
    child = map_(ItemProcessor={"ProcessorConfig": config, "StartAt": "B", "States": {"B": sync}})
    check(child, [(SCHEMA, "/States/A/ItemProcessor/States/B/Resource")])
    check(task(Resource=LAMBDA), [], express=True)


# --- nesting (DEF-8, TOO_DEEPLY_NESTED) ---------------------------------------------------


def nested_parallels(depth: int) -> dict[str, Any]:
    scope: dict[str, Any] = {"StartAt": "S0", "States": {"S0": END}}
    for level in range(1, depth + 1):
        name = f"S{level}"
        scope = {
            "StartAt": name,
            "States": {name: {"Type": "Parallel", "Branches": [scope], "End": True}},
        }
    return scope


def test_nesting_limit() -> None:
    """AWS documents no depth; 100 nested scopes pass and the 101st is TOO_DEEPLY_NESTED."""
    assert validate(nested_parallels(100)) == []
    [diagnostic] = validate(nested_parallels(101))
    assert diagnostic.code == Code.TOO_DEEPLY_NESTED
    assert diagnostic.location == "".join(f"/States/S{n}/Branches/0" for n in range(101, 0, -1))


def test_choice_nesting_limit() -> None:
    deep: dict[str, Any] = {"Variable": "$.x", "IsNull": True}
    for _ in range(101):
        deep = {"Not": deep}
    [diagnostic] = validate(choice({**deep, "Next": "B"}))
    assert diagnostic.code == Code.TOO_DEEPLY_NESTED


# --- every problem at once ----------------------------------------------------------------


def test_all_problems_are_reported_at_once_with_their_pointers() -> None:
    """DEF-5: one definition, many problems, each with its code and JSON pointer."""
    definition = {
        "StartAt": "Start",
        "Version": "2",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": "not-an-arn",
                "TimeoutSeconds": 0,
                "Next": "Gone",
            },
            "Pick": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "NumericEquals": "1"}],
                "Default": "Start",
            },
            "Map": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Start", "States": {"Start": END}},
                "ResultPath": "$$.nope",
                "Retry": [{"ErrorEquals": ["States.ALL", "X"], "BackoffRate": 0}],
                "End": True,
            },
        },
    }
    assert found(validate(definition)) == [
        (SCHEMA, "/Version"),
        (Code.INVALID_RESOURCE, "/States/Start/Resource"),
        (SCHEMA, "/States/Start/TimeoutSeconds"),
        (TARGET, "/States/Start/Next"),
        (SCHEMA, "/States/Pick/Choices/0"),
        (SCHEMA, "/States/Pick/Choices/0/NumericEquals"),
        (Code.DUPLICATE_STATE_NAME, "/States/Map/ItemProcessor/States/Start"),
        (SCHEMA, "/States/Map/ResultPath"),
        (SCHEMA, "/States/Map/Retry/0/ErrorEquals"),
        (SCHEMA, "/States/Map/Retry/0/BackoffRate"),
        (TARGET, "/States/Pick"),
        (TARGET, "/States/Map"),
    ]
    error = DefinitionError(validate(definition))
    assert error.message.startswith(
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value should be one of the "
        "following: [1.0] at /Version, INVALID_RESOURCE: "
    )


# --- JSON text (API-38, Q-3) --------------------------------------------------------------

TEXTS = [
    pytest.param(
        "not a definition",
        "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token "
        "'null', 'true' or 'false')\n"
        ' at [Source: (String)"not a definition"; line: 1, column: 4]',
        id="API-38-token",
    ),
    pytest.param(
        "{not json",
        "Unexpected character ('n' (code 110)): was expecting double-quote to start field name\n"
        ' at [Source: (String)"{not json"; line: 1, column: 3]',
        id="field-name",
    ),
    pytest.param(
        '{"a": 1,\n "b": }',
        "Unexpected character ('}' (code 125)): expected a value\n"
        ' at [Source: (String)"{"a": 1,\n "b": }"; line: 2, column: 8]',
        id="value-on-line-2",
    ),
    pytest.param(
        '{"a": 1,}',
        "Unexpected character ('}' (code 125)): was expecting double-quote to start field name\n"
        ' at [Source: (String)"{"a": 1,}"; line: 1, column: 10]',
        id="trailing-comma",
    ),
    pytest.param(
        '{"a": [1 2]}',
        "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries\n"
        ' at [Source: (String)"{"a": [1 2]}"; line: 1, column: 11]',
        id="array-comma",
    ),
    pytest.param(
        '{"a": ',
        'Unexpected end-of-input\n at [Source: (String)"{"a": "; line: 1, column: 7]',
        id="end-of-input",
    ),
]


@pytest.mark.parametrize(("text", "message"), TEXTS)
def test_malformed_json_gives_line_and_column(text: str, message: str) -> None:
    assert validate_text(text) == [Diagnostic(Code.INVALID_JSON_DESCRIPTION, message)]


def test_long_malformed_json_truncates_the_source() -> None:
    text = '{"Comment": "' + "x" * 600 + '", oops}'
    [diagnostic] = validate_text(text)
    assert diagnostic.code == Code.INVALID_JSON_DESCRIPTION
    assert f'"[truncated {len(text) - 500} chars]; line: 1, column: {len(text) - 3}]' in (
        diagnostic.message
    )


TEXT_SHAPES = [
    pytest.param("", [(SCHEMA, "/")], id="API-38-empty"),
    pytest.param("   \n", [(SCHEMA, "/")], id="blank"),
    pytest.param("[1, 2]", [(SCHEMA, "/")], id="array"),
    pytest.param("null", [(SCHEMA, "/")], id="null"),
    pytest.param(
        '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}', [], id="valid"
    ),
    pytest.param("{}", [(SCHEMA, "/")], id="empty-object"),
    pytest.param('"\\ud800"', [(Code.INVALID_JSON_DESCRIPTION, "/")], id="lone-surrogate"),
    pytest.param("{} x", [(Code.INVALID_JSON_DESCRIPTION, "/")], id="trailing-content"),
    pytest.param("[" * 2000 + "]" * 2000, [(Code.TOO_DEEPLY_NESTED, "/")], id="deep-json"),
]


@pytest.mark.parametrize(("text", "expected"), TEXT_SHAPES)
def test_text_shapes(text: str, expected: Expected) -> None:
    assert found(validate_text(text)) == expected


def test_empty_text_message() -> None:
    """API-38: an empty definition is ``Definition must be a valid JSON object``."""
    assert validate_text("") == [Diagnostic(SCHEMA, "Definition must be a valid JSON object", "/")]


def test_definition_size_limit() -> None:
    """Q-3: a definition is at most 1,048,576 characters."""
    padding = "x" * (1_048_576 - 80)
    text = '{"Comment": "' + padding + '", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}'
    assert len(text) <= 1_048_576
    assert validate_text(text) == []
    [diagnostic] = validate_text(text + " " * (1_048_577 - len(text)))
    assert diagnostic.code == SCHEMA
    assert "1048576" in diagnostic.message


# --- robustness: validate never raises ----------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
ALL_FIELDS = sorted(
    {name for fields in FIELDS.values() for group in fields for name in group} - {"Type"}
)
FIELD_VALUES = JSON_VALUES | st.sampled_from(
    ["$", "$.a", "$$.x", "States.UUID()", "{% 1 %}", "A", INVOKE]
)


STATE_LIKE = st.builds(
    lambda kind, fields: {"Type": kind, **fields},
    st.sampled_from(STATE_TYPES),
    st.dictionaries(st.sampled_from(ALL_FIELDS), FIELD_VALUES, max_size=6),
)


DEFINITION_LIKE = st.fixed_dictionaries(
    {"StartAt": st.sampled_from(["A", "B"]) | JSON_VALUES},
    optional={
        "States": st.dictionaries(st.sampled_from(["A", "B", "C"]), STATE_LIKE, max_size=3),
        "QueryLanguage": st.sampled_from(["JSONPath", "JSONata", "x"]),
    },
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_validate_never_raises_on_arbitrary_json(value: object) -> None:
    diagnostics = validate(value)
    assert all(isinstance(d, Diagnostic) for d in diagnostics)


@settings(max_examples=500, deadline=None)
@given(DEFINITION_LIKE, st.booleans())
def test_validate_never_raises_on_definition_shaped_json(
    definition: dict[str, Any], express: bool
) -> None:
    before = copy.deepcopy(definition)
    diagnostics = validate(definition, express=express)
    assert all(isinstance(d, Diagnostic) and d.location.startswith("/") for d in diagnostics)
    assert definition == before


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_validate_text_never_raises(text: str) -> None:
    assert all(isinstance(d, Diagnostic) for d in validate_text(text))
