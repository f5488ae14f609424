"""Task states calling functions: INT-4 (lambda:invoke), INT-5 (legacy ARN), ERR-19, ERR-20."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from statewise.engine.ports import TaskFailed, TaskRequest, TaskSucceeded
from statewise.functions.errors import ResourceNotFoundException, TooManyRequestsException
from statewise.functions.invoke import InvokeResult
from statewise.functions.tasks import FunctionTaskRunner, RemoteLambdaError

INVOKE = "arn:aws:states:::lambda:invoke"
LEGACY = "arn:aws:lambda:us-east-1:123456789012:function:f"


class FakeInvoker:
    """Answers what it is told and records the calls."""

    def __init__(self, result: InvokeResult | Exception) -> None:
        self.result = result
        self.calls: list[tuple[str, bytes, dict[str, Any]]] = []

    async def invoke(self, function_name: str, payload: bytes = b"", **options: Any) -> Any:
        self.calls.append((function_name, payload, options))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def _request(resource: str, payload: Any) -> TaskRequest:
    return TaskRequest(
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:e",
        state_name="Call",
        resource=resource,
        payload=payload,
        timeout_seconds=60,
    )


def _ok(payload: bytes, **extra: Any) -> InvokeResult:
    return InvokeResult(
        status_code=200, payload=payload, request_id="rid", executed_version="$LATEST", **extra
    )


async def test_optimized_envelope() -> None:
    """INT-4: ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode."""
    invoker = FakeInvoker(_ok(b'{"a": 1}'))
    runner = FunctionTaskRunner(invoker)
    outcome = await runner.run(
        _request(INVOKE, {"FunctionName": "f:live", "Payload": {"in": True}, "Qualifier": "live"})
    )
    assert isinstance(outcome, TaskSucceeded)
    result = outcome.output
    assert list(result) == [
        "ExecutedVersion",
        "Payload",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
        "StatusCode",
    ]
    assert result["Payload"] == {"a": 1} and result["StatusCode"] == 200
    assert result["SdkResponseMetadata"] == {"RequestId": "rid"}
    http = result["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    assert http["HttpHeaders"]["X-Amz-Executed-Version"] == "$LATEST"
    assert http["AllHttpHeaders"]["x-amzn-RequestId"] == ["rid"]
    assert invoker.calls == [("f:live", b'{"in":true}', {"qualifier": "live"})]


async def test_optimized_raw_payload_and_event() -> None:
    """INT-4: a payload that is not JSON arrives as a string; Event answers 202, no payload."""
    runner = FunctionTaskRunner(FakeInvoker(_ok(b"plain text")))
    outcome = await runner.run(_request(INVOKE, {"FunctionName": "f"}))
    assert isinstance(outcome, TaskSucceeded) and outcome.output["Payload"] == "plain text"
    event = FakeInvoker(InvokeResult(status_code=202, payload=b"", request_id="r"))
    outcome = await FunctionTaskRunner(event).run(
        _request(INVOKE, {"FunctionName": "f", "InvocationType": "Event", "Payload": 1})
    )
    assert isinstance(outcome, TaskSucceeded)
    assert outcome.output["StatusCode"] == 202 and outcome.output["Payload"] == ""
    assert "ExecutedVersion" not in outcome.output
    assert event.calls[0][2] == {"invocation_type": "Event"}


async def test_function_error_fails_with_error_type() -> None:
    """INT-4: a FunctionError fails the task, error = errorType, cause = the payload text."""
    payload = b'{"errorMessage":"boom","errorType":"ValueError","requestId":"r","stackTrace":[]}'
    for resource, params in ((INVOKE, {"FunctionName": "f"}), (LEGACY, {"x": 1})):
        runner = FunctionTaskRunner(FakeInvoker(_ok(payload, function_error="Unhandled")))
        outcome = await runner.run(_request(resource, params))
        assert outcome == TaskFailed("ValueError", payload.decode())


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b'{"errorType":"Sandbox.Timedout","errorMessage":"t"}', id="timeout"),
        pytest.param(b'{"errorType":"Runtime.ExitError","errorMessage":"x"}', id="crash"),
    ],
)
async def test_platform_errors_are_lambda_unknown(payload: bytes) -> None:
    """Timeouts and crashes are reported as Lambda.Unknown (bp-lambda-serviceexception)."""
    runner = FunctionTaskRunner(FakeInvoker(_ok(payload, function_error="Unhandled")))
    outcome = await runner.run(_request(LEGACY, {}))
    assert outcome == TaskFailed("Lambda.Unknown", payload.decode())


async def test_error_without_type_is_lambda_unknown() -> None:
    runner = FunctionTaskRunner(FakeInvoker(_ok(b'"oops"', function_error="Unhandled")))
    outcome = await runner.run(_request(LEGACY, {}))
    assert isinstance(outcome, TaskFailed) and outcome.error == "Lambda.Unknown"
    assert outcome.cause == (
        "The cause could not be determined because Lambda did not return an error type. "
        'Returned payload: "oops"'
    )


async def test_legacy_result_is_the_output() -> None:
    """INT-5: the input is the event and the result is only the function's output."""
    invoker = FakeInvoker(_ok(b'{"out": 2}'))
    outcome = await FunctionTaskRunner(invoker).run(_request(LEGACY + ":live", {"in": 1}))
    assert outcome == TaskSucceeded({"out": 2})
    assert invoker.calls == [("f:live", b'{"in":1}', {})]


