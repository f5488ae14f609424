"""AWS's names for service errors and API shapes (ERR-19, INT-10), without a server."""

from __future__ import annotations

import botocore.session
import pytest

from statewise.integrations.aws import v1_prefix, v2_prefix
from statewise.integrations.sdk import to_model, to_pascal

SESSION = botocore.session.get_session()


@pytest.mark.parametrize(
    ("service", "prefix"),
    [
        pytest.param("dynamodb", "DynamoDb", id="dynamodb"),
        pytest.param("stepfunctions", "Sfn", id="sfn"),
        pytest.param("s3", "S3", id="s3"),
        pytest.param("sqs", "Sqs", id="sqs"),
        pytest.param("secretsmanager", "SecretsManager", id="secretsmanager"),
        pytest.param("events", "EventBridge", id="eventbridge"),
        pytest.param("lambda", "Lambda", id="lambda"),
    ],
)
def test_sdk_v2_service_names(service: str, prefix: str) -> None:
    """ERR-19: aws-sdk errors are prefixed with the Java SDK v2 service name."""
    assert v2_prefix(SESSION.get_service_model(service)) == prefix


@pytest.mark.parametrize(
    ("service", "prefix", "java"),
    [
        pytest.param("dynamodb", "DynamoDB", "AmazonDynamoDBv2", id="dynamodb"),
        pytest.param("sqs", "SQS", "AmazonSQS", id="sqs"),
        pytest.param("sns", "SNS", "AmazonSNS", id="sns"),
        pytest.param("events", "EventBridge", "AmazonEventBridge", id="events"),
    ],
)
def test_optimized_service_names(service: str, prefix: str, java: str) -> None:
    """ERR-19/ERR-20: optimized integrations use the Java SDK v1 names."""
    assert v1_prefix(service) == (prefix, java)


def test_pascal_case_parameters_meet_camel_case_models() -> None:
    """INT-10: Step Functions' own API is camelCase on the wire, PascalCase in workflows."""
    operation = SESSION.get_service_model("stepfunctions").operation_model("StartExecution")
    shaped = to_model(operation.input_shape, {"StateMachineArn": "a", "Input": {"k": 1}})
    assert shaped == {"stateMachineArn": "a", "input": '{"k":1}'}
    output = SESSION.get_service_model("stepfunctions").operation_model("DescribeExecution")
    assert to_pascal(
        output.output_shape, {"executionArn": "e", "inputDetails": {"included": True}}
    ) == {
        "ExecutionArn": "e",
        "InputDetails": {"Included": True},
    }
