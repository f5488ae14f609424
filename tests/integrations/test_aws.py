"""AWS service integrations against moto's server (INT-1, INT-3, INT-10, INT-11, ERR-19/20)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import boto3
import orjson
import pytest

from statewise.services import Services

from .conftest import MakeServices, execute, finish, history, start, task, until


@pytest.fixture
async def aws(make_services: MakeServices, moto_url: str) -> Services:
    return await make_services(aws_endpoint=moto_url)


def client(moto_url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=moto_url, region_name="us-east-1")


def queue(moto_url: str) -> str:
    url: str = client(moto_url, "sqs").create_queue(QueueName="q-" + uuid.uuid4().hex[:8])[
        "QueueUrl"
    ]
    return url


def table(moto_url: str) -> str:
    name = "t-" + uuid.uuid4().hex[:8]
    client(moto_url, "dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


async def test_sqs_send_message_request_response(aws: Services, moto_url: str) -> None:
    """INT-11: an object MessageBody is sent as its JSON text; the result carries the SQS
    response with SdkHttpMetadata/SdkResponseMetadata; HIST-5 resourceType/resource."""
    url = queue(moto_url)
    done = await execute(
        aws,
        task(
            "arn:aws:states:::sqs:sendMessage",
            Parameters={"QueueUrl": url, "MessageBody": {"hello.$": "$.who"}},
        ),
        {"who": "world"},
    )
    assert done.status == "SUCCEEDED", done.execution.cause
    assert set(done.output) >= {"MessageId", "MD5OfMessageBody", "SdkHttpMetadata"}
    assert done.output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert "RequestId" in done.output["SdkResponseMetadata"]
    scheduled = done.details("TaskScheduled")
    assert (scheduled["resourceType"], scheduled["resource"]) == ("sqs", "sendMessage")
    received = client(moto_url, "sqs").receive_message(QueueUrl=url)["Messages"]
    assert json.loads(received[0]["Body"]) == {"hello": "world"}


async def test_sqs_missing_queue_is_named_after_the_java_sdk(aws: Services, moto_url: str) -> None:
    """ERR-19/ERR-20: SQS.QueueDoesNotExistException, cause in the SDK v1 format; catchable."""
    missing = moto_url + "/123456789012/nope-" + uuid.uuid4().hex[:6]
    definition = task(
        "arn:aws:states:::sqs:sendMessage",
        Parameters={"QueueUrl": missing, "MessageBody": "x"},
        Catch=[{"ErrorEquals": ["SQS.QueueDoesNotExistException"], "Next": "Caught"}],
    )
    definition["States"]["Caught"] = {"Type": "Succeed"}
    done = await execute(aws, definition)
    assert done.status == "SUCCEEDED"
    failed = done.details("TaskFailed")
    assert failed["error"] == "SQS.QueueDoesNotExistException"
    assert re.fullmatch(
        r"The specified queue does not exist\. \(Service: AmazonSQS; Status Code: 400; "
        r"Error Code: AWS\.SimpleQueueService\.NonExistentQueue; Request ID: \S*; "
        r"Proxy: null\)",
        failed["cause"],
    )


async def test_send_message_wait_for_task_token(aws: Services, moto_url: str) -> None:
    """INT-3/HIST-6: the token travels in the message; TaskSubmitted holds the send's
    response; SendTaskSuccess's output is the task's result."""
    url = queue(moto_url)
    arn = await start(
        aws,
        task(
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            Parameters={"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
            ResultPath="$.reply",
        ),
        {"booking": 7},
    )
    sqs = client(moto_url, "sqs")
    # boto3 blocks: off the loop, so the engine sends meanwhile.
    received = await asyncio.to_thread(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=5)
    message = received["Messages"][0]
    token = json.loads(message["Body"])["token"]

    async def submitted() -> bool:
        return any(e.type == "TaskSubmitted" for e in await history(aws, arn))

    await until(submitted)
    await aws.engine.send_task_success(token, '{"answer": "yes"}')
    done = await finish(aws, arn)
    assert done.output == {"booking": 7, "reply": {"answer": "yes"}}
    assert done.types()[2:7] == [
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
        "TaskStateExited",
    ]
    assert "MessageId" in orjson.loads(done.details("TaskSubmitted")["output"])
    assert done.details("TaskScheduled")["resource"] == "sendMessage.waitForTaskToken"


async def test_sns_publish(aws: Services, moto_url: str) -> None:
    """INT-11 sns:publish: a JSON Message goes as text; the result has MessageId."""
    topic = client(moto_url, "sns").create_topic(Name="t-" + uuid.uuid4().hex[:8])["TopicArn"]
    done = await execute(
        aws,
        task(
            "arn:aws:states:::sns:publish",
            Parameters={"TopicArn": topic, "Message": {"text": "hi"}},
        ),
    )
    assert done.status == "SUCCEEDED", done.execution.cause
    assert "MessageId" in done.output


async def test_dynamodb_item_lifecycle(aws: Services, moto_url: str) -> None:
    """INT-11: putItem, updateItem, getItem, deleteItem in one workflow."""
    name = table(moto_url)
    key = {"id": {"S": "a"}}
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": name, "Item": {"id": {"S": "a"}, "n": {"N": "1"}}},
                "ResultPath": None,
                "Next": "Update",
            },
            "Update": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:updateItem",
                "Parameters": {
                    "TableName": name,
                    "Key": key,
                    "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                },
                "ResultPath": None,
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": name, "Key": key},
                "ResultSelector": {"item.$": "$.Item"},
                "ResultPath": "$.got",
                "Next": "Delete",
            },
            "Delete": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:deleteItem",
                "Parameters": {"TableName": name, "Key": key},
                "ResultPath": None,
                "End": True,
            },
        },
    }
    done = await execute(aws, definition)
    assert done.status == "SUCCEEDED", done.execution.cause
    assert done.output["got"]["item"] == {"id": {"S": "a"}, "n": {"N": "2"}}
    left = client(moto_url, "dynamodb").get_item(TableName=name, Key=key)
    assert "Item" not in left


async def test_dynamodb_missing_table(aws: Services) -> None:
    """ERR-19: DynamoDB.ResourceNotFoundException, cause naming AmazonDynamoDBv2."""
    done = await execute(
        aws,
        task(
            "arn:aws:states:::dynamodb:getItem",
            Parameters={"TableName": "absent", "Key": {"id": {"S": "x"}}},
        ),
    )
    assert done.status == "FAILED"
    assert done.execution.error == "DynamoDB.ResourceNotFoundException"
    assert (
        "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException;"
        in (done.execution.cause or "")
    )


async def test_events_put_events(aws: Services) -> None:
    """INT-11 events:putEvents: an object Detail goes as text; Entries come back."""
    done = await execute(
        aws,
        task(
            "arn:aws:states:::events:putEvents",
            Parameters={
                "Entries": [{"Source": "app", "DetailType": "booked", "Detail": {"id": 1}}]
            },
        ),
    )
    assert done.status == "SUCCEEDED", done.execution.cause
    assert done.output["FailedEntryCount"] == 0
    assert len(done.output["Entries"]) == 1


async def test_aws_sdk_integration_pascal_case(aws: Services, moto_url: str) -> None:
    """INT-10: aws-sdk:<service>:<action> takes and returns PascalCase; history names
    resourceType aws-sdk:<service> and resource <action>."""
    name = table(moto_url)
    client(moto_url, "dynamodb").put_item(TableName=name, Item={"id": {"S": "k"}})
    done = await execute(
        aws,
        task(
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            Parameters={"TableName": name, "Key": {"id": {"S": "k"}}},
        ),
    )
    assert done.output == {"Item": {"id": {"S": "k"}}}
    scheduled = done.details("TaskScheduled")
    assert (scheduled["resourceType"], scheduled["resource"]) == ("aws-sdk:dynamodb", "getItem")


async def test_aws_sdk_errors_use_the_sdk_v2_names(aws: Services) -> None:
    """ERR-19/ERR-20: DynamoDb.ResourceNotFoundException, cause '(Service: DynamoDb, ...)'."""
    done = await execute(
        aws,
        task(
            "arn:aws:states:::aws-sdk:dynamodb:describeTable",
            Parameters={"TableName": "absent"},
            Retry=[{"ErrorEquals": ["DynamoDb.ResourceNotFoundException"], "MaxAttempts": 0}],
        ),
    )
    assert done.execution.error == "DynamoDb.ResourceNotFoundException"
    assert re.search(
        r"\(Service: DynamoDb, Status Code: 400, Request ID: \S*\)$", done.execution.cause or ""
    )