@pytest.mark.parametrize(
    ("error", "name", "cause"),
    [
        pytest.param(
            ResourceNotFoundException("Function not found: arn:aws:lambda:x"),
            "Lambda.ResourceNotFoundException",
            "Function not found: arn:aws:lambda:x (Service: AWSLambda; Status Code: 404; "
            "Error Code: ResourceNotFoundException; Request ID: ",
            id="not-found",
        ),
        pytest.param(
            TooManyRequestsException("Rate Exceeded.", "ConcurrentInvocationLimitExceeded"),
            "Lambda.TooManyRequestsException",
            "Rate Exceeded. (Service: AWSLambda; Status Code: 429; "
            "Error Code: TooManyRequestsException; Request ID: ",
            id="throttled",
        ),
        pytest.param(
            RemoteLambdaError("ValidationException", 400, "bad", "r-1"),
            "Lambda.AWSLambdaException",
            "bad (Service: AWSLambda; Status Code: 400; Error Code: ValidationException; "
            "Request ID: r-1; Proxy: null)",
            id="unmodeled-code",
        ),
        pytest.param(
            RemoteLambdaError("SdkClientException", 0, "Unable to execute HTTP request", ""),
            "Lambda.SdkClientException",
            "Unable to execute HTTP request",
            id="unreachable",
        ),
    ],
)
async def test_service_errors(error: Exception, name: str, cause: str) -> None:
    """ERR-19/ERR-20: Lambda.<Code> with the Java SDK's cause text."""
    outcome = await FunctionTaskRunner(FakeInvoker(error)).run(_request(LEGACY, {}))
    assert isinstance(outcome, TaskFailed) and outcome.error == name
    assert outcome.cause is not None and outcome.cause.startswith(cause)
    assert outcome.cause.endswith("Proxy: null)") or name == "Lambda.SdkClientException"


async def test_missing_function_name() -> None:
    outcome = await FunctionTaskRunner(FakeInvoker(_ok(b"1"))).run(_request(INVOKE, {"P": 1}))
    assert isinstance(outcome, TaskFailed) and outcome.error == "States.Runtime"
    assert 'The field "FunctionName" is required but was missing' in str(outcome.cause)


async def test_wait_for_task_token_invokes() -> None:
    """INT-3: under .waitForTaskToken the call is made; the router waits for the token."""
    invoker = FakeInvoker(_ok(b"null"))
    params = {"FunctionName": "f", "Payload": {"token": "T"}}
    outcome = await FunctionTaskRunner(invoker).run(_request(INVOKE + ".waitForTaskToken", params))
    assert isinstance(outcome, TaskSucceeded)
    assert invoker.calls[0][1] == b'{"token":"T"}'


async def test_other_resources_go_to_the_fallback() -> None:
    class Fallback:
        async def run(self, request: TaskRequest) -> TaskSucceeded:
            return TaskSucceeded("fallback")

    runner = FunctionTaskRunner(FakeInvoker(_ok(b"1")), fallback=Fallback())
    assert await runner.run(_request("arn:aws:states:::sqs:sendMessage", {})) == TaskSucceeded(
        "fallback"
    )
    alone = await FunctionTaskRunner(FakeInvoker(_ok(b"1"))).run(
        _request("arn:aws:states:::sqs:sendMessage", {})
    )
    assert isinstance(alone, TaskFailed) and alone.error == "States.Runtime"
    assert orjson.dumps(alone.cause)


async def test_runtime_failures_are_service_exceptions() -> None:
    """INT-6: a failure of the runtime itself is Lambda.ServiceException, which AWS
    recommends retrying."""
    outcome = await FunctionTaskRunner(FakeInvoker(OSError("no more processes"))).run(
        _request(LEGACY, {})
    )
    assert isinstance(outcome, TaskFailed) and outcome.error == "Lambda.ServiceException"
    assert "Status Code: 500; Error Code: ServiceException" in str(outcome.cause)
